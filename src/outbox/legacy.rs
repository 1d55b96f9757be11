//! The files the old shell scripts left (`bootstrap-<run>-attempt-N.json` and
//! `event-<run>-attempt-N.json`, each with a `.status`): each run is imported once as one
//! regular entry, then its files are removed.

use std::fs;
use std::time::Duration;

use time::OffsetDateTime;

use super::entry::{self, Claim, DEBRIS_AGE, MAX_ENTRY, MAX_STATUS};
use super::replay::{Counts, Sink};
use super::{History, Outbox};
use crate::attempt::Answer;
use crate::error::plain_io;
use crate::payload::{Kind, derived_key, kind_of, usable_key};

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

impl LegacyRun {
    pub fn new(kind: &str, run: &str) -> LegacyRun {
        LegacyRun {
            kind: kind.to_string(),
            run: run.to_string(),
            attempts: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

impl Outbox {
    /// Turns each old-script run into one regular entry (sent as given, under its own
    /// `event_id` or a key derived from the run), then removes the run's files. Returns the
    /// stems of the new entries.
    pub fn import_legacy(
        &self,
        runs: &[LegacyRun],
        n: &mut Counts,
        sink: &mut dyn Sink,
    ) -> Vec<String> {
        let mut stems = Vec::new();
        for run in runs {
            match self.import_run(run, n, sink) {
                Ok(Some(stem)) => stems.push(stem),
                Ok(None) => {}
                Err(e) => sink.warn(&format!(
                    "{}: cannot import the old script's files of run {}: {}",
                    self.dir.display(),
                    run.run,
                    plain_io(&e)
                )),
            }
        }
        stems
    }

    fn import_run(
        &self,
        run: &LegacyRun,
        n: &mut Counts,
        sink: &mut dyn Sink,
    ) -> std::io::Result<Option<String>> {
        let dir = &self.dir;
        let Some((_, newest)) = run.attempts.first() else {
            // Status files whose payloads are gone.
            for s in &run.statuses {
                if entry::older_than(&dir.join(s), DEBRIS_AGE) {
                    entry::remove(&dir.join(s))?;
                }
            }
            return Ok(None);
        };
        // The newest file is the run's claim: whoever holds it imports the run.
        let _claim = match entry::claim(&dir.join(newest), None)? {
            Claim::Held(h) => h,
            Claim::Busy => {
                n.in_use += 1;
                return Ok(None);
            }
            Claim::Gone => return Ok(None),
        };
        let mut chosen = None;
        for (num, name) in &run.attempts {
            let path = dir.join(name);
            let bytes = match entry::read_bounded(&path, MAX_ENTRY) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            match check(&bytes) {
                Ok(()) => {
                    chosen = Some((*num, name, bytes));
                    break;
                }
                // The old scripts wrote in place: a fresh broken file may be half-written.
                Err(_) if !entry::older_than(&path, Duration::from_secs(120)) => {
                    n.in_use += 1;
                    return Ok(None);
                }
                Err(why) => match self.set_aside(name) {
                    Ok(to) => {
                        n.set_aside += 1;
                        sink.warn(&format!(
                            "{}: not a payload ({why}); set aside in {}",
                            path.display(),
                            to.display()
                        ));
                    }
                    Err(e) => sink.warn(&format!(
                        "{}: not a payload ({why}), and cannot set it aside: {}",
                        path.display(),
                        plain_io(&e)
                    )),
                },
            }
        }
        let Some((num, name, bytes)) = chosen else {
            for s in &run.statuses {
                entry::remove(&dir.join(s))?;
            }
            return Ok(None);
        };
        let own = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("event_id")
                    .and_then(|id| id.as_str())
                    .map(str::to_string)
            })
            .filter(|id| usable_key(id));
        let key = own.unwrap_or_else(|| derived_key(&format!("legacy:{}-{}", run.kind, run.run)));
        let created = fs::symlink_metadata(dir.join(name))
            .and_then(|m| m.modified())
            .map(OffsetDateTime::from)
            .unwrap_or_else(|_| OffsetDateTime::now_utc());
        // No place in the write order: the old scripts wrote it before anything of ours, and
        // it sorts first, by its time, as before.
        let stem = entry::entry_stem(None, created, &key);
        let mut history = History::new(&key, Kind::Raw, created);
        history.source = Some(format!("legacy:{name}"));
        self.legacy_attempts(&run.statuses, &mut history);
        history.attempts = history.attempts.max(num.min(u64::from(u32::MAX)) as u32);
        let _held = entry::write_atomic(
            dir,
            &format!("{stem}.history"),
            history.render().as_bytes(),
            true,
        )?;
        entry::write_atomic(dir, &format!("{stem}.json"), &bytes, true)?;
        // The claimed newest file goes last: until it is gone the run stays claimable, and
        // an import cut short is redone into the same entry name (same file time, same key).
        for (_, f) in run.attempts.iter().skip(1) {
            entry::remove(&dir.join(f))?;
        }
        for s in &run.statuses {
            entry::remove(&dir.join(s))?;
        }
        entry::remove(&dir.join(newest))?;
        sink.info(&format!(
            "imported {} (run {} of the old {} script) as {stem}",
            dir.join(name).display(),
            run.run,
            run.kind
        ));
        Ok(Some(stem))
    }

    /// The old scripts' `.status` files (`attempt=`, `curl_exit=`, `recorded_at=`) as
    /// history lines; each read with a bound, and only if it is a regular file.
    fn legacy_attempts(&self, statuses: &[String], history: &mut History) {
        let mut found: Vec<(u32, String, String)> = statuses
            .iter()
            .filter_map(|s| entry::read_small_text(&self.dir.join(s), MAX_STATUS))
            .map(|text| {
                let get = |k: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                };
                (
                    get("attempt").parse().unwrap_or(0),
                    get("recorded_at"),
                    get("curl_exit"),
                )
            })
            .collect();
        found.sort();
        for (num, mut at, curl) in found {
            if at.is_empty() {
                at = "unknown".into();
            }
            let answer = Answer::Failed(format!("curl exit {curl}"));
            history
                .lines
                .push(format!("attempt={num} at={at} error=curl exit {curl}"));
            history.attempts = history.attempts.max(num);
            history.last = Some((at, answer));
        }
    }
}

/// An old script's payload must be one JSON object, without a repeated key: a reader
/// keeps one of a repeated key's values and the privacy guard would have checked only
/// one, so such a file is set aside rather than sent as it is.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 > MAX_ENTRY {
        return Err("larger than 16 MiB".into());
    }
    match crate::json::parse(bytes) {
        Ok(serde_json::Value::Object(_)) => match crate::json::duplicate_key(bytes) {
            Some(d) => Err(format!("the key {} is repeated", d.path)),
            None => Ok(()),
        },
        Ok(other) => Err(format!("expected a JSON object, found {}", kind_of(&other))),
        Err(_) if bytes.is_empty() => Err("empty file".into()),
        Err(e) => Err(e),
    }
}
