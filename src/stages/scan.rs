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

use crate::error::Error;
use crate::finding::{Finding, Severity};
use crate::model::aws::IamRole;
use crate::model::documents::PolicyDocument;
use crate::model::issuers::provider_name;
use crate::model::policy::Policy;
use crate::model::provider::OidcProvider;
use crate::net::aws::{self, AwsError, IamSession};
use crate::rules;
use crate::rules::trust_policy::{LintOptions, trusted_providers};

use super::policy::source_of;
use super::{Progress, Stage, StageStatus, Staged};

/// One role that was linted.
#[derive(Debug, Clone)]
pub struct ScannedRole {
    pub arn: String,
    /// The providers it trusts (names, as in condition keys).
    pub providers: Vec<String>,
    pub findings: usize,
    /// The most severe finding's severity.
    pub worst: Option<Severity>,
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

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Only roles that trust this issuer (a URL or provider name).
    pub provider: Option<String>,
    /// IAM requests in flight at once.
    pub concurrency: usize,
}

/// Lists every role, lints the web-identity ones, reads the providers they trust.
pub async fn run(
    iam: &IamSession,
    request: &ScanRequest,
    progress: &dyn Progress,
) -> Result<Staged<ScanData>, Error> {
    let started = Instant::now();
    let mut data = ScanData {
        account: iam.account.clone(),
        region: iam.region.clone(),
        filter: request
            .provider
            .as_deref()
            .map(|p| provider_name(p.trim()).trim_end_matches('/').to_owned()),
        ..ScanData::default()
    };
    progress.started("scan", "listing roles…");
    let roles = aws::list_roles(&iam.client)
        .await
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
    progress.update("scan", "reading the OIDC providers the roles trust…");
    let read = read_providers(&iam.client, &selected, request.concurrency).await;
    progress.update(
        "scan",
        &format!(
            "linting {}…",
            crate::finding::counted(selected.len(), "role", "roles")
        ),
    );
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
        sources.push(source_of(&picked.document));
        findings.extend(role_findings);
    }
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
    data.endpoint = iam.endpoint();
    let stage = scan_stage(&data, &findings, &unread, started.elapsed());
    progress.finished(&stage);
    Ok(Staged {
        data,
        findings,
        stages: vec![stage],
        sources,
    })
}

fn scan_stage(
    data: &ScanData,
    findings: &[Finding],
    unread: &[String],
    took: std::time::Duration,
) -> Stage {
    let mut detail = format!(
        "{} of {} in account {}",
        crate::finding::counted(data.roles.len(), "web-identity role", "web-identity roles"),
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
        token_flag: None,
    };
    let mut findings = rules::trust_policy::check(&picked.document, &options);
    for (_, arn) in &picked.providers {
        if let Some(arn) = arn
            && let Some(Err(error)) = read.get(arn)
            // Only an answer that the provider does not exist says so; a
            // refused or failed read says nothing about the role.
            && error.code.as_deref() == Some("NoSuchEntity")
        {
            findings.push(rules::provider::registry::trusted_provider_missing(
                &picked.role.arn,
                arn,
                &error.message,
            ));
        }
    }
    findings
}
