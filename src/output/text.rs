//! Small renderings more than one format shares: a claim value, a block to
//! paste, a fenced block, a rule page's address. Each makes its untrusted
//! text safe itself.

use std::fmt::Write as _;

use crate::rules::Rule;

use super::printable;

/// Values longer than this many characters are cut, with their length.
const MAX_SHOWN_VALUE: usize = 300;

/// Shows a claim value: strings bare, everything else as compact JSON,
/// very long values cut with a note of their length.
pub fn show_value(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => printable(s).into_owned(),
        // JSON escapes control characters, not bidi or zero-width ones.
        other => printable(&other.to_string()).into_owned(),
    };
    match text.char_indices().nth(MAX_SHOWN_VALUE) {
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
        None => text,
    }
}

/// A block to paste, indented, each line made safe, never wrapped.
pub fn suggestion_block(suggestion: &str) -> String {
    suggestion.lines().fold(String::new(), |mut block, line| {
        let _ = writeln!(block, "        {}", printable(line));
        block
    })
}

/// A fenced block of text to paste: each line made safe; the fence is
/// longer than any run of backticks inside, so nothing can close it early.
pub fn code_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut block = format!("{fence}text\n");
    for line in text.lines() {
        block.push_str(&printable(line));
        block.push('\n');
    }
    block.push_str(&fence);
    block.push('\n');
    block
}

/// Where rule pages are published.
pub fn help_uri(rule: &Rule) -> String {
    help_uri_of(rule.code)
}

/// Where the page of the rule with this code is published.
pub fn help_uri_of(code: &str) -> String {
    format!(
        "{}/blob/main/docs/rules/{code}.md",
        env!("CARGO_PKG_REPOSITORY"),
    )
}

/// `lint`'s count: "Linted 2 trust policies in 3 files." Policies that
/// could not be checked (built at deploy time, or not JSON) are counted
/// apart: "Linted 1 trust policy in 1 file; 2 more could not be checked."
pub fn lint_count(data: &crate::stages::policy::files::LintData) -> String {
    let checked = data
        .policies
        .iter()
        .filter(|p| p.unresolved.is_none())
        .count();
    let unchecked = data.policies.len() - checked;
    format!(
        "Linted {checked} trust {} in {} {}{}.",
        if checked == 1 { "policy" } else { "policies" },
        data.files,
        if data.files == 1 { "file" } else { "files" },
        if unchecked == 0 {
            String::new()
        } else {
            format!("; {unchecked} more could not be checked")
        }
    )
}
