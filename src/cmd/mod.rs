//! Dispatch, exit statuses and the few output helpers every command shares.

pub mod carry;
pub mod check;
pub mod completion;
pub mod deliver;
pub mod enable;
pub mod env;
pub mod flush;
pub mod generate;
pub mod log;
pub mod resolve;
pub mod send;
pub mod status;

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::{Cli, Command, Global, SendCommand};
use crate::settings::{Overrides, Settings, Verbosity};

pub use crate::error::{DELIVERED, NOT_DELIVERED, USAGE, UsageError};

pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Parsed without the long-help pages; whatever clap has to show or refuse (help, a
    // bad flag, a missing subcommand) is parsed again with them, so it reads the same.
    let parse = |long_help| {
        crate::cli::command(long_help)
            .try_get_matches_from(&args)
            // As `Parser::try_parse` does: an error of the conversion is worded by the command.
            .and_then(|m| {
                Cli::from_arg_matches(&m).map_err(|e| e.format(&mut crate::cli::command(long_help)))
            })
    };
    let parsed = parse(false).or_else(|_| parse(true));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let e = env::hint_double_dash(e);
            if !e.use_stderr() {
                // Help or version, on stdout.
                let _ = e.print();
                return ExitCode::from(DELIVERED);
            }
            // One prefix for every error, clap's included: `pk3s-telemetry: error: …`.
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprint!("pk3s-telemetry: error: {text}");
            return ExitCode::from(USAGE);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pk3s-telemetry: error: {e:#}");
            ExitCode::from(if e.is::<UsageError>() {
                USAGE
            } else {
                NOT_DELIVERED
            })
        }
    }
}

/// The flags given before the command's name and after it, merged: either place works.
fn overrides(cli: &Cli) -> Overrides {
    let (after, after_out) = cli.command.global();
    let after = after.cloned().unwrap_or_default();
    let Global {
        outbox,
        endpoint,
        output: before,
    } = &cli.global;
    let after_out = after_out.unwrap_or_default();
    let quiet = before.quiet || after_out.quiet;
    let level = before.verbose.saturating_add(after_out.verbose);
    Overrides {
        outbox: cli.command.outbox().or(outbox.as_ref()).cloned(),
        endpoint: after.endpoint.or_else(|| endpoint.clone()),
        out: Verbosity {
            quiet,
            verbose: !quiet && level >= 1,
            detail: !quiet && level >= 2,
        },
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(&overrides(&cli));
    if settings.out.detail {
        settings.out.info(settings.describe());
    }
    match cli.command {
        Command::Send(SendCommand::Manifest(args)) => send::manifest(&args, &settings),
        Command::Send(SendCommand::Event(args)) => send::event(&args, &settings),
        Command::Resolve(args) => resolve::run(&args, &settings),
        Command::Env(args) => env::run(&args, &settings),
        Command::Check(args) => check::run(&args, &settings),
        Command::Enable(args) => enable::enable(&args, &settings),
        Command::Disable(args) => enable::disable(&args, &settings),
        Command::Status(args) => status::run(&args, &settings),
        Command::Log(args) => log::run(&args, &settings),
        Command::Completion(args) => completion::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Flush(args) => flush::run(&args, &settings),
        Command::Deliver(args) => deliver::run(&args, &settings),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn print(text: &str) -> anyhow::Result<()> {
    print_bytes(text.as_bytes())
}

/// `print`, for bytes that need not be text.
pub fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("standard output: {e}"))
        }
        _ => Ok(()),
    }
}
