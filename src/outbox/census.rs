//! What `status` shows of an outbox: how many entries wait, how many were rejected or set
//! aside as corrupt, how old the oldest is, and the last delivery. One listing of names per
//! directory (the file type comes with the name: no `stat`), nothing parsed but the oldest
//! stem, nothing sorted: fast on 10,000 entries.
//!
//! The counts are cached in `.state/census`, keyed by the metadata of the outbox and its
//! `rejected/` and `corrupt/` directories (any entry created, renamed or removed changes
//! its directory's mtime), so a `status` of an unchanged outbox lists nothing. As with git's
//! "racily clean" index, a cache is only written for directories that have been quiet for
//! `QUIET` (a change within the same coarse clock tick as the listing would keep the same
//! mtime), and only when the key is the same before and after the listing.
//!
//! The last delivery is the outbox's own small record, `.last-delivery` (a hidden name, so
//! flushes leave it alone): written by `send` after a delivery and by `flush` once at its
//! end when it delivered something. A run that never delivered leaves none.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::settings::Verbosity;

use super::entry::{
    self, CORRUPT_DIR, Name, REJECTED_DIR, TEMP_PREFIX, private_dir, read_small_text, stamp_of,
    write_atomic,
};

pub const LAST_DELIVERY: &str = ".last-delivery";
/// The record is a few short lines.
const MAX_RECORD: u64 = 4096;
/// The cache's directory and file: hidden names, which the rest of the store never touches.
const STATE_DIR: &str = ".state";
const CACHE: &str = "census";
/// How long the directories must have been unchanged before their counts are cached: well
/// over a coarse clock tick (1-10 ms), which is what file systems stamp mtimes with.
const QUIET: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub struct Census {
    /// Entries waiting for a flush (`STEM.json`).
    pub pending: usize,
    /// Runs left by the old shell scripts, waiting too (one per run).
    pub legacy_runs: usize,
    /// Kept apart after a permanent rejection (`rejected/*.json`).
    pub rejected: usize,
    /// Set aside as not ours or unreadable (`corrupt/`).
    pub corrupt: usize,
    /// When the oldest pending entry was first tried.
    pub oldest: Option<OffsetDateTime>,
    /// The stems of the oldest and the newest pending entries: a flush tries the oldest
    /// first, a send the newest, so their histories hold the latest answers (`status`).
    pub ends: Option<(String, String)>,
    pub last_delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub at: OffsetDateTime,
    /// `send` or `flush`.
    pub by: String,
    /// e.g. "HTTP 200", or for a flush "12 entries".
    pub what: String,
}

/// Counts the outbox at `dir`, from the cache when nothing changed since it was written.
/// `Err(NotFound)` when there is no outbox.
pub fn census(dir: &Path) -> io::Result<Census> {
    let state = dir.join(STATE_DIR);
    let key = key_of(dir)?;
    let mut c = match cached(&state, &key) {
        Some(c) => c,
        None => {
            let c = list(dir)?;
            let ours = c.pending + c.legacy_runs + c.rejected + c.corrupt > 0;
            if !ours {
                // Nothing of ours here (a new outbox, or a path that is not one): leave
                // no trace.
            } else if fs::symlink_metadata(&state).is_err() {
                // Made now, used from the next status on: making it changed the key.
                let _ = private_dir(&state);
            } else if key_of(dir).is_ok_and(|again| again == key) && quiet(dir) {
                // A cache that cannot be written only costs the next status a listing.
                let _ = write_atomic(&state, CACHE, record(&key, &c).as_bytes(), false);
            }
            c
        }
    };
    c.last_delivery = last_delivery(dir);
    Ok(c)
}

/// The metadata that keys the cache: the outbox (followed if it is a symlink, the
/// operator's choice), then `rejected/` and `corrupt/` (not followed).
fn watched_meta(dir: &Path) -> [io::Result<fs::Metadata>; 3] {
    [
        fs::metadata(dir),
        fs::symlink_metadata(dir.join(REJECTED_DIR)),
        fs::symlink_metadata(dir.join(CORRUPT_DIR)),
    ]
}

/// What identifies the state of the watched directories.
fn key_of(dir: &Path) -> io::Result<String> {
    let mut key = String::new();
    for meta in watched_meta(dir) {
        match meta {
            Ok(m) if m.is_dir() => key.push_str(&format!(
                "{}.{}:{}:{}:{};",
                m.mtime(),
                m.mtime_nsec(),
                m.size(),
                m.ino(),
                m.nlink()
            )),
            Ok(_) => key.push_str("-;"),
            Err(e) if e.kind() == io::ErrorKind::NotFound => key.push_str("-;"),
            Err(e) => return Err(e),
        }
    }
    Ok(key)
}

/// The three directories were last changed at least `QUIET` ago.
fn quiet(dir: &Path) -> bool {
    let Some(limit) = SystemTime::now().checked_sub(QUIET) else {
        return false;
    };
    watched_meta(dir).into_iter().all(|meta| match meta {
        Ok(m) => m.modified().is_ok_and(|t| t < limit),
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    })
}

fn record(key: &str, c: &Census) -> String {
    let oldest = c
        .oldest
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let (first, last) = c.ends.clone().unwrap_or_default();
    format!(
        "key={key}\npending={}\nlegacy_runs={}\nrejected={}\ncorrupt={}\noldest={oldest}\nends={first} {last}\n",
        c.pending, c.legacy_runs, c.rejected, c.corrupt
    )
}

/// The cached counts, when they were taken under `key`.
fn cached(state: &Path, key: &str) -> Option<Census> {
    let text = read_small_text(&state.join(CACHE), MAX_RECORD)?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
    };
    if field("key")? != key {
        return None;
    }
    let n = |name: &str| field(name)?.parse::<usize>().ok();
    Some(Census {
        pending: n("pending")?,
        legacy_runs: n("legacy_runs")?,
        rejected: n("rejected")?,
        corrupt: n("corrupt")?,
        oldest: match field("oldest")? {
            "" => None,
            t => Some(OffsetDateTime::parse(t, &Rfc3339).ok()?),
        },
        // A cache of an earlier version has none: only the advice from them is missed.
        ends: field("ends")
            .and_then(|e| e.split_once(' '))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .map(|(a, b)| (a.to_string(), b.to_string())),
        last_delivery: None,
    })
}

/// One listing of each directory.
fn list(dir: &Path) -> io::Result<Census> {
    let mut c = Census::default();
    let mut oldest: Option<String> = None;
    let mut newest: Option<String> = None;
    let mut legacy = BTreeSet::new();
    for e in fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        match entry::classify(name) {
            Name::Entry(stem) => {
                c.pending += 1;
                if oldest.as_deref().is_none_or(|o| stem < o) {
                    oldest = Some(stem.to_string());
                }
                if newest.as_deref().is_none_or(|n| stem > n) {
                    newest = Some(stem.to_string());
                }
            }
            Name::Legacy(kind, run, _, true) => {
                legacy.insert(format!("{kind}-{run}"));
            }
            _ => {}
        }
    }
    c.legacy_runs = legacy.len();
    c.oldest = oldest.as_deref().and_then(stamp_of);
    c.ends = oldest.zip(newest);
    c.rejected = rejected(dir);
    c.corrupt = count(&dir.join(CORRUPT_DIR), |n| !n.starts_with(TEMP_PREFIX));
    Ok(c)
}

/// The entries kept apart in the outbox's `rejected/` (flush names them: it does not
/// replay them unless asked).
pub fn rejected(dir: &Path) -> usize {
    count(&dir.join(REJECTED_DIR), |n| n.ends_with(".json"))
}

/// Regular files in `dir` whose name passes `keep`; 0 when there is no such directory (or
/// a symlink stands in its place: not followed).
fn count(dir: &Path, keep: impl Fn(&str) -> bool) -> usize {
    if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return 0;
    }
    fs::read_dir(dir).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter(|e| e.file_name().to_str().is_some_and(&keep))
            .count()
    })
}

/// Records a delivery (see the module comment): a temp file renamed over the old record,
/// so a reader sees one whole record. No fsync: a crash loses only this note.
fn note_delivery(dir: &Path, by: &str, what: &str) -> io::Result<()> {
    let at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .map_err(io::Error::other)?;
    private_dir(dir)?;
    let text = format!("at={at}\nby={by}\nwhat={}\n", what.replace('\n', " "));
    write_atomic(dir, LAST_DELIVERY, text.as_bytes(), false).map(drop)
}

/// `note_delivery` for the commands: a failure is told under `-v`, never a failure of the run.
pub fn note(dir: &Path, by: &str, what: &str, out: Verbosity) {
    if let Err(e) = note_delivery(dir, by, what) {
        out.info(format_args!(
            "{}: cannot record the last delivery: {}",
            dir.join(LAST_DELIVERY).display(),
            crate::error::plain_io(&e)
        ));
    }
}

/// The last delivery recorded in `dir`; `None` when there is none or it cannot be read.
fn last_delivery(dir: &Path) -> Option<Delivery> {
    let text = read_small_text(&dir.join(LAST_DELIVERY), MAX_RECORD)?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    };
    Some(Delivery {
        at: OffsetDateTime::parse(&field("at")?, &Rfc3339).ok()?,
        by: field("by").unwrap_or_default(),
        what: field("what").unwrap_or_default(),
    })
}
