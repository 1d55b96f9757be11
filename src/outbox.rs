//! The outbox: one entry per undelivered payload, `STEM.json` (the body) with its attempt
//! history beside it in `STEM.history` (`key=value` lines). Stems start with a UTC stamp so
//! that sorting them is oldest first. Permanent rejections go to `rejected/`, files that are
//! not entries to `corrupt/`.
//!
//! Concurrency: whoever acts on an entry (replays, expires, sets it aside) first *claims* it
//! with an exclusive `flock` on its `.json` and checks that the name still leads to the
//! locked file. The kernel drops the lock when its holder dies, so a claim never goes stale.
//! Writers hold a lock on the files they are writing (temp files, and a new history until
//! its `.json` is in place), so sweeping debris never removes work in progress.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::attempt::{Answer, Attempt, Outcome};
use crate::payload::{Kind, Payload, timestamp};

pub mod census;

pub const REJECTED_DIR: &str = "rejected";
pub const CORRUPT_DIR: &str = "corrupt";
pub const TEMP_PREFIX: &str = ".tmp-";
/// Debris (temp files, orphan legacy status files) older than this is swept even when its
/// writer might still be alive; a write takes milliseconds.
pub const DEBRIS_AGE: Duration = Duration::from_secs(10 * 60);
/// A file larger than this is not a payload (a manifest is a few KiB).
pub const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// Attempt lines kept in a history; older ones are dropped (`attempts=` keeps the count).
const MAX_ATTEMPT_LINES: usize = 50;
/// `20261121T234743.123456789Z`
const STAMP_LEN: usize = 26;

pub struct Outbox {
    pub dir: PathBuf,
}

/// The outbox caps: the oldest entries beyond them are dropped.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_entries: usize,
    pub max_age: Duration,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    pub fn json(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.json"))
    }

    pub fn history(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.history"))
    }

    /// Keeps an undelivered payload: in the outbox, or apart when it was rejected.
    /// Returns the entry's path.
    pub fn keep(
        &self,
        payload: &Payload,
        attempts: &[Attempt],
        outcome: Outcome,
    ) -> io::Result<PathBuf> {
        let dir = if outcome == Outcome::Rejected {
            self.dir.join(REJECTED_DIR)
        } else {
            self.dir.clone()
        };
        create_private_dir(&dir)?;
        let created = attempts
            .first()
            .map(|a| a.at)
            .unwrap_or_else(OffsetDateTime::now_utc);
        let stem = entry_stem(created, &payload.event_id);
        let mut history = History::new(&payload.event_id, payload.kind, created);
        history.checked = payload.checked;
        for a in attempts {
            history.record(a);
        }
        history.state = outcome_state(outcome).to_string();
        write_entry(&dir, &stem, &history.render(), &payload.body())?;
        Ok(dir.join(format!("{stem}.json")))
    }

    /// Lists the outbox once (names and types only, no `stat`), sorted oldest first.
    pub fn scan(&self) -> io::Result<Listing> {
        let mut l = Listing::default();
        let mut legacy: BTreeMap<(String, String), LegacyRun> = BTreeMap::new();
        for e in fs::read_dir(&self.dir)? {
            let Ok(e) = e else { continue };
            let Ok(ft) = e.file_type() else { continue };
            // rejected/, corrupt/ and any other directory are left alone.
            if ft.is_dir() {
                continue;
            }
            let name = e.file_name();
            let Some(s) = name.to_str() else {
                l.foreign.push(name);
                continue;
            };
            match classify(s) {
                Name::Temp if ft.is_file() => l.temps.push(s.to_string()),
                Name::Hidden | Name::Temp => {}
                Name::Entry(stem) if ft.is_file() => l.entries.push(stem.to_string()),
                // Matched against the entries in a second pass (below).
                Name::History(_) if ft.is_file() => {}
                Name::Legacy(kind, run, n, json) if ft.is_file() => {
                    let r = legacy
                        .entry((kind.to_string(), run.to_string()))
                        .or_insert_with(|| LegacyRun {
                            kind: kind.to_string(),
                            run: run.to_string(),
                            attempts: Vec::new(),
                            statuses: Vec::new(),
                        });
                    if json {
                        r.attempts.push((n, s.to_string()));
                    } else {
                        r.statuses.push(s.to_string());
                    }
                }
                _ => l.foreign.push(name),
            }
        }
        l.entries.sort_unstable();
        l.legacy = legacy.into_values().collect();
        for r in &mut l.legacy {
            r.attempts.sort_unstable_by(|a, b| b.cmp(a));
        }
        Ok(l)
    }

    /// Histories with no `.json` beside them, among `entries` (sorted) as listed by `scan`.
    /// A second listing rather than names held from the first, so that memory grows by one
    /// name per entry, not two; only `flush` sweeps them. One that gains its `.json` in
    /// between is not swept: `sweep_orphan` looks again under a lock.
    pub fn orphans(&self, entries: &[String]) -> io::Result<Vec<String>> {
        let mut orphans = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let Ok(e) = e else { continue };
            let name = e.file_name();
            if let Some(Name::History(stem)) = name.to_str().map(classify)
                && entries.binary_search_by(|s| s.as_str().cmp(stem)).is_err()
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                orphans.push(stem.to_string());
            }
        }
        Ok(orphans)
    }

    /// Claims the entry `stem` (see the module comment).
    pub fn claim(&self, stem: &str) -> io::Result<Claim> {
        claim(&self.json(stem))
    }

    /// Deletes a claimed entry. No fsync: should the deletion be lost in a crash, the entry
    /// is sent once more under the same key, which the receiver drops.
    pub fn delete(&self, stem: &str) -> io::Result<()> {
        remove(&self.json(stem))?;
        remove(&self.history(stem))
    }

    /// Rewrites the history of a claimed entry.
    pub fn record(&self, stem: &str, history: &History) -> io::Result<()> {
        write_atomic(
            &self.dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
        )
        .map(drop)
    }

    /// Moves a claimed entry to `rejected/` with its final history. The new history goes
    /// first, so a crash leaves the entry in place (replayed again) or moved with its history.
    pub fn reject(&self, stem: &str, history: &History) -> io::Result<PathBuf> {
        let dir = self.dir.join(REJECTED_DIR);
        create_private_dir(&dir)?;
        let _held = write_atomic(
            &dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
        )?;
        let to = dir.join(format!("{stem}.json"));
        fs::rename(self.json(stem), &to)?;
        remove(&self.history(stem))?;
        Ok(to)
    }

    /// Moves a file (and, for an entry, its history) into `corrupt/`, never over another.
    pub fn set_aside(&self, name: &OsString) -> io::Result<PathBuf> {
        let dir = self.dir.join(CORRUPT_DIR);
        create_private_dir(&dir)?;
        let to = free_name(&dir, name);
        fs::rename(self.dir.join(name), &to)?;
        if let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) {
            let h = self.history(stem);
            if h.exists() {
                let _ = fs::rename(
                    &h,
                    free_name(&dir, &OsString::from(format!("{stem}.history"))),
                );
            }
        }
        Ok(to)
    }

    /// Removes a temp file left by a writer that died (or, whatever its pid says, one older
    /// than `DEBRIS_AGE`). A live writer holds a lock on it.
    pub fn sweep_temp(&self, dir: &Path, name: &str) -> io::Result<bool> {
        let path = dir.join(name);
        let Claim::Held(_lock) = claim(&path)? else {
            return Ok(false);
        };
        let writer = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let dead = writer.is_some_and(|pid| !process_alive(pid));
        if dead || older_than(&path, DEBRIS_AGE) {
            remove(&path)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Removes a history whose `.json` is gone (a crash between the two deletions), unless
    /// its writer still holds it (a new entry whose `.json` is being written).
    pub fn sweep_orphan(&self, stem: &str) -> io::Result<bool> {
        let path = self.history(stem);
        let Claim::Held(_lock) = claim(&path)? else {
            return Ok(false);
        };
        if fs::symlink_metadata(self.json(stem)).is_ok() {
            return Ok(false);
        }
        remove(&path)?;
        Ok(true)
    }

    /// Entries beyond the caps, oldest first: returns how many of `entries` (sorted oldest
    /// first) are too old, and how many to drop in all (too old, then beyond the count).
    pub fn over_caps(entries: &[String], caps: Caps, now: SystemTime) -> (usize, usize) {
        let cutoff = OffsetDateTime::from(now.checked_sub(caps.max_age).unwrap_or(now));
        let aged = entries.partition_point(|s| stamp_of(s).is_some_and(|t| t < cutoff));
        let excess = entries.len().saturating_sub(caps.max_entries);
        (aged, aged.max(excess))
    }

    /// Drops the entries beyond the caps, oldest first (never `spare`, the one just written).
    /// `entries` is sorted oldest first; the first `Expiry::drop` of them are dealt with.
    pub fn expire(&self, entries: &[String], caps: Caps, spare: Option<&str>) -> Expiry {
        let (aged, drop) = Outbox::over_caps(entries, caps, SystemTime::now());
        let mut x = Expiry {
            aged,
            drop,
            caps,
            ..Expiry::default()
        };
        for stem in &entries[..drop] {
            if Some(stem.as_str()) == spare {
                continue;
            }
            let done = self.claim(stem).and_then(|c| match c {
                Claim::Held(_held) => self.delete(stem).map(|()| true),
                Claim::Busy => {
                    x.in_use += 1;
                    Ok(false)
                }
                Claim::Gone => Ok(false),
            });
            match done {
                Ok(true) => {
                    x.expired += 1;
                    x.oldest.get_or_insert_with(|| stem.clone());
                }
                Ok(false) => {}
                Err(e) => x.errors.push(format!(
                    "{}: cannot expire it: {}",
                    self.json(stem).display(),
                    crate::error::plain_io(&e)
                )),
            }
        }
        x
    }

    /// Drops old files from `rejected/` and `corrupt/` under the same caps (by the time they
    /// were moved there), and their temp debris. Returns how many files were removed.
    pub fn prune_side_dirs(&self, caps: Caps) -> usize {
        let mut removed = 0;
        for sub in [REJECTED_DIR, CORRUPT_DIR] {
            let dir = self.dir.join(sub);
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            // Group a `.json` with its `.history`; the group's time is the newest of them.
            let mut groups: BTreeMap<String, (SystemTime, Vec<OsString>)> = BTreeMap::new();
            for e in rd.flatten() {
                let name = e.file_name();
                let s = name.to_string_lossy().into_owned();
                if s.starts_with(TEMP_PREFIX) {
                    removed += usize::from(self.sweep_temp(&dir, &s).unwrap_or(false));
                    continue;
                }
                let Ok(meta) = e.metadata() else { continue };
                if meta.is_dir() {
                    continue;
                }
                let key = s
                    .strip_suffix(".json")
                    .or_else(|| s.strip_suffix(".history"))
                    .unwrap_or(&s)
                    .to_string();
                // The change time, which the move into this directory set: a file set
                // aside today is kept its full term whatever its modification time says.
                let at = changed(&meta);
                let g = groups.entry(key).or_insert((at, Vec::new()));
                g.0 = g.0.max(at);
                g.1.push(name);
            }
            let mut groups: Vec<_> = groups.into_values().collect();
            groups.sort_by_key(|g| g.0);
            let cutoff = SystemTime::now()
                .checked_sub(caps.max_age)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let aged = groups.iter().take_while(|g| g.0 < cutoff).count();
            let drop = aged.max(groups.len().saturating_sub(caps.max_entries));
            for (_, names) in groups.iter().take(drop) {
                for n in names {
                    if fs::remove_file(dir.join(n)).is_ok() {
                        removed += 1;
                    }
                }
            }
        }
        removed
    }
}

/// What `Outbox::expire` did.
#[derive(Debug, Default)]
pub struct Expiry {
    /// Entries older than the age cap.
    pub aged: usize,
    /// Entries beyond the caps in all (too old, then the oldest beyond the count).
    pub drop: usize,
    pub expired: usize,
    pub in_use: usize,
    pub oldest: Option<String>,
    pub errors: Vec<String>,
    caps: Caps,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            max_entries: usize::MAX,
            max_age: Duration::MAX,
        }
    }
}

impl Expiry {
    /// The warning for what was dropped, if anything was.
    pub fn note(&self) -> Option<String> {
        let oldest = self.oldest.as_ref()?;
        let mut why = Vec::new();
        if self.aged > 0 {
            why.push(format!(
                "older than TELEMETRY_OUTBOX_MAX_AGE_DAYS={}",
                self.caps.max_age.as_secs() / 86_400
            ));
        }
        if self.drop > self.aged {
            why.push(format!(
                "beyond TELEMETRY_OUTBOX_MAX_ENTRIES={}",
                self.caps.max_entries
            ));
        }
        Some(format!(
            "the outbox is over its caps ({}): dropped {} undelivered entries, oldest first (the oldest: {oldest})",
            why.join(", "),
            self.expired
        ))
    }
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
    /// Files that are not ours: to be set aside.
    pub foreign: Vec<OsString>,
}

/// The files the old scripts left for one run: `<kind>-<run>-attempt-N.json` (each attempt
/// a copy of the same payload) with `.status` files beside them.
#[derive(Debug)]
pub struct LegacyRun {
    /// `bootstrap` or `event`.
    pub kind: String,
    pub run: String,
    /// (attempt number, file name), newest first.
    pub attempts: Vec<(u64, String)>,
    pub statuses: Vec<String>,
}

enum Name<'a> {
    Entry(&'a str),
    History(&'a str),
    /// kind, run, attempt, is_json
    Legacy(&'a str, &'a str, u64, bool),
    Temp,
    Hidden,
    Foreign,
}

fn classify(name: &str) -> Name<'_> {
    if name.starts_with(TEMP_PREFIX) {
        return Name::Temp;
    }
    // Not ours to touch (editor swap files, NFS silly-renames, ...).
    if name.starts_with('.') {
        return Name::Hidden;
    }
    if let Some(l) = legacy_name(name) {
        return l;
    }
    if let Some(stem) = name.strip_suffix(".json") {
        if stamp_of(stem).is_some() {
            return Name::Entry(stem);
        }
    } else if let Some(stem) = name.strip_suffix(".history")
        && stamp_of(stem).is_some()
    {
        return Name::History(stem);
    }
    Name::Foreign
}

/// `bootstrap-<run>-attempt-N.json` / `event-<run>-attempt-N.status`, as the old scripts
/// named them.
fn legacy_name(name: &str) -> Option<Name<'_>> {
    let (base, json) = match name.strip_suffix(".json") {
        Some(b) => (b, true),
        None => (name.strip_suffix(".status")?, false),
    };
    let (kind, rest) = base.split_once('-')?;
    if kind != "bootstrap" && kind != "event" {
        return None;
    }
    let (run, n) = rest.rsplit_once("-attempt-")?;
    if run.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Name::Legacy(kind, run, n.parse().ok()?, json))
}

/// The creation stamp at the start of an entry's stem.
pub fn stamp_of(stem: &str) -> Option<OffsetDateTime> {
    let fmt =
        format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:9]Z");
    if stem.len() <= STAMP_LEN + 1 || stem.as_bytes()[STAMP_LEN] != b'-' {
        return None;
    }
    PrimitiveDateTime::parse(stem.get(..STAMP_LEN)?, &fmt)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// `20261121T234743.123456789Z-<event id>`: sorts oldest first.
pub fn entry_stem(at: OffsetDateTime, event_id: &str) -> String {
    let fmt =
        format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:9]Z");
    let stamp = at
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "19700101T000000.000000000Z".into());
    let mut id: String = event_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    if id.is_empty() {
        id.push('x');
    }
    format!("{stamp}-{id}")
}

/// Writes a new entry: the history first, held locked until the `.json` is in place, so a
/// `.json` always has its history and a history without one is recognisably debris.
pub fn write_entry(dir: &Path, stem: &str, history: &str, body: &[u8]) -> io::Result<()> {
    let _history = write_atomic(dir, &format!("{stem}.history"), history.as_bytes())?;
    write_atomic(dir, &format!("{stem}.json"), body).map(drop)
}

pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Temp file (named with the writer's pid, locked while written), fsync, rename, fsync of
/// the directory: a reader sees the whole file or none. Returns the file, still locked.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<File> {
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}-{}-{name}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.lock()?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(name))?;
        File::open(dir)?.sync_all()?;
        Ok(f)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// An exclusive claim on a file, released when dropped (or when the process dies).
pub enum Claim {
    Held(Held),
    /// Another process holds it.
    Busy,
    /// It is gone (delivered, expired or moved by another process).
    Gone,
}

pub struct Held {
    pub file: File,
    /// Its size when claimed: reading into a buffer of that size takes two reads, not ten.
    size: u64,
}

impl Held {
    /// The claimed file's bytes, up to `MAX_ENTRY` (+1, so that "too large" shows).
    pub fn read(&self) -> io::Result<Vec<u8>> {
        let cap = self.size.min(MAX_ENTRY) as usize + 1;
        let mut bytes = Vec::with_capacity(cap);
        (&self.file).take(MAX_ENTRY + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Open, lock without waiting, then check that `path` still names the locked file: a
/// holder deletes or moves it before letting go, so a stale handle must not count.
pub fn claim(path: &Path) -> io::Result<Claim> {
    match File::open(path) {
        Ok(file) => lock_verified(file, path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Claim::Gone),
        Err(e) => Err(e),
    }
}

fn lock_verified(file: File, path: &Path) -> io::Result<Claim> {
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Claim::Busy),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    let held = file.metadata()?;
    match fs::symlink_metadata(path) {
        Ok(m) if m.dev() == held.dev() && m.ino() == held.ino() => Ok(Claim::Held(Held {
            file,
            size: held.len(),
        })),
        Ok(_) => Ok(Claim::Gone),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Claim::Gone),
        Err(e) => Err(e),
    }
}

/// Removes a file; already gone is fine.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The inode change time (a rename sets it).
fn changed(meta: &fs::Metadata) -> SystemTime {
    let secs = u64::try_from(meta.ctime()).unwrap_or(0);
    let nanos = u32::try_from(meta.ctime_nsec())
        .unwrap_or(0)
        .min(999_999_999);
    SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
}

pub fn older_than(path: &Path, age: Duration) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e > age)
}

/// Whether a process with this pid exists (Linux `/proc`); when that cannot be told, it is
/// assumed alive and only age decides.
fn process_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// `dir/name`, or `dir/name.N` when that is taken.
fn free_name(dir: &Path, name: &OsString) -> PathBuf {
    let mut to = dir.join(name);
    let mut n = 1;
    while fs::symlink_metadata(&to).is_ok() && n < 1000 {
        let mut s = name.clone();
        s.push(format!(".{n}"));
        to = dir.join(s);
        n += 1;
    }
    to
}

fn outcome_state(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Rejected => "rejected",
        Outcome::Delivered => "delivered",
        Outcome::Kept => "kept",
    }
}

/// The grep-able attempt history of an entry.
#[derive(Debug, Clone)]
pub struct History {
    pub event_id: String,
    pub kind: Option<Kind>,
    pub created_at: String,
    pub state: String,
    /// Where the entry came from when not from `send` (e.g. an old script's file).
    pub source: Option<String>,
    /// Why the payload was refused before it was sent (see `cmd::flush::loaded`).
    pub refused: Option<String>,
    /// The privacy guard cleaned the payload before it was kept (`checked=1`).
    pub checked: bool,
    pub attempts: u32,
    pub last: Option<(String, Answer)>,
    /// The newest `MAX_ATTEMPT_LINES` `attempt=` lines.
    pub lines: Vec<String>,
}

impl History {
    pub fn new(event_id: &str, kind: Kind, created: OffsetDateTime) -> History {
        History {
            event_id: event_id.to_string(),
            kind: Some(kind),
            created_at: timestamp(created),
            ..History::parse("")
        }
    }

    /// Reads a history back; unknown lines are ignored, missing keys stay empty.
    pub fn parse(text: &str) -> History {
        let mut h = History {
            event_id: String::new(),
            kind: None,
            created_at: String::new(),
            state: "kept".into(),
            source: None,
            refused: None,
            checked: false,
            attempts: 0,
            last: None,
            lines: Vec::new(),
        };
        let mut last_at = String::new();
        let mut last = None;
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k {
                "event_id" => h.event_id = v.to_string(),
                "kind" => {
                    h.kind = match v {
                        "built" => Some(Kind::Built),
                        "raw" => Some(Kind::Raw),
                        _ => None,
                    }
                }
                "created_at" => h.created_at = v.to_string(),
                "state" => h.state = v.to_string(),
                "source" => h.source = Some(v.to_string()),
                "refused" => h.refused = Some(v.to_string()),
                "checked" => h.checked = v == "1",
                "attempts" => h.attempts = v.parse().unwrap_or(0),
                "last_attempt_at" => last_at = v.to_string(),
                "last_status" => last = v.parse().ok().map(Answer::Status),
                "last_error" => last = Some(Answer::Failed(v.to_string())),
                "attempt" => h.lines.push(line.to_string()),
                _ => {}
            }
        }
        h.last = last.map(|a| (last_at, a));
        h
    }

    pub fn record(&mut self, a: &Attempt) {
        self.lines.push(attempt_line(a));
        if self.lines.len() > MAX_ATTEMPT_LINES {
            self.lines.drain(..self.lines.len() - MAX_ATTEMPT_LINES);
        }
        self.attempts = self.attempts.max(a.number);
        self.last = Some((timestamp(a.at), a.answer.clone()));
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("event_id={}\n", self.event_id));
        if let Some(k) = self.kind {
            s.push_str(&format!("kind={}\n", k.as_str()));
        }
        s.push_str(&format!("created_at={}\n", self.created_at));
        s.push_str(&format!("state={}\n", self.state));
        if let Some(src) = &self.source {
            s.push_str(&format!("source={}\n", one_line(src)));
        }
        if let Some(why) = &self.refused {
            s.push_str(&format!("refused={}\n", one_line(why)));
        }
        if self.checked {
            s.push_str("checked=1\n");
        }
        s.push_str(&format!("attempts={}\n", self.attempts));
        if let Some((at, answer)) = &self.last {
            s.push_str(&format!("last_attempt_at={at}\n"));
            s.push_str(&answer_kv("last_", answer));
            s.push('\n');
        }
        for line in &self.lines {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

fn answer_kv(prefix: &str, answer: &Answer) -> String {
    match answer {
        Answer::Status(s) => format!("{prefix}status={s}"),
        Answer::Failed(e) => format!("{prefix}error={}", one_line(e)),
    }
}

fn attempt_line(a: &Attempt) -> String {
    format!(
        "attempt={} at={} {}",
        a.number,
        timestamp(a.at),
        answer_kv("", &a.answer)
    )
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified() {
        assert!(matches!(
            classify("20261121T234743.123456789Z-abc.json"),
            Name::Entry("20261121T234743.123456789Z-abc")
        ));
        assert!(matches!(
            classify("20261121T234743.123456789Z-abc.history"),
            Name::History(_)
        ));
        assert!(matches!(
            classify("bootstrap-run-1-attempt-12.json"),
            Name::Legacy("bootstrap", "run-1", 12, true)
        ));
        assert!(matches!(
            classify("event-r-attempt-1.status"),
            Name::Legacy("event", "r", 1, false)
        ));
        assert!(matches!(classify(".tmp-1-x-y.json"), Name::Temp));
        assert!(matches!(classify(".nfs0001"), Name::Hidden));
        for foreign in [
            "notes.txt",
            "random.json",
            "2026-abc.json",
            "event--attempt-1.json",
            "bootstrap-x-attempt-.json",
            "20261121T234743.123456789Z-.json",
        ] {
            assert!(matches!(classify(foreign), Name::Foreign), "{foreign}");
        }
    }

    #[test]
    fn stems_carry_a_stamp_that_sorts_and_parses_back() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let stem = entry_stem(t, "a b/c");
        assert_eq!(stem, "20231114T221320.123456789Z-abc");
        assert_eq!(stamp_of(&stem), Some(t));
        let later = entry_stem(t + Duration::from_secs(1), "0");
        assert!(later > stem);
    }

    #[test]
    fn caps_drop_the_too_old_then_the_oldest_beyond_the_count() {
        let day = Duration::from_secs(86_400);
        let now = SystemTime::UNIX_EPOCH + day * 100;
        let at = |d: u32| entry_stem(OffsetDateTime::from(SystemTime::UNIX_EPOCH + day * d), "e");
        let entries: Vec<String> = [1, 2, 80, 90, 99].map(at).to_vec();
        let caps = |n, age| Caps {
            max_entries: n,
            max_age: day * age,
        };
        assert_eq!(Outbox::over_caps(&entries, caps(10, 30), now), (2, 2));
        assert_eq!(Outbox::over_caps(&entries, caps(2, 30), now), (2, 3));
        assert_eq!(Outbox::over_caps(&entries, caps(10, 1000), now), (0, 0));
        assert_eq!(Outbox::over_caps(&[], caps(1, 1), now), (0, 0));
    }

    #[test]
    fn a_claim_through_a_stale_handle_is_refused() {
        let dir = std::env::temp_dir().join(format!("pk3s-claim-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        create_private_dir(&dir).unwrap();
        let path = dir.join("e.json");
        fs::write(&path, "{}").unwrap();

        // Opened by a slow claimer, then delivered and deleted by a quicker one...
        let stale = File::open(&path).unwrap();
        let Claim::Held(first) = claim(&path).unwrap() else {
            panic!("free")
        };
        assert!(matches!(claim(&path).unwrap(), Claim::Busy));
        remove(&path).unwrap();
        drop(first);
        // ...the slow one gets the lock, but on a file that is no longer the entry.
        assert!(matches!(lock_verified(stale, &path).unwrap(), Claim::Gone));
        // The same when a new file has taken the name in between.
        fs::write(&path, "{}").unwrap();
        let stale = File::open(&path).unwrap();
        remove(&path).unwrap();
        fs::write(&path, "{}").unwrap();
        assert!(matches!(lock_verified(stale, &path).unwrap(), Claim::Gone));
        assert!(matches!(claim(&path).unwrap(), Claim::Held(_)));
        assert!(matches!(
            claim(&dir.join("none.json")).unwrap(),
            Claim::Gone
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn histories_read_back_what_they_wrote() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let mut h = History::new("id-1", Kind::Raw, t);
        h.source = Some("legacy:x".into());
        for n in 1..=60 {
            h.record(&Attempt {
                number: n,
                at: t,
                answer: Answer::Failed("connection\nrefused".into()),
            });
        }
        let back = History::parse(&h.render());
        assert_eq!(back.event_id, "id-1");
        assert_eq!(back.kind, Some(Kind::Raw));
        assert_eq!(back.attempts, 60);
        assert_eq!(back.lines.len(), MAX_ATTEMPT_LINES);
        assert_eq!(back.source.as_deref(), Some("legacy:x"));
        assert_eq!(
            back.last.as_ref().map(|l| l.1.clone()),
            Some(Answer::Failed("connection refused".into()))
        );
        assert_eq!(back.render(), h.render());
        assert!(History::parse("garbage\n\0").event_id.is_empty());
    }
}
