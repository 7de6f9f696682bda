//! `--github-actions`: the token requested from the Actions runtime (a
//! stand-in on 127.0.0.1), a new one for every attempt of `assume`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;

use crate::actions_runtime::{ActionsRuntime, REQUEST_TOKEN};
use crate::sts_standin::{Answer, StsStandin};
use crate::support::{claims, no_aws_setup, oidc_doctor, signed_token};

/// Tokens that differ on every request (their `iat` counts up).
fn minting() -> ActionsRuntime {
    let next = Arc::new(AtomicI64::new(0));
    ActionsRuntime::start(Box::new(move |audience| {
        let mut claims = claims("https://token.actions.githubusercontent.com", 600);
        claims["aud"] = Value::String(audience.to_owned());
        claims["iat"] =
            Value::from(claims["iat"].as_i64().unwrap() - 60 + next.fetch_add(1, Ordering::SeqCst));
        signed_token("test-rsa", &claims)
    }))
}

fn in_a_job(cmd: &mut assert_cmd::Command, runtime: &ActionsRuntime, request_token: &str) {
    cmd.env("ACTIONS_ID_TOKEN_REQUEST_URL", runtime.url())
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token);
}

#[test]
fn decode_requests_the_token_with_the_audience() {
    let runtime = minting();
    let mut cmd = oidc_doctor();
    in_a_job(&mut cmd, &runtime, REQUEST_TOKEN);
    let output = cmd
        .args([
            "decode",
            "--github-actions",
            "--audience",
            "https://github.com/acme",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["token"]["claims"]["aud"], "https://github.com/acme");
    assert_eq!(runtime.audiences(), ["https://github.com/acme"]);
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(REQUEST_TOKEN));
    }
}

#[test]
fn without_id_token_permission_the_error_says_what_to_add() {
    // No variables at all: the job lacks `permissions: id-token: write`.
    let output = oidc_doctor()
        .args(["decode", "--github-actions"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ACTIONS_ID_TOKEN_REQUEST_URL") && stderr.contains("id-token: write"),
        "{stderr}"
    );
    // Variables there, but the runtime refuses the request token.
    let runtime = minting();
    let mut cmd = oidc_doctor();
    in_a_job(&mut cmd, &runtime, "wrong");
    let output = cmd.args(["decode", "--github-actions"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("HTTP 403"), "{stderr}");
}

#[test]
fn assume_requests_a_new_token_for_every_attempt() {
    let runtime = minting();
    let sts = StsStandin::start(vec![Answer::no_key(), Answer::assumed()]);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = oidc_doctor();
    in_a_job(&mut cmd, &runtime, REQUEST_TOKEN);
    let output = cmd
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .envs(no_aws_setup(dir.path()))
        .args([
            "assume",
            "--github-actions",
            "--role-arn",
            "arn:aws:iam::123456789012:role/deploy",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // Assumed on the retry: AS002 (medium) fails the default gate.
    assert_eq!(found, ["AS002", "AS001"], "{report:#}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sent: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r["WebIdentityToken"].clone())
        .collect();
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0], sent[1], "the retry sent a freshly minted token");
    assert_eq!(
        runtime.audiences(),
        ["sts.amazonaws.com", "sts.amazonaws.com"]
    );
}

/// The request token goes to the URL the runner named, never to where a
/// redirect points (it may be another host).
#[test]
fn the_bearer_token_is_not_sent_to_a_redirect() {
    use crate::test_issuer::{Behaviour, DISCOVERY, TestIssuer};
    use oidc_doctor::model::aws::Secret;
    use oidc_doctor::net::{NetOptions, http::HttpClient};

    let issuer = TestIssuer::start(Behaviour {
        discovery_redirects: 1,
        ..Behaviour::default()
    });
    let client = HttpClient::new(&NetOptions {
        timeout: std::time::Duration::from_secs(5),
        ca_bundle: Some(issuer.ca_bundle().to_owned()),
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("{}{DISCOVERY}", issuer.url());
    let fetch = runtime.block_on(client.fetch_with_bearer(&url, &Secret::new(REQUEST_TOKEN)));
    assert_eq!(fetch.redirects.len(), 1, "{fetch:?}");
    assert!(fetch.succeeded(), "{fetch:?}");
    let authorized: Vec<bool> = issuer.requests().iter().map(|r| r.authorized).collect();
    assert_eq!(authorized, [true, false]);
}
