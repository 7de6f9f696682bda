//! PV005–PV007: the role as IAM holds it against what the caller asks for
//! and what the token's provider is.

use crate::finding::Finding;
use crate::model::arn::Arn;
use crate::model::aws::IamRole;
use crate::model::policy::Policy;
use crate::rules::{PV005, PV006, PV007};

/// PV005: no Allow statement trusts `provider_arn` (the provider of the
/// token's issuer); names what the policy trusts instead.
pub fn principal(role_arn: &str, policy: &Policy, provider_arn: &str) -> Option<Finding> {
    let mut trusted: Vec<String> = Vec::new();
    for statement in policy.statements.iter().filter(|s| s.is_allow()) {
        for federated in &statement.principal.federated {
            if federated.value == provider_arn {
                return None;
            }
            trusted.push(federated.value.clone());
        }
    }
    let instead = if trusted.is_empty() {
        "it trusts no web identity provider".to_owned()
    } else {
        format!(
            "it trusts {}",
            trusted
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(Finding::new(
        &PV005,
        format!(
            "The trust policy of {role_arn} does not trust `{provider_arn}`, the provider for the token's issuer: \
             {instead}. STS answers `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`."
        ),
        format!(
            "Set `Principal.Federated` to `{provider_arn}` in the statement meant for these tokens."
        ),
    ))
}

/// PV006: the role ARN names a role the account does not have.
pub fn no_such_role(requested: &str, name: &str, account: Option<&str>) -> Finding {
    Finding::new(
        &PV006,
        format!(
            "`{requested}` names a role `{name}` that account {} does not have: STS answers AccessDenied for it.",
            account.unwrap_or("of the credentials")
        ),
        "Check the role name and account: `aws iam list-roles --query 'Roles[].Arn'` lists the ARNs.",
    )
}

/// PV006: the ARN the caller uses is not the role's.
pub fn role_arn(requested: &str, role: &IamRole) -> Option<Finding> {
    if requested == role.arn {
        return None;
    }
    let help = format!("Use the role's ARN exactly: `{}`.", role.arn);
    let why = match (Arn::parse(requested), Arn::parse(&role.arn)) {
        (Some(asked), _) if asked.resource.starts_with("oidc-provider/") => {
            "is an OIDC provider ARN, not a role ARN".to_owned()
        }
        (Some(asked), Some(real)) if asked.account != real.account => format!(
            "names account {}, but the role read is in account {}",
            asked.account, real.account
        ),
        (Some(asked), Some(real)) if asked.partition != real.partition => format!(
            "names partition `{}`, the role is in `{}`",
            asked.partition, real.partition
        ),
        (Some(_), _) if role.path != "/" => format!(
            "lacks or changes the role's path `{}` (a role with a path is named `role{}{}`)",
            role.path, role.path, role.name
        ),
        (Some(_), _) => "differs from it".to_owned(),
        (None, _) => "is not an ARN".to_owned(),
    };
    Some(Finding::new(
        &PV006,
        format!(
            "The role ARN the caller uses, `{requested}`, {why}; the role is `{}`. STS answers \
             `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity` for an ARN that names no role it trusts.",
            role.arn
        ),
        help,
    ))
}

/// PV007: the requested duration against STS's range and the role's maximum.
pub fn duration(requested: i32, role: &IamRole) -> Option<Finding> {
    let maximum = role.max_session_duration.unwrap_or(3600);
    let problem = if !(900..=43_200).contains(&requested) {
        format!("{requested} s is outside the 900–43200 s STS accepts")
    } else if requested > maximum {
        format!("{requested} s is above the role's MaxSessionDuration of {maximum} s")
    } else {
        return None;
    };
    Some(Finding::new(
        &PV007,
        format!(
            "The requested duration {problem}: STS answers `ValidationError: The requested DurationSeconds exceeds the \
             MaxSessionDuration set for this role.`"
        ),
        format!(
            "Ask for at most {maximum} s (`--duration`), or raise the role's maximum: `aws iam update-role --role-name {} \
             --max-session-duration {}`.",
            role.name,
            requested.clamp(3600, 43_200)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> IamRole {
        IamRole {
            arn: "arn:aws:iam::123456789012:role/ci/deploy".into(),
            name: "deploy".into(),
            path: "/ci/".into(),
            max_session_duration: Some(3600),
            trust_policy: None,
        }
    }

    #[test]
    fn a_role_arn_without_its_path_is_pv006() {
        let finding = role_arn("arn:aws:iam::123456789012:role/deploy", &role()).unwrap();
        assert!(
            finding.message.contains("path `/ci/`"),
            "{}",
            finding.message
        );
        assert!(role_arn("arn:aws:iam::123456789012:role/ci/deploy", &role()).is_none());
        let provider = role_arn(
            "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
            &role(),
        )
        .unwrap();
        assert!(provider.message.contains("OIDC provider ARN"));
        let other = role_arn("arn:aws:iam::210987654321:role/ci/deploy", &role()).unwrap();
        assert!(other.message.contains("names account 210987654321"));
    }

    #[test]
    fn durations_outside_the_role_or_sts_range_are_pv007() {
        assert!(duration(3600, &role()).is_none());
        assert!(
            duration(7200, &role())
                .unwrap()
                .message
                .contains("MaxSessionDuration of 3600 s")
        );
        assert!(
            duration(600, &role())
                .unwrap()
                .message
                .contains("outside the 900–43200 s")
        );
    }

    #[test]
    fn a_policy_trusting_another_provider_is_pv005() {
        let policy = Policy::from_value(&serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OLD"}}]
        }));
        let wanted =
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/NEW";
        let finding = principal(&role().arn, &policy, wanted).unwrap();
        assert!(finding.message.contains("/id/OLD"), "{}", finding.message);
        let trusting = Policy::from_value(&serde_json::json!({
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": wanted}}]
        }));
        assert!(principal(&role().arn, &trusting, wanted).is_none());
    }
}
