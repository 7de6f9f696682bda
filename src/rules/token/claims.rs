//! TK004 token-claim-missing, TK007 token-timestamp-not-integer,
//! TK008 token-multi-audience, TK010 token-issuer-form and TK016
//! token-audience-default.

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::model::token::Jwt;
use crate::rules::{TK004, TK007, TK008, TK010, TK016};

const REQUIRED: [&str; 5] = ["iss", "sub", "aud", "exp", "iat"];
const DATES: [&str; 3] = ["exp", "iat", "nbf"];

pub(super) fn check(jwt: &Jwt) -> Vec<Finding> {
    let mut findings = missing_claims(jwt);
    findings.extend(DATES.iter().filter_map(|name| non_integer_date(jwt, name)));
    findings.extend(multi_audience(jwt));
    findings.extend(issuer_form(jwt));
    findings.extend(default_audience(jwt));
    findings
}

/// TK016: a GitHub Actions token requested without an audience carries
/// GitHub's default, `https://github.com/<owner>`; AWS expects
/// `sts.amazonaws.com` unless the IAM provider registers this value.
fn default_audience(jwt: &Jwt) -> Option<Finding> {
    let iss = jwt.claim_str("iss")?;
    let family = crate::model::issuers::detect(iss, jwt.claim_str("sub"));
    if family.sub_grammar != crate::model::issuers::SubGrammar::GitHub {
        return None;
    }
    let audience = jwt.claim_str("aud")?;
    let owner = audience
        .strip_prefix("https://github.com/")
        .or_else(|| {
            // GitHub Enterprise Server: https://<host>/<owner>.
            let host = iss
                .strip_prefix("https://")?
                .split('/')
                .next()
                .filter(|h| *h != "token.actions.githubusercontent.com")?;
            audience.strip_prefix(&format!("https://{host}/"))
        })
        .filter(|owner| !owner.is_empty() && !owner.contains('/'))?;
    if jwt
        .claim_str("repository_owner")
        .is_some_and(|claimed| !claimed.eq_ignore_ascii_case(owner))
    {
        return None;
    }
    let shown = crate::finding::shown(audience);
    Some(Finding::new(
        &TK016,
        format!(
            "The token's `aud` is `{shown}`, GitHub's default for a token requested without an audience: \
             AWS expects `sts.amazonaws.com` unless the IAM provider registers this value."
        ),
        "Request the token for `sts.amazonaws.com`: `aws-actions/configure-aws-credentials` does so \
         by default; with `core.getIDToken()` or the `ACTIONS_ID_TOKEN_REQUEST_URL` call, pass \
         `audience=sts.amazonaws.com`. Keep this audience only if the provider's client ID list holds it \
         (and the trust policy pins it).",
    ))
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
                Some(Value::String(_)) => return None,
                Some(Value::Array(list)) if name == "aud" => {
                    if list.iter().all(Value::is_string) {
                        return None;
                    }
                    "Claim `{}` is a list with values that are not strings."
                }
                // Dates of the wrong type are TK007's.
                Some(_) if matches!(name, "exp" | "iat") => return None,
                Some(_) if name == "aud" => "Claim `{}` is neither a string nor a list of strings.",
                Some(_) => "Claim `{}` is not a string.",
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
        // Missing, null, empty or of another type: TK004 says so.
        _ => return Vec::new(),
    };
    let shown = truncate(&without_userinfo(iss), 120);
    let problems = issuer_problems(iss);
    if problems.is_empty() {
        let Some(name) = iss.strip_prefix("https://").filter(|_| iss.ends_with('/')) else {
            return Vec::new();
        };
        return vec![
            Finding::new(
                &TK010,
                format!("Issuer `{shown}` ends with `/`."),
                format!(
                    "This works, but only if everything keeps the slash: the IAM provider URL \
                     `{shown}`, the principal ARN `...:oidc-provider/{name}` and every condition \
                     key prefix (`{name}:aud`)."
                ),
            )
            .with_severity(Severity::Info),
        ];
    }
    problems
        .into_iter()
        .map(|problem| {
            Finding::new(
                &TK010,
                format!("Issuer `{shown}` {problem}."),
                "IAM OIDC providers take an https:// URL with no port, query, fragment or user \
                 name, and STS fetches `<iss>/.well-known/openid-configuration` from it. \
                 Configure the issuer's public URL accordingly.",
            )
        })
        .collect()
}

/// The URL with any `user:password@` replaced by `***@`.
fn without_userinfo(iss: &str) -> String {
    let Some((scheme, rest)) = iss.split_once("://") else {
        return iss.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[authority_end..]),
        None => iss.to_owned(),
    }
}

/// What is wrong with an issuer URL, by IAM's rules for provider URLs.
fn issuer_problems(iss: &str) -> Vec<String> {
    let Some(rest) = iss.strip_prefix("https://") else {
        let scheme = iss.split_once("://").map_or("no", |(scheme, _)| scheme);
        return vec![format!("uses {scheme} scheme instead of https://")];
    };
    let mut problems = Vec::new();
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // Userinfo is never echoed: it may hold a password.
    let host_port = match authority.rsplit_once('@') {
        Some((_, host_port)) => {
            problems.push("has a user name or password before the host".to_owned());
            host_port
        }
        None => authority,
    };
    // In `[2001:db8::1]:8443` only a colon after the `]` starts a port.
    let port_from = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port.len(), |end| end + 1)
    } else {
        0
    };
    let (host, port) = match host_port[port_from..].find(':') {
        Some(colon) => (
            &host_port[..port_from + colon],
            Some(&host_port[port_from + colon + 1..]),
        ),
        None => (host_port, None),
    };
    if host.is_empty() {
        problems.push("has no host".to_owned());
    }
    match port {
        Some("") => problems.push("has an empty port (a `:` after the host)".to_owned()),
        Some(port) => problems.push(format!("has a port (`:{}`)", truncate(port, 10))),
        None => {}
    }
    if rest.contains('?') {
        problems.push("has a query string".to_owned());
    }
    if rest.contains('#') {
        problems.push("has a fragment".to_owned());
    }
    problems
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
