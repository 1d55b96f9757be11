//! `enable` and `disable`: save the consent choice for this user (or, with `--system`, for
//! the machine), then say whether something this run sees still decides otherwise.

use std::process::ExitCode;

use anyhow::anyhow;

use crate::choice::{self, Places, Scope};
use crate::cli::ChoiceArgs;
use crate::cmd::DELIVERED;
use crate::consent;
use crate::error::UsageError;
use crate::settings::Settings;

pub fn run(enabled: bool, args: &ChoiceArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    let scope = if args.system {
        Scope::System
    } else {
        Scope::User
    };
    let places = Places::from_env();
    let path = places.file(scope).ok_or_else(|| {
        UsageError(
            "HOME and XDG_CONFIG_HOME are not set: no place for this user's choice \
             (set TELEMETRY_CONFIG_DIR, or use --system)"
                .to_string(),
        )
    })?;
    choice::save(path, scope, enabled).map_err(|e| anyhow!(e))?;
    let word = if enabled { "on" } else { "off" };
    let whom = match scope {
        Scope::User => "this user",
        Scope::System => "this machine",
    };
    out.note(format_args!(
        "telemetry is {word} for {whom} (saved in {})",
        path.display()
    ));
    if let Some(now) = consent::explicit(None, settings)
        && now.enabled != enabled
    {
        let now_word = if now.enabled { "on" } else { "off" };
        out.warn(format_args!(
            "but {} decides first here: telemetry stays {now_word}",
            consent::describe(now.source)
        ));
    }
    Ok(ExitCode::from(DELIVERED))
}
