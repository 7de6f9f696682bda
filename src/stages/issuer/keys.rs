//! A key set on its own: fetched through discovery from the token's `iss`
//! (as STS does), fetched from a URL, or read from a saved file; checked
//! with the key-set rules (IS007, IS010-IS013) and used to verify the
//! token's signature (TK013).

use std::path::Path;

use crate::error::Error;
use crate::finding::SourceFile;
use crate::model::issuer::Document;
use crate::model::signature;
use crate::model::source::JsonSource;
use crate::model::token::Jwt;
use crate::net::http::HttpClient;
use crate::net::input::{self, Input, MAX_INPUT_BYTES};
use crate::net::probe;
use crate::rules;
use crate::rules::issuer::Parsed;
use crate::rules::issuer::jwks::KeySet;
use crate::stages::token::SignatureCheck;
use crate::stages::{Progress, Staged};

/// A key set's text and where it came from.
#[derive(Debug)]
pub struct KeySetText {
    pub origin: String,
    pub text: String,
}

/// Where to fetch a key set.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// `--jwks-url`: fetched as it is.
    Url(&'a str),
    /// The token's `iss`: discovery, then `jwks_uri`, as STS does.
    Issuer(&'a str),
}

/// What fetching a key set gave: the set, or why there is none.
#[derive(Debug)]
pub struct Fetched {
    pub key_set: Option<KeySetText>,
    pub skipped: Option<String>,
}

const JWKS_FILE: Input = Input {
    what: "JWKS file",
    limit: MAX_INPUT_BYTES,
    help: "save the issuer's key set, e.g. `curl <jwks_uri> > jwks.json`",
    too_large: "a key set is a few kilobytes; this is not one",
};

/// A saved key set (`--jwks FILE`). Text that is not UTF-8 is not JSON
/// either: IS007 says so, at the first bad byte.
pub fn read_file(path: &Path) -> Result<KeySetText, Error> {
    Ok(KeySetText {
        origin: path.display().to_string(),
        text: input::read_text(path, &JWKS_FILE)?,
    })
}

/// Fetches a key set, judging the fetches on the way (IS002-IS006 and the
/// discovery document's content).
pub async fn fetch(
    client: &HttpClient,
    source: KeySource<'_>,
    progress: &dyn Progress,
) -> Staged<Fetched> {
    let mut staged = Staged::of(());
    let mut from_here = None;
    let jwks_url = match source {
        KeySource::Url(url) => Some(url.to_owned()),
        KeySource::Issuer(iss) => {
            let discovery_url = probe::discovery_url(iss);
            progress.started("issuer", &format!("fetching {discovery_url}…"));
            let mut discovery = client.fetch(&discovery_url).await;
            super::vantage::attribute_fetches(vec![&mut discovery]).await;
            from_here = discovery
                .result
                .as_ref()
                .err()
                .and_then(|f| f.from_here().map(super::from_here_detail));
            staged.findings.extend(rules::issuer::document_fetches(
                &[&discovery],
                Document::Discovery,
            ));
            if discovery.succeeded()
                && let Some(response) = discovery.response().filter(|r| !r.truncated)
            {
                let parsed =
                    JsonSource::parse(String::from_utf8_lossy(&response.body).into_owned());
                staged.findings.extend(rules::issuer::content(
                    iss,
                    Document::Discovery,
                    &Parsed {
                        origin: &discovery_url,
                        body: &parsed,
                    },
                ));
            }
            probe::jwks_uri(&discovery)
        }
    };
    let Some(jwks_url) = jwks_url else {
        return staged.map(|()| Fetched {
            key_set: None,
            skipped: Some(from_here.unwrap_or_else(|| {
                "discovery gave no usable `jwks_uri` (see the findings)".to_owned()
            })),
        });
    };
    progress.update("issuer", &format!("fetching {jwks_url}…"));
    let mut jwks = client.fetch(&jwks_url).await;
    super::vantage::attribute_fetches(vec![&mut jwks]).await;
    let from_here = jwks
        .result
        .as_ref()
        .err()
        .and_then(|f| f.from_here().map(super::from_here_detail));
    staged
        .findings
        .extend(rules::issuer::document_fetches(&[&jwks], Document::Jwks));
    let body = jwks
        .response()
        .filter(|r| r.is_success() && !r.truncated)
        .map(|r| String::from_utf8_lossy(&r.body).into_owned());
    staged.map(|()| Fetched {
        skipped: body.is_none().then(|| {
            from_here.unwrap_or_else(|| format!("the key set could not be fetched from {jwks_url}"))
        }),
        key_set: body.map(|text| KeySetText {
            origin: jwks_url,
            text,
        }),
    })
}

/// Checks a key set (IS007, IS010-IS013) and the token's signature against
/// it (TK013). The signature check is `None` when the set has no `keys`
/// array to verify with (IS007 says so) or there is no token.
pub fn verify(key_set: KeySetText, jwt: Option<&Jwt>) -> Staged<Option<SignatureCheck>> {
    let KeySetText { origin, text } = key_set;
    let mut staged = Staged::of(None);
    match JsonSource::parse(text) {
        Err(error) => staged
            .findings
            .push(rules::issuer::jwks::unparseable(&origin, &error)),
        Ok(source) => {
            let set = KeySet {
                origin: &origin,
                source: &source,
            };
            staged.findings.extend(rules::issuer::jwks::check(&set));
            let verification = jwt.and_then(|jwt| signature::verify(jwt, &source.value).ok());
            if let Some(verification) = verification {
                staged
                    .findings
                    .extend(rules::token::signature::check(&verification, &origin));
                staged.data = Some(SignatureCheck {
                    key_set: origin.clone(),
                    verification,
                });
            }
            staged.sources.push(SourceFile {
                key: origin,
                text: source.text.as_str().into(),
            });
        }
    }
    staged
}
