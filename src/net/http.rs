//! The one HTTP client: rustls with the system's roots plus `--ca-bundle`, a
//! timeout per request, no automatic redirects (each is recorded and at most
//! [`MAX_REDIRECTS`] are followed, https only), bodies read up to
//! [`BODY_CAP`], a `User-Agent` that names the tool, and a new connection
//! for every fetch so that each one pays what STS pays.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, LOCATION, USER_AGENT};
use url::Url;

use crate::error::Error;
use crate::model::issuer::{Fetch, FetchFailure, HttpResponse, Redirect};
use crate::net::{BODY_CAP, MAX_REDIRECTS, NetOptions, read_ca_bundle, tls};

/// `oidc-doctor/0.1.0 (+https://github.com/oidc-doctor/oidc-doctor)`.
pub const USER_AGENT_VALUE: &str = concat!(
    env!("CARGO_PKG_NAME"),
    "/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// The response headers kept: what the rules and the report read.
const KEPT_HEADERS: [&str; 9] = [
    "cache-control",
    "pragma",
    "expires",
    "age",
    "etag",
    "date",
    "retry-after",
    "content-type",
    "last-modified",
];

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpClient {
    /// Builds the client, and with it pays the one-time costs of TLS before
    /// any clock starts: the system's roots are read here, and the random
    /// generator is seeded on another thread meanwhile. Left to the first
    /// handshake, that seeding (tens of milliseconds in AWS-LC with CPU
    /// jitter entropy) would be measured as the issuer's TLS time.
    pub fn new(options: &NetOptions) -> Result<Self, Error> {
        let seeding = std::thread::spawn(|| {
            // A failure here would recur, and be reported, at the handshake.
            let _ = aws_lc_rs::rand::fill(&mut [0_u8; 16]);
        });
        let client = Self::build(options);
        // The seeding thread only fills a buffer; a panic there is not ours to report.
        let _ = seeding.join();
        client
    }

    fn build(options: &NetOptions) -> Result<Self, Error> {
        let extra_roots = match &options.ca_bundle {
            Some(path) => read_ca_bundle(path)?,
            None => Vec::new(),
        };
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls::client_config(&extra_roots)?)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .pool_max_idle_per_host(0)
            .dns_resolver(Arc::new(super::dns::Resolver))
            .default_headers(
                std::iter::once((USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE))).collect(),
            )
            .build()
            .map_err(|error| Error::Usage {
                message: format!("cannot set up the HTTP client: {error}"),
                help: "check --ca-bundle and the proxy variables (HTTPS_PROXY, NO_PROXY)"
                    .to_owned(),
            })?;
        Ok(HttpClient {
            client,
            timeout: options.timeout,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// GETs `url`, following at most [`MAX_REDIRECTS`] https redirects.
    /// Never fails: what went wrong is in the returned [`Fetch`].
    pub async fn fetch(&self, url: &str) -> Fetch {
        self.fetch_authorized(url, None).await
    }

    /// As [`HttpClient::fetch`], with `Authorization: Bearer <token>` (the
    /// GitHub Actions token request). The token is never recorded.
    pub async fn fetch_with_bearer(&self, url: &str, token: &crate::model::aws::Secret) -> Fetch {
        self.fetch_authorized(url, Some(token)).await
    }

    async fn fetch_authorized(
        &self,
        url: &str,
        bearer: Option<&crate::model::aws::Secret>,
    ) -> Fetch {
        let started = Instant::now();
        let mut fetch = Fetch {
            url: url.to_owned(),
            redirects: Vec::new(),
            result: Err(FetchFailure::Other("not fetched".to_owned())),
            first_byte: None,
            total: Duration::ZERO,
        };
        let mut current = match Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "https" | "http") && parsed.has_host() => {
                parsed
            }
            Ok(parsed) => {
                fetch.result = Err(FetchFailure::Url(format!(
                    "`{url}` is not an http(s) URL with a host (scheme `{}`)",
                    parsed.scheme()
                )));
                return fetch;
            }
            Err(error) => {
                fetch.result = Err(FetchFailure::Url(format!("`{url}` is not a URL: {error}")));
                return fetch;
            }
        };
        loop {
            let mut request = self.client.get(current.clone());
            // Never to a redirect's target: it may be another host.
            if let Some(token) = bearer.filter(|_| fetch.redirects.is_empty()) {
                request = request.bearer_auth(token.expose());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    fetch.result = Err(self.classify(&error));
                    break;
                }
            };
            fetch.first_byte = Some(started.elapsed());
            let status = response.status().as_u16();
            if response.status().is_redirection() {
                match Self::redirect(&mut fetch, &current, status, &response) {
                    Hop::Follow(next) => {
                        current = next;
                        continue;
                    }
                    Hop::Refuse(failure) => {
                        fetch.result = Err(failure);
                        break;
                    }
                    // No usable `Location`: the 3xx itself is the answer.
                    Hop::Answer => {}
                }
            }
            fetch.result = read_capped(response)
                .await
                .map_err(|error| self.classify(&error));
            break;
        }
        fetch.total = started.elapsed();
        fetch
    }

    /// Records a redirect and decides whether to follow it.
    fn redirect(
        fetch: &mut Fetch,
        current: &Url,
        status: u16,
        response: &reqwest::Response,
    ) -> Hop {
        let Some(location) = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
        else {
            return Hop::Answer;
        };
        fetch.redirects.push(Redirect {
            from: current.to_string(),
            status,
            location: location.to_owned(),
        });
        let next = match current.join(location) {
            Ok(next) => next,
            Err(error) => {
                return Hop::Refuse(FetchFailure::Redirect(format!(
                    "`{location}` is not a URL ({error})"
                )));
            }
        };
        if next.scheme() != "https" {
            return Hop::Refuse(FetchFailure::Redirect(format!(
                "{status} to `{next}`, which is not https"
            )));
        }
        if fetch.redirects.len() > MAX_REDIRECTS {
            return Hop::Refuse(FetchFailure::Redirect(format!(
                "more than {MAX_REDIRECTS} redirects (the last to `{next}`)"
            )));
        }
        Hop::Follow(next)
    }

    fn classify(&self, error: &reqwest::Error) -> FetchFailure {
        if error.is_timeout() {
            return FetchFailure::Timeout(self.timeout);
        }
        // Walk the causes: the innermost says what really happened.
        let mut causes = Vec::new();
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(tls) = find_tls_error(cause) {
                return FetchFailure::Tls(tls);
            }
            causes.push(cause.to_string());
            source = cause.source();
        }
        let detail = causes.last().cloned().unwrap_or_else(|| error.to_string());
        let chain = causes.join(": ").to_ascii_lowercase();
        if chain.contains("dns error") || chain.contains("failed to lookup address") {
            FetchFailure::Dns(detail)
        } else if error.is_connect() {
            FetchFailure::Connect(detail)
        } else {
            FetchFailure::Other(detail)
        }
    }
}

/// What to do with a redirect.
enum Hop {
    Follow(Url),
    Refuse(FetchFailure),
    Answer,
}

/// A rustls error in `cause` or wrapped inside it, in words. I/O errors
/// wrap others without reporting them as their `source`, so each layer is
/// opened by hand (a few at most).
fn find_tls_error(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = cause;
    for _ in 0..8 {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        let inner = current.downcast_ref::<std::io::Error>()?.get_ref()?;
        current = inner;
    }
    None
}

fn kept_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Reads the body up to [`BODY_CAP`] bytes and stops there.
async fn read_capped(mut response: reqwest::Response) -> Result<HttpResponse, reqwest::Error> {
    let mut answer = HttpResponse {
        status: response.status().as_u16(),
        headers: kept_headers(&response),
        ..HttpResponse::default()
    };
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_CAP - answer.body.len();
        if chunk.len() > room {
            answer.body.extend_from_slice(&chunk[..room]);
            answer.truncated = true;
            break;
        }
        answer.body.extend_from_slice(&chunk);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_the_tool_and_its_version() {
        assert!(
            USER_AGENT_VALUE.starts_with(&format!("oidc-doctor/{}", env!("CARGO_PKG_VERSION")))
        );
    }
}
