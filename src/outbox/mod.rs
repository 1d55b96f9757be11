//! The outbox, the one store of undelivered payloads: every file operation on it lives in
//! this module (see docs/outbox.md).
//!
//! One entry per payload, `STEM.json` (the body) with its attempt history beside it in
//! `STEM.history`. Stems start with the entry's place in the write order (`order`), so
//! sorting them is oldest first whatever the clocks said. A send
//! writes its entry *ahead* of the first attempt and holds its claim while attempting.
//! Permanent rejections go to `rejected/`, entries that cannot be read as payloads to
//! `corrupt/`. Any other file in the directory is left exactly where it is.
//!
//! Concurrency: whoever acts on an entry first *claims* it with an exclusive `flock` on its
//! `.json` and checks that the name still leads to the locked file. The kernel drops the
//! lock when its holder dies, so a claim never goes stale. Writers hold a lock on the files
//! they are writing (temp files, and a new history until its `.json` is in place), so
//! sweeping debris never removes work in progress.

pub mod background;
pub mod caps;
pub mod carry;
pub mod census;
pub mod deliverer;
pub mod drops;
pub mod entry;
pub mod history;
pub mod ledger;
pub mod legacy;
pub mod memory;
pub mod order;
pub mod purge;
pub mod replay;
pub mod report;
pub mod route;
pub mod send;
pub mod stored;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use time::OffsetDateTime;

use crate::attempt::{Attempt, Outcome};
use crate::payload::Payload;
use entry::{Claim, Held, MAX_HISTORY, Name, REJECTED_DIR, TEMP_PREFIX};
pub use history::History;
pub use legacy::LegacyRun;
pub use route::Pin;

pub struct Outbox {
    pub dir: PathBuf,
}

/// What a listing found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Stems of entries (`STEM.json`), oldest first.
    pub entries: Vec<String>,
    /// Entries left by the old shell scripts, one per run.
    pub legacy: Vec<LegacyRun>,
    /// Temp files (`.tmp-*`).
    pub temps: Vec<String>,
    /// Files that are not ours (or not regular files under our names): never touched.
    pub foreign: Vec<String>,
    /// A hash of each history's stem (`stem_hash`): enough to tell whether any history
    /// lacks its `.json`, in 8 bytes a history rather than its name.
    pub histories: Vec<u64>,
}

/// FNV-1a: fixed, so that equal stems always hash alike; a collision only hides an
/// orphan history until a later flush.
fn stem_hash(stem: &str) -> u64 {
    stem.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An entry under its writer's (or deliverer's) claim, before its attempts are settled.
pub struct Pending {
    pub stem: String,
    held: Held,
    history: History,
}

impl Pending {
    /// An entry read back under its claim (the deliverer's first entry).
    pub fn claimed(stem: String, held: Held, history: History) -> Pending {
        Pending {
            stem,
            held,
            history,
        }
    }

    /// The outbox's clock when it was written (see `order`).
    pub fn clock(&self) -> Option<u64> {
        self.history.outbox_ms
    }

    /// Why a send kept it without trying (see `memory`).
    pub fn spare(&mut self, why: String) {
        self.history.spared = Some(why);
    }
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    pub fn json(&self, stem: &str) -> PathBuf {
        self.named(stem, ".json")
    }

    pub fn history(&self, stem: &str) -> PathBuf {
        self.named(stem, ".history")
    }

    fn named(&self, stem: &str, ext: &str) -> PathBuf {
        let dir = self.dir.as_os_str();
        let mut p = PathBuf::with_capacity(dir.len() + 1 + stem.len() + ext.len());
        p.push(dir);
        p.push(stem);
        p.as_mut_os_string().push(ext);
        p
    }

    /// Makes the outbox directory (0700) when it is missing. The configured path itself may
    /// be a symlink (the operator's choice); nothing inside it is followed.
    pub fn ensure(&self) -> io::Result<()> {
        match fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "Not a directory",
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir),
            Err(e) => Err(e),
        }
    }

    /// A warning when others could plant or remove files in the outbox: writable by
    /// everyone, or owned by another user.
    pub fn exposure(&self) -> Option<String> {
        let m = fs::metadata(&self.dir).ok()?;
        let dir = self.dir.display();
        if m.permissions().mode() & 0o002 != 0 {
            return Some(format!(
                "the outbox {dir} is writable by everyone: other users can plant or remove files in it; use a private directory"
            ));
        }
        // Owned by the process's user: /proc/self is, without a call into libc.
        let me = fs::metadata("/proc/self").ok()?.uid();
        (m.uid() != me).then(|| {
            format!(
                "the outbox {dir} belongs to uid {}, not to this user (uid {me}): its owner can plant or remove files in it",
                m.uid()
            )
        })
    }

    /// Writes `payload` as a new entry before its first attempt, for the endpoint of `pin`,
    /// and keeps it claimed. It takes the next place in the write order and the outbox's
    /// clock (`order`). Not fsynced: a killed process leaves its files in the page cache;
    /// `settle` makes a kept entry durable.
    pub fn write_ahead(&self, payload: &Payload, pin: &Pin) -> io::Result<Pending> {
        let mut history = History::new(&payload.event_id, payload.kind, OffsetDateTime::now_utc());
        history.checked = payload.checked;
        pin.record(&mut history);
        history.state = "sending".into();
        self.write_new(payload, history)
    }

    /// Writes `payload` as a new entry with `history` (its place in the write order and
    /// the outbox's clock added), and keeps it claimed.
    fn write_new(&self, payload: &Payload, mut history: History) -> io::Result<Pending> {
        self.ensure()?;
        let now = OffsetDateTime::now_utc();
        let ticket = order::next(&self.dir);
        let stem = entry::entry_stem(Some(ticket.seq), now, &payload.event_id);
        history.outbox_ms = ticket.outbox_ms;
        let body = payload.body();
        // The history first, held until its `.json` is in place: a `.json` always has its
        // history, and a history without one is recognisably debris once unlocked.
        let _history = entry::write_atomic(
            &self.dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
            false,
        )?;
        let json = entry::write_atomic(&self.dir, &format!("{stem}.json"), &body, false)?;
        Ok(Pending {
            stem,
            held: Held::written(json, body.len()),
            history,
        })
    }

    /// Ends a send's attempts on its pending entry: removed when delivered, kept (history
    /// recorded, all fsynced) or moved to `rejected/`. Returns where it is now.
    pub fn settle(
        &self,
        p: Pending,
        outcome: Outcome,
        attempts: &[Attempt],
    ) -> io::Result<Option<PathBuf>> {
        let Pending {
            stem,
            held,
            mut history,
        } = p;
        if outcome == Outcome::Delivered {
            self.delete(&stem)?;
            return Ok(None);
        }
        for a in attempts {
            history.record(a);
        }
        if outcome == Outcome::Rejected {
            history.state = "rejected".into();
            return self.reject(&stem, &history).map(Some);
        }
        history.state = "kept".into();
        held.file.sync_all()?;
        self.record(&stem, &history)?;
        drop(held);
        Ok(Some(self.json(&stem)))
    }

    /// Lists the outbox once (names and types only, no `stat`), sorted oldest first.
    pub fn scan(&self) -> io::Result<Listing> {
        let mut l = Listing::default();
        let mut legacy: BTreeMap<(String, String), LegacyRun> = BTreeMap::new();
        for e in fs::read_dir(&self.dir)? {
            let Ok(e) = e else { continue };
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            let Some(s) = name.to_str() else {
                l.foreign.push(name.to_string_lossy().into_owned());
                continue;
            };
            // `rejected/`, `corrupt/` and any other directory are not listed.
            if ft.is_dir() {
                continue;
            }
            // A symlink, FIFO or socket under one of our names was not made by this tool.
            let regular = ft.is_file();
            match entry::classify(s) {
                Name::Temp if regular => l.temps.push(s.to_string()),
                Name::Hidden | Name::Temp => {}
                Name::Entry(stem) if regular => {
                    // The name's own buffer, cut to its stem: one allocation a name.
                    let keep = stem.len();
                    if let Ok(mut own) = name.into_string() {
                        own.truncate(keep);
                        l.entries.push(own);
                    }
                }
                // Histories are matched against the entries where they are swept.
                Name::History(stem) if regular => l.histories.push(stem_hash(stem)),
                Name::Legacy(kind, run, n, json) if regular => {
                    let r = legacy
                        .entry((kind.to_string(), run.to_string()))
                        .or_insert_with(|| LegacyRun::new(kind, run));
                    if json {
                        r.attempts.push((n, s.to_string()));
                    } else {
                        r.statuses.push(s.to_string());
                    }
                }
                _ => l.foreign.push(s.to_string()),
            }
        }
        l.entries.sort_unstable();
        l.foreign.sort_unstable();
        l.legacy = legacy.into_values().collect();
        for r in &mut l.legacy {
            r.attempts.sort_unstable_by(|a, b| b.cmp(a));
        }
        Ok(l)
    }

    /// Histories with no `.json` beside them, for a listing made by `scan`. Their names
    /// come from a second listing, made only when the hashes say there is one, so that
    /// memory grows by one name per entry, not two. One that gains its `.json` in between
    /// is not swept: `sweep_orphan` looks again under a lock.
    pub fn orphans(&self, listing: &Listing) -> io::Result<Vec<String>> {
        let entries = &listing.entries;
        let mut known: Vec<u64> = entries.iter().map(|e| stem_hash(e)).collect();
        known.sort_unstable();
        if listing
            .histories
            .iter()
            .all(|h| known.binary_search(h).is_ok())
        {
            return Ok(Vec::new());
        }
        let mut orphans = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let Ok(e) = e else { continue };
            let name = e.file_name();
            if let Some(Name::History(stem)) = name.to_str().map(entry::classify)
                && entries.binary_search_by(|s| s.as_str().cmp(stem)).is_err()
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                orphans.push(stem.to_string());
            }
        }
        Ok(orphans)
    }

    /// Claims the entry `stem` (see the module comment and `entry::claim` for `settled`).
    pub fn claim(&self, stem: &str, settled: Option<SystemTime>) -> io::Result<Claim> {
        entry::claim(&self.json(stem), settled)
    }

    /// An entry's history, read with a bound; `None` when missing, not a regular file or
    /// too large (the entry is then replayed under the key in its body or name).
    pub fn read_history(&self, stem: &str) -> Option<History> {
        entry::read_small_text(&self.history(stem), MAX_HISTORY).map(|t| History::parse(&t))
    }

    /// Deletes a claimed entry. No fsync: should the deletion be lost in a crash, the entry
    /// is sent once more under the same key, which the receiver drops.
    pub fn delete(&self, stem: &str) -> io::Result<()> {
        entry::remove(&self.json(stem))?;
        entry::remove(&self.history(stem))
    }

    /// Rewrites the history of a claimed entry, durably.
    pub fn record(&self, stem: &str, history: &History) -> io::Result<()> {
        entry::write_atomic(
            &self.dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
            true,
        )
        .map(drop)
    }

    /// Moves a claimed entry to `rejected/` with its final history. The new history goes
    /// first, so a crash leaves the entry in place (replayed again) or moved with its history.
    pub fn reject(&self, stem: &str, history: &History) -> io::Result<PathBuf> {
        let dir = self.dir.join(REJECTED_DIR);
        entry::private_dir(&dir)?;
        let _held = entry::write_atomic(
            &dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
            true,
        )?;
        let to = dir.join(format!("{stem}.json"));
        fs::rename(self.json(stem), &to)?;
        entry::remove(&self.history(stem))?;
        Ok(to)
    }

    /// Moves every entry of `rejected/` back into the outbox (history first, `state=kept`),
    /// so that the next replay tries each once more. Returns how many, and the errors.
    pub fn restore_rejected(&self) -> (usize, Vec<String>) {
        let dir = self.dir.join(REJECTED_DIR);
        let aside = Outbox::new(&dir);
        let Ok(listing) = fs::symlink_metadata(&dir)
            .and_then(|m| {
                if m.is_dir() {
                    Ok(())
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "not a directory",
                    ))
                }
            })
            .and_then(|()| aside.scan())
        else {
            return (0, Vec::new());
        };
        let (mut moved, mut errors) = (0, Vec::new());
        for stem in &listing.entries {
            let done = aside.claim(stem, None).and_then(|c| match c {
                Claim::Held(_held) => {
                    let mut h = aside
                        .read_history(stem)
                        .unwrap_or_else(|| History::parse(""));
                    h.state = "kept".into();
                    // Held until the `.json` is back, so that no sweep takes it for debris.
                    let _history = entry::write_atomic(
                        &self.dir,
                        &format!("{stem}.history"),
                        h.render().as_bytes(),
                        true,
                    )?;
                    fs::rename(aside.json(stem), self.json(stem))?;
                    entry::remove(&aside.history(stem)).map(|()| true)
                }
                Claim::Busy | Claim::Gone => Ok(false),
            });
            match done {
                Ok(m) => moved += usize::from(m),
                Err(e) => errors.push(format!(
                    "{}: cannot move it back for a replay: {}",
                    aside.json(stem).display(),
                    crate::error::plain_io(&e)
                )),
            }
        }
        (moved, errors)
    }

    /// Moves one of our files (and, for an entry, its history) into `corrupt/`, never over
    /// another. Only for regular files under our names, which the caller has claimed.
    pub fn set_aside(&self, name: &str) -> io::Result<PathBuf> {
        let dir = self.dir.join(entry::CORRUPT_DIR);
        entry::private_dir(&dir)?;
        let to = entry::free_name(&dir, name);
        fs::rename(self.dir.join(name), &to)?;
        if let Some(stem) = name.strip_suffix(".json") {
            let h = self.history(stem);
            if fs::symlink_metadata(&h).is_ok_and(|m| m.is_file()) {
                let _ = fs::rename(&h, entry::free_name(&dir, &format!("{stem}.history")));
            }
        }
        Ok(to)
    }

    /// Removes a temp file left by a writer that died (or, whatever its pid says, one older
    /// than `DEBRIS_AGE`). A live writer holds a lock on it.
    pub fn sweep_temp(&self, dir: &Path, name: &str) -> io::Result<bool> {
        let path = dir.join(name);
        let Claim::Held(_lock) = entry::claim(&path, None)? else {
            return Ok(false);
        };
        let writer = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let dead = writer.is_some_and(|pid| !entry::process_alive(pid));
        if dead || entry::older_than(&path, entry::DEBRIS_AGE) {
            entry::remove(&path)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Removes a history whose `.json` is gone (a crash between the two deletions), unless
    /// its writer still holds it (a new entry whose `.json` is being written).
    pub fn sweep_orphan(&self, stem: &str) -> io::Result<bool> {
        let path = self.history(stem);
        let Claim::Held(_lock) = entry::claim(&path, None)? else {
            return Ok(false);
        };
        if fs::symlink_metadata(self.json(stem)).is_ok() {
            return Ok(false);
        }
        entry::remove(&path)?;
        Ok(true)
    }
}

/// The one warning about files that are not ours, naming them (the first few).
pub fn foreign_note(dir: &Path, foreign: &[String]) -> Option<String> {
    const SHOWN: usize = 5;
    if foreign.is_empty() {
        return None;
    }
    let mut names = foreign
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if foreign.len() > SHOWN {
        names.push_str(&format!(" and {} more", foreign.len() - SHOWN));
    }
    Some(format!(
        "the outbox {} holds {} this tool did not write, left as they are: {names}",
        dir.display(),
        crate::error::count(foreign.len(), "file", "files")
    ))
}
