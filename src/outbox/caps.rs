//! The caps on the outbox: the oldest entries beyond the count, or older than the age, are
//! dropped. A flush (and the background deliverer) enforces them on every run, from the one
//! listing it makes anyway. A send must not pay for a listing of a large outbox, so it
//! enforces them on a sample: always when the directory is small, and with a chance that
//! shrinks as the directory grows (its size in bytes is the cheap estimate), so that the
//! expected listing work per send stays about the same whatever the outbox holds.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::SystemTime;

use time::OffsetDateTime;

use super::Outbox;
use super::entry::{self, CORRUPT_DIR, Claim, Name, REJECTED_DIR, TEMP_PREFIX};
use crate::error::plain_io;
pub use crate::settings::Caps;

/// Below about this many files a send always checks the caps (a listing costs well under a
/// millisecond); above, it checks with probability `SAMPLE_FILES / files`.
pub const SAMPLE_FILES: u64 = 512;
/// Bytes of directory size per file, taken low so that the estimate errs towards checking
/// (tmpfs counts 20 bytes a name; ext4, xfs and btrfs more for names as long as ours).
const BYTES_PER_FILE: u64 = 32;

/// Whether a send checks the caps this time (see the module comment). `dir_size` is the
/// outbox directory's `st_size`; `roll` a uniform random number.
pub fn sample(dir_size: u64, roll: u64) -> bool {
    let files = dir_size / BYTES_PER_FILE;
    files <= SAMPLE_FILES || roll % files < SAMPLE_FILES
}

/// Entries beyond the caps, oldest first: returns how many of `entries` (sorted oldest
/// first) are too old, and how many to drop in all (too old, then beyond the count).
pub fn over_caps(entries: &[String], caps: Caps, now: SystemTime) -> (usize, usize) {
    let cutoff = OffsetDateTime::from(now.checked_sub(caps.max_age).unwrap_or(now));
    let aged = entries.partition_point(|s| entry::stamp_of(s).is_some_and(|t| t < cutoff));
    let excess = entries.len().saturating_sub(caps.max_entries);
    (aged, aged.max(excess))
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

impl Outbox {
    /// Drops the entries beyond the caps, oldest first (never `spare`, the one just written).
    /// `entries` is sorted oldest first; the first `Expiry::drop` of them are dealt with.
    pub fn expire(&self, entries: &[String], caps: Caps, spare: Option<&str>) -> Expiry {
        let (aged, drop) = over_caps(entries, caps, SystemTime::now());
        let mut x = Expiry {
            aged,
            drop,
            caps,
            ..Expiry::default()
        };
        for stem in entries.iter().take(drop) {
            if Some(stem.as_str()) == spare {
                continue;
            }
            let done = self.claim(stem, None).and_then(|c| match c {
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
                    plain_io(&e)
                )),
            }
        }
        x
    }

    /// After a send kept `written`: enforces the caps when the sample says so (see the
    /// module comment). Returns the warnings to show.
    pub fn cap_after_send(&self, written: &str, caps: Caps) -> Vec<String> {
        let size = fs::metadata(&self.dir).map_or(0, |m| m.size());
        let roll = (uuid::Uuid::new_v4().as_u128() & u128::from(u64::MAX)) as u64;
        if !sample(size, roll) {
            return Vec::new();
        }
        let entries = match self.scan() {
            Ok(l) => l.entries,
            Err(e) => {
                return vec![format!(
                    "the outbox {}: cannot list it to enforce its caps: {}",
                    self.dir.display(),
                    plain_io(&e)
                )];
            }
        };
        let x = self.expire(&entries, caps, Some(written));
        let mut notes = x.errors.clone();
        notes.extend(x.note());
        notes
    }

    /// Drops old files from `rejected/` and `corrupt/` under the same caps (by the time they
    /// were moved there), and their temp debris. Only names this tool writes are touched.
    /// Returns how many files were removed.
    pub fn prune_side_dirs(&self, caps: Caps) -> usize {
        let mut removed = 0;
        for sub in [REJECTED_DIR, CORRUPT_DIR] {
            let dir = self.dir.join(sub);
            if !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            // Group a `.json` with its `.history`; the group's time is the newest of them.
            let mut groups: std::collections::BTreeMap<String, (SystemTime, Vec<String>)> =
                Default::default();
            for e in rd.flatten() {
                let Some(s) = e.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if s.starts_with(TEMP_PREFIX) {
                    removed += usize::from(self.sweep_temp(&dir, &s).unwrap_or(false));
                    continue;
                }
                if !ours_aside(&s) {
                    continue;
                }
                let Ok(meta) = e.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let key = s
                    .strip_suffix(".json")
                    .or_else(|| s.strip_suffix(".history"))
                    .unwrap_or(&s)
                    .to_string();
                // The change time, which the move into this directory set: a file set
                // aside today is kept its full term whatever its modification time says.
                let at = entry::changed(&meta);
                let g = groups.entry(key).or_insert((at, Vec::new()));
                g.0 = g.0.max(at);
                g.1.push(s);
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

/// A name this tool gives a file in `rejected/` or `corrupt/`: an entry, a history or an old
/// script's file, perhaps with the `.N` that keeps it from replacing another.
fn ours_aside(name: &str) -> bool {
    let base = match name.rsplit_once('.') {
        Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => name,
    };
    matches!(
        entry::classify(base),
        Name::Entry(_) | Name::History(_) | Name::Legacy(..)
    )
}

/// Whether `dir` is over `SAMPLE_FILES` by the estimate (for tests and documentation).
#[cfg(test)]
fn estimate(dir: &std::path::Path) -> u64 {
    fs::metadata(dir).map_or(0, |m| m.size()) / BYTES_PER_FILE
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn caps_drop_the_too_old_then_the_oldest_beyond_the_count() {
        let day = Duration::from_secs(86_400);
        let now = SystemTime::UNIX_EPOCH + day * 100;
        let at =
            |d: u32| entry::entry_stem(OffsetDateTime::from(SystemTime::UNIX_EPOCH + day * d), "e");
        let entries: Vec<String> = [1, 2, 80, 90, 99].map(at).to_vec();
        let caps = |n, age| Caps {
            max_entries: n,
            max_age: day * age,
        };
        assert_eq!(over_caps(&entries, caps(10, 30), now), (2, 2));
        assert_eq!(over_caps(&entries, caps(2, 30), now), (2, 3));
        assert_eq!(over_caps(&entries, caps(10, 1000), now), (0, 0));
        assert_eq!(over_caps(&[], caps(1, 1), now), (0, 0));
    }

    #[test]
    fn sends_check_small_outboxes_always_and_large_ones_by_a_shrinking_sample() {
        assert!((0..1000).all(|r| sample(4096, r)));
        let big = 20_000 * BYTES_PER_FILE;
        let hits = (0..20_000).filter(|&r| sample(big, r * 7919)).count();
        assert!((400..=600).contains(&hits), "{hits}");
        // A real directory: small right after it is made.
        let dir = std::env::temp_dir().join(format!("pk3s-caps-{}", std::process::id()));
        entry::private_dir(&dir).unwrap();
        assert!(estimate(&dir) <= SAMPLE_FILES);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_our_names_are_pruned_from_the_side_directories() {
        assert!(ours_aside("20261121T234743.123456789Z-abc.json"));
        assert!(ours_aside("20261121T234743.123456789Z-abc.history.2"));
        assert!(ours_aside("bootstrap-r-attempt-1.json"));
        assert!(!ours_aside("notes.txt"));
        assert!(!ours_aside("notes.txt.1"));
    }
}
