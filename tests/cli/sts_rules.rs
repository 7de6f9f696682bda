//! The AS fixtures: every answer in fixtures/sts/<CODE>-<slug>/ is served by
//! the STS stand-in as it is, and `assume` must sort it into that code and
//! retry it or not as the file name says (`<status>-<retry|once>-...`).

use std::path::PathBuf;

use oidc_doctor::rules;
use serde_json::Value;

use crate::sts_standin::{Answer, StsStandin};
use crate::support::{fixture, no_aws_setup, oidc_doctor};

fn directories() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture("sts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_as_rule_has_its_answers_and_they_are_named_by_rule() {
    let dirs: Vec<String> = directories()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for rule in rules::CATALOGUE.iter().filter(|r| r.code.starts_with("AS")) {
        // AS002 is a sequence (failures, then success), not one answer:
        // assume_cli's retry tests cover it.
        if rule.code == "AS002" {
            continue;
        }
        let name = format!("{}-{}", rule.code, rule.slug);
        assert!(dirs.contains(&name), "fixtures/sts/{name} missing");
    }
    for dir in &dirs {
        let (code, slug) = dir.split_once('-').unwrap();
        let rule = rules::find(code).unwrap_or_else(|| panic!("{dir}: no rule {code}"));
        assert_eq!(rule.slug, slug, "{dir}");
    }
}

#[test]
fn each_sts_answer_is_classified_and_retried_as_its_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let token = crate::support::github_token_file(dir.path());
    let mut checked = 0;
    for folder in directories() {
        let code = folder.file_name().unwrap().to_string_lossy()[..5].to_owned();
        for file in std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
        {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let mut parts = name.splitn(3, '-');
            let status: u16 = parts.next().unwrap().parse().unwrap();
            let retried = match parts.next().unwrap() {
                "retry" => true,
                "once" => false,
                other => panic!("{name}: `{other}` is neither retry nor once"),
            };
            let body = std::fs::read_to_string(&file).unwrap();
            let sts = StsStandin::start(vec![Answer::Raw { status, body }]);
            let output = oidc_doctor()
                .envs(no_aws_setup(dir.path()))
                .env("AWS_ENDPOINT_URL_STS", sts.url())
                .args([
                    "assume",
                    "--role-arn",
                    "arn:aws:iam::123456789012:role/deploy",
                ])
                .args([
                    "--session-name",
                    "fixture",
                    "--max-attempts",
                    "2",
                    "--format",
                    "json",
                    "--token-file",
                ])
                .arg(&token)
                .output()
                .unwrap();
            let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!("{name}: {e}: {}", String::from_utf8_lossy(&output.stderr))
            });
            let codes: Vec<&str> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .filter(|c| c.starts_with("AS"))
                .collect();
            assert_eq!(codes, [code.as_str()], "{}/{name}", folder.display());
            assert_eq!(
                sts.calls(),
                if retried { 2 } else { 1 },
                "{}/{name}: calls",
                folder.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} answers checked");
}
