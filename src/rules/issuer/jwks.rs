//! IS007, IS010–IS013: the issuer's JSON Web Key Set, judged as STS reads it.
//! Pure: the caller has already read or fetched the document.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use x509_parser::public_key::PublicKey;

use crate::finding::{Finding, Location, Severity};
use crate::model::source::SyntaxError;
use crate::rules::issuer::ServedDocument;
use crate::rules::{IS007, IS010, IS011, IS012, IS013};

/// STS reads at most this many keys of each type.
const MAX_KEYS_PER_TYPE: usize = 100;
/// Members that only a private key has.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// A key set and where it came from, for locations.
pub type KeySet<'a> = ServedDocument<'a>;

/// IS007 for a key set that is not JSON at all.
pub fn unparseable(origin: &str, error: &SyntaxError) -> Finding {
    Finding::new(
        &IS007,
        format!(
            "The key set is not JSON: {} (line {}, column {}).",
            error.message, error.line, error.column
        ),
        "STS cannot read keys from it: serve the JWKS as a JSON object with a `keys` array.",
    )
    .with_location(Location {
        path: origin.to_owned(),
        line: error.line,
        column: error.column,
        pointer: String::new(),
        resource: None,
        span: None,
        source: None,
        in_file: None,
    })
}

/// Runs the key-set rules.
pub fn check(set: &KeySet<'_>) -> Vec<Finding> {
    let Some(keys) = set.source.value.get("keys").and_then(Value::as_array) else {
        return vec![set.finding(
            &IS007,
            "",
            "The key set has no `keys` array.".to_owned(),
            "A JWKS is {\"keys\": [ ...public keys... ]}; check that `jwks_uri` points at it and not at a web page or the discovery document.",
        )];
    };
    let mut findings = Vec::new();
    let kty = |key: &Value| {
        key.get("kty")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if !keys.iter().any(|k| matches!(kty(k).as_str(), "RSA" | "EC")) {
        findings.push(set.finding(
            &IS007,
            "/keys",
            format!(
                "The key set holds {}, none of them RSA or EC: STS cannot verify any token with it.",
                crate::finding::counted(keys.len(), "key", "keys")
            ),
            "Publish the issuer's RSA or EC public signing keys.",
        ));
    }
    for kind in ["RSA", "EC"] {
        let count = keys.iter().filter(|k| kty(k) == kind).count();
        if count > MAX_KEYS_PER_TYPE {
            findings.push(set.finding(
                &IS010,
                "/keys",
                format!("The key set holds {count} {kind} keys; STS reads at most {MAX_KEYS_PER_TYPE} of each type."),
                "Remove retired keys: keep the current key and the one being rotated in.",
            ));
        }
    }
    let mut kids: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let pointer = format!("/keys/{i}");
        match key.get("kid").and_then(Value::as_str) {
            None => findings.push(
                set.finding(
                    &IS011,
                    &pointer,
                    format!("Key {i} has no `kid`."),
                    "STS picks the key by the token's `kid`; give every key one (and set it in the tokens' headers).",
                )
                .with_severity(Severity::Medium),
            ),
            Some(kid) => {
                if let Some(first) = kids.insert(kid, i) {
                    let kid = crate::finding::shown(kid);
                    // STS may check a token against the wrong key: high,
                    // as rules.md says (the rule's default is medium, for
                    // a missing kid).
                    let finding = set
                        .finding(
                            &IS011,
                            &pointer,
                            format!(
                                "Keys {first} and {i} share `kid` `{kid}`: one of them cannot be found by its kid, \
                                 and STS may check a token against the wrong key."
                            ),
                            "Give every key a distinct `kid`.",
                        )
                        .with_severity(Severity::High);
                    findings.push(finding);
                }
            }
        }
        let private: Vec<&str> = PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| key.get(*m).is_some())
            .collect();
        if !private.is_empty() {
            findings.push(set.finding(
                &IS013,
                &pointer,
                format!("Key {i} publishes private members ({}): anyone who reads the key set can sign tokens.", private.join(", ")),
                "Treat the key as compromised: rotate it, and publish only the public members (`kty`, `kid`, `n`, `e` or `crv`, `x`, `y`).",
            ));
        }
        findings.extend(unusable(set, key, &pointer, i));
    }
    findings
}

fn decode(text: Option<&Value>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text?.as_str()?.trim_end_matches('='))
        .ok()
}

/// IS012: what makes a key unusable for STS.
fn unusable(set: &KeySet<'_>, key: &Value, pointer: &str, i: usize) -> Vec<Finding> {
    let mut problems: Vec<(String, Severity)> = Vec::new();
    let high = Severity::High;
    let kty = key.get("kty").and_then(Value::as_str).unwrap_or_default();
    match kty {
        "RSA" => match decode(key.get("n")) {
            None => problems.push((
                "its modulus `n` is missing or not base64url".to_owned(),
                high,
            )),
            Some(n) => {
                if n.first() == Some(&0) {
                    problems.push(("its modulus `n` starts with a zero byte (RFC 7518 forbids it; STS reportedly rejects it)".to_owned(), high));
                }
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if bits < 2048 {
                    problems.push((
                        format!("its RSA modulus has about {bits} bits, under 2048"),
                        Severity::Medium,
                    ));
                }
            }
        },
        "EC" => {
            let crv = key.get("crv").and_then(Value::as_str).unwrap_or_default();
            if !["P-256", "P-384", "P-521"].contains(&crv) {
                problems.push((
                    format!("its curve `{crv}` is not P-256, P-384 or P-521"),
                    high,
                ));
            }
        }
        other => problems.push((format!("its type `{other}` is neither RSA nor EC"), high)),
    }
    if key.get("use").and_then(Value::as_str) == Some("enc") {
        problems.push((
            "it is marked `use: enc` (encryption), not for signatures".to_owned(),
            high,
        ));
    }
    if key.get("key_ops").is_some() {
        problems.push((
            "it carries `key_ops`, which STS is reported to refuse".to_owned(),
            high,
        ));
    }
    if let Some(problem) = x5c_mismatch(key) {
        problems.push((problem, high));
    }
    let Some(severity) = problems.iter().map(|(_, s)| *s).max() else {
        return Vec::new();
    };
    let texts: Vec<&str> = problems.iter().map(|(t, _)| t.as_str()).collect();
    vec![
        set.finding(
            &IS012,
            pointer,
            format!("Key {i} cannot be used: {}.", texts.join("; ")),
            "Publish RSA (2048 bits or more) or EC P-256/P-384/P-521 signing keys with only their public members.",
        )
        .with_severity(severity),
    ]
}

/// Whether the first `x5c` certificate holds another public key than the JWK.
fn x5c_mismatch(key: &Value) -> Option<String> {
    let first = key.get("x5c")?.as_array()?.first()?.as_str()?;
    let Ok(der) = STANDARD.decode(first) else {
        return Some("its first `x5c` certificate is not base64".to_owned());
    };
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(&der) else {
        return Some("its first `x5c` certificate cannot be parsed".to_owned());
    };
    let strip = |bytes: &[u8]| {
        bytes
            .iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    let same = match certificate.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            decode(key.get("n")).is_some_and(|n| strip(&n) == strip(rsa.modulus))
        }
        Ok(PublicKey::EC(point)) => {
            let x = decode(key.get("x"));
            let y = decode(key.get("y"));
            x.zip(y).is_some_and(|(x, y)| {
                let mut uncompressed = vec![4];
                uncompressed.extend(x);
                uncompressed.extend(y);
                point.data() == uncompressed.as_slice()
            })
        }
        _ => false,
    };
    (!same).then(|| "its `x5c` certificate holds another public key than the JWK".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::source::JsonSource;

    fn severities(keys: &Value) -> Vec<(String, Severity)> {
        let source = JsonSource::parse(serde_json::json!({ "keys": keys }).to_string()).unwrap();
        check(&KeySet {
            origin: "jwks.json",
            source: &source,
        })
        .into_iter()
        .filter(|f| f.code() == "IS011")
        .map(|f| (f.message, f.severity))
        .collect()
    }

    #[test]
    fn keys_sharing_a_kid_are_high() {
        let rsa =
            serde_json::json!({"kty": "RSA", "kid": "a", "use": "sig", "n": "AQAB", "e": "AQAB"});
        let ec =
            serde_json::json!({"kty": "EC", "kid": "a", "crv": "P-256", "x": "AQAB", "y": "AQAB"});
        let found = severities(&serde_json::json!([rsa, ec]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Severity::High);
        assert!(
            found[0].0.contains("Keys 0 and 1 share `kid` `a`"),
            "{found:?}"
        );
        let found = severities(&serde_json::json!([rsa, rsa]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Severity::High);
    }
}
