//! `policy`: what it writes passes `lint` (nothing above info), admits the
//! token it was written for and refuses a stranger's, for every issuer
//! family and every context; each output format reads back.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{codes, oidc_doctor, signed_token};

const ACCOUNT: &str = "123456789012";
const EKS: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

/// Claims of a token from `iss` for `sub` and `aud`, valid for an hour, plus `extra`.
fn claims(iss: &str, sub: &str, aud: &str, extra: &Value) -> Value {
    let now = jiff::Timestamp::now().as_second();
    let mut claims = json!({
        "iss": iss, "sub": sub, "aud": aud,
        "iat": now, "nbf": now, "exp": now + 3600,
    });
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    claims
}

/// One caller: the `policy` arguments, the claims of its token, and
/// strangers' claims the policy must refuse.
struct Case {
    args: &'static [&'static str],
    admitted: Value,
    strangers: Vec<Value>,
}

fn github(sub: &str) -> Value {
    claims(
        "https://token.actions.githubusercontent.com",
        sub,
        "sts.amazonaws.com",
        &json!({"repository_owner_id": "11", "repository_id": "22"}),
    )
}

fn gitlab(sub: &str, environment: &str) -> Value {
    claims(
        "https://gitlab.com",
        sub,
        "sts.amazonaws.com",
        &json!({"environment": environment}),
    )
}

fn terraform(sub: &str) -> Value {
    claims(
        "https://app.terraform.io",
        sub,
        "aws.workload.identity",
        &json!({}),
    )
}

fn eks(sub: &str) -> Value {
    claims(EKS, sub, "sts.amazonaws.com", &json!({}))
}

const CIRCLE_ORG: &str = "3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8";
const CIRCLE_PROJECT: &str = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const BITBUCKET: &str =
    "https://api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc";
const BB_WORKSPACE: &str = "11111111-2222-4333-8444-555555555555";
const BB_REPO: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const BB_ENV: &str = "12345678-1234-4234-8234-123456789abc";

fn buildkite(sub: &str) -> Value {
    claims(
        "https://agent.buildkite.com",
        sub,
        "sts.amazonaws.com",
        &json!({"organization_slug": "acme"}),
    )
}

/// A token of `CircleCI` organization `org` (its issuer and its audience).
fn circleci(org: &str, sub: &str) -> Value {
    claims(
        &format!("https://oidc.circleci.com/org/{org}"),
        sub,
        org,
        &json!({"oidc.circleci.com/project-id": CIRCLE_PROJECT}),
    )
}

fn bitbucket(sub: &str) -> Value {
    claims(
        BITBUCKET,
        sub,
        &format!("ari:cloud:bitbucket::workspace/{BB_WORKSPACE}"),
        &json!({"repositoryUuid": format!("{{{BB_REPO}}}")}),
    )
}

/// A Buildkite subject of `org/pipeline` at `git_ref`, some commit and step.
fn buildkite_sub(org: &str, pipeline: &str, git_ref: &str) -> String {
    format!(
        "organization:{org}:pipeline:{pipeline}:ref:{git_ref}:commit:0123456789abcdef0123456789abcdef01234567:step:deploy"
    )
}

/// A Bitbucket step subject: `{repo}:{step}`, or `{repo}:{env}:{step}`.
fn bitbucket_sub(repo: &str, env: Option<&str>) -> String {
    let step = "{5a5b5c5d-0000-4111-8222-333344445555}";
    match env {
        Some(env) => format!("{{{repo}}}:{{{env}}}:{step}"),
        None => format!("{{{repo}}}:{step}"),
    }
}

fn github_cases() -> Vec<Case> {
    vec![
        Case {
            args: &["--github", "acme/app", "--branch", "main"],
            admitted: github("repo:acme/app:ref:refs/heads/main"),
            strangers: vec![
                github("repo:evil/app:ref:refs/heads/main"),
                github("repo:acme/other:ref:refs/heads/main"),
                github("repo:acme/app:ref:refs/heads/feature"),
                github("repo:acme/app:pull_request"),
            ],
        },
        Case {
            args: &["--github", "acme/app", "--tag", "v1.2.0"],
            admitted: github("repo:acme/app:ref:refs/tags/v1.2.0"),
            strangers: vec![
                github("repo:acme/app:ref:refs/tags/v1.2.1"),
                github("repo:evil/app:ref:refs/tags/v1.2.0"),
            ],
        },
        Case {
            args: &["--github", "acme/app", "--environment", "prod"],
            admitted: github("repo:acme/app:environment:prod"),
            strangers: vec![
                github("repo:acme/app:environment:staging"),
                github("repo:evil/app:environment:prod"),
            ],
        },
        Case {
            args: &[
                "--github",
                "acme/app",
                "--environment",
                "prod",
                "--github-ids",
                "11/22",
            ],
            admitted: github("repo:acme/app:environment:prod"),
            strangers: vec![
                // The name re-registered by someone else: same sub, other ids.
                claims(
                    "https://token.actions.githubusercontent.com",
                    "repo:acme/app:environment:prod",
                    "sts.amazonaws.com",
                    &json!({"repository_owner_id": "99", "repository_id": "98"}),
                ),
                github("repo:evil/app:environment:prod"),
            ],
        },
    ]
}

fn other_cases() -> Vec<Case> {
    vec![
        Case {
            args: &["--gitlab", "acme/infra/app", "--ref", "main"],
            admitted: gitlab(
                "project_path:acme/infra/app:ref_type:branch:ref:main",
                "prod",
            ),
            strangers: vec![
                gitlab(
                    "project_path:evil/infra/app:ref_type:branch:ref:main",
                    "prod",
                ),
                gitlab(
                    "project_path:acme/infra/app:ref_type:branch:ref:dev",
                    "prod",
                ),
                gitlab("project_path:acme/infra/app:ref_type:tag:ref:main", "prod"),
            ],
        },
        Case {
            args: &[
                "--gitlab",
                "acme/app",
                "--ref",
                "v2",
                "--ref-type",
                "tag",
                "--environment",
                "prod",
            ],
            admitted: gitlab("project_path:acme/app:ref_type:tag:ref:v2", "prod"),
            strangers: vec![
                gitlab("project_path:acme/app:ref_type:tag:ref:v2", "staging"),
                gitlab("project_path:evil/app:ref_type:tag:ref:v2", "prod"),
            ],
        },
        Case {
            args: &["--terraform-cloud", "acme/infra/prod"],
            admitted: terraform("organization:acme:project:infra:workspace:prod:run_phase:apply"),
            strangers: vec![
                terraform("organization:evil:project:infra:workspace:prod:run_phase:apply"),
                terraform("organization:acme:project:infra:workspace:dev:run_phase:plan"),
            ],
        },
        Case {
            args: &[
                "--terraform-cloud",
                "acme/infra/prod",
                "--run-phase",
                "plan",
            ],
            admitted: terraform("organization:acme:project:infra:workspace:prod:run_phase:plan"),
            strangers: vec![terraform(
                "organization:acme:project:infra:workspace:prod:run_phase:apply",
            )],
        },
        Case {
            args: &["--eks", EKS, "--service-account", "payments/api"],
            admitted: eks("system:serviceaccount:payments:api"),
            strangers: vec![
                eks("system:serviceaccount:default:api"),
                eks("system:serviceaccount:payments:worker"),
            ],
        },
    ]
}

fn ci_cases() -> Vec<Case> {
    let other_uuid = "ffffffff-eeee-4ddd-8ccc-bbbbbbbbbbbb";
    vec![
        Case {
            args: &["--buildkite", "acme/deploy", "--branch", "main"],
            admitted: buildkite(&buildkite_sub("acme", "deploy", "refs/heads/main")),
            strangers: vec![
                buildkite(&buildkite_sub("evil", "deploy", "refs/heads/main")),
                buildkite(&buildkite_sub("acme", "other", "refs/heads/main")),
                buildkite(&buildkite_sub("acme", "deploy", "refs/heads/feature")),
                buildkite(&buildkite_sub("acme", "deploy", "refs/tags/main")),
            ],
        },
        Case {
            args: &["--buildkite", "acme/deploy", "--tag", "v1.2.0"],
            admitted: buildkite(&buildkite_sub("acme", "deploy", "refs/tags/v1.2.0")),
            strangers: vec![
                buildkite(&buildkite_sub("acme", "deploy", "refs/tags/v1.2.1")),
                buildkite(&buildkite_sub("acme", "deploy", "refs/heads/v1.2.0")),
            ],
        },
        Case {
            args: &["--circleci", CIRCLE_ORG, "--project-id", CIRCLE_PROJECT],
            admitted: circleci(
                CIRCLE_ORG,
                &format!(
                    "org/{CIRCLE_ORG}/project/{CIRCLE_PROJECT}/user/0e0e0e0e-1111-4222-8333-444455556666"
                ),
            ),
            strangers: vec![
                // Another project of the organization.
                circleci(
                    CIRCLE_ORG,
                    &format!(
                        "org/{CIRCLE_ORG}/project/{other_uuid}/user/0e0e0e0e-1111-4222-8333-444455556666"
                    ),
                ),
                // Another organization's token: its own issuer and audience.
                circleci(
                    other_uuid,
                    &format!(
                        "org/{other_uuid}/project/{CIRCLE_PROJECT}/user/0e0e0e0e-1111-4222-8333-444455556666"
                    ),
                ),
            ],
        },
        Case {
            args: &[
                "--bitbucket",
                "acme",
                "--workspace-uuid",
                BB_WORKSPACE,
                "--repository-uuid",
                BB_REPO,
            ],
            admitted: bitbucket(&bitbucket_sub(BB_REPO, None)),
            strangers: vec![
                bitbucket(&bitbucket_sub(other_uuid, None)),
                // A deployment step: only named environments get the role.
                bitbucket(&bitbucket_sub(BB_REPO, Some(BB_ENV))),
            ],
        },
        Case {
            args: &[
                "--bitbucket",
                "acme",
                "--workspace-uuid",
                BB_WORKSPACE,
                "--repository-uuid",
                BB_REPO,
                "--environment-uuid",
                BB_ENV,
            ],
            admitted: bitbucket(&bitbucket_sub(BB_REPO, Some(BB_ENV))),
            strangers: vec![
                bitbucket(&bitbucket_sub(BB_REPO, None)),
                bitbucket(&bitbucket_sub(BB_REPO, Some(other_uuid))),
                bitbucket(&bitbucket_sub(other_uuid, Some(BB_ENV))),
            ],
        },
    ]
}

fn cases() -> Vec<Case> {
    let mut cases = github_cases();
    cases.extend(other_cases());
    cases.extend(ci_cases());
    cases
}

/// `policy ARGS --account ACCOUNT [--output FORMAT]`: its standard output.
fn written(args: &[&str], output: &str) -> String {
    let run = oidc_doctor()
        .arg("policy")
        .args(args)
        .args(["--account", ACCOUNT, "--output", output])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

/// `lint FILE --token-file TOKEN --format json`: the report.
fn lint(file: &Path, token: Option<&Path>) -> Value {
    let mut command = oidc_doctor();
    command
        .args(["lint", "--format", "json", "--fail-on", "never"])
        .arg(file);
    if let Some(token) = token {
        command.arg("--token-file").arg(token);
    }
    let run = command.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

/// The policy findings above info (token findings are the token's business).
fn policy_findings_above_info(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .filter_map(|f| f["code"].as_str())
        .filter(|code| code.starts_with("TP") || code.starts_with("EV") || code.starts_with("PV"))
        .map(str::to_owned)
        .collect()
}

fn token_file(dir: &Path, name: &str, claims: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, signed_token("test-rsa", claims)).unwrap();
    path
}

#[test]
fn every_family_and_context_passes_lint_and_admits_only_its_caller() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let policy = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&policy, written(case.args, "json")).unwrap();
        let alone = lint(&policy, None);
        assert!(
            policy_findings_above_info(&alone).is_empty(),
            "{:?}: {alone}",
            case.args
        );

        let token = token_file(dir.path(), &format!("token-{i}.jwt"), &case.admitted);
        let report = lint(&policy, Some(&token));
        assert!(
            policy_findings_above_info(&report).is_empty(),
            "{:?} refuses its own token: {report}",
            case.args
        );
        assert_eq!(
            report["evaluation"]["policies"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );

        for (j, stranger) in case.strangers.iter().enumerate() {
            let token = token_file(dir.path(), &format!("stranger-{i}-{j}.jwt"), stranger);
            let report = lint(&policy, Some(&token));
            assert!(
                codes(&report).contains(&"EV001".to_owned()),
                "{:?} admits {stranger}: {report}",
                case.args
            );
        }
    }
}

#[test]
fn a_policy_for_a_token_admits_exactly_it() {
    let dir = tempfile::tempdir().unwrap();
    let admitted = [
        github("repo:acme/app:ref:refs/heads/main"),
        gitlab("project_path:acme/app:ref_type:branch:ref:main", "prod"),
        terraform("organization:acme:project:infra:workspace:prod:run_phase:apply"),
        eks("system:serviceaccount:payments:api"),
        buildkite(&buildkite_sub("acme", "deploy", "refs/heads/main")),
    ];
    for (i, claims) in admitted.iter().enumerate() {
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), claims);
        let text = written(&["--token-file", token.to_str().unwrap()], "json");
        let policy = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&policy, &text).unwrap();
        let report = lint(&policy, Some(&token));
        assert!(policy_findings_above_info(&report).is_empty(), "{report}");
        let mut stranger = claims.clone();
        let sub = stranger["sub"]
            .as_str()
            .unwrap()
            .replace("acme", "evil")
            .replace("payments", "default");
        stranger["sub"] = Value::String(sub);
        let other = token_file(dir.path(), &format!("stranger-{i}.jwt"), &stranger);
        let report = lint(&policy, Some(&other));
        assert!(codes(&report).contains(&"EV001".to_owned()), "{report}");
    }
}

#[test]
fn a_pattern_or_a_context_a_rule_flags_is_refused_naming_the_rule() {
    for (args, code) in [
        (&["--github", "acme/app", "--pull-request"][..], "TP606"),
        (&["--github", "acme/app", "--branch", "*"][..], "TP607"),
        (
            &["--github", "acme/app", "--branch", "release/*"][..],
            "TP607",
        ),
        (
            &["--buildkite", "acme/deploy", "--branch", "*"][..],
            "TP607",
        ),
    ] {
        let run = oidc_doctor()
            .arg("policy")
            .args(args)
            .args(["--account", ACCOUNT])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(run.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(code), "{args:?}: {stderr}");
    }
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    for args in [
        &["--github", "acme", "--branch", "main", "--account", ACCOUNT][..],
        &["--github", "acme/app", "--account", ACCOUNT][..],
        &["--gitlab", "acme/app", "--account", ACCOUNT][..],
        &[
            "--github",
            "acme/app",
            "--branch",
            "main",
            "--account",
            "12",
        ][..],
        &["--github", "acme/app", "--branch", "main"][..],
        &[
            "--github",
            "acme/app",
            "--branch",
            "main",
            "--provider-arn",
            "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
        ][..],
        // Buildkite: no ref; an environment its `sub` cannot name.
        &["--buildkite", "acme/deploy", "--account", ACCOUNT][..],
        &[
            "--buildkite",
            "acme/deploy",
            "--environment",
            "prod",
            "--branch",
            "main",
            "--account",
            ACCOUNT,
        ][..],
        // CircleCI: no project, or an id that is not one.
        &["--circleci", CIRCLE_ORG, "--account", ACCOUNT][..],
        &[
            "--circleci",
            "acme",
            "--project-id",
            CIRCLE_PROJECT,
            "--account",
            ACCOUNT,
        ][..],
        // Bitbucket: no audience to pin, no repository, a bare name for a UUID.
        &[
            "--bitbucket",
            "acme",
            "--repository-uuid",
            BB_REPO,
            "--account",
            ACCOUNT,
        ][..],
        &[
            "--bitbucket",
            "acme",
            "--workspace-uuid",
            BB_WORKSPACE,
            "--account",
            ACCOUNT,
        ][..],
        &[
            "--bitbucket",
            "acme",
            "--workspace-uuid",
            BB_WORKSPACE,
            "--repository-uuid",
            "app",
            "--account",
            ACCOUNT,
        ][..],
        // --branch names a GitHub or Buildkite run only.
        &[
            "--gitlab",
            "acme/app",
            "--ref",
            "main",
            "--branch",
            "main",
            "--account",
            ACCOUNT,
        ][..],
    ] {
        let run = oidc_doctor().arg("policy").args(args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn cloudformation_output_reads_back_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let text = written(case.args, "cloudformation");
        oidc_doctor::model::yaml::parse(text.clone()).unwrap();
        let path = dir.path().join(format!("template-{i}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), &case.admitted);
        let report = lint(&path, Some(&token));
        assert_eq!(
            report["evaluation"]["policies"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
        assert!(policy_findings_above_info(&report).is_empty(), "{report}");
    }
}

#[test]
fn terraform_output_is_balanced_and_has_the_blocks() {
    for case in cases() {
        let text = written(case.args, "terraform");
        let mut depth = 0i32;
        let mut in_string = false;
        let mut escaped = false;
        for c in text.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_string = !in_string,
                (false, _, '{' | '[') => depth += 1,
                (false, _, '}' | ']') => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{text}");
        }
        assert_eq!((depth, in_string), (0, false), "{text}");
        for block in [
            "data \"aws_iam_policy_document\" \"trust\" {",
            "  statement {",
            "    principals {",
            "    condition {",
            "resource \"aws_iam_role\" \"this\" {",
            "assume_role_policy = data.aws_iam_policy_document.trust.json",
        ] {
            assert!(text.contains(block), "{block}:\n{text}");
        }
    }
}

#[test]
fn snapshots_of_each_format() {
    let args = [
        "--github",
        "acme/app",
        "--environment",
        "prod",
        "--github-ids",
        "11/22",
    ];
    let json: Value = serde_json::from_str(&written(&args, "json")).unwrap();
    insta::assert_snapshot!("policy_json", serde_json::to_string_pretty(&json).unwrap());
    insta::assert_snapshot!("policy_terraform", written(&args, "terraform"));
    insta::assert_snapshot!("policy_cloudformation", written(&args, "cloudformation"));
}

/// A statement's `Condition` as `{operator: {key: [values]}}`, lists always.
fn conditions_as_lists(condition: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (operator, block) in condition.as_object().unwrap() {
        let mut keys = serde_json::Map::new();
        for (key, values) in block.as_object().unwrap() {
            let list = match values {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            keys.insert(key.clone(), Value::Array(list));
        }
        out.insert(operator.clone(), Value::Object(keys));
    }
    Value::Object(out)
}

#[test]
fn terraform_output_read_back_by_lint_is_the_json_policy_and_admits_its_caller() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let json: Value = serde_json::from_str(&written(case.args, "json")).unwrap();
        let module = dir.path().join(format!("module-{i}"));
        std::fs::create_dir(&module).unwrap();
        std::fs::write(module.join("main.tf"), written(case.args, "terraform")).unwrap();
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), &case.admitted);

        // `lint DIR` finds the policy in the `.tf` source, and nothing above info.
        let report = lint(&module, Some(&token));
        assert!(
            policy_findings_above_info(&report).is_empty(),
            "{:?}: {report}",
            case.args
        );
        let linted = &report["lint"]["policies"];
        assert_eq!(linted.as_array().map(Vec::len), Some(1), "{report}");
        assert!(
            linted[0]["path"].as_str().unwrap().ends_with("main.tf"),
            "{report}"
        );
        assert_eq!(linted[0]["checked"], true, "{report}");

        // The same policy: the principal and every condition, as the
        // evaluation read them, are those of the JSON document; and it
        // admits the caller's token.
        let evaluated = &report["evaluation"]["policies"][0];
        assert_eq!(evaluated["allowed"], true, "{:?}: {report}", case.args);
        let statement = &json["Statement"][0];
        assert_eq!(
            evaluated["principal"], statement["Principal"]["Federated"],
            "{report}"
        );
        let statements = evaluated["statements"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "{report}");
        let mut read = serde_json::Map::new();
        for condition in statements[0]["conditions"].as_array().unwrap() {
            let operator = condition["operator"].as_str().unwrap().to_owned();
            let block = read
                .entry(operator)
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            block.as_object_mut().unwrap().insert(
                condition["key"].as_str().unwrap().to_owned(),
                condition["expected"].clone(),
            );
        }
        assert_eq!(
            Value::Object(read),
            conditions_as_lists(&statement["Condition"]),
            "{:?}: {report}",
            case.args
        );

        // And a stranger is refused by the Terraform source as by the JSON.
        let stranger = token_file(dir.path(), &format!("stranger-{i}.jwt"), &case.strangers[0]);
        let report = lint(&module, Some(&stranger));
        assert!(codes(&report).contains(&"EV001".to_owned()), "{report}");
    }
}

#[test]
fn a_policy_from_a_token_admits_the_next_run_where_the_subject_changes_every_run() {
    // Buildkite's commit and step, CircleCI's user and Bitbucket's step
    // differ on every run: the policy written from one run's token must
    // admit the next run's, and still refuse another pipeline or project.
    let dir = tempfile::tempdir().unwrap();
    let circle = |project: &str, user: &str| {
        circleci(
            CIRCLE_ORG,
            &format!("org/{CIRCLE_ORG}/project/{project}/user/{user}"),
        )
    };
    let cases = [
        (
            buildkite(&buildkite_sub("acme", "deploy", "refs/heads/main")),
            buildkite(
                "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:fedcba9876543210fedcba9876543210fedcba98:step:release",
            ),
            buildkite(&buildkite_sub("acme", "other", "refs/heads/main")),
        ),
        (
            circle(CIRCLE_PROJECT, "11111111-1111-4111-8111-111111111111"),
            circle(CIRCLE_PROJECT, "22222222-2222-4222-8222-222222222222"),
            circle(
                "00000000-0000-4000-8000-000000000000",
                "11111111-1111-4111-8111-111111111111",
            ),
        ),
        (
            bitbucket(&bitbucket_sub(BB_REPO, Some(BB_ENV))),
            bitbucket(&format!(
                "{{{BB_REPO}}}:{{{BB_ENV}}}:{{99999999-8888-4777-8666-555555555555}}"
            )),
            bitbucket(&bitbucket_sub(
                "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                Some(BB_ENV),
            )),
        ),
    ];
    for (i, (this_run, next_run, stranger)) in cases.iter().enumerate() {
        let token = token_file(dir.path(), &format!("token-{i}.jwt"), this_run);
        let text = written(&["--token-file", token.to_str().unwrap()], "json");
        assert!(text.contains("StringLike"), "{text}");
        let policy = dir.path().join(format!("policy-{i}.json"));
        std::fs::write(&policy, &text).unwrap();
        assert!(
            policy_findings_above_info(&lint(&policy, None)).is_empty(),
            "{text}"
        );
        let next = token_file(dir.path(), &format!("next-{i}.jwt"), next_run);
        let report = lint(&policy, Some(&next));
        assert!(
            policy_findings_above_info(&report).is_empty(),
            "the next run is refused: {report}"
        );
        let other = token_file(dir.path(), &format!("stranger-{i}.jwt"), stranger);
        let report = lint(&policy, Some(&other));
        assert!(codes(&report).contains(&"EV001".to_owned()), "{report}");
    }
}

#[test]
fn china_pins_the_china_audience_and_a_policy_variable_is_never_written() {
    for args in [
        &["--github", "acme/app", "--branch", "main"][..],
        &["--gitlab", "acme/app", "--ref", "main"][..],
        &["--buildkite", "acme/deploy", "--branch", "main"][..],
    ] {
        let args = [args, &["--partition", "aws-cn"]].concat();
        let policy: Value = serde_json::from_str(&written(&args, "json")).unwrap();
        let text = policy.to_string();
        assert!(text.contains(":aud\":\"sts.amazonaws.com.cn\""), "{text}");
        assert!(text.contains("arn:aws-cn:iam::"), "{text}");
    }
    // `${` in a value would be read by IAM as a policy variable.
    let run = oidc_doctor()
        .args([
            "policy",
            "--github",
            "acme/app",
            "--environment",
            "x${var.y}",
        ])
        .args(["--account", ACCOUNT])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("holds `${`"), "{stderr}");
}

#[test]
fn a_value_no_platform_issues_or_a_flag_of_another_caller_is_refused() {
    // Each case's arguments, `|`-separated, and what the error says.
    let bb =
        format!("--bitbucket|acme|--repository-uuid|{BB_REPO}|--workspace-uuid|{BB_WORKSPACE}");
    let long = format!("--github|acme/app|--branch|{}", "a".repeat(300));
    let eks = format!("--eks|{EKS}|--service-account");
    let cases = [
        ("--github|acme/app|--branch|refs/heads/main".to_owned(), "names the full ref"),
        ("--gitlab|acme/app|--ref|refs/heads/main".to_owned(), "names the full ref"),
        ("--github|acme/app|--environment|".to_owned(), "is empty"),
        ("--github|acme/app|--branch|main|--audience|".to_owned(), "is empty"),
        ("--github|acme/a\u{1b}pp|--branch|main".to_owned(), "control character"),
        ("--github|acme/a\"pp|--branch|main".to_owned(), "control character"),
        (format!("{eks}|ns/a\u{1b}b"), "control character"),
        (long, "longer than"),
        ("--github|acme/app|--branch|main|--role-name|a\nb".to_owned(), "not an IAM role name"),
        (format!("{bb}|--environment|prod"), "does not apply to --bitbucket"),
        ("--terraform-cloud|a/b/c|--environment|prod".to_owned(), "does not apply"),
        ("--github|acme/app|--branch|main|--partition|aws-foo".to_owned(), "not an AWS partition"),
        (format!("{eks}|a/b|--run-phase|apply"), "does not apply"),
        ("--gitlab|acme/app|--ref|main|--github-ids|1/2".to_owned(), "does not apply"),
        (
            "--github|acme/app|--branch|main|--issuer|https://token.actions.githubusercontent.com/acme".to_owned(),
            "does not apply",
        ),
        (
            "--gitlab|acme/app|--ref|main|--issuer|http://gitlab.example.com|--audience|x".to_owned(),
            "is not the --gitlab issuer",
        ),
        (
            "--gitlab|acme/app|--ref|main|--issuer|https://token.actions.githubusercontent.com".to_owned(),
            "is not the --gitlab issuer",
        ),
    ];
    for (args, says) in &cases {
        let args: Vec<&str> = args.split('|').collect();
        let run = oidc_doctor()
            .arg("policy")
            .args(&args)
            .args(["--account", ACCOUNT])
            .env("COLUMNS", "400")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("help:"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "{args:?}: a raw escape in {stderr:?}"
        );
    }
    // A self-managed GitLab issuer given with a trailing slash is written
    // without it, as IAM names the provider.
    let text = written(
        &[
            "--gitlab",
            "acme/app",
            "--ref",
            "main",
            "--issuer",
            "https://gitlab.example.com/",
            "--audience",
            "x",
        ],
        "json",
    );
    assert!(
        text.contains("oidc-provider/gitlab.example.com\""),
        "{text}"
    );
    assert!(text.contains("\"gitlab.example.com:sub\""), "{text}");
}

#[test]
fn without_a_provider_the_error_names_both_ways_to_give_one() {
    let run = oidc_doctor()
        .args(["policy", "--github", "acme/app", "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--provider-arn") && stderr.contains("--account"),
        "{stderr}"
    );
}
