//! `decode --verify` and `--jwks-url`: the signature checked with keys
//! fetched from the in-process issuer, the way STS fetches them.

use serde_json::{Value, json};

use crate::support::{claims, codes, fixture, oidc_doctor, signed_token};
use crate::test_issuer::{Behaviour, TestIssuer};

/// A token from `issuer`, signed now with the test RSA key under `kid`.
fn token(issuer: &str, kid: &str) -> String {
    let mut claims = claims(issuer, 600);
    claims["sub"] = json!("repo:octo-org/octo-repo:ref:refs/heads/main");
    signed_token(kid, &claims)
}

fn decode(issuer: &TestIssuer, token: &str, extra: &[&str]) -> (Value, String) {
    let output = oidc_doctor()
        .args(["decode", "--format", "json", "--fail-on", "never"])
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle())
        .args(extra)
        .arg(token)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

fn tk013(report: &Value) -> Option<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "TK013")
        .map(|f| f["message"].as_str().unwrap().to_owned())
}

#[test]
fn verify_fetches_the_keys_through_discovery_and_accepts_a_good_signature() {
    let issuer = TestIssuer::start(Behaviour::default());
    let good = token(&issuer.url(), "test-rsa-1");
    let (report, text) = decode(&issuer, &good, &["--verify"]);
    assert_eq!(tk013(&report), None, "{:?}", codes(&report));
    let signature = &report["token"]["signature"];
    assert_eq!(signature["checked"], true);
    assert_eq!(signature["valid"], true);
    assert_eq!(signature["key_set"], issuer.jwks_url());
    assert_eq!(issuer.count("/.well-known/openid-configuration"), 1);
    assert_eq!(issuer.count("/jwks"), 1);
    // The signature is checked, never shown.
    let sig = good.rsplit('.').next().unwrap();
    assert!(!text.contains(sig));
}

#[test]
fn verify_names_an_unknown_kid_and_a_bad_signature() {
    let issuer = TestIssuer::start(Behaviour::default());
    let (report, _) = decode(
        &issuer,
        &token(&issuer.url(), "rotated-away"),
        &["--verify"],
    );
    let text = tk013(&report).expect("TK013");
    assert!(text.contains("rotated-away"), "{text}");

    let good = token(&issuer.url(), "test-rsa-1");
    let (head, _) = good.rsplit_once('.').unwrap();
    let other = token("https://someone.else.example", "test-rsa-1");
    let forged = format!("{head}.{}", other.rsplit('.').next().unwrap());
    let (report, _) = decode(&issuer, &forged, &["--verify"]);
    assert!(tk013(&report).is_some(), "{:?}", codes(&report));
    assert_eq!(report["token"]["signature"]["valid"], false);
}

#[test]
fn jwks_url_fetches_the_key_set_directly() {
    let issuer = TestIssuer::start(Behaviour::default());
    let good = token("https://not-fetched.example.com", "test-rsa-1");
    let (report, _) = decode(&issuer, &good, &["--jwks-url", &issuer.jwks_url()]);
    assert_eq!(report["token"]["signature"]["valid"], true);
    assert_eq!(issuer.count("/.well-known/openid-configuration"), 0);
}

#[test]
fn verify_reports_why_the_keys_could_not_be_fetched() {
    let issuer = TestIssuer::start(Behaviour {
        jwks_uri: Some("http://{base}/jwks".into()),
        ..Behaviour::default()
    });
    let good = token(&issuer.url(), "test-rsa-1");
    let (report, _) = decode(&issuer, &good, &["--verify"]);
    assert!(
        codes(&report).contains(&"IS005".to_owned()),
        "{:?}",
        codes(&report)
    );
    assert_eq!(report["token"]["signature"]["checked"], false);

    let output = oidc_doctor()
        .args(["decode", "--verify", "--fail-on", "never"])
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle())
        .arg(&good)
        .output()
        .unwrap();
    let human = String::from_utf8(output.stdout).unwrap();
    assert!(
        human.contains("Signature: NOT CHECKED: discovery gave no usable `jwks_uri`"),
        "{human}"
    );
}

#[test]
fn verify_runs_the_key_set_rules_on_the_fetched_keys() {
    let issuer = TestIssuer::start(Behaviour {
        jwks_cache_control: Some("no-store".into()),
        ..Behaviour::default()
    });
    let (report, _) = decode(&issuer, &token(&issuer.url(), "test-rsa-1"), &["--verify"]);
    assert!(
        codes(&report).contains(&"IS009".to_owned()),
        "{:?}",
        codes(&report)
    );
    assert_eq!(report["token"]["signature"]["valid"], true);
}

#[test]
fn without_verify_the_signature_is_said_to_be_unchecked() {
    let output = oidc_doctor()
        .args(["decode", "--at", crate::support::FIXTURE_NOW])
        .arg(fixture("examples/github-actions.jwt"))
        .output()
        .unwrap();
    let human = String::from_utf8(output.stdout).unwrap();
    assert!(
        human.contains("Signature: not checked (--verify fetches"),
        "{human}"
    );
}
