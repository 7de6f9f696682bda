//! PV rules: the IAM side, from what IAM holds (read by `provider` and
//! `scan`, or saved and given to `lint --provider-json`).

pub mod registry;
pub mod role;
pub mod thumbprints;

use crate::finding::Finding;
use crate::model::provider::OidcProvider;
use crate::model::token::Jwt;
use crate::rules::PV002;

/// PV002: the token's audience (`azp` first) is not a client ID of the provider.
/// Judged only when the provider is the token issuer's: another provider's
/// client list says nothing about this token. `arn` is the provider's ARN,
/// when known, so the fix can be pasted as it is.
pub fn token_audience(provider: &OidcProvider, arn: Option<&str>, jwt: &Jwt) -> Option<Finding> {
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
    let family = crate::model::issuers::detect(iss, jwt.claim_str("sub"));
    let register = format!(
        "aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {} --client-id {audience}",
        arn.filter(|a| a.starts_with("arn:")).map_or_else(
            || format!("arn:aws:iam::<account>:oidc-provider/{}", provider.url),
            str::to_owned
        )
    );
    // The audience the clients request, already registered: the token asked
    // for the wrong one (GitHub's default is `https://github.com/<owner>`).
    let expected = family
        .usual_audiences
        .iter()
        .find(|usual| provider.client_ids.iter().any(|id| id == *usual));
    let github = family.sub_grammar == crate::model::issuers::SubGrammar::GitHub;
    let audience_shown = crate::finding::shown(audience);
    let (help, suggestion) = match expected {
        Some(usual) if github => (
            format!(
                "STS answers `InvalidIdentityToken: Incorrect token audience`. Request the token for `{usual}`, \
                 which the provider accepts: `aws-actions/configure-aws-credentials` asks for it by default; a \
                 custom `audience:` input, or a token requested without one, gets `https://github.com/<owner>`. \
                 Only if `{audience_shown}` is meant, register it (`{}`) and pin it in the trust policy too.",
                crate::finding::shown(&register)
            ),
            format!(
                "- uses: aws-actions/configure-aws-credentials@v4\n  with:\n    audience: {usual}"
            ),
        ),
        Some(usual) => (
            format!(
                "STS answers `InvalidIdentityToken: Incorrect token audience`. Request the token for `{usual}`, \
                 which the provider accepts. Only if `{audience_shown}` is meant, register it and pin it in the \
                 trust policy too:"
            ),
            register,
        ),
        None => (
            "STS answers `InvalidIdentityToken: Incorrect token audience`. Register the token's audience, or \
             request the token for a registered one:"
                .to_owned(),
            register,
        ),
    };
    Some(
        Finding::new(
            &PV002,
            format!(
                "The token's audience {which} `{audience_shown}` is not in the client ID list of provider `{}` ({}).",
                provider.url,
                list(&provider.client_ids)
            ),
            help,
        )
        .with_suggestion(suggestion),
    )
}

/// "it accepts `a`, `b`", or "it has none".
pub(crate) fn list(ids: &[String]) -> String {
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
