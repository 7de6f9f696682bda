//! The shared credential cache as one assume run uses it: open it, take the
//! entry's lock (waiting for a parallel run that holds it), and read it.

use std::path::Path;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::aws::{Assumed, SharedFailure};
use crate::net::cache::{CacheKey, CredentialCache, FailureRecord, Locked, Miss};
use crate::rules::assume::retry::STS_SKEW_SECONDS;
use crate::stages::Progress;
use crate::stages::token::TokenSummary;

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
    /// A parallel invocation's failure, recorded moments before this run
    /// took the lock: this run makes one attempt, not a whole ladder.
    pub shared: Option<SharedFailure>,
}

/// What the cache gave.
#[derive(Debug)]
pub enum CacheOutcome {
    Hit(Assumed),
    /// Call STS; write the entry through the held lock, when there is one.
    Miss(Option<Locked>),
}

/// What the entry is keyed by.
#[derive(Debug)]
pub struct Entry<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration: Option<i32>,
    pub token: &'a TokenSummary,
    pub claims: Option<&'a Map<String, Value>>,
}

/// Opens the cache in `dir` (`""`: the user cache directory) and takes the
/// entry's lock, waiting at most `timeout` (what is left of the deadline)
/// for another invocation that holds it; on a miss, reads the failure a
/// parallel invocation recorded moments before. Returns how the cache was
/// used too.
pub fn open(
    dir: &Path,
    entry: &Entry<'_>,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(CacheOutcome, CacheUse), Error> {
    let cache = CredentialCache::open((!dir.as_os_str().is_empty()).then(|| dir.to_path_buf()))?;
    let mut used = CacheUse {
        dir: cache.dir().display().to_string(),
        hit: false,
        miss: None,
        waited: Duration::ZERO,
        shared: None,
    };
    let skip = |mut used: CacheUse, why: &str| {
        used.miss = Some(why.to_owned());
        Ok((CacheOutcome::Miss(None), used))
    };
    let Some(claims) = entry
        .claims
        .filter(|_| entry.token.iss.is_some() && entry.token.sub.is_some())
    else {
        return skip(
            used,
            "the token has no `iss` and `sub` to key the cache by; not cached",
        );
    };
    // STS would refuse this token: cached credentials must not stand in for it.
    if entry.token.exp.is_some_and(|exp| {
        exp.as_second().saturating_add(STS_SKEW_SECONDS) <= Timestamp::now().as_second()
    }) {
        return skip(
            used,
            "the token has expired (beyond STS's 5-minute skew); the cache is not used for it",
        );
    }
    let key = CacheKey {
        role_arn: entry.role_arn.to_owned(),
        session_name: entry.session_name.to_owned(),
        duration: entry.duration,
        identity: CacheKey::identity(claims),
    };
    progress.update("assume", "waiting for the credential cache…");
    let waiting = Instant::now();
    let locked = match cache.lock(&key, timeout) {
        Ok(Some(locked)) => locked,
        Ok(None) => {
            used.waited = waiting.elapsed();
            return skip(
                used,
                "another invocation held the entry through this run's deadline (--deadline); \
                 STS is called once, without the cache",
            );
        }
        // A lock that cannot be opened (a planted link, a full disk) costs
        // the cache, not the run.
        Err(error) => {
            return skip(
                used,
                &format!(
                    "the entry's lock could not be opened ({error}); STS is called without the cache"
                ),
            );
        }
    };
    used.waited = locked.waited;
    match locked.read(Timestamp::now()) {
        Ok(assumed) => {
            used.hit = true;
            Ok((CacheOutcome::Hit(assumed), used))
        }
        Err(miss) => {
            used.miss = Some(match miss {
                Miss::Absent => "no entry yet".to_owned(),
                Miss::Stale(at) => format!("the entry expires at {at}, within 5 minutes"),
                Miss::Unreadable(why) => {
                    format!("the entry was unreadable ({why}) and is replaced")
                }
            });
            let now = Timestamp::now();
            used.shared = locked
                .read_failure(now)
                .and_then(|record| shared(&record, now));
            Ok((CacheOutcome::Miss(Some(locked)), used))
        }
    }
}

/// A failure record as the report shows it; `None` when its code is not an
/// AS class (not a record this version wrote).
fn shared(record: &FailureRecord, now: Timestamp) -> Option<SharedFailure> {
    let rule = crate::rules::find(&record.code).filter(|rule| rule.code.starts_with("AS"))?;
    Some(SharedFailure {
        age: Duration::try_from(now.duration_since(record.at)).unwrap_or_default(),
        attempts: record.attempts,
        code: rule.code,
        slug: rule.slug,
        answer: record.answer.clone(),
        stopped: record.stopped.clone(),
    })
}
