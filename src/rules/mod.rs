//! Rules: pure functions over already-gathered model values. A rule never
//! does I/O and never prints; it returns findings.
//!
//! The catalogue below is the one place that declares every implemented
//! rule: code, slug, default severity, category and its documentation page
//! (compiled in from `docs/rules/CODE.md`, the same text `explain` prints).

pub mod token;

use crate::report::{Category, Severity};

/// A rule's identity and documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// The Markdown page from `docs/rules/CODE.md`.
    pub doc: &'static str,
}

impl Rule {
    /// The one-line summary: the first paragraph after the page title.
    pub fn summary(&self) -> &'static str {
        self.doc
            .lines()
            .skip(1)
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .unwrap_or("")
    }

    /// Path of the documentation page inside the repository.
    pub fn docs_path(&self) -> String {
        format!("docs/rules/{}.md", self.code)
    }
}

macro_rules! catalogue {
    ($($ident:ident = $code:literal, $slug:literal, $severity:ident, $category:ident;)*) => {
        $(
            pub static $ident: Rule = Rule {
                code: $code,
                slug: $slug,
                severity: Severity::$severity,
                category: Category::$category,
                doc: include_str!(concat!("../../docs/rules/", $code, ".md")),
            };
        )*
        /// Every implemented rule, in code order.
        pub static CATALOGUE: &[&Rule] = &[$(&$ident),*];
    };
}

catalogue! {
    TK001 = "TK001", "token-not-jwt", High, Breakage;
    TK002 = "TK002", "token-alg-unsupported", High, Breakage;
    TK003 = "TK003", "token-kid-missing", Medium, Breakage;
    TK004 = "TK004", "token-claim-missing", High, Breakage;
    TK005 = "TK005", "token-expired", High, Breakage;
    TK006 = "TK006", "token-not-yet-valid", High, Breakage;
    TK007 = "TK007", "token-timestamp-not-integer", High, Breakage;
    TK008 = "TK008", "token-multi-audience", High, Breakage;
    TK009 = "TK009", "token-too-long", High, Breakage;
    TK010 = "TK010", "token-issuer-form", High, Breakage;
    TK011 = "TK011", "token-session-tags", Medium, Breakage;
    TK012 = "TK012", "token-short-lifetime", Low, Hygiene;
    TK014 = "TK014", "token-subject-form", Info, Hygiene;
}

/// Looks a rule up by code, case-insensitively.
pub fn find(code: &str) -> Option<&'static Rule> {
    CATALOGUE
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code.trim()))
}

/// Codes that look like `code` (for "did you mean"), closest first.
pub fn nearest(code: &str, limit: usize) -> Vec<&'static str> {
    let wanted = code.trim().to_ascii_uppercase();
    let mut scored: Vec<(usize, &'static str)> = CATALOGUE
        .iter()
        .map(|rule| (strsim::damerau_levenshtein(&wanted, rule.code), rule.code))
        .filter(|(distance, _)| *distance <= 2)
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(limit)
        .map(|(_, code)| code)
        .collect()
}
