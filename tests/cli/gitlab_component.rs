//! The GitLab CI/CD component (templates/oidc-doctor.yml): it parses as a
//! component (a `spec: inputs` header, then the job), its commands use flags
//! the binary has, and its script, run with a fake job environment, writes
//! a valid Code Quality report, hands on none when the tool could not run,
//! and installs only an archive that matches the release's SHA256SUMS.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yaml_rust2::{Yaml, YamlLoader};

use crate::gitlab_format::assert_valid;
use crate::support::root;

fn component() -> Vec<Yaml> {
    let text = std::fs::read_to_string(root().join("templates/oidc-doctor.yml")).unwrap();
    YamlLoader::load_from_str(&text).unwrap()
}

fn script() -> String {
    let docs = component();
    let job = &docs[1]["oidc-doctor-$[[ inputs.command ]]"];
    job["script"][0].as_str().unwrap().to_owned()
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_oidc-doctor"))
}

/// Runs the job's script in `dir` as the runner would, with `vars`.
fn run(dir: &Path, vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script()).current_dir(dir).env_clear();
    cmd.env("PATH", std::env::var_os("PATH").unwrap());
    for (key, value) in [
        ("OIDC_DOCTOR_COMMAND", "lint"),
        ("OIDC_DOCTOR_FAIL_ON", "high"),
        ("OIDC_DOCTOR_ROLE_ARN", ""),
        ("OIDC_DOCTOR_VERSION", "v0.1.0"),
    ] {
        cmd.env(key, value);
    }
    for (key, value) in vars {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

#[test]
fn the_component_declares_its_inputs_and_reports() {
    let docs = component();
    assert_eq!(docs.len(), 2, "a spec header and the job");
    let inputs = &docs[0]["spec"]["inputs"];
    for input in [
        "stage", "command", "paths", "fail-on", "role-arn", "audience", "version", "image",
    ] {
        assert!(!inputs[input]["default"].is_badvalue(), "input {input}");
    }
    let commands: Vec<&str> = inputs["command"]["options"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(commands, ["lint", "check"]);
    let job = &docs[1]["oidc-doctor-$[[ inputs.command ]]"];
    assert_eq!(
        job["artifacts"]["reports"]["codequality"].as_str(),
        Some("gl-code-quality-report.json")
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    assert!(!job["id_tokens"]["OIDC_DOCTOR_ID_TOKEN"]["aud"].is_badvalue());
    // No input is pasted into the script: they arrive as variables.
    assert!(!script().contains("$[["), "{}", script());
    // Every flag the script passes exists.
    for (command, flags) in [
        ("lint", &["--format", "--fail-on"][..]),
        (
            "check",
            &[
                "--token-env",
                "--format",
                "--fail-on",
                "--quiet",
                "--role-arn",
            ][..],
        ),
    ] {
        let help = Command::new(binary())
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in flags {
            assert!(help.contains(flag), "{command} {flag}");
            assert!(script().contains(flag));
        }
    }
    assert!(script().contains("--format gitlab"));
}

#[test]
fn lint_writes_the_code_quality_report_and_fails_on_findings() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/lint/terraform/module-github-bad");
    let bin = binary();
    let out = run(
        dir.path(),
        &[
            ("OIDC_DOCTOR_BIN", bin.to_str().unwrap()),
            ("OIDC_DOCTOR_PATHS", fixture.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report = std::fs::read_to_string(dir.path().join("gl-code-quality-report.json")).unwrap();
    assert_valid(&report);
    assert!(report.contains("\"check_name\": \"TP601\""), "{report}");

    // A usage error: no report is handed on, and the job fails.
    let out = run(
        dir.path(),
        &[
            ("OIDC_DOCTOR_BIN", bin.to_str().unwrap()),
            ("OIDC_DOCTOR_PATHS", fixture.to_str().unwrap()),
            ("OIDC_DOCTOR_FAIL_ON", "sometimes"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("gl-code-quality-report.json").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no report"));
}

/// A release under `dir/release/download/v0.1.0/` holding an archive of
/// this machine's target with a stand-in for the binary, and SHA256SUMS (`good`:
/// the archive's sum, else another).
fn fake_release(dir: &Path, good: bool) -> String {
    let target = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    };
    let release = dir.join("release/download/v0.1.0");
    let staging = dir.join("staging");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    // A stand-in that runs the built binary: the archive stays small.
    let stand_in = staging.join("oidc-doctor");
    std::fs::write(
        &stand_in,
        format!("#!/bin/sh\nexec '{}' \"$@\"\n", binary().display()),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&stand_in).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&stand_in, permissions).unwrap();
    let asset = format!("oidc-doctor-{target}.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(release.join(&asset))
        .arg("-C")
        .arg(&staging)
        .arg("oidc-doctor")
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Command::new("sha256sum")
        .arg(release.join(&asset))
        .output()
        .unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    let sum = sum.split_whitespace().next().unwrap().to_owned();
    let listed = if good { sum } else { "0".repeat(64) };
    std::fs::write(release.join("SHA256SUMS"), format!("{listed}  {asset}\n")).unwrap();
    format!("file://{}", dir.join("release").display())
}

#[test]
fn the_release_archive_is_installed_only_when_it_matches_its_sum() {
    let fixture = root().join("fixtures/lint/terraform/jsonencode-ok");
    let dir = tempfile::tempdir().unwrap();
    let base = fake_release(dir.path(), true);
    let out = run(
        dir.path(),
        &[
            ("OIDC_DOCTOR_RELEASE_BASE_URL", &base),
            ("OIDC_DOCTOR_PATHS", fixture.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_valid(&std::fs::read_to_string(dir.path().join("gl-code-quality-report.json")).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let base = fake_release(dir.path(), false);
    let out = run(
        dir.path(),
        &[
            ("OIDC_DOCTOR_RELEASE_BASE_URL", &base),
            ("OIDC_DOCTOR_PATHS", fixture.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"),
        "{out:?}"
    );
    assert!(!dir.path().join("gl-code-quality-report.json").exists());
}

#[test]
fn the_gitlab_page_snippets_parse_and_their_commands_exist() {
    let page = std::fs::read_to_string(root().join("docs/gitlab.md")).unwrap();
    let mut snippets = 0;
    for block in page.split("```yaml\n").skip(1) {
        let yaml = block.split("\n```").next().unwrap();
        let docs = YamlLoader::load_from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(docs.len(), 1, "{yaml}");
        snippets += 1;
    }
    assert_eq!(snippets, 4);
    // Each `oidc-doctor SUBCOMMAND --flag` of the page is accepted.
    for line in page
        .lines()
        .filter(|l| l.contains("oidc-doctor lint") || l.contains("oidc-doctor check"))
    {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '`')
            .filter(|w| !w.is_empty())
            .collect();
        let Some(at) = words.iter().position(|w| *w == "oidc-doctor") else {
            continue;
        };
        let command = words[at + 1];
        let help = Command::new(binary())
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in words[at + 2..].iter().filter(|w| w.starts_with("--")) {
            assert!(help.contains(flag), "{line}: {command} has no {flag}");
        }
    }
}
