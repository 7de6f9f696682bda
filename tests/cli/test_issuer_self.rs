//! The test issuer's own tests: a client that trusts only the test root
//! checks that every behaviour does what `test_issuer` says it does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;

use crate::test_issuer::{Behaviour, ChainLayout, DAY, DISCOVERY, TestIssuer};

/// What a self-test saw of one response.
#[derive(Debug)]
struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Trusts only the issuer's root, follows no redirect, ignores proxies.
fn client(issuer: &TestIssuer) -> reqwest::Client {
    let pem = std::fs::read(issuer.ca_bundle()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("test-issuer-self-test")
        .build()
        .unwrap()
}

async fn fetch(client: &reqwest::Client, url: &str) -> Fetched {
    let response = client.get(url).send().await.unwrap();
    Fetched {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn get(issuer: &TestIssuer, path: &str) -> Fetched {
    let url = format!("https://127.0.0.1:{}{path}", issuer.port());
    block_on(fetch(&client(issuer), &url))
}

fn header<'a>(fetched: &'a Fetched, name: &str) -> Option<&'a str> {
    fetched
        .headers
        .get(name)
        .map(|value| value.to_str().unwrap())
}

/// Returns once the server has recorded `n` requests for `path`.
async fn seen(issuer: &TestIssuer, path: &str, n: usize) {
    while issuer.count(path) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn json(fetched: &Fetched) -> serde_json::Value {
    serde_json::from_str(&fetched.body).unwrap()
}

#[test]
fn test_issuer_serves_discovery_and_jwks_and_records_requests() {
    let issuer = TestIssuer::start(Behaviour::default());
    assert_eq!(issuer.url(), format!("https://127.0.0.1:{}", issuer.port()));
    let discovery = get(&issuer, DISCOVERY);
    assert_eq!(discovery.status, 200);
    assert_eq!(header(&discovery, "content-type"), Some("application/json"));
    assert_eq!(
        header(&discovery, "cache-control"),
        Some("public, max-age=3600")
    );
    let document = json(&discovery);
    assert_eq!(document["issuer"], issuer.url().as_str());
    assert_eq!(document["jwks_uri"], issuer.jwks_url().as_str());
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );

    let jwks = get(&issuer, "/jwks");
    assert_eq!(jwks.status, 200);
    assert_eq!(header(&jwks, "cache-control"), Some("public, max-age=3600"));
    assert_eq!(header(&jwks, "pragma"), None);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys/test-jwks.json");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    assert_eq!(json(&jwks), expected);
    assert_eq!(get(&issuer, "/nope").status, 404);

    assert_eq!(issuer.count(DISCOVERY), 1);
    assert_eq!(issuer.count("/jwks"), 1);
    let requests = issuer.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, [DISCOVERY, "/jwks", "/nope"]);
    assert_eq!(
        requests[0].user_agent.as_deref(),
        Some("test-issuer-self-test")
    );
    assert!(requests[0].at <= requests[1].at);
    // One client per `get`, so one connection each.
    assert_eq!(issuer.connections(), 3);
}

#[test]
fn test_issuer_applies_prefix_overrides_and_headers() {
    let issuer = TestIssuer::start(Behaviour {
        path_prefix: "tenant/".to_owned(),
        discovery_issuer: Some("https://elsewhere.example".to_owned()),
        jwks_uri: Some("http://{base}/keys".to_owned()),
        signing_algs: None,
        jwks_cache_control: None,
        jwks_pragma_no_cache: true,
        extra_headers: vec![
            ("ETag".to_owned(), "\"v1\"".to_owned()),
            ("Cache-Control".to_owned(), "no-store".to_owned()),
        ],
        ..Behaviour::default()
    });
    assert_eq!(
        issuer.url(),
        format!("https://127.0.0.1:{}/tenant", issuer.port())
    );
    assert_eq!(issuer.jwks_url(), format!("{}/jwks", issuer.url()));
    assert_eq!(get(&issuer, DISCOVERY).status, 404, "outside the prefix");
    let discovery = get(&issuer, &format!("/tenant{DISCOVERY}"));
    let document = json(&discovery);
    assert_eq!(document["issuer"], "https://elsewhere.example");
    let keys = format!("http://127.0.0.1:{}/keys", issuer.port());
    assert_eq!(document["jwks_uri"], keys.as_str());
    assert!(
        document
            .get("id_token_signing_alg_values_supported")
            .is_none()
    );
    assert_eq!(header(&discovery, "etag"), Some("\"v1\""));
    assert_eq!(header(&discovery, "cache-control"), Some("no-store"));
    let jwks = get(&issuer, "/tenant/jwks");
    assert_eq!(jwks.status, 200);
    assert_eq!(header(&jwks, "pragma"), Some("no-cache"));
    assert_eq!(header(&jwks, "cache-control"), Some("no-store"));
}

#[test]
fn test_issuer_serves_raw_bodies() {
    let issuer = TestIssuer::start(Behaviour {
        discovery_body: Some("not json".to_owned()),
        jwks_body: Some("[1,2]".to_owned()),
        ..Behaviour::default()
    });
    assert_eq!(get(&issuer, DISCOVERY).body, "not json");
    assert_eq!(get(&issuer, "/jwks").body, "[1,2]");
}

#[test]
fn test_issuer_max_in_flight_zero_answers_429_with_retry_after() {
    let issuer = TestIssuer::start(Behaviour {
        max_in_flight: Some(0),
        ..Behaviour::default()
    });
    for path in [DISCOVERY, "/jwks"] {
        let refused = get(&issuer, path);
        assert_eq!(refused.status, 429);
        assert_eq!(header(&refused, "retry-after"), Some("1"));
    }
    assert_eq!(issuer.count(DISCOVERY), 1, "refused requests are recorded");
}

#[test]
fn test_issuer_max_in_flight_one_refuses_a_concurrent_request() {
    let issuer = TestIssuer::start(Behaviour {
        max_in_flight: Some(1),
        delay: Duration::from_millis(300),
        ..Behaviour::default()
    });
    let client = client(&issuer);
    let url = format!("{}{DISCOVERY}", issuer.url());
    let (first, second) = block_on(async {
        let late = async {
            seen(&issuer, DISCOVERY, 1).await;
            fetch(&client, &url).await
        };
        tokio::join!(fetch(&client, &url), late)
    });
    assert_eq!((first.status, second.status), (200, 429));
    // Once the first has finished, a new request is admitted again.
    assert_eq!(block_on(fetch(&client, &url)).status, 200);
}

#[test]
fn test_issuer_jwks_delay_does_not_hold_up_discovery() {
    let issuer = TestIssuer::start(Behaviour {
        jwks_delay: Duration::from_millis(300),
        ..Behaviour::default()
    });
    let client = client(&issuer);
    let start = Instant::now();
    // The JWKS goes first; discovery asks once the JWKS is being delayed.
    let (jwks, discovery) = block_on(async {
        let jwks = async {
            let fetched = fetch(&client, &issuer.jwks_url()).await;
            (fetched.status, start.elapsed())
        };
        let discovery = async {
            seen(&issuer, "/jwks", 1).await;
            let fetched = fetch(&client, &format!("{}{DISCOVERY}", issuer.url())).await;
            (fetched.status, start.elapsed())
        };
        tokio::join!(jwks, discovery)
    });
    assert_eq!((jwks.0, discovery.0), (200, 200));
    assert!(jwks.1 >= Duration::from_millis(300), "{jwks:?}");
    assert!(
        discovery.1 < jwks.1,
        "discovery {discovery:?}, jwks {jwks:?}"
    );
}

#[test]
fn test_issuer_fail_every_other_alternates_200_and_503() {
    let issuer = TestIssuer::start(Behaviour {
        fail_every_other: true,
        ..Behaviour::default()
    });
    // Counted per path: the first request for each path succeeds.
    let statuses: Vec<u16> = [DISCOVERY, "/jwks", DISCOVERY, "/jwks", DISCOVERY]
        .iter()
        .map(|path| get(&issuer, path).status)
        .collect();
    assert_eq!(statuses, [200, 200, 503, 503, 200]);
}

#[test]
fn test_issuer_oversize_jwks_is_valid_json_over_two_megabytes() {
    let issuer = TestIssuer::start(Behaviour {
        oversize_jwks: true,
        ..Behaviour::default()
    });
    let jwks = get(&issuer, "/jwks");
    assert!(jwks.body.len() > 2_000_000, "{} bytes", jwks.body.len());
    assert!(
        json(&jwks)["keys"]
            .as_array()
            .is_some_and(|keys| !keys.is_empty())
    );
}

#[test]
fn test_issuer_redirects_have_the_documented_locations() {
    let issuer = TestIssuer::start(Behaviour {
        path_prefix: "/t".to_owned(),
        discovery_redirects: 2,
        jwks_redirect_to_http: true,
        ..Behaviour::default()
    });
    let base = issuer.url();
    let first = get(&issuer, &format!("/t{DISCOVERY}"));
    assert_eq!(first.status, 302);
    let hop1 = format!("{base}/hop/1{DISCOVERY}");
    assert_eq!(header(&first, "location"), Some(hop1.as_str()));
    let second = get(&issuer, &format!("/t/hop/1{DISCOVERY}"));
    let hop2 = format!("{base}/hop/2{DISCOVERY}");
    assert_eq!(header(&second, "location"), Some(hop2.as_str()));
    let last = get(&issuer, &format!("/t/hop/2{DISCOVERY}"));
    assert_eq!(last.status, 200);
    assert_eq!(json(&last)["issuer"], base.as_str());
    assert_eq!(get(&issuer, &format!("/t/hop/3{DISCOVERY}")).status, 404);

    let jwks = get(&issuer, "/t/jwks");
    assert_eq!(jwks.status, 302);
    let plain = format!("http://127.0.0.1:{}/t/jwks", issuer.port());
    assert_eq!(header(&jwks, "location"), Some(plain.as_str()));
}

/// Accepts any certificate and keeps the chain as sent.
#[derive(Debug, Default)]
struct RecordingVerifier(Mutex<Vec<Vec<u8>>>);

impl rustls::client::danger::ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity).chain(intermediates);
        *self.0.lock().unwrap() = chain.map(|cert| cert.to_vec()).collect();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificates the server sent, in the order sent.
fn served_chain(issuer: &TestIssuer) -> Vec<Vec<u8>> {
    let verifier = Arc::new(RecordingVerifier::default());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as _)
        .with_no_client_auth();
    block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", issuer.port()))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        connector.connect(name, tcp).await.unwrap();
    });
    verifier.0.lock().unwrap().clone()
}

#[test]
fn test_issuer_serves_the_chain_in_the_requested_order() {
    for layout in [
        ChainLayout::Normal,
        ChainLayout::WithRoot,
        ChainLayout::WrongOrder,
        ChainLayout::Extra,
        ChainLayout::Duplicate,
        ChainLayout::LeafOnly,
    ] {
        let issuer = TestIssuer::start(Behaviour {
            chain: layout.clone(),
            ..Behaviour::default()
        });
        let (leaf, intermediate) = (issuer.leaf_der(), issuer.intermediate_der());
        let chain = served_chain(&issuer);
        match layout {
            ChainLayout::Normal => assert_eq!(chain, [leaf, intermediate]),
            ChainLayout::WithRoot => assert_eq!(chain, [leaf, intermediate, issuer.root_der()]),
            ChainLayout::WrongOrder => assert_eq!(chain, [intermediate, leaf]),
            ChainLayout::Extra => {
                assert_eq!(chain.len(), 3);
                assert_eq!(chain[..2], [leaf, intermediate]);
                assert!(![issuer.root_der(), issuer.leaf_der()].contains(&chain[2]));
            }
            ChainLayout::Duplicate => {
                assert_eq!(chain, [leaf, intermediate.clone(), intermediate]);
            }
            ChainLayout::LeafOnly => assert_eq!(chain, [leaf]),
        }
    }
}

#[test]
fn test_issuer_chain_verifies_only_when_complete() {
    let complete = TestIssuer::start(Behaviour {
        chain: ChainLayout::WithRoot,
        ..Behaviour::default()
    });
    assert_eq!(get(&complete, DISCOVERY).status, 200);
    let leaf_only = TestIssuer::start(Behaviour {
        chain: ChainLayout::LeafOnly,
        ..Behaviour::default()
    });
    let url = format!("{}{DISCOVERY}", leaf_only.url());
    let client = client(&leaf_only);
    assert!(block_on(client.get(url).send()).is_err());
    assert_eq!(leaf_only.count(DISCOVERY), 0);
}

#[test]
fn test_issuer_certificates_have_the_documented_shape() {
    let issuer = TestIssuer::start(Behaviour {
        leaf_expires_in: Some(3 * DAY),
        ..Behaviour::default()
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let now = i64::try_from(now).unwrap();
    let ders = [
        issuer.root_der(),
        issuer.intermediate_der(),
        issuer.leaf_der(),
    ];
    let [root, intermediate, leaf] = ders
        .each_ref()
        .map(|der| x509_parser::parse_x509_certificate(der).unwrap().1);
    let left = leaf.validity().not_after.timestamp() - now;
    assert!((3 * 86_400 - 60..=3 * 86_400).contains(&left), "{left} s");
    assert!(!leaf.is_ca());
    assert!(root.is_ca() && intermediate.is_ca());
    assert_eq!(leaf.issuer(), intermediate.subject());
    assert_eq!(intermediate.issuer(), root.subject());
    assert_ne!(leaf.serial, intermediate.serial);
    assert_ne!(intermediate.serial, root.serial);
    let pem = std::fs::read_to_string(issuer.ca_bundle()).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn test_issuer_survives_clients_that_hang_up_during_the_handshake() {
    let issuer = TestIssuer::start(Behaviour::default());
    drop(std::net::TcpStream::connect(("127.0.0.1", issuer.port())).unwrap());
    let mut garbage = std::net::TcpStream::connect(("127.0.0.1", issuer.port())).unwrap();
    std::io::Write::write_all(&mut garbage, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    drop(garbage);
    assert_eq!(get(&issuer, DISCOVERY).status, 200);
    assert_eq!(
        issuer.connections(),
        1,
        "only the completed handshake counts"
    );
}

#[test]
fn test_issuer_drop_stops_the_server_even_mid_request() {
    let issuer = TestIssuer::start(Behaviour {
        delay: Duration::from_mins(1),
        ..Behaviour::default()
    });
    let port = issuer.port();
    let client = client(&issuer);
    let url = format!("{}{DISCOVERY}", issuer.url());
    block_on(async {
        tokio::select! {
            _ = client.get(url).send() => panic!("answered despite the 60 s delay"),
            () = seen(&issuer, DISCOVERY, 1) => {}
        }
    });
    let start = Instant::now();
    drop(issuer);
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
