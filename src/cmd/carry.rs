//! `flush --to FILE` and `flush --from FILE`: payloads carried by hand off a host that
//! cannot reach its receiver and delivered from one that can (`outbox::carry`). This file
//! parses, calls and prints; `--from` ends as a flush does (`flush::deliver`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;
use serde_json::json;

use crate::cli::{FlushArgs, ReportFormat};
use crate::cmd::deliver::Quiet;
use crate::cmd::flush::{deliver, printer, restore_rejected};
use crate::cmd::{DELIVERED, NOT_DELIVERED, UsageError, print};
use crate::error::count;
use crate::outbox::carry::from::Refused;
use crate::outbox::census::census;
use crate::outbox::replay::{Counts, Replayer, Sink};
use crate::outbox::route::Route;
use crate::settings::Settings;

/// Moves every pending entry into the bundle `file`.
pub fn to(args: &FlushArgs, file: &Path, settings: &Settings) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    // Moving is not sending: the endpoint does not matter here, each entry keeps its own.
    let replayer = Replayer::new(settings, Route::nowhere(settings), "flush");
    if let Some(w) = replayer.outbox.exposure() {
        out.warn(w);
    }
    if args.rejected {
        restore_rejected(&replayer, "to carry them too", out);
    }
    let mut sink = Quiet(out);
    let moved = replayer.carry_to(file, &mut sink).map_err(UsageError)?;
    for why in &moved.left {
        out.warn(format_args!("{why}; left in the outbox"));
    }
    for why in &moved.unremoved {
        out.warn(format_args!(
            "{why}: it is in {} but cannot be removed from the outbox (a flush here would send it too)",
            file.display()
        ));
    }
    if !moved.held.is_empty() {
        let names: Vec<String> = moved.held.iter().map(|p| p.display().to_string()).collect();
        out.warn(format_args!(
            "held by another process at the moment (a send or a flush under way), left in the outbox: {}",
            names.join(", ")
        ));
    }
    let rejected = census(&replayer.outbox.dir).map_or(0, |c| c.rejected);
    if args.format == ReportFormat::Json {
        print(&format!(
            "{}\n",
            json!({
                "type": "summary",
                "moved": moved.moved,
                "file": file.display().to_string(),
                "bytes": moved.bytes,
                "held": moved.held.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "left": moved.left,
                "unremoved": moved.unremoved,
                "expired": moved.counts.expired,
                "rejected_left": rejected,
            })
        ))?;
    } else {
        let mut line = format!(
            "flush --to: moved {} into {} ({} bytes)",
            count(moved.moved, "entry", "entries"),
            file.display(),
            moved.bytes
        );
        if moved.moved > 0 {
            line.push_str(&format!(
                "; on a host that reaches the receiver: pk3s-telemetry flush --from {}",
                file.display()
            ));
        }
        if rejected > 0 && !args.rejected {
            line.push_str(&format!(
                "; {rejected} in rejected/ stay here (--rejected moves them too)"
            ));
        }
        out.note(line);
    }
    let all = moved.held.is_empty() && moved.left.is_empty() && moved.unremoved.is_empty();
    Ok(ExitCode::from(if all { DELIVERED } else { NOT_DELIVERED }))
}

/// Delivers the payloads of the bundle `file` from this host, as a flush would.
pub fn from(
    args: &FlushArgs,
    file: &Path,
    replayer: &Replayer,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    let mut sink = printer(replayer, args, settings)?;
    let opened = match replayer.carry_from(file, &mut sink) {
        Ok(o) => o,
        Err(Refused::File(why)) => return Err(UsageError(why).into()),
        Err(Refused::Outbox(why)) => return Err(anyhow!(why)),
    };
    for d in &opened.damaged {
        sink.warn(d);
    }
    let n = Counts {
        already_left: opened.already_left,
        rejected: opened.rejected,
        ..Counts::default()
    };
    deliver(
        replayer,
        &opened.stems,
        n,
        opened.damaged.len(),
        args,
        sink,
        settings,
    )
}
