//! `lint`: the policy stage over files and directories; with `--token`, the
//! token stage first and every policy evaluated against it; with
//! `--provider-json`, the audience checks against the saved provider.

use crate::cli::LintArgs;
use crate::error::Error;
use crate::report::{CommandData, Report};
use crate::rules;
use crate::stages::policy::PolicyContext;
use crate::stages::policy::files::{FileSelection, lint_files};
use crate::stages::{provider, token};

use super::inputs::token_flags_spec;

pub fn run(args: &LintArgs) -> Result<Report, Error> {
    let mut report = Report::new("lint", CommandData::None);
    let mut token_flag = None;
    let token = if args.token.given() {
        let input = token::read(&token_flags_spec(&args.token)?)?;
        token_flag = input.policy_flag();
        let now = args.at.unwrap_or_else(jiff::Timestamp::now);
        Some(report.absorb(token::run(&input, now, args.at.is_some())))
    } else {
        None
    };
    let provider = match &args.provider_json {
        Some(path) => Some(provider::read_file(path)?),
        None => None,
    };
    let jwt = token.as_ref().and_then(|t| t.jwt()).cloned();
    let context = PolicyContext {
        role_arn: args.role_arn.clone(),
        token: jwt,
        provider,
        principal: None,
        token_flag,
    };
    let selection = FileSelection {
        paths: if args.paths.is_empty() {
            vec![std::path::PathBuf::from(".")]
        } else {
            args.paths.clone()
        },
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        skip_unrecognised: args.skip_unrecognised,
    };
    let linted = lint_files(&selection, &context)?;
    let mut data = report.absorb(linted);
    // PV002 once the policies are read: its fix must get past what they pin.
    // Without --provider-json, the provider a Terraform module declares
    // for the token's issuer.
    let declared = context.token.as_ref().and_then(|jwt| {
        let issuer = jwt.claim_str("iss").unwrap_or_default();
        let url = issuer.strip_prefix("https://").unwrap_or(issuer);
        data.providers.iter().find(|p| p.url == url).cloned()
    });
    if let (Some(provider), Some(jwt)) = (
        context.provider.as_ref().or(declared.as_ref()),
        &context.token,
    ) {
        let arn = args.role_arn.as_deref().and_then(|role| {
            crate::model::arn::provider_arn_for(role, jwt.claim_str("iss").unwrap_or_default())
        });
        let pinned =
            (!data.pinned_audiences.is_empty()).then_some(data.pinned_audiences.as_slice());
        report.findings.extend(rules::provider::token_audience(
            provider,
            arn.as_deref(),
            jwt,
            pinned,
        ));
    }
    data.verbose = args.verbose;
    data.token = token.map(|t| t.summary());
    report.data = CommandData::Lint(Box::new(data));
    report.sort_findings();
    Ok(report)
}
