//! YAML (`CloudFormation` templates) read into the same [`JsonSource`] the JSON
//! inputs use: a `serde_json` value plus the position of every node. The
//! short-form intrinsics (`!Sub`, `!GetAtt`, `!Ref`, `!Join`...) become their
//! long JSON forms, so a policy built by one is recognised as unresolved
//! rather than misread. No I/O.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::source::{DuplicateKey, JsonSource, Span, SyntaxError, child, line_column};

/// Deeper nesting than this is no `CloudFormation` template (and would
/// exhaust the stack of whoever walks the value).
const MAX_DEPTH: usize = 128;
/// Nodes a document may expand to through aliases (a "billion laughs" file
/// of a few hundred bytes would otherwise take gigabytes).
const MAX_NODES: usize = 1_000_000;

/// Parses a YAML document into a [`JsonSource`].
pub fn parse(text: String) -> Result<JsonSource, SyntaxError> {
    // yaml-rust2 counts positions in characters; spans are in bytes.
    let mut bytes_at: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    bytes_at.push(text.len());
    let mut builder = Builder {
        bytes_at,
        ..Builder::default()
    };
    let mut parser = Parser::new_from_str(&text);
    // Driven event by event: `Parser::load` recurses once per nesting level,
    // and a deeply nested file would overflow the stack before any limit.
    let result = loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break Ok(()),
            Ok((event, mark)) => {
                builder.on_event(event, mark);
                if builder.done || builder.limit.is_some() {
                    break Ok(());
                }
            }
            Err(error) => break Err(error),
        }
    };
    let error = match (result, builder.limit.take()) {
        (_, Some((message, at))) => Some((message, at)),
        (Err(error), None) => Some((
            error.info().to_owned(),
            builder.byte(error.marker().index()),
        )),
        (Ok(()), None) => None,
    };
    if let Some((message, offset)) = error {
        let (line, column) = line_column(&text, offset);
        return Err(SyntaxError {
            message,
            line,
            column,
            offset,
        });
    }
    let value = builder.root.unwrap_or(Value::Null);
    Ok(JsonSource::from_parts(
        text,
        value,
        builder.spans,
        builder.duplicates,
    ))
}

enum Frame {
    Sequence {
        pointer: String,
        start: usize,
        items: Vec<Value>,
        tag: Option<Tag>,
        anchor: usize,
    },
    Mapping {
        pointer: String,
        start: usize,
        map: Map<String, Value>,
        keys: HashMap<String, Span>,
        pending: Option<(String, usize)>,
        tag: Option<Tag>,
        anchor: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    spans: HashMap<String, Span>,
    duplicates: Vec<DuplicateKey>,
    /// Anchored values and how many nodes each holds.
    anchors: HashMap<usize, (Value, usize)>,
    done: bool,
    /// Byte offset of each character (and of the end).
    bytes_at: Vec<usize>,
    /// Nodes built so far, aliases expanded.
    nodes: usize,
    /// Set when a limit was hit: the message and where.
    limit: Option<(String, usize)>,
}

impl Builder {
    /// The byte offset of a character position.
    fn byte(&self, char_index: usize) -> usize {
        self.bytes_at
            .get(char_index)
            .copied()
            .unwrap_or_else(|| self.bytes_at.last().copied().unwrap_or(0))
    }

    /// Counts `count` more nodes; false (and the limit recorded) when too many.
    fn grow(&mut self, count: usize, at: usize) -> bool {
        self.nodes = self.nodes.saturating_add(count);
        if self.nodes > MAX_NODES && self.limit.is_none() {
            self.limit = Some((
                format!("the document expands to more than {MAX_NODES} nodes (aliases)"),
                at,
            ));
        }
        self.limit.is_none()
    }

    /// Starts a mapping or sequence at `at`: its pointer, or `None` (and the
    /// limit recorded) when it would nest too deep or hold too many nodes.
    fn open(&mut self, at: usize) -> Option<String> {
        if self.stack.len() >= MAX_DEPTH {
            self.limit = Some((format!("nesting deeper than {MAX_DEPTH} levels"), at));
            return None;
        }
        self.grow(1, at).then(|| self.next_slot(at).0)
    }

    /// The pointer and span start the next value will have.
    fn next_slot(&self, mark: usize) -> (String, usize) {
        match self.stack.last() {
            None => (String::new(), mark),
            Some(Frame::Sequence { pointer, items, .. }) => {
                (child(pointer, &items.len().to_string()), mark)
            }
            Some(Frame::Mapping {
                pointer, pending, ..
            }) => match pending {
                Some((key, key_start)) => (child(pointer, key), *key_start),
                None => (pointer.clone(), mark),
            },
        }
    }

    /// Whether the next scalar is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Mapping { pending: None, .. })
        )
    }
}

impl MarkedEventReceiver for Builder {
    #[allow(clippy::too_many_lines)] // One arm per YAML event.
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.done || self.limit.is_some() {
            return; // Only the first document, and nothing past a limit.
        }
        let at = self.byte(mark.index());
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if self.expects_key() {
                    if let Some(Frame::Mapping { pending, .. }) = self.stack.last_mut() {
                        *pending = Some((text, at));
                    }
                    return;
                }
                let quoted = !matches!(style, TScalarStyle::Plain);
                let value = intrinsic(tag.as_ref(), scalar(&text, quoted, tag.as_ref()));
                if !self.grow(1, at) {
                    return;
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                let len = text.len() + if quoted { 2 } else { 0 };
                self.attach_at(value, at, at + len);
            }
            Event::Alias(anchor) => {
                let size = self.anchors.get(&anchor).map_or(1, |(_, size)| *size);
                if !self.grow(size, at) {
                    return;
                }
                let value = self
                    .anchors
                    .get(&anchor)
                    .map_or(Value::Null, |(value, _)| value.clone());
                if self.expects_key() {
                    if let Some(Frame::Mapping { pending, .. }) = self.stack.last_mut() {
                        *pending = Some((value.as_str().unwrap_or_default().to_owned(), at));
                    }
                } else {
                    self.attach_at(value, at, at + 1);
                }
            }
            Event::SequenceStart(anchor, tag) => {
                let Some(pointer) = self.open(at) else { return };
                self.stack.push(Frame::Sequence {
                    pointer,
                    start: at,
                    items: Vec::new(),
                    tag,
                    anchor,
                });
            }
            Event::MappingStart(anchor, tag) => {
                let Some(pointer) = self.open(at) else { return };
                self.stack.push(Frame::Mapping {
                    pointer,
                    start: at,
                    map: Map::new(),
                    keys: HashMap::new(),
                    pending: None,
                    tag,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, start, tag, anchor) = match self.stack.pop() {
                    Some(Frame::Sequence {
                        items,
                        start,
                        tag,
                        anchor,
                        ..
                    }) => (Value::Array(items), start, tag, anchor),
                    Some(Frame::Mapping {
                        map,
                        start,
                        tag,
                        anchor,
                        ..
                    }) => (Value::Object(map), start, tag, anchor),
                    None => return,
                };
                let value = intrinsic(tag.as_ref(), value);
                if anchor > 0 {
                    let size = node_count(&value);
                    self.anchors.insert(anchor, (value.clone(), size));
                }
                self.attach_at(value, start, at);
            }
            _ => {}
        }
    }
}

impl Builder {
    /// Attaches a finished value spanning `start..end` to its parent.
    fn attach_at(&mut self, value: Value, start: usize, end: usize) {
        let span_from = |from: usize| (from, end.saturating_sub(from).max(1));
        match self.stack.last_mut() {
            None => {
                self.spans.insert(String::new(), span_from(start));
                self.root = Some(value);
                self.done = true;
            }
            Some(Frame::Sequence { pointer, items, .. }) => {
                self.spans
                    .insert(child(pointer, &items.len().to_string()), span_from(start));
                items.push(value);
            }
            Some(Frame::Mapping {
                pointer,
                map,
                keys,
                pending,
                ..
            }) => {
                let Some((key, key_start)) = pending.take() else {
                    return;
                };
                // A mapping member's span starts at its key.
                let span = span_from(key_start);
                self.spans.insert(child(pointer, &key), span);
                if let Some(first) = keys.insert(key.clone(), span) {
                    self.duplicates.push(DuplicateKey {
                        object: pointer.clone(),
                        key: key.clone(),
                        first,
                        winner: span,
                    });
                }
                map.insert(key, value);
            }
        }
    }
}

/// How many nodes a value holds (itself included).
fn node_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// A plain scalar as YAML 1.2's core schema reads it; quoted or tagged
/// scalars stay strings.
fn scalar(text: &str, quoted: bool, tag: Option<&Tag>) -> Value {
    if quoted || tag.is_some() {
        return Value::String(text.to_owned());
    }
    match text {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                let looks_numeric = text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                looks_numeric
                    .then(|| text.parse::<f64>().ok())
                    .flatten()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            })
            .unwrap_or_else(|| Value::String(text.to_owned())),
    }
}

/// `CloudFormation`'s short-form tags as their long JSON forms.
fn intrinsic(tag: Option<&Tag>, value: Value) -> Value {
    let Some(tag) = tag.filter(|t| t.handle == "!") else {
        return value;
    };
    let name = match tag.suffix.as_str() {
        "Ref" => "Ref".to_owned(),
        "Condition" => "Condition".to_owned(),
        "GetAtt" => {
            let value = match value {
                Value::String(s) => match s.split_once('.') {
                    Some((resource, attribute)) => {
                        Value::Array(vec![resource.into(), attribute.into()])
                    }
                    None => Value::String(s),
                },
                other => other,
            };
            return Value::Object(Map::from_iter([("Fn::GetAtt".to_owned(), value)]));
        }
        other => format!("Fn::{other}"),
    };
    Value::Object(Map::from_iter([(name, value)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub '${AWS::StackName}-deploy'
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Sub arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringLike:
                token.actions.githubusercontent.com:sub: repo:acme/*
      Tags:
        - Key: n
          Value: !GetAtt Other.Arn
";

    #[test]
    fn reads_templates_with_short_form_intrinsics_and_positions() {
        let source = parse(TEMPLATE.to_owned()).unwrap();
        let role = &source.value["Resources"]["DeployRole"];
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert_eq!(
            role["Properties"]["RoleName"]["Fn::Sub"],
            "${AWS::StackName}-deploy"
        );
        assert_eq!(
            role["Properties"]["Tags"][0]["Value"]["Fn::GetAtt"],
            serde_json::json!(["Other", "Arn"])
        );
        let statement = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        let pointer = "/Resources/DeployRole/Properties/AssumeRolePolicyDocument/Statement/0/Condition/StringLike/token.actions.githubusercontent.com:sub";
        let (start, _) = source.span(pointer).unwrap();
        assert_eq!(source.line_column(start), (16, 17));
        assert!(
            source.text[start..]
                .starts_with("token.actions.githubusercontent.com:sub: repo:acme/*")
        );
    }

    #[test]
    fn alias_bombs_are_refused() {
        use std::fmt::Write as _;
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            writeln!(bomb, "a{i}: &a{i} [{refs}]").unwrap();
        }
        let error = parse(bomb).unwrap_err();
        assert!(
            error.message.contains("more than 1000000 nodes"),
            "{}",
            error.message
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("a:\n{}x\n", "- ".repeat(20_000));
        let error = parse(deep).unwrap_err();
        assert!(
            error.message.contains("nesting deeper than 128"),
            "{}",
            error.message
        );
    }

    #[test]
    fn positions_are_bytes_even_after_multibyte_characters() {
        let text = "Description: \"caf\u{e9} \u{2014} \u{201c}q\u{201d}\"\nResources:\n  R: 1\n"
            .to_owned();
        let source = parse(text).unwrap();
        let (start, _) = source.span("/Resources/R").unwrap();
        assert!(
            source.text[start..].starts_with("R: 1"),
            "{:?}",
            &source.text[start..]
        );
        assert_eq!(source.line_column(start), (3, 3));
    }

    #[test]
    fn scalars_follow_the_core_schema_and_errors_have_positions() {
        let source =
            parse("a: 1\nb: true\nc: '1'\nd: 2012-10-17\ne: ~\nf: 1.5\n".to_owned()).unwrap();
        assert_eq!(
            source.value,
            serde_json::json!({"a": 1, "b": true, "c": "1", "d": "2012-10-17", "e": null, "f": 1.5})
        );
        let error = parse("a: [1, 2\nb: 3\n".to_owned()).unwrap_err();
        assert!(error.line >= 1 && !error.message.is_empty());
        let dup = parse("a: 1\na: 2\n".to_owned()).unwrap();
        assert_eq!(dup.value["a"], 2);
        assert_eq!(dup.duplicate_keys.len(), 1);
    }
}
