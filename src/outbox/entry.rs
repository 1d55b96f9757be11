//! One file of the outbox: its name, atomic writes, claims and bounded reads. Nothing here
//! follows a symlink inside the outbox, and only regular files are ever read.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use time::{OffsetDateTime, PrimitiveDateTime};

use crate::input;
use crate::oflags::O_NOATIME;
pub use crate::oflags::O_NOFOLLOW;
use crate::payload::push_utc;

pub const REJECTED_DIR: &str = "rejected";
pub const CORRUPT_DIR: &str = "corrupt";
pub const TEMP_PREFIX: &str = ".tmp-";
/// Held by the one background deliverer of an outbox (see `background`).
pub const LOCK_FILE: &str = ".pk3s-deliverer.lock";
/// Debris (temp files, orphan legacy status files) older than this is swept even when its
/// writer might still be alive; a write takes milliseconds.
pub const DEBRIS_AGE: Duration = Duration::from_secs(10 * 60);
/// A file larger than this is not a payload (a manifest is a few KiB).
pub const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// A history holds at most 50 attempt lines of about 100 bytes: anything larger is not one.
pub const MAX_HISTORY: u64 = 64 * 1024;
/// An old script's `.status` file is three short lines.
pub const MAX_STATUS: u64 = 4 * 1024;
/// `20261121T234743.123456789Z`
const STAMP_LEN: usize = 26;
/// `s000000000000002a-`: an entry's place in the order entries were written (`order`), in
/// front of its stamp. Stems without one (earlier versions, the old scripts' runs) sort
/// first, by their stamp, as they did.
const SEQ_LEN: usize = 18;

/// What a name in the outbox is.
#[derive(Debug, PartialEq, Eq)]
pub enum Name<'a> {
    /// `STEM.json`, an entry.
    Entry(&'a str),
    /// `STEM.history`, its history.
    History(&'a str),
    /// `bootstrap-<run>-attempt-N.json|.status` or `event-…`: the old scripts' files.
    Legacy(&'a str, &'a str, u64, bool),
    /// `.tmp-…`: a temp file of ours.
    Temp,
    /// Any other hidden file (editor, NFS, our lock file): never touched.
    Hidden,
    /// Not a name this tool writes: never touched.
    Foreign,
}

pub fn classify(name: &str) -> Name<'_> {
    if name.starts_with(TEMP_PREFIX) {
        return Name::Temp;
    }
    if name.starts_with('.') {
        return Name::Hidden;
    }
    if let Some(stem) = name.strip_suffix(".json")
        && stamp_of(stem).is_some()
    {
        return Name::Entry(stem);
    }
    if let Some(stem) = name.strip_suffix(".history")
        && stamp_of(stem).is_some()
    {
        return Name::History(stem);
    }
    let (base, json) = match (name.strip_suffix(".json"), name.strip_suffix(".status")) {
        (Some(b), _) => (b, true),
        (_, Some(b)) => (b, false),
        _ => return Name::Foreign,
    };
    for kind in ["bootstrap", "event"] {
        let Some(rest) = base.strip_prefix(kind).and_then(|r| r.strip_prefix('-')) else {
            continue;
        };
        if let Some((run, n)) = rest.rsplit_once("-attempt-")
            && !run.is_empty()
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = n.parse::<u64>()
        {
            return Name::Legacy(kind, run, n, json);
        }
    }
    Name::Foreign
}

#[cfg(test)]
fn stamp_format() -> &'static [time::format_description::BorrowedFormatItem<'static>] {
    time::macros::format_description!(
        "[year][month][day]T[hour][minute][second].[subsecond digits:9]Z"
    )
}

/// Whether a stem starts with a sequence number (`s` and 16 lowercase hex digits, then
/// `-`): a look at its bytes, as every name of a listing goes through here.
pub fn sequenced(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() > SEQ_LEN
        && b.first() == Some(&b's')
        && b.get(SEQ_LEN - 1) == Some(&b'-')
        && b.get(1..SEQ_LEN - 1)
            .is_some_and(|h| h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
}

/// The sequence number in front of a stem, if it has one.
pub fn seq_of(stem: &str) -> Option<u64> {
    if !sequenced(stem) {
        return None;
    }
    u64::from_str_radix(stem.get(1..SEQ_LEN - 1)?, 16).ok()
}

/// The stem without its sequence number, if it has one: `STAMP-ID`.
fn stamped(stem: &str) -> &str {
    if sequenced(stem) {
        stem.get(SEQ_LEN..).unwrap_or(stem)
    } else {
        stem
    }
}

/// The id part of a stem (after its stamp), as it was written into the name.
pub fn id_of(stem: &str) -> Option<&str> {
    stamped(stem).get(STAMP_LEN + 1..)
}

/// The creation stamp in an entry's stem (after its sequence number, if any). Read by
/// hand: every name of a listing goes through here, and time's parser interprets its
/// description each call. It is the wall clock's word when the entry was written: the
/// order comes from the sequence, the age from the outbox's own clock (`order`).
pub fn stamp_of(stem: &str) -> Option<OffsetDateTime> {
    let b = stamped(stem).as_bytes();
    if b.len() <= STAMP_LEN + 1
        || b.get(STAMP_LEN) != Some(&b'-')
        || b.get(8) != Some(&b'T')
        || b.get(15) != Some(&b'.')
        || b.get(25) != Some(&b'Z')
    {
        return None;
    }
    // Year, month, day, hour, minute, second, nanosecond: at most nine digits each.
    let mut f = [0u32; 7];
    let spans = [0..4, 4..6, 6..8, 9..11, 11..13, 13..15, 16..25];
    for (v, span) in f.iter_mut().zip(spans) {
        for &c in b.get(span)? {
            if !c.is_ascii_digit() {
                return None;
            }
            *v = *v * 10 + u32::from(c - b'0');
        }
    }
    let [year, month, day, hour, minute, second, nano] = f;
    let small = |v: u32| u8::try_from(v).ok();
    let month = time::Month::try_from(small(month)?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, small(day)?).ok()?;
    let t = time::Time::from_hms_nano(small(hour)?, small(minute)?, small(second)?, nano).ok()?;
    Some(PrimitiveDateTime::new(date, t).assume_utc())
}

/// `s<seq>-20261121T234743.123456789Z-<event id>`, or without `s<seq>-` for an entry
/// that has no place in the write order (an old script's run): sorts in write order.
pub fn entry_stem(seq: Option<u64>, at: OffsetDateTime, event_id: &str) -> String {
    // `stamp_of` reads it back; a test holds the two to time's own formatter and parser.
    let mut stem = String::with_capacity(SEQ_LEN + STAMP_LEN + 1 + 36);
    if let Some(n) = seq {
        stem.push_str(&format!("s{n:016x}-"));
    }
    if (0..=9999).contains(&at.to_offset(time::UtcOffset::UTC).year()) {
        push_utc(&mut stem, at, false, 9);
    } else {
        stem.push_str("19700101T000000.000000000Z");
    }
    stem.push('-');
    stem.push_str(&stem_id(event_id));
    stem
}

/// An event id as a stem holds it: its name-safe characters, at most 64 (`id_of` reads
/// it back).
pub fn stem_id(event_id: &str) -> String {
    let id: String = event_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    if id.is_empty() { "x".into() } else { id }
}

/// Makes `dir` (0700) if it is missing, and refuses one that is not a real directory: a
/// symlink planted as `rejected/` must not send files elsewhere.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not a directory (a symlink?)", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir),
        Err(e) => Err(e),
    }
}

/// Temp file (named with the writer's pid, locked while written), rename: a reader sees the
/// whole file or none. With `durable`, the file and then the directory are fsynced too.
/// Returns the file, still locked.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8], durable: bool) -> io::Result<File> {
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
            .custom_flags(O_NOFOLLOW)
            .open(&tmp)?;
        f.lock()?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(name))?;
        if durable {
            sync_dir(dir)?;
        }
        Ok(f)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens a regular file for reading without following a symlink, without waiting on a
/// FIFO (`input::open`, the one way the tool opens a file to read) and without updating
/// its access time; anything else is an `InvalidData` error naming what it is.
pub fn open_regular(path: &Path) -> io::Result<(File, fs::Metadata)> {
    let open = |flags| input::open(path, O_NOFOLLOW | flags);
    match open(O_NOATIME) {
        // EPERM: not the file's owner (O_NOATIME is the owner's): open it as usual.
        Err(e) if e.raw_os_error() == Some(1) => open(0),
        other => other,
    }
    .map_err(|e| {
        // ELOOP: the name is a symlink.
        if e.raw_os_error() == Some(40) {
            io::Error::new(io::ErrorKind::InvalidData, "a symlink, not followed")
        } else {
            e
        }
    })
}

/// Reads at most `bound` bytes (+1, so that "too large" shows) of an open file of `size`
/// bytes (its `fstat`). Our files are written whole and renamed into place, so the size
/// is the size: no read to find the end (a replay reads two files per entry).
pub fn read_open(mut file: &File, size: u64, bound: u64) -> io::Result<Vec<u8>> {
    let want = size.min(bound + 1) as usize;
    let mut bytes = vec![0; want];
    let mut got = 0;
    while let Some(rest) = bytes.get_mut(got..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(got);
    Ok(bytes)
}

/// A regular file's bytes, at most `bound` (+1); a symlink, FIFO or directory is an error.
pub fn read_bounded(path: &Path, bound: u64) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular(path)?;
    read_open(&file, meta.len(), bound)
}

/// A short text file of ours (a history, a status file): `None` when it is missing,
/// not a regular file, or larger than `bound`.
pub fn read_small_text(path: &Path, bound: u64) -> Option<String> {
    let bytes = read_bounded(path, bound).ok()?;
    if bytes.len() as u64 > bound {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// Opens one of the tool's small state files (`.pk3s-sequence`, `.pk3s-drops`, a lock) for
/// reading and writing (appending, with `append`), 0600, made when missing if `create`;
/// without following a symlink or waiting on a FIFO. Anything but a regular file is an
/// `InvalidData` error.
pub fn open_state(path: &Path, create: bool, append: bool) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(!append)
        .append(append)
        .create(create)
        .truncate(false)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW | crate::oflags::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    Ok(f)
}

/// Takes an exclusive lock on `f`, trying for at most a second of wall time: the holders
/// of the state files keep it for one read and rename, but twenty sends settling at once on
/// a loaded machine queue for it (a count of 1 ms sleeps gave up after 200 ms there and lost
/// their lines), and one stopped while holding it must not stall a send for long.
pub fn lock_briefly(f: &File) -> Option<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let mut pause = Duration::from_millis(1);
    loop {
        match f.try_lock() {
            Ok(()) => return Some(()),
            Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(8));
            }
            Err(_) => return None,
        }
    }
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
    size: u64,
}

impl Held {
    /// The claimed file's bytes, up to `MAX_ENTRY` (+1, so that "too large" shows).
    pub fn read(&self) -> io::Result<Vec<u8>> {
        read_open(&self.file, self.size, MAX_ENTRY)
    }

    /// A claim on a file this process has just written and still holds locked.
    pub fn written(file: File, size: usize) -> Held {
        Held {
            file,
            size: size as u64,
        }
    }
}

/// How far before `settled` (see `claim`) a file's last change must be for its name not to
/// be checked again: far more than the coarse clock that stamps changes lags the real one.
const SETTLED_MARGIN: Duration = Duration::from_secs(2);

/// Open (no symlink, no FIFO), lock without waiting, then check that `path` still names the
/// locked file: a holder deletes or moves it before letting go, so a stale handle must not
/// count. Something that is not a regular file is an `InvalidData` error.
///
/// `settled`, a moment before the open (a replay's start), spares that check of the name:
/// moving, deleting or replacing a file sets its change time (ctime) and deleting or
/// replacing it drops its link count, so a file still linked whose ctime is well before
/// `settled` is where it was opened. A clock set back by more than the margin meanwhile
/// could let a file just moved to `rejected/` be sent once more, under the same key.
pub fn claim(path: &Path, settled: Option<SystemTime>) -> io::Result<Claim> {
    match open_regular(path) {
        Ok((file, _)) => locked(file, path, settled),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Claim::Gone),
        Err(e) => Err(e),
    }
}

fn locked(file: File, path: &Path, settled: Option<SystemTime>) -> io::Result<Claim> {
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Claim::Busy),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    // Taken again after the lock: the link count and change time now, not at the open.
    let held = file.metadata()?;
    if held.nlink() == 0 {
        return Ok(Claim::Gone);
    }
    let claim = |file| {
        Claim::Held(Held {
            file,
            size: held.len(),
        })
    };
    if settled.is_some_and(|t| changed(&held) + SETTLED_MARGIN < t) {
        return Ok(claim(file));
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.dev() == held.dev() && m.ino() == held.ino() => Ok(claim(file)),
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
pub fn changed(meta: &fs::Metadata) -> SystemTime {
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
pub fn process_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// `dir/name`, or `dir/name.N` when that is taken.
pub fn free_name(dir: &Path, name: &str) -> PathBuf {
    let mut to = dir.join(name);
    let mut n = 1;
    while fs::symlink_metadata(&to).is_ok() && n < 1000 {
        to = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    to
}

#[cfg(test)]
mod tests;
