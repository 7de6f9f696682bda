#!/usr/bin/env bash
# The GitHub Action's logic (action.yml at the repository root calls this
# after install.sh). Inputs come from the environment, never from the
# script's text, so no input can become shell code:
#
#   OIDC_DOCTOR_BIN              the binary (install.sh's `bin` output)
#   OIDC_DOCTOR_INPUT_COMMAND    check | lint | assume (default check)
#   OIDC_DOCTOR_INPUT_ROLE_ARN   --role-arn (else the binary reads AWS_ROLE_ARN)
#   OIDC_DOCTOR_INPUT_AUDIENCE   --audience of the requested token (default sts.amazonaws.com)
#   OIDC_DOCTOR_INPUT_SESSION_NAME --session-name (else the binary's AWS_ROLE_SESSION_NAME
#                                or a generated one, which the credential cache cannot reuse)
#   OIDC_DOCTOR_INPUT_PATHS      lint: what to lint, whitespace-separated or one per line (default .)
#   OIDC_DOCTOR_INPUT_FAIL_ON    --fail-on (the binary's default when empty;
#                                assume: only the login decides when empty)
#   OIDC_DOCTOR_INPUT_FORMAT     lint: the report printed to the log (default github: annotations)
#   OIDC_DOCTOR_INPUT_AWS_REGION assume: AWS_REGION and AWS_DEFAULT_REGION for later steps
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV, RUNNER_TEMP: the runner's
#
# Outputs: verdict (check and assume: ok | fails | at-risk | unknown, the
# verdict of `check`; lint: ok | fails, whether a finding reached fail-on),
# findings (how many), sarif-file (lint: a complete SARIF report; never set
# when the run that wrote it failed).
set -euo pipefail

bin="${OIDC_DOCTOR_BIN:?OIDC_DOCTOR_BIN is not set: run install.sh install first}"
command="${OIDC_DOCTOR_INPUT_COMMAND:-check}"
audience="${OIDC_DOCTOR_INPUT_AUDIENCE:-sts.amazonaws.com}"
temp="${RUNNER_TEMP:?RUNNER_TEMP is not set: this runs in a GitHub Actions job}"
fail_on=()
if [ -n "${OIDC_DOCTOR_INPUT_FAIL_ON:-}" ]; then fail_on=(--fail-on "$OIDC_DOCTOR_INPUT_FAIL_ON"); fi
role=()
if [ -n "${OIDC_DOCTOR_INPUT_ROLE_ARN:-}" ]; then role=(--role-arn "$OIDC_DOCTOR_INPUT_ROLE_ARN"); fi
if [ -n "${OIDC_DOCTOR_INPUT_SESSION_NAME:-}" ]; then role+=(--session-name "$OIDC_DOCTOR_INPUT_SESSION_NAME"); fi

output() { printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; }
summary() { cat "$@" >>"${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"; }
# $1 is text of our own: never an input's value (it could hold a newline,
# and with it a workflow command of its own).
error() { printf '::error title=oidc-doctor::%s\n' "$1"; }

# The verdict from the headline of a markdown report (its first line).
verdict_of() {
    case "$(head -n 1 "$1")" in
        "# oidc-doctor check: the login works, but is at risk") echo at-risk ;;
        "# oidc-doctor check: the login works") echo ok ;;
        "# oidc-doctor check: the login fails") echo fails ;;
        *) echo unknown ;;
    esac
}

# The number of findings a markdown report counts ("· N findings: ...").
findings_of() {
    sed -n 's/^.* · \([0-9][0-9]*\) findings\{0,1\}: .*$/\1/p' "$1" | head -n 1
}

# `check` with the job's own token: the markdown runbook to the step
# summary and the log, verdict and findings to the outputs. Returns the
# binary's exit status.
run_check() {
    local report status=0 verdict
    report="$(mktemp "$temp/oidc-doctor-check.XXXXXX")"
    "$bin" check --github-actions --audience "$audience" ${role[@]+"${role[@]}"} ${fail_on[@]+"${fail_on[@]}"} \
        --format markdown >"$report" || status=$?
    if [ "$status" -eq 2 ] || [ ! -s "$report" ]; then
        error "oidc-doctor check could not run (exit status $status): see the log"
        rm -f "$report"
        return "$status"
    fi
    verdict="$(verdict_of "$report")"
    output verdict "$verdict"
    output findings "$(findings_of "$report")"
    summary "$report"
    cat "$report"
    rm -f "$report"
    case "$verdict" in
        fails) error "the login fails: the root cause and its fix are in the job summary" ;;
        at-risk) printf '::warning title=oidc-doctor check::the login works, but is at risk: see the job summary\n' ;;
        unknown) printf '::warning title=oidc-doctor check::too little could be checked to say: see the job summary\n' ;;
    esac
    return "$status"
}

# What to lint, from the input: one per line when it has several lines
# (paths with spaces), else separated by whitespace.
lint_paths() {
    local input="${OIDC_DOCTOR_INPUT_PATHS:-.}" line
    paths=()
    if [[ "$input" == *$'\n'* ]]; then
        while IFS= read -r line; do
            line="${line#"${line%%[![:space:]]*}"}"
            line="${line%"${line##*[![:space:]]}"}"
            if [ -n "$line" ]; then paths+=("$line"); fi
        done <<<"$input"
    else
        read -r -a paths <<<"$input"
    fi
    if [ "${#paths[@]}" -eq 0 ]; then paths=(.); fi
}

# `lint`: SARIF to a file, handed on only when the run completed (exit 0
# or 1); the markdown report to the step summary; the report in the
# chosen format (annotations by default) to the log.
run_lint() {
    local dir sarif report status=0
    lint_paths
    dir="$(mktemp -d "$temp/oidc-doctor-lint.XXXXXX")"
    sarif="$dir/oidc-doctor.sarif"
    "$bin" lint --format sarif ${fail_on[@]+"${fail_on[@]}"} -- "${paths[@]}" >"$sarif" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        rm -f "$sarif"
        error "oidc-doctor lint failed with exit status $status (2: usage error or unreadable input): no SARIF file is handed on"
        return "$status"
    fi
    report="$dir/report.md"
    "$bin" lint --format markdown --fail-on never -- "${paths[@]}" >"$report"
    summary "$report"
    local shown=0
    "$bin" lint --format "${OIDC_DOCTOR_INPUT_FORMAT:-github}" --fail-on never -- "${paths[@]}" || shown=$?
    if [ "$shown" -ne 0 ]; then
        error "oidc-doctor lint --format (the format input) failed with exit status $shown: no SARIF file is handed on"
        return "$shown"
    fi
    if [ "$status" -eq 0 ]; then output verdict ok; else output verdict fails; fi
    output findings "$(findings_of "$report")"
    output sarif-file "$sarif"
    return "$status"
}

# Whether `assume` appended credentials to $GITHUB_ENV past byte $1.
exported_since() {
    tail -c +"$(($1 + 1))" "$GITHUB_ENV" 2>/dev/null | grep -q '^AWS_ACCESS_KEY_ID='
}

# `assume` like aws-actions/configure-aws-credentials: the binary prints
# `::add-mask::` for each secret on standard output (straight to the log,
# so the runner masks them) before it appends them to $GITHUB_ENV. The
# credential cache lives in RUNNER_TEMP, which the runner empties after the
# job, and lets parallel steps share one STS call. When no credentials come
# out, `check` says why, in the step summary.
run_assume() {
    local before=0 status=0 region="${OIDC_DOCTOR_INPUT_AWS_REGION:-}" region_arg=()
    : "${GITHUB_ENV:?GITHUB_ENV is not set: this runs in a GitHub Actions job}"
    if [ -n "$region" ]; then
        # It goes into $GITHUB_ENV: only what region names are made of.
        [[ "$region" =~ ^[a-z0-9-]+$ ]] || {
            error "aws-region is not a region name (lowercase letters, digits and dashes)"
            return 2
        }
        region_arg=(--region "$region")
    fi
    if [ -f "$GITHUB_ENV" ]; then before="$(wc -c <"$GITHUB_ENV" | tr -d ' ')"; fi
    "$bin" assume --github-actions --audience "$audience" ${role[@]+"${role[@]}"} ${region_arg[@]+"${region_arg[@]}"} \
        --export github-env --cache-dir "$temp/oidc-doctor-credentials" \
        --fail-on "${OIDC_DOCTOR_INPUT_FAIL_ON:-never}" || status=$?
    if exported_since "$before"; then
        if [ -n "$region" ]; then
            printf 'AWS_REGION=%s\nAWS_DEFAULT_REGION=%s\n' "$region" "$region" >>"$GITHUB_ENV"
        fi
        output verdict ok
        return "$status"
    fi
    error "no credentials (oidc-doctor assume exit status $status); running oidc-doctor check to find out why"
    if [ "$status" -eq 2 ]; then return 2; fi
    printf '::group::oidc-doctor check\n'
    status=0
    run_check || status=$?
    printf '::endgroup::\n'
    if [ "$status" -eq 0 ]; then status=1; fi
    return "$status"
}

case "$command" in
    check) run_check ;;
    lint) run_lint ;;
    assume) run_assume ;;
    *)
        error "the command input must be check, lint or assume"
        exit 2
        ;;
esac
