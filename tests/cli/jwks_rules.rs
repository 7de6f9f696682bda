//! The key-set rules (IS007, IS010–IS013) through `decode --jwks`: where the
//! finding points and what it leaves alone. That every key set in
//! fixtures/issuer/ produces exactly the codes its `expected.json` lists is
//! the fixture harness's (`fixture_harness.rs`).

use serde_json::Value;

use crate::support::{FIXTURE_NOW, fixture, oidc_doctor};

#[test]
fn decode_reports_key_set_problems_with_their_location() {
    let out = oidc_doctor()
        .args(["decode", "--format", "json", "--at", FIXTURE_NOW, "--jwks"])
        .arg(fixture(
            "issuer/IS013-jwk-private-material/bad-private-rsa-key.json",
        ))
        .arg(fixture("examples/github-actions.jwt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let is013 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IS013")
        .unwrap();
    assert_eq!(is013["severity"], "critical");
    assert_eq!(is013["location"]["pointer"], "/keys/0");
    assert_eq!(is013["location"]["line"], 3);
    // The private key still verifies the token: only the leak is reported.
    assert_eq!(report["token"]["signature"]["valid"], true);

    let out = oidc_doctor()
        .args(["decode", "--at", FIXTURE_NOW, "--jwks"])
        .arg(fixture("issuer/IS007-jwks-invalid/bad-html.json"))
        .arg(fixture("examples/github-actions.jwt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("IS007 jwks-invalid") && text.contains("not JSON"),
        "{text}"
    );
}
