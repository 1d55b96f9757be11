//! The send use case, from the privacy guard to a settled entry: shared by `send`,
//! `send --background` and the background deliverer's first entry, so that all three
//! keep, spare, try, settle and cap a payload the same way. `cmd/send.rs` parses, calls
//! this and prints what came of it.
//!
//! 1. The guard, before anything is printed, sent or kept (a new payload; a kept one was
//!    guarded when it was read back), and the first attempt's stamp.
//! 2. Write-ahead: the entry is in the outbox, claimed, pinned to its endpoint, before any
//!    attempt (a deliverer claims the kept entry instead).
//! 3. `--background`: the claim is let go and a deliverer takes it from there.
//! 4. A foreground send to an endpoint the endpoint memory holds as down is spared: kept
//!    at once, not tried (exit 1). The deliverer always tries: nobody waits on it.
//! 5. The attempts, with the shared policy, each answer teaching the endpoint memory.
//! 6. Settled: removed when delivered, kept durably or moved to `rejected/`; the caps
//!    after a new entry is kept.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use time::OffsetDateTime;

use super::background::Handoff;
use super::memory::{Down, Memory};
use super::replay::Replayer;
use super::route::{Target, protocol_of};
use super::{Outbox, Pending, Pin, census, ledger};
use crate::attempt::{Answer, Outcome};
use crate::delivery::Client;
use crate::delivery::policy::{self, Report};
use crate::delivery::protocol::Protocol;
use crate::delivery::proxy::proxy_for;
use crate::error::{UsageError, plain_io};
use crate::payload::Payload;
use crate::privacy::{self, Guard};
use crate::settings::Settings;

/// Where the payload comes from. Made once a send: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Start<'r> {
    /// A payload made or read by `send`, for the endpoint `url`: guarded, then written
    /// ahead for that endpoint.
    New(Payload, &'r str),
    /// An entry already kept (the deliverer's first), by its stem, read back by `replayer`
    /// and sent where its route says.
    Kept(&'r Replayer<'r>, &'r str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Guard it and hand it back for printing; nothing sent, nothing written.
    DryRun,
    Foreground,
    /// Written ahead, then handed to a detached deliverer.
    Background,
    /// The deliverer: no attempt starts after the deadline.
    Deliverer(Instant),
}

/// What came of a send.
pub enum Sent {
    /// The guarded payload, stamped for its first attempt (`Mode::DryRun`).
    DryRun(Box<Payload>),
    Delivered,
    /// In the outbox, handed to a deliverer (or one runs already); `Err` says why none
    /// could be started (it waits for a flush).
    Handed(PathBuf, Result<Handoff, String>),
    /// Kept without a try: the endpoint did not answer a moment ago.
    Spared(PathBuf, Box<Down>, Duration),
    /// Tried and not delivered: kept or rejected, at the path.
    Settled(PathBuf, Report),
    /// The deliverer's entry was not there to take (delivered or claimed meanwhile).
    Gone,
}

/// Takes one payload from the guard to a settled entry (see the module comment).
pub fn send(start: Start, mode: Mode, settings: &Settings) -> anyhow::Result<Sent> {
    let out = settings.out;
    let outbox = Outbox::new(&settings.outbox_dir);
    let new = matches!(start, Start::New(..));
    let (mut payload, pending, first, url, protocol) = match start {
        Start::New(mut payload, url) => {
            let guard = Guard::from_env(settings.token.as_deref());
            privacy::protect(&mut payload, &guard, privacy::Mode::from_env(out), out)?;
            payload.stamp(1, OffsetDateTime::now_utc());
            if mode == Mode::DryRun {
                return Ok(Sent::DryRun(Box::new(payload)));
            }
            let pin = Pin::to(url, settings.token.is_some(), settings.protocol);
            let pending = outbox.write_ahead(&payload, &pin);
            if pending.is_ok()
                && let Some(w) = outbox.exposure()
            {
                out.warn(w);
            }
            (payload, pending, 1, url.to_string(), settings.protocol)
        }
        Start::Kept(replayer, stem) => match claim(replayer, stem) {
            Some(taken) => taken,
            None => return Ok(Sent::Gone),
        },
    };
    let url = url.as_str();
    let pending = match pending {
        Ok(p) if mode == Mode::Background => {
            // Only a bad proxy setting can stop it now; the deliverer makes the client.
            if let Err(e) = proxy_for(url) {
                let _ = outbox.settle(p, Outcome::Kept, &[]);
                return Err(e.into());
            }
            let stem = p.stem.clone();
            // Let go of the claim, so that the deliverer (or a flush) can take the entry.
            drop(p);
            let handed = outbox
                .hand_off(&stem, url, settings)
                .map_err(|e| plain_io(&e));
            return Ok(Sent::Handed(outbox.json(&stem), handed));
        }
        other => other,
    };
    let memory = Memory::load(settings);
    let pending = match pending {
        Ok(p) if mode == Mode::Foreground => match memory.down(url) {
            Some((down, left)) => return spare(&outbox, p, down, left, settings),
            None => Ok(p),
        },
        other => other,
    };
    let client = match Client::new(settings, url) {
        Ok(c) => c,
        Err(e) => {
            // A good payload stopped by a bad setting is kept for a later flush.
            let kept = match pending {
                Ok(p) => outbox.settle(p, Outcome::Kept, &[]).ok().flatten(),
                Err(_) => None,
            };
            let Some(path) = kept else {
                return Err(e.into());
            };
            return Err(UsageError(format!(
                "{e}; the payload is kept in {} for a flush once that is fixed",
                path.display()
            ))
            .into());
        }
    };
    if let Some(note) = &client.proxy_note {
        out.info(note);
    }
    let pending = match pending {
        Ok(p) => Some(p),
        // Sent all the same; said after the attempts only if it is not delivered.
        Err(e) => {
            out.info(format_args!(
                "the outbox {} cannot hold the payload ahead of sending: {}",
                outbox.dir.display(),
                plain_io(&e)
            ));
            None
        }
    };
    let deadline = match mode {
        Mode::Deliverer(d) => Some(d),
        _ => None,
    };
    // The exact bytes of the attempt that was delivered, for the ledger.
    let delivered = RefCell::new(Vec::new());
    let report = policy::deliver(
        |p| {
            let body = protocol.body(p);
            let (sent, response) = client.post(&body, &p.event_id);
            memory.observe(url, &sent.0, sent.1);
            let (sent, warning) = protocol.judge(sent, &response);
            if let Some(w) = warning {
                out.warn(w);
            }
            if matches!(sent.0, Answer::Status(200..=299)) {
                delivered.replace(body);
            }
            sent
        },
        &mut payload,
        first,
        settings.max_attempts,
        deadline,
        out,
    );
    let answer = report
        .last()
        .map(|a| a.answer.to_string())
        .unwrap_or_default();
    if report.outcome == Outcome::Delivered {
        let by = if new { "send" } else { "deliverer" };
        // Before the entry goes: a payload that left is never without its record.
        if let Some(last) = report.last() {
            let name = payload.event_name();
            let body = delivered.borrow();
            let record =
                ledger::delivery(&payload, name.as_deref(), url, by, protocol, last, &body);
            let noted = ledger::note(&outbox.dir, settings.ledger_caps, record);
            match noted {
                Err(e) if pending.is_some() => out.warn(e),
                // The outbox cannot be written (said with -v already): nor can its ledger.
                Err(e) => out.info(e),
                Ok(()) => {}
            }
        }
        census::note(&settings.outbox_dir, by, &answer, out);
    }
    let Some(pending) = pending else {
        if report.outcome == Outcome::Delivered {
            return Ok(Sent::Delivered);
        }
        // Tried once more, for the error that says why it cannot be kept.
        let pin = Pin::to(url, settings.token.is_some(), protocol);
        return match outbox.write_ahead(&payload, &pin) {
            Err(e) => Err(anyhow!("{}: {}", cannot_keep(settings), plain_io(&e))),
            Ok(p) => settle(&outbox, p, report, new, settings),
        };
    };
    settle(&outbox, pending, report, new, settings)
}

/// Claims a kept entry and reads it back: the payload, its pending form, the number of
/// its next attempt and where it goes. `None` when it is not there to take, or its route
/// does not send it now (it waits for a flush).
type Taken = (Payload, std::io::Result<Pending>, u32, String, Protocol);

fn claim(replayer: &Replayer, stem: &str) -> Option<Taken> {
    let super::entry::Claim::Held(held) = replayer.outbox.claim(stem, None).ok()? else {
        return None;
    };
    let (payload, history) = replayer.load(stem, held.read()).ok()?;
    let Target::Send(url) = replayer.route.target(&history) else {
        return None;
    };
    if replayer.left().contains(&payload.event_id, url) {
        // It left before (a kill between its record and its removal): not sent again.
        let _ = replayer.outbox.delete(stem);
        return None;
    }
    let url = url.to_string();
    let protocol = protocol_of(&history, replayer.settings.protocol);
    let first = history
        .attempts
        .max(payload.last_attempt().saturating_sub(1))
        + 1;
    let pending = Pending::claimed(stem.to_string(), held, history);
    Some((payload, Ok(pending), first, url, protocol))
}

/// Keeps a new entry without a try: its endpoint did not answer a moment ago.
fn spare(
    outbox: &Outbox,
    mut p: Pending,
    down: Down,
    left: Duration,
    settings: &Settings,
) -> anyhow::Result<Sent> {
    p.spare(format!(
        "{} did not answer ({}) at {}",
        down.url, down.why, down.at
    ));
    let clock = p.clock();
    let kept = outbox.settle(p, Outcome::Kept, &[]);
    match kept {
        Ok(Some(path)) => {
            cap(outbox, &path, settings, clock);
            Ok(Sent::Spared(path, Box::new(down), left))
        }
        Ok(None) => Err(anyhow!("{}", cannot_keep(settings))),
        Err(e) => Err(anyhow!("{}: {}", cannot_keep(settings), plain_io(&e))),
    }
}

/// Settles the entry after its attempts, and enforces the caps when a new one is kept.
fn settle(
    outbox: &Outbox,
    pending: Pending,
    report: Report,
    new: bool,
    settings: &Settings,
) -> anyhow::Result<Sent> {
    let out = settings.out;
    let stem = pending.stem.clone();
    let clock = pending.clock();
    let path = match outbox.settle(pending, report.outcome, &report.attempts) {
        Ok(path) => path,
        Err(e) if report.outcome == Outcome::Delivered => {
            out.warn(format_args!(
                "delivered, but {} cannot be removed from the outbox ({}); a later flush sends it again under the same key",
                outbox.json(&stem).display(),
                plain_io(&e)
            ));
            None
        }
        Err(e) => return Err(anyhow!("{}: {}", cannot_keep(settings), plain_io(&e))),
    };
    let Some(path) = path else {
        return Ok(Sent::Delivered);
    };
    if new && report.outcome == Outcome::Kept {
        cap(outbox, &path, settings, clock);
    }
    Ok(Sent::Settled(path, report))
}

/// The caps after a new entry was kept (never dropping it).
fn cap(outbox: &Outbox, path: &std::path::Path, settings: &Settings, clock: Option<u64>) {
    let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
        return;
    };
    for w in outbox.cap_after_send(stem, settings.outbox_caps, clock) {
        settings.out.warn(w);
    }
}

fn cannot_keep(settings: &Settings) -> String {
    format!(
        "not delivered, and the outbox {} cannot keep it",
        settings.outbox_dir.display()
    )
}
