//! The command line turned into stage inputs: the one place that knows
//! both the clap types and the stages' own.

use crate::cli::{AwsArgs, NetArgs, TokenArgs};
use crate::net::NetOptions;
use crate::net::aws::AwsOptions;
use crate::stages::token::TokenSpec;

pub fn token_spec(args: &TokenArgs) -> TokenSpec {
    TokenSpec {
        argument: args.token.clone(),
        file: args.token_file.clone(),
        env: args.token_env.clone(),
        github_actions: args.github_actions.then(|| args.audience.clone()),
        discover_actions: false,
    }
}

pub fn net_options(args: &NetArgs) -> NetOptions {
    NetOptions {
        timeout: args.timeout,
        ca_bundle: args.ca_bundle.clone(),
    }
}

pub fn aws_options(args: &AwsArgs, timeout: std::time::Duration) -> AwsOptions {
    AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        timeout,
    }
}
