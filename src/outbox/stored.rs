//! Entries read back from disk: every stored payload passes through `load` (bounded read,
//! history, privacy guard) before it is sent or listed; and the dry run's plan.

use time::OffsetDateTime;

use super::caps::{self, Over};
use super::entry::{self, MAX_ENTRY};
use super::replay::Replayer;
use super::route::Target;
use super::{History, Listing, order};
use crate::error::plain_io;
use crate::payload::{Kind, Payload, derived_key, usable_key};
use crate::privacy;

/// What the dry run would do with one file.
#[derive(Debug)]
pub struct Planned {
    /// send, expire, set_aside, keep, reject, leave
    pub action: &'static str,
    pub path: std::path::PathBuf,
    pub key: Option<String>,
    pub attempt: Option<u32>,
    pub reason: Option<String>,
}

/// Why a stored entry cannot be sent now.
pub enum Unusable {
    /// Not a payload: set aside.
    Corrupt(String),
    /// Could not be read now: kept.
    Unreadable(String),
    /// Refused by the privacy guard: kept apart, never sent.
    Refused(String, Box<History>),
}

impl Replayer<'_> {
    /// Reads an entry back: the payload (through the privacy guard when it was not cleaned
    /// before) and its history.
    pub fn load(
        &self,
        stem: &str,
        bytes: std::io::Result<Vec<u8>>,
    ) -> Result<(Payload, History), Unusable> {
        let bytes =
            bytes.map_err(|e| Unusable::Unreadable(format!("cannot read it: {}", plain_io(&e))))?;
        if bytes.len() as u64 > MAX_ENTRY {
            return Err(Unusable::Corrupt("larger than 16 MiB".into()));
        }
        let history = self.outbox.read_history(stem);
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
                entry::stamp_of(stem).unwrap_or_else(OffsetDateTime::now_utc),
            )
        });
        history.event_id = payload.event_id.clone();
        history.kind = Some(kind);
        match privacy::protect(&mut payload, &self.guard, self.privacy, self.settings.out) {
            Ok(()) => {
                history.checked = payload.checked;
                Ok((payload, history))
            }
            Err(e) => Err(Unusable::Refused(e.0, Box::new(history))),
        }
    }

    /// What a flush would do, changing nothing (no sweeping, no import, no expiry).
    pub fn plan(&self, listing: &Listing, limit: Option<u64>) -> Vec<Planned> {
        let dir = &self.outbox.dir;
        let caps = self.settings.outbox_caps;
        let mut plan = Vec::new();
        let plain = |action, path, reason: String| Planned {
            action,
            path,
            key: None,
            attempt: None,
            reason: Some(reason),
        };
        for f in &listing.foreign {
            plan.push(plain(
                "leave",
                dir.join(f),
                "not a name this tool writes".into(),
            ));
        }
        let over = self
            .outbox
            .over_caps(&listing.entries, caps, order::clock(dir));
        for &(i, why) in &over {
            let Some(stem) = listing.entries.get(i) else {
                continue;
            };
            let why = match why {
                Over::Age => caps::age_words(caps),
                Over::Count => caps::count_words(caps),
            };
            plan.push(plain("expire", self.outbox.json(stem), why));
        }
        let limit = limit.unwrap_or(u64::MAX);
        let mut send = 0u64;
        for run in &listing.legacy {
            let Some((_, newest)) = run.attempts.first() else {
                continue;
            };
            if send >= limit {
                break;
            }
            let others = run.attempts.len() - 1 + run.statuses.len();
            plan.push(plain(
                "send",
                dir.join(newest),
                format!(
                    "left by the old {} script for run {}; its {others} other files would be removed",
                    run.kind, run.run
                ),
            ));
            send += 1;
        }
        let mut over = over.iter().map(|o| o.0).peekable();
        for (i, stem) in listing.entries.iter().enumerate() {
            if over.next_if_eq(&i).is_some() {
                continue;
            }
            if send >= limit {
                break;
            }
            let path = self.outbox.json(stem);
            let bytes = entry::read_bounded(&path, MAX_ENTRY);
            plan.push(match self.load(stem, bytes) {
                Ok((_, history)) if self.route.target(&history) == Target::NeedsToken => plain(
                    "keep",
                    path,
                    "written with a bearer token, and TELEMETRY_BEARER_TOKEN is not set".into(),
                ),
                Ok((_, history)) if matches!(self.route.target(&history), Target::Elsewhere(_)) => {
                    plain("keep", path, elsewhere_words(history.endpoint.as_deref()))
                }
                Ok((_, history))
                    if matches!(self.route.target(&history), Target::Unsupported(_)) =>
                {
                    plain(
                        "keep",
                        path,
                        format!(
                            "written for the protocol {}, which this version cannot send",
                            history.protocol.as_deref().unwrap_or_default()
                        ),
                    )
                }
                Ok((payload, history)) => {
                    send += 1;
                    Planned {
                        action: "send",
                        path,
                        key: Some(payload.event_id.clone()),
                        attempt: Some(history.attempts.max(payload.last_attempt()).max(1) + 1),
                        reason: None,
                    }
                }
                Err(Unusable::Corrupt(why)) => plain("set_aside", path, why),
                Err(Unusable::Unreadable(why)) => plain("keep", path, why),
                Err(Unusable::Refused(why, _)) => plain("reject", path, why),
            });
        }
        plan
    }
}

/// Why an entry written for `endpoint` stays where it is.
pub fn elsewhere_words(endpoint: Option<&str>) -> String {
    format!(
        "written for {}, and the settings name another endpoint (flush --reroute URL sends it elsewhere)",
        endpoint.unwrap_or("another endpoint")
    )
}

/// The key for an entry whose history is lost and whose body has no usable `event_id`:
/// the id in its name (the key it was kept under), else one derived from the name.
fn stem_key(stem: &str) -> String {
    entry::id_of(stem)
        .filter(|id| usable_key(id))
        .map(str::to_string)
        .unwrap_or_else(|| derived_key(&format!("outbox:{stem}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_history_falls_back_on_the_id_in_the_name() {
        let id = "0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11";
        assert_eq!(stem_key(&format!("20261121T234743.123456789Z-{id}")), id);
        assert_eq!(
            stem_key(&format!(
                "s000000000000002a-20261121T234743.123456789Z-{id}"
            )),
            id
        );
        let k = stem_key("20261121T234743.123456789Z-");
        assert_eq!(k, stem_key("20261121T234743.123456789Z-"));
        assert_eq!(k.len(), 36);
    }
}
