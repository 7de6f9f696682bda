//! "Did you mean": the known word a written one most likely misspells.
//! Policy elements, operators, principal types and condition keys are
//! matched case-insensitively with transpositions counted as one edit
//! (`sbu` → `sub`), and only close misses are suggested: a short word
//! may be one edit off, a longer one two or three.

/// The known word `written` most likely misspells, when there is one; never
/// `written` itself.
pub fn did_you_mean<'a>(
    written: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = written.to_lowercase();
    let allowed = match lower.chars().count() {
        0 => return None,
        1..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    known
        .into_iter()
        .filter(|candidate| *candidate != written)
        .map(|candidate| {
            (
                strsim::damerau_levenshtein(&lower, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `": did you mean `X`?"` for a message, or nothing.
pub fn hint<'a>(written: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(written, known)
        .map_or_else(String::new, |word| format!(": did you mean `{word}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELEMENTS: [&str; 8] = [
        "Version",
        "Id",
        "Statement",
        "Sid",
        "Effect",
        "Principal",
        "Action",
        "Condition",
    ];

    #[test]
    fn the_misspellings_users_make_are_caught() {
        for (written, meant) in [
            ("Statment", "Statement"),
            ("statement", "Statement"),
            ("Efect", "Effect"),
            ("Condtion", "Condition"),
            ("Conditions", "Condition"),
            ("Principle", "Principal"),
            ("Acton", "Action"),
        ] {
            assert_eq!(did_you_mean(written, ELEMENTS), Some(meant), "{written}");
        }
        assert_eq!(did_you_mean("sbu", ["aud", "sub", "amr"]), Some("sub"));
        assert_eq!(
            did_you_mean("Federeted", ["AWS", "Federated", "Service"]),
            Some("Federated")
        );
    }

    #[test]
    fn unrelated_words_and_exact_ones_get_no_suggestion() {
        for written in ["Resources", "Description", "x", "", "Tags", "Metadata"] {
            assert_eq!(did_you_mean(written, ELEMENTS), None, "{written}");
        }
        assert_eq!(did_you_mean("Statement", ELEMENTS), None);
        assert_eq!(hint("Zebra", ELEMENTS), "");
        assert_eq!(hint("Efect", ELEMENTS), ": did you mean `Effect`?");
    }
}
