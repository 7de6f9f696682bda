//! The community modules most teams write these roles with, read by their
//! documented inputs (terraform-aws-modules/iam): the policy each module
//! call would generate is built from its inputs, and every value keeps the
//! span of the input it came from, so a finding points at the line to fix.
//!
//! - `//modules/iam-github-oidc-role` (v5): `subjects` (with the `repo:`
//!   prefix the module adds), `audience`, `provider_url`;
//! - `//modules/iam-role` (v6) with `enable_github_oidc`: `oidc_subjects`,
//!   `oidc_wildcard_subjects`, `oidc_audiences`, `github_provider`;
//! - `//modules/iam-role-for-service-accounts-eks` (v5) and
//!   `//modules/iam-role-for-service-accounts` (v6): `oidc_providers` with
//!   `provider_arn` and `namespace_service_accounts`, and the condition
//!   operator (`assume_role_condition_test` / `trust_condition_test`).
//!
//! The policy is written as it acts at STS, so the findings are about the
//! inputs, which are what the caller can change: the GitHub modules'
//! `ForAllValues:StringEquals` on `aud` (a key every token presents) is
//! the exact pin it acts as, and their condition on `iss` (a key STS does
//! not present, so always true) is left out.

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::structure::Block;
use serde_json::{Map, Value, json};

use super::{Built, Policy, Scope, range};
use crate::model::documents::PolicyDocument;
use crate::model::source::{below, child};

const GITHUB: &str = "token.actions.githubusercontent.com";
const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

/// Which module a `source` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    GitHubRole,
    Role,
    ServiceAccountRole,
}

fn known(source: &str) -> Option<Known> {
    let source = source.split('?').next().unwrap_or(source);
    let (repo, module) = source.rsplit_once("//")?;
    let module = module.trim_end_matches('/');
    let from_iam = repo.contains("terraform-aws-modules/iam") || repo.contains("terraform-aws-iam");
    if !from_iam {
        return None;
    }
    match module.rsplit('/').next()? {
        "iam-github-oidc-role" => Some(Known::GitHubRole),
        "iam-role" => Some(Known::Role),
        "iam-role-for-service-accounts-eks" | "iam-role-for-service-accounts" => {
            Some(Known::ServiceAccountRole)
        }
        _ => None,
    }
}

/// One input of the module call: its value and the spans of its parts,
/// by pointer from the input.
struct Input {
    value: Value,
    spans: Built,
    at: Option<Range<usize>>,
}

impl Scope<'_> {
    /// The trust policy a module call of a known module would generate,
    /// or `None` for any other module.
    pub(super) fn module_policy(&self, path: &str, block: &Block) -> Option<PolicyDocument> {
        let source = block.body.get_attribute("source")?;
        let kind = known(self.literal(&source.value, 0).as_str()?)?;
        let name = super::label(block, 0);
        let mut built = Built::default();
        let statements = match kind {
            Known::GitHubRole => vec![self.github_statement(block, &mut built, kind)],
            Known::Role => {
                if self.input(block, "enable_github_oidc").value != Value::Bool(true) {
                    return None;
                }
                vec![self.github_statement(block, &mut built, kind)]
            }
            Known::ServiceAccountRole => self.service_account_statements(block, &mut built),
        };
        if let Some(span) = range(block.span()) {
            built.spans.insert(String::new(), span);
            built.spans.insert("/Version".to_owned(), span);
            built.spans.insert("/Statement".to_owned(), span);
            for i in 0..statements.len() {
                built.spans.entry(format!("/Statement/{i}")).or_insert(span);
            }
        }
        let value = json!({"Version": "2012-10-17", "Statement": statements});
        Some(self.document_of(
            path,
            &format!("module.{name}"),
            Policy::Value(value, built, self.file),
            block.span(),
        ))
    }

    /// An input's value, with spans; `Null` when the call does not set it.
    fn input(&self, block: &Block, key: &str) -> Input {
        let mut spans = Built::default();
        match block.body.get_attribute(key) {
            Some(attribute) => Input {
                value: self.value(&attribute.value, "", &mut spans, 0),
                spans,
                at: attribute.span(),
            },
            None => Input {
                value: Value::Null,
                spans,
                at: None,
            },
        }
    }

    /// Records the spans of `input` (from its pointer `from`) under `to`,
    /// the call's span when the input is not set.
    fn place(block: &Block, input: &Input, from: &str, to: &str, built: &mut Built) {
        let fallback = range(input.at.clone()).or_else(|| range(block.span()));
        for (pointer, span) in &input.spans.spans {
            if let Some(rest) = below(pointer, from) {
                built.spans.insert(format!("{to}{rest}"), *span);
            }
        }
        if let Some(span) = fallback {
            built.spans.entry(to.to_owned()).or_insert(span);
        }
    }

    fn github_statement(&self, block: &Block, built: &mut Built, kind: Known) -> Value {
        let at = "/Statement/0";
        let provider_key = if kind == Known::Role {
            "github_provider"
        } else {
            "provider_url"
        };
        let provider = self.input(block, provider_key);
        let host = provider.value.as_str().map_or_else(
            || GITHUB.to_owned(),
            |url| url.trim_start_matches("https://").to_owned(),
        );
        let audiences_key = if kind == Known::Role {
            "oidc_audiences"
        } else {
            "audience"
        };
        let audience = self.input(block, audiences_key);
        let audiences = match &audience.value {
            Value::Null => json!([DEFAULT_AUDIENCE]),
            Value::Array(list) if list.is_empty() => json!([DEFAULT_AUDIENCE]),
            Value::Array(_) => audience.value.clone(),
            other => json!([other]),
        };
        let principal = format!(
            "arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:oidc-provider/{host}"
        );
        // Written as it acts at STS: the module's `ForAllValues:StringEquals`
        // on `aud`, a key every token presents, is an exact pin; its
        // condition on `iss`, a key STS never presents, is always true.
        let mut conditions = Map::new();
        let equals = "StringEquals";
        conditions.insert(
            equals.to_owned(),
            json!({ format!("{host}:aud"): audiences }),
        );
        let condition = child(at, "Condition");
        Self::place(
            block,
            &audience,
            "",
            &child(&child(&condition, equals), &format!("{host}:aud")),
            built,
        );
        let subjects: &[(&str, &str)] = if kind == Known::Role {
            &[
                ("oidc_subjects", "StringEquals"),
                ("oidc_wildcard_subjects", "StringLike"),
            ]
        } else {
            &[("subjects", "StringLike")]
        };
        for (key, operator) in subjects {
            let input = self.input(block, key);
            let values = match &input.value {
                Value::Null => continue,
                Value::Array(list) => Value::Array(
                    list.iter()
                        .map(|v| match v.as_str() {
                            Some(s) => {
                                Value::String(format!("repo:{}", s.trim_start_matches("repo:")))
                            }
                            None => v.clone(),
                        })
                        .collect(),
                ),
                // Not a list the source says: kept as written.
                unknown => unknown.clone(),
            };
            conditions
                .entry((*operator).to_owned())
                .or_insert_with(|| json!({}))[format!("{host}:sub")] = values;
            Self::place(
                block,
                &input,
                "",
                &child(&child(&condition, operator), &format!("{host}:sub")),
                built,
            );
            // What the subject pin lacks is fixed in this input.
            if let Some(span) = range(input.at.clone()) {
                built.spans.entry(condition.clone()).or_insert(span);
            }
        }
        Self::place(block, &provider, "", &child(at, "Principal"), built);
        json!({
            "Sid": "GithubOidcAuth",
            "Effect": "Allow",
            "Action": ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"],
            "Principal": {"Federated": principal},
            "Condition": conditions,
        })
    }

    fn service_account_statements(&self, block: &Block, built: &mut Built) -> Vec<Value> {
        let providers = self.input(block, "oidc_providers");
        let test = ["trust_condition_test", "assume_role_condition_test"]
            .iter()
            .map(|key| self.input(block, key))
            .find(|input| !input.value.is_null());
        let operator = test
            .as_ref()
            .and_then(|t| t.value.as_str())
            .unwrap_or("StringEquals")
            .to_owned();
        let Value::Object(entries) = &providers.value else {
            // Not known from the source: the policy says so by its text.
            let unknown = providers.value.as_str().unwrap_or("${oidc_providers}");
            Self::place(block, &providers, "", "/Statement/0", built);
            return vec![json!({
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": unknown},
            })];
        };
        let mut statements = Vec::new();
        for (key, entry) in entries {
            let at = format!("/Statement/{}", statements.len());
            let from = child("", key);
            let arn = entry
                .get("provider_arn")
                .cloned()
                .unwrap_or(Value::String("${provider_arn}".to_owned()));
            let host = arn
                .as_str()
                .and_then(|a| a.split_once("oidc-provider/"))
                .map_or_else(
                    // An ARN the source does not say names a host it does not say.
                    || match arn.as_str() {
                        Some(unknown) if unknown.starts_with("${") => unknown.to_owned(),
                        _ => "${provider}".to_owned(),
                    },
                    |(_, h)| h.to_owned(),
                );
            let subjects: Vec<Value> = match entry.get("namespace_service_accounts") {
                Some(Value::Array(list)) => list
                    .iter()
                    .map(|v| match v.as_str() {
                        Some(s) => Value::String(format!("system:serviceaccount:{s}")),
                        None => v.clone(),
                    })
                    .collect(),
                // A list the source does not say stays unknown, not empty.
                Some(unknown @ Value::String(_)) => vec![unknown.clone()],
                _ => Vec::new(),
            };
            let condition = child(&child(&at, "Condition"), &operator);
            Self::place(block, &providers, &from, &at, built);
            Self::place(
                block,
                &providers,
                &child(&from, "namespace_service_accounts"),
                &child(&condition, &format!("{host}:sub")),
                built,
            );
            Self::place(
                block,
                &providers,
                &child(&from, "provider_arn"),
                &child(&child(&at, "Principal"), "Federated"),
                built,
            );
            if let Some(test) = &test {
                Self::place(block, test, "", &condition, built);
            }
            statements.push(json!({
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": arn},
                "Condition": {
                    operator.clone(): {
                        format!("{host}:sub"): subjects,
                        format!("{host}:aud"): [DEFAULT_AUDIENCE],
                    }
                },
            }));
        }
        statements
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_known_by_registry_and_git_address() {
        for (source, kind) in [
            (
                "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role",
                Some(Known::GitHubRole),
            ),
            (
                "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts-eks?ref=v5.55.0",
                Some(Known::ServiceAccountRole),
            ),
            (
                "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts",
                Some(Known::ServiceAccountRole),
            ),
            (
                "terraform-aws-modules/iam/aws//modules/iam-role",
                Some(Known::Role),
            ),
            ("terraform-aws-modules/iam/aws//modules/iam-user", None),
            ("./modules/iam-github-oidc-role", None),
            ("terraform-aws-modules/eks/aws", None),
        ] {
            assert_eq!(known(source), kind, "{source}");
        }
    }
}
