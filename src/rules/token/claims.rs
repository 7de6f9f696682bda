//! TK004 token-claim-missing, TK007 token-timestamp-not-integer,
//! TK008 token-multi-audience and TK010 token-issuer-form.

use serde_json::Value;

use crate::model::token::Jwt;
use crate::report::{Finding, Severity};
use crate::rules::{TK004, TK007, TK008, TK010};

const REQUIRED: [&str; 5] = ["iss", "sub", "aud", "exp", "iat"];
const DATES: [&str; 3] = ["exp", "iat", "nbf"];

pub(super) fn check(jwt: &Jwt) -> Vec<Finding> {
    let mut findings = missing_claims(jwt);
    findings.extend(DATES.iter().filter_map(|name| non_integer_date(jwt, name)));
    findings.extend(multi_audience(jwt));
    findings.extend(issuer_form(jwt));
    findings
}

fn missing_claims(jwt: &Jwt) -> Vec<Finding> {
    REQUIRED
        .iter()
        .filter_map(|&name| {
            let problem = match jwt.claims.get(name) {
                None => "The token has no `{}` claim.",
                Some(Value::Null) => "Claim `{}` is null.",
                Some(Value::Array(list)) if name == "aud" && list.is_empty() => {
                    "Claim `{}` is an empty list."
                }
                Some(Value::String(s)) if s.is_empty() => "Claim `{}` is an empty string.",
                Some(_) => return None,
            };
            Some(Finding::new(
                &TK004,
                problem.replace("{}", name),
                missing_help(name),
            ))
        })
        .collect()
}

fn missing_help(name: &str) -> String {
    let common = format!("STS answers `Missing a required claim: {name}`.");
    match name {
        "aud" => format!(
            "{common} Request the token for an audience, e.g. `sts.amazonaws.com`: in GitHub \
             Actions the `audience` input, on Kubernetes a projected service-account token \
             with `audience: sts.amazonaws.com` (a plain service-account token has none)."
        ),
        _ => format!(
            "{common} The issuer must set it. Check that this is an ID token, not an access \
             token or another kind of JWT."
        ),
    }
}

fn non_integer_date(jwt: &Jwt, name: &str) -> Option<Finding> {
    let value = jwt.claims.get(name)?;
    let what = match value {
        Value::Null => return None,
        Value::Number(n) if n.is_i64() || n.is_u64() => return None,
        Value::Number(n) => format!("a number with a fraction or decimal point ({n})"),
        Value::String(s) => format!("a string (\"{}\")", truncate(s, 40)),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    };
    Some(Finding::new(
        &TK007,
        format!("Claim `{name}` is {what}, not an integer."),
        "STS requires timestamps as whole seconds since 1970 (an integer NumericDate). \
         Fix how the issuer writes its tokens.",
    ))
}

fn multi_audience(jwt: &Jwt) -> Option<Finding> {
    let Some(Value::Array(list)) = jwt.claims.get("aud") else {
        return None;
    };
    if list.len() < 2 || jwt.claim("azp").is_some() {
        return None;
    }
    let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
    Some(Finding::new(
        &TK008,
        format!(
            "`aud` lists {} audiences ({}) and there is no `azp`: STS needs one audience to \
             match against the provider's client IDs.",
            list.len(),
            shown.join(", ")
        ),
        "Request the token for a single audience (for example only `sts.amazonaws.com`), or \
         have the issuer set `azp` to the client ID registered with the IAM OIDC provider.",
    ))
}

fn issuer_form(jwt: &Jwt) -> Vec<Finding> {
    let iss = match jwt.claims.get("iss") {
        Some(Value::String(iss)) if !iss.is_empty() => iss,
        Some(Value::Null | Value::String(_)) | None => return Vec::new(),
        Some(other) => {
            return vec![Finding::new(
                &TK010,
                format!("Claim `iss` is not a string ({other})."),
                "The issuer must be an https:// URL.",
            )];
        }
    };
    let mut findings = Vec::new();
    let mut high = |problem: String| {
        findings.push(Finding::new(
            &TK010,
            format!("Issuer `{iss}` {problem}."),
            "IAM OIDC providers take an https:// URL with no port, query or fragment, and \
             STS fetches `<iss>/.well-known/openid-configuration` from it. Configure the \
             issuer's public URL accordingly.",
        ));
    };
    let Some(rest) = iss.strip_prefix("https://") else {
        let scheme = iss.split_once("://").map_or("no", |(scheme, _)| scheme);
        high(format!("uses {scheme} scheme instead of https://"));
        return findings;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() {
        high("has no host".to_owned());
    }
    if let Some((_, port)) = authority.rsplit_once(':') {
        high(format!("has a port (`:{port}`)"));
    }
    if rest.contains('?') {
        high("has a query string".to_owned());
    }
    if rest.contains('#') {
        high("has a fragment".to_owned());
    }
    if findings.is_empty() && iss.ends_with('/') {
        let name = rest;
        findings.push(
            Finding::new(
                &TK010,
                format!("Issuer `{iss}` ends with `/`."),
                format!(
                    "This works, but only if everything keeps the slash: the IAM provider URL \
                     `{iss}`, the principal ARN `...:oidc-provider/{name}` and every condition \
                     key prefix (`{name}:aud`)."
                ),
            )
            .with_severity(Severity::Info),
        );
    }
    findings
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
