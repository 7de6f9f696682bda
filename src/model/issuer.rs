//! What probing an issuer gathers: fetches with their timings, the TLS
//! handshakes, the samples and the burst. Filled in by `net`, judged by
//! `rules::issuer`.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// Responses are read up to this many bytes and no further (IS020).
pub const BODY_CAP: usize = 1024 * 1024;

/// A TLS handshake of our own: DNS, TCP connect and handshake times, and the
/// certificates the server sent, in the order it sent them.
#[derive(Debug, Clone, Default)]
pub struct HandshakeProbe {
    pub host: String,
    pub port: u16,
    pub address: Option<IpAddr>,
    /// Every address the host's name resolved to.
    pub addresses: Vec<IpAddr>,
    pub dns: Option<Duration>,
    pub connect: Option<Duration>,
    pub tls: Option<Duration>,
    /// DER certificates, leaf first as served.
    pub chain: Vec<Vec<u8>>,
    pub error: Option<String>,
}

impl HandshakeProbe {
    #[must_use]
    pub fn failed(mut self, error: String) -> Self {
        self.error = Some(error);
        self
    }
}

/// Where an address is, seen from the internet: `None` for a public
/// address, else the kind of network only it belongs to.
pub fn non_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private, RFC 1918")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared address space, RFC 6598")
            } else if v4.is_unspecified() {
                Some("unspecified")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if first & 0xfe00 == 0xfc00 {
                Some("unique local, fc00::/7")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else {
                None
            }
        }
    }
}

/// Why a fetch got no HTTP answer (a non-2xx status is an answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    Dns(String),
    Connect(String),
    Tls(String),
    Timeout(Duration),
    /// A redirect that was not followed: to a non-https URL, or one hop too many.
    Redirect(String),
    /// The URL itself cannot be fetched (not http or https, no host).
    Url(String),
    Other(String),
    /// The request never left this machine's side (its DNS resolver, its
    /// routes, its proxy): it says nothing about the issuer. `why` names
    /// the cause; `failure` is what the fetch met.
    FromHere {
        failure: Box<FetchFailure>,
        why: String,
    },
    /// The issuer's name did not resolve while this machine resolves
    /// `control` (the STS endpoint's host): the name is the problem.
    NameUnresolved {
        detail: String,
        control: String,
    },
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchFailure::Dns(detail) => write!(f, "DNS lookup failed ({detail})"),
            FetchFailure::Connect(detail) => write!(f, "connection failed ({detail})"),
            FetchFailure::Tls(detail) => write!(f, "TLS failed ({detail})"),
            FetchFailure::Timeout(limit) => {
                write!(f, "no complete answer within {}", seconds(*limit))
            }
            FetchFailure::Redirect(detail) => write!(f, "redirect not followed: {detail}"),
            FetchFailure::Url(detail) => write!(f, "cannot fetch: {detail}"),
            FetchFailure::Other(detail) => f.write_str(detail),
            FetchFailure::FromHere { why, .. } => {
                write!(f, "failed on this machine's side: {why}")
            }
            FetchFailure::NameUnresolved { detail, control } => write!(
                f,
                "DNS lookup failed ({detail}): the issuer's name does not resolve while this machine resolves {control}"
            ),
        }
    }
}

impl FetchFailure {
    /// A short name for tables: `dns`, `connect`, `tls`, `timeout`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            FetchFailure::Dns(_) | FetchFailure::NameUnresolved { .. } => "dns",
            FetchFailure::Connect(_) => "connect",
            FetchFailure::Tls(_) => "tls",
            FetchFailure::Timeout(_) => "timeout",
            FetchFailure::Redirect(_) => "redirect",
            FetchFailure::Url(_) => "url",
            FetchFailure::Other(_) => "error",
            FetchFailure::FromHere { failure, .. } => failure.kind(),
        }
    }

    /// Why the fetch failed on this machine's side, when it did.
    pub fn from_here(&self) -> Option<&str> {
        match self {
            FetchFailure::FromHere { why, .. } => Some(why),
            _ => None,
        }
    }
}

/// What the text of a failed name lookup says (getaddrinfo's words on
/// glibc, musl, macOS and Windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsAnswer {
    /// The resolver answered that the name does not exist (or has no
    /// address): the name, or a resolver that knows no public name.
    NoSuchName,
    /// The resolver gave no answer (`EAI_AGAIN`, `EAI_FAIL`, a timeout):
    /// no reachable name server, or the name's own servers failing.
    Unanswered,
    /// Words not recognised.
    Unknown,
}

impl DnsAnswer {
    pub fn of(detail: &str) -> DnsAnswer {
        let text = detail.to_ascii_lowercase();
        let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
        if any(&[
            "name or service not known",
            "no address associated with hostname",
            "nodename nor servname",
            "name does not resolve",
            "no such host is known",
            "requested name is valid, but no data",
        ]) {
            DnsAnswer::NoSuchName
        } else if any(&[
            "temporary failure in name resolution",
            "try again",
            "non-recoverable failure in name resolution",
            "non-recoverable error",
            "temporary error during hostname resolution",
            "timed out",
        ]) {
            DnsAnswer::Unanswered
        } else {
            DnsAnswer::Unknown
        }
    }
}

/// A connection refused by this machine's own network: no route
/// (`ENETUNREACH`, `EHOSTUNREACH`), whatever the issuer does.
pub fn no_route(detail: &str) -> bool {
    let text = detail.to_ascii_lowercase();
    [
        "network is unreachable",
        "no route to host",
        "unreachable network",
        "unreachable host",
        "os error 101)",
        "os error 113)",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// `1.5 s`, `250 ms`: durations as people read them.
pub fn seconds(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// One redirect answered on the way to the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub from: String,
    pub status: u16,
    /// The `Location` header as sent.
    pub location: String,
}

/// An HTTP answer: status, the headers that matter here, the body up to the cap.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap; `body` holds the first part only.
    pub truncated: bool,
}

impl HttpResponse {
    /// The first value of a header (names compared ignoring case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a header, joined the way HTTP allows (`, `).
    pub fn header_joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One document fetched: the redirects on the way, the answer or why there
/// was none, and how long it took.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// The URL asked for first.
    pub url: String,
    pub redirects: Vec<Redirect>,
    pub result: Result<HttpResponse, FetchFailure>,
    /// From sending the first request to the final answer's headers
    /// (including connection set-up, as every fetch uses a new connection).
    pub first_byte: Option<Duration>,
    /// From sending the first request to the end of the body (or the failure).
    pub total: Duration,
}

impl Fetch {
    /// A 2xx answer whose body was read completely.
    pub fn succeeded(&self) -> bool {
        self.result.as_ref().is_ok_and(HttpResponse::is_success)
    }

    /// The answer, whatever its status.
    pub fn response(&self) -> Option<&HttpResponse> {
        self.result.as_ref().ok()
    }

    /// Why this fetch did not produce a usable document, in a few words.
    pub fn problem(&self) -> Option<String> {
        match &self.result {
            Err(failure) => Some(failure.to_string()),
            Ok(response) if !response.is_success() => Some(format!("HTTP {}", response.status)),
            Ok(_) => None,
        }
    }
}

/// Which of the two documents STS fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    Discovery,
    Jwks,
}

impl Document {
    pub fn as_str(self) -> &'static str {
        match self {
            Document::Discovery => "discovery",
            Document::Jwks => "jwks",
        }
    }

    /// How the document is named in messages.
    pub fn title(self) -> &'static str {
        match self {
            Document::Discovery => "the discovery document",
            Document::Jwks => "the JWKS",
        }
    }
}

/// One walk of the chain STS makes: discovery, then the JWKS it names, each
/// on a new connection, with a handshake probe beside each for the
/// DNS/connect/TLS phases.
#[derive(Debug, Clone)]
pub struct Sample {
    /// 1-based.
    pub index: usize,
    /// When the sample started, from the start of the run.
    pub offset: Duration,
    pub discovery: Fetch,
    pub discovery_probe: Option<HandshakeProbe>,
    /// `None` when discovery gave no usable `jwks_uri`.
    pub jwks: Option<Fetch>,
    pub jwks_probe: Option<HandshakeProbe>,
}

impl Sample {
    /// Both documents fetched with a 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.discovery.succeeded() && self.jwks.as_ref().is_some_and(Fetch::succeeded)
    }

    /// A fetch of this sample failed on this machine's side: the sample
    /// says nothing about the issuer.
    pub fn failed_from_here(&self) -> bool {
        std::iter::once(&self.discovery)
            .chain(self.jwks.as_ref())
            .any(|f| {
                f.result
                    .as_ref()
                    .err()
                    .and_then(FetchFailure::from_here)
                    .is_some()
            })
    }

    /// Discovery plus JWKS: the time STS spends before it can check a signature.
    pub fn chain_time(&self) -> Duration {
        self.discovery.total + self.jwks.as_ref().map_or(Duration::ZERO, |jwks| jwks.total)
    }

    /// Why this sample failed, if it did.
    pub fn problem(&self) -> Option<String> {
        if let Some(problem) = self.discovery.problem() {
            return Some(format!("discovery: {problem}"));
        }
        match &self.jwks {
            None => Some("no usable jwks_uri".to_owned()),
            Some(jwks) => jwks.problem().map(|problem| format!("JWKS: {problem}")),
        }
    }

    pub fn fetch(&self, document: Document) -> Option<&Fetch> {
        match document {
            Document::Discovery => Some(&self.discovery),
            Document::Jwks => self.jwks.as_ref(),
        }
    }
}

/// The opt-in burst: K parallel JWKS requests at once.
#[derive(Debug, Clone, Default)]
pub struct Burst {
    pub url: String,
    pub fetches: Vec<Fetch>,
    pub duration: Duration,
}

impl Burst {
    pub fn succeeded(&self) -> usize {
        self.fetches.iter().filter(|f| f.succeeded()).count()
    }

    /// Answers with status 429.
    pub fn throttled(&self) -> usize {
        self.fetches
            .iter()
            .filter(|f| f.response().is_some_and(|r| r.status == 429))
            .count()
    }
}

/// Min, median and max of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    pub min: Duration,
    pub median: Duration,
    pub max: Duration,
}

impl Spread {
    /// `None` for an empty series. The median of an even count is the mean of
    /// the middle two.
    pub fn of(values: impl IntoIterator<Item = Duration>) -> Option<Spread> {
        let mut values: Vec<Duration> = values.into_iter().collect();
        values.sort_unstable();
        let (first, last) = (values.first()?, values.last()?);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 {
            values[middle]
        } else {
            (values[middle - 1] + values[middle]) / 2
        };
        Some(Spread {
            min: *first,
            median,
            max: *last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn spread_takes_the_middle_value_or_the_mean_of_the_middle_two() {
        let odd = Spread::of(ms(&[300, 100, 200])).unwrap();
        assert_eq!(odd.min, Duration::from_millis(100));
        assert_eq!(odd.median, Duration::from_millis(200));
        assert_eq!(odd.max, Duration::from_millis(300));
        let even = Spread::of(ms(&[400, 100, 200, 300])).unwrap();
        assert_eq!(even.median, Duration::from_millis(250));
        assert_eq!(Spread::of(Vec::new()), None);
    }

    #[test]
    fn lookup_failures_are_told_apart_by_their_words() {
        for text in [
            "failed to lookup address information: Name or service not known",
            "failed to lookup address information: No address associated with hostname",
            "failed to lookup address information: nodename nor servname provided, or not known",
            "failed to lookup address information: Name does not resolve",
            "No such host is known. (os error 11001)",
        ] {
            assert_eq!(DnsAnswer::of(text), DnsAnswer::NoSuchName, "{text}");
        }
        for text in [
            "failed to lookup address information: Temporary failure in name resolution",
            "failed to lookup address information: Try again",
            "failed to lookup address information: Non-recoverable failure in name resolution",
        ] {
            assert_eq!(DnsAnswer::of(text), DnsAnswer::Unanswered, "{text}");
        }
        assert_eq!(DnsAnswer::of("something else"), DnsAnswer::Unknown);
    }

    #[test]
    fn no_route_is_this_machines_network_and_a_refusal_is_not() {
        assert!(no_route(
            "tcp connect error: Network is unreachable (os error 101)"
        ));
        assert!(no_route(
            "tcp connect error: No route to host (os error 113)"
        ));
        assert!(!no_route(
            "tcp connect error: Connection refused (os error 111)"
        ));
        assert!(!no_route(
            "tcp connect error: Connection reset by peer (os error 104)"
        ));
    }

    #[test]
    fn a_failure_from_here_keeps_the_kind_of_what_it_wraps() {
        let failure = FetchFailure::FromHere {
            failure: Box::new(FetchFailure::Dns("x".to_owned())),
            why: "no resolver".to_owned(),
        };
        assert_eq!(failure.kind(), "dns");
        assert_eq!(failure.from_here(), Some("no resolver"));
        assert_eq!(FetchFailure::Dns("x".to_owned()).from_here(), None);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(seconds(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn headers_are_found_ignoring_case_and_repeated_ones_joined() {
        let response = HttpResponse {
            status: 200,
            headers: vec![
                ("cache-control".into(), "public".into()),
                ("Cache-Control".into(), "max-age=60".into()),
            ],
            ..HttpResponse::default()
        };
        assert_eq!(response.header("CACHE-CONTROL"), Some("public"));
        assert_eq!(
            response.header_joined("cache-control").as_deref(),
            Some("public, max-age=60")
        );
    }
}
