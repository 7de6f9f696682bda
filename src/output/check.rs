//! How `check` is shown: the inputs with where each came from, the stage
//! table, the verdict (root cause first, with its evidence and its fix as
//! it can be pasted), then the findings. Markdown is a runbook entry for a
//! ticket; JSON adds `verdict`.

use std::io::{self, Write};

use comfy_table::Table;
use serde_json::{Value, json};

use crate::model::issuer::seconds;
use crate::report::Report;
use crate::rules::verdict::{Cause, Status, Verdict};
use crate::stages::pipeline::CheckData;

use super::printable;

/// Prose wrapped at `width` on spaces only: a command, an ARN, a URL or a
/// value (none holds a space) is never cut.
fn wrapped(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut wrapped = textwrap::fill(
        &printable(text),
        super::layout::wrap_options(width, first, rest),
    );
    wrapped.push('\n');
    wrapped
}

pub fn write_human(
    data: &CheckData,
    report: &Report,
    width: usize,
    mut table: impl FnMut() -> Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "oidc-doctor check: {} ({})",
        data.verdict.status.headline(),
        data.started.strftime("%Y-%m-%dT%H:%M:%SZ")
    )?;
    writeln!(out)?;
    for input in &data.inputs {
        // What is missing says how to give it; what is there, where from.
        let from = if input.from.starts_with("give ") {
            ""
        } else {
            "from "
        };
        writeln!(
            out,
            "  {:<9} {}  ({from}{})",
            input.name,
            printable(&input.value),
            printable(&input.from)
        )?;
    }
    writeln!(out)?;
    let mut stages = table();
    stages.set_header(["stage", "status", "time", "result"]);
    for stage in &report.stages {
        stages.add_row(vec![
            stage.name.to_owned(),
            stage.status.as_str().to_owned(),
            seconds(stage.duration),
            printable(&stage.detail).into_owned(),
        ]);
    }
    writeln!(out, "{}", super::layout::unbroken(&mut stages))?;
    writeln!(out)?;
    write_verdict_human(&data.verdict, width, out)
}

fn write_verdict_human(verdict: &Verdict, width: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Verdict: {}.", verdict.status.headline())?;
    if let Some(note) = &verdict.note {
        out.write_all(wrapped(&format!("({note})"), width, "  ", "   ").as_bytes())?;
    }
    let Some((root, rest)) = verdict.causes.split_first() else {
        return writeln!(out);
    };
    let title = heading(verdict.status);
    writeln!(
        out,
        "\n{title}: {} {} ({} stage, {})",
        root.code, root.slug, root.stage, root.severity
    )?;
    out.write_all(wrapped(&root.summary, width, "  ", "  ").as_bytes())?;
    for line in &root.evidence {
        out.write_all(wrapped(line, width, "  evidence: ", "            ").as_bytes())?;
    }
    out.write_all(wrapped(&root.fix, width, "  fix: ", "       ").as_bytes())?;
    if let Some(suggestion) = &root.suggestion {
        out.write_all(super::text::suggestion_block(suggestion).as_bytes())?;
    }
    if !rest.is_empty() {
        writeln!(out, "\nAlso:")?;
        for (i, cause) in rest.iter().enumerate() {
            let head = format!(
                "  {}. {} {} ({} stage, {}): ",
                i + 2,
                cause.code,
                cause.slug,
                cause.stage,
                cause.severity,
            );
            out.write_all(wrapped(&cause.summary, width, &head, "     ").as_bytes())?;
        }
    }
    writeln!(out)
}

/// What the first cause is called, by the verdict.
fn heading(status: Status) -> &'static str {
    match status {
        Status::Fails => "Root cause",
        Status::AtRisk => "Main risk",
        Status::Ok | Status::Unknown => "What was seen",
    }
}

fn cause_json(cause: &Cause) -> Value {
    json!({
        "code": cause.code,
        "slug": cause.slug,
        "severity": cause.severity.as_str(),
        "stage": cause.stage,
        "summary": cause.summary,
        "evidence": cause.evidence,
        "fix": cause.fix,
        "suggestion": cause.suggestion,
        "docs": format!("docs/rules/{}.md", cause.code),
    })
}

/// The `"verdict"` object.
pub fn verdict_json(verdict: &Verdict) -> Value {
    json!({
        "status": verdict.status.as_str(),
        "causes": verdict.causes.iter().map(cause_json).collect::<Vec<_>>(),
        "note": verdict.note,
    })
}

/// The `"check"` object: when it ran and what it used.
pub fn json(data: &CheckData) -> Value {
    json!({
        "started": data.started.to_string(),
        "inputs": data.inputs.iter().map(|i| json!({
            "name": i.name,
            "value": i.value,
            "from": i.from,
        })).collect::<Vec<_>>(),
        "blocked": data.blocked,
    })
}

/// The runbook entry: title with the verdict, version and time, the
/// verdict's causes with evidence and fix, the inputs (claims without the
/// signature), the stage table, and the findings not already given as a
/// cause, each linked to its rule page. Nothing is said twice: a stage's
/// result is in the stage table only, and evidence every later cause shares
/// is said once before them.
pub fn write_markdown(data: &CheckData, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    use super::md::{cell, code_cell, inline};
    let verdict = &data.verdict;
    writeln!(out, "# oidc-doctor check: {}\n", verdict.status.headline())?;
    writeln!(out, "{}\n", super::md::byline(report, Some(data.started)))?;
    if let Some(note) = &verdict.note {
        writeln!(out, "> {}\n", inline(note))?;
    }
    write_causes_markdown(verdict, report, out)?;
    writeln!(out, "## Inputs\n\n| Input | Value | From |\n|---|---|---|")?;
    for input in &data.inputs {
        writeln!(
            out,
            "| {} | {} | {} |",
            input.name,
            code_cell(&input.value),
            cell(&input.from)
        )?;
    }
    if let Some(jwt) = data.token.jwt() {
        writeln!(
            out,
            "\n### Token claims\n\nThe signature is not included.\n\n| Claim | Value |\n|---|---|"
        )?;
        for (name, value) in &jwt.claims {
            writeln!(
                out,
                "| {} | {} |",
                code_cell(name),
                cell(&super::text::show_value(value))
            )?;
        }
    }
    writeln!(
        out,
        "\n## Stages\n\n| Stage | Status | Time | Result |\n|---|---|---|---|"
    )?;
    for stage in &report.stages {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            stage.name,
            stage.status.as_str(),
            seconds(stage.duration),
            cell(&stage.detail)
        )?;
    }
    let mut given: Vec<&str> = verdict.causes.iter().map(|c| c.code).collect();
    let others: Vec<_> = report
        .findings
        .iter()
        .filter(|f| match given.iter().position(|c| *c == f.rule.code) {
            // Said above as a cause: once is enough.
            Some(at) => {
                given.remove(at);
                false
            }
            None => true,
        })
        .collect();
    if !others.is_empty() {
        writeln!(
            out,
            "\n## Other findings\n\n| Severity | Rule | Message | Fix |\n|---|---|---|---|"
        )?;
        for f in others {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity,
                super::md::rule_link(f.rule),
                cell(&f.message),
                cell(&f.help)
            )?;
        }
    }
    Ok(())
}

/// The evidence of a cause worth printing under it: not a stage's result
/// (the stage table has it), not what every later cause shares (said once).
fn own_evidence<'a>(
    cause: &'a Cause,
    report: &Report,
    shared: &[&str],
) -> impl Iterator<Item = &'a String> {
    let rows: Vec<String> = report
        .stages
        .iter()
        .map(|s| format!("{} stage: {}", s.name, s.detail))
        .collect();
    let shared: Vec<String> = shared.iter().map(|s| (*s).to_owned()).collect();
    cause
        .evidence
        .iter()
        .filter(move |line| !rows.contains(line) && !shared.contains(line))
}

fn write_causes_markdown(
    verdict: &Verdict,
    report: &Report,
    out: &mut dyn Write,
) -> io::Result<()> {
    use super::md::inline;
    // Evidence every cause after the first shares ("not what STS refused
    // the token for"): said once, before them.
    let later = verdict.causes.get(1..).unwrap_or_default();
    let shared: Vec<&str> = match later.split_first() {
        Some((first, rest)) if !rest.is_empty() => first
            .evidence
            .iter()
            .filter(|line| rest.iter().all(|c| c.evidence.contains(line)))
            .map(String::as_str)
            .collect(),
        _ => Vec::new(),
    };
    for (i, cause) in verdict.causes.iter().enumerate() {
        // The root cause, then the others under a heading of their own.
        let heading = match i {
            0 => format!("## {}", heading(verdict.status)),
            n => format!("### Cause {}", n + 1),
        };
        if i == 1 {
            writeln!(out, "## Other causes\n")?;
            for line in &shared {
                writeln!(out, "Each of these: {}.\n", inline(line))?;
            }
        }
        writeln!(
            out,
            "{heading}: {} ({} stage, {})\n",
            super::md::rule_link_of(cause.code, cause.slug),
            cause.stage,
            cause.severity
        )?;
        writeln!(out, "{}\n", super::md::paragraph(&cause.summary))?;
        let evidence: Vec<&String> =
            own_evidence(cause, report, if i == 0 { &[] } else { &shared }).collect();
        for line in &evidence {
            writeln!(out, "- {}", super::md::paragraph(line))?;
        }
        if !evidence.is_empty() {
            writeln!(out)?;
        }
        writeln!(out, "**Fix:** {}\n", inline(&cause.fix))?;
        if let Some(suggestion) = &cause.suggestion {
            writeln!(out, "{}", super::text::code_block(suggestion))?;
        }
    }
    Ok(())
}
