#!/usr/bin/env bash
# Wall time of `oidc-doctor issuer` against the local test issuer with a fixed
# latency injected into every response, compared with
#   - the critical path: discovery, then JWKS, each answered after DELAY ms
#     (2 x DELAY, the part no client can overlap), and
#   - the same two fetches done by curl in sequence (new connection each),
# all on the same machine and issuer. Prints medians over RUNS runs and the
# ratios. Usage: scripts/bench-issuer.sh [DELAY_MS=100] [RUNS=15]
set -euo pipefail
cd "$(dirname "$0")/.."
delay="${1:-100}"
runs="${2:-15}"
cargo build --release --quiet --bin oidc-doctor --example test_issuer
info="$(mktemp)"
target/release/examples/test_issuer --delay-ms "$delay" >"$info" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$info"' EXIT
for _ in $(seq 50); do grep -q '^ca=' "$info" && break; sleep 0.1; done
url="$(sed -n 's/^url=//p' "$info")"
ca="$(sed -n 's/^ca=//p' "$info")"
python3 - "$url" "$ca" "$delay" "$runs" <<'PY'
import json, statistics, subprocess, sys, time
url, ca, delay, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def timed(command):
    start = time.perf_counter()
    out = subprocess.run(command, check=False, capture_output=True)
    return (time.perf_counter() - start) * 1000, out

def curl_twice():
    total = 0.0
    for path in ("/.well-known/openid-configuration", "/jwks"):
        ms, out = timed(["curl", "-sS", "--cacert", ca, "-o", "/dev/null", url + path])
        assert out.returncode == 0, out.stderr
        total += ms
    return total

doctor = [
    "target/release/oidc-doctor", "issuer", url, "--ca-bundle", ca,
    "--format", "json", "--fail-on", "never",
]
timed(doctor)  # warm-up: page cache, first handshakes
report = json.loads(timed(doctor)[1].stdout)
assert report["issuer"]["samples"][0]["ok"], report["issuer"]["samples"][0]
results = {"oidc-doctor issuer (3 samples)": [], "oidc-doctor issuer --samples 1": [], "curl, discovery then JWKS": []}
for _ in range(runs):
    results["oidc-doctor issuer (3 samples)"].append(timed(doctor)[0])
    results["oidc-doctor issuer --samples 1"].append(timed(doctor + ["--samples", "1"])[0])
    results["curl, discovery then JWKS"].append(curl_twice())
critical = 2 * delay
print(f"injected latency {delay} ms per response; critical path (discovery then JWKS) = {critical} ms; {runs} runs")
curl = statistics.median(results["curl, discovery then JWKS"])
for name, values in results.items():
    median = statistics.median(values)
    print(f"{name:34} median {median:7.1f} ms  min {min(values):7.1f} ms  "
          f"x{median / critical:.3f} of the critical path  x{median / curl:.3f} of curl")
PY
