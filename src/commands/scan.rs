//! `scan`: every role of the account whose trust policy federates a web
//! identity, linted with the TP rules (locations name the role ARN), and the
//! OIDC providers those roles trust read to check their audiences (PV003)
//! and that they exist (PV001). IAM requests run a bounded number at a time;
//! the SDK retries throttling.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cli::ScanArgs;
use crate::commands::Progress;
use crate::commands::provider::load_with_credentials;
use crate::error::Error;
use crate::model::aws::IamRole;
use crate::model::documents::PolicyDocument;
use crate::model::issuers::provider_name;
use crate::model::policy::Policy;
use crate::model::provider::OidcProvider;
use crate::net::aws::{self, AwsError, AwsOptions};
use crate::report::{CommandData, Finding, Report, SourceFile, Stage, StageStatus};
use crate::rules;
use crate::rules::trust_policy::{LintOptions, trusted_providers};

/// One role that was linted.
#[derive(Debug, Clone)]
pub struct ScannedRole {
    pub arn: String,
    /// The providers it trusts (names, as in condition keys).
    pub providers: Vec<String>,
    pub findings: usize,
    /// The most severe finding's severity.
    pub worst: Option<crate::report::Severity>,
}

/// What `scan` shows beside its findings.
#[derive(Debug, Default)]
pub struct ScanData {
    pub account: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// Roles in the account, all of them.
    pub roles_total: usize,
    /// The web-identity roles linted.
    pub roles: Vec<ScannedRole>,
    /// `--provider`, as a provider name.
    pub filter: Option<String>,
    /// Providers the roles trust: ARN, and what IAM holds or why it could not be read.
    pub providers: Vec<(String, Result<OidcProvider, String>)>,
}

/// The providers a policy trusts: name, and the ARN for an IAM provider
/// (built-ins have none).
fn trusted(policy: &Policy) -> Vec<(String, Option<String>)> {
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    for statement in &policy.statements {
        for provider in trusted_providers(statement) {
            let arn = provider.arn.as_ref().and_then(|_| {
                statement
                    .principal
                    .federated
                    .iter()
                    .find(|f| f.pointer == provider.pointer)
                    .map(|f| f.value.clone())
            });
            let entry = (provider.name.to_owned(), arn);
            if !found.contains(&entry) {
                found.push(entry);
            }
        }
    }
    found
}

/// A web-identity role picked for linting.
struct Selected {
    role: IamRole,
    document: PolicyDocument,
    /// Provider names with their ARN (built-ins have none).
    providers: Vec<(String, Option<String>)>,
}

pub fn run(args: &ScanArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let started = Instant::now();
    let runtime = crate::net::runtime()?;
    let options = AwsOptions {
        profile: args.aws.profile.clone(),
        region: args.aws.region.clone(),
        timeout: args.timeout,
    };
    progress.update("loading AWS credentials…");
    let config = load_with_credentials(&runtime, &options, "scan")?;
    let (iam, endpoint) = aws::iam(&config);
    let mut data = ScanData {
        region: aws::region(&config),
        filter: args
            .provider
            .as_deref()
            .map(|p| provider_name(p.trim()).trim_end_matches('/').to_owned()),
        ..ScanData::default()
    };
    data.account = runtime.block_on(aws::caller_account(&config)).ok();
    progress.update("listing roles…");
    let roles = runtime
        .block_on(aws::list_roles(&iam))
        .map_err(|error| Error::Environment {
            help: if error.is_access_denied() {
                "the credentials need `iam:ListRoles` (and `iam:GetOpenIDConnectProvider`); use a profile that has them"
                    .to_owned()
            } else {
                "check the region, AWS_ENDPOINT_URL_IAM and the network".to_owned()
            },
            message: error.to_string(),
        })?;
    data.roles_total = roles.len();
    let mut findings = Vec::new();
    let selected = select(roles, data.filter.as_deref(), &mut findings);
    progress.update("reading the OIDC providers the roles trust…");
    let read = runtime.block_on(read_providers(
        &iam,
        &selected,
        usize::from(args.concurrency),
    ));
    progress.update(&format!("linting {} role(s)…", selected.len()));
    let mut sources = Vec::new();
    for picked in &selected {
        let role_findings = lint(picked, &read);
        data.roles.push(ScannedRole {
            arn: picked.role.arn.clone(),
            providers: picked
                .providers
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            findings: role_findings.len(),
            worst: role_findings.iter().map(|f| f.severity).max(),
        });
        sources.push(SourceFile {
            key: rules::trust_policy::source_key(&picked.document),
            text: picked.document.source.text.as_str().into(),
        });
        findings.extend(role_findings);
    }
    progress.finish();
    // The roles that most need attention first.
    data.roles
        .sort_by(|a, b| b.worst.cmp(&a.worst).then_with(|| a.arn.cmp(&b.arn)));
    let unread: Vec<String> = read
        .iter()
        .filter_map(|(arn, r)| {
            r.as_ref()
                .err()
                .filter(|e| e.code.as_deref() != Some("NoSuchEntity"))
                .map(|e| format!("{arn}: {e}"))
        })
        .collect();
    data.providers = read
        .into_iter()
        .map(|(arn, r)| (arn, r.map_err(|e| e.to_string())))
        .collect();
    data.endpoint = endpoint.endpoint();

    let mut report = Report::new("scan", CommandData::None);
    report
        .stages
        .push(scan_stage(&data, &findings, &unread, started.elapsed()));
    report.findings = findings;
    report.sources = sources;
    report.data = CommandData::Scan(Box::new(data));
    report.sort_findings();
    Ok(report)
}

fn scan_stage(
    data: &ScanData,
    findings: &[Finding],
    unread: &[String],
    took: std::time::Duration,
) -> Stage {
    let mut detail = format!(
        "{} web-identity role(s) of {} in account {}",
        data.roles.len(),
        data.roles_total,
        data.account.as_deref().unwrap_or("?")
    );
    if !unread.is_empty() {
        let _ = write!(
            detail,
            "; providers not read (audiences unchecked): {}",
            unread.join("; ")
        );
    }
    Stage {
        name: "scan",
        // Providers that could not be read leave PV003 unjudged: say so.
        status: match Stage::judge(findings) {
            StageStatus::Pass if !unread.is_empty() => StageStatus::Warn,
            status => status,
        },
        duration: took,
        detail,
    }
}

/// The roles whose trust policy federates a web identity (the named
/// provider, with `--provider`); a policy that is not JSON is TP001.
fn select(roles: Vec<IamRole>, filter: Option<&str>, findings: &mut Vec<Finding>) -> Vec<Selected> {
    let mut selected = Vec::new();
    for role in roles {
        let Some(text) = role.trust_policy.clone() else {
            continue;
        };
        let document = match PolicyDocument::from_text(&role.arn, text) {
            Ok(document) => document,
            Err(error) => {
                findings.push(rules::trust_policy::unparseable(
                    &role.arn,
                    None,
                    "trust policy of this IAM role",
                    &error,
                ));
                continue;
            }
        };
        let providers = trusted(&Policy::from_value(document.value()));
        let wanted = match filter {
            Some(filter) => providers
                .iter()
                .any(|(name, _)| name.trim_end_matches('/') == filter),
            None => !providers.is_empty(),
        };
        if wanted {
            selected.push(Selected {
                role,
                document,
                providers,
            });
        }
    }
    selected
}

/// Every provider ARN the roles trust, read with at most `limit` requests
/// in flight.
async fn read_providers(
    iam: &aws_sdk_iam::Client,
    selected: &[Selected],
    limit: usize,
) -> BTreeMap<String, Result<OidcProvider, AwsError>> {
    let provider_arns: BTreeSet<String> = selected
        .iter()
        .flat_map(|s| s.providers.iter().filter_map(|(_, arn)| arn.clone()))
        .collect();
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    for arn in provider_arns {
        let iam = iam.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let provider = aws::get_provider(&iam, &arn).await;
            (arn, provider)
        });
    }
    let mut read = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        // A task cannot panic short of a bug; its provider is then absent.
        if let Ok((arn, provider)) = joined {
            read.insert(arn, provider);
        }
    }
    read
}

/// The TP rules (with PV003 against the trusted provider) and PV001 for a
/// trusted provider that does not exist.
fn lint(
    picked: &Selected,
    read: &BTreeMap<String, Result<OidcProvider, AwsError>>,
) -> Vec<Finding> {
    let provider = picked
        .providers
        .iter()
        .find_map(|(_, arn)| read.get(arn.as_deref()?)?.as_ref().ok())
        .cloned();
    let options = LintOptions {
        role_arn: Some(picked.role.arn.clone()),
        token_claims: None,
        provider,
    };
    let mut findings = rules::trust_policy::check(&picked.document, &options);
    for (_, arn) in &picked.providers {
        if let Some(arn) = arn
            && let Some(Err(error)) = read.get(arn)
            // Only an answer that the provider does not exist says so; a
            // refused or failed read says nothing about the role.
            && error.code.as_deref() == Some("NoSuchEntity")
        {
            findings.push(missing_provider(&picked.role, arn, &error.message));
        }
    }
    findings
}

/// PV001 for a role that trusts a provider the account does not have.
fn missing_provider(role: &IamRole, arn: &str, why: &str) -> Finding {
    let mut finding = Finding::new(
        &rules::PV001,
        format!(
            "{} trusts `{arn}`, which could not be read ({why}): no token from it can assume the role.",
            role.arn
        ),
        "Create the provider (`aws iam create-open-id-connect-provider`) or trust the ARN of one that exists \
         (`aws iam list-open-id-connect-providers`).",
    );
    finding.location = Some(crate::report::Location {
        path: role.arn.clone(),
        line: 1,
        column: 1,
        pointer: String::new(),
        resource: None,
        span: None,
        source: None,
        in_file: None,
    });
    finding
}
