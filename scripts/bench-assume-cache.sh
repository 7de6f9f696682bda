#!/usr/bin/env bash
# 20 parallel `oidc-doctor assume` processes, as 20 pipelines starting at
# once, against the STS stand-in (`cargo run --example sts_standin`) with a
# fixed latency per answer: once with a shared `--cache` and once without.
# Prints the STS calls each run made and its wall time (median of RUNS).
# Usage: scripts/bench-assume-cache.sh [PARALLEL=20] [STS_DELAY_MS=200] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
parallel="${1:-20}"
delay="${2:-200}"
runs="${3:-5}"
cargo build --release --quiet --bin oidc-doctor --example sts_standin
info="$(mktemp)"
work="$(mktemp -d)"
target/release/examples/sts_standin --delay-ms "$delay" ok >"$info" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$info" "$work"' EXIT
for _ in $(seq 50); do grep -q '^url=' "$info" && break; sleep 0.1; done
url="$(sed -n 's/^url=//p' "$info")"
python3 - "$url" "$work" "$parallel" "$runs" "$delay" <<'PY'
import base64, json, os, statistics, subprocess, sys, time, urllib.request
url, work, parallel, runs, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def b64(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

now = int(time.time())
claims = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/app:ref:refs/heads/main",
          "aud": "sts.amazonaws.com", "iat": now, "exp": now + 3600}
token = os.path.join(work, "token.jwt")
with open(token, "w") as f:
    f.write(b64({"alg": "RS256", "kid": "bench"}) + "." + b64(claims) + ".c2lnbmF0dXJl")
env = {"PATH": os.environ["PATH"], "AWS_ENDPOINT_URL_STS": url, "AWS_REGION": "us-east-1",
       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
       "AWS_EC2_METADATA_DISABLED": "true", "HOME": work}

def calls():
    return int(urllib.request.urlopen(url + "/calls").read())

def burst(extra):
    before = calls()
    start = time.perf_counter()
    procs = [subprocess.Popen(["target/release/oidc-doctor", "assume", "--role-arn",
                               "arn:aws:iam::123456789012:role/deploy", "--session-name", "bench",
                               "--export", "json", "--token-file", token] + extra,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
             for _ in range(parallel)]
    for p in procs:
        out, _ = p.communicate()
        assert p.returncode == 0 and json.loads(out)["SessionToken"], out
    return (time.perf_counter() - start) * 1000, calls() - before

results = {}
for name in ("with --cache", "without --cache"):
    times, made = [], []
    for i in range(runs):
        extra = [f"--cache-dir={work}/cache-{i}"] if name == "with --cache" else []
        ms, n = burst(extra)
        times.append(ms)
        made.append(n)
    results[name] = (statistics.median(times), min(times), made)
print(f"{parallel} parallel assume processes, STS answering after {delay} ms; {runs} runs each (a fresh cache per run)")
for name, (median, low, made) in results.items():
    print(f"{name:16} STS calls per run {sorted(set(made))}  wall median {median:7.1f} ms  min {low:7.1f} ms")
PY
