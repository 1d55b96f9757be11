//! Emptying the outbox (`disable --purge`): every payload waiting in it is discarded, never
//! sent. The entries with their histories, `rejected/`, `corrupt/`, the old scripts' files,
//! and the debris a dead writer left (its temp files, orphan histories). The outbox's own
//! records stay (the last delivery, the write order, the drops, the census cache, the
//! ledger of what was delivered): they hold no payload waiting to go. Files that are not
//! ours stay too, as everywhere.
//!
//! An entry is discarded under its claim, like any other action on it, so an entry that
//! another process holds at that moment (a background deliverer, a flush, a send during
//! its attempts) is left where it is and named: that process is sending it now.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Outbox;
use super::entry::{self, CORRUPT_DIR, Claim, REJECTED_DIR, TEMP_PREFIX};
use crate::error::plain_io;

/// What a purge did.
#[derive(Debug, Default)]
pub struct Purged {
    pub pending: usize,
    /// Runs of the old scripts (each one payload, in several files).
    pub legacy_runs: usize,
    pub rejected: usize,
    /// Files of `corrupt/`.
    pub corrupt: usize,
    /// Entries another process held: left, by path.
    pub held: Vec<PathBuf>,
    /// What could not be removed, in words naming the file.
    pub errors: Vec<String>,
}

impl Purged {
    pub fn discarded(&self) -> usize {
        self.pending + self.legacy_runs + self.rejected + self.corrupt
    }
}

/// Empties the outbox at `dir`. `Err(NotFound)` when there is none; any other error to
/// list it is an error of the whole purge. Everything else is counted or named.
pub fn purge(dir: &Path) -> io::Result<Purged> {
    let outbox = Outbox::new(dir);
    let listing = outbox.scan()?;
    let mut p = Purged::default();
    for stem in &listing.entries {
        if p.entry(&outbox, stem) {
            p.pending += 1;
        }
    }
    for run in &listing.legacy {
        let mut any = false;
        for (_, name) in &run.attempts {
            any |= p.claimed_file(&dir.join(name));
        }
        for name in &run.statuses {
            p.file(&dir.join(name));
        }
        p.legacy_runs += usize::from(any);
    }
    p.debris(&outbox, &listing);
    let rejected = dir.join(REJECTED_DIR);
    if real_dir(&rejected) {
        let aside = Outbox::new(&rejected);
        match aside.scan() {
            Ok(l) => {
                for stem in &l.entries {
                    if p.entry(&aside, stem) {
                        p.rejected += 1;
                    }
                }
                p.debris(&aside, &l);
            }
            Err(e) => p.unlisted(&rejected, &e),
        }
    }
    let corrupt = dir.join(CORRUPT_DIR);
    if real_dir(&corrupt) {
        match fs::read_dir(&corrupt) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let ours = e.file_type().is_ok_and(|t| t.is_file())
                        && !e.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
                    if ours && p.file(&e.path()) {
                        p.corrupt += 1;
                    }
                }
            }
            Err(e) => p.unlisted(&corrupt, &e),
        }
    }
    Ok(p)
}

/// A directory of ours: a real one, not a symlink to elsewhere.
fn real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

impl Purged {
    /// Discards one entry under its claim; true when it was discarded.
    fn entry(&mut self, outbox: &Outbox, stem: &str) -> bool {
        match outbox.claim(stem, None) {
            Ok(Claim::Held(_held)) => match outbox.delete(stem) {
                Ok(()) => true,
                Err(e) => self.cannot(&outbox.json(stem), &e),
            },
            Ok(Claim::Busy) => {
                self.held.push(outbox.json(stem));
                false
            }
            Ok(Claim::Gone) => false,
            Err(e) => self.cannot(&outbox.json(stem), &e),
        }
    }

    /// One old script's payload file, under a claim as for an entry.
    fn claimed_file(&mut self, path: &Path) -> bool {
        match entry::claim(path, None) {
            Ok(Claim::Held(_held)) => self.file(path),
            Ok(Claim::Busy) => {
                self.held.push(path.to_path_buf());
                false
            }
            Ok(Claim::Gone) => false,
            Err(e) => self.cannot(path, &e),
        }
    }

    fn file(&mut self, path: &Path) -> bool {
        match entry::remove(path) {
            Ok(()) => true,
            Err(e) => self.cannot(path, &e),
        }
    }

    /// What dead writers left: temp files and histories without their entry (a live
    /// writer's are locked and stay).
    fn debris(&mut self, outbox: &Outbox, listing: &super::Listing) {
        for name in &listing.temps {
            let _ = outbox.sweep_temp(&outbox.dir, name);
        }
        for stem in outbox.orphans(listing).unwrap_or_default() {
            let _ = outbox.sweep_orphan(&stem);
        }
    }

    fn unlisted(&mut self, dir: &Path, e: &io::Error) {
        self.errors.push(format!(
            "{}: cannot list it: {}",
            dir.display(),
            plain_io(e)
        ));
    }

    fn cannot(&mut self, path: &Path, e: &io::Error) -> bool {
        self.errors.push(format!(
            "{}: cannot remove it: {}",
            path.display(),
            plain_io(e)
        ));
        false
    }
}
