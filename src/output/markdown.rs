//! `--format markdown`: a report to paste into a ticket or a runbook.

use std::io::{self, Write};

use crate::report::Explained as ExplainData;
use crate::report::{CommandData, Report};
use crate::stages::token::TokenData as DecodeData;

use super::human::{claim_rows, header_rows};
use super::md::{cell, code_cell, inline};

/// What `lint` read and what it did not check: a gate's reader sees both.
fn lint_markdown(
    data: &crate::stages::policy::files::LintData,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "\n{}", super::text::lint_count(data))?;
    // A policy that could not be checked is a finding (TP009, or TP001
    // when it is not JSON), said there once; this lists the files.
    if data.skipped.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## Not checked\n\n| File | Why |\n|---|---|")?;
    for (path, why) in &data.skipped {
        writeln!(out, "| {} | {} |", code_cell(path), cell(why))?;
    }
    Ok(())
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if let CommandData::Explain(explain) = &report.data {
        return explain_markdown(explain, out);
    }
    if let CommandData::Check(check) = &report.data {
        return super::check::write_markdown(check, report, out);
    }
    writeln!(out, "# oidc-doctor {}", report.command)?;
    writeln!(out)?;
    writeln!(out, "{}", super::md::byline(report, None))?;
    // lint's one stage row is its count, decode's the token line: each
    // said below.
    let stages = !matches!(report.data, CommandData::Lint(_) | CommandData::Decode(_));
    if stages && !report.stages.is_empty() {
        writeln!(out, "\n| Stage | Status | Detail |\n|---|---|---|")?;
        for stage in &report.stages {
            writeln!(
                out,
                "| {} | {} | {} |",
                stage.name,
                stage.status.as_str(),
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
            inline(&super::issuer::verdict(report, issuer))
        )?;
        super::issuer::write_markdown(issuer, out)?;
    }
    match &report.data {
        CommandData::Assume(assume) => super::assume::write_markdown(assume, out)?,
        CommandData::Provider(provider) => super::provider::write_markdown(provider, out)?,
        CommandData::Scan(scan) => super::provider::write_scan_markdown(scan, out)?,
        CommandData::Lint(lint) => lint_markdown(lint, out)?,
        _ => {}
    }
    if !report.findings.is_empty() {
        writeln!(out, "\n## Findings")?;
        for f in &report.findings {
            // Each finding once: its rule (linked to the page), where, what
            // and the fix.
            writeln!(
                out,
                "\n### {} ({})\n",
                super::md::rule_link(f.rule),
                f.severity
            )?;
            if let Some(location) = &f.location {
                writeln!(out, "At {}.\n", super::md::location(location))?;
            }
            writeln!(
                out,
                "{}\n",
                super::md::paragraph(&super::layout::readable(&f.message))
            )?;
            writeln!(
                out,
                "**Fix:** {}",
                inline(&super::layout::readable(&f.help))
            )?;
            if let Some(suggestion) = &f.suggestion {
                writeln!(out, "\n{}", super::text::code_block(suggestion).trim_end())?;
            }
        }
    }
    Ok(())
}

fn decode_markdown(data: &DecodeData, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n## Token\n\nRead from {}; {}.",
        inline(&data.source),
        crate::finding::counted(data.token.length, "character", "characters")
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
        writeln!(out, "| {} | {} |", code_cell(&name), cell(&value))?;
    }
    writeln!(
        out,
        "\n### Claims\n\n| Claim | Value | Note |\n|---|---|---|"
    )?;
    for row in claim_rows(data, jwt) {
        writeln!(
            out,
            "| {} | {} | {} |",
            code_cell(&row.name),
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
                "| Rule | Severity | Category | Summary |\n|---|---|---|---|"
            )?;
            for rule in *rules {
                writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    super::md::rule_link(rule),
                    rule.severity,
                    rule.category,
                    cell(rule.summary())
                )?;
            }
            Ok(())
        }
    }
}
