//! Errors that stop a command before it can report findings. Each says what
//! went wrong and what to do; the exit code follows the contract (2 for
//! usage and unreadable input, 3 for an environment that cannot run a stage).

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("cannot read {what} `{path}`: {source}")]
    #[diagnostic(code(oidc_doctor::unreadable), help("{help}"))]
    Unreadable {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
        help: String,
    },

    #[error("{what} is larger than {limit} bytes")]
    #[diagnostic(code(oidc_doctor::too_large), help("{help}"))]
    TooLarge {
        what: String,
        limit: usize,
        help: &'static str,
    },

    #[error("the argument looks like a file path, but there is no such file")]
    #[diagnostic(
        code(oidc_doctor::no_such_token_file),
        help(
            "check the path, or pass the token text itself (the argument is not repeated here, in case it is a secret)"
        )
    )]
    NoSuchTokenFile,

    #[error("no token given")]
    #[diagnostic(
        code(oidc_doctor::no_token),
        help(
            "pass the token (or a file holding it) as an argument, `-` to read standard input, \
             --token-file PATH or --token-env VAR; AWS_WEB_IDENTITY_TOKEN_FILE is used when set"
        )
    )]
    NoToken,

    #[error("environment variable {name} is {problem}")]
    #[diagnostic(code(oidc_doctor::env), help("{help}"))]
    EnvVar {
        name: String,
        problem: &'static str,
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(oidc_doctor::usage), help("{help}"))]
    Usage { message: String, help: String },

    #[error("{message}")]
    #[diagnostic(code(oidc_doctor::environment), help("{help}"))]
    Environment { message: String, help: String },

    #[error("no rule has code `{code}`")]
    #[diagnostic(code(oidc_doctor::unknown_rule), help("{help}"))]
    UnknownRule { code: String, help: String },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Unreadable { .. }
            | Error::TooLarge { .. }
            | Error::NoToken
            | Error::NoSuchTokenFile
            | Error::EnvVar { .. }
            | Error::UnknownRule { .. }
            | Error::Usage { .. } => 2,
            Error::Environment { .. } => 3,
        }
    }
}
