//! Parallel `assume --cache-dir` runs against a role that keeps failing:
//! `--deadline` bounds each process's whole run, waiting for the entry's
//! lock included, and a failure is shared through the cache, so N
//! processes make at most `--max-attempts` + N STS calls between them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use oidc_doctor::net::cache::{CacheKey, CredentialCache};

use crate::sts_standin::{Answer, StsStandin};
use crate::support::{claims, no_aws_setup, scrubbed, signed_token};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const ISS: &str = "https://token.actions.githubusercontent.com";
const SESSION: &str = "ci";

/// A generous bound on a run's wall time beyond its deadline (process
/// start, one in-flight attempt, a loaded machine): a bound, not a timing.
const SLACK: Duration = Duration::from_secs(10);

struct Setup {
    dir: tempfile::TempDir,
    claims: Value,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let claims = claims(ISS, 3600);
        std::fs::write(
            dir.path().join("token.jwt"),
            signed_token("test-rsa", &claims),
        )
        .unwrap();
        Setup { dir, claims }
    }

    fn cache_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    /// `assume --format json` with these bounds, started and not waited for.
    fn spawn(&self, sts: &StsStandin, max_attempts: u32, deadline: u64) -> Child {
        let binary = assert_cmd::cargo::cargo_bin("oidc-doctor");
        let mut cmd = scrubbed(Command::new(binary));
        cmd.env("AWS_ENDPOINT_URL_STS", sts.url())
            .envs(no_aws_setup(self.dir.path()))
            .args(["assume", "--role-arn", ROLE, "--session-name", SESSION])
            .args(["--timeout", "2", "--format", "json"])
            .args(["--max-attempts", &max_attempts.to_string()])
            .args(["--deadline", &deadline.to_string()])
            .arg("--cache-dir")
            .arg(self.cache_dir())
            .arg("--token-file")
            .arg(self.dir.path().join("token.jwt"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The entry's key, as the tool derives it from the token.
    fn key(&self) -> CacheKey {
        CacheKey {
            role_arn: ROLE.to_owned(),
            session_name: SESSION.to_owned(),
            duration: None,
            identity: CacheKey::identity(self.claims.as_object().unwrap()),
        }
    }
}

fn report(child: Child) -> Value {
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

fn attempts(report: &Value) -> usize {
    report["assume"]["attempts"].as_array().unwrap().len()
}

#[test]
fn parallel_runs_against_a_failing_role_share_the_failure_and_make_max_attempts_plus_n_calls() {
    const PROCESSES: usize = 5;
    const MAX_ATTEMPTS: u32 = 3;
    const DEADLINE: u64 = 20;
    // STS answers slowly enough that the runs really overlap.
    let sts = StsStandin::with_delay(vec![Answer::throttled()], Duration::from_millis(100));
    let setup = Setup::new();
    let started = Instant::now();
    let children: Vec<Child> = (0..PROCESSES)
        .map(|_| setup.spawn(&sts, MAX_ATTEMPTS, DEADLINE))
        .collect();
    let reports: Vec<Value> = children.into_iter().map(report).collect();
    let took = started.elapsed();

    // The first to take the lock runs the whole ladder; each of the others
    // finds its failure and makes exactly one call of its own.
    let max = usize::try_from(MAX_ATTEMPTS).unwrap();
    assert_eq!(
        sts.calls(),
        max + PROCESSES - 1,
        "STS calls for {PROCESSES} parallel runs"
    );
    let (leaders, waiters): (Vec<&Value>, Vec<&Value>) = reports
        .iter()
        .partition(|r| r["assume"]["cache"]["shared_failure"].is_null());
    assert_eq!(leaders.len(), 1, "{reports:#?}");
    assert_eq!(attempts(leaders[0]), max);
    assert_eq!(waiters.len(), PROCESSES - 1);
    for waiter in waiters {
        assert_eq!(attempts(waiter), 1, "{waiter:#}");
        let shared = &waiter["assume"]["cache"]["shared_failure"];
        assert_eq!(shared["code"], "AS109", "{shared:#}");
        assert!(shared["attempts"].as_u64().unwrap() >= 1, "{shared:#}");
        assert_eq!(shared["answer"], "Throttling: Rate exceeded", "{shared:#}");
        let stopped = waiter["assume"]["stopped"].as_str().unwrap();
        assert!(stopped.contains("a parallel invocation"), "{stopped}");
        let message = waiter["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "AS109")
            .unwrap()["message"]
            .as_str()
            .unwrap();
        assert!(message.contains("a parallel invocation"), "{message}");
        assert!(message.contains("Rate exceeded"), "{message}");
    }
    assert!(
        took <= Duration::from_secs(DEADLINE) + SLACK,
        "{PROCESSES} runs with --deadline {DEADLINE} took {took:?}"
    );
}

#[test]
fn waiting_for_the_lock_counts_against_the_deadline() {
    const DEADLINE: u64 = 2;
    let sts = StsStandin::start(vec![Answer::throttled()]);
    let setup = Setup::new();
    // Another invocation holds the entry for the whole run.
    let cache = CredentialCache::open(Some(setup.cache_dir())).unwrap();
    let held = cache
        .lock(&setup.key(), Duration::from_secs(1))
        .unwrap()
        .expect("the lock is free");
    let started = Instant::now();
    let report = report(setup.spawn(&sts, 4, DEADLINE));
    let took = started.elapsed();
    drop(held);

    // The wait took the whole budget: one attempt, then the deadline.
    assert_eq!(sts.calls(), 1, "{report:#}");
    assert_eq!(attempts(&report), 1);
    let cache = &report["assume"]["cache"];
    assert!(
        cache["waited_ms"].as_u64().unwrap() >= DEADLINE * 1000 - 50,
        "{cache:#}"
    );
    let miss = cache["miss"].as_str().unwrap();
    assert!(miss.contains("deadline"), "{miss}");
    let stopped = report["assume"]["stopped"].as_str().unwrap();
    assert!(stopped.contains("deadline"), "{stopped}");
    assert!(
        took <= Duration::from_secs(DEADLINE) + SLACK,
        "--deadline {DEADLINE} took {took:?}"
    );
}

/// A failure record that is not one (corrupt, or oversized) is ignored:
/// the run makes its own whole ladder.
#[test]
fn a_corrupt_or_oversized_failure_record_is_ignored() {
    let sts = StsStandin::start(vec![Answer::throttled()]);
    let setup = Setup::new();
    let first = report(setup.spawn(&sts, 2, 20));
    assert_eq!(attempts(&first), 2);
    let record = failure_record(&setup.cache_dir());
    for planted in ["{\"version\": 1, \"at\": ".to_owned(), "x".repeat(100_000)] {
        std::fs::write(&record, planted).unwrap();
        let before = sts.calls();
        let again = report(setup.spawn(&sts, 2, 20));
        assert!(again["assume"]["cache"]["shared_failure"].is_null());
        assert_eq!(attempts(&again), 2, "{again:#}");
        assert_eq!(sts.calls(), before + 2);
    }
}

/// The one failure record in the cache directory.
fn failure_record(dir: &Path) -> std::path::PathBuf {
    let records: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "failure"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    records.into_iter().next().unwrap()
}
