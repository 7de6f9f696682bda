//! TK002 token-alg-unsupported and TK003 token-kid-missing.

use crate::finding::Finding;
use crate::model::token::Jwt;
use crate::rules::{TK002, TK003};

use super::STS_ALGORITHMS;

pub(super) fn check(jwt: &Jwt) -> Vec<Finding> {
    let mut findings = Vec::new();
    match jwt.header.get("alg") {
        None | Some(serde_json::Value::Null) => findings.push(Finding::new(
            &TK002,
            "The header has no `alg`.",
            "Configure the issuer to sign with RS256 (or ES256) and to say so in the header.",
        )),
        Some(value) => {
            let alg = value.as_str().unwrap_or_default();
            if !STS_ALGORITHMS.contains(&alg) {
                findings.push(Finding::new(
                    &TK002,
                    format!(
                        "The token is signed with `{}`; STS accepts only RS256, RS384, RS512, \
                         ES256, ES384 and ES512.",
                        if alg.is_empty() {
                            shorten(&value.to_string())
                        } else {
                            shorten(alg)
                        }
                    ),
                    alg_help(alg),
                ));
            }
        }
    }
    let kid_problem = match jwt.header.get("kid") {
        None | Some(serde_json::Value::Null) => Some("The header has no `kid`."),
        Some(serde_json::Value::String(kid)) if kid.is_empty() => {
            Some("The header's `kid` is empty.")
        }
        Some(serde_json::Value::String(_)) => None,
        Some(_) => Some("The header's `kid` is not a string."),
    };
    if let Some(problem) = kid_problem {
        findings.push(Finding::new(
            &TK003,
            problem,
            "STS picks the verification key by `kid`; without one it can only work while the \
             issuer's JWKS holds a single key. Configure the issuer to set `kid`.",
        ));
    }
    findings
}

fn alg_help(alg: &str) -> &'static str {
    if alg.eq_ignore_ascii_case("none") {
        "An unsigned token is never accepted. Send the signed ID token the issuer produced."
    } else if alg.starts_with("HS") {
        "HMAC tokens are signed with a shared secret that STS cannot know. Configure the \
         issuer to sign with an RSA or EC key (RS256 or ES256) published in its JWKS."
    } else {
        "Configure the issuer to sign with RS256 (or ES256); PS256 and EdDSA are not accepted."
    }
}

/// Keeps messages short when a header field holds something huge.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
