//! IS rules: the issuer as STS sees it. Every function here is pure: the
//! documents, timings and certificate chains were gathered by `net` first.

pub mod chain;
pub mod discovery;
pub mod fetches;
pub mod jwks;
pub mod reachability;
pub mod series;
pub mod url;

use crate::finding::{Finding, Location};
use crate::model::source::JsonSource;
use crate::rules::Rule;

/// A JSON document the issuer served (or the user saved) and where it came
/// from, so findings can point at the member they are about.
#[derive(Debug)]
pub struct ServedDocument<'a> {
    /// The file or URL, as shown to the user.
    pub origin: &'a str,
    pub source: &'a JsonSource,
}

impl ServedDocument<'_> {
    pub fn at(&self, pointer: &str) -> Location {
        let span = self.source.span(pointer);
        let (line, column) = span.map_or((1, 1), |(offset, _)| self.source.line_column(offset));
        Location {
            path: self.origin.to_owned(),
            line,
            column,
            pointer: pointer.to_owned(),
            resource: None,
            span,
            source: Some(self.origin.to_owned()),
            in_file: None,
        }
    }

    pub fn finding(
        &self,
        rule: &'static Rule,
        pointer: &str,
        message: String,
        help: &str,
    ) -> Finding {
        Finding::new(rule, message, help).with_location(self.at(pointer))
    }
}

use jiff::Timestamp;

use crate::model::chain::HostChain;
use crate::model::issuer::{Burst, Document, Fetch, Sample};

/// Everything the issuer probe gathered, for the rules to judge.
#[derive(Debug)]
pub struct Evidence<'a> {
    /// The issuer URL probed, as the user gave it.
    pub url: &'a str,
    pub samples: &'a [Sample],
    pub hosts: &'a [HostChain],
    pub burst: Option<&'a Burst>,
    /// The discovery document and JWKS, parsed from the first good answer.
    pub discovery: Option<Parsed<'a>>,
    pub jwks: Option<Parsed<'a>>,
    pub now: Timestamp,
    /// The STS endpoint the tool is told to use, when it is itself on a
    /// non-public address (an emulator beside the issuer): IS022 is then
    /// not judged, as that STS can reach what the internet cannot.
    pub local_sts: Option<&'a str>,
}

/// A served document: where it came from and what its body was.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub origin: &'a str,
    pub body: &'a Result<JsonSource, crate::model::source::SyntaxError>,
}

/// The findings of one stage of the probe.
#[derive(Debug)]
pub struct StageFindings {
    pub name: &'static str,
    pub findings: Vec<crate::finding::Finding>,
}

/// Runs every IS rule over the evidence, grouped by stage:
/// `url`, `discovery`, `jwks`, `tls`, `latency`.
pub fn check(evidence: &Evidence<'_>) -> Vec<StageFindings> {
    let samples = evidence.samples;
    let mut stages = vec![StageFindings {
        name: "url",
        findings: url::check(evidence.url),
    }];
    for document in [Document::Discovery, Document::Jwks] {
        let mut findings = document_fetches(&fetches::of(samples, document), document);
        let parsed = match document {
            Document::Discovery => evidence.discovery.as_ref(),
            Document::Jwks => evidence.jwks.as_ref(),
        };
        if let Some(parsed) = parsed {
            findings.extend(content(evidence.url, document, parsed));
        }
        stages.push(StageFindings {
            name: document.as_str(),
            findings,
        });
    }
    stages.push(StageFindings {
        name: "tls",
        findings: evidence
            .hosts
            .iter()
            .flat_map(|host| chain::check(host, evidence.now))
            .chain(if evidence.local_sts.is_some() {
                Vec::new()
            } else {
                reachability::check(samples)
            })
            .collect(),
    });
    stages.push(StageFindings {
        name: "latency",
        findings: series::slow(samples)
            .into_iter()
            .chain(series::intermittent(samples))
            .chain(fetches::rate_limited(
                &fetches::of(samples, Document::Discovery)
                    .into_iter()
                    .chain(fetches::of(samples, Document::Jwks))
                    .collect::<Vec<_>>(),
                evidence.burst,
            ))
            .collect(),
    });
    stages
}

/// IS002/IS006, IS017, IS020 and IS009 over the fetches of one document.
pub fn document_fetches(all: &[&Fetch], document: Document) -> Vec<Finding> {
    fetches::unreachable(all, document)
        .into_iter()
        .chain(fetches::redirects(all, document))
        .chain(fetches::too_large(all, document))
        .chain(fetches::not_cacheable(all, document))
        .collect()
}

/// IS003–IS005 and IS014 on a discovery document, IS007 and IS010–IS013 on
/// a key set.
pub fn content(url: &str, document: Document, parsed: &Parsed<'_>) -> Vec<Finding> {
    match (document, parsed.body) {
        (Document::Discovery, Err(error)) => vec![discovery::unparseable(parsed.origin, error)],
        (Document::Jwks, Err(error)) => vec![jwks::unparseable(parsed.origin, error)],
        (Document::Discovery, Ok(source)) => discovery::check(
            url,
            &ServedDocument {
                origin: parsed.origin,
                source,
            },
        ),
        (Document::Jwks, Ok(source)) => jwks::check(&ServedDocument {
            origin: parsed.origin,
            source,
        }),
    }
}
