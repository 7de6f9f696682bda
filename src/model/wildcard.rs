//! IAM's wildcard patterns: `*` matches any run of characters (including
//! none), `?` exactly one character, every other character itself. Used by
//! `StringLike`, `Arn*`, action names and the linter's probe matching. Linear-memory, O(pattern × value)
//! worst case: greedy with one backtrack point, never exponential.

/// Whether `value` matches `pattern` (case-sensitive).
pub fn matches(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    matches_chars(&pattern, &value)
}

/// Whether `value` matches `pattern`, ignoring case (action names).
pub fn matches_ignore_case(pattern: &str, value: &str) -> bool {
    matches(&pattern.to_lowercase(), &value.to_lowercase())
}

/// Whether `pattern` holds a wildcard character.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

fn matches_chars(pattern: &[char], value: &[char]) -> bool {
    let (mut p, mut v) = (0, 0);
    // The last `*` seen and the value position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, v));
                p += 1;
            }
            Some(&c) if c == '?' || c == value[v] => {
                p += 1;
                v += 1;
            }
            _ => match star {
                // Let the last `*` absorb one more character and retry.
                // Backtracking only to the last star suffices: an earlier
                // star can never help once a later one has matched.
                Some((star_p, star_v)) => {
                    star = Some((star_p, star_v + 1));
                    p = star_p + 1;
                    v = star_v + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether a fixed piece of a pattern (no `*`) matches `value` exactly.
pub(crate) fn piece_matches(piece: &[char], value: &[char]) -> bool {
    piece.len() == value.len() && piece.iter().zip(value).all(|(p, v)| *p == '?' || p == v)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn star_and_question_mark() {
        let cases = [
            ("repo:acme/*", "repo:acme/app:ref:refs/heads/main", true),
            ("repo:acme/*", "repo:acme-evil/x", false),
            ("repo:acme/*", "repo:acme/", true),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "abbc", false),
            ("?", "é", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("*main", "refs/heads/main", true),
            ("*main", "refs/heads/mainline", false),
            ("**", "anything", true),
            ("a*?", "a", false),
            ("a*?", "ab", true),
            ("A*", "a", false),
            ("[ab]", "a", false),
            ("[ab]", "[ab]", true),
            ("a.c", "abc", false),
            ("*a*a*a*b", "aaaab", true),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(matches(pattern, value), expected, "{pattern} ~ {value}");
        }
        assert!(matches_ignore_case(
            "STS:AssumeRole*",
            "sts:assumerolewithwebidentity"
        ));
        assert!(!matches_ignore_case(
            "sts:AssumeRole",
            "sts:AssumeRoleWithWebIdentity"
        ));
        assert!(has_wildcard("a?") && has_wildcard("*") && !has_wildcard("abc"));
    }

    #[test]
    fn pathological_patterns_run_fast() {
        let value = "a".repeat(20_000);
        let pattern = format!("{}b", "*a".repeat(30));
        let started = Instant::now();
        assert!(!matches(&pattern, &value));
        assert!(!matches("*a*a*a*a*a*a*a*a*a*a*b", &value));
        assert!(matches("*a*a*a*a*a*a*a*a*a*a*", &value));
        let long_pattern = "?*".repeat(1_000);
        assert!(matches(&long_pattern, &value));
        assert!(!matches(&format!("{long_pattern}b"), &value));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn pieces_compare_with_question_marks() {
        let piece: Vec<char> = "a?c".chars().collect();
        assert!(piece_matches(&piece, &['a', 'x', 'c']));
        assert!(!piece_matches(&piece, &['a', 'x']));
    }
}
