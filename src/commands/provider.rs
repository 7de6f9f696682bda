//! `provider`: what IAM holds for the token's issuer (the OIDC provider, its
//! client IDs and thumbprints) and for the role (ARN, path, maximum
//! duration, trust policy), compared with the token, the issuer's served
//! certificate chains and what the caller asks for.

use std::time::Duration;

use jiff::Timestamp;

use crate::cli::ProviderArgs;
use crate::error::Error;
use crate::model::policy::Policy;
use crate::model::token::Jwt;
use crate::net::aws::IamSession;
use crate::net::http::HttpClient;
use crate::net::probe;
use crate::report::{CommandData, Report};
use crate::rules;
use crate::stages::policy::{self, PolicyContext};
use crate::stages::provider::{self as provider_stage, ProviderData, ProviderLookup};
use crate::stages::{Progress, Stage, issuer, role, token as token_stage};

use super::inputs::{aws_options, net_options, token_spec};

/// The token stage, when a token was given (or `AWS_WEB_IDENTITY_TOKEN_FILE`
/// is set): its findings join the report, so a token that is no JWT is
/// TK001 here as in every command.
fn optional_token(
    args: &ProviderArgs,
    report: &mut Report,
) -> Result<Option<(String, Jwt)>, Error> {
    match token_stage::read(&token_spec(&args.token)?) {
        Ok(input) => {
            let judged = token_stage::run(&input, jiff::Timestamp::now(), false);
            let row = judged.stages[0].clone();
            let data = judged.data;
            report.findings.extend(token_stage::notable(judged.findings));
            report.stages.push(Stage {
                status: Stage::judge(&report.findings),
                ..row
            });
            Ok(data.jwt().cloned().map(|jwt| (input.source, jwt)))
        }
        Err(Error::NoToken) if args.issuer.is_some() || args.provider_arn.is_some() => Ok(None),
        Err(Error::NoToken) => Err(Error::Usage {
            message: "no token and no issuer to look up".to_owned(),
            help: "give the token (argument, -, --token, --token-file, --token-env, --github-actions), or --issuer URL, or --provider-arn ARN"
                .to_owned(),
        }),
        Err(error) => Err(error),
    }
}

pub fn run(args: &ProviderArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let mut report = Report::new("provider", CommandData::None);
    let token = optional_token(args, &mut report)?;
    let jwt = token.as_ref().map(|(_, jwt)| jwt);
    let iss = args
        .issuer
        .clone()
        .or_else(|| jwt.and_then(|j| j.claim_str("iss")).map(str::to_owned));
    let mut data = ProviderData {
        issuer: iss.clone(),
        token: token.as_ref().map(|(source, jwt)| {
            (
                source.clone(),
                jwt.claim_str("sub").map(str::to_owned),
                jwt.effective_audience().map(str::to_owned),
            )
        }),
        ..ProviderData::default()
    };
    let runtime = crate::net::runtime()?;
    progress.started("provider", "loading AWS credentials…");
    let iam = runtime.block_on(IamSession::connect(
        &aws_options(&args.aws, args.net.timeout.timeout),
        "provider",
    ))?;
    data.account.clone_from(&iam.account);
    data.region.clone_from(&iam.region);

    let lookup = ProviderLookup {
        issuer: iss.clone(),
        provider_arn: args.provider_arn.clone(),
        role_arn: args.role.role_arn.clone(),
    };
    let found =
        report.absorb(runtime.block_on(provider_stage::lookup(&iam, &lookup, jwt, progress))?);
    data.listed = found.listed;
    data.provider = found.provider;
    data.provider_skipped = found.skipped;

    match &args.role.role_arn {
        Some(role_arn) => {
            let read = report.absorb(runtime.block_on(role::read(
                &iam,
                role_arn,
                args.role.duration,
                progress,
            )));
            data.role = read.role;
            data.role_skipped = read.skipped;
        }
        None => report
            .stages
            .push(Stage::skipped("role", "not asked for (--role-arn)")),
    }

    trust_policy(&mut report, &mut data, jwt);
    tls(&mut report, &mut data, args, &runtime, progress)?;
    data.endpoint = iam.endpoint();
    for row in &report.stages {
        progress.finished(row);
    }
    report.data = CommandData::Provider(Box::new(data));
    report.sort_findings();
    Ok(report)
}

/// TP rules on the live policy, PV003 and PV005, and the evaluation.
fn trust_policy(report: &mut Report, data: &mut ProviderData, jwt: Option<&Jwt>) {
    let Some(role) = &data.role else {
        report
            .stages
            .push(Stage::skipped("trust-policy", "no role read"));
        return;
    };
    let Some(text) = role.trust_policy.clone() else {
        report.stages.push(Stage::skipped(
            "trust-policy",
            "IAM returned no trust policy",
        ));
        return;
    };
    let source = role.arn.clone();
    let judged = match policy::parse_iam_policy(&role.arn, text) {
        Ok(document) => {
            let context = PolicyContext {
                role_arn: Some(role.arn.clone()),
                token: jwt.cloned(),
                provider: data.provider.as_ref().map(|(_, p)| p.clone()),
                principal: data.provider.as_ref().map(|(arn, _)| arn.clone()),
                token_flag: None,
            };
            let mut judged = policy::judge_role_policy(document, source, &context, "trust-policy");
            if let (Some((arn, found)), Some(document)) = (&data.provider, &judged.data.document) {
                judged.findings.extend(rules::provider::role::principal(
                    &role.arn,
                    &Policy::from_value(document.value()),
                    arn,
                ));
                if let Some(jwt) = jwt {
                    crate::stages::provider::advise_with_policy(
                        &mut report.findings,
                        arn,
                        found,
                        jwt,
                        document,
                    );
                }
            }
            judged
        }
        Err(error) => policy::unparseable_role_policy(&role.arn, source, &error, "trust-policy"),
    };
    data.evaluation = report.absorb(judged).evaluation;
}

/// The issuer's served chains against the provider's thumbprints (PV004, PV008).
fn tls(
    report: &mut Report,
    data: &mut ProviderData,
    args: &ProviderArgs,
    runtime: &tokio::runtime::Runtime,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let why = match (&data.issuer, &data.provider, args.no_issuer_probe) {
        (_, _, true) => Some("--no-issuer-probe".to_owned()),
        (None, _, _) => Some("no issuer URL".to_owned()),
        (_, None, _) => Some("no provider to compare with".to_owned()),
        (Some(iss), Some(_), false) => {
            progress.update("tls", &format!("probing {iss} for its certificate chains…"));
            let client = HttpClient::new(&net_options(&args.net))?;
            let sample = runtime.block_on(probe::sample(client, iss.clone(), 1, Duration::ZERO));
            data.hosts = issuer::host_chains(std::slice::from_ref(&sample), Timestamp::now());
            data.hosts.is_empty().then(|| {
                sample
                    .discovery_probe
                    .and_then(|p| p.error)
                    .unwrap_or_else(|| "no certificate chain was served".to_owned())
            })
        }
    };
    data.probe_skipped.clone_from(&why);
    let Some((arn, provider)) = &data.provider else {
        report.stages.push(Stage::skipped(
            "tls",
            format!(
                "thumbprints not compared with a chain: {}",
                why.unwrap_or_default()
            ),
        ));
        return Ok(());
    };
    report.absorb(provider_stage::thumbprints(
        provider,
        Some(arn.as_str()).filter(|a| a.starts_with("arn:")),
        &data.hosts,
        why.as_deref(),
    ));
    Ok(())
}
