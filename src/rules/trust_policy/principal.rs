//! TP101–TP107: the federated principal and the provider it names.

use crate::finding::{Finding, Severity};
use crate::model::issuers;
use crate::rules::{TP101, TP102, TP103, TP104, TP105, TP106, TP107};

use super::{
    Arn, BUILTIN_PRINCIPALS, PolicyCheck, is_positive_pin, passes_when_absent, trusted_providers,
};

use crate::model::arn::PARTITIONS;

pub(super) fn check(check: &PolicyCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in &check.policy.statements {
        let principal = &statement.principal;
        // A Deny for everyone is a guard, not a grant.
        let allow = statement.is_allow();
        let wildcards = principal
            .wildcard
            .iter()
            .chain(
                principal
                    .federated
                    .iter()
                    .chain(&principal.aws)
                    .filter(|p| p.value == "*")
                    .map(|p| &p.pointer),
            )
            .filter(|_| allow);
        for pointer in wildcards {
            findings.push(check.at(
                &TP102,
                pointer,
                "The principal is `*`: the role trusts every principal.".to_owned(),
                "Name the OIDC provider: \"Principal\": {\"Federated\": \"arn:aws:iam::<account>:oidc-provider/<issuer>\"}."
                    .to_owned(),
            ));
        }
        for federated in &principal.federated {
            if federated.value != "*" {
                findings.extend(malformed(check, &federated.value, &federated.pointer));
            }
        }
        let providers = trusted_providers(statement);
        for provider in &providers {
            findings.extend(suspect_name(check, provider.name, provider.pointer));
            if let Some(arn) = &provider.arn {
                findings.extend(context_mismatch(check, arn, provider.pointer));
            }
        }
        if statement.is_allow() {
            findings.extend(builtin_unpinned(check, statement));
            if providers.len() > 1 {
                findings.extend(shared_statement(check, statement, &providers));
            }
        }
    }
    findings
}

fn malformed(check: &PolicyCheck<'_>, value: &str, pointer: &str) -> Option<Finding> {
    // A CloudFormation substitution is judged once deployed, not here.
    if BUILTIN_PRINCIPALS.contains(&value) || value.contains("${") {
        return None;
    }
    let problem = if value.contains("https://") {
        "contains `https://`; provider ARNs name the issuer without a scheme".to_owned()
    } else if value.contains(":saml-provider/") {
        "is a SAML provider; web identity needs an OIDC provider".to_owned()
    } else {
        match Arn::parse(value) {
            None => "is not an ARN".to_owned(),
            Some(arn) if !PARTITIONS.contains(&arn.partition) => {
                format!("has an unknown partition `{}`", arn.partition)
            }
            Some(arn) if arn.service != "iam" => {
                format!("names service `{}`, not `iam`", arn.service)
            }
            Some(arn)
                if arn.account.len() != 12 || !arn.account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("has account `{}`, not 12 digits", arn.account)
            }
            Some(arn) => match arn.resource.strip_prefix("oidc-provider/") {
                None => format!("names `{}`, not `oidc-provider/<issuer>`", arn.resource),
                Some("") => "names no issuer after `oidc-provider/`".to_owned(),
                Some(_) => return None,
            },
        }
    };
    Some(check.at(
        &TP101,
        pointer,
        format!("Federated principal `{value}` {problem}."),
        "Use `arn:<partition>:iam::<12-digit account>:oidc-provider/<issuer without https://>`, \
         or a built-in principal such as `accounts.google.com`."
            .to_owned(),
    ))
}

fn suspect_name(check: &PolicyCheck<'_>, name: &str, pointer: &str) -> Option<Finding> {
    let problem = if name == "vstoken.actions.githubusercontent.com" {
        "is GitHub's retired 2021 issuer; tokens come from `token.actions.githubusercontent.com`"
            .to_owned()
    } else if let Some(bare) = name
        .strip_suffix('/')
        .filter(|b| issuers::family_of_provider(b).is_some_and(|f| f.id != "auth0"))
    {
        format!("ends with `/`, but the issuer `https://{bare}` has none")
    } else if let Some(id) = name
        .strip_prefix("oidc.eks.")
        .and_then(|rest| rest.split_once(".amazonaws.com/id/"))
        .map(|(_, id)| id)
    {
        if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        format!("has EKS cluster id `{id}`, not 32 hexadecimal characters")
    } else if name == "oidc.circleci.com"
        || name.starts_with("oidc.circleci.com/") && !name.starts_with("oidc.circleci.com/org/")
    {
        "lacks `/org/<organization id>`: CircleCI's issuer is per organisation".to_owned()
    } else {
        return None;
    };
    Some(check.at(
        &TP105,
        pointer,
        format!("Provider name `{name}` {problem}."),
        "The provider name must equal the token's `iss` without `https://`, character for character; \
         otherwise STS answers `No OpenIDConnect provider found`."
            .to_owned(),
    ))
}

fn context_mismatch(check: &PolicyCheck<'_>, provider: &Arn<'_>, pointer: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(role) = check.role_arn() else {
        return findings;
    };
    if provider.partition != role.partition {
        findings.push(check.at(
            &TP106,
            pointer,
            format!(
                "The provider is in partition `{}` but the role is in `{}`.",
                provider.partition, role.partition
            ),
            "A role can only trust an OIDC provider of its own partition; use the provider ARN of the role's partition."
                .to_owned(),
        ));
    }
    if provider.account != role.account {
        findings.push(check.at(
            &TP107,
            pointer,
            format!(
                "The provider is in account {} but the role is in account {}.",
                provider.account, role.account
            ),
            "The OIDC provider and the role must be in the same account; create the provider in the role's \
             account and reference that ARN."
                .to_owned(),
        ));
    }
    findings
}

/// The condition key that pins each built-in principal's audience.
fn builtin_audience_key(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "accounts.google.com" => Some(&["accounts.google.com:aud", "accounts.google.com:oaud"]),
        "cognito-identity.amazonaws.com" => Some(&["cognito-identity.amazonaws.com:aud"]),
        "graph.facebook.com" => Some(&["graph.facebook.com:app_id"]),
        "www.amazon.com" => Some(&["www.amazon.com:app_id"]),
        _ => None,
    }
}

fn builtin_unpinned(
    check: &PolicyCheck<'_>,
    statement: &crate::model::policy::Statement,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for federated in &statement.principal.federated {
        let Some(keys) = builtin_audience_key(&federated.value) else {
            continue;
        };
        let on_audience: Vec<_> = statement
            .conditions
            .iter()
            .filter(|c| keys.iter().any(|k| c.key.value.eq_ignore_ascii_case(k)))
            .collect();
        // No condition at all is TP501's; a negated or Null audience check is TP405/TP406's.
        let only_negated_or_null = !on_audience.is_empty()
            && on_audience.iter().any(|c| {
                c.operator.is_some_and(|op| {
                    op.base.is_negated() || op.base == crate::model::policy::BaseOperator::Null
                })
            });
        if statement.conditions.is_empty() || only_negated_or_null {
            continue;
        }
        let family = crate::model::issuers::family_of_provider(&federated.value);
        let pinned = statement.conditions.iter().any(|c| {
            keys.iter().any(|k| c.key.value.eq_ignore_ascii_case(k))
                && family.map_or_else(
                    || is_positive_pin(c),
                    |f| super::presence::pins_something(c, f),
                )
        });
        if !pinned {
            findings.push(check.at(
                &TP104,
                &federated.pointer,
                format!(
                    "Built-in principal `{}` without a positive pin on `{}`: every app of every account can present tokens.",
                    federated.value, keys[0]
                ),
                format!("Add \"StringEquals\": {{\"{}\": \"<your app or pool id>\"}}.", keys[0]),
            ));
        } else if federated.value == "cognito-identity.amazonaws.com"
            && statement
                .conditions_for("cognito-identity.amazonaws.com", "amr")
                .next()
                .is_none()
        {
            findings.push(
                check.at(
                    &TP104,
                    &federated.pointer,
                    "Cognito principal without a condition on `cognito-identity.amazonaws.com:amr`: unauthenticated \
                     identities of the pool can assume the role too."
                        .to_owned(),
                    "For a role meant for signed-in users add \"ForAnyValue:StringLike\": \
                     {\"cognito-identity.amazonaws.com:amr\": \"authenticated\"}."
                        .to_owned(),
                )
                .with_severity(Severity::High),
            );
        }
    }
    findings
}

fn shared_statement(
    check: &PolicyCheck<'_>,
    statement: &crate::model::policy::Statement,
    providers: &[super::TrustedProvider<'_>],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for provider in providers {
        if statement.conditions_of(provider.name).next().is_some() {
            continue;
        }
        let pinned: Vec<_> = statement
            .conditions
            .iter()
            .filter(|c| c.prefix().is_some())
            .collect();
        if pinned.is_empty() {
            continue;
        }
        // The other provider's tokens lack these keys: fail-open operators pass them.
        let open = pinned.iter().all(|c| passes_when_absent(c));
        let finding = check.at(
            &TP103,
            provider.pointer,
            format!(
                "This statement also trusts `{}`, but its conditions pin only keys of other providers{}.",
                provider.name,
                if open { ", and they all pass when the key is absent: any token of this provider is accepted" } else { "" }
            ),
            "Give each provider its own statement with conditions on its own keys.".to_owned(),
        );
        findings.push(if open {
            finding.with_severity(Severity::Critical)
        } else {
            finding
        });
    }
    findings
}
