//! Tokens kept out of what the tool writes. A token is a bearer credential:
//! an error that quotes what the user typed (clap's "unexpected argument",
//! a path that was in fact the token) must not put it in a terminal or a CI
//! log. `main` passes every report and error through [`without_tokens`]
//! before it is written.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::error::Error;

/// What stands in for a token that was removed.
pub const REDACTED: &str = "<a token, not shown>";

/// Every JWS or JWE is `{"` base64url-encoded first: `eyJ`.
const JOSE_HEADER: &str = "eyJ";

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=')
}

/// The length of the compact JWS/JWE (at least three `.`-separated parts,
/// the first two not empty) that `text` starts with, if it starts with one.
fn token_len(text: &str) -> Option<usize> {
    if !text.starts_with(JOSE_HEADER) {
        return None;
    }
    let run = text
        .find(|c: char| !(is_token_char(c) || c == '.'))
        .unwrap_or(text.len());
    // A sentence's full stop after the token is not part of it.
    let run = text[..run].trim_end_matches('.');
    let mut parts = run.split('.');
    let header = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or_default();
    let rest = parts.count();
    (!header.is_empty() && !payload.is_empty() && rest >= 1).then_some(run.len())
}

/// Whether `value` (trimmed) is a compact JWS or JWE and nothing else.
pub fn looks_like_token(value: &str) -> bool {
    let value = value.trim();
    token_len(value).is_some_and(|len| len == value.len())
}

/// `text` with every compact JWS/JWE in it replaced by [`REDACTED`].
pub fn without_tokens(text: &str) -> Cow<'_, str> {
    if !text.contains(JOSE_HEADER) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(JOSE_HEADER) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(len) = token_len(rest) {
            out.push_str(REDACTED);
            rest = &rest[len..];
            changed = true;
        } else {
            out.push_str(JOSE_HEADER);
            rest = &rest[JOSE_HEADER.len()..];
        }
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// `error` with every token taken out of what it says. Renderers wrap long
/// lines, so a token is taken out before the error is rendered, not after.
pub fn error(error: Error) -> Error {
    let text = |s: String| match without_tokens(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(clean) => clean,
    };
    match error {
        Error::Unreadable {
            what,
            path,
            source,
            help,
        } => Error::Unreadable {
            what,
            path: match without_tokens(&path.to_string_lossy()) {
                Cow::Owned(clean) => PathBuf::from(clean),
                Cow::Borrowed(_) => path,
            },
            source,
            help: text(help),
        },
        Error::TooLarge { what, limit, help } => Error::TooLarge {
            what: text(what),
            limit,
            help,
        },
        Error::EnvVar {
            name,
            problem,
            help,
        } => Error::EnvVar {
            name: text(name),
            problem,
            help: text(help),
        },
        Error::Usage { message, help } => Error::Usage {
            message: text(message),
            help: text(help),
        },
        Error::Environment { message, help } => Error::Environment {
            message: text(message),
            help: text(help),
        },
        Error::UnknownRule { code, help } => Error::UnknownRule {
            code: text(code),
            help: text(help),
        },
        Error::NoSuchTokenFile => Error::NoSuchTokenFile,
        Error::NoToken => Error::NoToken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl-_x";

    #[test]
    fn a_token_anywhere_in_a_text_is_removed() {
        let text = format!(
            "error: unexpected argument '{TOKEN}' found\ncannot read `/tmp/{TOKEN}`: no.\n{TOKEN}."
        );
        let out = without_tokens(&text);
        assert!(!out.contains("c2lnbmF0dXJl"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 3, "{out}");
        assert!(out.ends_with(&format!("{REDACTED}.")), "{out}");
        assert!(out.contains(&format!("`/tmp/{REDACTED}`")), "{out}");
    }

    #[test]
    fn an_error_says_nothing_of_a_token_it_quotes() {
        let error = super::error(Error::Usage {
            message: format!("the session name `{TOKEN}` would be refused"),
            help: format!("not {TOKEN}"),
        });
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
        assert!(shown.contains(REDACTED), "{shown}");
        let error = super::error(Error::Unreadable {
            what: "policy file",
            path: PathBuf::from(format!("/tmp/{TOKEN}")),
            source: std::io::Error::other("File name too long"),
            help: String::new(),
        });
        assert!(!format!("{error:?}").contains("c2lnbmF0dXJl"));
    }

    #[test]
    fn a_jwe_is_removed_whole() {
        let jwe = "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVydGV4dA.dGFn";
        assert_eq!(without_tokens(jwe), REDACTED);
    }

    #[test]
    fn what_is_no_token_is_left_alone() {
        for text in [
            "eyJ alone",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0 (two parts, no signature)",
            "eyJhbGciOiJIUzI1NiJ9..c2ln",
            "a.b.c",
            "",
            "eyJ",
            "eyJ.",
        ] {
            assert_eq!(without_tokens(text), text);
        }
    }

    #[test]
    fn looks_like_token_wants_the_whole_value() {
        assert!(looks_like_token(TOKEN));
        assert!(looks_like_token(&format!(" {TOKEN}\n")));
        assert!(!looks_like_token(&format!("{TOKEN}/x")));
        assert!(!looks_like_token("token.jwt"));
    }
}
