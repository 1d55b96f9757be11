//! `flush`: replay the outbox oldest first over one kept-alive connection; delete an entry
//! only after a 2xx, keep rejections apart, stop early when the endpoint is plainly down.
//! Safe to run at the same time as other flushes and sends (see `outbox`).

use std::ffi::OsString;
use std::fmt::Display;
use std::fs;
use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use anyhow::anyhow;
use time::OffsetDateTime;

use crate::attempt::{Answer, Attempt};
use crate::cli::FlushArgs;
use crate::cmd::{DELIVERED, NOT_DELIVERED, print};
use crate::consent;
use crate::delivery::Client;
use crate::delivery::policy::{Class, RETRY_AFTER_CAP, classify};
use crate::error::plain_io;
use crate::outbox::{
    self, Caps, Claim, DEBRIS_AGE, History, LegacyRun, Listing, MAX_ENTRY, Outbox,
};
use crate::payload::{Kind, Payload, derived_key, usable_key};
use crate::privacy::{self, Guard};
use crate::settings::{Settings, Verbosity};

/// Transient failures in a row (connection errors, timeouts, 408, 429, 5xx) after which the
/// endpoint counts as down and the flush stops, keeping the rest for a later run.
pub const STOP_AFTER: u32 = 3;
/// How often the progress line is redrawn on a terminal.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Every payload read back from disk passes through here before it is sent or listed: the
/// one place for checks on stored payloads. The privacy guard runs on any entry it has
/// not cleaned before (`checked=1` in its history): those left by the old scripts, foreign
/// files, entries kept with `TELEMETRY_PRIVACY=off`. An `Err` refuses the payload: it is never sent, and is kept apart in `rejected/` with the reason.
pub fn loaded(
    mut payload: Payload,
    guard: &Guard,
    mode: privacy::Mode,
    out: Verbosity,
) -> Result<Payload, String> {
    privacy::protect(&mut payload, guard, mode, out).map_err(|e| e.0)?;
    Ok(payload)
}

pub fn run(args: &FlushArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    // Only an explicit "no" (steps 1-3) stops a flush: entries exist because someone said yes.
    if let Some(c) = consent::explicit(None, settings).filter(|c| !c.enabled) {
        if !args.dry_run {
            out.note(format_args!(
                "telemetry is off ({}): flush sends nothing and keeps the outbox as it is",
                c.source.as_str()
            ));
            return Ok(ExitCode::from(DELIVERED));
        }
        out.warn(format_args!(
            "telemetry is off ({}): a real flush would send nothing",
            c.source.as_str()
        ));
    }
    let url = settings.endpoint()?;
    if url.is_none() && !args.dry_run {
        out.note("TELEMETRY_ENDPOINT is empty: flush sends nothing and keeps the outbox as it is");
        return Ok(ExitCode::from(DELIVERED));
    }
    let outbox = Outbox::new(&settings.outbox_dir);
    let listing = match outbox.scan() {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.note(format_args!(
                "flush: the outbox {} does not exist: nothing to deliver",
                outbox.dir.display()
            ));
            return Ok(ExitCode::from(DELIVERED));
        }
        Err(e) => {
            return Err(anyhow!(
                "the outbox {}: cannot read it: {}",
                outbox.dir.display(),
                plain_io(&e)
            ));
        }
    };
    let caps = settings.outbox_caps;
    let flush = Flush {
        outbox,
        settings,
        guard: Guard::from_env(settings.token.as_deref()),
        privacy: privacy::Mode::from_env(out),
        caps,
        limit: args.limit,
        n: Counts::default(),
        progress: Progress::new(!out.quiet && std::io::stderr().is_terminal()),
    };
    if args.dry_run {
        return flush.dry_run(listing);
    }
    let Some(url) = url else {
        return Ok(ExitCode::from(DELIVERED));
    };
    let client = Client::new(settings, &url)?;
    if let Some(note) = &client.proxy_note {
        out.info(note);
    }
    flush.run(listing, &client)
}

#[derive(Debug, Default)]
struct Counts {
    delivered: usize,
    /// Still in the outbox for a later flush: failed now, or not tried.
    kept: usize,
    not_tried: usize,
    rejected: usize,
    expired: usize,
    set_aside: usize,
    /// Claimed by another flush or send at the moment.
    in_use: usize,
}

struct Flush<'a> {
    outbox: Outbox,
    settings: &'a Settings,
    guard: Guard,
    privacy: privacy::Mode,
    caps: Caps,
    limit: Option<u64>,
    n: Counts,
    progress: Progress,
}

/// What came of one entry.
enum Step {
    Delivered,
    Kept {
        answer: Answer,
        retry_after: Option<Duration>,
    },
    Rejected,
    /// Set aside, in use elsewhere, or gone: no request was made.
    Skipped,
}

impl Flush<'_> {
    fn run(mut self, listing: Listing, client: &Client) -> anyhow::Result<ExitCode> {
        self.housekeeping(&listing);
        let mut entries = listing.entries;
        let imported = self.import_legacy(&listing.legacy);
        if !imported.is_empty() {
            entries.extend(imported);
            entries.sort_unstable();
        }
        let first = self.expire(&entries);
        let todo = &entries[first..];
        self.progress.total = todo.len();

        let mut failures = 0;
        let mut tried: u64 = 0;
        let mut stopped = None;
        for (i, stem) in todo.iter().enumerate() {
            if self.limit.is_some_and(|l| tried >= l) {
                stopped = Some(format!("--limit {tried} reached"));
            }
            if stopped.is_some() {
                self.n.not_tried = todo.len() - i;
                self.n.kept += self.n.not_tried;
                break;
            }
            let step = self.replay(client, stem);
            self.progress.show(i + 1, &self.n);
            match step {
                Step::Delivered | Step::Rejected => {
                    tried += 1;
                    failures = 0;
                }
                Step::Skipped => {}
                Step::Kept {
                    answer,
                    retry_after,
                } => {
                    tried += 1;
                    failures += 1;
                    if failures >= STOP_AFTER {
                        stopped = Some(format!(
                            "the endpoint looks down ({failures} failures in a row, the last: {answer})"
                        ));
                    } else if let Some(wait) = retry_after {
                        if wait > RETRY_AFTER_CAP {
                            stopped = Some(format!(
                                "the receiver asks to wait {}s ({answer})",
                                wait.as_secs()
                            ));
                        } else {
                            sleep(wait);
                        }
                    }
                }
            }
        }
        self.progress.clear();
        if self.n.delivered > 0 {
            let what = format!("{} entries", self.n.delivered);
            outbox::census::note(&self.outbox.dir, "flush", &what, self.settings.out);
        }
        self.summary(stopped.as_deref());
        Ok(ExitCode::from(if self.n.kept > 0 || self.n.rejected > 0 {
            NOT_DELIVERED
        } else {
            DELIVERED
        }))
    }

    /// One attempt for one entry, under its claim.
    fn replay(&mut self, client: &Client, stem: &str) -> Step {
        let path = self.outbox.json(stem);
        let held = match self.outbox.claim(stem) {
            Ok(Claim::Held(h)) => h,
            Ok(Claim::Busy) => {
                self.n.in_use += 1;
                return Step::Skipped;
            }
            Ok(Claim::Gone) => return Step::Skipped,
            Err(e) => {
                self.warn(format!(
                    "{}: cannot claim it: {}",
                    path.display(),
                    plain_io(&e)
                ));
                self.n.kept += 1;
                return Step::Skipped;
            }
        };
        let (payload, history) = match self.load(stem, held.read()) {
            Ok(loaded) => loaded,
            Err(Unusable::Corrupt(why)) => {
                self.set_aside(&OsString::from(format!("{stem}.json")), &why);
                return Step::Skipped;
            }
            Err(Unusable::Unreadable(why)) => {
                self.warn(format!("{}: {why}; kept", path.display()));
                self.n.kept += 1;
                return Step::Skipped;
            }
            Err(Unusable::Refused(why, mut history)) => {
                history.state = "rejected".into();
                history.refused = Some(why.clone());
                return self.reject(stem, &history, &format!("refused before sending: {why}"));
            }
        };
        let mut payload = payload;
        let mut history = history;
        let number = history
            .attempts
            .max(payload.last_attempt())
            .max(1)
            .saturating_add(1);
        let at = OffsetDateTime::now_utc();
        payload.stamp(number, at);
        let (answer, permanent, retry_after) = client.post(&payload.body(), &payload.event_id);
        let attempt = Attempt {
            number,
            at,
            answer: answer.clone(),
        };
        match classify(&answer, permanent) {
            Class::Delivered => {
                if let Err(e) = self.outbox.delete(stem) {
                    self.warn(format!(
                        "{}: delivered, but cannot delete it ({}); a later flush sends it again under the same key",
                        path.display(),
                        plain_io(&e)
                    ));
                }
                self.info(format!("delivered {} ({answer})", path.display()));
                self.n.delivered += 1;
                Step::Delivered
            }
            Class::Permanent => {
                history.record(&attempt);
                history.state = "rejected".into();
                self.reject(stem, &history, &answer.to_string())
            }
            Class::Transient => {
                history.record(&attempt);
                history.state = "kept".into();
                if let Err(e) = self.outbox.record(stem, &history) {
                    self.warn(format!(
                        "{}: cannot update its history: {}",
                        path.display(),
                        plain_io(&e)
                    ));
                }
                self.info(format!("kept {} ({answer})", path.display()));
                self.n.kept += 1;
                Step::Kept {
                    answer,
                    retry_after,
                }
            }
        }
    }

    /// Reads an entry back: the payload (through `loaded`) and its history.
    fn load(
        &self,
        stem: &str,
        bytes: std::io::Result<Vec<u8>>,
    ) -> Result<(Payload, History), Unusable> {
        let bytes =
            bytes.map_err(|e| Unusable::Unreadable(format!("cannot read it: {}", plain_io(&e))))?;
        if bytes.len() as u64 > MAX_ENTRY {
            return Err(Unusable::Corrupt("larger than 16 MiB".into()));
        }
        let history = fs::read_to_string(self.outbox.history(stem))
            .ok()
            .map(|t| History::parse(&t));
        // Without a history (not written by this tool) the bytes are sent as they are.
        let kind = history.as_ref().and_then(|h| h.kind).unwrap_or(Kind::Raw);
        let key = history
            .as_ref()
            .map(|h| h.event_id.as_str())
            .filter(|k| !k.is_empty());
        let mut payload =
            Payload::stored(kind, bytes, key, || stem_key(stem)).map_err(Unusable::Corrupt)?;
        payload.checked = history.as_ref().is_some_and(|h| h.checked);
        let mut history = history.unwrap_or_else(|| {
            History::new(
                &payload.event_id,
                kind,
                outbox::stamp_of(stem).unwrap_or_else(OffsetDateTime::now_utc),
            )
        });
        history.event_id = payload.event_id.clone();
        history.kind = Some(kind);
        match loaded(payload, &self.guard, self.privacy, self.settings.out) {
            Ok(p) => {
                history.checked = p.checked;
                Ok((p, history))
            }
            Err(why) => Err(Unusable::Refused(why, Box::new(history))),
        }
    }

    fn reject(&mut self, stem: &str, history: &History, why: &str) -> Step {
        let path = self.outbox.json(stem);
        match self.outbox.reject(stem, history) {
            Ok(to) => {
                self.warn(format!("rejected ({why}): kept apart in {}", to.display()));
                self.n.rejected += 1;
                Step::Rejected
            }
            Err(e) => {
                self.warn(format!(
                    "{}: rejected ({why}), but cannot move it to {}/: {}",
                    path.display(),
                    outbox::REJECTED_DIR,
                    plain_io(&e)
                ));
                self.n.kept += 1;
                Step::Rejected
            }
        }
    }

    fn set_aside(&mut self, name: &OsString, why: &str) {
        let from = self.outbox.dir.join(name);
        match self.outbox.set_aside(name) {
            Ok(to) => {
                self.warn(format!(
                    "{}: not an outbox entry ({why}); set aside in {}",
                    from.display(),
                    to.display()
                ));
                self.n.set_aside += 1;
            }
            Err(e) => self.warn(format!(
                "{}: not an outbox entry ({why}), and cannot set it aside: {}",
                from.display(),
                plain_io(&e)
            )),
        }
    }

    /// Temp debris of dead writers, orphan histories, foreign files, old side-dir files.
    fn housekeeping(&mut self, listing: &Listing) {
        let dir = self.outbox.dir.clone();
        let mut swept = 0;
        for t in &listing.temps {
            swept += usize::from(self.outbox.sweep_temp(&dir, t).unwrap_or(false));
        }
        for o in self.outbox.orphans(&listing.entries).unwrap_or_default() {
            swept += usize::from(self.outbox.sweep_orphan(&o).unwrap_or(false));
        }
        if swept > 0 {
            self.info(format!(
                "swept {swept} leftover files (temp files of killed writers, orphan histories)"
            ));
        }
        for f in &listing.foreign {
            self.set_aside(f, "not a name this tool writes");
        }
        let pruned = self.outbox.prune_side_dirs(self.caps);
        if pruned > 0 {
            self.warn(format!(
                "dropped {pruned} old files from {}/ and {}/ (TELEMETRY_OUTBOX_MAX_AGE_DAYS, TELEMETRY_OUTBOX_MAX_ENTRIES)",
                outbox::REJECTED_DIR,
                outbox::CORRUPT_DIR
            ));
        }
    }

    /// Turns each old-script run into one regular entry (sent as given, under its own
    /// `event_id` or a key derived from the run), then removes the run's files.
    fn import_legacy(&mut self, runs: &[LegacyRun]) -> Vec<String> {
        let mut stems = Vec::new();
        for run in runs {
            match self.import_run(run) {
                Ok(Some(stem)) => stems.push(stem),
                Ok(None) => {}
                Err(e) => self.warn(format!(
                    "{}: cannot import the old script's files of run {}: {}",
                    self.outbox.dir.display(),
                    run.run,
                    plain_io(&e)
                )),
            }
        }
        stems
    }

    fn import_run(&mut self, run: &LegacyRun) -> std::io::Result<Option<String>> {
        let dir = self.outbox.dir.clone();
        let Some((_, newest)) = run.attempts.first() else {
            // Status files whose payloads are gone.
            for s in &run.statuses {
                if outbox::older_than(&dir.join(s), DEBRIS_AGE) {
                    outbox::remove(&dir.join(s))?;
                }
            }
            return Ok(None);
        };
        // The newest file is the run's claim: whoever holds it imports the run.
        let _claim = match outbox::claim(&dir.join(newest))? {
            Claim::Held(h) => h,
            Claim::Busy => {
                self.n.in_use += 1;
                return Ok(None);
            }
            Claim::Gone => return Ok(None),
        };
        let mut chosen = None;
        for (n, name) in &run.attempts {
            let path = dir.join(name);
            let bytes = match read_bounded(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            match legacy_check(&bytes) {
                Ok(()) => {
                    chosen = Some((*n, name, bytes));
                    break;
                }
                // The old scripts wrote in place: a fresh broken file may be half-written.
                Err(_) if !outbox::older_than(&path, Duration::from_secs(120)) => {
                    self.n.in_use += 1;
                    return Ok(None);
                }
                Err(why) => self.set_aside(&OsString::from(name), &why),
            }
        }
        let Some((n, name, bytes)) = chosen else {
            for s in &run.statuses {
                outbox::remove(&dir.join(s))?;
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
        let created = fs::metadata(dir.join(name))
            .and_then(|m| m.modified())
            .map(OffsetDateTime::from)
            .unwrap_or_else(|_| OffsetDateTime::now_utc());
        let stem = outbox::entry_stem(created, &key);
        let mut history = History::new(&key, Kind::Raw, created);
        history.source = Some(format!("legacy:{name}"));
        legacy_attempts(&dir, &run.statuses, &mut history);
        history.attempts = history.attempts.max(n.min(u64::from(u32::MAX)) as u32);
        outbox::write_entry(&dir, &stem, &history.render(), &bytes)?;
        // The claimed newest file goes last: until it is gone the run stays claimable, and
        // an import cut short is redone into the same entry name (same file time, same key).
        for (_, f) in run.attempts.iter().skip(1) {
            outbox::remove(&dir.join(f))?;
        }
        for s in &run.statuses {
            outbox::remove(&dir.join(s))?;
        }
        outbox::remove(&dir.join(newest))?;
        self.info(format!(
            "imported {} (run {} of the old {} script) as {stem}",
            dir.join(name).display(),
            run.run,
            run.kind
        ));
        Ok(Some(stem))
    }

    /// Drops the entries beyond the caps, oldest first. Returns how many entries at the
    /// front of `entries` are dealt with.
    fn expire(&mut self, entries: &[String]) -> usize {
        let x = self.outbox.expire(entries, self.caps, None);
        for e in &x.errors {
            self.warn(e);
        }
        if let Some(note) = x.note() {
            self.warn(note);
        }
        self.n.expired += x.expired;
        self.n.in_use += x.in_use;
        x.drop
    }

    fn dry_run(mut self, listing: Listing) -> anyhow::Result<ExitCode> {
        let dir = self.outbox.dir.clone();
        let mut text = String::new();
        let (mut send, mut expire, mut aside) = (0usize, 0usize, 0usize);
        for f in &listing.foreign {
            text.push_str(&format!(
                "would set aside {}: not a name this tool writes\n",
                dir.join(f).display()
            ));
            aside += 1;
        }
        let (aged, drop) = Outbox::over_caps(&listing.entries, self.caps, SystemTime::now());
        for (i, stem) in listing.entries[..drop].iter().enumerate() {
            let why = if i < aged {
                format!(
                    "older than TELEMETRY_OUTBOX_MAX_AGE_DAYS={}",
                    self.caps.max_age.as_secs() / 86_400
                )
            } else {
                format!(
                    "beyond TELEMETRY_OUTBOX_MAX_ENTRIES={}",
                    self.caps.max_entries
                )
            };
            text.push_str(&format!(
                "would expire {} ({why})\n",
                self.outbox.json(stem).display()
            ));
            expire += 1;
        }
        let limit = self.limit.unwrap_or(u64::MAX);
        for run in &listing.legacy {
            let Some((_, newest)) = run.attempts.first() else {
                continue;
            };
            if send as u64 >= limit {
                break;
            }
            let others = run.attempts.len() - 1 + run.statuses.len();
            text.push_str(&format!(
                "would send {} (left by the old {} script for run {}; its {others} other files would be removed)\n",
                dir.join(newest).display(),
                run.kind,
                run.run
            ));
            send += 1;
        }
        for stem in &listing.entries[drop..] {
            if send as u64 >= limit {
                break;
            }
            let path = self.outbox.json(stem);
            let bytes = read_bounded(&path);
            match self.load(stem, bytes) {
                Ok((payload, history)) => {
                    let next = history
                        .attempts
                        .max(payload.last_attempt())
                        .max(1)
                        .saturating_add(1);
                    text.push_str(&format!(
                        "would send {} key={} attempt={next}\n",
                        path.display(),
                        payload.event_id
                    ));
                    send += 1;
                }
                Err(Unusable::Corrupt(why)) => {
                    text.push_str(&format!("would set aside {}: {why}\n", path.display()));
                    aside += 1;
                }
                Err(Unusable::Unreadable(why)) => {
                    text.push_str(&format!("would keep {}: {why}\n", path.display()));
                }
                Err(Unusable::Refused(why, _)) => {
                    text.push_str(&format!("would reject {}: {why}\n", path.display()));
                }
            }
        }
        print(&text)?;
        self.progress.clear();
        self.settings.out.note(format_args!(
            "flush --dry-run: would send {send}, expire {expire}, set aside {aside}; nothing sent, nothing changed"
        ));
        Ok(ExitCode::from(DELIVERED))
    }

    fn summary(&self, stopped: Option<&str>) {
        let n = &self.n;
        let mut s = format!(
            "flush: delivered={} kept={} rejected={} expired={}",
            n.delivered, n.kept, n.rejected, n.expired
        );
        if n.set_aside > 0 {
            s.push_str(&format!(" set_aside={}", n.set_aside));
        }
        if n.in_use > 0 {
            s.push_str(&format!(" in_use={}", n.in_use));
        }
        if let Some(why) = stopped {
            s.push_str(&format!(
                "; stopped early, {why}: {} not tried, kept for a later flush",
                n.not_tried
            ));
        }
        self.settings.out.note(s);
    }

    fn warn(&mut self, msg: impl Display) {
        self.progress.clear();
        self.settings.out.warn(msg);
    }

    fn info(&mut self, msg: impl Display) {
        if self.settings.out.verbose {
            self.progress.clear();
            self.settings.out.info(msg);
        }
    }
}

enum Unusable {
    /// Not a payload: set aside.
    Corrupt(String),
    /// Could not be read now: kept.
    Unreadable(String),
    /// Refused by `loaded`: kept apart, never sent.
    Refused(String, Box<History>),
}

/// The key for an entry whose history is lost and whose body has no usable `event_id`:
/// the id in its name (the key it was kept under), else one derived from the name.
fn stem_key(stem: &str) -> String {
    stem.get(27..)
        .filter(|id| usable_key(id))
        .map(str::to_string)
        .unwrap_or_else(|| derived_key(&format!("outbox:{stem}")))
}

/// A file's bytes, up to `MAX_ENTRY` (+1, so that "too large" shows).
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_ENTRY + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// An old script's payload must be one JSON object.
fn legacy_check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 > MAX_ENTRY {
        return Err("larger than 16 MiB".into());
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(other) => Err(format!(
            "expected a JSON object, found {}",
            crate::payload::kind_of(&other)
        )),
        Err(e) if bytes.is_empty() => Err(format!("empty file ({e})")),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// The old scripts' `.status` files (`attempt=`, `curl_exit=`, `recorded_at=`) as history lines.
fn legacy_attempts(dir: &Path, statuses: &[String], history: &mut History) {
    let mut found: Vec<(u32, String, String)> = statuses
        .iter()
        .filter_map(|s| fs::read_to_string(dir.join(s)).ok())
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
    for (n, mut at, curl) in found {
        if at.is_empty() {
            at = "unknown".into();
        }
        let answer = Answer::Failed(format!("curl exit {curl}"));
        history
            .lines
            .push(format!("attempt={n} at={at} error=curl exit {curl}"));
        history.attempts = history.attempts.max(n);
        history.last = Some((at, answer));
    }
}

/// A progress line on a terminal, redrawn in place; cleared before any other message.
struct Progress {
    on: bool,
    total: usize,
    last: Option<Instant>,
    shown: bool,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            total: 0,
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, done: usize, n: &Counts) {
        if !self.on || self.last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        eprint!(
            "\r\x1b[Kpk3s-telemetry: flush: {done}/{} delivered={} kept={}",
            self.total, n.delivered, n.kept
        );
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_history_falls_back_on_the_id_in_the_name() {
        let id = "0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11";
        assert_eq!(stem_key(&format!("20261121T234743.123456789Z-{id}")), id);
        let k = stem_key("20261121T234743.123456789Z-");
        assert_eq!(k, stem_key("20261121T234743.123456789Z-"));
        assert_eq!(k.len(), 36);
    }
}
