//! `lint` through the real binary: the four input kinds with their locations,
//! directory walking, `--token`, `--provider-json`, formats and exit codes.

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{FIXTURE_NOW, finding, lint_json, oidc_doctor};

/// (code, path, resource, line, pointer) of every finding.
fn findings(report: &Value) -> Vec<(String, String, Option<String>, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            (
                f["code"].as_str().unwrap().to_owned(),
                l["path"].as_str().unwrap_or_default().to_owned(),
                l["resource"].as_str().map(str::to_owned),
                l["line"].as_u64().unwrap_or(0),
                l["pointer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_directory_is_walked_honouring_gitignore_and_hidden_directories() {
    let (code, report) = lint_json(&["--verbose", "fixtures/lint/repo"]);
    assert_eq!(code, Some(1));
    let paths: Vec<String> = findings(&report).into_iter().map(|f| f.1).collect();
    assert!(
        paths
            .iter()
            .all(|p| p == "fixtures/lint/repo/infra/deploy-role.json"),
        "{paths:?}"
    );
    assert_eq!(
        report["lint"]["files"], 2,
        "deploy-role.json and package.json; .hidden/ and ignored/ skipped"
    );
    assert_eq!(
        report["lint"]["skipped"][0]["path"],
        "fixtures/lint/repo/infra/package.json"
    );
    let codes: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(
        codes,
        ["TP602"],
        "a look-alike owner is no name pin (no TP611)"
    );
    let f = &findings(&report)[0];
    assert_eq!(
        (f.3, f.4.as_str()),
        (
            15,
            "/Statement/0/Condition/StringLike/token.actions.githubusercontent.com:sub"
        )
    );
}

/// A gate must not pass on files it never read without saying so: what the
/// walk leaves out (hidden, ignored) is listed in JSON and Markdown, and
/// counted in the human report without --verbose.
#[test]
fn what_the_walk_leaves_out_is_said_in_every_report() {
    let (_, report) = lint_json(&["fixtures/lint/repo"]);
    let skipped = report["lint"]["skipped"].as_array().unwrap();
    let hidden = skipped
        .iter()
        .find(|s| s["path"] == "fixtures/lint/repo/.hidden/role.json")
        .unwrap_or_else(|| panic!("{skipped:#?}"));
    assert!(
        hidden["reason"].as_str().unwrap().contains("hidden"),
        "{hidden}"
    );
    let human = oidc_doctor()
        .args(["lint", "fixtures/lint/repo"])
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("note: 2 files were not linted (hidden, ignored, or not a policy); --verbose lists them and why"),
        "{text}"
    );
    let markdown = oidc_doctor()
        .args(["lint", "--format", "markdown", "fixtures/lint/repo"])
        .output()
        .unwrap();
    let text = String::from_utf8(markdown.stdout).unwrap();
    assert!(text.contains("## Not checked"), "{text}");
    assert!(
        text.contains("| `fixtures/lint/repo/.hidden/role.json` | hidden, or ignored"),
        "{text}"
    );
}

#[test]
fn no_path_lints_the_current_directory_and_a_path_given_twice_is_linted_once() {
    let here = oidc_doctor()
        .current_dir("fixtures/lint/repo")
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&here.stdout).unwrap();
    assert_eq!(report["lint"]["files"], 2, "{report:#}");
    assert_eq!(
        here.status.code(),
        Some(1),
        "the TP602 of infra/deploy-role.json"
    );
    let (_, report) = lint_json(&[
        "fixtures/lint/repo/infra/deploy-role.json",
        "fixtures/lint/repo/infra/deploy-role.json",
        "fixtures/lint/repo",
    ]);
    assert_eq!(report["lint"]["files"], 2, "{report:#}");
    assert_eq!(findings(&report).len(), 1, "one TP602, not three");
}

#[test]
fn include_and_exclude_filter_the_walk() {
    let (_, report) = lint_json(&["--exclude", "**/deploy-role.json", "fixtures/lint/repo"]);
    assert_eq!(report["findings"], Value::Array(vec![]));
    let (_, report) = lint_json(&["--include", "**/package.json", "fixtures/lint/repo"]);
    assert_eq!(report["lint"]["files"], 1);
    oidc_doctor()
        .args(["lint", "--include", "[", "fixtures/lint/repo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid glob"));
}

#[test]
fn get_role_output_is_url_decoded_and_located_by_role() {
    let (_, report) = lint_json(&["fixtures/lint/get-role.json"]);
    let f = &findings(&report)[0];
    assert_eq!(f.0, "TP501");
    assert_eq!(
        f.2.as_deref(),
        Some("arn:aws:iam::123456789012:role/ci/deploy")
    );
    assert_eq!(
        report["lint"]["policies"][0]["kind"],
        "`aws iam get-role` output"
    );
}

#[test]
fn terraform_plans_report_the_resource_and_the_file_position_in_every_format() {
    let (_, report) = lint_json(&["fixtures/lint/plan.json"]);
    // The file position: line 17, column 11 is where `assume_role_policy`
    // stands in the plan; `inner` is the position inside the policy.
    assert_eq!(
        findings(&report),
        ["TP604", "TP611"].map(|code| (
            code.to_owned(),
            "fixtures/lint/plan.json".to_owned(),
            Some("aws_iam_role.gitlab_deploy".to_owned()),
            17,
            "/Statement/0/Condition/StringLike/gitlab.com:sub".to_owned()
        ))
    );
    let plan = std::fs::read_to_string(crate::support::fixture("lint/plan.json")).unwrap();
    let line_17 = plan.lines().nth(16).unwrap();
    assert!(
        line_17[10..].starts_with("\"assume_role_policy\""),
        "{line_17}"
    );
    for finding in report["findings"].as_array().unwrap() {
        let location = &finding["location"];
        assert_eq!(location["column"], 11);
        assert_eq!(
            location["inner"],
            serde_json::json!({"line": 15, "column": 11})
        );
    }
    // Tools that open the file (GitHub annotations, SARIF) get the same position.
    let out = oidc_doctor()
        .args(["lint", "--format", "github", "fixtures/lint/plan.json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("::warning file=fixtures/lint/plan.json,line=17,col=11,title=TP604::"),
        "{text}"
    );
    let out = oidc_doctor()
        .args(["lint", "--format", "sarif", "fixtures/lint/plan.json"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(17), Some(11))
    );
    let out = oidc_doctor()
        .args(["lint", "--format", "markdown", "fixtures/lint/plan.json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("At `fixtures/lint/plan.json:17:11` (`aws_iam_role.gitlab_deploy`), line 15 column 11 of the policy in it."),
        "{text}"
    );
    // The human snippet is the embedded policy, headed by the file position.
    let out = oidc_doctor()
        .args(["lint", "fixtures/lint/plan.json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "[fixtures/lint/plan.json (aws_iam_role.gitlab_deploy):17:11, embedded policy]"
        ),
        "{text}"
    );
    assert!(
        text.contains(r#""gitlab.com:sub": "project_path:acme/*""#),
        "{text}"
    );
}

/// The plan fixture with its policy as `jsonencode` writes it: one line.
fn compact_plan(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(crate::support::fixture("lint/plan.json")).unwrap();
    let mut plan: Value = serde_json::from_str(&text).unwrap();
    let after = &mut plan["resource_changes"][0]["change"]["after"];
    let policy: Value =
        serde_json::from_str(after["assume_role_policy"].as_str().unwrap()).unwrap();
    after["assume_role_policy"] = Value::String(policy.to_string());
    let path = dir.join("plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    path
}

#[test]
fn a_one_line_policy_in_a_plan_is_shown_laid_out_with_the_finding_inside() {
    let dir = tempfile::tempdir().unwrap();
    let plan = compact_plan(dir.path());
    let out = oidc_doctor().arg("lint").arg(&plan).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(":17:11, embedded policy, laid out]"),
        "{text}"
    );
    // The finding's line, on a line of its own, marked; no 300-column line.
    let marked = text
        .lines()
        .position(|l| l.ends_with(r#""gitlab.com:sub": "project_path:acme/*""#))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        text.lines().nth(marked + 1).unwrap().contains("───"),
        "{text}"
    );
    // (A command to paste is one code span, never cut: it may run longer.)
    assert!(
        text.lines()
            .filter(|l| !(l.trim_start().starts_with('`') && l.ends_with('`')))
            .all(|l| l.chars().count() <= 120),
        "{text}"
    );
    assert!(!text.contains(r#"{"Version""#), "{text}");
    // JSON keeps both positions: the string in the file, the key in the policy.
    let (_, report) = lint_json(&[plan.to_str().unwrap()]);
    let location = &report["findings"][0]["location"];
    assert_eq!(
        (location["line"].as_u64(), location["column"].as_u64()),
        (Some(17), Some(11))
    );
    assert_eq!(location["inner"]["line"], 1);
    assert!(location["inner"]["column"].as_u64().unwrap() > 200);
}

#[test]
fn a_cloudformation_highlight_ends_where_the_policy_ends() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.yaml");
    std::fs::write(
        &template,
        "Resources:
  CiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Federated: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com
            Action: sts:AssumeRoleWithWebIdentity

  # The bucket comes next.
  Bucket:
    Type: AWS::S3::Bucket
",
    )
    .unwrap();
    let out = oidc_doctor().arg("lint").arg(&template).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("TP501"), "{text}");
    // The highlight's last line is the statement's last line, and nothing
    // of the next resource is shown.
    let last = text
        .lines()
        .find(|l| l.contains("├─▶"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        last.ends_with("Action: sts:AssumeRoleWithWebIdentity"),
        "{text}"
    );
    assert!(!text.contains("Bucket"), "{text}");
    assert!(!text.contains("The bucket comes next"), "{text}");
}

#[test]
fn cloudformation_yaml_with_short_form_intrinsics() {
    let (code, report) = lint_json(&["fixtures/lint/template.yaml"]);
    assert_eq!(code, Some(1));
    let f = &findings(&report)[0];
    assert_eq!(
        (f.0.as_str(), f.2.as_deref(), f.3),
        ("TP601", Some("Resources/EksRole"), 18)
    );
    assert!(
        findings(&report).contains(&(
            "TP009".to_owned(),
            "fixtures/lint/template.yaml".to_owned(),
            Some("Resources/GeneratedRole".to_owned()),
            22,
            String::new()
        )),
        "{report}"
    );
    let unresolved = &report["lint"]["policies"][1];
    assert_eq!(unresolved["resource"], "Resources/GeneratedRole");
    assert_eq!(unresolved["checked"], false);
    assert_eq!(unresolved["unresolved"], "Fn::Sub");
    // The !Sub-built policy is not misread as an error, nor passed as
    // checked: TP009 (low) says it was not, at its resource.
    let found = findings(&report);
    assert_eq!(found.len(), 2, "{found:?}");
    let tp009 = found.iter().find(|f| f.0 == "TP009").expect("TP009");
    assert_eq!(tp009.2.as_deref(), Some("Resources/GeneratedRole"));
    let message = finding(&report, "TP009")["message"].as_str().unwrap();
    assert!(message.contains("`Fn::Sub`"), "{message}");
    assert_eq!(report["findings"][1]["severity"], "low");
}

#[test]
fn unreadable_and_broken_inputs() {
    oidc_doctor()
        .args(["lint", "no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/dir"));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}\n",
    )
    .unwrap();
    let (code, report) = lint_json(&[broken.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(report["findings"][0]["code"], "TP001");
    assert_eq!(report["findings"][0]["location"]["line"], 3);
    assert_eq!(report["findings"][0]["location"]["column"], 17);
}

#[test]
fn token_evaluation_says_allowed_or_which_condition_refused() {
    let (_, report) = lint_json(&[
        "--token",
        "fixtures/examples/github-actions.jwt",
        "--at",
        FIXTURE_NOW,
        "fixtures/lint/repo/infra/deploy-role.json",
    ]);
    let evaluation = &report["evaluation"]["policies"][0];
    assert_eq!(
        evaluation["allowed"], true,
        "repo:acme* admits repo:acme/app"
    );
    assert_eq!(
        evaluation["reason"],
        Value::Null,
        "no refusal reason when allowed"
    );
    assert_eq!(
        report["evaluation"]["token"]["sub"],
        "repo:acme/app:ref:refs/heads/main"
    );

    let (_, report) = lint_json(&[
        "--token",
        "fixtures/examples/github-actions.jwt",
        "fixtures/lint/cn-audience-role.json",
    ]);
    let evaluation = &report["evaluation"]["policies"][0];
    assert_eq!(evaluation["allowed"], false);
    let reason = evaluation["reason"].as_str().unwrap();
    assert!(
        reason.contains("token.actions.githubusercontent.com:aud")
            && reason.contains("sts.amazonaws.com.cn"),
        "{reason}"
    );
    let condition = &evaluation["statements"][0]["conditions"][0];
    assert_eq!(condition["token"], serde_json::json!(["sts.amazonaws.com"]));
    assert_eq!(condition["matched"], false);

    let out = oidc_doctor()
        .args([
            "lint",
            "--token",
            "fixtures/examples/github-actions.jwt",
            "fixtures/lint/cn-audience-role.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ fixtures/lint/cn-audience-role.json: refused: statement 0"),
        "{text}"
    );
}

#[test]
fn provider_json_checks_audiences() {
    let (_, report) = lint_json(&[
        "--provider-json",
        "fixtures/lint/provider.json",
        "--token",
        "fixtures/token/TK008-token-multi-audience/ok-two-audiences-azp.jwt",
        "--at",
        FIXTURE_NOW,
        "fixtures/lint/cn-audience-role.json",
    ]);
    let codes: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"PV003".to_owned()), "{codes:?}");
    assert!(
        !codes.contains(&"PV002".to_owned()),
        "azp sts.amazonaws.com is registered: {codes:?}"
    );
    let pv003 = findings(&report)
        .into_iter()
        .find(|f| f.0 == "PV003")
        .unwrap();
    assert_eq!(
        (pv003.3, pv003.4.as_str()),
        (
            12,
            "/Statement/0/Condition/StringEquals/token.actions.githubusercontent.com:aud"
        )
    );

    let (_, report) = lint_json(&[
        "--provider-json",
        "fixtures/lint/provider.json",
        "--token",
        "fixtures/token/TK008-token-multi-audience/bad-two-audiences.jwt",
        "fixtures/lint/repo/infra/deploy-role.json",
    ]);
    let codes: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert!(codes.contains(&"TK008".to_owned()), "{codes:?}");
    oidc_doctor()
        .args([
            "lint",
            "--provider-json",
            "fixtures/lint/get-role.json",
            "fixtures/lint/plan.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no `Url` field"));
}

#[test]
fn sarif_and_github_formats_carry_lines() {
    let out = oidc_doctor()
        .args([
            "lint",
            "--format",
            "sarif",
            "fixtures/lint/repo/infra/deploy-role.json",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "TP602");
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "fixtures/lint/repo/infra/deploy-role.json"
    );
    assert_eq!(physical["region"]["startLine"], 15);
    assert_eq!(physical["region"]["startColumn"], 11);
    let tags = sarif["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"]
        .as_str()
        .unwrap();
    assert_eq!(tags, "9.5");

    let out = oidc_doctor()
        .args([
            "lint",
            "--format",
            "github",
            "fixtures/lint/repo/infra/deploy-role.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "::error file=fixtures/lint/repo/infra/deploy-role.json,line=15,col=11,title=TP602::"
        ),
        "{text}"
    );
}

#[test]
fn cloudformation_substitutions_are_read_not_misjudged() {
    let (code, report) = lint_json(&["fixtures/lint/template-substitutions.yaml"]);
    assert_eq!(code, Some(1));
    let mut by_resource: Vec<(String, String)> = findings(&report)
        .into_iter()
        .map(|f| (f.2.unwrap_or_default(), f.0))
        .collect();
    by_resource.sort();
    // `!Sub` principal and subject are read as their text: the good role only
    // gets the names-only note; the `!Ref` principal is inferred from its keys.
    assert_eq!(
        by_resource,
        [
            ("Resources/Good", "TP611"),
            ("Resources/Open", "TP502"),
            ("Resources/Open", "TP505"),
            ("Resources/Open", "TP601"),
        ]
        .map(|(r, c)| (r.to_owned(), c.to_owned()))
    );
}

#[test]
fn pv002_fires_only_for_an_unregistered_audience_of_the_same_issuer() {
    let run = |provider: &str, token: &str| {
        let (_, report) = lint_json(&[
            "--provider-json",
            provider,
            "--token",
            token,
            "--at",
            FIXTURE_NOW,
            "fixtures/lint/plan.json",
        ]);
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "PV002")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let pv002 = run(
        "fixtures/lint/provider-other-audience.json",
        "fixtures/examples/github-actions.jwt",
    );
    assert_eq!(pv002.len(), 1, "sts.amazonaws.com is not registered");
    assert!(
        pv002[0].contains("`aud` `sts.amazonaws.com`")
            && pv002[0].contains("`https://github.com/acme`"),
        "{}",
        pv002[0]
    );
    assert!(
        run(
            "fixtures/lint/provider.json",
            "fixtures/examples/github-actions.jwt"
        )
        .is_empty()
    );
    // A GitLab token is not judged against GitHub's provider.
    assert!(
        run(
            "fixtures/lint/provider-other-audience.json",
            "fixtures/examples/expired-gitlab.jwt"
        )
        .is_empty()
    );
}

#[test]
fn a_refusal_is_ev001_in_every_format_and_fails_the_gate() {
    // A token from an `environment:` job against a policy that pins the branch.
    let args = [
        "lint",
        "--token",
        "fixtures/examples/check/token.jwt",
        "fixtures/examples/check/trust-policy.json",
    ];
    for (format, wanted) in [
        ("json", "\"code\": \"EV001\""),
        ("sarif", "\"ruleId\": \"EV001\""),
        (
            "github",
            "::error file=fixtures/examples/check/trust-policy.json,line=13,col=11,title=EV001::",
        ),
        (
            "markdown",
            "### [EV001 policy-refuses-token](https://github.com/oidc-doctor/oidc-doctor/blob/main/docs/rules/EV001.md) (high)",
        ),
        ("human", "EV001 policy-refuses-token (high)"),
    ] {
        let out = oidc_doctor()
            .args(args)
            .args(["--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(wanted), "{format}: no `{wanted}` in\n{text}");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: a refusal fails the gate"
        );
    }
    // The fix is a fragment to paste, in the JSON finding too.
    let (code, report) = lint_json(&args[1..]);
    assert_eq!(code, Some(1));
    let ev001 = finding(&report, "EV001");
    let fragment: Value = serde_json::from_str(ev001["suggestion"].as_str().unwrap()).unwrap();
    assert_eq!(
        fragment["StringEquals"]["token.actions.githubusercontent.com:sub"][1],
        "repo:acme/app:environment:production"
    );
    // With --fail-on above high, the same refusal passes the gate.
    let out = oidc_doctor()
        .args(args)
        .args(["--fail-on", "critical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn among_many_policies_only_those_for_the_tokens_issuer_are_refusals() {
    // The GitHub token against a directory: its policies for other issuers
    // refuse it by design and are not EV001.
    let (_, report) = lint_json(&[
        "--token",
        "fixtures/examples/check/token.jwt",
        "fixtures/examples/check",
        "fixtures/lint/template.yaml",
    ]);
    let refused: Vec<&Value> = report["evaluation"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["allowed"] == false)
        .collect();
    let ev001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "EV001")
        .count();
    assert!(refused.len() > ev001, "{refused:#?}");
    assert!(ev001 >= 1);
}

#[test]
fn a_look_alike_provider_or_condition_key_is_reported_as_tk015() {
    let lookalike = "token.actions.githubusercontent.c\u{43e}m";
    // The principal names the look-alike; its keys use the same name and
    // are folded into the one finding.
    let (code, report) = lint_json(&["fixtures/lint/lookalike-provider.json"]);
    assert_eq!(code, Some(1));
    let tk015: Vec<_> = findings(&report)
        .into_iter()
        .filter(|f| f.0 == "TK015")
        .collect();
    assert_eq!(
        tk015,
        [(
            "TK015".to_owned(),
            "fixtures/lint/lookalike-provider.json".to_owned(),
            None,
            7,
            "/Statement/0/Principal/Federated".to_owned()
        )]
    );
    let tk015 = finding(&report, "TK015");
    assert_eq!(tk015["severity"], "high");
    let message = tk015["message"].as_str().unwrap();
    for expected in [
        "token.actions.githubusercontent.xn--cm-fmc",
        "GitHub Actions",
        "`token.actions.githubusercontent.com`",
        "2 condition keys",
    ] {
        assert!(message.contains(expected), "`{expected}` in {message}");
    }

    // The principal is real, one key is not.
    let (code, report) = lint_json(&["fixtures/lint/lookalike-key.json"]);
    assert_eq!(code, Some(1));
    let key_pointer = format!("/Statement/0/Condition/StringLike/{lookalike}:sub");
    let mut at_key: Vec<String> = findings(&report)
        .into_iter()
        .filter(|f| f.4 == key_pointer)
        .map(|f| f.0)
        .collect();
    at_key.sort();
    assert_eq!(at_key, ["TK015", "TP301"], "{report}");
    assert!(
        !findings(&report)
            .iter()
            .any(|f| f.0 == "TK015" && f.4 != key_pointer),
        "the real provider is not reported"
    );

    // A policy on the real host has no TK015.
    let (_, report) =
        lint_json(&["fixtures/trust_policy/TP105-provider-name-suspect/ok-clean.json"]);
    assert!(findings(&report).iter().all(|f| f.0 != "TK015"), "{report}");
}

/// A GitHub trust policy that pins `aud` and `sub`, as one line of JSON.
const GOOD_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/app:environment:prod"}}}]}"#;

/// Each misspelling a hand-written policy gets, with the code and the
/// word the message must suggest.
const TYPOS: [(&str, &str, &str, &str); 6] = [
    ("\"Statement\"", "\"Statment\"", "TP002", "Statement"),
    ("\"Condition\"", "\"Condtion\"", "TP002", "Condition"),
    ("\"Federated\"", "\"Federeted\"", "TP002", "Federated"),
    ("\"Effect\"", "\"Efect\"", "TP002", "Effect"),
    (
        "\"StringEquals\"",
        "\"StringEqual\"",
        "TP007",
        "StringEquals",
    ),
    (
        "githubusercontent.com:sub\"",
        "githubusercontent.com:sbu\"",
        "TP302",
        "token.actions.githubusercontent.com:sub",
    ),
];

/// A typo'd policy fails the gate with "did you mean", whether it is named
/// or found by a walk (where it used to be skipped as "not a trust policy").
#[test]
fn a_misspelt_policy_fails_the_gate_and_says_what_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (right, wrong, rule, meant)) in TYPOS.iter().enumerate() {
        assert!(GOOD_POLICY.contains(right), "{right}");
        let path = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&path, GOOD_POLICY.replacen(right, wrong, 1)).unwrap();
        let (code, report) = lint_json(&[path.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{wrong}: {report}");
        let message = finding(&report, rule)["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("did you mean `{meant}`?"))
                || message.contains(&format!("Did you mean `{meant}`?")),
            "{wrong}: {message}"
        );
    }
    // The same files found by a walk: every one is linted and fails.
    let (code, report) = lint_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["lint"]["policies"].as_array().unwrap().len(),
        TYPOS.len()
    );
    assert!(
        report["lint"]["skipped"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{report}"
    );
    // And the policy as written is clean of all of them.
    std::fs::write(dir.path().join("good.json"), GOOD_POLICY).unwrap();
    let (code, report) = lint_json(&[dir.path().join("good.json").to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
}

/// A file named on the command line that yields no trust policy is a
/// finding: TP001 when it is not text that parses, TP002 when it parses
/// but holds no policy. `--skip-unrecognised` (the pre-commit hook's
/// flag) judges named files as a walk does.
#[test]
fn a_named_file_that_yields_no_policy_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str, &str); 6] = [
        ("empty.json", b"", "TP001", "it is empty"),
        ("blank.yaml", b"\n  \n", "TP001", "it is empty"),
        (
            "binary.json",
            b"\x00\x9f\x92\x96garbage",
            "TP001",
            "not UTF-8 text (byte 1)",
        ),
        (
            "latin1.yaml",
            b"name: caf\xe9\n",
            "TP001",
            "not UTF-8 text (byte 9)",
        ),
        (
            "package.json",
            br#"{"name": "x", "version": "1.0.0"}"#,
            "TP002",
            "JSON that is none of",
        ),
        (
            "workflow.yml",
            b"on: push\njobs: {}\n",
            "TP002",
            "neither a CloudFormation template nor a policy",
        ),
    ];
    for (name, bytes, rule, why) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, report) = lint_json(&[path.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{name}: {report}");
        let finding = &report["findings"][0];
        assert_eq!(finding["code"], rule, "{name}: {report}");
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.starts_with("Nothing was checked in this file"),
            "{message}"
        );
        assert!(message.contains(why), "{name}: {message}");
        assert!(
            finding["location"]["path"]
                .as_str()
                .unwrap()
                .ends_with(name)
        );
    }
    // As the hook passes them: what is not a policy is skipped, and said.
    let out = oidc_doctor()
        .current_dir(dir.path())
        .args([
            "lint",
            "--skip-unrecognised",
            "-v",
            "package.json",
            "workflow.yml",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("skipped package.json: not a trust policy"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Linted 0 trust policies in 2 files."),
        "{stdout}"
    );
}

/// The pre-commit hook, run as pre-commit runs it (every changed JSON and
/// YAML file named), fails on a misspelt policy and lets other files by.
#[test]
fn the_pre_commit_hook_fails_on_a_typo_and_passes_other_files() {
    let hooks = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let entry = hooks
        .lines()
        .find_map(|line| line.trim().strip_prefix("entry: "))
        .expect("the hook's entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("oidc-doctor"));
    let args: Vec<&str> = words.collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), r#"{"name": "x"}"#).unwrap();
    std::fs::write(dir.path().join("ci.yml"), "on: push\n").unwrap();
    std::fs::write(dir.path().join("trust.json"), GOOD_POLICY).unwrap();
    let run = |files: &[&str]| {
        oidc_doctor()
            .current_dir(dir.path())
            .args(&args)
            .args(files)
            .output()
            .unwrap()
    };
    let out = run(&["package.json", "ci.yml", "trust.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::write(
        dir.path().join("trust.json"),
        GOOD_POLICY.replace("\"Statement\"", "\"Statment\""),
    )
    .unwrap();
    let out = run(&["package.json", "ci.yml", "trust.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("did you mean `Statement`?"), "{stdout}");
}

/// A policy built by `Fn::If` is counted as not checked and reported as
/// TP009 (low), so the default gate fails on it and `--fail-on medium`
/// lets it by.
#[test]
fn a_policy_built_at_deploy_time_is_counted_apart_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("roles.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Deploy:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: !If\n        - IsProd\n        - {Version: '2012-10-17', Statement: []}\n        - {Version: '2012-10-17', Statement: []}\n",
    )
    .unwrap();
    let (code, report) = lint_json(&[template.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{report}");
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "TP009");
    assert_eq!(finding["severity"], "low");
    assert_eq!(finding["location"]["line"], 5);
    assert!(finding["message"].as_str().unwrap().contains("`Fn::If`"));
    let out = oidc_doctor()
        .args(["lint", "--fail-on", "medium"])
        .arg(&template)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Linted 0 trust policies in 1 file; 1 more could not be checked."),
        "{stdout}"
    );
}

/// PV002's advice gets past both the provider and the policy: when the
/// policy pins `aud` to `sts.amazonaws.com`, requesting the token for it
/// comes first, and registering the token's own audience is said not to be
/// enough. Without a pin, GitHub's usual audience still comes first.
#[test]
fn pv002_advice_matches_what_the_policy_pins() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = crate::support::claims("https://token.actions.githubusercontent.com", 3600);
    claims["aud"] = "https://github.com/acme".into();
    let token = dir.path().join("token.jwt");
    std::fs::write(&token, crate::support::signed_token("test-rsa", &claims)).unwrap();
    let provider = |ids: &[&str]| {
        let path = dir.path().join("provider.json");
        std::fs::write(
            &path,
            serde_json::json!({"Url": "token.actions.githubusercontent.com", "ClientIDList": ids,
                "ThumbprintList": []})
            .to_string(),
        )
        .unwrap();
        path
    };
    let pinning = dir.path().join("pinning.json");
    std::fs::write(&pinning, GOOD_POLICY).unwrap();
    let unpinned = dir.path().join("unpinned.json");
    std::fs::write(
        &unpinned,
        GOOD_POLICY.replace(
            r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "#,
            "",
        ),
    )
    .unwrap();
    let pv002 = |provider: &std::path::Path, policy: &std::path::Path| {
        let (_, report) = lint_json(&[
            "--role-arn",
            "arn:aws:iam::123456789012:role/deploy",
            "--provider-json",
            provider.to_str().unwrap(),
            "--token",
            token.to_str().unwrap(),
            policy.to_str().unwrap(),
        ]);
        let finding = finding(&report, "PV002").clone();
        (
            finding["help"].as_str().unwrap().to_owned(),
            finding["suggestion"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    // The provider accepts sts.amazonaws.com and the policy pins it.
    let (help, suggestion) = pv002(&provider(&["sts.amazonaws.com"]), &pinning);
    assert!(
        help.contains(
            "First, request the token for `sts.amazonaws.com`, which the trust policy pins."
        ),
        "{help}"
    );
    assert!(
        help.contains("Registering `https://github.com/acme` would not be enough: the trust policy pins `aud` to `sts.amazonaws.com`."),
        "{help}"
    );
    assert!(
        suggestion.contains("audience: sts.amazonaws.com"),
        "{suggestion}"
    );
    // Nothing registered and the policy pins sts.amazonaws.com: request it
    // and register it, with the real provider ARN.
    let (help, _) = pv002(&provider(&[]), &pinning);
    assert!(
        help.contains("request the token for `sts.amazonaws.com`, which the trust policy pins, and register `sts.amazonaws.com` with the provider (`aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com --client-id sts.amazonaws.com`)"),
        "{help}"
    );
    // The policy pins no audience: GitHub's usual one still comes first,
    // and registering the token's own is the alternative.
    let (help, _) = pv002(&provider(&[]), &unpinned);
    assert!(
        help.contains(
            "First, request the token for `sts.amazonaws.com`, the audience AWS expects from GitHub"
        ),
        "{help}"
    );
    assert!(
        help.contains("Only if `https://github.com/acme` is meant, register it"),
        "{help}"
    );
    // The policy pins the token's own audience: registering it is the fix.
    let own = dir.path().join("own.json");
    std::fs::write(
        &own,
        GOOD_POLICY.replace("\"sts.amazonaws.com\"", "\"https://github.com/acme\""),
    )
    .unwrap();
    let (help, suggestion) = pv002(&provider(&["sts.amazonaws.com"]), &own);
    assert!(
        help.contains("The trust policy expects `https://github.com/acme` too"),
        "{help}"
    );
    assert!(
        suggestion.ends_with("--client-id https://github.com/acme"),
        "{suggestion}"
    );
}

/// A policy file written on one line (as scripts save it) is shown laid
/// out, the header keeping the file's position, the finding's line inside.
#[test]
fn a_one_line_policy_file_is_shown_laid_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.json");
    let one_line: serde_json::Value =
        serde_json::from_str(&GOOD_POLICY.replace("\"Federated\"", "\"Federeted\"")).unwrap();
    std::fs::write(&path, one_line.to_string()).unwrap();
    let out = oidc_doctor()
        .current_dir(dir.path())
        .env("COLUMNS", "80")
        .args(["lint", "one-line.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[one-line.json:1:69, laid out]"), "{text}");
    let key_line = text
        .lines()
        .find(|l| l.contains("\"Federeted\": \"arn:aws:iam::123456789012:oidc-provider/"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(key_line.chars().count() < 120, "{key_line}");
    // No line of the report is the whole file.
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}
