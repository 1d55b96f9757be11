//! The background deliverer (`deliver-outbox`, started by `send --background`; see
//! `background`): it closes what it inherited above standard error, takes the outbox's
//! deliverer lock, delivers its first entry through the send use case (`send`), then
//! drains the older entries like a flush, then whatever arrived meanwhile, all within the
//! flush budget.

use std::fs::{File, TryLockError};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::time::Instant;

use super::entry::LOCK_FILE;
use super::replay::{Counts, Options, Replayer, Sink, Summary};
use super::send::{self, Mode, Sent, Start};
use super::{Listing, Outbox};
use crate::attempt::Outcome;

/// Closes every descriptor above standard error that this process inherited: one its
/// caller leaked without close-on-exec (a pipe it waits on to end, say) must not stay open
/// for the deliverer's whole life. Standard input (the lock) and output and error stay.
/// Run first, before this process opens anything of its own.
pub fn close_inherited() {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect();
    // The listing's own descriptor is among them, closed by now: skipped, as closing a
    // closed descriptor is a fault.
    for fd in fds {
        if std::fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_err() {
            continue;
        }
        // SAFETY: nothing in this process owns these descriptors: it opened none of them
        // (this runs first, on the only thread), so closing them invalidates no handle.
        unsafe { rustix::io::close(fd) };
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

/// The deliverer: `first` through the send use case, then the older entries, then whatever
/// arrived meanwhile, all within `opts.max_time`.
pub fn deliver(
    replayer: &Replayer,
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
        let sent = send::send(
            Start::Kept(replayer, stem),
            Mode::Deliverer(deadline),
            replayer.settings,
        );
        match sent {
            // Its own delivery failed: the endpoint is not taking payloads now, so the
            // older entries wait for a flush.
            Ok(Sent::Settled(_, r)) if r.outcome == Outcome::Kept => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                sink.warn(&format!("{e:#}"));
                return Ok(());
            }
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
        let summary = replayer.run(&todo, n, &round, sink);
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
