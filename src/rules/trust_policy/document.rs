//! TP002 policy-shape, TP003 duplicate-json-key, TP004 version-legacy,
//! TP005 prohibited-element, TP006 empty-element,
//! TP007 invalid-condition-operator and TP008 policy-over-quota.

use crate::finding::{Finding, Severity};
use crate::model::policy::Operator;
use serde_json::Value;

use crate::rules::{TP002, TP003, TP004, TP005, TP006, TP007, TP008, TP009};

use super::PolicyCheck;

/// IAM's default quota for a role trust policy, in non-whitespace characters.
const TRUST_POLICY_QUOTA: usize = 2048;

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = check
        .policy
        .problems
        .iter()
        .map(|problem| {
            check.at(
                &TP002,
                &problem.pointer,
                format!(
                    "Not a valid policy document: {}{}",
                    problem.message,
                    if problem.message.ends_with('?') { "" } else { "." }
                ),
                "A trust policy is {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\", \"Principal\", \
                 \"Action\", \"Condition\"}]}; IAM rejects anything else (`MalformedPolicyDocument`)."
                    .to_owned(),
            )
        })
        .collect();
    findings.extend(duplicate_keys(check));
    findings.extend(unknown_values(check));
    let mut reported_operators = std::collections::HashSet::new();
    findings.extend(version(check));
    for statement in &check.policy.statements {
        for (pointer, element) in [
            (&statement.resource, "Resource"),
            (&statement.not_resource, "NotResource"),
            (&statement.not_principal, "NotPrincipal"),
        ] {
            if let Some(pointer) = pointer {
                findings.push(check.at(
                    &TP005,
                    pointer,
                    format!("`{element}` is not allowed in a role trust policy."),
                    format!(
                        "Remove `{element}`: the role itself is the resource, and IAM rejects trust \
                         policies that name one (`MalformedPolicyDocument`)."
                    ),
                ));
            }
        }
        for pointer in statement
            .principal
            .empty
            .iter()
            .chain(&statement.empty_conditions)
        {
            findings.push(
                check.at(
                    &TP006,
                    pointer,
                    "An empty list or object: it says nothing and reads like a forgotten value."
                        .to_owned(),
                    "Fill it in or remove it.".to_owned(),
                ),
            );
        }
        for condition in &statement.conditions {
            if condition.operator.is_none() {
                let written = &condition.operator_text.value;
                // One finding per operator block, not per key.
                if !reported_operators.insert(condition.operator_text.pointer.clone()) {
                    continue;
                }
                findings.push(check.at(
                    &TP007,
                    &condition.operator_text.pointer,
                    match nearest_operator(written) {
                        Some(meant) => format!(
                            "`{written}` is not a condition operator IAM knows: did you mean `{meant}`?"
                        ),
                        None => format!("`{written}` is not a condition operator IAM knows."),
                    },
                    operator_help(written),
                ));
            }
        }
    }
    findings.extend(over_quota(check));
    findings
}

fn duplicate_keys(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let base = &check.doc.base;
    check
        .doc
        .source
        .duplicate_keys
        .iter()
        .filter_map(|dup| {
            let object = dup.object.strip_prefix(base.as_str())?;
            let pointer = crate::model::source::child(object, &dup.key);
            let text = &check.doc.source.text;
            let dropped = text.get(dup.first.0..dup.first.0 + dup.first.1).unwrap_or_default();
            let drops_sub = dup.key.to_ascii_lowercase().ends_with(":sub") || { let dropped = dropped.to_ascii_lowercase(); dropped.contains(":sub\"") || dropped.contains(":sub:") };
            let (line, _) = check.doc.source.line_column(dup.first.0);
            let finding = check.at(
                &TP003,
                &pointer,
                format!(
                    "Key `{}` appears twice in one object; the occurrence on line {line} is silently dropped{}.",
                    dup.key,
                    if drops_sub { ", and with it a pin on `sub`" } else { "" }
                ),
                "JSON parsers, IAM included, keep only the last of repeated keys. Merge the values \
                 into one key (values in a list are OR-ed)."
                    .to_owned(),
            );
            Some(if drops_sub { finding.with_severity(Severity::Critical) } else { finding })
        })
        .collect()
}

fn version(check: &PolicyCheck<'_>) -> Option<Finding> {
    // In CloudFormation `${...}` is the template's own substitution.
    // In Terraform source `${...}` is Terraform's own interpolation.
    let uses_variables = !matches!(
        check.doc.kind,
        crate::model::documents::InputKind::CloudFormation
            | crate::model::documents::InputKind::TerraformSource
    ) && check.doc.value().to_string().contains("${");
    let (pointer, problem) = match &check.policy.version {
        None => ("", "The policy has no `Version`".to_owned()),
        Some(v) if v.value == "2008-10-17" => (
            v.pointer.as_str(),
            "`Version` is the legacy \"2008-10-17\"".to_owned(),
        ),
        Some(v) if v.value == "2012-10-17" => return None,
        Some(v) => (
            v.pointer.as_str(),
            format!("`Version` is {}, not \"2012-10-17\"", v.value),
        ),
    };
    let finding = check.at(
        &TP004,
        pointer,
        format!(
            "{problem}{}.",
            if uses_variables {
                "; policy variables (`${...}`) are then taken literally"
            } else {
                ""
            }
        ),
        "Set \"Version\": \"2012-10-17\" (the only current policy language version).".to_owned(),
    );
    Some(if uses_variables {
        finding.with_severity(Severity::High)
    } else {
        finding
    })
}

/// The operator `written` most likely misspells (`StringEqual`,
/// `ForAnyValues:StringLike`, `ForAllValuesStringEquals`).
fn nearest_operator(written: &str) -> Option<String> {
    let names = Operator::all_names();
    crate::model::suggest::did_you_mean(written, names.iter().map(String::as_str))
        .map(str::to_owned)
}

fn operator_help(written: &str) -> String {
    let unknown = "IAM rejects the policy (`MalformedPolicyDocument`), or, where it is accepted, \
                   the condition can never be true.";
    match nearest_operator(written) {
        Some(n) => format!("Write `{n}`. {unknown}"),
        None => format!(
            "Use an operator from IAM's grammar, e.g. `StringEquals` or `StringLike`. {unknown}"
        ),
    }
}

fn over_quota(check: &PolicyCheck<'_>) -> Option<Finding> {
    let compact = serde_json::to_string(check.doc.value()).ok()?;
    let size = compact.chars().filter(|c| !c.is_whitespace()).count();
    (size > TRUST_POLICY_QUOTA && check.doc.value().is_object()).then(|| {
        check.at(
            &TP008,
            "",
            format!("The policy is {size} characters without whitespace; the default trust policy quota is {TRUST_POLICY_QUOTA}."),
            "IAM rejects larger trust policies unless the account's quota was raised (at most 8,192). \
             Merge repeated statements, or list values under one key."
                .to_owned(),
        )
    })
}

/// TP009 for each condition value of Terraform source that holds what the
/// source does not say (`${var.x}` with no value set, a module output): the
/// condition is judged as written, so it is said that its real value was
/// not checked, and no rule takes it for a safe pin. The caller's own
/// account and partition are known for what they are, so they are not
/// reported.
fn unknown_values(check: &PolicyCheck<'_>) -> Vec<Finding> {
    if check.doc.kind != crate::model::documents::InputKind::TerraformSource {
        return Vec::new();
    }
    let mut findings = Vec::new();
    let unknown_at = |pointer: &str, what: String, unknown: &str| {
        check.at(
            &TP009,
            pointer,
            format!("{what}: `{unknown}` is not known from the source, so it was not checked."),
            unknown_help(unknown),
        )
    };
    for statement in &check.policy.statements {
        for federated in &statement.principal.federated {
            if let Some(unknown) = unknown_interpolation(&federated.value) {
                findings.push(unknown_at(
                    &federated.pointer,
                    format!("The trusted provider is `{}`", federated.value),
                    unknown,
                ));
            }
        }
        for condition in &statement.conditions {
            if let Some(unknown) = unknown_interpolation(&condition.key.value) {
                findings.push(unknown_at(
                    &condition.key.pointer,
                    format!("The condition key is `{}`", condition.key.value),
                    unknown,
                ));
            }
            for value in &condition.values {
                let Some(text) = value.value.as_str() else {
                    continue;
                };
                let Some(unknown) = unknown_interpolation(text) else {
                    continue;
                };
                findings.push(check.at(
                    &TP009,
                    &value.pointer,
                    format!(
                        "`{}` is `{text}`: `{unknown}` is not known from the source, so this \
                         value was not checked.",
                        condition.key.value
                    ),
                    unknown_help(unknown),
                ));
            }
        }
    }
    findings
}

/// Parts of a Terraform policy whose shape the source does not say: the
/// whole `Statement` list, a statement, its `Effect`, `Principal`,
/// `Condition` or one operator's block given as an unknown value, or an
/// element a `dynamic` block makes. Each is TP009; the pointers returned
/// are the parts (a statement, its `Action`, or the policy, `""`) that are
/// not known whole, where a missing pin or a wrong shape is not a finding.
pub(super) fn unknown_structure(check: &PolicyCheck<'_>) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    let mut opaque = Vec::new();
    if check.doc.kind != crate::model::documents::InputKind::TerraformSource {
        return (findings, opaque);
    }
    let say = |pointer: &str, what: &str, written: &str| {
        check.at(
            &TP009,
            pointer,
            format!(
                "{what} is `{written}`, known only when Terraform plans: {}",
                if what == "`Effect`" {
                    "the statement was judged as if it allowed."
                } else {
                    "the rest of the statement was checked, and no pin it may hold was counted."
                }
            ),
            "Write it out in the source, or lint the plan (`terraform show -json`), which holds \
             the policy as deployed."
                .to_owned(),
        )
    };
    let statements = check.doc.value().get("Statement");
    if let Some(written) = statements.and_then(unknown) {
        findings.push(say("/Statement", "The `Statement` list", written));
        opaque.push(String::new());
        return (findings, opaque);
    }
    let Some(Value::Array(statements)) = statements else {
        return (findings, opaque);
    };
    for (i, statement) in statements.iter().enumerate() {
        let at = format!("/Statement/{i}");
        // Where a pin or a principal may be hiding, the whole statement is
        // not known; an unknown `Action` hides only itself; an unknown
        // `Effect` hides nothing (the statement is judged as allowing).
        let mut hides_pins = false;
        if let Some(written) = unknown(statement) {
            findings.push(say(&at, "This statement", written));
            hides_pins = true;
        }
        for (key, value) in statement.as_object().into_iter().flatten() {
            let pointer = crate::model::source::child(&at, key);
            if crate::model::terraform::is_dynamic_marker(key) {
                findings.push(say(&pointer, "A block of this statement", key));
                hides_pins = true;
            } else if let Some(written) = unknown(value) {
                match key.as_str() {
                    "Principal" | "Condition" => hides_pins = true,
                    "Action" => opaque.push(pointer.clone()),
                    "Effect" => {}
                    _ => continue,
                }
                findings.push(say(&pointer, &format!("`{key}`"), written));
            }
        }
        if let Some(Value::Object(operators)) = statement.get("Condition") {
            for (operator, block) in operators {
                if let Some(written) = unknown(block) {
                    let pointer = crate::model::source::child(&format!("{at}/Condition"), operator);
                    findings.push(say(&pointer, &format!("The `{operator}` block"), written));
                    hides_pins = true;
                }
            }
        }
        if hides_pins {
            opaque.push(at);
        }
    }
    (findings, opaque)
}

/// How to let lint see a value it could not: a variable can be given a
/// value; anything else (a module output, a resource attribute, a
/// function of one) is known from the plan.
fn unknown_help(unknown: &str) -> String {
    if unknown.starts_with("${var.") {
        "Give the variable its value in `terraform.tfvars` (or a default) so lint sees it, or \
         lint the plan (`terraform show -json`)."
            .to_owned()
    } else {
        "It is known once Terraform plans: lint the plan (`terraform show -json`), or write \
         the value in the source."
            .to_owned()
    }
}

/// Whether `value` is a string holding a `${...}` the source does not say.
pub(super) fn holds_unknown(value: Option<&Value>) -> bool {
    value.and_then(unknown).is_some()
}

/// The unknown `${...}` a string value holds, if any.
fn unknown(value: &Value) -> Option<&str> {
    value.as_str().and_then(unknown_interpolation)
}

/// Whether `written` is an IAM policy variable (`${aws:username}`,
/// `${*}`), which Terraform source writes as `$${...}` and IAM fills in,
/// not a Terraform expression left unknown.
fn is_policy_variable(written: &str) -> bool {
    let inner = written
        .strip_prefix("${")
        .and_then(|w| w.strip_suffix('}'))
        .unwrap_or_default();
    matches!(inner, "*" | "?" | "$")
        || inner.split_once(':').is_some_and(|(service, key)| {
            let plain = |part: &str| {
                !part.is_empty()
                    && !part
                        .chars()
                        .any(|c| c.is_whitespace() || "(){}\"'?,".contains(c))
            };
            plain(service) && plain(key)
        })
}

/// The first `${...}` of `text` that is not the caller's account or
/// partition, nor an IAM policy variable.
fn unknown_interpolation(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let end = crate::model::terraform::interpolation_len(&rest[start..])
            .map_or(rest.len(), |len| start + len);
        let written = &rest[start..end];
        let known = written.starts_with("${data.aws_caller_identity.")
            || written.starts_with("${data.aws_partition.")
            || is_policy_variable(written);
        if !known {
            return Some(written);
        }
        rest = &rest[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_variables_are_not_unknown_terraform_values() {
        for text in [
            "arn:aws:iam::123456789012:user/${aws:username}",
            "repo:acme/app:${token.actions.githubusercontent.com:ref}",
            "a${*}b",
            "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:x",
        ] {
            assert_eq!(unknown_interpolation(text), None, "{text}");
        }
        for (text, unknown) in [
            ("repo:${var.subject}", "${var.subject}"),
            ("repo:${local.org}/app:*", "${local.org}"),
            ("x:${var.a ? \"b:c\" : \"d\"}", "${var.a ? \"b:c\" : \"d\"}"),
            ("repo:${module.m.out}", "${module.m.out}"),
        ] {
            assert_eq!(unknown_interpolation(text), Some(unknown), "{text}");
        }
    }
}
