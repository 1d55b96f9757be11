//! One entry of a replay: claimed, read back, routed, tried once, and settled under its
//! claim (delivered and removed, kept with its attempt recorded, or set apart).

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;

use time::OffsetDateTime;

use super::super::History;
use super::super::entry::{self, Claim};
use super::super::ledger;
use super::super::report::{Msg, Say};
use super::super::route::{Target, protocol_of};
use super::super::stored::Unusable;
use super::{Options, Replayer, Shared, Step};
use crate::attempt::{Answer, Attempt, Outcome};
use crate::delivery::Client;
use crate::delivery::policy::{self, classify};
use crate::error::plain_io;

impl Replayer<'_> {
    /// One attempt for one entry, under its claim, to where its route says.
    pub(super) fn replay_one(
        &self,
        clients: &mut Vec<(String, Client)>,
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
        // The connection to where it goes, by index: the URL is then borrowed from the
        // worker's list, not copied from the history an entry.
        let at = match self.route.target(&history) {
            Target::Send(url) if self.left().contains(&payload.event_id, url) => {
                // It left before (the ledger says so): removed, not sent again.
                if let Err(e) = self.outbox.delete(stem) {
                    return Step::Fatal(format!(
                        "the outbox {}: {stem}.json was delivered before but cannot be removed: {}; stopped so as not to send it again",
                        self.outbox.dir.display(),
                        plain_io(&e)
                    ));
                }
                if self.settings.out.verbose {
                    say(Msg::Info(format!(
                        "removed {}: the ledger says it left already",
                        path().display()
                    )));
                }
                say(Msg::AlreadyLeft);
                return Step::Skipped;
            }
            Target::Send(url) => match self.connection(clients, url, shared) {
                Some(i) => i,
                None => {
                    shared.untried.fetch_add(1, Ordering::SeqCst);
                    return Step::Skipped;
                }
            },
            Target::Unsupported(p) => {
                say(Msg::Warn(format!(
                    "{}: written for the protocol {p}, which this version cannot send; kept",
                    path().display()
                )));
                say(Msg::Kept);
                return Step::Skipped;
            }
            Target::Elsewhere(url) => {
                if self.settings.out.verbose {
                    say(Msg::Info(format!(
                        "kept {}: written for {url}",
                        path().display()
                    )));
                }
                shared
                    .elsewhere
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(url.to_string());
                say(Msg::Elsewhere);
                return Step::Skipped;
            }
            Target::NeedsToken => {
                say(Msg::NoToken);
                return Step::Skipped;
            }
        };
        let Some((url, client)) = clients.get(at).map(|(u, c)| (u.as_str(), c)) else {
            return Step::Skipped;
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
        let now = OffsetDateTime::now_utc();
        payload.stamp(number, now);
        let protocol = protocol_of(&history, self.settings.protocol);
        let body = protocol.body(&payload);
        let (sent, response) = client.post(&body, &payload.event_id);
        self.memory.observe(url, &sent.0, sent.1);
        let ((answer, fault, retry_after), warning) = protocol.judge(sent, &response);
        if let Some(w) = warning {
            say(Msg::Warn(format!("{}: {w}", path().display())));
        }
        let class = classify(&answer, fault);
        let outcome = policy::outcome(class);
        let attempt = Attempt {
            number,
            at: now,
            answer,
        };
        if outcome == Outcome::Delivered {
            // In the ledger before the entry goes (its history goes with it).
            let name = payload.event_name();
            let record = ledger::delivery(
                &payload,
                name.as_deref(),
                url,
                self.by,
                protocol,
                &attempt,
                &body,
            );
            if let Some(w) = self.record(&record) {
                say(Msg::Warn(w));
            }
        } else {
            history.record(&attempt);
        }
        let answer = attempt.answer;
        if let Err(why) = self.finish(stem, &mut history, outcome, &answer, &say) {
            return Step::Fatal(why);
        }
        drop(held);
        Step::Answered(at, class, answer, retry_after)
    }

    /// The worker's connection to `url` (an index into `clients`), made at its first
    /// entry; `None` when the replay stopped for that endpoint, or a client cannot be made
    /// for it (which stops it).
    fn connection(
        &self,
        clients: &mut Vec<(String, Client)>,
        url: &str,
        shared: &Shared,
    ) -> Option<usize> {
        if shared.stopped_for(url) {
            return None;
        }
        if let Some(i) = clients.iter().position(|c| c.0 == url) {
            return Some(i);
        }
        match Client::new(self.settings, url) {
            Ok(c) => {
                clients.push((url.to_string(), c));
                Some(clients.len() - 1)
            }
            Err(e) => {
                shared.stop_for(url, e.to_string());
                None
            }
        }
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
