//! `assume`: one unsigned `AssumeRoleWithWebIdentity` per attempt, each
//! answer classified; retried only when retrying can help, with the token
//! read again before every attempt; optionally through a credential cache
//! shared by parallel invocations.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::cli::{AssumeArgs, ExportFormat, TokenArgs};
use crate::commands::{Progress, token_input};
use crate::error::Error;
use crate::model::aws::{Assumed, Secret, partition_of_region, session_name_problem};
use crate::model::documents::PolicyDocument;
use crate::model::token::{self, Jwt};
use crate::net::aws::{self, AssumeRequest, AwsOptions};
use crate::net::cache::{CacheKey, CredentialCache, Locked, Miss};
use crate::report::{CommandData, Finding, Report, Severity, Stage, StageStatus, Verdict};
use crate::rules;
use crate::rules::assume::classify::{Class, Retry, classify};
use crate::rules::assume::retry::{Failed, RetryPolicy, STS_SKEW_SECONDS, Stop, next};
use crate::rules::assume::{AttemptContext, FailureTally, PolicyVerdict};

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

/// The token the attempts sent, as far as it can be shown.
#[derive(Debug, Clone, Default)]
pub struct TokenSummary {
    pub source: String,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<String>,
    pub exp: Option<Timestamp>,
}

/// How the cache was used.
#[derive(Debug, Clone)]
pub struct CacheUse {
    pub dir: String,
    /// Credentials came from the cache; no STS call was made.
    pub hit: bool,
    /// Why the entry was not used, on a miss.
    pub miss: Option<String>,
    /// Time spent waiting for another invocation's lock.
    pub waited: Duration,
}

/// What `assume` shows beside its findings. Holds the credentials for
/// `--export`; every format but the export prints them masked.
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
    pub export: Option<ExportFormat>,
    /// The trust policy's verdict, after an `AccessDenied`.
    pub verdict: Option<PolicyVerdict>,
}

/// Where the token comes from on every attempt: regular files, variables
/// and the Actions runtime are read again; standard input, pipes and
/// arguments give what they gave the first time.
struct TokenSource<'a> {
    args: &'a TokenArgs,
    first: Option<token_input::TokenInput>,
    rereadable: bool,
    /// What the last read gave: used again when a re-read comes back empty
    /// (a token file caught while its writer truncates it).
    previous: Option<token_input::TokenInput>,
    /// The token the last attempt sent, for evaluating the trust policy
    /// against exactly what STS refused.
    sent: Option<Jwt>,
}

/// A token read for one attempt.
struct ReadToken {
    sent: String,
    jwt: Option<Jwt>,
}

impl TokenSource<'_> {
    fn read(&mut self) -> Result<(ReadToken, String), Error> {
        let input = match self.first.take() {
            Some(input) => input,
            None if !self.rereadable => self
                .previous
                .as_ref()
                .map_or_else(|| token_input::read(self.args), |p| Ok(copy(p)))?,
            None => {
                let again = token_input::read(self.args)?;
                match &self.previous {
                    Some(previous) if again.bytes.trim_ascii().is_empty() => copy(previous),
                    _ => again,
                }
            }
        };
        self.previous = Some(copy(&input));
        let text = String::from_utf8_lossy(&input.bytes);
        let (sent, _) = token::normalise(&text);
        let jwt = token::parse(&input.bytes).jwt().cloned();
        Ok((ReadToken { sent, jwt }, input.source))
    }
}

fn copy(input: &token_input::TokenInput) -> token_input::TokenInput {
    token_input::TokenInput {
        source: input.source.clone(),
        path: input.path.clone(),
        bytes: input.bytes.clone(),
    }
}

fn claim(jwt: Option<&Jwt>, name: &str) -> Option<String> {
    jwt.and_then(|j| j.claim_str(name)).map(str::to_owned)
}

fn exp_of(jwt: Option<&Jwt>) -> Option<Timestamp> {
    jwt.and_then(|j| j.numeric_date("exp"))
        .and_then(|s| Timestamp::from_second(s).ok())
}

fn summary(jwt: Option<&Jwt>, source: String) -> TokenSummary {
    TokenSummary {
        source,
        iss: claim(jwt, "iss"),
        sub: claim(jwt, "sub"),
        aud: jwt.and_then(Jwt::effective_audience).map(str::to_owned),
        exp: exp_of(jwt),
    }
}

/// A uniform number in `[0, 1)` from the system's generator.
fn jitter() -> f64 {
    let mut bytes = [0_u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    // 53 random bits, the precision of an f64 in [0, 1).
    let bits = u64::from_le_bytes(bytes) >> 11;
    #[allow(clippy::cast_precision_loss)]
    let unit = bits as f64 / (1_u64 << 53) as f64;
    unit
}

/// The request as validated before anything is sent.
struct Request {
    role_arn: String,
    session_name: String,
}

/// Checks what STS would refuse anyway, before sending anything.
fn validate(args: &AssumeArgs) -> Result<Request, Error> {
    let role_arn = args.role.role_arn.clone().ok_or_else(|| Error::Usage {
        message: "no role to assume".to_owned(),
        help: "give --role-arn arn:aws:iam::<account>:role/<name> (or set AWS_ROLE_ARN)".to_owned(),
    })?;
    let session_name = args
        .role
        .session_name
        .clone()
        .unwrap_or_else(|| format!("oidc-doctor-{}", Timestamp::now().as_second()));
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
    Ok(Request {
        role_arn,
        session_name,
    })
}

pub fn run(args: &AssumeArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let request = validate(args)?;
    let first = token_input::read(&args.token)?;
    // Files and variables can change between reads; the Actions runtime
    // mints a new token on every request.
    // A pipe or FIFO (`--token-file <(...)`) gives its token once only.
    let regular_file = first
        .path
        .as_ref()
        .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()));
    let rereadable = regular_file || args.token.token_env.is_some() || args.token.github_actions;
    let parsed = token::parse(&first.bytes);
    let token_findings: Vec<Finding> = rules::token::check(&parsed, Timestamp::now())
        .into_iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    let token = summary(parsed.jwt(), first.source.clone());
    let mut report = Report::new("assume", CommandData::None);
    report.stages.push(token_stage(&token, &token_findings));
    report.findings.extend(token_findings);
    let mut data = AssumeData {
        role_arn: request.role_arn,
        session_name: request.session_name,
        duration: args.role.duration,
        region: None,
        partition: None,
        endpoint: None,
        token,
        attempts: Vec::new(),
        stop: None,
        assumed: None,
        cache: None,
        export: args.export,
        verdict: None,
    };
    let policy = RetryPolicy {
        max_attempts: args.max_attempts,
        deadline: Duration::from_secs(args.deadline),
        ..RetryPolicy::default()
    };
    // Held until the end: parallel invocations wait here for this one.
    // Another invocation may hold the entry through its whole retry loop:
    // its deadline, plus its last attempt, plus a margin.
    let wait = policy.deadline + args.timeout * 3 + Duration::from_secs(5);
    let claims = parsed.jwt().map(|jwt| &jwt.claims);
    let locked = match open_cache(args, &mut data, claims, wait, progress)? {
        CacheOutcome::Hit(assumed) => {
            progress.finish();
            return Ok(finish_success(
                report,
                data,
                assumed,
                &FailureTally::default(),
                true,
            ));
        }
        CacheOutcome::Miss(locked) => locked,
    };
    let mut source = TokenSource {
        args: &args.token,
        first: Some(first),
        rereadable,
        previous: None,
        sent: None,
    };
    let runtime = crate::net::runtime()?;
    let options = AwsOptions {
        profile: args.aws.profile.clone(),
        region: args.aws.region.clone(),
        timeout: args.timeout,
    };
    let config = runtime.block_on(aws::load(&options, false));
    data.region = aws::region(&config);
    data.partition = data.region.as_deref().map(partition_of_region);
    let (sts, endpoint) = aws::sts(&config);
    let attempts = Attempts {
        runtime: &runtime,
        sts: &sts,
        endpoint: &endpoint,
        policy,
        progress,
    };
    match attempts.run(&mut data, &mut source)? {
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
            Ok(finish_success(report, data, assumed, &tally, false))
        }
        Err((class, failure, stop)) => {
            if class.rule.code == "AS101" {
                let claims = source.sent.as_ref().map(|jwt| jwt.claims.clone());
                data.verdict = Some(policy_verdict(args, &data, claims, &runtime, &options));
            }
            Ok(finish_failure(report, data, class, &failure, stop))
        }
    }
}

fn finish_failure(
    mut report: Report,
    mut data: AssumeData,
    class: Class,
    failure: &crate::model::aws::StsFailure,
    stop: Stop,
) -> Report {
    let attempts = u32::try_from(data.attempts.len()).unwrap_or(u32::MAX);
    report.findings.push(rules::assume::failure(
        class,
        failure,
        &context(&data),
        attempts,
        &stop,
        data.verdict.as_ref(),
    ));
    data.stop = Some(stop);
    report.stages.push(sts_stage(&data));
    report.verdict = Some(Verdict::Failed);
    report.data = CommandData::Assume(Box::new(data));
    report.sort_findings();
    report
}

fn token_stage(token: &TokenSummary, findings: &[Finding]) -> Stage {
    Stage {
        name: "token",
        status: Stage::judge(findings),
        duration: Duration::ZERO,
        detail: format!(
            "from {}: iss {}, sub {}, audience {}",
            token.source,
            token.iss.as_deref().unwrap_or("-"),
            token.sub.as_deref().unwrap_or("-"),
            token.aud.as_deref().unwrap_or("-")
        ),
    }
}

/// What the cache gave.
enum CacheOutcome {
    Hit(Assumed),
    /// Call STS; write the entry through the held lock, when there is one.
    Miss(Option<Locked>),
}

/// Opens the cache when asked and takes the entry's lock (waiting for
/// another invocation that holds it).
fn open_cache(
    args: &AssumeArgs,
    data: &mut AssumeData,
    claims: Option<&serde_json::Map<String, serde_json::Value>>,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<CacheOutcome, Error> {
    let Some(dir) = &args.cache else {
        return Ok(CacheOutcome::Miss(None));
    };
    let cache = CredentialCache::open((!dir.as_os_str().is_empty()).then(|| dir.clone()))?;
    let mut used = CacheUse {
        dir: cache.dir().display().to_string(),
        hit: false,
        miss: None,
        waited: Duration::ZERO,
    };
    let mut skip = |why: &str| {
        used.miss = Some(why.to_owned());
        data.cache = Some(used.clone());
        Ok(CacheOutcome::Miss(None))
    };
    let Some(claims) = claims.filter(|_| data.token.iss.is_some() && data.token.sub.is_some())
    else {
        return skip("the token has no `iss` and `sub` to key the cache by; not cached");
    };
    // STS would refuse this token: cached credentials must not stand in for it.
    if data.token.exp.is_some_and(|exp| {
        exp.as_second().saturating_add(STS_SKEW_SECONDS) <= Timestamp::now().as_second()
    }) {
        return skip(
            "the token has expired (beyond STS's 5-minute skew); the cache is not used for it",
        );
    }
    let key = CacheKey {
        role_arn: data.role_arn.clone(),
        session_name: data.session_name.clone(),
        duration: data.duration,
        identity: CacheKey::identity(claims),
    };
    progress.update("waiting for the credential cache…");
    let Some(locked) = cache.lock(&key, timeout)? else {
        return skip(
            "another invocation held the entry past the deadline; STS is called without the cache",
        );
    };
    used.waited = locked.waited;
    match locked.read(Timestamp::now()) {
        Ok(assumed) => {
            used.hit = true;
            data.cache = Some(used);
            Ok(CacheOutcome::Hit(assumed))
        }
        Err(miss) => {
            used.miss = Some(match miss {
                Miss::Absent => "no entry yet".to_owned(),
                Miss::Stale(at) => format!("the entry expires at {at}, within 5 minutes"),
                Miss::Unreadable(why) => {
                    format!("the entry was unreadable ({why}) and is replaced")
                }
            });
            data.cache = Some(used);
            Ok(CacheOutcome::Miss(Some(locked)))
        }
    }
}

/// The retry loop and what it needs.
struct Attempts<'a> {
    runtime: &'a tokio::runtime::Runtime,
    sts: &'a aws_sdk_sts::Client,
    endpoint: &'a aws::EndpointRecorder,
    policy: RetryPolicy,
    progress: &'a dyn Progress,
}

/// How the loop ended without credentials: the last class, STS's answer, why.
type Failure = (Class, crate::model::aws::StsFailure, Stop);

impl Attempts<'_> {
    /// Attempts until success or a reason to stop; every attempt is recorded
    /// in `data.attempts`.
    fn run(
        &self,
        data: &mut AssumeData,
        source: &mut TokenSource<'_>,
    ) -> Result<Result<(Assumed, FailureTally), Failure>, Error> {
        let started = Instant::now();
        let mut tally = FailureTally::default();
        let mut last: Option<(Class, crate::model::aws::StsFailure)> = None;
        loop {
            let number = u32::try_from(data.attempts.len()).unwrap_or(u32::MAX) + 1;
            let (read, source_name) = match source.read() {
                Ok(read) => read,
                Err(error) => match last.take() {
                    // The previous attempt's answer stands; the token is gone.
                    Some((class, failure)) => {
                        return Ok(Err((
                            class,
                            failure,
                            Stop::TokenUnreadable(error.to_string()),
                        )));
                    }
                    None => return Err(error),
                },
            };
            data.token = summary(read.jwt.as_ref(), source_name);
            source.sent.clone_from(&read.jwt);
            let request = AssumeRequest {
                role_arn: data.role_arn.clone(),
                session_name: data.session_name.clone(),
                token: Secret::new(read.sent.clone()),
                duration: data.duration,
            };
            self.progress
                .update(&format!("AssumeRoleWithWebIdentity, attempt {number}…"));
            let attempt_started = started.elapsed();
            let answer = self.runtime.block_on(aws::assume(self.sts, &request));
            let took = started.elapsed().saturating_sub(attempt_started);
            data.endpoint = self.endpoint.endpoint().or(data.endpoint.take());
            let mut attempt = Attempt {
                number,
                started: attempt_started,
                took,
                class: None,
                answer: String::new(),
                wait: None,
            };
            let failure = match answer {
                Ok(assumed) => {
                    data.attempts.push(attempt);
                    self.progress.finish();
                    return Ok(Ok((assumed, tally)));
                }
                Err(failure) => failure,
            };
            let class = classify(&failure);
            attempt.class = Some(class);
            attempt.answer = failure.to_string();
            // What the next attempt would send: a source read again may
            // have a fresher token than the one just refused.
            // The Actions runtime mints a new token on every request: no
            // need to ask it twice to know the next one is fresh.
            let mints = source.args.github_actions;
            let upcoming = if mints { None } else { upcoming(source) };
            let token_exp = if mints {
                None
            } else {
                upcoming
                    .as_ref()
                    .map_or(data.token.exp, |next| exp_of(next.jwt.as_ref()))
            };
            let fresh_token = class.retry == Retry::FreshToken
                && (mints
                    || upcoming.as_ref().is_some_and(|next| {
                        next.sent != read.sent
                            && exp_of(next.jwt.as_ref()).is_some_and(|exp| {
                                exp.as_second().saturating_add(STS_SKEW_SECONDS)
                                    > Timestamp::now().as_second()
                            })
                    }));
            let failed = Failed {
                class,
                failures: number,
                elapsed: started.elapsed(),
                now: Timestamp::now(),
                token_exp,
                fresh_token,
            };
            match next(&self.policy, &failed, jitter()) {
                Ok(wait) => {
                    tally.add(class);
                    last = Some((class, failure));
                    attempt.wait = Some(wait);
                    data.attempts.push(attempt);
                    self.progress.update(&format!(
                        "attempt {number}: {} {}; retrying in {} ms…",
                        class.rule.code,
                        class.rule.slug,
                        wait.as_millis()
                    ));
                    std::thread::sleep(wait);
                }
                Err(stop) => {
                    data.attempts.push(attempt);
                    self.progress.finish();
                    return Ok(Err((class, failure, stop)));
                }
            }
        }
    }
}

/// The token the source gives now, for a source that is read again before
/// every attempt (`None` for the others, or when it cannot be read). The
/// attempt itself reads again: the source may change during the wait.
fn upcoming(source: &mut TokenSource<'_>) -> Option<ReadToken> {
    if !source.rereadable {
        return None;
    }
    source.read().ok().map(|(token, _)| token)
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

fn finish_success(
    mut report: Report,
    mut data: AssumeData,
    assumed: Assumed,
    tally: &FailureTally,
    from_cache: bool,
) -> Report {
    report.findings.extend(rules::assume::success(
        &assumed,
        &context(&data),
        tally,
        from_cache,
        Timestamp::now(),
    ));
    data.assumed = Some(assumed);
    report.stages.push(sts_stage(&data));
    // With --export the credentials are the product: a successful assume
    // exits 0 whatever else was found (credential_process requires it).
    if data.export.is_some() {
        report.verdict = Some(Verdict::Succeeded);
    }
    report.data = CommandData::Assume(Box::new(data));
    report.sort_findings();
    report
}

fn sts_stage(data: &AssumeData) -> Stage {
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
            format!("assumed in {} attempt(s)", data.attempts.len()),
        ),
        (None, _) => (
            StageStatus::Fail,
            format!(
                "{} attempt(s); {}",
                data.attempts.len(),
                data.stop.as_ref().map_or_else(String::new, Stop::describe)
            ),
        ),
    };
    Stage {
        name: "sts",
        status,
        duration: total,
        detail,
    }
}

/// The trust policy's verdict on the token, after an `AccessDenied`: from
/// `--policy FILE`, else from IAM when credentials allow `iam:GetRole`.
fn policy_verdict(
    args: &AssumeArgs,
    data: &AssumeData,
    claims: Option<serde_json::Map<String, serde_json::Value>>,
    runtime: &tokio::runtime::Runtime,
    options: &AwsOptions,
) -> PolicyVerdict {
    let (text, source) = match &args.policy {
        Some(path) => match read_capped(path) {
            Ok(text) => (text, format!("from {}", path.display())),
            Err(error) => {
                return PolicyVerdict::Unavailable(format!(
                    "--policy {} cannot be read: {error}",
                    path.display()
                ));
            }
        },
        None => match runtime.block_on(read_trust_policy(&data.role_arn, options)) {
            Ok(text) => (text, "read with iam:GetRole".to_owned()),
            Err(why) => return PolicyVerdict::Unavailable(why),
        },
    };
    let Some(claims) = claims else {
        return PolicyVerdict::Unavailable(
            "the token is not a JWT, so there are no claims to evaluate".to_owned(),
        );
    };
    match PolicyDocument::from_text(&data.role_arn, text) {
        Ok(document) => {
            let options = rules::trust_policy::LintOptions {
                role_arn: Some(data.role_arn.clone()),
                ..Default::default()
            };
            let evaluation = crate::commands::lint::evaluate(&document, &claims, &options);
            PolicyVerdict::Evaluated {
                source,
                evaluation: Box::new(evaluation.evaluation),
            }
        }
        Err(error) => {
            PolicyVerdict::Unavailable(format!("the trust policy is not JSON: {}", error.message))
        }
    }
}

/// A policy file, at most 1 MiB (`/dev/zero` reports size 0 and never ends).
fn read_capped(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(1024 * 1024 + 1).read_to_string(&mut text))
        .map_err(|error| error.to_string())?;
    if text.len() > 1024 * 1024 {
        return Err("it is over 1 MiB: not a trust policy".to_owned());
    }
    Ok(text)
}

/// The role's trust policy through IAM; gives up after a few seconds (the
/// credential chain may otherwise wait on an instance metadata service).
async fn read_trust_policy(role_arn: &str, options: &AwsOptions) -> Result<String, String> {
    let name = role_arn
        .rsplit_once('/')
        .map_or(role_arn, |(_, name)| name)
        .to_owned();
    let work = async {
        let config = aws::load(options, true).await;
        aws::check_credentials(&config)
            .await
            .map_err(|why| format!("no AWS credentials to read the role with: {why}"))?;
        let (iam, _) = aws::iam(&config);
        match aws::get_role(&iam, &name).await {
            Ok(Some(role)) => role
                .trust_policy
                .ok_or_else(|| "IAM returned the role without its trust policy".to_owned()),
            Ok(None) => Err(format!(
                "the credentials' account has no role named `{name}`"
            )),
            Err(error) => Err(error.to_string()),
        }
    };
    tokio::time::timeout(options.timeout * 2, work)
        .await
        .unwrap_or_else(|_| Err("IAM did not answer in time".to_owned()))
}
