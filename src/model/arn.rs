//! Amazon Resource Names: the parts the tool compares (partition, service,
//! account, resource), and the provider ARN STS presents for a token.

use super::issuers::provider_name;

/// The AWS partitions an ARN can name.
pub const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// A parsed role or provider ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let _region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        Some(Arn {
            partition,
            service,
            account,
            resource,
        })
    }
}

/// The IAM OIDC provider STS looks for when `role_arn` is assumed with a
/// token from `iss`: in the role's partition and account, named by the
/// issuer's URL without `https://`. `None` when `role_arn` is no ARN.
pub fn provider_arn_for(role_arn: &str, iss: &str) -> Option<String> {
    let role = Arn::parse(role_arn)?;
    Some(format!(
        "arn:{}:iam::{}:oidc-provider/{}",
        role.partition,
        role.account,
        provider_name(iss)
    ))
}

/// The role's name: the last segment of its ARN (the path is not part of it).
pub fn role_name(role_arn: &str) -> &str {
    role_arn.rsplit_once('/').map_or(role_arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_in_the_roles_partition_and_account() {
        assert_eq!(
            provider_arn_for(
                "arn:aws-us-gov:iam::123456789012:role/ci/deploy",
                "https://token.actions.githubusercontent.com"
            )
            .as_deref(),
            Some(
                "arn:aws-us-gov:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
            )
        );
        assert_eq!(provider_arn_for("deploy", "https://gitlab.com"), None);
        assert_eq!(Arn::parse("arn:aws:iam::123"), None, "no resource");
    }
}
