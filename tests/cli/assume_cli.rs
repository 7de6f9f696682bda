//! `assume` against the in-process STS stand-in: each answer's class, the
//! exact number of calls (no retry where retrying cannot help), the token
//! read again before every attempt, the exports, and the shared cache.
//! No AWS credentials exist in any of these runs.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::sts_standin::{ACCESS_KEY_ID, Answer, SECRET_ACCESS_KEY, SESSION_TOKEN, StsStandin};
use crate::support::{claims, no_aws_setup, oidc_doctor, scrubbed, signed_token};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const ISS: &str = "https://token.actions.githubusercontent.com";

/// A directory with a fresh token file and an empty AWS configuration.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let setup = Setup {
            dir: tempfile::tempdir().unwrap(),
        };
        setup.write_token(&fresh_token(3600));
        setup
    }

    fn token_path(&self) -> std::path::PathBuf {
        self.dir.path().join("token.jwt")
    }

    fn write_token(&self, token: &str) {
        std::fs::write(self.token_path(), token).unwrap();
    }

    /// A trust policy file for the GitHub provider that pins `sub`.
    fn trust_policy_pinning(&self, sub: &str) -> std::path::PathBuf {
        let path = self.dir.path().join("trust.json");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": sub}}}]});
        std::fs::write(&path, policy.to_string()).unwrap();
        path
    }

    fn cache_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }
}

fn fresh_token(lifetime: i64) -> String {
    signed_token("test-rsa", &claims(ISS, lifetime))
}

/// The environment of a CI job with no AWS credentials or configuration:
/// only the STS endpoint points at the stand-in.
fn isolate(cmd: &mut assert_cmd::Command, sts: &StsStandin, dir: &Path) {
    cmd.env("AWS_ENDPOINT_URL_STS", sts.url())
        .envs(no_aws_setup(dir));
}

fn assume(sts: &StsStandin, setup: &Setup, extra: &[&str]) -> std::process::Output {
    let mut cmd = oidc_doctor();
    isolate(&mut cmd, sts, setup.dir.path());
    cmd.args(["assume", "--role-arn", ROLE]);
    // Defaults a test may override.
    for (flag, value) in [("--session-name", "ci-test"), ("--timeout", "1")] {
        if !extra.contains(&flag) {
            cmd.args([flag, value]);
        }
    }
    cmd.arg("--token-file")
        .arg(setup.token_path())
        .args(extra)
        .output()
        .unwrap()
}

fn json_run(sts: &StsStandin, setup: &Setup, extra: &[&str]) -> (Value, std::process::Output) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let output = assume(sts, setup, &args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (report, output)
}

fn codes(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// Nothing secret in any output: not the credentials, not the token's signature.
fn assert_no_secret(output: &std::process::Output, token: &str) {
    let signature = token.rsplit('.').next().unwrap();
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        for secret in [SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID, signature] {
            assert!(!text.contains(secret), "a secret was printed:\n{text}");
        }
    }
}

#[test]
fn a_first_success_is_as001_with_what_sts_echoed_and_no_secret() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let output = assume(&sts, &setup, &["--color", "never"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(text.contains("AS001 assumed (info)"), "{text}");
    assert!(
        text.contains("arn:aws:sts::123456789012:assumed-role/deploy/ci-test"),
        "{text}"
    );
    assert!(
        text.contains("ASIA…LE01"),
        "the key ID is shown masked:\n{text}"
    );
    assert!(
        text.contains(&format!(
            "STS       {} (region us-east-1, partition aws; unsigned)",
            sts.url()
        )),
        "{text}"
    );
    assert_no_secret(
        &output,
        &std::fs::read_to_string(setup.token_path()).unwrap(),
    );
    assert_eq!(sts.calls(), 1);
    let request = &sts.requests()[0];
    assert_eq!(request["RoleArn"], ROLE);
    assert_eq!(request["RoleSessionName"], "ci-test");
    assert!(!request.contains_key("DurationSeconds"));
}

#[test]
fn transient_failures_are_retried_and_the_success_is_as002() {
    let sts = StsStandin::start(vec![Answer::no_key(), Answer::no_key(), Answer::assumed()]);
    let setup = Setup::new();
    let (report, output) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 3);
    assert_eq!(codes(&report), ["AS002", "AS001"]);
    assert!(
        finding(&report, "AS002")["message"]
            .as_str()
            .unwrap()
            .contains("2 × AS104 verification-key-unavailable")
    );
    let attempts = report["assume"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0]["code"], "AS104");
    assert!(
        attempts[0]["wait_ms"].as_u64().unwrap() <= 200,
        "full jitter under the 200 ms ceiling"
    );
    assert!(attempts[1]["wait_ms"].as_u64().unwrap() <= 400);
    assert_eq!(attempts[2]["code"], Value::Null);
    // AS002 is medium: with the default --fail-on low the run reports it.
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn access_denied_is_tried_once_and_the_refusing_condition_is_named() {
    let sts = StsStandin::start(vec![Answer::access_denied(), Answer::assumed()]);
    let setup = Setup::new();
    let policy = setup.trust_policy_pinning("repo:acme/app:environment:prod");
    let (report, output) = json_run(&sts, &setup, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(sts.calls(), 1, "AccessDenied is never retried");
    assert_eq!(output.status.code(), Some(1));
    let message = finding(&report, "AS101")["message"].as_str().unwrap();
    assert!(message.contains("not retried"), "{message}");
    assert!(
        message.contains("expects repo:acme/app:environment:prod"),
        "{message}"
    );
    assert!(
        message.contains("the token has `repo:acme/app:ref:refs/heads/main`"),
        "{message}"
    );
}

/// `aws iam get-role` output is read by `--policy` as `lint` reads it:
/// the CLI's decoded form and IAM's URL-encoded form alike.
#[test]
fn get_role_output_is_a_policy_file_for_assume() {
    let setup = Setup::new();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/other:ref:refs/heads/main"}}}]});
    let encoded: String = policy
        .to_string()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    for document in [policy.clone(), Value::String(encoded)] {
        let path = setup.dir.path().join("get-role.json");
        let get_role = serde_json::json!({"Role": {"Path": "/", "RoleName": "deploy", "Arn": ROLE,
            "AssumeRolePolicyDocument": document}});
        std::fs::write(&path, serde_json::to_string_pretty(&get_role).unwrap()).unwrap();
        let sts = StsStandin::start(vec![Answer::access_denied()]);
        let (report, output) = json_run(&sts, &setup, &["--policy", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{report}");
        let message = finding(&report, "AS101")["message"].as_str().unwrap();
        assert!(
            message.contains("expects repo:acme/other:ref:refs/heads/main"),
            "{message}"
        );
    }
}

#[test]
fn a_token_from_standard_input_is_evaluated_as_sent() {
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let setup = Setup::new();
    let policy = setup.trust_policy_pinning("repo:acme/other:ref:refs/heads/main");
    let mut cmd = oidc_doctor();
    isolate(&mut cmd, &sts, setup.dir.path());
    let output = cmd
        .args(["assume", "--role-arn", ROLE, "--format", "json", "--policy"])
        .arg(&policy)
        .arg("-")
        .write_stdin(fresh_token(600))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = finding(&report, "AS101")["message"].as_str().unwrap();
    assert!(
        message.contains("the token has `repo:acme/app:ref:refs/heads/main`"),
        "{message}"
    );
}

#[test]
fn access_denied_without_a_policy_says_how_to_give_one() {
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let setup = Setup::new();
    let (report, _) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 1);
    let access = finding(&report, "AS101");
    assert!(
        access["message"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials to read the role"),
        "{access}"
    );
    assert!(
        access["help"].as_str().unwrap().contains("--policy FILE"),
        "{access}"
    );
}

#[test]
fn an_audience_error_is_not_retried() {
    let sts = StsStandin::start(vec![Answer::audience(), Answer::assumed()]);
    let setup = Setup::new();
    let (report, _) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 1);
    let audience = finding(&report, "AS102");
    assert!(
        audience["message"]
            .as_str()
            .unwrap()
            .contains("`sts.amazonaws.com`")
    );
    let command = audience["suggestion"].as_str().unwrap();
    assert!(
        command.contains("add-client-id-to-open-id-connect-provider")
            && command.contains("--open-id-connect-provider-arn arn:aws:iam::")
            && !command.contains("<arn>"),
        "{command}"
    );
}

#[test]
fn throttling_is_retried_up_to_max_attempts() {
    let sts = StsStandin::start(vec![Answer::throttled()]);
    let setup = Setup::new();
    let (report, output) = json_run(&sts, &setup, &["--max-attempts", "3"]);
    assert_eq!(sts.calls(), 3);
    let throttled = finding(&report, "AS109");
    assert!(
        throttled["message"]
            .as_str()
            .unwrap()
            .contains("gave up after 3 attempts (--max-attempts)")
    );
    // Medium by the catalogue, but no credentials: the run failed.
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["assume"]["assumed"], Value::Null);
}

#[test]
fn an_unanswered_request_is_as114_and_retried() {
    let sts = StsStandin::start(vec![Answer::HangUp]);
    let setup = Setup::new();
    let (report, _) = json_run(&sts, &setup, &["--max-attempts", "2", "--timeout", "0.5"]);
    assert_eq!(sts.calls(), 2);
    assert!(codes(&report).contains(&"AS114"), "{report:#}");
}

#[test]
fn the_token_is_read_again_before_every_attempt() {
    let setup = Setup::new();
    let path = setup.token_path();
    let replacement = fresh_token(7200);
    let written = replacement.clone();
    // After the first call, the job's token file is refreshed (as IRSA does).
    let sts = StsStandin::with_hook(
        vec![Answer::no_key(), Answer::assumed()],
        Box::new(move |call| {
            if call == 1 {
                std::fs::write(&path, &written).unwrap();
            }
        }),
    );
    let first = std::fs::read_to_string(setup.token_path()).unwrap();
    let (report, output) = json_run(&sts, &setup, &[]);
    // Assumed on the second attempt: AS001, and AS002 (medium) for the
    // retry, which fails the default gate (no --export).
    assert_eq!(codes(&report), ["AS002", "AS001"], "{report:#}");
    assert_eq!(output.status.code(), Some(1));
    let sent: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r["WebIdentityToken"].clone())
        .collect();
    assert_eq!(sent, [first, replacement]);
}

#[test]
fn an_expired_token_is_retried_only_when_the_source_gives_a_fresh_one() {
    // The same token again: one call, and it says why.
    let sts = StsStandin::start(vec![Answer::expired(), Answer::assumed()]);
    let setup = Setup::new();
    let (report, _) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 1);
    let message = finding(&report, "AS106")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("reading the token again gave no fresher token"),
        "{message}"
    );

    // A refreshed file: the second attempt sends the new token and succeeds,
    // although the first had expired long ago (the stop-early check judges
    // the token the next attempt sends, not the refused one).
    let setup = Setup::new();
    setup.write_token(&fresh_token(-900));
    let path = setup.token_path();
    let fresh = fresh_token(3000);
    let written = fresh.clone();
    let sts = StsStandin::with_hook(
        vec![Answer::expired(), Answer::assumed()],
        Box::new(move |call| {
            if call == 1 {
                std::fs::write(&path, &written).unwrap();
            }
        }),
    );
    let (report, _) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 2);
    assert_eq!(sts.requests()[1]["WebIdentityToken"], fresh);
    // TK005: the token first read was expired.
    assert_eq!(codes(&report), ["TK005", "AS002", "AS001"]);
}

#[cfg(unix)]
#[test]
fn a_token_from_a_pipe_is_read_once_and_sent_on_every_attempt() {
    let sts = StsStandin::start(vec![Answer::no_key(), Answer::no_key(), Answer::assumed()]);
    let setup = Setup::new();
    let fifo = setup.dir.path().join("token.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let token = fresh_token(3600);
    let writer = {
        let (fifo, token) = (fifo.clone(), token.clone());
        // One writer, once: a second open of the FIFO would block forever.
        std::thread::spawn(move || std::fs::write(fifo, token).unwrap())
    };
    let mut cmd = oidc_doctor();
    isolate(&mut cmd, &sts, setup.dir.path());
    let output = cmd
        .args([
            "assume",
            "--role-arn",
            ROLE,
            "--deadline",
            "20",
            "--format",
            "json",
            "--token-file",
        ])
        .arg(&fifo)
        .timeout(Duration::from_mins(1))
        .output()
        .unwrap();
    writer.join().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(codes(&report), ["AS002", "AS001"], "{report:#}");
    assert_eq!(output.status.code(), Some(1));
    let sent: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r["WebIdentityToken"].clone())
        .collect();
    assert_eq!(sent, [token.clone(), token.clone(), token]);
}

#[test]
fn retries_stop_before_the_token_is_no_longer_accepted() {
    let sts = StsStandin::start(vec![Answer::no_key()]);
    let setup = Setup::new();
    // Expired 300 s ago: STS's skew ends now, before any next attempt.
    setup.write_token(&fresh_token(-300));
    let (report, _) = json_run(&sts, &setup, &[]);
    assert_eq!(sts.calls(), 1);
    let message = finding(&report, "AS104")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("stopped early: the token is accepted only until"),
        "{message}"
    );
}

#[test]
fn an_invalid_session_name_is_refused_before_any_call() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let output = assume(&sts, &setup, &["--session-name", "dependabot[bot]"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`[]` is not allowed"), "{stderr}");
    assert_eq!(sts.calls(), 0);
}

#[test]
fn export_env_prints_only_shell_lines_on_stdout() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let output = assume(&sts, &setup, &["--export", "env"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        format!("export AWS_ACCESS_KEY_ID='{ACCESS_KEY_ID}'")
    );
    assert_eq!(
        lines[1],
        format!("export AWS_SECRET_ACCESS_KEY='{SECRET_ACCESS_KEY}'")
    );
    assert_eq!(
        lines[2],
        format!("export AWS_SESSION_TOKEN='{SESSION_TOKEN}'")
    );
    assert!(lines[3].starts_with("export AWS_CREDENTIAL_EXPIRATION='20"));
    // The report is on standard error, without the secrets.
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("AS001 assumed"), "{stderr}");
    assert!(!stderr.contains(SECRET_ACCESS_KEY) && !stderr.contains(SESSION_TOKEN));
}

/// The documented exception (README, cli.md): credentials handed to a shell
/// or `credential_process` mean exit 0, whatever the report says; the
/// findings are on standard error. A token expired beyond STS's skew is
/// high TK005 (the stand-in assumes anyway, as a lagging clock would).
#[test]
fn an_export_that_got_credentials_exits_0_with_its_findings_on_stderr() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    setup.write_token(&fresh_token(-600));
    let output = assume(&sts, &setup, &["--export", "env"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("TK005 token-expired (high)"), "{stderr}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("export AWS_ACCESS_KEY_ID=")
    );
    // Without --export the same run fails on the finding.
    let sts = StsStandin::start(vec![Answer::assumed()]);
    assert_eq!(assume(&sts, &setup, &[]).status.code(), Some(1));
}

#[test]
fn a_refusal_without_the_policy_says_how_to_fetch_this_roles_policy() {
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let setup = Setup::new();
    let (report, _) = json_run(&sts, &setup, &[]);
    let help = finding(&report, "AS101")["help"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        help.contains("aws iam get-role --role-name deploy --query"),
        "the command names the role: {help}"
    );
}

/// The secret key and session token reach no report, whatever its format
/// (only `--export` hands them on); the key ID is shown masked.
#[test]
fn no_report_format_carries_the_secrets() {
    let setup = Setup::new();
    for format in ["human", "json", "sarif", "github", "gitlab", "markdown"] {
        let sts = StsStandin::start(vec![Answer::assumed()]);
        let output = assume(&sts, &setup, &["--format", format]);
        assert_eq!(output.status.code(), Some(0), "{format}");
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(SECRET_ACCESS_KEY) && !text.contains(SESSION_TOKEN),
                "{format}: {text}"
            );
            assert!(
                !text.contains(ACCESS_KEY_ID),
                "{format}: the key ID whole: {text}"
            );
        }
    }
}

#[test]
fn a_failed_export_prints_nothing_a_shell_would_run() {
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let setup = Setup::new();
    let output = assume(&sts, &setup, &["--export", "env"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("AS101 access-denied"), "{stderr}");
}

#[test]
fn export_github_env_masks_first_then_appends_the_variables() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let github_env = setup.dir.path().join("github_env");
    std::fs::write(&github_env, "EARLIER=kept\n").unwrap();
    let mut cmd = oidc_doctor();
    isolate(&mut cmd, &sts, setup.dir.path());
    let output = cmd
        .env("GITHUB_ENV", &github_env)
        .args([
            "assume",
            "--role-arn",
            ROLE,
            "--export",
            "github-env",
            "--token-file",
        ])
        .arg(setup.token_path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("::add-mask::{ACCESS_KEY_ID}"),
            format!("::add-mask::{SECRET_ACCESS_KEY}"),
            format!("::add-mask::{SESSION_TOKEN}"),
        ]
    );
    let file = std::fs::read_to_string(&github_env).unwrap();
    assert!(file.starts_with("EARLIER=kept\n"), "appended, not replaced");
    assert!(file.contains(&format!("AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}\n")));
    assert!(file.contains(&format!("AWS_SESSION_TOKEN={SESSION_TOKEN}\n")));
}

#[test]
fn export_github_env_outside_actions_is_an_environment_error() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let output = assume(&sts, &setup, &["--export", "github-env"]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(sts.calls(), 0);
}

/// The AWS SDK's own `credential_process` provider runs the tool and accepts
/// what it prints: the format is right by the consumer's definition.
#[test]
fn credential_process_output_is_accepted_by_the_aws_sdk() {
    use aws_config::credential_process::CredentialProcessProvider;
    use aws_sdk_sts::config::ProvideCredentials as _;

    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let binary = assert_cmd::cargo::cargo_bin("oidc-doctor");
    // The SDK runs the command through `sh -c`, with this test's environment;
    // the script pins the environment the tool sees.
    let script = setup.dir.path().join("credential-process.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec env -i PATH=\"$PATH\" AWS_ENDPOINT_URL_STS='{}' AWS_REGION=us-east-1 \
             AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
             '{}' assume --role-arn {ROLE} --export credential-process --token-file '{}' 2>/dev/null\n",
            sts.url(),
            binary.display(),
            setup.token_path().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let provider = CredentialProcessProvider::new(script.display().to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let credentials = runtime.block_on(provider.provide_credentials()).unwrap();
    assert_eq!(credentials.access_key_id(), ACCESS_KEY_ID);
    assert_eq!(credentials.secret_access_key(), SECRET_ACCESS_KEY);
    assert_eq!(credentials.session_token(), Some(SESSION_TOKEN));
    let expiry = credentials.expiry().expect("Expiration was read");
    let left = expiry.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_mins(50) && left <= Duration::from_hours(1),
        "{left:?}"
    );
}

#[test]
fn twenty_concurrent_cached_assumes_make_exactly_one_sts_call() {
    // STS takes a while, so the invocations really overlap.
    let sts = StsStandin::with_delay(vec![Answer::assumed()], Duration::from_millis(300));
    let setup = Setup::new();
    let binary = assert_cmd::cargo::cargo_bin("oidc-doctor");
    let cache = format!("--cache-dir={}", setup.cache_dir().display());
    let children: Vec<std::process::Child> = (0..20)
        .map(|_| {
            let mut cmd = scrubbed(std::process::Command::new(&binary));
            cmd.env("AWS_ENDPOINT_URL_STS", sts.url())
                .envs(no_aws_setup(setup.dir.path()))
                .args([
                    "assume",
                    "--role-arn",
                    ROLE,
                    "--session-name",
                    "ci",
                    "--export",
                    "json",
                    &cache,
                ])
                .arg("--token-file")
                .arg(setup.token_path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut keys = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let exported: Value = serde_json::from_slice(&output.stdout).unwrap();
        keys.push(exported["SessionToken"].as_str().unwrap().to_owned());
    }
    assert_eq!(sts.calls(), 1, "one STS call for 20 invocations");
    assert!(keys.iter().all(|k| k == SESSION_TOKEN));
}

#[cfg(unix)]
#[test]
fn the_cache_is_private_reused_and_heals_a_corrupt_entry() {
    use std::os::unix::fs::PermissionsExt as _;
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let cache = format!("--cache-dir={}", setup.cache_dir().display());
    let (first, _) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(first["assume"]["cache"]["hit"], false);
    let (second, _) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(second["assume"]["cache"]["hit"], true);
    assert_eq!(sts.calls(), 1);
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(setup.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 1);
    let mode = std::fs::metadata(&entries[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(setup.cache_dir())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    // A corrupt entry is not fatal: STS is called again and the entry replaced.
    std::fs::write(&entries[0], "{\"version\": 1, \"access").unwrap();
    let (third, output) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(codes(&third), ["AS001"], "{third:#}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(sts.calls(), 2);
    assert!(
        third["assume"]["cache"]["miss"]
            .as_str()
            .unwrap()
            .contains("unreadable")
    );
    let (fourth, _) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(fourth["assume"]["cache"]["hit"], true);
    assert_eq!(sts.calls(), 2);
}

#[test]
fn the_cache_is_per_identity_and_never_stands_in_for_an_expired_token() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let cache = format!("--cache-dir={}", setup.cache_dir().display());
    let with_workflow = |workflow: &str, lifetime: i64| {
        let mut claims = claims(ISS, lifetime);
        claims["job_workflow_ref"] = Value::String(format!(
            "acme/app/.github/workflows/{workflow}@refs/heads/main"
        ));
        signed_token("test-rsa", &claims)
    };
    setup.write_token(&with_workflow("deploy.yml", 3600));
    json_run(&sts, &setup, &[&cache]);
    // The same `sub`, another workflow: another identity, another entry.
    setup.write_token(&with_workflow("other.yml", 3600));
    let (other, _) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(other["assume"]["cache"]["hit"], false);
    assert_eq!(sts.calls(), 2);
    // The first identity again, with its token expired: STS decides, not the cache.
    setup.write_token(&with_workflow("deploy.yml", -400));
    let (expired, _) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(expired["assume"]["cache"]["hit"], false);
    assert!(
        expired["assume"]["cache"]["miss"]
            .as_str()
            .unwrap()
            .contains("has expired")
    );
    assert_eq!(sts.calls(), 3);
}

#[test]
fn an_sts_error_text_is_quoted_as_an_excerpt_whatever_its_size() {
    let huge = "m".repeat(200_000);
    let sts = StsStandin::start(vec![Answer::error(400, "InvalidIdentityToken", &huge)]);
    let setup = Setup::new();
    let (report, output) = json_run(&sts, &setup, &[]);
    assert!(
        output.stdout.len() < 32 * 1024,
        "{} bytes",
        output.stdout.len()
    );
    let text = report["findings"].to_string();
    assert!(text.contains("… (200000 characters in all)"), "{text}");
}

#[test]
fn a_policy_file_that_cannot_be_used_is_a_usage_error_before_any_call() {
    let sts = StsStandin::start(vec![Answer::access_denied()]);
    let setup = Setup::new();
    let save = "aws iam get-role --role-name deploy --query Role.AssumeRolePolicyDocument";
    let output = assume(&sts, &setup, &["--policy", "no/such/policy.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read policy file `no/such/policy.json`"),
        "{stderr}"
    );
    assert_eq!(sts.calls(), 0);
    let dir = setup.dir.path().to_str().unwrap().to_owned();
    let output = assume(&sts, &setup, &["--policy", &dir]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("Is a directory"), "{stderr}");
    assert_eq!(sts.calls(), 0);
    // A JSON file that holds no trust policy: the help names this role.
    let other = setup.dir.path().join("package.json");
    std::fs::write(&other, r#"{"name": "app"}"#).unwrap();
    let output = assume(&sts, &setup, &["--policy", other.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("it holds no trust policy"), "{stderr}");
    let words: String = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains(save), "{stderr}");
    assert_eq!(sts.calls(), 0);
}

#[test]
fn a_lock_file_planted_as_a_link_is_not_followed() {
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let cache = format!("--cache-dir={}", setup.cache_dir().display());
    // A first run makes the entry's lock: its name is the entry's.
    assert_eq!(assume(&sts, &setup, &[&cache]).status.code(), Some(0));
    let lock = std::fs::read_dir(setup.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "lock"))
        .expect("a lock file");
    std::fs::remove_file(&lock).unwrap();
    for entry in std::fs::read_dir(setup.cache_dir()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let target = setup.dir.path().join("planted-target");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let (report, output) = json_run(&sts, &setup, &[&cache]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!target.exists(), "the link's target was created");
    let miss = report["assume"]["cache"]["miss"].as_str().unwrap();
    assert!(miss.contains("lock could not be opened"), "{miss}");
}

#[test]
fn github_env_made_by_the_export_is_the_users_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let setup = Setup::new();
    let env_file = setup.dir.path().join("github-env");
    let mut cmd = oidc_doctor();
    isolate(&mut cmd, &sts, setup.dir.path());
    let output = cmd
        .env("GITHUB_ENV", &env_file)
        .args([
            "assume",
            "--role-arn",
            ROLE,
            "--session-name",
            "ci",
            "--export",
            "github-env",
            "--token-file",
        ])
        .arg(setup.token_path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_network_failure_is_said_in_words_not_debug_dumps() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let setup = Setup::new();
    let output = oidc_doctor()
        .envs(no_aws_setup(setup.dir.path()))
        .env("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}"))
        .args([
            "assume",
            "--role-arn",
            ROLE,
            "--session-name",
            "ci",
            "--max-attempts",
            "1",
        ])
        .args(["--format", "json", "--token-file"])
        .arg(setup.token_path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = finding(&report, "AS114")["message"].as_str().unwrap();
    assert!(message.contains("Connection refused"), "{message}");
    for dump in ["DispatchFailure(", "ConnectorError", "{ kind:", "Some("] {
        assert!(!message.contains(dump), "{dump} in {message}");
    }
}
