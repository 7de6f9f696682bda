//! TK015 issuer-lookalike: an issuer host that is no known issuer's but
//! reads like one. Judged here for the token's `iss`, and for the provider
//! names and condition-key prefixes of a trust policy (`lint` places those
//! findings); both are worded here, so the code has one author.

use crate::finding::{Finding, shown};
use crate::model::host::host_span;
use crate::model::lookalike::{Lookalike, Sign, lookalike};
use crate::model::token::Jwt;
use crate::rules::TK015;

pub(super) fn check(jwt: &Jwt) -> Option<Finding> {
    let iss = jwt.claim_str("iss")?;
    let found = lookalike(iss)?;
    Some(Finding::new(
        &TK015,
        format!("Issuer host {}.", describe(&found)),
        format!(
            "STS trusts the issuer an IAM provider names, character for character: this is \
             another issuer, run by whoever registered its host, and its tokens do not come \
             from {}. The real issuer is `{}`. Find what produced this token, and never create an IAM \
             OIDC provider for a look-alike host.",
            found.family.name,
            shown(&with_real_host(iss, &found)),
        ),
    ))
}

/// Where a trust policy writes a look-alike name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyPlace {
    /// The provider named by a `Federated` principal.
    Principal,
    /// The prefix of a condition key (`<provider>:<claim>`).
    ConditionKey,
}

/// TK015 for a name written in a trust policy; `same_name_keys` counts the
/// other condition keys of the statement that use the same name.
pub fn in_policy(
    name: &str,
    found: &Lookalike,
    place: PolicyPlace,
    same_name_keys: usize,
) -> Finding {
    let what = match place {
        PolicyPlace::Principal => "Provider",
        PolicyPlace::ConditionKey => "Condition-key prefix",
    };
    let also = match (place, same_name_keys) {
        (_, 0) => String::new(),
        (PolicyPlace::Principal, 1) => " 1 condition key uses the same name.".to_owned(),
        (PolicyPlace::Principal, n) => format!(" {n} condition keys use the same name."),
        (PolicyPlace::ConditionKey, 1) => " 1 more condition key uses it.".to_owned(),
        (PolicyPlace::ConditionKey, n) => format!(" {n} more condition keys use it."),
    };
    let real = shown(&with_real_host(name, found)).into_owned();
    let help = match place {
        PolicyPlace::Principal => format!(
            "A role that trusts a look-alike provider trusts whoever runs that host: its tokens \
             do not come from {}. Trust `arn:<partition>:iam::<account>:oidc-provider/{real}` and write \
             every key as `{real}:<claim>`; if this issuer really is yours, find out who controls \
             the host before trusting it.",
            found.family.name
        ),
        PolicyPlace::ConditionKey => format!(
            "No {} token carries a key under a look-alike name. Write the key as `{real}:<claim>`.",
            found.family.name
        ),
    };
    Finding::new(&TK015, format!("{what} {}.{also}", describe(found)), help)
}

/// `name` with its host replaced by the host it imitates.
fn with_real_host(name: &str, found: &Lookalike) -> String {
    let span = host_span(name);
    format!(
        "{}{}{}",
        &name[..span.start],
        found.imitated,
        &name[span.end..]
    )
}

/// "`host` (punycode `xn--…`) is not `<host>` (<family>) but reads like it: <signs>".
fn describe(found: &Lookalike) -> String {
    let punycode = match &found.forms.ascii {
        Some(ascii) if *ascii != found.written.to_ascii_lowercase() => {
            format!(" (punycode `{}`)", shown(ascii))
        }
        Some(_) => String::new(),
        None => " (not a valid international domain name)".to_owned(),
    };
    let reads = if found.forms.unicode == found.written.to_lowercase() {
        String::new()
    } else {
        format!(" (reads `{}`)", shown(&found.forms.unicode))
    };
    let signs: Vec<String> = found.signs.iter().map(sign_text).collect();
    format!(
        "`{}`{punycode}{reads} is not `{}` ({}) but reads like it: {}",
        shown(&found.written),
        found.imitated,
        found.family.name,
        signs.join("; ")
    )
}

fn sign_text(sign: &Sign) -> String {
    match sign {
        Sign::Confusable {
            found,
            reads_as,
            script,
        } => format!(
            "`{}` (U+{:04X}, {script}) in place of `{reads_as}`",
            shown(&found.to_string()),
            u32::from(*found)
        ),
        Sign::NonAscii(c) => format!(
            "non-ASCII `{}` (U+{:04X})",
            shown(&c.to_string()),
            u32::from(*c)
        ),
        Sign::AsciiConfusable { found, reads_as } => format!("`{found}` in place of `{reads_as}`"),
        Sign::MixedScripts { label, scripts } => format!(
            "label `{}` mixes {} letters",
            shown(label),
            scripts.join(" and ")
        ),
        Sign::Punycode(labels) => format!(
            "written in punycode ({})",
            labels
                .iter()
                .map(|l| format!("`{}`", shown(l)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Sign::Distance(1) => "1 character away from it".to_owned(),
        Sign::Distance(n) => format!("{n} characters away from it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(name: &str) -> Lookalike {
        lookalike(name).unwrap()
    }

    #[test]
    fn the_message_shows_both_spellings_and_the_imitated_issuer() {
        let cyrillic = found("token.actions.githubusercontent.c\u{43e}m");
        assert_eq!(
            describe(&cyrillic),
            "`token.actions.githubusercontent.c\u{43e}m` (punycode \
             `token.actions.githubusercontent.xn--cm-fmc`) is not \
             `token.actions.githubusercontent.com` (GitHub Actions) but reads like it: `\u{43e}` (U+043E, \
             Cyrillic) in place of `o`; label `c\u{43e}m` mixes Latin and Cyrillic letters"
        );
        let punycode = found("token.actions.githubusercontent.xn--cm-fmc");
        let text = describe(&punycode);
        assert!(
            text.starts_with(
                "`token.actions.githubusercontent.xn--cm-fmc` (reads \
                 `token.actions.githubusercontent.c\u{43e}m`) is not"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("written in punycode (`xn--cm-fmc`)"),
            "{text}"
        );
    }

    #[test]
    fn the_help_names_the_real_issuer_with_the_path_kept() {
        let name = "token.actions.githubusercontent.c\u{43e}m/acme";
        let finding = in_policy(name, &found(name), PolicyPlace::Principal, 2);
        assert!(
            finding
                .help
                .contains("oidc-provider/token.actions.githubusercontent.com/acme`"),
            "{}",
            finding.help
        );
        assert!(
            finding
                .message
                .ends_with(" 2 condition keys use the same name."),
            "{}",
            finding.message
        );
    }

    #[test]
    fn unsafe_characters_in_the_host_are_escaped() {
        // A bidi override cannot reorder the message.
        let name = "gitlab.c\u{43e}m\u{202e}";
        let text = describe(&found(name));
        assert!(!text.contains('\u{202e}'), "{text}");
        assert!(text.contains("\\u{202e}"), "{text}");
    }
}
