//! Look-alike issuer hosts (TK015): a host that is no known issuer's but
//! reads like one. No I/O.
//!
//! The host is read the way DNS reads it (IDNA: case, width and
//! compatibility forms folded, punycode decoded), then reduced to a
//! skeleton: each character that passes for an ASCII one (Cyrillic `о`,
//! Greek `ο`, `é`, `rn` for `m`, `0` for `o`) becomes that character. A
//! host whose skeleton equals a known issuer host's, or is within a small
//! edit distance of it, imitates that issuer. The table is small on purpose:
//! the hosts it guards are a few dozen ASCII names, IDNA has already folded
//! case and compatibility forms, and a character outside the table still
//! counts as one edit.

use super::host::{self, HostForms};
use super::issuers::{self, IssuerFamily};

/// A host that imitates a known issuer's.
#[derive(Debug, Clone)]
pub struct Lookalike {
    /// The host as written.
    pub written: String,
    /// What DNS resolves and what a reader sees.
    pub forms: HostForms,
    pub family: &'static IssuerFamily,
    /// The known host it imitates, `*` labels filled in from the host.
    pub imitated: String,
    /// Why it reads like the imitated host.
    pub signs: Vec<Sign>,
}

/// One reason a host reads like another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sign {
    /// A non-ASCII character that passes for an ASCII one.
    Confusable {
        found: char,
        reads_as: char,
        script: &'static str,
    },
    /// Another non-ASCII character where the imitated host has ASCII.
    NonAscii(char),
    /// ASCII characters that pass for others (`rn` for `m`).
    AsciiConfusable {
        found: &'static str,
        reads_as: &'static str,
    },
    /// A label mixing the letters of several scripts.
    MixedScripts {
        label: String,
        scripts: Vec<&'static str>,
    },
    /// Labels written in punycode.
    Punycode(Vec<String>),
    /// Edits left once confusables are read as what they imitate.
    Distance(usize),
}

/// Non-ASCII letters that pass for ASCII ones (after IDNA's lower-casing),
/// from the Cyrillic, Greek, Armenian and Latin rows of Unicode's
/// confusables list (UTS #39), plus accented Latin letters.
const CONFUSABLES: &[(char, char)] = &[
    // Cyrillic
    ('\u{430}', 'a'),
    ('\u{435}', 'e'),
    ('\u{43e}', 'o'),
    ('\u{440}', 'p'),
    ('\u{441}', 'c'),
    ('\u{443}', 'y'),
    ('\u{445}', 'x'),
    ('\u{455}', 's'),
    ('\u{456}', 'i'),
    ('\u{458}', 'j'),
    ('\u{475}', 'v'),
    ('\u{4af}', 'y'),
    ('\u{4bb}', 'h'),
    ('\u{4cf}', 'l'),
    ('\u{501}', 'd'),
    ('\u{51b}', 'q'),
    ('\u{51d}', 'w'),
    // Greek
    ('\u{3b1}', 'a'),
    ('\u{3b3}', 'y'),
    ('\u{3b9}', 'i'),
    ('\u{3ba}', 'k'),
    ('\u{3bd}', 'v'),
    ('\u{3bf}', 'o'),
    ('\u{3c1}', 'p'),
    ('\u{3c5}', 'u'),
    ('\u{3c7}', 'x'),
    ('\u{3f2}', 'c'),
    ('\u{3f3}', 'j'),
    // Armenian
    ('\u{561}', 'w'),
    ('\u{566}', 'q'),
    ('\u{570}', 'h'),
    ('\u{578}', 'n'),
    ('\u{57d}', 'u'),
    ('\u{581}', 'g'),
    ('\u{585}', 'o'),
    // Latin letters without a dot or with a hook, and accented ones
    // beyond Latin-1 (Latin-1 is `LATIN1` below)
    ('\u{131}', 'i'),
    ('\u{237}', 'j'),
    ('\u{251}', 'a'),
    ('\u{261}', 'g'),
    ('\u{269}', 'i'),
    ('\u{1c0}', 'l'),
    ('\u{101}', 'a'),
    ('\u{103}', 'a'),
    ('\u{105}', 'a'),
    ('\u{107}', 'c'),
    ('\u{10d}', 'c'),
    ('\u{111}', 'd'),
    ('\u{113}', 'e'),
    ('\u{117}', 'e'),
    ('\u{119}', 'e'),
    ('\u{11b}', 'e'),
    ('\u{11f}', 'g'),
    ('\u{127}', 'h'),
    ('\u{12b}', 'i'),
    ('\u{12f}', 'i'),
    ('\u{142}', 'l'),
    ('\u{144}', 'n'),
    ('\u{148}', 'n'),
    ('\u{14d}', 'o'),
    ('\u{151}', 'o'),
    ('\u{159}', 'r'),
    ('\u{15b}', 's'),
    ('\u{15f}', 's'),
    ('\u{161}', 's'),
    ('\u{163}', 't'),
    ('\u{16b}', 'u'),
    ('\u{16f}', 'u'),
    ('\u{171}', 'u'),
    ('\u{17a}', 'z'),
    ('\u{17c}', 'z'),
    ('\u{17e}', 'z'),
];

/// U+00E0–U+00FF (`à` … `ÿ`) read without their marks; `-` where none.
const LATIN1: &[u8; 32] = b"aaaaaa-ceeeeiiiidnooooo-ouuuuy-y";

/// ASCII sequences that pass for others, with what they pass for.
const ASCII_CONFUSABLES: [(&str, &str); 4] = [("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l")];

/// The longest DNS name, in its ASCII form.
const MAX_HOST_LENGTH: usize = 253;

/// The ASCII letter a non-ASCII character passes for.
fn reads_as(c: char) -> Option<char> {
    if let Some(offset) = (c as u32).checked_sub(0xe0).filter(|o| *o < 32) {
        let base = LATIN1[offset as usize];
        return (base != b'-').then_some(char::from(base));
    }
    CONFUSABLES
        .iter()
        .find(|(found, _)| *found == c)
        .map(|(_, ascii)| *ascii)
}

/// `text` with every confusable read as what it passes for.
fn skeleton(text: &str) -> String {
    let mut out: String = text.chars().map(|c| reads_as(c).unwrap_or(c)).collect();
    for (found, reads) in ASCII_CONFUSABLES {
        out = out.replace(found, reads);
    }
    out
}

/// `pattern` with each `*` label taken from `labels`; `None` when the label
/// counts differ.
fn fill(pattern: &str, labels: &[&str]) -> Option<String> {
    if !pattern.contains('*') {
        return Some(pattern.to_owned());
    }
    let parts: Vec<&str> = pattern.split('.').collect();
    (parts.len() == labels.len()).then(|| {
        parts
            .iter()
            .zip(labels)
            .map(|(part, label)| if *part == "*" { *label } else { *part })
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// Whether `host` (IDNA ASCII form) is a known issuer host.
fn is_known(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    issuers::known_hosts().any(|(_, pattern)| {
        fill(pattern, &labels).is_some_and(|filled| filled == host)
            && labels.iter().all(|label| !label.is_empty())
    })
}

/// The edits a host may be from a known one and still imitate it: none
/// for short names (`scalr.io`: one edit in eight characters makes other,
/// real names), one up to 15 characters, two beyond. Counted on the fixed
/// labels only.
fn allowed_distance(pattern: &str) -> usize {
    let fixed: usize = pattern
        .split('.')
        .filter(|label| *label != "*")
        .map(|label| label.chars().count() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    match fixed {
        0..10 => 0,
        10..16 => 1,
        _ => 2,
    }
}

/// The last two labels: the domain a registrant controls for every known
/// issuer host (`githubusercontent.com`, `pulumi.com`, `ghe.com`).
fn registered_domain(host: &str) -> &str {
    let mut dots = host.rmatch_indices('.').map(|(at, _)| at);
    let _ = dots.next();
    dots.next().map_or(host, |at| &host[at + 1..])
}

/// The known issuer `name`'s host imitates, if any. `name` is an issuer
/// URL, a provider name or a condition-key prefix.
pub fn lookalike(name: &str) -> Option<Lookalike> {
    let written = host::host_of(name).trim_end_matches('.');
    // No DNS name is longer than 253 characters; the bound also keeps the
    // edit distance cheap on hostile input.
    if written.is_empty() || written.len() > MAX_HOST_LENGTH {
        return None;
    }
    let forms = host::forms(written);
    let ascii = forms
        .ascii
        .clone()
        .unwrap_or_else(|| written.to_lowercase());
    // The real host, or a spelling DNS folds into it (case, full width).
    if is_known(&ascii) {
        return None;
    }
    let labels: Vec<&str> = forms.unicode.split('.').collect();
    let own = skeleton(&forms.unicode);
    let (distance, family, imitated) = issuers::known_hosts()
        .filter_map(|(family, pattern)| {
            let target = fill(pattern, &labels)?;
            let distance = strsim::damerau_levenshtein(&own, &skeleton(&target));
            (distance <= allowed_distance(pattern)).then_some((distance, family, target))
        })
        .min_by_key(|(distance, ..)| *distance)?;
    let punycode: Vec<String> = host::punycode_labels(written)
        .into_iter()
        .map(str::to_owned)
        .collect();
    // Plain ASCII on the imitated host's own domain is a sibling the same
    // owner runs (`app.pulumi.com` beside `api.pulumi.com`), not an imitation.
    if written.is_ascii()
        && punycode.is_empty()
        && registered_domain(&ascii) == registered_domain(&imitated)
    {
        return None;
    }
    let signs = signs(&forms.unicode, &imitated, punycode, distance);
    Some(Lookalike {
        written: written.to_owned(),
        forms,
        family,
        imitated,
        signs,
    })
}

fn signs(unicode: &str, imitated: &str, punycode: Vec<String>, distance: usize) -> Vec<Sign> {
    let mut signs = Vec::new();
    let mut seen = Vec::new();
    for c in unicode.chars().filter(|c| !c.is_ascii()) {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        signs.push(match reads_as(c) {
            Some(reads_as) => Sign::Confusable {
                found: c,
                reads_as,
                script: host::script_of(c).unwrap_or("another script"),
            },
            None => Sign::NonAscii(c),
        });
    }
    for (found, reads_as) in ASCII_CONFUSABLES {
        if unicode.matches(found).count() > imitated.matches(found).count() {
            signs.push(Sign::AsciiConfusable { found, reads_as });
        }
    }
    for label in unicode.split('.') {
        let scripts = host::scripts_of(label);
        if scripts.len() > 1 {
            signs.push(Sign::MixedScripts {
                label: label.to_owned(),
                scripts,
            });
        }
    }
    if !punycode.is_empty() {
        signs.push(Sign::Punycode(punycode));
    }
    if distance > 0 {
        signs.push(Sign::Distance(distance));
    }
    signs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imitated(name: &str) -> Option<String> {
        lookalike(name).map(|l| l.imitated)
    }

    #[test]
    fn confusable_characters_punycode_and_typos_imitate_a_known_host() {
        for (name, host) in [
            (
                "https://token.actions.githubusercontent.c\u{43e}m",
                "token.actions.githubusercontent.com",
            ),
            (
                "token.actions.githubusercontent.xn--cm-fmc",
                "token.actions.githubusercontent.com",
            ),
            (
                "https://t\u{43e}ken.actions.githubusercontent.com",
                "token.actions.githubusercontent.com",
            ),
            (
                "https://token.actions.githubusercontent.co",
                "token.actions.githubusercontent.com",
            ),
            (
                "https://token.actions.githubusercontnet.com",
                "token.actions.githubusercontent.com",
            ),
            ("https://gitlab.c\u{3bf}m", "gitlab.com"),
            ("https://gitlab.corn", "gitlab.com"),
            ("https://gitlab.co", "gitlab.com"),
            ("https://git\u{13e}ab.com", "gitlab.com"),
            ("https://gitl\u{e1}b.com", "gitlab.com"),
            ("https://sc\u{430}lr.io", "scalr.io"),
            ("https://accounts.goog1e.com", "accounts.google.com"),
            ("https://www.arnazon.com", "www.amazon.com"),
            (
                "https://token.actions.octo.gh\u{435}.com",
                "token.actions.octo.ghe.com",
            ),
            (
                "https://oidc.eks.eu-west-1.amazonaws.co/id/ABC",
                "oidc.eks.eu-west-1.amazonaws.com",
            ),
            (
                "https://oidc.eks.eu-west-1.arnazonaws.com/id/ABC",
                "oidc.eks.eu-west-1.amazonaws.com",
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/app.terraform.co",
                "app.terraform.io",
            ),
        ] {
            let name = name.rsplit_once(":oidc-provider/").map_or(name, |(_, n)| n);
            assert_eq!(imitated(name).as_deref(), Some(host), "{name}");
        }
    }

    #[test]
    fn known_hosts_and_legitimate_neighbours_are_not_look_alikes() {
        for name in [
            "https://token.actions.githubusercontent.com",
            "https://token.actions.githubusercontent.com/acme-corp",
            "https://Token.Actions.GitHubUserContent.com",
            "https://token.actions.githubusercontent.com.",
            "https://vstoken.actions.githubusercontent.com",
            "https://tokens.actions.githubusercontent.com",
            "https://token.actions.octo.ghe.com",
            "https://github.example.com/_services/token",
            "https://token.actions.github.acme.com/_services/token",
            "https://gitlab.com",
            "https://gitlab.acme.com",
            "https://gitlab.example.org",
            "https://mygitlab.com",
            "https://gitlab.cn",
            "https://git.acme.internal",
            "https://app.terraform.io",
            "https://app.eu.terraform.io",
            "https://tfe.acme.com",
            "https://agent.buildkite.com",
            "https://oidc.circleci.com/org/11111111-2222-3333-4444-555555555555",
            "https://api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
            "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
            "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/0123456789ABCDEF0123456789ABCDEF",
            "https://accounts.google.com",
            "https://cognito-identity.amazonaws.com",
            "https://acme.us.auth0.com/",
            "https://acme.auth0.com/",
            "https://login.acme.com",
            "https://oidc.codefresh.io",
            "https://oidc.vercel.com/acme",
            "https://api.pulumi.com/oidc",
            "https://app.pulumi.com",
            "https://scalr.io",
            "https://scale.io",
            "https://graph.facebook.com",
            "https://www.amazon.com",
            "https://www.amazon.ca",
            "https://idp.example.com",
            "https://idp.b\u{fc}cher.example",
            "https://oidc.\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}",
            "https://[2001:db8::1]/oidc",
            "https://10.0.0.1/oidc",
            "",
            "https://",
            &format!("https://{}.githubusercontent.com", "a".repeat(300)),
        ] {
            assert_eq!(imitated(name), None, "{name}");
        }
    }

    #[test]
    fn no_known_host_imitates_another() {
        for (_, pattern) in issuers::known_hosts() {
            let host = pattern.replace('*', "acme");
            assert_eq!(imitated(&host), None, "{host}");
        }
    }

    #[test]
    fn the_signs_say_why() {
        let cyrillic = lookalike("token.actions.githubusercontent.c\u{43e}m").unwrap();
        assert_eq!(cyrillic.family.id, "github");
        assert_eq!(
            cyrillic.forms.ascii.as_deref(),
            Some("token.actions.githubusercontent.xn--cm-fmc")
        );
        assert_eq!(
            cyrillic.signs,
            [
                Sign::Confusable {
                    found: '\u{43e}',
                    reads_as: 'o',
                    script: "Cyrillic"
                },
                Sign::MixedScripts {
                    label: "c\u{43e}m".to_owned(),
                    scripts: vec!["Latin", "Cyrillic"]
                },
            ]
        );
        let written = lookalike("token.actions.githubusercontent.xn--cm-fmc").unwrap();
        assert!(
            written
                .signs
                .contains(&Sign::Punycode(vec!["xn--cm-fmc".to_owned()]))
        );
        let corn = lookalike("gitlab.corn").unwrap();
        assert_eq!(
            corn.signs,
            [Sign::AsciiConfusable {
                found: "rn",
                reads_as: "m"
            }]
        );
        let typo = lookalike("token.actions.githubusercontnet.com").unwrap();
        assert_eq!(typo.signs, [Sign::Distance(1)]);
        let small_capital = lookalike("token.actions.githubusercontent.c\u{1d0f}m").unwrap();
        assert_eq!(
            small_capital.signs,
            [Sign::NonAscii('\u{1d0f}'), Sign::Distance(1)]
        );
    }

    #[test]
    fn the_allowed_distance_grows_with_the_fixed_part() {
        assert_eq!(allowed_distance("scalr.io"), 0);
        assert_eq!(allowed_distance("*.auth0.com"), 0);
        assert_eq!(allowed_distance("gitlab.com"), 1);
        assert_eq!(allowed_distance("www.amazon.com"), 1);
        assert_eq!(allowed_distance("app.terraform.io"), 2);
        assert_eq!(allowed_distance("oidc.eks.*.amazonaws.com"), 2);
    }
}
