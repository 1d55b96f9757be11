//! `flush --from FILE`: the payloads of a bundle, delivered from this host as a flush
//! would deliver them.
//!
//! Each entry line is read and checked (a damaged one is named and skipped, never sent);
//! one the ledger says already left for where it goes is counted and skipped (so a second
//! run sends nothing twice); one already in this outbox (kept by an earlier run) is tried
//! there. Every other passes the privacy guard again and is written into this outbox,
//! pinned to its endpoint, with its history (its attempt count goes on) and the same event
//! id: the write-ahead of a send. Then the replay tries those entries like a flush (same
//! route, policy, stopping rules and summary), so what is not delivered stays here,
//! recorded, and nothing in the file is lost (the file itself is never changed).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::super::entry;
use super::super::replay::{Replayer, Sink};
use super::super::route::Target;
use super::super::{History, Outbox};
use super::{Carried, MAX_BUNDLE, MAX_LINE, check_header, closing, parse_entry};
use crate::input;
use crate::payload::Payload;
use crate::privacy;

/// What reading a bundle came to.
#[derive(Debug, Default)]
pub struct Opened {
    /// The entries of this outbox to replay, in the file's order.
    pub stems: Vec<String>,
    /// A line per damaged part of the file.
    pub damaged: Vec<String>,
    /// Skipped: the ledger says they left for where they go.
    pub already_left: usize,
    /// Refused by the privacy guard: kept apart in `rejected/`.
    pub rejected: usize,
}

/// Why the bundle was not taken at all.
pub enum Refused {
    /// The file cannot be read or is not a bundle (exit 2).
    File(String),
    /// This outbox cannot hold its payloads.
    Outbox(String),
}

/// The next line (without its newline); `Some(false)` for one longer than `MAX_LINE`,
/// which is skipped.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    if r.by_ref().take(MAX_LINE + 1).read_until(b'\n', buf)? == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Some(true));
    }
    if buf.len() as u64 <= MAX_LINE {
        return Ok(Some(true));
    }
    buf.clear();
    let mut rest = Vec::new();
    loop {
        rest.clear();
        let n = r.by_ref().take(1 << 20).read_until(b'\n', &mut rest)?;
        if n == 0 || rest.last() == Some(&b'\n') {
            return Ok(Some(false));
        }
    }
}

impl Replayer<'_> {
    /// Reads the bundle `file` into this outbox (see the module comment) and returns the
    /// entries to replay.
    pub fn carry_from(&self, file: &Path, sink: &mut dyn Sink) -> Result<Opened, Refused> {
        let name = crate::error::printable(&file.display().to_string());
        let cannot = |e: &io::Error| Refused::File(format!("{name}: {}", input::words(e)));
        let (f, meta) = input::open(file, 0).map_err(|e| cannot(&e))?;
        if meta.len() > MAX_BUNDLE {
            return Err(Refused::File(format!(
                "{name}: larger than {} MiB: not a bundle this tool reads",
                MAX_BUNDLE >> 20
            )));
        }
        let mut r = BufReader::with_capacity(256 * 1024, f);
        let mut buf = Vec::new();
        match next_line(&mut r, &mut buf).map_err(|e| cannot(&e))? {
            Some(true) => {
                check_header(&buf).map_err(|why| Refused::File(format!("{name}: {why}")))?
            }
            _ => {
                return Err(Refused::File(format!(
                    "{name}: not a pk3s-telemetry bundle (empty, or its first line is too long)"
                )));
            }
        }
        self.outbox.ensure().map_err(|e| {
            Refused::Outbox(format!(
                "the outbox {} cannot hold the bundle's payloads: {}",
                self.outbox.dir.display(),
                crate::error::plain_io(&e)
            ))
        })?;
        // The entries this outbox holds already, by the id in their names.
        let present: HashMap<String, String> = self
            .outbox
            .scan()
            .map(|l| l.entries)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| Some((entry::id_of(&s)?.to_string(), s)))
            .collect();
        let mut opened = Opened::default();
        let (mut number, mut entries, mut end) = (1, 0u64, None);
        while let Some(whole) = next_line(&mut r, &mut buf).map_err(|e| cannot(&e))? {
            number += 1;
            if buf.iter().all(u8::is_ascii_whitespace) && whole {
                continue;
            }
            if end.is_some() {
                opened
                    .damaged
                    .push(format!("line {number}: after the closing line"));
                continue;
            }
            if let Some(n) = closing(&buf).filter(|_| whole) {
                end = Some(n);
                continue;
            }
            entries += 1;
            let carried = if whole {
                parse_entry(&buf)
            } else {
                Err(format!("longer than {} MiB", MAX_LINE >> 20))
            };
            match carried {
                Ok(c) => self
                    .take_carried(c, number, &present, &mut opened, sink)
                    .map_err(|e| {
                        Refused::Outbox(format!(
                            "the outbox {}: cannot hold the payload of line {number}: {}",
                            self.outbox.dir.display(),
                            crate::error::plain_io(&e)
                        ))
                    })?,
                Err(why) => opened.damaged.push(format!("line {number}: {why}")),
            }
        }
        match end {
            None => opened.damaged.push(format!(
                "no closing line after line {number}: the file was cut short, and payloads after it may be missing"
            )),
            Some(n) if n != entries => opened.damaged.push(format!(
                "the closing line counts {}, the file holds {entries}",
                crate::error::count(n as usize, "entry", "entries")
            )),
            Some(_) => {}
        }
        for d in &mut opened.damaged {
            *d = format!("{name}: {d}; skipped");
        }
        Ok(opened)
    }

    /// One entry of the bundle: skipped if it left already, tried where it waits if this
    /// outbox holds it, else guarded and written into this outbox.
    fn take_carried(
        &self,
        c: Carried,
        number: usize,
        present: &HashMap<String, String>,
        opened: &mut Opened,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let Carried {
            mut payload,
            mut history,
        } = c;
        if let Target::Send(url) = self.route.target(&history)
            && self.left().contains(&payload.event_id, url)
        {
            opened.already_left += 1;
            return Ok(());
        }
        if let Some(stem) = present.get(&entry::stem_id(&payload.event_id)).filter(|s| {
            self.outbox
                .read_history(s)
                .is_some_and(|h| h.event_id == payload.event_id)
        }) {
            opened.stems.push(stem.clone());
            return Ok(());
        }
        history.source = Some(format!(
            "bundle line {number}{}",
            history
                .source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ));
        match privacy::protect(&mut payload, &self.guard, self.privacy, self.settings.out) {
            Ok(()) => {
                history.checked = payload.checked;
                history.state = "kept".into();
                let p = self.outbox.import(&payload, history)?;
                opened.stems.push(p);
            }
            Err(e) => {
                history.refused = Some(e.0.clone());
                history.state = "rejected".into();
                let to = self.outbox.import_rejected(&payload, history)?;
                sink.warn(&format!(
                    "line {number}: refused before sending ({}): kept apart in {}",
                    e.0,
                    to.display()
                ));
                opened.rejected += 1;
            }
        }
        Ok(())
    }
}

impl Outbox {
    /// Writes a carried payload as a kept entry of this outbox; returns its stem.
    pub fn import(&self, payload: &Payload, history: History) -> io::Result<String> {
        self.write_new(payload, history).map(|p| p.stem.clone())
    }

    /// Writes a carried payload the guard refused straight into `rejected/`.
    fn import_rejected(
        &self,
        payload: &Payload,
        history: History,
    ) -> io::Result<std::path::PathBuf> {
        let p = self.write_new(payload, history)?;
        self.reject(&p.stem, &p.history)
    }
}
