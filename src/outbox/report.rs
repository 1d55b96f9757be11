//! What a replay reports, and how its workers report it: counts tallied in place, warnings
//! and details sent to the one thread that prints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;

/// Where a replay reports: warnings and details as they happen, progress now and then.
pub trait Sink {
    fn warn(&mut self, msg: &str);
    fn info(&mut self, msg: &str);
    fn progress(&mut self, _done: usize, _total: usize, _n: &Counts) {}
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub delivered: usize,
    /// Still in the outbox for a later flush: failed now, or not tried.
    pub kept: usize,
    pub not_tried: usize,
    pub rejected: usize,
    pub expired: usize,
    pub set_aside: usize,
    /// Claimed by another flush or send at the moment.
    pub in_use: usize,
    /// Files that are not ours, left where they are.
    pub foreign: usize,
    /// Kept: written for another endpoint than the one the settings name.
    pub elsewhere: usize,
    /// Kept: written with a bearer token, and none is set now.
    pub no_token: usize,
    /// Removed without sending: the ledger says it left already (a kill between its
    /// record and its removal, or a bundle delivered before).
    pub already_left: usize,
}

#[derive(Debug)]
pub struct Summary {
    pub n: Counts,
    /// Why the replay stopped before the end, if it did.
    pub stopped: Option<String>,
    /// The endpoints entries were kept for (`Counts::elsewhere`).
    pub elsewhere: Vec<String>,
}

/// What a worker reports about an entry. Warnings and details go to the thread that
/// prints (details only with `-v`); counts are tallied in place, and announced to the
/// printing thread only when it shows progress: a wake-up per entry costs throughput.
pub(super) enum Msg {
    Warn(String),
    Info(String),
    Delivered,
    Kept,
    Rejected,
    SetAside,
    InUse,
    Elsewhere,
    NoToken,
    AlreadyLeft,
}

/// The counts of the workers, tallied without a lock.
#[derive(Default)]
pub(super) struct Tally {
    delivered: AtomicUsize,
    kept: AtomicUsize,
    rejected: AtomicUsize,
    set_aside: AtomicUsize,
    in_use: AtomicUsize,
    elsewhere: AtomicUsize,
    no_token: AtomicUsize,
    already_left: AtomicUsize,
}

impl Tally {
    /// Counts `m` if it is a count; says whether it was.
    pub(super) fn add(&self, m: &Msg) -> bool {
        let n = match m {
            Msg::Delivered => &self.delivered,
            Msg::Kept => &self.kept,
            Msg::Rejected => &self.rejected,
            Msg::SetAside => &self.set_aside,
            Msg::InUse => &self.in_use,
            Msg::Elsewhere => &self.elsewhere,
            Msg::NoToken => &self.no_token,
            Msg::AlreadyLeft => &self.already_left,
            Msg::Warn(_) | Msg::Info(_) => return false,
        };
        n.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// `n` plus what the workers have counted so far.
    pub(super) fn onto(&self, n: &Counts) -> Counts {
        let g = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let (elsewhere, no_token) = (g(&self.elsewhere), g(&self.no_token));
        Counts {
            delivered: n.delivered + g(&self.delivered),
            // Entries kept for another endpoint or a token are kept too.
            kept: n.kept + g(&self.kept) + elsewhere + no_token,
            elsewhere: n.elsewhere + elsewhere,
            no_token: n.no_token + no_token,
            rejected: n.rejected + g(&self.rejected),
            set_aside: n.set_aside + g(&self.set_aside),
            in_use: n.in_use + g(&self.in_use),
            already_left: n.already_left + g(&self.already_left),
            ..*n
        }
    }
}

/// Where a worker's messages go (see `Msg`).
pub(super) struct Say<'s> {
    pub tx: &'s Sender<Msg>,
    pub tally: &'s Tally,
    pub progress: bool,
    pub verbose: bool,
}

impl Say<'_> {
    pub(super) fn say(&self, m: Msg) {
        let counted = self.tally.add(&m);
        let send = match m {
            Msg::Info(_) => self.verbose,
            Msg::Warn(_) => true,
            _ => counted && self.progress,
        };
        if send {
            let _ = self.tx.send(m);
        }
    }
}
