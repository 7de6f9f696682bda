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
/// when known, so the fix can be pasted as it is. `pinned` is what the
/// trust policy pins `aud` to, when the policy is known: the fix must get
/// past both, so a policy that pins another audience makes "request the
/// token for that audience" the advice, never "register this one".
pub fn token_audience(
    provider: &OidcProvider,
    arn: Option<&str>,
    jwt: &Jwt,
    pinned: Option<&[String]>,
) -> Option<Finding> {
    let iss = jwt.claim_str("iss")?;
    if crate::model::issuers::provider_name(iss) != provider.url {
        return None;
    }
    let audience = jwt.effective_audience()?;
    let registered = |aud: &str| provider.client_ids.iter().any(|id| id == aud);
    if registered(audience) {
        return None;
    }
    let which = if jwt.claim_str("azp").is_some() {
        "`azp`"
    } else {
        "`aud`"
    };
    let family = crate::model::issuers::detect(iss, jwt.claim_str("sub"));
    let register = |client_id: &str| {
        format!(
            "aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {} --client-id {client_id}",
            arn.filter(|a| a.starts_with("arn:")).map_or_else(
                || format!("arn:aws:iam::<account>:oidc-provider/{}", provider.url),
                str::to_owned
            )
        )
    };
    let github = family.sub_grammar == crate::model::issuers::SubGrammar::GitHub;
    let audience_shown = crate::finding::shown(audience);
    let wanted = pinned.filter(|p| !p.is_empty());
    let message = format!(
        "The token's audience {which} `{audience_shown}` is not in the client ID list of provider `{}` ({}).",
        provider.url,
        list(&provider.client_ids)
    );
    let refused = "STS answers `InvalidIdentityToken: Incorrect token audience`.";
    // The policy expects this very audience: registering it is the fix.
    if wanted.is_some_and(|w| w.iter().any(|a| a == audience)) {
        let help = format!(
            "{refused} The trust policy expects `{audience_shown}` too: register it with the provider:"
        );
        return Some(Finding::new(&PV002, message, help).with_suggestion(register(audience)));
    }
    let Some((target, why)) = audience_to_request(family, wanted, &provider.client_ids) else {
        let command = register(audience);
        return Some(
            Finding::new(
                &PV002,
                message,
                format!(
                    "{refused} Register the token's audience, or request the token for a registered one:"
                ),
            )
            .with_suggestion(command),
        );
    };
    let also_register = if registered(target) {
        String::new()
    } else {
        format!(
            ", and register `{target}` with the provider (`{}`)",
            crate::finding::shown(&register(target))
        )
    };
    let github_default = if github {
        " `aws-actions/configure-aws-credentials` asks for `sts.amazonaws.com` by default; a custom \
         `audience:` input, or a token requested without one, gets `https://github.com/<owner>`."
    } else {
        ""
    };
    let otherwise = match wanted {
        Some(w) => format!(
            "Registering `{audience_shown}` would not be enough: the trust policy pins `aud` to {}.",
            w.iter()
                .map(|a| format!("`{}`", crate::finding::shown(a)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "Only if `{audience_shown}` is meant, register it (`{}`) and pin it in the trust policy too.",
            crate::finding::shown(&register(audience))
        ),
    };
    let help = format!(
        "{refused} First, request the token for `{target}`, {why}{also_register}.{github_default} {otherwise}"
    );
    // What to paste: GitHub's step, or the command that registers the
    // audience to request; nothing when the change is the caller's own.
    let suggestion = if github {
        Some(format!(
            "- uses: aws-actions/configure-aws-credentials@v4\n  with:\n    audience: {target}"
        ))
    } else {
        (!registered(target)).then(|| register(target))
    };
    let finding = Finding::new(&PV002, message, help);
    Some(match suggestion {
        Some(suggestion) => finding.with_suggestion(suggestion),
        None => finding,
    })
}

/// The audience to request, and why: one the policy pins (the issuer's
/// usual one first, a registered one next), else one the provider accepts,
/// else, for GitHub, `sts.amazonaws.com`.
fn audience_to_request<'a>(
    family: &'a crate::model::issuers::IssuerFamily,
    wanted: Option<&'a [String]>,
    client_ids: &[String],
) -> Option<(&'a str, &'static str)> {
    let registered = |aud: &str| client_ids.iter().any(|id| id == aud);
    let usual = |aud: &str| family.usual_audiences.contains(&aud);
    match wanted {
        Some(w) => w
            .iter()
            .find(|a| usual(a) && registered(a))
            .or_else(|| w.iter().find(|a| registered(a)))
            .or_else(|| w.iter().find(|a| usual(a)))
            .or_else(|| w.first())
            .map(|a| (a.as_str(), "which the trust policy pins")),
        None => family
            .usual_audiences
            .iter()
            .find(|u| registered(u))
            .map(|u| (*u, "which the provider accepts"))
            .or_else(|| {
                family
                    .usual_audiences
                    .first()
                    .filter(|_| family.sub_grammar == crate::model::issuers::SubGrammar::GitHub)
                    .map(|u| (*u, "the audience AWS expects from GitHub"))
            }),
    }
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
