//! The one HTTP client: rustls with the system's roots plus `--ca-bundle`, a
//! timeout per request, no automatic redirects (each is recorded and at most
//! [`MAX_REDIRECTS`] are followed, https only), bodies read up to
//! [`BODY_CAP`], a `User-Agent` that names the tool, and a new connection
//! for every fetch so that each one pays what STS pays.

use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
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
            .dns_resolver(Arc::new(Resolver))
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

/// How a name lookup of a `.invalid` host fails: without asking anyone.
pub const INVALID_TLD: &str =
    "Name or service not known (`.invalid` names never resolve, RFC 6761; not looked up)";

/// Whether `host` is under the special-use TLD `.invalid` (RFC 6761 §6.4:
/// name resolution APIs should answer it negatively at once).
pub fn is_invalid_tld(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

/// Resolves `host` the way every fetch and handshake here does: the
/// system's resolver, except for `.invalid` names, which fail at once.
pub async fn lookup(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    if is_invalid_tld(host) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("failed to lookup address information: {INVALID_TLD}"),
        ));
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// The client's resolver: [`lookup`].
#[derive(Debug)]
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = lookup(&host, 0).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `host` resolves from this machine, within `limit`: `Ok` with
/// no lookup for an IP literal, else the lookup's error in words.
pub async fn resolves(host: &str, limit: Duration) -> Result<(), String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    match tokio::time::timeout(limit, lookup(bare, 443)).await {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(()),
        Ok(Ok(_)) => Err("the lookup returned no address".to_owned()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "no answer within {}",
            crate::model::issuer::seconds(limit)
        )),
    }
}

/// A proxy the client sends a request through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `host:port`: never the credentials a proxy URL may carry.
    pub address: String,
    /// The variable that named it.
    pub variable: &'static str,
    /// The client speaks TLS to the proxy itself (an `https://` proxy).
    pub tls: bool,
}

/// The proxy reqwest uses for `url`, read from the environment with the
/// rules of its matcher (hyper-util's): nothing in a CGI process
/// (`REQUEST_METHOD` set); `HTTPS_PROXY`/`https_proxy` for https and
/// `HTTP_PROXY`/`http_proxy` for http URLs, else `ALL_PROXY`/`all_proxy`
/// (the first of each pair that is set wins, even empty); hosts matched by
/// `NO_PROXY`/`no_proxy` go direct. Loopback is not exempt by itself.
pub fn proxy_for(url: &Url) -> Option<Proxy> {
    proxy_with(url, &|name| std::env::var(name).ok())
}

fn proxy_with(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<Proxy> {
    if env("REQUEST_METHOD").is_some() {
        return None;
    }
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|name| env(name).map(|value| (name, value)))
    };
    let no_proxy = first(["NO_PROXY", "no_proxy"]).map(|(_, v)| v);
    let host = url.host_str()?;
    if no_proxy.is_some_and(|list| no_proxy_matches(&list, host)) {
        return None;
    }
    let own = match url.scheme() {
        "https" => first(["HTTPS_PROXY", "https_proxy"]),
        "http" => first(["HTTP_PROXY", "http_proxy"]),
        _ => return None,
    };
    own.and_then(|(name, value)| parse_proxy(name, &value))
        .or_else(|| {
            first(["ALL_PROXY", "all_proxy"]).and_then(|(name, value)| parse_proxy(name, &value))
        })
}

/// A proxy variable's value as the matcher reads it: a URL (`http` when no
/// scheme is given) with a host; schemes it cannot use are ignored.
fn parse_proxy(variable: &'static str, value: &str) -> Option<Proxy> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let parsed = if value.contains("://") {
        Url::parse(value).ok()?
    } else {
        Url::parse(&format!("http://{value}")).ok()?
    };
    let (tls, default_port) = match parsed.scheme() {
        "http" => (false, 80),
        "https" => (true, 443),
        "socks4" | "socks4a" | "socks5" | "socks5h" => (false, 1080),
        _ => return None,
    };
    let host = parsed.host_str()?;
    Some(Proxy {
        address: format!("{host}:{}", parsed.port().unwrap_or(default_port)),
        variable,
        tls,
    })
}

/// Whether a `NO_PROXY` list exempts `host`: `*`, an IP address or
/// network (`10.0.0.0/8`), or a domain matching itself and its subdomains
/// (a leading `.` changes nothing).
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = host.parse::<IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        if let Some(network) = parse_network(entry) {
            return address.is_some_and(|a| in_network(a, network));
        }
        if address.is_some() {
            return false;
        }
        let domain = entry.strip_prefix('.').unwrap_or(entry);
        host.eq_ignore_ascii_case(domain)
            || host.len() > domain.len()
                && host
                    .get(host.len() - domain.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
    })
}

fn parse_network(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = entry.split_once('/').unwrap_or((entry, ""));
    let address: IpAddr = address.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = if prefix.is_empty() {
        max
    } else {
        prefix.parse().ok()?
    };
    (prefix <= max).then_some((address, prefix))
}

fn in_network(address: IpAddr, (network, prefix): (IpAddr, u8)) -> bool {
    let (a, n, bits) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    let shift = bits - u32::from(prefix);
    shift >= bits || a >> shift == n >> shift
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

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn proxy(url: &str, pairs: &[(&str, &str)]) -> Option<String> {
        proxy_with(&Url::parse(url).unwrap(), &env(pairs)).map(|p| p.address)
    }

    #[test]
    fn the_proxy_is_named_by_host_and_port_never_with_its_credentials() {
        let found = proxy(
            "https://issuer.example",
            &[("HTTPS_PROXY", "http://user:secret@proxy.corp:3128")],
        );
        assert_eq!(found.as_deref(), Some("proxy.corp:3128"));
        assert_eq!(
            proxy("https://issuer.example", &[("https_proxy", "proxy.corp")]).as_deref(),
            Some("proxy.corp:80")
        );
        assert_eq!(
            proxy("https://issuer.example", &[("ALL_PROXY", "socks5h://s:1")]).as_deref(),
            Some("s:1")
        );
        assert_eq!(
            proxy("http://issuer.example", &[("HTTPS_PROXY", "http://p:1")]),
            None
        );
        assert_eq!(
            proxy("https://issuer.example", &[("HTTPS_PROXY", "ftp://p:1")]),
            None
        );
        assert_eq!(
            proxy(
                "https://issuer.example",
                &[("HTTPS_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]
            ),
            None
        );
    }

    #[test]
    fn no_proxy_exempts_domains_addresses_and_networks_but_not_loopback_by_itself() {
        let with = |no: &str, url: &str| proxy(url, &[("HTTPS_PROXY", "p:1"), ("NO_PROXY", no)]);
        assert_eq!(with("", "https://127.0.0.1:8443").as_deref(), Some("p:1"));
        assert_eq!(
            with("localhost", "https://127.0.0.1:8443").as_deref(),
            Some("p:1")
        );
        assert_eq!(with("127.0.0.1", "https://127.0.0.1:8443"), None);
        assert_eq!(with("127.0.0.0/8", "https://127.0.0.1:8443"), None);
        assert_eq!(with("::1", "https://[::1]:8443"), None);
        assert_eq!(with("example.com", "https://a.example.com"), None);
        assert_eq!(with(".example.com", "https://example.com"), None);
        assert_eq!(
            with("example.com", "https://notexample.com").as_deref(),
            Some("p:1")
        );
        assert_eq!(with("*", "https://anything"), None);
    }

    #[test]
    fn invalid_names_fail_without_a_lookup() {
        assert!(is_invalid_tld("issuer.invalid"));
        assert!(is_invalid_tld("A.INVALID."));
        assert!(!is_invalid_tld("invalid.example"));
        let runtime = crate::net::runtime().unwrap();
        let error = runtime.block_on(lookup("issuer.invalid", 443)).unwrap_err();
        assert!(error.to_string().contains("Name or service not known"));
        assert!(
            runtime
                .block_on(resolves("127.0.0.1", Duration::from_secs(1)))
                .is_ok()
        );
        assert!(
            runtime
                .block_on(resolves("sts.invalid", Duration::from_secs(1)))
                .is_err()
        );
    }

    #[test]
    fn the_user_agent_names_the_tool_and_its_version() {
        assert!(
            USER_AGENT_VALUE.starts_with(&format!("oidc-doctor/{}", env!("CARGO_PKG_VERSION")))
        );
    }
}
