//! Findings: what a rule says about one problem, with the rule's identity,
//! severity and location. Every stage and every output format uses these;
//! they import nothing of the tool but the model. Nothing here prints or
//! does I/O.

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most severe first (the order of the summary line).
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Too open: someone outside the intended set can assume the role.
    Security,
    /// The intended caller is refused.
    Breakage,
    /// Works today, but fragile or unclear.
    Hygiene,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Breakage => "breakage",
            Category::Hygiene => "hygiene",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in an input file a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The path as the user gave it (or a role ARN, a resource address).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// RFC 6901 pointer to the JSON node inside the document.
    pub pointer: String,
    /// The resource inside the file the finding belongs to
    /// (`aws_iam_role.deploy`, `Resources/DeployRole`, a role ARN).
    pub resource: Option<String>,
    /// Byte offset and length of the node in the source, for snippets.
    pub span: Option<(usize, usize)>,
    /// Key of the [`SourceFile`] the span refers to, when a snippet can be shown.
    pub source: Option<String>,
    /// For a policy embedded in the file as a string (Terraform, get-role):
    /// where that string stands in the file, for tools that open the file
    /// (SARIF, GitHub annotations). `line` and `column` count inside the policy.
    pub in_file: Option<(usize, usize)>,
}

impl Location {
    /// `path`, or `path (resource)` when the finding is inside a resource.
    pub fn display_path(&self) -> String {
        match &self.resource {
            Some(resource) => format!("{} ({resource})", self.path),
            None => self.path.clone(),
        }
    }
}

/// One problem found by one rule.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// The rule's default severity unless the rule raised or lowered it.
    pub severity: Severity,
    pub message: String,
    pub help: String,
    /// What to paste, exactly: a policy fragment or a command, with the
    /// real values. Rendered as a block of its own, never wrapped.
    pub suggestion: Option<String>,
    pub location: Option<Location>,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>, help: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            help: help.into(),
            suggestion: None,
            location: None,
        }
    }

    /// Adds the block to paste.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Raise or lower the severity for this occurrence (the rule text says when).
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    #[must_use]
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// A count with its noun in the right number: `1 attempt`, `2 attempts`,
/// `0 keys`. Every message and report line counts this way, never `key(s)`.
pub fn counted<N>(n: N, one: &str, many: &str) -> String
where
    N: fmt::Display + PartialEq + From<u8> + Copy,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// A character no untrusted text may bring into the output as it is: a
/// control character, or a bidi or zero-width one. Every format escapes
/// these, each in its own syntax.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// A bidi, zero-width or line-separating character that is not a control
/// character: it changes what a reader sees (or where a line ends), not
/// what the bytes say.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Text from outside (a claim, a policy value, a file name) made safe to
/// embed in a message: control, bidi and zero-width characters are shown
/// escaped (`\u{202e}`), so no input can start a line, recolour a
/// terminal or reorder what a reader sees.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        text.chars()
            .map(|c| {
                if is_unsafe(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A rule's identity and documentation. The catalogue of every rule is in
/// [`crate::rules`]; this is the shape each entry has.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// The Markdown page from `docs/rules/CODE.md`.
    pub doc: &'static str,
}

impl Rule {
    /// The one-line summary: the first paragraph after the page title.
    pub fn summary(&self) -> &'static str {
        self.doc
            .lines()
            .skip(1)
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .unwrap_or("")
    }

    /// Path of the documentation page inside the repository.
    pub fn docs_path(&self) -> String {
        format!("docs/rules/{}.md", self.code)
    }
}

/// A source file the findings point into, kept so that the human output can
/// show the snippet.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The key locations use to refer to it (a path, or path#resource for a
    /// policy embedded in a file as a string).
    pub key: String,
    pub text: std::sync::Arc<str>,
}

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            *summary.slot(finding.severity) += 1;
        }
        summary
    }

    fn slot(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_every_character_that_hides_or_breaks_a_line() {
        for c in [
            '\u{1b}', '\n', '\r', '\u{85}', '\u{061c}', '\u{180e}', '\u{200b}', '\u{200f}',
            '\u{2028}', '\u{2029}', '\u{202e}', '\u{2060}', '\u{2066}', '\u{2069}', '\u{feff}',
        ] {
            let text = format!("a{c}b");
            let out = shown(&text);
            assert!(!out.contains(c), "{c:?} came through as {out:?}");
            assert!(out.contains(&c.escape_unicode().to_string()), "{out:?}");
        }
        assert_eq!(shown("plain ü text"), "plain ü text");
    }
}
