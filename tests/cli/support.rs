//! Shared helpers: a scrubbed command, fixture paths, the fixture instant.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::pem::PemObject as _;
use serde_json::json;

/// Every time-based fixture is built around this instant.
pub const FIXTURE_NOW: &str = "2026-06-01T12:00:00Z";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(relative: &str) -> PathBuf {
    root().join("fixtures").join(relative)
}

/// The binary with an environment free of anything that changes its
/// behaviour: AWS, GitHub Actions, colour and format variables.
pub fn oidc_doctor() -> Command {
    let mut cmd = Command::cargo_bin("oidc-doctor").expect("binary built");
    for key in scrubbed_variables() {
        cmd.env_remove(&key);
    }
    cmd.current_dir(root());
    cmd
}

/// Variables that change the tool's behaviour: never inherited by tests.
fn scrubbed_variables() -> impl Iterator<Item = String> {
    std::env::vars_os()
        .map(|(key, _)| key.to_string_lossy().into_owned())
        .filter(|key| {
            ["AWS_", "GITHUB_", "ACTIONS_", "OIDC_DOCTOR_"]
                .iter()
                .any(|prefix| key.starts_with(prefix))
                || ["NO_COLOR", "CLICOLOR_FORCE", "COLUMNS", "SSL_CERT_FILE"]
                    .contains(&key.as_str())
                // Proxies would send the requests to the local issuer elsewhere.
                || key.to_ascii_lowercase().ends_with("_proxy")
        })
}

/// The same scrubbing for a plain process (when the test needs the pipes).
pub fn scrubbed(mut cmd: std::process::Command) -> std::process::Command {
    for key in scrubbed_variables() {
        cmd.env_remove(&key);
    }
    cmd.current_dir(root());
    cmd
}

/// Runs `decode --format json --at FIXTURE_NOW` on a file and returns the report.
pub fn decode_json(path: &Path) -> serde_json::Value {
    let output = oidc_doctor()
        .args([
            "decode",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--at",
            FIXTURE_NOW,
        ])
        .arg(path)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

/// The codes in a JSON report.
pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

/// The third part of a JWT file's token: what must never be printed.
pub fn signature_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("fixture");
    text.trim().rsplit('.').next().expect("parts").to_owned()
}

/// A token with these claims, signed now with the test RSA key under `kid`
/// (with aws-lc-rs, not the jsonwebtoken crate the tool verifies with).
pub fn signed_token(kid: &str, claims: &serde_json::Value) -> String {
    let pem = std::fs::read(fixture("keys/test-rsa.private.pem")).expect("test key");
    let der = PrivatePkcs8KeyDer::from_pem_slice(&pem).expect("PEM");
    let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).expect("RSA key");
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .expect("sign");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `dir/token.jwt`: a GitHub Actions token issued now, valid for an hour,
/// signed with the test key; the path.
pub fn github_token_file(dir: &Path) -> PathBuf {
    let path = dir.join("token.jwt");
    std::fs::write(
        &path,
        signed_token(
            "test-rsa",
            &claims("https://token.actions.githubusercontent.com", 3600),
        ),
    )
    .expect("writing the token");
    path
}

/// GitHub-style claims from `iss`, issued now, expiring in `lifetime` seconds.
pub fn claims(iss: &str, lifetime: i64) -> serde_json::Value {
    let now = jiff::Timestamp::now().as_second();
    json!({
        "iss": iss,
        "sub": "repo:acme/app:ref:refs/heads/main",
        "aud": "sts.amazonaws.com",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    })
}

/// The AWS environment of a machine with none of its own: no profile or
/// credentials files (paths in `dir` that do not exist), no instance
/// metadata, region us-east-1. For `.envs(...)` on any command.
pub fn no_aws_setup(dir: &Path) -> [(&'static str, std::ffi::OsString); 4] {
    [
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_CONFIG_FILE", dir.join("no-config").into_os_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-credentials").into_os_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// The README's offline `check` example: its inputs, as paths relative to
/// the repository root (the tests run there).
pub const CHECK_EXAMPLE: [&str; 10] = [
    "--token-file",
    "fixtures/examples/check/token.jwt",
    "--role-arn",
    "arn:aws:iam::123456789012:role/deploy",
    "--policy",
    "fixtures/examples/check/trust-policy.json",
    "--provider-json",
    "fixtures/examples/check/provider.json",
    "--jwks",
    "fixtures/keys/test-jwks.json",
];

/// The first finding of a JSON report with this code; the report is shown
/// when there is none.
pub fn finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// The codes in a JSON report, sorted.
pub fn sorted_codes(report: &serde_json::Value) -> Vec<String> {
    let mut codes = codes(report);
    codes.sort();
    codes
}

/// `oidc-doctor lint --format json ARGS`: the exit code and the report
/// (`null` when the output is not JSON); never a panic on standard error.
pub fn lint_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = oidc_doctor()
        .arg("lint")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("running lint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
    )
}
