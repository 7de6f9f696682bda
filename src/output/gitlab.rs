//! `--format gitlab`: a GitLab Code Quality report, the JSON array the
//! merge-request widget and the pipeline's Code Quality tab read
//! (`artifacts: reports: codequality:`). Schema: docs/gitlab-code-quality.schema.json.
//!
//! Paths are relative to the top of the git work tree, as GitLab resolves
//! them from the project directory. A finding with no file of its own (a
//! token or issuer finding of `check`) is located at the command's input,
//! else at `.`. The fingerprint is stable while the finding is the same
//! one: it hashes the rule, the file, the resource and the node (not the
//! line), so a merge request that moves a policy does not report it as new.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::json::write_json;
use super::sarif::Base;
use crate::finding::{Category, Finding, Severity};
use crate::report::Report;

/// GitLab's severities: info, minor, major, critical, blocker.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "major",
        Severity::Medium | Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// Code Climate's categories, which GitLab shows.
fn category(category: Category) -> &'static str {
    match category {
        Category::Security => "Security",
        Category::Breakage => "Bug Risk",
        Category::Hygiene => "Style",
    }
}

fn fingerprint(finding: &Finding, path: &str) -> String {
    let location = finding.location.as_ref();
    let identity = json!([
        finding.rule.code,
        path,
        location.and_then(|l| l.resource.as_deref()),
        location.map(|l| l.pointer.as_str()),
        // Two findings of one rule at one node differ by their message.
        location.is_none().then_some(finding.message.as_str()),
    ]);
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, identity.to_string().as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn issue(finding: &Finding, report: &Report, base: Option<&Base>) -> Value {
    let given = finding
        .location
        .as_ref()
        .map(|l| l.path.as_str())
        .or(report.input.as_deref());
    let path = given.map_or_else(
        || ".".to_owned(),
        |p| {
            base.and_then(|b| b.relative(p))
                .unwrap_or_else(|| p.to_owned())
        },
    );
    let line = finding
        .location
        .as_ref()
        .map_or(1, |l| l.in_file.map_or(l.line, |(line, _)| line))
        .max(1);
    let mut body = finding.help.clone();
    if let Some(suggestion) = &finding.suggestion {
        body.push_str("\n\n```\n");
        body.push_str(suggestion);
        body.push_str("\n```");
    }
    let _ = write!(body, "\n\n`oidc-doctor explain {}`", finding.rule.code);
    json!({
        "type": "issue",
        "check_name": finding.rule.code,
        "description": format!("{} {}: {}", finding.rule.code, finding.rule.slug, finding.message),
        "content": {"body": body},
        "categories": [category(finding.rule.category)],
        "severity": severity(finding.severity),
        "fingerprint": fingerprint(finding, &path),
        "location": {"path": path, "lines": {"begin": line}},
    })
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let base = Base::from_env();
    let issues: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| issue(finding, report, base.as_ref()))
        .collect();
    write_json(out, &Value::Array(issues))?;
    writeln!(out)
}
