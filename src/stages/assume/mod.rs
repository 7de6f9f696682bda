//! The assume stage: the live, unsigned `AssumeRoleWithWebIdentity`, with
//! bounded, classified retries ([`attempts`]), the token read again before
//! every attempt ([`source`]), optionally through a credential cache shared
//! by parallel invocations ([`cache`]); then the AS findings ([`judge`]),
//! with the trust policy's verdict on a refusal ([`verdict`]).

pub mod attempts;
pub mod cache;
pub mod source;
pub mod verdict;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::error::Error;
use crate::finding::Finding;
use crate::model::aws::{Assumed, CredentialExport, StsFailure, partition_of_region};
use crate::model::token::Jwt;
use crate::net::aws::{self, AwsOptions};
use crate::net::cache::{FailureRecord, Locked};
use crate::rules;
use crate::rules::assume::classify::Class;
use crate::rules::assume::retry::{RetryPolicy, Stop};
use crate::rules::assume::{AttemptContext, FailureTally, PolicyVerdict};

use self::attempts::Attempts;
use self::cache::{CacheOutcome, CacheUse, Entry};
use self::source::TokenSource;
use super::token::{TokenInput, TokenSpec, TokenSummary};
use super::{Progress, Stage, StageStatus, Staged};

/// One attempt, as listed to the user.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// From the first attempt's start.
    pub started: Duration,
    pub took: Duration,
    /// `None` for success.
    pub class: Option<Class>,
    /// STS's answer in short (`InvalidIdentityToken: ...`), empty on success.
    pub answer: String,
    /// The wait before the next attempt, when there is one.
    pub wait: Option<Duration>,
}

/// What the assume stage shows beside its findings. Holds the credentials
/// for `--export`; every format but the export prints them masked.
#[derive(Debug)]
pub struct AssumeData {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Option<i32>,
    pub region: Option<String>,
    pub partition: Option<&'static str>,
    /// Where the requests went (`https://sts.eu-west-1.amazonaws.com`).
    pub endpoint: Option<String>,
    pub token: TokenSummary,
    pub attempts: Vec<Attempt>,
    /// Why the loop ended without credentials.
    pub stop: Option<Stop>,
    pub assumed: Option<Assumed>,
    pub cache: Option<CacheUse>,
    pub export: Option<CredentialExport>,
    /// The trust policy's verdict, after an `AccessDenied`.
    pub verdict: Option<PolicyVerdict>,
}

/// What to assume, and how hard to try.
#[derive(Debug, Clone)]
pub struct AssumePlan {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Option<i32>,
    pub retry: RetryPolicy,
    /// The cache directory (`""`: the user cache directory); `None`: no cache.
    pub cache: Option<PathBuf>,
    pub aws: AwsOptions,
    pub export: Option<CredentialExport>,
}

/// How the attempts ended.
#[derive(Debug)]
pub enum Outcome {
    Assumed {
        assumed: Assumed,
        tally: FailureTally,
        from_cache: bool,
    },
    Refused {
        class: Class,
        failure: StsFailure,
        stop: Stop,
        /// The token the last attempt sent: what STS refused.
        sent: Option<Jwt>,
    },
}

/// The attempts and how they ended, before they are judged.
#[derive(Debug)]
pub struct Assumption {
    pub data: AssumeData,
    pub outcome: Outcome,
}

/// A session name STS accepts when none is given.
pub fn default_session_name() -> String {
    format!("oidc-doctor-{}", Timestamp::now().as_second())
}

/// Runs the attempts (or takes the credentials from the cache), all within
/// one `--deadline` from here: waiting for a parallel run's lock included.
pub fn run(
    plan: &AssumePlan,
    spec: &TokenSpec,
    first: TokenInput,
    claims_of_first: Option<&Jwt>,
    progress: &dyn Progress,
) -> Result<Assumption, Error> {
    progress.started("assume", "AssumeRoleWithWebIdentity…");
    let started = Instant::now();
    let mut data = AssumeData {
        role_arn: plan.role_arn.clone(),
        session_name: plan.session_name.clone(),
        duration: plan.duration,
        region: None,
        partition: None,
        endpoint: None,
        token: TokenSummary::of(claims_of_first, first.source.clone()),
        attempts: Vec::new(),
        stop: None,
        assumed: None,
        cache: None,
        export: plan.export,
        verdict: None,
    };
    // Held until the end: parallel invocations wait here for this one.
    let locked = match &plan.cache {
        None => None,
        Some(dir) => {
            let entry = Entry {
                role_arn: &data.role_arn,
                session_name: &data.session_name,
                duration: data.duration,
                token: &data.token,
                claims: claims_of_first.map(|jwt| &jwt.claims),
            };
            let wait = plan.retry.left(started.elapsed());
            let (outcome, used) = cache::open(dir, &entry, wait, progress)?;
            data.cache = Some(used);
            match outcome {
                CacheOutcome::Hit(assumed) => {
                    return Ok(Assumption {
                        data,
                        outcome: Outcome::Assumed {
                            assumed,
                            tally: FailureTally::default(),
                            from_cache: true,
                        },
                    });
                }
                CacheOutcome::Miss(locked) => locked,
            }
        }
    };
    let mut source = TokenSource::new(spec, first);
    let runtime = crate::net::runtime()?;
    let config = runtime.block_on(aws::load(&plan.aws, false));
    data.region = aws::region(&config);
    data.partition = data.region.as_deref().map(partition_of_region);
    let (sts, endpoint) = aws::sts(&config);
    let attempts = Attempts {
        runtime: &runtime,
        sts: &sts,
        endpoint: &endpoint,
        policy: plan.retry,
        since: started,
        shared: data.cache.as_ref().and_then(|c| c.shared.clone()),
        progress,
    };
    let outcome = match attempts.run(&mut data, &mut source)? {
        Ok((assumed, tally)) => {
            // The credentials are what was asked for: a cache that cannot
            // be written costs the next job a call, not this one its result.
            if let Some(locked) = &locked
                && let Err(error) = locked.write(&assumed)
                && let Some(cache) = data.cache.as_mut()
            {
                cache.miss = Some(format!(
                    "{}; and the new entry could not be written: {error}",
                    cache.miss.as_deref().unwrap_or("no entry")
                ));
            }
            Outcome::Assumed {
                assumed,
                tally,
                from_cache: false,
            }
        }
        Err((class, failure, stop)) => {
            if let Some(locked) = &locked {
                record_failure(locked, &mut data, class, &failure, &stop);
            }
            Outcome::Refused {
                class,
                failure,
                stop,
                sent: source.sent.take(),
            }
        }
    };
    Ok(Assumption { data, outcome })
}

/// Leaves this run's failure beside the entry, so that the runs waiting on
/// the lock make one attempt each against the role, not a ladder each.
fn record_failure(
    locked: &Locked,
    data: &mut AssumeData,
    class: Class,
    failure: &StsFailure,
    stop: &Stop,
) {
    let record = FailureRecord {
        at: Timestamp::now(),
        attempts: u32::try_from(data.attempts.len()).unwrap_or(u32::MAX),
        code: class.rule.code.to_owned(),
        answer: failure.to_string(),
        stopped: stop.describe(),
    };
    if let Err(error) = locked.write_failure(&record)
        && let Some(cache) = data.cache.as_mut()
    {
        cache.miss = Some(format!(
            "{}; and the failure could not be recorded for parallel runs: {error}",
            cache.miss.as_deref().unwrap_or("no entry")
        ));
    }
}

fn context(data: &AssumeData) -> AttemptContext<'_> {
    AttemptContext {
        iss: data.token.iss.as_deref(),
        audience: data.token.aud.as_deref(),
        sub: data.token.sub.as_deref(),
        role_arn: &data.role_arn,
        session_name: &data.session_name,
        duration: data.duration,
        endpoint: data.endpoint.as_deref(),
    }
}

/// The AS findings for how the attempts ended, and the stage row (named
/// `name`): AS001/AS002 on success; on a refusal the class's finding, with
/// the trust policy's `verdict` for an `AccessDenied`.
pub fn judge(
    assumption: Assumption,
    verdict: Option<PolicyVerdict>,
    name: &'static str,
) -> Staged<AssumeData> {
    let Assumption { mut data, outcome } = assumption;
    let mut findings: Vec<Finding> = Vec::new();
    match outcome {
        Outcome::Assumed {
            assumed,
            tally,
            from_cache,
        } => {
            findings.extend(rules::assume::success(
                &assumed,
                &context(&data),
                &tally,
                from_cache,
                Timestamp::now(),
            ));
            data.assumed = Some(assumed);
        }
        Outcome::Refused {
            class,
            failure,
            stop,
            ..
        } => {
            data.verdict = verdict;
            let attempts = u32::try_from(data.attempts.len()).unwrap_or(u32::MAX);
            findings.push(rules::assume::failure(
                class,
                &failure,
                &context(&data),
                attempts,
                &stop,
                data.verdict.as_ref(),
            ));
            data.stop = Some(stop);
        }
    }
    let stage = stage(&data, name);
    Staged {
        data,
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    }
}

fn stage(data: &AssumeData, name: &'static str) -> Stage {
    let total: Duration = data
        .attempts
        .iter()
        .map(|a| a.took + a.wait.unwrap_or_default())
        .sum();
    let (status, detail) = match (&data.assumed, &data.cache) {
        (Some(_), Some(cache)) if cache.hit => (
            StageStatus::Pass,
            format!("credentials from the cache in {}; no STS call", cache.dir),
        ),
        (Some(_), _) => (
            if data.attempts.len() > 1 {
                StageStatus::Warn
            } else {
                StageStatus::Pass
            },
            format!(
                "assumed in {}",
                crate::finding::counted(data.attempts.len(), "attempt", "attempts")
            ),
        ),
        (None, _) => (
            StageStatus::Fail,
            format!(
                "{}; {}",
                crate::finding::counted(data.attempts.len(), "attempt", "attempts"),
                data.stop.as_ref().map_or_else(String::new, Stop::describe)
            ),
        ),
    };
    Stage {
        name,
        status,
        duration: total,
        detail,
    }
}
