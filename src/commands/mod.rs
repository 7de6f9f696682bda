//! One module per subcommand, each a thin composition of stages: turn the
//! command line into stage inputs, run the stages, hand a report to the
//! output layer. No printing here, and no command imports another.

pub mod assume;
pub mod check;
pub mod completions;
pub mod decode;
pub mod explain;
pub mod issuer;
pub mod lint;
pub mod policy;
pub mod provider;
pub mod redact;
pub mod scan;

mod inputs;

use crate::cli::Command;
use crate::error::Error;
use crate::report::Report;
use crate::stages::Progress;

/// What a command produced.
#[derive(Debug)]
pub enum Outcome {
    /// Findings and data, rendered in the chosen format.
    Report(Report),
    /// Completions: a shell script that is printed as it is.
    Completions(String),
    /// `policy`: the document written, printed as it is.
    Document(String),
}

/// Runs one subcommand. No error it returns quotes a token (see [`redact`]).
pub fn run(command: Command, progress: &dyn Progress) -> Result<Outcome, Error> {
    run_command(command, progress).map_err(redact::error)
}

fn run_command(command: Command, progress: &dyn Progress) -> Result<Outcome, Error> {
    match command {
        Command::Check(args) => check::run(&args, progress).map(Outcome::Report),
        Command::Decode(args) => decode::run(&args, progress).map(Outcome::Report),
        Command::Issuer(args) => issuer::run(&args, progress).map(Outcome::Report),
        Command::Explain(args) => explain::run(&args).map(Outcome::Report),
        Command::Lint(args) => lint::run(&args).map(Outcome::Report),
        Command::Provider(args) => provider::run(&args, progress).map(Outcome::Report),
        Command::Assume(args) => assume::run(&args, progress).map(Outcome::Report),
        Command::Scan(args) => scan::run(&args, progress).map(Outcome::Report),
        Command::Policy(args) => policy::run(&args).map(Outcome::Document),
        Command::Completions(args) => Ok(Outcome::Completions(completions::script(args.shell))),
    }
}
