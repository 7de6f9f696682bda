//! `policy`: the described caller (or the token) and the provider, handed
//! to the writer stage; the policy it writes is the command's output.

use crate::cli::{PolicyArgs, PolicyOutput, RefTypeArg, RunPhaseArg, TokenFlags};
use crate::error::Error;
use crate::model::issuers;
use crate::model::writer::{self, BuildkiteRef, Caller, GitHubContext, RefType};
use crate::stages::token;
use crate::stages::writer::{Rendering, WriteRequest, write};

use super::inputs::token_flags_spec;

pub fn run(args: &PolicyArgs) -> Result<String, Error> {
    check_values(args)?;
    check_flags_apply(args)?;
    let (caller, claims) =
        if args.token.is_some() || args.token_file.is_some() || args.token_env.is_some() {
            let (caller, claims) = token_caller(args)?;
            (caller, Some(claims))
        } else {
            (described_caller(args)?, None)
        };
    let provider_arn = match (&args.provider_arn, &args.account) {
        (Some(arn), _) => arn.clone(),
        (None, Some(account)) => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(usage(
                    format!("--account {account} is not an AWS account id"),
                    "give the 12 digits of the account that holds the IAM OIDC provider",
                ));
            }
            writer::provider_arn(
                &args.partition,
                account,
                issuers::provider_name(&caller.issuer()),
            )
        }
        (None, None) => {
            return Err(usage(
                "no provider: give --provider-arn ARN or --account ID".to_owned(),
                "the IAM OIDC provider the role trusts, e.g. --account 123456789012",
            ));
        }
    };
    // In China, AWS's clients request `sts.amazonaws.com.cn`.
    let china = crate::model::arn::Arn::parse(&provider_arn)
        .is_some_and(|a| a.partition == "aws-cn")
        && !matches!(caller, Caller::Token { .. })
        && caller.audience(None).as_deref() == Some("sts.amazonaws.com");
    let audience = args
        .audience
        .clone()
        .or_else(|| china.then(|| "sts.amazonaws.com.cn".to_owned()));
    write(&WriteRequest {
        caller: &caller,
        audience: audience.as_deref(),
        provider_arn: &provider_arn,
        claims: claims.as_ref(),
        rendering: match args.output {
            PolicyOutput::Json => Rendering::Json,
            PolicyOutput::Terraform => Rendering::Terraform,
            PolicyOutput::Cloudformation => Rendering::CloudFormation,
        },
        role_name: &args.role_name,
    })
}

/// Every value given is one a platform could issue: not empty, no control
/// character or `"`, of a sane length; a branch or tag without `refs/`; an
/// IAM role name in IAM's alphabet.
fn check_values(args: &PolicyArgs) -> Result<(), Error> {
    let values = [
        ("--github", args.github.as_deref()),
        ("--branch", args.branch.as_deref()),
        ("--tag", args.tag.as_deref()),
        ("--environment", args.environment.as_deref()),
        ("--gitlab", args.gitlab.as_deref()),
        ("--ref", args.git_ref.as_deref()),
        ("--terraform-cloud", args.terraform_cloud.as_deref()),
        ("--buildkite", args.buildkite.as_deref()),
        ("--bitbucket", args.bitbucket.as_deref()),
        ("--eks", args.eks.as_deref()),
        ("--service-account", args.service_account.as_deref()),
        ("--issuer", args.issuer.as_deref()),
        ("--audience", args.audience.as_deref()),
    ];
    for (flag, value) in values {
        let Some(value) = value else { continue };
        let why = if value.trim().is_empty() {
            Some("is empty")
        } else if value.chars().any(|c| c.is_control() || c == '"') {
            Some("holds a control character or `\"`")
        } else if value.chars().count() > 255 {
            Some("is longer than any name a platform issues (255 characters)")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(usage(
                format!("the value of {flag} {why}"),
                "give the name exactly as the platform shows it",
            ));
        }
    }
    for (flag, value, kind) in [
        ("--branch", args.branch.as_deref(), "heads"),
        ("--tag", args.tag.as_deref(), "tags"),
        ("--ref", args.git_ref.as_deref(), "heads"),
    ] {
        if let Some(name) = value.and_then(|v| {
            v.strip_prefix(&format!("refs/{kind}/"))
                .or_else(|| v.strip_prefix("refs/").map(|_| v))
        }) {
            return Err(usage(
                format!("{flag} {} names the full ref", value.unwrap_or_default()),
                &format!(
                    "give the name alone (e.g. {flag} {name}): the policy writes the `refs/...` part itself"
                ),
            ));
        }
    }
    if !crate::model::arn::PARTITIONS.contains(&args.partition.as_str()) {
        return Err(usage(
            format!(
                "--partition {} is not an AWS partition",
                crate::finding::shown(&args.partition)
            ),
            &format!("give one of {}", crate::model::arn::PARTITIONS.join(", ")),
        ));
    }
    let role = &args.role_name;
    if role.is_empty()
        || role.len() > 64
        || !role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(usage(
            format!(
                "--role-name {} is not an IAM role name",
                crate::finding::shown(role)
            ),
            "IAM role names are 1 to 64 letters, digits and `+=,.@_-`",
        ));
    }
    Ok(())
}

/// A flag of another issuer's caller is refused, never dropped: the policy
/// would be broader than asked (`--bitbucket ... --environment prod` would
/// admit every step).
fn check_flags_apply(args: &PolicyArgs) -> Result<(), Error> {
    let token = args.token.is_some() || args.token_file.is_some() || args.token_env.is_some();
    let (caller, allowed): (&str, &[&str]) = if token {
        ("a token", &[])
    } else if args.github.is_some() {
        (
            "--github",
            &[
                "--branch",
                "--tag",
                "--environment",
                "--pull-request",
                "--github-ids",
            ],
        )
    } else if args.gitlab.is_some() {
        ("--gitlab", &["--ref", "--environment", "--issuer"])
    } else if args.terraform_cloud.is_some() {
        ("--terraform-cloud", &["--run-phase", "--issuer"])
    } else if args.buildkite.is_some() {
        ("--buildkite", &["--branch", "--tag"])
    } else if args.circleci.is_some() {
        ("--circleci", &["--project-id"])
    } else if args.bitbucket.is_some() {
        (
            "--bitbucket",
            &[
                "--workspace-uuid",
                "--repository-uuid",
                "--environment-uuid",
            ],
        )
    } else if args.eks.is_some() {
        ("--eks", &["--service-account"])
    } else {
        return Ok(());
    };
    let given = [
        ("--branch", args.branch.is_some()),
        ("--tag", args.tag.is_some()),
        ("--environment", args.environment.is_some()),
        ("--pull-request", args.pull_request),
        ("--github-ids", args.github_ids.is_some()),
        ("--ref", args.git_ref.is_some()),
        ("--run-phase", args.run_phase.is_some()),
        ("--project-id", args.project_id.is_some()),
        ("--workspace-uuid", args.workspace_uuid.is_some()),
        ("--repository-uuid", args.repository_uuid.is_some()),
        ("--environment-uuid", args.environment_uuid.is_some()),
        ("--service-account", args.service_account.is_some()),
        ("--issuer", args.issuer.is_some()),
    ];
    if let Some((flag, _)) = given
        .iter()
        .find(|(flag, set)| *set && !allowed.contains(flag))
    {
        let help = if *flag == "--issuer" && args.github.is_some() {
            "GitHub Enterprise Cloud with its own issuer: write the policy from one of its tokens (--token-file)".to_owned()
        } else if allowed.is_empty() {
            "a token says its caller whole: leave the caller flags out".to_owned()
        } else {
            format!("with {caller}, give {}", allowed.join(", "))
        };
        return Err(usage(format!("{flag} does not apply to {caller}"), &help));
    }
    if let Some(issuer) = &args.issuer {
        let family = issuers::family_of_provider(issuers::provider_name(issuer));
        let expected = if args.gitlab.is_some() {
            "gitlab"
        } else {
            "terraform"
        };
        if !issuer.starts_with("https://") || family.is_some_and(|f| !f.id.starts_with(expected)) {
            return Err(usage(
                format!("--issuer {issuer} is not the {caller} issuer"),
                "give the issuer's https:// URL exactly as its tokens' `iss` claim says it",
            ));
        }
    }
    Ok(())
}

fn usage(message: String, help: &str) -> Error {
    Error::Usage {
        message,
        help: help.to_owned(),
    }
}

/// The caller exactly as the token names it.
fn token_caller(
    args: &PolicyArgs,
) -> Result<(Caller, serde_json::Map<String, serde_json::Value>), Error> {
    let flags = TokenFlags {
        token: args.token.clone(),
        token_file: args.token_file.clone(),
        token_env: args.token_env.clone(),
        github_actions: false,
        audience: String::new(),
    };
    let input = token::read(&token_flags_spec(&flags)?)?;
    let data = token::run(&input, jiff::Timestamp::now(), false).data;
    let jwt = data.jwt().ok_or_else(|| {
        usage(
            "the token is not a JWT".to_owned(),
            "see why with `oidc-doctor decode`",
        )
    })?;
    let (Some(issuer), Some(subject)) = (jwt.claim_str("iss"), jwt.claim_str("sub")) else {
        return Err(usage(
            "the token has no `iss` or no `sub` to pin".to_owned(),
            "see its claims with `oidc-doctor decode`",
        ));
    };
    let family = issuers::detect(issuer, Some(subject));
    if family.builtin {
        return Err(usage(
            format!(
                "{} is a built-in principal, not an IAM OIDC provider",
                family.name
            ),
            "its trust policy pins the application's audience: see `oidc-doctor explain TP104`",
        ));
    }
    let caller = Caller::Token {
        issuer: issuer.to_owned(),
        // The next run's token differs in its commit, step or user.
        subject: writer::per_run_pattern(family.id, subject),
        audience: jwt.effective_audience().map(str::to_owned),
    };
    Ok((caller, jwt.claims.clone()))
}

/// `a/b` (or `a/b/c`) split into exactly `count` non-empty segments.
fn segments<'a>(
    value: &'a str,
    count: usize,
    flag: &str,
    shape: &str,
) -> Result<Vec<&'a str>, Error> {
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() == count
        && parts
            .iter()
            .all(|p| !p.is_empty() && !p.contains([':', ' ', '*', '?']))
    {
        Ok(parts)
    } else {
        Err(usage(
            format!("{flag} {value} is not {shape}"),
            &format!("give {flag} {shape}, without wildcards or `:`"),
        ))
    }
}

fn described_caller(args: &PolicyArgs) -> Result<Caller, Error> {
    if let Some(repository) = &args.github {
        segments(repository, 2, "--github", "OWNER/REPO")?;
        return github_caller(args, repository);
    }
    if let Some(project) = &args.gitlab {
        if project.is_empty() || project.contains([':', ' ', '*', '?']) || !project.contains('/') {
            return Err(usage(
                format!("--gitlab {project} is not a project path"),
                "give the project's full path, e.g. --gitlab acme/infra/app",
            ));
        }
        let Some(git_ref) = args.git_ref.clone() else {
            return Err(usage(
                "--gitlab needs --ref: the branch (or tag) whose pipelines assume the role"
                    .to_owned(),
                "e.g. --ref main, or --ref v1.2.0 --ref-type tag",
            ));
        };
        return Ok(Caller::GitLab {
            issuer: args.issuer.as_deref().map_or_else(
                || "https://gitlab.com".to_owned(),
                |i| i.trim_end_matches('/').to_owned(),
            ),
            project: project.clone(),
            ref_type: match args.ref_type {
                RefTypeArg::Branch => RefType::Branch,
                RefTypeArg::Tag => RefType::Tag,
            },
            git_ref,
            environment: args.environment.clone(),
        });
    }
    if let Some(workspace) = &args.terraform_cloud {
        let parts = segments(workspace, 3, "--terraform-cloud", "ORG/PROJECT/WORKSPACE")?;
        let phases = match args.run_phase {
            Some(RunPhaseArg::Plan) => vec!["plan".to_owned()],
            Some(RunPhaseArg::Apply) => vec!["apply".to_owned()],
            None => vec!["plan".to_owned(), "apply".to_owned()],
        };
        return Ok(Caller::Terraform {
            issuer: args.issuer.as_deref().map_or_else(
                || "https://app.terraform.io".to_owned(),
                |i| i.trim_end_matches('/').to_owned(),
            ),
            organization: parts[0].to_owned(),
            project: parts[1].to_owned(),
            workspace: parts[2].to_owned(),
            phases,
        });
    }
    if let Some(caller) = ci_caller(args)? {
        return Ok(caller);
    }
    if let (Some(issuer), Some(account)) = (&args.eks, &args.service_account) {
        let parts = segments(account, 2, "--service-account", "NAMESPACE/NAME")?;
        if !issuer.starts_with("https://") {
            return Err(usage(
                format!("--eks {issuer} is not an issuer URL"),
                "give the cluster's OIDC issuer: `aws eks describe-cluster --name <cluster> --query cluster.identity.oidc.issuer`",
            ));
        }
        return Ok(Caller::Kubernetes {
            issuer: issuer.trim_end_matches('/').to_owned(),
            namespace: parts[0].to_owned(),
            name: parts[1].to_owned(),
        });
    }
    Err(usage(
        "say who assumes the role".to_owned(),
        "give --github, --gitlab, --terraform-cloud, --buildkite, --circleci, --bitbucket, --eks or a token",
    ))
}

fn github_caller(args: &PolicyArgs, repository: &str) -> Result<Caller, Error> {
    let context = match (
        &args.branch,
        &args.tag,
        &args.environment,
        args.pull_request,
    ) {
        (Some(branch), ..) => GitHubContext::Branch(branch.clone()),
        (_, Some(tag), ..) => GitHubContext::Tag(tag.clone()),
        (_, _, Some(environment), _) => GitHubContext::Environment(environment.clone()),
        (.., true) => GitHubContext::PullRequest,
        _ => {
            return Err(usage(
                "--github needs the runs that assume the role".to_owned(),
                "give --branch, --tag or --environment (e.g. --branch main)",
            ));
        }
    };
    let ids = match &args.github_ids {
        Some(ids) => {
            let parts = segments(ids, 2, "--github-ids", "OWNER_ID/REPO_ID")?;
            if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                return Err(usage(
                    format!("--github-ids {ids} is not two numeric ids"),
                    "they are the token's `repository_owner_id` and `repository_id` claims",
                ));
            }
            Some((parts[0].to_owned(), parts[1].to_owned()))
        }
        None => None,
    };
    Ok(Caller::GitHub {
        repository: repository.to_owned(),
        ids,
        context,
    })
}

/// Buildkite, `CircleCI` and Bitbucket Pipelines callers, when one is named.
fn ci_caller(args: &PolicyArgs) -> Result<Option<Caller>, Error> {
    if let Some(pipeline) = &args.buildkite {
        let parts = segments(pipeline, 2, "--buildkite", "ORG/PIPELINE")?;
        if args.environment.is_some() {
            return Err(usage(
                "Buildkite's `sub` names no environment".to_owned(),
                "give --branch or --tag instead of --environment",
            ));
        }
        let git_ref = match (&args.branch, &args.tag) {
            (Some(branch), _) => BuildkiteRef::Branch(branch.clone()),
            (None, Some(tag)) => BuildkiteRef::Tag(tag.clone()),
            (None, None) => {
                return Err(usage(
                    "--buildkite needs the builds that assume the role".to_owned(),
                    "give --branch or --tag (e.g. --branch main); any commit and step of it is admitted",
                ));
            }
        };
        return Ok(Some(Caller::Buildkite {
            organization: parts[0].to_owned(),
            pipeline: parts[1].to_owned(),
            git_ref,
        }));
    }
    if let (Some(organization), Some(project)) = (&args.circleci, &args.project_id) {
        return Ok(Some(Caller::CircleCi {
            organization: uuid(organization, "--circleci", "the organization id")?,
            project: uuid(project, "--project-id", "the project id")?,
        }));
    }
    if let (Some(workspace), Some(repository)) = (&args.bitbucket, &args.repository_uuid) {
        segments(workspace, 1, "--bitbucket", "WORKSPACE")?;
        let repository = uuid(repository, "--repository-uuid", "the repository UUID")?;
        let environment = args
            .environment_uuid
            .as_deref()
            .map(|e| uuid(e, "--environment-uuid", "the deployment environment's UUID"))
            .transpose()?;
        let workspace_uuid = args
            .workspace_uuid
            .as_deref()
            .map(|w| uuid(w, "--workspace-uuid", "the workspace UUID"))
            .transpose()?;
        if workspace_uuid.is_none() && args.audience.is_none() {
            return Err(usage(
                "--bitbucket needs the audience: its tokens carry `ari:cloud:bitbucket::workspace/<workspace UUID>`"
                    .to_owned(),
                "give --workspace-uuid UUID (Repository settings > OpenID Connect shows it), or --audience",
            ));
        }
        return Ok(Some(Caller::Bitbucket {
            workspace: workspace.clone(),
            workspace_uuid,
            repository,
            environment,
        }));
    }
    Ok(None)
}

/// A UUID (with or without Bitbucket's braces), as written, without braces.
fn uuid(value: &str, flag: &str, what: &str) -> Result<String, Error> {
    let bare = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(value);
    let groups: Vec<&str> = bare.split('-').collect();
    let shaped = groups.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&groups)
            .all(|(n, g)| g.len() == *n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if shaped {
        Ok(bare.to_owned())
    } else {
        Err(usage(
            format!("{flag} {value} is not a UUID"),
            &format!("give {what}, e.g. 01234567-89ab-cdef-0123-456789abcdef"),
        ))
    }
}
