//! An in-process HTTPS OIDC issuer for the network tests: a test CA from
//! rcgen, rustls, hyper HTTP/1.1, and a [`Behaviour`] that makes it slow,
//! flaky, rate-limited, uncacheable, redirecting or mis-chained.
//!
//! [`TestIssuer::start`] binds 127.0.0.1 on a free port and serves from a
//! background thread with its own current-thread tokio runtime; dropping the
//! `TestIssuer` stops that runtime and joins the thread.

// Each test binary (and the example) uses a different part of this module.
#![allow(dead_code, reason = "not every user calls every helper")]

use std::cell::Cell;
use std::convert::Infallible;
use std::net::{Ipv4Addr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const DAY: Duration = Duration::from_hours(24);

/// A running issuer. Dropping it stops the server and joins its thread.
pub struct TestIssuer {
    port: u16,
    url: String,
    ca_bundle: PathBuf,
    certs: Chain,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    // Holds the CA bundle; removed when the issuer is dropped.
    _dir: tempfile::TempDir,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    pub user_agent: Option<String>,
    /// An `Authorization` header came with it.
    pub authorized: bool,
    pub at: Instant,
}

/// The certificate chain the server sends, in this order.
#[derive(Debug, Clone)]
pub enum ChainLayout {
    /// leaf, intermediate (the normal, correct chain)
    Normal,
    /// leaf, intermediate, root (also correct: sending the root is allowed)
    WithRoot,
    /// intermediate, leaf (wrong order)
    WrongOrder,
    /// leaf, intermediate, plus an unrelated self-signed CA certificate
    Extra,
    /// leaf, intermediate, intermediate (duplicate)
    Duplicate,
    /// leaf only (intermediate not served)
    LeafOnly,
}

/// How the issuer misbehaves. `Behaviour::default()` is a healthy issuer.
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, one per misbehaviour"
)]
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Prefix of every path: "/tenant" gives issuer `https://127.0.0.1:PORT/tenant`.
    pub path_prefix: String,
    /// Sleep before answering a document (or a 404); 429, 503 and 302 answer at once.
    pub delay: Duration,
    /// Extra sleep before the JWKS only.
    pub jwks_delay: Duration,
    /// The 2nd, 4th, ... request for each path gets 503 (counted per path, so
    /// that concurrent samples fail and succeed in a predictable mix).
    pub fail_every_other: bool,
    /// More than this many requests in flight (counting the arriving one): 429, `Retry-After: 1`.
    pub max_in_flight: Option<usize>,
    pub jwks_cache_control: Option<String>,
    pub discovery_cache_control: Option<String>,
    pub jwks_pragma_no_cache: bool,
    /// Extra headers on both documents; a name set here replaces the default header of that name.
    pub extra_headers: Vec<(String, String)>,
    /// The discovery `issuer` value; None is the issuer URL.
    pub discovery_issuer: Option<String>,
    /// The discovery `jwks_uri`; "{base}" becomes "127.0.0.1:PORT". None is [`TestIssuer::jwks_url`].
    pub jwks_uri: Option<String>,
    /// `id_token_signing_alg_values_supported`; None omits the member.
    pub signing_algs: Option<Vec<String>>,
    /// Raw discovery body instead of the generated document.
    pub discovery_body: Option<String>,
    /// Raw JWKS body instead of fixtures/keys/test-jwks.json.
    pub jwks_body: Option<String>,
    /// A valid 2 MiB JWKS (the fixture keys plus a long "padding" string).
    pub oversize_jwks: bool,
    /// Discovery redirects through /hop/1/.well-known/..., /hop/2/..., before the document.
    pub discovery_redirects: usize,
    /// The JWKS answers 302 to the same URL on plain http.
    pub jwks_redirect_to_http: bool,
    pub chain: ChainLayout,
    /// Leaf validity end from now; None is one year.
    pub leaf_expires_in: Option<Duration>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            path_prefix: String::new(),
            delay: Duration::ZERO,
            jwks_delay: Duration::ZERO,
            fail_every_other: false,
            max_in_flight: None,
            jwks_cache_control: Some("public, max-age=3600".to_owned()),
            discovery_cache_control: Some("public, max-age=3600".to_owned()),
            jwks_pragma_no_cache: false,
            extra_headers: Vec::new(),
            discovery_issuer: None,
            jwks_uri: None,
            signing_algs: Some(vec!["RS256".to_owned(), "ES256".to_owned()]),
            discovery_body: None,
            jwks_body: None,
            oversize_jwks: false,
            discovery_redirects: 0,
            jwks_redirect_to_http: false,
            chain: ChainLayout::Normal,
            leaf_expires_in: None,
        }
    }
}

impl TestIssuer {
    /// Starts a server on 127.0.0.1 (an OS-chosen port) in a background thread.
    pub fn start(behaviour: Behaviour) -> TestIssuer {
        let std_listener =
            StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let prefix = normalised_prefix(&behaviour.path_prefix);
        let url = format!("https://127.0.0.1:{port}{prefix}");

        let certs = Chain::generate(&behaviour);
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_bundle = dir.path().join("test-root-ca.pem");
        std::fs::write(&ca_bundle, &certs.root_pem).expect("write CA bundle");

        let state = Arc::new(State::new(behaviour, port, prefix, &url));
        let acceptor = TlsAcceptor::from(Arc::new(certs.server_config(&state.behaviour.chain)));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).expect("tokio listener")
        };
        let (shutdown, stop) = oneshot::channel();
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("test-issuer-{port}"))
            .spawn(move || runtime.block_on(serve(listener, acceptor, served, stop)))
            .expect("spawn the issuer thread");
        TestIssuer {
            port,
            url,
            ca_bundle,
            certs,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.url)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A PEM file holding only the test root CA (for `--ca-bundle`).
    pub fn ca_bundle(&self) -> &Path {
        &self.ca_bundle
    }

    pub fn root_der(&self) -> Vec<u8> {
        self.certs.root.to_vec()
    }

    pub fn intermediate_der(&self) -> Vec<u8> {
        self.certs.intermediate.to_vec()
    }

    pub fn leaf_der(&self) -> Vec<u8> {
        self.certs.leaf.to_vec()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().expect("requests lock").clone()
    }

    /// Requests whose path is exactly `path` (query strings are not part of it).
    pub fn count(&self, path: &str) -> usize {
        let requests = self.state.requests.lock().expect("requests lock");
        requests.iter().filter(|r| r.path == path).count()
    }

    /// TLS connections whose handshake completed.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIssuer")
            .field("url", &self.url)
            .field("behaviour", &self.state.behaviour)
            .finish_non_exhaustive()
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Returning from block_on drops the runtime, which cancels every
        // connection task (sleeping ones included), so this join is quick.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// "" stays ""; "tenant/" becomes "/tenant".
fn normalised_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// What the connection tasks share with the `TestIssuer`.
struct State {
    behaviour: Behaviour,
    port: u16,
    prefix: String,
    discovery: Bytes,
    jwks: Bytes,
    requests: Mutex<Vec<RecordedRequest>>,
    in_flight: AtomicUsize,
    connections: AtomicUsize,
}

impl State {
    fn new(behaviour: Behaviour, port: u16, prefix: String, url: &str) -> Self {
        let discovery = match &behaviour.discovery_body {
            Some(raw) => raw.clone(),
            None => discovery_document(&behaviour, port, url),
        };
        let jwks = jwks_body(&behaviour);
        Self {
            behaviour,
            port,
            prefix,
            discovery: Bytes::from(discovery),
            jwks: Bytes::from(jwks),
            requests: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        }
    }
}

fn discovery_document(behaviour: &Behaviour, port: u16, url: &str) -> String {
    let jwks_uri = match &behaviour.jwks_uri {
        Some(uri) => uri.replace("{base}", &format!("127.0.0.1:{port}")),
        None => format!("{url}/jwks"),
    };
    let mut document = serde_json::json!({
        "issuer": behaviour.discovery_issuer.as_deref().unwrap_or(url),
        "jwks_uri": jwks_uri,
    });
    if let Some(algs) = &behaviour.signing_algs {
        document["id_token_signing_alg_values_supported"] = serde_json::json!(algs);
    }
    document["response_types_supported"] = serde_json::json!(["id_token"]);
    document["subject_types_supported"] = serde_json::json!(["public"]);
    document["claims_supported"] = serde_json::json!(["sub", "aud", "iss"]);
    document.to_string()
}

fn jwks_body(behaviour: &Behaviour) -> String {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys/test-jwks.json");
    let default = || std::fs::read_to_string(fixture).expect("fixtures/keys/test-jwks.json");
    if behaviour.oversize_jwks {
        let mut jwks: serde_json::Value = serde_json::from_str(&default()).expect("fixture JWKS");
        jwks["padding"] = serde_json::Value::String("A".repeat(2 * 1024 * 1024));
        return jwks.to_string();
    }
    behaviour.jwks_body.clone().unwrap_or_else(default)
}

/// Accepts until told to stop; each connection is its own task.
async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    tokio::spawn(connection(tcp, acceptor.clone(), Arc::clone(&state)));
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn connection(tcp: tokio::net::TcpStream, acceptor: TlsAcceptor, state: Arc<State>) {
    // As real web servers do: without it, Nagle's algorithm holds the answer
    // back until the client's delayed ACK of the TLS 1.3 session tickets
    // (40 ms on Linux), and the probe would measure the test server.
    let _ = tcp.set_nodelay(true);
    // A probe that hangs up mid-handshake is normal traffic here: no noise.
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    state.connections.fetch_add(1, Ordering::SeqCst);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let state = Arc::clone(&state);
        let path = request.uri().path().to_owned();
        let user_agent = request
            .headers()
            .get(USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let authorized = request.headers().contains_key(hyper::header::AUTHORIZATION);
        async move { Ok::<_, Infallible>(respond(&state, path, user_agent, authorized).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(tls), service)
        .await;
}

/// Decrements the in-flight count however the request ends.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The checks run in this order: record, in-flight limit, every-other
/// failure, redirects, delay, body.
async fn respond(
    state: &State,
    path: String,
    user_agent: Option<String>,
    authorized: bool,
) -> Response<Full<Bytes>> {
    let behaviour = &state.behaviour;
    let number = {
        let mut requests = state.requests.lock().expect("requests lock");
        requests.push(RecordedRequest {
            path: path.clone(),
            user_agent,
            authorized,
            at: Instant::now(),
        });
        requests.iter().filter(|r| r.path == path).count()
    };
    let in_flight = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = InFlight(&state.in_flight);
    if behaviour.max_in_flight.is_some_and(|max| in_flight > max) {
        let mut response = text(StatusCode::TOO_MANY_REQUESTS, "too many requests\n");
        let retry = HeaderValue::from_static("1");
        response.headers_mut().insert("retry-after", retry);
        return response;
    }
    if behaviour.fail_every_other && number % 2 == 0 {
        return text(StatusCode::SERVICE_UNAVAILABLE, "service unavailable\n");
    }

    // Outside the prefix nothing matches: "" falls through to the 404.
    let local = path.strip_prefix(state.prefix.as_str()).unwrap_or("");
    let base = format!("127.0.0.1:{}{}", state.port, state.prefix);
    if local == DISCOVERY && behaviour.discovery_redirects > 0 {
        return redirect(&format!("https://{base}/hop/1{DISCOVERY}"));
    }
    let hop = local
        .strip_prefix("/hop/")
        .and_then(|rest| rest.strip_suffix(DISCOVERY))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=behaviour.discovery_redirects).contains(n));
    if let Some(hop) = hop
        && hop < behaviour.discovery_redirects
    {
        return redirect(&format!("https://{base}/hop/{}{DISCOVERY}", hop + 1));
    }
    if local == "/jwks" && behaviour.jwks_redirect_to_http {
        return redirect(&format!("http://{base}/jwks"));
    }

    tokio::time::sleep(behaviour.delay).await;
    if local == DISCOVERY || hop.is_some() {
        let cache = behaviour.discovery_cache_control.as_deref();
        document(behaviour, state.discovery.clone(), cache, false)
    } else if local == "/jwks" {
        tokio::time::sleep(behaviour.jwks_delay).await;
        let cache = behaviour.jwks_cache_control.as_deref();
        document(
            behaviour,
            state.jwks.clone(),
            cache,
            behaviour.jwks_pragma_no_cache,
        )
    } else {
        text(StatusCode::NOT_FOUND, "not found\n")
    }
}

fn document(
    behaviour: &Behaviour,
    body: Bytes,
    cache_control: Option<&str>,
    pragma_no_cache: bool,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(value) = cache_control {
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_str(value).expect("Cache-Control"),
        );
    }
    if pragma_no_cache {
        headers.insert("pragma", HeaderValue::from_static("no-cache"));
    }
    let extra: Vec<(HeaderName, HeaderValue)> = behaviour
        .extra_headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("extra header name");
            (
                name,
                HeaderValue::from_str(value).expect("extra header value"),
            )
        })
        .collect();
    for (name, _) in &extra {
        headers.remove(name);
    }
    for (name, value) in extra {
        headers.append(name, value);
    }
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    let plain = HeaderValue::from_static("text/plain; charset=utf-8");
    response.headers_mut().insert(CONTENT_TYPE, plain);
    response
}

fn redirect(location: &str) -> Response<Full<Bytes>> {
    let mut response = text(StatusCode::FOUND, "found\n");
    let location = HeaderValue::from_str(location).expect("Location");
    response.headers_mut().insert(LOCATION, location);
    response
}

/// The test PKI: root -> intermediate -> leaf, plus an unrelated CA for `Extra`.
struct Chain {
    root: CertificateDer<'static>,
    root_pem: String,
    intermediate: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    leaf_key: PrivateKeyDer<'static>,
    unrelated: Option<CertificateDer<'static>>,
}

impl Chain {
    fn generate(behaviour: &Behaviour) -> Self {
        let now = rcgen::date_time_ymd(1970, 1, 1)
            + SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock after 1970");
        let serials = Serials::new();
        let ca_params = |name: &str| {
            let mut params = CertificateParams::default();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            params.not_before = now - DAY;
            params.not_after = now + 3650 * DAY;
            params.serial_number = Some(serials.next());
            params.use_authority_key_identifier_extension = true;
            params
        };

        let root_key = KeyPair::generate().expect("root key");
        let root_params = ca_params("oidc-doctor test root");
        let root = root_params.self_signed(&root_key).expect("root cert");
        let root_issuer = Issuer::new(root_params, root_key);

        let intermediate_key = KeyPair::generate().expect("intermediate key");
        let intermediate_params = ca_params("oidc-doctor test intermediate");
        let intermediate = intermediate_params
            .signed_by(&intermediate_key, &root_issuer)
            .expect("intermediate cert");
        let intermediate_issuer = Issuer::new(intermediate_params, intermediate_key);

        let leaf_key = KeyPair::generate().expect("leaf key");
        let mut leaf_params = CertificateParams::default();
        leaf_params.distinguished_name = rcgen::DistinguishedName::new();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf_params.subject_alt_names = vec![
            SanType::IpAddress(Ipv4Addr::LOCALHOST.into()),
            SanType::DnsName("localhost".try_into().expect("DNS name")),
        ];
        leaf_params.is_ca = IsCa::ExplicitNoCa;
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.not_before = now - DAY;
        leaf_params.not_after = now + behaviour.leaf_expires_in.unwrap_or(365 * DAY);
        leaf_params.serial_number = Some(serials.next());
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params
            .signed_by(&leaf_key, &intermediate_issuer)
            .expect("leaf cert");

        let unrelated = matches!(behaviour.chain, ChainLayout::Extra).then(|| {
            let key = KeyPair::generate().expect("unrelated key");
            let params = ca_params("oidc-doctor unrelated ca");
            params
                .self_signed(&key)
                .expect("unrelated cert")
                .der()
                .clone()
        });
        Self {
            root_pem: root.pem(),
            root: root.der().clone(),
            intermediate: intermediate.der().clone(),
            leaf: leaf.der().clone(),
            leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
            unrelated,
        }
    }

    fn served(&self, layout: &ChainLayout) -> Vec<CertificateDer<'static>> {
        let (leaf, intermediate) = (self.leaf.clone(), self.intermediate.clone());
        match layout {
            ChainLayout::Normal => vec![leaf, intermediate],
            ChainLayout::WithRoot => vec![leaf, intermediate, self.root.clone()],
            ChainLayout::WrongOrder => vec![intermediate, leaf],
            ChainLayout::Extra => {
                let unrelated = self.unrelated.clone().expect("unrelated CA generated");
                vec![leaf, intermediate, unrelated]
            }
            ChainLayout::Duplicate => vec![leaf, intermediate.clone(), intermediate],
            ChainLayout::LeafOnly => vec![leaf],
        }
    }

    /// `with_single_cert` would refuse `WrongOrder` (its first certificate
    /// does not match the key), so the chain goes in through a resolver,
    /// which sends it exactly as given.
    fn server_config(&self, layout: &ChainLayout) -> ServerConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = provider
            .key_provider
            .load_private_key(self.leaf_key.clone_key())
            .expect("leaf key loads");
        let certified = CertifiedKey::new(self.served(layout), key);
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config
    }
}

/// Distinct, positive serial numbers, different from one run to the next.
struct Serials {
    base: u64,
    next: Cell<u64>,
}

impl Serials {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        // Keep the low 56 bits of the clock; the top byte stays clear so
        // the DER integer is positive, and the low byte is the index.
        let base = u64::try_from(nanos & 0x00ff_ffff_ffff_ff00).expect("masked to 56 bits");
        Self {
            base,
            next: Cell::new(1),
        }
    }

    fn next(&self) -> SerialNumber {
        let index = self.next.get();
        self.next.set(index + 1);
        SerialNumber::from_slice(&(self.base | index).to_be_bytes())
    }
}
