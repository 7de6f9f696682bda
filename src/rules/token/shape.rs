//! TK001 token-not-jwt and TK009 token-too-long.

use crate::finding::Finding;
use crate::model::token::{NotJwt, ParsedToken, opaque_kind};
use crate::rules::{TK001, TK009};

use super::MAX_TOKEN_LENGTH;

pub(super) fn check(token: &ParsedToken) -> Vec<Finding> {
    let mut findings = Vec::new();
    match &token.shape {
        Err(not_jwt) => {
            let (message, help) = describe(not_jwt, token.length);
            findings.push(Finding::new(&TK001, message, help));
        }
        // An empty signature with `alg: none` is TK002's to explain.
        Ok(jwt) if jwt.signature.is_empty() && jwt.header_str("alg") != Some("none") => {
            findings.push(Finding::new(
                &TK001,
                "The signature (third part) is empty: the token is unsigned.",
                "STS accepts only signed tokens. Send the token exactly as the issuer signed it; \
                 something may have cut it after the last dot.",
            ));
        }
        Ok(_) => {}
    }
    if token.length > MAX_TOKEN_LENGTH {
        findings.push(Finding::new(
            &TK009,
            format!(
                "The token is {} characters long; STS accepts at most 20,000.",
                token.length
            ),
            "Shrink the token: fewer or shorter custom claims, groups or session tags. \
             AWS SDKs and CLIs released before April 2021 still stop at 2,048 characters.",
        ));
    }
    findings
}

const REQUEST_ID_TOKEN: &str = "STS needs the OIDC ID token itself, a JWT of three base64url parts. \
     In GitHub Actions grant `permissions: id-token: write` and request it from \
     ACTIONS_ID_TOKEN_REQUEST_URL (or run with --github-actions).";

fn describe(not_jwt: &NotJwt, length: usize) -> (String, String) {
    match not_jwt {
        NotJwt::Empty => (
            "The token is empty.".to_owned(),
            "Check that whatever writes the token ran first: on EKS the projected token at \
             AWS_WEB_IDENTITY_TOKEN_FILE, in CI the step that requests it."
                .to_owned(),
        ),
        NotJwt::Binary => (
            "The input is binary data, not a text token.".to_owned(),
            "Pass the token text (three base64url parts joined by dots), not a binary file."
                .to_owned(),
        ),
        NotJwt::Text { lines } => (
            format!("The input is {lines} lines of text, not a token: a token is one line."),
            "Pass the token itself (three base64url parts joined by dots). To check a trust \
             policy or a CloudFormation template, use `oidc-doctor lint FILE`."
                .to_owned(),
        ),
        NotJwt::FilePath => (
            "The input looks like a file path, not a token: base64url never contains `/`."
                .to_owned(),
            "Pass the file's contents, or use --token-file PATH. SDKs take the path in \
             AWS_WEB_IDENTITY_TOKEN_FILE, but the STS API and `aws sts \
             assume-role-with-web-identity --web-identity-token` take the token itself."
                .to_owned(),
        ),
        NotJwt::HttpHeader => (
            "The input is an HTTP header line (`Authorization: ...`), not a token.".to_owned(),
            "Pass only the token that follows `Bearer `.".to_owned(),
        ),
        NotJwt::Jwe => (
            "The input has five parts: an encrypted token (JWE). STS accepts only signed \
             tokens (JWS, three parts)."
                .to_owned(),
            "Configure the identity provider to issue signed, unencrypted ID tokens for this client."
                .to_owned(),
        ),
        NotJwt::Opaque { prefix: Some(prefix) } => (
            format!(
                "The input looks like {} (`{prefix}…`, {length} characters), not a JWT.",
                opaque_kind(prefix)
            ),
            REQUEST_ID_TOKEN.to_owned(),
        ),
        NotJwt::Opaque { prefix: None } => (
            format!(
                "The input has no dots: an opaque access token or another secret ({length} characters), not a JWT."
            ),
            REQUEST_ID_TOKEN.to_owned(),
        ),
        NotJwt::JsonDocument { jwt_field: Some(field) } => (
            format!("The input is a JSON document with the token in field `{field}`, not the token itself."),
            format!("Extract the field first, for example `jq -r '.{field}'`."),
        ),
        NotJwt::JsonDocument { jwt_field: None } => (
            "The input is a JSON document, not a token, and no top-level field holds a JWT."
                .to_owned(),
            "Pass the ID token itself. The tool unwraps only the `{\"value\": \"...\"}` answer of \
             the GitHub Actions token endpoint."
                .to_owned(),
        ),
        NotJwt::StandardBase64 => (
            "The token uses standard base64 (`+`, `/` or `=` padding); JWTs use unpadded base64url."
                .to_owned(),
            "Something re-encoded the token. Pass it exactly as the issuer produced it.".to_owned(),
        ),
        NotJwt::PartCount(parts) => (
            format!(
                "The input has {parts} dot-separated parts; a signed JWT has exactly three \
                 (header.payload.signature)."
            ),
            "The token was probably cut short or joined with something else; copy it whole."
                .to_owned(),
        ),
        NotJwt::NotBase64Url(part) => (
            format!("The {part} is not valid base64url."),
            "The token was probably truncated or altered in transit; copy it whole.".to_owned(),
        ),
        NotJwt::NotJson { part, error } => (
            format!("The {part} decodes, but not to JSON: {error}."),
            "The token was probably truncated or altered; copy it whole.".to_owned(),
        ),
        NotJwt::NotObject(part) => (
            format!("The {part} is JSON but not an object."),
            "A JWT header and payload are JSON objects; this is not an ID token.".to_owned(),
        ),
    }
}
