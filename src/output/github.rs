//! `--format github`: workflow commands that annotate a GitHub Actions run.

use std::io::{self, Write};

use crate::finding::Severity;
use crate::report::Report;

/// Escapes a workflow-command message (the part after `::`).
fn escape_data(text: &str) -> String {
    // Other control characters would reach the log as they are; bidi and
    // zero-width ones would make it read otherwise than it is.
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\r' | '\n'))
        .map(|c| {
            if crate::finding::is_invisible(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`file=`, `title=`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if let crate::report::CommandData::Check(check) = &report.data {
        write_verdict(&check.verdict, out)?;
    }
    for finding in &report.findings {
        let mut properties = Vec::new();
        match (&finding.location, &report.input) {
            (Some(location), _) => {
                properties.push(format!("file={}", escape_property(&location.path)));
                let (line, column) = location.in_file.unwrap_or((location.line, location.column));
                properties.push(format!("line={line}"));
                properties.push(format!("col={column}"));
            }
            (None, Some(input)) => properties.push(format!("file={}", escape_property(input))),
            (None, None) => {}
        }
        properties.push(format!("title={}", finding.rule.code));
        writeln!(
            out,
            "::{} {}::{}",
            command(finding.severity),
            properties.join(","),
            escape_data(&match &finding.suggestion {
                Some(suggestion) => format!("{} {}\n{suggestion}", finding.message, finding.help),
                None => format!("{} {}", finding.message, finding.help),
            })
        )?;
    }
    Ok(())
}

/// `check`'s verdict as the first annotation: the root cause and its fix.
fn write_verdict(verdict: &crate::rules::verdict::Verdict, out: &mut dyn Write) -> io::Result<()> {
    use crate::rules::verdict::Status;
    let level = match verdict.status {
        Status::Fails => "error",
        Status::AtRisk | Status::Unknown => "warning",
        Status::Ok => "notice",
    };
    let title = format!("oidc-doctor check: {}", verdict.status.headline());
    let text = match verdict.causes.first() {
        Some(root) => format!(
            "{} {} ({} stage): {}\nFix: {}{}",
            root.code,
            root.slug,
            root.stage,
            root.summary,
            root.fix,
            root.suggestion
                .as_ref()
                .map_or_else(String::new, |s| format!("\n{s}"))
        ),
        None => verdict
            .note
            .clone()
            .unwrap_or_else(|| "every stage that ran passed".to_owned()),
    };
    writeln!(
        out,
        "::{level} title={}::{}",
        escape_property(&title),
        escape_data(&text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_break_a_workflow_command() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
