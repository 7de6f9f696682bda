#!/usr/bin/env bash
# Lint speed from the command line: generates a corpus of N policy files of
# realistic variety (default 10,000; scripts/gen-policy-corpus.py), then
# times `oidc-doctor lint` over it in each output format, 3 runs each, and
# prints the best wall time and files per second.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
python3 scripts/gen-policy-corpus.py "$corpus" "$count" >/dev/null
cargo build --release --quiet
python3 - "$corpus" "$count" <<'PY'
import subprocess, sys, time
corpus, count = sys.argv[1], int(sys.argv[2])
for fmt in ["json", "github", "sarif", "human"]:
    best = None
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(["target/release/oidc-doctor", "lint", "--fail-on", "never", "--format", fmt, corpus],
                       check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{fmt:>8}: {count} files in {best:.2f} s wall ({count / best:,.0f} files/s)")
PY
