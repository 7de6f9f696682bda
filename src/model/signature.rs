//! Checking a token's signature against a JWKS, as STS does: the key is the
//! one whose `kid` the header names, it must fit the header's `alg`, and the
//! signature must verify. Pure computation over already-fetched data.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::token::Jwt;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The signature verifies with this key.
    Verified { kid: Option<String>, alg: String },
    /// No key in the set has the header's `kid` (or, without a `kid`, the set
    /// does not hold exactly one key).
    NoSuchKey {
        kid: Option<String>,
        available: Vec<String>,
    },
    /// The key's type does not fit the algorithm (an RSA key for ES256...).
    KeyDoesNotFitAlg {
        kid: Option<String>,
        kty: String,
        alg: String,
    },
    /// The key is there but cannot be used (malformed members).
    KeyUnusable { kid: Option<String>, reason: String },
    /// The signature does not verify: the token was altered or signed with another key.
    Mismatch { kid: Option<String>, alg: String },
    /// The header's `alg` is one this tool cannot check (TK002 judges it).
    AlgNotCheckable { alg: String },
}

impl Verification {
    pub fn is_verified(&self) -> bool {
        matches!(self, Verification::Verified { .. })
    }
}

/// Why a JWKS document cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksError(pub String);

/// The keys of a JWKS document, each kept as written and as parsed.
fn keys(jwks: &Value) -> Result<Vec<&Value>, JwksError> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().collect())
        .ok_or_else(|| JwksError("the document has no `keys` array".to_owned()))
}

fn key_type(key: &Value) -> String {
    key.get("kty")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// Verifies `jwt` against the JWKS document `jwks`.
pub fn verify(jwt: &Jwt, jwks: &Value) -> Result<Verification, JwksError> {
    let keys = keys(jwks)?;
    let alg_text = jwt.header_str("alg").unwrap_or_default().to_owned();
    let kid = jwt.header_str("kid").map(str::to_owned);
    // STS accepts RS/ES 256-512; jsonwebtoken verifies all but ES512.
    let Ok(
        alg @ (Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::ES256
        | Algorithm::ES384),
    ) = alg_text.parse::<Algorithm>()
    else {
        return Ok(Verification::AlgNotCheckable { alg: alg_text });
    };
    let key = match &kid {
        Some(kid) => keys
            .iter()
            .rev()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid.as_str())),
        None if keys.len() == 1 => keys.first(),
        None => None,
    };
    let Some(key) = key else {
        let available = keys
            .iter()
            .map(|k| {
                k.get("kid")
                    .and_then(Value::as_str)
                    .unwrap_or("(no kid)")
                    .to_owned()
            })
            .collect();
        return Ok(Verification::NoSuchKey { kid, available });
    };
    let kty = key_type(key);
    let fits = matches!(
        (kty.as_str(), alg),
        (
            "RSA",
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
        ) | ("EC", Algorithm::ES256 | Algorithm::ES384)
    );
    if !fits {
        return Ok(Verification::KeyDoesNotFitAlg {
            kid,
            kty,
            alg: alg_text,
        });
    }
    let decoding = serde_json::from_value::<Jwk>((*key).clone())
        .map_err(|e| e.to_string())
        .and_then(|jwk| match &jwk.algorithm {
            AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_) => {
                DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())
            }
            _ => Err("not an RSA or EC key".to_owned()),
        });
    let decoding = match decoding {
        Ok(decoding) => decoding,
        Err(reason) => return Ok(Verification::KeyUnusable { kid, reason }),
    };
    let verified = jsonwebtoken::crypto::verify(
        jwt.signature.encoded(),
        jwt.signing_input.as_bytes(),
        &decoding,
        alg,
    )
    .unwrap_or(false);
    Ok(if verified {
        Verification::Verified { kid, alg: alg_text }
    } else {
        Verification::Mismatch { kid, alg: alg_text }
    })
}
