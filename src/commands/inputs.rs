//! The command line turned into stage inputs: the one place that knows
//! both the clap types and the stages' own.

use std::path::Path;

use crate::cli::{AwsArgs, CacheArgs, NetArgs, TokenArgs, TokenFlags};
use crate::error::Error;
use crate::net::NetOptions;
use crate::net::aws::AwsOptions;
use crate::stages::token::TokenSpec;

use super::redact::looks_like_token;

/// The token input of a command whose positional argument is the token.
pub fn token_spec(args: &TokenArgs) -> Result<TokenSpec, Error> {
    spec(args.argument.as_deref(), &args.flags)
}

/// The token input of a command that has the token flags alone (`lint`).
pub fn token_flags_spec(flags: &TokenFlags) -> Result<TokenSpec, Error> {
    spec(None, flags)
}

fn spec(argument: Option<&str>, flags: &TokenFlags) -> Result<TokenSpec, Error> {
    // A value given to the wrong flag is the likeliest way for a token to
    // reach an error message ("cannot read token file `eyJ...`",
    // "environment variable eyJ... is not set"): said here without it.
    if let Some(name) = &flags.token_env
        && !is_variable_name(name)
    {
        return Err(Error::Usage {
            message: "--token-env takes the name of an environment variable, and the value given is not one"
                .to_owned(),
            help: "give the variable's name (letters, digits and `_`), e.g. `--token-env ID_TOKEN`; the token \
                   itself goes to --token (the value is not repeated here, in case it is the token)"
                .to_owned(),
        });
    }
    if let Some(path) = &flags.token_file
        && looks_like_token(&path.to_string_lossy())
        && !Path::new(path).exists()
    {
        return Err(Error::Usage {
            message: "--token-file takes a path, and the value given looks like a token".to_owned(),
            help: "give the token itself with --token (or as the argument), or the file that holds it with \
                   --token-file (the value is not repeated here)"
                .to_owned(),
        });
    }
    Ok(TokenSpec {
        argument: argument.or(flags.token.as_deref()).map(str::to_owned),
        file: flags.token_file.clone(),
        env: flags.token_env.clone(),
        github_actions: flags.github_actions.then(|| flags.audience.clone()),
        discover_actions: false,
    })
}

/// The credential cache directory (`""`: the user's), or `None`. `--cache`
/// took a directory before it became a flag: `--cache /dir` now leaves the
/// directory to the token argument, which is said plainly.
pub fn cache_dir(
    cache: &CacheArgs,
    token: &TokenArgs,
) -> Result<Option<std::path::PathBuf>, Error> {
    if cache.cache
        && cache.cache_dir.is_none()
        && token
            .argument
            .as_deref()
            .is_some_and(|a| Path::new(a).is_dir())
    {
        return Err(Error::Usage {
            message: "the token argument is a directory: `--cache` takes no value".to_owned(),
            help:
                "to keep the credential cache in a directory of your choice, give `--cache-dir DIR`"
                    .to_owned(),
        });
    }
    Ok(cache.dir())
}

/// A portable environment variable name: letters, digits and `_`, not
/// starting with a digit.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn net_options(args: &NetArgs) -> NetOptions {
    NetOptions {
        timeout: args.timeout.timeout,
        ca_bundle: args.ca_bundle.clone(),
    }
}

pub fn aws_options(args: &AwsArgs, timeout: std::time::Duration) -> AwsOptions {
    // An empty AWS_PROFILE or AWS_REGION (clap reads them for --profile
    // and --region) names nothing: the chain decides, as without them.
    let named = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    AwsOptions {
        profile: named(&args.profile),
        region: named(&args.region),
        timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names() {
        for name in ["ID_TOKEN", "_X", "a1"] {
            assert!(is_variable_name(name), "{name}");
        }
        for name in [
            "",
            "1A",
            "A-B",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            "A=B",
        ] {
            assert!(!is_variable_name(name), "{name}");
        }
    }
}
