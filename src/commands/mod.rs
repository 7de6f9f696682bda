//! One module per subcommand: gather inputs, run the rules, hand a report to
//! the output layer. No printing here.

pub mod assume;
pub mod decode;
pub mod explain;
pub mod issuer;
pub mod lint;
pub mod provider;
pub mod scan;
pub mod token_input;

use crate::cli::Command;
use crate::error::Error;
use crate::report::Report;

/// What a command produced.
#[derive(Debug)]
pub enum Outcome {
    /// Findings and data, rendered in the chosen format.
    Report(Report),
    /// Completions: a shell script that is printed as it is.
    Completions(clap_complete::Shell),
}

/// Where slow network work says what it is doing. The output layer decides
/// whether and how to show it.
pub trait Progress {
    fn update(&self, message: &str);
    /// The work is done: remove whatever `update` showed.
    fn finish(&self);
}

/// Progress that shows nothing (tests, library use).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn update(&self, _message: &str) {}
    fn finish(&self) {}
}

/// Runs one subcommand.
pub fn run(command: Command, progress: &dyn Progress) -> Result<Outcome, Error> {
    match command {
        Command::Decode(args) => decode::run(&args, progress).map(Outcome::Report),
        Command::Issuer(args) => issuer::run(&args, progress).map(Outcome::Report),
        Command::Explain(args) => explain::run(&args).map(Outcome::Report),
        Command::Lint(args) => lint::run(&args).map(Outcome::Report),
        Command::Provider(args) => provider::run(&args, progress).map(Outcome::Report),
        Command::Assume(args) => assume::run(&args, progress).map(Outcome::Report),
        Command::Scan(args) => scan::run(&args, progress).map(Outcome::Report),
        Command::Completions(args) => Ok(Outcome::Completions(args.shell)),
    }
}
