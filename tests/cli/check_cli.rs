//! `check` end to end, one scenario per root cause: the real binary against
//! the in-process HTTPS issuer, moto for IAM and the STS stand-in, each
//! asserting the verdict's status, the code of its root cause and the exit
//! code. A local issuer has a port (TK010, IS001) and a test CA (IS016):
//! those findings are real and stay, but never outrank the cause of the
//! answer STS gave.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::actions_runtime::{ActionsRuntime, REQUEST_TOKEN};
use crate::aws_emulator::{ACCOUNT, Moto, moto, trust_policy, unique};
use crate::issuer_cli::hex_sha1;
use crate::sts_standin::{Answer, StsStandin};
use crate::support::{fixture, no_aws_setup, oidc_doctor, signed_token};
use crate::test_issuer::{Behaviour, TestIssuer};

/// The issuer, IAM and STS of one scenario.
struct World {
    issuer: TestIssuer,
    sts: StsStandin,
    moto: Moto,
    dir: tempfile::TempDir,
}

impl World {
    fn new(behaviour: Behaviour, sts: Vec<Answer>) -> World {
        World {
            issuer: TestIssuer::start(behaviour),
            sts: StsStandin::start(sts),
            moto: moto(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The provider name: the issuer URL without `https://`.
    fn name(&self) -> String {
        self.issuer.url().trim_start_matches("https://").to_owned()
    }

    /// Registers the issuer in IAM with these client IDs and the thumbprint
    /// STS would compare (the served intermediate's), or `thumbprints`.
    fn provider(&self, client_ids: &[&str], thumbprints: Option<&[&str]>) -> String {
        let right = hex_sha1(&self.issuer.intermediate_der());
        let thumbprints = thumbprints.unwrap_or(&[right.as_str()]).to_vec();
        self.moto
            .replace_provider(&self.issuer.url(), client_ids, &thumbprints)
    }

    /// A role (at `path`) whose trust policy pins these conditions.
    fn role(&self, provider: &str, path: &str, condition: &Value) -> String {
        self.moto.create_role(
            &unique("check"),
            path,
            &trust_policy(provider, condition),
            None,
        )
    }

    /// A token from this issuer with these claims over the usual ones.
    fn token(&self, changes: &Value) -> PathBuf {
        let now = jiff::Timestamp::now().as_second();
        let mut claims = json!({
            "iss": self.issuer.url(),
            "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "iat": now - 30,
            "nbf": now - 30,
            "exp": now + 3600,
        });
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        let path = self.dir.path().join(format!("{}.jwt", unique("token")));
        std::fs::write(&path, signed_token("test-rsa-1", &claims)).unwrap();
        path
    }

    /// The usual provider (the audience STS expects, the right thumbprint)
    /// and a role pinning that audience and the main branch's `sub`.
    fn usual_role(&self) -> (String, String) {
        let provider = self.provider(&["sts.amazonaws.com"], None);
        let role = self.role(
            &provider,
            "/",
            &pins(self, "repo:acme/app:ref:refs/heads/main"),
        );
        (provider, role)
    }

    /// `check` of `token` for `role`, with `extra` arguments, as JSON.
    fn check(&self, role: &str, token: &Path, extra: &[&str]) -> Ran {
        let mut cmd = self.command();
        cmd.args(["--role-arn", role])
            .args(extra)
            .arg("--token-file")
            .arg(token);
        run(cmd)
    }

    fn command(&self) -> assert_cmd::Command {
        let mut cmd = self.moto.command(self.dir.path());
        cmd.env("AWS_ENDPOINT_URL_STS", self.sts.url())
            .args(["check", "--samples", "1", "--timeout", "5"])
            .args(["--session-name", "check-test"])
            .arg("--ca-bundle")
            .arg(self.issuer.ca_bundle());
        cmd
    }
}

/// What a run gave: the JSON report, the exit code, standard error.
struct Ran {
    report: Value,
    code: i32,
    stderr: String,
}

impl Ran {
    fn status(&self) -> &str {
        self.report["verdict"]["status"].as_str().unwrap()
    }

    fn root(&self) -> &str {
        self.report["verdict"]["causes"][0]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no cause: {:#}", self.report["verdict"]))
    }

    fn cause(&self, index: usize) -> &Value {
        &self.report["verdict"]["causes"][index]
    }

    fn stage(&self, name: &str) -> &Value {
        self.report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} stage: {:#}", self.report["stages"]))
    }
}

fn run(mut cmd: assert_cmd::Command) -> Ran {
    let output = cmd.args(["--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    Ran {
        report,
        code: output.status.code().unwrap(),
        stderr,
    }
}

fn pins(world: &World, sub: &str) -> Value {
    json!({"StringEquals": {
        format!("{}:aud", world.name()): "sts.amazonaws.com",
        format!("{}:sub", world.name()): sub,
    }})
}

#[test]
fn a_login_that_works_is_ok_with_no_cause() {
    let world = World::new(Behaviour::default(), vec![Answer::assumed()]);
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!(ran.status(), "ok", "{:#}", ran.report["verdict"]);
    assert_eq!(ran.report["verdict"]["causes"], json!([]));
    assert_eq!(world.sts.calls(), 1);
    for stage in ["token", "issuer", "provider", "policy", "assume"] {
        assert_ne!(
            ran.stage(stage)["status"],
            "skip",
            "{stage}: {:#}",
            ran.report["stages"]
        );
    }
    assert_eq!(ran.report["evaluation"]["policies"][0]["allowed"], true);
    // The local issuer's port is still a finding at `high`: the exit code
    // follows the findings, as everywhere; above them, it is 0.
    assert_eq!(ran.code, 1);
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--fail-on", "critical", "--token-file"])
        .arg(&token);
    assert_eq!(run(cmd).code, 0);
}

#[test]
fn a_refused_sub_is_ev001_with_both_values_and_the_fragment_that_admits_it() {
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    let (_, role) = world.usual_role();
    let token = world.token(&json!({"sub": "repo:acme/app:ref:refs/heads/feature-x"}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "EV001", 1));
    let root = ran.cause(0);
    let summary = root["summary"].as_str().unwrap();
    assert!(
        summary.contains("wants `repo:acme/app:ref:refs/heads/main`")
            && summary.contains("the token has `repo:acme/app:ref:refs/heads/feature-x`"),
        "{summary}"
    );
    assert!(
        root["evidence"][0]
            .as_str()
            .unwrap()
            .contains("STS answered `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity` (AS101)"),
        "{root:#}"
    );
    let fragment: Value = serde_json::from_str(root["suggestion"].as_str().unwrap()).unwrap();
    assert_eq!(
        fragment["StringEquals"][format!("{}:sub", world.name())],
        json!([
            "repo:acme/app:ref:refs/heads/main",
            "repo:acme/app:ref:refs/heads/feature-x"
        ])
    );
    // AccessDenied is never retried; the symptom is quoted in its cause's
    // evidence, and is a finding, not a second cause.
    assert_eq!(world.sts.calls(), 1);
    let causes: Vec<&Value> = ran.report["verdict"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(causes.iter().all(|c| c["code"] != "AS101"), "{causes:#?}");
    assert!(
        ran.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "AS101")
    );
}

#[test]
fn sts_refusing_what_the_policy_allows_is_ev002_naming_what_was_not_read() {
    // Everything the tool reads admits the token; STS refuses it anyway
    // (an RCP, a change since the read, a condition key it cannot see).
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "EV002", 1));
    assert_eq!(ran.report["evaluation"]["policies"][0]["allowed"], true);
    let summary = ran.cause(0)["summary"].as_str().unwrap();
    assert!(
        summary.contains("STS refused the token (AccessDenied")
            && summary.contains("allows it as evaluated here"),
        "{summary}"
    );
    let fix = ran.cause(0)["fix"].as_str().unwrap();
    assert!(
        fix.contains("resource control policy (RCP)"),
        "the suspects outside what was read are named: {fix}"
    );
    assert!(
        ran.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "EV001"),
        "no refusal is invented: {:#}",
        ran.report["findings"]
    );
}

#[test]
fn sts_allowing_what_the_policy_refuses_is_ev002_with_both_answers() {
    // The policy as read refuses the branch, yet STS issues credentials:
    // what was read is not what STS evaluates (a stale --policy file).
    let world = World::new(Behaviour::default(), vec![Answer::assumed()]);
    let (_, role) = world.usual_role();
    let token = world.token(&json!({"sub": "repo:acme/app:ref:refs/heads/feature-x"}));
    let ran = world.check(&role, &token, &[]);
    let findings = ran.report["findings"].as_array().unwrap();
    let ev002 = findings
        .iter()
        .find(|f| f["code"] == "EV002")
        .unwrap_or_else(|| panic!("EV002: {findings:#?}"));
    let message = ev002["message"].as_str().unwrap();
    assert!(
        message.contains(":assumed-role/") && message.contains("refuses the token"),
        "STS's assumed-role ARN is shown beside the evaluation: {message}"
    );
    let role_name = role.rsplit('/').next().unwrap();
    assert!(
        ev002["help"]
            .as_str()
            .unwrap()
            .contains(&format!("get-role --role-name {role_name} --query")),
        "{ev002:#}"
    );
    assert_eq!(world.sts.calls(), 1);
}

#[test]
fn an_audience_the_provider_does_not_list_is_pv002_with_the_real_arn() {
    let world = World::new(Behaviour::default(), vec![Answer::audience()]);
    let (_, role) = world.usual_role();
    let token = world.token(&json!({"aud": "my-app"}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "PV002", 1));
    // The policy pins `sts.amazonaws.com`: registering `my-app` would get
    // past the provider and be refused by the policy.
    let help = ran.cause(0)["fix"].as_str().unwrap();
    assert!(
        help.contains(
            "First, request the token for `sts.amazonaws.com`, which the trust policy pins."
        ) && help.contains("Registering `my-app` would not be enough"),
        "{help}"
    );
    // A policy that pins `my-app` itself: registering it is the fix, as a
    // command with the real provider ARN.
    let world = World::new(Behaviour::default(), vec![Answer::audience()]);
    let provider = world.provider(&["sts.amazonaws.com"], None);
    let role = world.role(
        &provider,
        "/",
        &json!({"StringEquals": {format!("{}:aud", world.name()): "my-app",
            format!("{}:sub", world.name()): "repo:acme/app:ref:refs/heads/main"}}),
    );
    let ran = world.check(&role, &world.token(&json!({"aud": "my-app"})), &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "PV002", 1));
    let command = ran.cause(0)["suggestion"].as_str().unwrap();
    assert!(
        command.contains(&format!("--open-id-connect-provider-arn {provider}"))
            && command.ends_with("--client-id my-app")
            && !command.contains('<'),
        "{command}"
    );
}

#[test]
fn an_audience_pinned_otherwise_in_the_policy_is_the_policys_to_change() {
    // The token's audience is registered (STS gets past it); the policy
    // pins another one, which the provider does not even list.
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    let provider = world.provider(&["sts.amazonaws.com"], None);
    let role = world.role(
        &provider,
        "/",
        &json!({"StringEquals": {format!("{}:aud", world.name()): "my-app"}}),
    );
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "EV001", 1));
    assert!(
        ran.cause(0)["summary"].as_str().unwrap().contains(&format!(
            "`StringEquals` on `{}:aud` wants `my-app`",
            world.name()
        )),
        "{:#}",
        ran.cause(0)
    );
    let codes: Vec<&str> = ran.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"PV003"),
        "the pinned audience is not registered: {codes:?}"
    );
}

#[test]
fn no_provider_for_the_issuer_names_the_near_miss() {
    let world = World::new(
        Behaviour::default(),
        vec![Answer::error(
            400,
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://127.0.0.1",
        )],
    );
    // Registered with a trailing `/`: not the token's `iss`. A provider an
    // earlier test left for the exact URL (its port is reused) goes first.
    world.moto.delete_provider(&world.issuer.url());
    let near = world.moto.replace_provider(
        &format!("{}/", world.issuer.url()),
        &["sts.amazonaws.com"],
        &[],
    );
    let role = world.role(
        &near,
        "/",
        &pins(&world, "repo:acme/app:ref:refs/heads/main"),
    );
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "PV001", 1));
    let summary = ran.cause(0)["summary"].as_str().unwrap();
    assert!(
        summary.contains("differs only in the trailing `/`"),
        "{summary}"
    );
}

#[test]
fn an_unreachable_jwks_is_is006() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let world = World::new(
        Behaviour {
            jwks_uri: Some(format!("https://127.0.0.1:{port}/jwks")),
            ..Behaviour::default()
        },
        vec![Answer::no_key()],
    );
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--max-attempts", "2", "--token-file"])
        .arg(&token);
    let ran = run(cmd);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "IS006", 1));
    // Key retrieval errors are retried: the evidence says how often.
    assert_eq!(world.sts.calls(), 2);
    assert!(
        ran.cause(0)["evidence"][0]
            .as_str()
            .unwrap()
            .contains("after 2 attempts")
    );
}

#[test]
fn a_slow_issuer_is_is008() {
    let world = World::new(
        Behaviour {
            delay: Duration::from_millis(1100),
            ..Behaviour::default()
        },
        vec![Answer::no_key()],
    );
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--max-attempts", "1", "--token-file"])
        .arg(&token);
    let ran = run(cmd);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "IS008", 1));
}

#[test]
fn an_uncacheable_jwks_is_is009() {
    let world = World::new(
        Behaviour {
            jwks_cache_control: Some("no-cache".to_owned()),
            ..Behaviour::default()
        },
        vec![Answer::no_key()],
    );
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--max-attempts", "1", "--token-file"])
        .arg(&token);
    let ran = run(cmd);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "IS009", 1));
}

#[test]
fn a_thumbprint_that_matches_no_served_certificate_is_pv004() {
    let world = World::new(
        Behaviour::default(),
        vec![Answer::error(
            400,
            "InvalidIdentityToken",
            "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        )],
    );
    let provider = world.provider(
        &["sts.amazonaws.com"],
        Some(&["0000000000000000000000000000000000000000"]),
    );
    let role = world.role(
        &provider,
        "/",
        &pins(&world, "repo:acme/app:ref:refs/heads/main"),
    );
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "PV004", 1));
    let right = hex_sha1(&world.issuer.intermediate_der());
    assert!(
        ran.cause(0)["summary"].as_str().unwrap().contains(&right)
            || ran.cause(0)["fix"].as_str().unwrap().contains(&right),
        "the thumbprint to register is named: {:#}",
        ran.cause(0)
    );
}

#[test]
fn a_principal_in_another_partition_is_tp106() {
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    world.provider(&["sts.amazonaws.com"], None);
    let gov = format!(
        "arn:aws-us-gov:iam::{ACCOUNT}:oidc-provider/{}",
        world.name()
    );
    let role = world.role(
        &gov,
        "/",
        &pins(&world, "repo:acme/app:ref:refs/heads/main"),
    );
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "TP106", 1));
}

#[test]
fn a_role_arn_without_the_role_path_is_pv006() {
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    let provider = world.provider(&["sts.amazonaws.com"], None);
    let role = world.role(
        &provider,
        "/ci/",
        &pins(&world, "repo:acme/app:ref:refs/heads/main"),
    );
    assert!(role.contains(":role/ci/"), "{role}");
    let without_path = role.replacen(":role/ci/", ":role/", 1);
    let token = world.token(&json!({}));
    let mut cmd = world.command();
    cmd.args(["--role-arn", &without_path, "--token-file"])
        .arg(&token);
    let ran = run(cmd);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "PV006", 1));
    assert!(
        ran.cause(0)["fix"].as_str().unwrap().contains(&role),
        "{:#}",
        ran.cause(0)
    );
}

#[test]
fn throttling_then_success_is_at_risk_with_as002() {
    let world = World::new(
        Behaviour::default(),
        vec![Answer::throttled(), Answer::throttled(), Answer::assumed()],
    );
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!(
        (ran.status(), ran.root(), ran.code),
        ("at-risk", "AS002", 1)
    );
    assert_eq!(world.sts.calls(), 3);
    assert!(ran.cause(0)["fix"].as_str().unwrap().contains("--cache"));
}

#[test]
fn an_expired_token_is_tk005_with_when_it_expired() {
    let world = World::new(Behaviour::default(), vec![Answer::expired()]);
    let (_, role) = world.usual_role();
    let now = jiff::Timestamp::now().as_second();
    let token = world.token(&json!({"iat": now - 3600, "nbf": now - 3600, "exp": now - 1800}));
    let ran = world.check(&role, &token, &[]);
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "TK005", 1));
    assert!(
        ran.cause(0)["summary"].as_str().unwrap().contains("ago"),
        "{:#}",
        ran.cause(0)
    );
    // The same token again would fail the same way: one call.
    assert_eq!(world.sts.calls(), 1);
}

#[test]
fn offline_with_saved_files_judges_without_any_network() {
    let output = oidc_doctor()
        .args(["check", "--offline", "--format", "json"])
        .args(example_args())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["verdict"]["status"], "fails");
    assert_eq!(report["verdict"]["causes"][0]["code"], "EV001");
    for stage in ["issuer", "assume"] {
        let row = report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == stage)
            .unwrap();
        assert!(
            row["detail"].as_str().unwrap().contains("--offline"),
            "{row}"
        );
    }
    // The signature was still checked, against the saved key set.
    assert!(
        report["token"]["signature"]["valid"] == true
            || report["stages"][1]["detail"]
                .as_str()
                .unwrap()
                .contains("signature verified")
    );
}

/// The README's offline example.
fn example_args() -> Vec<String> {
    let path = |p: &str| fixture(p).display().to_string();
    vec![
        "--token-file".to_owned(),
        path("examples/check/token.jwt"),
        "--role-arn".to_owned(),
        "arn:aws:iam::123456789012:role/deploy".to_owned(),
        "--policy".to_owned(),
        path("examples/check/trust-policy.json"),
        "--provider-json".to_owned(),
        path("examples/check/provider.json"),
        "--jwks".to_owned(),
        path("keys/test-jwks.json"),
    ]
}

#[test]
fn the_token_is_found_in_the_actions_runtime_and_said_so() {
    let world = World::new(Behaviour::default(), vec![Answer::assumed()]);
    let (_, role) = world.usual_role();
    let iss = world.issuer.url();
    let runtime = ActionsRuntime::start(Box::new(move |audience| {
        let now = jiff::Timestamp::now().as_second();
        signed_token(
            "test-rsa-1",
            &json!({"iss": iss, "sub": "repo:acme/app:ref:refs/heads/main", "aud": audience,
                    "iat": now, "nbf": now, "exp": now + 300}),
        )
    }));
    let mut cmd = world.command();
    cmd.env("ACTIONS_ID_TOKEN_REQUEST_URL", runtime.url())
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
        .env("AWS_ROLE_ARN", &role);
    let ran = run(cmd);
    assert_eq!(ran.status(), "ok", "{:#}", ran.report["verdict"]);
    let inputs = &ran.report["check"]["inputs"];
    assert!(
        inputs[0]["from"]
            .as_str()
            .unwrap()
            .contains("the GitHub Actions runtime (audience sts.amazonaws.com, found through ACTIONS_ID_TOKEN_REQUEST_URL)"),
        "{inputs:#}"
    );
    assert_eq!(inputs[1]["from"], "AWS_ROLE_ARN");
    assert_eq!(runtime.audiences()[0], "sts.amazonaws.com");
    assert!(!ran.stderr.contains(REQUEST_TOKEN));
}

#[test]
fn without_iam_access_the_iam_stages_are_skipped_and_the_verdict_rests_on_what_ran() {
    let issuer = TestIssuer::start(Behaviour::default());
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now().as_second();
    let token_path = dir.path().join("t.jwt");
    std::fs::write(
        &token_path,
        signed_token(
            "test-rsa-1",
            &json!({"iss": issuer.url(), "sub": "repo:acme/app:ref:refs/heads/main",
                    "aud": "sts.amazonaws.com", "iat": now, "nbf": now, "exp": now + 600}),
        ),
    )
    .unwrap();
    let mut cmd = oidc_doctor();
    // No credentials at all: STS needs none, IAM does.
    cmd.envs(no_aws_setup(dir.path()))
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .args([
            "check",
            "--samples",
            "1",
            "--timeout",
            "3",
            "--session-name",
            "check-test",
        ])
        .args([
            "--role-arn",
            "arn:aws:iam::123456789012:role/deploy",
            "--token-file",
        ])
        .arg(&token_path)
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle());
    let ran = run(cmd);
    for stage in ["provider", "policy"] {
        let row = ran.stage(stage);
        assert_eq!(row["status"], "skip", "{row}");
        let why = row["detail"].as_str().unwrap();
        assert!(
            why.contains("pass --policy FILE and --provider-json FILE, or allow iam:GetRole and iam:GetOpenIDConnectProvider"),
            "{stage}: {why}"
        );
    }
    assert_eq!(ran.stage("issuer")["status"], "fail", "the probe ran");
    assert_eq!((ran.status(), ran.root(), ran.code), ("fails", "AS101", 1));
    assert!(
        ran.cause(0)["fix"]
            .as_str()
            .unwrap()
            .contains("--policy FILE")
    );
}

#[test]
fn progress_goes_to_standard_error_a_line_per_stage_and_attempt_and_nothing_with_quiet() {
    let world = World::new(
        Behaviour::default(),
        vec![Answer::throttled(), Answer::assumed()],
    );
    let (_, role) = world.usual_role();
    let token = world.token(&json!({}));
    let ran = world.check(&role, &token, &[]);
    for line in [
        "token: fail in",
        "issuer: fail in",
        "provider: pass in",
        "policy: pass in",
        "assume: attempt 1: AS109 throttled; retrying in",
        "assume: attempt 2: assumed",
        "assume: warn in",
    ] {
        assert!(ran.stderr.contains(line), "no `{line}` in:\n{}", ran.stderr);
    }
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--quiet", "--token-file"])
        .arg(&token);
    assert_eq!(run(cmd).stderr, "");
}

#[test]
fn every_format_carries_the_verdict_and_the_causes() {
    for (format, wanted) in [
        (
            "github",
            "::error title=oidc-doctor check%3A the login fails::EV001 policy-refuses-token (policy stage)",
        ),
        ("sarif", "\"rootCause\": \"EV001\""),
        ("markdown", "## Root cause: [EV001 policy-refuses-token]"),
        (
            "human",
            "Root cause: EV001 policy-refuses-token (policy stage, high)",
        ),
    ] {
        let output = oidc_doctor()
            .args(["check", "--offline", "--format", format])
            .args(example_args())
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(wanted), "{format}: no `{wanted}` in\n{text}");
        assert_eq!(output.status.code(), Some(1), "{format}");
    }
}

#[test]
fn the_markdown_runbook_of_the_offline_example() {
    let output = oidc_doctor()
        .args(["check", "--offline", "--format", "markdown"])
        .args(example_args())
        .output()
        .unwrap();
    insta::assert_snapshot!(normalise(&String::from_utf8(output.stdout).unwrap(), None));
}

#[test]
fn the_markdown_runbook_of_a_refused_sub() {
    let world = World::new(Behaviour::default(), vec![Answer::access_denied()]);
    let provider = world.provider(&["sts.amazonaws.com"], None);
    let role_name = "runbook-snapshot";
    let role = world.moto.create_role(
        &unique(role_name),
        "/",
        &trust_policy(
            &provider,
            &pins(&world, "repo:acme/app:ref:refs/heads/main"),
        ),
        None,
    );
    let token = world.token(&json!({"sub": "repo:acme/app:ref:refs/heads/feature-x"}));
    let mut cmd = world.command();
    cmd.args(["--role-arn", &role, "--token-file"]).arg(&token);
    let output = cmd.args(["--format", "markdown"]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let text = normalise(&text, Some((&world, &role, &token)));
    insta::assert_snapshot!(text);
}

/// What changes from run to run: the time, durations, the port, names
/// made unique, the token's times and file.
fn normalise(text: &str, world: Option<(&World, &str, &Path)>) -> String {
    let mut text = text.to_owned();
    if let Some((world, role, token)) = world {
        text = text
            .replace(role, "arn:aws:iam::123456789012:role/ROLE")
            .replace(&token.display().to_string(), "TOKEN_FILE")
            .replace(&world.sts.url(), "http://127.0.0.1:STS")
            .replace(&hex_sha1(&world.issuer.intermediate_der()), "THUMBPRINT")
            .replace(&world.issuer.port().to_string(), "PORT");
    }
    let root = crate::support::root().display().to_string();
    text = text.replace(&format!("{root}/"), "");
    text.lines()
        .map(|line| {
            if line.starts_with("oidc-doctor ") && line.contains(" UTC · ") {
                let (_, rest) = line.split_once(" UTC · ").unwrap_or_default();
                return format!("oidc-doctor VERSION · TIME UTC · {rest}");
            }
            for claim in ["iat", "nbf", "exp", "jti"] {
                if line.starts_with(&format!("| `{claim}` |")) {
                    return format!("| `{claim}` | N |");
                }
            }
            let line = &expiry(line);
            let cells: Vec<&str> = line.split(" | ").collect();
            let stage_row = cells.len() == 4
                && ["token", "issuer", "provider", "policy", "assume"]
                    .contains(&cells[0].trim_start_matches("| "));
            if stage_row {
                return durations(&format!("{} | {} | T | {}", cells[0], cells[1], cells[3]));
            }
            durations(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `expires in 59m 59s` made `expires in T`.
fn expiry(line: &str) -> String {
    match line.find("expires in ") {
        Some(at) => {
            let rest = &line[at + "expires in ".len()..];
            let end = rest.find([',', '|']).map_or(rest.len(), |end| end);
            let end = rest[..end].trim_end().len();
            format!("{}expires in T{}", &line[..at], &rest[end..])
        }
        None => line.to_owned(),
    }
}

/// `38 ms` and `1.2 s` made `N ms` and `N s`.
fn durations(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..at]);
        let number = rest[at..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len() - at);
        let after = &rest[at + number..];
        let unit = [" ms", " s"].into_iter().find(|u| {
            after.starts_with(u) && !after[u.len()..].starts_with(|c: char| c.is_alphanumeric())
        });
        let boundary = !out.ends_with(|c: char| c.is_alphanumeric());
        match unit {
            Some(unit) if boundary => {
                out.push('N');
                out.push_str(unit);
                rest = &after[unit.len()..];
            }
            _ => {
                out.push_str(&rest[at..at + number]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_readme_starts_with_this_example_and_shows_what_it_prints() {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    let first_block = readme.split("```sh\n").nth(1).unwrap();
    let command = first_block.split("\n```").next().unwrap();
    let relative: Vec<String> = example_args()
        .into_iter()
        .map(|a| a.replace(&format!("{}/", crate::support::root().display()), ""))
        .collect();
    assert_eq!(
        command,
        format!(
            "cargo install --path . && oidc-doctor check --offline {}",
            relative.join(" ")
        )
    );
    // The console example in the `check` section is today's output.
    let shown = readme
        .split("```console\n$ oidc-doctor check --offline")
        .nth(1)
        .unwrap()
        .split("\n...\n```")
        .next()
        .unwrap();
    let shown: Vec<&str> = shown.lines().skip(3).collect();
    let output = oidc_doctor()
        .env("COLUMNS", "100")
        .args(["check", "--offline"])
        .args(&relative)
        .output()
        .unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    let printed: Vec<&str> = printed.lines().take(shown.len()).collect();
    for (shown, printed) in shown.iter().zip(&printed) {
        // The time of the run; the token's remaining lifetime; the stage
        // table, whose borders move with its durations (the rows are
        // compared as data in the other tests).
        if shown.starts_with("oidc-doctor check: ")
            || shown.contains("expires in")
            || shown.starts_with(['┌', '│', '╞', '└'])
        {
            continue;
        }
        // Durations differ from run to run, and with them the padding.
        let same = |line: &str| {
            durations(line)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(same(shown), same(printed));
    }
    assert_eq!(shown.len(), printed.len());
}

/// An issuer this machine cannot reach (its resolver answers no name, not
/// even the STS endpoint's host: both `.invalid`, never looked up): the
/// issuer row is a skip that says so, and the verdict does not blame it.
#[test]
fn an_issuer_not_reachable_from_here_is_a_skip_not_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now().as_second();
    let token_path = dir.path().join("t.jwt");
    std::fs::write(
        &token_path,
        signed_token(
            "test-rsa-1",
            &json!({"iss": "https://issuer.invalid", "sub": "repo:acme/app:ref:refs/heads/main",
                    "aud": "sts.amazonaws.com", "iat": now, "nbf": now, "exp": now + 600}),
        ),
    )
    .unwrap();
    let mut cmd = oidc_doctor();
    // No credentials: IAM is skipped before any request; no live assume.
    cmd.envs(no_aws_setup(dir.path()))
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_ENDPOINT_URL_STS", "http://sts.invalid")
        .args(["check", "--samples", "1", "--timeout", "3", "--no-assume"])
        .args(["--role-arn", "arn:aws:iam::123456789012:role/deploy"])
        .arg("--token-file")
        .arg(&token_path);
    let ran = run(cmd);
    let row = ran.stage("issuer");
    assert_eq!(row["status"], "skip", "{row}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach the issuer from this machine"),
        "{row}"
    );
    let verdict = ran.report["verdict"].to_string();
    assert!(!verdict.contains("IS002"), "{verdict}");
    assert!(
        !ran.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "IS002" || f["code"] == "IS006"),
        "{:#}",
        ran.report["findings"]
    );
    assert_eq!(ran.code, 3, "{:#}", ran.report);
}
