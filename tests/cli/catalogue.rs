//! The rule catalogue, its documentation pages and `explain`.

use oidc_doctor::rules::{self, CATALOGUE};

use crate::support::{oidc_doctor, root};

const HEADINGS: [&str; 5] = [
    "## What it finds",
    "## Why it matters",
    "## Example",
    "## Fix",
    "## References",
];

#[test]
fn every_rule_has_a_doc_page_with_the_fixed_sections() {
    for rule in CATALOGUE {
        let path = root().join(rule.docs_path());
        let page =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} missing", path.display()));
        assert_eq!(
            page, rule.doc,
            "{}: the compiled-in page is the file",
            rule.code
        );
        assert_eq!(
            page.lines().next(),
            Some(format!("# {} {}", rule.code, rule.slug).as_str()),
            "{}: title",
            rule.code
        );
        let headings: Vec<&str> = page.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(headings, HEADINGS, "{}: sections", rule.code);
        assert!(
            !rule.summary().is_empty() && rule.summary().len() < 120,
            "{}: summary",
            rule.code
        );
        let meta = format!("Severity: {} · Category: {}", rule.severity, rule.category);
        assert!(page.contains(&meta), "{}: `{meta}` line", rule.code);
    }
}

#[test]
fn codes_and_slugs_are_unique_and_follow_the_naming_scheme() {
    let mut codes = std::collections::HashSet::new();
    let mut slugs = std::collections::HashSet::new();
    for rule in CATALOGUE {
        assert!(codes.insert(rule.code), "duplicate {}", rule.code);
        // rules.md gives the live STS answer the slug of the rule that
        // predicts it offline (AS105/PV004, AS106/TK005); no other pair may share one.
        if !["PV004", "TK005"].contains(&rule.code) {
            assert!(slugs.insert(rule.slug), "duplicate {}", rule.slug);
        }
        assert!(
            rule.slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
        assert_eq!(rule.code.len(), 5);
    }
}

#[test]
fn explain_prints_the_page() {
    let assert = oidc_doctor().args(["explain", "TK005"]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout, rules::find("TK005").unwrap().doc);
    // Lower case codes and slugs work too.
    oidc_doctor()
        .args(["explain", "tk005"])
        .assert()
        .success()
        .stdout(stdout.clone());
    // A slug works too; `token-expired` names TK005 and the live AS106.
    let both = oidc_doctor()
        .args(["explain", "token-expired"])
        .assert()
        .success();
    let both = String::from_utf8(both.get_output().stdout.clone()).unwrap();
    assert!(both.contains(&stdout) && both.contains("# AS106 token-expired"));
    oidc_doctor()
        .args(["explain", "token-short-lifetime"])
        .assert()
        .success()
        .stdout(rules::find("TK012").unwrap().doc);
}

#[test]
fn a_slug_two_rules_share_prints_both_pages() {
    let assert = oidc_doctor()
        .args(["explain", "thumbprint-mismatch"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let expected = format!(
        "{}\n---\n\n{}",
        rules::find("AS105").unwrap().doc,
        rules::find("PV004").unwrap().doc
    );
    assert_eq!(stdout, expected);
}

#[test]
fn explain_all_json_lists_exactly_the_catalogue() {
    let output = oidc_doctor()
        .args(["explain", "--all", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = CATALOGUE.iter().map(|r| r.code).collect();
    assert_eq!(listed, catalogue);
    let first = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "TK001")
        .unwrap();
    assert_eq!(first["slug"], "token-not-jwt");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["docs"], "docs/rules/TK001.md");
}

#[test]
fn explain_all_human_shows_code_slug_severity_summary() {
    let assert = oidc_doctor().args(["explain", "--all"]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for rule in CATALOGUE {
        assert!(
            stdout.contains(rule.code) && stdout.contains(rule.slug),
            "{}",
            rule.code
        );
    }
    assert!(stdout.contains(&format!("{} rules.", CATALOGUE.len())));
}

#[test]
fn an_unknown_code_exits_2_and_suggests_the_nearest() {
    let assert = oidc_doctor().args(["explain", "TK0005"]).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("no rule has code `TK0005`"), "{stderr}");
    assert!(stderr.contains("did you mean TK005"), "{stderr}");
    assert!(assert.get_output().stdout.is_empty());

    let assert = oidc_doctor().args(["explain", "ZZZZZZZZ"]).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("explain --all"), "{stderr}");
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let assert = oidc_doctor()
            .args(["completions", shell])
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(stdout.contains("oidc-doctor"), "{shell}");
        assert!(
            stdout.contains("decode"),
            "{shell}: subcommands are completed"
        );
    }
    oidc_doctor().args(["completions", "tcsh"]).assert().code(2);
}
