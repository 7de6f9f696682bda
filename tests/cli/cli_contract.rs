//! The command line as cli.md describes it: every `--help` with examples
//! that parse, the global options apart, flags only where they mean
//! something, one `--timeout`, `--cache`/`--cache-dir`, one set of token
//! flags, and `lint` reading no role from the environment.

use clap::{CommandFactory, Parser};
use oidc_doctor::cli::{Cli, Command};

use crate::support::{codes, fixture, oidc_doctor};

/// The subcommands, `help` aside.
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| name != "help")
        .collect()
}

/// `oidc-doctor <sub> --help`, from the real binary.
fn help(sub: &str) -> String {
    // 80 columns: an example line longer than that would wrap, and no
    // longer be a command line that can be copied.
    let output = oidc_doctor()
        .env("COLUMNS", "80")
        .args([sub, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{sub} --help");
    String::from_utf8(output.stdout).unwrap()
}

/// A command line split the way a POSIX shell splits a simple command:
/// words, single and double quotes; it ends at an unquoted `>` or `|`
/// (what follows is the shell's, not the tool's).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '>' | '|') => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes in `{line}`");
    if in_word {
        words.push(word);
    }
    words
}

/// The command lines of the help's "Examples:" section.
fn examples(help: &str) -> Vec<String> {
    let Some((_, section)) = help.split_once("\nExamples:\n") else {
        return Vec::new();
    };
    section
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_shell_word_splitter_splits_like_a_shell() {
    assert_eq!(
        shell_words(r#"oidc-doctor lint --token "$TOKEN" 'a b' > out.sarif"#),
        ["oidc-doctor", "lint", "--token", "$TOKEN", "a b"]
    );
    assert_eq!(shell_words(r#"x "" y"#), ["x", "", "y"]);
}

#[test]
fn every_subcommand_help_ends_with_examples_that_parse() {
    let subs = subcommands();
    assert!(subs.len() >= 9, "{subs:?}");
    for sub in subs {
        let help = help(&sub);
        let lines = examples(&help);
        assert!(
            (2..=4).contains(&lines.len()),
            "`{sub} --help` has {} examples, wants 2 or 3:\n{help}",
            lines.len()
        );
        for line in lines {
            let words = shell_words(&line);
            assert_eq!(
                words.first().map(String::as_str),
                Some("oidc-doctor"),
                "every example line is a command or a # comment: `{line}`"
            );
            assert_eq!(
                words.get(1),
                Some(&sub),
                "`{sub}`'s example runs `{sub}`: `{line}`"
            );
            // The real parser, and the derive's types: an example that a
            // renamed or removed flag broke fails here.
            Cli::command()
                .try_get_matches_from(&words)
                .unwrap_or_else(|e| panic!("`{line}` does not parse:\n{e}"));
            Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("`{line}`:\n{e}"));
        }
    }
}

#[test]
fn a_broken_example_would_be_caught() {
    // What the test above relies on: a flag that does not exist is refused.
    let words = shell_words("oidc-doctor lint --no-such-flag .");
    assert!(Cli::command().try_get_matches_from(&words).is_err());
    let help = "Usage: x\n\nExamples:\n  # a comment\n  oidc-doctor lint .\n\n  oidc-doctor explain --all\n";
    assert_eq!(
        examples(help),
        ["oidc-doctor lint .", "oidc-doctor explain --all"]
    );
}

/// The options listed under `heading` in a help text.
fn under_heading(help: &str, heading: &str) -> String {
    let Some((_, rest)) = help.split_once(&format!("\n{heading}:\n")) else {
        return String::new();
    };
    // The section ends at the next unindented line (a heading or the
    // after-help text).
    rest.lines()
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn global_options_have_a_heading_of_their_own() {
    for sub in subcommands() {
        let help = help(&sub);
        let own = under_heading(&help, "Options");
        if sub == "completions" {
            continue;
        }
        let global = under_heading(&help, "Global options");
        for flag in ["--format <FORMAT>", "--color <COLOR>"] {
            assert!(
                global.contains(flag),
                "{sub}: {flag} under Global options:\n{help}"
            );
            assert!(
                !own.contains(flag),
                "{sub}: {flag} not among the command's own:\n{help}"
            );
        }
    }
    let top = oidc_doctor().arg("--help").output().unwrap();
    let top = String::from_utf8(top.stdout).unwrap();
    assert!(
        under_heading(&top, "Global options").contains("--format"),
        "{top}"
    );
}

#[test]
fn explain_and_completions_offer_no_flag_that_means_nothing_there() {
    let explain = help("explain");
    assert!(!explain.contains("--fail-on"), "{explain}");
    let completions = help("completions");
    for flag in ["--fail-on", "--format", "--color"] {
        assert!(!completions.contains(flag), "{flag}:\n{completions}");
    }
    // Not offered, and not accepted either.
    oidc_doctor()
        .args(["explain", "TK005", "--fail-on", "high"])
        .assert()
        .code(2);
    oidc_doctor()
        .args(["completions", "bash", "--fail-on", "high"])
        .assert()
        .code(2);
    // The commands that report findings have it.
    for sub in [
        "check", "decode", "issuer", "lint", "provider", "assume", "scan",
    ] {
        assert!(help(sub).contains("--fail-on <SEVERITY>"), "{sub}");
    }
}

#[test]
fn timeout_means_one_thing_everywhere() {
    let cli = Cli::command();
    let mut helps = Vec::new();
    for sub in cli.get_subcommands() {
        if let Some(arg) = sub.get_arguments().find(|a| a.get_id() == "timeout") {
            helps.push((
                sub.get_name().to_owned(),
                arg.get_help().map(ToString::to_string).unwrap_or_default(),
                arg.get_default_values().to_vec(),
            ));
        }
    }
    let names: Vec<&str> = helps.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["check", "decode", "issuer", "provider", "assume", "scan"],
        "the commands that use the network have --timeout"
    );
    for (name, text, default) in &helps {
        assert_eq!((text, default), (&helps[0].1, &helps[0].2), "{name}");
    }
    assert!(helps[0].1.contains("per") || helps[0].1.contains("one network request"));
}

#[test]
fn profile_and_region_show_their_variables() {
    for sub in ["check", "provider", "assume", "scan"] {
        let help = help(sub);
        let aws = under_heading(&help, "AWS options");
        assert!(aws.contains("[env: AWS_PROFILE="), "{sub}:\n{help}");
        assert!(aws.contains("[env: AWS_REGION="), "{sub}:\n{help}");
    }
}

#[test]
fn cache_help_shows_the_default_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cache_home = dir.path().join("xdg-cache");
    for sub in ["check", "assume"] {
        let output = oidc_doctor()
            .env("XDG_CACHE_HOME", &cache_home)
            .args([sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(output.stdout).unwrap();
        // The help wraps at the terminal width: compare without it.
        let flat: String = help.split_whitespace().collect();
        let expected: String = cache_home
            .join("oidc-doctor")
            .join("credentials")
            .display()
            .to_string()
            .split_whitespace()
            .collect();
        assert!(flat.contains(&expected), "{sub}: {expected}\n{help}");
        assert!(help.contains("--cache-dir <DIR>"), "{help}");
    }
}

#[test]
fn cache_is_a_flag_and_cache_dir_names_the_directory() {
    let parse = |extra: &[&str]| {
        let mut words = vec![
            "oidc-doctor",
            "assume",
            "--role-arn",
            "arn:aws:iam::1:role/r",
        ];
        words.extend_from_slice(extra);
        match Cli::try_parse_from(words).unwrap().command {
            Command::Assume(args) => args.cache.dir(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(parse(&[]), None);
    assert_eq!(parse(&["--cache"]), Some(std::path::PathBuf::new()));
    assert_eq!(parse(&["--cache-dir", "/d"]), Some("/d".into()));
    assert_eq!(parse(&["--cache", "--cache-dir", "/d"]), Some("/d".into()));
}

#[test]
fn a_directory_after_cache_is_pointed_to_cache_dir() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["assume", "check"] {
        let output = oidc_doctor()
            .args([sub, "--cache"])
            .arg(dir.path())
            .args(["--role-arn", "arn:aws:iam::123456789012:role/deploy"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{sub}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--cache-dir DIR"), "{sub}: {stderr}");
    }
}

#[test]
fn lint_reads_no_role_from_the_environment() {
    let policy = fixture("examples/check/trust-policy.json");
    let other_account = "arn:aws:iam::999999999999:role/deploy";
    let lint = |cmd: &mut assert_cmd::Command, role: &[&str]| {
        let output = cmd
            .args(["lint", "--format", "json", "--fail-on", "never"])
            .args(role)
            .arg(&policy)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        codes(&serde_json::from_slice(&output.stdout).unwrap())
    };
    // IRSA sets AWS_ROLE_ARN in every pod: it says nothing about the
    // policies a linter is pointed at.
    let from_env = lint(oidc_doctor().env("AWS_ROLE_ARN", other_account), &[]);
    assert!(!from_env.contains(&"TP107".to_owned()), "{from_env:?}");
    // Given on the command line, the same role is compared (and would be
    // caught above if it were read from the environment).
    let given = lint(&mut oidc_doctor(), &["--role-arn", other_account]);
    assert!(given.contains(&"TP107".to_owned()), "{given:?}");
}

#[test]
fn every_token_command_has_the_same_token_flags() {
    let cli = Cli::command();
    let flags = [
        "token",
        "token_file",
        "token_env",
        "github_actions",
        "audience",
    ];
    let described = |sub: &str, id: &str| {
        let command = cli.find_subcommand(sub).unwrap();
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == id)
            .unwrap_or_else(|| panic!("{sub} has no {id}"));
        (
            arg.get_long().map(str::to_owned),
            arg.get_help().map(ToString::to_string),
            arg.get_help_heading().map(str::to_owned),
        )
    };
    for id in flags {
        let first = described("check", id);
        for sub in ["decode", "lint", "provider", "assume"] {
            assert_eq!(described(sub, id), first, "{sub} --{id}");
        }
    }
}
