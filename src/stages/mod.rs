//! Stages: the steps every command is made of. Each stage takes typed
//! inputs (never CLI types), gathers through `net/`, judges with `rules/`
//! and `eval/`, and hands back its data, its findings and the rows of the
//! stage table. No stage prints; progress goes through [`Progress`].
//!
//! `check` runs them all in dependency order: token, then the issuer probe
//! beside the IAM reads (provider and role), then the trust policy, then
//! the live assume. The other commands run one or two of them.

pub mod assume;
pub mod issuer;
pub mod pipeline;
pub mod policy;
pub mod provider;
pub mod role;
pub mod scan;
pub mod token;
pub mod writer;

use std::time::Duration;

use serde::Serialize;

use crate::finding::{Finding, Severity, SourceFile};

/// The outcome of one stage (token, issuer, provider, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Pass => "pass",
            StageStatus::Warn => "warn",
            StageStatus::Fail => "fail",
            StageStatus::Skip => "skip",
        }
    }
}

/// One row of the stage table.
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

    /// A stage that ran, judged by its findings.
    pub fn ran(
        name: &'static str,
        findings: &[Finding],
        duration: Duration,
        detail: impl Into<String>,
    ) -> Stage {
        Stage {
            name,
            status: Stage::judge(findings),
            duration,
            detail: detail.into(),
        }
    }

    /// A stage that did not run: `why` says why and what would let it run.
    pub fn skipped(name: &'static str, why: impl Into<String>) -> Stage {
        Stage {
            name,
            status: StageStatus::Skip,
            duration: Duration::ZERO,
            detail: why.into(),
        }
    }
}

/// What a stage hands back: its data, its findings, its table rows and
/// the source texts its findings point into.
#[derive(Debug)]
pub struct Staged<T> {
    pub data: T,
    pub findings: Vec<Finding>,
    pub stages: Vec<Stage>,
    pub sources: Vec<SourceFile>,
}

impl<T> Staged<T> {
    /// Data with no findings, rows or sources yet.
    pub fn of(data: T) -> Staged<T> {
        Staged {
            data,
            findings: Vec::new(),
            stages: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// The same findings, rows and sources around other data.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Staged<U> {
        Staged {
            data: f(self.data),
            findings: self.findings,
            stages: self.stages,
            sources: self.sources,
        }
    }

    /// Moves `other`'s findings and sources in, not its rows (`check` shows
    /// one row per stage); returns its data.
    pub fn absorb_findings<U>(&mut self, other: Staged<U>) -> U {
        self.findings.extend(other.findings);
        self.sources.extend(other.sources);
        other.data
    }

    /// Moves `other`'s findings, rows and sources in; returns its data.
    pub fn absorb<U>(&mut self, other: Staged<U>) -> U {
        self.findings.extend(other.findings);
        self.stages.extend(other.stages);
        self.sources.extend(other.sources);
        other.data
    }
}

/// Where slow work says what it is doing. The output layer decides whether
/// and how to show it: a spinner per running stage on a terminal, a line
/// per event in a CI log, nothing at all. Stages running on several threads
/// (`check`'s live assume beside the others) share it.
pub trait Progress: Sync {
    /// `stage` began; `what` says what it is doing.
    fn started(&self, stage: &'static str, what: &str);
    /// A running stage moved on to `what`.
    fn update(&self, stage: &'static str, what: &str);
    /// Something that deserves its own line in a log (an assume attempt).
    fn event(&self, stage: &'static str, what: &str);
    /// `stage.name` ended with this result.
    fn finished(&self, stage: &Stage);
}

/// Progress that shows nothing (tests, library use, `--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _stage: &'static str, _what: &str) {}
    fn update(&self, _stage: &'static str, _what: &str) {}
    fn event(&self, _stage: &'static str, _what: &str) {}
    fn finished(&self, _stage: &Stage) {}
}
