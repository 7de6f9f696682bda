//! Shared helpers: a scrubbed command, fixture paths, the fixture instant.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
