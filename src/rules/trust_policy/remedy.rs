//! The `oidc-doctor policy` command line that writes the fix for a
//! statement that does not pin who may use it: for the token being
//! linted (by the flag that reads it again, never the token itself), else
//! for the caller the policy's own `sub` values name (what they pin of it),
//! with upper-case
//! placeholders for what they do not say. Only values made of plain
//! characters are copied; anything else becomes a placeholder, so the line
//! is always safe to paste into a shell.

use crate::finding::Finding;
use crate::model::issuers::{self, SubGrammar};
use crate::model::policy::Statement;
use crate::model::wildcard::has_wildcard;

use super::{PolicyCheck, TrustedProvider, is_positive_pin};
use crate::model::subject::owner_of;

/// `finding` with the command line that writes a policy pinning the
/// subject appended to its help, when one can be written for `provider`.
pub(super) fn with_policy_command(
    mut finding: Finding,
    check: &PolicyCheck<'_>,
    statement: &Statement,
    provider: &TrustedProvider<'_>,
) -> Finding {
    if let Some(command) = policy_command(check, statement, provider) {
        let help = finding.help.trim_end();
        let stop = if help.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        finding.help = format!("{help}{stop} Or let oidc-doctor write it: `{command}`");
    }
    finding
}

/// `findings` with the command line added to those of the rules `codes`.
pub(super) fn with_policy_commands(
    findings: Vec<Finding>,
    codes: &[&str],
    check: &PolicyCheck<'_>,
    statement: &Statement,
    provider: &TrustedProvider<'_>,
) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|f| {
            if codes.contains(&f.rule.code) {
                with_policy_command(f, check, statement, provider)
            } else {
                f
            }
        })
        .collect()
}

/// The command line, or `None` when `policy` writes nothing for this
/// provider (a built-in principal, an issuer family it does not describe).
pub fn policy_command(
    check: &PolicyCheck<'_>,
    statement: &Statement,
    provider: &TrustedProvider<'_>,
) -> Option<String> {
    let target = provider_target(provider);
    let claims = check.options.token_claims.as_ref();
    let token_iss = claims
        .and_then(|c| c.get("iss"))
        .and_then(serde_json::Value::as_str);
    let token_here = token_iss.is_some_and(|iss| {
        issuers::provider_name(iss).eq_ignore_ascii_case(provider.name)
            && !issuers::detect(iss, None).builtin
    });
    if token_here && let Some(flag) = &check.options.token_flag {
        return Some(format!(
            "oidc-doctor policy {flag} {target}{}",
            output_flag(check)
        ));
    }
    // The token's own `sub` names the caller best; else the policy's values.
    let token_sub = claims
        .filter(|_| token_here)
        .and_then(|c| c.get("sub"))
        .and_then(serde_json::Value::as_str);
    let written: Vec<&str> = statement
        .conditions_for(provider.name, "sub")
        .filter(|c| is_positive_pin(c))
        .flat_map(|c| c.string_values().map(|v| v.value))
        .collect();
    let subjects: Vec<&str> = token_sub.into_iter().chain(written).collect();
    let audience = statement
        .conditions_for(provider.name, "aud")
        .filter(|c| is_positive_pin(c))
        .flat_map(|c| c.string_values().map(|v| v.value))
        .find(|v| !has_wildcard(v));
    let caller = caller_flags(provider, &subjects, audience)?;
    Some(format!(
        "oidc-doctor policy {caller} {target}{}",
        output_flag(check)
    ))
}

/// The `--output` that writes the fix in the form the policy was found in.
fn output_flag(check: &PolicyCheck<'_>) -> &'static str {
    use crate::model::documents::InputKind;
    match check.doc.kind {
        InputKind::TerraformSource | InputKind::TerraformPlan => " -o terraform",
        InputKind::CloudFormation => " -o cloudformation",
        _ => "",
    }
}

/// `--account ID` (with `--partition` outside `aws`) of the provider's
/// ARN: `policy` derives the provider's name from the caller, and the line
/// stays short enough to read.
fn provider_target(provider: &TrustedProvider<'_>) -> String {
    let Some(arn) = provider.arn.as_ref().filter(|a| plain(a.account).is_some()) else {
        return "--account ACCOUNT_ID".to_owned();
    };
    match plain(arn.partition) {
        Some("aws") | None => format!("--account {}", arn.account),
        Some(partition) => format!("--account {} --partition {partition}", arn.account),
    }
}

/// The caller flags of `provider`'s family, from the first subject that
/// says something (or placeholders).
fn caller_flags(
    provider: &TrustedProvider<'_>,
    subjects: &[&str],
    audience: Option<&str>,
) -> Option<String> {
    let family = provider.family?;
    let usual = family.usual_audiences.first().copied();
    // An audience other than the family's usual one is kept as it is.
    let keep_audience = |flags: String| match audience {
        Some(aud) if Some(aud) != usual && plain(aud).is_some() => {
            format!("{flags} --audience {aud}")
        }
        _ => flags,
    };
    let flags = match family.id {
        "github" => keep_audience(github(subjects)),
        "gitlab" => keep_audience(gitlab(subjects)),
        "terraform-cloud" => keep_audience(terraform(subjects)),
        "buildkite" => keep_audience(buildkite(subjects)),
        "eks" => keep_audience(format!(
            "--eks https://{} --service-account {}",
            plain_or(provider.name, "ISSUER_URL"),
            first(subjects, |s| {
                let rest = s.strip_prefix("system:serviceaccount:")?;
                let (namespace, name) = rest.split_once(':')?;
                Some(format!("{}/{}", plain(namespace)?, plain(name)?))
            })
            .unwrap_or_else(|| "NAMESPACE/NAME".to_owned())
        )),
        "circleci" => {
            let organization = provider.name.strip_prefix("oidc.circleci.com/org/")?;
            let project = first(subjects, |s| {
                let rest = s.strip_prefix(&format!("org/{organization}/project/"))?;
                Some(plain(rest.split('/').next()?)?.to_owned())
            });
            format!(
                "--circleci {} --project-id {}",
                plain_or(organization, "ORG_ID"),
                project.as_deref().unwrap_or("PROJECT_ID")
            )
        }
        "bitbucket" => {
            let workspace = provider
                .name
                .strip_prefix("api.bitbucket.org/2.0/workspaces/")?
                .split('/')
                .next()?;
            let repository = first(subjects, |s| {
                Some(plain(s.strip_prefix('{')?.split_once('}')?.0)?.to_owned())
            });
            let workspace_uuid = audience
                .and_then(|a| a.strip_prefix("ari:cloud:bitbucket::workspace/"))
                .and_then(plain);
            format!(
                "--bitbucket {} --workspace-uuid {} --repository-uuid {}",
                plain_or(workspace, "WORKSPACE"),
                workspace_uuid.unwrap_or("WORKSPACE_UUID"),
                repository.as_deref().unwrap_or("REPOSITORY_UUID")
            )
        }
        _ => return None,
    };
    Some(flags)
}

fn github(subjects: &[&str]) -> String {
    let owner = first(subjects, |s| {
        Some(plain(owner_of(SubGrammar::GitHub, s)?)?.to_owned())
    });
    let repo = first(subjects, |s| {
        let rest = s.strip_prefix("repo:")?;
        let name = rest.split(':').next()?.split_once('/')?.1;
        Some(plain(name)?.to_owned())
    });
    let context = first(subjects, |s| {
        let rest = s.strip_prefix("repo:")?.split_once(':')?.1;
        if let Some(branch) = rest.strip_prefix("ref:refs/heads/") {
            Some(format!("--branch {}", plain(branch)?))
        } else if let Some(tag) = rest.strip_prefix("ref:refs/tags/") {
            Some(format!("--tag {}", plain(tag)?))
        } else {
            let env = rest.strip_prefix("environment:")?;
            Some(format!("--environment {}", plain(env)?))
        }
    });
    format!(
        "--github {}/{} {}",
        owner.as_deref().unwrap_or("OWNER"),
        repo.as_deref().unwrap_or("REPO"),
        context.as_deref().unwrap_or("--branch main")
    )
}

fn gitlab(subjects: &[&str]) -> String {
    let path = first(subjects, |s| {
        let path = s.strip_prefix("project_path:")?.split(':').next()?;
        let (group, project) = path.rsplit_once('/')?;
        Some(format!(
            "{}/{}",
            plain(group)?,
            plain_or(project, "PROJECT")
        ))
    });
    let git_ref = first(subjects, |s| {
        let (_, rest) = s.split_once(":ref_type:")?;
        let (kind, name) = rest.split_once(":ref:")?;
        let name = plain(name)?;
        match kind {
            "tag" => Some(format!("--ref {name} --ref-type tag")),
            "branch" => Some(format!("--ref {name}")),
            _ => None,
        }
    });
    format!(
        "--gitlab {} {}",
        path.as_deref().unwrap_or("GROUP/PROJECT"),
        git_ref.as_deref().unwrap_or("--ref main")
    )
}

fn terraform(subjects: &[&str]) -> String {
    let workspace = first(subjects, |s| {
        let segments = crate::model::subject::segments(
            s,
            ':',
            &["organization", "project", "workspace", "run_phase"],
        )?;
        let get = |key: &str| {
            segments
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| plain(v).map(str::to_owned))
        };
        Some(format!(
            "{}/{}/{}",
            get("organization")?,
            get("project").unwrap_or_else(|| "PROJECT".to_owned()),
            get("workspace").unwrap_or_else(|| "WORKSPACE".to_owned())
        ))
    });
    format!(
        "--terraform-cloud {}",
        workspace.as_deref().unwrap_or("ORG/PROJECT/WORKSPACE")
    )
}

fn buildkite(subjects: &[&str]) -> String {
    let pipeline = first(subjects, |s| {
        let rest = s.strip_prefix("organization:")?;
        let (organization, rest) = rest.split_once(":pipeline:")?;
        let pipeline = rest.split(':').next()?;
        Some(format!(
            "{}/{}",
            plain(organization)?,
            plain_or(pipeline, "PIPELINE")
        ))
    });
    let git_ref = first(subjects, |s| {
        let rest = s.split_once(":ref:")?.1;
        let git_ref = rest.split(":commit:").next()?;
        if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
            Some(format!("--branch {}", plain(branch)?))
        } else {
            Some(format!(
                "--tag {}",
                plain(git_ref.strip_prefix("refs/tags/")?)?
            ))
        }
    });
    format!(
        "--buildkite {} {}",
        pipeline.as_deref().unwrap_or("ORG/PIPELINE"),
        git_ref.as_deref().unwrap_or("--branch main")
    )
}

/// The first subject from which `part` reads its flags.
fn first(subjects: &[&str], part: impl Fn(&str) -> Option<String>) -> Option<String> {
    subjects.iter().find_map(|s| part(s))
}

/// `value` when it can be handed to a flag of `policy` as it is: not
/// empty, no wildcard, only characters a shell leaves alone.
fn plain(value: &str) -> Option<&str> {
    (!value.is_empty() && !has_wildcard(value) && is_plain(value)).then_some(value)
}

fn plain_or<'a>(value: &'a str, placeholder: &'a str) -> &'a str {
    plain(value).unwrap_or(placeholder)
}

/// Characters a shell leaves alone (and `policy` reads back as written).
fn is_plain(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,".contains(c))
}

#[cfg(test)]
mod tests {
    use crate::model::documents::PolicyDocument;
    use crate::rules::trust_policy::{LintOptions, check};

    fn helps(sub: &str, options: &LintOptions) -> Vec<String> {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": sub}
                }
            }]
        });
        let doc = PolicyDocument::from_text("policy.json", policy.to_string()).unwrap();
        check(&doc, options)
            .into_iter()
            .filter(|f| f.help.contains("oidc-doctor policy"))
            .map(|f| f.help)
            .collect()
    }

    #[test]
    fn values_a_shell_would_read_otherwise_become_placeholders() {
        let helps = helps(
            "repo:*/$(touch x);x:ref:refs/heads/`id`",
            &LintOptions::default(),
        );
        assert!(!helps.is_empty());
        for help in helps {
            assert!(
                help.contains(
                    "`oidc-doctor policy --github OWNER/REPO --branch main --account 123456789012`"
                ),
                "{help}"
            );
            assert!(!help.contains("$(") && !help.contains("`id`"), "{help}");
        }
    }

    #[test]
    fn a_token_read_again_wins_over_the_policy_values() {
        let claims = serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:acme/app:environment:prod",
        });
        let options = LintOptions {
            token_claims: claims.as_object().cloned(),
            token_flag: Some("--token-env ID_TOKEN".to_owned()),
            ..LintOptions::default()
        };
        let read_again = helps("repo:*", &options);
        assert!(!read_again.is_empty());
        for help in &read_again {
            assert!(
                help.contains("`oidc-doctor policy --token-env ID_TOKEN --account 123456789012`"),
                "{help}"
            );
        }
        // Without a way to read it again, the token's caller, described.
        let options = LintOptions {
            token_flag: None,
            ..options
        };
        let described = helps("repo:*", &options);
        assert!(!described.is_empty());
        for help in described {
            assert!(
                help.contains("--github acme/app --environment prod"),
                "{help}"
            );
        }
    }
}
