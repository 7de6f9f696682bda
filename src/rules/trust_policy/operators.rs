//! TP401–TP410: condition operators and the keys they are applied to.

use crate::finding::Finding;
use crate::model::policy::{BaseOperator, Condition, SetQualifier};
use crate::model::wildcard::has_wildcard;
use crate::rules::{TP401, TP402, TP403, TP404, TP407, TP408, TP409, TP410};

use super::PolicyCheck;
use super::keys::is_global_key;

/// Claims whose value is a single string (everything but `amr`).
fn is_single_valued(condition: &Condition) -> bool {
    !condition.claim().eq_ignore_ascii_case("amr") && !is_global_key(&condition.key.value)
}

/// Claims that must never be skipped when absent.
const IDENTITY_CLAIMS: [&str; 4] = ["sub", "aud", "job_workflow_ref", "repository_id"];

/// Global keys that web identity sessions never carry.
const ABSENT_GLOBAL_KEYS: [&str; 9] = [
    "aws:principalorgid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgpaths",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceidentity",
];

#[allow(clippy::too_many_lines)] // One pass over the conditions; each rule is a short block.
pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in &check.policy.statements {
        for condition in &statement.conditions {
            let Some(op) = condition.operator else {
                continue;
            };
            let key = &condition.key.pointer;
            let claim = condition.claim().to_ascii_lowercase();
            let lower_key = condition.key.value.to_ascii_lowercase();
            if matches!(
                op.base,
                BaseOperator::StringEquals
                    | BaseOperator::StringNotEquals
                    | BaseOperator::StringEqualsIgnoreCase
                    | BaseOperator::StringNotEqualsIgnoreCase
            ) {
                for value in condition.string_values().filter(|v| has_wildcard(v.value)) {
                    findings.push(check.at(
                        &TP401,
                        &value.pointer,
                        format!(
                            "`{}` holds a wildcard, but `{}` compares literally: it matches only the text `{}` itself.",
                            value.value, condition.operator_text.value, value.value
                        ),
                        "Use `StringLike` for patterns (and check the pattern is as narrow as you mean).".to_owned(),
                    ));
                }
            }
            if statement.is_allow() && is_single_valued(condition) {
                match op.set {
                    Some(SetQualifier::ForAllValues) => findings.push(check.at(
                        &TP402,
                        key,
                        format!(
                            "`ForAllValues:` on single-valued `{claim}` is true when the key is absent, so a token without it passes."
                        ),
                        format!("Drop the qualifier: \"{}\".", op.base.name()),
                    )),
                    Some(SetQualifier::ForAnyValue) => findings.push(check.at(
                        &TP403,
                        key,
                        format!("`ForAnyValue:` on single-valued `{claim}` adds nothing."),
                        format!("Write \"{}\" without the qualifier.", op.base.name()),
                    )),
                    None => {}
                }
                if op.if_exists
                    && IDENTITY_CLAIMS.contains(&claim.as_str())
                    && !is_global_key(&lower_key)
                {
                    findings.push(check.at(
                        &TP404,
                        key,
                        format!(
                            "`{}` on `{claim}`: the check is skipped when the claim is absent.",
                            condition.operator_text.value
                        ),
                        format!(
                            "Use \"{}\" without `IfExists` on identity claims.",
                            op.base.name()
                        ),
                    ));
                }
            }
            // Every operator but the String ones and `Null` compares another type.
            let non_string = !op.base.is_string() && op.base != BaseOperator::Null;
            if non_string && !is_global_key(&lower_key) && condition.prefix().is_some() {
                findings.push(check.at(
                    &TP407,
                    key,
                    format!("`{}` compares `{claim}`, a string claim, as another type: it never matches.", op.base.name()),
                    "Use a String operator (`StringEquals`, `StringLike`) on token claims.".to_owned(),
                ));
            }
            if claim == "amr"
                && condition
                    .prefix()
                    .is_some_and(|p| p.eq_ignore_ascii_case("cognito-identity.amazonaws.com"))
                && op.set.is_none()
            {
                findings.push(check.at(
                    &TP408,
                    key,
                    "Cognito's `amr` is multi-valued, but the condition has no set qualifier.".to_owned(),
                    "Use \"ForAnyValue:StringLike\": {\"cognito-identity.amazonaws.com:amr\": \"authenticated\"}.".to_owned(),
                ));
            }
            if statement.is_allow() && ABSENT_GLOBAL_KEYS.contains(&lower_key.as_str()) {
                findings.push(check.at(
                    &TP409,
                    key,
                    format!(
                        "`{}` is not in the request context of a web identity assume: {}.",
                        condition.key.value,
                        if op.if_exists || op.base.is_negated() { "this condition restricts nothing" } else { "this condition never matches" }
                    ),
                    "Restrict web identity trust with the token's claims (`sub`, `aud`, provider-specific keys).".to_owned(),
                ));
            }
            if lower_key == "aws:sourcevpc" || lower_key == "aws:sourcevpce" {
                findings.push(check.at(
                    &TP410,
                    key,
                    format!("`{}`: STS calls from hosted CI runners never come from your VPC.", condition.key.value),
                    "Remove it, or use self-hosted runners that call STS through a VPC endpoint.".to_owned(),
                ));
            }
        }
    }
    findings
}
