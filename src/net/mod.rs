//! The only code that talks to the outside world. Everything here has a
//! timeout, a size cap and a bounded number of attempts; what it fetches is
//! handed back as plain model values for the rules to judge.

pub mod actions;
pub mod aws;
pub mod aws_http;
pub mod cache;
pub mod dns;
pub mod http;
pub mod input;
pub mod probe;
pub mod proxy;
pub mod tls;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::error::Error;

pub use crate::model::issuer::BODY_CAP;
/// Redirects followed per document, https only (IS017).
pub const MAX_REDIRECTS: usize = 3;

/// A single-threaded runtime: the work is waiting on the network.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::Environment {
            message: format!("cannot start the network runtime: {error}"),
            help: "the system refused to create the event loop; check resource limits (ulimit -n)"
                .to_owned(),
        })
}

/// How the network is used: shared by every online command.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Per request (connect, TLS, headers and body together).
    pub timeout: Duration,
    /// Extra trusted roots (`--ca-bundle`, `SSL_CERT_FILE`).
    pub ca_bundle: Option<PathBuf>,
}

/// Reads a PEM bundle of extra trusted roots.
pub fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = input::read_file(
        path,
        &input::Input {
            what: "CA bundle",
            // The whole public root set is about 250 KB.
            limit: 16 * 1024 * 1024,
            help: "--ca-bundle (or SSL_CERT_FILE) must name a readable PEM file of CA certificates",
            too_large: "a bundle of CA certificates is a few hundred kilobytes; this is not one",
        },
    )?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Error::Usage {
            message: format!(
                "the CA bundle `{}` is not valid PEM: {error}",
                path.display()
            ),
            help: "give a file of `-----BEGIN CERTIFICATE-----` blocks".to_owned(),
        })?;
    if certificates.is_empty() {
        return Err(Error::Usage {
            message: format!("the CA bundle `{}` holds no certificate", path.display()),
            help: "give a file of `-----BEGIN CERTIFICATE-----` blocks".to_owned(),
        });
    }
    Ok(certificates)
}
