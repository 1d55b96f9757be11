//! Replaying the outbox: housekeeping, the old scripts' runs, the caps, then one attempt
//! per entry, in the order entries were written, over a few kept-alive connections (each
//! worker its own client per endpoint, taking the next-oldest entry, so each connection
//! sends oldest first). Each entry goes where its route says (`route`): the endpoint it
//! was written for, unless re-routed. Stops early as the delivery policy says (endpoint
//! down, credentials refused, a long Retry-After: for that endpoint), at the `--limit`,
//! or when the time budget is spent: no request starts after it.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use super::entry;
use super::ledger::group::Group;
use super::ledger::read::Left;
use super::ledger::record::Record;
use super::ledger::{Ledger, cannot_record};
use super::memory::Memory;
use super::order;
pub use super::report::{Counts, Sink, Summary};
use super::report::{Msg, Tally};
use super::route::Route;
use super::{Listing, Outbox, foreign_note};
use crate::attempt::Answer;
use crate::delivery::Client;
use crate::delivery::policy::{Class, Next, Streak};
use crate::privacy::{self, Guard};
use crate::settings::Settings;

mod one;

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

/// Replays one outbox along a route, with the settings' privacy rules and caps.
pub struct Replayer<'a> {
    pub outbox: Outbox,
    pub settings: &'a Settings,
    pub route: Route,
    pub(super) guard: Guard,
    pub(super) privacy: privacy::Mode,
    /// Every answer teaches the endpoint memory (a replay itself always tries).
    pub(super) memory: Memory,
    /// Who drops entries and delivers them, for the records of drops and of what left:
    /// `flush`, `deliverer` or `from` (`flush --from`).
    pub(super) by: &'static str,
    /// The ledger: a record per delivery, written before the entry is removed; the
    /// workers' records in shared writes (`ledger::group`).
    ledger: Group,
    /// What left already, read from the ledger when first asked.
    left: OnceLock<Left>,
    /// A delivery could not be recorded (said once).
    unrecorded: AtomicBool,
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
    /// Each endpoint's run of failures, and whether the replay stopped for it.
    endpoints: Mutex<Vec<Endpoint>>,
    /// Every entry goes to one endpoint: a stop for it stops the whole replay.
    single: bool,
    /// Some endpoint's entries are no longer tried (`stop_for`): a look per entry is
    /// needed only then.
    any_stopped: AtomicBool,
    /// Connections per endpoint, for its streak.
    workers: usize,
    halted: AtomicBool,
    stopped: Mutex<Option<String>>,
    fatal: Mutex<Option<String>>,
    /// The endpoints entries were kept for, as the settings name another.
    elsewhere: Mutex<BTreeSet<String>>,
    tally: Tally,
}

struct Endpoint {
    url: String,
    streak: Streak,
    stopped: bool,
}

impl Endpoint {
    /// `url`'s state in `all`, added when it is new.
    fn of<'e>(all: &'e mut Vec<Endpoint>, url: &str, workers: usize) -> &'e mut Endpoint {
        match all.iter().position(|e| e.url == url) {
            Some(i) => &mut all[i],
            None => {
                all.push(Endpoint {
                    url: url.to_string(),
                    streak: Streak::over(workers),
                    stopped: false,
                });
                let last = all.len() - 1;
                &mut all[last]
            }
        }
    }
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

    /// Whether the replay stopped for `url` (not for all).
    fn stopped_for(&self, url: &str) -> bool {
        if !self.any_stopped.load(Ordering::Relaxed) {
            return false;
        }
        let e = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        e.iter().any(|e| e.stopped && e.url == url)
    }

    /// Stops the replay for `url`: for all when it is the only endpoint.
    fn stop_for(&self, url: &str, why: String) {
        if self.single {
            return self.stop(why);
        }
        {
            let mut e = self
                .endpoints
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Endpoint::of(&mut e, url, self.workers).stopped = true;
            self.any_stopped.store(true, Ordering::Relaxed);
        }
        let mut s = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        s.get_or_insert(format!("{url}: {why}"));
    }

    /// What the policy says after an answer from `url`.
    fn after(&self, url: &str, class: Class, answer: &Answer, wait: Option<Duration>) -> Next {
        let mut all = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Endpoint::of(&mut all, url, self.workers)
            .streak
            .after(class, answer, wait)
    }
}

/// What came of one entry.
enum Step {
    /// Answered through the worker's connection number `usize`.
    Answered(usize, Class, Answer, Option<Duration>),
    /// Set aside, in use elsewhere, gone, kept for another endpoint, or not tried: no
    /// request was made.
    Skipped,
    /// The flush must stop at once (a delivered entry cannot be removed).
    Fatal(String),
}

impl<'a> Replayer<'a> {
    /// A replay of the settings' outbox along `route`, by `by` (`flush`, `deliverer`).
    pub fn new(settings: &'a Settings, route: Route, by: &'static str) -> Replayer<'a> {
        Replayer {
            outbox: Outbox::new(&settings.outbox_dir),
            settings,
            route,
            guard: Guard::from_env(settings.token.as_deref()),
            privacy: privacy::Mode::from_env(settings.out),
            memory: Memory::load(settings),
            by,
            ledger: Group::new(Ledger::new(&settings.outbox_dir, settings.ledger_caps)),
            left: OnceLock::new(),
            unrecorded: AtomicBool::new(false),
        }
    }

    /// What left already (the ledger, read once): a replay does not send it again.
    pub fn left(&self) -> &Left {
        self.left
            .get_or_init(|| Left::load(&self.outbox.dir, self.settings.ledger_caps))
    }

    /// Records a delivery in the ledger; a record that cannot be written is said once (the
    /// warning returned), and the replay goes on.
    pub(super) fn record(&self, record: &Record) -> Option<String> {
        let e = self.ledger.record(record).err()?;
        (!self.unrecorded.swap(true, Ordering::Relaxed))
            .then(|| cannot_record(&self.outbox.dir, &e))
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
        let pruned = ob.prune_side_dirs(caps, self.by);
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
        // The outbox's clock brought up to now: the ages go by it.
        let clock = order::tick(&ob.dir);
        let x = ob.expire(&entries, caps, clock, None, self.by);
        for e in &x.errors {
            sink.warn(e);
        }
        if let Some(note) = x.note() {
            sink.warn(&note);
        }
        n.expired += x.expired;
        n.in_use += x.in_use;
        let mut over = x.over.iter().map(|o| o.0).peekable();
        let mut i = 0;
        entries.retain(|_| {
            let dropped = over.next_if_eq(&i).is_some();
            i += 1;
            !dropped
        });
        entries
    }

    /// One attempt per entry of `todo` (oldest first). `Err` is the one line of a flush that
    /// had to stop at once.
    pub fn run(
        &self,
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
            endpoints: Mutex::new(Vec::new()),
            single: self.route.single(),
            any_stopped: AtomicBool::new(false),
            workers,
            halted: AtomicBool::new(false),
            stopped: Mutex::new(None),
            fatal: Mutex::new(None),
            elsewhere: Mutex::new(BTreeSet::new()),
            tally: Tally::default(),
        };
        let (tx, rx) = channel();
        std::thread::scope(|s| {
            for _ in 0..workers {
                let tx = tx.clone();
                let shared = &shared;
                s.spawn(move || self.worker(todo, opts, shared, &tx));
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
        let elsewhere = shared
            .elsewhere
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .collect();
        Ok(Summary {
            n,
            stopped,
            elsewhere,
        })
    }

    fn worker(&self, todo: &[String], opts: &Options, shared: &Shared, tx: &Sender<Msg>) {
        // Its connection to each endpoint it has sent to (nearly always one).
        let mut clients: Vec<(String, Client)> = Vec::new();
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
            let (at, next) = match self.replay_one(&mut clients, stem, opts, shared, tx) {
                Step::Skipped => continue,
                Step::Fatal(why) => {
                    let mut f = shared.fatal.lock().unwrap_or_else(PoisonError::into_inner);
                    f.get_or_insert(why);
                    shared.stop("a delivered entry cannot be removed".into());
                    return;
                }
                Step::Answered(at, class, answer, retry_after) => {
                    let url = clients.get(at).map_or("", |c| c.0.as_str());
                    (at, shared.after(url, class, &answer, retry_after))
                }
            };
            match next {
                Next::Go => {}
                Next::Stop(why) => {
                    shared.stop_for(clients.get(at).map_or("", |c| c.0.as_str()), why);
                    if shared.is_stopped() {
                        return;
                    }
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
}
