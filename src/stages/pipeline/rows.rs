//! The one-line results of `check`'s stage table, and its list of inputs.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::finding::counted;
use crate::model::issuer::seconds;
use crate::model::signature::Verification;
use crate::model::time::relative;
use crate::stages::issuer::IssuerData;
use crate::stages::policy::RolePolicy;
use crate::stages::provider::ProviderFound;
use crate::stages::token::{SignatureCheck, TokenData};

use super::{CheckRequest, InputLine};

/// `iss ..., sub ..., aud ..., expires in 9m`.
pub fn token(data: &TokenData, now: Timestamp) -> String {
    let Some(jwt) = data.jwt() else {
        return format!("not a JWT ({})", data.source);
    };
    let claim = |name: &str| jwt.claim_str(name).unwrap_or("-").to_owned();
    let mut line = format!(
        "sub {}, aud {}",
        claim("sub"),
        jwt.effective_audience().unwrap_or("-")
    );
    if let Some(exp) = jwt.numeric_date("exp") {
        let when = relative(exp, now.as_second());
        let verb = if exp < now.as_second() {
            "expired"
        } else {
            "expires"
        };
        let _ = write!(line, ", {verb} {when}");
    }
    line
}

/// The signature in a few words.
pub fn signature(check: Option<&SignatureCheck>) -> String {
    match check.map(|c| &c.verification) {
        None => "signature not checked".to_owned(),
        Some(Verification::Verified { alg, .. }) => format!("signature verified ({alg})"),
        Some(Verification::AlgNotCheckable { alg }) => {
            format!("signature not checkable here ({alg})")
        }
        Some(_) => "signature INVALID (TK013)".to_owned(),
    }
}

/// `3 samples, discovery + JWKS median 0.1 s; 2 keys; signature verified`.
pub fn issuer(data: &IssuerData, check: Option<&SignatureCheck>) -> String {
    let failed = data.samples.iter().filter(|s| !s.succeeded()).count();
    let mut line = match data.chain_time {
        Some(spread) => format!(
            "{}, discovery + JWKS median {}, max {}",
            counted(data.samples.len(), "sample", "samples"),
            seconds(spread.median),
            seconds(spread.max)
        ),
        None => counted(data.samples.len(), "sample", "samples"),
    };
    if failed > 0 {
        let problem = data
            .samples
            .iter()
            .find_map(crate::model::issuer::Sample::problem)
            .unwrap_or_default();
        let _ = write!(line, "; {failed} failed ({problem})");
    }
    if let Some(keys) = data.keys {
        let _ = write!(line, "; {}", counted(keys, "key", "keys"));
    }
    let _ = write!(line, "; {}", signature(check));
    if let Some(note) = &data.reachability_note {
        let _ = write!(line, "; {note}");
    }
    line
}

/// `client IDs sts.amazonaws.com; 1 thumbprint`.
pub fn provider(found: &ProviderFound, note: Option<&str>) -> String {
    let mut line = match (&found.provider, &found.skipped) {
        (Some((_, p)), _) => format!(
            "client IDs {}; {}",
            if p.client_ids.is_empty() {
                "none".to_owned()
            } else {
                p.client_ids.join(", ")
            },
            counted(p.thumbprints.len(), "thumbprint", "thumbprints")
        ),
        (None, Some(why)) => format!("not looked up: {why}"),
        (None, None) => format!(
            "no provider for the token's issuer among {} listed",
            found.listed.len()
        ),
    };
    if let Some(note) = note {
        let _ = write!(line, "; {note}");
    }
    line
}

/// What the report lists as its inputs, each with where it came from.
pub fn inputs(
    request: &CheckRequest,
    token: &TokenData,
    provider: Option<&ProviderFound>,
    policy: Option<&RolePolicy>,
) -> Vec<InputLine> {
    let mut lines = vec![InputLine {
        name: "token",
        value: token.summary().iss.unwrap_or_else(|| "(no iss)".to_owned()),
        from: token.source.clone(),
    }];
    let given = |name: &'static str, given: Option<&super::Given>, otherwise: &str| InputLine {
        name,
        value: given.map_or_else(|| "not given".to_owned(), |g| g.value.clone()),
        from: given.map_or_else(|| otherwise.to_owned(), |g| g.from.clone()),
    };
    lines.push(given(
        "role",
        request.role_arn.as_ref(),
        "give --role-arn ARN, or set AWS_ROLE_ARN",
    ));
    if let Some(session) = &request.session_name {
        lines.push(given("session", Some(session), ""));
    }
    lines.push(match (&request.policy_file, policy) {
        (Some(path), _) => InputLine {
            name: "policy",
            value: path.display().to_string(),
            from: "--policy".to_owned(),
        },
        (None, Some(policy)) => InputLine {
            name: "policy",
            value: policy
                .source
                .strip_prefix("iam:GetRole ")
                .unwrap_or(&policy.source)
                .to_owned(),
            from: "iam:GetRole".to_owned(),
        },
        (None, None) => InputLine {
            name: "policy",
            value: "not read".to_owned(),
            from: "give --policy FILE, or --role-arn with iam:GetRole".to_owned(),
        },
    });
    lines.push(InputLine {
        name: "provider",
        value: provider
            .and_then(|p| p.provider.as_ref())
            .map_or_else(|| "not read".to_owned(), |(arn, _)| arn.clone()),
        from: match (&request.provider_file, provider) {
            (Some(path), _) => format!("--provider-json {}", path.display()),
            (None, Some(found)) if found.provider.is_some() => found.source.clone(),
            _ => "give --provider-json FILE, or allow iam:GetOpenIDConnectProvider".to_owned(),
        },
    });
    if let Some(path) = &request.jwks_file {
        lines.push(InputLine {
            name: "jwks",
            value: path.display().to_string(),
            from: "--jwks".to_owned(),
        });
    }
    lines
}
