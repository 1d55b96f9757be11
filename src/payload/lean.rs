//! A stored built payload sent from its own bytes. A replay only changes its four attempt
//! fields, so instead of parsing the entry into a map and serialising it again (two thirds
//! of a flush's own CPU), their values are replaced where they stand. This is taken only
//! when the result is the same JSON that the parse, `wire_types` and re-serialisation
//! would send (byte for byte for what this tool wrote; `tests` compares both); anything
//! else (an entry of an earlier version, an edited or damaged file, an escaped key) takes
//! the parsing path.

use std::ops::Range;

use time::OffsetDateTime;

use crate::json::members;

/// The attempt fields, in the order of `Lean::slots`.
const STAMPED: [&[u8]; 4] = [
    b"sent_at",
    b"delivery_attempt",
    b"retry_attempt",
    b"is_retry",
];

/// Top-level keys whose value decides whether the bytes can go as they are (and the event
/// name, which the ledger records).
const WATCHED: [&[u8]; 7] = [
    b"event_id",
    b"run_id",
    b"retry_of_run_id",
    b"session_id",
    b"parent_run_id",
    b"client",
    b"event_name",
];

#[derive(Debug, Clone)]
pub struct Lean {
    /// Where the values of `STAMPED` stand in the bytes.
    slots: [Range<usize>; 4],
    /// `delivery_attempt` as stored (0 when not a plain whole number).
    pub last: u32,
    /// Where the `event_name` value stands, if there is one.
    pub name: Option<Range<usize>>,
    /// The attempt to send it as, once stamped.
    stamp: Option<(u32, OffsetDateTime)>,
}

/// What `scan` found: the payload's own `event_id` (when a string) and the slots.
pub type Scanned = (Option<String>, Lean);

/// The slots of `bytes`, or `None` when the parsing path must decide.
pub fn scan(bytes: &[u8]) -> Option<Scanned> {
    let top = members(bytes, 0..bytes.len())?;
    let mut slots: [Option<Range<usize>>; 4] = Default::default();
    let mut watched: [Option<Range<usize>>; 7] = Default::default();
    for m in &top {
        let key = bytes.get(m.key.clone())?;
        if m.escaped {
            return None;
        }
        let found = STAMPED
            .iter()
            .position(|k| *k == key)
            .map(|i| slots.get_mut(i))
            .or_else(|| {
                WATCHED
                    .iter()
                    .position(|k| *k == key)
                    .map(|i| watched.get_mut(i))
            });
        if let Some(Some(slot)) = found {
            // serde_json keeps the last of a repeated key: let it decide.
            if slot.replace(m.value.clone()).is_some() {
                return None;
            }
        }
    }
    let value = |r: &Option<Range<usize>>| r.as_ref().and_then(|r| bytes.get(r.clone()));
    let [event_id, run, retry_of, session, parent, client, name] = &watched;
    // What `wire_types` would change: the parsing path does it.
    if value(run).is_some() && value(run) != value(retry_of) {
        return None;
    }
    if [session, parent].iter().any(|r| value(r) == Some(b"null")) {
        return None;
    }
    if let Some(c) = client
        && bytes.get(c.start) == Some(&b'{')
        && enabled_is_bool(bytes, c.clone())?
    {
        return None;
    }
    let own = match value(event_id) {
        Some(v) if v.first() == Some(&b'"') => {
            let inner = v.get(1..v.len() - 1)?;
            if inner.contains(&b'\\') {
                return None;
            }
            Some(String::from_utf8(inner.to_vec()).ok()?)
        }
        _ => None,
    };
    let [Some(sent), Some(delivery), Some(retry), Some(is_retry)] = slots else {
        return None;
    };
    let digits = bytes.get(delivery.clone())?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let last = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .map_or(0, |n| n.min(u64::from(u32::MAX)) as u32);
    let lean = Lean {
        slots: [sent, delivery, retry, is_retry],
        last,
        name: name.clone(),
        stamp: None,
    };
    Some((own, lean))
}

/// Whether the `client` object holds a boolean `telemetry_enabled` (`None`: cannot tell).
fn enabled_is_bool(bytes: &[u8], client: Range<usize>) -> Option<bool> {
    let inner = members(bytes, client)?;
    let mut found = false;
    for m in inner {
        if m.escaped {
            return None;
        }
        if bytes.get(m.key)? == b"telemetry_enabled" {
            found |= matches!(bytes.get(m.value)?, b"true" | b"false");
        }
    }
    Some(found)
}

impl Lean {
    pub fn stamp(&mut self, attempt: u32, at: OffsetDateTime) {
        self.stamp = Some((attempt, at));
    }

    /// The bytes with the attempt fields of the last stamp in place.
    pub fn body(&self, bytes: &[u8]) -> Vec<u8> {
        let Some((attempt, at)) = self.stamp else {
            return bytes.to_vec();
        };
        // Written straight into the body: no string per value (a replay's own CPU).
        let mut order = [0, 1, 2, 3];
        order.sort_unstable_by_key(|&i| self.slots.get(i).map_or(0, |r| r.start));
        let mut out = Vec::with_capacity(bytes.len() + 16);
        let mut from = 0;
        for i in order {
            let Some(r) = self.slots.get(i) else { continue };
            out.extend_from_slice(bytes.get(from..r.start).unwrap_or_default());
            match i {
                0 => {
                    out.push(b'"');
                    out.extend_from_slice(super::timestamp(at).as_bytes());
                    out.push(b'"');
                }
                1 => decimal(&mut out, attempt),
                2 => decimal(&mut out, attempt.saturating_sub(1)),
                _ => out.extend_from_slice(if attempt > 1 { b"true" } else { b"false" }),
            }
            from = r.end;
        }
        let at = from;
        out.extend_from_slice(bytes.get(at..).unwrap_or_default());
        out
    }
}

/// `v` in decimal, as `to_string` writes it.
fn decimal(out: &mut Vec<u8>, v: u32) {
    let mut digits = [0u8; 10];
    let mut n = v;
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Kind, Payload};
    use serde_json::{Map, Value, json};
    use time::OffsetDateTime;

    /// The body of `bytes` replayed as attempt `n`, by the parsing path.
    fn parsed(bytes: &[u8], n: u32, at: OffsetDateTime) -> Vec<u8> {
        let mut p = Payload::stored(Kind::Built, bytes.to_vec(), None, || "f".into()).unwrap();
        p.materialize();
        assert!(p.lean.is_none());
        p.stamp(n, at);
        p.body()
    }

    fn lean(bytes: &[u8], n: u32, at: OffsetDateTime) -> Option<Vec<u8>> {
        let mut p = Payload::stored(Kind::Built, bytes.to_vec(), None, || "f".into()).ok()?;
        p.lean.as_ref()?;
        p.stamp(n, at);
        Some(p.body())
    }

    fn manifest() -> Map<String, Value> {
        let v = json!({"schema": "productive-k3s/run-manifest/v1", "mode": "single-node",
            "note": "quote \" backslash \\ tab \t é ✓ \u{1}", "n": 1.50, "big": 12345678901234567890u64,
            "nested": {"a": [1, {"b": null}, [], {}], "sent_at": "not ours"}});
        v.as_object().unwrap().clone()
    }

    #[test]
    fn what_this_tool_wrote_goes_out_byte_for_byte_as_the_parsing_path_sends_it() {
        let at = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let mut samples = vec![
            Payload::manifest(manifest(), &ctx(), json!(0)),
            Payload::event("install", "core.apply.started", Map::new(), &ctx()),
        ];
        let mut odd = Payload::manifest(Map::new(), &ctx(), json!("1"));
        odd.stamp(7, at);
        samples.push(odd);
        for p in samples {
            let stored = p.body();
            for n in [1, 2, 3, 10, u32::MAX] {
                assert_eq!(
                    lean(&stored, n, at).expect("taken for its own bytes"),
                    parsed(&stored, n, at),
                    "attempt {n}"
                );
            }
            let p = Payload::stored(Kind::Built, stored.clone(), None, || "f".into()).unwrap();
            assert_eq!(p.body(), stored, "unstamped: as stored");
        }
    }

    #[test]
    fn anything_else_takes_the_parsing_path() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let good = br#"{"event_id":"e","sent_at":"x","delivery_attempt":2,"retry_attempt":1,"is_retry":true,"run_id":"r","retry_of_run_id":"r","client":{"telemetry_enabled":"true"}}"#;
        assert!(lean(good, 3, at).is_some());
        let s = std::str::from_utf8(good).unwrap();
        for (from, to) in [
            (r#""retry_of_run_id":"r""#, r#""retry_of_run_id":null"#),
            (r#""run_id":"r""#, r#""run_id":"r","session_id":null"#),
            (
                r#""telemetry_enabled":"true""#,
                r#""telemetry_enabled":true"#,
            ),
            (r#""is_retry":true,"#, ""),
            (r#""delivery_attempt":2"#, r#""delivery_attempt":2.0"#),
            (r#""event_id":"e""#, r#""event_id":"e\u0041""#),
            (r#""sent_at""#, r#""sent\u005fat""#),
            (r#""run_id":"r""#, r#""run_id":"r","run_id":"r""#),
            (r#""client":{"#, r#""client":{"x":tru,"#),
            ("}}", "}} x"),
        ] {
            let bad = s.replacen(from, to, 1);
            assert_ne!(bad, s);
            assert!(lean(bad.as_bytes(), 3, at).is_none(), "{bad}");
            if serde_json::from_str::<Value>(&bad).is_ok() {
                parsed(bad.as_bytes(), 3, at);
            }
        }
    }

    #[test]
    fn the_scanner_takes_nothing_serde_json_refuses() {
        let base = br#"{"a":[1,-2.5e+3,{"b":"c\"d\u00e9","e":[true,false,null]}],"f":{"g":0}}"#;
        assert!(crate::json::members(base, 0..base.len()).is_some());
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"{}[]\":,\\u0123456789.eE+-tfnrl \t\nx\x01\xc3\xa9";
        for _ in 0..30_000 {
            let mut b = base.to_vec();
            for _ in 0..3 {
                crate::json::xorshift(&mut x);
                let i = (x as usize) % (b.len() + 1);
                let c = alphabet[(x >> 40) as usize % alphabet.len()];
                match x % 3 {
                    0 => b.insert(i, c),
                    1 if i < b.len() => b[i] = c,
                    _ => {
                        b.remove(i.min(b.len() - 1));
                    }
                }
            }
            if let Some(m) = crate::json::members(&b, 0..b.len()) {
                let v: Value = serde_json::from_slice(&b)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&b)));
                assert!(v.is_object());
                assert!(m.len() >= v.as_object().unwrap().len());
            }
        }
    }
}
