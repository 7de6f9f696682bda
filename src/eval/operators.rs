//! One condition judged against the request context, with IAM's semantics.
//!
//! - Several values for one key are OR-ed. A negated operator
//!   (`StringNotEquals`, `StringNotLike`, `ArnNotLike`, `NumericNotEquals`...)
//!   is true when the context value matches NONE of the policy values.
//! - Without a set qualifier, a key with several context values (`amr`, a
//!   list `aud`) is true when ANY context value matches a policy value; a
//!   negated operator is then the negation of that (no context value matches
//!   any policy value). A key present with no values is treated as absent.
//! - `ForAnyValue:` is true when at least one context value satisfies the
//!   operator, false when the key is absent or empty. `ForAllValues:` is true
//!   when every context value does, and TRUE when the key is absent or empty.
//! - An absent key makes a positive operator false and `…IfExists` true.
//!   It makes a negated operator TRUE: "A key that is not in the request
//!   context makes a positive operator false (fail closed). It makes
//!   `...IfExists` and `ForAllValues:` true (fail open), and makes negated
//!   operators (`StringNotEquals`, `StringNotLike`) true"
//!   (shared/reference/trust-policy-mistakes.md §1.2, also §3.5 and S07;
//!   AWS IAM User Guide, "Condition operators": "If the policy condition
//!   requires that the key is not matched, such as `StringNotLike` or
//!   `ArnNotLike`, and the right key is not present, the condition is true").
//! - `Null`: `true` asks for the key to be absent (or empty), `false` present.
//! - Values that are not of the operator's type (a number under `Numeric*`,
//!   an instant under `Date*`...), in the policy or the context, make the
//!   condition false, negated operators included.

use crate::model::policy::{BaseOperator, Condition, Located, Operator, SetQualifier};

use super::context::{RequestContext, scalar_text};
use super::difference::{self, Compare, Difference};
use super::explain::{ConditionResult, Mismatch, Outcome};
use super::typed;

/// Judges one condition against the context.
pub(crate) fn evaluate_condition(
    condition: &Condition,
    context: &RequestContext,
) -> ConditionResult {
    let expected: Vec<Located<String>> = condition
        .values
        .iter()
        .map(|v| Located {
            value: scalar_text(&v.value).unwrap_or_else(|| v.value.to_string()),
            pointer: v.pointer.clone(),
        })
        .collect();
    let actual = context.get(&condition.key.value).map(<[String]>::to_vec);
    let outcome = match condition.operator {
        Some(operator) => judge(operator, condition, actual.as_deref()),
        None => Outcome::UnknownOperator,
    };
    let matched = outcome.is_true();
    let mismatch = if matched {
        None
    } else {
        condition
            .operator
            .and_then(|operator| explain(operator, &outcome, &expected, actual.as_deref()))
    };
    ConditionResult {
        operator: condition.operator_text.clone(),
        parsed: condition.operator,
        key: condition.key.clone(),
        expected,
        actual,
        matched,
        outcome,
        mismatch,
    }
}

fn judge(operator: Operator, condition: &Condition, actual: Option<&[String]>) -> Outcome {
    let base = operator.base;
    let values: Vec<&str> = actual
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .collect();
    if base == BaseOperator::Null {
        return null(condition, values.is_empty());
    }
    if values.is_empty() {
        return if operator.if_exists {
            Outcome::AbsentIfExists
        } else if operator.set == Some(SetQualifier::ForAllValues) {
            Outcome::VacuousForAllValues
        } else if operator.set.is_none() && base.is_negated() {
            Outcome::AbsentNegated
        } else {
            Outcome::KeyAbsent
        };
    }
    let mut expected = Vec::with_capacity(condition.values.len());
    for value in &condition.values {
        match scalar_text(&value.value) {
            Some(text) => expected.push(text),
            None => {
                return Outcome::Unparseable {
                    value: value.value.to_string(),
                    expected: "a string, number or boolean",
                };
            }
        }
    }
    // Per context value: does it match any policy value (positively)?
    let mut hits = Vec::with_capacity(values.len());
    for value in &values {
        let mut hit = false;
        for policy in &expected {
            match positive(base, policy, value) {
                Ok(true) => hit = true,
                Ok(false) => {}
                Err(outcome) => return outcome,
            }
        }
        hits.push(hit);
    }
    let negated = base.is_negated();
    // A value satisfies the operator when it hits (or, negated, when it does not).
    let satisfied = |hit: &bool| *hit != negated;
    let result = match operator.set {
        None if negated => !hits.iter().any(|hit| *hit),
        None => hits.iter().any(|hit| *hit),
        Some(SetQualifier::ForAnyValue) => hits.iter().any(satisfied),
        Some(SetQualifier::ForAllValues) => hits.iter().all(satisfied),
    };
    if result {
        Outcome::Matched
    } else {
        Outcome::NotMatched
    }
}

fn null(condition: &Condition, absent: bool) -> Outcome {
    let mut any = false;
    for value in &condition.values {
        let text = scalar_text(&value.value).unwrap_or_default();
        let Some(wants_absent) = typed::boolean(&text) else {
            return Outcome::Unparseable {
                value: value.value.to_string(),
                expected: "true or false",
            };
        };
        any |= wants_absent == absent;
    }
    if any {
        Outcome::Matched
    } else if absent {
        Outcome::KeyAbsent
    } else {
        Outcome::NotMatched
    }
}

/// The positive comparison behind `base` (`StringEquals` for
/// `StringNotEquals`...): does the context value match this policy value?
fn positive(base: BaseOperator, policy: &str, value: &str) -> Result<bool, Outcome> {
    use BaseOperator as B;
    let is_arn_operator = matches!(
        base,
        B::ArnEquals | B::ArnNotEquals | B::ArnLike | B::ArnNotLike
    );
    if is_arn_operator && !value.starts_with("arn:") {
        // A value that is no ARN is not of the operator's type.
        return Err(Outcome::Unparseable {
            value: value.to_owned(),
            expected: "an ARN",
        });
    }
    if let Some(compare) = string_compare(base) {
        return Ok(compare.matches(policy, value));
    }
    Ok(match base {
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            let (p, v) = pair(typed::number, "a number", policy, value)?;
            ordered(base, v.partial_cmp(&p))
        }
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => {
            let (p, v) = pair(typed::date, "a date", policy, value)?;
            ordered(base, Some(v.cmp(&p)))
        }
        B::Bool => {
            let (p, v) = pair(typed::boolean, "true or false", policy, value)?;
            p == v
        }
        B::BinaryEquals => {
            let (p, v) = pair(typed::binary, "base64", policy, value)?;
            p == v
        }
        B::IpAddress | B::NotIpAddress => {
            let range = read(typed::network, "an IP range", policy)?;
            let address = read(typed::address, "an IP address", value)?;
            typed::in_network(address, range)
        }
        _ => false,
    })
}

/// `text` read by `parse`, or why it is not of the operator's type.
fn read<T>(parse: fn(&str) -> Option<T>, expected: &'static str, text: &str) -> Result<T, Outcome> {
    parse(text).ok_or_else(|| Outcome::Unparseable {
        value: text.to_owned(),
        expected,
    })
}

/// The policy's and the context's text read by `parse`.
fn pair<T>(
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
    policy: &str,
    value: &str,
) -> Result<(T, T), Outcome> {
    Ok((
        read(parse, expected, policy)?,
        read(parse, expected, value)?,
    ))
}

/// `context <op> policy` for the ordered operators (equality for the negated ones).
fn ordered(base: BaseOperator, order: Option<std::cmp::Ordering>) -> bool {
    use BaseOperator as B;
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(order) = order else {
        return false;
    };
    match base {
        B::NumericLessThan | B::DateLessThan => order == Less,
        B::NumericLessThanEquals | B::DateLessThanEquals => order != Greater,
        B::NumericGreaterThan | B::DateGreaterThan => order == Greater,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => order != Less,
        _ => order == Equal,
    }
}

/// How the string and ARN operators compare (ARNs as wildcard patterns).
fn string_compare(base: BaseOperator) -> Option<Compare> {
    use BaseOperator as B;
    match base {
        B::StringEquals | B::StringNotEquals => Some(Compare::Exact),
        B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => Some(Compare::IgnoreCase),
        B::StringLike
        | B::StringNotLike
        | B::ArnEquals
        | B::ArnNotEquals
        | B::ArnLike
        | B::ArnNotLike => Some(Compare::Like),
        _ => None,
    }
}

/// Where a false condition went wrong, for absent keys and string comparisons.
fn explain(
    operator: Operator,
    outcome: &Outcome,
    expected: &[Located<String>],
    actual: Option<&[String]>,
) -> Option<Mismatch> {
    if *outcome == Outcome::KeyAbsent {
        return Some(Mismatch {
            expected: None,
            actual: None,
            difference: Difference::KeyAbsent,
        });
    }
    let compare = string_compare(operator.base)?;
    if *outcome != Outcome::NotMatched {
        return None;
    }
    let values: Vec<&str> = actual
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .collect();
    if operator.base.is_negated() {
        // The condition failed because a value matched one the policy excludes.
        let (value, policy) = values.iter().find_map(|value| {
            expected
                .iter()
                .find(|p| compare.matches(&p.value, value))
                .map(|p| (*value, p))
        })?;
        return Some(Mismatch {
            expected: Some(policy.clone()),
            actual: Some(value.to_owned()),
            difference: Difference::Excluded,
        });
    }
    // Under ForAllValues the culprits are the values that match nothing.
    let failing: Vec<&str> = values
        .iter()
        .copied()
        .filter(|value| !expected.iter().any(|p| compare.matches(&p.value, value)))
        .collect();
    difference::closest(compare, expected, &failing)
}
