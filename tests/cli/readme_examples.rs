//! The README's `lint` example on Terraform source and its `policy`
//! examples: each `console` block prints exactly what the command prints
//! today, and each `policy` command line of the examples runs.

use crate::support::{oidc_doctor, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The `console` blocks whose command starts with `prefix`: the command's
/// words and the output shown.
fn console_blocks(prefix: &str) -> Vec<(Vec<String>, String)> {
    let text = readme();
    let mut blocks = Vec::new();
    for block in text.split("```console\n").skip(1) {
        let body = block.split("\n```").next().unwrap();
        let (command, output) = body.split_once('\n').unwrap_or((body, ""));
        let Some(command) = command.strip_prefix("$ ") else {
            continue;
        };
        if command.starts_with(prefix) {
            let words = command
                .split_whitespace()
                .skip(1)
                .map(str::to_owned)
                .collect();
            blocks.push((words, format!("{output}\n")));
        }
    }
    blocks
}

#[test]
fn the_terraform_lint_example_prints_what_the_readme_shows() {
    let blocks = console_blocks("oidc-doctor lint fixtures/lint/terraform");
    assert_eq!(blocks.len(), 1, "the README shows one `.tf` lint");
    for (words, shown) in blocks {
        let out = oidc_doctor().args(&words).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{words:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "{words:?}");
    }
}

#[test]
fn the_policy_example_prints_what_the_readme_shows_and_every_policy_line_runs() {
    let blocks = console_blocks("oidc-doctor policy");
    assert_eq!(blocks.len(), 1, "the README shows one `policy` run");
    for (words, shown) in blocks {
        let out = oidc_doctor().args(&words).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{words:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "{words:?}");
    }
    // The command lines of the `sh` block under `policy`, with the
    // shell's variables given values.
    let text = readme();
    let section = text.split("## `policy`").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = crate::support::github_token_file(dir.path());
    let lines: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("oidc-doctor policy "))
        .collect();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in lines {
        let line = line.split("   #").next().unwrap();
        let words: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|w| {
                w.trim_matches('\'')
                    .replace("\"$ACCT\"", "123456789012")
                    .replace(
                        "\"$PROVIDER_ARN\"",
                        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
                    )
                    .replace("token.jwt", token.to_str().unwrap())
            })
            .collect();
        let out = oidc_doctor().args(&words).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
