//! The completion scripts, run in the real shells: Bash, zsh and fish must
//! be installed (.ci/run installs them). A missing shell fails the test
//! with the reason; it never passes by skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::oidc_doctor;

/// Writes `oidc-doctor completions <shell>` to `dir/name`.
fn script(shell: &str, dir: &Path, name: &str) -> PathBuf {
    let output = oidc_doctor().args(["completions", shell]).output().unwrap();
    assert!(output.status.success(), "completions {shell}");
    let path = dir.join(name);
    std::fs::write(&path, output.stdout).unwrap();
    path
}

/// Runs a shell, failing the test (with how to fix it) when it is missing.
fn run(shell: &str, configure: impl FnOnce(&mut Command)) -> Output {
    let mut cmd = Command::new(shell);
    configure(&mut cmd);
    match cmd.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "{shell} is not installed, and the completion tests run the scripts in the real \
             shells: install it (`apt-get install -y --no-install-recommends bash zsh fish`, \
             as .ci/run does)"
        ),
        Err(error) => panic!("cannot run {shell}: {error}"),
    }
}

/// The candidates Bash offers for `line` (the cursor at its end).
fn bash_candidates(script: &Path, line: &str) -> Vec<String> {
    // The function is the one the script registers for `oidc-doctor`, found
    // as Bash itself finds it: through `complete -p`.
    let driver = r#"
set -u
source "$1"
spec=$(complete -p oidc-doctor) || { echo "no completion registered for oidc-doctor" >&2; exit 3; }
fn=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
if [[ "$COMP_LINE" == *" " ]]; then COMP_WORDS+=(""); fi
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
prev=""
if (( COMP_CWORD > 0 )); then prev=${COMP_WORDS[COMP_CWORD-1]}; fi
"$fn" oidc-doctor "${COMP_WORDS[COMP_CWORD]}" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let output = run("bash", |cmd| {
        cmd.args(["--norc", "--noprofile", "-c", driver, "driver"])
            .arg(script)
            .arg(line);
    });
    assert!(
        output.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lines(&output.stdout)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The candidates zsh's completion system offers for `line`.
///
/// Completion widgets run only in an interactive zsh with its line editor,
/// so the script drives one in a pseudo-terminal (zsh/zpty): the completion
/// system loaded (`compinit`), the script found through `fpath` as an
/// installed `_oidc-doctor` would be, and `compadd` wrapped to write every
/// candidate that matches what was typed to a file. Tab then completes the
/// line; a function run after completion marks the end.
fn zsh_candidates(functions: &Path, line: &str) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("candidates");
    let done = work.path().join("done");
    let ready = work.path().join("ready");
    let setup = work.path().join("setup.zsh");
    std::fs::write(
        &setup,
        r#"
PS1='' PROMPT='' RPROMPT=''
fpath=("$CAPTURE_FPATH" $fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' list-grouped false
compadd() {
  # Calls that only ask for matches (-O, -A, -D) are the system's own.
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __found
  builtin compadd -A __found "$@"
  (( $#__found )) && print -rl -- $__found >>"$CAPTURE_OUT"
  builtin compadd "$@"
}
_capture_done() { print done >"$CAPTURE_DONE"; }
comppostfuncs=(_capture_done)
bindkey '^I' complete-word
print ready >"$CAPTURE_READY"
"#,
    )
    .unwrap();
    let driver = r#"
zmodload zsh/zpty || exit 3
zpty capture zsh -f -i
zpty -w capture "source ${(q)1}"
wait_for() {
  local i
  for i in {1..200}; do [[ -e $1 ]] && return 0; sleep 0.05; done
  return 1
}
wait_for "$CAPTURE_READY" || { echo "zsh did not start" >&2; exit 4; }
zpty -w -n capture "$2"$'\t'
wait_for "$CAPTURE_DONE" || { echo "no completion ran" >&2; zpty -d capture; exit 5; }
zpty -d capture
[[ -e $CAPTURE_OUT ]] && cat "$CAPTURE_OUT"
exit 0
"#;
    let started = Instant::now();
    let output = run("zsh", |cmd| {
        cmd.args(["-f", "-c", driver, "driver"])
            .arg(&setup)
            .arg(line)
            .env("HOME", work.path())
            .env("CAPTURE_FPATH", functions)
            .env("CAPTURE_OUT", &out)
            .env("CAPTURE_DONE", &done)
            .env("CAPTURE_READY", &ready);
    });
    assert!(
        output.status.success(),
        "zsh ({:?}): {}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    lines(&output.stdout)
}

/// The candidates fish offers for `line` (`complete -C`), names only.
fn fish_candidates(script: &Path, line: &str) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let output = run("fish", |cmd| {
        cmd.args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
            .arg(script)
            .arg(line)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"));
    });
    assert!(
        output.status.success(),
        "fish: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lines(&output.stdout)
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

/// What every shell must complete: the line, what must be offered, what
/// must not be.
const CASES: [(&str, &[&str], &[&str]); 4] = [
    ("oidc-doctor li", &["lint"], &["decode", "check"]),
    (
        "oidc-doctor lint --f",
        &["--fail-on", "--format"],
        &["--token-file"],
    ),
    (
        "oidc-doctor assume --ca",
        &["--cache", "--cache-dir"],
        &["--fail-on"],
    ),
    ("oidc-doctor explain --f", &["--format"], &["--fail-on"]),
];

fn check_cases(shell: &str, candidates: impl Fn(&str) -> Vec<String>) {
    for (line, wanted, unwanted) in CASES {
        let got = candidates(line);
        for w in wanted {
            assert!(
                got.iter().any(|g| g == w),
                "{shell}: `{line}<TAB>` offers {w}: {got:?}"
            );
        }
        for u in unwanted {
            assert!(
                !got.iter().any(|g| g == u),
                "{shell}: `{line}<TAB>` must not offer {u}: {got:?}"
            );
        }
    }
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = script("bash", dir.path(), "oidc-doctor.bash");
    check_cases("bash", |line| bash_candidates(&script, line));
    assert_eq!(bash_candidates(&script, "oidc-doctor li"), ["lint"]);
}

#[test]
fn zsh_completes_subcommands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    script("zsh", dir.path(), "_oidc-doctor");
    check_cases("zsh", |line| zsh_candidates(dir.path(), line));
}

#[test]
fn fish_completes_subcommands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = script("fish", dir.path(), "oidc-doctor.fish");
    check_cases("fish", |line| fish_candidates(&script, line));
}
