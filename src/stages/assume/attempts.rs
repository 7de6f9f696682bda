//! The retry loop: one unsigned `AssumeRoleWithWebIdentity` per attempt,
//! each answer classified, another attempt only when the rules say one can
//! help, with the token read again before every attempt.

use std::time::Instant;

use jiff::Timestamp;

use crate::error::Error;
use crate::model::aws::{Assumed, Secret, SharedFailure, StsFailure};
use crate::net::aws::{self, AssumeRequest, EndpointRecorder};
use crate::rules::assume::FailureTally;
use crate::rules::assume::classify::{Class, classify};
use crate::rules::assume::retry::{Failed, RetryPolicy, Stop, next};
use crate::stages::Progress;
use crate::stages::token::TokenSummary;

use super::source::TokenSource;
use super::{AssumeData, Attempt};

/// How the loop ended without credentials: the last class, STS's answer, why.
pub type Failure = (Class, StsFailure, Stop);

/// The loop and what it needs.
pub struct Attempts<'a> {
    pub runtime: &'a tokio::runtime::Runtime,
    pub sts: &'a aws_sdk_sts::Client,
    pub endpoint: &'a EndpointRecorder,
    pub policy: RetryPolicy,
    /// Where the deadline counts from: the start of the assume stage, so
    /// that time spent waiting for the cache's lock counts too.
    pub since: Instant,
    /// A parallel run's failure, moments old: one attempt, no ladder.
    pub shared: Option<SharedFailure>,
    pub progress: &'a dyn Progress,
}

impl std::fmt::Debug for Attempts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempts")
            .field("policy", &self.policy)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
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

impl Attempts<'_> {
    /// Attempts until success or a reason to stop; every attempt is recorded
    /// in `data.attempts`.
    pub fn run(
        &self,
        data: &mut AssumeData,
        source: &mut TokenSource<'_>,
    ) -> Result<Result<(Assumed, FailureTally), Failure>, Error> {
        let started = Instant::now();
        let mut tally = FailureTally::default();
        let mut last: Option<(Class, StsFailure)> = None;
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
            data.token = TokenSummary::of(read.jwt.as_ref(), source_name);
            source.sent.clone_from(&read.jwt);
            let request = AssumeRequest {
                role_arn: data.role_arn.clone(),
                session_name: data.session_name.clone(),
                token: Secret::new(read.sent.clone()),
                duration: data.duration,
            };
            self.progress.update(
                "assume",
                &format!("AssumeRoleWithWebIdentity, attempt {number}…"),
            );
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
                    self.progress.event(
                        "assume",
                        &format!("attempt {number}: assumed in {} ms", took.as_millis()),
                    );
                    data.attempts.push(attempt);
                    return Ok(Ok((assumed, tally)));
                }
                Err(failure) => failure,
            };
            let class = classify(&failure);
            attempt.class = Some(class);
            attempt.answer = failure.to_string();
            let upcoming = source.next_token(&read);
            let failed = Failed::after(
                class,
                number,
                self.since.elapsed(),
                Timestamp::now(),
                upcoming,
            );
            let decision = match (next(&self.policy, &failed, jitter()), &self.shared) {
                (Ok(_), Some(shared)) => Err(Stop::Shared(Box::new(shared.clone()))),
                (decision, _) => decision,
            };
            match decision {
                Ok(wait) => {
                    tally.add(class);
                    last = Some((class, failure));
                    attempt.wait = Some(wait);
                    data.attempts.push(attempt);
                    self.progress.event(
                        "assume",
                        &format!(
                            "attempt {number}: {} {}; retrying in {} ms",
                            class.rule.code,
                            class.rule.slug,
                            wait.as_millis()
                        ),
                    );
                    std::thread::sleep(wait);
                }
                Err(stop) => {
                    self.progress.event(
                        "assume",
                        &format!(
                            "attempt {number}: {} {}; {}",
                            class.rule.code,
                            class.rule.slug,
                            stop.describe()
                        ),
                    );
                    data.attempts.push(attempt);
                    return Ok(Err((class, failure, stop)));
                }
            }
        }
    }
}
