//! `decode` through the real binary: token sources, what was stripped,
//! exit codes, `--fail-on`, `--at`, colour.

use predicates::prelude::*;

use crate::support::{FIXTURE_NOW, codes, decode_json, fixture, oidc_doctor};

fn example() -> std::path::PathBuf {
    fixture("examples/github-actions.jwt")
}

fn token_text() -> String {
    std::fs::read_to_string(example())
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn the_readme_example_decodes_and_exits_0() {
    // Wide enough for each row of the claims table to stand on one line.
    let assert = oidc_doctor()
        .env("COLUMNS", "160")
        .args(["decode", "fixtures/examples/github-actions.jwt"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("repo:acme/app:ref:refs/heads/main"));
    assert!(
        stdout.contains("2100-01-01T00:00:00Z (in "),
        "exp shown as UTC and relative"
    );
    assert!(stdout.contains("Signature: not checked"));
    assert!(
        stdout.ends_with("1 finding: 0 critical, 0 high, 0 medium, 0 low, 1 info\n"),
        "{stdout}"
    );
}

#[test]
fn human_output_of_the_example() {
    let assert = oidc_doctor()
        .args([
            "decode",
            "--at",
            FIXTURE_NOW,
            "fixtures/examples/github-actions.jwt",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(String::from_utf8(assert.get_output().stdout.clone()).unwrap());
}

#[test]
fn human_output_of_an_expired_token() {
    let assert = oidc_doctor()
        .args([
            "decode",
            "--at",
            FIXTURE_NOW,
            "fixtures/examples/expired-gitlab.jwt",
        ])
        .assert()
        .code(1);
    insta::assert_snapshot!(String::from_utf8(assert.get_output().stdout.clone()).unwrap());
}

#[test]
fn every_token_source_reads_the_same_token() {
    let token = token_text();
    let from_file = decode_json(&example());
    let claims = &from_file["token"]["claims"];
    assert_eq!(claims["sub"], "repo:acme/app:ref:refs/heads/main");

    let runs: Vec<(&str, assert_cmd::Command)> = vec![
        ("argument", {
            let mut c = oidc_doctor();
            c.args(["decode", "--format", "json", token.as_str()]);
            c
        }),
        ("stdin", {
            let mut c = oidc_doctor();
            c.args(["decode", "--format", "json", "-"])
                .write_stdin(token.clone());
            c
        }),
        ("--token-file", {
            let mut c = oidc_doctor();
            c.args(["decode", "--format", "json", "--token-file"])
                .arg(example());
            c
        }),
        ("--token-env", {
            let mut c = oidc_doctor();
            c.args(["decode", "--format", "json", "--token-env", "MY_TOKEN"])
                .env("MY_TOKEN", &token);
            c
        }),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", {
            let mut c = oidc_doctor();
            c.args(["decode", "--format", "json"])
                .env("AWS_WEB_IDENTITY_TOKEN_FILE", example());
            c
        }),
    ];
    for (name, mut cmd) in runs {
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(&report["token"]["claims"], claims, "{name}");
    }
}

#[test]
fn says_what_it_stripped() {
    let token = token_text();
    let wrapped = format!("{{\"count\": 1, \"value\": \"{token}\"}}");
    oidc_doctor()
        .args(["decode", "-"])
        .write_stdin(wrapped)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unwrapped the token from a {\"value\": \"...\"} JSON object",
        ));
    oidc_doctor()
        .args(["decode", "-"])
        .write_stdin(format!("Bearer {token}\n"))
        .assert()
        .success()
        .stdout(predicate::str::contains("removed a `Bearer ` prefix"))
        .stdout(predicate::str::contains("removed surrounding whitespace"));
    let report = decode_json(&fixture("token/TK001-token-not-jwt/ok-wrapped-lines.jwt"));
    assert_eq!(
        report["token"]["normalisations"],
        serde_json::json!(["surrounding_whitespace", "inner_whitespace"])
    );
}

#[test]
fn with_no_token_it_explains_every_way_to_give_one() {
    oidc_doctor()
        .arg("decode")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no token given"))
        .stderr(predicate::str::contains("AWS_WEB_IDENTITY_TOKEN_FILE"));
}

#[test]
fn unreadable_inputs_exit_2_with_the_path() {
    oidc_doctor()
        .args(["decode", "--token-file", "does/not/exist.jwt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist.jwt"));
    oidc_doctor()
        .args(["decode", "no-such-dir/token.jwt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "looks like a file path, but there is no such file",
        ));
    oidc_doctor()
        .args(["decode", "fixtures"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("it is a directory"));
    oidc_doctor()
        .args(["decode", "--token-env", "OIDC_DOCTOR_TEST_UNSET_VARIABLE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "OIDC_DOCTOR_TEST_UNSET_VARIABLE is not set",
        ));
    oidc_doctor()
        .args([
            "decode",
            "--at",
            "yesterday",
            "fixtures/examples/github-actions.jwt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RFC 3339"));
    oidc_doctor()
        .args(["decode", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'xml' for '--format",
        ))
        .stderr(predicate::str::contains(
            "[possible values: human, json, sarif, github, gitlab, markdown]",
        ));
}

/// A GitHub token requested without an audience carries GitHub's default,
/// `https://github.com/<owner>`: decode says AWS expects
/// `sts.amazonaws.com` unless the provider registers it (TK016, info).
#[test]
fn a_github_token_with_the_default_audience_is_told_what_aws_expects() {
    let dir = tempfile::tempdir().unwrap();
    let token = |aud: &str| {
        let mut claims =
            crate::support::claims("https://token.actions.githubusercontent.com", 3600);
        claims["aud"] = aud.into();
        claims["repository_owner"] = "acme".into();
        let path = dir.path().join("token.jwt");
        std::fs::write(&path, crate::support::signed_token("test-rsa", &claims)).unwrap();
        path
    };
    let report = decode_json(&token("https://github.com/acme"));
    let tk016 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "TK016")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(tk016["severity"], "info");
    let message = tk016["message"].as_str().unwrap();
    assert!(
        message.contains("`https://github.com/acme`, GitHub's default")
            && message.contains(
                "AWS expects `sts.amazonaws.com` unless the IAM provider registers this value"
            ),
        "{message}"
    );
    // The human report says it too, and an audience asked for is not flagged.
    let human = oidc_doctor()
        .arg("decode")
        .arg(token("https://github.com/acme"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("TK016 token-audience-default (info)"),
        "{}",
        String::from_utf8_lossy(&human.stdout)
    );
    for aud in [
        "sts.amazonaws.com",
        "https://github.com/acme/app",
        "https://github.com/other",
    ] {
        assert!(
            !codes(&decode_json(&token(aud))).contains(&"TK016".to_owned()),
            "{aud}"
        );
    }
}

#[test]
fn fail_on_sets_the_threshold() {
    let expired = "fixtures/examples/expired-gitlab.jwt";
    let run = |fail_on: &str| {
        oidc_doctor()
            .args(["decode", "--at", FIXTURE_NOW, "--fail-on", fail_on, expired])
            .output()
            .unwrap()
            .status
            .code()
    };
    // The expired token's worst finding is high.
    assert_eq!(run("low"), Some(1));
    assert_eq!(run("high"), Some(1));
    assert_eq!(run("critical"), Some(0));
    assert_eq!(run("never"), Some(0));
    // The clean example has an info finding only.
    let example = |fail_on: &str| {
        oidc_doctor()
            .args([
                "decode",
                "--fail-on",
                fail_on,
                "fixtures/examples/github-actions.jwt",
            ])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(example("low"), Some(0));
    assert_eq!(example("info"), Some(1));
}

#[test]
fn at_moves_the_clock() {
    let expired = fixture("examples/expired-gitlab.jwt");
    let before = oidc_doctor()
        .args(["decode", "--format", "json", "--at", "2026-01-01T00:01:00Z"])
        .arg(&expired)
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(report["token"]["evaluated_at"], "2026-01-01T00:01:00Z");
    assert_eq!(report["token"]["times"]["exp"]["relative"], "in 4m");
    assert_eq!(report["token"]["lifetime_seconds"], 300);
    assert_eq!(codes(&decode_json(&expired)), ["TK005", "TK014"]);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let has_escape = |cmd: &mut assert_cmd::Command| {
        let out = cmd.output().unwrap();
        String::from_utf8(out.stdout).unwrap().contains('\u{1b}')
    };
    let args = [
        "decode",
        "--at",
        FIXTURE_NOW,
        "fixtures/examples/expired-gitlab.jwt",
    ];
    assert!(
        !has_escape(oidc_doctor().args(args)),
        "not a terminal: no colour"
    );
    assert!(has_escape(oidc_doctor().args(args).arg("--color=always")));
    assert!(!has_escape(
        oidc_doctor()
            .args(args)
            .arg("--color=never")
            .env("CLICOLOR_FORCE", "1")
    ));
    assert!(has_escape(
        oidc_doctor().args(args).env("CLICOLOR_FORCE", "1")
    ));
    assert!(!has_escape(
        oidc_doctor()
            .args(args)
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
    ));
}

#[test]
fn the_format_can_come_from_the_environment() {
    let out = oidc_doctor()
        .args(["decode", "fixtures/examples/github-actions.jwt"])
        .env("OIDC_DOCTOR_FORMAT", "json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["command"], "decode");
}

#[test]
fn jwks_checks_the_signature() {
    let verified = oidc_doctor()
        .args([
            "decode",
            "--at",
            FIXTURE_NOW,
            "--jwks",
            "fixtures/keys/test-jwks.json",
            "fixtures/examples/github-actions.jwt",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(verified.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains(
            "Signature: verified (RS256) with key `test-rsa-1` from fixtures/keys/test-jwks.json"
        ),
        "{stdout}"
    );

    let tampered = oidc_doctor()
        .args([
            "decode",
            "--at",
            FIXTURE_NOW,
            "--jwks",
            "fixtures/keys/test-jwks.json",
            "--format",
            "json",
        ])
        .arg("fixtures/token/TK013-token-signature-invalid/bad-tampered.jwt")
        .output()
        .unwrap();
    assert_eq!(tampered.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&tampered.stdout).unwrap();
    assert_eq!(report["token"]["signature"]["valid"], false);
    assert!(codes(&report).contains(&"TK013".to_owned()));

    oidc_doctor()
        .args([
            "decode",
            "--jwks",
            "no/such/jwks.json",
            "fixtures/examples/github-actions.jwt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/jwks.json"));
    // A document that is no key set is a finding (IS007), not a usage error.
    oidc_doctor()
        .args([
            "decode",
            "--jwks",
            "fixtures/lint/provider.json",
            "fixtures/examples/github-actions.jwt",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("The key set has no `keys` array."));
}

#[test]
fn a_look_alike_issuer_fails_decode_and_shows_its_punycode_host() {
    let lookalike = "fixtures/token/TK015-issuer-lookalike/bad-cyrillic-o.jwt";
    let out = oidc_doctor()
        .args(["decode", "--format", "json", "--at", FIXTURE_NOW, lookalike])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a high finding fails at the default --fail-on low"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tk015: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "TK015")
        .collect();
    assert_eq!(tk015.len(), 1, "{report}");
    assert_eq!(tk015[0]["severity"], "high");
    assert_eq!(tk015[0]["category"], "security");
    assert_eq!(tk015[0]["slug"], "issuer-lookalike");
    let message = tk015[0]["message"].as_str().unwrap();
    assert!(
        message.contains("token.actions.githubusercontent.xn--cm-fmc"),
        "{message}"
    );
    assert!(message.contains("GitHub Actions"), "{message}");

    // The human report shows the host in punycode beside the claim.
    let human = oidc_doctor()
        .args(["decode", "--at", FIXTURE_NOW, lookalike])
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("TK015 issuer-lookalike (high)"), "{text}");
    assert!(
        text.contains("host in punycode: token.actions.githubusercontent.xn--cm-fmc"),
        "{text}"
    );

    // The real issuer is no look-alike of itself.
    let real = decode_json(&fixture("token/TK015-issuer-lookalike/ok-github.jwt"));
    assert_eq!(codes(&real), ["TK014"]);
}
