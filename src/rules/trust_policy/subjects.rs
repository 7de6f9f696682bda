//! TP601–TP607 and TP619: what a `sub` pattern really admits, judged by
//! matching it against probe subjects (a stranger's, a look-alike owner's,
//! another repository of the same owner, a pull request), not by its shape.

use crate::finding::Finding;
use crate::model::issuers::SubGrammar;
use crate::model::policy::{BaseOperator, Condition};
use crate::model::subject::owner_segment;
use crate::model::wildcard;
use crate::rules::{TP601, TP602, TP603, TP604, TP605, TP606, TP607, TP619};

use super::remedy::{with_policy_command, with_policy_commands};
use super::{PolicyCheck, is_positive_pin, trusted_providers};

/// An owner nobody would pick.
const STRANGER: &str = "zz-stranger";

/// How a policy value is compared with a subject.
type Matcher = fn(&str, &str) -> bool;

fn matcher(condition: &Condition) -> Option<Matcher> {
    match condition.operator?.base {
        BaseOperator::StringLike => Some(wildcard::matches),
        BaseOperator::StringEquals => Some(|p, s| p == s),
        BaseOperator::StringEqualsIgnoreCase => Some(str::eq_ignore_ascii_case),
        _ => None,
    }
}

fn is_like(condition: &Condition) -> bool {
    condition
        .operator
        .is_some_and(|o| o.base == BaseOperator::StringLike)
}

/// What the owner and repository segments are called in a grammar.
fn nouns(grammar: SubGrammar) -> (&'static str, &'static str) {
    match grammar {
        SubGrammar::GitHub => ("owner", "repository"),
        SubGrammar::GitLab => ("group", "project"),
        SubGrammar::Terraform => ("organization", "workspace"),
        SubGrammar::Buildkite => ("organization", "pipeline"),
        SubGrammar::Kubernetes => ("namespace", "service account"),
        SubGrammar::CircleCi => ("organization", "project"),
        _ => ("owner", "identity"),
    }
}

/// The plural of one of the nouns above.
fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{noun}s"),
    }
}

/// Subjects of a grammar for an owner and a repository (project, workspace...).
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
        // Custom `sub` templates that start with another owner claim.
        .chain([
            format!("repository_owner:{owner}"),
            format!("repository:{owner}/{repo}"),
            format!("repository_owner_id:{owner}"),
            format!("repository_id:{owner}"),
        ])
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
        SubGrammar::CircleCi => vec![format!(
            "org/{owner}/project/{repo}/user/00000000-0000-0000-0000-000000000000"
        )],
        SubGrammar::Bitbucket | SubGrammar::UserId => vec![owner.to_owned()],
    }
}

/// The repository (project, workspace, pipeline, service account) segment,
/// and the byte offset where it ends.
fn repo_segment(grammar: SubGrammar, value: &str) -> Option<(&str, usize)> {
    let (_, range) = owner_segment(grammar, value)?;
    let mut start = range.end + 1;
    let rest = value.get(start..)?;
    let label = match grammar {
        SubGrammar::Terraform => "project:",
        SubGrammar::Buildkite => "pipeline:",
        SubGrammar::CircleCi => "project/",
        _ => "",
    };
    if rest.starts_with(label) {
        start += label.len();
    }
    let rest = &value[start..];
    let end = start + rest.find([':', '/']).unwrap_or(rest.len());
    Some((&value[start..end], end))
}

/// Whether `value` admits a token of an owner nobody controls (TP601's class).
pub(super) fn admits_stranger(grammar: SubGrammar, condition: &Condition, value: &str) -> bool {
    let Some(matches) = matcher(condition) else {
        return false;
    };
    // An owner segment of nothing but wildcards admits every owner.
    // (A wildcard namespace on Kubernetes is TP619's: the cluster is single-tenant.)
    let owner_all_wildcards = is_like(condition)
        && grammar != SubGrammar::Kubernetes
        && owner_segment(grammar, value).is_some_and(|(owner, _)| {
            !owner.is_empty() && owner.chars().all(|c| c == '*' || c == '?')
        });
    subjects(grammar, STRANGER, "x")
        .iter()
        .any(|s| matches(value, s))
        || value == "*" && is_like(condition)
        || owner_all_wildcards
}

/// Whether `value` admits tokens of owners other than the intended one:
/// any owner (TP601's class) or a look-alike (TP602's).
pub(super) fn is_cross_tenant(grammar: SubGrammar, condition: &Condition, value: &str) -> bool {
    admits_stranger(grammar, condition, value) || look_alike(grammar, condition, value).is_some()
}

/// A look-alike owner `value` admits (TP602's class): the owner segment with
/// a wildcard that also matches `<owner>-evil` and the like.
fn look_alike(grammar: SubGrammar, condition: &Condition, value: &str) -> Option<(String, String)> {
    // Namespaces belong to one cluster: a wildcard there is TP619's.
    if !is_like(condition) || grammar == SubGrammar::Kubernetes {
        return None;
    }
    let (owner, range) = owner_segment(grammar, value)?;
    if !wildcard::has_wildcard(owner) {
        return None;
    }
    // Fill the owner's wildcards with what nobody owns yet (`acme*` →
    // `acme-evil`, `*acme` → `evilacme`, `a?me` → `azme`), the rest of the
    // value's wildcards with anything, and see whether the value matches.
    let other = owner
        .trim_end_matches('*')
        .replace('*', "evil")
        .replace('?', "z")
        + if owner.ends_with('*') { "-evil" } else { "" };
    let probe =
        format!("{}{other}{}", &value[..range.start], &value[range.end..]).replace(['*', '?'], "x");
    wildcard::matches(value, &probe).then_some((other, probe))
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in check.federated_allows() {
        for provider in trusted_providers(statement) {
            for condition in statement.conditions_for(provider.name, "sub") {
                let Some(grammar) = grammar_of(&provider, condition) else {
                    continue;
                };
                let Some(matches) = matcher(condition).filter(|_| is_positive_pin(condition))
                else {
                    continue;
                };
                let values: Vec<_> = condition.string_values().collect();
                // Values are OR-ed: one broad value opens the whole list.
                let cross_tenant = |v: &str| {
                    admits_stranger(grammar, condition, v)
                        || look_alike(grammar, condition, v).is_some()
                };
                let broad: Vec<bool> = values
                    .iter()
                    .map(|v| {
                        cross_tenant(v.value)
                            || values.len() > 1 && org_wide(grammar, v.value, matches)
                    })
                    .collect();
                let narrower_exists = broad.iter().any(|b| !b);
                for (value, &is_broad) in values.iter().zip(&broad) {
                    let at = &value.pointer;
                    if !is_broad || !narrower_exists && !cross_tenant(value.value) {
                        let within = within_owner(
                            check,
                            grammar,
                            value.value,
                            at,
                            matches,
                            is_like(condition),
                        );
                        // Every repository, or every context, of one owner: `policy` names one.
                        let codes = [TP604.code, TP605.code];
                        findings.extend(with_policy_commands(
                            within, &codes, check, statement, &provider,
                        ));
                        continue;
                    }
                    let (owner, repo) = nouns(grammar);
                    let example = if admits_stranger(grammar, condition, value.value) {
                        subjects(grammar, STRANGER, "x").swap_remove(0)
                    } else if let Some((_, probe)) = look_alike(grammar, condition, value.value) {
                        probe
                    } else {
                        let owner = owner_segment(grammar, value.value).map_or("", |(o, _)| o);
                        subjects(grammar, owner, "zz-other-repo").swap_remove(0)
                    };
                    if narrower_exists {
                        findings.push(check.at(
                            &TP603,
                            at,
                            format!(
                                "`{}` is far broader than the other values (it admits `{example}`); values are OR-ed, so this one decides.",
                                value.value
                            ),
                            format!("Remove it, or narrow it to your own {owner} and {repo}."),
                        ));
                    } else if let Some((other, probe)) = look_alike(grammar, condition, value.value)
                        .filter(|_| !admits_stranger(grammar, condition, value.value))
                    {
                        let (owner_text, _) =
                            owner_segment(grammar, value.value).unwrap_or_default();
                        let literal = owner_text.split(['*', '?']).next().unwrap_or_default();
                        let finding = check.at(
                            &TP602,
                            at,
                            format!(
                                "`{}` has a wildcard in the {owner} name: `{probe}` matches, and anyone can register `{other}`.",
                                value.value
                            ),
                            format!(
                                "Write the {owner} name in full and no wildcard in it, e.g. `{}`.",
                                subjects(grammar, literal, &format!("<{repo}>"))[0]
                            ),
                        );
                        findings.push(with_policy_command(finding, check, statement, &provider));
                    } else {
                        let finding = check.at(
                            &TP601,
                            at,
                            format!(
                                "`{}` matches subjects of any {owner}, e.g. `{example}`.",
                                value.value
                            ),
                            format!(
                                "Name your own {owner} and {repo}: `{}`.",
                                subjects(grammar, &format!("<{owner}>"), &format!("<{repo}>"))[0]
                            ),
                        );
                        findings.push(with_policy_command(finding, check, statement, &provider));
                    }
                }
            }
        }
    }
    findings
}

/// The `sub` grammar of a provider's condition: its family's, or, for a
/// provider the source leaves unknown (Terraform, `CloudFormation`), the one
/// its subjects are written in.
fn grammar_of(provider: &super::TrustedProvider<'_>, condition: &Condition) -> Option<SubGrammar> {
    let family = provider.family.or_else(|| {
        provider
            .name
            .contains("${")
            .then(|| condition.string_values().next())
            .flatten()
            .and_then(|v| crate::model::issuers::family_of_subject(v.value))
    })?;
    Some(family.sub_grammar)
}

/// Whether `value` admits every repository of its owner (TP604's class).
fn org_wide(grammar: SubGrammar, value: &str, matches: Matcher) -> bool {
    grammar != SubGrammar::Kubernetes
        && owner_segment(grammar, value).is_some_and(|(owner, _)| {
            subjects(grammar, owner, "zz-other-repo")
                .iter()
                .any(|s| matches(value, s))
        })
}

/// TP604–TP607 and TP619: patterns broader than one repository and context.
fn within_owner(
    check: &PolicyCheck<'_>,
    grammar: SubGrammar,
    value: &str,
    at: &str,
    matches: Matcher,
    like: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some((owner, _)) = owner_segment(grammar, value) else {
        return findings;
    };
    let (repo, _) = repo_segment(grammar, value).unwrap_or(("", value.len()));
    if grammar == SubGrammar::Kubernetes {
        if like && (wildcard::has_wildcard(owner) || wildcard::has_wildcard(repo)) {
            findings.push(check.at(
                &TP619,
                at,
                format!(
                    "`{value}` admits {} of the cluster.",
                    if wildcard::has_wildcard(owner) { "this service account name in every namespace" } else { "every service account of the namespace" }
                ),
                "Name the namespace and the service account: `system:serviceaccount:<namespace>:<name>`.".to_owned(),
            ));
        }
        return findings;
    }
    let (owner_noun, repo_noun) = nouns(grammar);
    if subjects(grammar, owner, "zz-other-repo")
        .iter()
        .any(|s| matches(value, s))
    {
        findings.push(check.at(
            &TP604,
            at,
            format!("`{value}` admits every {repo_noun} of {owner_noun} `{owner}`, including ones created later."),
            format!("Name the {} that need the role, one value each.", plural(repo_noun)),
        ));
        return findings;
    }
    if grammar == SubGrammar::GitHub {
        let any_context = [
            "ref:refs/heads/zz-branch",
            "ref:refs/tags/zz-tag",
            "environment:zz-env",
            "pull_request",
        ]
        .iter()
        .all(|ctx| matches(value, &format!("repo:{owner}/{repo}:{ctx}")));
        if any_context {
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
                format!(
                    "`{value}` admits pull request workflows of `{owner}/{repo}`: anyone who can open a pull request from a branch runs code with the role."
                ),
                "Trust a protected environment or branch instead of `pull_request`.".to_owned(),
            ));
        }
        if any_context {
            return findings;
        }
    }
    // A wildcard in the branch, tag, environment or run phase (not in the
    // commit, step or user, which vary by design).
    let keys: &[&str] = match grammar {
        SubGrammar::GitHub => &[
            "repo",
            "ref",
            "environment",
            "pull_request",
            "job_workflow_ref",
        ],
        SubGrammar::GitLab => &["project_path", "ref_type", "ref", "environment"],
        SubGrammar::Terraform => &["organization", "project", "workspace", "run_phase"],
        SubGrammar::Buildkite => &["organization", "pipeline", "ref", "commit", "step"],
        _ => &[],
    };
    let wild_context = crate::model::subject::segments(value, ':', keys).is_some_and(|segments| {
        segments.iter().any(|(key, v)| {
            // `ref:refs/heads/main:*` ends with "any commit and step": the ref itself is exact.
            let own_value = v.split(':').next().unwrap_or(v);
            ["ref", "environment", "run_phase", "ref_type"].contains(&key.as_str())
                && wildcard::has_wildcard(own_value)
        })
    });
    if like && wild_context {
        findings.push(check.at(
            &TP607,
            at,
            format!("`{value}` wildcards the branch, tag, environment or phase: every one that matches gets the role."),
            "Name the branch, environment or run phase that should get the role.".to_owned(),
        ));
    }
    findings
}
