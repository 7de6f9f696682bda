//! Terraform's JSON syntax (`.tf.json`, what CDK for Terraform writes),
//! read by writing the same configuration in native syntax and keeping, for
//! every value written, where it stands in the JSON: the native reader then
//! resolves it as it resolves a `.tf` file, and its spans are mapped back
//! into the `.tf.json` text.
//!
//! Only what a trust policy can come from is written: `resource`, `data`,
//! `module`, `variable` and `locals`. Strings are templates in both syntaxes
//! (`"${var.x}"`), so they are written as quoted native strings; objects are
//! nested blocks where the schema has blocks (`statement`, `principals`,
//! `not_principals`, `condition` of `aws_iam_policy_document`), attributes
//! elsewhere. `"//"` members are comments and skipped.

use std::fmt::Write as _;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::template::Element;
use serde_json::Value;

use crate::model::source::{JsonSource, Span, SyntaxError, child};

/// How deep a value may nest before it is written as unknown.
const MAX_NESTING: usize = 64;

/// A `.tf.json` file written in native syntax.
#[derive(Debug)]
pub struct Converted {
    pub hcl: String,
    /// Each written node: its range in `hcl`, its span in the JSON text.
    segments: Vec<(Range<usize>, Span)>,
}

impl Converted {
    /// The JSON span of what stands at `span` of the native text: the node
    /// written exactly there, else the smallest one around it.
    pub fn remap(&self, (start, len): Span) -> Option<Span> {
        let end = start + len;
        self.segments
            .iter()
            .filter(|(r, _)| r.start <= start && end <= r.end)
            .min_by_key(|(r, _)| (r.start != start || r.end != end, r.end - r.start))
            .map(|(_, json)| *json)
    }
}

/// Writes `text` (Terraform JSON) in native syntax.
pub fn convert(text: &str) -> Result<Converted, SyntaxError> {
    let source = JsonSource::parse(text.to_owned())?;
    let mut writer = Writer {
        source: &source,
        out: Converted {
            hcl: String::new(),
            segments: Vec::new(),
        },
    };
    let Value::Object(top) = &source.value else {
        return Err(SyntaxError {
            message: "a Terraform JSON file is one object of block types (`resource`, `data`...)"
                .to_owned(),
            line: 1,
            column: 1,
            offset: 0,
        });
    };
    for kind in ["resource", "data"] {
        // Each level is an object, or a list of objects (both are Terraform's).
        for (types, at) in objects(top.get(kind), &child("", kind)) {
            for (type_, names) in types {
                for (names, at) in objects(Some(names), &child(&at, type_)) {
                    for (name, body) in names {
                        let pointer = child(&at, name);
                        let labels = [type_.as_str(), name.as_str()];
                        writer.blocks(kind, &labels, body, &pointer, type_);
                    }
                }
            }
        }
    }
    for kind in ["module", "variable"] {
        for (names, at) in objects(top.get(kind), &child("", kind)) {
            for (name, body) in names {
                let pointer = child(&at, name);
                writer.blocks(kind, &[name.as_str()], body, &pointer, kind);
            }
        }
    }
    match top.get("locals") {
        Some(Value::Object(_)) => writer.blocks("locals", &[], &top["locals"], "/locals", ""),
        Some(Value::Array(list)) => {
            for (i, body) in list.iter().enumerate() {
                writer.blocks("locals", &[], body, &format!("/locals/{i}"), "");
            }
        }
        _ => {}
    }
    Ok(writer.out)
}

/// The objects `value` is (itself, or each object of a list), with their
/// pointers under `pointer`.
fn objects<'v>(
    value: Option<&'v Value>,
    pointer: &str,
) -> Vec<(&'v serde_json::Map<String, Value>, String)> {
    match value {
        Some(Value::Object(map)) => vec![(map, pointer.to_owned())],
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Some((item.as_object()?, child(pointer, &i.to_string()))))
            .collect(),
        _ => Vec::new(),
    }
}

struct Writer<'a> {
    source: &'a JsonSource,
    out: Converted,
}

/// The keys of `schema` (a block type) that are nested blocks.
fn nested_blocks(schema: &str) -> &'static [&'static str] {
    match schema {
        "aws_iam_policy_document" => &["statement"],
        "statement" => &["principals", "not_principals", "condition"],
        _ => &[],
    }
}

impl Writer<'_> {
    /// `body` is one block, or a list of blocks of the same labels.
    fn blocks(&mut self, kind: &str, labels: &[&str], body: &Value, pointer: &str, schema: &str) {
        match body {
            Value::Array(list) => {
                for (i, body) in list.iter().enumerate() {
                    self.block(kind, labels, body, &child(pointer, &i.to_string()), schema);
                }
            }
            _ => self.block(kind, labels, body, pointer, schema),
        }
    }

    fn block(&mut self, kind: &str, labels: &[&str], body: &Value, pointer: &str, schema: &str) {
        let Value::Object(members) = body else {
            return;
        };
        let start = self.out.hcl.len();
        self.out.hcl.push_str(kind);
        for label in labels {
            self.out.hcl.push(' ');
            self.quoted(label);
        }
        self.out.hcl.push_str(" {\n");
        for (key, value) in members {
            if key == "//" || !is_identifier(key) {
                continue;
            }
            let at = child(pointer, key);
            if nested_blocks(schema).contains(&key.as_str()) {
                self.blocks(key, &[], value, &at, key);
                continue;
            }
            let member_start = self.out.hcl.len();
            self.out.hcl.push_str(key);
            self.out.hcl.push_str(" = ");
            self.expression(value, &at, 0);
            self.segment(member_start, &at);
            self.out.hcl.push('\n');
        }
        self.out.hcl.push_str("}\n");
        self.segment(start, pointer);
    }

    fn expression(&mut self, value: &Value, pointer: &str, depth: usize) {
        let start = self.out.hcl.len();
        match value {
            _ if depth > MAX_NESTING => self.out.hcl.push_str("null"),
            Value::Null => self.out.hcl.push_str("null"),
            Value::Bool(b) => {
                let _ = write!(self.out.hcl, "{b}");
            }
            Value::Number(n) => {
                let _ = write!(self.out.hcl, "{n}");
            }
            Value::String(s) => self.template(s),
            Value::Array(list) => {
                self.out.hcl.push('[');
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        self.out.hcl.push_str(", ");
                    }
                    self.expression(item, &child(pointer, &i.to_string()), depth + 1);
                }
                self.out.hcl.push(']');
            }
            Value::Object(members) => {
                self.out.hcl.push_str("{\n");
                for (key, item) in members {
                    let at = child(pointer, key);
                    let member_start = self.out.hcl.len();
                    self.quoted(key);
                    self.out.hcl.push_str(" = ");
                    self.expression(item, &at, depth + 1);
                    self.segment(member_start, &at);
                    self.out.hcl.push('\n');
                }
                self.out.hcl.push('}');
            }
        }
        self.segment(start, pointer);
    }

    /// A JSON string is a template: written as a quoted native string
    /// whose `${...}` and `%{...}` keep their meaning (their expressions
    /// are native syntax already, so only the literal parts are escaped).
    fn template(&mut self, text: &str) {
        self.out.hcl.push('"');
        match hcl_edit::parser::parse_template(text) {
            Ok(template) => {
                for element in &template {
                    let written = element.span().and_then(|r| text.get(r)).unwrap_or_default();
                    match element {
                        Element::Literal(_) => self.escaped(written),
                        Element::Interpolation(_) | Element::Directive(_) => {
                            self.out.hcl.push_str(written);
                        }
                    }
                }
            }
            Err(_) => self.escaped(&text.replace("${", "$${").replace("%{", "%%{")),
        }
        self.out.hcl.push('"');
    }

    /// Literal text, escaped for a quoted native string.
    fn escaped(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '"' => self.out.hcl.push_str("\\\""),
                '\\' => self.out.hcl.push_str("\\\\"),
                '\n' => self.out.hcl.push_str("\\n"),
                '\r' => self.out.hcl.push_str("\\r"),
                '\t' => self.out.hcl.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(self.out.hcl, "\\u{:04x}", u32::from(c));
                }
                c => self.out.hcl.push(c),
            }
        }
    }

    /// A label or object key: a literal, so `${` is escaped.
    fn quoted(&mut self, text: &str) {
        self.out.hcl.push('"');
        self.escaped(&text.replace("${", "$${").replace("%{", "%%{"));
        self.out.hcl.push('"');
    }

    fn segment(&mut self, start: usize, pointer: &str) {
        if let Some(span) = self.source.span(pointer) {
            self.out.segments.push((start..self.out.hcl.len(), span));
        }
    }
}

/// Whether `key` can stand as a native attribute or block name.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdktf_output_reads_as_the_same_native_configuration() {
        let text = r#"{
  "//": {"metadata": {"backend": "local"}},
  "data": {"aws_iam_policy_document": {"trust": {
    "statement": [{
      "actions": ["sts:AssumeRoleWithWebIdentity"],
      "condition": [{"test": "StringLike", "values": ["repo:${var.org}/*"], "variable": "token.actions.githubusercontent.com:sub"}],
      "principals": [{"identifiers": ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"], "type": "Federated"}]
    }]
  }}},
  "resource": {"aws_iam_role": {"deploy": {"assume_role_policy": "${data.aws_iam_policy_document.trust.json}", "name": "deploy"}}},
  "variable": {"org": {"default": "acme"}}
}"#;
        let converted = convert(text).unwrap();
        let body = hcl_edit::parser::parse_body(&converted.hcl).expect(&converted.hcl);
        assert_eq!(body.get_blocks("data").count(), 1);
        let data = body.get_blocks("data").next().unwrap();
        let statement = data.body.get_blocks("statement").next().unwrap();
        assert_eq!(statement.body.get_blocks("condition").count(), 1);
        assert_eq!(statement.body.get_blocks("principals").count(), 1);
        // The condition's values map back to their JSON member (a member's
        // span starts at its key, as in every JSON source).
        let at = converted.hcl.find("[\"repo:").unwrap();
        let end = converted.hcl[at..].find(']').unwrap() + at + 1;
        let (start, len) = converted.remap((at, end - at)).unwrap();
        assert_eq!(
            &text[start..start + len],
            r#""values": ["repo:${var.org}/*"]"#
        );
    }

    #[test]
    fn strings_keep_escapes_and_keys_stay_literal() {
        let text = r#"{"locals": {"x": "a\"b\\c\n${var.y}", "m": {"${k}": 1}}}"#;
        let converted = convert(text).unwrap();
        assert!(
            converted.hcl.contains(r#"x = "a\"b\\c\n${var.y}""#),
            "{}",
            converted.hcl
        );
        assert!(
            converted.hcl.contains(r#""$${k}" = 1"#),
            "{}",
            converted.hcl
        );
        hcl_edit::parser::parse_body(&converted.hcl).expect(&converted.hcl);
    }

    #[test]
    fn not_json_is_a_syntax_error_at_its_byte() {
        let error = convert("{\"resource\": ").unwrap_err();
        assert_eq!(error.line, 1);
    }
}
