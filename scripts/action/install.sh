#!/usr/bin/env bash
# Installs oidc-doctor for the GitHub Action (action.yml at the repository
# root). Two subcommands, each a step of the action:
#
#   install.sh resolve   which version and target, where it goes, and
#                        whether actions/cache may keep it (step outputs)
#   install.sh install   the release archive for this runner, verified
#                        against the release's SHA256SUMS (and its GitHub
#                        artifact attestation when asked), into that
#                        directory; `cargo install --locked` when there is
#                        no archive for this runner or it cannot be had,
#                        with the reason in the log. Step output `bin`.
#
# Environment (the action passes its inputs here, never into the script's text):
#   OIDC_DOCTOR_VERSION            a release tag (v0.1.0), `latest`, or empty:
#                                  the action's own tag when it is one, else latest
#   OIDC_DOCTOR_ACTION_REF         the ref the action was used at (github.action_ref)
#   OIDC_DOCTOR_BIN                use this binary: nothing is downloaded
#   OIDC_DOCTOR_RELEASE_BASE_URL   where releases are (default the project's
#                                  GitHub releases); file:// URLs work, for tests
#   OIDC_DOCTOR_REPOSITORY         owner/name, for the attestation check
#   OIDC_DOCTOR_VERIFY_ATTESTATION true: `gh attestation verify` the archive
#                                  (fails when gh is missing)
#   OIDC_DOCTOR_INSTALL_DIR        where the binary goes (resolve's output)
#   OIDC_DOCTOR_CARGO              the cargo to fall back to (default cargo)
#   OIDC_DOCTOR_GIT_URL            the repository cargo installs from
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_OUTPUT
set -euo pipefail

repository="${OIDC_DOCTOR_REPOSITORY:-oidc-doctor/oidc-doctor}"
base_url="${OIDC_DOCTOR_RELEASE_BASE_URL:-https://github.com/$repository/releases}"
base_url="${base_url%/}"

log() { printf 'oidc-doctor install: %s\n' "$*" >&2; }
fail() {
    printf '::error title=oidc-doctor install::%s\n' "$*"
    log "$*"
    exit 1
}

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
}

# The Rust target of the release archive for this runner; empty when the
# release has none.
target_triple() {
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
        Linux/X64) echo x86_64-unknown-linux-musl ;;
        Linux/ARM64) echo aarch64-unknown-linux-musl ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        *) echo "" ;;
    esac
}

exe_suffix() {
    if [ "${RUNNER_OS:-}" = Windows ]; then echo .exe; fi
}

# The version asked for: the input, else the action's own ref when it is a
# release tag, else `latest`.
wanted_version() {
    local version="${OIDC_DOCTOR_VERSION:-}"
    if [ -z "$version" ]; then
        case "${OIDC_DOCTOR_ACTION_REF:-}" in
            v[0-9]*) version="$OIDC_DOCTOR_ACTION_REF" ;;
            *) version=latest ;;
        esac
    fi
    case "$version" in
        latest | v[0-9]*) ;;
        [0-9]*) version="v$version" ;;
        *) fail "version must be a release tag such as v0.1.0, or latest; got '$version'" ;;
    esac
    # A tag names files and URLs below: nothing but what tags are made of.
    case "$version" in
        *[!A-Za-z0-9._+-]*) fail "version '$version' has characters no release tag has" ;;
    esac
    echo "$version"
}

resolve() {
    local version target dir cacheable=false
    version="$(wanted_version)"
    target="$(target_triple)"
    dir="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?RUNNER_TEMP is not set}}/oidc-doctor/$version/${target:-source}"
    # `latest` moves: a cache keyed on it would keep an old release forever.
    if [ -z "${OIDC_DOCTOR_BIN:-}" ] && [ "$version" != latest ] && [ -n "$target" ]; then
        cacheable=true
    fi
    output version "$version"
    output target "${target:-none}"
    output dir "$dir"
    output cacheable "$cacheable"
    log "version $version, target ${target:-none (no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?})}, directory $dir"
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    else
        fail "neither sha256sum nor shasum is on this runner: cannot verify the download"
    fi
}

# curl limited to https (and file://, for tests); redirects only to https.
fetch() {
    curl --fail --silent --show-error --location --retry 3 \
        --proto '=https,file' --proto-redir '=https' --output "$2" "$1"
}

asset_url() {
    if [ "$1" = latest ]; then
        echo "$base_url/latest/download/$2"
    else
        echo "$base_url/download/$1/$2"
    fi
}

# Why there is no release archive to install (then cargo is the fallback).
no_archive=""
work=""
trap 'if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT

# Downloads and verifies the archive into $dir. When there is no archive
# to be had, says why in $no_archive (the caller falls back to cargo); when
# there is one and it fails verification, exits: never a fallback, for a
# wrong checksum is an attack or a broken release, not a missing asset.
install_release() {
    local version="$1" target="$2" dir="$3" asset expected actual suffix
    suffix="$(exe_suffix)"
    if [ -z "$target" ]; then
        no_archive="the release has no archive for ${RUNNER_OS:-an unknown OS}/${RUNNER_ARCH:-an unknown architecture}"
        return 0
    fi
    if [ "${RUNNER_OS:-}" = Windows ]; then asset="oidc-doctor-$target.zip"; else asset="oidc-doctor-$target.tar.gz"; fi
    work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/oidc-doctor-download.XXXXXX")"
    if ! fetch "$(asset_url "$version" SHA256SUMS)" "$work/SHA256SUMS" 2>"$work/curl.log"; then
        no_archive="no SHA256SUMS in release $version at $base_url ($(tr '\n' ' ' <"$work/curl.log"))"
        return 0
    fi
    expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")"
    if [ -z "$expected" ]; then
        no_archive="release $version lists no $asset in its SHA256SUMS"
        return 0
    fi
    # A cached archive is used only when it still matches the release's
    # sums, and the binary is always unpacked again from it.
    if [ -f "$dir/$asset" ] && [ "$(sha256_of "$dir/$asset")" = "$expected" ]; then
        log "the cached $asset matches SHA256SUMS: not downloading it again"
        cp "$dir/$asset" "$work/$asset"
    elif ! fetch "$(asset_url "$version" "$asset")" "$work/$asset" 2>"$work/curl.log"; then
        no_archive="could not download $asset of release $version ($(tr '\n' ' ' <"$work/curl.log"))"
        return 0
    fi
    actual="$(sha256_of "$work/$asset")"
    if [ "$actual" != "$expected" ]; then
        fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; refusing to install it"
    fi
    log "$asset matches SHA256SUMS ($actual)"
    if [ "${OIDC_DOCTOR_VERIFY_ATTESTATION:-false}" = true ]; then
        command -v gh >/dev/null 2>&1 || fail "verify-attestation is true, but gh is not on this runner"
        gh attestation verify "$work/$asset" --repo "$repository" >&2 ||
            fail "gh attestation verify refused $asset: it was not built by $repository's release workflow"
        log "$asset: attestation verified"
    fi
    mkdir -p "$work/unpacked"
    if [ "${RUNNER_OS:-}" = Windows ]; then
        unzip -q "$work/$asset" -d "$work/unpacked" || tar -xf "$work/$asset" -C "$work/unpacked"
    else
        tar -xzf "$work/$asset" -C "$work/unpacked"
    fi
    [ -f "$work/unpacked/oidc-doctor$suffix" ] || fail "$asset holds no oidc-doctor$suffix at its top level"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$work/unpacked/oidc-doctor$suffix" "$dir/oidc-doctor$suffix"
    chmod +x "$dir/oidc-doctor$suffix"
    mv "$work/$asset" "$dir/$asset"
}

install_with_cargo() {
    local version="$1" dir="$2" cargo="${OIDC_DOCTOR_CARGO:-cargo}"
    local git_url="${OIDC_DOCTOR_GIT_URL:-https://github.com/$repository}"
    local args=(install --locked --root "$dir" --git "$git_url")
    if [ "$version" != latest ]; then args+=(--tag "$version"); fi
    command -v "$cargo" >/dev/null 2>&1 || fail "cannot fall back to cargo install: $cargo is not on this runner"
    log "running $cargo ${args[*]} oidc-doctor"
    "$cargo" "${args[@]}" oidc-doctor >&2 || fail "cargo install --locked failed"
    mkdir -p "$dir"
    if [ -d "$dir/bin" ]; then
        mv "$dir/bin/oidc-doctor$(exe_suffix)" "$dir/oidc-doctor$(exe_suffix)"
    fi
}

install() {
    local version target dir bin
    if [ -n "${OIDC_DOCTOR_BIN:-}" ]; then
        [ -x "$OIDC_DOCTOR_BIN" ] || fail "OIDC_DOCTOR_BIN=$OIDC_DOCTOR_BIN is not an executable file"
        log "using OIDC_DOCTOR_BIN ($OIDC_DOCTOR_BIN): nothing downloaded"
        output bin "$OIDC_DOCTOR_BIN"
        return
    fi
    version="$(wanted_version)"
    target="$(target_triple)"
    dir="${OIDC_DOCTOR_INSTALL_DIR:?run install.sh resolve first: OIDC_DOCTOR_INSTALL_DIR is not set}"
    install_release "$version" "$target" "$dir"
    if [ -n "$no_archive" ]; then
        log "falling back to cargo install --locked: $no_archive"
        printf '::warning title=oidc-doctor install::falling back to cargo install --locked\n'
        install_with_cargo "$version" "$dir"
    fi
    bin="$dir/oidc-doctor$(exe_suffix)"
    [ -x "$bin" ] || fail "no oidc-doctor binary at $bin after installing"
    log "installed $("$bin" --version)"
    output bin "$bin"
}

case "${1:-}" in
    resolve) resolve ;;
    install) install ;;
    *)
        echo "usage: install.sh resolve|install" >&2
        exit 2
        ;;
esac
