//! `--format markdown`: a report to paste into a ticket or a runbook.

use std::io::{self, Write};

use crate::report::Explained as ExplainData;
use crate::report::{CommandData, Report};
use crate::stages::token::TokenData as DecodeData;

use super::human::{claim_rows, header_rows};
use super::summary_line;

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Escapes text from the input for Markdown prose: control characters are
/// shown escaped and HTML cannot start, so a claim cannot add headings,
/// links or markup to the report.
fn inline(text: &str) -> String {
    // Inside a code span Markdown shows `&lt;` as it is, and HTML cannot
    // start there anyway: escape only outside them.
    let printable = super::printable(text);
    let spans: Vec<&str> = printable.split('`').collect();
    let balanced = spans.len() % 2 == 1;
    spans
        .iter()
        .enumerate()
        .map(|(i, span)| {
            let in_code = i % 2 == 1 && (balanced || i + 1 < spans.len());
            if in_code {
                (*span).to_owned()
            } else {
                // No link, image or HTML can start in text from outside: a
                // link needs `[`, an autolink or a tag `<`.
                span.chars().fold(String::new(), |mut text, c| {
                    match c {
                        '<' => text.push_str("&lt;"),
                        '>' => text.push_str("&gt;"),
                        '\\' | '[' | ']' => {
                            text.push('\\');
                            text.push(c);
                        }
                        _ => text.push(c),
                    }
                    text
                })
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// What `lint` read and what it did not check: a gate's reader sees both.
fn lint_markdown(
    data: &crate::stages::policy::files::LintData,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "\n{}", super::text::lint_count(data))?;
    let unresolved: Vec<_> = data
        .policies
        .iter()
        .filter(|p| p.unresolved.is_some())
        .collect();
    if unresolved.is_empty() && data.skipped.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## Not checked\n\n| File | Why |\n|---|---|")?;
    for policy in unresolved {
        writeln!(
            out,
            "| {} ({}) | the trust policy is unresolved ({}) |",
            cell(&policy.path),
            cell(policy.resource.as_deref().unwrap_or("?")),
            cell(policy.unresolved.as_deref().unwrap_or_default())
        )?;
    }
    for (path, why) in &data.skipped {
        writeln!(out, "| {} | {} |", cell(path), cell(why))?;
    }
    Ok(())
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if let CommandData::Explain(explain) = &report.data {
        return explain_markdown(explain, out);
    }
    if let CommandData::Check(check) = &report.data {
        return super::check::write_markdown(check, report, cell, inline, out);
    }
    writeln!(out, "# oidc-doctor {}", report.command)?;
    writeln!(out)?;
    writeln!(out, "**{}**", summary_line(&report.summary()))?;
    if !report.stages.is_empty() {
        writeln!(out, "\n| Stage | Status | Detail |\n|---|---|---|")?;
        for stage in &report.stages {
            writeln!(
                out,
                "| {} | {:?} | {} |",
                stage.name,
                stage.status,
                cell(&stage.detail)
            )?;
        }
    }
    if let CommandData::Decode(decode) = &report.data {
        decode_markdown(decode, out)?;
    }
    if let CommandData::Issuer(issuer) = &report.data {
        writeln!(
            out,
            "\n**Verdict:** {}",
            cell(&super::issuer::verdict(report, issuer))
        )?;
        super::issuer::write_markdown(issuer, cell, out)?;
    }
    match &report.data {
        CommandData::Assume(assume) => super::assume::write_markdown(assume, cell, out)?,
        CommandData::Provider(provider) => super::provider::write_markdown(provider, cell, out)?,
        CommandData::Scan(scan) => super::provider::write_scan_markdown(scan, cell, out)?,
        CommandData::Lint(lint) => lint_markdown(lint, out)?,
        _ => {}
    }
    if !report.findings.is_empty() {
        writeln!(out, "\n## Findings\n")?;
        writeln!(
            out,
            "| Severity | Rule | Message | Location |\n|---|---|---|---|"
        )?;
        for f in &report.findings {
            let location = f.location.as_ref().map_or_else(String::new, |l| {
                format!("{}:{}:{}", l.display_path(), l.line, l.column)
            });
            writeln!(
                out,
                "| {} | `{}` {} | {} | {} |",
                f.severity,
                f.rule.code,
                f.rule.slug,
                cell(&f.message),
                cell(&location)
            )?;
        }
        for f in &report.findings {
            writeln!(
                out,
                "\n### {} {} ({})\n",
                f.rule.code, f.rule.slug, f.severity
            )?;
            writeln!(out, "{}\n", inline(&f.message))?;
            writeln!(out, "**Fix:** {}\n", inline(&f.help))?;
            if let Some(suggestion) = &f.suggestion {
                writeln!(out, "{}", super::text::code_block(suggestion))?;
            }
            writeln!(out, "Documentation: `oidc-doctor explain {}`", f.rule.code)?;
        }
    }
    Ok(())
}

fn decode_markdown(data: &DecodeData, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n## Token\n\nRead from {}; {} characters.",
        inline(&data.source),
        data.token.length
    )?;
    for n in &data.token.normalisations {
        writeln!(out, "- {}", n.describe())?;
    }
    writeln!(
        out,
        "\nSignature: {}.",
        inline(&super::signature_line(data))
    )?;
    let Some(jwt) = data.token.jwt() else {
        return Ok(());
    };
    writeln!(out, "\n### Header\n\n| Field | Value |\n|---|---|")?;
    for (name, value) in header_rows(jwt) {
        writeln!(out, "| `{}` | {} |", cell(&name), cell(&value))?;
    }
    writeln!(
        out,
        "\n### Claims\n\n| Claim | Value | Note |\n|---|---|---|"
    )?;
    for row in claim_rows(data, jwt) {
        writeln!(
            out,
            "| `{}` | {} | {} |",
            cell(&row.name),
            cell(&row.value),
            cell(&row.note)
        )?;
    }
    Ok(())
}

fn explain_markdown(data: &ExplainData, out: &mut dyn Write) -> io::Result<()> {
    match data {
        ExplainData::Pages(rules) => super::human::pages(rules, out),
        ExplainData::All(rules) => {
            writeln!(
                out,
                "| Code | Slug | Severity | Category | Summary |\n|---|---|---|---|---|"
            )?;
            for rule in *rules {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    rule.code,
                    rule.slug,
                    rule.severity,
                    rule.category,
                    cell(rule.summary())
                )?;
            }
            Ok(())
        }
    }
}
