//! The hidden `deliver-outbox` subcommand: the detached deliverer that `send --background`
//! starts (see `outbox::deliverer`). Its output goes to /dev/null; it exits 0 either way.

use std::process::ExitCode;

use crate::cli::DeliverArgs;
use crate::cmd::DELIVERED;
use crate::consent;
use crate::outbox::deliverer;
use crate::outbox::replay::{DEFAULT_MAX_TIME, MAX_WORKERS, Options, Replayer, Sink};
use crate::outbox::route::Route;
use crate::settings::{Settings, Verbosity};

pub fn run(args: &DeliverArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    // Before anything is opened: what the caller leaked must not live as long as we do.
    deliverer::close_inherited();
    // Started by a send that had consent; should it be run by hand, an explicit "no" holds.
    if consent::explicit(None, settings).is_some_and(|c| !c.enabled) {
        return Ok(ExitCode::from(DELIVERED));
    }
    let Some(route) = Route::of(settings, None)? else {
        return Ok(ExitCode::from(DELIVERED));
    };
    let replayer = Replayer::new(settings, route, "deliverer");
    let opts = Options {
        limit: None,
        max_time: DEFAULT_MAX_TIME,
        workers: MAX_WORKERS,
        progress: false,
    };
    let mut sink = Quiet(settings.out);
    if let Err(e) = deliverer::deliver(&replayer, args.first.as_deref(), &opts, &mut sink) {
        settings.out.warn(format_args!(
            "background delivery from {}: {}",
            replayer.outbox.dir.display(),
            crate::error::plain_io(&e)
        ));
    }
    Ok(ExitCode::from(DELIVERED))
}

/// Says what `-v` asks for, should anyone run it by hand (and what `flush --to` reports).
pub(super) struct Quiet(pub(super) Verbosity);

impl Sink for Quiet {
    fn warn(&mut self, msg: &str) {
        self.0.warn(msg);
    }

    fn info(&mut self, msg: &str) {
        self.0.info(msg);
    }
}
