//! The provider stage: the IAM OIDC provider for the token's issuer, read
//! from IAM (looked up by URL, near misses named: PV001) or from a saved
//! `get-open-id-connect-provider` file, and compared with the token's
//! audience (PV002); then, once the issuer's chains are known, with its
//! thumbprints (PV004, PV008).

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::error::Error;
use crate::eval::PolicyEvaluation;
use crate::model::arn::Arn;
use crate::model::aws::IamRole;
use crate::model::chain::HostChain;
use crate::model::provider::OidcProvider;
use crate::model::token::Jwt;
use crate::net::aws::{AwsError, IamSession};
use crate::net::input::{self, Input, MAX_INPUT_BYTES};
use crate::rules;
use crate::rules::provider::registry::{self, ListedProvider, Lookup};

use super::{Progress, Stage, StageStatus, Staged};

/// What to look up.
#[derive(Debug, Clone, Default)]
pub struct ProviderLookup {
    /// The issuer URL (the token's `iss`, or `--issuer`).
    pub issuer: Option<String>,
    /// A provider ARN to read instead of looking one up.
    pub provider_arn: Option<String>,
    /// The role the token is for: STS looks in its account.
    pub role_arn: Option<String>,
}

/// The provider as found.
#[derive(Debug, Default, Clone)]
pub struct ProviderFound {
    /// Every provider the account lists (empty for a saved file).
    pub listed: Vec<ListedProvider>,
    /// The provider read, with its ARN (when known).
    pub provider: Option<(String, OidcProvider)>,
    /// Why no provider was looked up.
    pub skipped: Option<String>,
    /// Where it came from: `iam:GetOpenIDConnectProvider`, or the file.
    pub source: String,
}

/// IAM refused or failed a call the command cannot do without.
pub fn iam_error(error: &AwsError, permission: &str) -> Error {
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

/// The provider by ARN, or looked up by issuer in the role's account
/// (PV001 names the nearest when there is none); PV002 for the token.
pub async fn lookup(
    iam: &IamSession,
    request: &ProviderLookup,
    jwt: Option<&Jwt>,
    progress: &dyn Progress,
) -> Result<Staged<ProviderFound>, Error> {
    let started = Instant::now();
    let role_account = request
        .role_arn
        .as_deref()
        .and_then(Arn::parse)
        .map(|a| a.account.to_owned())
        .or_else(|| iam.account.clone());
    progress.started("provider", "listing IAM OIDC providers…");
    let listed = crate::net::aws::list_providers(&iam.client)
        .await
        .map_err(|e| iam_error(&e, "iam:ListOpenIDConnectProviders"))?;
    let mut found = ProviderFound {
        listed: listed
            .iter()
            .filter_map(|arn| ListedProvider::from_arn(arn))
            .collect(),
        source: "iam:GetOpenIDConnectProvider".to_owned(),
        ..ProviderFound::default()
    };
    let mut findings = Vec::new();
    // IAM lists only the caller's providers; STS looks in the role's account.
    let listing_account = iam
        .account
        .clone()
        .or_else(|| found.listed.first().map(|p| p.account.clone()));
    let elsewhere = match (&role_account, &listing_account) {
        (Some(role), Some(listing)) if role != listing => Some((role.clone(), listing.clone())),
        _ => None,
    };
    let chosen = match (&request.provider_arn, &request.issuer, elsewhere) {
        (Some(arn), _, _) => Some(arn.clone()),
        (None, Some(_), Some((role, listing))) => {
            found.skipped = Some(format!(
                "the role is in account {role}, and these credentials list account {listing}'s providers; \
                 run with credentials of account {role} (or give --provider-arn)"
            ));
            None
        }
        (None, Some(iss), None) => {
            match registry::lookup(iss, &found.listed, role_account.as_deref()) {
                Lookup::Found(listed) => Some(listed.arn),
                miss => {
                    findings.extend(registry::not_found(
                        iss,
                        &miss,
                        found.listed.len(),
                        role_account.as_deref(),
                    ));
                    None
                }
            }
        }
        (None, None, _) => None,
    };
    if let Some(arn) = &chosen {
        progress.update("provider", "reading the provider…");
        let provider = crate::net::aws::get_provider(&iam.client, arn)
            .await
            .map_err(|e| iam_error(&e, "iam:GetOpenIDConnectProvider"))?;
        if let Some(jwt) = jwt {
            findings.extend(rules::provider::token_audience(
                &provider,
                Some(arn),
                jwt,
                None,
            ));
        }
        found.provider = Some((arn.clone(), provider));
    }
    let detail = describe(&found, request.issuer.as_deref());
    let mut stage = Stage::ran("provider", &findings, started.elapsed(), detail);
    if found.skipped.is_some() {
        stage.status = StageStatus::Skip;
    }
    Ok(Staged {
        data: found,
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    })
}

fn describe(found: &ProviderFound, issuer: Option<&str>) -> String {
    match (&found.provider, &found.skipped) {
        (Some((arn, p)), _) => format!(
            "{arn}: {}, {}",
            crate::finding::counted(p.client_ids.len(), "client ID", "client IDs"),
            crate::finding::counted(p.thumbprints.len(), "thumbprint", "thumbprints")
        ),
        (None, Some(why)) => format!("not looked up: {why}"),
        (None, None) => format!("no provider for {}", issuer.unwrap_or("the issuer")),
    }
}

const PROVIDER_FILE: Input = Input {
    what: "provider file",
    limit: MAX_INPUT_BYTES,
    help: "save it with `aws iam get-open-id-connect-provider --open-id-connect-provider-arn <arn> > provider.json`",
    too_large: "a provider description is a few hundred bytes; this is not one",
};

/// A saved `aws iam get-open-id-connect-provider` answer.
pub fn read_file(path: &Path) -> Result<OidcProvider, Error> {
    let text = input::read_text(path, &PROVIDER_FILE)?;
    let value: Value = serde_json::from_str(&text).map_err(|e| Error::Usage {
        message: format!("{} is not JSON: {e}", path.display()),
        help: "pass the saved output of `aws iam get-open-id-connect-provider`".to_owned(),
    })?;
    OidcProvider::from_value(&value).map_err(|problem| Error::Usage {
        message: format!("{}: {problem}", path.display()),
        help: "pass the saved output of `aws iam get-open-id-connect-provider`".to_owned(),
    })
}

/// The provider stage on a saved provider: PV002 for the token, PV001
/// when the file describes another issuer's provider.
pub fn from_saved(
    provider: OidcProvider,
    arn: Option<String>,
    source: String,
    jwt: Option<&Jwt>,
) -> Staged<ProviderFound> {
    let started = Instant::now();
    let mut findings = Vec::new();
    if let Some(jwt) = jwt {
        findings.extend(rules::provider::token_audience(
            &provider,
            arn.as_deref(),
            jwt,
            None,
        ));
        findings.extend(rules::provider::registry::saved_for_other_issuer(
            &provider, jwt, &source,
        ));
    }
    let arn = arn.unwrap_or_else(|| format!("(the provider in {source})"));
    let found = ProviderFound {
        listed: Vec::new(),
        provider: Some((arn, provider)),
        skipped: None,
        source,
    };
    let detail = format!("from {}: {}", found.source, describe(&found, None));
    let stage = Stage::ran("provider", &findings, started.elapsed(), detail);
    Staged {
        data: found,
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    }
}

/// The issuer's served chains against the provider's thumbprints (PV004,
/// PV008): the `tls` row. `why_not` says why there is no chain to compare.
pub fn thumbprints(
    provider: &OidcProvider,
    arn: Option<&str>,
    hosts: &[HostChain],
    why_not: Option<&str>,
) -> Staged<()> {
    let findings = rules::provider::thumbprints::check(provider, arn, hosts);
    let detail = match &why_not {
        Some(why) => format!("thumbprints not compared with a chain: {why}"),
        None => format!(
            "{} probed",
            crate::finding::counted(hosts.len(), "host", "hosts")
        ),
    };
    let mut stage = Stage::ran("tls", &findings, std::time::Duration::ZERO, detail);
    if hosts.is_empty() {
        stage.status = StageStatus::Skip;
    }
    Staged {
        data: (),
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    }
}

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

impl ProviderData {
    /// The partition of the configured region.
    pub fn partition(&self) -> Option<&'static str> {
        self.region
            .as_deref()
            .map(crate::model::aws::partition_of_region)
    }
}

/// PV002 judged again once the trust policy is known: when the policy pins
/// `aud`, the fix has to get past both the provider and the policy, so its
/// help and suggestion are replaced by the ones that do.
pub fn advise_with_policy(
    findings: &mut [crate::finding::Finding],
    arn: &str,
    provider: &OidcProvider,
    jwt: &Jwt,
    document: &crate::model::documents::PolicyDocument,
) {
    let pinned = rules::trust_policy::pinned_audiences(
        &crate::model::policy::Policy::from_value(document.value()),
        &provider.url,
    );
    let Some(refined) = rules::provider::token_audience(provider, Some(arn), jwt, Some(&pinned))
    else {
        return;
    };
    for finding in findings
        .iter_mut()
        .filter(|f| f.rule.code == refined.rule.code)
    {
        finding.help.clone_from(&refined.help);
        finding.suggestion.clone_from(&refined.suggestion);
    }
}
