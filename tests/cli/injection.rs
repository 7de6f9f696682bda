//! No untrusted byte reaches a terminal or a CI log raw: control, bidi,
//! zero-width and line-separating characters, and lines a GitHub runner
//! would execute (`::error::...`, or `##[error]` anywhere), fed through every input the tool reads
//! (token claims, file names, policy keys and values, template resource
//! names, issuer documents, STS messages, error paths), in every format.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use oidc_doctor::cli::Format;
use oidc_doctor::model::issuer::{Fetch, HttpResponse, Redirect, Sample};
use oidc_doctor::output::{self, Options};
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::stages::issuer::{self, Probed};
use oidc_doctor::stages::policy::PolicyContext;
use oidc_doctor::stages::policy::files::{FileSelection, lint_files};
use oidc_doctor::stages::token;
use proptest::prelude::*;
use serde_json::json;

use crate::sts_standin::{Answer, StsStandin};
use crate::support::{no_aws_setup, oidc_doctor};

pub const FORMATS: [Format; 5] = [
    Format::Human,
    Format::Json,
    Format::Sarif,
    Format::Github,
    Format::Markdown,
];

/// The characters an attacker would smuggle in, each in a context that
/// would do harm if printed raw.
const PAYLOADS: [&str; 14] = [
    "\n::error::injected",
    "\r\n::add-mask::x",
    "\u{1b}[2J\u{1b}[31m",
    "\u{1b}]0;title\u{7}",
    "\u{202e}niam",
    "\u{2066}x\u{2069}",
    "\u{200b}",
    "\u{feff}",
    "\u{2028}::warning::x",
    "\u{85}::notice::x",
    "`\n```\n# injected",
    "\u{9b}31m",
    "x##[add-mask]secret",
    "##[error]legacy",
];

/// Text with one payload inside.
pub fn hostile() -> impl Strategy<Value = String> {
    (
        "[a-z0-9:/.*-]{0,12}",
        proptest::sample::select(PAYLOADS.to_vec()),
        "[a-z0-9:/.*-]{0,12}",
    )
        .prop_map(|(before, payload, after)| format!("{before}{payload}{after}"))
}

/// Whether `c` may appear raw: line breaks and tabs of the layout only.
fn forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{061c}'
        )
}

/// `report` in every format, as it would be printed without colour.
pub fn render(report: &Report) -> Vec<(Format, String)> {
    FORMATS
        .iter()
        .map(|&format| {
            let mut out = Vec::new();
            let options = Options {
                format,
                color: false,
                width: 100,
            };
            output::write_report(report, &options, &mut out).expect("writing to memory");
            (format, String::from_utf8(out).expect("output is UTF-8"))
        })
        .collect()
}

/// The property itself: no forbidden character raw, no line a runner would
/// execute (in the GitHub format, only its annotations), JSON that parses.
pub fn assert_safe(outputs: &[(Format, String)]) -> Result<(), TestCaseError> {
    for (format, text) in outputs {
        if let Some(c) = text.chars().find(|&c| forbidden(c)) {
            prop_assert!(false, "{:?} printed {:?} raw:\n{}", format, c, text);
        }
        // The runner's older syntax runs wherever it appears in a line.
        prop_assert!(
            !text.contains("##["),
            "{:?} printed a legacy workflow command:\n{}",
            format,
            text
        );
        for line in text.lines() {
            match format {
                Format::Github => prop_assert!(
                    ["::error ", "::warning ", "::notice "]
                        .iter()
                        .any(|c| line.starts_with(c)),
                    "github: a line that is not an annotation: {:?}",
                    line
                ),
                _ => prop_assert!(
                    !line.trim_start().starts_with("::"),
                    "{:?}: a line a CI log would run: {:?}",
                    format,
                    line
                ),
            }
        }
        if matches!(format, Format::Json | Format::Sarif) {
            prop_assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
        }
    }
    Ok(())
}

/// `lint` over `files` (name, contents) in a directory of their own.
fn linted(files: &[(String, String)], context: &PolicyContext) -> Report {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let selection = FileSelection {
        paths: vec![dir.path().to_path_buf()],
        ..FileSelection::default()
    };
    let staged = lint_files(&selection, context).expect("the directory is readable");
    let mut report = Report::of("lint", staged, |mut data| {
        data.verbose = true;
        CommandData::Lint(Box::new(data))
    });
    report.sort_findings();
    report
}

/// A name the file system takes (no `/`, no NUL, not too long) and the walk
/// does not skip as hidden.
fn file_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| if matches!(c, '/' | '\0') { '_' } else { c })
        .take(60)
        .collect();
    format!("p-{name}.json")
}

fn policy(key: &str, value: &str, sid: &str, provider: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::123456789012:oidc-provider/{provider}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringLike": {key: value, "token.actions.githubusercontent.com:sub": value},
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
            }
        }]
    })
}

fn unsigned(claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": "k"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn policy_keys_values_and_file_names_are_shown_escaped(
        key in hostile(), value in hostile(), sid in hostile(), provider in hostile(), name in hostile(),
    ) {
        let text = serde_json::to_string_pretty(&policy(&key, &value, &sid, &provider)).unwrap();
        let token = unsigned(&json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": value, "aud": "sts.amazonaws.com", "iat": 1_767_225_600, "exp": 4_102_444_800_i64,
        }));
        let context = PolicyContext {
            role_arn: Some("arn:aws:iam::123456789012:role/deploy".to_owned()),
            token: oidc_doctor::model::token::parse(token.as_bytes()).jwt().cloned(),
            ..PolicyContext::default()
        };
        let report = linted(&[(file_name(&name), text)], &context);
        prop_assert!(!report.findings.is_empty());
        assert_safe(&render(&report))?;
    }

    #[test]
    fn template_resource_names_are_shown_escaped(resource in hostile(), value in hostile()) {
        let template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                resource.clone(): {
                    "Type": "AWS::IAM::Role",
                    "Properties": {"AssumeRolePolicyDocument": policy(
                        "token.actions.githubusercontent.com:sub", &value, "s", "token.actions.githubusercontent.com",
                    )}
                },
                "Unresolved": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {"AssumeRolePolicyDocument": {"Fn::If": [resource, {}, {}]}}
                }
            }
        });
        let report = linted(
            &[("template.json".to_owned(), serde_json::to_string_pretty(&template).unwrap())],
            &PolicyContext::default(),
        );
        assert_safe(&render(&report))?;
    }

    #[test]
    fn token_claims_are_shown_escaped_by_decode(iss in hostile(), sub in hostile(), aud in hostile(), extra in hostile()) {
        let token = unsigned(&json!({
            "iss": iss, "sub": sub, "aud": [aud], extra.clone(): extra, "iat": 1_767_225_600, "exp": 4_102_444_800_i64,
        }));
        let now = Timestamp::from_second(1_780_315_200).unwrap();
        let data = token::analyse(token.as_bytes(), format!("file {extra}"), now, true);
        let mut report = Report::new("decode", CommandData::None);
        report.findings = oidc_doctor::rules::token::check(&data.token, now);
        report.data = CommandData::Decode(Box::new(data));
        report.sort_findings();
        assert_safe(&render(&report))?;
    }

    #[test]
    fn issuer_documents_are_shown_escaped(issuer_field in hostile(), jwks_uri in hostile(), kid in hostile(), header in hostile()) {
        let url = "https://issuer.example".to_owned();
        let discovery = json!({"issuer": issuer_field, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": [kid.clone()]});
        let jwks = json!({"keys": [{"kty": kid, "kid": kid, "use": "enc", "n": "AQAB", "e": "AQAB"}]});
        let served = |url: &str, body: serde_json::Value| Fetch {
            url: url.to_owned(),
            redirects: vec![Redirect { from: url.to_owned(), status: 302, location: header.clone() }],
            result: Ok(HttpResponse {
                status: 200,
                headers: vec![("cache-control".to_owned(), header.clone()), ("content-type".to_owned(), header.clone())],
                body: body.to_string().into_bytes(),
                truncated: false,
            }),
            first_byte: Some(Duration::from_millis(5)),
            total: Duration::from_millis(6),
        };
        let sample = Sample {
            index: 1,
            discovery: served(&format!("{url}/.well-known/openid-configuration"), discovery),
            offset: Duration::ZERO,
            discovery_probe: None,
            jwks: Some(served(&jwks_uri, jwks)),
            jwks_probe: None,
        };
        let judged = issuer::judge(
            Probed {
                url,
                samples: vec![sample],
                burst_asked: false,
                burst: None,
                elapsed: Duration::from_millis(20),
                timeout: Duration::from_secs(5),
            },
            Timestamp::from_second(1_780_315_200).unwrap(),
            None,
        );
        let report = Report::of("issuer", judged, |data| CommandData::Issuer(Box::new(data)));
        prop_assert!(!report.findings.is_empty());
        assert_safe(&render(&report))?;
    }
}

/// STS's message and code, through `assume` in every format (the real
/// binary against the stand-in, one run per payload and format).
#[test]
fn sts_messages_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let token = crate::support::github_token_file(dir.path());
    for payload in PAYLOADS {
        let sts = StsStandin::start(vec![
            Answer::error(
                400,
                &format!("InvalidIdentityToken{payload}"),
                &format!("bad {payload} token"),
            ),
            Answer::error(403, "AccessDenied", &format!("Not authorized {payload}")),
        ]);
        let mut outputs = Vec::new();
        for format in FORMATS {
            let out = oidc_doctor()
                .envs(no_aws_setup(dir.path()))
                .env("AWS_ENDPOINT_URL_STS", sts.url())
                .args([
                    "assume",
                    "--role-arn",
                    "arn:aws:iam::123456789012:role/deploy",
                ])
                .args(["--max-attempts", "1", "--format"])
                .arg(format!("{format:?}").to_lowercase())
                .arg("--token-file")
                .arg(&token)
                .output()
                .unwrap();
            let stdout = String::from_utf8(out.stdout).unwrap();
            assert!(stdout.contains("AS"), "{format:?}: {stdout}");
            outputs.push((format, stdout));
            outputs.push((Format::Human, String::from_utf8(out.stderr).unwrap()));
        }
        assert_safe(&outputs).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    }
}

/// An error that stops a command quotes what it could not read: a path
/// with a payload in it is shown escaped too.
#[test]
fn paths_in_errors_are_shown_escaped() {
    for payload in PAYLOADS {
        for args in [
            vec!["decode".to_owned(), "--token-file".to_owned()],
            vec!["lint".to_owned()],
            vec![
                "check".to_owned(),
                "--offline".to_owned(),
                "--token-file".to_owned(),
            ],
        ] {
            let out = oidc_doctor()
                .args(&args)
                .arg(format!("/nonexistent/x{payload}.json"))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?} {payload:?}");
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(stderr.contains("/nonexistent/x"), "{stderr}");
            assert_safe(&[(Format::Human, stderr)])
                .unwrap_or_else(|e| panic!("{args:?} {payload:?}: {e}"));
        }
    }
}

/// A usage error quotes the bad argument: it passes the same gate.
#[test]
fn arguments_quoted_by_usage_errors_are_shown_escaped() {
    for payload in PAYLOADS {
        let out = oidc_doctor()
            .args(["decode", "--format"])
            .arg(format!("x{payload}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{payload:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("invalid value"), "{stderr}");
        assert_safe(&[(Format::Human, stderr)]).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    }
}

/// `check`'s progress lines reach a CI log as they are written: a hostile
/// `sub` in the token passes the same gate there.
#[test]
fn progress_lines_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    for payload in PAYLOADS {
        let token = dir.path().join("token.jwt");
        std::fs::write(
            &token,
            unsigned(&json!({
                "iss": format!("https://issuer.example/{payload}"),
                "sub": format!("repo:acme/app:{payload}"),
                "aud": "sts.amazonaws.com",
                "iat": 1_767_225_600,
                "exp": 4_102_444_800_i64,
            })),
        )
        .unwrap();
        let out = oidc_doctor()
            .args(["check", "--offline", "--format", "json"])
            .args(["--role-arn", "arn:aws:iam::123456789012:role/deploy"])
            .arg("--policy")
            .arg(crate::support::fixture("examples/check/trust-policy.json"))
            .arg("--token-file")
            .arg(&token)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("token:"), "progress lines: {stderr}");
        assert!(stderr.contains("sub repo:acme/app:"), "{stderr}");
        assert_safe(&[(Format::Human, stderr)]).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    }
}
