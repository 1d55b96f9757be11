//! `resolve`: the one consent decision and this run's correlation ids, printed for `eval`
//! at the top of a shell layer (or as JSON for machines).

use std::process::ExitCode;

use crate::cli::{Format, ResolveArgs, Telemetry};
use crate::cmd::{DELIVERED, print};
use crate::consent;
use crate::exports;
use crate::settings::Settings;

pub fn run(args: &ResolveArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let flag = args.telemetry.map(|t| t == Telemetry::Enable);
    let consent = consent::with_prompt(flag, settings);
    // Said once at the top of the script, but not fatal: failing here would lose the
    // consent decision and make every nested layer ask again. `send` refuses it (exit 2).
    if consent.enabled
        && let Err(e) = settings.endpoint()
    {
        settings.out.warn(format_args!("{e}; nothing will be sent"));
    }
    let list = exports::resolved(settings, consent, args.component.as_deref());
    print(&match args.format {
        Format::Shell => exports::shell(&list),
        Format::Json => exports::json(&list)?,
    })?;
    Ok(ExitCode::from(DELIVERED))
}
