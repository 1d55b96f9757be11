//! `enable` and `disable`: save the consent choice for this user (or, with `--system`, for
//! the machine), with the version of the notice it answers, then say whether something
//! this run sees still decides otherwise. `disable` also says what still waits in the
//! outbox, and with `--purge` discards it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::choice::{self, Choice, Places, Scope};
use crate::cli::{ChoiceArgs, DisableArgs};
use crate::cmd::{DELIVERED, NOT_DELIVERED};
use crate::consent;
use crate::error::{UsageError, count, plain_io};
use crate::outbox::census::census;
use crate::outbox::purge::purge;
use crate::settings::{Settings, Verbosity};

pub fn enable(args: &ChoiceArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    save(true, args.system, settings)?;
    Ok(ExitCode::from(DELIVERED))
}

pub fn disable(args: &DisableArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    save(false, args.system, settings)?;
    let out = settings.out;
    let outbox =
        std::path::absolute(&settings.outbox_dir).unwrap_or_else(|_| settings.outbox_dir.clone());
    if args.purge {
        return discard(&outbox, out);
    }
    // What is already waiting stays until a flush with consent or the age cap: say so.
    if let Ok(c) = census(&outbox) {
        let n = c.pending + c.legacy_runs + c.rejected;
        if n > 0 {
            let (them, stay) = if n == 1 {
                ("it", "it stays")
            } else {
                ("them", "they stay")
            };
            out.note(format_args!(
                "{} in {} ({} pending, {} rejected): {stay} until the age cap drops {them}, or `pk3s-telemetry disable --purge` discards {them} now",
                count(n, "payload still waits", "payloads still wait"),
                outbox.display(),
                c.pending + c.legacy_runs,
                c.rejected,
            ));
        }
    }
    Ok(ExitCode::from(DELIVERED))
}

fn save(enabled: bool, system: bool, settings: &Settings) -> anyhow::Result<()> {
    let out = settings.out;
    let scope = if system { Scope::System } else { Scope::User };
    let places = Places::from_env();
    let path = places.file(scope).ok_or_else(|| {
        UsageError(
            "HOME and XDG_CONFIG_HOME are not set: no place for this user's choice \
             (set TELEMETRY_CONFIG_DIR, or use --system)"
                .to_string(),
        )
    })?;
    let choice = Choice {
        enabled,
        notice: consent::NOTICE,
    };
    choice::save(path, scope, choice).map_err(|e| anyhow!(e))?;
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
    Ok(())
}

/// `disable --purge`: empties the outbox; 1 when something was left (named).
fn discard(outbox: &Path, out: Verbosity) -> anyhow::Result<ExitCode> {
    let p = match purge(outbox) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.note(format_args!(
                "no outbox at {}: nothing to discard (TELEMETRY_OUTBOX_DIR or --outbox name another)",
                outbox.display()
            ));
            return Ok(ExitCode::from(DELIVERED));
        }
        Err(e) => {
            return Err(anyhow!(
                "the outbox {}: cannot read it: {}; nothing was discarded",
                outbox.display(),
                plain_io(&e)
            ));
        }
    };
    let n = p.discarded();
    if n == 0 {
        out.note(format_args!("{}: nothing waits in it", outbox.display()));
    } else {
        out.note(format_args!(
            "discarded {} from {} ({} pending, {} rejected, {} set aside as corrupt); none was sent",
            count(n, "payload", "payloads"),
            outbox.display(),
            p.pending + p.legacy_runs,
            p.rejected,
            p.corrupt
        ));
    }
    for path in &p.held {
        out.warn(format_args!(
            "left {}: another process (a background deliverer, a flush or a send) holds it right now; run `pk3s-telemetry disable --purge` again once it is done",
            path.display()
        ));
    }
    for e in &p.errors {
        out.warn(e);
    }
    Ok(ExitCode::from(
        if p.held.is_empty() && p.errors.is_empty() {
            DELIVERED
        } else {
            NOT_DELIVERED
        },
    ))
}
