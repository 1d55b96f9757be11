//! Reading the ledger back: every record for `log` (a damaged line named and skipped, the
//! rest shown), what left for the lookup before a replay, and the count and last record
//! for `status` from the segments' last bytes. Every read opens without following a
//! symlink or waiting on a FIFO, takes regular files only (`entry::open_regular`) and
//! reads at most the size bound (the newest part of a larger segment).

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::record::{self, Entry, Line, Tail};
use super::{LEDGER_FILE, OLDER_FILE};
use crate::input;
use crate::outbox::entry;
use crate::outbox::route::normalize;
use crate::settings::LedgerCaps;

/// How much of a segment's end is read for its last record first.
const LAST_CHUNK: u64 = 64 * 1024;
/// Damaged lines named one by one, per segment; the rest are counted.
const NAMED: usize = 5;

/// The last `min(size, bound)` bytes of `f` (`size` from its `fstat`).
pub fn whole(f: &File, size: u64, bound: u64) -> io::Result<Vec<u8>> {
    let n = size.min(bound);
    let mut bytes = vec![0; usize::try_from(n).unwrap_or(usize::MAX)];
    f.read_exact_at(&mut bytes, size - n)?;
    Ok(bytes)
}

/// One segment as read.
pub struct Segment {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// Larger than the size bound: only its newest part was read (from a whole line).
    pub cut: bool,
}

/// The segments of the ledger in `dir`, older first (a missing one left out), and a line
/// naming each that cannot be read.
pub fn segments(dir: &Path, caps: LedgerCaps) -> (Vec<Segment>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for name in [OLDER_FILE, LEDGER_FILE] {
        let path = dir.join(name);
        let read = entry::open_regular(&path).and_then(|(f, meta)| {
            let bytes = whole(&f, meta.len(), caps.max_bytes)?;
            Ok((bytes, meta.len() > caps.max_bytes))
        });
        match read {
            Ok((mut bytes, cut)) => {
                if cut {
                    let from = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
                    bytes.drain(..from);
                }
                out.push(Segment { path, bytes, cut });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!(
                "the ledger {}: {}; not read",
                path.display(),
                input::words(&e)
            )),
        }
    }
    (out, problems)
}

/// The lines of a segment (without their newlines), with their numbers; a last piece with
/// no newline (a write cut short) is a line too.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !bytes.is_empty() && !l.is_empty())
}

/// Everything the ledger holds.
#[derive(Debug, Default)]
pub struct Ledgered {
    /// Oldest first.
    pub entries: Vec<Entry>,
    /// One line for each segment that is damaged or cannot be read.
    pub problems: Vec<String>,
    /// Some segment exists.
    pub exists: bool,
}

impl Ledgered {
    /// The records that left at or after `since` (those whose time cannot be read are
    /// left out then), newest first, at most `limit`.
    pub fn newest(&self, since: Option<OffsetDateTime>, limit: Option<u64>) -> Vec<&Entry> {
        let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        self.entries
            .iter()
            .rev()
            .filter(|e| {
                since.is_none_or(|t| OffsetDateTime::parse(&e.at, &Rfc3339).is_ok_and(|at| at >= t))
            })
            .take(limit)
            .collect()
    }

    /// The newest record of the payload `event_id`.
    pub fn find(&self, event_id: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.event_id == event_id)
    }
}

/// Every record of the ledger in `dir`, oldest first.
pub fn all(dir: &Path, caps: LedgerCaps) -> Ledgered {
    let (segments, mut problems) = segments(dir, caps);
    let mut entries = Vec::new();
    for s in &segments {
        let mut damaged = Vec::new();
        let ended = s.bytes.last().is_none_or(|&b| b == b'\n');
        let count = lines(&s.bytes).count();
        for (i, line) in lines(&s.bytes) {
            match record::parse(line) {
                Line::Record(e) => entries.push(*e),
                Line::Sealed => {}
                Line::Damaged(_) if i == count && !ended => {
                    damaged.push(format!("line {i} (cut short)"));
                }
                Line::Damaged(why) => damaged.push(format!("line {i} ({why})")),
            }
        }
        if s.cut {
            problems.push(format!(
                "the ledger {}: larger than TELEMETRY_LEDGER_MAX_MB: only its newest {} bytes are read (line numbers count from there)",
                s.path.display(),
                s.bytes.len()
            ));
        }
        if !damaged.is_empty() {
            let more = damaged.len().saturating_sub(NAMED);
            let mut named = damaged
                .into_iter()
                .take(NAMED)
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                named.push_str(&format!(" and {more} more"));
            }
            problems.push(format!(
                "the ledger {}: damaged, skipped: {named}",
                s.path.display()
            ));
        }
    }
    Ledgered {
        entries,
        problems,
        exists: !segments.is_empty(),
    }
}

/// What left, for the lookup before a replay: each event id delivered, with the endpoints
/// (normalised) it was delivered to. Carried payloads (`flush --to`) do not count.
#[derive(Debug, Default)]
pub struct Left {
    by_id: HashMap<String, Vec<String>>,
}

impl Left {
    /// Reads the ledger in `dir` once (a missing or unreadable one: nothing left).
    pub fn load(dir: &Path, caps: LedgerCaps) -> Left {
        let (segments, _) = segments(dir, caps);
        let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
        // Nearly every record names one of a few endpoints: normalised once each.
        let mut normal: HashMap<String, String> = HashMap::new();
        for s in &segments {
            for (_, line) in lines(&s.bytes) {
                if !record::delivered(line) {
                    continue;
                }
                let Some((id, endpoint)) = record::head(line) else {
                    continue;
                };
                let n = normal
                    .entry(endpoint)
                    .or_insert_with_key(|e| normalize(e))
                    .clone();
                by_id.entry(id).or_default().push(n);
            }
        }
        Left { by_id }
    }

    /// Whether the payload `event_id` was delivered to `url` (compared as pinned
    /// endpoints are: scheme and host case, a default port, a trailing slash aside).
    pub fn contains(&self, event_id: &str, url: &str) -> bool {
        self.by_id.get(event_id).is_some_and(|eps| {
            let u = normalize(url);
            eps.contains(&u)
        })
    }
}

/// What `status` shows of the ledger.
#[derive(Debug, Default)]
pub struct Overview {
    pub path: PathBuf,
    /// Records held (what left, within the bounds).
    pub recorded: u64,
    /// The newest record.
    pub last: Option<Entry>,
    /// Some segment exists.
    pub exists: bool,
    /// A segment cannot be read or does not end with a record (`log` names the lines).
    pub damaged: bool,
}

/// The ledger's count and newest record, from each segment's last bytes: no more is read
/// unless a segment is damaged or its last record is larger than `LAST_CHUNK`.
pub fn overview(dir: &Path, caps: LedgerCaps) -> Overview {
    let mut o = Overview {
        path: dir.join(LEDGER_FILE),
        ..Overview::default()
    };
    for name in [OLDER_FILE, LEDGER_FILE] {
        let path = dir.join(name);
        let (f, meta) = match entry::open_regular(&path) {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(_) => {
                o.exists = true;
                o.damaged = true;
                continue;
            }
        };
        o.exists = true;
        let size = meta.len();
        let Ok(end) = whole(&f, size, LAST_CHUNK) else {
            o.damaged = true;
            continue;
        };
        let from_start = end.len() as u64 == size;
        match record::tail(
            &end[end.len().saturating_sub(64)..],
            from_start && end.len() <= 64,
        ) {
            Tail::Count(n) | Tail::Sealed(n) => o.recorded += n,
            Tail::Damaged => {
                o.damaged = true;
                let all = whole(&f, size, caps.max_bytes).unwrap_or_default();
                o.recorded += lines(&all)
                    .filter(|(_, l)| matches!(record::parse(l), Line::Record(_)))
                    .count() as u64;
            }
        }
        let line = match last_line(&end, from_start) {
            Some(l) => Some(l.to_vec()),
            None if !from_start => whole(&f, size, caps.max_bytes)
                .ok()
                .and_then(|all| last_line(&all, true).map(<[u8]>::to_vec)),
            None => None,
        };
        if let Some(Line::Record(e)) = line.as_deref().map(record::parse) {
            o.last = Some(*e);
        }
    }
    o
}

/// The last record line of `bytes` (a segment's end; `whole` when from its start),
/// skipping a seal; `None` when none ends there or its start is not in `bytes`.
fn last_line(bytes: &[u8], whole: bool) -> Option<&[u8]> {
    let body = bytes.strip_suffix(b"\n")?;
    let mut end = body.len();
    loop {
        let piece = body.get(..end)?;
        let start = match piece.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if whole => 0,
            None => return None,
        };
        let line = piece.get(start..)?;
        if !line.starts_with(record::SEALED) {
            return (!line.is_empty()).then_some(line);
        }
        end = start.checked_sub(1)?;
    }
}
