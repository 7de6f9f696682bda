//! `lint` on Terraform source (`.tf`): each way of writing
//! `assume_role_policy` gives the findings of the same policy as JSON,
//! located in the `.tf` file; what cannot be resolved is TP009; a provider
//! resource in the file feeds the provider checks.

use serde_json::Value;

use crate::support::{finding, lint_json, oidc_doctor, sorted_codes as codes};

const DIR: &str = "fixtures/lint/terraform";

/// The JSON report of `lint ARGS`.
fn lint(args: &[&str]) -> Value {
    let (_, report) = lint_json(args);
    assert!(!report.is_null(), "lint {args:?} printed no JSON");
    report
}

#[test]
fn each_pattern_gives_the_findings_of_the_same_policy_as_json() {
    for (tf, json, extra) in [
        (
            "jsonencode-bad/main.tf",
            "jsonencode-bad.policy.json",
            &[][..],
        ),
        ("heredoc-bad/main.tf", "heredoc-bad.policy.json", &[][..]),
        ("string-bad/main.tf", "string-bad.policy.json", &[][..]),
        // JSON syntax, as CDK for Terraform writes it.
        (
            "cdktf-bad/cdk.tf.json",
            "data-source-bad.policy.json",
            &[
                "--provider-json",
                "fixtures/lint/terraform/provider-sigstore.json",
            ][..],
        ),
        // A community module's inputs: the policy the module generates.
        (
            "module-github-bad/main.tf",
            "module-github-bad.policy.json",
            &[][..],
        ),
        (
            "module-irsa-bad/main.tf",
            "module-irsa-bad.policy.json",
            &[][..],
        ),
        (
            "data-source-bad/main.tf",
            "data-source-bad.policy.json",
            &[
                "--provider-json",
                "fixtures/lint/terraform/provider-sigstore.json",
            ][..],
        ),
    ] {
        let from_tf = lint(&[&format!("{DIR}/{tf}")]);
        let mut args = extra.to_vec();
        let json = format!("{DIR}/{json}");
        args.push(&json);
        let from_json = lint(&args);
        assert_eq!(codes(&from_tf), codes(&from_json), "{tf}");
        for f in from_tf["findings"].as_array().unwrap() {
            assert_eq!(f["location"]["path"], format!("{DIR}/{tf}"), "{f}");
            let resource = f["location"]["resource"].as_str().unwrap();
            assert!(
                resource.starts_with("aws_iam_role.") || resource.starts_with("module."),
                "{f}"
            );
        }
    }
}

#[test]
fn locations_point_into_the_tf_file() {
    let report = lint(&[&format!("{DIR}/jsonencode-bad/main.tf")]);
    let tp401 = finding(&report, "TP401");
    // `"token.actions.githubusercontent.com:sub" = "repo:${var.repo}:*"`:
    // the variable's default resolved, the line the one in the file.
    assert_eq!(
        (
            tp401["location"]["line"].as_u64(),
            tp401["location"]["column"].as_u64()
        ),
        (Some(16), Some(11))
    );
    assert!(
        tp401["message"]
            .as_str()
            .unwrap()
            .contains("repo:acme/app:*")
    );

    let report = lint(&[&format!("{DIR}/heredoc-bad/main.tf")]);
    assert_eq!(finding(&report, "TP604")["location"]["line"], 12);

    let report = lint(&[&format!("{DIR}/data-source-bad/main.tf")]);
    let tp601 = finding(&report, "TP601");
    assert_eq!(tp601["severity"], "critical");
    assert_eq!(tp601["location"]["line"], 23);
    assert_eq!(tp601["location"]["resource"], "aws_iam_role.deploy");

    // Human output shows the `.tf` lines.
    let out = oidc_doctor()
        .args([
            "lint",
            "--format",
            "human",
            &format!("{DIR}/data-source-bad/main.tf"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("values   = [\"repo:*\"]"), "{text}");
}

#[test]
fn the_provider_resource_feeds_the_provider_checks() {
    // client_id_list = ["sigstore"], the policy pins sts.amazonaws.com.
    let report = lint(&[&format!("{DIR}/data-source-bad/main.tf")]);
    let pv003 = finding(&report, "PV003");
    assert_eq!(
        pv003["location"]["path"],
        format!("{DIR}/data-source-bad/main.tf")
    );
    // The provider that registers sts.amazonaws.com: no PV003.
    let report = lint(&[&format!("{DIR}/jsonencode-ok/main.tf")]);
    assert!(!codes(&report).contains(&"PV003".to_owned()), "{report}");
}

#[test]
fn clean_source_has_nothing_above_info_and_siblings_are_left_alone() {
    // One clean case per way of writing the policy; data-source-ok's base
    // document trusts all of acme and its override pins one environment,
    // so it is clean only if the statements merge by `sid` as Terraform's.
    for dir in [
        "jsonencode-ok",
        "heredoc-ok",
        "data-source-ok",
        "cdktf-ok",
        "module-github-ok",
        "module-irsa-ok",
    ] {
        let out = oidc_doctor()
            .args(["lint", &format!("{DIR}/{dir}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{dir}");
        let report = lint(&[&format!("{DIR}/{dir}")]);
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["severity"], "info", "{dir}: {f}");
        }
        assert!(
            !report["lint"]["policies"].as_array().unwrap().is_empty(),
            "{dir}"
        );
    }
    let report = lint(&[&format!("{DIR}/jsonencode-ok/main.tf")]);
    // Only the role's policy, not the aws_iam_role_policy beside it.
    assert_eq!(
        report["lint"]["policies"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
}

#[test]
fn unresolved_and_malformed_source_is_said_with_its_location() {
    let report = lint(&[&format!("{DIR}/unresolved/main.tf")]);
    let tp009 = finding(&report, "TP009");
    assert_eq!(tp009["severity"], "low");
    assert_eq!(tp009["location"]["line"], 7);
    assert!(
        tp009["message"]
            .as_str()
            .unwrap()
            .contains("var.trust_policy")
    );

    let report = lint(&[&format!("{DIR}/malformed/main.tf")]);
    let tp001 = finding(&report, "TP001");
    assert_eq!(tp001["location"]["line"], 3);
}

#[test]
fn a_module_split_over_files_is_read_as_terraform_reads_it() {
    // The role in main.tf, its policy document in policy.tf, the provider
    // in oidc.tf, variables, locals and tfvars in their own files.
    let dir = format!("{DIR}/module-split");
    for args in [vec![dir.clone()], vec![format!("{dir}/main.tf")]] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = lint(&args);
        // `repo:${var.owner}/*` with owner's default: every repository of acme.
        let tp604 = finding(&report, "TP604");
        assert_eq!(tp604["location"]["path"], format!("{dir}/policy.tf"));
        assert_eq!(tp604["location"]["line"], 16);
        assert_eq!(tp604["location"]["resource"], "aws_iam_role.deploy");
        assert!(tp604["message"].as_str().unwrap().contains("repo:acme/*"));
        assert!(
            tp604["help"]
                .as_str()
                .unwrap()
                .starts_with("Name the repositories that need the role"),
            "{tp604}"
        );
        // `local.audience` against oidc.tf's client_id_list: both roles.
        let pv003: Vec<(&Value, &Value)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "PV003")
            .map(|f| (&f["location"]["path"], &f["location"]["resource"]))
            .collect();
        assert_eq!(pv003.len(), 2, "{report}");
        // `repo:${var.repository}:...` from terraform.tfvars: pinned, so
        // the release role has nothing above info but PV003.
        for f in report["findings"].as_array().unwrap() {
            if f["location"]["resource"] == "aws_iam_role.release" && f["code"] != "PV003" {
                assert_eq!(f["severity"], "info", "{f}");
            }
        }
        assert!(!codes(&report).contains(&"TP009".to_owned()), "{report}");
    }
}

#[test]
fn a_token_is_checked_against_the_provider_the_module_declares() {
    // No --provider-json: the provider resource in oidc.tf registers only
    // `sigstore`, so a token for sts.amazonaws.com is PV002.
    let token = crate::support::signed_token(
        "test-rsa",
        &crate::support::claims("https://token.actions.githubusercontent.com", 3600),
    );
    let report = lint(&["--token", &token, &format!("{DIR}/module-split")]);
    let pv002 = finding(&report, "PV002");
    assert!(
        pv002["message"]
            .as_str()
            .unwrap()
            .contains("sts.amazonaws.com"),
        "{pv002}"
    );
}

#[test]
fn community_module_inputs_are_linted_at_the_input() {
    // subjects = ["*"]: the module makes it `repo:*`, any repository on GitHub.
    let report = lint(&[&format!("{DIR}/module-github-bad")]);
    let tp601 = finding(&report, "TP601");
    assert_eq!(tp601["location"]["resource"], "module.github_deploy");
    assert_eq!(
        (&tp601["location"]["line"], &tp601["location"]["column"]),
        (&Value::from(7), &Value::from(15))
    );
    assert!(tp601["message"].as_str().unwrap().contains("`repo:*`"));
    // What the pin lacks is located at the input too.
    assert_eq!(finding(&report, "TP502")["location"]["line"], 7);

    // IRSA: `kube-system:*` with StringLike, at the list element.
    let report = lint(&[&format!("{DIR}/module-irsa-bad")]);
    let tp619 = finding(&report, "TP619");
    assert_eq!(tp619["location"]["resource"], "module.external_dns_irsa");
    assert_eq!(tp619["location"]["line"], 11);

    // Exact inputs, v5 and v6 of each module: nothing above info, and
    // every module call is a linted policy.
    for (dir, calls) in [("module-github-ok", 2), ("module-irsa-ok", 1)] {
        let report = lint(&[&format!("{DIR}/{dir}")]);
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["severity"], "info", "{dir}: {f}");
        }
        assert_eq!(
            report["lint"]["policies"].as_array().map(Vec::len),
            Some(calls),
            "{report}"
        );
    }
}

#[test]
fn sarif_names_the_role_or_module_as_the_logical_location() {
    for (dir, name) in [
        ("module-github-bad", "module.github_deploy"),
        ("data-source-bad", "aws_iam_role.deploy"),
    ] {
        let out = oidc_doctor()
            .args(["lint", "--format", "sarif", &format!("{DIR}/{dir}")])
            .output()
            .unwrap();
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for result in results {
            let location = &result["locations"][0];
            assert_eq!(
                location["logicalLocations"][0]["fullyQualifiedName"], name,
                "{result}"
            );
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next(),
                Some("main.tf")
            );
        }
    }
}

#[test]
fn a_counted_policy_document_is_read_through_its_index() {
    // `count` on the document, `[0].json` on the reference: the way the
    // community modules and many configurations write it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
data "aws_iam_policy_document" "trust" {
  count = 1
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:*"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  assume_role_policy = data.aws_iam_policy_document.trust[0].json
}
"#,
    )
    .unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(finding(&report, "TP601")["location"]["line"], 13);
    assert!(!codes(&report).contains(&"TP009".to_owned()), "{report}");
}

#[test]
fn json_syntax_is_located_in_the_tf_json_file() {
    let dir = format!("{DIR}/cdktf-bad");
    let report = lint(&[&dir]);
    let tp601 = finding(&report, "TP601");
    assert_eq!(tp601["location"]["path"], format!("{dir}/cdk.tf.json"));
    // `"values": ["repo:*"]` of the second condition.
    assert_eq!(
        (&tp601["location"]["line"], &tp601["location"]["column"]),
        (&Value::from(24), &Value::from(28))
    );
    // The provider resource written in JSON feeds PV003 too.
    assert_eq!(finding(&report, "PV003")["location"]["line"], 19);

    // Broken JSON syntax is TP001 at its byte, never read as a policy file.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("main.tf.json"),
        "{\n  \"resource\": {\n    \"aws_iam_role\": [\n}\n",
    )
    .unwrap();
    let report = lint(&[broken.path().to_str().unwrap()]);
    let tp001 = finding(&report, "TP001");
    assert_eq!(tp001["location"]["line"], 4, "{tp001}");
    assert!(
        tp001["message"].as_str().unwrap().contains("Terraform"),
        "{tp001}"
    );
}

#[test]
fn a_condition_value_the_source_does_not_say_is_not_taken_for_a_pin() {
    // `repo:${var.subject}` with no default and no tfvars: it could be
    // `repo:*`, so it is TP009 at the value (the gate fails by default),
    // while the rest of the policy is checked.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"variable "subject" {
  type = string
}

resource "aws_iam_role" "deploy" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:${var.subject}" }
      }
    }]
  })
}
"#,
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let out = oidc_doctor().args(["lint", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = lint(&[path]);
    let tp009 = finding(&report, "TP009");
    assert_eq!(tp009["severity"], "low");
    assert_eq!(tp009["location"]["line"], 14);
    assert!(
        tp009["message"]
            .as_str()
            .unwrap()
            .contains("`${var.subject}` is not known"),
        "{tp009}"
    );
    // Once tfvars gives it a value, that value is judged.
    std::fs::write(dir.path().join("terraform.tfvars"), "subject = \"*\"\n").unwrap();
    let report = lint(&[path]);
    assert_eq!(finding(&report, "TP601")["severity"], "critical");
    assert!(!codes(&report).contains(&"TP009".to_owned()), "{report}");
    // The caller's own account and partition are not unknowns.
    let report = lint(&[&format!("{DIR}/data-source-bad")]);
    assert!(!codes(&report).contains(&"TP009".to_owned()), "{report}");
}

#[test]
fn not_principals_and_effect_of_a_policy_document_are_read() {
    // `not_principals` is NotPrincipal, which a trust policy may not hold
    // (TP005); `effect = "Deny"` makes the statement a Deny.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    not_principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#,
    )
    .unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    let tp005 = finding(&report, "TP005");
    assert!(
        tp005["message"].as_str().unwrap().contains("NotPrincipal"),
        "{tp005}"
    );
    assert_eq!(tp005["location"]["line"], 6);
}

#[test]
fn a_hostile_tf_file_renders_bounded_and_inert_in_every_text_format() {
    // A 100,000-character subject on one line, and an audience carrying an
    // escape sequence, a bidi override and a workflow command.
    let dir = tempfile::tempdir().unwrap();
    let pad = "x".repeat(100_000);
    std::fs::write(
        dir.path().join("main.tf"),
        format!(
            "resource \"aws_iam_role\" \"r\" {{\n  assume_role_policy = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Allow\", Principal = {{ Federated = \"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com\" }}, Action = \"sts:AssumeRoleWithWebIdentity\", Condition = {{ StringLike = {{ \"token.actions.githubusercontent.com:sub\" = \"repo:*{pad}\" }}, StringEquals = {{ \"token.actions.githubusercontent.com:aud\" = \"\\u001b[31m\\u202e\\n::error::pwned\" }} }} }}] }})\n}}\n"
        ),
    )
    .unwrap();
    for format in ["human", "markdown", "github", "gitlab", "sarif"] {
        let out = oidc_doctor()
            .args(["lint", "--format", format, dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\u{1b}'), "{format}: a raw escape");
        assert!(!text.contains('\u{202e}'), "{format}: a raw bidi override");
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("::error::pwned")),
            "{format}: a workflow command"
        );
        if matches!(format, "human" | "markdown") {
            // Read by people: the 100,000 characters are shortened.
            assert!(text.contains("more characters)"), "{format}");
            assert!(
                text.lines().all(|l| l.chars().count() < 1_000),
                "{format}: a line of {} characters",
                text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
            );
        }
    }
}

/// Lints one `main.tf` of `text` in a directory of its own.
fn lint_main_tf(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    lint(&[dir.path().to_str().unwrap()])
}

#[test]
fn an_issuer_the_source_does_not_say_is_still_judged_by_its_subjects() {
    // The usual IRSA role: the provider from the cluster, the key built
    // with `replace()` of the provider's URL, and a wildcard subject.
    let cluster =
        std::fs::read_to_string(format!("{DIR}/irsa-cluster-issuer-bad/main.tf")).unwrap();
    let report = lint_main_tf(&cluster);
    assert_eq!(
        finding(&report, "TP601")["severity"],
        "critical",
        "{report:#}"
    );
    let tp009 = finding(&report, "TP009");
    assert!(
        tp009["message"]
            .as_str()
            .unwrap()
            .contains("`${aws_eks_cluster.main.identity[0].oidc[0].issuer}` is not known"),
        "{tp009}"
    );
    // A resource attribute is not a variable to set: the plan knows it.
    let help = tp009["help"].as_str().unwrap();
    assert!(
        help.contains("lint the plan") && !help.contains("tfvars"),
        "{help}"
    );
    // Once the URL is known, `replace()` gives the real key: no TP009.
    let known = cluster.replace(
        "aws_eks_cluster.main.identity[0].oidc[0].issuer",
        "\"https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF\"",
    );
    let report = lint_main_tf(&known);
    assert!(!codes(&report).contains(&"TP009".to_owned()), "{report:#}");
    assert_eq!(finding(&report, "TP601")["location"]["line"], 16);

    // The IRSA module with the provider from another module's output.
    let report = lint_main_tf(
        r#"
module "irsa" {
  source                     = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  assume_role_condition_test = "StringLike"
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["*:*"]
    }
  }
}
"#,
    );
    assert_eq!(finding(&report, "TP601")["location"]["line"], 8);
    assert!(codes(&report).contains(&"TP009".to_owned()), "{report:#}");

    // A list of service accounts the source does not say is unknown, not empty.
    let report = lint_main_tf(
        r#"
variable "sas" {
  type = list(string)
}
module "irsa" {
  source = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
      namespace_service_accounts = var.sas
    }
  }
}
"#,
    );
    assert_eq!(codes(&report), ["TP009"], "{report:#}");
}

#[test]
fn an_index_into_a_variable_is_the_element_and_nested_braces_are_quoted_whole() {
    let role = github_role(
        r#"        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = [var.subs[0], "${lower("repo:ACME/${var.org}:environment:prod")}"]
        }"#,
    );
    let report = lint_main_tf(&format!(
        "variable \"subs\" {{\n  default = [\"repo:acme/app:ref:refs/heads/main\", \"repo:*\"]\n}}\nvariable \"org\" {{}}\n{role}"
    ));
    // `var.subs[0]` is the first element, a pin: no TP502 or TP601.
    let found = codes(&report);
    assert!(
        !found.iter().any(|c| c == "TP502" || c == "TP601"),
        "{report:#}"
    );
    let tp009 = finding(&report, "TP009");
    assert!(
        tp009["message"]
            .as_str()
            .unwrap()
            .contains("`${lower(\"repo:ACME/${var.org}:environment:prod\")}` is not known"),
        "{tp009}"
    );
}

/// A GitHub role in `jsonencode` with these lines in its `Condition`.
fn github_role(conditions: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "a" {{
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }}
      Condition = {{
{conditions}
      }}
    }}]
  }})
}}
"#
    )
}

/// A GitHub role whose sub pin is `var.sub`, by default an exact subject.
fn github_role_of_var_sub() -> String {
    let role = github_role(
        r#"        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = var.sub }"#,
    );
    format!("variable \"sub\" {{\n  default = \"repo:acme/app:ref:refs/heads/main\"\n}}\n{role}")
}

#[test]
fn a_variables_file_that_does_not_parse_is_tp001_and_json_variables_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("main.tf"), github_role_of_var_sub()).unwrap();
    std::fs::write(dir.path().join("b.tf"), "# another file of the module\n").unwrap();
    std::fs::write(
        dir.path().join("terraform.tfvars"),
        "sub = \"repo:*\"\nregion = \"us-east-1\n",
    )
    .unwrap();
    let report = lint(&[path]);
    let tp001: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "TP001")
        .collect();
    // Once for the module, at the broken line of the variables file.
    assert_eq!(tp001.len(), 1, "{report:#}");
    assert!(
        tp001[0]["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("terraform.tfvars"),
        "{report:#}"
    );
    assert_eq!(tp001[0]["location"]["line"], 2);

    // `terraform.tfvars.json` sets variables too.
    std::fs::remove_file(dir.path().join("terraform.tfvars")).unwrap();
    std::fs::write(
        dir.path().join("terraform.tfvars.json"),
        r#"{"sub": "repo:*"}"#,
    )
    .unwrap();
    let report = lint(&[path]);
    assert_eq!(
        finding(&report, "TP601")["severity"],
        "critical",
        "{report:#}"
    );
    std::fs::write(dir.path().join("terraform.tfvars.json"), "[1,2]").unwrap();
    let report = lint(&[path]);
    assert_eq!(finding(&report, "TP001")["location"]["line"], 1);
}

#[test]
fn a_heredoc_renders_jsonencode_where_a_value_goes() {
    let text = r#"
locals {
  subjects = ["repo:*"]
}
resource "aws_iam_role" "h" {
  assume_role_policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
    "Condition": {
      "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
      "StringLike": {"token.actions.githubusercontent.com:sub": ${jsonencode(local.subjects)}}
    }
  }]
}
EOT
}
"#;
    let report = lint_main_tf(text);
    let tp601 = finding(&report, "TP601");
    assert_eq!(tp601["location"]["line"], 15, "{report:#}");
    assert!(!codes(&report).contains(&"TP001".to_owned()), "{report:#}");
    // A value the module does not say is unknown, not broken JSON.
    let report = lint_main_tf(&text.replace("local.subjects", "var.subjects"));
    let found = codes(&report);
    assert!(found.contains(&"TP009".to_owned()), "{report:#}");
    assert!(
        !found.iter().any(|c| c == "TP001" || c == "TP601"),
        "{report:#}"
    );
}

#[test]
fn a_role_is_checked_against_the_provider_it_names_in_full() {
    // Two providers, one URL a prefix of the other: the role trusts the
    // `/acme` one, whose client list lacks the audience pinned.
    let text = r#"
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_openid_connect_provider" "github_ent" {
  url            = "https://token.actions.githubusercontent.com/acme"
  client_id_list = ["acme-aud"]
}
resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github_ent.arn }
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com/acme:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com/acme:sub" = "repo:acme/app:ref:refs/heads/main"
        }
      }
    }]
  })
}
"#;
    let report = lint_main_tf(text);
    assert!(
        finding(&report, "PV003")["message"]
            .as_str()
            .unwrap()
            .contains("acme-aud"),
        "{report:#}"
    );
}

#[test]
fn a_shape_the_source_does_not_say_is_tp009_and_never_a_false_critical() {
    // A `dynamic "condition"` holding the sub pin: no TP502 for a pin
    // that is there at plan time, TP009 at the block instead.
    let report = lint(&[&format!("{DIR}/dynamic-bad")]);
    let found = codes(&report);
    assert!(
        !found.iter().any(|c| c == "TP502" || c == "TP002"),
        "{report:#}"
    );
    let lines: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "TP009")
        .map(|f| &f["location"]["line"])
        .collect();
    assert_eq!(lines, [15, 24], "{report:#}");

    // `Effect`, `Action` and `Condition` as unknown values: TP009 each, no
    // TP002 or TP501, and a wildcard subject beside them is still critical.
    let report = lint_main_tf(
        r#"
variable "effect" {}
variable "action" {}
variable "conditions" {}
resource "aws_iam_role" "a" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = var.effect
      Action    = var.action
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:*" }
      }
    }]
  })
}
resource "aws_iam_role" "b" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = var.conditions
    }]
  })
}
resource "aws_iam_role" "c" {
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for c in var.conditions : { Effect = "Allow" }]
  })
}
"#,
    );
    let found = codes(&report);
    for absent in ["TP002", "TP201"] {
        assert!(!found.iter().any(|c| c == absent), "{absent}: {report:#}");
    }
    // An unknown `Condition` may hold the pins: role b gets TP009 alone.
    for f in report["findings"].as_array().unwrap() {
        if f["location"]["resource"] == "aws_iam_role.b" {
            assert_eq!(f["code"], "TP009", "{f}");
        }
    }
    // Role a's conditions are known: judged as allowing, `repo:*` is critical.
    assert_eq!(finding(&report, "TP601")["location"]["line"], 14);
    let tp009 = found.iter().filter(|c| *c == "TP009").count();
    assert_eq!(tp009, 4, "{report:#}");
}

#[test]
fn a_value_the_source_does_not_say_has_no_shape_to_judge() {
    // `repo:acme/${var.sub}` may well name a context: no TP608 ("never
    // matches") beside the TP009 that says it was not checked; nor is an
    // unknown audience "unexpected" (TP617).
    let role = github_role(
        r#"        StringEquals = {
          "token.actions.githubusercontent.com:aud" = var.aud
          "token.actions.githubusercontent.com:sub" = "repo:acme/${var.sub}"
        }"#,
    );
    let report = lint_main_tf(&format!(
        "variable \"sub\" {{}}\nvariable \"aud\" {{}}\n{role}"
    ));
    assert_eq!(codes(&report), ["TP009", "TP009"], "{report:#}");
}

#[test]
fn sarif_columns_count_characters_and_say_so() {
    // A wide character before the value: the column counts it as one.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike = { /* 🚀 */ "token.actions.githubusercontent.com:sub" = "repo:*" }
      }
    }]
  })
}
"#,
    )
    .unwrap();
    let out = oidc_doctor()
        .args(["lint", "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["columnKind"], "unicodeCodePoints");
    let tp601 = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "TP601")
        .unwrap();
    let region = &tp601["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 10);
    // `        StringLike = { /* 🚀 */ ` is 31 characters (the rocket one,
    // two UTF-16 units): the key starts at 32.
    assert_eq!(region["startColumn"], 32, "{region}");
}

#[test]
fn findings_point_where_the_fix_goes() {
    // A wildcard in an override document of the same file: at its value,
    // not at the `override_policy_documents` reference.
    let report = lint_main_tf(
        r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid     = "Ci"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/app:ref:refs/heads/main"]
    }
  }
}
data "aws_iam_policy_document" "override" {
  statement {
    sid     = "Ci"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:*"]
    }
  }
}
data "aws_iam_policy_document" "merged" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.override.json]
}
resource "aws_iam_role" "r" {
  assume_role_policy = data.aws_iam_policy_document.merged.json
}
"#,
    );
    assert_eq!(
        finding(&report, "TP601")["location"]["line"],
        28,
        "{report:#}"
    );

    // A module input the source does not say: at the input's line.
    let report = lint_main_tf(
        r#"
variable "subjects" {
  type = list(string)
}
module "github" {
  source   = "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role"
  subjects = var.subjects
}
"#,
    );
    assert_eq!(
        finding(&report, "TP009")["location"]["line"],
        7,
        "{report:#}"
    );

    // A heredoc that is not JSON: TP001 at the byte, in the file.
    let report = lint_main_tf(
        "resource \"aws_iam_role\" \"h\" {\n  assume_role_policy = <<EOT\n{\n  \"Version\": \"2012-10-17\",,\n  \"Statement\": []\n}\nEOT\n}\n",
    );
    let tp001 = finding(&report, "TP001");
    assert_eq!(
        (&tp001["location"]["line"], &tp001["location"]["column"]),
        (&Value::from(4), &Value::from(27)),
        "{tp001}"
    );
}

#[test]
fn json_syntax_in_its_list_forms_is_read_and_a_non_object_is_tp001() {
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Principal\":{\"Federated\":\"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com\"},\"Condition\":{\"StringLike\":{\"token.actions.githubusercontent.com:sub\":\"repo:*\"}}}]}"#;
    // Every level as a list of objects, as Terraform's JSON syntax allows.
    std::fs::write(
        dir.path().join("main.tf.json"),
        format!(
            r#"{{"resource": [{{"aws_iam_role": [{{"r": [{{"assume_role_policy": "{policy}"}}]}}]}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("other.tf.json"), "[1, 2, 3]").unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    let tp601 = finding(&report, "TP601");
    assert!(
        tp601["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("main.tf.json"),
        "{tp601}"
    );
    let tp001 = finding(&report, "TP001");
    assert!(
        tp001["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("other.tf.json"),
        "{tp001}"
    );
}

#[test]
fn a_file_of_declarations_is_said_to_be_read_with_its_module() {
    // The document lives in policy.tf, the role in main.tf: policy.tf is
    // not "not a trust policy", its findings point into it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.tf"),
        r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:*"]
    }
  }
}
"#,
    )
    .unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert!(
        finding(&report, "TP601")["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("policy.tf")
    );
    let skipped = report["lint"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report:#}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("read with the module"),
        "{report:#}"
    );
}

#[test]
fn an_unknown_effect_alone_is_said_and_the_statement_judged_as_allowing() {
    let report = lint_main_tf(
        &github_role_of_var_sub()
            .replace("Effect    = \"Allow\"", "Effect    = var.effect")
            .replace(
                "variable \"sub\" {",
                "variable \"effect\" {}\nvariable \"sub\" {",
            ),
    );
    let tp009 = finding(&report, "TP009");
    assert!(
        tp009["message"]
            .as_str()
            .unwrap()
            .contains("`Effect` is `${var.effect}`"),
        "{tp009}"
    );
    // The sub pin is known and exact: nothing above info beside TP009.
    let above_info: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && f["code"] != "TP009")
        .collect();
    assert!(above_info.is_empty(), "{report:#}");
}
