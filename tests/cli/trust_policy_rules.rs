//! Every TP fixture directory: each file must produce exactly the findings
//! its `expected.json` lists (code, line, pointer), no more and no fewer.

use std::collections::BTreeSet;
use std::path::Path;

use oidc_doctor::finding::Finding;
use oidc_doctor::model::documents::{Recognised, recognise_json};
use oidc_doctor::rules::{self, trust_policy};
use serde_json::Value;

use crate::support::fixture;

type Expected = BTreeSet<(String, usize, String)>;

/// Lints one file the way `lint` does and returns (code, line, pointer).
pub fn lint_findings(path: &Path, role_arn: Option<&str>) -> Vec<Finding> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.display().to_string();
    let options = trust_policy::LintOptions {
        role_arn: role_arn.map(str::to_owned),
        ..trust_policy::LintOptions::default()
    };
    match recognise_json(&name, text) {
        Recognised::Policies(docs) => docs
            .iter()
            .flat_map(|d| trust_policy::check(d, &options))
            .collect(),
        Recognised::Unparseable(error) => {
            vec![trust_policy::unparseable(&name, None, "file", &error)]
        }
        other => panic!("{name}: {other:?}"),
    }
}

fn as_set(findings: &[Finding]) -> Expected {
    findings
        .iter()
        .map(|f| {
            let location = f.location.as_ref().expect("TP findings have a location");
            (f.code().to_owned(), location.line, location.pointer.clone())
        })
        .collect()
}

fn expected_set(entries: &Value) -> Expected {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_owned(),
                usize::try_from(e["line"].as_u64().unwrap()).unwrap(),
                e["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_fixture_produces_exactly_its_expected_findings() {
    let root = fixture("trust_policy");
    let mut failures = Vec::new();
    let mut files = 0;
    let mut dirs = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        dirs += 1;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = &name[..5];
        let rule = rules::find(code).unwrap_or_else(|| panic!("{name}: no rule {code}"));
        assert_eq!(
            name,
            format!("{code}-{}", rule.slug),
            "fixture folder names the slug"
        );
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let role_arn = expected["role_arn"].as_str();
        let (mut bad, mut ok) = (0, 0);
        for (file, entries) in expected.as_object().unwrap() {
            if file == "role_arn" {
                continue;
            }
            files += 1;
            let want = expected_set(entries);
            if file.starts_with("bad-") {
                bad += 1;
                assert!(
                    want.iter().any(|(c, _, _)| c == code),
                    "{name}/{file}: a bad fixture must expect {code}"
                );
            } else {
                ok += 1;
                assert!(
                    !want.iter().any(|(c, _, _)| c == code),
                    "{name}/{file}: an ok fixture must not expect {code}"
                );
            }
            let got = as_set(&lint_findings(&dir.join(file), role_arn));
            if got != want {
                let missing: Vec<_> = want.difference(&got).collect();
                let extra: Vec<_> = got.difference(&want).collect();
                failures.push(format!(
                    "{name}/{file}\n    missing: {missing:?}\n    extra:   {extra:?}"
                ));
            }
        }
        assert!(bad >= 1 && ok >= 1, "{name}: needs a bad and an ok fixture");
    }
    assert!(dirs >= 58, "only {dirs} fixture directories");
    assert!(
        failures.is_empty(),
        "{} of {files} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
