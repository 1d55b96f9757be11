//! The ledger: what left this machine, beside the outbox it left from. Every payload
//! delivered (a 2xx) by `send`, the background deliverer, `flush` or `flush --from`, and
//! every one carried out by hand (`flush --to`), is one record (`record`): when, where,
//! which event, which attempt, the receiver's status, the protocol and the exact body.
//! Never the token: it is a header, and bodies have passed the privacy guard.
//!
//! Two segments, fixed hidden names that no listing takes for entries: `.pk3s-ledger`
//! (the current one, appended to) and `.pk3s-ledger.1` (the one before). A segment holds
//! at most half of each bound (`TELEMETRY_LEDGER_MAX_ENTRIES`, `TELEMETRY_LEDGER_MAX_MB`);
//! when the next record would pass either, the current segment is renamed over the older
//! one (the oldest half goes) and a new one begun. So the ledger holds at most the bounds
//! and at least the newest half of them.
//!
//! Concurrency: a writer opens the current segment (no symlink, no FIFO, 0600, append),
//! takes an exclusive `flock` on it, reads its last bytes (the last record's number, `n`,
//! or the seal a rotation left), writes its records in one `write`, and lets go: five
//! system calls a record. A rotation renames the segment and then seals it (a last line
//! saying so) under its lock, so a writer holding it open looks for the new one. A record
//! is written before its entry is removed: a payload that left and is still in the outbox
//! (a kill in between) is found by the lookup (`read::Left`) and not sent again. Not
//! fsynced: a power cut may lose the newest records, never an entry.

pub mod group;
pub mod read;
pub mod record;

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::entry;
use crate::attempt::{Answer, Attempt};
use crate::delivery::protocol::Protocol;
use crate::error::plain_io;
use crate::payload::Payload;
use crate::settings::LedgerCaps;
use record::{ENDING_MAX, Record, Tail};

/// The current segment, and the one before it.
pub const LEDGER_FILE: &str = ".pk3s-ledger";
pub const OLDER_FILE: &str = ".pk3s-ledger.1";
/// How many of a segment's last bytes say its last record's number.
const TAIL: u64 = 64;

/// A writer of one outbox's ledger; keeps the current segment open between records.
pub struct Ledger {
    dir: PathBuf,
    caps: LedgerCaps,
    file: Option<File>,
    /// Where this writer's last write ended (inode, size, last `n`): while the segment is
    /// still that size, nobody wrote since, and its tail need not be read again.
    end: Option<(u64, u64, u64)>,
}

/// What one locked turn came to.
enum Turn {
    Done,
    /// The segment was rotated away (by this writer or another): open the current one.
    Reopen,
}

impl Ledger {
    pub fn new(dir: &Path, caps: LedgerCaps) -> Ledger {
        Ledger {
            dir: dir.to_path_buf(),
            caps,
            file: None,
            end: None,
        }
    }

    /// Records per segment: half the count bound.
    fn per_count(&self) -> u64 {
        (self.caps.max_entries / 2).max(1)
    }

    /// Bytes per segment: half the size bound.
    fn per_bytes(&self) -> u64 {
        (self.caps.max_bytes / 2).max(4096)
    }

    /// The longest line a record may take: a segment's bytes.
    pub fn max_line(&self) -> usize {
        usize::try_from(self.per_bytes()).unwrap_or(usize::MAX)
    }

    /// Appends `records`, in order. An error says why they (or the last of them) were not
    /// recorded; the payloads have left all the same.
    pub fn append(&mut self, records: &[Record]) -> io::Result<()> {
        let max = self.max_line();
        let lines: Vec<Vec<u8>> = records.iter().map(|r| r.render(max)).collect();
        self.append_lines(&lines)
    }

    /// Appends records rendered for `max_line`, in order.
    pub fn append_lines(&mut self, lines: &[Vec<u8>]) -> io::Result<()> {
        let mut next = 0;
        // A few turns: each rotation (ours or another writer's) costs one.
        for _ in 0..8 {
            if next == lines.len() {
                return Ok(());
            }
            let fresh = self.file.is_none();
            let f = match self.file.take() {
                Some(f) => f,
                None => entry::open_state(&self.dir.join(LEDGER_FILE), true, true)?,
            };
            entry::lock_briefly(&f).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "held by another process for too long",
                )
            })?;
            let turn = self.turn(&f, lines, &mut next, fresh);
            let _ = f.unlock();
            match turn {
                Ok(Turn::Done) => self.file = Some(f),
                Ok(Turn::Reopen) => self.end = None,
                Err(e) => {
                    self.end = None;
                    return Err(e);
                }
            }
        }
        Err(io::Error::other("it was rotated too often meanwhile"))
    }

    /// Under the segment's lock: numbers and writes what fits, rotating when full.
    fn turn(
        &mut self,
        f: &File,
        lines: &[Vec<u8>],
        next: &mut usize,
        fresh: bool,
    ) -> io::Result<Turn> {
        let meta = f.metadata()?;
        if meta.nlink() == 0 {
            // Removed by hand while open.
            return Ok(Turn::Reopen);
        }
        let size = meta.len();
        let mut out = Vec::new();
        let mut n = match self.end {
            // Nobody wrote since this writer did: its last number stands.
            Some((ino, end, n)) if ino == meta.ino() && end == size => n,
            _ => self.tail(f, size, fresh, &mut out)?,
        };
        if n == u64::MAX {
            return Ok(Turn::Reopen);
        }
        while let Some(line) = lines.get(*next) {
            let len = (line.len() + ENDING_MAX) as u64;
            let full = n >= self.per_count() || size + out.len() as u64 + len > self.per_bytes();
            if full && size + out.len() as u64 > 0 {
                let mut f = f;
                f.write_all(&out)?;
                self.rotate(f, n)?;
                return Ok(Turn::Reopen);
            }
            out.extend_from_slice(line);
            n += 1;
            out.extend_from_slice(&record::ending(n));
            *next += 1;
        }
        let mut f = f;
        f.write_all(&out)?;
        self.end = Some((meta.ino(), size + out.len() as u64, n));
        Ok(Turn::Done)
    }

    /// The number of the segment's last record, from its last bytes (`u64::MAX`: it was
    /// rotated away, open the current one). A damaged end is counted around, and `out`
    /// starts with a newline so that the next record begins a line of its own.
    fn tail(&self, f: &File, size: u64, fresh: bool, out: &mut Vec<u8>) -> io::Result<u64> {
        let seen = size.min(TAIL);
        let mut window = vec![0; seen as usize];
        f.read_exact_at(&mut window, size - seen)?;
        Ok(match record::tail(&window, seen == size) {
            Tail::Count(n) => n,
            // A rotation cut short after its seal: move it out of the way.
            Tail::Sealed(_) if fresh => {
                fs::rename(self.dir.join(LEDGER_FILE), self.dir.join(OLDER_FILE))?;
                u64::MAX
            }
            Tail::Sealed(_) => u64::MAX,
            // A write cut short (or not ours): its lines count, and ours start on a new one.
            Tail::Damaged => {
                let bytes = read::whole(f, size, self.caps.max_bytes)?;
                if bytes.last().is_some_and(|&b| b != b'\n') {
                    out.push(b'\n');
                }
                bytes.iter().filter(|&&b| b == b'\n').count() as u64
            }
        })
    }

    /// Renames the full segment over the older one (the oldest records go), then seals it:
    /// a writer that holds it open sees the seal and opens the new one.
    fn rotate(&self, mut f: &File, n: u64) -> io::Result<()> {
        fs::rename(self.dir.join(LEDGER_FILE), self.dir.join(OLDER_FILE))?;
        f.write_all(&record::seal(n))
    }
}

/// The record of `payload`, delivered to `url` in `protocol` by `by` at `attempt` with
/// `body` (the exact bytes that left).
pub fn delivery<'a>(
    payload: &'a Payload,
    name: Option<&'a str>,
    url: &'a str,
    by: &'a str,
    protocol: Protocol,
    attempt: &Attempt,
    body: &'a [u8],
) -> Record<'a> {
    Record {
        event_id: &payload.event_id,
        endpoint: url,
        at: attempt.at,
        by,
        protocol: protocol.as_str(),
        event_name: name,
        attempt: attempt.number,
        status: match attempt.answer {
            Answer::Status(s) => Some(s),
            Answer::Failed(_) => None,
        },
        carried_to: None,
        body,
    }
}

/// Records one payload a send (or the deliverer's first entry) delivered. The error is
/// the warning to show: the payload has left all the same.
pub fn note(dir: &Path, caps: LedgerCaps, record: Record) -> Result<(), String> {
    Ledger::new(dir, caps)
        .append(&[record])
        .map_err(|e| cannot_record(dir, &e))
}

/// The warning for a delivery the ledger in `dir` could not record.
pub fn cannot_record(dir: &Path, e: &io::Error) -> String {
    format!(
        "delivered, but the ledger {} cannot record it: {}",
        dir.join(LEDGER_FILE).display(),
        plain_io(e)
    )
}

#[cfg(test)]
mod tests;
