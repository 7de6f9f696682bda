//! `assume`: the token stage, then the assume stage; after an
//! `AccessDenied`, the trust policy's verdict on the refused token.

use std::time::Duration;

use jiff::Timestamp;

use crate::cli::{AssumeArgs, ExportFormat};
use crate::error::Error;
use crate::model::aws::session_name_problem;
use crate::report::{CommandData, Goal, Report};
use crate::rules::assume::retry::RetryPolicy;
use crate::stages::assume::{self, AssumePlan, Outcome, verdict};
use crate::stages::{Progress, token};

use super::inputs::{aws_options, cache_dir, token_spec};

/// Checks what STS would refuse anyway, before sending anything.
fn plan(args: &AssumeArgs) -> Result<AssumePlan, Error> {
    let role_arn = args.role.role_arn.clone().ok_or_else(|| Error::Usage {
        message: "no role to assume".to_owned(),
        help: "give --role-arn arn:aws:iam::<account>:role/<name> (or set AWS_ROLE_ARN)".to_owned(),
    })?;
    let session_name = args
        .role
        .session_name
        .clone()
        .unwrap_or_else(assume::default_session_name);
    if let Some(problem) = session_name_problem(&session_name) {
        return Err(Error::Usage {
            message: format!("the session name `{session_name}` would be refused by STS: {problem}"),
            help: "give --session-name with 2 to 64 of letters, digits and `_+=,.@-` (or fix AWS_ROLE_SESSION_NAME)"
                .to_owned(),
        });
    }
    if let Some(duration) = args.role.duration
        && !(900..=43_200).contains(&duration)
    {
        return Err(Error::Usage {
            message: format!(
                "--duration {duration} is outside the 900 to 43200 seconds STS accepts"
            ),
            help: "ask for 900 seconds up to the role's MaxSessionDuration (at most 43200)"
                .to_owned(),
        });
    }
    if args.export == Some(ExportFormat::GithubEnv) && std::env::var_os("GITHUB_ENV").is_none() {
        return Err(Error::Environment {
            message: "--export github-env needs GITHUB_ENV, and it is not set".to_owned(),
            help: "run it in a GitHub Actions step, or use --export env".to_owned(),
        });
    }
    Ok(AssumePlan {
        role_arn,
        session_name,
        duration: args.role.duration,
        retry: RetryPolicy {
            max_attempts: args.max_attempts,
            deadline: Duration::from_secs(args.deadline),
            ..RetryPolicy::default()
        },
        cache: cache_dir(&args.cache, &args.token)?,
        aws: aws_options(&args.aws, args.timeout.timeout),
        export: args.export.map(Into::into),
    })
}

pub fn run(args: &AssumeArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let plan = plan(args)?;
    let spec = token_spec(&args.token)?;
    let first = token::read(&spec)?;
    let judged_token = token::run(&first, Timestamp::now(), false);
    let jwt = judged_token.data.jwt().cloned();
    // A policy file that cannot be used is a usage error before any call.
    let policy = match &args.policy {
        Some(path) => {
            let document = crate::stages::policy::read_policy_file(
                path,
                Some(crate::stages::role::name_of(&plan.role_arn)),
                jwt.as_ref().and_then(|j| j.claim_str("iss")),
            )?;
            Some((document, format!("from {}", path.display())))
        }
        None => None,
    };
    let mut report = Report::new("assume", CommandData::None);
    let token_row = judged_token.data.summary();
    report
        .findings
        .extend(token::notable(judged_token.findings));
    report.stages.push(crate::stages::Stage {
        detail: format!(
            "from {}: iss {}, sub {}, audience {}",
            token_row.source,
            token_row.iss.as_deref().unwrap_or("-"),
            token_row.sub.as_deref().unwrap_or("-"),
            token_row.aud.as_deref().unwrap_or("-")
        ),
        ..crate::stages::Stage::ran("token", &report.findings, Duration::ZERO, "")
    });
    let assumption = assume::run(&plan, &spec, first, jwt.as_ref(), progress)?;
    let policy_verdict = match &assumption.outcome {
        Outcome::Refused {
            class,
            failure,
            sent,
            ..
        } if class.rule.code == "AS101" => Some(report.absorb(verdict::after_access_denied(
            policy,
            &plan.role_arn,
            sent.as_ref(),
            &plan.aws,
            &failure.to_string(),
        ))),
        _ => None,
    };
    let assumed = report.absorb(assume::judge(assumption, policy_verdict, "sts"));
    if let Some(row) = report.stages.last() {
        progress.finished(row);
    }
    report.goal = match (&assumed.assumed, assumed.export) {
        // With --export the credentials are the product: a successful
        // assume exits 0 whatever else was found (credential_process requires it).
        (Some(_), Some(_)) => Some(Goal::Met),
        (Some(_), None) => None,
        (None, _) => Some(Goal::Missed),
    };
    report.data = CommandData::Assume(Box::new(assumed));
    report.sort_findings();
    Ok(report)
}
