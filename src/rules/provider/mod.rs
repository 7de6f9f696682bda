//! PV rules: the IAM side, from what IAM holds (read by `provider` and
//! `scan`, or saved and given to `lint --provider-json`).

pub mod registry;
pub mod role;
pub mod thumbprints;

use crate::model::provider::OidcProvider;
use crate::model::token::Jwt;
use crate::report::Finding;
use crate::rules::trust_policy::{PolicyCheck, is_positive_pin, trusted_providers};
use crate::rules::{PV002, PV003};

/// PV002: the token's audience (`azp` first) is not a client ID of the provider.
/// Judged only when the provider is the token issuer's: another provider's
/// client list says nothing about this token.
pub fn token_audience(provider: &OidcProvider, jwt: &Jwt) -> Option<Finding> {
    let iss = jwt.claim_str("iss")?;
    if crate::model::issuers::provider_name(iss) != provider.url {
        return None;
    }
    let audience = jwt.effective_audience()?;
    if provider.client_ids.iter().any(|id| id == audience) {
        return None;
    }
    let which = if jwt.claim_str("azp").is_some() {
        "`azp`"
    } else {
        "`aud`"
    };
    Some(Finding::new(
        &PV002,
        format!(
            "The token's audience {which} `{audience}` is not in the client ID list of provider `{}` ({}).",
            provider.url,
            list(&provider.client_ids)
        ),
        format!(
            "STS answers `InvalidIdentityToken: Incorrect token audience`. Add it: `aws iam \
             add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn <arn> --client-id {audience}`, \
             or request the token for a registered audience."
        ),
    ))
}

/// PV003: a trust-policy `aud` value the provider does not accept.
pub fn policy_audiences(provider: &OidcProvider, check: &PolicyCheck<'_>) -> Vec<Finding> {
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

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "it has none".to_owned()
    } else {
        format!(
            "it accepts {}",
            ids.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}
