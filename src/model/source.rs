//! JSON text with positions: the typed value for the rules (`serde_json`) and,
//! beside it, where every node stands in the text (a span-keeping parse with
//! jsonc-parser), resolved once by JSON pointer. Also what the typed parse
//! cannot keep: repeated keys. No I/O.

use std::collections::HashMap;

use jsonc_parser::ast::{ObjectPropName, Value as Node};
use jsonc_parser::{CollectOptions, ParseOptions};
use serde_json::Value;

/// A byte range in the text: (offset, length).
pub type Span = (usize, usize);

/// A key that appears twice in one object: the typed parse keeps only the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Pointer of the object holding the key.
    pub object: String,
    pub key: String,
    /// Where the first occurrence stands (the one silently dropped).
    pub first: Span,
    /// Where the occurrence that wins stands.
    pub winner: Span,
}

/// Why a text is not JSON, with the position of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// 1-based line and column, as `serde_json` reports them.
    pub line: usize,
    pub column: usize,
    /// Byte offset of the problem.
    pub offset: usize,
}

/// A parsed JSON document that knows where each node is.
#[derive(Debug, Clone)]
pub struct JsonSource {
    pub text: String,
    pub value: Value,
    /// Pointer → span of the node, including its key when it has one.
    spans: HashMap<String, Span>,
    pub duplicate_keys: Vec<DuplicateKey>,
    /// Byte offset where each line starts, for positions in O(log n).
    line_starts: Vec<usize>,
}

impl JsonSource {
    /// Parses `text` as strict JSON.
    pub fn parse(text: String) -> Result<Self, SyntaxError> {
        let value: Value = serde_json::from_str(&text).map_err(|error| SyntaxError {
            message: strip_position(&error.to_string()),
            line: error.line(),
            column: error.column(),
            offset: offset_of(&text, error.line(), error.column()),
        })?;
        let mut source = JsonSource {
            value,
            spans: HashMap::new(),
            duplicate_keys: Vec::new(),
            line_starts: line_starts(&text),
            text: String::new(),
        };
        // serde_json accepted the text as strict JSON, so the (more lenient)
        // span parse accepts it too; if it ever did not, findings simply
        // carry no snippet.
        let options = ParseOptions::default();
        if let Ok(ast) = jsonc_parser::parse_to_ast(&text, &CollectOptions::default(), &options)
            && let Some(root) = &ast.value
        {
            source.index(root, &mut String::new(), None);
        }
        source.text = text;
        Ok(source)
    }

    /// No text at all: the stand-in for a policy that could not be read.
    pub fn empty() -> Self {
        JsonSource::from_parts(String::new(), Value::Null, HashMap::new(), Vec::new())
    }

    /// A source built by another parser (YAML) that recorded its own spans.
    pub fn from_parts(
        text: String,
        value: Value,
        spans: HashMap<String, Span>,
        duplicate_keys: Vec<DuplicateKey>,
    ) -> Self {
        JsonSource {
            line_starts: line_starts(&text),
            text,
            value,
            spans,
            duplicate_keys,
        }
    }

    /// This JSON as it stands at `offset` of a larger `text` (a heredoc in
    /// a `.tf` file): spans and positions count in the larger text.
    #[must_use]
    pub fn shifted(self, text: &str, offset: usize) -> JsonSource {
        let shift = |(start, len): Span| (start + offset, len);
        let spans = self
            .spans
            .into_iter()
            .map(|(pointer, span)| (pointer, shift(span)))
            .collect();
        let duplicate_keys = self
            .duplicate_keys
            .into_iter()
            .map(|d| DuplicateKey {
                first: shift(d.first),
                winner: shift(d.winner),
                ..d
            })
            .collect();
        JsonSource::from_parts(text.to_owned(), self.value, spans, duplicate_keys)
    }

    /// Records the span of `node` at `pointer` and of everything under
    /// it; `pointer` is extended and restored as the walk goes down.
    fn index(&mut self, node: &Node<'_>, pointer: &mut String, key_start: Option<usize>) {
        let range = node_range(node);
        let start = key_start.unwrap_or(range.0);
        self.spans.insert(pointer.clone(), (start, range.1 - start));
        let len = pointer.len();
        match node {
            Node::Object(object) => {
                let mut seen: HashMap<&str, Span> = HashMap::with_capacity(object.properties.len());
                for prop in &object.properties {
                    let (name, name_start) = match &prop.name {
                        ObjectPropName::String(s) => (&*s.value, s.range.start),
                        ObjectPropName::Word(w) => (w.value, w.range.start),
                    };
                    let span = (name_start, prop.range.end - name_start);
                    if let Some(first) = seen.insert(name, span) {
                        self.duplicate_keys.push(DuplicateKey {
                            object: pointer.clone(),
                            key: name.to_owned(),
                            first,
                            winner: span,
                        });
                    }
                    // The last occurrence wins, as in the typed value.
                    push_token(pointer, name);
                    self.index(&prop.value, pointer, Some(name_start));
                    pointer.truncate(len);
                }
            }
            Node::Array(array) => {
                for (i, element) in array.elements.iter().enumerate() {
                    push_token(pointer, &i.to_string());
                    self.index(element, pointer, None);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// The span of the node at `pointer` (with its key, for object members).
    pub fn span(&self, pointer: &str) -> Option<Span> {
        self.spans.get(pointer).copied()
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |part| part.chars().count() + 1);
        (line, column)
    }
}

fn node_range(node: &Node<'_>) -> (usize, usize) {
    let range = match node {
        Node::StringLit(n) => n.range,
        Node::NumberLit(n) => n.range,
        Node::BooleanLit(n) => n.range,
        Node::Object(n) => n.range,
        Node::Array(n) => n.range,
        Node::NullKeyword(n) => n.range,
    };
    (range.start, range.end)
}

/// What `pointer` adds below `parent` (`""` for `parent` itself), or
/// `None` when it is not `parent` or under it.
pub fn below<'p>(pointer: &'p str, parent: &str) -> Option<&'p str> {
    pointer
        .strip_prefix(parent)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// `pointer` extended by one reference token, escaped per RFC 6901.
pub fn child(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    push_token(&mut out, token);
    out
}

/// Appends `/` and `token`, escaped per RFC 6901, to `pointer`.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for (i, part) in token.split('~').enumerate() {
        if i > 0 {
            pointer.push_str("~0");
        }
        for (j, piece) in part.split('/').enumerate() {
            if j > 0 {
                pointer.push_str("~1");
            }
            pointer.push_str(piece);
        }
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// 1-based line and character column of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Byte offset of a 1-based line and column (column counted in bytes, as
/// `serde_json` counts it), clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// `serde_json` appends " at line L column C"; the location is shown apart.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_key_and_value_and_pointers_are_escaped() {
        let text = "{\n  \"a/b\": {\"c\": [1, \"x\"]}\n}".to_owned();
        let source = JsonSource::parse(text).unwrap();
        let (start, len) = source.span("/a~1b/c/1").unwrap();
        assert_eq!(&source.text[start..start + len], "\"x\"");
        let (start, len) = source.span("/a~1b/c").unwrap();
        assert_eq!(&source.text[start..start + len], "\"c\": [1, \"x\"]");
        assert_eq!(source.line_column(start), (2, 11));
        assert_eq!(source.span(""), Some((0, source.text.len())));
    }

    #[test]
    fn below_is_the_pointer_itself_or_a_descendant_never_a_sibling_prefix() {
        assert_eq!(below("/Statement/1", "/Statement/1"), Some(""));
        assert_eq!(
            below("/Statement/1/Condition", "/Statement/1"),
            Some("/Condition")
        );
        assert_eq!(below("/Statement/10", "/Statement/1"), None);
        assert_eq!(below("/Statement", ""), Some("/Statement"));
    }

    #[test]
    fn pointer_tokens_escape_tilde_before_slash() {
        assert_eq!(child("/a", "b"), "/a/b");
        assert_eq!(child("", "~1/"), "/~01~1");
        assert_eq!(child("/x", "a/~b~"), "/x/a~1~0b~0");
        assert_eq!(child("", ""), "/");
        let source = JsonSource::parse(r#"{"~/": {"k": 1}}"#.to_owned()).unwrap();
        assert!(source.span("/~0~1/k").is_some());
    }

    #[test]
    fn duplicate_keys_are_found_and_the_last_one_wins() {
        let text = r#"{"k": 1, "o": {"s": "a", "s": "b"}}"#.to_owned();
        let source = JsonSource::parse(text).unwrap();
        assert_eq!(source.value["o"]["s"], "b");
        let dup = &source.duplicate_keys[0];
        assert_eq!((dup.object.as_str(), dup.key.as_str()), ("/o", "s"));
        assert_eq!(
            &source.text[dup.first.0..dup.first.0 + dup.first.1],
            r#""s": "a""#
        );
        let (start, len) = source.span("/o/s").unwrap();
        assert_eq!(&source.text[start..start + len], r#""s": "b""#);
    }

    #[test]
    fn syntax_errors_point_at_the_byte() {
        let error = JsonSource::parse("{\n  \"a\": 1,\n  \"b\": x\n}".to_owned()).unwrap_err();
        assert_eq!((error.line, error.column), (3, 8));
        assert_eq!(error.offset, 19);
        assert_eq!(error.message, "expected value");
        assert!(JsonSource::parse(String::new()).is_err());
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("é\nab", 4), (2, 2));
        assert_eq!(line_column("abc", 99), (1, 4));
    }
}
