//! `send --background`: the send returns once its entry is safe in the outbox, and a
//! detached deliverer (this binary again, through a hidden subcommand) delivers it with the
//! send policy, then drains the older entries within the flush budget.
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
//! so it holds no descriptor of its caller: a caller piping through `tee` or waiting on a
//! pipe is not kept waiting.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::entry::{self, LOCK_FILE};
use super::replay::{Counts, Options, Replayer, Sink, Summary};
use super::{Listing, Outbox};
use crate::attempt::Outcome;
use crate::delivery::Client;

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
    fn lock_file(&self) -> io::Result<File> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(entry::O_NOFOLLOW)
            .open(self.dir.join(LOCK_FILE))?;
        if !f.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{LOCK_FILE} is not a regular file"),
            ));
        }
        Ok(f)
    }

    /// Starts the deliverer for entry `stem` unless one runs already. `endpoint` is the
    /// URL the send chose (it may have come from a flag).
    pub fn hand_off(&self, stem: &str, endpoint: &str) -> io::Result<Handoff> {
        let lock = self.lock_file()?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(Handoff::Running),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let dir = std::path::absolute(&self.dir)?;
        let child = Command::new(std::env::current_exe()?)
            .arg("--outbox")
            .arg(&dir)
            .args(["--endpoint", endpoint, "-q", SUBCOMMAND, "--first", stem])
            .stdin(Stdio::from(lock))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Handoff::Started(child.id()))
    }
}

/// The deliverer's lock: the one handed over as standard input, else taken here (when the
/// subcommand is run by hand). `None`: another deliverer holds it.
fn take_lock(outbox: &Outbox) -> io::Result<Option<File>> {
    let path = outbox.dir.join(LOCK_FILE);
    if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
        let f = File::from(fd);
        if let (Ok(a), Ok(b)) = (f.metadata(), std::fs::symlink_metadata(&path))
            && a.dev() == b.dev()
            && a.ino() == b.ino()
        {
            // Held through the same open file description: taking it again is a no-op.
            return relock(f);
        }
    }
    relock(outbox.lock_file()?)
}

fn relock(f: File) -> io::Result<Option<File>> {
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// The deliverer: `first` with the send policy, then the older entries, then whatever
/// arrived meanwhile, all within `opts.max_time`.
pub fn deliver(
    replayer: &Replayer,
    url: &str,
    first: Option<&str>,
    opts: &Options,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    let outbox = &replayer.outbox;
    let Some(lock) = take_lock(outbox)? else {
        return Ok(());
    };
    let started = Instant::now();
    let deadline = started + opts.max_time;
    if let Some(stem) = first {
        let client = Client::new(replayer.settings, url)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.0))?;
        // Its own delivery failed: the endpoint is not taking payloads now, so the older
        // entries wait for a flush.
        if replayer.deliver_first(&client, stem, deadline, sink) == Some(Outcome::Kept) {
            return Ok(());
        }
    }
    let mut seen: Vec<String> = Vec::new();
    loop {
        let listing = outbox.scan()?;
        let fresh: Vec<String> = listing
            .entries
            .iter()
            .filter(|s| seen.binary_search(s).is_err())
            .cloned()
            .collect();
        let mut n = Counts::default();
        let todo = replayer.prepare(
            Listing {
                entries: fresh,
                ..listing
            },
            &mut n,
            sink,
        );
        let left = opts.max_time.saturating_sub(started.elapsed());
        let round = Options {
            limit: None,
            max_time: left,
            workers: opts.workers,
            progress: false,
        };
        let summary = replayer.run(url, &todo, n, &round, sink);
        seen.extend(todo);
        seen.sort_unstable();
        let stopped = !matches!(summary, Ok(Summary { stopped: None, .. }));
        if stopped || Instant::now() >= deadline {
            return Ok(());
        }
        // Let go, then look once more: a send that found the lock taken counted on us.
        lock.unlock()?;
        let again = outbox.scan()?;
        if again.entries.iter().all(|s| seen.binary_search(s).is_ok()) {
            return Ok(());
        }
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e),
        }
    }
}
