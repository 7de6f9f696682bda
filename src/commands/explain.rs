//! `explain`: a rule's documentation, or the whole catalogue.

use crate::cli::ExplainArgs;
use crate::error::Error;
use crate::report::{CommandData, Explained, Report};
use crate::rules::{self, Rule};

pub fn run(args: &ExplainArgs) -> Result<Report, Error> {
    let data = match args.code.as_deref() {
        Some(code) if !args.all => Explained::Pages(lookup(code)?),
        _ => Explained::All(rules::CATALOGUE),
    };
    Ok(Report::new("explain", CommandData::Explain(data)))
}

fn lookup(code: &str) -> Result<Vec<&'static Rule>, Error> {
    if let Some(rule) = rules::find(code) {
        return Ok(vec![rule]);
    }
    // Accept a slug too: `explain token-expired`.
    let by_slug: Vec<&'static Rule> = rules::CATALOGUE
        .iter()
        .copied()
        .filter(|r| r.slug == code.trim())
        .collect();
    if !by_slug.is_empty() {
        return Ok(by_slug);
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
