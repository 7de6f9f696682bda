//! TP301–TP304: condition keys.

use std::collections::HashMap;

use crate::finding::{Finding, Severity};
use crate::model::issuers::{self, IssuerFamily};
use crate::model::policy::{Condition, Statement};
use crate::rules::{TP301, TP302, TP303, TP304};

use super::{PolicyCheck, passes_when_absent, trusted_providers};

/// Claims STS exposes for every OIDC provider.
const DEFAULT_CLAIMS: [&str; 5] = ["aud", "sub", "amr", "oaud", "email"];

/// Claim keys of the built-in principals.
fn builtin_claims(prefix: &str) -> Option<&'static [&'static str]> {
    match prefix {
        "accounts.google.com" => Some(&["aud", "oaud", "sub", "email"]),
        "cognito-identity.amazonaws.com" => Some(&["aud", "amr", "sub"]),
        "graph.facebook.com" => Some(&["app_id", "id"]),
        "www.amazon.com" => Some(&["app_id", "user_id"]),
        _ => None,
    }
}

/// Keys outside any provider: global and STS keys.
pub fn is_global_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.starts_with("aws:") || lower.starts_with("sts:")
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in &check.policy.statements {
        let providers: Vec<&str> = trusted_providers(statement)
            .iter()
            .map(|p| p.name)
            .collect();
        for condition in &statement.conditions {
            let key = &condition.key.value;
            if is_global_key(key) {
                continue;
            }
            let Some(prefix) = condition.prefix() else {
                continue;
            };
            if !providers.is_empty() && !providers.iter().any(|p| p.eq_ignore_ascii_case(prefix)) {
                findings.push(prefix_mismatch(
                    check,
                    condition,
                    prefix,
                    &providers,
                    statement.is_allow(),
                ));
            } else if let Some(family) = issuers::family_of_provider(&prefix.to_ascii_lowercase()) {
                findings.extend(unsupported(check, condition, prefix, Some(family)));
            } else if providers.iter().any(|p| p.eq_ignore_ascii_case(prefix)) {
                findings.extend(unsupported(check, condition, prefix, None));
            }
            findings.extend(noncanonical(check, condition, prefix));
        }
        findings.extend(case_duplicates(check, statement));
    }
    findings
}

fn prefix_mismatch(
    check: &PolicyCheck<'_>,
    condition: &Condition,
    prefix: &str,
    providers: &[&str],
    allow: bool,
) -> Finding {
    let trusted = providers[0];
    let why = if prefix.starts_with("https://") {
        "starts with `https://`; keys use the provider name without a scheme".to_owned()
    } else if prefix.trim_end_matches('/') == trusted.trim_end_matches('/') {
        "differs from the provider name only by a trailing `/`".to_owned()
    } else if trusted.starts_with(prefix) || prefix.starts_with(trusted) {
        "has a path (an enterprise slug?) on one side only".to_owned()
    } else if issuers::family_of_provider(prefix).is_some() {
        "belongs to another issuer".to_owned()
    } else {
        "is not the name of the trusted provider".to_owned()
    };
    // In a Deny the same mistake locks callers out instead: breakage, not exposure.
    let open = allow && passes_when_absent(condition);
    let finding = check.at(
        &TP301,
        &condition.key.pointer,
        format!(
            "Key prefix `{prefix}` {why} (`{trusted}`): the token never carries this key, so the condition {}.",
            if open { "always passes" } else { "never matches" }
        ),
        format!("Write the key as `{trusted}:{}`.", condition.claim()),
    );
    if open {
        finding.with_severity(Severity::Critical)
    } else {
        finding
    }
}

fn unsupported(
    check: &PolicyCheck<'_>,
    condition: &Condition,
    prefix: &str,
    family: Option<&'static IssuerFamily>,
) -> Option<Finding> {
    let claim = condition.claim().to_ascii_lowercase();
    let supported = match builtin_claims(&prefix.to_ascii_lowercase()) {
        Some(claims) => claims.contains(&claim.as_str()),
        None => {
            DEFAULT_CLAIMS.contains(&claim.as_str())
                || family.is_some_and(|f| f.extra_condition_keys.contains(&claim.as_str()))
        }
    };
    if supported {
        return None;
    }
    let name = family.map_or("this provider", |f| f.name);
    let known: Vec<&str> = match builtin_claims(&prefix.to_ascii_lowercase()) {
        Some(claims) => claims.to_vec(),
        None => DEFAULT_CLAIMS
            .iter()
            .chain(family.map_or(&[][..], |f| f.extra_condition_keys))
            .copied()
            .collect(),
    };
    let meant = crate::model::suggest::did_you_mean(&claim, known)
        .map(|claim| format!(" Did you mean `{prefix}:{claim}`?"))
        .unwrap_or_default();
    Some(check.at(
        &TP302,
        &condition.key.pointer,
        format!(
            "`{claim}` is not a condition key STS provides for {name}: the key is never present.{meant}"
        ),
        format!(
            "STS exposes `aud`, `sub`, `amr`, `oaud` and `email`{}. Pin another supported claim, \
             or put the value in the token's `sub`.",
            family
                .filter(|f| !f.extra_condition_keys.is_empty())
                .map(|f| format!(", and for {} also {}", f.name, f.extra_condition_keys.join(", ")))
                .unwrap_or_default()
        ),
    ))
}

fn noncanonical(check: &PolicyCheck<'_>, condition: &Condition, prefix: &str) -> Option<Finding> {
    // Provider paths may hold upper case (EKS cluster ids); the host and the claim may not.
    let host = prefix.split('/').next().unwrap_or(prefix);
    let claim = condition.claim();
    if host.chars().all(|c| !c.is_ascii_uppercase())
        && claim.chars().all(|c| !c.is_ascii_uppercase())
    {
        return None;
    }
    Some(check.at(
        &TP304,
        &condition.key.pointer,
        format!("Condition key `{}` is not in lower case.", condition.key.value),
        "Keys are matched case-insensitively, so this works, but lower case is how AWS writes them and what reviewers search for."
            .to_owned(),
    ))
}

fn case_duplicates(check: &PolicyCheck<'_>, statement: &Statement) -> Vec<Finding> {
    let mut seen: HashMap<(String, String), &Condition> = HashMap::new();
    let mut findings = Vec::new();
    for condition in &statement.conditions {
        let id = (
            condition.operator_text.pointer.clone(),
            condition.key.value.to_ascii_lowercase(),
        );
        if let Some(first) = seen.get(&id) {
            if first.key.value != condition.key.value {
                findings.push(check.at(
                    &TP303,
                    &condition.key.pointer,
                    format!(
                        "`{}` and `{}` are the same key (keys ignore case) in one operator block.",
                        first.key.value, condition.key.value
                    ),
                    "IAM keeps only one of them; merge the values into one key.".to_owned(),
                ));
            }
        } else {
            seen.insert(id, condition);
        }
    }
    findings
}
