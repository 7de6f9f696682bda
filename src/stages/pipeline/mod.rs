//! The doctor's pipeline (`check`): every stage in dependency order, the
//! independent ones together. The token first; then the issuer probe beside
//! the IAM reads (the provider for the token's issuer, and the role); then
//! the trust policy, judged with the provider and the role. The live,
//! retried assume needs only the token and the role, so it runs beside all
//! of them, on a thread of its own, and is judged with their results. Last
//! the verdict: the root cause and its fix.
//!
//! A stage that cannot run is a `skip` row that says why and what would let
//! it run; the others go on with what there is.

mod rows;

use std::path::PathBuf;
use std::time::Instant;

use jiff::Timestamp;

use crate::error::Error;
use crate::finding::Finding;
use crate::model::policy::Policy;
use crate::net::NetOptions;
use crate::net::aws::{AwsOptions, IamSession};
use crate::net::http::HttpClient;
use crate::rules;
use crate::rules::assume::PolicyVerdict;
use crate::rules::assume::retry::RetryPolicy;
use crate::rules::verdict::{self, Live, StageLine, Verdict};

use super::assume::{self, AssumeData, AssumePlan, Outcome};
use super::issuer::{self, IssuerData, ProbeRequest, keys};
use super::policy::{self, PolicyContext, RolePolicy};
use super::provider::{self, ProviderFound, ProviderLookup};
use super::role::{self, RoleRead};
use super::token::{self, TokenData, TokenSpec};
use super::{Progress, Stage, StageStatus, Staged};

/// An input and where it came from (`--role-arn`, `AWS_ROLE_ARN`...).
#[derive(Debug, Clone)]
pub struct Given {
    pub value: String,
    pub from: String,
}

/// Everything `check` was given or found.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub token: TokenSpec,
    pub role_arn: Option<Given>,
    pub session_name: Option<Given>,
    pub duration: Option<i32>,
    /// The trust policy, instead of `iam:GetRole`.
    pub policy_file: Option<PathBuf>,
    /// Saved provider, instead of IAM.
    pub provider_file: Option<PathBuf>,
    /// A saved key set for the signature.
    pub jwks_file: Option<PathBuf>,
    pub offline: bool,
    pub no_assume: bool,
    pub samples: usize,
    pub net: NetOptions,
    pub aws: AwsOptions,
    pub retry: RetryPolicy,
    pub cache: Option<PathBuf>,
}

/// One line of the report's inputs: what was used, and where it came from.
#[derive(Debug, Clone)]
pub struct InputLine {
    pub name: &'static str,
    pub value: String,
    pub from: String,
}

/// What `check` found, stage by stage, and its verdict.
#[derive(Debug)]
pub struct CheckData {
    pub started: Timestamp,
    pub inputs: Vec<InputLine>,
    pub token: TokenData,
    pub issuer: Option<IssuerData>,
    pub provider: Option<ProviderFound>,
    pub role: Option<RoleRead>,
    pub policy: Option<RolePolicy>,
    pub assume: Option<AssumeData>,
    pub verdict: Verdict,
    /// No stage past the token could run, for an environmental reason.
    pub blocked: Option<String>,
}

/// The files given instead of the network, and the HTTP client with its
/// trust store, read (and refused when they are not what they should be)
/// before anything is sent anywhere.
struct Saved {
    policy: Option<(crate::model::documents::PolicyDocument, String)>,
    provider: Option<(crate::model::provider::OidcProvider, String)>,
    keys: Option<keys::KeySetText>,
    /// Offline, none is made: not even the trust store is read.
    client: Option<HttpClient>,
    /// How `oidc-doctor policy` reads the token again, for the policy
    /// findings' fix.
    token_flag: Option<String>,
}

impl Saved {
    fn read(request: &CheckRequest, iss: Option<&str>) -> Result<Saved, Error> {
        let role_name = request.role_arn.as_ref().map(|g| role::name_of(&g.value));
        Ok(Saved {
            policy: match &request.policy_file {
                Some(path) => Some((
                    policy::read_policy_file(path, role_name, iss)?,
                    format!("--policy {}", path.display()),
                )),
                None => None,
            },
            provider: match &request.provider_file {
                Some(path) => Some((
                    provider::read_file(path)?,
                    format!("--provider-json {}", path.display()),
                )),
                None => None,
            },
            keys: request
                .jwks_file
                .as_deref()
                .map(keys::read_file)
                .transpose()?,
            client: if request.offline {
                None
            } else {
                Some(HttpClient::new(&request.net)?)
            },
            token_flag: None,
        })
    }
}

/// What the IAM side gave: the provider (or why not), the role (when one
/// was to be read), and how long the reads took.
struct IamSide {
    provider: Result<Staged<ProviderFound>, String>,
    role: Option<Staged<RoleRead>>,
    took: std::time::Duration,
}

/// The permissions (or files) that let the IAM stages run.
const IAM_HINT: &str = "pass --policy FILE and --provider-json FILE, or allow iam:GetRole and \
                        iam:GetOpenIDConnectProvider (with iam:ListOpenIDConnectProviders)";

/// Runs every stage and judges the whole.
pub fn run(request: &CheckRequest, progress: &dyn Progress) -> Result<Staged<CheckData>, Error> {
    let started = Timestamp::now();
    let mut out = Staged::of(());

    progress.started("token", "reading the token…");
    let clock = Instant::now();
    let input = token::read(&request.token)?;
    let token_staged = token::run(&input, started, false);
    let token_data = out.absorb_findings(token_staged);
    let token_row = Stage::ran(
        "token",
        &out.findings,
        clock.elapsed(),
        rows::token(&token_data, started),
    );
    progress.finished(&token_row);
    let jwt = token_data.jwt().cloned();
    let mut saved = Saved::read(request, jwt.as_ref().and_then(|j| j.claim_str("iss")))?;
    saved.token_flag = input.policy_flag();

    // The live assume needs only the token and the role: it runs on a
    // thread of its own beside every other stage, and is judged with their
    // results at the end.
    std::thread::scope(|scope| {
        let attempts = assume_plan(request).map(|plan| {
            let jwt = jwt.clone();
            scope.spawn(move || assume::run(&plan, &request.token, input, jwt.as_ref(), progress))
        });
        let rest = the_other_stages(
            request,
            saved,
            &token_data,
            jwt.as_ref(),
            progress,
            &mut out,
        );
        // An attempt that could not be made (an unusable cache directory,
        // say) is the assume row's failure, not the end of the report.
        let attempted = match attempts {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map_err(|error| NotAttempted::Failed(error.to_string())),
            Err(why) => Err(NotAttempted::Skipped(why)),
        };
        let (
            issuer_row,
            issuer_data,
            provider_row,
            provider_found,
            role_read,
            policy_row,
            role_policy,
        ) = rest?;
        let (assumed, live, assume_row) = assume_stage(attempted, role_policy.as_ref(), &mut out);
        progress.finished(&assume_row);
        let stage_rows = vec![token_row, issuer_row, provider_row, policy_row, assume_row];
        let lines: Vec<StageLine<'_>> = stage_rows
            .iter()
            .map(|row| StageLine {
                name: row.name,
                detail: &row.detail,
            })
            .collect();
        let evaluated = role_policy.as_ref().is_some_and(|p| p.evaluation.is_some());
        let verdict = verdict::judge(&out.findings, &live, evaluated, &lines);
        let blocked = blocked(request, &stage_rows);
        out.stages = stage_rows;
        let data = CheckData {
            started,
            inputs: rows::inputs(
                request,
                &token_data,
                provider_found.as_ref(),
                role_policy.as_ref(),
            ),
            token: token_data,
            issuer: issuer_data,
            provider: provider_found,
            role: role_read,
            policy: role_policy,
            assume: assumed,
            verdict,
            blocked,
        };
        Ok(out.map(|()| data))
    })
}

/// What the stages between the token and the assume give: each row with
/// its data.
type OtherStages = (
    Stage,
    Option<IssuerData>,
    Stage,
    Option<ProviderFound>,
    Option<RoleRead>,
    Stage,
    Option<RolePolicy>,
);

/// The issuer probe beside the IAM reads, then the provider and the policy.
fn the_other_stages(
    request: &CheckRequest,
    saved: Saved,
    token_data: &TokenData,
    jwt: Option<&crate::model::token::Jwt>,
    progress: &dyn Progress,
    out: &mut Staged<()>,
) -> Result<OtherStages, Error> {
    let iss = jwt.and_then(|j| j.claim_str("iss"));
    let role_arn = request.role_arn.as_ref().map(|g| g.value.as_str());
    let client = saved.client.as_ref();
    let runtime = crate::net::runtime()?;
    let (issuer_side, iam_side) = runtime.block_on(async {
        tokio::join!(
            probe_issuer(request, client, iss, progress),
            read_iam(request, jwt, role_arn, progress),
        )
    });
    // Each half of the IAM side goes to the stage it belongs to.
    let (provider_side, role_side, iam_took) = match iam_side {
        Ok(side) => (side.provider, Ok(side.role), Some(side.took)),
        Err(why) => (Err(why.clone()), Err(why), None),
    };
    let Saved {
        policy: saved_policy,
        provider: saved_provider,
        keys: saved_keys,
        client: _,
        token_flag,
    } = saved;
    let (issuer_data, issuer_row) = issuer_stage(issuer_side, jwt, saved_keys, out);
    progress.finished(&issuer_row);

    let (provider_found, provider_row) = provider_stage(
        request,
        saved_provider,
        provider_side.map(|staged| (staged, iam_took)),
        issuer_data.as_ref(),
        token_data,
        out,
    );
    progress.finished(&provider_row);

    let (role_read, role_policy, policy_row) = policy_stage(
        request,
        saved_policy,
        role_side,
        provider_found.as_ref(),
        (token_data, token_flag),
        out,
    );
    progress.finished(&policy_row);
    Ok((
        issuer_row,
        issuer_data,
        provider_row,
        provider_found,
        role_read,
        policy_row,
        role_policy,
    ))
}

/// Exit 3's condition: nothing past the token could run, and the reason is
/// the environment (no credentials), not a choice (`--offline`).
fn blocked(request: &CheckRequest, rows: &[Stage]) -> Option<String> {
    if request.offline || rows.iter().skip(1).any(|r| r.status != StageStatus::Skip) {
        return None;
    }
    Some(
        rows.iter()
            .skip(1)
            .map(|r| format!("{}: {}", r.name, r.detail))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// The issuer probe, or why it does not run.
async fn probe_issuer(
    request: &CheckRequest,
    client: Option<&HttpClient>,
    iss: Option<&str>,
    progress: &dyn Progress,
) -> Result<(Staged<IssuerData>, std::time::Duration), String> {
    let Some(client) = client.filter(|_| !request.offline) else {
        return Err("--offline: the issuer was not probed".to_owned());
    };
    let Some(iss) = iss else {
        return Err("the token has no `iss` to probe".to_owned());
    };
    let clock = Instant::now();
    let probe = ProbeRequest {
        url: iss.to_owned(),
        samples: request.samples,
        interval: std::time::Duration::ZERO,
        burst: None,
    };
    let probed = issuer::probe(client, &probe, progress).await;
    let local_sts = crate::net::aws::local_sts_endpoint();
    let judged = issuer::judge(probed, Timestamp::now(), local_sts.as_deref());
    Ok((judged, clock.elapsed()))
}

/// The provider lookup beside the role read, or why they do not run.
async fn read_iam(
    request: &CheckRequest,
    jwt: Option<&crate::model::token::Jwt>,
    role_arn: Option<&str>,
    progress: &dyn Progress,
) -> Result<IamSide, String> {
    let iss = jwt.and_then(|j| j.claim_str("iss"));
    let wants_provider = request.provider_file.is_none() && iss.is_some();
    let wants_role = request.policy_file.is_none() && role_arn.is_some();
    if !wants_provider && !wants_role {
        return Err("not needed: the files given stand in for IAM".to_owned());
    }
    if request.offline {
        return Err("--offline: IAM was not read".to_owned());
    }
    let clock = Instant::now();
    progress.started("provider", "loading AWS credentials…");
    let iam = IamSession::connect(&request.aws, "check")
        .await
        .map_err(|error| format!("{error}; {IAM_HINT}"))?;
    let lookup = ProviderLookup {
        issuer: iss.map(str::to_owned),
        provider_arn: None,
        role_arn: role_arn.map(str::to_owned),
    };
    let provider = async {
        if !wants_provider {
            return Err("--provider-json was given".to_owned());
        }
        provider::lookup(&iam, &lookup, jwt, progress)
            .await
            .map_err(|error| match &error {
                Error::Environment { message, .. } => format!(
                    "{message}; allow iam:ListOpenIDConnectProviders and iam:GetOpenIDConnectProvider, or pass --provider-json FILE"
                ),
                other => other.to_string(),
            })
    };
    let role = async {
        match role_arn {
            Some(arn) if wants_role => {
                Some(role::read(&iam, arn, request.duration, progress).await)
            }
            _ => None,
        }
    };
    let (provider, role) = tokio::join!(provider, role);
    Ok(IamSide {
        provider,
        role,
        took: clock.elapsed(),
    })
}

/// The issuer row, and the signature checked with the served (or saved) key set.
fn issuer_stage(
    side: Result<(Staged<IssuerData>, std::time::Duration), String>,
    jwt: Option<&crate::model::token::Jwt>,
    saved_keys: Option<keys::KeySetText>,
    out: &mut Staged<()>,
) -> (Option<IssuerData>, Stage) {
    let mut findings: Vec<Finding> = Vec::new();
    let (data, took, skipped) = match side {
        Ok((staged, took)) => {
            findings.extend(staged.findings.iter().cloned());
            (Some(out.absorb_findings(staged)), took, None)
        }
        Err(why) => (None, std::time::Duration::ZERO, Some(why)),
    };
    // The signature: a saved key set wins; else the JWKS the probe read.
    let own = saved_keys.is_some();
    let key_set = match (saved_keys, &data) {
        (Some(saved), _) => Some(saved),
        (None, Some(data)) => data.jwks_text.clone().map(|text| keys::KeySetText {
            origin: data.jwks_url.clone().unwrap_or_default(),
            text,
        }),
        (None, None) => None,
    };
    let signature = key_set.map(|set| {
        let checked = keys::verify(set, jwt);
        // The served key set was judged by the probe already: only the
        // signature's own findings are new.
        let checked_findings: Vec<Finding> = checked
            .findings
            .iter()
            .filter(|f| own || f.rule.code == "TK013")
            .cloned()
            .collect();
        findings.extend(checked_findings.iter().cloned());
        out.findings.extend(checked_findings);
        if own {
            out.sources.extend(checked.sources);
        }
        checked.data
    });
    let row = match (&data, skipped) {
        // Not reached from this machine: nothing was learnt about the
        // issuer, so the row is a skip unless a finding says more.
        (Some(data), _)
            if data.unreachable_from_here.is_some()
                && Stage::judge(&findings) == StageStatus::Pass =>
        {
            let why = data.unreachable_from_here.as_deref().unwrap_or_default();
            let mut detail = issuer::from_here_detail(why);
            if own {
                detail = format!(
                    "{detail}; {}",
                    rows::signature(signature.as_ref().and_then(Option::as_ref))
                );
            }
            Stage {
                name: "issuer",
                status: StageStatus::Skip,
                duration: took,
                detail,
            }
        }
        (Some(data), _) => Stage::ran(
            "issuer",
            &findings,
            took,
            rows::issuer(data, signature.as_ref().and_then(Option::as_ref)),
        ),
        (None, Some(why)) if signature.is_some() => Stage::ran(
            "issuer",
            &findings,
            took,
            format!(
                "{why}; {}",
                rows::signature(signature.as_ref().and_then(Option::as_ref))
            ),
        ),
        (None, Some(why)) => Stage::skipped(
            "issuer",
            format!(
                "{why}; run without --offline to probe it, or give --jwks FILE to check the signature"
            ),
        ),
        (None, None) => Stage::skipped("issuer", "not probed"),
    };
    (data, row)
}

/// The provider row: from the saved file, from IAM, or skipped; with the
/// issuer's chains against its thumbprints when both are at hand.
fn provider_stage(
    request: &CheckRequest,
    saved: Option<(crate::model::provider::OidcProvider, String)>,
    looked_up: Result<(Staged<ProviderFound>, Option<std::time::Duration>), String>,
    issuer: Option<&IssuerData>,
    token: &TokenData,
    out: &mut Staged<()>,
) -> (Option<ProviderFound>, Stage) {
    let jwt = token.jwt();
    let clock = Instant::now();
    let (mut staged, took) = match (saved, looked_up) {
        (Some((saved, source)), _) => {
            let arn = expected_provider_arn(request, jwt.and_then(|j| j.claim_str("iss")))
                .filter(|arn| arn.ends_with(&format!("/{}", saved.url)));
            (
                provider::from_saved(saved, arn, source, jwt),
                clock.elapsed(),
            )
        }
        (None, Ok((staged, took))) => (staged, took.unwrap_or_default()),
        (None, Err(why)) => return (None, Stage::skipped("provider", why)),
    };
    let mut thumbprint_note = None;
    if let Some((arn, found)) = &staged.data.provider {
        match issuer {
            Some(issuer) if !issuer.hosts.is_empty() => {
                let compared = provider::thumbprints(
                    found,
                    Some(arn.as_str()).filter(|a| a.starts_with("arn:")),
                    &issuer.hosts,
                    None,
                );
                staged.findings.extend(compared.findings);
            }
            _ => {
                thumbprint_note =
                    Some("thumbprints not compared: no certificate chain from the issuer");
            }
        }
    }
    let mut row = Stage::ran(
        "provider",
        &staged.findings,
        took,
        rows::provider(&staged.data, thumbprint_note),
    );
    if staged.data.skipped.is_some() {
        row.status = StageStatus::Skip;
    }
    let found = out.absorb_findings(staged);
    (Some(found), row)
}

/// The provider ARN STS looks for: the role's partition and account, the
/// issuer's name.
fn expected_provider_arn(request: &CheckRequest, iss: Option<&str>) -> Option<String> {
    crate::model::arn::provider_arn_for(&request.role_arn.as_ref()?.value, iss?)
}

/// Where the trust policy came from, or why there is none.
enum PolicySource {
    Found(crate::model::documents::PolicyDocument, String),
    /// No policy: the row says why.
    Missing(Stage),
    /// IAM's policy is not JSON (TP001): its row.
    Unparseable(RolePolicy, Stage),
}

/// The trust policy: `--policy FILE`, else the role IAM holds (its PV006
/// and PV007 findings join `out` and `findings`).
fn find_policy(
    request: &CheckRequest,
    saved: Option<(crate::model::documents::PolicyDocument, String)>,
    role_side: Result<Option<Staged<RoleRead>>, String>,
    out: &mut Staged<()>,
    findings: &mut Vec<Finding>,
    role_read: &mut Option<RoleRead>,
) -> PolicySource {
    let role_arn = request.role_arn.as_ref().map(|g| g.value.as_str());
    if let Some((document, source)) = saved {
        return PolicySource::Found(document, source);
    }
    let staged = match (role_arn, role_side) {
        (None, _) => {
            return PolicySource::Missing(Stage::skipped(
                "policy",
                "no role: give --role-arn ARN (or set AWS_ROLE_ARN) for iam:GetRole, or pass --policy FILE",
            ));
        }
        (Some(_), Err(why)) => return PolicySource::Missing(Stage::skipped("policy", why)),
        (Some(_), Ok(None)) => {
            return PolicySource::Missing(Stage::skipped("policy", "the role was not read"));
        }
        (Some(_), Ok(Some(staged))) => staged,
    };
    findings.extend(staged.findings.iter().cloned());
    let role_read = role_read.insert(out.absorb_findings(staged));
    let missing = |why: String| {
        let mut row = Stage::skipped("policy", why);
        if !findings.is_empty() {
            row.status = Stage::judge(findings);
        }
        PolicySource::Missing(row)
    };
    let Some(role) = &role_read.role else {
        return match &role_read.skipped {
            Some(why) => missing(format!("{why}; {IAM_HINT}")),
            None => missing("the role was not found (PV006)".to_owned()),
        };
    };
    let Some(text) = role.trust_policy.clone() else {
        return missing("IAM returned the role without its trust policy".to_owned());
    };
    let source = format!("iam:GetRole {}", role.arn);
    match policy::parse_iam_policy(&role.arn, text) {
        Ok(document) => PolicySource::Found(document, source),
        Err(error) => {
            let judged = policy::unparseable_role_policy(&role.arn, source, &error, "policy");
            let row = judged.stages[0].clone();
            PolicySource::Unparseable(out.absorb_findings(judged), row)
        }
    }
}

/// The policy row: the trust policy (from `--policy` or `iam:GetRole`)
/// linted, evaluated against the token, and the role checked.
fn policy_stage(
    request: &CheckRequest,
    saved: Option<(crate::model::documents::PolicyDocument, String)>,
    role_side: Result<Option<Staged<RoleRead>>, String>,
    provider: Option<&ProviderFound>,
    (token, token_flag): (&TokenData, Option<String>),
    out: &mut Staged<()>,
) -> (Option<RoleRead>, Option<RolePolicy>, Stage) {
    let clock = Instant::now();
    let jwt = token.jwt();
    let iss = jwt.and_then(|j| j.claim_str("iss"));
    let role_arn = request.role_arn.as_ref().map(|g| g.value.as_str());
    let mut findings: Vec<Finding> = Vec::new();
    let mut role_read = None;
    let (document, source) = match find_policy(
        request,
        saved,
        role_side,
        out,
        &mut findings,
        &mut role_read,
    ) {
        PolicySource::Found(document, source) => (document, source),
        PolicySource::Missing(row) => return (role_read, None, row),
        PolicySource::Unparseable(policy, row) => return (role_read, Some(policy), row),
    };
    let provider_arn = provider
        .and_then(|p| p.provider.as_ref())
        .map(|(arn, _)| arn.clone())
        .filter(|arn| arn.starts_with("arn:"))
        .or_else(|| expected_provider_arn(request, iss));
    let context = PolicyContext {
        role_arn: role_arn.map(str::to_owned),
        token: jwt.cloned(),
        provider: provider
            .and_then(|p| p.provider.as_ref())
            .map(|(_, p)| p.clone()),
        principal: provider_arn.clone(),
        token_flag,
    };
    let mut judged = policy::judge_role_policy(document, source, &context, "policy");
    if let (Some(document), Some(jwt), Some((arn, found))) = (
        &judged.data.document,
        jwt,
        provider.and_then(|p| p.provider.as_ref()),
    ) {
        super::provider::advise_with_policy(&mut out.findings, arn, found, jwt, document);
    }
    if let (Some(arn), Some(document)) = (&provider_arn, &judged.data.document) {
        judged.findings.extend(rules::provider::role::principal(
            role_arn.unwrap_or("the role"),
            &Policy::from_value(document.value()),
            arn,
        ));
    }
    findings.extend(judged.findings.iter().cloned());
    let mut row = judged.stages[0].clone();
    row.duration = clock.elapsed();
    // The refusal's details are EV001's; the row says where and that.
    let refused = judged
        .data
        .evaluation
        .as_ref()
        .is_some_and(|e| !e.evaluation.allowed());
    if judged.data.evaluation.is_some() {
        row.detail = format!(
            "{}: {}",
            judged.data.source,
            if refused {
                "refuses the token (EV001)"
            } else {
                "allows the token"
            }
        );
    }
    row.status = if refused {
        StageStatus::Fail
    } else {
        Stage::judge(&findings)
    };
    let data = out.absorb_findings(judged);
    (role_read, Some(data), row)
}

/// Why there are no attempts to judge.
enum NotAttempted {
    /// STS was not to be called (`--offline`, `--no-assume`, no role).
    Skipped(&'static str),
    /// The attempts could not be made (an unusable cache directory...).
    Failed(String),
}

/// The live assume's plan, or why it does not run.
fn assume_plan(request: &CheckRequest) -> Result<AssumePlan, &'static str> {
    if request.offline {
        return Err("--offline");
    }
    if request.no_assume {
        return Err("--no-assume");
    }
    let Some(role_arn) = &request.role_arn else {
        return Err("no role to assume: give --role-arn ARN (or set AWS_ROLE_ARN)");
    };
    Ok(AssumePlan {
        role_arn: role_arn.value.clone(),
        session_name: request
            .session_name
            .as_ref()
            .map_or_else(assume::default_session_name, |g| g.value.clone()),
        duration: request.duration,
        retry: request.retry,
        cache: request.cache.clone(),
        aws: request.aws.clone(),
        export: None,
    })
}

/// The assume row: the attempts judged with the policy stage's evaluation,
/// EV002 when STS's answer contradicts it; or why STS was not called.
fn assume_stage(
    attempted: Result<assume::Assumption, NotAttempted>,
    policy: Option<&RolePolicy>,
    out: &mut Staged<()>,
) -> (Option<AssumeData>, Live, Stage) {
    let assumption = match attempted {
        Ok(assumption) => assumption,
        Err(NotAttempted::Skipped(why)) => {
            return (
                None,
                Live::NotCalled(why.to_owned()),
                Stage::skipped("assume", why.to_owned()),
            );
        }
        Err(NotAttempted::Failed(why)) => {
            let row = Stage {
                name: "assume",
                status: StageStatus::Fail,
                duration: std::time::Duration::ZERO,
                detail: format!("not attempted: {why}"),
            };
            return (
                None,
                Live::NotCalled(format!("it could not be called: {why}")),
                row,
            );
        }
    };
    let evaluated = policy.and_then(|p| p.evaluation.as_ref().map(|e| (p, e)));
    let (live, verdict) = live_answer(&assumption, evaluated);
    // Only an AccessDenied or a success speaks about the trust policy.
    let speaks = match (&live, &assumption.outcome) {
        (Live::Assumed, Outcome::Assumed { assumed, .. }) => Some((
            true,
            assumed
                .assumed_role_arn
                .as_ref()
                .map_or_else(|| "credentials".to_owned(), |arn| format!("as `{arn}`")),
        )),
        (
            Live::Refused {
                code: "AS101",
                answer,
                ..
            },
            _,
        ) => Some((false, answer.clone())),
        _ => None,
    };
    if let (Some((allowed, answer)), Some((policy, evaluation))) = (speaks, evaluated) {
        out.findings.extend(rules::evaluation::disagrees(
            evaluation,
            allowed,
            &answer,
            &policy.source,
            &assumption.data.role_arn,
        ));
    }
    let judged = assume::judge(assumption, verdict, "assume");
    let row = judged.stages[0].clone();
    let data = out.absorb_findings(judged);
    (Some(data), live, row)
}

/// What STS did, and the trust policy's verdict to quote on a refusal.
fn live_answer(
    assumption: &assume::Assumption,
    evaluated: Option<(&RolePolicy, &crate::eval::PolicyEvaluation)>,
) -> (Live, Option<PolicyVerdict>) {
    match &assumption.outcome {
        // Credentials a parallel job cached say nothing of this STS call.
        Outcome::Assumed {
            from_cache: true, ..
        } => (
            Live::NotCalled(
                "the credentials came from the cache (--cache); STS was not called".to_owned(),
            ),
            None,
        ),
        Outcome::Assumed { .. } => (Live::Assumed, None),
        Outcome::Refused { class, failure, .. } => (
            Live::Refused {
                code: class.rule.code,
                answer: failure.to_string(),
                attempts: assumption.data.attempts.len(),
            },
            Some(match evaluated {
                // EV001 (refused) or EV002 (allowed, against STS) says it.
                Some((policy, evaluation)) => PolicyVerdict::ShownAs {
                    source: policy.source.clone(),
                    code: if evaluation.evaluation.allowed() {
                        "EV002"
                    } else {
                        "EV001"
                    },
                },
                None => PolicyVerdict::Unavailable(
                    "the policy stage did not run (see its row)".to_owned(),
                ),
            }),
        ),
    }
}
