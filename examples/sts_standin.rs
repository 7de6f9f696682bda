//! Runs the integration tests' STS stand-in on its own, for benchmark
//! scripts and trying `assume` by hand:
//! `cargo run --example sts_standin -- [--delay-ms N] [ANSWER...]`.
//!
//! ANSWERs are given in order, the last one repeating: `ok`, `denied`,
//! `audience`, `no-key`, `throttled`, `expired`. Prints `url=<endpoint>` on
//! stdout, then serves until killed; `GET <endpoint>/calls` counts the calls.

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

#[path = "../tests/cli/local_http.rs"]
mod local_http;
#[path = "../tests/cli/sts_standin.rs"]
mod sts_standin;

use sts_standin::{Answer, StsStandin};

const USAGE: &str =
    "usage: sts_standin [--delay-ms N] [ok|denied|audience|no-key|throttled|expired ...]";

fn main() -> ExitCode {
    let mut delay = Duration::ZERO;
    let mut script = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let answer = match arg.as_str() {
            "--delay-ms" => {
                let Some(ms) = args.next().and_then(|v| v.parse::<u64>().ok()) else {
                    eprintln!("sts_standin: --delay-ms needs a number\n{USAGE}");
                    return ExitCode::from(2);
                };
                delay = Duration::from_millis(ms);
                continue;
            }
            "ok" => Answer::assumed(),
            "denied" => Answer::access_denied(),
            "audience" => Answer::audience(),
            "no-key" => Answer::no_key(),
            "throttled" => Answer::throttled(),
            "expired" => Answer::expired(),
            other => {
                eprintln!("sts_standin: unknown answer {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        script.push(answer);
    }
    let standin = StsStandin::with_delay(script, delay);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "url={}", standin.url()).unwrap();
    stdout.flush().unwrap();
    drop(stdout);
    loop {
        std::thread::sleep(Duration::from_hours(1));
    }
}
