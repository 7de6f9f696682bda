//! The pages of docs/ for each place the tool runs: every YAML snippet
//! parses, and every `oidc-doctor` command line uses a subcommand and flags
//! the binary has.

use std::process::Command;

use yaml_rust2::YamlLoader;

use crate::support::root;

const PAGES: [&str; 4] = ["pre-commit.md", "eks.md", "laptop.md", "gitlab.md"];

fn blocks<'a>(page: &'a str, fence: &str) -> Vec<&'a str> {
    page.split(&format!("```{fence}\n"))
        .skip(1)
        .map(|block| block.split("\n```").next().unwrap())
        .collect()
}

#[test]
fn every_yaml_snippet_of_the_pages_parses() {
    for name in PAGES {
        let page = std::fs::read_to_string(root().join("docs").join(name)).unwrap();
        let yaml = blocks(&page, "yaml");
        assert!(
            !yaml.is_empty() || name == "laptop.md",
            "{name}: no YAML snippet"
        );
        for snippet in yaml {
            let docs = YamlLoader::load_from_str(snippet)
                .unwrap_or_else(|e| panic!("{name}: {e}\n{snippet}"));
            assert_eq!(docs.len(), 1, "{name}: {snippet}");
        }
    }
    // The pre-commit snippet names the hook the repository publishes.
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = YamlLoader::load_from_str(&hooks).unwrap();
    let id = hooks[0][0]["id"].as_str().unwrap();
    let page = std::fs::read_to_string(root().join("docs/pre-commit.md")).unwrap();
    assert!(page.contains(&format!("- id: {id}")));
}

#[test]
fn every_command_line_of_the_pages_is_accepted() {
    let binary = env!("CARGO_BIN_EXE_oidc-doctor");
    let mut checked = 0;
    for name in PAGES {
        let page = std::fs::read_to_string(root().join("docs").join(name)).unwrap();
        for block in blocks(&page, "sh") {
            for line in block.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                let Some(at) = words
                    .iter()
                    .position(|w| *w == "oidc-doctor" || w.ends_with("/oidc-doctor"))
                else {
                    continue;
                };
                // `cargo install ... oidc-doctor` names the crate and
                // `kubectl cp ./oidc-doctor POD:/tmp/...` the file: no run.
                let Some(command) = words
                    .get(at + 1)
                    .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
                else {
                    continue;
                };
                let help = Command::new(binary)
                    .args([command, "--help"])
                    .output()
                    .unwrap();
                assert!(
                    help.status.success(),
                    "{name}: `{line}`: no command {command}"
                );
                let help = String::from_utf8(help.stdout).unwrap();
                for flag in words[at + 2..].iter().filter(|w| w.starts_with("--")) {
                    assert!(
                        help.contains(flag),
                        "{name}: `{line}`: {command} has no {flag}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 12, "only {checked} command lines found");
}
