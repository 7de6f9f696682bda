//! Markdown, escaped for where the text stands. Inside a code span only
//! backticks matter: the span's fence is made longer than any run of
//! backticks inside (`CommonMark`), and nothing else is touched, so
//! `<owner>` reads `<owner>`. Outside, every character that could start
//! markup (emphasis, a link, an image, HTML, an entity, a heading or a list)
//! is escaped, so text from the input cannot add any. Control, bidi and
//! zero-width characters are shown escaped everywhere (`\u{1b}`).

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::finding::{Location, Rule};
use crate::report::Report;

use super::printable;

/// `text` as a code span, shown exactly as it is.
pub fn code(text: &str) -> String {
    let text = printable(text);
    if text.is_empty() {
        return "` `".to_owned();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick, or with a space at both
    // ends, needs a space of padding on each side (`CommonMark` strips one).
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && text.trim() != "");
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// [`code`] for a table cell: a `|` would end the cell even inside a span.
pub fn code_cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Prose for a table cell.
pub fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Prose that may hold code spans (rule messages quote values as
/// `` `value` ``): the spans are kept as `CommonMark` reads them (a run of
/// backticks opens one, the next run of the same length closes it), the
/// rest escaped; an unmatched backtick is shown as it is.
pub fn inline(text: &str) -> String {
    prose(text, false)
}

/// [`inline`] text that starts a paragraph: also nothing at its start that
/// would make it a heading, a list or a rule.
pub fn paragraph(text: &str) -> String {
    prose(text, true)
}

fn prose(text: &str, mut at_start: bool) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let Some(open) = rest.find('`') else {
            escape_prose(rest, at_start, &mut out);
            break;
        };
        escape_prose(&rest[..open], at_start, &mut out);
        let run = rest[open..].len() - rest[open..].trim_start_matches('`').len();
        let after = &rest[open + run..];
        if let Some(close) = closing_run(after, run) {
            out.push_str(&rest[open..open + run + close + run]);
            rest = &after[close + run..];
        } else {
            for _ in 0..run {
                out.push_str("\\`");
            }
            rest = after;
        }
        at_start = false;
    }
    out
}

/// Where the next run of exactly `len` backticks starts in `text`.
fn closing_run(text: &str, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'`' {
                i += 1;
            }
            if i - start == len {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Text outside code spans: what could start markup is escaped.
fn escape_prose(text: &str, at_start: bool, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' if starts_entity(&chars[i + 1..]) => out.push_str("&amp;"),
            '\\' | '[' | ']' | '*' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Inside a word an underscore cannot start or end emphasis.
            '_' if !(before.is_some_and(char::is_alphanumeric)
                && after.is_some_and(char::is_alphanumeric)) =>
            {
                out.push_str("\\_");
            }
            // At the start of a line these start a heading, a list or a rule.
            '#' | '-' | '+' | '=' if at_start && i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if at_start && i > 0 && chars[..i].iter().all(char::is_ascii_digit) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
}

/// Whether what follows an `&` would make an entity (`&lt;`, `&#60;`).
fn starts_entity(rest: &[char]) -> bool {
    let name = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name > 0 && rest.get(name) == Some(&';')
}

/// A rule's code and slug, linked to its page.
pub fn rule_link(rule: &Rule) -> String {
    rule_link_of(rule.code, rule.slug)
}

/// [`rule_link`] from a code and a slug.
pub fn rule_link_of(code: &str, slug: &str) -> String {
    format!("[{code} {slug}]({})", super::text::help_uri_of(code))
}

/// The time a report states: `SOURCE_DATE_EPOCH` (seconds since the epoch)
/// when set, so that a build or a test can pin it; else `started`; else now.
pub fn report_time(started: Option<Timestamp>) -> Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok())
        .or(started)
        .unwrap_or_else(Timestamp::now)
}

/// The line under a report's title: the tool's version, the UTC time of the
/// run and the count of findings.
pub fn byline(report: &Report, started: Option<Timestamp>) -> String {
    format!(
        "oidc-doctor {} · {} UTC · {}",
        env!("CARGO_PKG_VERSION"),
        report_time(started).strftime("%Y-%m-%d %H:%M:%S"),
        super::summary_line(&report.summary())
    )
}

/// Where a finding is, as a reader opens it: the file position (of the
/// embedded policy's string, for one held in a string), then the resource
/// and, inside an embedded policy, the position there.
pub fn location(location: &Location) -> String {
    let (line, column) = location.in_file.unwrap_or((location.line, location.column));
    let mut text = code(&format!("{}:{line}:{column}", location.path));
    if let Some(resource) = &location.resource {
        let _ = write!(text, " ({})", code(resource));
    }
    if location.in_file.is_some() {
        let _ = write!(
            text,
            ", line {} column {} of the policy in it",
            location.line, location.column
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_is_left_as_it_is_but_for_backticks() {
        assert_eq!(code("repo:<owner>/*"), "`repo:<owner>/*`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(code("x\u{1b}[31m"), "`x\\u{1b}[31m`");
    }

    #[test]
    fn prose_is_escaped_outside_code_spans_only() {
        assert_eq!(
            inline("Name `<ns>:<sa>` not <b>[x](y)</b>"),
            "Name `<ns>:<sa>` not &lt;b&gt;\\[x\\](y)&lt;/b&gt;"
        );
        assert_eq!(inline("a ``x`y`` b"), "a ``x`y`` b");
        assert_eq!(inline("one ` alone"), "one \\` alone");
        assert_eq!(
            inline("*bold* _em_ snake_case"),
            "\\*bold\\* \\_em\\_ snake_case"
        );
        assert_eq!(paragraph("# title"), "\\# title");
        assert_eq!(paragraph("1. item"), "1\\. item");
        assert_eq!(inline("--role-arn"), "--role-arn");
        assert_eq!(inline("a & b &lt;"), "a & b &amp;lt;");
        assert_eq!(inline("path\\to"), "path\\\\to");
    }

    #[test]
    fn no_input_panics() {
        for text in [
            "",
            "`",
            "``",
            "` `",
            "é`",
            "`é",
            "\u{202e}`x",
            "&",
            "&#",
            "_",
            "1",
        ] {
            let _ = inline(text);
            let _ = code(text);
        }
    }
}
