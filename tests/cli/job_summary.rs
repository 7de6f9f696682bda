//! `--summary`: `check` and `lint` append the Markdown report to the
//! GitHub Actions job summary, whatever format they print, and say so when
//! there is no summary to write to.

use crate::support::{CHECK_EXAMPLE, oidc_doctor};

#[test]
fn lint_appends_the_report_to_the_job_summary_and_prints_its_own_format() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "## An earlier step\n").unwrap();
    let out = oidc_doctor()
        .args(["lint", "--format", "github", "--summary"])
        .arg("fixtures/lint/terraform/module-github-bad")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("::error "), "{stdout}");
    let text = std::fs::read_to_string(&summary).unwrap();
    // Appended after what an earlier step wrote, as Markdown.
    assert!(text.starts_with("## An earlier step\n"), "{text}");
    assert!(text.contains("TP601"), "{text}");
    assert!(text.contains("module-github-bad/main.tf"), "{text}");
    assert!(!text.contains("::error"), "{text}");
}

#[test]
fn check_puts_the_root_cause_on_the_run_page_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    let token = std::fs::read_to_string(CHECK_EXAMPLE[1]).unwrap();
    let token = token.trim();
    let mut args: Vec<&str> = vec![
        "check",
        "--offline",
        "--quiet",
        "--summary",
        "--token",
        token,
    ];
    // The example's inputs, with the token given inline instead of by file.
    args.extend_from_slice(&CHECK_EXAMPLE[2..]);
    let out = oidc_doctor()
        .args(&args)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("## Root cause: [EV001 policy-refuses-token]"),
        "{text}"
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(!text.contains(signature), "{text}");
    assert!(!text.contains(token), "{text}");
}

#[test]
fn without_a_job_summary_it_says_so_and_keeps_the_exit_code() {
    let out = oidc_doctor()
        .args(["lint", "--summary", "fixtures/lint/terraform/jsonencode-ok"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--summary: GITHUB_STEP_SUMMARY is not set"),
        "{stderr}"
    );
    // A summary file that cannot be written is said too.
    let out = oidc_doctor()
        .args(["lint", "--summary", "fixtures/lint/terraform/jsonencode-ok"])
        .env("GITHUB_STEP_SUMMARY", "/nonexistent-dir/summary.md")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot append to /nonexistent-dir/summary.md"),
        "{stderr}"
    );
}
