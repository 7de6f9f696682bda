//! The key-set rules (IS007, IS010–IS013) on every JWKS fixture: each file
//! produces exactly the codes its `expected.json` lists.

use oidc_doctor::model::source::JsonSource;
use oidc_doctor::rules::{self, issuer::jwks};
use serde_json::Value;

use crate::support::{FIXTURE_NOW, fixture, oidc_doctor};

fn codes_for(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let origin = path.display().to_string();
    let findings = match JsonSource::parse(text) {
        Err(error) => vec![jwks::unparseable(&origin, &error)],
        Ok(source) => jwks::check(&jwks::KeySet {
            origin: &origin,
            source: &source,
        }),
    };
    let mut codes: Vec<String> = findings.iter().map(|f| f.code().to_owned()).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn every_jwks_fixture_produces_exactly_its_expected_codes() {
    let mut checked = 0;
    for dir in std::fs::read_dir(fixture("jwks")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let rule = rules::find(&name[..5]).unwrap_or_else(|| panic!("{name}: no rule"));
        assert_eq!(name, format!("{}-{}", rule.code, rule.slug));
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        for (file, codes) in expected.as_object().unwrap() {
            let want: Vec<String> = codes
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(codes_for(&dir.join(file)), want, "{name}/{file}");
            assert_eq!(
                file.starts_with("bad-"),
                want.contains(&rule.code.to_owned()),
                "{name}/{file}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} key sets checked");
}

#[test]
fn decode_reports_key_set_problems_with_their_location() {
    let out = oidc_doctor()
        .args(["decode", "--format", "json", "--at", FIXTURE_NOW, "--jwks"])
        .arg(fixture(
            "jwks/IS013-jwk-private-material/bad-private-rsa-key.json",
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
        .arg(fixture("jwks/IS007-jwks-invalid/bad-html.json"))
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
