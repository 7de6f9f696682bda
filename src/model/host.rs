//! Issuer hosts: where the host stands in an issuer URL or a provider name,
//! and its two spellings: the one DNS resolves (IDNA, punycode labels) and
//! the one a reader sees (Unicode). No I/O.

use std::ops::Range;

/// Where the host stands in an issuer URL (`https://host:port/path`) or a
/// provider name (`host/path`): after any scheme and user name, before any
/// port, path, query or fragment. An IPv6 literal keeps its brackets.
pub fn host_span(name: &str) -> Range<usize> {
    let after_scheme = name
        .find("://")
        .filter(|at| !name[..*at].contains(['/', '?', '#']))
        .map_or(0, |at| at + 3);
    let authority_end = name[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(name.len(), |at| after_scheme + at);
    let authority = &name[after_scheme..authority_end];
    let start = after_scheme + authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &name[start..authority_end];
    let len = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port.len(), |end| end + 1)
    } else {
        host_port.find(':').unwrap_or(host_port.len())
    };
    start..start + len
}

/// The host of an issuer URL or a provider name (see [`host_span`]).
pub fn host_of(name: &str) -> &str {
    &name[host_span(name)]
}

/// A host as DNS and as a reader see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostForms {
    /// IDNA `ToASCII`: lower case, non-ASCII labels in punycode (`xn--…`).
    /// `None` when the host is no valid international domain name.
    pub ascii: Option<String>,
    /// IDNA `ToUnicode` of that: punycode labels decoded. The host in lower
    /// case when it is no valid international domain name.
    pub unicode: String,
}

/// Both spellings of `host`. Characters a URL host may not hold (controls,
/// spaces, `%`, `:`...) make it invalid, as they do for the `url` crate.
pub fn forms(host: &str) -> HostForms {
    match idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL) {
        Ok(ascii) => {
            let ascii = ascii.into_owned();
            let (unicode, decoded) = idna::domain_to_unicode(&ascii);
            let unicode = if decoded.is_ok() {
                unicode
            } else {
                host.to_lowercase()
            };
            HostForms {
                ascii: Some(ascii),
                unicode,
            }
        }
        Err(_) => HostForms {
            ascii: None,
            unicode: host.to_lowercase(),
        },
    }
}

/// The labels of `host` written in punycode (`xn--…`), as written.
pub fn punycode_labels(host: &str) -> Vec<&str> {
    host.split('.')
        .filter(|label| {
            label
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
        })
        .collect()
}

/// The writing system of a letter, for the mixed-script check; `None` for
/// digits, punctuation and other non-letters.
pub fn script_of(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c {
        'a'..='z'
        | 'A'..='Z'
        | '\u{00c0}'..='\u{02af}'
        | '\u{1d00}'..='\u{1dbf}'
        | '\u{1e00}'..='\u{1eff}'
        | '\u{2c60}'..='\u{2c7f}'
        | '\u{a720}'..='\u{a7ff}'
        | '\u{ab30}'..='\u{ab6f}'
        | '\u{ff21}'..='\u{ff5a}' => "Latin",
        '\u{0370}'..='\u{03ff}' | '\u{1f00}'..='\u{1fff}' => "Greek",
        '\u{0400}'..='\u{052f}'
        | '\u{1c80}'..='\u{1c8f}'
        | '\u{2de0}'..='\u{2dff}'
        | '\u{a640}'..='\u{a69f}' => "Cyrillic",
        '\u{0530}'..='\u{058f}' => "Armenian",
        '\u{13a0}'..='\u{13ff}' | '\u{ab70}'..='\u{abbf}' => "Cherokee",
        _ => "another script",
    })
}

/// The scripts of the letters of `label`, in order of first appearance.
pub fn scripts_of(label: &str) -> Vec<&'static str> {
    let mut scripts = Vec::new();
    for script in label.chars().filter_map(script_of) {
        if !scripts.contains(&script) {
            scripts.push(script);
        }
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_found_in_urls_and_provider_names() {
        for (name, host) in [
            (
                "https://token.actions.githubusercontent.com",
                "token.actions.githubusercontent.com",
            ),
            (
                "token.actions.githubusercontent.com/acme",
                "token.actions.githubusercontent.com",
            ),
            (
                "https://user:pw@issuer.example.com:8443/oidc?x#y",
                "issuer.example.com",
            ),
            ("https://[2001:db8::1]:8443/oidc", "[2001:db8::1]"),
            (
                "oidc.eks.eu-west-1.amazonaws.com/id/ABC",
                "oidc.eks.eu-west-1.amazonaws.com",
            ),
            ("gitlab.com", "gitlab.com"),
            ("https://a@b@c.example/x", "c.example"),
            ("", ""),
            ("https://", ""),
        ] {
            assert_eq!(host_of(name), host, "{name}");
        }
    }

    #[test]
    fn a_host_has_a_punycode_and_a_unicode_spelling() {
        let cyrillic = forms("token.actions.githubusercontent.c\u{43e}m");
        assert_eq!(
            cyrillic.ascii.as_deref(),
            Some("token.actions.githubusercontent.xn--cm-fmc")
        );
        assert_eq!(
            cyrillic.unicode,
            "token.actions.githubusercontent.c\u{43e}m"
        );
        let written_in_punycode = forms("token.actions.githubusercontent.XN--cm-fmc");
        assert_eq!(written_in_punycode.unicode, cyrillic.unicode);
        let plain = forms("GitLab.com");
        assert_eq!(plain.ascii.as_deref(), Some("gitlab.com"));
        assert_eq!(plain.unicode, "gitlab.com");
        let invalid = forms("xn--zz.example");
        assert_eq!(invalid.ascii, None);
        assert_eq!(invalid.unicode, "xn--zz.example");
        assert_eq!(
            forms("\u{43e}\u{1b}.example").ascii,
            None,
            "no control in a host"
        );
    }

    #[test]
    fn scripts_are_listed_per_label() {
        assert_eq!(scripts_of("c\u{43e}m"), ["Latin", "Cyrillic"]);
        assert_eq!(scripts_of("\u{43f}\u{440}\u{438}"), ["Cyrillic"]);
        assert_eq!(scripts_of("eu-west-1"), ["Latin"]);
        assert_eq!(
            punycode_labels("a.XN--cm-fmc.xn--b"),
            ["XN--cm-fmc", "xn--b"]
        );
    }
}
