//! The `oidc-doctor` binary: parse arguments, run, print, map to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use oidc_doctor::cli::{Cli, Command};
use oidc_doctor::commands::redact::without_tokens;
use oidc_doctor::commands::{self, Outcome};
use oidc_doctor::output::{self, Options};
use oidc_doctor::stages::{Progress, Silent};

// Linting thousands of files allocates on every core; the system allocator
// (musl's above all, in the static Linux releases) is the slow part there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and --version are successes; usage errors exit 2.
            if !error.use_stderr() {
                let _ = error.print();
                return ExitCode::SUCCESS;
            }
            // A usage error quotes the argument given: it passes the same
            // gate as every report. Whether or not it could be written,
            // the code stands.
            let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let text = if color {
                error.render().ansi().to_string()
            } else {
                error.render().to_string()
            };
            let _ = output::write_usage_error(&without_tokens(&text), color, &mut io::stderr());
            return ExitCode::from(2);
        }
    };
    let cli_color = cli.output.color;
    let options = Options::from_env(cli.output.format, cli_color);
    let fail_on = cli.command.fail_on();
    let mut stdout = io::stdout().lock();
    let summary = match &cli.command {
        Command::Check(args) => args.summary,
        Command::Lint(args) => args.summary,
        _ => false,
    };

    // `check` shows its stages as they run (spinners on a terminal, lines in
    // a log); the other commands show one line on a terminal only.
    let progress: Box<dyn Progress> = match &cli.command {
        Command::Check(args) if args.quiet => Box::new(Silent),
        Command::Check(_) => Box::new(output::StageProgress::new(io::stderr().is_terminal())),
        _ => Box::new(output::TerminalProgress::new()),
    };
    let written = match commands::run(cli.command, progress.as_ref()) {
        // `assume --export`: the credentials on standard output, the report
        // on standard error, so that `eval "$(...)"` and credential_process
        // see nothing else.
        Ok(Outcome::Report(report)) if output::exports(&report) => {
            let stderr_options = Options::for_stderr(cli.output.format, cli_color);
            output::write_export(&report, &mut stdout)
                .and_then(|()| {
                    gated(&mut io::stderr(), |out| {
                        output::write_report(&report, &stderr_options, out)
                    })
                })
                .map(|()| fail_on.exit_code(&report))
        }
        Ok(Outcome::Report(report)) => gated(&mut stdout, |out| {
            output::write_report(&report, &options, out)
        })
        .map(|()| {
            if summary {
                write_summary(&report, cli_color);
            }
            fail_on.exit_code(&report)
        }),
        Ok(Outcome::Document(document)) => {
            gated(&mut stdout, |out| out.write_all(document.as_bytes())).map(|()| 0)
        }
        Ok(Outcome::Completions(script)) => stdout
            .write_all(script.as_bytes())
            .and_then(|()| stdout.flush())
            .map(|()| 0),
        Err(error) => {
            let color = output::use_color(cli_color, io::IsTerminal::is_terminal(&io::stderr()));
            let _ = gated(&mut io::stderr(), |out| {
                output::write_error(&error, color, out)
            });
            Ok(error.exit_code())
        }
    };
    match written {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "oidc-doctor: cannot write output: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes what `write` produces with every token taken out: the last gate
/// before a report or an error reaches a terminal or a log, whatever a
/// renderer or an error quoted (a token given in the wrong place, for one).
/// The credentials of `assume --export` do not pass here: they are its
/// product.
fn gated(
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut text = Vec::new();
    write(&mut text)?;
    let text = String::from_utf8_lossy(&text);
    out.write_all(without_tokens(&text).as_bytes())?;
    out.flush()
}

/// `--summary`: the Markdown report appended to the job summary GitHub
/// Actions shows on the run's page. What cannot be done is said on
/// standard error; the report already written decides the exit code.
fn write_summary(report: &oidc_doctor::report::Report, color: oidc_doctor::cli::ColorChoice) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        let _ = writeln!(
            io::stderr(),
            "oidc-doctor: --summary: GITHUB_STEP_SUMMARY is not set (not inside GitHub Actions); no summary written"
        );
        return;
    };
    let options = Options::from_env(oidc_doctor::cli::Format::Markdown, color);
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut file| gated(&mut file, |out| output::write_report(report, &options, out)));
    if let Err(error) = written {
        let _ = writeln!(
            io::stderr(),
            "oidc-doctor: --summary: cannot append to {}: {error}",
            std::path::Path::new(&path).display()
        );
    }
}
