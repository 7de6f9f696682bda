//! The token stage: find the token where the user, the AWS SDKs or the CI
//! system put it, read it (capped), decode it and judge it with the TK
//! rules. Every source is said in the report ("file ... (from
//! `AWS_WEB_IDENTITY_TOKEN_FILE`)").

use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::Timestamp;

use crate::error::Error;
use crate::finding::Finding;
use crate::model::issuers::IssuerFamily;
use crate::model::signature::Verification;
use crate::model::subject::{self, SubjectForm};
use crate::model::token::{self, Jwt, ParsedToken};
use crate::net::actions;
use crate::net::input::{self, Input, MAX_INPUT_BYTES};
use crate::rules;

use super::{Stage, Staged};

/// Where to read the token: what the user named, in the priority the
/// command line gives them. With nothing named, `AWS_WEB_IDENTITY_TOKEN_FILE`
/// and (where asked) the GitHub Actions runtime are looked for.
#[derive(Clone, Default)]
pub struct TokenSpec {
    /// The positional argument: the token itself, a file holding it, or `-`.
    pub argument: Option<String>,
    pub file: Option<PathBuf>,
    pub env: Option<String>,
    /// `--github-actions`, with the audience to request.
    pub github_actions: Option<String>,
    /// With nothing named and no `AWS_WEB_IDENTITY_TOKEN_FILE`, request a
    /// token from the Actions runtime when the job can (`check`).
    pub discover_actions: bool,
}

impl std::fmt::Debug for TokenSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSpec")
            .field("argument", &self.argument.as_ref().map(|_| "***"))
            .field("file", &self.file)
            .field("env", &self.env)
            .field("github_actions", &self.github_actions)
            .field("discover_actions", &self.discover_actions)
            .finish()
    }
}

/// The audience a token is requested with when none is named.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

const TOKEN_FILE: Input = Input {
    what: "token file",
    limit: MAX_INPUT_BYTES,
    help: "check the path, and that the file can be read",
    too_large: "a web identity token is at most 20,000 characters; this is not a token",
};

/// The raw token input and where it came from. `Debug` never shows the bytes.
pub struct TokenInput {
    /// Where the token came from, as shown to the user.
    pub source: String,
    /// The file it was read from, when it was.
    pub path: Option<PathBuf>,
    /// The environment variable it was read from, when it was.
    pub variable: Option<String>,
    pub bytes: Vec<u8>,
    /// Read again, it may give a newer token (a regular file, a variable,
    /// the Actions runtime); standard input, pipes and arguments may not.
    pub rereadable: bool,
    /// Each read mints a new token (the Actions runtime).
    pub mints: bool,
}

impl std::fmt::Debug for TokenInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInput")
            .field("source", &self.source)
            .field("path", &self.path)
            .field("variable", &self.variable)
            .field("bytes", &format_args!("*** ({} bytes)", self.bytes.len()))
            .finish_non_exhaustive()
    }
}

impl TokenInput {
    /// The flag that makes `oidc-doctor policy` read the same token again:
    /// `--token-file PATH` for a file that can be read again, `--token-env
    /// VAR` for a variable. Never the token: an argument, standard input
    /// or the Actions runtime give `None`.
    pub fn policy_flag(&self) -> Option<String> {
        if let Some(variable) = &self.variable {
            return Some(format!("--token-env {variable}"));
        }
        let path = self.path.as_ref().filter(|_| self.rereadable)?.to_str()?;
        let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@=+,".contains(c);
        if path.chars().all(plain) {
            Some(format!("--token-file {path}"))
        } else if path.chars().all(|c| c != '\'' && !c.is_control()) {
            Some(format!("--token-file '{path}'"))
        } else {
            None
        }
    }

    /// A copy (the bytes are a secret: no `Clone` to copy them by accident).
    #[must_use]
    pub fn duplicate(&self) -> TokenInput {
        TokenInput {
            source: self.source.clone(),
            path: self.path.clone(),
            variable: self.variable.clone(),
            bytes: self.bytes.clone(),
            rereadable: self.rereadable,
            mints: self.mints,
        }
    }
}

/// Reads the token the spec names.
pub fn read(spec: &TokenSpec) -> Result<TokenInput, Error> {
    if let Some(audience) = &spec.github_actions {
        return from_actions(audience, "--github-actions");
    }
    if let Some(path) = &spec.file {
        return read_file(path, None);
    }
    if let Some(var) = &spec.env {
        return read_env(var);
    }
    match spec.argument.as_deref() {
        Some("-") => Ok(TokenInput {
            variable: None,
            source: "standard input".to_owned(),
            path: None,
            bytes: input::read_stdin(&Input {
                what: "input",
                ..TOKEN_FILE
            })?,
            rereadable: false,
            mints: false,
        }),
        Some(value) => from_argument(value),
        None => match std::env::var_os("AWS_WEB_IDENTITY_TOKEN_FILE") {
            Some(path) if !path.is_empty() => {
                read_file(Path::new(&path), Some("AWS_WEB_IDENTITY_TOKEN_FILE"))
            }
            _ if spec.discover_actions && actions::Runtime::available() => {
                from_actions(DEFAULT_AUDIENCE, actions::REQUEST_URL)
            }
            _ => Err(Error::NoToken),
        },
    }
}

fn from_argument(value: &str) -> Result<TokenInput, Error> {
    let path = Path::new(value);
    // A regular file, or a device, pipe or broken link the argument names
    // (`/dev/stdin`, `<(...)`, a link loop): read it, capped; what cannot be
    // read says why.
    let named = std::fs::symlink_metadata(path).is_ok();
    if path.is_file() || (named && !path.is_dir()) {
        read_file(path, None)
    } else if path.is_dir() {
        Err(Error::Unreadable {
            what: "token file",
            path: path.to_owned(),
            source: std::io::Error::other("it is a directory"),
            help: "pass the file that holds the token".to_owned(),
        })
    } else if looks_like_path(value) {
        // Not echoed: an opaque secret can look like a path too.
        Err(Error::NoSuchTokenFile)
    } else {
        Ok(TokenInput {
            variable: None,
            source: "the command-line argument".to_owned(),
            path: None,
            bytes: value.as_bytes().to_vec(),
            rereadable: false,
            mints: false,
        })
    }
}

fn from_actions(audience: &str, why: &str) -> Result<TokenInput, Error> {
    let token = actions::Runtime::from_env()?.request(audience)?;
    let via = if why == "--github-actions" {
        String::new()
    } else {
        format!(", found through {why}")
    };
    Ok(TokenInput {
        variable: None,
        source: format!("the GitHub Actions runtime (audience {audience}{via})"),
        path: None,
        bytes: token.into_bytes(),
        rereadable: true,
        mints: true,
    })
}

fn looks_like_path(value: &str) -> bool {
    !value.contains('.') && value.contains('/')
        || value.starts_with('/')
        || value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with('~')
        || [".jwt", ".token", ".txt", ".json"]
            .iter()
            .any(|ext| value.ends_with(ext))
}

fn read_file(path: &Path, variable: Option<&str>) -> Result<TokenInput, Error> {
    let bytes = input::read_file(path, &TOKEN_FILE).map_err(|error| match (error, variable) {
        (
            Error::Unreadable {
                what, path, source, ..
            },
            Some(variable),
        ) => Error::Unreadable {
            what,
            path,
            source,
            help: format!("{variable} names this file; check the variable"),
        },
        (error, _) => error,
    })?;
    // A pipe or FIFO (`--token-file <(...)`) gives its token once only.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    Ok(TokenInput {
        variable: None,
        source: match variable {
            Some(variable) => format!("file {} (from {variable})", path.display()),
            None => format!("file {}", path.display()),
        },
        path: Some(path.to_owned()),
        bytes,
        rereadable: regular,
        mints: false,
    })
}

fn read_env(name: &str) -> Result<TokenInput, Error> {
    match std::env::var_os(name) {
        None => Err(Error::EnvVar {
            name: name.to_owned(),
            problem: "not set",
            help: format!("export {name} with the token, or use another token input"),
        }),
        Some(value) => match value.into_string() {
            Ok(text) if text.len() > MAX_INPUT_BYTES => Err(Error::TooLarge {
                what: format!("environment variable {name}"),
                limit: MAX_INPUT_BYTES,
                help: TOKEN_FILE.too_large,
            }),
            Ok(text) => Ok(TokenInput {
                variable: Some(name.to_owned()),
                source: format!("environment variable {name}"),
                path: None,
                bytes: text.into_bytes(),
                rereadable: true,
                mints: false,
            }),
            Err(_) => Err(Error::EnvVar {
                name: name.to_owned(),
                problem: "not valid UTF-8",
                help: "a token is ASCII text; check what sets the variable".to_owned(),
            }),
        },
    }
}

/// The token as decoded and judged.
#[derive(Debug)]
pub struct TokenData {
    /// Where the token came from.
    pub source: String,
    pub token: ParsedToken,
    pub family: Option<&'static IssuerFamily>,
    pub subject: Option<SubjectForm>,
    /// The instant the time rules judged against.
    pub now: Timestamp,
    /// Whether `--at` moved that instant away from the clock.
    pub at_given: bool,
    /// The signature check, when a key set was at hand.
    pub signature: Option<SignatureCheck>,
    /// Why the signature was asked to be checked but could not be.
    pub signature_skipped: Option<String>,
}

impl TokenData {
    pub fn jwt(&self) -> Option<&Jwt> {
        self.token.jwt()
    }

    /// The summary the other stages show.
    pub fn summary(&self) -> TokenSummary {
        TokenSummary::of(self.jwt(), self.source.clone())
    }
}

/// The signature checked against a key set.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// Where the key set came from, as shown to the user.
    pub key_set: String,
    pub verification: Verification,
}

/// The claims a report shows about the token it used.
#[derive(Debug, Clone, Default)]
pub struct TokenSummary {
    pub source: String,
    pub iss: Option<String>,
    pub sub: Option<String>,
    /// The audience STS matches: `azp` when present, else `aud`.
    pub aud: Option<String>,
    pub exp: Option<Timestamp>,
}

impl TokenSummary {
    pub fn of(jwt: Option<&Jwt>, source: String) -> TokenSummary {
        let claim = |name: &str| jwt.and_then(|j| j.claim_str(name)).map(str::to_owned);
        TokenSummary {
            source,
            iss: claim("iss"),
            sub: claim("sub"),
            aud: jwt.and_then(Jwt::effective_audience).map(str::to_owned),
            exp: jwt
                .and_then(|j| j.numeric_date("exp"))
                .and_then(|s| Timestamp::from_second(s).ok()),
        }
    }
}

/// Decodes the token and works out its issuer family and `sub` form.
pub fn analyse(bytes: &[u8], source: String, now: Timestamp, at_given: bool) -> TokenData {
    let token = token::parse(bytes);
    let (family, subject) = match token.jwt().and_then(subject::identify) {
        Some((family, subject)) => (Some(family), subject),
        None => (None, None),
    };
    TokenData {
        source,
        token,
        family,
        subject,
        now,
        at_given,
        signature: None,
        signature_skipped: None,
    }
}

/// The token stage: decode the input and judge it with the TK rules.
pub fn run(input: &TokenInput, now: Timestamp, at_given: bool) -> Staged<TokenData> {
    let started = Instant::now();
    let data = analyse(&input.bytes, input.source.clone(), now, at_given);
    let findings = rules::token::check(&data.token, now);
    let detail = match data.jwt() {
        Some(_) => format!(
            "decoded a {}-character token from {}",
            data.token.length, data.source
        ),
        None => format!("not a JWT ({})", data.source),
    };
    let stage = Stage::ran("token", &findings, started.elapsed(), detail);
    Staged {
        data,
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    }
}

/// The TK findings worth showing beside another command's own (`assume`,
/// `lint --token`): everything but the informational ones.
pub fn notable(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.severity > crate::finding::Severity::Info)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let input = TokenInput {
            variable: None,
            source: "test".to_owned(),
            path: None,
            bytes: b"eyJhbGciOiJSUzI1NiJ9.e30.SECRETSIGNATURE".to_vec(),
            rereadable: false,
            mints: false,
        };
        let shown = format!("{input:?}");
        assert!(
            !shown.contains("SECRET") && shown.contains("***"),
            "{shown}"
        );
        let spec = TokenSpec {
            argument: Some("eyJhbGciOiJSUzI1NiJ9.e30.SECRETSIGNATURE".to_owned()),
            ..TokenSpec::default()
        };
        let shown = format!("{spec:?}");
        assert!(
            !shown.contains("SECRET") && shown.contains("***"),
            "{shown}"
        );
    }

    #[test]
    fn path_like_arguments_are_recognised() {
        for path in [
            "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
            "./t",
            "a/b",
            "t.jwt",
            "~/t",
        ] {
            assert!(looks_like_path(path), "{path}");
        }
        assert!(!looks_like_path("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"));
    }
}
