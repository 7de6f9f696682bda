//! `--format json`: schema 1, documented in docs/json-schema.md. These wire
//! types are converted from the internal ones, so internal refactors never
//! change what scripts read.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::finding::{Finding, Summary};
use crate::model::time::{relative, utc};
use crate::model::token::{Jwt, Normalisation};
use crate::report::Explained as ExplainData;
use crate::report::{CommandData, Report};
use crate::rules::Rule;
use crate::stages::Stage;
use crate::stages::token::TokenData as DecodeData;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    tool: JsonTool,
    command: &'a str,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
    stages: Vec<JsonStage<'a>>,
    #[serde(flatten)]
    data: Map<String, Value>,
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    slug: &'a str,
    severity: &'a str,
    category: &'a str,
    message: &'a str,
    help: &'a str,
    suggestion: Option<&'a str>,
    location: Option<JsonLocation<'a>>,
    docs: String,
}

/// Where a finding is. `line` and `column` are the file's, as an editor,
/// SARIF and the GitHub annotations give them; for a policy embedded in the
/// file as a string (a Terraform plan's `assume_role_policy`), that is where
/// the string stands, and `inner` the position inside the policy.
#[derive(Serialize)]
struct JsonLocation<'a> {
    path: &'a str,
    resource: Option<&'a str>,
    line: usize,
    column: usize,
    inner: Option<JsonPosition>,
    pointer: &'a str,
}

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonStage<'a> {
    name: &'a str,
    status: crate::stages::StageStatus,
    duration_ms: u64,
    detail: &'a str,
}

/// Pretty JSON in which bidi and zero-width characters are written as
/// `\uXXXX` escapes too (JSON escapes only the C0 control characters itself): the same
/// data, but no reader of the raw text is shown other text than it holds.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, Escaping::default());
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// `PrettyFormatter`, escaping what [`crate::finding::shown`] escapes.
#[derive(Default)]
struct Escaping<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for Escaping<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Printable ASCII without `##[` (most text) has nothing to escape.
        if fragment.bytes().all(|b| (0x20..0x7f).contains(&b)) && !fragment.contains("##[") {
            return writer.write_all(fragment.as_bytes());
        }
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(at, c)| {
            crate::finding::is_unsafe(c)
                // The runner's older command syntax, `##[name]`, runs
                // wherever it appears in a log line: its `[` is escaped.
                || (c == '[' && rest[..at].ends_with("##"))
        }) {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let wire = JsonReport {
        schema: SCHEMA_VERSION,
        tool: JsonTool {
            name: "oidc-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        command: report.command,
        findings: report.findings.iter().map(finding).collect(),
        summary: report.summary(),
        stages: report.stages.iter().map(stage).collect(),
        data: command_data(&report.data),
    };
    write_json(&mut *out, &wire)?;
    writeln!(out)
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.rule.code,
        slug: f.rule.slug,
        severity: f.severity.as_str(),
        category: f.rule.category.as_str(),
        message: &f.message,
        help: &f.help,
        suggestion: f.suggestion.as_deref(),
        location: f.location.as_ref().map(|l| {
            let (line, column) = l.in_file.unwrap_or((l.line, l.column));
            JsonLocation {
                path: &l.path,
                resource: l.resource.as_deref(),
                line,
                column,
                inner: l.in_file.map(|_| JsonPosition {
                    line: l.line,
                    column: l.column,
                }),
                pointer: &l.pointer,
            }
        }),
        docs: f.rule.docs_path(),
    }
}

fn stage(s: &Stage) -> JsonStage<'_> {
    JsonStage {
        name: s.name,
        status: s.status,
        duration_ms: u64::try_from(s.duration.as_millis()).unwrap_or(u64::MAX),
        detail: &s.detail,
    }
}

fn command_data(data: &CommandData) -> Map<String, Value> {
    let mut map = Map::new();
    match data {
        CommandData::None => {}
        CommandData::Check(check) => check_data(&mut map, check),
        CommandData::Decode(decode) => {
            map.insert("token".to_owned(), token(decode));
        }
        CommandData::Issuer(issuer) => {
            map.insert("issuer".to_owned(), super::issuer::json(issuer));
        }
        CommandData::Assume(assume) => {
            map.insert("assume".to_owned(), super::assume::json(assume));
        }
        CommandData::Provider(provider) => {
            map.insert("provider".to_owned(), super::provider::json(provider));
            if let Some(evaluation) = &provider.evaluation {
                map.insert(
                    "evaluation".to_owned(),
                    json!({"policies": [self::evaluation(evaluation)]}),
                );
            }
        }
        CommandData::Scan(scan) => {
            map.insert("scan".to_owned(), super::provider::scan_json(scan));
        }
        CommandData::Lint(lint) => {
            let policies: Vec<Value> = lint
                .policies
                .iter()
                .map(|p| {
                    json!({
                        "path": p.path,
                        "kind": p.kind.describe(),
                        "resource": p.resource,
                        "checked": p.unresolved.is_none(),
                        "unresolved": p.unresolved,
                    })
                })
                .collect();
            let skipped: Vec<Value> = lint
                .skipped
                .iter()
                .map(|(path, reason)| json!({"path": path, "reason": reason}))
                .collect();
            map.insert(
                "lint".to_owned(),
                json!({"files": lint.files, "policies": policies, "skipped": skipped}),
            );
            if let Some(token) = &lint.token {
                let evaluations: Vec<Value> = lint.evaluations.iter().map(evaluation).collect();
                map.insert(
                    "evaluation".to_owned(),
                    json!({
                        "token": {"source": token.source, "iss": token.iss, "sub": token.sub, "aud": token.aud},
                        "policies": evaluations,
                    }),
                );
            }
        }
        CommandData::Explain(ExplainData::Pages(rules)) => {
            let entries: Vec<Value> = rules.iter().map(|r| rule_entry(r, true)).collect();
            map.insert("rules".to_owned(), Value::Array(entries));
        }
        CommandData::Explain(ExplainData::All(rules)) => {
            let entries: Vec<Value> = rules.iter().map(|r| rule_entry(r, false)).collect();
            map.insert("rules".to_owned(), Value::Array(entries));
        }
    }
    map
}

/// `check`: the verdict first, then what each stage found.
fn check_data(map: &mut Map<String, Value>, check: &crate::stages::pipeline::CheckData) {
    map.insert(
        "verdict".to_owned(),
        super::check::verdict_json(&check.verdict),
    );
    map.insert("check".to_owned(), super::check::json(check));
    map.insert("token".to_owned(), token(&check.token));
    if let Some(issuer) = &check.issuer {
        map.insert("issuer".to_owned(), super::issuer::json(issuer));
    }
    if let Some(provider) = &check.provider {
        let held = provider.provider.as_ref();
        map.insert(
            "provider".to_owned(),
            json!({
                "source": provider.source,
                "arn": held.map(|(arn, _)| arn),
                "url": held.map(|(_, p)| &p.url),
                "client_ids": held.map(|(_, p)| &p.client_ids),
                "thumbprints": held.map(|(_, p)| &p.thumbprints),
                "skipped": provider.skipped,
            }),
        );
    }
    if let Some(evaluation) = check.policy.as_ref().and_then(|p| p.evaluation.as_ref()) {
        map.insert(
            "evaluation".to_owned(),
            json!({"policies": [self::evaluation(evaluation)]}),
        );
    }
    if let Some(assume) = &check.assume {
        map.insert("assume".to_owned(), super::assume::json(assume));
    }
}

/// The catalogue entry of a rule; with the whole page when asked for one.
pub fn rule_entry(rule: &Rule, with_doc: bool) -> Value {
    let mut entry = json!({
        "code": rule.code,
        "slug": rule.slug,
        "severity": rule.severity.as_str(),
        "category": rule.category.as_str(),
        "summary": rule.summary(),
        "docs": rule.docs_path(),
    });
    if with_doc {
        entry["doc"] = Value::String(rule.doc.to_owned());
    }
    entry
}

fn normalisation_id(n: Normalisation) -> &'static str {
    match n {
        Normalisation::SurroundingWhitespace => "surrounding_whitespace",
        Normalisation::InnerWhitespace => "inner_whitespace",
        Normalisation::BearerPrefix => "bearer_prefix",
        Normalisation::ValueWrapper => "value_wrapper",
    }
}

/// The `"token"` object: header and claims as decoded, never the signature.
fn token(data: &DecodeData) -> Value {
    let now = data.now.as_second();
    let jwt = data.token.jwt();
    let times: Map<String, Value> = ["exp", "iat", "nbf"]
        .iter()
        .filter_map(|&name| {
            let at = jwt?.numeric_date(name)?;
            Some((
                name.to_owned(),
                json!({"unix": at, "utc": utc(at), "relative": relative(at, now)}),
            ))
        })
        .collect();
    let lifetime = jwt.and_then(Jwt::lifetime);
    json!({
        "source": data.source,
        "evaluated_at": data.now.to_string(),
        "length": data.token.length,
        "normalisations": data.token.normalisations.iter().map(|n| normalisation_id(*n)).collect::<Vec<_>>(),
        "is_jwt": jwt.is_some(),
        "header": jwt.map(|j| Value::Object(j.header.clone())),
        "claims": jwt.map(|j| Value::Object(j.claims.clone())),
        "times": times,
        "lifetime_seconds": lifetime,
        "issuer_family": data.family.map(|f| json!({
            "id": f.id,
            "name": f.name,
            "shared": f.tenancy == crate::model::issuers::Tenancy::Shared,
            "tenancy_claim": f.tenancy_claim,
        })),
        "subject": data.subject.as_ref().map(|s| json!({
            "form": s.form,
            "parts": s.parts.iter().map(|(label, value)| json!({"label": label, "value": value})).collect::<Vec<_>>(),
        })),
        "signature": {
            "checked": data.signature.as_ref().is_some_and(|s| !matches!(s.verification, crate::model::signature::Verification::AlgNotCheckable { .. })),
            "present": jwt.is_some_and(|j| !j.signature.is_empty()),
            "valid": data.signature.as_ref().and_then(|s| match s.verification {
                crate::model::signature::Verification::AlgNotCheckable { .. } => None,
                ref v => Some(v.is_verified()),
            }),
            "key_set": data.signature.as_ref().map(|s| &s.key_set),
        },
    })
}

fn evaluation(item: &crate::eval::PolicyEvaluation) -> Value {
    let e = &item.evaluation;
    let statements: Vec<Value> = e
        .actions
        .iter()
        .flat_map(|a| a.statements.iter().map(move |s| (a, s)))
        .map(|(action, s)| {
            let conditions: Vec<Value> = s
                .conditions
                .iter()
                .map(|c| {
                    json!({
                        "operator": c.operator.value,
                        "key": c.key.value,
                        "pointer": c.key.pointer,
                        "expected": c.expected.iter().map(|v| &v.value).collect::<Vec<_>>(),
                        "token": c.actual,
                        "matched": c.matched,
                        "difference": c.mismatch.as_ref().map(|m| m.difference.describe()),
                    })
                })
                .collect();
            json!({
                "action": action.action,
                "index": s.index,
                "pointer": s.pointer,
                "principal_matched": s.principal.matched(),
                "action_matched": s.action.matched(),
                "applies": s.applies(),
                "conditions": conditions,
            })
        })
        .collect();
    json!({
        "path": item.path,
        "resource": item.resource,
        "principal": item.principal,
        "allowed": e.allowed(),
        "reason": (!e.allowed()).then(|| super::refusal_reason(e).trim_start_matches(": ").to_owned()),
        "statements": statements,
    })
}

#[cfg(test)]
mod tests {
    use super::write_json;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_json(&mut out, &text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_written_as_they_are_unless_a_reader_would_be_misled() {
        assert_eq!(
            written("repo:octo-org/app:ref:refs/heads/main"),
            r#""repo:octo-org/app:ref:refs/heads/main""#
        );
        assert_eq!(written("café ✓"), r#""café ✓""#);
        // serde_json's own escapes are kept.
        assert_eq!(written("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        // DEL and C1 controls, bidi and zero-width characters.
        assert_eq!(written("a\u{7f}b"), r#""a\u007fb""#);
        assert_eq!(written("a\u{85}b"), r#""a\u0085b""#);
        assert_eq!(written("x\u{202e}y\u{200b}"), r#""x\u202ey\u200b""#);
        // The runner's `##[command]` syntax loses its bracket, alone or
        // after an escape serde_json wrote.
        assert_eq!(written("x##[add-mask]s"), r#""x##\u005badd-mask]s""#);
        assert_eq!(written("\u{202e}##[error]"), r#""\u202e##\u005berror]""#);
        assert_eq!(written("## [ok]"), "\"## [ok]\"");
    }
}
