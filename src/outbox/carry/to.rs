//! `flush --to FILE`: every pending entry moved out of the outbox into one bundle.
//!
//! The same housekeeping as a flush first (debris swept, the old scripts' runs imported,
//! the caps), so the bundle holds what a flush would send. Each entry is claimed, read
//! back (through the privacy guard if it was not checked when kept) and written to a temp
//! file beside FILE, its claim held. Then the temp file is fsynced, linked to FILE (which
//! fails if FILE exists: never overwritten, even by a race), and the directory fsynced;
//! only then is each entry recorded in the ledger as carried and removed. A kill before
//! that point leaves the outbox as it was (the claims die with the process); after it, an
//! entry may be both in FILE and in the outbox: at most one repeat, under the same key.
//! Entries another process holds (a send or flush under way) are named and left.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::super::entry::{Claim, Held, O_NOFOLLOW, sync_dir};
use super::super::ledger::Ledger;
use super::super::ledger::record::Record;
use super::super::replay::{Counts, Replayer, Sink};
use super::super::stored::Unusable;
use super::{entry_line, header, trailer};
use crate::delivery::protocol;
use crate::error::plain_io;

/// What `flush --to` did.
#[derive(Debug, Default)]
pub struct Moved {
    pub moved: usize,
    /// The bundle's size.
    pub bytes: u64,
    /// Held by another process at the moment: left in the outbox.
    pub held: Vec<PathBuf>,
    /// Left in the outbox, and why (not a payload, unreadable, refused by the guard, or
    /// more than one run can hold at once).
    pub left: Vec<String>,
    /// In the bundle, but not removed from the outbox (a flush here would send them too).
    pub unremoved: Vec<String>,
    /// What housekeeping counted (old-script runs imported, entries expired by the caps).
    pub counts: Counts,
}

/// One entry taken, under its claim until the bundle is safe.
struct Taken {
    stem: String,
    _held: Held,
    event_id: String,
    event_name: Option<String>,
    endpoint: Option<String>,
    protocol: Option<String>,
    attempts: u32,
    body: Vec<u8>,
}

impl Replayer<'_> {
    /// Moves every pending entry into the new bundle `file`. `Err` is the one line about
    /// `file` (it exists, or cannot be written): nothing was moved.
    pub fn carry_to(&self, file: &Path, sink: &mut dyn Sink) -> Result<Moved, String> {
        let shown = file.display();
        if fs::symlink_metadata(file).is_ok() {
            return Err(format!(
                "{shown}: exists; flush --to never overwrites a file: name a new one"
            ));
        }
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = file
            .file_name()
            .ok_or_else(|| format!("{shown}: not a file name"))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(&tmp)
            .map_err(|e| format!("{shown}: cannot write it: {}", plain_io(&e)))?;
        let mut moved = Moved::default();
        let taken = match self.write_bundle(out, &tmp, file, &dir, &mut moved, sink) {
            Ok(t) => t,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(format!("{shown}: cannot write it: {}", plain_io(&e)));
            }
        };
        let _ = fs::remove_file(&tmp);
        moved.moved = taken.len();
        moved.bytes = fs::metadata(file).map_or(0, |m| m.len());
        self.settle_carried(file, taken, &mut moved, sink);
        Ok(moved)
    }

    /// Writes the bundle's lines to `out` (the temp file `tmp`), makes it durable and
    /// links it to `file`. Returns the entries it holds, still claimed.
    fn write_bundle(
        &self,
        out: File,
        tmp: &Path,
        file: &Path,
        dir: &Path,
        moved: &mut Moved,
        sink: &mut dyn Sink,
    ) -> io::Result<Vec<Taken>> {
        let mut w = BufWriter::with_capacity(256 * 1024, out);
        writeln!(w, "{}", header(OffsetDateTime::now_utc()))?;
        let listing = match self.outbox.scan() {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Default::default(),
            Err(e) => return Err(e),
        };
        let todo = self.prepare(listing, &mut moved.counts, sink);
        let room = claim_room();
        let mut taken = Vec::new();
        for stem in &todo {
            if taken.len() >= room {
                moved.left.push(format!(
                    "{}: more entries than one run can hold open at once; run flush --to again with another file",
                    self.outbox.json(stem).display()
                ));
                continue;
            }
            let Some((line, t)) = self.take(stem, moved) else {
                continue;
            };
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            taken.push(t);
        }
        writeln!(w, "{}", trailer(taken.len()))?;
        let out = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        out.sync_all()?;
        // A link, not a rename: it fails if `file` appeared meanwhile.
        fs::hard_link(tmp, file)?;
        sync_dir(dir)?;
        Ok(taken)
    }

    /// Claims and reads one entry for the bundle: its line and what is kept of it.
    fn take(&self, stem: &str, moved: &mut Moved) -> Option<(String, Taken)> {
        let path = self.outbox.json(stem);
        let held = match self.outbox.claim(stem, None) {
            Ok(Claim::Held(h)) => h,
            Ok(Claim::Busy) => {
                moved.held.push(path);
                return None;
            }
            Ok(Claim::Gone) => return None,
            Err(e) => {
                let why = format!("cannot claim it: {}", plain_io(&e));
                moved.left.push(format!("{}: {why}", path.display()));
                return None;
            }
        };
        let (payload, history) = match self.load(stem, held.read()) {
            Ok(loaded) => loaded,
            Err(Unusable::Corrupt(why) | Unusable::Unreadable(why) | Unusable::Refused(why, _)) => {
                moved.left.push(format!("{}: {why}", path.display()));
                return None;
            }
        };
        // As the guard leaves it: the stored bytes for what this tool wrote.
        let body = payload.body();
        let line = match entry_line(&history, &payload.event_id, &body) {
            Ok(l) => l.to_string(),
            Err(why) => {
                moved.left.push(format!("{}: {why}", path.display()));
                return None;
            }
        };
        let t = Taken {
            stem: stem.to_string(),
            _held: held,
            event_name: payload.event_name(),
            event_id: payload.event_id,
            endpoint: history.endpoint,
            protocol: history.protocol,
            attempts: history.attempts,
            body,
        };
        Some((line, t))
    }

    /// The bundle is safe: each entry is recorded in the ledger as carried out, then
    /// removed from the outbox (its claim let go after).
    fn settle_carried(
        &self,
        file: &Path,
        taken: Vec<Taken>,
        moved: &mut Moved,
        sink: &mut dyn Sink,
    ) {
        let to = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let to = to.display().to_string();
        let now = OffsetDateTime::now_utc();
        let records: Vec<Record> = taken
            .iter()
            .map(|t| Record {
                event_id: &t.event_id,
                endpoint: t.endpoint.as_deref().unwrap_or_default(),
                at: now,
                by: "to",
                protocol: t.protocol.as_deref().unwrap_or(protocol::PK3S),
                event_name: t.event_name.as_deref(),
                attempt: t.attempts,
                status: None,
                carried_to: Some(&to),
                body: &t.body,
            })
            .collect();
        let mut ledger = Ledger::new(&self.outbox.dir, self.settings.ledger_caps);
        if let Err(e) = ledger.append(&records) {
            sink.warn(&format!(
                "moved into {to}, but the ledger of {} cannot record them: {}",
                self.outbox.dir.display(),
                plain_io(&e)
            ));
        }
        for t in taken {
            if let Err(e) = self.outbox.delete(&t.stem) {
                moved.unremoved.push(format!(
                    "{}: {}",
                    self.outbox.json(&t.stem).display(),
                    plain_io(&e)
                ));
            }
        }
    }
}

/// How many entries one run may hold claimed (one open file each): the soft limit on
/// open files, raised to the hard one, less a margin for everything else.
fn claim_room() -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let (Some(cur), max) = (limit.current, limit.maximum)
        && max.is_none_or(|m| m > cur)
    {
        limit.current = max;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    let now = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    usize::try_from(now.saturating_sub(64)).unwrap_or(usize::MAX)
}
