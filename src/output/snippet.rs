//! The source snippet under a finding, cut to what a reader needs: the
//! lines of the span with one line of context, found through a line index
//! built once per file (so N findings in one file cost N small windows, not
//! N scans of the file), and, on a line too long to show, a window around
//! the span only (a one-line template of megabytes shows a hundred columns
//! of it, and no column past what the renderer can lay out).

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::model::source::JsonSource;

/// Lines longer than this many bytes are shown as a window around the span.
const LONG_LINE: usize = 400;
/// Bytes shown on each side of the span on a long line.
const SIDE: usize = 100;
/// The most bytes of a span underlined on a long line.
const LONGEST_LABEL: usize = 200;

/// Where each line of a text starts (byte offsets, the first is 0).
pub fn line_index(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(at, _)| at + 1),
        )
        .collect()
}

/// A policy embedded in a file as a string (a Terraform plan's
/// `assume_role_policy`) is often one long line: laid out (pretty-printed)
/// for reading, with each finding's span found again in the new text.
#[derive(Debug)]
pub struct LaidOut {
    original: JsonSource,
    pretty: JsonSource,
    lines: Vec<usize>,
}

impl LaidOut {
    /// The laid-out form of `text`, when it is JSON that can be laid out
    /// without losing anything a finding may point at (a repeated key would
    /// be lost).
    pub fn new(text: &str) -> Option<LaidOut> {
        let original = JsonSource::parse(text.to_owned()).ok()?;
        if !original.duplicate_keys.is_empty() {
            return None;
        }
        let pretty = JsonSource::parse(serde_json::to_string_pretty(&original.value).ok()?).ok()?;
        let lines = line_index(&pretty.text);
        Some(LaidOut {
            original,
            pretty,
            lines,
        })
    }

    pub fn text(&self) -> &str {
        &self.pretty.text
    }

    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// Where the node a finding's `span` covers (at `pointer`, or its
    /// nearest ancestor holding the span) stands in the laid-out text.
    pub fn span(&self, pointer: &str, span: Range<usize>) -> Option<Range<usize>> {
        let mut at = pointer;
        loop {
            if let (Some(o), Some(p)) = (self.original.span(at), self.pretty.span(at))
                && o.0 <= span.start
                && span.end <= o.0 + o.1
            {
                return Some(p.0..p.0 + p.1);
            }
            at = &at[..at.rfind('/')?];
        }
    }
}

impl LaidOut {
    /// Whether `pointer` names, in the original text, exactly the node
    /// `span` covers: the pointer is then relative to this text (a plain
    /// policy file), not to a policy inside it (a template's role).
    pub fn names_exactly(&self, pointer: &str, span: &Range<usize>) -> bool {
        self.original
            .span(pointer)
            .is_some_and(|(offset, len)| offset == span.start && offset + len == span.end)
    }
}

/// Whether a text has a line longer than `width` columns.
pub fn has_long_line(text: &str, width: usize) -> bool {
    text.lines().any(|line| line.chars().count() > width)
}

/// One finding's snippet: the window of the text it shows, made safe.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    window: String,
    start: usize,
    line: usize,
    column: usize,
    line_count: usize,
}

impl Snippet {
    /// The snippet of `span` in `text` (whose lines start at `lines`), and
    /// the label's range as it can be drawn (cut on a long line).
    pub fn new(
        name: String,
        text: &str,
        lines: &[usize],
        span: Range<usize>,
    ) -> (Snippet, Range<usize>) {
        let start = floor(text, span.start.min(text.len()));
        let end = own_end(text, start, ceil(text, span.end.min(text.len()).max(start)));
        let line_of = |at: usize| lines.partition_point(|&s| s <= at).saturating_sub(1);
        let line_end = |line: usize| lines.get(line + 1).map_or(text.len(), |&next| next);
        let long = |line: usize| line_end(line) - lines[line] > LONG_LINE;
        let (first, last) = (line_of(start), line_of(end.saturating_sub(1).max(start)));
        let (window, label, line, column) = if (first..=last).any(long) {
            // One window around the span, inside its line, no context.
            let label_end = ceil(text, end.min(start + LONGEST_LABEL));
            let from = floor(text, start.saturating_sub(SIDE).max(lines[first]));
            let line_stop = text[..line_end(first)].trim_end_matches(['\n', '\r']).len();
            let to = ceil(text, (label_end + SIDE).min(line_stop.max(label_end)));
            (from..to, start..label_end, first, from - lines[first])
        } else {
            // The span's lines and one line of context on each side, unless
            // that line is itself too long to show.
            let before = first.checked_sub(1).filter(|&l| !long(l)).unwrap_or(first);
            let after = Some(last + 1)
                .filter(|&l| l < lines.len() && !long(l))
                .unwrap_or(last);
            (lines[before]..line_end(after), start..end, before, 0)
        };
        let snippet = Snippet {
            name,
            window: displayable(&text[window.clone()]),
            start: window.start,
            line,
            column,
            line_count: lines.len(),
        };
        (snippet, label)
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inside = span.offset() >= self.start
            && span.offset() + span.len() <= self.start + self.window.len();
        if !inside {
            return Err(MietteError::OutOfBounds);
        }
        if context_lines_before == 0 && context_lines_after == 0 {
            // Where the span itself starts: the line and column of the
            // header (`[file:line:column]`).
            let from = floor(&self.window, span.offset() - self.start);
            let to = ceil(&self.window, (from + span.len()).min(self.window.len()));
            let before = &self.window[..from];
            let newlines = before.matches('\n').count();
            let line_start = before.rfind('\n').map_or(0, |at| at + 1);
            let column =
                before[line_start..].chars().count() + if newlines == 0 { self.column } else { 0 };
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name.clone(),
                &self.window.as_bytes()[from..to],
                *span,
                self.line + newlines,
                column,
                self.line_count,
            )));
        }
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                self.window.as_bytes(),
                (self.start, self.window.len()).into(),
                self.line,
                self.column,
                self.line_count,
            )
            .with_language("json"),
        ))
    }
}

/// Where a node that starts at `start` really ends: a YAML node's span
/// runs to the next token, over blank lines and comments, often into the
/// next resource; the highlight stops at the node's last character. A
/// comment line more indented than the node is kept (it may be the content
/// of a block scalar).
fn own_end(text: &str, start: usize, end: usize) -> usize {
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let column = start - line_start;
    let mut end = end;
    loop {
        let kept = text[start..end].trim_end().len();
        end = start + kept;
        let body = &text[start..end];
        let Some(last_break) = body.rfind('\n') else {
            return end;
        };
        let last = &body[last_break + 1..];
        let indent = last.len() - last.trim_start().len();
        if last.trim_start().starts_with('#') && indent <= column {
            end = start + last_break;
        } else {
            return end;
        }
    }
}

fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// A window as a snippet may show it: control characters but line breaks
/// and tabs become `?` (`¿` for the two-byte ones), bidi and zero-width
/// characters U+FFFD, each the same number of bytes as what it replaces, so
/// spans still point right.
fn displayable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => c,
            c if c.is_control() && c.len_utf8() == 1 => '?',
            c if c.is_control() => '¿',
            // Replaced by a mark of the same length, so spans keep their place.
            c if crate::finding::is_invisible(c) && c.len_utf8() == 2 => '¿',
            c if crate::finding::is_invisible(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_shows_a_window_around_the_span() {
        let text = format!("{{\"a\": \"{}\", \"key\": 1}}\n", "x".repeat(100_000));
        let lines = line_index(&text);
        let at = text.find("\"key\"").unwrap();
        let (snippet, label) = Snippet::new("f".to_owned(), &text, &lines, at..at + 5);
        assert!(snippet.window.len() < 300, "{}", snippet.window.len());
        assert!(snippet.window.contains("\"key\": 1"));
        assert_eq!(label, at..at + 5);
        assert!(snippet.column > 99_000);
    }

    #[test]
    fn a_short_text_shows_the_lines_with_context() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n";
        let lines = line_index(text);
        let at = text.find("\"b\"").unwrap();
        let (snippet, _) = Snippet::new("f".to_owned(), text, &lines, at..at + 3);
        assert_eq!(snippet.window, "  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n");
        assert_eq!(snippet.line, 1);
    }

    #[test]
    fn a_one_line_policy_is_laid_out_with_the_span_found_again() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Condition":{"StringLike":{"a:sub":"x:*"}}}]}"#;
        let pointer = "/Statement/0/Condition/StringLike/a:sub";
        let at = text.find(r#""a:sub""#).unwrap();
        let laid = LaidOut::new(text).unwrap();
        let span = laid
            .span(pointer, at..at + r#""a:sub":"x:*""#.len())
            .unwrap();
        assert_eq!(&laid.text()[span.clone()], r#""a:sub": "x:*""#);
        assert!(laid.text().lines().count() > 5);
        let line = laid.text()[..span.start].matches('\n').count();
        assert_eq!(
            laid.text().lines().nth(line).unwrap().trim(),
            r#""a:sub": "x:*""#
        );
        // A repeated key would be lost: not laid out.
        assert!(LaidOut::new(r#"{"a":1,"a":2}"#).is_none());
        assert!(LaidOut::new("not json").is_none());
    }

    #[test]
    fn a_yaml_node_is_highlighted_to_its_own_end() {
        let text = "Resources:\n  Role:\n    Statement:\n      - Effect: Allow\n        Action: x\n\n      # the next one\n  Bucket:\n    Type: y\n";
        let lines = line_index(text);
        let at = text.find("Effect").unwrap();
        let next = text.find("Bucket").unwrap();
        let (snippet, label) = Snippet::new("f".to_owned(), text, &lines, at..next);
        assert_eq!(&text[label], "Effect: Allow\n        Action: x");
        assert!(!snippet.window.contains("Bucket"), "{}", snippet.window);
        // A comment more indented than the node is its content.
        let text = "a: |\n  x\n  # kept\nb: 1\n";
        let lines = line_index(text);
        let next = text.find("b:").unwrap();
        let (_, label) = Snippet::new("f".to_owned(), text, &lines, 0..next);
        assert_eq!(&text[label], "a: |\n  x\n  # kept");
    }

    #[test]
    fn spans_at_the_edges_and_past_the_end_do_not_panic() {
        for text in ["", "x", "é", "a\n", "\n\n", "\u{202e}\u{1b}"] {
            let lines = line_index(text);
            for start in 0..=text.len() + 2 {
                for len in 0..4 {
                    let _ = Snippet::new("f".to_owned(), text, &lines, start..start + len);
                }
            }
        }
    }
}
