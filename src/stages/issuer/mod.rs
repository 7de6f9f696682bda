//! The issuer stage: walk discovery then the `jwks_uri` it names, the way
//! STS does, with a TLS handshake probe beside each fetch, over several
//! samples; then judge what came back with the IS rules. [`keys`] fetches
//! and checks a key set alone (`decode --verify`, `--jwks`).

pub mod keys;
pub mod vantage;

use std::time::{Duration, Instant};

use jiff::Timestamp;
use rustls::pki_types::UnixTime;

use crate::finding::{Finding, SourceFile};
use crate::model::chain::{HostChain, ServedChain};
use crate::model::discovery::{CacheInfo, DiscoveryDocument};
use crate::model::issuer::{Burst, Document, Fetch, HandshakeProbe, Sample, Spread, seconds};
use crate::model::source::{JsonSource, SyntaxError};
use crate::net::http::HttpClient;
use crate::net::{probe, tls};
use crate::rules::issuer::{Evidence, Parsed, StageFindings};

use super::{Progress, Stage, StageStatus, Staged};

/// The issuer as probed and judged.
#[derive(Debug)]
pub struct IssuerData {
    pub url: String,
    pub discovery_url: String,
    /// The `jwks_uri` the samples followed, when discovery gave one.
    pub jwks_url: Option<String>,
    pub samples: Vec<Sample>,
    pub hosts: Vec<HostChain>,
    pub burst: Option<Burst>,
    pub discovery_cache: Option<CacheInfo>,
    pub jwks_cache: Option<CacheInfo>,
    pub discovery: Option<DiscoveryDocument>,
    /// How many keys the JWKS holds, when it was read.
    pub keys: Option<usize>,
    /// The JWKS as served (first good answer), for checking a signature.
    pub jwks_text: Option<String>,
    /// Why IS022 (issuer-not-public) was not judged, when it was not.
    pub reachability_note: Option<String>,
    /// Every failed fetch failed on this machine's side (its DNS resolver,
    /// its routes, its proxy): why. The issuer was then not judged.
    pub unreachable_from_here: Option<String>,
    /// Min, median and max of the chain time (discovery + JWKS).
    pub chain_time: Option<Spread>,
    /// The wall time of the whole probe.
    pub elapsed: Duration,
    pub timeout: Duration,
}

/// What to probe and how hard.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The issuer URL (the token's `iss`).
    pub url: String,
    pub samples: usize,
    /// Between the starts of samples.
    pub interval: Duration,
    /// Parallel JWKS requests to send after the samples, if any.
    pub burst: Option<usize>,
}

/// Walks the chain `samples` times (and the burst, when asked).
pub async fn probe(client: &HttpClient, request: &ProbeRequest, progress: &dyn Progress) -> Probed {
    let started = Instant::now();
    let url = request.url.trim().to_owned();
    progress.started(
        "issuer",
        &format!(
            "probing {url}: {} of discovery then JWKS…",
            crate::finding::counted(request.samples, "sample", "samples")
        ),
    );
    let mut samples = probe::samples(client, &url, request.samples, request.interval).await;
    vantage::attribute(&mut samples).await;
    let jwks_url = samples
        .iter()
        .find_map(|s| s.jwks.as_ref().map(|j| j.url.clone()));
    let burst = match (request.burst, &jwks_url) {
        (Some(k), Some(jwks_url)) => {
            progress.update("issuer", &format!("sending {k} parallel JWKS requests…"));
            Some(probe::burst(client, jwks_url, k).await)
        }
        _ => None,
    };
    Probed {
        url,
        samples,
        burst,
        burst_asked: request.burst.is_some(),
        elapsed: started.elapsed(),
        timeout: client.timeout(),
    }
}

/// What the probe gathered, before it is judged.
#[derive(Debug)]
pub struct Probed {
    /// The issuer URL as the user gave it (trimmed).
    pub url: String,
    pub samples: Vec<Sample>,
    pub burst: Option<Burst>,
    /// `--burst` was given (a burst can be asked for and still not run).
    pub burst_asked: bool,
    /// The wall time of the whole probe.
    pub elapsed: Duration,
    pub timeout: Duration,
}

/// The first good answer of a document, parsed.
struct Body {
    origin: String,
    parsed: Result<JsonSource, SyntaxError>,
}

impl Body {
    fn as_parsed(&self) -> Parsed<'_> {
        Parsed {
            origin: &self.origin,
            body: &self.parsed,
        }
    }
}

fn parsed_ok(body: Option<&Body>) -> Option<&JsonSource> {
    body.and_then(|b| b.parsed.as_ref().ok())
}

fn first_body(samples: &[Sample], document: Document) -> Option<Body> {
    let fetch = samples
        .iter()
        .filter_map(|s| s.fetch(document))
        .find(|f| f.succeeded() && f.response().is_some_and(|r| !r.truncated))?;
    let body = &fetch.response()?.body;
    let parsed = match String::from_utf8(body.clone()) {
        Ok(text) => JsonSource::parse(text),
        Err(error) => Err(SyntaxError {
            message: format!(
                "the body is not UTF-8 text (byte {})",
                error.utf8_error().valid_up_to()
            ),
            line: 1,
            column: 1,
            offset: 0,
        }),
    };
    Some(Body {
        origin: final_url(fetch),
        parsed,
    })
}

/// Where the document finally came from (after redirects).
fn final_url(fetch: &Fetch) -> String {
    fetch.redirects.last().map_or_else(
        || fetch.url.clone(),
        |last| {
            url::Url::parse(&last.from)
                .and_then(|from| from.join(&last.location))
                .map_or_else(|_| last.location.clone(), |u| u.to_string())
        },
    )
}

/// Groups the first sample's handshake probes by host and reads their chains.
pub fn host_chains(samples: &[Sample], now: Timestamp) -> Vec<HostChain> {
    let unix_now = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(now.as_second()).unwrap_or(0),
    ));
    let mut hosts: Vec<HostChain> = Vec::new();
    let probes = samples.iter().flat_map(|s| {
        [
            (Document::Discovery, s.discovery_probe.as_ref()),
            (Document::Jwks, s.jwks_probe.as_ref()),
        ]
    });
    for (document, probe) in probes {
        let Some(probe) = probe.filter(|p| !p.chain.is_empty()) else {
            continue;
        };
        if let Some(known) = hosts
            .iter_mut()
            .find(|h| h.chain.host == probe.host && h.port == probe.port)
        {
            if !known.documents.contains(&document) {
                known.documents.push(document);
            }
            continue;
        }
        hosts.push(HostChain {
            chain: ServedChain::read(&probe.host, &probe.chain),
            port: probe.port,
            documents: vec![document],
            public_trust: tls::publicly_trusted(&probe.chain, &probe.host, unix_now),
        });
    }
    hosts
}

/// Runs the IS rules over what the probe gathered: pure, so it is also what
/// the fuzz target and the property tests drive.
pub fn judge(probed: Probed, now: Timestamp, local_sts: Option<&str>) -> Staged<IssuerData> {
    let Probed {
        url,
        samples,
        burst,
        burst_asked,
        elapsed,
        timeout,
    } = probed;
    let discovery_body = first_body(&samples, Document::Discovery);
    let jwks_body = first_body(&samples, Document::Jwks);
    let hosts = host_chains(&samples, now);
    let stages_found = crate::rules::issuer::check(&Evidence {
        url: &url,
        samples: &samples,
        hosts: &hosts,
        burst: burst.as_ref(),
        discovery: discovery_body.as_ref().map(Body::as_parsed),
        jwks: jwks_body.as_ref().map(Body::as_parsed),
        now,
        local_sts,
    });

    let cache = |document| {
        samples
            .iter()
            .filter_map(|s| s.fetch(document))
            .find(|f| f.succeeded())
            .and_then(Fetch::response)
            .map(CacheInfo::of)
    };
    let data = IssuerData {
        discovery_url: probe::discovery_url(&url),
        jwks_url: samples
            .iter()
            .find_map(|s| s.jwks.as_ref().map(|j| j.url.clone())),
        discovery_cache: cache(Document::Discovery),
        jwks_cache: cache(Document::Jwks),
        discovery: parsed_ok(discovery_body.as_ref())
            .and_then(|s| DiscoveryDocument::from_value(&s.value)),
        keys: parsed_ok(jwks_body.as_ref())
            .and_then(|s| s.value.get("keys"))
            .and_then(serde_json::Value::as_array)
            .map(Vec::len),
        reachability_note: local_sts.map(|endpoint| {
            format!(
                "IS022 issuer-not-public not judged: STS is {endpoint}, itself on a non-public address, so it may reach the issuer"
            )
        }),
        unreachable_from_here: from_here(&samples),
        jwks_text: parsed_ok(jwks_body.as_ref()).map(|s| s.text.clone()),
        chain_time: Spread::of(samples.iter().map(Sample::chain_time)),
        elapsed,
        timeout,
        url,
        samples,
        hosts,
        burst,
    };

    let mut staged = Staged::of(());
    for body in [&discovery_body, &jwks_body].into_iter().flatten() {
        if let Ok(source) = &body.parsed {
            staged.sources.push(SourceFile {
                key: body.origin.clone(),
                text: source.text.as_str().into(),
            });
        }
    }
    for StageFindings { name, findings } in stages_found {
        staged.stages.push(stage(name, &findings, &data));
        staged.findings.extend(findings);
    }
    staged.stages.push(burst_stage(&data, burst_asked));
    staged.map(|()| data)
}

/// Why the issuer could not be reached from this machine, when every
/// fetch that failed failed on this machine's side (and one did).
pub fn from_here(samples: &[Sample]) -> Option<String> {
    let mut reasons: Vec<&str> = Vec::new();
    for fetch in samples
        .iter()
        .flat_map(|s| std::iter::once(&s.discovery).chain(s.jwks.as_ref()))
        .filter(|f| !f.succeeded())
    {
        let why = fetch.result.as_ref().err()?.from_here()?;
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// The detail of a stage that could not run because the issuer could not
/// be reached from here.
pub fn from_here_detail(why: &str) -> String {
    format!(
        "cannot reach the issuer from this machine: {why}; whether STS can reach it was not checked"
    )
}

fn stage(name: &'static str, findings: &[Finding], data: &IssuerData) -> Stage {
    if let Some(why) = &data.unreachable_from_here
        && findings.is_empty()
        && matches!(name, "discovery" | "jwks" | "latency")
    {
        return Stage::skipped(name, from_here_detail(why));
    }
    let first = data.samples.first();
    let fetch_detail = |document: Document| {
        let fetch = first.and_then(|s| s.fetch(document));
        match fetch {
            None => "not fetched: discovery gave no usable jwks_uri".to_owned(),
            Some(fetch) => match fetch.problem() {
                Some(problem) => format!("{}: {problem}", fetch.url),
                None => format!("{}: HTTP 200 in {}", fetch.url, seconds(fetch.total)),
            },
        }
    };
    let (duration, detail) = match name {
        "url" => (Duration::ZERO, data.url.clone()),
        "discovery" => (
            first.map_or(Duration::ZERO, |s| s.discovery.total),
            fetch_detail(Document::Discovery),
        ),
        "jwks" => (
            first
                .and_then(|s| s.jwks.as_ref())
                .map_or(Duration::ZERO, |j| j.total),
            fetch_detail(Document::Jwks),
        ),
        "tls" => (
            first
                .and_then(|s| s.discovery_probe.as_ref())
                .and_then(|p| p.tls)
                .unwrap_or_default(),
            tls_detail(data),
        ),
        _ => (
            data.elapsed,
            data.chain_time.map_or_else(String::new, |spread| {
                format!(
                    "{}, discovery + JWKS: min {}, median {}, max {}",
                    crate::finding::counted(data.samples.len(), "sample", "samples"),
                    seconds(spread.min),
                    seconds(spread.median),
                    seconds(spread.max)
                )
            }),
        ),
    };
    let mut status = Stage::judge(findings);
    if name == "tls" && data.hosts.is_empty() {
        status = StageStatus::Skip;
    }
    Stage {
        name,
        status,
        duration,
        detail,
    }
}

fn tls_detail(data: &IssuerData) -> String {
    if data.hosts.is_empty() {
        let reason = data
            .samples
            .iter()
            .find_map(|s| {
                s.discovery_probe
                    .as_ref()
                    .and_then(|p: &HandshakeProbe| p.error.clone())
            })
            .unwrap_or_else(|| "the issuer is not served over https".to_owned());
        return format!("no certificate chain captured: {reason}");
    }
    data.hosts
        .iter()
        .map(|host| {
            let top = host
                .chain
                .top_intermediate()
                .map_or_else(String::new, |c| format!(", thumbprint {}", c.sha1));
            format!(
                "{}: {}{top}",
                host.chain.host,
                crate::finding::counted(
                    host.chain.certificates.len(),
                    "certificate",
                    "certificates"
                )
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn burst_stage(data: &IssuerData, asked: bool) -> Stage {
    let (status, duration, detail) = match (&data.burst, asked) {
        (Some(burst), _) => {
            let detail = format!(
                "{} parallel JWKS requests: {} succeeded, {} answered 429",
                burst.fetches.len(),
                burst.succeeded(),
                burst.throttled()
            );
            let status = if burst.throttled() > 0 {
                StageStatus::Fail
            } else if burst.succeeded() < burst.fetches.len() {
                StageStatus::Warn
            } else {
                StageStatus::Pass
            };
            (status, burst.duration, detail)
        }
        (None, true) => (
            StageStatus::Skip,
            Duration::ZERO,
            "skipped: no JWKS URL to send the burst to".to_owned(),
        ),
        (None, false) => (
            StageStatus::Skip,
            Duration::ZERO,
            "not asked for (--burst K sends K parallel JWKS requests)".to_owned(),
        ),
    };
    Stage {
        name: "burst",
        status,
        duration,
        detail,
    }
}
