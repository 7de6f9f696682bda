//! How a token's value differs from the policy value it failed against, by
//! the first difference a reader should fix: absence, case, the GitHub
//! `sub` context or form, then the first differing character.

use crate::model::policy::Located;

use crate::model::wildcard::{self, piece_matches};

/// The first difference between a token's value and a policy value.
/// Byte indexes (`at`, `from`) are into the token's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The key is not in the request context.
    KeyAbsent,
    /// The values differ only by letter case (values are case-sensitive).
    CaseOnly,
    /// GitHub `sub` contexts of different kinds: the token has `token`
    /// (`environment:prod`) where the policy expects `policy` (`ref:refs/heads/main`).
    GitHubContext { token: String, policy: String },
    /// One side uses GitHub's immutable `owner@id/repo@id` subject and the
    /// other the name form.
    SubjectForm { token_immutable: bool },
    /// The policy value ends at byte `at`; the token's value goes on.
    TokenLonger { at: usize },
    /// The token's value ends at byte `at`; the policy expects more.
    TokenShorter { at: usize },
    /// The beginning differs: the first differing character is at byte `at`.
    DiffersAt { at: usize },
    /// The beginning matches but the end does not: reading from the end, the
    /// first differing character is at byte `at`.
    SuffixDiffers { at: usize },
    /// The pattern's fixed part `part` is not found from byte `from` on.
    PartMissing { part: String, from: usize },
    /// A negated operator: the token's value is one the policy excludes.
    Excluded,
}

impl Difference {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Difference::KeyAbsent => "the key is not in the request context".to_owned(),
            Difference::CaseOnly => "the values differ only by letter case".to_owned(),
            Difference::GitHubContext { token, policy } => {
                format!("the token's sub ends in `{token}` where the policy expects `{policy}`")
            }
            Difference::SubjectForm {
                token_immutable: true,
            } => "the token's sub uses the immutable owner@id/repo@id form; the policy uses names"
                .to_owned(),
            Difference::SubjectForm {
                token_immutable: false,
            } => {
                "the policy expects the immutable owner@id/repo@id form; the token's sub uses names"
                    .to_owned()
            }
            Difference::TokenLonger { at } => {
                format!("the token's value goes on after byte {at}, where the policy value ends")
            }
            Difference::TokenShorter { at } => {
                format!("the token's value ends at byte {at}; the policy expects more")
            }
            Difference::DiffersAt { at } => format!("the values differ from byte {at}"),
            Difference::SuffixDiffers { at } => {
                format!("the beginning matches, the end differs (byte {at} from the end)")
            }
            Difference::PartMissing { part, from } => {
                format!("`{part}` is not found after byte {from}")
            }
            Difference::Excluded => "the token's value is one the policy excludes".to_owned(),
        }
    }
}

/// Where a failed condition went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The policy value closest to the token's (`None` when the key is absent).
    pub expected: Option<Located<String>>,
    /// The context value it was compared with (`None` when the key is absent).
    pub actual: Option<String>,
    pub difference: Difference,
}

/// How a string operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compare {
    Exact,
    IgnoreCase,
    Like,
}

impl Compare {
    pub(crate) fn matches(self, expected: &str, actual: &str) -> bool {
        match self {
            Compare::Exact => expected == actual,
            Compare::IgnoreCase => expected.to_lowercase() == actual.to_lowercase(),
            Compare::Like => wildcard::matches(expected, actual),
        }
    }
}

/// The closest (policy value, token value) pair, preferring a pair that
/// differs only by case, then the smallest edit distance.
pub(crate) fn closest(
    compare: Compare,
    expected: &[Located<String>],
    actual: &[&str],
) -> Option<Mismatch> {
    let mut best: Option<((bool, usize), &Located<String>, &str)> = None;
    for value in actual {
        for candidate in expected {
            let case_only = compare.matches(&candidate.value.to_lowercase(), &value.to_lowercase());
            let score = (!case_only, strsim::levenshtein(&candidate.value, value));
            if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                best = Some((score, candidate, value));
            }
        }
    }
    let (_, expected, actual) = best?;
    Some(Mismatch {
        expected: Some(expected.clone()),
        actual: Some(actual.to_owned()),
        difference: classify(compare, &expected.value, actual),
    })
}

/// The first difference between a policy value and a token value that do not match.
pub(crate) fn classify(compare: Compare, expected: &str, actual: &str) -> Difference {
    if compare != Compare::IgnoreCase
        && compare.matches(&expected.to_lowercase(), &actual.to_lowercase())
    {
        return Difference::CaseOnly;
    }
    if let Some(difference) = github(compare, expected, actual) {
        return difference;
    }
    let pattern: Vec<char> = expected.chars().collect();
    let value: Vec<(usize, char)> = actual.char_indices().collect();
    let wild = compare == Compare::Like;
    let eq = |p: char, v: char| {
        (wild && p == '?')
            || p == v
            || (compare == Compare::IgnoreCase && p.to_lowercase().eq(v.to_lowercase()))
    };
    let byte = |i: usize| value.get(i).map_or(actual.len(), |(at, _)| *at);
    if !(wild && pattern.contains(&'*')) {
        for (i, (p, (_, v))) in pattern.iter().zip(&value).enumerate() {
            if !eq(*p, *v) {
                return Difference::DiffersAt { at: byte(i) };
            }
        }
        return match value.len().cmp(&pattern.len()) {
            std::cmp::Ordering::Greater => Difference::TokenLonger {
                at: byte(pattern.len()),
            },
            std::cmp::Ordering::Less => Difference::TokenShorter { at: actual.len() },
            std::cmp::Ordering::Equal => Difference::DiffersAt { at: 0 },
        };
    }
    let mut pieces = pattern.split(|c| *c == '*');
    let head = pieces.next().unwrap_or_default();
    let mut middle: Vec<&[char]> = pieces.collect();
    let tail = middle.pop().unwrap_or_default();
    for (i, p) in head.iter().enumerate() {
        match value.get(i) {
            None => return Difference::TokenShorter { at: actual.len() },
            Some((_, v)) if !eq(*p, *v) => return Difference::DiffersAt { at: byte(i) },
            Some(_) => {}
        }
    }
    if value.len() < head.len() + tail.len() {
        return Difference::TokenShorter { at: actual.len() };
    }
    for (k, p) in tail.iter().rev().enumerate() {
        let i = value.len() - 1 - k;
        if !eq(*p, value[i].1) {
            return Difference::SuffixDiffers { at: byte(i) };
        }
    }
    let chars: Vec<char> = value.iter().map(|(_, c)| *c).collect();
    let (mut from, end) = (head.len(), value.len() - tail.len());
    for piece in middle.into_iter().filter(|p| !p.is_empty()) {
        let found = (from..=end.saturating_sub(piece.len()))
            .find(|&j| j + piece.len() <= end && piece_matches(piece, &chars[j..j + piece.len()]));
        match found {
            Some(j) => from = j + piece.len(),
            None => {
                return Difference::PartMissing {
                    part: piece.iter().collect(),
                    from: byte(from),
                };
            }
        }
    }
    Difference::DiffersAt { at: byte(from) }
}

/// GitHub `sub` differences: immutable versus name form, then the context kind.
fn github(compare: Compare, expected: &str, actual: &str) -> Option<Difference> {
    let (p_repo, p_context) = split_github(expected)?;
    let (t_repo, t_context) = split_github(actual)?;
    if p_repo.contains('@') != t_repo.contains('@') {
        return Some(Difference::SubjectForm {
            token_immutable: t_repo.contains('@'),
        });
    }
    let (p_context, t_context) = (p_context?, t_context?);
    let kind = |context: &str| context.split(':').next().unwrap_or_default().to_owned();
    let (p_kind, t_kind) = (kind(p_context), kind(t_context));
    let comparable = !wildcard::has_wildcard(&p_kind) && compare.matches(p_repo, t_repo);
    (comparable && p_kind != t_kind).then(|| Difference::GitHubContext {
        token: t_context.to_owned(),
        policy: p_context.to_owned(),
    })
}

/// `repo:acme/app:ref:refs/heads/main` → (`acme/app`, `ref:refs/heads/main`).
fn split_github(sub: &str) -> Option<(&str, Option<&str>)> {
    let rest = sub.strip_prefix("repo:")?;
    Some(match rest.split_once(':') {
        Some((repo, context)) => (repo, Some(context)),
        None => (rest, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_first_difference() {
        use Compare::{Exact, IgnoreCase, Like};
        let main = "repo:acme/app:ref:refs/heads/main";
        let cases: Vec<(Compare, &str, &str, Difference)> = vec![
            (
                Exact,
                "repo:Acme/App:ref:refs/heads/main",
                main,
                Difference::CaseOnly,
            ),
            (Like, "repo:ACME/*", main, Difference::CaseOnly),
            (
                Exact,
                main,
                "repo:acme/app:environment:prod",
                Difference::GitHubContext {
                    token: "environment:prod".into(),
                    policy: "ref:refs/heads/main".into(),
                },
            ),
            (
                Like,
                "repo:acme/*:ref:refs/heads/main",
                "repo:acme/app:pull_request",
                Difference::GitHubContext {
                    token: "pull_request".into(),
                    policy: "ref:refs/heads/main".into(),
                },
            ),
            (
                Like,
                "repo:acme/app:*",
                "repo:acme@1/app@2:ref:refs/heads/main",
                Difference::SubjectForm {
                    token_immutable: true,
                },
            ),
            (
                Exact,
                "repo:acme@1/app@2:ref:refs/heads/main",
                main,
                Difference::SubjectForm {
                    token_immutable: false,
                },
            ),
            (
                Exact,
                "repo:acme/app",
                main,
                Difference::TokenLonger { at: 13 },
            ),
            (
                Exact,
                main,
                "repo:acme/app",
                Difference::TokenShorter { at: 13 },
            ),
            (
                Like,
                "repo:acme/*",
                "repo:acme-evil/x",
                Difference::DiffersAt { at: 9 },
            ),
            (
                Like,
                "repo:acme/*:ref:refs/heads/main",
                "repo:acme/app:ref:refs/heads/dev",
                Difference::SuffixDiffers { at: 31 },
            ),
            (
                Like,
                "repo:*:ref:*",
                "repo:acme/app:environment:prod",
                Difference::GitHubContext {
                    token: "environment:prod".into(),
                    policy: "ref:*".into(),
                },
            ),
            (
                Like,
                "project_path:*:ref:*",
                "project_path:a/b:ref_type:tag",
                Difference::PartMissing {
                    part: ":ref:".into(),
                    from: 13,
                },
            ),
            (Like, "abc?", "ab", Difference::TokenShorter { at: 2 }),
            (Like, "ab*cd", "abc", Difference::TokenShorter { at: 3 }),
            (IgnoreCase, "abc", "ABD", Difference::DiffersAt { at: 2 }),
            (Exact, "é1", "é2", Difference::DiffersAt { at: 2 }),
        ];
        for (compare, expected, actual, difference) in cases {
            assert_eq!(
                classify(compare, expected, actual),
                difference,
                "{expected} vs {actual}"
            );
            assert!(!difference.describe().is_empty());
        }
    }

    #[test]
    fn closest_prefers_case_only_then_edit_distance() {
        let expected: Vec<Located<String>> =
            ["repo:zzz/other:*", "repo:Acme/App:*", "repo:acme/ap:*"]
                .iter()
                .enumerate()
                .map(|(i, v)| Located {
                    value: (*v).to_owned(),
                    pointer: format!("/{i}"),
                })
                .collect();
        let found = closest(Compare::Like, &expected, &["repo:acme/app:pull_request"])
            .expect("a closest value");
        assert_eq!(found.expected.map(|e| e.pointer), Some("/1".to_owned()));
        assert_eq!(found.difference, Difference::CaseOnly);
        assert!(closest(Compare::Like, &[], &["x"]).is_none());
    }
}
