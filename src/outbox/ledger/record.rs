//! One record of the ledger: a line of JSON, its keys always in this order, so that the
//! lookup of what left reads the first two without parsing the rest:
//!
//! `{"event_id":…,"endpoint":…,"at":…,"by":…,"protocol":…,"event_name":…,"attempt":N,
//! "status":200,"bytes":N,"body":"<the exact body as a JSON string>","n":K}`
//!
//! `n` is the record's place in its segment, written last under the segment's lock: a
//! writer reads it from the segment's last bytes to number the next one and to tell when
//! the segment is full. A body that is not UTF-8 (none this tool writes) is kept as
//! `body_base64`; one too large for the bounds is left out (`"body":null`, `omitted`). A
//! payload carried out by hand (`flush --to`) has `"status":null` and `carried_to`.

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;

use crate::payload::timestamp;

/// What a writer records of one payload that left.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub event_id: &'a str,
    /// Where it went: the URL it was sent to (for a carried one, the one it is pinned to).
    pub endpoint: &'a str,
    pub at: OffsetDateTime,
    /// send, deliverer, flush, from (`flush --from`), to (`flush --to`).
    pub by: &'a str,
    pub protocol: &'a str,
    pub event_name: Option<&'a str>,
    pub attempt: u32,
    /// The receiver's status; `None` for a payload carried out in a bundle.
    pub status: Option<u16>,
    /// The bundle it was carried out in (`flush --to`).
    pub carried_to: Option<&'a str>,
    pub body: &'a [u8],
}

/// The line a seal writes at the end of a segment it has rotated away: writers holding
/// it open then look for the new one.
pub const SEALED: &[u8] = b"{\"sealed\":true,\"n\":";

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

impl Record<'_> {
    /// The line up to its `,"n":K}` ending (`ending`), the body left out when the whole
    /// would be longer than `max` bytes.
    pub fn render(&self, max: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + self.body.len() / 8 + 320);
        out.extend_from_slice(b"{\"event_id\":");
        push_str(&mut out, self.event_id);
        out.extend_from_slice(b",\"endpoint\":");
        push_str(&mut out, self.endpoint);
        out.extend_from_slice(b",\"at\":\"");
        out.extend_from_slice(timestamp(self.at).as_bytes());
        out.extend_from_slice(b"\",\"by\":");
        push_str(&mut out, self.by);
        out.extend_from_slice(b",\"protocol\":");
        push_str(&mut out, self.protocol);
        out.extend_from_slice(b",\"event_name\":");
        match self.event_name {
            Some(n) => push_str(&mut out, n),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(format!(",\"attempt\":{}", self.attempt).as_bytes());
        match self.status {
            Some(s) => out.extend_from_slice(format!(",\"status\":{s}").as_bytes()),
            None => out.extend_from_slice(b",\"status\":null"),
        }
        if let Some(to) = self.carried_to {
            out.extend_from_slice(b",\"carried_to\":");
            push_str(&mut out, to);
        }
        out.extend_from_slice(format!(",\"bytes\":{}", self.body.len()).as_bytes());
        let head = out.len();
        match std::str::from_utf8(self.body) {
            Ok(text) => {
                out.extend_from_slice(b",\"body\":");
                push_str(&mut out, text);
            }
            Err(_) => {
                out.extend_from_slice(b",\"body\":null,\"body_base64\":\"");
                out.extend_from_slice(
                    base64::engine::general_purpose::STANDARD
                        .encode(self.body)
                        .as_bytes(),
                );
                out.push(b'"');
            }
        }
        if out.len() + ENDING_MAX > max {
            out.truncate(head);
            out.extend_from_slice(
                b",\"body\":null,\"omitted\":\"larger than the ledger's bound (TELEMETRY_LEDGER_MAX_MB)\"",
            );
        }
        out
    }
}

/// The longest `,"n":K}\n`.
pub const ENDING_MAX: usize = 6 + 20 + 2;

/// `,"n":K}\n`
pub fn ending(n: u64) -> Vec<u8> {
    format!(",\"n\":{n}}}\n").into_bytes()
}

/// The seal line of a segment of `n` records.
pub fn seal(n: u64) -> Vec<u8> {
    let mut s = SEALED.to_vec();
    s.extend_from_slice(format!("{n}}}\n").as_bytes());
    s
}

/// What the last bytes of a segment say.
#[derive(Debug, PartialEq, Eq)]
pub enum Tail {
    /// Its last record is number `n` (0: empty).
    Count(u64),
    /// It was rotated away: the current segment is another file.
    Sealed(u64),
    /// It does not end with a record (a write cut short, or not ours).
    Damaged,
}

/// Reads the tail of a segment from its last bytes (`window`, the whole file when
/// `whole`).
pub fn tail(window: &[u8], whole: bool) -> Tail {
    if window.is_empty() && whole {
        return Tail::Count(0);
    }
    let Some(body) = window.strip_suffix(b"}\n") else {
        return Tail::Damaged;
    };
    let digits = body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let (head, number) = body.split_at(body.len() - digits);
    let Some(n) = std::str::from_utf8(number)
        .ok()
        .filter(|d| !d.is_empty() && d.len() <= 19)
        .and_then(|d| d.parse::<u64>().ok())
    else {
        return Tail::Damaged;
    };
    // The last line starts after the last newline before it (a seal line is short: it is
    // in the window whole, or the line is a record).
    let start = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| i + 1)
        .or(whole.then_some(0));
    if start.is_some_and(|s| head.get(s..) == Some(SEALED)) {
        return Tail::Sealed(n);
    }
    if head.ends_with(b",\"n\":") {
        Tail::Count(n)
    } else {
        Tail::Damaged
    }
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event_id: String,
    pub endpoint: String,
    pub at: String,
    pub by: String,
    pub protocol: String,
    pub event_name: Option<String>,
    pub attempt: u64,
    pub status: Option<u64>,
    pub carried_to: Option<String>,
    pub bytes: u64,
    /// The exact body; `None` when it was left out (`omitted`).
    pub body: Option<Vec<u8>>,
    pub omitted: Option<String>,
}

/// What a line of a segment is.
pub enum Line {
    Record(Box<Entry>),
    Sealed,
    /// Not a record: why.
    Damaged(String),
}

/// Reads one line (without its newline).
pub fn parse(line: &[u8]) -> Line {
    if line.starts_with(SEALED) {
        return Line::Sealed;
    }
    let v: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Line::Damaged(format!("not JSON ({e})")),
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let number = |k: &str| v.get(k).and_then(Value::as_u64);
    let (Some(event_id), Some(endpoint), Some(at)) =
        (text("event_id"), text("endpoint"), text("at"))
    else {
        return Line::Damaged("not a record: event_id, endpoint or at missing".into());
    };
    let body = match (text("body"), text("body_base64")) {
        (Some(b), _) => Some(b.into_bytes()),
        (None, Some(b)) => match base64::engine::general_purpose::STANDARD.decode(b) {
            Ok(bytes) => Some(bytes),
            Err(_) => return Line::Damaged("body_base64 is not base64".into()),
        },
        (None, None) => None,
    };
    let omitted = text("omitted");
    if body.is_none() && omitted.is_none() {
        return Line::Damaged("not a record: no body".into());
    }
    if let (Some(b), Some(n)) = (&body, number("bytes"))
        && b.len() as u64 != n
    {
        return Line::Damaged(format!("its body is {} bytes, not {n}", b.len()));
    }
    Line::Record(Box::new(Entry {
        bytes: number("bytes").unwrap_or(0),
        by: text("by").unwrap_or_default(),
        protocol: text("protocol").unwrap_or_default(),
        event_name: text("event_name"),
        attempt: number("attempt").unwrap_or(0),
        status: number("status"),
        carried_to: text("carried_to"),
        event_id,
        endpoint,
        at,
        body,
        omitted,
    }))
}

/// The end of the JSON string that starts at `s[0]` (a `"`), its closing quote included.
fn string_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The event id and endpoint at the head of a record line, read without the rest (the
/// lookup of what left reads every line).
pub fn head(line: &[u8]) -> Option<(String, String)> {
    let rest = line.strip_prefix(b"{\"event_id\":")?;
    let end = string_end(rest)?;
    let id: String = serde_json::from_slice(rest.get(..end)?).ok()?;
    let rest = rest.get(end..)?.strip_prefix(b",\"endpoint\":")?;
    let end = string_end(rest)?;
    let endpoint: String = serde_json::from_slice(rest.get(..end)?).ok()?;
    Some((id, endpoint))
}

/// Whether a record line is of a delivery (a receiver's status), not of a carried payload.
pub fn delivered(line: &[u8]) -> bool {
    // `"status":` is written once, before the body; a string's `"` is escaped, so the
    // first match is ours.
    let key = b"\"status\":";
    line.windows(key.len())
        .position(|w| w == key)
        .and_then(|i| line.get(i + key.len()))
        .is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &[u8]) -> Record<'_> {
        Record {
            event_id: "0b6c\"x",
            endpoint: "http://127.0.0.1:1/t",
            at: OffsetDateTime::UNIX_EPOCH,
            by: "flush",
            protocol: "pk3s",
            event_name: Some("core.apply.completed"),
            attempt: 2,
            status: Some(200),
            carried_to: None,
            body,
        }
    }

    fn line(r: &Record, n: u64) -> Vec<u8> {
        let mut l = r.render(1 << 20);
        l.extend(ending(n));
        l
    }

    #[test]
    fn a_record_reads_back_byte_for_byte_and_its_head_and_tail_without_parsing() {
        let body = b"{\"a\":\"\\u00e9\\n\",\n \"b\":\"\xc3\xa9\"}";
        let l = line(&record(body), 42);
        let Line::Record(e) = parse(l.strip_suffix(b"\n").unwrap()) else {
            panic!("not a record")
        };
        assert_eq!(e.body.as_deref(), Some(&body[..]));
        assert_eq!(
            (e.event_id.as_str(), e.attempt, e.status),
            ("0b6c\"x", 2, Some(200))
        );
        assert_eq!(
            head(&l),
            Some(("0b6c\"x".into(), "http://127.0.0.1:1/t".into()))
        );
        assert!(delivered(&l));
        assert_eq!(tail(&l, true), Tail::Count(42));
        assert_eq!(tail(&l[l.len() - 20..], false), Tail::Count(42));
        let mut two = l.clone();
        two.extend(seal(42));
        assert_eq!(tail(&two[two.len() - 40..], false), Tail::Sealed(42));
        assert_eq!(tail(&seal(7), true), Tail::Sealed(7));
        assert_eq!(tail(b"", true), Tail::Count(0));
        assert_eq!(tail(&l[..l.len() - 3], true), Tail::Damaged);
        assert_eq!(tail(b"garbage}\n", true), Tail::Damaged);
        // Not UTF-8: kept as base64, read back the same.
        let odd = b"\xff\xfe{}";
        let l = line(&record(odd), 1);
        let Line::Record(e) = parse(l.strip_suffix(b"\n").unwrap()) else {
            panic!("not a record")
        };
        assert_eq!(e.body.as_deref(), Some(&odd[..]));
        // Too large: recorded without the body.
        let big = vec![b'x'; 4096];
        let mut r = record(&big);
        r.status = None;
        r.carried_to = Some("/tmp/b.jsonl");
        let l = [r.render(1000), ending(3)].concat();
        assert!(l.len() < 1000);
        let Line::Record(e) = parse(l.strip_suffix(b"\n").unwrap()) else {
            panic!("not a record")
        };
        assert_eq!((e.body, e.bytes, e.status), (None, 4096, None));
        assert!(!delivered(&l));
        assert!(matches!(parse(b"{\"x\":1}"), Line::Damaged(_)));
        assert!(matches!(parse(b"{\"event_id\":\"a"), Line::Damaged(_)));
    }
}
