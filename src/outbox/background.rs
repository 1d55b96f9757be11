//! `send --background`: the send returns once its entry is safe in the outbox, and a
//! detached deliverer (this binary again, through a hidden subcommand; see `deliverer`)
//! delivers it with the send policy, then drains the older entries within the flush budget.
//!
//! At most one deliverer per outbox: it holds an exclusive `flock` on `LOCK_FILE`. The
//! sending process takes that lock itself and hands the locked file to the deliverer as its
//! standard input, so there is no moment when a deliverer runs unlocked or two start. A
//! send that finds the lock taken starts nothing: the running deliverer, after letting go
//! of the lock, looks once more for entries that arrived meanwhile and goes on if it finds
//! any (and can take the lock again).
//!
//! The deliverer runs in its own process group (no terminal signals), with standard output
//! and error on /dev/null; every file this binary opens is close-on-exec (Rust's default),
//! and the deliverer closes whatever else it inherited above standard error (a descriptor
//! the caller leaked without close-on-exec): a caller piping through `tee` or waiting on a
//! pipe is not kept waiting.

use std::fs::{File, TryLockError};
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::Outbox;
use super::entry::{self, LOCK_FILE};
use crate::settings::{Origin, Settings};

/// The hidden subcommand the deliverer runs as.
pub const SUBCOMMAND: &str = "deliver-outbox";

/// What a background send did with delivery.
pub enum Handoff {
    /// A deliverer was started (its pid).
    Started(u32),
    /// One is running already; it will pick the entry up.
    Running,
}

impl Outbox {
    pub(super) fn lock_file(&self) -> io::Result<File> {
        entry::open_state(&self.dir.join(LOCK_FILE), true, false).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{LOCK_FILE}: {}", crate::error::plain_io(&e)),
            )
        })
    }

    /// Starts the deliverer for entry `stem` unless one runs already. It inherits the
    /// send's environment; `endpoint`, the URL the send chose, is handed on as a flag only
    /// when it came from one (an endpoint from the environment, or none, decides for the
    /// older entries as it would for a flush).
    pub fn hand_off(&self, stem: &str, endpoint: &str, settings: &Settings) -> io::Result<Handoff> {
        let lock = self.lock_file()?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(Handoff::Running),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let dir = std::path::absolute(&self.dir)?;
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.arg("--outbox").arg(&dir);
        if settings.origin("TELEMETRY_ENDPOINT") == Origin::Flag {
            cmd.args(["--endpoint", endpoint]);
        }
        let child = cmd
            .args(["-q", SUBCOMMAND, "--first", stem])
            .stdin(Stdio::from(lock))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Handoff::Started(child.id()))
    }
}
