//! IS008, IS018: the samples as a series — how long the chain STS walks
//! takes, and whether it sometimes fails.

use std::time::Duration;

use crate::finding::{Finding, Severity};
use crate::model::issuer::{Sample, Spread, seconds};
use crate::rules::{IS008, IS018};

/// STS gives up on the issuer after about this long.
pub const STS_BUDGET: Duration = Duration::from_secs(5);
/// From here a chain is slow enough to fail when the issuer has a bad moment.
pub const SLOW: Duration = Duration::from_secs(2);
/// A sample this many times the median is a spike...
pub const SPIKE_FACTOR: u32 = 3;
/// ...when it is also at least this long (10 ms against 30 ms is noise).
pub const SPIKE_FLOOR: Duration = Duration::from_secs(1);

/// IS008 over the chain times of all samples.
pub fn slow(samples: &[Sample]) -> Option<Finding> {
    // A sample that failed on this machine's side timed this machine.
    let samples: Vec<&Sample> = samples.iter().filter(|s| !s.failed_from_here()).collect();
    let spread = Spread::of(samples.iter().map(|s| s.chain_time()))?;
    let slowest = samples.iter().max_by_key(|s| s.chain_time())?;
    let breakdown = format!(
        "sample {} took {} (discovery {}, JWKS {})",
        slowest.index,
        seconds(slowest.chain_time()),
        seconds(slowest.discovery.total),
        seconds(slowest.jwks.as_ref().map_or(Duration::ZERO, |j| j.total)),
    );
    let series = format!(
        "min {}, median {}, max {}",
        seconds(spread.min),
        seconds(spread.median),
        seconds(spread.max)
    );
    let help = "Make discovery and the JWKS answer quickly from everywhere STS runs: serve them as static files from a CDN or object storage, with caching allowed.";
    let (severity, message) = if spread.max >= STS_BUDGET {
        (
            Severity::High,
            format!(
                "Discovery plus JWKS takes {} or more: {breakdown}; STS gives up after about 5 s with \"Couldn't retrieve verification key\" ({series}).",
                seconds(STS_BUDGET)
            ),
        )
    } else if spread.max >= SLOW {
        (
            Severity::Medium,
            format!(
                "Discovery plus JWKS is slow: {breakdown}, close to STS's 5 s limit ({series})."
            ),
        )
    } else if spread.max >= SPIKE_FLOOR && spread.max >= spread.median * SPIKE_FACTOR {
        (
            Severity::Medium,
            format!(
                "One sample was at least {SPIKE_FACTOR}× the median: {breakdown} ({series}); spikes like this push some logins past STS's 5 s limit."
            ),
        )
    } else {
        return None;
    };
    Some(Finding::new(&IS008, message, help).with_severity(severity))
}

/// IS018: some samples worked and others did not.
pub fn intermittent(samples: &[Sample]) -> Option<Finding> {
    let samples: Vec<&Sample> = samples.iter().filter(|s| !s.failed_from_here()).collect();
    let failed: Vec<&Sample> = samples.iter().copied().filter(|s| !s.succeeded()).collect();
    if failed.is_empty() || failed.len() == samples.len() {
        return None;
    }
    let which: Vec<String> = failed
        .iter()
        .map(|s| format!("sample {}: {}", s.index, s.problem().unwrap_or_default()))
        .collect();
    Some(Finding::new(
        &IS018,
        format!(
            "{} of {} samples failed and the others succeeded ({}): the pattern behind random InvalidIdentityToken failures.",
            failed.len(),
            samples.len(),
            which.join("; ")
        ),
        "Find out why the issuer fails some requests (overload, a bad node behind the load balancer, rate limits); until then callers must retry \"Couldn't retrieve verification key\".",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::issuer::{Fetch, FetchFailure, HttpResponse};

    fn fetch(millis: u64, status: u16) -> Fetch {
        Fetch {
            url: "https://example.com/x".into(),
            redirects: Vec::new(),
            result: Ok(HttpResponse {
                status,
                ..HttpResponse::default()
            }),
            first_byte: Some(Duration::from_millis(millis)),
            total: Duration::from_millis(millis),
        }
    }

    fn sample(index: usize, discovery: u64, jwks: u64) -> Sample {
        Sample {
            index,
            offset: Duration::ZERO,
            discovery: fetch(discovery, 200),
            discovery_probe: None,
            jwks: Some(fetch(jwks, 200)),
            jwks_probe: None,
        }
    }

    #[test]
    fn five_seconds_in_any_sample_is_high_two_is_medium() {
        let high = slow(&[sample(1, 100, 100), sample(2, 3000, 2000)]).unwrap();
        assert_eq!(high.severity, Severity::High);
        assert!(
            high.message
                .contains("sample 2 took 5.0 s (discovery 3.0 s, JWKS 2.0 s)")
        );
        let medium = slow(&[sample(1, 1000, 1000)]).unwrap();
        assert_eq!(medium.severity, Severity::Medium);
        assert!(slow(&[sample(1, 900, 900)]).is_none());
    }

    #[test]
    fn a_spike_of_three_times_the_median_counts_from_one_second() {
        let spike = slow(&[
            sample(1, 100, 100),
            sample(2, 100, 100),
            sample(3, 600, 600),
        ])
        .unwrap();
        assert_eq!(spike.severity, Severity::Medium);
        assert!(spike.message.contains("3× the median"));
        // 30 ms against 10 ms is three times, but noise.
        assert!(slow(&[sample(1, 5, 5), sample(2, 5, 5), sample(3, 15, 15)]).is_none());
    }

    #[test]
    fn intermittent_needs_both_failures_and_successes() {
        let mut failed = sample(2, 10, 10);
        failed.discovery.result = Err(FetchFailure::Timeout(Duration::from_secs(5)));
        failed.jwks = None;
        let found = intermittent(&[sample(1, 10, 10), failed.clone()]).unwrap();
        assert!(
            found
                .message
                .contains("sample 2: discovery: no complete answer within 5.0 s")
        );
        assert!(intermittent(&[sample(1, 10, 10)]).is_none());
        assert!(intermittent(&[failed]).is_none());
    }
}
