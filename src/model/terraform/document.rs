//! `data "aws_iam_policy_document"` blocks as the AWS provider builds
//! them: its source documents' statements, its own, then its overrides
//! (by `sid`); `principals` and `condition` blocks merged into IAM's
//! shape; every node with the span of the HCL it came from.

use std::collections::HashMap;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use serde_json::{Map, Value};

use super::{Built, MAX_DEPTH, Scope, document_name, dynamic_marker, pick, range};
use crate::model::source::child;

impl Scope<'_> {
    /// The policy a `data "aws_iam_policy_document"` block builds: its
    /// source documents' statements, its own, then its overrides (by `sid`).
    pub(super) fn document(&self, block: &Block, built: &mut Built, depth: usize) -> Value {
        let mut statements: Vec<Value> = Vec::new();
        let merge = |key: &str, statements: &mut Vec<Value>, built: &mut Built| {
            let Some(attribute) = block.body.get_attribute(key) else {
                return;
            };
            let Expression::Array(list) = &attribute.value else {
                return;
            };
            for item in list {
                let other = document_name(item)
                    .filter(|_| depth < MAX_DEPTH)
                    .and_then(|name| pick(&self.decls.documents, &name, self.file));
                let Some((file, other)) = other else {
                    // Not known here: kept as text, so it is seen.
                    statements.push(self.unknown(item));
                    continue;
                };
                let mut inner = Built::default();
                let merged = self.decls.at(*file).document(other, &mut inner, depth + 1);
                for (j, statement) in merged
                    .get("Statement")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let sid = statement.get("Sid");
                    let same_sid = statements
                        .iter()
                        .position(|s| sid.is_some() && s.get("Sid") == sid);
                    let k = if let Some(k) = same_sid {
                        statements[k] = statement.clone();
                        k
                    } else {
                        statements.push(statement.clone());
                        statements.len() - 1
                    };
                    let to = format!("/Statement/{k}");
                    // A document of this file is located where its
                    // statements are written; one of another file at the
                    // reference to it.
                    if *file == self.file {
                        built.rebase(&inner.spans, &format!("/Statement/{j}"), &to);
                    } else if let Some(span) = range(item.span()) {
                        built.rebase(&HashMap::from([(String::new(), span)]), "", &to);
                    }
                }
            }
        };
        merge("source_policy_documents", &mut statements, built);
        for statement in block.body.get_blocks("statement") {
            let pointer = format!("/Statement/{}", statements.len());
            statements.push(self.statement(statement, &pointer, built, depth));
        }
        // Statements a `dynamic` block makes at plan time: unknown here.
        for dynamic in dynamic_blocks(block, "statement") {
            let pointer = format!("/Statement/{}", statements.len());
            if let Some(span) = range(dynamic.span()) {
                built.spans.insert(pointer, span);
            }
            statements.push(Value::String(dynamic_marker("statement")));
        }
        merge("override_policy_documents", &mut statements, built);
        let mut policy = Map::new();
        let version = block
            .body
            .get_attribute("version")
            .map_or(Value::String("2012-10-17".to_owned()), |a| {
                self.value(&a.value, "/Version", built, depth)
            });
        policy.insert("Version".to_owned(), version);
        policy.insert("Statement".to_owned(), Value::Array(statements));
        if let Some(span) = range(block.span()) {
            built.spans.insert(String::new(), span);
            built.spans.entry("/Statement".to_owned()).or_insert(span);
            built.spans.entry("/Version".to_owned()).or_insert(span);
        }
        Value::Object(policy)
    }

    fn statement(&self, block: &Block, pointer: &str, built: &mut Built, depth: usize) -> Value {
        if let Some(span) = range(block.span()) {
            built.spans.insert(pointer.to_owned(), span);
        }
        let mut statement = Map::new();
        let attributes = [
            ("sid", "Sid"),
            ("effect", "Effect"),
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ];
        for (key, element) in attributes {
            if let Some(attribute) = block.body.get_attribute(key) {
                let at = child(pointer, element);
                let value = self.value(&attribute.value, &at, built, depth);
                if let Some(span) = range(attribute.span()) {
                    built.spans.insert(at, span);
                }
                statement.insert(element.to_owned(), value);
            }
        }
        if !statement.contains_key("Effect") {
            statement.insert("Effect".to_owned(), Value::String("Allow".to_owned()));
        }
        for (key, element) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let mut principals = Map::new();
            let at = child(pointer, element);
            for principal in block.body.get_blocks(key) {
                let kind = principal
                    .body
                    .get_attribute("type")
                    .map_or(Value::Null, |a| self.literal(&a.value, depth));
                let kind = match kind {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let kind_at = child(&at, &kind);
                if let Some(span) = range(principal.span()) {
                    built.spans.entry(at.clone()).or_insert(span);
                    built.spans.insert(kind_at.clone(), span);
                }
                let identifiers = principal
                    .body
                    .get_attribute("identifiers")
                    .map_or(Value::Array(Vec::new()), |a| {
                        self.value(&a.value, &kind_at, built, depth)
                    });
                add_values(&mut principals, &kind, identifiers);
            }
            if !principals.is_empty() {
                statement.insert(element.to_owned(), Value::Object(principals));
            }
        }
        let conditions = self.conditions(block, &child(pointer, "Condition"), built, depth);
        if !conditions.is_empty() {
            statement.insert("Condition".to_owned(), Value::Object(conditions));
        }
        // Principals or conditions a `dynamic` block makes at plan time: an
        // element named for it says the statement is not known whole.
        for kind in ["principals", "not_principals", "condition"] {
            for dynamic in dynamic_blocks(block, kind) {
                let element = dynamic_marker(kind);
                if let Some(span) = range(dynamic.span()) {
                    built.spans.insert(child(pointer, &element), span);
                }
                statement.insert(element, Value::Null);
            }
        }
        Value::Object(statement)
    }

    fn conditions(
        &self,
        block: &Block,
        at: &str,
        built: &mut Built,
        depth: usize,
    ) -> Map<String, Value> {
        let mut conditions = Map::new();
        for condition in block.body.get_blocks("condition") {
            let text = |key: &str| match condition
                .body
                .get_attribute(key)
                .map(|a| self.literal(&a.value, depth))
            {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let (operator, variable) = (text("test"), text("variable"));
            let test_at = child(at, &operator);
            let variable_at = child(&test_at, &variable);
            if let Some(span) = range(condition.span()) {
                built.spans.entry(at.to_owned()).or_insert(span);
                built.spans.entry(test_at.clone()).or_insert(span);
                built.spans.insert(variable_at.clone(), span);
            }
            let values = condition
                .body
                .get_attribute("values")
                .map_or(Value::Array(Vec::new()), |a| {
                    self.value(&a.value, &variable_at, built, depth)
                });
            let block = conditions
                .entry(operator)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(block) = block {
                add_values(block, &variable, values);
            }
        }
        conditions
    }
}

/// The `dynamic "KIND"` blocks of `block`.
fn dynamic_blocks<'b>(block: &'b Block, kind: &'b str) -> impl Iterator<Item = &'b Block> {
    block
        .body
        .get_blocks("dynamic")
        .filter(move |d| d.labels.first().is_some_and(|l| l.as_str() == kind))
}

/// Adds `values` under `key`, as IAM merges repeated blocks into one list.
fn add_values(map: &mut Map<String, Value>, key: &str, values: Value) {
    match map.get_mut(key) {
        Some(Value::Array(existing)) => match values {
            Value::Array(more) => existing.extend(more),
            other => existing.push(other),
        },
        _ => {
            map.insert(key.to_owned(), values);
        }
    }
}
