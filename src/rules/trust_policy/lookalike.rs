//! TK015 over a trust policy: a provider name (in a `Federated` principal)
//! or a condition-key prefix whose host imitates a known issuer's. The TP
//! table has no rule for this; TK015 judges the same thing, the issuer a
//! login presents, so it is raised here at the policy's location, as PV003
//! is. One finding per statement and name: at the principal when the
//! principal names it, else at the first key that does.

use crate::finding::Finding;
use crate::model::lookalike::lookalike;
use crate::model::policy::Statement;
use crate::rules::token::lookalike::{PolicyPlace, in_policy};

use super::keys::is_global_key;
use super::{Arn, PolicyCheck, locate};

/// One name written in a statement, where it is first written, and how
/// many condition keys besides that place use it.
struct Place<'a> {
    name: &'a str,
    pointer: &'a str,
    kind: PolicyPlace,
    keys: usize,
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in &check.policy.statements {
        for place in places(statement) {
            let Some(found) = lookalike(place.name) else {
                continue;
            };
            findings.push(
                in_policy(place.name, &found, place.kind, place.keys)
                    .with_location(locate(check.doc, place.pointer)),
            );
        }
    }
    findings
}

/// The provider name a `Federated` value gives: the name after
/// `oidc-provider/` of an ARN (also in a `CloudFormation` substitution
/// that writes it out), or the value itself when it is no ARN (the
/// built-in principals, or a mistake TP101 names).
fn provider_name(value: &str) -> Option<&str> {
    if value == "*" {
        return None;
    }
    if let Some((_, name)) = value.split_once(":oidc-provider/") {
        return (!name.contains("${") && !name.is_empty()).then_some(name);
    }
    (Arn::parse(value).is_none() && !value.contains("${") && !value.contains(':')).then_some(value)
}

fn places(statement: &Statement) -> Vec<Place<'_>> {
    let mut places: Vec<Place<'_>> = Vec::new();
    for federated in &statement.principal.federated {
        let Some(name) = provider_name(&federated.value) else {
            continue;
        };
        if !places.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
            places.push(Place {
                name,
                pointer: &federated.pointer,
                kind: PolicyPlace::Principal,
                keys: 0,
            });
        }
    }
    for condition in &statement.conditions {
        if is_global_key(&condition.key.value) {
            continue;
        }
        let Some(prefix) = condition.prefix() else {
            continue;
        };
        match places
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(prefix))
        {
            Some(place) => place.keys += 1,
            None => places.push(Place {
                name: prefix,
                pointer: &condition.key.pointer,
                kind: PolicyPlace::ConditionKey,
                keys: 0,
            }),
        }
    }
    places
}
