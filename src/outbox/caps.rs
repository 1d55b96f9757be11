//! The caps on the outbox: the oldest entries beyond the count, or older than the age, are
//! dropped. A flush (and the background deliverer) enforces them on every run, from the one
//! listing it makes anyway. A send must not pay for a listing of a large outbox, so it
//! enforces them on a sample: always when the directory is small, and with a chance that
//! shrinks as the directory grows (its size in bytes is the cheap estimate), so that the
//! expected listing work per send stays about the same whatever the outbox holds.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use super::entry::{self, CORRUPT_DIR, Claim, Name, REJECTED_DIR, TEMP_PREFIX};
use super::{Outbox, drops, order};
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

/// Why an entry is beyond the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// Older than the age cap, by a clock that cannot have been inflated.
    Age,
    /// One of the oldest beyond the count.
    Count,
}

/// An entry's age, and whether the outbox's own clock measured it (`order`): ages by that
/// clock grow with the write order, so the first young one ends the search.
pub type Age = Option<(Duration, bool)>;

/// The entries beyond the caps, in order: the `aged` ones (indices, ascending), then the
/// oldest of the rest beyond the count. `len` entries in all, in write order.
pub fn over_caps(len: usize, caps: Caps, aged: Vec<usize>) -> Vec<(usize, Over)> {
    let mut excess = (len - aged.len()).saturating_sub(caps.max_entries);
    let mut over: Vec<(usize, Over)> = aged.iter().map(|&i| (i, Over::Age)).collect();
    for i in 0..len {
        if excess == 0 {
            break;
        }
        if aged.binary_search(&i).is_err() {
            over.push((i, Over::Count));
            excess -= 1;
        }
    }
    over.sort_unstable_by_key(|o| o.0);
    over
}

/// Of `entries` in write order, those whose age `age` tells and is over `max_age`; `None`
/// (no clock can be trusted with it) is never too old. The first young one by the outbox's
/// clock ends the search: all written after it are younger.
pub fn aged_in_order<T>(
    entries: &[T],
    max_age: Duration,
    mut age: impl FnMut(&T) -> Age,
) -> Vec<usize> {
    let mut aged = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match age(e) {
            Some((a, _)) if a > max_age => aged.push(i),
            Some((_, true)) => break,
            _ => {}
        }
    }
    aged
}

/// What `Outbox::expire` did.
#[derive(Debug, Default)]
pub struct Expiry {
    /// The entries beyond the caps (indices into the list given), each with why.
    pub over: Vec<(usize, Over)>,
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
        if self.over.iter().any(|o| o.1 == Over::Age) {
            why.push(age_words(self.caps));
        }
        if self.over.iter().any(|o| o.1 == Over::Count) {
            why.push(count_words(self.caps));
        }
        Some(format!(
            "the outbox is over its caps ({}): dropped {}, oldest first (the oldest: {oldest})",
            why.join(", "),
            crate::error::count(self.expired, "undelivered entry", "undelivered entries")
        ))
    }
}

pub fn age_words(caps: Caps) -> String {
    format!(
        "older than TELEMETRY_OUTBOX_MAX_AGE_DAYS={}",
        caps.max_age.as_secs() / 86_400
    )
}

pub fn count_words(caps: Caps) -> String {
    format!("beyond TELEMETRY_OUTBOX_MAX_ENTRIES={}", caps.max_entries)
}

impl Outbox {
    /// An entry's age (see `Age`): by the outbox's clock (`clock`, now) when its history
    /// records the clock at its writing, else by the wall clock where its stamp is
    /// plausible. Reads the history of a sequenced entry only.
    pub fn age_of(&self, stem: &str, clock: Option<u64>, wall: OffsetDateTime) -> Age {
        if entry::sequenced(stem)
            && let Some(written) = self.read_history(stem).and_then(|h| h.outbox_ms)
        {
            return order::age(Some(written), clock).map(|a| (a, true));
        }
        entry::stamp_of(stem)
            .and_then(|t| order::wall_age(t, wall))
            .map(|a| (a, false))
    }

    /// The entries of `entries` (write order) beyond the caps, the outbox's clock at `clock`.
    /// Stems without a place in the order sort first, by their stamps: the plausible ones
    /// older than the cap are one run of them, found by two binary searches; the others are
    /// aged from their histories, from the oldest until one is young.
    pub fn over_caps(
        &self,
        entries: &[String],
        caps: Caps,
        clock: Option<u64>,
    ) -> Vec<(usize, Over)> {
        let wall = OffsetDateTime::now_utc();
        let old = entries.partition_point(|s| !entry::sequenced(s));
        let (stamped, ordered) = entries.split_at(old);
        let before = |limit: OffsetDateTime| {
            stamped.partition_point(|s| entry::stamp_of(s).is_none_or(|t| t < limit))
        };
        let mut aged: Vec<usize> = match wall
            .checked_sub(time::Duration::try_from(caps.max_age).unwrap_or(time::Duration::MAX))
        {
            Some(cutoff) => (before(order::FLOOR)..before(cutoff)).collect(),
            None => Vec::new(),
        };
        let by_clock = aged_in_order(ordered, caps.max_age, |s| self.age_of(s, clock, wall));
        aged.extend(by_clock.into_iter().map(|i| i + old));
        over_caps(entries.len(), caps, aged)
    }

    /// Drops the entries beyond the caps (never `spare`, the one just written), and records
    /// each drop for `by` (see `drops`). `entries` is in write order; `clock` the outbox's
    /// clock now.
    pub fn expire(
        &self,
        entries: &[String],
        caps: Caps,
        clock: Option<u64>,
        spare: Option<&str>,
        by: &str,
    ) -> Expiry {
        let mut x = Expiry {
            over: self.over_caps(entries, caps, clock),
            caps,
            ..Expiry::default()
        };
        let mut dropped = Vec::new();
        for &(i, why) in &x.over {
            let Some(stem) = entries.get(i) else { continue };
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
                    let words = match why {
                        Over::Age => age_words(caps),
                        Over::Count => count_words(caps),
                    };
                    dropped.push((format!("{stem}.json"), words));
                }
                Ok(false) => {}
                Err(e) => x.errors.push(format!(
                    "{}: cannot expire it: {}",
                    self.json(stem).display(),
                    plain_io(&e)
                )),
            }
        }
        x.errors.extend(drops::record(&self.dir, by, &dropped));
        x
    }

    /// After a send kept `written`: enforces the caps when the sample says so (see the
    /// module comment). Returns the warnings to show.
    pub fn cap_after_send(&self, written: &str, caps: Caps, clock: Option<u64>) -> Vec<String> {
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
        let x = self.expire(&entries, caps, clock, Some(written), "send");
        let mut notes = x.errors.clone();
        notes.extend(x.note());
        notes
    }

    /// Drops old files from `rejected/` and `corrupt/` under the same caps (by the time they
    /// were moved there, where that time is plausible), and their temp debris, recording
    /// each drop for `by`. Only names this tool writes are touched. Returns how many files
    /// were removed.
    pub fn prune_side_dirs(&self, caps: Caps, by: &str) -> usize {
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
            // A change time the clock could not have given (before `order::FLOOR`, or
            // ahead of now) gives no age: such a file goes only beyond the count.
            let now = OffsetDateTime::now_utc();
            let aged = groups
                .iter()
                .enumerate()
                .filter(|(_, g)| {
                    order::wall_age(OffsetDateTime::from(g.0), now)
                        .is_some_and(|a| a > caps.max_age)
                })
                .map(|(i, _)| i)
                .collect();
            let over = over_caps(groups.len(), caps, aged);
            let mut dropped = Vec::new();
            for (i, why) in over {
                let Some((_, names)) = groups.get(i) else {
                    continue;
                };
                for n in names {
                    if fs::remove_file(dir.join(n)).is_ok() {
                        removed += 1;
                        let words = match why {
                            Over::Age => age_words(caps),
                            Over::Count => count_words(caps),
                        };
                        dropped.push((format!("{sub}/{n}"), words));
                    }
                }
            }
            // A record that cannot be written is not worth a warning on every flush here.
            let _ = drops::record(&self.dir, by, &dropped);
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
        let caps = |n, age| Caps {
            max_entries: n,
            max_age: day * age,
        };
        // Ages in days, in write order; `None` when no clock can tell; `true` by the
        // outbox's clock (which then ends the search at the first young one).
        let aged = |ages: &[Option<(u32, bool)>], max: u32| {
            let mut asked = 0;
            let aged = aged_in_order(ages, day * max, |a| {
                asked += 1;
                a.map(|(d, by)| (day * d, by))
            });
            (aged, asked)
        };
        let ages = [
            Some((99, true)),
            Some((98, true)),
            Some((20, true)),
            Some((10, true)),
            Some((1, true)),
        ];
        assert_eq!(aged(&ages, 30), (vec![0, 1], 3));
        assert_eq!(aged(&ages, 1000), (vec![], 1));
        assert_eq!(aged(&[], 1), (vec![], 0));
        // Unknown ages are never too old, and do not end the search; wall-clock ages do not.
        let mixed = [
            Some((99, false)),
            None,
            Some((5, false)),
            Some((40, true)),
            None,
            Some((2, true)),
            Some((80, true)),
        ];
        assert_eq!(aged(&mixed, 30), (vec![0, 3], 6));
        // Then the count, in write order, skipping what age already took.
        assert_eq!(
            over_caps(7, caps(3, 30), vec![0, 3]),
            [
                (0, Over::Age),
                (1, Over::Count),
                (2, Over::Count),
                (3, Over::Age)
            ]
        );
        assert_eq!(
            over_caps(5, caps(10, 30), vec![0, 1]),
            [(0, Over::Age), (1, Over::Age)]
        );
        assert_eq!(over_caps(5, caps(2, 30), vec![]).len(), 3);
    }

    #[test]
    fn stems_without_a_place_in_the_order_age_by_a_plausible_stamp() {
        let day = Duration::from_secs(86_400);
        let now = OffsetDateTime::now_utc();
        let stem = |t: OffsetDateTime| entry::entry_stem(None, t, "e");
        let mut entries: Vec<String> = [
            OffsetDateTime::UNIX_EPOCH,
            now - day * 400,
            now - day * 40,
            now - day * 2,
            now + day * 365,
        ]
        .map(stem)
        .to_vec();
        entries.sort();
        let ob = Outbox::new("/nonexistent/pk3s-caps");
        let caps = Caps {
            max_entries: 100,
            max_age: day * 30,
        };
        // 1970 is a clock that was not set; the future one, one that is wrong now.
        assert_eq!(
            ob.over_caps(&entries, caps, None),
            [(1, Over::Age), (2, Over::Age)]
        );
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
        assert!(ours_aside(
            "s000000000000002a-20261121T234743.123456789Z-abc.json"
        ));
        assert!(ours_aside("20261121T234743.123456789Z-abc.history.2"));
        assert!(ours_aside("bootstrap-r-attempt-1.json"));
        assert!(!ours_aside("notes.txt"));
        assert!(!ours_aside("notes.txt.1"));
    }
}
