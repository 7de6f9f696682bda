//! TLS: the trust store every fetch uses, and a handshake of our own that
//! captures the certificate chain a server sends (reqwest does not expose it)
//! and times DNS, TCP connect and the TLS handshake separately.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::Error;
use crate::model::issuer::HandshakeProbe;

/// The one crypto provider: aws-lc-rs, the same the AWS SDK uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The configuration every fetch uses: the system's roots plus `extra`.
/// Without system roots (a bare container), Mozilla's set plus `extra`.
pub fn client_config(extra: &[CertificateDer<'static>]) -> Result<ClientConfig, Error> {
    let provider = provider();
    let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra.iter().cloned(),
        provider.clone(),
    );
    let verifier: Arc<dyn ServerCertVerifier> = if let Ok(platform) = platform {
        Arc::new(platform)
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        roots.add_parsable_certificates(extra.iter().cloned());
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|error| tls_setup(&error))?
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_setup(&error))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn tls_setup(error: &dyn std::fmt::Display) -> Error {
    Error::Usage {
        message: format!("cannot set up TLS: {error}"),
        help: "check the certificates given with --ca-bundle or SSL_CERT_FILE".to_owned(),
    }
}

/// Connects to `host:port`, completes a TLS handshake and hangs up, keeping
/// the chain the server sent. Never fails: what went wrong is in `error`.
pub async fn probe(host: &str, port: u16, timeout: Duration) -> HandshakeProbe {
    let mut probe = HandshakeProbe {
        host: host.to_owned(),
        port,
        ..HandshakeProbe::default()
    };
    let deadline = Instant::now() + timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());

    let started = Instant::now();
    let addresses = match tokio::time::timeout(remaining(), super::dns::lookup(host, port)).await {
        Ok(Ok(addresses)) => addresses,
        Ok(Err(error)) => return probe.failed(format!("DNS lookup failed: {error}")),
        Err(_) => return probe.failed(format!("DNS lookup timed out after {timeout:?}")),
    };
    probe.dns = Some(started.elapsed());
    probe.addresses = addresses.iter().map(std::net::SocketAddr::ip).collect();
    probe.addresses.dedup();
    let Some(first) = addresses.first() else {
        return probe.failed("DNS lookup returned no address".to_owned());
    };
    probe.address = Some(first.ip());

    let started = Instant::now();
    let mut stream = None;
    let mut last_error = String::new();
    for address in &addresses {
        match tokio::time::timeout(remaining(), TcpStream::connect(address)).await {
            Ok(Ok(connected)) => {
                probe.address = Some(address.ip());
                stream = Some(connected);
                break;
            }
            Ok(Err(error)) => last_error = format!("connecting to {address} failed: {error}"),
            Err(_) => return probe.failed(format!("connecting timed out after {timeout:?}")),
        }
    }
    let Some(stream) = stream else {
        return probe.failed(last_error);
    };
    probe.connect = Some(started.elapsed());

    let Ok(server_name) = ServerName::try_from(host.to_owned()) else {
        return probe.failed(format!("`{host}` is not a valid TLS server name"));
    };
    let capture = Arc::new(CaptureChain::new());
    let config = match ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder
            .dangerous()
            .with_custom_certificate_verifier(capture.clone())
            .with_no_client_auth(),
        Err(error) => return probe.failed(format!("cannot set up TLS: {error}")),
    };
    let started = Instant::now();
    let connector = TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(remaining(), connector.connect(server_name, stream)).await {
        Ok(Ok(_connection)) => probe.tls = Some(started.elapsed()),
        Ok(Err(error)) => probe.error = Some(format!("TLS handshake failed: {error}")),
        Err(_) => probe.error = Some(format!("TLS handshake timed out after {timeout:?}")),
    }
    probe.chain = capture.take();
    probe
}

/// A verifier that trusts everything and remembers what it was shown: the
/// probe judges the chain afterwards, it must not refuse to look at it.
#[derive(Debug)]
struct CaptureChain {
    chain: Mutex<Vec<Vec<u8>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl CaptureChain {
    fn new() -> Self {
        CaptureChain {
            chain: Mutex::new(Vec::new()),
            algorithms: provider().signature_verification_algorithms,
        }
    }

    fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.chain.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ServerCertVerifier for CaptureChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = self.chain.lock().unwrap_or_else(PoisonError::into_inner);
        chain.push(end_entity.to_vec());
        chain.extend(intermediates.iter().map(|c| c.to_vec()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Whether the chain validates to a root in Mozilla's public set (the
/// `webpki-roots` copy), the nearest public stand-in for the root library
/// STS trusts. `Err` says why not.
pub fn publicly_trusted(chain: &[Vec<u8>], host: &str, now: UnixTime) -> Result<(), String> {
    let Some((leaf, rest)) = chain.split_first() else {
        return Err("no certificate was served".to_owned());
    };
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|error| error.to_string())?;
    let server_name = ServerName::try_from(host.to_owned()).map_err(|error| error.to_string())?;
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|der| CertificateDer::from(der.as_slice()))
        .collect();
    verifier
        .verify_server_cert(
            &CertificateDer::from(leaf.as_slice()),
            &intermediates,
            &server_name,
            &[],
            now,
        )
        .map(|_| ())
        .map_err(|error| error.to_string())
}
