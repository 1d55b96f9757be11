//! `env`: the context for a nested child (same session, this run as its parent, a run id
//! of its own to make), printed, or given to a command run in this process's place.

use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use crate::cli::{EnvArgs, Format};
use crate::cmd::{DELIVERED, print};
use crate::consent;
use crate::exports;
use crate::settings::Settings;

/// The shells' statuses for a command that was found but cannot run, and one not found.
const CANNOT_RUN: u8 = 126;
const NOT_FOUND: u8 = 127;

pub fn run(args: &EnvArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let list = exports::for_child(settings, consent::explicit(None, settings));
    if settings.run_id.is_none() {
        settings.out.info(
            "TELEMETRY_RUN_ID is not set (no `resolve` before?): the child starts a chain of its own",
        );
    }
    let Some((program, rest)) = args.command.split_first() else {
        print(&match args.format {
            Format::Shell => exports::shell(&list),
            Format::Json => exports::json(&list)?,
        })?;
        return Ok(ExitCode::from(DELIVERED));
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    exports::apply(&list, &mut cmd);
    // Replaces this process: the child keeps the terminal, gets signals directly, and its
    // status (or the signal that ended it) is what the caller sees. Returns only on failure.
    let err = cmd.exec();
    let name = Path::new(program).display();
    Ok(ExitCode::from(if err.kind() == ErrorKind::NotFound {
        let what = if program.as_encoded_bytes().contains(&b'/') {
            "no such file"
        } else {
            "command not found"
        };
        eprintln!("pk3s-telemetry: error: {name}: {what}");
        NOT_FOUND
    } else {
        eprintln!("pk3s-telemetry: error: {name}: cannot run: {err}");
        CANNOT_RUN
    }))
}

/// `pk3s-telemetry env true`: clap says only "unexpected argument"; suggest the `--` that
/// runs it as a command.
pub fn hint_double_dash(mut e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let under_env = matches!(
        e.get(ContextKind::Usage),
        Some(ContextValue::StyledStr(u)) if u.to_string().contains("pk3s-telemetry env ")
    );
    let word = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(w)) if !w.starts_with('-') => w.clone(),
        _ => return e,
    };
    if e.kind() == ErrorKind::UnknownArgument && under_env {
        e.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![
                format!("to run a command, put -- before it: 'pk3s-telemetry env -- {word} ...'")
                    .into(),
            ]),
        );
    }
    e
}
