//! `completions`: the shell completion scripts `clap_complete` writes, with
//! a workaround for its Bash script.
//!
//! `clap_complete`'s Bash generator (4.6) breaks every completion past the
//! subcommand when the binary's name has a hyphen: the loop that walks the
//! words names the state `oidc__doctor__subcmd__lint`, the `case` that
//! completes it is labelled `oidc__subcmd__doctor__subcmd__lint`, so
//! `oidc-doctor lint --<TAB>` offers nothing (clap-rs/clap#6421, also
//! #6386). The script is therefore generated for a name without a hyphen,
//! `oidc_doctor`, whose names the generator spells the same way in both
//! places, and only the command it is registered for (the last word of its
//! `complete` lines) is set back to `oidc-doctor`. That does not depend on
//! the shape of the bug, so it stays right when upstream fixes it.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The binary's name, as users type it.
const BIN: &str = "oidc-doctor";

/// What the Bash script is generated for: the name without its hyphen.
const BASH_BIN: &str = "oidc_doctor";

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut command = Cli::command();
    let bin = if shell == Shell::Bash { BASH_BIN } else { BIN };
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, bin, &mut buffer);
    let text = String::from_utf8_lossy(&buffer).into_owned();
    if shell == Shell::Bash {
        register_bash_for(&text, BASH_BIN, BIN)
    } else {
        text
    }
}

/// `script` with each `complete ... <generated>` line registering the
/// function for `bin` instead.
fn register_bash_for(script: &str, generated: &str, bin: &str) -> String {
    let suffix = format!(" {generated}");
    script
        .split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches('\n');
            match body.strip_suffix(&suffix) {
                Some(head) if body.trim_start().starts_with("complete ") => {
                    format!("{head} {bin}{}", &line[body.len()..])
                }
                _ => line.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bash_script_is_registered_for_the_real_name_only() {
        let script = script(Shell::Bash);
        let registrations: Vec<&str> = script
            .lines()
            .filter(|l| l.trim_start().starts_with("complete "))
            .collect();
        assert!(!registrations.is_empty(), "{script}");
        for line in registrations {
            assert!(line.ends_with(" oidc-doctor"), "{line}");
        }
        // Every state the word loop can reach has a case that completes it.
        let assigned: Vec<&str> = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|state| !state.is_empty())
            .collect();
        assert!(
            assigned.contains(&"oidc_doctor__subcmd__lint"),
            "{assigned:?}"
        );
        for state in &assigned {
            assert!(
                script.contains(&format!("\n        {state})\n")),
                "no case for {state}"
            );
        }
    }
}
