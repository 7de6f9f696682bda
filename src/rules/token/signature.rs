//! TK013 token-signature-invalid: the verdict of checking the signature
//! against the issuer's key set.

use crate::finding::Finding;
use crate::model::signature::Verification;
use crate::rules::TK013;

/// The finding for a verification result, if it found a problem.
pub fn check(verification: &Verification, key_set: &str) -> Option<Finding> {
    let kid_text = |kid: &Option<String>| {
        kid.as_deref()
            .map_or("(no kid)".to_owned(), |k| format!("`{k}`"))
    };
    let (message, help) = match verification {
        Verification::Verified { .. } | Verification::AlgNotCheckable { .. } => return None,
        Verification::NoSuchKey { kid, available } => (
            format!(
                "No key in {key_set} has the token's kid {} (it holds {}).",
                kid_text(kid),
                if available.is_empty() { "no keys".to_owned() } else { available.join(", ") }
            ),
            "STS cannot verify the token. The issuer may have rotated its keys (fetch the JWKS again), \
             or the token comes from another issuer than the JWKS."
                .to_owned(),
        ),
        Verification::KeyDoesNotFitAlg { kid, kty, alg } => (
            format!("Key {} in {key_set} is an {kty} key, which cannot check an {alg} signature.", kid_text(kid)),
            "The issuer signs with one key type but publishes another under the same kid; fix its key configuration."
                .to_owned(),
        ),
        Verification::KeyUnusable { kid, reason } => (
            format!("Key {} in {key_set} cannot be used: {reason}.", kid_text(kid)),
            "Fix the key's members (`n`/`e` for RSA, `crv`/`x`/`y` for EC) in the issuer's JWKS.".to_owned(),
        ),
        Verification::Mismatch { kid, alg } => (
            format!("The {alg} signature does not verify with key {} from {key_set}.", kid_text(kid)),
            "The token was altered after signing, or signed with another key published under the same kid. \
             Use the token exactly as the issuer produced it."
                .to_owned(),
        ),
    };
    Some(Finding::new(&TK013, message, help))
}
