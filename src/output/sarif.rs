//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it. Every
//! result has a physical location: its own, or the report's input file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use crate::finding::{Category, Finding, Severity};
use crate::report::Report;
use crate::rules::Rule;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score, shown as critical/high/medium/low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// What SARIF paths are relative to: `%SRCROOT%`, the top of the git work
/// tree around the working directory (the nearest directory above it that
/// holds `.git`, as GitHub code scanning expects), else the working
/// directory itself.
#[derive(Debug)]
pub(super) struct Base {
    cwd: PathBuf,
    root: PathBuf,
}

impl Base {
    pub(super) fn from_env() -> Option<Base> {
        let cwd = std::env::current_dir().ok()?;
        Some(Base::at(cwd))
    }

    fn at(cwd: PathBuf) -> Base {
        let root = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(&cwd)
            .to_path_buf();
        Base { cwd, root }
    }

    /// `path` (as given, relative to the working directory or absolute)
    /// relative to the root, when it is a file under it.
    pub(super) fn relative(&self, path: &str) -> Option<String> {
        let given = Path::new(path);
        if !given.exists() {
            return None;
        }
        let absolute = normalised(&self.cwd.join(given));
        let inside = |file: &Path, root: &Path| {
            file.strip_prefix(root).ok().map(|rel| {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
        };
        inside(&absolute, &self.root).or_else(|| {
            // Through a symbolic link (a temporary directory, a mount).
            let file = std::fs::canonicalize(&absolute).ok()?;
            let root = std::fs::canonicalize(&self.root).ok()?;
            inside(&file, &root)
        })
    }

    /// The root as a `file://` URI, ending with `/`.
    fn root_uri(&self) -> String {
        let root = self.root.to_string_lossy();
        let root = root.trim_end_matches('/');
        format!("file://{}/", encoded(root))
    }
}

/// A path with `.` and `..` resolved by its components (no file system).
fn normalised(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path percent-encoded for a URI.
fn encoded(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// An artifact location: a file under the root relative to `%SRCROOT%`
/// (how GitHub maps results to files), wherever the tool ran from and
/// however the path was given; a file elsewhere as a `file://` URI; what is
/// not a file (a role ARN, standard input) as it was given.
fn artifact(path: &str, base: Option<&Base>) -> Value {
    if let Some(relative) = base.and_then(|b| b.relative(path)) {
        return json!({"uri": encoded(&relative), "uriBaseId": "%SRCROOT%"});
    }
    let path = path.strip_prefix("./").unwrap_or(path);
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", encoded(&normalised(Path::new(path)).to_string_lossy()))})
    } else {
        json!({"uri": encoded(path), "uriBaseId": "%SRCROOT%"})
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut properties = json!({"tags": [rule.category.as_str()]});
    if rule.category == Category::Security {
        properties["security-severity"] = json!(security_severity(rule.severity));
    }
    json!({
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.summary()},
        "helpUri": super::text::help_uri(rule),
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": properties,
    })
}

fn result(
    finding: &Finding,
    rule_index: usize,
    input: Option<&str>,
    command: &str,
    base: Option<&Base>,
) -> Value {
    let (uri, line, column) = match (&finding.location, input) {
        (Some(l), _) => {
            let (line, column) = l.in_file.unwrap_or((l.line, l.column));
            (l.path.as_str(), line, column)
        }
        (None, Some(path)) => (path, 1, 1),
        (None, None) => (command, 1, 1),
    };
    let mut physical = json!({
        "artifactLocation": artifact(uri, base),
        "region": {"startLine": line.max(1), "startColumn": column.max(1)},
    });
    let mut location = json!({"physicalLocation": physical.take()});
    if let Some(l) = &finding.location {
        let mut logical = Vec::new();
        if let Some(resource) = &l.resource {
            logical.push(json!({"fullyQualifiedName": resource, "kind": "resource"}));
        }
        if !l.pointer.is_empty() {
            logical.push(json!({"fullyQualifiedName": l.pointer, "kind": "member"}));
        }
        if !logical.is_empty() {
            location["logicalLocations"] = Value::Array(logical);
        }
    }
    json!({
        "ruleId": finding.rule.code,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": match &finding.suggestion {
            Some(suggestion) => format!("{} {}\n{suggestion}", finding.message, finding.help),
            None => format!("{} {}", finding.message, finding.help),
        }},
        "locations": [location],
        "properties": {"severity": finding.severity.as_str()},
    })
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // One descriptor per code that appears, in code order.
    let used: BTreeMap<&str, &Rule> = report
        .findings
        .iter()
        .map(|f| (f.rule.code, f.rule))
        .collect();
    let index: BTreeMap<&str, usize> = used.keys().enumerate().map(|(i, c)| (*c, i)).collect();
    let base = Base::from_env();
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            result(
                f,
                index[f.rule.code],
                report.input.as_deref(),
                report.command,
                base.as_ref(),
            )
        })
        .collect();
    // `check`: each cause marks the first result of its code with its rank.
    let verdict = match &report.data {
        crate::report::CommandData::Check(check) => Some(&check.verdict),
        _ => None,
    };
    if let Some(verdict) = verdict {
        let mut marked = vec![false; results.len()];
        for (rank, cause) in verdict.causes.iter().enumerate() {
            let found = report
                .findings
                .iter()
                .enumerate()
                .find(|(i, f)| !marked[*i] && f.rule.code == cause.code);
            if let Some((i, _)) = found {
                marked[i] = true;
                results[i]["properties"]["causeRank"] = json!(rank + 1);
            }
        }
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "oidc-doctor",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": used.values().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": base.as_ref().map_or_else(
                || json!({}),
                |b| json!({"%SRCROOT%": {"uri": b.root_uri()}}),
            ),
            // Columns count characters, not UTF-16 units (SARIF's default).
            "columnKind": "unicodeCodePoints",
            "automationDetails": {"id": format!("oidc-doctor/{}/", report.command)},
            "results": results,
            "properties": verdict.map_or_else(|| json!({}), |v| json!({
                "verdict": v.status.as_str(),
                "rootCause": v.causes.first().map(|c| c.code),
            })),
        }],
    });
    super::json::write_json(&mut *out, &sarif)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_encoded_and_anchored() {
        assert_eq!(
            artifact("./infra/my role.json", None),
            json!({"uri": "infra/my%20role.json", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact("/tmp/t#1.jwt", None),
            json!({"uri": "file:///tmp/t%231.jwt"})
        );
    }

    #[test]
    fn files_are_relative_to_the_work_tree_top() {
        let top = tempfile::tempdir().unwrap();
        std::fs::create_dir(top.path().join(".git")).unwrap();
        let cfn = top.path().join("infra/cfn");
        std::fs::create_dir_all(&cfn).unwrap();
        std::fs::write(cfn.join("roles.yaml"), "x").unwrap();
        let base = Base::at(top.path().join("infra"));
        let expected = json!({"uri": "infra/cfn/roles.yaml", "uriBaseId": "%SRCROOT%"});
        let absolute = cfn.join("roles.yaml").display().to_string();
        assert_eq!(artifact(&absolute, Some(&base)), expected);
        assert!(base.root_uri().starts_with("file:///") && base.root_uri().ends_with('/'));
        assert_eq!(normalised(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        // A role ARN is not a file: as it was given.
        assert_eq!(
            artifact("arn:aws:iam::1:role/r", Some(&base))["uri"],
            "arn%3Aaws%3Aiam%3A%3A1%3Arole/r"
        );
    }
}
