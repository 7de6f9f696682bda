//! No AWS answer can take more than its cap of memory (issue 11): an
//! endless `200` from STS or IAM, and a 50 MB STS error, each from a local
//! server, end in a sentence about the size, within seconds and a bounded
//! resident set, without retrying an answer no retry makes smaller.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::flood::{Flood, FloodServer, Watched, run_watched};
use crate::support::{no_aws_setup, scrubbed};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";

/// Far above what the tool needs (tens of MiB), far below an unbounded read.
const MAX_RSS_KIB: u64 = 200 * 1024;
/// Generous: a capped read of a local answer takes well under a second.
const MAX_TIME: Duration = Duration::from_secs(30);

fn tool() -> Command {
    scrubbed(Command::new(assert_cmd::cargo::cargo_bin("oidc-doctor")))
}

/// What every capped run must show: it ended by itself, fast, small.
fn assert_bounded(run: &Watched) {
    assert!(
        !run.killed_for_memory,
        "killed at {} KiB resident after {:?}",
        run.peak_rss_kib, run.elapsed
    );
    assert!(!run.killed_for_time, "still running after {MAX_TIME:?}");
    assert!(run.samples > 0, "the memory was never read");
    assert!(run.peak_rss_kib < MAX_RSS_KIB, "{} KiB", run.peak_rss_kib);
    assert!(
        run.stdout.len() < 64 * 1024,
        "{} bytes of output",
        run.stdout.len()
    );
    assert!(
        run.stderr.len() < 64 * 1024,
        "{} bytes on stderr",
        run.stderr.len()
    );
}

/// The size said in words, never the SDK's debug dump.
fn assert_said_in_words(text: &str) {
    assert!(text.contains("larger than 1 MiB"), "{text}");
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "ResponseError",
        "{ kind:",
        "Some(",
    ] {
        assert!(!text.contains(dump), "{dump} in {text}");
    }
}

fn assume(sts: &FloodServer) -> Watched {
    let dir = tempfile::tempdir().unwrap();
    let token = crate::support::github_token_file(dir.path());
    let mut cmd = tool();
    cmd.envs(no_aws_setup(dir.path()))
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .args(["assume", "--role-arn", ROLE, "--session-name", "ci"])
        .args(["--max-attempts", "3", "--timeout", "5", "--format", "json"])
        .arg("--token-file")
        .arg(&token);
    run_watched(cmd, MAX_RSS_KIB, MAX_TIME)
}

/// `scan --format json` against `aws` as IAM and STS, with test
/// credentials and `extra` arguments, watched.
fn scan(aws: &FloodServer, extra: &[&str]) -> Watched {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tool();
    cmd.envs(no_aws_setup(dir.path()))
        .env("AWS_ENDPOINT_URL", aws.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["scan", "--timeout", "5", "--format", "json"])
        .args(extra);
    run_watched(cmd, MAX_RSS_KIB, MAX_TIME)
}

/// The finding that ended `assume`.
fn ending_finding(run: &Watched) -> Value {
    let report: Value =
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr()));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"].as_str().is_some_and(|c| c.starts_with("AS1")))
        .cloned()
        .unwrap_or_else(|| panic!("no AS1xx finding in {report:#}"))
}

#[test]
fn an_endless_sts_answer_is_cut_at_the_cap_and_not_retried() {
    let sts = FloodServer::start(Flood::Endless {
        status: 200,
        prefix: "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <AssumeRoleWithWebIdentityResult><Audience>"
            .to_owned(),
    });
    let run = assume(&sts);
    assert_bounded(&run);
    assert_eq!(run.status, Some(1), "{}", run.stderr());
    let finding = ending_finding(&run);
    assert_eq!(finding["code"], "AS199", "{finding:#}");
    assert_said_in_words(finding["message"].as_str().unwrap());
    // A bigger answer is not what a retry would get.
    assert_eq!(sts.requests(), 1);
}

#[test]
fn a_50_mb_sts_error_is_refused_by_its_declared_size_and_the_output_stays_small() {
    let len = 50 * 1024 * 1024;
    let sts = FloodServer::start(Flood::Sized {
        status: 400,
        prefix: "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                 <Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>"
            .to_owned(),
        len,
        suffix: "</Message></Error><RequestId>flood</RequestId></ErrorResponse>".to_owned(),
    });
    let run = assume(&sts);
    assert_bounded(&run);
    assert_eq!(run.status, Some(1), "{}", run.stderr());
    let message = ending_finding(&run)["message"].as_str().unwrap().to_owned();
    assert_said_in_words(&message);
    assert!(message.len() < 4 * 1024, "{message}");
    assert!(!message.contains("mmmmmmmm"), "{message}");
    // The declared length is enough to refuse it: most of it is never sent.
    assert!(sts.sent() < (len / 2) as u64, "{} bytes sent", sts.sent());
}

#[test]
fn an_endless_iam_answer_is_cut_at_the_cap_on_every_page_size() {
    let aws = FloodServer::start(Flood::Endless {
        status: 200,
        prefix: "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                 <ListRolesResult><Roles><member><Path>/"
            .to_owned(),
    });
    let run = scan(&aws, &[]);
    assert_bounded(&run);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(text.contains("iam:ListRoles"), "{text}");
    assert_said_in_words(&text);
    // sts:GetCallerIdentity (the caller's account) once, iam:ListRoles once
    // per page size (100, 50, 25, 12, 6, 3, 1): the SDK's retries never ask
    // for the same answer again.
    assert_eq!(aws.requests(), 8, "{text}");
}

/// Answers `ListRoles` asking for more than `most` roles with a page of
/// 2 MiB, and the others with one role; the caller's identity as STS would.
fn iam_with_pages_too_large_above(most: usize, asked: Arc<Mutex<Vec<Option<usize>>>>) -> Flood {
    Flood::Scripted(Arc::new(move |body: &str| {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        match form.get("Action").map(String::as_str) {
            Some("GetCallerIdentity") => Flood::Plain {
                status: 200,
                body: "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                       <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>\
                       <UserId>AIDASTANDIN</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
                       </GetCallerIdentityResponse>"
                    .to_owned(),
            },
            Some("ListRoles") => {
                let max_items = form.get("MaxItems").and_then(|m| m.parse::<usize>().ok());
                asked.lock().unwrap().push(max_items);
                if max_items.is_none_or(|m| m > most) {
                    return Flood::Sized {
                        status: 200,
                        prefix: "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                                 <ListRolesResult><Roles><member><Description>"
                            .to_owned(),
                        len: 2 * 1024 * 1024,
                        suffix: "</Description></member></Roles></ListRolesResult></ListRolesResponse>"
                            .to_owned(),
                    };
                }
                let policy: String = url::form_urlencoded::byte_serialize(
                    br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                )
                .collect();
                Flood::Plain {
                    status: 200,
                    body: format!(
                        "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                         <ListRolesResult><IsTruncated>false</IsTruncated><Roles><member>\
                         <Path>/</Path><RoleName>app</RoleName><RoleId>AROASTANDIN</RoleId>\
                         <Arn>arn:aws:iam::123456789012:role/app</Arn>\
                         <CreateDate>2026-01-01T00:00:00Z</CreateDate>\
                         <AssumeRolePolicyDocument>{policy}</AssumeRolePolicyDocument>\
                         <MaxSessionDuration>3600</MaxSessionDuration></member></Roles>\
                         </ListRolesResult></ListRolesResponse>"
                    ),
                }
            }
            _ => Flood::Plain {
                status: 400,
                body: format!("unexpected request {form:?}"),
            },
        }
    }))
}

#[test]
fn a_roles_page_over_the_cap_is_asked_again_smaller() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let aws = FloodServer::start(iam_with_pages_too_large_above(12, Arc::clone(&asked)));
    let run = scan(&aws, &["--fail-on", "never"]);
    assert_bounded(&run);
    assert_eq!(run.status, Some(0), "{}", run.stderr());
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["scan"]["roles_total"], 1, "{report:#}");
    assert_eq!(
        *asked.lock().unwrap(),
        [Some(100), Some(50), Some(25), Some(12)]
    );
}

/// An endpoint that pages on forever (a new marker on every page) is not
/// followed past what IAM could hold: `scan` stops and says why.
#[test]
fn an_iam_listing_that_never_ends_is_stopped() {
    use std::fmt::Write as _;
    let page = (0..100).fold(String::new(), |mut page, i| {
        let _ = write!(
            page,
            "<member><Path>/</Path><RoleName>r{i}</RoleName><RoleId>AROA{i}</RoleId>\
             <Arn>arn:aws:iam::123456789012:role/r{i}</Arn>\
             <CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"
        );
        page
    });
    let aws = FloodServer::start(Flood::Scripted(Arc::new(move |body: &str| {
        if body.contains("Action=GetCallerIdentity") {
            return Flood::Plain {
                status: 200,
                body: "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                       <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>\
                       <UserId>AIDASTANDIN</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
                       </GetCallerIdentityResponse>"
                    .to_owned(),
            };
        }
        let marker = body.len();
        Flood::Plain {
            status: 200,
            body: format!(
                "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                 <ListRolesResult><IsTruncated>true</IsTruncated><Marker>m{marker}x{}</Marker>\
                 <Roles>{page}</Roles></ListRolesResult></ListRolesResponse>",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
            ),
        }
    })));
    let run = scan(&aws, &[]);
    assert_bounded(&run);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("listed more than 20000 roles and kept paging"),
        "{text}"
    );
    // GetCallerIdentity, then 201 pages of 100: the 20,100th role stops it.
    assert_eq!(aws.requests(), 202, "{text}");
}
