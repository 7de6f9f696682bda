//! `decode`: read a token, split it, and judge it with the TK rules.

use std::time::Instant;

use jiff::Timestamp;

use crate::cli::DecodeArgs;
use crate::commands::token_input;
use crate::error::Error;
use crate::model::issuers::IssuerFamily;
use crate::model::subject::{self, SubjectForm};
use crate::model::token::{self, ParsedToken};
use crate::report::{CommandData, Report, Stage};
use crate::rules;

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
}

pub fn run(args: &DecodeArgs) -> Result<Report, Error> {
    let started = Instant::now();
    let input = token_input::read(&args.token)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let data = analyse(&input.bytes, input.source, now, args.at.is_some());
    let findings = rules::token::check(&data.token, now);

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
    }
}
