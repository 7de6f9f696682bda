//! Findings and reports: the data every command produces and every output
//! format consumes. Nothing here prints or does I/O.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::rules::Rule;

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
    pub location: Option<Location>,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>, help: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            help: help.into(),
            location: None,
        }
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

/// The outcome of one stage of a command (token, issuer, provider, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    Pass,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: &'static str,
    pub status: StageStatus,
    pub duration: Duration,
    pub detail: String,
}

impl Stage {
    /// A stage's status from the findings it produced.
    pub fn judge(findings: &[Finding]) -> StageStatus {
        match findings.iter().map(|f| f.severity).max() {
            Some(Severity::High | Severity::Critical) => StageStatus::Fail,
            Some(Severity::Medium | Severity::Low) => StageStatus::Warn,
            Some(Severity::Info) | None => StageStatus::Pass,
        }
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

/// What a command ran and found: the single value handed to the output layer.
#[derive(Debug)]
pub struct Report {
    pub command: &'static str,
    /// The primary input file, when there is one (the token file for
    /// `decode`): where findings without a location of their own point.
    pub input: Option<String>,
    pub findings: Vec<Finding>,
    pub stages: Vec<Stage>,
    pub sources: Vec<SourceFile>,
    pub data: CommandData,
    /// The command's own verdict, when it has one: it decides the exit code
    /// instead of `--fail-on` (except `--fail-on never`).
    pub verdict: Option<Verdict>,
}

/// A command's own verdict on its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// What the user asked for was done (`assume --export` got credentials).
    Succeeded,
    /// What the user asked for was not done (`assume` got no credentials).
    Failed,
}

/// Command-specific data shown beside the findings.
#[derive(Debug)]
pub enum CommandData {
    None,
    Decode(Box<crate::commands::decode::DecodeData>),
    Lint(Box<crate::commands::lint::LintData>),
    Explain(crate::commands::explain::ExplainData),
    Issuer(Box<crate::commands::issuer::IssuerData>),
    Assume(Box<crate::commands::assume::AssumeData>),
    Provider(Box<crate::commands::provider::ProviderData>),
    Scan(Box<crate::commands::scan::ScanData>),
}

impl Report {
    pub fn new(command: &'static str, data: CommandData) -> Self {
        Report {
            command,
            input: None,
            findings: Vec::new(),
            stages: Vec::new(),
            sources: Vec::new(),
            data,
            verdict: None,
        }
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }

    /// Orders findings most severe first, then by location, then by code, so
    /// that every format lists them the same way on every run.
    pub fn sort_findings(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| location_key(a).cmp(&location_key(b)))
                .then_with(|| a.rule.code.cmp(b.rule.code))
        });
    }

    pub fn source(&self, key: &str) -> Option<&SourceFile> {
        self.sources.iter().find(|s| s.key == key)
    }
}

fn location_key(finding: &Finding) -> (String, usize, usize) {
    finding.location.as_ref().map_or_else(
        || (String::new(), 0, 0),
        |l| (l.path.clone(), l.line, l.column),
    )
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    AtOrAbove(Severity),
    Never,
}

impl FailOn {
    pub fn is_failed_by(self, findings: &[Finding]) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::AtOrAbove(threshold) => findings.iter().any(|f| f.severity >= threshold),
        }
    }

    /// Whether the run exits 1: the command's verdict when it gave one,
    /// else the findings against the threshold; never with `never`.
    pub fn is_failed(self, report: &Report) -> bool {
        match (self, report.verdict) {
            (FailOn::Never, _) | (_, Some(Verdict::Succeeded)) => false,
            (_, Some(Verdict::Failed)) => true,
            (threshold, None) => threshold.is_failed_by(&report.findings),
        }
    }
}
