//! The grep-able attempt history beside each entry: `key=value` lines, the newest 50
//! attempts, read back with a bound (see `entry::MAX_HISTORY`).

use time::OffsetDateTime;

use crate::attempt::{Answer, Attempt};
use crate::payload::{Kind, timestamp};

/// Attempt lines kept in a history; older ones are dropped (`attempts=` keeps the count).
const MAX_ATTEMPT_LINES: usize = 50;

/// The grep-able attempt history of an entry.
#[derive(Debug, Clone)]
pub struct History {
    pub event_id: String,
    pub kind: Option<Kind>,
    pub created_at: String,
    pub state: String,
    /// Where the entry came from when not from `send` (e.g. an old script's file).
    pub source: Option<String>,
    /// Why the payload was refused before it was sent (see `replay::load`).
    pub refused: Option<String>,
    /// The privacy guard cleaned the payload before it was kept (`checked=1`).
    pub checked: bool,
    /// The outbox's own clock when the entry was written (`order`): its age goes by it.
    pub outbox_ms: Option<u64>,
    /// The endpoint it was written for (`endpoint=`): replays go there (`route`). Entries
    /// of earlier versions and of the old scripts have none.
    pub endpoint: Option<String>,
    /// A bearer token was set when it was written (`token=1`; never the token).
    pub token: bool,
    /// The wire protocol it was written for (`protocol=`, `delivery::protocol`); entries of
    /// earlier versions have none and are `pk3s`.
    pub protocol: Option<String>,
    /// Why a send kept it without trying (`spared=`: the endpoint was remembered as down).
    pub spared: Option<String>,
    pub attempts: u32,
    pub last: Option<(String, Answer)>,
    /// The newest `MAX_ATTEMPT_LINES` `attempt=` lines.
    pub lines: Vec<String>,
}

impl History {
    pub fn new(event_id: &str, kind: Kind, created: OffsetDateTime) -> History {
        History {
            event_id: event_id.to_string(),
            kind: Some(kind),
            created_at: timestamp(created),
            ..History::parse("")
        }
    }

    /// Reads a history back; unknown lines are ignored, missing keys stay empty.
    pub fn parse(text: &str) -> History {
        let mut h = History {
            event_id: String::new(),
            kind: None,
            created_at: String::new(),
            state: String::new(),
            source: None,
            refused: None,
            checked: false,
            outbox_ms: None,
            endpoint: None,
            token: false,
            protocol: None,
            spared: None,
            attempts: 0,
            last: None,
            lines: Vec::new(),
        };
        let mut last_at = String::new();
        let mut last = None;
        // By hand rather than `lines` and `split_once`, which cost a replay more than the
        // rest of reading a history (the same lines: `\n` or `\r\n` ended).
        let mut rest = text;
        while !rest.is_empty() {
            let (line, tail) = split_at_byte(rest, b'\n').unwrap_or((rest, ""));
            rest = tail;
            let line = line.strip_suffix('\r').unwrap_or(line);
            let Some((k, v)) = split_at_byte(line, b'=') else {
                continue;
            };
            match k {
                "event_id" => h.event_id = v.to_string(),
                "kind" => {
                    h.kind = match v {
                        "built" => Some(Kind::Built),
                        "raw" => Some(Kind::Raw),
                        _ => None,
                    }
                }
                "created_at" => h.created_at = v.to_string(),
                "state" => h.state = v.to_string(),
                "source" => h.source = Some(v.to_string()),
                "refused" => h.refused = Some(v.to_string()),
                "checked" => h.checked = v == "1",
                "outbox_ms" => h.outbox_ms = v.parse().ok(),
                "endpoint" => h.endpoint = Some(v.to_string()).filter(|e| !e.is_empty()),
                "token" => h.token = v == "1",
                "protocol" => h.protocol = Some(v.to_string()).filter(|p| !p.is_empty()),
                "spared" => h.spared = Some(v.to_string()),
                "attempts" => h.attempts = v.parse().unwrap_or(0),
                "last_attempt_at" => last_at = v.to_string(),
                "last_status" => last = v.parse().ok().map(Answer::Status),
                "last_error" => last = Some(Answer::Failed(v.to_string())),
                "attempt" => h.lines.push(line.to_string()),
                _ => {}
            }
        }
        h.last = last.map(|a| (last_at, a));
        if h.state.is_empty() {
            h.state.push_str("kept");
        }
        h
    }

    pub fn record(&mut self, a: &Attempt) {
        self.lines.push(attempt_line(a));
        if self.lines.len() > MAX_ATTEMPT_LINES {
            self.lines.drain(..self.lines.len() - MAX_ATTEMPT_LINES);
        }
        self.attempts = self.attempts.max(a.number);
        self.last = Some((timestamp(a.at), a.answer.clone()));
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("event_id={}\n", self.event_id));
        if let Some(k) = self.kind {
            s.push_str(&format!("kind={}\n", k.as_str()));
        }
        s.push_str(&format!("created_at={}\n", self.created_at));
        s.push_str(&format!("state={}\n", self.state));
        if let Some(src) = &self.source {
            s.push_str(&format!("source={}\n", one_line(src)));
        }
        if let Some(why) = &self.refused {
            s.push_str(&format!("refused={}\n", one_line(why)));
        }
        if self.checked {
            s.push_str("checked=1\n");
        }
        if let Some(ms) = self.outbox_ms {
            s.push_str(&format!("outbox_ms={ms}\n"));
        }
        if let Some(e) = &self.endpoint {
            s.push_str(&format!("endpoint={}\n", one_line(e)));
        }
        if self.token {
            s.push_str("token=1\n");
        }
        if let Some(p) = &self.protocol {
            s.push_str(&format!("protocol={}\n", one_line(p)));
        }
        if let Some(why) = &self.spared {
            s.push_str(&format!("spared={}\n", one_line(why)));
        }
        s.push_str(&format!("attempts={}\n", self.attempts));
        if let Some((at, answer)) = &self.last {
            s.push_str(&format!("last_attempt_at={at}\n"));
            s.push_str(&answer_kv("last_", answer));
            s.push('\n');
        }
        for line in &self.lines {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

fn answer_kv(prefix: &str, answer: &Answer) -> String {
    match answer {
        Answer::Status(s) => format!("{prefix}status={s}"),
        Answer::Failed(e) => format!("{prefix}error={}", one_line(e)),
    }
}

fn attempt_line(a: &Attempt) -> String {
    format!(
        "attempt={} at={} {}",
        a.number,
        timestamp(a.at),
        answer_kv("", &a.answer)
    )
}

/// `s` cut around the first `b` (an ASCII byte), which neither side keeps.
fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = crate::json::find_byte(s.as_bytes(), b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histories_read_back_what_they_wrote() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let mut h = History::new("id-1", Kind::Raw, t);
        h.source = Some("legacy:x".into());
        h.outbox_ms = Some(1234);
        h.endpoint = Some("https://t.example/telemetry".into());
        h.token = true;
        h.protocol = Some("pk3s".into());
        h.spared = Some("timed out".into());
        for n in 1..=60 {
            h.record(&Attempt {
                number: n,
                at: t,
                answer: Answer::Failed("connection\nrefused".into()),
            });
        }
        let back = History::parse(&h.render());
        assert_eq!(back.event_id, "id-1");
        assert_eq!(back.kind, Some(Kind::Raw));
        assert_eq!(back.attempts, 60);
        assert_eq!(back.lines.len(), MAX_ATTEMPT_LINES);
        assert_eq!(back.source.as_deref(), Some("legacy:x"));
        assert_eq!(back.outbox_ms, Some(1234));
        assert_eq!(
            back.endpoint.as_deref(),
            Some("https://t.example/telemetry")
        );
        assert!(back.token);
        assert_eq!(back.protocol.as_deref(), Some("pk3s"));
        assert_eq!(
            back.last.as_ref().map(|l| l.1.clone()),
            Some(Answer::Failed("connection refused".into()))
        );
        assert_eq!(back.render(), h.render());
        assert!(History::parse("garbage\n\0").event_id.is_empty());
        // Line ends as `str::lines` has them: `\r\n` too, and none after the last line.
        let crlf = History::parse("event_id=a=b\r\nattempts=3\r\n\nstate=rejected");
        assert_eq!(
            (crlf.event_id.as_str(), crlf.attempts, crlf.state.as_str()),
            ("a=b", 3, "rejected")
        );
    }
}
