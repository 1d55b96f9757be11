//! The record of what the outbox dropped: every entry a cap dropped, and every old file
//! pruned from `rejected/` or `corrupt/`, by whichever process (a send, a flush, the
//! background deliverer whose warnings nobody reads), one line each in `.pk3s-drops`, so
//! that an operator sees it (`status` shows the recent ones).
//!
//! `at=<time> by=<send|flush|deliverer> entry=<name> why=<words>`. Appended under an
//! exclusive lock on the file; when it grows past `MAX_FILE` it is cut to its newest half
//! in place, under the same lock. Never fsynced: it is a record of payloads already gone.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use time::OffsetDateTime;

use super::entry;
use crate::payload::timestamp;

pub const DROPS_FILE: &str = ".pk3s-drops";
/// A few hundred lines of about 150 bytes.
const MAX_FILE: u64 = 64 * 1024;

/// One recorded drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub at: String,
    pub by: String,
    pub entry: String,
    pub why: String,
}

impl Dropped {
    fn parse(line: &str) -> Option<Dropped> {
        let (head, why) = line.split_once(" why=")?;
        let mut f = head.split(' ').filter_map(|kv| kv.split_once('='));
        let mut take = |key: &str| match f.next() {
            Some((k, v)) if k == key => Some(v.to_string()),
            _ => None,
        };
        Some(Dropped {
            at: take("at")?,
            by: take("by")?,
            entry: take("entry")?,
            why: why.to_string(),
        })
    }
}

/// Records that `by` dropped each `(name, why)` from the outbox `dir`. A record that
/// cannot be written is returned as a warning (the drop itself has happened).
pub fn record(dir: &Path, by: &str, dropped: &[(String, String)]) -> Option<String> {
    if dropped.is_empty() {
        return None;
    }
    let at = timestamp(OffsetDateTime::now_utc());
    let mut text = String::new();
    for (name, why) in dropped {
        let clean = |s: &str| s.replace(['\n', '\r'], " ");
        text.push_str(&format!(
            "at={at} by={by} entry={} why={}\n",
            clean(name).replace(' ', "_"),
            clean(why)
        ));
    }
    append(&dir.join(DROPS_FILE), text.as_bytes())
        .err()
        .map(|e| {
            format!(
                "{}: cannot record {}: {e}",
                dir.join(DROPS_FILE).display(),
                crate::error::count(dropped.len(), "dropped entry", "dropped entries")
            )
        })
}

fn append(path: &Path, text: &[u8]) -> Result<(), String> {
    let mut f = entry::open_state(path, true, true).map_err(|e| crate::error::plain_io(&e))?;
    let meta = f.metadata().map_err(|e| crate::error::plain_io(&e))?;
    entry::lock_briefly(&f).ok_or("locked by another process for too long")?;
    f.write_all(text).map_err(|e| crate::error::plain_io(&e))?;
    if meta.len() + text.len() as u64 > MAX_FILE {
        trim(&mut f).map_err(|e| crate::error::plain_io(&e))?;
    }
    Ok(())
}

/// Keeps the newest half of the file's bound (whole lines), in place.
fn trim(f: &mut File) -> std::io::Result<()> {
    let len = f.metadata()?.len();
    let mut tail = Vec::new();
    f.seek(SeekFrom::Start(len.saturating_sub(MAX_FILE / 2)))?;
    f.take(MAX_FILE / 2).read_to_end(&mut tail)?;
    let start = tail
        .iter()
        .position(|&b| b == b'\n')
        .map_or(tail.len(), |i| i + 1);
    let keep = tail.get(start..).unwrap_or_default().to_vec();
    f.set_len(0)?;
    // Opened for appending: the write goes to the (new) end.
    f.write_all(&keep)
}

/// The drops recorded in the outbox `dir`: how many lines it holds, and the newest `n`,
/// newest first.
pub fn recent(dir: &Path, n: usize) -> (usize, Vec<Dropped>) {
    let Some(text) = entry::read_small_text(&dir.join(DROPS_FILE), MAX_FILE * 2) else {
        return (0, Vec::new());
    };
    let all: Vec<Dropped> = text.lines().filter_map(Dropped::parse).collect();
    let count = all.len();
    (count, all.into_iter().rev().take(n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_appended_read_back_newest_first_and_bounded() {
        let dir = std::env::temp_dir().join(format!("pk3s-drops-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(recent(&dir, 5), (0, vec![]));
        assert_eq!(record(&dir, "flush", &[]), None);
        let why = "older than TELEMETRY_OUTBOX_MAX_AGE_DAYS=30\nx".to_string();
        assert_eq!(
            record(
                &dir,
                "flush",
                &[("a.json".into(), why), ("b c".into(), "w".into())]
            ),
            None
        );
        let (n, last) = recent(&dir, 5);
        assert_eq!(n, 2);
        assert_eq!(last[0].entry, "b_c");
        assert_eq!(last[1].why, "older than TELEMETRY_OUTBOX_MAX_AGE_DAYS=30 x");
        assert_eq!(last[1].by, "flush");
        let many: Vec<(String, String)> = (0..2000)
            .map(|i| {
                (
                    format!("s{i:016x}-entry"),
                    "beyond TELEMETRY_OUTBOX_MAX_ENTRIES=3".into(),
                )
            })
            .collect();
        assert_eq!(record(&dir, "send", &many), None);
        let size = std::fs::metadata(dir.join(DROPS_FILE)).unwrap().len();
        assert!(size <= MAX_FILE, "{size}");
        let (n, last) = recent(&dir, 1);
        assert!(n > 100 && n < 2000, "{n}");
        assert_eq!(last[0].entry, format!("s{:016x}-entry", 1999));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
