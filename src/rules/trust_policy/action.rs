//! TP201–TP204: the actions a federated statement allows.

use crate::finding::Finding;
use crate::model::policy::Statement;
use crate::rules::{TP201, TP202, TP203, TP204};

use super::PolicyCheck;

/// IAM action matching: case-insensitive, `*` and `?` wildcards.
fn action_matches(pattern: &str, action: &str) -> bool {
    crate::model::wildcard::matches(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

fn allows(statement: &Statement, action: &str) -> bool {
    statement.not_action.is_some()
        || statement
            .actions
            .iter()
            .any(|a| action_matches(&a.value, action))
}

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let tag_keys_used = check
        .policy
        .statements
        .iter()
        .flat_map(|s| &s.conditions)
        .any(|c| {
            let key = c.key.value.to_ascii_lowercase();
            key.starts_with("aws:requesttag/")
                || key == "aws:tagkeys"
                || key == "sts:transitivetagkeys"
        });
    let token_has = |claim: &str| {
        check
            .options
            .token_claims
            .as_ref()
            .is_some_and(|c| c.get(claim).is_some_and(|v| !v.is_null()))
    };
    let token_tags = token_has("https://aws.amazon.com/tags");
    let tag_keys_used = tag_keys_used || token_tags;
    let source_identity_used = token_has("https://aws.amazon.com/source_identity")
        || check
            .policy
            .statements
            .iter()
            .flat_map(|s| &s.conditions)
            .any(|c| c.key.value.eq_ignore_ascii_case("sts:SourceIdentity"));
    let federated: Vec<&Statement> = check.federated_allows().collect();
    for statement in &federated {
        let action_pointer = format!("{}/Action", statement.pointer);
        if statement.not_action.is_none() && !allows(statement, "sts:AssumeRoleWithWebIdentity") {
            let names: Vec<&str> = statement.actions.iter().map(|a| a.value.as_str()).collect();
            findings.push(check.at(
                &TP201,
                &action_pointer,
                format!(
                    "The statement trusts a web identity provider but allows {} instead of `sts:AssumeRoleWithWebIdentity`.",
                    if names.is_empty() { "no action".to_owned() } else { format!("`{}`", names.join("`, `")) }
                ),
                "Web identity logins call AssumeRoleWithWebIdentity: set \"Action\": \"sts:AssumeRoleWithWebIdentity\"."
                    .to_owned(),
            ));
        }
        let broad = statement.not_action.clone().or_else(|| {
            statement
                .actions
                .iter()
                .find(|a| a.value == "*" || a.value.eq_ignore_ascii_case("sts:*"))
                .map(|a| a.pointer.clone())
        });
        if let Some(pointer) = broad {
            findings.push(check.at(
                &TP202,
                &pointer,
                "The statement allows every STS action (`*`, `sts:*` or `NotAction`), more than a web identity login needs."
                    .to_owned(),
                "List the actions: `sts:AssumeRoleWithWebIdentity`, plus `sts:TagSession` if the token carries session tags."
                    .to_owned(),
            ));
        }
    }
    let any_allows = |action: &str| federated.iter().any(|s| allows(s, action));
    if tag_keys_used && !federated.is_empty() && !any_allows("sts:TagSession") {
        let pointer = format!("{}/Action", federated[0].pointer);
        findings.push(check.at(
            &TP203,
            &pointer,
            format!(
                "{}, but no statement allows `sts:TagSession`.",
                if token_tags { "The token carries session tags" } else { "Conditions use session-tag keys" }
            ),
            "Add `sts:TagSession` to the Action list; without it STS refuses a token that carries session tags."
                .to_owned(),
        ));
    }
    if source_identity_used && !federated.is_empty() && !any_allows("sts:SetSourceIdentity") {
        let pointer = format!("{}/Action", federated[0].pointer);
        findings.push(check.at(
            &TP204,
            &pointer,
            "The token or a condition uses a source identity, but no statement allows `sts:SetSourceIdentity`.".to_owned(),
            "Add `sts:SetSourceIdentity` to the Action list.".to_owned(),
        ));
    }
    findings
}
