//! `check`: every stage in dependency order, then the verdict. Inputs left
//! out are found where the AWS SDKs and CI systems put them, and each is
//! reported with where it came from.

use std::time::Duration;

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::model::aws::session_name_problem;
use crate::report::{CommandData, Goal, Report};
use crate::rules::assume::retry::RetryPolicy;
use crate::stages::Progress;
use crate::stages::pipeline::{self, CheckRequest, Given};

use super::inputs::{aws_options, cache_dir, net_options, token_spec};

/// The flag's value, else the variable's, with where it came from.
fn given(flag: Option<&String>, flag_name: &str, variable: &str) -> Option<Given> {
    match flag {
        Some(value) => Some(Given {
            value: value.clone(),
            from: flag_name.to_owned(),
        }),
        None => std::env::var(variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|value| Given {
                value,
                from: variable.to_owned(),
            }),
    }
}

fn request(args: &CheckArgs) -> Result<CheckRequest, Error> {
    let session_name = given(
        args.session_name.as_ref(),
        "--session-name",
        "AWS_ROLE_SESSION_NAME",
    );
    if let Some(name) = &session_name
        && let Some(problem) = session_name_problem(&name.value)
    {
        return Err(Error::Usage {
            message: format!(
                "the session name `{}` (from {}) would be refused by STS: {problem}",
                name.value, name.from
            ),
            help: "give --session-name with 2 to 64 of letters, digits and `_+=,.@-`".to_owned(),
        });
    }
    if args.offline && args.token.flags.github_actions {
        return Err(Error::Usage {
            message: "--github-actions asks the Actions runtime for a token, and --offline forbids the network"
                .to_owned(),
            help: "drop one of them; offline, give a saved token (argument, --token, --token-file, --token-env)"
                .to_owned(),
        });
    }
    let mut token = token_spec(&args.token)?;
    // Offline means no network at all: not even the Actions runtime.
    token.discover_actions = !args.offline;
    Ok(CheckRequest {
        token,
        role_arn: given(args.role_arn.as_ref(), "--role-arn", "AWS_ROLE_ARN"),
        session_name,
        duration: args.duration,
        policy_file: args.policy.clone(),
        provider_file: args.provider_json.clone(),
        jwks_file: args.jwks.clone(),
        offline: args.offline,
        no_assume: args.no_assume,
        samples: usize::from(args.samples),
        net: net_options(&args.net),
        aws: aws_options(&args.aws, args.net.timeout.timeout),
        retry: RetryPolicy {
            max_attempts: args.max_attempts,
            deadline: Duration::from_secs(args.deadline),
            ..RetryPolicy::default()
        },
        cache: cache_dir(&args.cache, &args.token)?,
    })
}

pub fn run(args: &CheckArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let request = request(args)?;
    let checked = pipeline::run(&request, progress)?;
    let mut report = Report::new("check", CommandData::None);
    let data = report.absorb(checked);
    if data.blocked.is_some() {
        report.goal = Some(Goal::Blocked);
    }
    report.data = CommandData::Check(Box::new(data));
    report.sort_findings();
    Ok(report)
}
