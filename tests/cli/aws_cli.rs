//! `provider`, `scan` and `assume` against moto's IAM and STS, seeded by each
//! test with its own providers and roles (unique names: the emulator is
//! shared), and the in-process HTTPS issuer for the thumbprint checks.

use serde_json::{Value, json};

use crate::aws_emulator::{ACCOUNT, Moto, moto, trust_policy, unique};
use crate::support::{claims, codes, no_aws_setup, oidc_doctor, signed_token};
use crate::test_issuer::{Behaviour, TestIssuer};

fn run_json(mut cmd: assert_cmd::Command) -> (Value, std::process::Output) {
    let output = cmd.args(["--format", "json"]).output().unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output)
}

fn message<'a>(report: &'a Value, code: &str) -> &'a str {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))["message"]
        .as_str()
        .unwrap()
}

fn provider_name(url: &str) -> &str {
    url.strip_prefix("https://").unwrap_or(url)
}

/// The SHA-1 IAM would register for the issuer's top intermediate.
fn top_thumbprint(issuer: &TestIssuer) -> String {
    crate::issuer_cli::hex_sha1(&issuer.intermediate_der())
}

struct Seeded {
    issuer: TestIssuer,
    provider_arn: String,
    role_name: String,
    role_arn: String,
    token: String,
    dir: tempfile::TempDir,
}

/// A provider for a live local issuer and a role under `/ci/` trusting it.
fn seed(moto: &Moto, client_ids: &[&str], thumbprints: &[String], aud: &str) -> Seeded {
    let issuer = TestIssuer::start(Behaviour {
        // Ports are reused within a run; the path keeps each provider URL new.
        path_prefix: unique("issuer"),
        ..Behaviour::default()
    });
    let thumbprints: Vec<&str> = thumbprints.iter().map(String::as_str).collect();
    let provider_arn = moto.replace_provider(&issuer.url(), client_ids, &thumbprints);
    let name = provider_name(&issuer.url()).to_owned();
    let role_name = unique("deploy");
    let role_arn = moto.create_role(
        &role_name,
        "/ci/",
        &trust_policy(
            &provider_arn,
            &json!({"StringEquals": {
                format!("{name}:aud"): aud,
                format!("{name}:sub"): "repo:acme/app:ref:refs/heads/main",
            }}),
        ),
        Some(3600),
    );
    let token = signed_token("test-rsa", &claims(&issuer.url(), 3600));
    Seeded {
        issuer,
        provider_arn,
        role_name,
        role_arn,
        token,
        dir: tempfile::tempdir().unwrap(),
    }
}

fn provider_command(
    moto: &Moto,
    seeded: &Seeded,
    role_arn: &str,
    extra: &[&str],
) -> assert_cmd::Command {
    let mut cmd = moto.command(seeded.dir.path());
    cmd.args(["provider", "--role-arn", role_arn, "--ca-bundle"])
        .arg(seeded.issuer.ca_bundle())
        .args(extra)
        .arg(&seeded.token);
    cmd
}

#[test]
fn provider_reads_iam_and_finds_nothing_wrong_with_a_correct_setup() {
    let moto = moto();
    let seeded = seed(&moto, &["sts.amazonaws.com"], &[], "sts.amazonaws.com");
    // Each test issuer makes its own CA: register this one's thumbprint.
    let live = top_thumbprint(&seeded.issuer);
    block_on_update_thumbprint(&moto, &seeded.provider_arn, &live);
    let (report, output) = run_json(provider_command(&moto, &seeded, &seeded.role_arn, &[]));
    let pv: Vec<String> = codes(&report)
        .into_iter()
        .filter(|c| c.starts_with("PV"))
        .collect();
    assert!(pv.is_empty(), "{report:#}");
    let provider = &report["provider"];
    assert_eq!(provider["account"], ACCOUNT);
    assert_eq!(provider["provider"]["arn"], seeded.provider_arn.as_str());
    assert_eq!(
        provider["provider"]["client_ids"],
        json!(["sts.amazonaws.com"])
    );
    assert_eq!(provider["role"]["path"], "/ci/");
    assert_eq!(provider["role"]["max_session_duration"], 3600);
    assert_eq!(provider["tls"][0]["thumbprint"], live.as_str());
    assert_eq!(provider["allowed"], true, "{report:#}");
    assert!(
        provider["endpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    // The one finding is the test issuer's own: plain http on 127.0.0.1
    // (TK010), which a real issuer never is; it alone sets the exit code.
    assert_eq!(codes(&report), ["TK010"], "{report:#}");
    assert_eq!(output.status.code(), Some(1));
}

fn block_on_update_thumbprint(moto: &Moto, arn: &str, thumbprint: &str) {
    crate::aws_emulator::block_on(
        moto.iam()
            .update_open_id_connect_provider_thumbprint()
            .open_id_connect_provider_arn(arn)
            .thumbprint_list(thumbprint)
            .send(),
    )
    .expect("UpdateOpenIDConnectProviderThumbprint");
}

#[test]
fn provider_names_each_mismatch_between_token_iam_and_the_issuer() {
    let moto = moto();
    let wrong = "0000000000000000000000000000000000000000".to_owned();
    let seeded = seed(&moto, &["other-client"], &[wrong], "sts.amazonaws.com");
    // The caller forgets the role's path and asks for more than the maximum.
    let pathless = format!("arn:aws:iam::{ACCOUNT}:role/{}", seeded.role_name);
    let (report, output) = run_json(provider_command(
        &moto,
        &seeded,
        &pathless,
        &["--duration", "7200"],
    ));
    assert_eq!(output.status.code(), Some(1));
    let found = codes(&report);
    for code in ["PV002", "PV003", "PV004", "PV006", "PV007"] {
        assert!(
            found.contains(&code.to_owned()),
            "{code} missing: {found:?}"
        );
    }
    assert!(message(&report, "PV002").contains("`sts.amazonaws.com` is not in the client ID list"));
    assert!(message(&report, "PV004").contains(&top_thumbprint(&seeded.issuer)));
    assert!(message(&report, "PV006").contains("path `/ci/`"));
    assert!(message(&report, "PV007").contains("MaxSessionDuration of 3600 s"));
}

#[test]
fn provider_names_the_nearest_provider_when_none_matches() {
    let moto = moto();
    let host = format!("{}.example.test", unique("idp"));
    moto.create_provider(&format!("https://{host}/"), &["sts.amazonaws.com"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.args([
            "provider",
            "--no-issuer-probe",
            "--issuer",
            &format!("https://{host}"),
        ]);
        cmd
    });
    let text = message(&report, "PV001");
    assert!(text.contains(&format!("`{host}/`")), "{text}");
    assert!(text.contains("trailing `/`"), "{text}");
}

#[test]
fn provider_flags_a_role_that_trusts_another_provider() {
    let moto = moto();
    let seeded = seed(&moto, &["sts.amazonaws.com"], &[], "sts.amazonaws.com");
    let other = moto.create_provider(
        &format!("https://{}.example.test", unique("old-cluster")),
        &["sts.amazonaws.com"],
        &[],
    );
    let role_name = unique("stale");
    let role_arn = moto.create_role(&role_name, "/", &trust_policy(&other, &json!({})), None);
    let (report, _) = run_json(provider_command(
        &moto,
        &seeded,
        &role_arn,
        &["--no-issuer-probe"],
    ));
    let text = message(&report, "PV005");
    assert!(
        text.contains(&seeded.provider_arn) && text.contains(&other),
        "{text}"
    );
}

#[test]
fn provider_and_scan_without_credentials_exit_3_with_a_hint() {
    // No emulator needed: the tool stops before any request.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "provider",
            "--issuer",
            "https://token.actions.githubusercontent.com",
        ],
        vec!["scan"],
    ] {
        let output = oidc_doctor()
            .envs(no_aws_setup(dir.path()))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("needs AWS credentials"), "{stderr}");
        assert!(stderr.contains("AWS_PROFILE"), "{stderr}");
    }
}

/// The role ARNs a scan report lists.
fn scanned(report: &Value) -> Vec<String> {
    report["scan"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["arn"].as_str().unwrap().to_owned())
        .collect()
}

/// Where the findings of one code point (role ARNs, for scan).
fn paths_of(report: &Value, code: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["location"]["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn scan_lints_every_web_identity_role_and_only_those() {
    let moto = moto();
    let host = format!("{}.example.test", unique("scan"));
    let provider = moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let sub = format!("{host}:sub");
    let aud = format!("{host}:aud");
    let good = moto.create_role(
        &unique("good"),
        "/",
        &trust_policy(&provider, &json!({"StringEquals": {&aud: "sts.amazonaws.com", &sub: "system:serviceaccount:ns:app"}})),
        None,
    );
    let open = moto.create_role(
        &unique("open"),
        "/",
        &trust_policy(&provider, &json!({"StringLike": {&sub: "*"}})),
        None,
    );
    let unregistered = moto.create_role(
        &unique("aud"),
        "/",
        &trust_policy(&provider, &json!({"StringEquals": {&aud: "not-registered", &sub: "system:serviceaccount:ns:app"}})),
        None,
    );
    let service = moto.create_role(
        &unique("lambda"),
        "/",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        None,
    );
    let missing = format!(
        "arn:aws:iam::{ACCOUNT}:oidc-provider/{}.example.test",
        unique("gone")
    );
    let orphan = moto.create_role(
        &unique("orphan"),
        "/",
        &trust_policy(&missing, &json!({"StringEquals": {"x:sub": "y"}})),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    // Restricted to the one issuer: exactly its three roles.
    let (report, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.args(["scan", "--provider", &format!("https://{host}")]);
        cmd
    });
    let mut listed = scanned(&report);
    listed.sort();
    let mut expected = vec![good.clone(), open.clone(), unregistered.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let at = |code: &str| paths_of(&report, code);
    // An issuer oidc-doctor does not know is judged as single-tenant.
    assert_eq!(at("TP504"), std::slice::from_ref(&open), "{report:#}");
    assert_eq!(
        at("PV003"),
        std::slice::from_ref(&unregistered),
        "{report:#}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["location"]["path"] != good.as_str()
                || f["severity"] == "info"
                || f["severity"] == "low"),
        "the good role has no real finding: {report:#}"
    );

    // The whole account: the orphan too, never the service role.
    let (all, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.args(["scan", "--concurrency", "2"]);
        cmd
    });
    let arns = scanned(&all);
    for role in [&good, &open, &unregistered, &orphan] {
        assert!(arns.contains(role), "{role} not scanned");
    }
    assert!(!arns.contains(&service));
    assert!(all["scan"]["roles_total"].as_u64().unwrap() >= 5);
    let orphan_pv001 = paths_of(&all, "PV001").contains(&orphan);
    assert!(orphan_pv001, "{all:#}");
}

#[test]
fn scan_output_is_sarif_ready() {
    let moto = moto();
    let host = format!("{}.example.test", unique("sarif"));
    let provider = moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let role = moto.create_role(
        &unique("wide"),
        "/",
        &trust_policy(&provider, &json!({})),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let output = moto
        .command(dir.path())
        .args(["scan", "--provider", &host, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let tp501 = results
        .iter()
        .find(|r| r["ruleId"] == "TP501")
        .expect("TP501 for a policy without conditions");
    let location = &tp501["locations"][0];
    assert!(
        location["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let uri = location["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.contains("role/"), "{uri} names {role}");
}

#[test]
fn assume_works_against_the_emulator_without_credentials() {
    let moto = moto();
    let host = format!("{}.example.test", unique("assume"));
    let provider = moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let role = moto.create_role(
        &unique("ci"),
        "/",
        &trust_policy(&provider, &json!({})),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let token = signed_token("test-rsa", &claims(&format!("https://{host}"), 3600));
    let output = oidc_doctor()
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .envs(no_aws_setup(dir.path()))
        .args([
            "assume",
            "--role-arn",
            &role,
            "--session-name",
            "moto",
            "--format",
            "json",
            &token,
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(codes(&report), ["AS001"]);
    let assumed = &report["assume"]["assumed"];
    assert!(
        assumed["assumed_role_arn"]
            .as_str()
            .unwrap()
            .ends_with("/moto"),
        "{report:#}"
    );
    assert_eq!(
        report["assume"]["endpoint"],
        moto.endpoint.trim_end_matches('/')
    );
}

#[test]
fn access_denied_reads_the_trust_policy_from_iam_and_names_the_condition() {
    let moto = moto();
    let host = format!("{}.example.test", unique("denied"));
    let provider = moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let role = moto.create_role(
        &unique("prod-only"),
        "/",
        &trust_policy(
            &provider,
            &json!({"StringEquals": {
                format!("{host}:aud"): "sts.amazonaws.com",
                format!("{host}:sub"): "repo:acme/app:environment:prod",
            }}),
        ),
        None,
    );
    // STS (the stand-in) refuses; IAM (moto) holds the policy.
    let sts =
        crate::sts_standin::StsStandin::start(vec![crate::sts_standin::Answer::access_denied()]);
    let dir = tempfile::tempdir().unwrap();
    let token = signed_token("test-rsa", &claims(&format!("https://{host}"), 3600));
    let (report, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.env("AWS_ENDPOINT_URL_STS", sts.url())
            .args(["assume", "--role-arn", &role, &token]);
        cmd
    });
    assert_eq!(sts.calls(), 1);
    let text = message(&report, "AS101");
    assert!(text.contains("read with iam:GetRole"), "{text}");
    assert!(
        text.contains("expects repo:acme/app:environment:prod"),
        "{text}"
    );
    assert!(
        text.contains("the token has `repo:acme/app:ref:refs/heads/main`"),
        "{text}"
    );
}

#[test]
fn scan_reads_every_page_of_roles() {
    let moto = moto();
    let host = format!("{}.example.test", unique("many"));
    let provider = moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let policy = trust_policy(
        &provider,
        &json!({"StringEquals": {format!("{host}:aud"): "sts.amazonaws.com", format!("{host}:sub"): "deploy"}}),
    );
    // IAM (and moto) answer ListRoles 100 roles a page.
    let created: Vec<String> = (0..105)
        .map(|_| moto.create_role(&unique("page"), "/", &policy, None))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.args(["scan", "--provider", &host]);
        cmd
    });
    let mut listed = scanned(&report);
    listed.sort();
    let mut expected = created;
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn provider_does_not_guess_about_another_accounts_providers() {
    let moto = moto();
    let host = format!("{}.example.test", unique("cross"));
    moto.create_provider(&format!("https://{host}"), &["sts.amazonaws.com"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_json({
        let mut cmd = moto.command(dir.path());
        cmd.args([
            "provider",
            "--no-issuer-probe",
            "--issuer",
            &format!("https://{host}"),
            "--role-arn",
            "arn:aws:iam::210987654321:role/deploy",
        ]);
        cmd
    });
    assert!(!codes(&report).contains(&"PV001".to_owned()), "{report:#}");
    let why = report["provider"]["provider_skipped"].as_str().unwrap();
    assert!(
        why.contains("account 210987654321") && why.contains(ACCOUNT),
        "{why}"
    );
    assert_eq!(report["stages"][0]["status"], "skip");
}

#[test]
fn provider_runs_the_token_stage_first_so_a_garbage_token_is_tk001() {
    let moto = moto();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("token.jwt");
    std::fs::write(&garbage, "this is not a token\n").unwrap();
    let output = moto
        .command(dir.path())
        .args([
            "provider",
            "--issuer",
            "https://token.example.test",
            "--format",
            "json",
            "--token-file",
        ])
        .arg(&garbage)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(codes(&report).contains(&"TK001".to_owned()), "{report:#}");
    assert_eq!(report["stages"][0]["name"], "token");
    assert_eq!(report["stages"][0]["status"], "fail");
    assert_eq!(output.status.code(), Some(1));
}
