//! PV003: a trust-policy `aud` value the IAM OIDC provider does not accept.
//! A PV rule judged over the policy, with the provider as context.

use crate::finding::Finding;
use crate::model::provider::OidcProvider;
use crate::rules::PV003;
use crate::rules::provider::list;

use super::{PolicyCheck, is_positive_pin, trusted_providers};
use crate::model::policy::Policy;

/// The audiences a policy's allowing statements for `provider_url` pin
/// positively, in order, once each. Empty when none pins `aud`.
pub fn pinned_audiences(policy: &Policy, provider_url: &str) -> Vec<String> {
    let mut pinned: Vec<String> = Vec::new();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.is_allow() && trusted_providers(s).iter().any(|p| p.name == provider_url))
    {
        for condition in statement.conditions_for(provider_url, "aud") {
            if !is_positive_pin(condition) {
                continue;
            }
            for value in condition.string_values() {
                if !pinned.iter().any(|p| p == value.value) {
                    pinned.push(value.value.to_owned());
                }
            }
        }
    }
    pinned
}

/// PV003: a trust-policy `aud` value the provider does not accept.
pub fn check(provider: &OidcProvider, check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in check.federated_allows() {
        if !trusted_providers(statement)
            .iter()
            .any(|p| p.name == provider.url)
        {
            continue;
        }
        for condition in statement.conditions_for(&provider.url, "aud") {
            if !is_positive_pin(condition) {
                continue;
            }
            for value in condition.string_values() {
                let registered = provider
                    .client_ids
                    .iter()
                    .any(|id| crate::model::wildcard::matches(value.value, id));
                if !registered {
                    findings.push(check.at(
                        &PV003,
                        &value.pointer,
                        format!(
                            "The policy expects audience `{}`, which provider `{}` does not accept ({}): no token with it gets past STS.",
                            value.value,
                            provider.url,
                            list(&provider.client_ids)
                        ),
                        format!(
                            "Register it (`aws iam add-client-id-to-open-id-connect-provider --client-id {}`) or pin a registered audience.",
                            value.value
                        ),
                    ));
                }
            }
        }
    }
    findings
}
