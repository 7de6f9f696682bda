//! `explain`: a rule's documentation, or the whole catalogue.

use crate::cli::ExplainArgs;
use crate::error::Error;
use crate::report::{CommandData, Report};
use crate::rules::{self, Rule};

#[derive(Debug)]
pub enum ExplainData {
    /// One rule's page.
    One(&'static Rule),
    /// Every implemented rule.
    All(&'static [&'static Rule]),
}

pub fn run(args: &ExplainArgs) -> Result<Report, Error> {
    let data = match args.code.as_deref() {
        Some(code) if !args.all => ExplainData::One(lookup(code)?),
        _ => ExplainData::All(rules::CATALOGUE),
    };
    Ok(Report::new("explain", CommandData::Explain(data)))
}

fn lookup(code: &str) -> Result<&'static Rule, Error> {
    if let Some(rule) = rules::find(code) {
        return Ok(rule);
    }
    // Accept a slug too: `explain token-expired`.
    if let Some(rule) = rules::CATALOGUE
        .iter()
        .copied()
        .find(|r| r.slug == code.trim())
    {
        return Ok(rule);
    }
    let nearest = rules::nearest(code, 3);
    let help = if nearest.is_empty() {
        "`oidc-doctor explain --all` lists every rule".to_owned()
    } else {
        format!(
            "did you mean {}? `oidc-doctor explain --all` lists every rule",
            nearest.join(", ")
        )
    };
    Err(Error::UnknownRule {
        code: code.to_owned(),
        help,
    })
}
