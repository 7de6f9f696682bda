//! `provider`: what IAM holds for the token's issuer (the OIDC provider, its
//! client IDs and thumbprints) and for the role (ARN, path, maximum
//! duration, trust policy), compared with the token, the issuer's served
//! certificate chain and what the caller asks for.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::cli::ProviderArgs;
use crate::commands::lint::PolicyEvaluation;
use crate::commands::{Progress, issuer, token_input};
use crate::error::Error;
use crate::model::aws::{IamRole, partition_of_region};
use crate::model::chain::HostChain;
use crate::model::documents::PolicyDocument;
use crate::model::policy::Policy;
use crate::model::provider::OidcProvider;
use crate::model::token::{self, Jwt};
use crate::net::aws::{self, AwsError, AwsOptions};
use crate::net::http::HttpClient;
use crate::net::probe;
use crate::report::{CommandData, Finding, Report, SourceFile, Stage, StageStatus};
use crate::rules;
use crate::rules::provider::registry::{self, ListedProvider, Lookup};
use crate::rules::trust_policy::{Arn, LintOptions};

/// What `provider` shows beside its findings.
#[derive(Debug, Default)]
pub struct ProviderData {
    /// The account of the caller's credentials.
    pub account: Option<String>,
    pub region: Option<String>,
    /// Where the IAM requests went.
    pub endpoint: Option<String>,
    /// The issuer looked up (the token's `iss`, or `--issuer`).
    pub issuer: Option<String>,
    /// Where the token came from, and its `sub` and audience.
    pub token: Option<(String, Option<String>, Option<String>)>,
    /// Every provider the account lists.
    pub listed: Vec<ListedProvider>,
    /// The provider read, with its ARN.
    pub provider: Option<(String, OidcProvider)>,
    /// Why no provider was looked up.
    pub provider_skipped: Option<String>,
    pub role: Option<IamRole>,
    /// Why the role was not read.
    pub role_skipped: Option<String>,
    /// The chains the issuer served, for the thumbprint checks.
    pub hosts: Vec<HostChain>,
    pub probe_skipped: Option<String>,
    pub evaluation: Option<PolicyEvaluation>,
}

/// IAM refused or failed a call the command cannot do without.
fn iam_error(error: &AwsError, permission: &str) -> Error {
    let help = if error.is_access_denied() {
        format!(
            "the credentials need `{permission}`; use a profile or role that has it (--profile)"
        )
    } else {
        "check the region (--region), AWS_ENDPOINT_URL_IAM and the network".to_owned()
    };
    Error::Environment {
        message: error.to_string(),
        help,
    }
}

/// Loads the AWS configuration and insists on credentials (exit 3 without).
pub fn load_with_credentials(
    runtime: &tokio::runtime::Runtime,
    options: &AwsOptions,
    command: &str,
) -> Result<aws_config::SdkConfig, Error> {
    let config = runtime.block_on(aws::load(options, true));
    runtime
        .block_on(aws::check_credentials(&config))
        .map_err(|why| Error::Environment {
            message: format!("`{command}` reads IAM and needs AWS credentials; none were found ({why})"),
            help: "set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \
                   `aws sso login`; on EC2, ECS or EKS the instance or task role is used"
                .to_owned(),
        })?;
    Ok(config)
}

/// The token, when one was given (or `AWS_WEB_IDENTITY_TOKEN_FILE` is set).
fn optional_token(args: &ProviderArgs) -> Result<Option<(String, Jwt)>, Error> {
    match token_input::read(&args.token) {
        Ok(input) => Ok(token::parse(&input.bytes).jwt().cloned().map(|jwt| (input.source, jwt))),
        Err(Error::NoToken) if args.issuer.is_some() || args.provider_arn.is_some() => Ok(None),
        Err(Error::NoToken) => Err(Error::Usage {
            message: "no token and no issuer to look up".to_owned(),
            help: "give the token (argument, -, --token-file, --token-env), or --issuer URL, or --provider-arn ARN"
                .to_owned(),
        }),
        Err(error) => Err(error),
    }
}

/// What every IAM stage needs.
struct Iam<'a> {
    runtime: &'a tokio::runtime::Runtime,
    client: aws_sdk_iam::Client,
    progress: &'a dyn Progress,
}

/// A stage that ran (judged by its findings) or was skipped.
fn stage(
    name: &'static str,
    findings: &[Finding],
    skipped: bool,
    started: Instant,
    detail: String,
) -> Stage {
    Stage {
        name,
        status: if skipped {
            StageStatus::Skip
        } else {
            Stage::judge(findings)
        },
        duration: started.elapsed(),
        detail,
    }
}

pub fn run(args: &ProviderArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let token = optional_token(args)?;
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
    let options = AwsOptions {
        profile: args.aws.profile.clone(),
        region: args.aws.region.clone(),
        timeout: args.net.timeout,
    };
    progress.update("loading AWS credentials…");
    let config = load_with_credentials(&runtime, &options, "provider")?;
    data.region = aws::region(&config);
    let (client, endpoint) = aws::iam(&config);
    progress.update("reading the caller's account…");
    data.account = runtime.block_on(aws::caller_account(&config)).ok();
    let iam = Iam {
        runtime: &runtime,
        client,
        progress,
    };
    let mut report = Report::new("provider", CommandData::None);
    let stages = [
        provider_stage(&iam, args, &mut data, jwt)?,
        role_stage(&iam, args, &mut data),
        trust_policy(&mut data, &mut report, jwt),
        tls_stage(&iam, args, &mut data)?,
    ];
    for (findings, stage) in stages {
        report.stages.push(stage);
        report.findings.extend(findings);
    }
    progress.finish();
    data.endpoint = endpoint.endpoint();
    report.data = CommandData::Provider(Box::new(data));
    report.sort_findings();
    Ok(report)
}

/// The provider: by ARN, or looked up by issuer (PV001, PV002).
fn provider_stage(
    iam: &Iam<'_>,
    args: &ProviderArgs,
    data: &mut ProviderData,
    jwt: Option<&Jwt>,
) -> Result<(Vec<Finding>, Stage), Error> {
    let started = Instant::now();
    let role_account = args
        .role
        .role_arn
        .as_deref()
        .and_then(Arn::parse)
        .map(|a| a.account.to_owned())
        .or_else(|| data.account.clone());
    iam.progress.update("listing IAM OIDC providers…");
    let listed = iam
        .runtime
        .block_on(aws::list_providers(&iam.client))
        .map_err(|e| iam_error(&e, "iam:ListOpenIDConnectProviders"))?;
    data.listed = listed
        .iter()
        .filter_map(|arn| ListedProvider::from_arn(arn))
        .collect();
    let mut findings = Vec::new();
    // IAM lists only the caller's providers; STS looks in the role's account.
    let listing_account = data
        .account
        .clone()
        .or_else(|| data.listed.first().map(|p| p.account.clone()));
    let elsewhere = match (&role_account, &listing_account) {
        (Some(role), Some(listing)) if role != listing => Some((role.clone(), listing.clone())),
        _ => None,
    };
    let chosen = match (&args.provider_arn, &data.issuer, elsewhere) {
        (Some(arn), _, _) => Some(arn.clone()),
        (None, Some(_), Some((role, listing))) => {
            data.provider_skipped = Some(format!(
                "the role is in account {role}, and these credentials list account {listing}'s providers; \
                 run with credentials of account {role} (or give --provider-arn)"
            ));
            None
        }
        (None, Some(iss), None) => {
            match registry::lookup(iss, &data.listed, role_account.as_deref()) {
                Lookup::Found(found) => Some(found.arn),
                miss => {
                    findings.extend(registry::not_found(
                        iss,
                        &miss,
                        data.listed.len(),
                        role_account.as_deref(),
                    ));
                    None
                }
            }
        }
        (None, None, _) => None,
    };
    if let Some(arn) = &chosen {
        iam.progress.update("reading the provider…");
        let provider = iam
            .runtime
            .block_on(aws::get_provider(&iam.client, arn))
            .map_err(|e| iam_error(&e, "iam:GetOpenIDConnectProvider"))?;
        if let Some(jwt) = jwt {
            findings.extend(rules::provider::token_audience(&provider, jwt));
        }
        data.provider = Some((arn.clone(), provider));
    }
    let detail = match (&data.provider, &data.provider_skipped) {
        (Some((arn, p)), _) => format!(
            "{arn}: {} client ID(s), {} thumbprint(s)",
            p.client_ids.len(),
            p.thumbprints.len()
        ),
        (None, Some(why)) => format!("not looked up: {why}"),
        (None, None) => format!(
            "no provider for {}",
            data.issuer.as_deref().unwrap_or("the issuer")
        ),
    };
    let stage = stage(
        "provider",
        &findings,
        data.provider_skipped.is_some(),
        started,
        detail,
    );
    Ok((findings, stage))
}

/// The role as IAM holds it against the caller's request (PV006, PV007).
fn role_stage(
    iam: &Iam<'_>,
    args: &ProviderArgs,
    data: &mut ProviderData,
) -> (Vec<Finding>, Stage) {
    let started = Instant::now();
    let role_arn = args.role.role_arn.as_deref();
    let mut findings = Vec::new();
    if let Some(requested) = role_arn {
        match (Arn::parse(requested), &data.account) {
            (Some(arn), Some(account))
                if arn.account != account && !requested.contains(":oidc-provider/") =>
            {
                data.role_skipped = Some(format!(
                    "the role is in account {}, the credentials are for account {account}: IAM shows only the caller's roles",
                    arn.account
                ));
            }
            _ => {
                let name = requested.rsplit_once('/').map_or(requested, |(_, n)| n);
                iam.progress.update("reading the role…");
                match iam.runtime.block_on(aws::get_role(&iam.client, name)) {
                    // What was found so far stands; the role stage says why it did not run.
                    Err(error) => {
                        data.role_skipped = Some(if error.is_access_denied() {
                            format!("{error} (the credentials need `iam:GetRole`)")
                        } else {
                            error.to_string()
                        });
                    }
                    Ok(Some(role)) => {
                        findings.extend(rules::provider::role::role_arn(requested, &role));
                        if let Some(duration) = args.role.duration {
                            findings.extend(rules::provider::role::duration(duration, &role));
                        }
                        data.role = Some(role);
                    }
                    Ok(None) => {
                        findings.push(no_such_role(requested, name, data.account.as_deref()));
                    }
                }
            }
        }
    }
    let detail = match (&data.role, &data.role_skipped, role_arn) {
        (Some(role), _, _) => format!(
            "{}: path {}, max session {} s",
            role.arn,
            role.path,
            role.max_session_duration.unwrap_or(3600)
        ),
        (None, Some(why), _) => format!("not read: {why}"),
        (None, None, Some(arn)) => format!("{arn}: not found"),
        (None, None, None) => "not asked for (--role-arn)".to_owned(),
    };
    let skipped = role_arn.is_none() || data.role_skipped.is_some();
    let stage = stage("role", &findings, skipped, started, detail);
    (findings, stage)
}

/// The issuer's served chains against the provider's thumbprints (PV004, PV008).
fn tls_stage(
    iam: &Iam<'_>,
    args: &ProviderArgs,
    data: &mut ProviderData,
) -> Result<(Vec<Finding>, Stage), Error> {
    let started = Instant::now();
    let mut findings = Vec::new();
    match (&data.issuer, &data.provider, args.no_issuer_probe) {
        (_, _, true) => data.probe_skipped = Some("--no-issuer-probe".to_owned()),
        (None, _, _) => data.probe_skipped = Some("no issuer URL".to_owned()),
        (_, None, _) => data.probe_skipped = Some("no provider to compare with".to_owned()),
        (Some(iss), Some((_, provider)), false) => {
            iam.progress
                .update(&format!("probing {iss} for its certificate chains…"));
            let client = HttpClient::new(&issuer::net_options(&args.net))?;
            let sample =
                iam.runtime
                    .block_on(probe::sample(client, iss.clone(), 1, Duration::ZERO));
            data.hosts = issuer::host_chains(std::slice::from_ref(&sample), Timestamp::now());
            if data.hosts.is_empty() {
                data.probe_skipped = Some(
                    sample
                        .discovery_probe
                        .and_then(|p| p.error)
                        .unwrap_or_else(|| "no certificate chain was served".to_owned()),
                );
            }
            findings.extend(rules::provider::thumbprints::check(provider, &data.hosts));
        }
    }
    let detail = data.probe_skipped.as_ref().map_or_else(
        || format!("{} host(s) probed", data.hosts.len()),
        |why| format!("thumbprints not compared with a chain: {why}"),
    );
    let stage = stage("tls", &findings, data.hosts.is_empty(), started, detail);
    Ok((findings, stage))
}

fn no_such_role(requested: &str, name: &str, account: Option<&str>) -> Finding {
    Finding::new(
        &rules::PV006,
        format!(
            "`{requested}` names a role `{name}` that account {} does not have: STS answers AccessDenied for it.",
            account.unwrap_or("of the credentials")
        ),
        "Check the role name and account: `aws iam list-roles --query 'Roles[].Arn'` lists the ARNs.",
    )
}

/// TP rules on the live policy, PV003 and PV005, and the evaluation.
fn trust_policy(
    data: &mut ProviderData,
    report: &mut Report,
    jwt: Option<&Jwt>,
) -> (Vec<Finding>, Stage) {
    let started = Instant::now();
    let Some(role) = &data.role else {
        return (Vec::new(), skipped_stage("trust-policy", "no role read"));
    };
    let Some(text) = role.trust_policy.clone() else {
        return (
            Vec::new(),
            skipped_stage("trust-policy", "IAM returned no trust policy"),
        );
    };
    let document = match PolicyDocument::from_text(&role.arn, text) {
        Ok(document) => document,
        Err(error) => {
            let finding = rules::trust_policy::unparseable(
                &role.arn,
                None,
                "trust policy of this IAM role",
                &error,
            );
            let findings = vec![finding];
            let stage = Stage {
                name: "trust-policy",
                status: Stage::judge(&findings),
                duration: started.elapsed(),
                detail: format!("{}: not JSON", role.arn),
            };
            return (findings, stage);
        }
    };
    let options = LintOptions {
        role_arn: Some(role.arn.clone()),
        token_claims: jwt.map(|j| j.claims.clone()),
        provider: data.provider.as_ref().map(|(_, p)| p.clone()),
    };
    let mut findings = rules::trust_policy::check(&document, &options);
    if let Some((arn, _)) = &data.provider {
        findings.extend(rules::provider::role::principal(
            role,
            &Policy::from_value(document.value()),
            arn,
        ));
    }
    if let Some(jwt) = jwt {
        data.evaluation = Some(crate::commands::lint::evaluate(
            &document,
            &jwt.claims,
            &options,
        ));
    }
    report.sources.push(SourceFile {
        key: rules::trust_policy::source_key(&document),
        text: document.source.text.as_str().into(),
    });
    let detail = match &data.evaluation {
        Some(e) if e.evaluation.allowed() => format!("{}: allows the token", role.arn),
        Some(e) => format!(
            "{}: refuses the token{}",
            role.arn,
            e.evaluation.refusal_reason()
        ),
        None => format!("{}: linted (no token to evaluate)", role.arn),
    };
    // A refusal is no rule's finding (the conditions may be exactly as
    // meant for other tokens), but it fails the stage: this token is refused.
    let refused = data
        .evaluation
        .as_ref()
        .is_some_and(|e| !e.evaluation.allowed());
    let stage = Stage {
        name: "trust-policy",
        status: if refused {
            StageStatus::Fail
        } else {
            Stage::judge(&findings)
        },
        duration: started.elapsed(),
        detail,
    };
    (findings, stage)
}

fn skipped_stage(name: &'static str, why: &str) -> Stage {
    Stage {
        name,
        status: StageStatus::Skip,
        duration: Duration::ZERO,
        detail: why.to_owned(),
    }
}

/// The partition of the configured region, for the output.
pub fn partition(data: &ProviderData) -> Option<&'static str> {
    data.region.as_deref().map(partition_of_region)
}
