//! IS002, IS006, IS009, IS017, IS019, IS020: how the issuer answered the
//! fetches, over every sample.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::finding::Finding;
use crate::model::discovery::CacheInfo;
use crate::model::issuer::BODY_CAP;
use crate::model::issuer::{Burst, Document, Fetch, FetchFailure, Sample, seconds};
use crate::rules::{IS002, IS006, IS009, IS017, IS019, IS020};

/// Every fetch of `document` over the samples.
pub fn of(samples: &[Sample], document: Document) -> Vec<&Fetch> {
    samples
        .iter()
        .filter_map(|sample| sample.fetch(document))
        .collect()
}

/// IS002 / IS006: fetches of `document` that got no usable answer, grouped
/// by cause. Failures on this machine's side (its DNS resolver, its routes,
/// its proxy) blame nothing: with no other failure there is no finding, and
/// beside others they are only counted apart.
pub fn unreachable(all: &[&Fetch], document: Document) -> Option<Finding> {
    let (here, failed): (Vec<&Fetch>, Vec<&Fetch>) = all
        .iter()
        .copied()
        .filter(|f| !f.succeeded())
        .partition(|f| {
            f.result
                .as_ref()
                .err()
                .and_then(FetchFailure::from_here)
                .is_some()
        });
    let first = failed.first()?;
    let causes = grouped(&failed);
    let (rule, what) = match document {
        Document::Discovery => (&IS002, "Discovery"),
        Document::Jwks => (&IS006, "The JWKS"),
    };
    let mut message = format!(
        "{what} at {} failed{}: {}.",
        first.url,
        if all.len() > 1 {
            format!(" in {} of {} samples", failed.len(), all.len())
        } else {
            String::new()
        },
        causes.join("; ")
    );
    if !here.is_empty() {
        let _ = write!(
            message,
            " {} more failed on this machine's side, which says nothing about the issuer: {}.",
            here.len(),
            grouped(&here).join("; ")
        );
    }
    Some(Finding::new(rule, message, help(first)))
}

/// The failures' causes, each once, with how often it came.
fn grouped(failed: &[&Fetch]) -> Vec<String> {
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for fetch in failed {
        *causes
            .entry(fetch.problem().unwrap_or_default())
            .or_default() += 1;
    }
    causes
        .into_iter()
        .map(|(cause, n)| {
            if n > 1 {
                format!("{cause} (×{n})")
            } else {
                cause
            }
        })
        .collect()
}

/// What to do about one failed fetch.
fn help(fetch: &Fetch) -> String {
    match &fetch.result {
        Err(FetchFailure::Dns(_)) => "The host name does not resolve here; STS resolves it on the public internet, so it must have public DNS records.".to_owned(),
        Err(FetchFailure::NameUnresolved { control, .. }) => format!(
            "The host name does not resolve publicly: this machine resolves {control}, so the issuer's name is the problem. STS resolves it on the public internet, so it must have public DNS records (check the name, its delegation and its name servers)."
        ),
        Err(FetchFailure::Connect(_)) => "Nothing accepted the connection; STS must reach the issuer from the public internet (check firewalls and allow-lists).".to_owned(),
        Err(FetchFailure::Tls(_)) => "The TLS handshake or certificate was refused. Serve a chain from a public CA (STS trusts those); to test an issuer with a private CA, pass its root with --ca-bundle.".to_owned(),
        Err(FetchFailure::Timeout(limit)) => format!(
            "STS gives up after about 5 s; this fetch took longer than {}. Make the issuer answer faster (cache, CDN).",
            seconds(*limit)
        ),
        Err(FetchFailure::Redirect(_)) => "Serve the document directly at this URL over https, without redirects.".to_owned(),
        Err(FetchFailure::Url(_) | FetchFailure::Other(_)) => "Check the URL and that the server speaks HTTP/1.1 over TLS.".to_owned(),
        Err(FetchFailure::FromHere { .. }) => "This machine could not reach the issuer (DNS resolver, routes or proxy); run the probe where the internet is reachable, or fix the DNS and proxy settings.".to_owned(),
        Ok(response) if response.status == 429 => "The issuer is throttling: STS's fetches fail the same way; allow more requests or let STS cache (IS009).".to_owned(),
        Ok(response) if response.status == 404 => "Nothing is published at this path: check the issuer URL (path, trailing `/`) and that discovery is enabled.".to_owned(),
        Ok(_) => "Serve the document with a 2xx status at exactly this URL.".to_owned(),
    }
}

/// IS009: the first answer of `document` forbids caching.
pub fn not_cacheable(fetches: &[&Fetch], document: Document) -> Option<Finding> {
    let fetch = fetches.iter().find(|f| f.succeeded())?;
    let cache = CacheInfo::of(fetch.response()?);
    if cache.cacheable() {
        return None;
    }
    let consequence = match document {
        Document::Jwks => {
            "STS then fetches the key set on every AssumeRoleWithWebIdentity call, and parallel pipelines see throttling and \"Couldn't retrieve verification key\""
        }
        Document::Discovery => {
            "STS then fetches it on every call, doubling the requests on the path that must finish within about 5 s"
        }
    };
    Some(Finding::new(
        &IS009,
        format!(
            "{} at {} forbids caching ({}): {consequence}.",
            capitalised(document.title()),
            fetch.url,
            cache.forbidden_by.join(", ")
        ),
        "Send `Cache-Control: public, max-age=3600` (or longer) and no `Pragma: no-cache`; rotate keys by publishing the new key well before signing with it.",
    ))
}

/// IS017: each redirect seen on the way to `document`, once.
pub fn redirects(fetches: &[&Fetch], document: Document) -> Vec<Finding> {
    let mut seen = Vec::new();
    for redirect in fetches.iter().flat_map(|f| &f.redirects) {
        if !seen.contains(&redirect) {
            seen.push(redirect);
        }
    }
    seen.into_iter()
        .map(|redirect| {
            Finding::new(
                &IS017,
                format!(
                    "{} redirects: {} answered {} to `{}`.",
                    capitalised(document.title()),
                    redirect.from,
                    redirect.status,
                    redirect.location
                ),
                "STS is not documented to follow redirects: serve the document directly at the URL STS asks for (and put the final URL in `jwks_uri`).",
            )
        })
        .collect()
}

/// IS020: an answer of `document` longer than the cap.
pub fn too_large(fetches: &[&Fetch], document: Document) -> Option<Finding> {
    let fetch = fetches
        .iter()
        .find(|f| f.response().is_some_and(|r| r.truncated))?;
    Some(Finding::new(
        &IS020,
        format!(
            "{} at {} is larger than {} KiB; reading stopped there and the document was not checked.",
            capitalised(document.title()),
            fetch.url,
            BODY_CAP / 1024
        ),
        "A discovery document or key set is a few KiB; check that the URL serves the right document and prune retired keys.",
    ))
}

/// IS019: 429 answers or `Retry-After` headers, in the samples or the burst.
pub fn rate_limited(sampled: &[&Fetch], burst: Option<&Burst>) -> Option<Finding> {
    let throttled = |fetches: &[&Fetch]| {
        fetches
            .iter()
            .filter(|f| {
                f.response()
                    .is_some_and(|r| r.status == 429 || r.header("retry-after").is_some())
            })
            .count()
    };
    let in_samples = throttled(sampled);
    let burst_fetches: Vec<&Fetch> = burst
        .map(|b| b.fetches.iter().collect())
        .unwrap_or_default();
    let in_burst = throttled(&burst_fetches);
    if in_samples + in_burst == 0 {
        return None;
    }
    let retry_after = sampled
        .iter()
        .chain(&burst_fetches)
        .find_map(|f| f.response().and_then(|r| r.header("retry-after")));
    let mut parts = Vec::new();
    if in_samples > 0 {
        parts.push(format!(
            "{in_samples} of {} sampled requests",
            sampled.len()
        ));
    }
    if in_burst > 0 {
        parts.push(format!(
            "{in_burst} of {} requests in the burst of parallel JWKS fetches",
            burst_fetches.len()
        ));
    }
    let retry = retry_after.map_or(String::new(), |value| format!(" (Retry-After: {value})"));
    Some(Finding::new(
        &IS019,
        format!(
            "The issuer throttled {}{retry}: STS's own fetches meet the same limit and the login fails with \"Couldn't retrieve verification key\".",
            parts.join(" and ")
        ),
        "Raise the issuer's rate limit for its discovery and JWKS paths, and let STS cache the JWKS (IS009) so it asks less often.",
    ))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
