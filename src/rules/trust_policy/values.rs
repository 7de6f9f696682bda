//! TP608–TP618: condition values that cannot match the issuer's grammar, or
//! match less (or more) than they seem to.

use crate::finding::Finding;
use crate::model::issuers::{IssuerFamily, SubGrammar, Tenancy};
use crate::model::policy::{Condition, Statement};
use crate::model::wildcard::has_wildcard;
use crate::rules::{
    TP106, TP608, TP609, TP610, TP611, TP612, TP613, TP614, TP615, TP616, TP617, TP618,
};

use super::{PolicyCheck, is_positive_pin, trusted_providers};

/// First claims of a GitHub custom `sub` template that name no owner.
const OWNERLESS_FIRST_CLAIMS: [&str; 9] = [
    "context:",
    "environment:",
    "job_workflow_ref:",
    "ref:refs/",
    "workflow:",
    "actor:",
    "event_name:",
    "repository_visibility:",
    "ref_type:",
];

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in &check.policy.statements {
        for condition in &statement.conditions {
            findings.extend(stray_characters(check, condition));
        }
    }
    for statement in check.federated_allows() {
        for provider in trusted_providers(statement) {
            let Some(family) = provider.family else {
                continue;
            };
            let own = |claim: &'static str| statement.conditions_for(provider.name, claim);
            for condition in own("sub") {
                for value in condition.string_values() {
                    findings.extend(subject_value(
                        check,
                        family.sub_grammar,
                        family.tenancy,
                        value.value,
                        &value.pointer,
                    ));
                }
            }
            let subs: Vec<&Condition> = own("sub").collect();
            findings.extend(name_only(check, statement, provider.name, family, &subs));
            if family.sub_grammar == SubGrammar::GitHub {
                findings.extend(default_branch_only(check, statement, &subs));
                for condition in own("job_workflow_ref") {
                    for value in condition.string_values() {
                        if has_wildcard(value.value) || value.value.contains("@refs/heads/") {
                            findings.push(check.at(
                                &TP613,
                                &value.pointer,
                                format!("`{}` pins the reusable workflow by a {} ref that can change.", value.value, if has_wildcard(value.value) { "wildcard" } else { "branch" }),
                                "Pin a tag or, better, a commit: `...@<40-hex commit sha>`.".to_owned(),
                            ));
                        }
                    }
                }
            }
            for condition in own("aud") {
                let provider_partition = provider.arn.as_ref().map(|a| a.partition);
                findings.extend(audience(check, condition, family, provider_partition));
            }
        }
    }
    findings
}

#[allow(clippy::too_many_lines)] // One match arm per issuer grammar.
fn subject_value(
    check: &PolicyCheck<'_>,
    grammar: SubGrammar,
    tenancy: Tenancy,
    value: &str,
    at: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let finding = |rule, message: String, help: &str| check.at(rule, at, message, help.to_owned());
    let gitlab_path = value
        .strip_prefix("project_path:")
        .map(|rest| rest.split(':').next().unwrap_or(rest));
    if grammar == SubGrammar::GitLab
        && gitlab_path.is_some_and(|p| p.chars().any(|c| c.is_ascii_uppercase()))
    {
        findings.push(finding(
            &TP610,
            format!("`{value}` has upper-case letters in the group or project path; StringLike compares case-sensitively."),
            "Check the exact case in a real token (`oidc-doctor decode`).",
        ));
    }
    match grammar {
        SubGrammar::GitHub => {
            if let Some(rest) = value.strip_prefix("repo:") {
                let (repo_part, context) = rest
                    .split_once(':')
                    .map_or((rest, None), |(r, c)| (r, Some(c)));
                match context {
                    None if !has_wildcard(value) && repo_part.contains('/') => findings.push(finding(
                        &TP608,
                        format!("`{value}` has no context: GitHub's `sub` always continues (`:ref:...`, `:environment:...`, `:pull_request`), so this never matches."),
                        "Add the context, e.g. `:ref:refs/heads/main` or `:environment:prod`, or end with `:*` if any context is intended.",
                    )),
                    Some(context) if !has_wildcard(context.split(':').next().unwrap_or_default()) && !is_github_context(context) => findings.push(finding(
                        &TP609,
                        format!("`{value}`: `{context}` is not a GitHub `sub` context (`ref:refs/...`, `environment:<name>`, `pull_request`)."),
                        "Write the branch as `ref:refs/heads/<branch>`, the tag as `ref:refs/tags/<tag>`.",
                    )),
                    Some(context) if github_environment(context).is_some_and(|env| env.contains(':')) => findings.push(finding(
                        &TP615,
                        format!("`{value}`: the environment name contains `:`; GitHub encodes it as `%3A` in `sub`."),
                        "Write `:` inside names as `%3A`.",
                    )),
                    _ => {}
                }
                let names = repo_part
                    .split('/')
                    .map(|n| n.split('@').next().unwrap_or(n));
                if !value.contains("${")
                    && names
                        .clone()
                        .any(|n| n.chars().any(|c| c.is_ascii_uppercase()))
                {
                    findings.push(finding(
                        &TP610,
                        format!("`{value}` has upper-case letters in the owner or repository name; StringLike compares case-sensitively."),
                        "Check the exact case in a real token (`oidc-doctor decode`).",
                    ));
                }
            } else if value.starts_with("ref:") && !value.starts_with("ref:refs/")
                || value.starts_with("refs/")
            {
                findings.push(finding(
                    &TP609,
                    format!("`{value}` cannot match GitHub's `sub`, which starts with `repo:<owner>/<repo>:`."),
                    "Use `repo:<owner>/<repo>:ref:refs/heads/<branch>`.",
                ));
            } else if tenancy != Tenancy::SingleTenant
                && OWNERLESS_FIRST_CLAIMS.iter().any(|c| value.starts_with(c))
            {
                findings.push(finding(
                    &TP612,
                    format!("`{value}` starts with a claim that names no owner: with this custom `sub` template any GitHub user's token can match."),
                    "Make the template start with `repo` (or `repository_owner_id`), or pin `repository_id` as well.",
                ));
            }
        }
        SubGrammar::GitLab
            if value.starts_with("project_path:")
                && value.contains(":ref:")
                && !value.contains(":ref_type:")
                && !has_wildcard(value) =>
        {
            findings.push(finding(
                    &TP609,
                    format!("`{value}` lacks `ref_type:`; GitLab's `sub` is `project_path:<path>:ref_type:<branch|tag>:ref:<ref>`."),
                    "Insert `:ref_type:branch` before `:ref:`.",
                ));
        }
        SubGrammar::Terraform
            if value.starts_with("organization:")
                && value.contains(":workspace:")
                && !value.contains(":project:") =>
        {
            findings.push(finding(
                    &TP609,
                    format!("`{value}` lacks `project:`; HCP Terraform's `sub` is `organization:<org>:project:<project>:workspace:<ws>:run_phase:<phase>`."),
                    "Insert `:project:<project>` (or `:project:*`) after the organization.",
                ));
        }
        SubGrammar::Kubernetes if value.starts_with("system:serviceaccounts:") => {
            findings.push(finding(
                    &TP609,
                    format!("`{value}`: the subject of one service account is `system:serviceaccount:` (singular)."),
                    "Write `system:serviceaccount:<namespace>:<name>`.",
                ));
        }
        SubGrammar::Bitbucket if value.split(':').any(is_bare_uuid) => {
            findings.push(finding(
                &TP615,
                format!(
                    "`{value}` has a UUID without braces; Bitbucket writes them as `{{uuid}}`."
                ),
                "Wrap each UUID in braces.",
            ));
        }
        _ => {}
    }
    findings
}

/// The environment name of a GitHub `sub` context, up to the next claim of a
/// custom template (`environment:prod:job_workflow_ref:...`).
fn github_environment(context: &str) -> Option<String> {
    let segments = crate::model::subject::segments(
        context,
        ':',
        &[
            "environment",
            "job_workflow_ref",
            "ref",
            "repository_owner",
            "workflow",
            "actor",
            "event_name",
            "context",
        ],
    )?;
    segments
        .into_iter()
        .find(|(key, _)| key == "environment")
        .map(|(_, value)| value)
}

fn is_github_context(context: &str) -> bool {
    context.starts_with("ref:refs/")
        || context.starts_with("environment:")
        || context == "pull_request"
        || context.starts_with("job_workflow_ref:")
        || context.starts_with("ref:*")
}

fn is_bare_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&groups)
            .all(|(n, g)| g.len() == *n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// TP611: names only, no immutable id.
fn name_only(
    check: &PolicyCheck<'_>,
    statement: &Statement,
    provider: &str,
    family: &IssuerFamily,
    subs: &[&Condition],
) -> Option<Finding> {
    // Claims that carry immutable ids, per family; `None`: no id can be pinned.
    let (id_claims, help): (&[&str], String) = match family.sub_grammar {
        SubGrammar::GitHub => (
            &["repository_id", "repository_owner_id"],
            format!("Also pin `{provider}:repository_id` (or use the immutable `repo:<owner>@<id>/<repo>@<id>:...` form)."),
        ),
        SubGrammar::GitLab if family.id == "gitlab" => (
            &["project_id", "namespace_id"],
            format!("Also pin `{provider}:project_id`: ids survive renames and cannot be re-registered."),
        ),
        SubGrammar::Terraform => (
            &[],
            "HCP Terraform exposes no id claim to STS; keep the organization (deleting it frees the name) and watch renames."
                .to_owned(),
        ),
        _ => return None,
    };
    // A pin that admits any owner is not a name pin (TP601/TP502 say so).
    let first = subs.iter().find(|c| {
        is_positive_pin(c)
            && c.string_values()
                .any(|v| !super::subjects::is_cross_tenant(family.sub_grammar, c, v.value))
    })?;
    let with_id = subs
        .iter()
        .flat_map(|c| c.string_values())
        .any(|v| v.value.contains('@'));
    let id_pinned = statement.conditions.iter().any(|c| {
        c.prefix().is_some_and(|p| p.eq_ignore_ascii_case(provider))
            && id_claims.iter().any(|k| c.claim().eq_ignore_ascii_case(k))
            && is_positive_pin(c)
    });
    (!with_id && !id_pinned).then(|| {
        check.at(
            &TP611,
            &first.key.pointer,
            "The subject is pinned by names only: if the owner is renamed or deleted, someone else can register the name."
                .to_owned(),
            help,
        )
    })
}

/// TP614: only the default branch pinned, no environment.
fn default_branch_only(
    check: &PolicyCheck<'_>,
    statement: &Statement,
    subs: &[&Condition],
) -> Option<Finding> {
    let values: Vec<_> = subs
        .iter()
        .filter(|c| is_positive_pin(c))
        .flat_map(|c| c.string_values())
        .collect();
    let default_branch =
        |v: &str| v.ends_with(":ref:refs/heads/main") || v.ends_with(":ref:refs/heads/master");
    let env_pinned = statement
        .conditions
        .iter()
        .any(|c| c.claim().eq_ignore_ascii_case("environment"));
    (!values.is_empty() && values.iter().all(|v| default_branch(v.value)) && !env_pinned).then(|| {
        check.at(
            &TP614,
            &values[0].pointer,
            "Only the default branch is pinned: workflows triggered by `pull_request_target`, `workflow_run` or `issue_comment` also run with `ref:refs/heads/main`."
                .to_owned(),
            "Prefer a protected environment (`:environment:<name>` with required reviewers).".to_owned(),
        )
    })
}

fn audience(
    check: &PolicyCheck<'_>,
    condition: &Condition,
    family: &IssuerFamily,
    provider_partition: Option<&str>,
) -> Vec<Finding> {
    let usual = family.usual_audiences;
    let mut findings = Vec::new();
    let wildcarded = condition.operator.is_some_and(|op| {
        op.set.is_some()
            || op.base.is_like() && condition.string_values().any(|v| has_wildcard(v.value))
    });
    if wildcarded {
        findings.push(check.at(
            &TP618,
            &condition.key.pointer,
            "The audience is wildcarded or set-qualified: tokens minted for other audiences pass.".to_owned(),
            "Pin the exact audience with StringEquals.".to_owned(),
        ));
    }
    for value in condition.string_values() {
        let v = value.value;
        let partition = check
            .role_arn()
            .map(|a| a.partition.to_owned())
            .or_else(|| provider_partition.map(str::to_owned));
        let china = partition.as_deref().map(|p| p == "aws-cn");
        if matches!(
            (v, china),
            ("sts.amazonaws.com.cn", Some(false)) | ("sts.amazonaws.com", Some(true))
        ) {
            findings.push(check.at(
                &TP106,
                &value.pointer,
                format!(
                    "Audience `{v}` belongs to {} partition, but the role is in `{}`.",
                    if china == Some(false) { "the China" } else { "the commercial" },
                    partition.as_deref().unwrap_or_default()
                ),
                "Clients request `sts.amazonaws.com.cn` only for roles in the China partition (`aws-cn`), and `sts.amazonaws.com` elsewhere."
                    .to_owned(),
            ));
            continue;
        }
        let wrong = match v {
            "sts.amazon.com" | "sts.amazonaws" | "sts.amazonaws.com/" => {
                Some("a misspelling of `sts.amazonaws.com`".to_owned())
            }
            "sigstore" => Some("the audience of GitHub's retired 2021 tokens".to_owned()),
            _ if family.id.starts_with("github") && v.starts_with("https://github.com/") => {
                Some("GitHub's default audience, which AWS clients do not request".to_owned())
            }
            _ if !usual.contains(&v)
                && !has_wildcard(v)
                && strsim::levenshtein(v, "sts.amazonaws.com") <= 2 =>
            {
                Some("a misspelling of `sts.amazonaws.com`".to_owned())
            }
            _ => None,
        };
        if let Some(why) = wrong {
            findings.push(check.at(
                &TP617,
                &value.pointer,
                format!("Audience `{v}` is {why}: tokens will not carry it."),
                format!(
                        "Use the audience your clients request{}.",
                        usual
                            .first()
                            .map(|u| format!(", usually `{u}`"))
                            .unwrap_or_default()
                    ),
            ));
        }
    }
    findings
}

/// TP616: whitespace, smart quotes or a trailing `/` in a key or value.
fn stray_characters(check: &PolicyCheck<'_>, condition: &Condition) -> Vec<Finding> {
    let stray = |text: &str| {
        text.trim() != text
            || text.contains([
                '\n', '\r', '\t', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}',
            ])
    };
    let mut findings = Vec::new();
    if stray(&condition.key.value) {
        findings.push(check.at(
            &TP616,
            &condition.key.pointer,
            format!(
                "Condition key {:?} has whitespace or typographic quotes in it: it matches no key.",
                condition.key.value
            ),
            "Retype the key with plain ASCII and no spaces.".to_owned(),
        ));
    }
    for value in condition.string_values() {
        if stray(value.value)
            || value.value.len() > 1 && value.value.ends_with('/') && !value.value.ends_with("*/")
        {
            findings.push(check.at(
                &TP616,
                &value.pointer,
                format!("Value {:?} has whitespace, typographic quotes or a trailing `/`: no token carries it.", value.value),
                "Remove the stray characters.".to_owned(),
            ));
        }
    }
    findings
}
