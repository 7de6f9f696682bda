//! The five output formats on the same reports, and the secrets rule: the
//! token signature never appears in any of them.

use std::process::Stdio;

use crate::support::{FIXTURE_NOW, fixture, oidc_doctor, signature_of};

const FORMATS: [&str; 6] = ["human", "json", "sarif", "github", "gitlab", "markdown"];

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
    let out = oidc_doctor()
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["decode", "--at", FIXTURE_NOW, "--format", "markdown"])
        .arg("fixtures/examples/expired-gitlab.jwt")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!(
            "# oidc-doctor decode\n\noidc-doctor {} · 2026-01-01 00:00:00 UTC · \
         2 findings: 0 critical, 1 high, 0 medium, 0 low, 1 info\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{stdout}"
    );
    assert!(stdout.contains("| `sub` | project_path:acme/app:ref_type:branch:ref:main |"));
    assert!(stdout.contains(
        "### [TK005 token-expired](https://github.com/oidc-doctor/oidc-doctor/blob/main/docs/rules/TK005.md) (high)"
    ), "{stdout}");
    assert!(stdout.contains("**Fix:** "));
    // The token's length is said once, in the token section.
    assert_eq!(stdout.matches("1049").count(), 1, "{stdout}");
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

/// `lint --format markdown` on the lint fixtures, at a pinned time.
fn lint_markdown(paths: &[&str]) -> String {
    let out = oidc_doctor()
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["lint", "--format", "markdown"])
        .args(paths)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn markdown_code_spans_show_their_text_and_prose_is_escaped() {
    let text = lint_markdown(&["fixtures/lint/template.yaml"]);
    // TP601's fix quotes `system:serviceaccount:<namespace>:<service account>`.
    assert!(
        text.contains("`system:serviceaccount:<namespace>:<service account>`"),
        "{text}"
    );
    assert!(!text.contains("&lt;namespace"), "{text}");
    // A value with a backtick in a code span gets a longer fence.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a`b <i>.json");
    std::fs::write(&odd, "{}").unwrap();
    let text = lint_markdown(&[odd.to_str().unwrap()]);
    assert!(text.contains("``"), "{text}");
    assert!(text.contains("a`b <i>.json"), "{text}");
    assert!(
        !text.contains("<i>.json`:"),
        "the path stays in its span: {text}"
    );
}

#[test]
fn a_lint_runbook_says_each_thing_once_with_counts_in_words() {
    let text = lint_markdown(&["fixtures/lint/template.yaml", "fixtures/lint/plan.json"]);
    assert!(
        text.starts_with(&format!(
            "# oidc-doctor lint\n\noidc-doctor {} · 2026-01-01 00:00:00 UTC · 4 findings",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    assert_eq!(
        text.matches("2 trust policies in 2 files; 1 more could not be checked.")
            .count(),
        1,
        "{text}"
    );
    for message in [
        "matches subjects of any namespace",
        "admits every project of group",
        "The subject is pinned by names only",
        "built at deploy time by the CloudFormation intrinsic `Fn::Sub`",
    ] {
        assert_eq!(text.matches(message).count(), 1, "{message}: {text}");
    }
    assert!(!text.contains("## Not checked"), "TP009 says it: {text}");
    for code in ["TP601", "TP604", "TP611", "TP009"] {
        assert!(
            text.contains(&format!("[{code} "))
                && text.contains(&format!("/docs/rules/{code}.md)")),
            "{code}: {text}"
        );
    }
    assert!(!text.contains("(s)"), "{text}");
    // One policy in one file: singular.
    let text = lint_markdown(&["fixtures/lint/cn-audience-role.json"]);
    assert!(text.contains("Linted 1 trust policy in 1 file."), "{text}");
    let out = oidc_doctor()
        .args([
            "lint",
            "--format",
            "json",
            "fixtures/lint/cn-audience-role.json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stages"][0]["detail"], "1 policy in 1 file");
}

#[test]
fn the_offline_check_runbook_says_each_thing_once() {
    let out = oidc_doctor()
        .args(["check", "--offline", "--format", "markdown", "--quiet"])
        .args(crate::support::CHECK_EXAMPLE)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // The policy stage's result is in the stage table, not also under the cause.
    assert_eq!(
        text.matches("fixtures/examples/check/trust-policy.json: refuses the token (EV001)")
            .count(),
        1,
        "{text}"
    );
    assert!(!text.contains("(s)"), "{text}");
    assert!(text.contains("1 thumbprint;"), "{text}");
}

/// Every word of `text` that is an ARN or a URL, and every quoted value,
/// key or command: what a reader copies.
fn copied_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split([' ', '\n'])
        .map(|w| w.trim_matches(|c: char| "`'\"(),.;:".contains(c)))
        .filter(|w| w.starts_with("arn:") || w.contains("://"))
        .map(str::to_owned)
        .collect();
    // Values, keys and commands quoted in a message: `aws iam ...`.
    words.extend(text.split('`').skip(1).step_by(2).map(str::to_owned));
    words
}

#[test]
fn narrow_human_output_never_cuts_an_arn_a_url_or_a_command() {
    let runs: [&[&str]; 4] = [
        &[
            "lint",
            "fixtures/lint/template.yaml",
            "fixtures/lint/plan.json",
        ],
        &[
            "lint",
            "--provider-json",
            "fixtures/lint/provider-other-audience.json",
            "fixtures/lint/cn-audience-role.json",
        ],
        &[
            "decode",
            "--at",
            FIXTURE_NOW,
            "fixtures/examples/github-actions.jwt",
        ],
        &[
            "decode",
            "--at",
            FIXTURE_NOW,
            "fixtures/examples/expired-gitlab.jwt",
        ],
    ];
    for args in runs {
        let json = oidc_doctor()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let mut words = Vec::new();
        for finding in report["findings"].as_array().unwrap() {
            for field in ["message", "help", "suggestion"] {
                words.extend(copied_words(finding[field].as_str().unwrap_or_default()));
            }
        }
        for claim in report["token"]["claims"].as_object().into_iter().flatten() {
            words.extend(claim.1.as_str().map(str::to_owned));
        }
        assert!(words.len() > 3, "{args:?}: {words:?}");
        for width in ["40", "60"] {
            let out = oidc_doctor()
                .env("COLUMNS", width)
                .args(args)
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            for word in &words {
                assert!(
                    text.contains(word.as_str()),
                    "{args:?} at {width} columns cut `{word}`:\n{text}"
                );
            }
            // Prose is still wrapped: no line of prose runs past the width
            // but for a word that is longer by itself.
            let width: usize = width.parse().unwrap();
            for line in text
                .lines()
                .filter(|l| l.starts_with("  │ ") || l.starts_with("  × "))
            {
                let last_space = line.trim_end().rfind(' ').unwrap_or(0);
                assert!(
                    line.chars().count() <= width || line[..last_space].chars().count() <= width,
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn sarif_paths_are_relative_to_the_work_tree_top_wherever_the_tool_runs() {
    let top = tempfile::tempdir().unwrap();
    std::fs::create_dir(top.path().join(".git")).unwrap();
    let cfn = top.path().join("infra/cfn");
    std::fs::create_dir_all(&cfn).unwrap();
    std::fs::copy(
        crate::support::fixture("lint/template.yaml"),
        cfn.join("roles.yaml"),
    )
    .unwrap();
    let sub = top.path().join("app/src");
    std::fs::create_dir_all(&sub).unwrap();
    let absolute = cfn.join("roles.yaml").display().to_string();
    for (cwd, path) in [
        (sub.clone(), "../../infra/cfn/roles.yaml".to_owned()),
        (sub.clone(), absolute.clone()),
        (top.path().join("infra"), "cfn/roles.yaml".to_owned()),
        (
            top.path().to_path_buf(),
            "./infra/cfn/roles.yaml".to_owned(),
        ),
    ] {
        let out = oidc_doctor()
            .current_dir(&cwd)
            .args(["lint", "--format", "sarif"])
            .arg(&path)
            .output()
            .unwrap();
        let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let run = &sarif["runs"][0];
        let artifact = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            artifact,
            &serde_json::json!({"uri": "infra/cfn/roles.yaml", "uriBaseId": "%SRCROOT%"}),
            "{path} from {}",
            cwd.display()
        );
        let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            root.starts_with("file:///") && root.ends_with('/'),
            "{root}"
        );
        let root = std::path::Path::new(root.trim_start_matches("file://"));
        assert_eq!(
            std::fs::canonicalize(root).unwrap(),
            std::fs::canonicalize(top.path()).unwrap()
        );
    }
    // Without a work tree, the working directory is the root.
    let plain = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::fixture("lint/template.yaml"),
        plain.path().join("roles.yaml"),
    )
    .unwrap();
    let out = oidc_doctor()
        .current_dir(plain.path())
        .args(["lint", "--format", "sarif", "roles.yaml"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "roles.yaml"
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
