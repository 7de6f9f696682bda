#!/usr/bin/env bash
# Wall time of `oidc-doctor check` (a login that works, every stage live)
# against the local HTTPS test issuer, the IAM emulator (moto) and the STS
# stand-in, with latency injected into the issuer's and STS's answers, beside
#   - the sum of the stages run alone (`issuer`, `provider`, `assume`), and
#   - the critical path: max(issuer chain = 2 x ISSUER_DELAY, IAM reads)
#     + STS_DELAY, the IAM reads being `provider` alone minus process start.
# Goal: check <= 1.10 x critical path + process start (`--version`).
# Prints medians over RUNS runs. Usage:
#   scripts/bench-check.sh [ISSUER_DELAY_MS=150] [STS_DELAY_MS=100] [RUNS=11]
set -euo pipefail
cd "$(dirname "$0")/.."
issuer_delay="${1:-150}"
sts_delay="${2:-100}"
runs="${3:-11}"
command -v openssl >/dev/null || { echo "bench-check: needs openssl (s_client reads the served chain)" >&2; exit 1; }
cargo build --release --quiet --bin oidc-doctor --example test_issuer --example sts_standin

# The AWS emulator, installed as scripts/test does when no venv has it.
venv="target/ci-venv"
if [ ! -x "$venv/bin/moto_server" ]; then
    venv="${OIDC_DOCTOR_TEST_VENV:-target/test-venv}"
    if [ ! -x "$venv/bin/moto_server" ]; then
        echo "== installing the AWS emulator (moto[server] 5.2.5) in $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
    fi
fi

work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/examples/test_issuer --delay-ms "$issuer_delay" >"$work/issuer" 2>&1 &
pids+=($!)
target/release/examples/sts_standin --delay-ms "$sts_delay" ok >"$work/sts" 2>&1 &
pids+=($!)
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)

# Wait for a line `KEY=` in FILE (up to 5 s), else show FILE and fail.
wait_for() {
    for _ in $(seq 50); do grep -q "^$2=" "$1" && return 0; sleep 0.1; done
    echo "bench-check: no '$2=' line from $(basename "$1"):" >&2; cat "$1" >&2; exit 1
}
wait_for "$work/issuer" ca
wait_for "$work/sts" url
for i in $(seq 150); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" \
        2>/dev/null && break
    if [ "$i" = 150 ] || ! kill -0 "${pids[2]}" 2>/dev/null; then
        echo "bench-check: moto_server did not start; its log:" >&2; cat "$work/moto.log" >&2; exit 1
    fi
    sleep 0.2
done

"$venv/bin/python" - "$work" "http://127.0.0.1:$port" "$issuer_delay" "$sts_delay" "$runs" <<'PY'
import base64, json, os, re, statistics, subprocess, sys, time
import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

work, moto = sys.argv[1], sys.argv[2]
issuer_delay, sts_delay, runs = (int(v) for v in sys.argv[3:6])
info = lambda name: dict(l.split("=", 1) for l in open(f"{work}/{name}").read().splitlines()
                         if l.startswith(("url=", "ca=")))
url, ca = info("issuer")["url"], info("issuer")["ca"]
sts = info("sts")["url"]
name = url.removeprefix("https://")
sub = "repo:acme/app:ref:refs/heads/main"

# Seed IAM: the issuer's provider and a role that trusts this token.
env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OIDC_DOCTOR_", "ACTIONS_"))}
env.update(HOME=work, AWS_ENDPOINT_URL=moto, AWS_ENDPOINT_URL_STS=sts, AWS_ACCESS_KEY_ID="testing",
           AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
           AWS_CONFIG_FILE=f"{work}/no-config", AWS_SHARED_CREDENTIALS_FILE=f"{work}/no-credentials")
iam = boto3.client("iam", endpoint_url=moto, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
# The thumbprint STS would compare: the top intermediate the issuer serves.
served = subprocess.run(["openssl", "s_client", "-connect", name, "-showcerts"], stdin=subprocess.DEVNULL,
                        capture_output=True, text=True, timeout=10).stdout
certs = [x509.load_pem_x509_certificate(m.encode()) for m in
         re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", served, re.S)]
tops = [c for c in certs if c.subject != c.issuer]
if not tops:
    sys.exit(f"bench-check: no certificate chain from {name} (openssl s_client):\n{served}")
thumbprint = tops[-1].fingerprint(hashes.SHA1()).hex()
provider = iam.create_open_id_connect_provider(
    Url=url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[thumbprint])["OpenIDConnectProviderArn"]
policy = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{name}:aud": "sts.amazonaws.com", f"{name}:sub": sub}}}]}
role = iam.create_role(RoleName="bench-check", AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]

# A token signed with the test key the issuer serves.
b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
part = lambda v: b64(json.dumps(v).encode())
now = int(time.time())
signing_input = part({"alg": "RS256", "kid": "test-rsa-1", "typ": "JWT"}) + "." + part(
    {"iss": url, "sub": sub, "aud": "sts.amazonaws.com", "iat": now, "nbf": now, "exp": now + 3600})
key = serialization.load_pem_private_key(open("fixtures/keys/test-rsa.private.pem", "rb").read(), None)
token = f"{work}/token.jwt"
with open(token, "w") as f:
    f.write(signing_input + "." + b64(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())))

doctor = "target/release/oidc-doctor"
common = ["--format", "json", "--fail-on", "never"]
commands = {
    "check": [doctor, "check", "--token-file", token, "--role-arn", role, "--ca-bundle", ca,
              "--samples", "3", "--session-name", "bench", "--quiet"] + common,
    "issuer alone": [doctor, "issuer", url, "--ca-bundle", ca, "--samples", "3"] + common,
    "provider alone (IAM)": [doctor, "provider", "--token-file", token, "--role-arn", role,
                             "--no-issuer-probe"] + common,
    "assume alone (STS)": [doctor, "assume", "--token-file", token, "--role-arn", role,
                           "--session-name", "bench"] + common,
    "process start": [doctor, "--version"],
}

def timed(name):
    start = time.perf_counter()
    try:
        out = subprocess.run(commands[name], env=env, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        sys.exit(f"bench-check: {name} took over 60 s")
    ms = (time.perf_counter() - start) * 1000
    if out.returncode != 0:
        sys.exit(f"bench-check: {name} exited {out.returncode}:\n{out.stderr.decode()}")
    return ms, out

for name in commands:  # warm-up: page cache, first handshakes, moto's first answers
    timed(name)
report = json.loads(timed("check")[1].stdout)
if report["verdict"]["status"] != "ok":
    sys.exit("bench-check: check's verdict is not ok:\n" + json.dumps(report["verdict"], indent=2))
times = {name: [] for name in commands}
for _ in range(runs):
    for name in commands:
        times[name].append(timed(name)[0])
med = {name: statistics.median(values) for name, values in times.items()}
start = med["process start"]
iam_reads = med["provider alone (IAM)"] - start
chain = 2 * issuer_delay
critical = max(chain, iam_reads) + sts_delay
stages_sum = med["issuer alone"] + med["provider alone (IAM)"] + med["assume alone (STS)"]
print(f"issuer {issuer_delay} ms per answer (chain {chain} ms), STS {sts_delay} ms; {runs} runs; medians")
for name, values in times.items():
    print(f"  {name:22} {med[name]:7.1f} ms  (min {min(values):7.1f}, max {max(values):7.1f})")
print(f"  {'sum of stages alone':22} {stages_sum:7.1f} ms")
print(f"  IAM reads (provider - start) {iam_reads:.1f} ms; critical path max({chain}, {iam_reads:.0f}) + {sts_delay}"
      f" = {critical:.1f} ms; + start = {critical + start:.1f} ms")
check = med["check"]
goal = 1.10 * critical + start
print(f"check / (critical path + start) = x{check / (critical + start):.3f}; check / sum of stages = x{check / stages_sum:.3f}")
print(f"goal check <= 1.10 x critical + start = {goal:.1f} ms: {'holds' if check <= goal else 'MISSED'}"
      f" ({check:.1f} ms)")
PY
