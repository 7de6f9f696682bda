//! `--format human`: miette diagnostics for findings, comfy-table for data,
//! and the summary line last.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use std::collections::HashMap;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};

use super::layout::unbroken;
use crate::finding::{Finding, Severity};
use crate::model::host;
use crate::model::issuers::provider_name;
use crate::model::time::{human_duration, relative, utc};
use crate::model::token::Jwt;
use crate::report::Explained as ExplainData;
use crate::report::{CommandData, Report};
use crate::stages::token::TokenData as DecodeData;

use super::text::{show_value, suggestion_block};
use super::{Options, summary_line};

pub fn write(report: &Report, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    match &report.data {
        CommandData::Explain(explain) => return write_explain(explain, options, out),
        CommandData::Decode(decode) => write_decode(decode, options, out)?,
        CommandData::Issuer(issuer) => {
            super::issuer::write_human(issuer, || new_table(options), out)?;
        }
        CommandData::Assume(assume) => {
            super::assume::write_human(assume, || new_table(options), out)?;
        }
        CommandData::Provider(provider) => {
            super::provider::write_human(provider, || new_table(options), out)?;
        }
        CommandData::Scan(scan) => {
            super::provider::write_scan_human(scan, || new_table(options), out)?;
        }
        CommandData::Check(check) => {
            super::check::write_human(check, report, options.width, || new_table(options), out)?;
            if !report.findings.is_empty() {
                writeln!(out, "Findings:\n")?;
            }
        }
        CommandData::Lint(_) | CommandData::None => {}
    }
    // Each source's line index is built once, however many findings it has.
    let mut indexes = Indexes::default();
    for finding in &report.findings {
        out.write_all(render_finding(report, finding, options, &mut indexes).as_bytes())?;
    }
    if !report.findings.is_empty() {
        writeln!(out, "Each rule is documented: `oidc-doctor explain CODE`.")?;
    }
    if let CommandData::Lint(lint) = &report.data {
        write_evaluations(lint, options, out)?;
        write_lint(lint, out)?;
    }
    if let CommandData::Issuer(issuer) = &report.data {
        writeln!(out, "Verdict: {}", super::issuer::verdict(report, issuer))?;
    }
    writeln!(out, "{}", summary_line(&report.summary()))
}

/// The diagnostic renderer. Prose is wrapped at `width` on spaces only: a
/// command, an ARN, a URL or a condition value is never cut, at a hyphen
/// or anywhere else; one longer than the width stands on its own line.
fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::Custom(super::layout::words))
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Renders an error that stops a command. Every text in it (message, help,
/// each cause) is shown escaped, since errors quote paths, variables and
/// answers from outside.
pub fn render_error(error: &dyn Diagnostic, color: bool, width: usize) -> String {
    render_diagnostic(&Escaped::from(error), color, width)
}

/// Renders a diagnostic whose texts are already escaped.
fn render_diagnostic(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> String {
    render_with(&handler(color, width), diagnostic)
}

fn render_with(handler: &GraphicalReportHandler, diagnostic: &dyn Diagnostic) -> String {
    let mut text = String::new();
    if handler.render_report(&mut text, diagnostic).is_err() {
        text = format!("Error: {diagnostic}\n");
    }
    text
}

/// What the snippets of one report share: each source's line index, and
/// each embedded policy's laid-out form, built once.
#[derive(Default)]
struct Indexes {
    lines: HashMap<String, Vec<usize>>,
    laid_out: HashMap<String, Option<super::snippet::LaidOut>>,
}

/// A diagnostic's texts, escaped, with its causes; a cause the message
/// already ends with is not said twice.
#[derive(Debug)]
struct Escaped {
    message: String,
    code: Option<String>,
    help: Option<String>,
    cause: Option<Box<Escaped>>,
}

impl Escaped {
    fn from(diagnostic: &dyn Diagnostic) -> Self {
        let message = diagnostic.to_string();
        let mut causes = Vec::new();
        let mut next = diagnostic.source();
        while let Some(cause) = next {
            causes.push(cause.to_string());
            next = cause.source();
        }
        if causes
            .first()
            .is_some_and(|first| message.ends_with(&format!(": {first}")))
        {
            causes.remove(0);
        }
        let cause = causes.into_iter().rev().fold(None, |inner, text| {
            Some(Box::new(Escaped {
                message: super::printable(&text).into_owned(),
                code: None,
                help: None,
                cause: inner,
            }))
        });
        Escaped {
            message: super::printable(&message).into_owned(),
            code: diagnostic.code().map(|code| code.to_string()),
            help: diagnostic
                .help()
                .map(|help| super::printable(&help.to_string()).into_owned()),
            cause,
        }
    }
}

impl std::fmt::Display for Escaped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Escaped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for Escaped {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn std::fmt::Display>)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }
}

fn render_finding(
    report: &Report,
    finding: &Finding,
    options: &Options,
    indexes: &mut Indexes,
) -> String {
    let severity = match finding.severity {
        Severity::Critical | Severity::High => miette::Severity::Error,
        Severity::Medium | Severity::Low => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut diagnostic =
        MietteDiagnostic::new(super::printable(&super::layout::readable(&finding.message)))
            .with_code(format!(
                "{} {} ({})",
                finding.rule.code, finding.rule.slug, finding.severity
            ))
            .with_severity(severity)
            .with_help(super::printable(&super::layout::readable(&finding.help)));
    let source = finding.location.as_ref().and_then(|location| {
        let (offset, len) = location.span?;
        let file = report.source(location.source.as_deref()?)?;
        Some((location, offset, len, file))
    });
    let rendered = if let Some((location, offset, len, file)) = source {
        let span = offset..offset.saturating_add(len);
        let mut name = super::printable(&location.display_path()).into_owned();
        let mut handler = handler(options.color, options.width);
        // A policy held in a string of the file: the header gives the
        // string's place in the file; a policy on lines too long to read
        // is shown laid out.
        // A JSON file written on one long line (a policy saved by a
        // script, a minified template) is laid out the same way.
        if let Some((line, column)) = location.in_file {
            let _ = write!(name, ":{line}:{column}, embedded policy");
            handler = handler.clone().without_primary_span_start();
        }
        let laid_out = super::snippet::has_long_line(&file.text, options.width)
            .then(|| {
                let laid = indexes
                    .laid_out
                    .entry(file.key.clone())
                    .or_insert_with(|| super::snippet::LaidOut::new(&file.text))
                    .as_ref()?;
                // Outside an embedded policy, the pointer is the policy's:
                // only a file that is the policy itself is laid out.
                if location.in_file.is_none() && !laid.names_exactly(&location.pointer, &span) {
                    return None;
                }
                let span = laid.span(&location.pointer, span.clone())?;
                Some((laid, span))
            })
            .flatten();
        let (snippet, label) = if let Some((laid, span)) = laid_out {
            if location.in_file.is_none() {
                // The laid-out lines are not the file's: the header keeps
                // the file's position.
                let _ = write!(name, ":{}:{}", location.line, location.column);
                handler = handler.clone().without_primary_span_start();
            }
            name.push_str(", laid out");
            super::snippet::Snippet::new(name, laid.text(), laid.lines(), span)
        } else {
            let lines = indexes
                .lines
                .entry(file.key.clone())
                .or_insert_with(|| super::snippet::line_index(&file.text));
            super::snippet::Snippet::new(name, &file.text, lines, span)
        };
        diagnostic = diagnostic.with_label(LabeledSpan::at(label, finding.rule.slug));
        let with_source = miette::Report::new(diagnostic).with_source_code(snippet);
        render_with(&handler, with_source.as_ref())
    } else {
        let mut text = render_diagnostic(&diagnostic, options.color, options.width);
        if let Some(location) = &finding.location {
            let (line, column) = location.in_file.unwrap_or((location.line, location.column));
            let _ = writeln!(
                text,
                "  at {}:{line}:{column}",
                super::printable(&location.display_path()),
            );
        }
        text
    };
    match &finding.suggestion {
        Some(suggestion) => format!("{rendered}{}\n", suggestion_block(suggestion)),
        None => format!("{rendered}\n"),
    }
}

fn new_table(options: &Options) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(options.width).unwrap_or(u16::MAX));
    table
}

pub fn header_rows(jwt: &Jwt) -> Vec<(String, String)> {
    jwt.header
        .iter()
        .map(|(name, value)| (super::printable(name).into_owned(), show_value(value)))
        .collect()
}

/// One row of the claims table.
#[derive(Debug)]
pub struct ClaimRow {
    pub name: String,
    pub value: String,
    pub note: String,
}

/// The claims with a note on how STS uses each one it uses. Condition keys
/// are shown as `:claim`; the prefix (the provider name) is printed once.
pub fn claim_rows(data: &DecodeData, jwt: &Jwt) -> Vec<ClaimRow> {
    let now = data.now.as_second();
    let extra_keys = data.family.map_or(&[][..], |f| f.extra_condition_keys);
    let has_azp = jwt.claim("azp").is_some();
    let mut rows: Vec<(u8, ClaimRow)> = jwt
        .claims
        .iter()
        .map(|(name, value)| {
            let note = match name.as_str() {
                "iss" => "STS: finds the IAM OIDC provider by this exact URL".to_owned(),
                "sub" => "STS: condition key :sub".to_owned(),
                "aud" if has_azp => "STS: condition key :oaud (azp is matched instead)".to_owned(),
                "aud" | "azp" => {
                    "STS: must be a client ID of the provider; condition key :aud".to_owned()
                }
                "amr" => "STS: condition key :amr (multi-valued: use ForAnyValue)".to_owned(),
                "email" => "STS: condition key :email".to_owned(),
                "https://aws.amazon.com/tags" => {
                    "STS: session tags; the role must allow sts:TagSession".to_owned()
                }
                "https://aws.amazon.com/source_identity" => {
                    "STS: source identity; the role must allow sts:SetSourceIdentity".to_owned()
                }
                "exp" | "iat" | "nbf" => time_note(jwt, name, now),
                other if extra_keys.contains(&other) => format!("STS: condition key :{other}"),
                _ => String::new(),
            };
            // What STS judges first, then the times, then other condition
            // keys, then everything else; each group in token order.
            let rank = match name.as_str() {
                "exp" | "iat" | "nbf" => 1,
                _ if note.is_empty() => 3,
                _ if note.starts_with("STS: condition key :") && name != "sub" => 2,
                _ => 0,
            };
            let row = ClaimRow {
                name: super::printable(name).into_owned(),
                value: show_value(value),
                note,
            };
            (rank, row)
        })
        .collect();
    rows.sort_by_key(|(rank, _)| *rank);
    rows.into_iter().map(|(_, row)| row).collect()
}

fn time_note(jwt: &Jwt, name: &str, now: i64) -> String {
    let Some(at) = jwt.numeric_date(name) else {
        return "not a number of seconds".to_owned();
    };
    let mut note = format!("{} ({})", utc(at), relative(at, now));
    if let Some(lifetime) = jwt.lifetime().filter(|l| name == "exp" && *l >= 0) {
        let _ = write!(
            note,
            "; lifetime {}",
            human_duration(lifetime.unsigned_abs())
        );
    }
    note
}

fn write_decode(data: &DecodeData, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Token from {} ({} characters)",
        super::printable(&data.source),
        data.token.length
    )?;
    for n in &data.token.normalisations {
        writeln!(out, "  note: {}", n.describe())?;
    }
    if data.at_given {
        writeln!(out, "  times judged at {} (--at)", data.now)?;
    }
    let Some(jwt) = data.token.jwt() else {
        writeln!(out)?;
        return Ok(());
    };
    let mut header = new_table(options);
    header.set_header(vec!["Header", "Value"]);
    for (name, value) in header_rows(jwt) {
        header.add_row(vec![name, value]);
    }
    writeln!(out, "{}", unbroken(&mut header))?;
    let mut claims = new_table(options);
    claims.set_header(vec!["Claim", "Value", "Used by STS / time"]);
    for row in claim_rows(data, jwt) {
        claims.add_row(vec![row.name, row.value, row.note]);
    }
    writeln!(out, "{}", unbroken(&mut claims))?;
    if let Some(family) = data.family {
        writeln!(
            out,
            "Issuer: {} ({})",
            family.name,
            family.tenancy.describe()
        )?;
    }
    if let Some(iss) = jwt.claim_str("iss") {
        if let Some(line) = international_host(iss) {
            writeln!(out, "{line}")?;
        }
        writeln!(
            out,
            "Condition keys: `{}:<claim>`",
            super::printable(provider_name(iss))
        )?;
    }
    writeln!(out, "Signature: {}\n", super::signature_line(data))
}

/// For an issuer host that is not plain ASCII, or is written in punycode,
/// its other spelling: what DNS resolves, or what a reader sees.
fn international_host(iss: &str) -> Option<String> {
    let written = host::host_of(iss);
    let forms = host::forms(written);
    if !written.is_ascii() {
        return Some(match forms.ascii {
            Some(ascii) => format!("Issuer host in punycode: {}", super::printable(&ascii)),
            None => format!(
                "Issuer host `{}` is not a valid international domain name",
                super::printable(written)
            ),
        });
    }
    (!host::punycode_labels(written).is_empty() && forms.unicode != written.to_ascii_lowercase())
        .then(|| format!("Issuer host reads: {}", super::printable(&forms.unicode)))
}

fn write_evaluations(
    data: &crate::stages::policy::files::LintData,
    options: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(token) = &data.token else {
        return Ok(());
    };
    writeln!(
        out,
        "Evaluated against the token from {} (sub {}, audience {}):",
        super::printable(&token.source),
        super::printable(token.sub.as_deref().unwrap_or("-")),
        super::printable(token.aud.as_deref().unwrap_or("-"))
    )?;
    for item in &data.evaluations {
        let place = item
            .resource
            .as_ref()
            .map_or_else(|| item.path.clone(), |r| format!("{} ({r})", item.path));
        let evaluation = &item.evaluation;
        if evaluation.allowed() {
            let by = evaluation
                .deciding_statement()
                .map_or(String::new(), |s| format!(" by statement {}", s.index));
            writeln!(out, "  ✓ {place}: allowed{by}")?;
            continue;
        }
        writeln!(
            out,
            "  ✗ {place}: refused{}",
            super::refusal_reason(evaluation)
        )?;
        if let Some(candidate) = evaluation.best_candidate() {
            let mut table = new_table(options);
            table.set_header(vec!["Condition", "Policy expects", "Token has", "Result"]);
            for condition in &candidate.conditions {
                let expected: Vec<&str> = condition
                    .expected
                    .iter()
                    .map(|e| e.value.as_str())
                    .collect();
                let actual = condition
                    .actual
                    .as_ref()
                    .map_or_else(|| "(absent)".to_owned(), |a| a.join(", "));
                let verdict = if condition.matched {
                    "match".to_owned()
                } else {
                    condition
                        .mismatch
                        .as_ref()
                        .map_or_else(|| "no match".to_owned(), |m| m.difference.describe())
                };
                table.add_row(vec![
                    format!("{} {}", condition.operator.value, condition.key.value),
                    super::printable(&expected.join(", ")).into_owned(),
                    super::printable(&actual).into_owned(),
                    verdict,
                ]);
            }
            writeln!(out, "{}", unbroken(&mut table))?;
        }
    }
    Ok(())
}

fn write_lint(
    data: &crate::stages::policy::files::LintData,
    out: &mut dyn Write,
) -> io::Result<()> {
    if data.verbose {
        for (path, reason) in &data.skipped {
            writeln!(
                out,
                "skipped {}: {}",
                super::printable(path),
                super::printable(reason)
            )?;
        }
    } else if !data.skipped.is_empty() {
        writeln!(
            out,
            "note: {} {} not linted (hidden, ignored, or not a policy); --verbose lists {} and why",
            data.skipped.len(),
            if data.skipped.len() == 1 {
                "file was"
            } else {
                "files were"
            },
            if data.skipped.len() == 1 {
                "it"
            } else {
                "them"
            },
        )?;
    }
    writeln!(out, "{}", super::text::lint_count(data))
}

/// Rule pages, a rule between them when a slug names several.
pub fn pages(rules: &[&crate::rules::Rule], out: &mut dyn Write) -> io::Result<()> {
    for (i, rule) in rules.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n---\n\n")?;
        }
        out.write_all(rule.doc.as_bytes())?;
    }
    Ok(())
}

fn write_explain(data: &ExplainData, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    match data {
        ExplainData::Pages(rules) => pages(rules, out),
        ExplainData::All(rules) => {
            let mut table = new_table(options);
            table.set_header(vec!["Code", "Slug", "Severity", "Summary"]);
            for rule in *rules {
                table.add_row(vec![
                    rule.code,
                    rule.slug,
                    rule.severity.as_str(),
                    rule.summary(),
                ]);
            }
            writeln!(out, "{}", unbroken(&mut table))?;
            writeln!(
                out,
                "{} rules. `oidc-doctor explain CODE` prints a rule's page.",
                rules.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cli::Format;
    use crate::finding::{Location, SourceFile};

    #[test]
    fn a_finding_in_a_file_shows_the_snippet_with_a_label() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n";
        let offset = text.find("\"Statement\"").unwrap();
        let mut report = Report::new("lint", CommandData::None);
        report.sources.push(SourceFile {
            key: "role.json".to_owned(),
            text: text.into(),
        });
        report.findings.push(
            Finding::new(
                &crate::rules::TK004,
                "The statement list is empty.",
                "Add a statement.",
            )
            .with_location(Location {
                path: "role.json".to_owned(),
                line: 3,
                column: 3,
                pointer: "/Statement".to_owned(),
                resource: None,
                span: Some((offset, "\"Statement\"".len())),
                source: Some("role.json".to_owned()),
                in_file: None,
            }),
        );
        let options = Options {
            format: Format::Human,
            color: false,
            width: 80,
        };
        let mut out = Vec::new();
        write(&report, &options, &mut out).unwrap();
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("[role.json:3:3]"), "{shown}");
        assert!(shown.contains("  \"Statement\": []"), "{shown}");
        assert!(
            shown.contains("token-claim-missing"),
            "the label names the rule: {shown}"
        );
        assert!(shown.ends_with("1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 info\n"));
    }
}
