//! How `assume` is shown: the request, every attempt with its class and
//! wait, and the outcome, credentials masked (only `--export` shows them).

use std::io::{self, Write};
use std::time::Duration;

use comfy_table::Table;
use serde_json::{Value, json};

use crate::model::issuer::seconds;
use crate::rules::assume::classify::Retry;
use crate::stages::assume::{AssumeData, Attempt};

use super::printable;

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The class of an attempt and STS's error code; the full answer is in the
/// finding, once.
fn result_text(attempt: &Attempt) -> String {
    match attempt.class {
        None => "assumed".to_owned(),
        Some(class) => {
            let code = attempt.answer.split(':').next().unwrap_or_default();
            format!(
                "{} {} ({})",
                class.rule.code,
                class.rule.slug,
                printable(code)
            )
        }
    }
}

fn then_text(attempt: &Attempt, last: bool, data: &AssumeData) -> String {
    match (attempt.wait, attempt.class) {
        (Some(wait), _) => format!("retry after {}", seconds(wait)),
        (None, Some(_)) if last => data.stop.as_ref().map_or_else(
            || "stop".to_owned(),
            crate::rules::assume::retry::Stop::describe,
        ),
        (None, _) => "-".to_owned(),
    }
}

fn duration_text(data: &AssumeData) -> String {
    data.duration
        .map_or_else(|| "3600 s, STS's default".to_owned(), |d| format!("{d} s"))
}

pub fn write_human(
    data: &AssumeData,
    mut table: impl FnMut() -> Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "Role      {}", printable(&data.role_arn))?;
    writeln!(
        out,
        "Session   {}, duration {}",
        printable(&data.session_name),
        duration_text(data)
    )?;
    writeln!(
        out,
        "Token     from {}: iss {}, sub {}, audience {}",
        printable(&data.token.source),
        printable(data.token.iss.as_deref().unwrap_or("-")),
        printable(data.token.sub.as_deref().unwrap_or("-")),
        printable(data.token.aud.as_deref().unwrap_or("-"))
    )?;
    let place = match (&data.region, data.partition) {
        (Some(region), Some(partition)) => format!("region {region}, partition {partition}"),
        _ => "no region configured".to_owned(),
    };
    let endpoint = data.endpoint.as_deref().unwrap_or("not called");
    writeln!(out, "STS       {} ({place}; unsigned)", printable(endpoint))?;
    if let Some(cache) = &data.cache {
        let state = if cache.hit {
            "hit: no STS call".to_owned()
        } else {
            format!("miss: {}", cache.miss.as_deref().unwrap_or("-"))
        };
        let waited = if cache.waited >= Duration::from_millis(50) {
            format!(" (waited {} for another invocation)", seconds(cache.waited))
        } else {
            String::new()
        };
        writeln!(out, "Cache     {}: {state}{waited}", printable(&cache.dir))?;
        if let Some(shared) = &cache.shared {
            writeln!(
                out,
                "          a parallel invocation's attempts against this role failed {} ago: {}, \
                 the last answered `{}` ({} {}): {}. This run made one attempt of its own.",
                seconds(shared.age),
                crate::finding::counted(shared.attempts, "attempt", "attempts"),
                printable(&shared.answer),
                shared.code,
                shared.slug,
                printable(&shared.stopped)
            )?;
        }
    }
    if !data.attempts.is_empty() {
        writeln!(out)?;
        let mut attempts = table();
        attempts.set_header(["#", "started", "took", "result", "then"]);
        let count = data.attempts.len();
        for (i, attempt) in data.attempts.iter().enumerate() {
            attempts.add_row(vec![
                attempt.number.to_string(),
                format!("+{}", seconds(attempt.started)),
                seconds(attempt.took),
                result_text(attempt),
                then_text(attempt, i + 1 == count, data),
            ]);
        }
        writeln!(out, "{}", super::layout::unbroken(&mut attempts))?;
    }
    if let Some(assumed) = &data.assumed {
        writeln!(
            out,
            "\nAssumed   {}\n          key {}, expires {}{}",
            printable(assumed.assumed_role_arn.as_deref().unwrap_or("-")),
            assumed.credentials.masked_key_id(),
            assumed
                .credentials
                .expiration
                .strftime("%Y-%m-%dT%H:%M:%SZ"),
            if data.export.is_some() {
                "; exported on standard output"
            } else {
                "; secrets not shown (--export hands them on)"
            }
        )?;
    }
    writeln!(out)
}

/// The `"assume"` object of the JSON report. Never a secret.
pub fn json(data: &AssumeData) -> Value {
    let attempts: Vec<Value> = data
        .attempts
        .iter()
        .map(|a| {
            json!({
                "number": a.number,
                "started_ms": ms(a.started),
                "took_ms": ms(a.took),
                "code": a.class.map(|c| c.rule.code),
                "slug": a.class.map(|c| c.rule.slug),
                "retryable": a.class.map(|c| match c.retry {
                    Retry::Yes => "yes",
                    Retry::No => "no",
                    Retry::FreshToken => "with-a-fresh-token",
                }),
                "answer": (!a.answer.is_empty()).then_some(&a.answer),
                "wait_ms": a.wait.map(ms),
            })
        })
        .collect();
    json!({
        "role_arn": data.role_arn,
        "session_name": data.session_name,
        "duration_seconds": data.duration,
        "region": data.region,
        "partition": data.partition,
        "endpoint": data.endpoint,
        "token": {
            "source": data.token.source,
            "iss": data.token.iss,
            "sub": data.token.sub,
            "aud": data.token.aud,
            "exp": data.token.exp.map(|t| t.to_string()),
        },
        "attempts": attempts,
        "stopped": data.stop.as_ref().map(crate::rules::assume::retry::Stop::describe),
        "assumed": data.assumed.as_ref().map(|a| json!({
            "assumed_role_arn": a.assumed_role_arn,
            "subject": a.subject,
            "audience": a.audience,
            "provider": a.provider,
            "access_key_id": a.credentials.masked_key_id(),
            "expiration": a.credentials.expiration.to_string(),
        })),
        "cache": data.cache.as_ref().map(|c| json!({
            "dir": c.dir,
            "hit": c.hit,
            "miss": c.miss,
            "waited_ms": ms(c.waited),
            "shared_failure": c.shared.as_ref().map(|f| json!({
                "age_ms": ms(f.age),
                "attempts": f.attempts,
                "code": f.code,
                "slug": f.slug,
                "answer": f.answer,
                "stopped": f.stopped,
            })),
        })),
        "exported": data.export.is_some() && data.assumed.is_some(),
    })
}

pub fn write_markdown(data: &AssumeData, out: &mut dyn Write) -> io::Result<()> {
    use super::md::{cell, code};
    writeln!(out, "\n## Assume\n")?;
    writeln!(out, "- Role: {}", code(&data.role_arn))?;
    writeln!(
        out,
        "- Session: {}, duration {}",
        code(&data.session_name),
        duration_text(data)
    )?;
    writeln!(
        out,
        "- STS endpoint: {}",
        data.endpoint
            .as_deref()
            .map_or_else(|| "not called".to_owned(), code)
    )?;
    if !data.attempts.is_empty() {
        writeln!(
            out,
            "\n| # | started | took | result | then |\n|---|---|---|---|---|"
        )?;
        let count = data.attempts.len();
        for (i, attempt) in data.attempts.iter().enumerate() {
            writeln!(
                out,
                "| {} | +{} | {} | {} | {} |",
                attempt.number,
                seconds(attempt.started),
                seconds(attempt.took),
                cell(&result_text(attempt)),
                cell(&then_text(attempt, i + 1 == count, data))
            )?;
        }
    }
    Ok(())
}
