//! The order entries were written in, and the outbox's own clock: what replay order, the
//! caps and an entry's age go by, so that no wall clock (set wrong, set back, set forward,
//! faked) can reorder entries or make one look old (see docs/outbox.md, "Order and age").
//!
//! One small state file, `.pk3s-sequence`, holds one fixed-width line:
//! `seq=<next sequence number> outbox_ms=<the outbox's clock> boot=<boot id> up_ms=<uptime>`.
//! A writer takes an exclusive `flock` on it, reads it, writes it back in place (the
//! same length, so no truncation is needed) and lets go: microseconds.
//!
//! The outbox's clock counts the milliseconds the machine has been seen running since the
//! outbox was made, from the kernel's boot clock (`/proc/uptime`: CLOCK_BOOTTIME, which
//! neither `date -s`, NTP nor an LD_PRELOAD clock shim moves): within one boot it advances
//! by the uptime elapsed since the last checkpoint; across a reboot by the new boot's
//! uptime only. It can run slow (time powered off, and the end of a boot after the last
//! checkpoint, are not counted), never fast: an age read from it is at most the real one.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use time::OffsetDateTime;

use super::entry::{self, Name};

/// The state file (a hidden name: the rest of the store never touches it).
pub const SEQUENCE_FILE: &str = ".pk3s-sequence";
/// A wall-clock stamp before this is a clock that was not set (a board before NTP, an RTC
/// reset to its epoch): no version of this tool, nor the shell scripts it replaces (2026),
/// wrote an outbox entry before it.
pub const FLOOR: OffsetDateTime = time::macros::datetime!(2025-01-01 00:00 UTC);
/// `seq=` 16 + ` outbox_ms=` 16 + ` boot=` 36 + ` up_ms=` 16 + newline.
const RECORD_LEN: usize = 4 + 16 + 11 + 16 + 6 + 36 + 7 + 16 + 1;
const NO_BOOT: &str = "------------------------------------";

/// The kernel's boot clock: which boot, and how long since it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uptime {
    pub boot: String,
    pub up_ms: u64,
}

/// Now, by the boot clock; `None` where `/proc` cannot tell (no age is then measured by it).
pub fn uptime() -> Option<Uptime> {
    // Their `fstat` size is 0: read to the end of a bound (`input::read` does).
    let read = |path: &str| {
        let bytes = crate::input::read(Path::new(path), 256).ok()?;
        String::from_utf8(bytes).ok().map(|t| t.trim().to_string())
    };
    let boot = read("/proc/sys/kernel/random/boot_id")?;
    let up = read("/proc/uptime")?;
    let secs = up.split_whitespace().next()?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let cents: u64 = format!("{frac:0<2}").get(..2)?.parse().ok()?;
    let up_ms = whole.parse::<u64>().ok()?.checked_mul(1000)? + cents * 10;
    let ok =
        boot.len() == NO_BOOT.len() && boot.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-');
    ok.then_some(Uptime { boot, up_ms })
}

/// What the state file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    next: u64,
    outbox_ms: u64,
    /// The boot clock at the last checkpoint.
    at: Option<Uptime>,
}

impl State {
    fn render(&self) -> String {
        let (boot, up) = match &self.at {
            Some(u) => (u.boot.as_str(), u.up_ms),
            None => (NO_BOOT, 0),
        };
        format!(
            "seq={:016x} outbox_ms={:016x} boot={boot} up_ms={up:016x}\n",
            self.next, self.outbox_ms
        )
    }

    fn parse(text: &str) -> Option<State> {
        let line = text.lines().next()?;
        let mut f = line.split(' ').map(|kv| kv.split_once('='));
        let mut hex = |key: &str| match f.next()? {
            Some((k, v)) if k == key && v.len() == 16 => u64::from_str_radix(v, 16).ok(),
            _ => None,
        };
        let next = hex("seq")?;
        let outbox_ms = hex("outbox_ms")?;
        let boot = match f.next()? {
            Some(("boot", b)) => b.to_string(),
            _ => return None,
        };
        let up_ms = match f.next()? {
            Some(("up_ms", v)) if v.len() == 16 => u64::from_str_radix(v, 16).ok()?,
            _ => return None,
        };
        let at = (boot != NO_BOOT).then_some(Uptime { boot, up_ms });
        Some(State {
            next,
            outbox_ms,
            at,
        })
    }

    /// The outbox's clock at `now`: advanced by the uptime since the checkpoint (same
    /// boot), or by the new boot's uptime (another boot), never back.
    fn clock_at(&self, now: Option<&Uptime>) -> u64 {
        let gone = match (now, &self.at) {
            (Some(n), Some(at)) if n.boot == at.boot => n.up_ms.saturating_sub(at.up_ms),
            (Some(n), _) => n.up_ms,
            (None, _) => 0,
        };
        self.outbox_ms.saturating_add(gone)
    }

    fn advanced(&self, now: Option<Uptime>) -> State {
        State {
            next: self.next,
            outbox_ms: self.clock_at(now.as_ref()),
            at: now.or_else(|| self.at.clone()),
        }
    }
}

/// What a new entry gets: its place in the order, and the outbox's clock when it was
/// written (`None`: the boot clock cannot be read here; its age is then the wall clock's,
/// where that is plausible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub seq: u64,
    pub outbox_ms: Option<u64>,
}

/// The next place in the write order of the outbox `dir`, and the clock with it.
pub fn next(dir: &Path) -> Ticket {
    let mut has_clock = false;
    match update(dir, true, |s, now| {
        has_clock = now.is_some();
        let mut a = s.advanced(now);
        a.next = s.next.saturating_add(1);
        a
    }) {
        Some((before, after)) => Ticket {
            seq: before.next,
            outbox_ms: has_clock.then_some(after.outbox_ms),
        },
        // The file cannot be used (locked for long, not a regular file, a read-only
        // outbox): after every name there is, with no clock.
        None => Ticket {
            seq: highest_seq(dir).map_or(0, |n| n.saturating_add(1)),
            outbox_ms: None,
        },
    }
}

/// Brings the outbox's clock up to now (a flush does, so that the time of a boot counts
/// even when nothing is written in it), and returns it. An outbox without the file (no
/// entry of this version was ever written there) gets none: a flush leaves no trace in a
/// directory that holds nothing of ours.
pub fn tick(dir: &Path) -> Option<u64> {
    let mut has_clock = false;
    let (_, after) = update(dir, false, |s, now| {
        has_clock = now.is_some();
        s.advanced(now)
    })?;
    has_clock.then_some(after.outbox_ms)
}

/// The outbox's clock now, changing nothing (a dry run, `status`).
pub fn clock(dir: &Path) -> Option<u64> {
    let now = uptime()?;
    let text = entry::read_small_text(&dir.join(SEQUENCE_FILE), 4096)?;
    State::parse(&text).map(|s| s.clock_at(Some(&now)))
}

/// An entry's age by the outbox's clock, when both ends are known and in order.
pub fn age(written_ms: Option<u64>, now_ms: Option<u64>) -> Option<Duration> {
    let (w, n) = (written_ms?, now_ms?);
    (n >= w).then(|| Duration::from_millis(n - w))
}

/// An age by the wall clock, only when its stamp is plausible: not before `FLOOR`, not
/// after `now`. A clock that was or is wrong in a way that shows gives no age at all.
pub fn wall_age(stamp: OffsetDateTime, now: OffsetDateTime) -> Option<Duration> {
    (stamp >= FLOOR && stamp <= now).then(|| (now - stamp).unsigned_abs())
}

/// Reads, changes and writes the state under its lock, with the boot clock read under it
/// too (so that checkpoints only move forward). `None` when the file cannot be used;
/// `Some((before, after))` otherwise.
fn update(
    dir: &Path,
    create: bool,
    change: impl FnOnce(&State, Option<Uptime>) -> State,
) -> Option<(State, State)> {
    let mut file = entry::open_state(&dir.join(SEQUENCE_FILE), create, false).ok()?;
    entry::lock_briefly(&file)?;
    let now = uptime();
    let mut text = String::new();
    let _ = (&file).take(4096).read_to_string(&mut text);
    let before = match State::parse(&text) {
        Some(s) => s,
        // New, or not readable as ours (cut short by a crash): after every name there is,
        // its clock from nought now.
        None => State {
            next: highest_seq(dir).map_or(0, |n| n.saturating_add(1)),
            outbox_ms: 0,
            at: now.clone(),
        },
    };
    let after = change(&before, now);
    let record = after.render();
    let wrote = file.seek(SeekFrom::Start(0)).is_ok()
        && file.write_all(record.as_bytes()).is_ok()
        && (text.len() == RECORD_LEN || file.set_len(RECORD_LEN as u64).is_ok());
    wrote.then_some((before, after))
}

/// The highest sequence number among the entries of `dir` (and `rejected/`, whose entries
/// come back under their names), for a state file that is new or lost.
fn highest_seq(dir: &Path) -> Option<u64> {
    [dir.to_path_buf(), dir.join(entry::REJECTED_DIR)]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.flatten())
        .filter_map(|e| {
            let name = e.file_name();
            match entry::classify(name.to_str()?) {
                Name::Entry(stem) | Name::History(stem) => entry::seq_of(stem),
                _ => None,
            }
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(boot: &str, ms: u64) -> Option<Uptime> {
        Some(Uptime {
            boot: format!("{boot:-<36}"),
            up_ms: ms,
        })
    }

    #[test]
    fn the_record_reads_back_at_its_fixed_length() {
        for at in [up("a", 12_345), None] {
            let s = State {
                next: 42,
                outbox_ms: u64::MAX,
                at,
            };
            let r = s.render();
            assert_eq!(r.len(), RECORD_LEN, "{r}");
            assert_eq!(State::parse(&r), Some(s));
        }
        assert_eq!(State::parse("seq=1 outbox_ms=2"), None);
        assert_eq!(State::parse(""), None);
    }

    #[test]
    fn the_outbox_clock_counts_uptime_and_never_runs_back() {
        let s = State {
            next: 0,
            outbox_ms: 1_000,
            at: up("a", 50_000),
        };
        // The same boot: the uptime since the checkpoint.
        assert_eq!(s.clock_at(up("a", 80_000).as_ref()), 31_000);
        // Another boot: that boot's uptime, the time off not counted.
        assert_eq!(s.clock_at(up("b", 7_000).as_ref()), 8_000);
        // An uptime behind the checkpoint's in the same boot cannot be: no step back.
        assert_eq!(s.clock_at(up("a", 10).as_ref()), 1_000);
        assert_eq!(s.clock_at(None), 1_000);
        assert_eq!(age(Some(10), Some(30)), Some(Duration::from_millis(20)));
        assert_eq!(age(Some(30), Some(10)), None);
        assert_eq!(age(None, Some(10)), None);
    }

    #[test]
    fn a_wall_age_needs_a_plausible_stamp() {
        let now = time::macros::datetime!(2026-12-06 12:00 UTC);
        let day = Duration::from_secs(86_400);
        assert_eq!(
            wall_age(now - day * 40, now).map(|a| a.as_secs() / 86_400),
            Some(40)
        );
        assert_eq!(wall_age(OffsetDateTime::UNIX_EPOCH, now), None);
        assert_eq!(wall_age(now + day, now), None);
    }

    #[test]
    fn tickets_follow_each_other_and_a_lost_file_resumes_after_the_names() {
        let dir = std::env::temp_dir().join(format!("pk3s-order-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A flush in a directory without the file leaves none.
        assert_eq!(tick(&dir), None);
        assert!(!dir.join(SEQUENCE_FILE).exists());
        let a = next(&dir);
        let b = next(&dir);
        assert_eq!((a.seq, b.seq), (0, 1));
        if uptime().is_some() {
            assert!(b.outbox_ms >= a.outbox_ms && a.outbox_ms.is_some());
            assert!(tick(&dir) >= b.outbox_ms);
        }
        // Lost (or garbled): the next number comes after the highest name there is.
        std::fs::write(
            dir.join("s0000000000000029-20261121T234743.123456789Z-x.json"),
            "{}",
        )
        .unwrap();
        std::fs::write(dir.join(SEQUENCE_FILE), "garbage").unwrap();
        assert_eq!(next(&dir).seq, 42);
        assert_eq!(next(&dir).seq, 43);
        // Not a regular file: numbers from the names, nothing written, no clock.
        std::fs::remove_file(dir.join(SEQUENCE_FILE)).unwrap();
        std::fs::create_dir(dir.join(SEQUENCE_FILE)).unwrap();
        assert_eq!(
            next(&dir),
            Ticket {
                seq: 42,
                outbox_ms: None
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_boot_clock_reads_on_linux() {
        if Path::new("/proc/uptime").exists() {
            let a = uptime().unwrap();
            let b = uptime().unwrap();
            assert_eq!(a.boot, b.boot);
            assert!(b.up_ms >= a.up_ms);
        }
    }
}
