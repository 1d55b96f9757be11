//! Payloads carried by hand off a host that cannot reach its receiver (`flush --to FILE`)
//! and delivered from another (`flush --from FILE`): a bundle, one file of JSON lines
//! that an operator can read, carry and check.
//!
//! ```text
//! {"type":"pk3s-telemetry-bundle","version":1,"created_at":"…","by":"pk3s-telemetry/0.1.0"}
//! {"type":"entry","event_id":…,"endpoint":…,"protocol":"pk3s","token":false,"kind":"built",
//!  "created_at":…,"attempts":2,"history":["attempt=1 at=… status=503",…],"body":"…"}
//! …
//! {"type":"end","entries":N}
//! ```
//!
//! The body is the entry's exact bytes as a JSON string; `token` says whether it was
//! written with a bearer token (never the token); the last line tells a file cut short.

pub mod from;
pub mod to;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{History, route};
use crate::payload::{Kind, Payload, timestamp, usable_key};
use crate::settings::validate_endpoint;

/// What the first line says.
pub const BUNDLE: &str = "pk3s-telemetry-bundle";
/// The format this version writes and reads.
pub const VERSION: u64 = 1;
/// A larger file is not read.
pub const MAX_BUNDLE: u64 = 1 << 30;
/// A line: a body of at most 16 MiB, escaped, and its facts.
pub const MAX_LINE: u64 = 2 * super::entry::MAX_ENTRY + (1 << 20);

pub fn header(now: OffsetDateTime) -> Value {
    json!({
        "type": BUNDLE,
        "version": VERSION,
        "created_at": timestamp(now),
        "by": crate::settings::default_user_agent().replace("productive-k3s", "pk3s-telemetry"),
    })
}

pub fn trailer(entries: usize) -> Value {
    json!({"type": "end", "entries": entries})
}

/// The line of an entry: its history's facts and `body`, its exact bytes (a payload is
/// JSON, so UTF-8; anything else is refused).
pub fn entry_line(history: &History, event_id: &str, body: &[u8]) -> Result<Value, String> {
    let body = std::str::from_utf8(body).map_err(|_| "its body is not UTF-8 text".to_string())?;
    let mut line = json!({
        "type": "entry",
        "event_id": event_id,
        "endpoint": history.endpoint,
        "protocol": route::written_for(history),
        "token": history.token,
        "kind": history.kind.unwrap_or(Kind::Raw).as_str(),
        "created_at": history.created_at,
        "attempts": history.attempts,
        "history": history.lines,
    });
    if let Some(s) = &history.source {
        line["source"] = json!(s);
    }
    line["body"] = json!(body);
    Ok(line)
}

/// What the first line of a file says it is.
pub fn check_header(line: &[u8]) -> Result<(), String> {
    let v: Value = serde_json::from_slice(line)
        .map_err(|_| "not a pk3s-telemetry bundle (its first line is not JSON)".to_string())?;
    if v["type"] != BUNDLE {
        return Err(format!(
            "not a pk3s-telemetry bundle (its first line has no \"type\":\"{BUNDLE}\")"
        ));
    }
    match v["version"].as_u64() {
        Some(VERSION) => Ok(()),
        Some(n) => Err(format!(
            "a bundle of format {n}, which this version does not read (it reads {VERSION})"
        )),
        None => Err("a bundle without a version".into()),
    }
}

/// The closing line's count, if `line` is one.
pub fn closing(line: &[u8]) -> Option<u64> {
    let v: Value = serde_json::from_slice(line).ok()?;
    (v["type"] == "end")
        .then(|| v["entries"].as_u64())
        .flatten()
}

/// One entry read back from a bundle: the payload (not yet guarded) and its history.
#[derive(Debug)]
pub struct Carried {
    pub payload: Payload,
    pub history: History,
}

/// A value of one line of a history: printable, on one line.
fn one_line(s: &str) -> bool {
    !s.contains(['\n', '\r']) && s.len() <= 8192
}

/// Reads an entry line; the error says why it is not one (the line is then skipped).
pub fn parse_entry(line: &[u8]) -> Result<Carried, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    if v["type"] != "entry" {
        return Err("not an entry line".into());
    }
    let text = |k: &str| v[k].as_str().filter(|s| one_line(s));
    let event_id = text("event_id")
        .filter(|id| usable_key(id))
        .ok_or("no usable event_id")?;
    let endpoint = match &v["endpoint"] {
        Value::Null => None,
        Value::String(e) => Some(
            validate_endpoint(e, "its endpoint")
                .map_err(|e| e.0)?
                .to_string(),
        ),
        _ => return Err("its endpoint is not a URL".into()),
    };
    let protocol = match (&v["protocol"], &endpoint) {
        // Neither: delivered as the settings here say (`line_protocol`).
        (Value::Null, None) => None,
        _ => Some(
            text("protocol")
                .filter(|p| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                .ok_or("no protocol")?,
        ),
    };
    let kind = match text("kind") {
        Some("built") => Kind::Built,
        Some("raw") => Kind::Raw,
        _ => return Err("its kind is neither built nor raw".into()),
    };
    let attempts = v["attempts"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("its attempts are not a count")?;
    let mut lines = Vec::new();
    for l in v["history"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        match l.as_str() {
            Some(l) if l.starts_with("attempt=") && one_line(l) => lines.push(l.to_string()),
            _ => return Err("its history holds a line that is not an attempt".into()),
        }
    }
    let body = v["body"].as_str().ok_or("no body")?;
    let payload = Payload::stored(kind, body.as_bytes().to_vec(), Some(event_id), || {
        event_id.to_string()
    })
    .map_err(|why| format!("its body is not a payload ({why})"))?;
    if payload.event_id != event_id {
        return Err("its event_id is not its body's".into());
    }
    let created = text("created_at").unwrap_or_default();
    let mut history = History::new(event_id, kind, OffsetDateTime::now_utc());
    if !created.is_empty() && created.len() <= 64 {
        history.created_at = created.to_string();
    }
    history.endpoint = endpoint;
    history.token = v["token"] == true;
    history.protocol = protocol.map(str::to_string);
    history.attempts = attempts;
    history.lines = lines;
    history.source = text("source").map(str::to_string);
    Ok(Carried { payload, history })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_line_reads_back_and_a_bad_one_says_why() {
        let body = br#"{"event_id":"0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11","event_name":"a.b"}"#;
        let mut h = History::new(
            "0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11",
            Kind::Raw,
            OffsetDateTime::UNIX_EPOCH,
        );
        h.endpoint = Some("http://127.0.0.1:9/t".into());
        h.token = true;
        h.attempts = 3;
        h.lines = vec!["attempt=3 at=2026-01-01T00:00:00.000Z status=503".into()];
        let line = entry_line(&h, "0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11", body).unwrap();
        let back = parse_entry(line.to_string().as_bytes()).unwrap();
        assert_eq!(back.payload.body(), body);
        assert_eq!(back.history.endpoint, h.endpoint);
        assert_eq!((back.history.attempts, back.history.token), (3, true));
        assert_eq!(back.history.lines, h.lines);
        assert_eq!(back.history.protocol.as_deref(), Some("pk3s"));
        let bad = |k: &str, v: Value| {
            let mut l = line.clone();
            l[k] = v;
            parse_entry(l.to_string().as_bytes()).err().unwrap()
        };
        assert!(bad("endpoint", json!("ftp://x")).contains("not an http or https URL"));
        assert!(bad("event_id", json!("a b")).contains("event_id"));
        assert!(bad("body", json!("[1]")).contains("not a payload"));
        // A built payload's key is its own event_id: the line must name the same.
        let mut l = line.clone();
        l["kind"] = json!("built");
        l["body"] = json!("{\"event_id\":\"other\"}");
        let e = parse_entry(l.to_string().as_bytes()).err().unwrap();
        assert!(e.contains("not its body's"), "{e}");
        assert!(bad("history", json!(["attempt=1\nendpoint=http://x"])).contains("history"));
        // A value that would add a line to the history is not taken.
        let mut l = line.clone();
        l["created_at"] = json!("x\nendpoint=http://x");
        let h = parse_entry(l.to_string().as_bytes()).unwrap().history;
        assert!(!h.render().contains("endpoint=http://x"), "{}", h.render());
        assert!(parse_entry(b"{").unwrap_err().starts_with("not JSON"));
        assert!(check_header(header(OffsetDateTime::UNIX_EPOCH).to_string().as_bytes()).is_ok());
        assert!(check_header(b"{\"type\":\"pk3s-telemetry-bundle\",\"version\":2}").is_err());
        assert_eq!(closing(trailer(4).to_string().as_bytes()), Some(4));
    }
}
