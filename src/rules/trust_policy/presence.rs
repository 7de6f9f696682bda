//! TP405, TP406 and TP501–TP506: whether a federated Allow pins who may use
//! it. One classification per provider decides which of them applies, so a
//! policy that pins nobody always gets exactly one of these findings.

use crate::finding::{Finding, Severity};
use crate::model::issuers::{IssuerFamily, Tenancy};
use crate::model::policy::{BaseOperator, Condition};
use crate::model::wildcard;
use crate::rules::{TP405, TP406, TP501, TP502, TP503, TP504, TP505, TP506};

use super::remedy::{with_policy_command, with_policy_commands};
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

/// Whether anyone can get a token that names them in this family.
fn is_shared(family: &IssuerFamily) -> bool {
    matches!(family.tenancy, Tenancy::Shared | Tenancy::Enterprise)
}

/// A positive pin that pins something: at least one value that is not all
/// wildcards and, for `sub`, does not admit any tenant.
pub(super) fn pins_something(condition: &Condition, family: &IssuerFamily) -> bool {
    let like = condition.operator.is_some_and(|op| op.base.is_like());
    is_positive_pin(condition)
        && condition.string_values().any(|v| {
            let only_wildcards =
                like && !v.value.is_empty() && v.value.chars().all(|c| c == '*' || c == '?');
            let admits_anyone = condition.claim().eq_ignore_ascii_case("sub")
                && super::subjects::admits_stranger(family.sub_grammar, condition, v.value);
            !only_wildcards && !admits_anyone
        })
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in check.federated_allows() {
        let providers = trusted_providers(statement);
        let at = statement
            .condition_pointer
            .as_deref()
            .unwrap_or(&statement.pointer);
        if statement.conditions.is_empty() {
            let shared = providers.iter().any(|p| p.family.is_some_and(is_shared));
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
            let finding = with_policy_command(finding, check, statement, &providers[0]);
            findings.push(if shared {
                finding
            } else {
                finding.with_severity(Severity::High)
            });
            continue;
        }
        for provider in &providers {
            let conditions: Vec<&Condition> = statement.conditions_of(provider.name).collect();
            if providers.len() > 1 && conditions.is_empty() {
                continue; // TP103: this provider's tokens share another's conditions.
            }
            let Some(family) = provider.family else {
                let unknown = unknown_issuer(check, at, provider.name, &conditions);
                let codes = [TP504.code];
                findings.extend(with_policy_commands(
                    unknown, &codes, check, statement, provider,
                ));
                continue;
            };
            let pins = |claim: &str| {
                conditions
                    .iter()
                    .any(|c| c.claim().eq_ignore_ascii_case(claim) && pins_something(c, family))
            };
            let tenancy = family.tenancy_claim;
            let identified = pins(tenancy) || identifying_claims(family).iter().any(|c| pins(c));
            if is_shared(family) && !identified {
                findings.extend(
                    unpinned(check, at, provider, family, &conditions)
                        .map(|f| with_policy_command(f, check, statement, provider)),
                );
            }
            if family.builtin {
                continue; // TP104 judges the rest for built-in principals.
            }
            // A wildcarded audience is TP618's; a missing one is TP505's.
            let positive_aud = conditions
                .iter()
                .any(|c| c.claim().eq_ignore_ascii_case("aud") && is_positive_pin(c));
            // Where `aud` names the tenant, an unpinned `aud` is TP502's (above).
            let tenancy_finding = is_shared(family) && !identified && tenancy == "aud";
            if !positive_aud && !tenancy_finding {
                findings.push(check.at(
                    &TP505,
                    at,
                    format!("No positive pin on `{}:aud`.", provider.name),
                    format!(
                            "Pin the audience your clients request{}.",
                            family
                                .usual_audiences
                                .first()
                                .map(|a| format!(" (usually `{a}`)"))
                                .unwrap_or_default()
                        ),
                ));
            }
            // Single-tenant issuers: any positive pin counts (TP601 judges its breadth).
            let positive_sub = conditions
                .iter()
                .any(|c| c.claim().eq_ignore_ascii_case("sub") && is_positive_pin(c));
            if family.tenancy == Tenancy::SingleTenant && !positive_sub && family.id != "auth0" {
                let finding = check.at(
                    &TP504,
                    at,
                    format!("`{}:sub` is not pinned: every identity of {} can assume the role.", provider.name, family.name),
                    "Pin `sub` to the service account, project or pipeline that should assume the role.".to_owned(),
                );
                findings.push(with_policy_command(finding, check, statement, provider));
            }
        }
    }
    findings
}

/// Which finding explains a shared issuer's statement that pins no owner.
/// An issuer the table does not know: whether anyone can get its tokens is
/// unknown, so it is judged as single-tenant, the milder assumption. `aud`
/// and `sub` need a positive pin that is more than wildcards.
fn unknown_issuer(
    check: &PolicyCheck<'_>,
    at: &str,
    name: &str,
    conditions: &[&Condition],
) -> Vec<Finding> {
    let pinned = |claim: &str| {
        conditions.iter().any(|c| {
            c.claim().eq_ignore_ascii_case(claim)
                && is_positive_pin(c)
                && c.string_values()
                    .any(|v| v.value.chars().any(|ch| ch != '*' && ch != '?'))
        })
    };
    let mut findings = Vec::new();
    if !pinned("aud") {
        findings.push(check.at(
            &TP505,
            at,
            format!("No positive pin on `{name}:aud`."),
            "Pin the audience your clients request (often `sts.amazonaws.com`).".to_owned(),
        ));
    }
    if !pinned("sub") {
        findings.push(check.at(
            &TP504,
            at,
            format!(
                "`{name}:sub` is not pinned (a wildcard alone pins nothing): every identity of this issuer can assume the role. \
                 oidc-doctor does not know this issuer; if anyone can obtain its tokens, this is critical."
            ),
            "Pin `sub` to the identity that should assume the role.".to_owned(),
        ));
    }
    findings
}

fn unpinned(
    check: &PolicyCheck<'_>,
    at: &str,
    provider: &TrustedProvider<'_>,
    family: &IssuerFamily,
    conditions: &[&Condition],
) -> Option<Finding> {
    let tenancy = family.tenancy_claim;
    let on_tenancy: Vec<&&Condition> = conditions
        .iter()
        .filter(|c| c.claim().eq_ignore_ascii_case(tenancy))
        .collect();
    if let Some(negated) = on_tenancy
        .iter()
        .find(|c| c.operator.is_some_and(|op| op.base.is_negated()))
    {
        return Some(check.at(
            &TP405,
            &negated.key.pointer,
            format!("`{tenancy}` is only excluded (`StringNot*`), never pinned: every other tenant of {} passes.", family.name),
            format!("Pin `{tenancy}` positively with StringEquals or StringLike to your own owner."),
        ));
    }
    if let Some(null) = on_tenancy
        .iter()
        .find(|c| c.operator.is_some_and(|op| op.base == BaseOperator::Null))
    {
        return Some(check.at(
            &TP406,
            &null.key.pointer,
            format!(
                "`{tenancy}` is only required to exist (`Null`): every token of {} has it.",
                family.name
            ),
            format!("Pin `{tenancy}` with StringEquals or StringLike to your own owner."),
        ));
    }
    if family.builtin {
        return None; // TP104 says it for built-in principals.
    }
    let pinned: Vec<String> = conditions
        .iter()
        .filter(|c| {
            is_positive_pin(c)
                && c.string_values()
                    .any(|v| !v.value.chars().all(|ch| ch == '*' || ch == '?'))
        })
        .map(|c| c.claim().to_ascii_lowercase())
        .collect();
    let workflow_ref_pinned = conditions.iter().any(|c| {
        c.claim().eq_ignore_ascii_case("job_workflow_ref")
            && is_positive_pin(c)
            && c.string_values().any(|v| !wildcard::has_wildcard(v.value))
    });
    if family.id.starts_with("github") && workflow_ref_pinned {
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
