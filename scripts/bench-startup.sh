#!/usr/bin/env bash
# Start-up time of the release binary: runs `oidc-doctor --version` N times
# (default 300) and prints min, median and mean wall time per run, measured
# by Python's perf_counter around each spawn (the spawn itself included).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
runs="${1:-300}"
python3 - "$runs" <<'PY'
import statistics, subprocess, sys, time
runs = int(sys.argv[1])
binary = "target/release/oidc-doctor"
subprocess.run([binary, "--version"], check=True, capture_output=True)  # warm the page cache
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run([binary, "--version"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - start) * 1000)
# The same measurement for /bin/true: the cost of spawning any process here.
base = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(["/bin/true"], check=True)
    base.append((time.perf_counter() - start) * 1000)
print(f"oidc-doctor --version: min {min(times):.2f} ms, median {statistics.median(times):.2f} ms, mean {statistics.mean(times):.2f} ms over {runs} runs")
print(f"/bin/true (spawn cost): min {min(base):.2f} ms, median {statistics.median(base):.2f} ms")
PY
