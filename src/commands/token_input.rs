//! Reading the token from wherever the user points: an argument, standard
//! input, a file, an environment variable, or `AWS_WEB_IDENTITY_TOKEN_FILE`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cli::TokenArgs;
use crate::error::Error;

/// Far above STS's 20,000-character limit, far below what could hurt.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// The raw token input and where it came from. `Debug` never shows the bytes.
pub struct TokenInput {
    /// Where the token came from, as shown to the user.
    pub source: String,
    /// The file it was read from, when it was.
    pub path: Option<PathBuf>,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for TokenInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInput")
            .field("source", &self.source)
            .field("path", &self.path)
            .field("bytes", &format_args!("*** ({} bytes)", self.bytes.len()))
            .finish()
    }
}

/// Reads the token the arguments name.
pub fn read(args: &TokenArgs) -> Result<TokenInput, Error> {
    if args.github_actions {
        return github_actions(&args.audience);
    }
    if let Some(path) = &args.token_file {
        return read_file(path, "--token-file");
    }
    if let Some(var) = &args.token_env {
        return read_env(var);
    }
    match args.token.as_deref() {
        Some("-") => read_stdin(),
        Some(value) => {
            let path = Path::new(value);
            if path.is_file() {
                read_file(path, "the argument")
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
                    source: "the command-line argument".to_owned(),
                    path: None,
                    bytes: value.as_bytes().to_vec(),
                })
            }
        }
        None => match std::env::var_os("AWS_WEB_IDENTITY_TOKEN_FILE") {
            Some(path) if !path.is_empty() => {
                read_file(Path::new(&path), "AWS_WEB_IDENTITY_TOKEN_FILE")
            }
            _ => Err(Error::NoToken),
        },
    }
}

/// A fresh token from the GitHub Actions runtime: `GET
/// $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the request token as a
/// bearer; the answer is `{"value": "<jwt>"}`. Every call mints a new one.
fn github_actions(audience: &str) -> Result<TokenInput, Error> {
    let variable = |name: &str| {
        std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| Error::Environment {
            message: format!("--github-actions needs {name}, and it is not set"),
            help: "the job needs `permissions: id-token: write` (a pull request from a fork never gets it); \
                   outside GitHub Actions, give the token another way"
                .to_owned(),
        })
    };
    let mut url = url::Url::parse(&variable("ACTIONS_ID_TOKEN_REQUEST_URL")?).map_err(|error| {
        Error::Environment {
            message: format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL ({error})"),
            help: "it is set by the Actions runner; do not override it".to_owned(),
        }
    })?;
    url.query_pairs_mut().append_pair("audience", audience);
    let bearer = crate::model::aws::Secret::new(variable("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?);
    let client = crate::net::http::HttpClient::new(&crate::net::NetOptions {
        timeout: std::time::Duration::from_secs(10),
        ca_bundle: None,
    })?;
    let runtime = crate::net::runtime()?;
    let fetch = runtime.block_on(client.fetch_with_bearer(url.as_str(), &bearer));
    let failed = |why: String| Error::Environment {
        message: format!("the GitHub Actions runtime gave no token: {why}"),
        help: "check `permissions: id-token: write` on the job; the runtime answers 403 without it"
            .to_owned(),
    };
    let response = match &fetch.result {
        Ok(response) if response.is_success() && !response.truncated => response,
        Ok(response) => return Err(failed(format!("HTTP {}", response.status))),
        Err(failure) => return Err(failed(failure.to_string())),
    };
    let value: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|error| failed(format!("the answer is not JSON ({error})")))?;
    let token = value
        .get("value")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| failed("the answer has no `value`".to_owned()))?;
    Ok(TokenInput {
        source: format!("the GitHub Actions runtime (audience {audience})"),
        path: None,
        bytes: token.as_bytes().to_vec(),
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

fn read_file(path: &Path, given_by: &str) -> Result<TokenInput, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Unreadable {
        what: "token file",
        path: path.to_owned(),
        help: format!("check the path given by {given_by}"),
        source,
    })?;
    let bytes = read_capped(file, &format!("token file `{}`", path.display()))?;
    Ok(TokenInput {
        source: format!("file {}", path.display()),
        path: Some(path.to_owned()),
        bytes,
    })
}

fn read_stdin() -> Result<TokenInput, Error> {
    let bytes = read_capped(std::io::stdin().lock(), "standard input")?;
    Ok(TokenInput {
        source: "standard input".to_owned(),
        path: None,
        bytes,
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
            Ok(text) => Ok(TokenInput {
                source: format!("environment variable {name}"),
                path: None,
                bytes: text.into_bytes(),
            }),
            Err(_) => Err(Error::EnvVar {
                name: name.to_owned(),
                problem: "not valid UTF-8",
                help: "a token is ASCII text; check what sets the variable".to_owned(),
            }),
        },
    }
}

fn read_capped(reader: impl Read, what: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_INPUT_BYTES + 1).unwrap_or(u64::MAX);
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Unreadable {
            what: "input",
            path: PathBuf::from(what),
            help: "check that the input can be read".to_owned(),
            source,
        })?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(Error::TooLarge {
            what: what.to_owned(),
            limit: MAX_INPUT_BYTES,
            help: "a web identity token is at most 20,000 characters; this is not a token",
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let input = TokenInput {
            source: "test".to_owned(),
            path: None,
            bytes: b"eyJhbGciOiJSUzI1NiJ9.e30.SECRETSIGNATURE".to_vec(),
        };
        let shown = format!("{input:?}");
        assert!(
            !shown.contains("SECRET") && shown.contains("***"),
            "{shown}"
        );
        let args = TokenArgs {
            token: Some("eyJhbGciOiJSUzI1NiJ9.e30.SECRETSIGNATURE".to_owned()),
            token_file: None,
            token_env: None,
            github_actions: false,
            audience: String::new(),
        };
        let shown = format!("{args:?}");
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
