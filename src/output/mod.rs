//! The only code that prints. Every format renders the same [`Report`].

mod assume;
mod check;
mod export;
mod github;
mod gitlab;
mod guard;
mod human;
mod issuer;
mod json;
mod layout;
mod markdown;
mod md;
mod progress;
mod provider;
mod sarif;
mod snippet;
mod text;

use std::io::{self, IsTerminal, Write};

use crate::cli::{ColorChoice, Format};
use crate::error::Error;
use crate::finding::{Severity, Summary};
use crate::report::Report;

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    pub color: bool,
    /// Columns available for tables and diagnostics.
    pub width: usize,
}

impl Options {
    /// Decides colour (see [`use_color`]) for standard output, and the width
    /// from `COLUMNS` (default 100).
    pub fn from_env(format: Format, color: ColorChoice) -> Self {
        let color = use_color(color, io::stdout().is_terminal());
        let width = non_empty_var("COLUMNS")
            .and_then(|v| v.to_str().and_then(|s| s.parse::<usize>().ok()))
            .filter(|w| (40..=1000).contains(w))
            .unwrap_or(100);
        Options {
            format,
            color,
            width,
        }
    }
}

impl Options {
    /// As [`Options::from_env`], with colour decided for standard error.
    pub fn for_stderr(format: Format, color: ColorChoice) -> Self {
        Options {
            color: use_color(color, io::stderr().is_terminal()),
            ..Options::from_env(format, color)
        }
    }
}

fn non_empty_var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// Whether to colour a stream: `--color always|never` wins; with `auto`, a
/// non-empty `NO_COLOR` turns colour off, `CLICOLOR_FORCE` (not `0`) turns
/// it on, otherwise colour follows whether the stream is a terminal.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if non_empty_var("NO_COLOR").is_some() {
                false
            } else if non_empty_var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                is_terminal
            }
        }
    }
}

/// Text from the input (claim values, messages that quote them) made safe
/// to print: control characters, which could move the cursor, recolour a
/// terminal or start a new line, and bidi and zero-width characters, which
/// could make a reader see other text than the bytes, are shown escaped
/// (`\u{1b}`, `\u{202e}`).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    crate::finding::shown(text)
}

/// [`printable`] text as one line of a log: also with no workflow command
/// in it (progress lines reach CI logs as they are written).
fn log_line(text: &str) -> String {
    guard::guarded(&printable(text), Format::Human, false)
}

/// Writes `report` to `out` in the chosen format.
/// Every text format passes [`guard`], the last gate for untrusted bytes.
pub fn write_report(report: &Report, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let mut text = Vec::new();
    match options.format {
        Format::Human => human::write(report, options, &mut text),
        Format::Json => json::write(report, &mut text),
        Format::Sarif => sarif::write(report, &mut text),
        Format::Github => github::write(report, &mut text),
        Format::Gitlab => gitlab::write(report, &mut text),
        Format::Markdown => markdown::write(report, &mut text),
    }?;
    let text = String::from_utf8_lossy(&text);
    out.write_all(guard::guarded(&text, options.format, options.color).as_bytes())?;
    out.flush()
}

pub use export::{exports, write_export};
pub use progress::StageProgress;

/// Writes shell completions for the command line.
pub fn write_completions(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, command, "oidc-doctor", &mut buffer);
    out.write_all(&buffer)?;
    out.flush()
}

/// Writes an error that stopped a command, as a miette diagnostic.
pub fn write_error(error: &Error, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let text = human::render_error(error, color, 100);
    out.write_all(guard::guarded(&text, Format::Human, color).as_bytes())?;
    out.flush()
}

/// Writes a usage error (clap's, which quotes the argument as given)
/// through the gate.
pub fn write_usage_error(text: &str, color: bool, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(guard::guarded(text, Format::Human, color).as_bytes())?;
    out.flush()
}

/// Progress of slow network work, on one line of standard error that is
/// rewritten in place; shown only when standard error is a terminal, so
/// logs and pipes stay clean.
#[derive(Debug)]
pub struct TerminalProgress {
    shown: bool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress {
            shown: io::stderr().is_terminal(),
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::stages::Progress for TerminalProgress {
    fn started(&self, _stage: &'static str, what: &str) {
        self.show(what);
    }

    fn update(&self, _stage: &'static str, what: &str) {
        self.show(what);
    }

    fn event(&self, _stage: &'static str, what: &str) {
        self.show(what);
    }

    fn finished(&self, _stage: &crate::stages::Stage) {
        if self.shown {
            let _ = write!(io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

impl TerminalProgress {
    fn show(&self, message: &str) {
        if self.shown {
            let mut err = io::stderr().lock();
            // Progress is a courtesy: a failed write changes nothing else.
            let _ = write!(err, "\r\x1b[2K{}", log_line(message));
            let _ = err.flush();
        }
    }
}

/// One line on the signature check of `decode`.
pub fn signature_line(data: &crate::stages::token::TokenData) -> String {
    use crate::model::signature::Verification;
    let Some(check) = &data.signature else {
        if let Some(why) = &data.signature_skipped {
            return format!("NOT CHECKED: {why}");
        }
        return "not checked (--verify fetches the issuer's keys and checks it; \
                --jwks FILE uses a saved key set)"
            .to_owned();
    };
    match &check.verification {
        Verification::Verified { kid, alg } => format!(
            "verified ({alg}) with key {} from {}",
            kid.as_deref()
                .map_or("(the only key)".to_owned(), |k| format!("`{k}`")),
            check.key_set
        ),
        Verification::AlgNotCheckable { alg } => {
            format!("not checked: `{alg}` signatures cannot be verified here")
        }
        _ => format!("INVALID against {} (TK013)", check.key_set),
    }
}

/// Why the policy refused the token, escaped for printing.
pub fn refusal_reason(evaluation: &crate::eval::Evaluation) -> String {
    printable(&evaluation.refusal_reason()).into_owned()
}

/// `3 findings: 1 critical, 0 high, 2 medium, 0 low, 0 info`.
pub fn summary_line(summary: &Summary) -> String {
    let total = summary.total();
    let counts: Vec<String> = Severity::DESCENDING
        .iter()
        .map(|&s| format!("{} {s}", summary.count(s)))
        .collect();
    format!(
        "{total} finding{}: {}",
        if total == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_counts_every_severity() {
        let summary = Summary {
            critical: 1,
            high: 0,
            medium: 2,
            low: 0,
            info: 0,
        };
        assert_eq!(
            summary_line(&summary),
            "3 findings: 1 critical, 0 high, 2 medium, 0 low, 0 info"
        );
        let one = Summary {
            info: 1,
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&one),
            "1 finding: 0 critical, 0 high, 0 medium, 0 low, 1 info"
        );
    }

    #[test]
    fn printable_escapes_control_characters_only() {
        assert_eq!(printable("plain ü text"), "plain ü text");
        assert_eq!(
            printable("a\u{1b}[31mred\r\nb"),
            "a\\u{1b}[31mred\\u{d}\\u{a}b"
        );
        assert_eq!(
            printable("main\u{202e}x\u{200b}"),
            "main\\u{202e}x\\u{200b}"
        );
    }
}
