//! No input may panic the tool. Property tests feed arbitrary bytes and
//! almost-JWTs to the token parser, the rules and every output format; CLI
//! tests feed the binary empty, binary, huge and missing inputs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use oidc_doctor::output::{self, Options};
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::rules;
use oidc_doctor::stages::token;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::injection::FORMATS;
use crate::support::oidc_doctor;

pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map("\\PC{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Claims that the rules look at, with arbitrary values.
fn claims() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        Just("iss"),
        Just("sub"),
        Just("aud"),
        Just("azp"),
        Just("exp"),
        Just("iat"),
        Just("nbf"),
        Just("amr"),
        Just("https://aws.amazon.com/tags"),
        Just("email"),
    ];
    let issuers = prop_oneof![
        Just(json!("https://token.actions.githubusercontent.com")),
        Just(json!("https://gitlab.com")),
        Just(json!("https://oidc.circleci.com/org/x")),
        Just(json!(
            "https://api.bitbucket.org/2.0/workspaces/w/pipelines-config/identity/oidc"
        )),
        Just(json!("http://h:1/p?q#f")),
        json_value(),
    ];
    (btree_map(names, json_value(), 0..10), issuers, "\\PC{0,60}").prop_map(|(map, iss, sub)| {
        let mut claims: serde_json::Map<String, Value> =
            map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        claims.entry("iss").or_insert(iss);
        claims.entry("sub").or_insert(Value::String(sub));
        Value::Object(claims)
    })
}

pub fn almost_jwt() -> impl Strategy<Value = String> {
    (
        json_value(),
        claims(),
        vec(any::<u8>(), 0..80),
        0..8u8,
        any::<usize>(),
    )
        .prop_map(|(header, claims, signature, mutation, at)| {
            let token = format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string()),
                URL_SAFE_NO_PAD.encode(signature)
            );
            let cut = at % (token.len() + 1);
            match mutation {
                0 => token[..cut].to_owned(),
                1 => format!("{}\n{}", &token[..cut], &token[cut..]),
                2 => format!("Bearer {token}"),
                3 => json!({"value": token}).to_string(),
                4 => format!("{}.{}", &token[..cut], &token[cut..]),
                5 => token.replace('-', "+"),
                _ => token,
            }
        })
}

/// Parses, judges and renders `input` in every format; returns the outputs.
fn judge_and_render(input: &[u8], now: i64) -> Vec<String> {
    let now = Timestamp::from_second(now.rem_euclid(4_000_000_000)).unwrap();
    let data = token::analyse(input, "property test".to_owned(), now, true);
    let mut report = Report::new("decode", CommandData::None);
    report.findings = rules::token::check(&data.token, now);
    report.data = CommandData::Decode(Box::new(data));
    report.sort_findings();
    crate::injection::render(&report)
        .into_iter()
        .map(|(_, text)| text)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048), now in any::<i64>()) {
        let outputs = judge_and_render(&bytes, now);
        prop_assert!(serde_json::from_str::<Value>(&outputs[1]).is_ok(), "json output parses");
        prop_assert!(serde_json::from_str::<Value>(&outputs[2]).is_ok(), "sarif output parses");
    }

    #[test]
    fn almost_jwts_never_panic_and_every_problem_is_a_finding(token in almost_jwt(), now in any::<i64>()) {
        let outputs = judge_and_render(token.as_bytes(), now);
        for (format, output) in FORMATS.iter().zip(&outputs) {
            prop_assert!(!output.contains('\u{1b}'), "{:?} printed a raw escape", format);
        }
        let report: Value = serde_json::from_str(&outputs[1]).unwrap();
        let is_jwt = report["token"]["is_jwt"].as_bool().unwrap();
        let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
        // Not a JWT is always said, as TK001; a JWT gets TK001 only when unsigned.
        let signed = report["token"]["signature"]["present"].as_bool().unwrap();
        if !is_jwt {
            prop_assert!(codes.contains(&"TK001"));
        } else if codes.contains(&"TK001") {
            prop_assert!(!signed);
        }
        for finding in report["findings"].as_array().unwrap() {
            prop_assert!(!finding["message"].as_str().unwrap().is_empty());
            prop_assert!(!finding["help"].as_str().unwrap().is_empty());
        }
    }
}

#[test]
fn extreme_timestamps_never_overflow() {
    let extremes = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
    for exp in extremes {
        for iat in extremes {
            let claims = json!({"iss": "https://a.example", "sub": "s", "aud": "a", "exp": exp, "iat": iat, "nbf": iat});
            let token = format!(
                "{}.{}.c2ln",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            for now in [0, 1_780_315_200, 3_999_999_999] {
                let outputs = judge_and_render(token.as_bytes(), now);
                let report: Value = serde_json::from_str(&outputs[1]).unwrap();
                let lifetime = &report["token"]["lifetime_seconds"];
                assert!(
                    lifetime.is_null() || lifetime.as_i64() == exp.checked_sub(iat),
                    "{exp} {iat}"
                );
            }
        }
    }
}

#[test]
fn empty_input_is_a_tk001_finding() {
    let assert = oidc_doctor()
        .args(["decode", "-"])
        .write_stdin("")
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("The token is empty."), "{stdout}");
}

#[test]
fn binary_garbage_is_a_tk001_finding() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.bin");
    std::fs::write(&path, &garbage).unwrap();
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let out = oidc_doctor()
            .args(["decode", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("TK001"),
            "{format}"
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_ten_megabyte_file_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jwt");
    std::fs::write(&path, "a".repeat(10 * 1024 * 1024)).unwrap();
    let out = oidc_doctor().arg("decode").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");
    assert!(stderr.contains("at most 20,000 characters"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    // The same through standard input.
    let out = oidc_doctor()
        .args(["decode", "-"])
        .write_stdin("b".repeat(10 * 1024 * 1024))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_file_exits_2_without_a_panic() {
    let out = oidc_doctor()
        .args(["decode", "--token-file", "/nonexistent/token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("/nonexistent/token") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// Parses and lints `text` as JSON and as YAML; renders the findings.
fn lint_everything(text: &str) {
    use oidc_doctor::model::documents::{Recognised, recognise_json, recognise_yaml};
    use oidc_doctor::rules::trust_policy::{self, LintOptions};
    let options = LintOptions {
        role_arn: Some("arn:aws:iam::123456789012:role/r".to_owned()),
        ..LintOptions::default()
    };
    for recognised in [
        recognise_json("p.json", text.to_owned()),
        recognise_yaml("p.yaml", text.to_owned()),
    ] {
        if let Recognised::Policies(docs) = recognised {
            let mut report = Report::new("lint", CommandData::None);
            for doc in &docs {
                report.findings.extend(trust_policy::check(doc, &options));
                report.sources.push(oidc_doctor::finding::SourceFile {
                    key: trust_policy::source_key(doc),
                    text: doc.source.text.as_str().into(),
                });
            }
            for format in FORMATS {
                let mut out = Vec::new();
                let options = Options {
                    format,
                    color: false,
                    width: 80,
                };
                output::write_report(&report, &options, &mut out).expect("writing to memory");
            }
        }
    }
}

/// Trust-policy-shaped JSON with values drawn from what the rules look at.
fn policy_like() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("token.actions.githubusercontent.com:sub"),
        Just("token.actions.githubusercontent.com:aud"),
        Just("gitlab.com:sub"),
        Just("oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"),
        Just("aws:PrincipalOrgID"),
        Just("accounts.google.com:aud"),
        Just("cognito-identity.amazonaws.com:amr"),
        Just("x:y:z"),
        Just(""),
    ];
    let operators = prop_oneof![
        Just("StringLike"),
        Just("StringEquals"),
        Just("ForAllValues:StringLike"),
        Just("StringNotEquals"),
        Just("Null"),
        Just("StringLikeIfExists"),
        Just("Bool"),
        Just("StringEqual"),
        Just("ForAnyValue:StringLike"),
    ];
    let values = prop_oneof![
        Just(json!("repo:*")),
        Just(json!("repo:acme*")),
        Just(json!("*")),
        Just(json!(["repo:a/b:*", "repo:*"])),
        Just(json!("system:serviceaccount:*")),
        Just(json!(true)),
        Just(json!([])),
        "\\PC{0,30}".prop_map(Value::String),
        json_value(),
    ];
    let principals = prop_oneof![
        Just(
            json!({"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"})
        ),
        Just(json!({"Federated": ["accounts.google.com", "cognito-identity.amazonaws.com"]})),
        Just(json!({"Federated": "arn:aws-cn:iam::1:oidc-provider/"})),
        Just(json!("*")),
        Just(json!({})),
        json_value(),
    ];
    let condition = btree_map(operators, btree_map(keys, values, 0..3), 0..3);
    (
        principals,
        condition,
        prop_oneof![Just(json!("Allow")), Just(json!("Deny")), json_value()],
        json_value(),
    )
        .prop_map(|(principal, condition, effect, action)| {
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": effect, "Principal": principal, "Action": action, "Condition": condition
            }]})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_recognisers_or_the_rules(text in "\\PC{0,400}") {
        lint_everything(&text);
    }

    #[test]
    fn arbitrary_json_values_never_panic_the_policy_rules(value in json_value()) {
        lint_everything(&value.to_string());
        lint_everything(&json!({"Statement": value}).to_string());
        lint_everything(&json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": value}}}}).to_string());
    }

    #[test]
    fn policy_shaped_inputs_never_panic_the_rules(policy in policy_like()) {
        lint_everything(&policy.to_string());
        lint_everything(&serde_json::to_string_pretty(&policy).unwrap());
    }
}

/// A one-line file whose findings sit past `columns` columns.
fn one_line_template(columns: usize) -> tempfile::NamedTempFile {
    let template = json!({
        "Description": "x".repeat(columns),
        "Resources": {"DeployRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}
            }]}
        }}}
    });
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), template.to_string()).unwrap();
    file
}

#[test]
fn findings_past_column_65535_render_in_every_format_with_a_bounded_snippet() {
    for columns in [70_000, 4_000_000] {
        let file = one_line_template(columns);
        for format in ["human", "json", "sarif", "github", "markdown"] {
            let out = oidc_doctor()
                .args(["lint", "--format", format])
                .arg(file.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{columns} {format}: {stderr}");
            assert!(stderr.is_empty(), "{columns} {format}: {stderr}");
            // A window around each finding, not the megabytes of the line.
            assert!(
                out.stdout.len() < 64 * 1024,
                "{columns} {format}: {} bytes",
                out.stdout.len()
            );
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.contains("TP601"), "{columns} {format}");
            if format == "human" {
                assert!(
                    text.contains("\"token.actions.githubusercontent.com:sub\":\"repo:*\""),
                    "{text}"
                );
                // The header names the real column, past the padding.
                let column: usize = text
                    .split("):1:")
                    .nth(1)
                    .and_then(|rest| rest.split(']').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap();
                assert!(column > columns, "{column}: {text}");
            }
        }
    }
}

#[test]
fn a_long_line_key_set_renders_its_findings() {
    let jwks = json!({"padding": "p".repeat(80_000), "keys": [
        {"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB", "d": "secret"}
    ]});
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), jwks.to_string()).unwrap();
    let out = oidc_doctor()
        .args(["decode", "--jwks"])
        .arg(file.path())
        .arg("fixtures/examples/github-actions.jwt")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("IS013"), "{text}");
    assert!(text.len() < 64 * 1024);
}

#[test]
fn endless_and_oversized_inputs_are_refused_at_their_cap() {
    for args in [
        vec![
            "decode",
            "--jwks",
            "/dev/zero",
            "fixtures/examples/github-actions.jwt",
        ],
        vec![
            "lint",
            "--provider-json",
            "/dev/zero",
            "fixtures/lint/provider.json",
        ],
        vec!["issuer", "https://127.0.0.1:9", "--ca-bundle", "/dev/zero"],
        vec![
            "check",
            "--offline",
            "--policy",
            "/dev/zero",
            "fixtures/examples/github-actions.jwt",
        ],
        vec![
            "check",
            "--offline",
            "--jwks",
            "/dev/zero",
            "fixtures/examples/github-actions.jwt",
        ],
    ] {
        let out = oidc_doctor().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("is larger than"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_pipe_or_a_link_loop_named_as_the_token_says_what_it_is() {
    // `decode <(cat token)`: a pipe the shell names by path.
    let mut child = crate::support::scrubbed(std::process::Command::new(
        assert_cmd::cargo::cargo_bin("oidc-doctor"),
    ))
    .args(["decode", "/dev/stdin"])
    .stdin(std::fs::File::open("fixtures/examples/github-actions.jwt").unwrap())
    .output()
    .unwrap();
    assert_eq!(
        child.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    child.stdout.truncate(200);
    assert!(String::from_utf8_lossy(&child.stdout).contains("Token from file /dev/stdin"));
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let out = oidc_doctor().arg("decode").arg(&a).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr.contains("no such file"), "{stderr}");
    assert!(stderr.contains("symbolic links"), "{stderr}");
}

#[test]
fn an_issuer_argument_that_is_no_url_is_a_usage_error() {
    let out = oidc_doctor()
        .args(["issuer", "not a url"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an issuer URL"));
}

#[test]
fn a_hostile_file_name_reaches_no_human_or_markdown_line_raw() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\n::error::injected\u{202e}.json";
    let path = dir.path().join(name);
    std::fs::write(
        &path,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}]}"#,
    )
    .unwrap();
    let token = dir.path().join("t\n::warning::x.jwt");
    std::fs::copy("fixtures/examples/github-actions.jwt", &token).unwrap();
    for args in [
        vec![
            "lint".into(),
            "--verbose".into(),
            dir.path().display().to_string(),
        ],
        vec!["lint".into(), path.display().to_string()],
        vec!["decode".into(), token.display().to_string()],
    ] {
        for format in ["human", "markdown"] {
            let out = oidc_doctor()
                .args(&args)
                .args(["--format", format])
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            for line in text.lines() {
                assert!(
                    !line.trim_start().starts_with("::"),
                    "{format} {args:?}: {line:?}"
                );
            }
            assert!(!text.contains('\u{202e}'), "{format} {args:?}");
        }
    }
}

#[test]
fn a_text_file_given_as_the_token_is_called_text_not_binary_data() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.yaml");
    std::fs::write(&template, "Resources:\n  Role:\n    Type: AWS::IAM::Role\n").unwrap();
    let out = oidc_doctor()
        .args(["decode", "--format", "json", "--token-file"])
        .arg(&template)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tk001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "TK001")
        .expect("TK001");
    let message = tk001["message"].as_str().unwrap();
    assert!(message.contains("3 lines of text"), "{message}");
    assert!(!message.contains("binary"), "{message}");
    assert!(
        tk001["help"].as_str().unwrap().contains("oidc-doctor lint"),
        "{tk001}"
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused_with_a_yaml_fix() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let p = if level == 1 {
            "a".to_owned()
        } else {
            format!("l{}", level - 1)
        };
        let refs = vec![format!("*{p}"); 10].join(", ");
        let _ = writeln!(bomb, "l{level}: &l{level} [{refs}]");
    }
    bomb.push_str("Resources: {}\n");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, bomb).unwrap();
    let out = oidc_doctor()
        .args(["lint", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tp001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "TP001")
        .unwrap_or_else(|| panic!("TP001: {report}"));
    let help = tp001["help"].as_str().unwrap();
    assert!(help.contains("Fix the YAML"), "{help}");
    assert!(!help.contains("JSON"), "{help}");
}

/// Issuer URLs built from what the look-alike check (TK015) reads: pieces
/// of known hosts, confusable and accented letters, punycode, the
/// characters that end a host, and characters that must never print raw.
fn lookalike_issuer() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("token.actions.githubusercontent.c".to_owned()),
        Just("token.actions.".to_owned()),
        Just(".ghe.com".to_owned()),
        Just("gitlab.c".to_owned()),
        Just("oidc.eks.".to_owned()),
        Just(".amazonaws.com".to_owned()),
        Just("\u{43e}".to_owned()),
        Just("\u{3bf}".to_owned()),
        Just("\u{e9}".to_owned()),
        Just("rn".to_owned()),
        Just("m".to_owned()),
        Just("0".to_owned()),
        Just("xn--".to_owned()),
        Just("xn--cm-fmc".to_owned()),
        Just(".".to_owned()),
        Just(":".to_owned()),
        Just("@".to_owned()),
        Just("/".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{1b}".to_owned()),
        "[a-z0-9-]{1,6}",
        "\\PC{1,3}",
    ];
    (
        prop_oneof![Just("https://"), Just("http://"), Just("")],
        vec(piece, 0..14),
    )
        .prop_map(|(scheme, pieces)| format!("{scheme}{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn look_alike_issuers_never_panic_nor_print_raw_escapes(iss in lookalike_issuer()) {
        let claims = json!({"iss": iss, "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com", "iat": 1_780_315_140, "exp": 1_780_315_440});
        let token = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        for (format, output) in FORMATS.iter().zip(judge_and_render(token.as_bytes(), 1_780_315_200)) {
            prop_assert!(!output.contains('\u{1b}'), "{:?} printed a raw escape", format);
            prop_assert!(!output.contains('\u{202e}'), "{:?} printed a raw bidi override", format);
        }
        let name = iss.strip_prefix("https://").unwrap_or(&iss);
        lint_everything(&json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::123456789012:oidc-provider/{name}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {format!("{name}:sub"): "repo:acme/app:ref:refs/heads/main"}}
        }]}).to_string());
    }
}
