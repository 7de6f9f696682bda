//! No report and no error ever shows a token's signature: a real-looking
//! signed token, given in every way a command takes one (and in the wrong
//! places users put it), to every command that takes a token, each time in
//! a situation that fails (a missing file, no role, no credentials).

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::support::{claims, no_aws_setup, scrubbed, signed_token};

/// The commands that take a token, with arguments that make each fail
/// whatever the token: what an error then says is what is checked.
const COMMANDS: [(&str, &[&str]); 5] = [
    ("decode", &["--jwks", "/nonexistent/jwks.json"]),
    (
        "check",
        &["--offline", "--policy", "/nonexistent/policy.json"],
    ),
    ("lint", &["/nonexistent/infra"]),
    // No AWS credentials (no_aws_setup): `provider` cannot read IAM.
    ("provider", &[]),
    // No --role-arn and no AWS_ROLE_ARN: nothing to assume.
    ("assume", &[]),
];

/// One way of giving the token.
struct Way {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    /// Only where the command has a positional token argument.
    positional: bool,
    /// Only for `lint`, whose positional arguments are paths.
    lint_only: bool,
}

fn ways(token: &str, token_file: &Path) -> Vec<Way> {
    let file = token_file.display().to_string();
    let way = |name, args: &[&str]| Way {
        name,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Vec::new(),
        stdin: None,
        positional: false,
        lint_only: false,
    };
    vec![
        Way {
            positional: true,
            ..way("the argument", &[token])
        },
        Way {
            positional: true,
            stdin: Some(token.to_owned()),
            ..way("`-` (standard input)", &["-"])
        },
        way("--token TOKEN", &["--token", token]),
        way("--token=TOKEN", &[&format!("--token={token}")]),
        Way {
            stdin: Some(token.to_owned()),
            ..way("--token -", &["--token", "-"])
        },
        way("--token-file with the token", &["--token-file", &file]),
        Way {
            env: vec![("ID_TOKEN".to_owned(), token.to_owned())],
            ..way("--token-env with the token", &["--token-env", "ID_TOKEN"])
        },
        Way {
            env: vec![("AWS_WEB_IDENTITY_TOKEN_FILE".to_owned(), file.clone())],
            ..way("AWS_WEB_IDENTITY_TOKEN_FILE", &[])
        },
        // The token where a file name or a variable name goes.
        way("--token-file TOKEN (a mistake)", &["--token-file", token]),
        way("--token-env TOKEN (a mistake)", &["--token-env", token]),
        // The token twice: clap quotes the argument it did not expect.
        Way {
            positional: true,
            ..way("the argument twice", &[token, token])
        },
        way(
            "--token and --token-file",
            &["--token", token, "--token-file", token],
        ),
        // The token where a file goes.
        Way {
            lint_only: true,
            ..way("the token as a path to lint", &[token])
        },
        way("--policy TOKEN", &["--policy", token]),
        way("--jwks TOKEN", &["--jwks", token]),
        way("--provider-json TOKEN", &["--provider-json", token]),
        way("--ca-bundle TOKEN", &["--ca-bundle", token]),
        // The token given to other flags that quote their value.
        way("--session-name TOKEN", &["--session-name", token]),
        way("--duration TOKEN", &["--duration", token]),
        way("--format TOKEN", &["--format", token]),
        way("--role-arn TOKEN", &["--role-arn", token]),
    ]
}

#[test]
fn no_signature_ever_reaches_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let token = signed_token(
        "test-rsa",
        &claims("https://token.actions.githubusercontent.com", 3600),
    );
    let signature = token.rsplit('.').next().unwrap().to_owned();
    assert!(signature.len() > 300, "an RS256 signature: {signature}");
    // A shorter piece is enough to count as shown.
    let piece = &signature[..24];
    let token_file = dir.path().join("token.jwt");
    std::fs::write(&token_file, &token).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("oidc-doctor");

    let mut runs = 0;
    for (command, failing) in COMMANDS {
        for way in ways(&token, &token_file) {
            if (way.positional && command == "lint") || (way.lint_only && command != "lint") {
                continue;
            }
            let mut cmd = scrubbed(std::process::Command::new(&binary));
            cmd.envs(no_aws_setup(dir.path()))
                .env("HOME", dir.path())
                .arg(command)
                .args(&way.args)
                .args(failing)
                .envs(way.env.iter().map(|(k, v)| (k, v)))
                .stdin(if way.stdin.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            if let Some(text) = &way.stdin {
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
            }
            let output = child.wait_with_output().unwrap();
            let what = format!("{command} with {}", way.name);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            // The situation really is a failure, or the test checks nothing.
            assert_ne!(
                output.status.code(),
                Some(0),
                "{what} was expected to fail:\n{stdout}\n{stderr}"
            );
            assert!(
                output.status.code().is_some(),
                "{what} ended by a signal (a panic?):\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{what}:\n{stderr}");
            assert!(
                !stdout.contains(piece),
                "{what} printed the signature:\n{stdout}"
            );
            assert!(
                !stderr.contains(piece),
                "{what} printed the signature:\n{stderr}"
            );
            runs += 1;
        }
    }
    assert!(runs >= 60, "{runs} runs");
}

#[test]
fn a_token_given_to_the_wrong_flag_is_said_so_without_it() {
    let token = signed_token(
        "test-rsa",
        &claims("https://token.actions.githubusercontent.com", 3600),
    );
    for (flag, says) in [
        ("--token-file", "looks like a token"),
        ("--token-env", "not one"),
    ] {
        for command in ["decode", "lint"] {
            let output = crate::support::oidc_doctor()
                .args([command, flag, &token])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{command} {flag}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(says), "{command} {flag}: {stderr}");
            assert!(stderr.contains("--token"), "{command} {flag}: {stderr}");
        }
    }
}

#[test]
fn lint_takes_the_token_itself() {
    // What issue 12 reported: `lint --token "$TOKEN"` read the token as a
    // file name ("File name too long").
    let token = signed_token(
        "test-rsa",
        &claims("https://token.actions.githubusercontent.com", 3600),
    );
    let output = crate::support::oidc_doctor()
        .args([
            "lint",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--token",
            &token,
        ])
        .arg(crate::support::fixture("examples/check/trust-policy.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        !report["files"].is_null() || !report["findings"].is_null(),
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("repo:acme/app:ref:refs/heads/main"),
        "the policy was evaluated against the token's claims: {text}"
    );
}
