//! Layout shared by the human renderers: prose wrapped at spaces only,
//! never inside a code span, and tables that never cut a word.

use comfy_table::{ColumnConstraint, Table, Width};
use std::fmt::Write as _;

/// The words prose may be wrapped between: split at spaces, except inside
/// a code span (`` `aws iam add-client-id-to-open-id-connect-provider
/// --client-id x` `` is one word: a command is never cut).
pub fn words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut rest = line;
    Box::new(std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut in_code = false;
        let mut end = rest.len();
        for (at, c) in rest.char_indices() {
            match c {
                // A span opens only when it also closes.
                '`' if in_code || rest[at + 1..].contains('`') => in_code = !in_code,
                ' ' if !in_code => {
                    end = at;
                    break;
                }
                _ => {}
            }
        }
        let spaces = rest[end..].len() - rest[end..].trim_start_matches(' ').len();
        let (word, after) = rest.split_at(end + spaces);
        rest = after;
        Some(textwrap::core::Word::from(word))
    }))
}

/// Options for prose wrapped the same way as the diagnostics (the human
/// renderer's handler uses [`words`] too).
pub fn wrap_options<'a>(width: usize, first: &'a str, rest: &'a str) -> textwrap::Options<'a> {
    textwrap::Options::new(width)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::Custom(words))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .initial_indent(first)
        .subsequent_indent(rest)
}

/// A table laid out so that no word in it is cut: each column is at least
/// as wide as its longest word (comfy-table wraps at spaces, and cuts only
/// a word longer than its column). A table with a word wider than the
/// terminal is wider than the terminal.
pub fn unbroken(table: &mut Table) -> &Table {
    let mut longest: Vec<usize> = Vec::new();
    let rows = table.header().into_iter().chain(table.row_iter());
    for row in rows {
        for (i, cell) in row.cell_iter().enumerate() {
            let widest = cell
                .content()
                .split([' ', '\n'])
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(0);
            if longest.len() <= i {
                longest.resize(i + 1, 0);
            }
            longest[i] = longest[i].max(widest);
        }
    }
    // When the words do not fit side by side, the table grows past the
    // terminal instead of cutting them: each column takes its padding and
    // one border.
    let needed = longest.iter().map(|w| w + 3).sum::<usize>() + 1;
    let width = usize::from(table.width().unwrap_or(u16::MAX));
    if needed > width {
        table.set_width(u16::try_from(needed).unwrap_or(u16::MAX));
    }
    for (i, width) in longest.into_iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            // The boundary counts the cell's padding, one space each side.
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                u16::try_from(width + 2).unwrap_or(u16::MAX),
            )));
        }
    }
    table
}

/// Code spans longer than this many characters are shortened for reading.
const MAX_CODE_SPAN: usize = 240;

/// `text` with every code span of more than [`MAX_CODE_SPAN`] characters
/// shortened in its middle, saying how much was left out: a value of
/// 100,000 characters quoted in a message is not something to read or
/// copy from a terminal (the JSON and SARIF reports keep it whole).
pub fn readable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_CODE_SPAN {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(4 * MAX_CODE_SPAN));
    let mut changed = false;
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let chars = part.chars().count();
        if i % 2 == 1 && chars > MAX_CODE_SPAN {
            let head: String = part.chars().take(160).collect();
            let tail: String = part.chars().skip(chars - 40).collect();
            let left_out = chars - 200;
            out.push_str(&head);
            let _ = write!(out, "…({left_out} more characters)…");
            out.push_str(&tail);
            changed = true;
        } else {
            out.push_str(part);
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_wrapped_between_words_and_never_inside_a_code_span() {
        let text = "Register it (`aws iam add-client-id-to-open-id-connect-provider --client-id x`) \
                    or see https://token.actions.githubusercontent.com/.well-known/openid-configuration now.";
        let wrapped = textwrap::fill(text, wrap_options(30, "", ""));
        assert!(
            wrapped.contains("(`aws iam add-client-id-to-open-id-connect-provider --client-id x`)"),
            "{wrapped}"
        );
        assert!(
            wrapped.lines().any(|l| l
                == "https://token.actions.githubusercontent.com/.well-known/openid-configuration"),
            "{wrapped}"
        );
        // Only the two words longer than the width stand past it.
        assert_eq!(
            wrapped.lines().filter(|l| l.len() > 30).count(),
            2,
            "{wrapped}"
        );
        // An unmatched backtick is a character like another.
        let wrapped = textwrap::fill("a ` b c d e f g h i j k l", wrap_options(8, "", ""));
        assert!(wrapped.lines().count() > 1, "{wrapped}");
        for text in ["", " ", "`", "``", "` `", "é ` é", "a  b"] {
            // Nothing to wrap at width 1 panics.
            let wrapped = textwrap::fill(text, wrap_options(1, "", ""));
            assert_eq!(wrapped.replace([' ', '\n'], ""), text.replace(' ', ""));
        }
    }

    #[test]
    fn a_long_code_span_is_shortened_in_its_middle_and_says_by_how_much() {
        let value = format!("repo:*{}", "x".repeat(100_000));
        let text = format!("`{value}` matches any owner; fix `repo:acme/app`.");
        let shown = readable(&text);
        assert!(shown.len() < 400, "{shown}");
        assert!(shown.starts_with("`repo:*xxx"));
        assert!(shown.contains("…(99806 more characters)…"), "{shown}");
        assert!(shown.ends_with("` matches any owner; fix `repo:acme/app`."));
        assert_eq!(readable("short `code`"), "short `code`");
    }
}
