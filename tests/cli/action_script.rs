//! The GitHub Action (action.yml, scripts/action/{install,run}.sh) run as a
//! job would run it: a fake runner in a temp dir (`GITHUB_ENV`,
//! `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `RUNNER_*`), the Actions token
//! endpoint, STS and the issuer as the stand-ins on 127.0.0.1, the built
//! binary through `OIDC_DOCTOR_BIN`, and releases served by `file://`.
//! Also: the docs' YAML snippets parse, and their command lines use flags
//! the binary accepts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

use crate::actions_runtime::{ActionsRuntime, REQUEST_TOKEN};
use crate::sts_standin::{Answer, StsStandin};
use crate::support::{no_aws_setup, root, scrubbed, signed_token};
use crate::test_issuer::{Behaviour, TestIssuer};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";

/// A job's runner: its files and directories in a temp dir.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("temp")).unwrap();
        Runner { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `bash scripts/action/<script> args` in the runner's environment.
    fn script(&self, script: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = scrubbed(std::process::Command::new("bash"));
        cmd.arg(root().join("scripts/action").join(script))
            .args(args)
            .envs(no_aws_setup(self.dir.path()))
            .env("HOME", self.path("home"))
            .env("XDG_CACHE_HOME", self.path("home/.cache"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("temp"))
            .env("GITHUB_ENV", self.path("github_env"))
            .env("GITHUB_OUTPUT", self.path("github_output"))
            .env("GITHUB_STEP_SUMMARY", self.path("step_summary"))
            .env("OIDC_DOCTOR_BIN", env!("CARGO_BIN_EXE_oidc-doctor"))
            // Nothing here may reach past 127.0.0.1.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
        cmd
    }

    /// `run.sh` for `command` with these inputs.
    fn action(&self, command: &str, inputs: &[(&str, &str)]) -> std::process::Command {
        let mut cmd = self.script("run.sh", &[]);
        cmd.env("OIDC_DOCTOR_INPUT_COMMAND", command);
        for (name, value) in inputs {
            cmd.env(format!("OIDC_DOCTOR_INPUT_{name}"), value);
        }
        cmd
    }

    /// The step outputs written so far.
    fn outputs(&self) -> BTreeMap<String, String> {
        read(&self.path("github_output"))
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn summary(&self) -> String {
        read(&self.path("step_summary"))
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The lint report of `path` as JSON, from the binary itself.
fn lint_json(path: &str) -> Value {
    let output = crate::support::oidc_doctor()
        .args(["lint", "--format", "json", "--fail-on", "never", path])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn lint_with_findings_hands_on_the_sarif_file_the_verdict_and_annotations() {
    let runner = Runner::new();
    let path = "fixtures/lint/cn-audience-role.json";
    let expected = lint_json(path)["findings"].as_array().unwrap().len();
    assert!(expected > 0, "the fixture has findings");
    let output = runner.action("lint", &[("PATHS", path)]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "fails");
    assert_eq!(outputs["findings"], expected.to_string());
    let sarif: Value = serde_json::from_str(&read(Path::new(&outputs["sarif-file"]))).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        expected
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let annotations = stdout
        .lines()
        .filter(|l| {
            ["::error file=", "::warning file=", "::notice file="]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .count();
    assert_eq!(annotations, expected, "{stdout}");
    assert!(
        runner.summary().contains(&format!("{expected} findings")),
        "{}",
        runner.summary()
    );
}

#[test]
fn lint_of_the_example_policies_is_clean() {
    let runner = Runner::new();
    let output = runner
        .action(
            "lint",
            &[("PATHS", "fixtures/examples/policies"), ("FAIL_ON", "info")],
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let outputs = runner.outputs();
    assert_eq!((&*outputs["verdict"], &*outputs["findings"]), ("ok", "0"));
    assert!(Path::new(&outputs["sarif-file"]).is_file());
}

#[test]
fn lint_that_cannot_complete_fails_and_hands_on_no_sarif_file() {
    // A missing file (exit 2), several paths one per line.
    let runner = Runner::new();
    let output = runner
        .action(
            "lint",
            &[(
                "PATHS",
                "fixtures/lint/get-role.json\n  no/such file.json\n",
            )],
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(!runner.outputs().contains_key("sarif-file"));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("::error title=oidc-doctor::oidc-doctor lint failed with exit status 2"),
        "{}",
        text(&output)
    );
    let left: Vec<_> = walk(&runner.path("temp"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sarif"))
        .collect();
    assert!(left.is_empty(), "no SARIF file is left behind: {left:?}");
    // A format the binary does not know: a usage error too.
    let runner = Runner::new();
    let output = runner
        .action(
            "lint",
            &[("PATHS", "fixtures/lint/get-role.json"), ("FORMAT", "yaml")],
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(!runner.outputs().contains_key("sarif-file"));
    // A command the action does not have.
    let output = Runner::new()
        .action("scan\n::error::x", &[])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("::error::x"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A job whose login STS refuses: a local issuer, the Actions runtime
/// minting its tokens, STS answering `AccessDenied`.
struct RefusedJob {
    issuer: TestIssuer,
    runtime: ActionsRuntime,
    sts: StsStandin,
}

impl RefusedJob {
    fn start() -> RefusedJob {
        let issuer = TestIssuer::start(Behaviour::default());
        let iss = issuer.url();
        let runtime = ActionsRuntime::start(Box::new(move |audience| {
            let now = jiff::Timestamp::now().as_second();
            signed_token(
                "test-rsa-1",
                &json!({"iss": iss, "sub": "repo:acme/app:ref:refs/heads/main", "aud": audience,
                        "iat": now, "nbf": now, "exp": now + 600}),
            )
        }));
        let sts = StsStandin::start(vec![Answer::access_denied()]);
        RefusedJob {
            issuer,
            runtime,
            sts,
        }
    }

    fn in_job(&self, cmd: &mut std::process::Command) {
        cmd.env("ACTIONS_ID_TOKEN_REQUEST_URL", self.runtime.url())
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
            .env("AWS_ENDPOINT_URL_STS", self.sts.url())
            .env("SSL_CERT_FILE", self.issuer.ca_bundle());
    }
}

/// What a failing login shows: the step fails, the summary holds the
/// runbook with its verdict and root cause, the outputs say so.
fn assert_refused(runner: &Runner, output: &Output) {
    assert_eq!(output.status.code(), Some(1), "{}", text(output));
    let summary = runner.summary();
    assert!(
        summary.starts_with("# oidc-doctor check: the login fails\n"),
        "{summary}"
    );
    assert!(summary.contains("## Root cause: [AS101"), "{summary}");
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "fails");
    let findings: usize = outputs["findings"].parse().unwrap();
    assert!(
        summary.contains(&format!(" {findings} findings: ")),
        "{summary}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("::error title=oidc-doctor::the login fails: the root cause and its fix are in the job summary"), "{stdout}");
    for shown in [
        &*stdout,
        &*String::from_utf8_lossy(&output.stderr),
        &*summary,
    ] {
        assert!(!shown.contains(REQUEST_TOKEN));
    }
}

#[test]
fn check_in_a_failing_job_puts_the_verdict_in_the_summary() {
    let job = RefusedJob::start();
    let runner = Runner::new();
    let mut cmd = runner.action("check", &[("ROLE_ARN", ROLE)]);
    job.in_job(&mut cmd);
    let output = cmd.output().unwrap();
    assert_refused(&runner, &output);
    assert_eq!(job.runtime.audiences(), ["sts.amazonaws.com"]);
    assert_eq!(job.sts.calls(), 1);
}

#[test]
fn assume_that_is_refused_runs_check_and_exports_nothing() {
    let job = RefusedJob::start();
    let runner = Runner::new();
    let mut cmd = runner.action(
        "assume",
        &[("ROLE_ARN", ROLE), ("AUDIENCE", "sts.amazonaws.com")],
    );
    job.in_job(&mut cmd);
    let output = cmd.output().unwrap();
    assert_refused(&runner, &output);
    assert!(
        !read(&runner.path("github_env")).contains("AWS_"),
        "no credentials"
    );
    // One login by assume, one by check's assume stage.
    assert_eq!(job.sts.calls(), 2);
    assert!(String::from_utf8_lossy(&output.stdout).contains("::group::oidc-doctor check"));
}

#[test]
fn assume_masks_every_secret_before_it_reaches_github_env_and_caches_the_login() {
    // The same token every time: the cache keys on the token's identity.
    let token = signed_token(
        "test-rsa",
        &crate::support::claims("https://token.actions.githubusercontent.com", 3600),
    );
    let runtime = ActionsRuntime::start(Box::new(move |_| token.clone()));
    let sts = StsStandin::start(vec![Answer::assumed()]);
    let runner = Runner::new();
    // Standard output (the log, where the runner reads ::add-mask::) and
    // $GITHUB_ENV are one file: its order is the order of the writes.
    let both = runner.path("github_env");
    let run = || {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&both)
            .unwrap();
        let mut cmd = runner.action(
            "assume",
            &[
                ("ROLE_ARN", ROLE),
                ("AWS_REGION", "eu-west-1"),
                ("SESSION_NAME", "GitHubActions"),
            ],
        );
        cmd.env("ACTIONS_ID_TOKEN_REQUEST_URL", runtime.url())
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .stdout(log);
        cmd.output().unwrap()
    };
    let output = run();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let written = read(&both);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        let line = written
            .lines()
            .find(|l| l.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in GITHUB_ENV:\n{written}"));
        let value = &line[name.len() + 1..];
        assert!(!value.is_empty());
        let first = written.find(value).unwrap();
        assert!(
            written[..first].ends_with("::add-mask::"),
            "{name} appears before its mask:\n{written}"
        );
    }
    assert!(
        written.contains("\nAWS_REGION=eu-west-1\nAWS_DEFAULT_REGION=eu-west-1\n"),
        "{written}"
    );
    assert_eq!(runner.outputs()["verdict"], "ok");
    assert!(runner.summary().is_empty(), "nothing to explain");
    // A second step of the job: the cached credentials, no STS call.
    let output = run();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(sts.calls(), 1, "the second login came from the cache");
    assert!(runner.path("temp/oidc-doctor-credentials").is_dir());
}

#[test]
fn assume_refuses_a_region_that_could_add_lines_to_github_env() {
    let runner = Runner::new();
    let output = runner
        .action(
            "assume",
            &[("AWS_REGION", "eu-west-1\nAWS_ACCESS_KEY_ID=x")],
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(read(&runner.path("github_env")).is_empty());
}

const TARGET: &str = "x86_64-unknown-linux-musl";

/// A release `v9.9.9` in `runner/releases`, as the release workflow lays it
/// out: an archive holding a stand-in `oidc-doctor` (a script that leaves
/// `ran` beside it when run) and `SHA256SUMS` (with `sums` as its text when
/// given, else the archive's true sum). The release base URL.
fn fake_release(runner: &Runner, sums: Option<&str>) -> String {
    let release = runner.path("releases/download/v9.9.9");
    let build = runner.path("build");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::create_dir_all(&build).unwrap();
    let marker = runner.path("ran");
    std::fs::write(
        build.join("oidc-doctor"),
        format!(
            "#!/bin/sh\ntouch '{}'\necho 'oidc-doctor 9.9.9 (stand-in)'\n",
            marker.display()
        ),
    )
    .unwrap();
    make_executable(&build.join("oidc-doctor"));
    let archive = release.join(format!("oidc-doctor-{TARGET}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&build)
        .arg("oidc-doctor")
        .status()
        .unwrap();
    assert!(status.success());
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &std::fs::read(&archive).unwrap(),
    );
    let hex = digest.as_ref().iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let sums = sums.map_or_else(
        || format!("{hex}  oidc-doctor-{TARGET}.tar.gz\n"),
        str::to_owned,
    );
    std::fs::write(release.join("SHA256SUMS"), sums).unwrap();
    format!("file://{}", runner.path("releases").display())
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `install.sh resolve` then `install.sh install` for v9.9.9 from `base`.
fn install(runner: &Runner, base: &str, extra: &[(&str, &str)]) -> Output {
    let configure = |cmd: &mut std::process::Command| {
        cmd.env_remove("OIDC_DOCTOR_BIN")
            .env("OIDC_DOCTOR_VERSION", "v9.9.9")
            .env("OIDC_DOCTOR_RELEASE_BASE_URL", base)
            .env("RUNNER_TOOL_CACHE", runner.path("toolcache"))
            .envs(extra.iter().copied());
    };
    let mut resolve = runner.script("install.sh", &["resolve"]);
    configure(&mut resolve);
    let output = resolve.output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let dir = runner.outputs()["dir"].clone();
    let mut install = runner.script("install.sh", &["install"]);
    configure(&mut install);
    install
        .env("OIDC_DOCTOR_INSTALL_DIR", dir)
        .output()
        .unwrap()
}

#[test]
fn the_installer_verifies_the_release_archive_and_installs_it() {
    let runner = Runner::new();
    let base = fake_release(&runner, None);
    let output = install(&runner, &base, &[]);
    assert!(output.status.success(), "{}", text(&output));
    let outputs = runner.outputs();
    assert_eq!(outputs["version"], "v9.9.9");
    assert_eq!(outputs["target"], TARGET);
    assert_eq!(outputs["cacheable"], "true");
    let bin = PathBuf::from(&outputs["bin"]);
    assert_eq!(
        bin,
        runner.path(&format!(
            "toolcache/oidc-doctor/v9.9.9/{TARGET}/oidc-doctor"
        ))
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("oidc-doctor-{TARGET}.tar.gz matches SHA256SUMS")),
        "{stderr}"
    );
    assert!(
        stderr.contains("installed oidc-doctor 9.9.9 (stand-in)"),
        "{stderr}"
    );
    // Again, as after a cache hit: the kept archive is checked again.
    let output = install(&runner, &base, &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the cached"));
}

#[test]
fn an_archive_that_does_not_match_its_sum_is_refused_and_never_run() {
    let runner = Runner::new();
    let wrong = format!("{}  oidc-doctor-{TARGET}.tar.gz\n", "0".repeat(64));
    let base = fake_release(&runner, Some(&wrong));
    let fake_cargo = runner.path("cargo-called");
    let output = install(
        &runner,
        &base,
        &[("OIDC_DOCTOR_CARGO", fake_cargo.to_str().unwrap())],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("::error title=oidc-doctor install::checksum mismatch for oidc-doctor-{TARGET}.tar.gz: SHA256SUMS says {}", "0".repeat(64))),
        "{}",
        text(&output)
    );
    assert!(stdout.contains("refusing to install it"));
    assert!(!runner.path("ran").exists(), "the download was run");
    assert!(!runner.outputs().contains_key("bin"));
    assert!(
        !walk(&runner.path("toolcache"))
            .iter()
            .any(|p| p.ends_with("oidc-doctor"))
    );
    assert!(
        !fake_cargo.exists(),
        "a bad archive is no reason to build from source"
    );
}

/// A stand-in for cargo: records its arguments, installs the stand-in binary.
fn fake_cargo(runner: &Runner) -> PathBuf {
    let path = runner.path("cargo");
    std::fs::write(
        &path,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\"\nprintf '#!/bin/sh\\necho oidc-doctor from source\\n' > \"$2/bin/oidc-doctor\"\nchmod +x \"$2/bin/oidc-doctor\"\n",
            runner.path("cargo-args").display()
        ),
    )
    .unwrap();
    make_executable(&path);
    path
}

#[test]
fn without_an_archive_for_the_runner_the_installer_says_why_and_uses_cargo() {
    // The sums list no archive for this target.
    let runner = Runner::new();
    let base = fake_release(&runner, Some("abc  oidc-doctor-other.tar.gz\n"));
    let cargo = fake_cargo(&runner);
    let output = install(
        &runner,
        &base,
        &[("OIDC_DOCTOR_CARGO", cargo.to_str().unwrap())],
    );
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("falling back to cargo install --locked: release v9.9.9 lists no oidc-doctor-{TARGET}.tar.gz in its SHA256SUMS")),
        "{stderr}"
    );
    let dir = runner.outputs()["dir"].clone();
    assert_eq!(
        read(&runner.path("cargo-args")),
        format!(
            "install\n--locked\n--root\n{dir}\n--git\nhttps://github.com/oidc-doctor/oidc-doctor\n--tag\nv9.9.9\noidc-doctor\n"
        )
    );
    assert!(
        stderr.contains("installed oidc-doctor from source"),
        "{stderr}"
    );
    // No release at all, and a runner the release has no build for.
    for (os, arch, why) in [
        ("Linux", "X64", "no SHA256SUMS in release v9.9.9"),
        (
            "FreeBSD",
            "X64",
            "the release has no archive for FreeBSD/X64",
        ),
    ] {
        let runner = Runner::new();
        let cargo = fake_cargo(&runner);
        let base = format!("file://{}", runner.path("nothing").display());
        let output = install(
            &runner,
            &base,
            &[
                ("OIDC_DOCTOR_CARGO", cargo.to_str().unwrap()),
                ("RUNNER_OS", os),
                ("RUNNER_ARCH", arch),
            ],
        );
        assert!(output.status.success(), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("falling back to cargo install --locked: {why}")),
            "{stderr}"
        );
    }
}

#[test]
fn the_installer_picks_the_target_and_version_of_the_runner_and_the_action() {
    let cases = [
        (
            "Linux",
            "X64",
            "",
            "v1.2.3",
            "x86_64-unknown-linux-musl",
            "v1.2.3",
            "true",
        ),
        (
            "Linux",
            "ARM64",
            "",
            "main",
            "aarch64-unknown-linux-musl",
            "latest",
            "false",
        ),
        (
            "macOS",
            "X64",
            "0.3.0",
            "v1.2.3",
            "x86_64-apple-darwin",
            "v0.3.0",
            "true",
        ),
        (
            "macOS",
            "ARM64",
            "latest",
            "",
            "aarch64-apple-darwin",
            "latest",
            "false",
        ),
        (
            "Windows",
            "X64",
            "v2.0.0",
            "",
            "x86_64-pc-windows-msvc",
            "v2.0.0",
            "true",
        ),
        ("Windows", "ARM64", "v2.0.0", "", "none", "v2.0.0", "false"),
    ];
    for (os, arch, version, action_ref, target, resolved, cacheable) in cases {
        let runner = Runner::new();
        let output = runner
            .script("install.sh", &["resolve"])
            .env_remove("OIDC_DOCTOR_BIN")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("OIDC_DOCTOR_VERSION", version)
            .env("OIDC_DOCTOR_ACTION_REF", action_ref)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output));
        let outputs = runner.outputs();
        let got = (
            &*outputs["target"],
            &*outputs["version"],
            &*outputs["cacheable"],
        );
        assert_eq!(
            got,
            (target, resolved, cacheable),
            "{os}/{arch} {version:?} {action_ref:?}"
        );
    }
    // A version that is no tag never reaches a URL or a path.
    let runner = Runner::new();
    let output = runner
        .script("install.sh", &["resolve"])
        .env("OIDC_DOCTOR_VERSION", "v1/../../x")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(!runner.outputs().contains_key("dir"));
}

/// Each step of action.yml: inputs reach the scripts through `env:`, never
/// through `${{ }}` in `run:` (template injection); every input is documented.
#[test]
fn action_yml_passes_inputs_through_the_environment_and_the_docs_list_them() {
    let action = &YamlLoader::load_from_str(&read(&root().join("action.yml"))).unwrap()[0];
    let steps = action["runs"]["steps"].as_vec().unwrap();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "template expansion in run: {run}");
        }
    }
    let docs = read(&root().join("docs/github-actions.md"));
    let inputs = action["inputs"].as_hash().unwrap();
    for name in inputs.keys().map(|k| k.as_str().unwrap()) {
        assert!(
            docs.contains(&format!("| `{name}` |")),
            "{name} is not in the inputs table"
        );
    }
    for name in ["verdict", "findings", "sarif-file"] {
        assert!(
            !action["outputs"][name]["value"].is_badvalue(),
            "output {name}"
        );
    }
}

/// The fenced blocks of a markdown file: (info string, text).
fn fenced_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The long flags `oidc-doctor SUBCOMMAND --help` lists.
fn accepted_flags(subcommand: &str) -> Vec<String> {
    let output = crate::support::oidc_doctor()
        .args([subcommand, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{subcommand} --help");
    flags_in(&String::from_utf8_lossy(&output.stdout))
}

fn flags_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_docs_yaml_snippets_parse_and_their_command_lines_use_real_flags() {
    let mut yaml_blocks = 0;
    let mut command_lines = 0;
    for page in ["docs/github-actions.md", "docs/ci.md"] {
        let markdown = read(&root().join(page));
        for (info, body) in fenced_blocks(&markdown) {
            if info == "yaml" {
                yaml_blocks += 1;
                // Step lists cut from a job are indented: parse them as they would stand.
                let docs = YamlLoader::load_from_str(&body)
                    .unwrap_or_else(|e| panic!("{page}: a YAML block does not parse: {e}\n{body}"));
                assert!(
                    !docs.is_empty() && !matches!(docs[0], Yaml::Null | Yaml::BadValue),
                    "{page}: {body}"
                );
            }
            for line in body.lines() {
                let Some(at) = line.find("oidc-doctor ") else {
                    continue;
                };
                let words: Vec<&str> = line[at..].split_whitespace().collect();
                let Some(sub) = words
                    .get(1)
                    .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
                else {
                    continue;
                };
                let accepted = accepted_flags(sub);
                for flag in flags_in(&line[at..]) {
                    assert!(
                        accepted.contains(&flag),
                        "{page}: `oidc-doctor {sub}` has no {flag}: {line}"
                    );
                }
                command_lines += 1;
            }
        }
    }
    assert!(yaml_blocks >= 8, "found {yaml_blocks} YAML blocks");
    assert!(command_lines >= 6, "found {command_lines} command lines");
}
