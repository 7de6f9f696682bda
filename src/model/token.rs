//! The web identity token as STS receives it: normalisation of what the user
//! pasted, and the split into header, claims and signature. No I/O.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// What was removed from the input before it was treated as a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// Leading or trailing whitespace, including the final newline of a file.
    SurroundingWhitespace,
    /// Line breaks or spaces inside the token (a wrapped copy and paste).
    InnerWhitespace,
    /// An HTTP `Bearer ` prefix.
    BearerPrefix,
    /// The `{"value": "..."}` object the GitHub Actions token endpoint returns.
    ValueWrapper,
}

impl Normalisation {
    pub fn describe(self) -> &'static str {
        match self {
            Normalisation::SurroundingWhitespace => "removed surrounding whitespace",
            Normalisation::InnerWhitespace => "removed line breaks and spaces inside the token",
            Normalisation::BearerPrefix => "removed a `Bearer ` prefix",
            Normalisation::ValueWrapper => {
                "unwrapped the token from a {\"value\": \"...\"} JSON object (the GitHub Actions token endpoint's answer)"
            }
        }
    }
}

/// Which of the three parts of a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header (first part)",
            Part::Payload => "payload (second part)",
            Part::Signature => "signature (third part)",
        })
    }
}

/// Why the input is not a JWT, described by what it looks like instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotJwt {
    Empty,
    Binary,
    /// Text of several lines (a policy, a template, a note): a token is one.
    Text {
        lines: usize,
    },
    FilePath,
    HttpHeader,
    Jwe,
    Opaque {
        prefix: Option<&'static str>,
    },
    /// A JSON document; `jwt_field` names a field that holds a JWT, if any.
    JsonDocument {
        jwt_field: Option<String>,
    },
    StandardBase64,
    PartCount(usize),
    NotBase64Url(Part),
    NotJson {
        part: Part,
        error: String,
    },
    NotObject(Part),
}

/// The signature bytes. Never printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    bytes: Vec<u8>,
    /// The third part as written (base64url), for verification.
    encoded: String,
}

impl Signature {
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The signature as written in the token, for a verifier. Never print it.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A structurally valid JWT: two JSON objects and a signature.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub signature: Signature,
    /// `header.payload` as written: what the signature signs.
    pub signing_input: String,
}

impl Jwt {
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name).filter(|v| !v.is_null())
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// The audiences in `aud`, whether it is a string or a list of strings.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The audience STS matches against the provider's client ID list:
    /// `azp` when present, else the single `aud`.
    pub fn effective_audience(&self) -> Option<&str> {
        self.claim_str("azp")
            .or_else(|| match self.audiences().as_slice() {
                [single] => Some(*single),
                _ => None,
            })
    }

    /// `exp - iat` in seconds, when both are numbers and the difference fits.
    pub fn lifetime(&self) -> Option<i64> {
        self.numeric_date("exp")?
            .checked_sub(self.numeric_date("iat")?)
    }

    /// A numeric date claim as whole seconds, reading what STS might still
    /// accept (a float or a digit string) so that time rules can judge it
    /// even when TK007 also fires.
    pub fn numeric_date(&self, name: &str) -> Option<i64> {
        match self.claims.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(float_seconds)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
    }
}

#[allow(clippy::cast_possible_truncation)]
fn float_seconds(value: f64) -> Option<i64> {
    // Anything outside ±2^53 is not a plausible date; the cast is exact inside it.
    (value.is_finite() && value.abs() < 9.0e15).then(|| value.floor() as i64)
}

/// The token input after normalisation and parsing.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    /// Length in characters of the normalised token, as STS would count it.
    pub length: usize,
    pub normalisations: Vec<Normalisation>,
    pub shape: Result<Jwt, NotJwt>,
}

impl ParsedToken {
    pub fn jwt(&self) -> Option<&Jwt> {
        self.shape.as_ref().ok()
    }
}

/// Normalises and parses raw token input bytes. Never fails: anything that is
/// not a JWT becomes a [`NotJwt`] description.
///
/// ```
/// use oidc_doctor::model::token::{parse, NotJwt, Normalisation};
///
/// let parsed = parse(b"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n");
/// assert_eq!(parsed.jwt().unwrap().claim_str("sub"), Some("x"));
/// assert_eq!(
///     parsed.normalisations,
///     [Normalisation::SurroundingWhitespace, Normalisation::BearerPrefix]
/// );
/// assert_eq!(parse(b"/var/run/secrets/token").shape.unwrap_err(), NotJwt::FilePath);
/// ```
pub fn parse(input: &[u8]) -> ParsedToken {
    let Ok(text) = std::str::from_utf8(input) else {
        return ParsedToken {
            length: input.len(),
            normalisations: Vec::new(),
            shape: Err(NotJwt::Binary),
        };
    };
    let (token, normalisations) = normalise(text);
    let shape = if token
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err(NotJwt::Binary)
    } else if token.contains(['\n', '\r', '\t']) {
        Err(NotJwt::Text {
            lines: token.lines().count(),
        })
    } else {
        split(&token)
    };
    ParsedToken {
        length: token.chars().count(),
        normalisations,
        shape,
    }
}

/// Removes what commonly surrounds a token when it is copied, read from a
/// file or taken from an HTTP answer, and says what was removed.
pub fn normalise(text: &str) -> (String, Vec<Normalisation>) {
    let mut done = Vec::new();
    let mut token = text.trim();
    if token.len() != text.len() && !token.is_empty() {
        done.push(Normalisation::SurroundingWhitespace);
    }
    let unwrapped;
    if token.starts_with('{')
        && let Some(value) = value_wrapper(token)
    {
        unwrapped = value;
        token = unwrapped.trim();
        done.push(Normalisation::ValueWrapper);
    }
    if let Some(rest) = strip_prefix_ignore_case(token, "bearer ") {
        token = rest.trim_start();
        done.push(Normalisation::BearerPrefix);
    }
    if looks_like_wrapped_token(token) {
        done.push(Normalisation::InnerWhitespace);
        return (token.split_whitespace().collect(), done);
    }
    (token.to_owned(), done)
}

fn value_wrapper(text: &str) -> Option<String> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Object(map) => map.get("value")?.as_str().map(str::to_owned),
        _ => None,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Whitespace inside the input is removed only when every piece between it
/// is base64url or dots: a wrapped token, not prose.
fn looks_like_wrapped_token(token: &str) -> bool {
    token.contains(char::is_whitespace)
        && token
            .split_whitespace()
            .all(|piece| piece.bytes().all(|b| is_base64url(b) || b == b'.'))
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Well-known opaque token prefixes, so the message can name what it is.
const OPAQUE_PREFIXES: &[(&str, &str)] = &[
    ("ghs_", "a GitHub App installation token"),
    ("ghp_", "a GitHub personal access token"),
    ("gho_", "a GitHub OAuth token"),
    ("github_pat_", "a GitHub fine-grained personal access token"),
    ("glpat-", "a GitLab personal access token"),
    ("glcbt-", "a GitLab CI job token"),
    ("ya29.", "a Google OAuth access token"),
];

/// Human name of a well-known opaque token prefix.
pub fn opaque_kind(prefix: &str) -> &'static str {
    OPAQUE_PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map_or("an opaque access token", |(_, kind)| kind)
}

fn split(token: &str) -> Result<Jwt, NotJwt> {
    if token.is_empty() {
        return Err(NotJwt::Empty);
    }
    if token.starts_with('{') || token.starts_with('[') {
        return Err(NotJwt::JsonDocument {
            jwt_field: jwt_field_in_json(token),
        });
    }
    if strip_prefix_ignore_case(token, "authorization:").is_some() {
        return Err(NotJwt::HttpHeader);
    }
    if let Some((prefix, _)) = OPAQUE_PREFIXES.iter().find(|(p, _)| token.starts_with(p)) {
        return Err(NotJwt::Opaque {
            prefix: Some(prefix),
        });
    }
    let parts: Vec<&str> = token.split('.').collect();
    if token.contains(['+', '/', '=']) {
        // Base64url never holds these. A JSON header always encodes to "ey…",
        // which tells a standard-base64 token from a path with dots in it.
        let base64_parts = parts.iter().all(|p| {
            p.bytes()
                .all(|b| is_base64url(b) || matches!(b, b'+' | b'/' | b'='))
        });
        if matches!(parts.len(), 3 | 5) && base64_parts && parts[0].starts_with("ey") {
            return Err(NotJwt::StandardBase64);
        }
        if token.contains('/') {
            return Err(NotJwt::FilePath);
        }
    }
    if token.starts_with('~') {
        return Err(NotJwt::FilePath);
    }
    match parts.len() {
        3 => {}
        5 => return Err(NotJwt::Jwe),
        1 => return Err(NotJwt::Opaque { prefix: None }),
        n => return Err(NotJwt::PartCount(n)),
    }
    let header = json_object(parts[0], Part::Header)?;
    let claims = json_object(parts[1], Part::Payload)?;
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|_| NotJwt::NotBase64Url(Part::Signature))?;
    Ok(Jwt {
        header,
        claims,
        signature: Signature {
            bytes: signature,
            encoded: parts[2].to_owned(),
        },
        signing_input: format!("{}.{}", parts[0], parts[1]),
    })
}

fn json_object(encoded: &str, part: Part) -> Result<Map<String, Value>, NotJwt> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| NotJwt::NotBase64Url(part))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(NotJwt::NotObject(part)),
        Err(error) => Err(NotJwt::NotJson {
            part,
            error: error.to_string(),
        }),
    }
}

/// The first top-level string field of a JSON object that holds a JWT.
fn jwt_field_in_json(text: &str) -> Option<String> {
    let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    map.iter().find_map(|(key, value)| {
        let candidate = value.as_str()?;
        split(candidate.trim()).is_ok().then(|| key.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    fn sample() -> String {
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k"}"#),
            b64(r#"{"iss":"https://issuer.example","aud":["a","b"]}"#),
            b64("sig")
        )
    }

    #[test]
    fn parses_a_jwt_and_keeps_the_signature_out_of_debug() {
        let parsed = parse(sample().as_bytes());
        let jwt = parsed.jwt().expect("a JWT");
        assert_eq!(jwt.header_str("alg"), Some("RS256"));
        assert_eq!(jwt.audiences(), vec!["a", "b"]);
        assert_eq!(jwt.signature.len(), 3);
        let debug = format!("{jwt:?}");
        assert!(debug.contains("***"), "{debug}");
        assert!(!debug.contains("115, 105, 103"), "{debug}");
        assert!(parsed.normalisations.is_empty());
    }

    #[test]
    fn strips_wrapper_bearer_and_wrapping_and_says_so() {
        let token = sample();
        let wrapped = format!("{{\n  \"count\": 1,\n  \"value\": \"Bearer {token}\"\n}}\n");
        let parsed = parse(wrapped.as_bytes());
        assert!(parsed.jwt().is_some());
        assert_eq!(
            parsed.normalisations,
            vec![
                Normalisation::SurroundingWhitespace,
                Normalisation::ValueWrapper,
                Normalisation::BearerPrefix
            ]
        );
        let (head, tail) = token.split_at(20);
        let parsed = parse(format!("{head}\n{tail}").as_bytes());
        assert!(parsed.jwt().is_some());
        assert_eq!(parsed.normalisations, vec![Normalisation::InnerWhitespace]);
    }

    #[test]
    fn says_what_a_non_jwt_looks_like() {
        let cases: &[(&str, NotJwt)] = &[
            ("", NotJwt::Empty),
            ("  \n", NotJwt::Empty),
            ("/var/run/secrets/token", NotJwt::FilePath),
            ("a.b.c.d.e", NotJwt::Jwe),
            (
                "ghs_abcdef",
                NotJwt::Opaque {
                    prefix: Some("ghs_"),
                },
            ),
            ("abcdef", NotJwt::Opaque { prefix: None }),
            ("a.b", NotJwt::PartCount(2)),
            ("Authorization: Bearer x.y.z", NotJwt::HttpHeader),
            ("eyJhbGciOiJSUzI1NiJ9.e+/=.c", NotJwt::StandardBase64),
            ("./token.jwt", NotJwt::FilePath),
            (
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
                NotJwt::FilePath,
            ),
            ("eyJhbGciOiJSUzI1NiJ9.e+=.c", NotJwt::StandardBase64),
            ("!!!.e30.c", NotJwt::NotBase64Url(Part::Header)),
            ("WzFd.e30.c", NotJwt::NotObject(Part::Header)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                &parse(input.as_bytes()).shape.unwrap_err(),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            parse(&[0xff, 0xfe, 0x00]).shape.unwrap_err(),
            NotJwt::Binary
        );
        assert_eq!(
            parse(b"Resources:\n  Role:\n    Type: AWS::IAM::Role\n")
                .shape
                .unwrap_err(),
            NotJwt::Text { lines: 3 },
            "a YAML file is text, not binary data"
        );
        assert_eq!(parse(b"abc\x1b[31m").shape.unwrap_err(), NotJwt::Binary);
        let json = format!(r#"{{"token": "{}"}}"#, sample());
        assert_eq!(
            parse(json.as_bytes()).shape.unwrap_err(),
            NotJwt::JsonDocument {
                jwt_field: Some("token".into())
            }
        );
        assert!(matches!(
            parse(format!("{}.bm90IGpzb24.c", b64("{}")).as_bytes()).shape,
            Err(NotJwt::NotJson {
                part: Part::Payload,
                ..
            })
        ));
    }

    #[test]
    fn reads_numeric_dates_leniently() {
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"exp":10.5,"iat":"20","nbf":true,"x":1e300}"#)
        );
        let parsed = parse(token.as_bytes());
        let jwt = parsed.jwt().expect("a JWT");
        assert_eq!(jwt.numeric_date("exp"), Some(10));
        assert_eq!(jwt.numeric_date("iat"), Some(20));
        assert_eq!(jwt.numeric_date("nbf"), None);
        assert_eq!(jwt.numeric_date("x"), None);
        assert_eq!(jwt.numeric_date("missing"), None);
    }
}
