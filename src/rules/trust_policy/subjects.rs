//! TP601–TP607 and TP619: what a `sub` pattern really admits, judged by
//! matching it against probe subjects (a stranger's, a look-alike owner's,
//! another repository of the same owner, a pull request), not by its shape.

use crate::model::issuers::SubGrammar;
use crate::model::policy::{BaseOperator, Condition};
use crate::model::wildcard;
use crate::report::Finding;
use crate::rules::{TP601, TP602, TP603, TP604, TP605, TP606, TP607, TP619};

use super::{PolicyCheck, is_positive_pin, trusted_providers};

/// An owner nobody would pick.
const STRANGER: &str = "zz-stranger";

/// How a policy value is compared with a subject.
fn matcher(condition: &Condition) -> Option<fn(&str, &str) -> bool> {
    match condition.operator?.base {
        BaseOperator::StringLike => Some(wildcard::matches),
        BaseOperator::StringEquals => Some(|p, s| p == s),
        BaseOperator::StringEqualsIgnoreCase => Some(str::eq_ignore_ascii_case),
        _ => None,
    }
}

/// Subjects of a grammar for an owner, with `rest` standing for what follows
/// the owner (repository and context).
fn subjects(grammar: SubGrammar, owner: &str, repo: &str) -> Vec<String> {
    match grammar {
        SubGrammar::GitHub => [
            "ref:refs/heads/main",
            "ref:refs/tags/v1",
            "environment:prod",
            "pull_request",
        ]
        .iter()
        .map(|ctx| format!("repo:{owner}/{repo}:{ctx}"))
        .collect(),
        SubGrammar::GitLab => vec![
            format!("project_path:{owner}/{repo}:ref_type:branch:ref:main"),
            format!("project_path:{owner}/{repo}:ref_type:tag:ref:v1"),
        ],
        SubGrammar::Terraform => vec![
            format!("organization:{owner}:project:{repo}:workspace:{repo}:run_phase:apply"),
            format!("organization:{owner}:project:Default Project:workspace:{repo}:run_phase:plan"),
        ],
        SubGrammar::Buildkite => vec![format!(
            "organization:{owner}:pipeline:{repo}:ref:refs/heads/main:commit:0123456789abcdef:step:deploy"
        )],
        SubGrammar::Kubernetes => vec![format!("system:serviceaccount:{owner}:{repo}")],
        SubGrammar::CircleCi | SubGrammar::Bitbucket | SubGrammar::UserId => vec![owner.to_owned()],
    }
}

/// What the owner and repository segments are called in a grammar.
fn nouns(grammar: SubGrammar) -> (&'static str, &'static str) {
    match grammar {
        SubGrammar::GitHub => ("owner", "repository"),
        SubGrammar::GitLab => ("group", "project"),
        SubGrammar::Terraform => ("organization", "workspace"),
        SubGrammar::Buildkite => ("organization", "pipeline"),
        SubGrammar::Kubernetes => ("namespace", "service account"),
        _ => ("owner", "identity"),
    }
}

/// The owner segment of a value (`acme` of `repo:acme/app:*`), as written.
fn owner_segment(grammar: SubGrammar, value: &str) -> Option<&str> {
    let (prefix, ends): (&str, &[char]) = match grammar {
        SubGrammar::GitHub => ("repo:", &['/', ':']),
        SubGrammar::GitLab => ("project_path:", &['/', ':']),
        SubGrammar::Terraform | SubGrammar::Buildkite => ("organization:", &[':']),
        SubGrammar::Kubernetes => ("system:serviceaccount:", &[':']),
        _ => return None,
    };
    let rest = value.strip_prefix(prefix)?;
    Some(&rest[..rest.find(ends).unwrap_or(rest.len())])
}

/// The repository (project, pipeline, service account) segment after the owner.
fn repo_segment(grammar: SubGrammar, value: &str) -> Option<String> {
    let owner = owner_segment(grammar, value)?;
    let start = value.find(owner)? + owner.len() + 1;
    let rest = value.get(start..)?;
    let rest = match grammar {
        SubGrammar::Terraform => rest.strip_prefix("project:").unwrap_or(rest),
        SubGrammar::Buildkite => rest.strip_prefix("pipeline:").unwrap_or(rest),
        _ => rest,
    };
    Some(rest[..rest.find(':').unwrap_or(rest.len())].to_owned())
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in check.federated_allows() {
        for provider in trusted_providers(statement) {
            let Some(family) = provider.family else {
                continue;
            };
            let grammar = family.sub_grammar;
            for condition in statement.conditions_on("sub") {
                if !condition
                    .prefix()
                    .is_some_and(|p| p.eq_ignore_ascii_case(provider.name))
                    || !is_positive_pin(condition)
                {
                    continue;
                }
                let Some(matches) = matcher(condition) else {
                    continue;
                };
                let values: Vec<_> = condition.string_values().collect();
                let admits_stranger = |v: &str| {
                    subjects(grammar, STRANGER, "x")
                        .iter()
                        .any(|s| matches(v, s))
                        || v == "*"
                            && condition
                                .operator
                                .is_some_and(|o| o.base == BaseOperator::StringLike)
                };
                let broad: Vec<bool> = values.iter().map(|v| admits_stranger(v.value)).collect();
                for (value, &is_broad) in values.iter().zip(&broad) {
                    let at = &value.pointer;
                    if is_broad {
                        let narrower_exists = broad.iter().any(|b| !b);
                        let (rule, why) = if narrower_exists {
                            (
                                &TP603,
                                "; the other values are narrow, but values are OR-ed, so this one decides",
                            )
                        } else {
                            (&TP601, "")
                        };
                        let (owner, repo) = nouns(grammar);
                        findings.push(check.at(
                            rule,
                            at,
                            format!(
                                "`{}` matches subjects of any {owner}, e.g. `{}`{why}.",
                                value.value,
                                subjects(grammar, STRANGER, "x")[0]
                            ),
                            format!(
                                "Name your own {owner} and {repo}: `{}`.",
                                subjects(grammar, &format!("<{owner}>"), &format!("<{repo}>"))[0]
                            ),
                        ));
                        continue;
                    }
                    // Under the Equals operators `*` and `?` are literal (TP401's case).
                    let like = condition
                        .operator
                        .is_some_and(|o| o.base == BaseOperator::StringLike);
                    if like {
                        findings.extend(look_alike_owner(check, grammar, value.value, at, matches));
                        findings.extend(within_owner(check, grammar, value.value, at, matches));
                    }
                }
            }
        }
    }
    findings
}

/// TP602: a wildcard inside the owner segment admits look-alike owners.
fn look_alike_owner(
    check: &PolicyCheck<'_>,
    grammar: SubGrammar,
    value: &str,
    at: &str,
    matches: fn(&str, &str) -> bool,
) -> Option<Finding> {
    let owner = owner_segment(grammar, value)?;
    let literal = &owner[..owner.find(['*', '?']).unwrap_or(owner.len())];
    if literal.is_empty() {
        return None;
    }
    let repo = repo_segment(grammar, value)
        .filter(|r| !wildcard::has_wildcard(r))
        .unwrap_or_else(|| "x".to_owned());
    for suffix in ["-evil", "x", "1"] {
        let look_alike = format!("{literal}{suffix}");
        if look_alike == owner {
            continue;
        }
        if let Some(subject) = subjects(grammar, &look_alike, &repo)
            .into_iter()
            .find(|s| matches(value, s))
        {
            return Some(check.at(
                &TP602,
                at,
                format!("`{value}` has a wildcard in the owner name: `{subject}` matches, and anyone can register `{look_alike}`."),
                format!("End the owner name before the wildcard: `{}`.", value.replacen(owner, literal, 1)),
            ));
        }
    }
    None
}

/// TP604–TP607 and TP619: patterns broader than one repository and context.
fn within_owner(
    check: &PolicyCheck<'_>,
    grammar: SubGrammar,
    value: &str,
    at: &str,
    matches: fn(&str, &str) -> bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(owner) = owner_segment(grammar, value) else {
        return findings;
    };
    if wildcard::has_wildcard(owner) && grammar != SubGrammar::Kubernetes {
        return findings; // TP602's.
    }
    if grammar == SubGrammar::Kubernetes {
        let account = repo_segment(grammar, value).unwrap_or_default();
        if wildcard::has_wildcard(owner) || wildcard::has_wildcard(&account) {
            findings.push(check.at(
                &TP619,
                at,
                format!("`{value}` admits {} of the cluster.", if wildcard::has_wildcard(owner) { "this service account name in every namespace" } else { "every service account of the namespace" }),
                "Name the namespace and the service account: `system:serviceaccount:<namespace>:<name>`.".to_owned(),
            ));
        }
        return findings;
    }
    let org_wide = subjects(grammar, owner, "zz-other-repo")
        .iter()
        .any(|s| matches(value, s));
    if org_wide {
        findings.push(check.at(
            &TP604,
            at,
            format!("`{value}` admits every repository (project, workspace) of `{owner}`, including ones created later."),
            "Name the repositories that need the role, one value each.".to_owned(),
        ));
        return findings;
    }
    let Some(repo) = repo_segment(grammar, value) else {
        return findings;
    };
    if grammar == SubGrammar::GitHub {
        let contexts = [
            "ref:refs/heads/zz-branch",
            "ref:refs/tags/zz-tag",
            "environment:zz-env",
            "pull_request",
        ];
        let all = contexts
            .iter()
            .all(|ctx| matches(value, &format!("repo:{owner}/{repo}:{ctx}")));
        if all {
            findings.push(check.at(
                &TP605,
                at,
                format!("`{value}` admits any branch, tag, environment and pull request of `{owner}/{repo}`."),
                "Pin the context: `:environment:<name>` (with protection rules) or `:ref:refs/heads/<branch>`.".to_owned(),
            ));
        }
        if matches(value, &format!("repo:{owner}/{repo}:pull_request")) {
            findings.push(check.at(
                &TP606,
                at,
                format!("`{value}` admits pull request workflows of `{owner}/{repo}`: anyone who can open a PR from a branch can run code with the role."),
                "Trust a protected environment or branch instead of `pull_request`.".to_owned(),
            ));
        }
        if all {
            return findings;
        }
    }
    let wildcard_context = [
        "ref:refs/heads/*",
        "ref:refs/tags/*",
        "ref:*",
        "environment:*",
        "run_phase:*",
        "ref_type:*",
        "workspace:*",
        "pipeline:*",
    ]
    .iter()
    .find(|marker| value.contains(*marker));
    if let Some(marker) = wildcard_context {
        findings.push(check.at(
            &TP607,
            at,
            format!("`{value}` wildcards a context segment (`{marker}`): every branch, tag, environment or phase matches."),
            "Name the branch, environment or run phase that should get the role.".to_owned(),
        ));
    }
    findings
}
