//! The `OpenID` discovery document and the caching headers of both documents,
//! read the way STS reads them.

use std::time::Duration;

use serde_json::Value;

use crate::model::issuer::HttpResponse;

/// The signing algorithms STS accepts.
pub const STS_ALGORITHMS: [&str; 6] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/// The members of `/.well-known/openid-configuration` that STS uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryDocument {
    /// `issuer` when it is a string.
    pub issuer: Option<String>,
    /// `jwks_uri` when it is a string.
    pub jwks_uri: Option<String>,
    /// `id_token_signing_alg_values_supported`, the strings of it, when present.
    pub signing_algs: Option<Vec<String>>,
}

impl DiscoveryDocument {
    /// Reads the members from an already-parsed JSON object; `None` for
    /// anything that is not an object.
    pub fn from_value(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let string = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(DiscoveryDocument {
            issuer: string("issuer"),
            jwks_uri: string("jwks_uri"),
            signing_algs: object
                .get("id_token_signing_alg_values_supported")
                .and_then(Value::as_array)
                .map(|algs| {
                    algs.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                }),
        })
    }
}

/// What a cache (STS's among them) may do with a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheInfo {
    /// The headers that forbid caching, as sent (`Cache-Control: no-cache`).
    pub forbidden_by: Vec<String>,
    /// How long the response may still be reused, when the headers say:
    /// `max-age` minus `Age`, else `Expires` minus `Date`.
    pub lifetime: Option<Duration>,
    pub etag: Option<String>,
    pub cache_control: Option<String>,
}

impl CacheInfo {
    pub fn of(response: &HttpResponse) -> Self {
        let cache_control = response.header_joined("cache-control");
        let mut info = CacheInfo {
            etag: response.header("etag").map(str::to_owned),
            cache_control: cache_control.clone(),
            ..CacheInfo::default()
        };
        let mut max_age = None;
        for directive in cache_control.iter().flat_map(|value| value.split(',')) {
            let directive = directive.trim();
            let (name, value) = match directive.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
                None => (directive, None),
            };
            let name = name.to_ascii_lowercase();
            match (name.as_str(), value) {
                ("no-cache" | "no-store", _) => {
                    info.forbidden_by.push(format!("Cache-Control: {name}"));
                }
                ("max-age", Some(value)) => {
                    let seconds = value.parse::<u64>().ok();
                    if seconds == Some(0) {
                        info.forbidden_by
                            .push("Cache-Control: max-age=0".to_owned());
                    }
                    max_age = max_age.or(seconds);
                }
                _ => {}
            }
        }
        if response
            .header_joined("pragma")
            .is_some_and(|value| value.to_ascii_lowercase().contains("no-cache"))
        {
            info.forbidden_by.push("Pragma: no-cache".to_owned());
        }
        let age = response
            .header("age")
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(0);
        info.lifetime = match max_age {
            Some(max_age) => Some(Duration::from_secs(max_age.saturating_sub(age))),
            None => expires_minus_date(response),
        };
        if !info.forbidden_by.is_empty() {
            info.lifetime = Some(Duration::ZERO);
        }
        info
    }

    pub fn cacheable(&self) -> bool {
        self.forbidden_by.is_empty()
    }
}

/// `Expires` minus `Date` (HTTP dates); an `Expires` that is not a date
/// means "already expired" (RFC 9111 §5.3).
fn expires_minus_date(response: &HttpResponse) -> Option<Duration> {
    let expires = response.header("expires")?;
    let Some(expires) = http_date(expires) else {
        return Some(Duration::ZERO);
    };
    let date = http_date(response.header("date")?)?;
    let seconds = expires.as_second().saturating_sub(date.as_second());
    Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

fn http_date(value: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::parse(value.trim())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// Why `jwks_uri` cannot be fetched the way STS fetches it, if it cannot.
pub fn jwks_uri_problem(jwks_uri: &str) -> Option<String> {
    match url::Url::parse(jwks_uri) {
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Some("is relative; STS needs an absolute URL".to_owned())
        }
        Err(error) => Some(format!("is not a URL ({error})")),
        Ok(url) if url.scheme() != "https" => Some(format!(
            "uses `{}`; STS fetches keys over https only",
            url.scheme()
        )),
        Ok(url) if !url.has_host() => Some("has no host".to_owned()),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..HttpResponse::default()
        }
    }

    #[test]
    fn each_header_that_forbids_caching_is_named() {
        let info = CacheInfo::of(&response(&[
            ("cache-control", "no-cache, no-store, max-age=0"),
            ("pragma", "no-cache"),
        ]));
        assert_eq!(
            info.forbidden_by,
            [
                "Cache-Control: no-cache",
                "Cache-Control: no-store",
                "Cache-Control: max-age=0",
                "Pragma: no-cache"
            ]
        );
        assert_eq!(info.lifetime, Some(Duration::ZERO));
        assert!(!info.cacheable());
    }

    #[test]
    fn lifetime_is_max_age_minus_age() {
        let info = CacheInfo::of(&response(&[
            ("Cache-Control", "public, MAX-AGE=3600"),
            ("age", "600"),
            ("etag", "\"v1\""),
        ]));
        assert!(info.cacheable());
        assert_eq!(info.lifetime, Some(Duration::from_mins(50)));
        assert_eq!(info.etag.as_deref(), Some("\"v1\""));
    }

    #[test]
    fn without_max_age_expires_minus_date_counts() {
        let info = CacheInfo::of(&response(&[
            ("date", "Sun, 01 Nov 2026 08:00:00 GMT"),
            ("expires", "Sun, 01 Nov 2026 09:00:00 GMT"),
        ]));
        assert_eq!(info.lifetime, Some(Duration::from_hours(1)));
        let unknown = CacheInfo::of(&response(&[("expires", "0")]));
        assert_eq!(unknown.lifetime, Some(Duration::ZERO));
        assert_eq!(CacheInfo::of(&response(&[])).lifetime, None);
    }

    #[test]
    fn discovery_members_are_read_only_when_they_have_the_right_type() {
        let value = serde_json::json!({
            "issuer": "https://example.com",
            "jwks_uri": 7,
            "id_token_signing_alg_values_supported": ["RS256", 1, "PS256"]
        });
        let document = DiscoveryDocument::from_value(&value).unwrap();
        assert_eq!(document.issuer.as_deref(), Some("https://example.com"));
        assert_eq!(document.jwks_uri, None);
        assert_eq!(document.signing_algs.unwrap(), ["RS256", "PS256"]);
        assert_eq!(DiscoveryDocument::from_value(&serde_json::json!([1])), None);
    }
}
