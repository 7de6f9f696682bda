//! TP501–TP506: whether a federated Allow pins who may use it.

use crate::model::issuers::{IssuerFamily, Tenancy};
use crate::model::policy::{Condition, Statement};
use crate::report::{Finding, Severity};
use crate::rules::{TP501, TP502, TP503, TP504, TP505, TP506};

use super::{PolicyCheck, TrustedProvider, is_positive_pin, trusted_providers};

/// Claims that name the owner of a token, per family, beyond the tenancy claim.
fn identifying_claims(family: &IssuerFamily) -> &'static [&'static str] {
    match family.id {
        "github" | "github-enterprise" | "ghes" => &[
            "repository",
            "repository_id",
            "repository_owner_id",
            "enterprise_id",
        ],
        "gitlab" => &[
            "project_id",
            "project_path",
            "namespace_id",
            "namespace_path",
        ],
        _ => &[],
    }
}

/// Claims that name no owner: pinning only these admits every tenant.
const NON_IDENTIFYING: [&str; 9] = [
    "aud",
    "oaud",
    "ref",
    "ref_type",
    "environment",
    "actor",
    "workflow",
    "repository_visibility",
    "event_name",
];

fn own<'a>(statement: &'a Statement, provider: &TrustedProvider<'_>) -> Vec<&'a Condition> {
    statement
        .conditions
        .iter()
        .filter(|c| {
            c.prefix()
                .is_some_and(|p| p.eq_ignore_ascii_case(provider.name))
        })
        .collect()
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in check.federated_allows() {
        let providers = trusted_providers(statement);
        if statement.conditions.is_empty() {
            let shared = providers
                .iter()
                .any(|p| p.family.is_some_and(|f| f.tenancy == Tenancy::Shared));
            let finding = check.at(
                &TP501,
                &statement.pointer,
                format!(
                    "The statement allows `{}` with no Condition: {}.",
                    providers[0].name,
                    if shared { "anyone who can get a token from this issuer can assume the role" } else { "every identity of this issuer can assume the role" }
                ),
                "Add conditions that pin the audience and the subject, e.g. StringEquals on `<provider>:aud` and `<provider>:sub`."
                    .to_owned(),
            );
            findings.push(if shared {
                finding
            } else {
                finding.with_severity(Severity::High)
            });
            continue;
        }
        for provider in &providers {
            let Some(family) = provider.family else {
                continue;
            };
            if family.builtin {
                continue; // TP104 judges built-in principals.
            }
            let conditions = own(statement, provider);
            if providers.len() > 1 && conditions.is_empty() {
                continue; // TP103: this provider's tokens share another's conditions.
            }
            // A pin whose every value admits any tenant (`*`, `repo:*`) pins nothing.
            let effective = |c: &Condition| {
                is_positive_pin(c)
                    && (!c.claim().eq_ignore_ascii_case("sub")
                        || c.string_values().any(|v| {
                            !super::subjects::admits_stranger(family.sub_grammar, c, v.value)
                        }))
            };
            let pins = |claim: &str| {
                conditions
                    .iter()
                    .any(|c| c.claim().eq_ignore_ascii_case(claim) && effective(c))
            };
            // Single-tenant issuers: any positive pin counts (TP601 judges its breadth).
            let positive = |claim: &str| {
                conditions
                    .iter()
                    .any(|c| c.claim().eq_ignore_ascii_case(claim) && is_positive_pin(c))
            };
            if !pins("aud") {
                findings.push(
                    check.at(
                        &TP505,
                        statement
                            .condition_pointer
                            .as_deref()
                            .unwrap_or(&statement.pointer),
                        format!("No positive pin on `{}:aud`.", provider.name),
                        format!(
                            "Pin the audience your clients request{}.",
                            family
                                .usual_audiences
                                .first()
                                .map(|a| format!(" (usually `{a}`)"))
                                .unwrap_or_default()
                        ),
                    ),
                );
            }
            let identified =
                pins(family.tenancy_claim) || identifying_claims(family).iter().any(|c| pins(c));
            match family.tenancy {
                Tenancy::Shared | Tenancy::Enterprise if !identified => {
                    findings.extend(unpinned_shared(check, statement, provider, family, &conditions));
                }
                Tenancy::SingleTenant if !positive("sub") && family.id != "auth0" => findings.push(check.at(
                    &TP504,
                    statement.condition_pointer.as_deref().unwrap_or(&statement.pointer),
                    format!("`{}:sub` is not pinned: every identity of {} can assume the role.", provider.name, family.name),
                    "Pin `sub` to the service account, project or pipeline that should assume the role.".to_owned(),
                )),
                _ => {}
            }
        }
    }
    findings
}

fn unpinned_shared(
    check: &PolicyCheck<'_>,
    statement: &Statement,
    provider: &TrustedProvider<'_>,
    family: &IssuerFamily,
    conditions: &[&Condition],
) -> Option<Finding> {
    let tenancy = family.tenancy_claim;
    // Negated or Null-only pins on the tenancy claim are TP405/TP406's.
    if conditions.iter().any(|c| {
        c.claim().eq_ignore_ascii_case(tenancy)
            && !is_positive_pin(c)
            && c.operator
                .is_some_and(|op| !op.if_exists && op.set.is_none())
    }) {
        return None;
    }
    let at = statement
        .condition_pointer
        .as_deref()
        .unwrap_or(&statement.pointer);
    let pinned: Vec<String> = conditions
        .iter()
        .filter(|c| is_positive_pin(c))
        .map(|c| c.claim().to_ascii_lowercase())
        .collect();
    if family.id.starts_with("github") && pinned.iter().any(|c| c == "job_workflow_ref") {
        return Some(check.at(
            &TP503,
            at,
            "Only `job_workflow_ref` pins who may assume the role: any repository that calls that reusable workflow can."
                .to_owned(),
            "Also pin `sub` (or `repository_id`) to the repositories that should use the role.".to_owned(),
        ));
    }
    // `aud` alone says nothing about who: that is TP502's plain case.
    let names_something = pinned.iter().any(|c| c != "aud" && c != "oaud");
    if names_something && pinned.iter().all(|c| NON_IDENTIFYING.contains(&c.as_str())) {
        return Some(check.at(
            &TP506,
            at,
            format!(
                "Only claims that name no owner are pinned ({}): any {} user's token with these values passes.",
                pinned.join(", "),
                family.name
            ),
            format!("Pin `{tenancy}` to your own owner as well."),
        ));
    }
    Some(check.at(
        &TP502,
        at,
        format!(
            "{} is a shared issuer and `{}:{tenancy}` has no positive pin: anyone who can get a token from it can assume the role.",
            family.name, provider.name
        ),
        format!("Add StringEquals (or a narrow StringLike) on `{}:{tenancy}` naming your own owner.", provider.name),
    ))
}
