//! `lint` and `check` point to `policy`: a finding whose fix is to pin
//! `sub` shows the `oidc-doctor policy` command line that writes it, for
//! the token given (by the flag that reads it, never the token) or for the
//! caller the policy's values name; run with its placeholders filled, that
//! command writes a policy `lint` finds nothing above info in.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{fixture, oidc_doctor, signed_token};

const CIRCLE_ORG: &str = "3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8";
const BB_WORKSPACE: &str = "11111111-2222-4333-8444-555555555555";
const EKS_NAME: &str = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

/// A one-statement trust policy for `provider` (a name) with `condition`.
fn policy(provider: &str, condition: &Value) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::123456789012:oidc-provider/{provider}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }]
    })
}

/// `lint --format json [extra] FILE`: the report.
fn lint(file: &Path, extra: &[&str]) -> Value {
    let run = oidc_doctor()
        .args(["lint", "--format", "json", "--fail-on", "never"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

/// Every `oidc-doctor policy ...` command line the findings' help shows.
fn commands(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let help = f["help"].as_str()?;
            let (_, rest) = help.split_once("`oidc-doctor policy ")?;
            let (command, _) = rest.split_once('`')?;
            Some((
                f["code"].as_str()?.to_owned(),
                format!("oidc-doctor policy {command}"),
            ))
        })
        .collect()
}

/// Policy findings above info.
fn above_info(report: &Value) -> Vec<String> {
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

/// Runs a printed command line (plain words, no quoting) and saves what it writes.
fn run_printed(command: &str, out: &Path) {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["oidc-doctor", "policy"], "{command}");
    let run = oidc_doctor().args(&words[1..]).output().unwrap();
    assert!(
        run.status.success(),
        "`{command}`: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::write(out, run.stdout).unwrap();
}

/// A policy's provider and condition, the rule that flags it, the
/// command's caller flags, and the placeholders filled to run it.
type Remedy = (
    String,
    Value,
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn lint_shows_the_policy_command_and_it_writes_a_clean_policy() {
    let github = "token.actions.githubusercontent.com";
    let bitbucket = "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc";
    let circleci = format!("oidc.circleci.com/org/{CIRCLE_ORG}");
    let cases: Vec<Remedy> = vec![
        (
            github.to_owned(),
            json!({"StringEquals": {format!("{github}:aud"): "sts.amazonaws.com"},
                   "StringLike": {format!("{github}:sub"): "repo:acme/*"}}),
            "TP604",
            "--github acme/REPO --branch main".to_owned(),
            vec![("REPO", "app")],
        ),
        (
            github.to_owned(),
            json!({"StringEquals": {format!("{github}:aud"): "sts.amazonaws.com"}}),
            "TP502",
            "--github OWNER/REPO --branch main".to_owned(),
            vec![("OWNER", "acme"), ("REPO", "app")],
        ),
        (
            github.to_owned(),
            json!({"StringEquals": {format!("{github}:aud"): "sts.amazonaws.com"},
                   "StringLike": {format!("{github}:sub"): "repo:*:environment:prod"}}),
            "TP601",
            "--github OWNER/REPO --environment prod".to_owned(),
            vec![("OWNER", "acme"), ("REPO", "app")],
        ),
        (
            "gitlab.com".to_owned(),
            json!({"StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
                   "StringLike": {"gitlab.com:sub": "project_path:*:ref_type:branch:ref:main"}}),
            "TP601",
            "--gitlab GROUP/PROJECT --ref main --audience https://gitlab.com".to_owned(),
            vec![("GROUP/PROJECT", "acme/app")],
        ),
        (
            "gitlab.com".to_owned(),
            json!({"StringEquals": {"gitlab.com:aud": "sts.amazonaws.com"},
                   "StringLike": {"gitlab.com:sub": "project_path:acme/*"}}),
            "TP604",
            "--gitlab acme/PROJECT --ref main".to_owned(),
            vec![("PROJECT", "app")],
        ),
        (
            "agent.buildkite.com".to_owned(),
            json!({"StringEquals": {"agent.buildkite.com:aud": "sts.amazonaws.com"}}),
            "TP502",
            "--buildkite ORG/PIPELINE --branch main".to_owned(),
            vec![("ORG/PIPELINE", "acme/deploy")],
        ),
        (
            circleci.clone(),
            json!({"StringEquals": {format!("{circleci}:aud"): CIRCLE_ORG}}),
            "TP504",
            format!("--circleci {CIRCLE_ORG} --project-id PROJECT_ID"),
            vec![("PROJECT_ID", "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")],
        ),
        (
            bitbucket.to_owned(),
            json!({"StringEquals": {
                format!("{bitbucket}:aud"): format!("ari:cloud:bitbucket::workspace/{BB_WORKSPACE}")}}),
            "TP504",
            format!(
                "--bitbucket acme --workspace-uuid {BB_WORKSPACE} --repository-uuid REPOSITORY_UUID"
            ),
            vec![("REPOSITORY_UUID", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")],
        ),
        (
            EKS_NAME.to_owned(),
            json!({}),
            "TP501",
            format!("--eks https://{EKS_NAME} --service-account NAMESPACE/NAME"),
            vec![("NAMESPACE/NAME", "payments/api")],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (provider, condition, code, flags, fills)) in cases.into_iter().enumerate() {
        let bad = dir.path().join(format!("bad-{i}.json"));
        std::fs::write(&bad, policy(&provider, &condition).to_string()).unwrap();
        let report = lint(&bad, &[]);
        let expected = format!("oidc-doctor policy {flags} --account 123456789012");
        let shown = commands(&report);
        assert!(
            shown.iter().any(|(c, line)| c == code && *line == expected),
            "{code}: wants `{expected}`, shows {shown:?}"
        );
        let mut filled = expected.clone();
        for (placeholder, value) in fills {
            filled = filled.replace(placeholder, value);
        }
        let written = dir.path().join(format!("fixed-{i}.json"));
        run_printed(&filled, &written);
        let fixed = lint(&written, &[]);
        assert!(above_info(&fixed).is_empty(), "`{filled}`: {fixed}");
    }
}

fn github_token(dir: &Path) -> (std::path::PathBuf, String) {
    let now = jiff::Timestamp::now().as_second();
    let token = signed_token(
        "test-rsa",
        &json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "iat": now, "nbf": now, "exp": now + 3600,
        }),
    );
    let path = dir.join("token.jwt");
    std::fs::write(&path, &token).unwrap();
    (path, token)
}

#[test]
fn with_a_token_the_command_reads_the_token_again_and_never_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let (token_path, token) = github_token(dir.path());
    let github = "token.actions.githubusercontent.com";
    let bad = dir.path().join("bad.json");
    let condition = json!({"StringEquals": {format!("{github}:aud"): "sts.amazonaws.com"},
                           "StringLike": {format!("{github}:sub"): "repo:*"}});
    std::fs::write(&bad, policy(github, &condition).to_string()).unwrap();
    let signature = token.rsplit('.').next().unwrap();

    // From a file: the same file, given to `policy`.
    let path = token_path.to_str().unwrap();
    let report = lint(&bad, &["--token-file", path]);
    let expected = format!("oidc-doctor policy --token-file {path} --account 123456789012");
    assert!(
        commands(&report)
            .iter()
            .any(|(code, line)| code == "TP601" && *line == expected),
        "wants `{expected}`: {report}"
    );
    assert!(!report.to_string().contains(signature));
    let written = dir.path().join("fixed.json");
    run_printed(&expected, &written);
    let fixed = lint(&written, &["--token-file", path]);
    assert!(above_info(&fixed).is_empty(), "{fixed}");
    assert_eq!(
        fixed["evaluation"]["policies"][0]["allowed"], true,
        "{fixed}"
    );

    // From a variable: its name.
    let run = oidc_doctor()
        .env("ID_TOKEN", &token)
        .args(["lint", "--format", "json", "--fail-on", "never"])
        .args(["--token-env", "ID_TOKEN"])
        .arg(&bad)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(
        commands(&report)
            .iter()
            .any(|(_, line)| line
                == "oidc-doctor policy --token-env ID_TOKEN --account 123456789012"),
        "{report}"
    );

    // Given inline: the token's own caller, described; the token is never repeated.
    let run = oidc_doctor()
        .args(["lint", "--fail-on", "never", "--token", &token])
        .arg(&bad)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains(
            "`oidc-doctor policy --github acme/app --branch main --account 123456789012`"
        ),
        "{text}"
    );
    assert!(!text.contains(signature), "{text}");
}

#[test]
fn check_points_to_the_policy_command_too() {
    let dir = tempfile::tempdir().unwrap();
    let github = "token.actions.githubusercontent.com";
    let bad = dir.path().join("trust-policy.json");
    let condition = json!({"StringEquals": {format!("{github}:aud"): "sts.amazonaws.com"},
                           "StringLike": {format!("{github}:sub"): "repo:*"}});
    std::fs::write(&bad, policy(github, &condition).to_string()).unwrap();
    let token = fixture("examples/check/token.jwt");
    let run = oidc_doctor()
        .args([
            "check",
            "--offline",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg("--token-file")
        .arg(&token)
        .args(["--role-arn", "arn:aws:iam::123456789012:role/deploy"])
        .arg("--policy")
        .arg(&bad)
        .arg("--provider-json")
        .arg(fixture("examples/check/provider.json"))
        .arg("--jwks")
        .arg(fixture("keys/test-jwks.json"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let expected = format!(
        "oidc-doctor policy --token-file {} --account 123456789012",
        token.display()
    );
    assert!(
        commands(&report)
            .iter()
            .any(|(code, line)| code == "TP601" && *line == expected),
        "wants `{expected}`: {report}"
    );
}
