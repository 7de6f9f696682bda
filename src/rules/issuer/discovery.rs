//! IS003, IS004, IS005, IS014: the discovery document's content.

use serde_json::Value;

use crate::finding::{Finding, Location};
use crate::model::discovery::{DiscoveryDocument, STS_ALGORITHMS, jwks_uri_problem};
use crate::model::source::SyntaxError;
use crate::rules::issuer::ServedDocument;
use crate::rules::{IS003, IS004, IS005, IS014};

/// IS003 for a discovery answer that is not JSON.
pub fn unparseable(origin: &str, error: &SyntaxError) -> Finding {
    Finding::new(
        &IS003,
        format!(
            "The discovery document is not JSON: {} (line {}, column {}).",
            error.message, error.line, error.column
        ),
        "Serve `/.well-known/openid-configuration` as a JSON object with `issuer` and `jwks_uri` (check that it is not an HTML error or login page).",
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

/// Judges a parsed discovery document fetched for `issuer_url`.
pub fn check(issuer_url: &str, served: &ServedDocument<'_>) -> Vec<Finding> {
    let Some(document) = DiscoveryDocument::from_value(&served.source.value) else {
        return vec![served.finding(
            &IS003,
            "",
            format!(
                "The discovery document is JSON but not an object (it is {}).",
                kind(&served.source.value)
            ),
            "Serve a JSON object with at least `issuer` and `jwks_uri`.",
        )];
    };
    let mut findings = Vec::new();
    let object = served.source.value.as_object();
    for (member, value) in [
        ("issuer", &document.issuer),
        ("jwks_uri", &document.jwks_uri),
    ] {
        if value.is_some() {
            continue;
        }
        let present = object.and_then(|o| o.get(member));
        let (pointer, message) = match present {
            Some(other) => (
                format!("/{member}"),
                format!("`{member}` is {}, not a string.", kind(other)),
            ),
            None => (
                String::new(),
                format!("The discovery document has no `{member}`."),
            ),
        };
        findings.push(served.finding(
            &IS003,
            &pointer,
            message,
            "STS reads `issuer` and `jwks_uri` from the discovery document; both must be strings.",
        ));
    }
    if let Some(issuer) = &document.issuer
        && issuer != issuer_url
    {
        findings.push(served.finding(
            &IS004,
            "/issuer",
            format!(
                "The document says `issuer` is `{issuer}`, but it was fetched for `{issuer_url}`{}.",
                difference(issuer, issuer_url)
            ),
            "STS compares the token's `iss`, the discovery `issuer` and the provider URL exactly; make the issuer publish its own URL, character for character.",
        ));
    }
    if let Some(jwks_uri) = &document.jwks_uri
        && let Some(problem) = jwks_uri_problem(jwks_uri)
    {
        findings.push(served.finding(
            &IS005,
            "/jwks_uri",
            format!("`jwks_uri` `{jwks_uri}` {problem}."),
            "Publish the key set at an absolute https URL and put that URL in `jwks_uri`.",
        ));
    }
    if let Some(algs) = &document.signing_algs
        && !algs
            .iter()
            .any(|alg| STS_ALGORITHMS.contains(&alg.as_str()))
    {
        findings.push(served.finding(
            &IS014,
            "/id_token_signing_alg_values_supported",
            format!(
                "The issuer signs with {}; STS accepts only {}.",
                if algs.is_empty() { "no algorithm it names".to_owned() } else { algs.join(", ") },
                STS_ALGORITHMS.join(", ")
            ),
            "Configure the issuer to sign tokens with RS256 (or another of the six) and list it in `id_token_signing_alg_values_supported`.",
        ));
    }
    findings
}

/// A hint at what differs between two URLs that look alike.
fn difference(served: &str, expected: &str) -> &'static str {
    if served.trim_end_matches('/') == expected.trim_end_matches('/') {
        " (they differ only in the trailing `/`)"
    } else if served.eq_ignore_ascii_case(expected) {
        " (they differ only in letter case)"
    } else if served.replacen("http://", "https://", 1) == expected {
        " (http instead of https)"
    } else {
        ""
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::source::JsonSource;

    fn codes(url: &str, text: &str) -> Vec<(&'static str, String)> {
        let source = JsonSource::parse(text.to_owned()).unwrap();
        let served = ServedDocument {
            origin: "https://example.com/.well-known/openid-configuration",
            source: &source,
        };
        check(url, &served)
            .into_iter()
            .map(|f| (f.code(), f.message))
            .collect()
    }

    const URL: &str = "https://example.com";

    #[test]
    fn a_good_document_has_no_finding() {
        let text = r#"{"issuer": "https://example.com", "jwks_uri": "https://example.com/jwks", "id_token_signing_alg_values_supported": ["RS256"]}"#;
        assert!(codes(URL, text).is_empty());
    }

    #[test]
    fn missing_and_mistyped_members_are_is003() {
        let found = codes(URL, r#"{"issuer": 5}"#);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "IS003");
        assert!(found[0].1.contains("`issuer` is a number"));
        assert!(found[1].1.contains("no `jwks_uri`"));
        assert_eq!(codes(URL, "[1]")[0].0, "IS003");
    }

    #[test]
    fn the_issuer_must_match_exactly_and_the_difference_is_named() {
        let text = r#"{"issuer": "https://example.com/", "jwks_uri": "https://example.com/jwks"}"#;
        let found = codes(URL, text);
        assert_eq!(found[0].0, "IS004");
        assert!(found[0].1.contains("trailing `/`"));
        let text = r#"{"issuer": "https://EXAMPLE.com", "jwks_uri": "https://example.com/jwks"}"#;
        assert!(codes(URL, text)[0].1.contains("letter case"));
    }

    #[test]
    fn jwks_uri_must_be_absolute_https() {
        for (uri, words) in [
            ("/jwks", "relative"),
            ("http://example.com/jwks", "uses `http`"),
            ("https://", "not a URL"),
        ] {
            let text = format!(r#"{{"issuer": "https://example.com", "jwks_uri": "{uri}"}}"#);
            let found = codes(URL, &text);
            assert_eq!(found[0].0, "IS005", "{uri}");
            assert!(found[0].1.contains(words), "{uri}: {}", found[0].1);
        }
    }

    #[test]
    fn signing_algorithms_need_one_sts_accepts() {
        let text = r#"{"issuer": "https://example.com", "jwks_uri": "https://example.com/jwks", "id_token_signing_alg_values_supported": ["PS256", "EdDSA"]}"#;
        let found = codes(URL, text);
        assert_eq!(found[0].0, "IS014");
        assert!(found[0].1.contains("PS256, EdDSA"));
        let absent = r#"{"issuer": "https://example.com", "jwks_uri": "https://example.com/jwks"}"#;
        assert!(codes(URL, absent).is_empty());
    }
}
