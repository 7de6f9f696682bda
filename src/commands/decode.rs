//! `decode`: read a token, split it, and judge it with the TK rules.

use std::time::Instant;

use jiff::Timestamp;

use crate::cli::DecodeArgs;
use crate::commands::{Progress, issuer, token_input};
use crate::error::Error;
use crate::model::issuer::Document;
use crate::model::issuers::IssuerFamily;
use crate::model::signature::{self, Verification};
use crate::model::source::JsonSource;
use crate::model::subject::{self, SubjectForm};
use crate::model::token::{self, ParsedToken};
use crate::net::http::HttpClient;
use crate::net::probe;
use crate::report::{CommandData, Finding, Report, SourceFile, Stage};
use crate::rules;
use crate::rules::issuer::Parsed;
use crate::rules::issuer::jwks::KeySet;

/// What `decode` shows beside its findings.
#[derive(Debug)]
pub struct DecodeData {
    /// Where the token came from.
    pub source: String,
    pub token: ParsedToken,
    pub family: Option<&'static IssuerFamily>,
    pub subject: Option<SubjectForm>,
    /// The instant the time rules judged against.
    pub now: Timestamp,
    /// Whether `--at` moved that instant away from the clock.
    pub at_given: bool,
    /// The signature check, when a key set was given.
    pub signature: Option<SignatureCheck>,
    /// Why the signature was asked to be checked but could not be.
    pub signature_skipped: Option<String>,
}

/// The signature checked against a key set.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// Where the key set came from, as shown to the user.
    pub key_set: String,
    pub verification: Verification,
}

pub fn run(args: &DecodeArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let started = Instant::now();
    let input = token_input::read(&args.token)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let mut data = analyse(&input.bytes, input.source, now, args.at.is_some());
    let mut findings = rules::token::check(&data.token, now);
    let mut sources = Vec::new();
    let key_set = match (&args.jwks, &args.jwks_url, args.verify) {
        (Some(path), _, _) => Some(KeySetText {
            origin: path.display().to_string(),
            text: read_jwks(path)?,
        }),
        (None, Some(url), _) => {
            let fetched = fetch_key_set(args, &KeySource::Url(url), progress)?;
            findings.extend(fetched.findings);
            data.signature_skipped = fetched.skipped;
            fetched.key_set
        }
        (None, None, true) => {
            if let Some(issuer) = issuer_of(&data.token) {
                let fetched = fetch_key_set(args, &KeySource::Issuer(&issuer), progress)?;
                findings.extend(fetched.findings);
                data.signature_skipped = fetched.skipped;
                fetched.key_set
            } else {
                data.signature_skipped =
                    Some("the token has no `iss` URL to fetch its keys from".to_owned());
                None
            }
        }
        (None, None, false) => None,
    };
    if let Some(KeySetText { origin, text }) = key_set {
        match JsonSource::parse(text) {
            Err(error) => findings.push(rules::issuer::jwks::unparseable(&origin, &error)),
            Ok(source) => {
                let set = KeySet {
                    origin: &origin,
                    source: &source,
                };
                findings.extend(rules::issuer::jwks::check(&set));
                // A set without a `keys` array is IS007's: nothing to verify with.
                let verification = data
                    .token
                    .jwt()
                    .and_then(|jwt| signature::verify(jwt, &source.value).ok());
                if let Some(verification) = verification {
                    findings.extend(rules::token::signature::check(&verification, &origin));
                    data.signature = Some(SignatureCheck {
                        key_set: origin.clone(),
                        verification,
                    });
                }
                sources.push(SourceFile {
                    key: origin,
                    text: source.text.as_str().into(),
                });
            }
        }
    }

    let detail = match data.token.jwt() {
        Some(_) => format!("decoded a {}-character token", data.token.length),
        None => "not a JWT".to_owned(),
    };
    let stage = Stage {
        name: "token",
        status: Stage::judge(&findings),
        duration: started.elapsed(),
        detail,
    };
    let mut report = Report::new("decode", CommandData::Decode(Box::new(data)));
    report.input = input.path.map(|p| p.display().to_string());
    report.findings = findings;
    report.sources = sources;
    report.stages.push(stage);
    report.sort_findings();
    Ok(report)
}

/// A key set's text and where it came from.
struct KeySetText {
    origin: String,
    text: String,
}

/// Where `--verify` gets the key set.
enum KeySource<'a> {
    /// `--jwks-url`: fetched as it is.
    Url(&'a str),
    /// The token's `iss`: discovery, then `jwks_uri`, as STS does.
    Issuer(&'a str),
}

/// What fetching the key set produced.
struct Fetched {
    findings: Vec<Finding>,
    key_set: Option<KeySetText>,
    /// Why there is no key set to check the signature with.
    skipped: Option<String>,
}

/// The token's `iss`, when it is a string.
fn issuer_of(token: &ParsedToken) -> Option<String> {
    token.jwt()?.claims.get("iss")?.as_str().map(str::to_owned)
}

fn fetch_key_set(
    args: &DecodeArgs,
    source: &KeySource<'_>,
    progress: &dyn Progress,
) -> Result<Fetched, Error> {
    let client = HttpClient::new(&issuer::net_options(&args.net))?;
    let runtime = crate::net::runtime()?;
    let mut findings = Vec::new();
    let jwks_url = match *source {
        KeySource::Url(url) => Some(url.to_owned()),
        KeySource::Issuer(iss) => {
            let discovery_url = probe::discovery_url(iss);
            progress.update(&format!("fetching {discovery_url}…"));
            let discovery = runtime.block_on(client.fetch(&discovery_url));
            findings.extend(rules::issuer::document_fetches(
                &[&discovery],
                Document::Discovery,
            ));
            if discovery.succeeded()
                && let Some(response) = discovery.response().filter(|r| !r.truncated)
            {
                let parsed =
                    JsonSource::parse(String::from_utf8_lossy(&response.body).into_owned());
                findings.extend(rules::issuer::content(
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
        progress.finish();
        return Ok(Fetched {
            findings,
            key_set: None,
            skipped: Some("discovery gave no usable `jwks_uri` (see the findings)".to_owned()),
        });
    };
    progress.update(&format!("fetching {jwks_url}…"));
    let jwks = runtime.block_on(client.fetch(&jwks_url));
    progress.finish();
    findings.extend(rules::issuer::document_fetches(&[&jwks], Document::Jwks));
    let body = jwks
        .response()
        .filter(|r| r.is_success() && !r.truncated)
        .map(|r| String::from_utf8_lossy(&r.body).into_owned());
    Ok(Fetched {
        findings,
        skipped: body
            .is_none()
            .then(|| format!("the key set could not be fetched from {jwks_url}")),
        key_set: body.map(|text| KeySetText {
            origin: jwks_url,
            text,
        }),
    })
}

/// Parses the token and works out its issuer family and `sub` form.
pub fn analyse(bytes: &[u8], source: String, now: Timestamp, at_given: bool) -> DecodeData {
    let token = token::parse(bytes);
    let (family, subject) = match token.jwt().and_then(subject::identify) {
        Some((family, subject)) => (Some(family), subject),
        None => (None, None),
    };
    DecodeData {
        source,
        token,
        family,
        subject,
        now,
        at_given,
        signature: None,
        signature_skipped: None,
    }
}

fn read_jwks(path: &std::path::Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Unreadable {
        what: "JWKS file",
        path: path.to_owned(),
        help: "save the issuer's key set, e.g. `curl <jwks_uri> > jwks.json`".to_owned(),
        source,
    })?;
    if bytes.len() > token_input::MAX_INPUT_BYTES {
        return Err(Error::TooLarge {
            what: format!("JWKS file `{}`", path.display()),
            limit: token_input::MAX_INPUT_BYTES,
            help: "a key set is a few kilobytes; this is not one",
        });
    }
    // Not UTF-8 is not JSON either: IS007 says so, at the first bad byte.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
