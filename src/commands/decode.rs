//! `decode`: read a token, split it, and judge it with the TK rules.

use std::time::Instant;

use jiff::Timestamp;

use crate::cli::DecodeArgs;
use crate::commands::token_input;
use crate::error::Error;
use crate::model::issuers::IssuerFamily;
use crate::model::signature::{self, Verification};
use crate::model::source::JsonSource;
use crate::model::subject::{self, SubjectForm};
use crate::model::token::{self, ParsedToken};
use crate::report::{CommandData, Report, SourceFile, Stage};
use crate::rules;
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
}

/// The signature checked against a key set.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// Where the key set came from, as shown to the user.
    pub key_set: String,
    pub verification: Verification,
}

pub fn run(args: &DecodeArgs) -> Result<Report, Error> {
    let started = Instant::now();
    let input = token_input::read(&args.token)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let mut data = analyse(&input.bytes, input.source, now, args.at.is_some());
    let mut findings = rules::token::check(&data.token, now);
    let mut sources = Vec::new();
    if let Some(path) = &args.jwks {
        let key_set = path.display().to_string();
        match JsonSource::parse(read_jwks(path)?) {
            Err(error) => findings.push(rules::issuer::jwks::unparseable(&key_set, &error)),
            Ok(source) => {
                let set = KeySet {
                    origin: &key_set,
                    source: &source,
                };
                findings.extend(rules::issuer::jwks::check(&set));
                // A set without a `keys` array is IS007's: nothing to verify with.
                let verification = data
                    .token
                    .jwt()
                    .and_then(|jwt| signature::verify(jwt, &source.value).ok());
                if let Some(verification) = verification {
                    findings.extend(rules::token::signature::check(&verification, &key_set));
                    data.signature = Some(SignatureCheck {
                        key_set: key_set.clone(),
                        verification,
                    });
                }
                sources.push(SourceFile {
                    key: key_set,
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
