//! Replaying the outbox: housekeeping, the old scripts' runs, the caps, then one attempt
//! per entry, oldest first, over a few kept-alive connections (each worker its own client,
//! taking the next-oldest entry, so each connection sends oldest first). Stops early as the
//! delivery policy says (endpoint down, credentials refused, a long Retry-After), at the
//! `--limit`, or when the time budget is spent: no request starts after it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use time::OffsetDateTime;

use super::entry::{self, Claim};
pub use super::report::{Counts, Sink, Summary};
use super::report::{Msg, Say, Tally};
use super::stored::Unusable;
use super::{History, Listing, Outbox, foreign_note};
use crate::attempt::{Answer, Attempt, Outcome};
use crate::delivery::Client;
use crate::delivery::policy::{self, Class, Next, Streak, classify};
use crate::error::plain_io;
use crate::privacy::{self, Guard};
use crate::settings::Settings;

/// The default budget of a flush, and of the background deliverer's drain.
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(120);
/// At most this many connections at once.
pub const MAX_WORKERS: usize = 4;
/// A worker (connection) per this many entries, up to `MAX_WORKERS`: a short replay uses one.
const ENTRIES_PER_WORKER: usize = 64;

pub struct Options {
    pub limit: Option<u64>,
    pub max_time: Duration,
    pub workers: usize,
    /// The sink shows progress: report each entry as it is done.
    pub progress: bool,
}

/// Replays one outbox with the settings' endpoint, privacy rules and caps.
pub struct Replayer<'a> {
    pub outbox: Outbox,
    pub settings: &'a Settings,
    pub(super) guard: Guard,
    pub(super) privacy: privacy::Mode,
}

/// What the workers share.
struct Shared {
    next: AtomicUsize,
    /// Requests started, for `--limit`.
    tried: AtomicU64,
    /// Entries taken but not tried (out of time, stopped, over the limit).
    untried: AtomicUsize,
    deadline: Instant,
    /// When the replay started: entries unchanged since are claimed with one check less.
    settled: SystemTime,
    streak: Mutex<Streak>,
    halted: AtomicBool,
    stopped: Mutex<Option<String>>,
    fatal: Mutex<Option<String>>,
    tally: Tally,
}

impl Shared {
    fn stop(&self, why: String) {
        let mut s = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        s.get_or_insert(why);
        self.halted.store(true, Ordering::SeqCst);
    }

    fn is_stopped(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }
}

/// What came of one entry.
enum Step {
    Answered(Class, Answer, Option<Duration>),
    /// Set aside, in use elsewhere, gone, or not tried: no request was made.
    Skipped,
    /// The flush must stop at once (a delivered entry cannot be removed).
    Fatal(String),
}

impl<'a> Replayer<'a> {
    pub fn new(settings: &'a Settings) -> Replayer<'a> {
        Replayer {
            outbox: Outbox::new(&settings.outbox_dir),
            settings,
            guard: Guard::from_env(settings.token.as_deref()),
            privacy: privacy::Mode::from_env(settings.out),
        }
    }

    /// Everything before the requests: debris, the foreign-file warning, old side files,
    /// the old scripts' runs, the caps. Returns the entries to replay, oldest first.
    pub fn prepare(&self, listing: Listing, n: &mut Counts, sink: &mut dyn Sink) -> Vec<String> {
        let ob = &self.outbox;
        let mut swept = 0;
        for t in &listing.temps {
            swept += usize::from(ob.sweep_temp(&ob.dir, t).unwrap_or(false));
        }
        for o in ob.orphans(&listing).unwrap_or_default() {
            swept += usize::from(ob.sweep_orphan(&o).unwrap_or(false));
        }
        if swept > 0 {
            sink.info(&format!(
                "swept {swept} leftover files (temp files of killed writers, orphan histories)"
            ));
        }
        n.foreign = listing.foreign.len();
        if let Some(note) = foreign_note(&ob.dir, &listing.foreign) {
            sink.warn(&note);
        }
        let caps = self.settings.outbox_caps;
        let pruned = ob.prune_side_dirs(caps);
        if pruned > 0 {
            sink.warn(&format!(
                "dropped {pruned} old files from {}/ and {}/ (TELEMETRY_OUTBOX_MAX_AGE_DAYS, TELEMETRY_OUTBOX_MAX_ENTRIES)",
                entry::REJECTED_DIR,
                entry::CORRUPT_DIR
            ));
        }
        let mut entries = listing.entries;
        let imported = ob.import_legacy(&listing.legacy, n, sink);
        if !imported.is_empty() {
            entries.extend(imported);
            entries.sort_unstable();
        }
        let x = ob.expire(&entries, caps, None);
        for e in &x.errors {
            sink.warn(e);
        }
        if let Some(note) = x.note() {
            sink.warn(&note);
        }
        n.expired += x.expired;
        n.in_use += x.in_use;
        entries.drain(..x.drop.min(entries.len()));
        entries
    }

    /// One attempt per entry of `todo` (oldest first). `Err` is the one line of a flush that
    /// had to stop at once.
    pub fn run(
        &self,
        url: &str,
        todo: &[String],
        mut n: Counts,
        opts: &Options,
        sink: &mut dyn Sink,
    ) -> Result<Summary, String> {
        let workers = todo
            .len()
            .div_ceil(ENTRIES_PER_WORKER)
            .clamp(1, opts.workers.max(1));
        let shared = Shared {
            next: AtomicUsize::new(0),
            tried: AtomicU64::new(0),
            untried: AtomicUsize::new(0),
            deadline: Instant::now() + opts.max_time,
            settled: SystemTime::now(),
            streak: Mutex::new(Streak::over(workers)),
            halted: AtomicBool::new(false),
            stopped: Mutex::new(None),
            fatal: Mutex::new(None),
            tally: Tally::default(),
        };
        let (tx, rx) = channel();
        std::thread::scope(|s| {
            for _ in 0..workers {
                let tx = tx.clone();
                let shared = &shared;
                s.spawn(move || self.worker(url, todo, opts, shared, &tx));
            }
            drop(tx);
            let mut done = 0;
            for msg in rx {
                match msg {
                    Msg::Warn(m) => sink.warn(&m),
                    Msg::Info(m) => sink.info(&m),
                    _ => {
                        done += 1;
                        sink.progress(done.min(todo.len()), todo.len(), &shared.tally.onto(&n));
                    }
                }
            }
        });
        n = shared.tally.onto(&n);
        if let Some(f) = shared
            .fatal
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            return Err(f);
        }
        let taken = shared.next.into_inner().min(todo.len());
        n.not_tried = todo.len() - taken + shared.untried.into_inner();
        n.kept += n.not_tried;
        let stopped = shared
            .stopped
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .filter(|_| n.not_tried > 0);
        Ok(Summary { n, stopped })
    }

    fn worker(
        &self,
        url: &str,
        todo: &[String],
        opts: &Options,
        shared: &Shared,
        tx: &Sender<Msg>,
    ) {
        let client = match Client::new(self.settings, url) {
            Ok(c) => c,
            Err(e) => {
                shared.stop(e.to_string());
                return;
            }
        };
        loop {
            let i = shared.next.fetch_add(1, Ordering::SeqCst);
            let Some(stem) = todo.get(i) else { return };
            if shared.is_stopped() {
                shared.untried.fetch_add(1, Ordering::SeqCst);
                return;
            }
            if Instant::now() >= shared.deadline {
                shared.stop(format!("--max-time {}s spent", opts.max_time.as_secs()));
                shared.untried.fetch_add(1, Ordering::SeqCst);
                return;
            }
            let next = match self.replay_one(&client, stem, opts, shared, tx) {
                Step::Skipped => Next::Go,
                Step::Fatal(why) => {
                    let mut f = shared.fatal.lock().unwrap_or_else(PoisonError::into_inner);
                    f.get_or_insert(why);
                    shared.stop("a delivered entry cannot be removed".into());
                    return;
                }
                Step::Answered(class, answer, retry_after) => shared
                    .streak
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .after(class, &answer, retry_after),
            };
            match next {
                Next::Go => {}
                Next::Stop(why) => {
                    shared.stop(why);
                    return;
                }
                Next::Wait(w) => {
                    if Instant::now() + w >= shared.deadline {
                        shared.stop(format!("--max-time {}s spent", opts.max_time.as_secs()));
                        return;
                    }
                    sleep(w);
                }
            }
        }
    }

    /// One attempt for one entry, under its claim.
    fn replay_one(
        &self,
        client: &Client,
        stem: &str,
        opts: &Options,
        shared: &Shared,
        tx: &Sender<Msg>,
    ) -> Step {
        let sayer = Say {
            tx,
            tally: &shared.tally,
            progress: opts.progress,
            verbose: self.settings.out.verbose,
        };
        let say = |m: Msg| sayer.say(m);
        // Built only for a message: the common path needs no copy of it.
        let path = || self.outbox.json(stem);
        let held = match self.outbox.claim(stem, Some(shared.settled)) {
            Ok(Claim::Held(h)) => h,
            Ok(Claim::Busy) => {
                say(Msg::InUse);
                return Step::Skipped;
            }
            Ok(Claim::Gone) => return Step::Skipped,
            Err(e) => {
                say(Msg::Warn(format!(
                    "{}: cannot claim it: {}; left as it is",
                    path().display(),
                    plain_io(&e)
                )));
                say(Msg::Kept);
                return Step::Skipped;
            }
        };
        let (mut payload, mut history) = match self.load(stem, held.read()) {
            Ok(loaded) => loaded,
            Err(Unusable::Corrupt(why)) => {
                self.set_aside(stem, &why, &say);
                return Step::Skipped;
            }
            Err(Unusable::Unreadable(why)) => {
                say(Msg::Warn(format!("{}: {why}; kept", path().display())));
                say(Msg::Kept);
                return Step::Skipped;
            }
            Err(Unusable::Refused(why, mut history)) => {
                history.state = "rejected".into();
                history.refused = Some(why.clone());
                self.reject(
                    stem,
                    &history,
                    &format!("refused before sending: {why}"),
                    &say,
                );
                return Step::Skipped;
            }
        };
        if let Some(limit) = opts.limit
            && shared.tried.fetch_add(1, Ordering::SeqCst) >= limit
        {
            shared.stop(format!("--limit {limit} reached"));
            shared.untried.fetch_add(1, Ordering::SeqCst);
            return Step::Skipped;
        }
        let number = history
            .attempts
            .max(payload.last_attempt())
            .max(1)
            .saturating_add(1);
        let at = OffsetDateTime::now_utc();
        payload.stamp(number, at);
        let (answer, permanent, retry_after) = client.post(&payload.body(), &payload.event_id);
        let class = classify(&answer, permanent);
        let outcome = policy::outcome(class);
        // A delivered entry's history goes with it: nothing to record.
        if outcome != Outcome::Delivered {
            history.record(&Attempt {
                number,
                at,
                answer: answer.clone(),
            });
        }
        if let Err(why) = self.finish(stem, &mut history, outcome, &answer, &say) {
            return Step::Fatal(why);
        }
        drop(held);
        Step::Answered(class, answer, retry_after)
    }

    /// Acts on an entry's answer under its claim. `Err` when a delivered entry cannot be
    /// removed: a flush stops at once rather than send it again and again.
    fn finish(
        &self,
        stem: &str,
        history: &mut History,
        outcome: Outcome,
        answer: &Answer,
        say: &dyn Fn(Msg),
    ) -> Result<(), String> {
        let path = || self.outbox.json(stem);
        match outcome {
            Outcome::Delivered => {
                if let Err(e) = self.outbox.delete(stem) {
                    return Err(format!(
                        "the outbox {}: delivered {stem}.json but cannot remove it: {}; stopped so as not to send it again",
                        self.outbox.dir.display(),
                        plain_io(&e)
                    ));
                }
                if self.settings.out.verbose {
                    say(Msg::Info(format!(
                        "delivered {} ({answer})",
                        path().display()
                    )));
                }
                say(Msg::Delivered);
            }
            Outcome::Rejected => {
                history.state = "rejected".into();
                self.reject(stem, history, &answer.to_string(), say);
            }
            Outcome::Kept => {
                history.state = "kept".into();
                if let Err(e) = self.outbox.record(stem, history) {
                    say(Msg::Warn(format!(
                        "{}: cannot update its history: {}",
                        path().display(),
                        plain_io(&e)
                    )));
                }
                if self.settings.out.verbose {
                    say(Msg::Info(format!("kept {} ({answer})", path().display())));
                }
                say(Msg::Kept);
            }
        }
        Ok(())
    }

    /// Delivers the entry a background send just wrote, with the send policy (retries and
    /// backoff), within `deadline`. Returns what came of it (`None`: not ours to deliver now).
    pub fn deliver_first(
        &self,
        client: &Client,
        stem: &str,
        deadline: Instant,
        sink: &mut dyn Sink,
    ) -> Option<Outcome> {
        let Ok(Claim::Held(held)) = self.outbox.claim(stem, None) else {
            return None;
        };
        let (mut payload, mut history) = self.load(stem, held.read()).ok()?;
        let first = history
            .attempts
            .max(payload.last_attempt().saturating_sub(1))
            + 1;
        let report = policy::deliver(
            |b, k| client.post(b, k),
            &mut payload,
            first,
            self.settings.max_attempts,
            Some(deadline),
            self.settings.out,
        );
        for a in &report.attempts {
            history.record(a);
        }
        let answer = report
            .last()
            .map_or(Answer::Failed("not tried".into()), |a| a.answer.clone());
        let (tx, rx) = channel();
        let fatal = self.finish(stem, &mut history, report.outcome, &answer, &|m| {
            let _ = tx.send(m);
        });
        drop(held);
        drop(tx);
        for m in rx {
            match m {
                Msg::Warn(w) => sink.warn(&w),
                Msg::Info(i) => sink.info(&i),
                _ => {}
            }
        }
        if let Err(f) = fatal {
            sink.warn(&f);
        }
        Some(report.outcome)
    }

    fn reject(&self, stem: &str, history: &History, why: &str, say: &dyn Fn(Msg)) {
        match self.outbox.reject(stem, history) {
            Ok(to) => {
                say(Msg::Warn(format!(
                    "rejected ({why}): kept apart in {}",
                    to.display()
                )));
                say(Msg::Rejected);
            }
            Err(e) => {
                say(Msg::Warn(format!(
                    "{}: rejected ({why}), but cannot move it to {}/: {}",
                    self.outbox.json(stem).display(),
                    entry::REJECTED_DIR,
                    plain_io(&e)
                )));
                say(Msg::Kept);
            }
        }
    }

    fn set_aside(&self, stem: &str, why: &str, say: &dyn Fn(Msg)) {
        let from = self.outbox.json(stem);
        match self.outbox.set_aside(&format!("{stem}.json")) {
            Ok(to) => {
                say(Msg::Warn(format!(
                    "{}: not a payload ({why}); set aside in {}",
                    from.display(),
                    to.display()
                )));
                say(Msg::SetAside);
            }
            Err(e) => say(Msg::Warn(format!(
                "{}: not a payload ({why}), and cannot set it aside: {}",
                from.display(),
                plain_io(&e)
            ))),
        }
    }
}
