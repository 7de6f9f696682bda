//! The report: what a command ran and found, the single value handed to
//! the output layer. It carries the stages' data; it imports no command
//! and prints nothing.

use crate::finding::{Finding, Location, Rule, SourceFile, Summary};
use crate::stages::assume::AssumeData;
use crate::stages::issuer::IssuerData;
use crate::stages::pipeline::CheckData;
use crate::stages::policy::files::LintData;
use crate::stages::provider::ProviderData;
use crate::stages::scan::ScanData;
use crate::stages::token::TokenData;
use crate::stages::{Stage, Staged};

pub use crate::finding::Severity;

/// What a command ran and found.
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
    /// The command's own goal, when it has one: whether it was met decides
    /// the exit code instead of `--fail-on` (except `--fail-on never`).
    pub goal: Option<Goal>,
}

/// Whether a command did what the user asked of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Done (`assume --export` got credentials).
    Met,
    /// Not done (`assume` got no credentials).
    Missed,
    /// Could not be tried: every stage that mattered was kept from running
    /// by the environment (no credentials, for example): exit 3.
    Blocked,
}

/// The rules `explain` shows.
#[derive(Debug)]
pub enum Explained {
    /// The pages of the rules asked for: one, or those sharing a slug
    /// (rules.md gives `token-expired` to TK005 and AS106, and
    /// `thumbprint-mismatch` to PV004 and AS105).
    Pages(Vec<&'static Rule>),
    /// Every implemented rule.
    All(&'static [&'static Rule]),
}

/// Command-specific data shown beside the findings.
#[derive(Debug)]
pub enum CommandData {
    None,
    Decode(Box<TokenData>),
    Lint(Box<LintData>),
    Explain(Explained),
    Issuer(Box<IssuerData>),
    Assume(Box<AssumeData>),
    Provider(Box<ProviderData>),
    Scan(Box<ScanData>),
    Check(Box<CheckData>),
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
            goal: None,
        }
    }

    /// A report of one stage's result; `wrap` makes its data the command's.
    pub fn of<T>(
        command: &'static str,
        staged: Staged<T>,
        wrap: impl FnOnce(T) -> CommandData,
    ) -> Self {
        let mut report = Report::new(command, CommandData::None);
        report.data = wrap(report.absorb(staged));
        report.sort_findings();
        report
    }

    /// Moves a stage's findings, rows and sources in; returns its data.
    pub fn absorb<T>(&mut self, staged: Staged<T>) -> T {
        self.findings.extend(staged.findings);
        self.stages.extend(staged.stages);
        self.sources.extend(staged.sources);
        staged.data
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }

    /// Orders findings most severe first, then by location, then by code, so
    /// that every format lists them the same way on every run.
    pub fn sort_findings(&mut self) {
        // A finding is large: sort positions, then move each finding once.
        let findings = &self.findings;
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (&findings[i], &findings[j]);
            b.severity
                .cmp(&a.severity)
                .then_with(|| location_key(a).cmp(&location_key(b)))
                .then_with(|| a.rule.code.cmp(b.rule.code))
        });
        let mut slots: Vec<Option<Finding>> = std::mem::take(&mut self.findings)
            .into_iter()
            .map(Some)
            .collect();
        self.findings = order.into_iter().filter_map(|i| slots[i].take()).collect();
    }

    pub fn source(&self, key: &str) -> Option<&SourceFile> {
        self.sources.iter().find(|s| s.key == key)
    }
}

fn location_key(finding: &Finding) -> (&str, usize, usize) {
    finding
        .location
        .as_ref()
        .map_or(("", 0, 0), |l: &Location| {
            (l.path.as_str(), l.line, l.column)
        })
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

    /// Whether the run exits 1: the command's goal when it has one, else
    /// the findings against the threshold; never with `never`.
    pub fn is_failed(self, report: &Report) -> bool {
        match (self, report.goal) {
            (FailOn::Never, _) | (_, Some(Goal::Met)) => false,
            (_, Some(Goal::Missed)) => true,
            (threshold, None | Some(Goal::Blocked)) => threshold.is_failed_by(&report.findings),
        }
    }

    /// The exit code of a report: 1 when failed (see [`FailOn::is_failed`]),
    /// 3 when the environment kept the command from doing its work and no
    /// finding explains why, else 0.
    pub fn exit_code(self, report: &Report) -> u8 {
        if self.is_failed(report) {
            1
        } else if report.goal == Some(Goal::Blocked) {
            3
        } else {
            0
        }
    }
}
