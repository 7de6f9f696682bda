//! Runs the integration tests' HTTPS OIDC issuer on its own, for benchmark
//! scripts: `cargo run --example test_issuer -- [--delay-ms N] [--jwks-delay-ms N]`.
//!
//! Prints `url=<issuer url>` and `ca=<CA bundle path>` on stdout, then serves
//! until killed.

// A tiny test tool: it fails loudly, and stdout/stderr are its interface.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

#[path = "../tests/cli/test_issuer.rs"]
mod test_issuer;

use test_issuer::{Behaviour, TestIssuer};

const USAGE: &str = "usage: test_issuer [--delay-ms N] [--jwks-delay-ms N]";

fn main() -> ExitCode {
    let behaviour = match parse(std::env::args().skip(1)) {
        Ok(behaviour) => behaviour,
        Err(message) => {
            eprintln!("test_issuer: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let issuer = TestIssuer::start(behaviour);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "url={}", issuer.url()).unwrap();
    writeln!(stdout, "ca={}", issuer.ca_bundle().display()).unwrap();
    stdout.flush().unwrap();
    drop(stdout);
    // Serve until killed; the server runs on its own thread.
    loop {
        std::thread::sleep(Duration::from_hours(1));
    }
}

/// `--delay-ms N` / `--delay-ms=N` and the same for `--jwks-delay-ms`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Behaviour, String> {
    let mut behaviour = Behaviour::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let target = match flag.as_str() {
            "--delay-ms" => &mut behaviour.delay,
            "--jwks-delay-ms" => &mut behaviour.jwks_delay,
            "-h" | "--help" => return Err("help requested".to_owned()),
            _ => return Err(format!("unknown argument {flag:?}")),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{flag} needs a number of milliseconds"))?;
        let millis: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a number of milliseconds"))?;
        *target = Duration::from_millis(millis);
    }
    Ok(behaviour)
}
