//! `policy`: what it writes passes `lint` (nothing above info), admits the
//! token it was written for and refuses a stranger's, for every issuer
//! family and every context; each output format reads back.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{codes, oidc_doctor, signed_token};

const ACCOUNT: &str = "123456789012";
const EKS: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

/// Claims of a token from `iss` for `sub` and `aud`, valid for an hour, plus `extra`.
fn claims(iss: &str, sub: &str, aud: &str, extra: &Value) -> Value {
    let now = jiff::Timestamp::now().as_second();
    let mut claims = json!({
        "iss": iss, "sub": sub, "aud": aud,
        "iat": now, "nbf": now, "exp": now + 3600,
    });
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    claims
}

/// One caller: the `policy` arguments, the claims of its token, and
/// strangers' claims the policy must refuse.
struct Case {
    args: &'static [&'static str],
    admitted: Value,
    strangers: Vec<Value>,
}

fn github(sub: &str) -> Value {
    claims(
        "https://token.actions.githubusercontent.com",
        sub,
        "sts.amazonaws.com",
        &json!({"repository_owner_id": "11", "repository_id": "22"}),
    )
}

fn gitlab(sub: &str, environment: &str) -> Value {
    claims(
        "https://gitlab.com",
        sub,
        "sts.amazonaws.com",
        &json!({"environment": environment}),
    )
}

fn terraform(sub: &str) -> Value {
    claims(
        "https://app.terraform.io",
        sub,
        "aws.workload.identity",
        &json!({}),
    )
}

fn eks(sub: &str) -> Value {
    claims(EKS, sub, "sts.amazonaws.com", &json!({}))
}

fn github_cases() -> Vec<Case> {
    vec![
        Case {
            args: &["--github", "acme/app", "--branch", "main"],
            admitted: github("repo:acme/app:ref:refs/heads/main"),
            strangers: vec![
                github("repo:evil/app:ref:refs/heads/main"),
                github("repo:acme/other:ref:refs/heads/main"),
                github("repo:acme/app:ref:refs/heads/feature"),
                github("repo:acme/app:pull_request"),
            ],
        },
        Case {
            args: &["--github", "acme/app", "--tag", "v1.2.0"],
            admitted: github("repo:acme/app:ref:refs/tags/v1.2.0"),
            strangers: vec![
                github("repo:acme/app:ref:refs/tags/v1.2.1"),
                github("repo:evil/app:ref:refs/tags/v1.2.0"),
            ],
        },
        Case {
            args: &["--github", "acme/app", "--environment", "prod"],
            admitted: github("repo:acme/app:environment:prod"),
            strangers: vec![
                github("repo:acme/app:environment:staging"),
                github("repo:evil/app:environment:prod"),
            ],
        },
        Case {
            args: &[
                "--github",
                "acme/app",
                "--environment",
                "prod",
                "--github-ids",
                "11/22",
            ],
            admitted: github("repo:acme/app:environment:prod"),
            strangers: vec![
                // The name re-registered by someone else: same sub, other ids.
                claims(
                    "https://token.actions.githubusercontent.com",
                    "repo:acme/app:environment:prod",
                    "sts.amazonaws.com",
                    &json!({"repository_owner_id": "99", "repository_id": "98"}),
                ),
                github("repo:evil/app:environment:prod"),
            ],
        },
    ]
}

fn other_cases() -> Vec<Case> {
    vec![
        Case {
            args: &["--gitlab", "acme/infra/app", "--ref", "main"],
            admitted: gitlab(
                "project_path:acme/infra/app:ref_type:branch:ref:main",
                "prod",
            ),
            strangers: vec![
                gitlab(
                    "project_path:evil/infra/app:ref_type:branch:ref:main",
                    "prod",
                ),
                gitlab(
                    "project_path:acme/infra/app:ref_type:branch:ref:dev",
                    "prod",
                ),
                gitlab("project_path:acme/infra/app:ref_type:tag:ref:main", "prod"),
            ],
        },
        Case {
            args: &[
                "--gitlab",
                "acme/app",
                "--ref",
                "v2",
                "--ref-type",
                "tag",
                "--environment",
                "prod",
            ],
            admitted: gitlab("project_path:acme/app:ref_type:tag:ref:v2", "prod"),
            strangers: vec![
                gitlab("project_path:acme/app:ref_type:tag:ref:v2", "staging"),
                gitlab("project_path:evil/app:ref_type:tag:ref:v2", "prod"),
            ],
        },
        Case {
            args: &["--terraform-cloud", "acme/infra/prod"],
            admitted: terraform("organization:acme:project:infra:workspace:prod:run_phase:apply"),
            strangers: vec![
                terraform("organization:evil:project:infra:workspace:prod:run_phase:apply"),
                terraform("organization:acme:project:infra:workspace:dev:run_phase:plan"),
            ],
        },
        Case {
            args: &[
                "--terraform-cloud",
                "acme/infra/prod",
                "--run-phase",
                "plan",
            ],
            admitted: terraform("organization:acme:project:infra:workspace:prod:run_phase:plan"),
            strangers: vec![terraform(
                "organization:acme:project:infra:workspace:prod:run_phase:apply",
            )],
        },
        Case {
            args: &["--eks", EKS, "--service-account", "payments/api"],
            admitted: eks("system:serviceaccount:payments:api"),
            strangers: vec![
                eks("system:serviceaccount:default:api"),
                eks("system:serviceaccount:payments:worker"),
            ],
        },
    ]
}

fn cases() -> Vec<Case> {
    let mut cases = github_cases();
    cases.extend(other_cases());
    cases
}

/// `policy ARGS --account ACCOUNT [--output FORMAT]`: its standard output.
fn written(args: &[&str], output: &str) -> String {
    let run = oidc_doctor()
        .arg("policy")
        .args(args)
        .args(["--account", ACCOUNT, "--output", output])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

/// `lint FILE --token-file TOKEN --format json`: the report.
fn lint(file: &Path, token: Option<&Path>) -> Value {
    let mut command = oidc_doctor();
    command
        .args(["lint", "--format", "json", "--fail-on", "never"])
        .arg(file);
    if let Some(token) = token {
        command.arg("--token-file").arg(token);
    }
    let run = command.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

/// The policy findings above info (token findings are the token's business).
fn policy_findings_above_info(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .filter_map(|f| f["code"].as_str())
        .filter(|code| code.starts_with("TP") || code.starts_with("EV") || code.starts_with("PV"))
        .map(str::to_owned)
        .collect()
}

fn token_file(dir: &Path, name: &str, claims: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, signed_token("test-rsa", claims)).unwrap();
    path
}

#[test]
fn every_family_and_context_passes_lint_and_admits_only_its_caller() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let policy = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&policy, written(case.args, "json")).unwrap();
        let alone = lint(&policy, None);
        assert!(
            policy_findings_above_info(&alone).is_empty(),
            "{:?}: {alone}",
            case.args
        );

        let token = token_file(dir.path(), &format!("token-{i}.jwt"), &case.admitted);
        let report = lint(&policy, Some(&token));
        assert!(
            policy_findings_above_info(&report).is_empty(),
            "{:?} refuses its own token: {report}",
            case.args
        );
        assert_eq!(
            report["evaluation"]["policies"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );

        for (j, stranger) in case.strangers.iter().enumerate() {
            let token = token_file(dir.path(), &format!("stranger-{i}-{j}.jwt"), stranger);
            let report = lint(&policy, Some(&token));
            assert!(
                codes(&report).contains(&"EV001".to_owned()),
                "{:?} admits {stranger}: {report}",
                case.args
            );
        }
    }
}

#[test]
fn a_policy_for_a_token_admits_exactly_it() {
    let dir = tempfile::tempdir().unwrap();
    let admitted = [
        github("repo:acme/app:ref:refs/heads/main"),
        gitlab("project_path:acme/app:ref_type:branch:ref:main", "prod"),
        terraform("organization:acme:project:infra:workspace:prod:run_phase:apply"),
        eks("system:serviceaccount:payments:api"),
    ];
    for (i, claims) in admitted.iter().enumerate() {
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), claims);
        let text = written(&["--token-file", token.to_str().unwrap()], "json");
        let policy = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&policy, &text).unwrap();
        let report = lint(&policy, Some(&token));
        assert!(policy_findings_above_info(&report).is_empty(), "{report}");
        let mut stranger = claims.clone();
        let sub = stranger["sub"]
            .as_str()
            .unwrap()
            .replace("acme", "evil")
            .replace("payments", "default");
        stranger["sub"] = Value::String(sub);
        let other = token_file(dir.path(), &format!("stranger-{i}.jwt"), &stranger);
        let report = lint(&policy, Some(&other));
        assert!(codes(&report).contains(&"EV001".to_owned()), "{report}");
    }
}

#[test]
fn a_pattern_or_a_context_a_rule_flags_is_refused_naming_the_rule() {
    for (args, code) in [
        (&["--github", "acme/app", "--pull-request"][..], "TP606"),
        (&["--github", "acme/app", "--branch", "*"][..], "TP607"),
        (
            &["--github", "acme/app", "--branch", "release/*"][..],
            "TP607",
        ),
    ] {
        let run = oidc_doctor()
            .arg("policy")
            .args(args)
            .args(["--account", ACCOUNT])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(run.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(code), "{args:?}: {stderr}");
    }
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    for args in [
        &["--github", "acme", "--branch", "main", "--account", ACCOUNT][..],
        &["--github", "acme/app", "--account", ACCOUNT][..],
        &["--gitlab", "acme/app", "--account", ACCOUNT][..],
        &[
            "--github",
            "acme/app",
            "--branch",
            "main",
            "--account",
            "12",
        ][..],
        &["--github", "acme/app", "--branch", "main"][..],
        &[
            "--github",
            "acme/app",
            "--branch",
            "main",
            "--provider-arn",
            "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
        ][..],
    ] {
        let run = oidc_doctor().arg("policy").args(args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn cloudformation_output_reads_back_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let text = written(case.args, "cloudformation");
        oidc_doctor::model::yaml::parse(text.clone()).unwrap();
        let path = dir.path().join(format!("template-{i}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), &case.admitted);
        let report = lint(&path, Some(&token));
        assert_eq!(
            report["evaluation"]["policies"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
        assert!(policy_findings_above_info(&report).is_empty(), "{report}");
    }
}

#[test]
fn terraform_output_is_balanced_and_has_the_blocks() {
    for case in cases() {
        let text = written(case.args, "terraform");
        let mut depth = 0i32;
        let mut in_string = false;
        let mut escaped = false;
        for c in text.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_string = !in_string,
                (false, _, '{' | '[') => depth += 1,
                (false, _, '}' | ']') => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{text}");
        }
        assert_eq!((depth, in_string), (0, false), "{text}");
        for block in [
            "data \"aws_iam_policy_document\" \"trust\" {",
            "  statement {",
            "    principals {",
            "    condition {",
            "resource \"aws_iam_role\" \"this\" {",
            "assume_role_policy = data.aws_iam_policy_document.trust.json",
        ] {
            assert!(text.contains(block), "{block}:\n{text}");
        }
    }
}

#[test]
fn snapshots_of_each_format() {
    let args = [
        "--github",
        "acme/app",
        "--environment",
        "prod",
        "--github-ids",
        "11/22",
    ];
    let json: Value = serde_json::from_str(&written(&args, "json")).unwrap();
    insta::assert_snapshot!("policy_json", serde_json::to_string_pretty(&json).unwrap());
    insta::assert_snapshot!("policy_terraform", written(&args, "terraform"));
    insta::assert_snapshot!("policy_cloudformation", written(&args, "cloudformation"));
}
