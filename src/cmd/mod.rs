//! Dispatch, exit statuses and the few output helpers every command shares.

pub mod check;
pub mod deliver;
pub mod env;
pub mod flush;
pub mod generate;
pub mod resolve;
pub mod send;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, SendCommand};
use crate::settings::Settings;

pub use crate::error::{DELIVERED, NOT_DELIVERED, USAGE, UsageError};

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { DELIVERED });
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(&cli.global);
    match cli.command {
        Command::Send(SendCommand::Manifest(args)) => send::manifest(&args, &settings),
        Command::Send(SendCommand::Event(args)) => send::event(&args, &settings),
        Command::Resolve(args) => resolve::run(&args, &settings),
        Command::Env(args) => env::run(&args, &settings),
        Command::Check(args) => check::run(&args, &settings),
        Command::Generate(args) => generate::run(&args),
        Command::Flush(args) => flush::run(&args, &settings),
        Command::Deliver(args) => deliver::run(&args, &settings),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("standard output: {e}"))
        }
        _ => Ok(()),
    }
}
