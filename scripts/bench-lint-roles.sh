#!/usr/bin/env bash
# Rendering cost of one big template: a CloudFormation template (JSON) with
# N roles, each with a trust policy the rules flag, linted in every format.
# Prints each format's best-of-3 wall time beside json's, for N = 1,000,
# 2,000, 4,000 and 10,000 (or the sizes given), so that growth that is not
# linear shows as a ratio that climbs with N.
#
#   scripts/bench-lint-roles.sh [N ...]
#   BIN=target/debug/oidc-doctor scripts/bench-lint-roles.sh 1000   # no release build
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 2000 4000 10000)
bin="${BIN:-target/release/oidc-doctor}"
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$bin" "$work" "${sizes[@]}" <<'PY'
import json, subprocess, sys, time

binary, work, sizes = sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3:]]
FORMATS = ["json", "human", "markdown", "sarif", "github"]


def template(n):
    resources = {}
    for i in range(n):
        resources[f"DeployRole{i}"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": f"Deploys service {i}",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        # A wildcard repository (TP601) and no audience pin.
                        "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": f"repo:acme-{i}/*"}},
                    }],
                },
            },
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def best_of_3(args):
    best = None
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if out.returncode not in (0, 1):
            sys.exit(f"{' '.join(args)} exited {out.returncode}")
        best = elapsed if best is None else min(best, elapsed)
    return best, len(out.stdout)


print(f"{'roles':>6} {'format':>9} {'wall':>9} {'x json':>7} {'output':>10}")
for n in sizes:
    path = f"{work}/template-{n}.json"
    with open(path, "w") as f:
        json.dump(template(n), f, indent=2)
    base = None
    for fmt in FORMATS:
        wall, size = best_of_3([binary, "lint", "--fail-on", "never", "--format", fmt, path])
        base = base or wall
        print(f"{n:>6} {fmt:>9} {wall:>8.2f}s {wall / base:>6.1f}x {size / 1e6:>8.1f}MB")
PY
