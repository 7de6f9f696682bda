//! `--format gitlab`: the GitLab Code Quality report is valid against the
//! schema in docs/ (GitLab's documented format), located in the repository,
//! and its fingerprints identify a finding across edits that move it.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::support::{CHECK_EXAMPLE, oidc_doctor, root};

/// The Python with `jsonschema` that scripts/test provides (the emulator's
/// venv); without it the test fails and says so.
fn python() -> PathBuf {
    let Some(python) = std::env::var_os("OIDC_DOCTOR_TEST_PYTHON") else {
        panic!(
            "OIDC_DOCTOR_TEST_PYTHON is not set: run the tests with scripts/test, which sets it \
             to a Python that has jsonschema"
        )
    };
    let python = PathBuf::from(python);
    assert!(python.exists(), "{} does not exist", python.display());
    python
}

/// Validates `report` against docs/gitlab-code-quality.schema.json.
pub fn assert_valid(report: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gl-code-quality-report.json");
    std::fs::write(&file, report).unwrap();
    let out = Command::new(python())
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))",
        ])
        .arg(root().join("docs/gitlab-code-quality.schema.json"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{report}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gitlab(args: &[&str]) -> (Option<i32>, String) {
    let out = oidc_doctor()
        .args(args)
        .args(["--format", "gitlab"])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn lint_writes_a_valid_code_quality_report_located_in_the_repository() {
    let (code, report) = gitlab(&[
        "lint",
        "fixtures/lint/terraform/module-github-bad",
        "fixtures/lint/repo",
    ]);
    assert_eq!(code, Some(1));
    assert_valid(&report);
    let issues: Vec<Value> = serde_json::from_str(&report).unwrap();
    let tp601 = issues
        .iter()
        .find(|i| i["check_name"] == "TP601")
        .expect("TP601");
    assert_eq!(tp601["severity"], "critical");
    assert_eq!(tp601["categories"][0], "Security");
    assert_eq!(
        tp601["location"]["path"],
        "fixtures/lint/terraform/module-github-bad/main.tf"
    );
    assert_eq!(tp601["location"]["lines"]["begin"], 7);
    // Every finding is there, each with its own fingerprint.
    let (_, json) = {
        let out = oidc_doctor()
            .args(["lint", "--format", "json"])
            .args([
                "fixtures/lint/terraform/module-github-bad",
                "fixtures/lint/repo",
            ])
            .output()
            .unwrap();
        (0, serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    assert_eq!(issues.len(), json["findings"].as_array().unwrap().len());
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len());
    // A clean run is an empty array, which GitLab reads as "no issues".
    let (code, report) = gitlab(&["lint", "fixtures/lint/terraform/jsonencode-ok"]);
    assert_eq!(code, Some(0));
    let issues: Vec<Value> = serde_json::from_str(&report).unwrap();
    assert!(issues.iter().all(|i| i["severity"] == "info"), "{report}");
}

#[test]
fn a_finding_moved_by_an_edit_keeps_its_fingerprint() {
    let dir = tempfile::Builder::new()
        .prefix("gitlab-fingerprint")
        .tempdir_in(root().join("target"))
        .unwrap();
    let text =
        std::fs::read_to_string(root().join("fixtures/lint/terraform/module-github-bad/main.tf"))
            .unwrap();
    let file = dir.path().join("main.tf");
    std::fs::write(&file, &text).unwrap();
    let (_, before) = gitlab(&["lint", file.to_str().unwrap()]);
    std::fs::write(&file, format!("# a comment\n\n{text}")).unwrap();
    let (_, after) = gitlab(&["lint", file.to_str().unwrap()]);
    let before: Vec<Value> = serde_json::from_str(&before).unwrap();
    let after: Vec<Value> = serde_json::from_str(&after).unwrap();
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b["fingerprint"], a["fingerprint"]);
        assert_eq!(
            a["location"]["lines"]["begin"].as_u64(),
            b["location"]["lines"]["begin"].as_u64().map(|l| l + 2)
        );
        // Under the repository: a path relative to its top.
        assert!(
            a["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("target/gitlab-fingerprint"),
            "{a}"
        );
    }
}

#[test]
fn check_findings_without_a_file_are_located_at_the_input() {
    let (_, report) = gitlab(&[&["check", "--offline"][..], &CHECK_EXAMPLE[..]].concat());
    assert_valid(&report);
    let issues: Vec<Value> = serde_json::from_str(&report).unwrap();
    assert!(!issues.is_empty());
    for issue in &issues {
        assert!(!issue["location"]["path"].as_str().unwrap().is_empty());
        // Never a token in the report.
        assert!(!issue.to_string().contains("eyJ"), "{issue}");
    }
}
