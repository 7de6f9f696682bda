//! The five output formats on the same reports, and the secrets rule: the
//! token signature never appears in any of them.

use std::process::Stdio;

use crate::support::{FIXTURE_NOW, fixture, oidc_doctor, signature_of};

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "markdown"];

fn run(format: &str, file: &str) -> (Option<i32>, String) {
    let out = oidc_doctor()
        .args(["decode", "--at", FIXTURE_NOW, "--format", format, file])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn no_format_prints_the_signature() {
    for file in [
        "fixtures/examples/github-actions.jwt",
        "fixtures/examples/expired-gitlab.jwt",
        "fixtures/token/TK002-token-alg-unsupported/bad-hs256.jwt",
    ] {
        let signature = signature_of(&fixture(file.trim_start_matches("fixtures/")));
        assert!(signature.len() > 20);
        for format in FORMATS {
            let (_, stdout) = run(format, file);
            assert!(!stdout.is_empty(), "{format}");
            assert!(
                !stdout.contains(&signature),
                "{format} printed the signature of {file}"
            );
            assert!(
                !stdout.contains(&signature[..20]),
                "{format} printed part of the signature"
            );
        }
    }
}

#[test]
fn every_format_reports_the_same_findings_with_the_same_exit_code() {
    for format in FORMATS {
        let (code, stdout) = run(format, "fixtures/examples/expired-gitlab.jwt");
        assert_eq!(code, Some(1), "{format}");
        assert!(stdout.contains("TK005"), "{format}: {stdout}");
    }
}

#[test]
fn json_has_header_claims_family_and_findings() {
    let (_, stdout) = run("json", "fixtures/examples/expired-gitlab.jwt");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["tool"]["name"], "oidc-doctor");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["command"], "decode");
    let token = &report["token"];
    assert_eq!(token["header"]["alg"], "RS256");
    assert_eq!(token["claims"]["iss"], "https://gitlab.com");
    assert_eq!(token["issuer_family"]["id"], "gitlab");
    assert_eq!(token["issuer_family"]["shared"], true);
    assert_eq!(token["subject"]["form"], "default");
    assert_eq!(
        token["signature"],
        serde_json::json!({"checked": false, "present": true, "valid": null, "key_set": null})
    );
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "TK005");
    assert_eq!(finding["slug"], "token-expired");
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["category"], "breakage");
    assert_eq!(finding["location"], serde_json::Value::Null);
    assert_eq!(finding["docs"], "docs/rules/TK005.md");
    assert_eq!(report["summary"]["high"], 1);
    assert_eq!(report["summary"]["info"], 1);
    let stage = &report["stages"][0];
    assert_eq!(stage["name"], "token");
    assert_eq!(stage["status"], "fail");
    assert!(stage["duration_ms"].is_u64());
}

#[test]
fn sarif_has_what_github_code_scanning_requires() {
    let (_, stdout) = run("sarif", "fixtures/examples/expired-gitlab.jwt");
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "oidc-doctor");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["TK005", "TK014"], "one rule per code that appears");
    for rule in rules {
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(
            uri.starts_with("https://")
                && uri.ends_with(&format!("docs/rules/{}.md", rule["id"].as_str().unwrap()))
        );
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Fix")
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let id = result["ruleId"].as_str().unwrap();
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note", "none"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "fixtures/examples/expired-gitlab.jwt"
        );
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(physical["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[1]["level"], "note");
}

#[test]
fn sarif_with_no_findings_is_still_valid() {
    let (_, stdout) = {
        let out = oidc_doctor()
            .args(["explain", "--all", "--format", "sarif"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn github_format_is_workflow_commands() {
    let (_, stdout) = run("github", "fixtures/examples/expired-gitlab.jwt");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(
            "::error file=fixtures/examples/expired-gitlab.jwt,title=TK005::The token expired "
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::notice file=fixtures/examples/expired-gitlab.jwt,title=TK014::")
    );
    let (_, within_skew) = run(
        "github",
        "fixtures/token/TK005-token-expired/bad-expired-within-skew.jwt",
    );
    assert!(
        within_skew.starts_with("::warning "),
        "medium is a warning: {within_skew}"
    );
}

#[test]
fn markdown_is_a_pasteable_report() {
    let (_, stdout) = run("markdown", "fixtures/examples/expired-gitlab.jwt");
    assert!(stdout.starts_with("# oidc-doctor decode\n"));
    assert!(stdout.contains("**2 findings: 0 critical, 1 high, 0 medium, 0 low, 1 info**"));
    assert!(stdout.contains("| `sub` | project_path:acme/app:ref_type:branch:ref:main |"));
    assert!(stdout.contains("### TK005 token-expired (high)"));
    assert!(stdout.contains("**Fix:** "));
    let out = oidc_doctor()
        .args(["explain", "TK005", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("# TK005 token-expired")
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_status_0() {
    for args in [
        vec!["explain", "--all"],
        vec!["decode", "fixtures/examples/expired-gitlab.jwt"],
        vec!["completions", "bash"],
    ] {
        // A pipe whose reading end is closed before the tool even starts:
        // its first write fails with EPIPE, whatever the timing.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = crate::support::scrubbed(std::process::Command::new(
            assert_cmd::cargo::cargo_bin("oidc-doctor"),
        ))
        .args(&args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_usage_error_exits_2_even_when_stderr_is_closed() {
    let status = crate::support::scrubbed(std::process::Command::new(
        assert_cmd::cargo::cargo_bin("oidc-doctor"),
    ))
    .args(["decode", "--no-such-flag"])
    .stderr(Stdio::null())
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn claim_values_cannot_inject_into_any_format() {
    // sub holds an ANSI escape, a newline and Markdown/HTML.
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = r#"{"iss":"https://idp.example.com","sub":"x\u001b[31mred\n# Heading <img src=x>|cell","aud":"a","iat":1,"exp":4102444800}"#;
    let token = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256","kid":"k"}"#),
        b64(claims)
    );
    for format in FORMATS {
        let out = oidc_doctor()
            .args(["decode", "--format", format, "-"])
            .write_stdin(token.clone())
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains('\u{1b}'), "{format}: raw escape in output");
        if format == "markdown" {
            assert!(!stdout.contains("\n# Heading"), "markdown heading injected");
            assert!(!stdout.contains("<img"), "HTML injected");
        }
        if format == "github" {
            for line in stdout.lines() {
                assert!(
                    line.starts_with("::"),
                    "github: a claim broke a workflow command: {line}"
                );
            }
        }
    }
}
