//! The last gate of every text format. Renderers escape what they quote
//! (`printable`, `shown`, the GitHub escapes); this gate sees every byte they
//! produce, so a renderer or rule that forgets cannot let an untrusted byte
//! reach a terminal or a CI log:
//!
//! - control, bidi and zero-width characters are shown escaped (`\u{1b}`),
//!   except the line breaks and tabs of the layout and, when colour is on,
//!   the SGR sequences (`ESC [ … m`) that colour it;
//! - no line of a human or Markdown report starts a GitHub workflow command
//!   (`::`, after leading spaces, is what the runner executes); in the GitHub
//!   format only the annotations it writes may;
//! - no line holds the runner's older command syntax, `##[name]`, which it
//!   executes wherever it appears in a line: its `[` is shown escaped.
//!
//! JSON and SARIF need no gate: their serializer escapes every string
//! (`json::Escaping`).

use crate::cli::Format;
use crate::finding::is_unsafe;

/// The lines the GitHub format writes: its annotations.
const ANNOTATIONS: [&str; 3] = ["::error ", "::warning ", "::notice "];

/// `text` as `format` may print it.
pub(super) fn guarded(text: &str, format: Format, color: bool) -> String {
    if matches!(format, Format::Json | Format::Sarif | Format::Gitlab) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let text = defuse_legacy_commands(text);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        let command = body.starts_with("::")
            && !(format == Format::Github && ANNOTATIONS.iter().any(|a| line.starts_with(a)));
        if command {
            // The first `:` escaped: the runner no longer sees a command,
            // and a reader still sees what was there.
            out.push_str(&line[..line.len() - body.len()]);
            out.push_str("\\u{3a}");
            escape_into(&body[1..], color, &mut out);
        } else {
            escape_into(line, color, &mut out);
        }
    }
    out
}

/// The marker of the runner's older command syntax, found anywhere in a line.
const LEGACY_COMMAND: &str = "##[";

/// `##[` written as `##\u{5b}`: the runner no longer sees a command.
fn defuse_legacy_commands(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(LEGACY_COMMAND) {
        text.replace(LEGACY_COMMAND, "##\\u{5b}").into()
    } else {
        text.into()
    }
}

fn escape_into(text: &str, color: bool, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| is_unsafe(c) && !matches!(c, '\n' | '\t')) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if color && let Some(len) = sgr_len(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push_str(&c.escape_unicode().to_string());
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
}

/// The length of the SGR sequence (`ESC [ 1;31 m`) `text` starts with.
fn sgr_len(text: &str) -> Option<usize> {
    let params = text.strip_prefix("\u{1b}[")?;
    let end = params.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (params[end..].starts_with('m') && end <= 32).then_some(2 + end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_line_starts_a_workflow_command() {
        let text = "ok\n::error::injected\n   ::add-mask::x\nnot :: this\n";
        for format in [Format::Human, Format::Markdown, Format::Github] {
            let out = guarded(text, format, false);
            assert!(
                out.lines().all(|l| !l.trim_start().starts_with("::")),
                "{format:?}: {out}"
            );
            assert!(out.contains("\\u{3a}:error::injected"), "{out}");
            assert!(out.contains("not :: this"));
        }
        let annotation = "::error file=a,line=1::x\n::notice title=t::y\n";
        assert_eq!(guarded(annotation, Format::Github, false), annotation);
        assert_ne!(guarded(annotation, Format::Human, false), annotation);
    }

    #[test]
    fn the_older_command_syntax_is_defused_anywhere_in_a_line() {
        for format in [Format::Human, Format::Markdown, Format::Github] {
            let out = guarded("sub `x##[add-mask]secret` and ##[error]y\n", format, false);
            assert!(!out.contains("##["), "{format:?}: {out}");
            assert!(out.contains("x##\\u{5b}add-mask]secret"), "{out}");
        }
    }

    #[test]
    fn control_bidi_and_zero_width_characters_are_escaped() {
        let text = "a\u{1b}]0;title\u{7}b\r\u{202e}c\u{200b}\u{2028}d\n\te\n";
        let out = guarded(text, Format::Human, false);
        assert_eq!(
            out,
            "a\\u{1b}]0;title\\u{7}b\\u{d}\\u{202e}c\\u{200b}\\u{2028}d\n\te\n"
        );
    }

    #[test]
    fn colour_keeps_its_sgr_sequences_and_nothing_else() {
        let text = "\u{1b}[1;31mred\u{1b}[0m \u{1b}[2J \u{1b}]8;;x\u{7}";
        let out = guarded(text, Format::Human, true);
        assert!(out.starts_with("\u{1b}[1;31mred\u{1b}[0m "), "{out:?}");
        assert!(
            out.contains("\\u{1b}[2J"),
            "cursor and screen control: {out:?}"
        );
        assert!(out.contains("\\u{1b}]8;;x\\u{7}"), "OSC: {out:?}");
        assert_eq!(
            guarded(text, Format::Human, false)
                .matches('\u{1b}')
                .count(),
            0
        );
    }

    #[test]
    fn json_is_left_to_its_serializer() {
        let text = "{\"a\": \"::x\\n\"}\n";
        assert_eq!(guarded(text, Format::Json, false), text);
    }
}
