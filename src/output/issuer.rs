//! What `issuer` shows beside its findings, in every format: the documents
//! and their caching, a table of phases per sample, the TLS chains with
//! their thumbprints, the burst, and a verdict.

use std::io::{self, Write};
use std::time::Duration;

use comfy_table::{ColumnConstraint, Table, Width};
use serde_json::{Value, json};

use crate::finding::Severity;
use crate::model::discovery::CacheInfo;
use crate::model::issuer::{Fetch, FetchFailure, HandshakeProbe, Sample, Spread, seconds};
use crate::model::time::human_duration;
use crate::report::Report;
use crate::stages::issuer::IssuerData;

use super::printable;

/// Milliseconds with one decimal: loopback phases are well under 1 ms.
fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

fn ms_opt(duration: Option<Duration>) -> Value {
    duration.map_or(Value::Null, |d| json!(ms(d)))
}

/// Codes in the order STS meets the problems: the earliest is the root cause.
const ROOT_CAUSE_ORDER: [&str; 21] = [
    "IS002", "IS003", "IS005", "IS006", "IS007", "IS018", "IS019", "IS008", "IS015", "IS004",
    "IS014", "IS010", "IS011", "IS012", "IS013", "IS001", "IS016", "IS017", "IS020", "IS009",
    "IS021",
];

/// One line that says what it all means for STS.
pub fn verdict(report: &Report, data: &IssuerData) -> String {
    // The first link of the chain that breaks explains the rest.
    let worst = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .min_by_key(|f| {
            let rank = ROOT_CAUSE_ORDER
                .iter()
                .position(|code| *code == f.rule.code)
                .unwrap_or(ROOT_CAUSE_ORDER.len());
            (std::cmp::Reverse(f.severity), rank)
        });
    let from_here = data.unreachable_from_here.as_deref().map(|why| {
        format!(
            "Could not check this issuer from here: {}; run it where the internet is reachable, or check DNS/proxy settings.",
            printable(why)
        )
    });
    if let Some(finding) = worst {
        let line = format!(
            "STS is likely to fail with this issuer ({} {}): {}",
            finding.rule.code,
            finding.rule.slug,
            printable(&finding.message)
        );
        return match from_here {
            Some(from_here) => format!("{line} {from_here}"),
            None => line,
        };
    }
    if let Some(from_here) = from_here {
        return from_here;
    }
    let median = data.chain_time.map_or_else(String::new, |s| {
        format!(" in a median {}", seconds(s.median))
    });
    if report.findings.iter().any(|f| f.severity >= Severity::Low) {
        format!(
            "STS can fetch this issuer's keys{median}, but {} failures more likely.",
            if report.findings.len() == 1 {
                "1 finding makes".to_owned()
            } else {
                format!("{} findings make", report.findings.len())
            }
        )
    } else {
        format!("STS can fetch this issuer's keys{median}; nothing found that would make it fail.")
    }
}

fn cache_text(cache: Option<&CacheInfo>) -> String {
    let Some(cache) = cache else {
        return "not fetched".to_owned();
    };
    let header = cache
        .cache_control
        .as_deref()
        .map_or("no Cache-Control".to_owned(), |v| {
            format!("Cache-Control: {v}")
        });
    let keep = if cache.cacheable() {
        match cache.lifetime {
            Some(lifetime) => format!("cacheable for {}", human_duration(lifetime.as_secs())),
            None => "no lifetime given (a cache decides for itself)".to_owned(),
        }
    } else {
        format!("not cacheable ({})", cache.forbidden_by.join(", "))
    };

    let etag = cache
        .etag
        .as_deref()
        .map_or(String::new(), |e| format!("; ETag {e}"));
    printable(&format!("{keep}; {header}{etag}")).into_owned()
}

fn phase(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "–".to_owned(), seconds)
}

fn result_text(fetch: &Fetch) -> String {
    let status = match &fetch.result {
        Ok(response) => {
            let mut text = format!("HTTP {}", response.status);
            if response.truncated {
                text.push_str(", cut at 1 MiB");
            }
            text
        }
        Err(failure) => failure.kind().to_owned(),
    };
    if fetch.redirects.is_empty() {
        status
    } else {
        format!(
            "{status} after {}",
            crate::finding::counted(fetch.redirects.len(), "redirect", "redirects")
        )
    }
}

fn sample_rows(sample: &Sample) -> Vec<Vec<String>> {
    let row = |name: &str, fetch: &Fetch, probe: Option<&HandshakeProbe>| {
        vec![
            sample.index.to_string(),
            name.to_owned(),
            phase(probe.and_then(|p| p.dns)),
            phase(probe.and_then(|p| p.connect)),
            phase(probe.and_then(|p| p.tls)),
            phase(fetch.first_byte),
            seconds(fetch.total),
            result_text(fetch),
        ]
    };
    let mut rows = vec![row(
        "discovery",
        &sample.discovery,
        sample.discovery_probe.as_ref(),
    )];
    if let Some(jwks) = &sample.jwks {
        rows.push(row("jwks", jwks, sample.jwks_probe.as_ref()));
    }
    rows.push(vec![
        String::new(),
        "chain".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        seconds(sample.chain_time()),
        if sample.succeeded() { "ok" } else { "FAILED" }.to_owned(),
    ]);
    rows
}

fn spread_text(spread: Option<Spread>) -> String {
    spread.map_or_else(String::new, |s| {
        format!(
            "min {} · median {} · max {} (STS gives up after about 5 s)",
            seconds(s.min),
            seconds(s.median),
            seconds(s.max)
        )
    })
}

/// The issuer, its discovery document and its key set, with their caching.
fn write_documents(data: &IssuerData, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Issuer    {}", printable(&data.url))?;
    writeln!(out, "Discovery {}", printable(&data.discovery_url))?;
    writeln!(
        out,
        "          {}",
        cache_text(data.discovery_cache.as_ref())
    )?;
    match &data.jwks_url {
        Some(url) => {
            let keys = data.keys.map_or(String::new(), |k| format!(" ({k} keys)"));
            writeln!(out, "JWKS      {}{keys}", printable(url))?;
            writeln!(out, "          {}", cache_text(data.jwks_cache.as_ref()))
        }
        None => writeln!(
            out,
            "JWKS      not fetched: {}",
            if data.unreachable_from_here.is_some() {
                "the issuer cannot be reached from this machine"
            } else {
                "discovery gave no usable jwks_uri"
            }
        ),
    }
}

pub fn write_human(
    data: &IssuerData,
    mut table: impl FnMut() -> Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_documents(data, out)?;
    if let Some(algs) = data
        .discovery
        .as_ref()
        .and_then(|d| d.signing_algs.as_ref())
    {
        writeln!(out, "Signing   {}", printable(&algs.join(", ")))?;
    }
    if let Some(note) = &data.reachability_note {
        writeln!(out, "note: {}", printable(note))?;
    }
    writeln!(out)?;

    let mut samples = table();
    samples.set_header([
        "sample",
        "document",
        "DNS",
        "connect",
        "TLS",
        "first byte",
        "total",
        "result",
    ]);
    for sample in &data.samples {
        for row in sample_rows(sample) {
            samples.add_row(row);
        }
    }
    writeln!(out, "{}", super::layout::unbroken(&mut samples))?;
    writeln!(
        out,
        "DNS, connect and TLS: a separate handshake beside each fetch; first byte and total: from the request's start.\nDiscovery + JWKS: {}\n",
        spread_text(data.chain_time)
    )?;

    for host in &data.hosts {
        let mut chain = table();
        chain.set_header(["#", "subject", "issuer", "expires", "SHA-1 thumbprint"]);
        // A thumbprint is copied into IAM: never wrap its 40 characters (plus
        // the padding); names wrap instead.
        if let Some(column) = chain.column_mut(4) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(42)));
        }
        let top = host.chain.top_intermediate().map(|c| c.position);
        for certificate in &host.chain.certificates {
            let mark = if Some(certificate.position) == top {
                "\n↑ IAM thumbprint"
            } else {
                ""
            };
            chain.add_row(vec![
                (certificate.position + 1).to_string(),
                printable(&certificate.name()).into_owned(),
                printable(&certificate.issuer_name()).into_owned(),
                certificate.not_after.strftime("%Y-%m-%d").to_string(),
                format!("{}{mark}", certificate.sha1),
            ]);
        }
        let documents: Vec<&str> = host.documents.iter().map(|d| d.as_str()).collect();
        let trust = match &host.public_trust {
            Ok(()) => "reaches a public root".to_owned(),
            Err(reason) => format!("does NOT reach a public root: {}", printable(reason)),
        };
        writeln!(
            out,
            "TLS chain of {}:{} ({}): {trust}",
            printable(&host.chain.host),
            host.port,
            documents.join(", ")
        )?;
        writeln!(out, "{}\n", super::layout::unbroken(&mut chain))?;
    }
    if let Some(burst) = &data.burst {
        writeln!(
            out,
            "Burst: {} parallel JWKS requests in {}: {} succeeded, {} answered 429.\n",
            burst.fetches.len(),
            seconds(burst.duration),
            burst.succeeded(),
            burst.throttled()
        )?;
    }
    Ok(())
}

pub fn write_markdown(data: &IssuerData, out: &mut dyn Write) -> io::Result<()> {
    use super::md::{cell, code, inline};
    writeln!(out, "\n## Issuer\n")?;
    writeln!(out, "- Issuer: {}", code(&data.url))?;
    if let Some(note) = &data.reachability_note {
        writeln!(out, "- Note: {}", inline(note))?;
    }
    writeln!(
        out,
        "- Discovery: {} — {}",
        code(&data.discovery_url),
        inline(&cache_text(data.discovery_cache.as_ref()))
    )?;
    if let Some(url) = &data.jwks_url {
        writeln!(
            out,
            "- JWKS: {} — {}",
            code(url),
            inline(&cache_text(data.jwks_cache.as_ref()))
        )?;
    }
    writeln!(out, "- Discovery + JWKS: {}", spread_text(data.chain_time))?;
    writeln!(
        out,
        "\n| sample | document | DNS | connect | TLS | first byte | total | result |\n|---|---|---|---|---|---|---|---|"
    )?;
    for sample in &data.samples {
        for row in sample_rows(sample) {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
    }
    for host in &data.hosts {
        writeln!(
            out,
            "\n**TLS chain of {}** ({})\n",
            inline(&host.chain.host),
            match &host.public_trust {
                Ok(()) => "reaches a public root".to_owned(),
                Err(reason) => format!("does not reach a public root: {}", inline(reason)),
            }
        )?;
        writeln!(
            out,
            "| # | subject | issuer | expires | SHA-1 |\n|---|---|---|---|---|"
        )?;
        for c in &host.chain.certificates {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                c.position + 1,
                cell(&c.subject),
                cell(&c.issuer),
                c.not_after.strftime("%Y-%m-%d"),
                super::md::code_cell(&c.sha1)
            )?;
        }
    }
    Ok(())
}

fn fetch_json(fetch: &Fetch, probe: Option<&HandshakeProbe>) -> Value {
    let response = fetch.response();
    json!({
        "url": fetch.url,
        "status": response.map(|r| r.status),
        "error": fetch.result.as_ref().err().map(ToString::to_string),
        "error_kind": fetch.result.as_ref().err().map(FetchFailure::kind),
        "redirects": fetch.redirects.iter().map(|r| json!({"from": r.from, "status": r.status, "location": r.location})).collect::<Vec<_>>(),
        "dns_ms": ms_opt(probe.and_then(|p| p.dns)),
        "connect_ms": ms_opt(probe.and_then(|p| p.connect)),
        "tls_ms": ms_opt(probe.and_then(|p| p.tls)),
        "first_byte_ms": ms_opt(fetch.first_byte),
        "total_ms": ms(fetch.total),
        "bytes": response.map(|r| r.body.len()),
        "truncated": response.is_some_and(|r| r.truncated),
        "retry_after": response.and_then(|r| r.header("retry-after")),
    })
}

fn cache_json(cache: Option<&CacheInfo>) -> Value {
    cache.map_or(Value::Null, |c| {
        json!({
            "cacheable": c.cacheable(),
            "forbidden_by": c.forbidden_by,
            "lifetime_seconds": c.lifetime.map(|l| l.as_secs()),
            "cache_control": c.cache_control,
            "etag": c.etag,
        })
    })
}

/// The `"issuer"` object of the JSON report.
pub fn json(data: &IssuerData) -> Value {
    let samples: Vec<Value> = data
        .samples
        .iter()
        .map(|s| {
            json!({
                "index": s.index,
                "offset_ms": ms(s.offset),
                "ok": s.succeeded(),
                "problem": s.problem(),
                "chain_ms": ms(s.chain_time()),
                "discovery": fetch_json(&s.discovery, s.discovery_probe.as_ref()),
                "jwks": s.jwks.as_ref().map(|j| fetch_json(j, s.jwks_probe.as_ref())),
            })
        })
        .collect();
    let tls: Vec<Value> = data
        .hosts
        .iter()
        .map(|h| {
            json!({
                "host": h.chain.host,
                "port": h.port,
                "documents": h.documents.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                "publicly_trusted": h.public_trust.is_ok(),
                "trust_error": h.public_trust.as_ref().err(),
                "thumbprint": h.chain.top_intermediate().map(|c| &c.sha1),
                "order_problems": h.chain.order_problems(),
                "certificates": h.chain.certificates.iter().map(|c| json!({
                    "position": c.position + 1,
                    "subject": c.subject,
                    "issuer": c.issuer,
                    "not_before": c.not_before.to_string(),
                    "not_after": c.not_after.to_string(),
                    "is_ca": c.is_ca,
                    "sha1": c.sha1,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "url": data.url,
        "discovery_url": data.discovery_url,
        "jwks_url": data.jwks_url,
        "discovery": {
            "cache": cache_json(data.discovery_cache.as_ref()),
            "issuer": data.discovery.as_ref().and_then(|d| d.issuer.as_ref()),
            "signing_algs": data.discovery.as_ref().and_then(|d| d.signing_algs.as_ref()),
        },
        "jwks": {
            "cache": cache_json(data.jwks_cache.as_ref()),
            "keys": data.keys,
        },
        "samples": samples,
        "chain_ms": data.chain_time.map(|s| json!({"min": ms(s.min), "median": ms(s.median), "max": ms(s.max)})),
        "tls": tls,
        "burst": data.burst.as_ref().map(|b| json!({
            "url": b.url,
            "requests": b.fetches.len(),
            "succeeded": b.succeeded(),
            "throttled": b.throttled(),
            "duration_ms": ms(b.duration),
        })),
        "timeout_ms": ms(data.timeout),
        "elapsed_ms": ms(data.elapsed),
        "not_judged": data.reachability_note.iter().collect::<Vec<_>>(),
        "unreachable_from_here": data.unreachable_from_here,
    })
}
