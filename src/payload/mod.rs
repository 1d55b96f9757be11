//! The payloads: the install envelope around a run manifest, the built lifecycle event,
//! and ready-made events that go out byte-for-byte.

use std::io::Read;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::error::{UsageError, plain_io};

mod lean;

/// Larger inputs are refused: a manifest is a few KiB, and memory must stay small.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Built here (envelope or lifecycle event): the attempt fields are refreshed per attempt.
    Built,
    /// Given ready-made: sent exactly as read.
    Raw,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Built => "built",
            Kind::Raw => "raw",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Payload {
    pub kind: Kind,
    /// Also the `Idempotency-Key`: fixed for the payload's whole life.
    pub event_id: String,
    /// The payload as JSON: what a `Built` one is sent from, and what the privacy guard
    /// scans for both kinds (a `Raw` one is parsed once, when it is read).
    pub object: Map<String, Value>,
    /// For `Raw`: the exact bytes that are sent. For a stored `Built` one read `lean`: the
    /// bytes it is sent from (`object` is then empty until `materialize`).
    pub raw: Vec<u8>,
    lean: Option<lean::Lean>,
    /// The privacy guard has already cleaned it (kept as `checked=1` in the outbox history),
    /// so a replay need not scan it again.
    pub checked: bool,
}

/// The correlation and client facts shared by every built payload.
#[derive(Debug, Clone)]
pub struct Context {
    /// `""` when there is none, as the scripts sent it.
    pub session_id: String,
    pub run_id: String,
    /// `""` when there is none.
    pub parent_run_id: String,
    pub component: String,
    pub repository: String,
    pub script: String,
    pub user_agent: String,
    pub telemetry_enabled: bool,
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T23:47:43.120Z`.
pub fn timestamp(at: OffsetDateTime) -> String {
    let mut s = String::with_capacity(24);
    push_utc(&mut s, at, true, 3);
    s
}

/// `at` in UTC as `YYYY-MM-DDTHH:MM:SS.F…Z` (`separated`) or `YYYYMMDDTHHMMSS.F…Z`, with
/// `fraction` digits of the second (at most 9); a year before 0 gets a `-`. By hand:
/// time's formatter interprets a description on every call (a replay stamps every entry),
/// and without it that code is not in the binary. Tests hold both forms to time's own.
pub fn push_utc(s: &mut String, at: OffsetDateTime, separated: bool, fraction: u32) {
    let at = at.to_offset(time::UtcOffset::UTC);
    let (date_sep, time_sep) = if separated {
        (Some('-'), Some(':'))
    } else {
        (None, None)
    };
    if at.year() < 0 {
        s.push('-');
    }
    push_digits(s, at.year().unsigned_abs(), 4);
    for v in [u8::from(at.month()), at.day()] {
        s.extend(date_sep);
        push_digits(s, u32::from(v), 2);
    }
    s.push('T');
    push_digits(s, u32::from(at.hour()), 2);
    for v in [at.minute(), at.second()] {
        s.extend(time_sep);
        push_digits(s, u32::from(v), 2);
    }
    s.push('.');
    let fraction = fraction.min(9);
    push_digits(s, at.nanosecond() / 10u32.pow(9 - fraction), fraction);
    s.push('Z');
}

/// `v` in decimal on `width` digits (zero-padded; its lowest ones if it has more).
fn push_digits(s: &mut String, v: u32, width: u32) {
    let mut place = 10u32.pow(width.saturating_sub(1));
    while place > 0 {
        s.push(char::from(b'0' + (v / place % 10) as u8));
        place /= 10;
    }
}

/// Reads `PATH` (a regular file: anything else is refused at once) or standard input
/// (`-`), at most 16 MiB. Returns the name to use in messages (control characters
/// escaped) and the bytes; the error is one line naming the input.
pub fn read_input(path: &str) -> Result<(String, Vec<u8>), String> {
    let name = if path == "-" {
        "standard input".to_string()
    } else {
        crate::error::printable(path)
    };
    let bytes = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: cannot read: {}", plain_io(&e)))?;
        bytes
    } else {
        crate::input::read_regular(path, MAX_INPUT).map_err(|e| format!("{name}: {e}"))?
    };
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!("{name}: larger than 16 MiB"));
    }
    Ok((name, bytes))
}

/// Reads `PATH` or standard input (`-`) and checks it holds exactly one JSON object.
pub fn read_object(path: &str) -> Result<(Vec<u8>, Map<String, Value>), UsageError> {
    let (name, bytes) = read_input(path).map_err(UsageError)?;
    let value = crate::json::parse(&bytes).map_err(|e| UsageError(format!("{name}: {e}")))?;
    if let Some(d) = crate::json::duplicate_key(&bytes) {
        return Err(UsageError(format!(
            "{name}: duplicate key {} (a key may appear once per object)",
            d.path
        )));
    }
    match value {
        Value::Object(object) => Ok((bytes, object)),
        other => Err(UsageError(format!(
            "{name}: expected a JSON object, found {}",
            kind_of(&other)
        ))),
    }
}

pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `No such file or directory` rather than `... (os error 2)`.
fn head(family: &str, name: &str, ctx: &Context) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!("1"));
    m.insert("event_family".into(), json!(family));
    m.insert("event_name".into(), json!(name));
    m.insert("event_id".into(), json!(new_id()));
    m.insert("sent_at".into(), Value::Null);
    m.insert("delivery_attempt".into(), json!(1));
    m.insert("retry_attempt".into(), json!(0));
    m.insert("is_retry".into(), json!(false));
    // The scripts sent the run id here on every attempt; receivers read it as a string.
    m.insert("retry_of_run_id".into(), json!(ctx.run_id));
    m.insert("session_id".into(), json!(ctx.session_id));
    m.insert("run_id".into(), json!(ctx.run_id));
    m.insert("parent_run_id".into(), json!(ctx.parent_run_id));
    m.insert("component".into(), json!(ctx.component));
    m
}

/// `client.telemetry_enabled` went out as the string the scripts held, `"true"`/`"false"`.
fn enabled_word(enabled: bool) -> &'static str {
    if enabled { "true" } else { "false" }
}

fn telemetry_meta() -> Value {
    json!({ "delivery_mode": "best-effort", "anonymous_by_contract": true })
}

impl Payload {
    fn built(object: Map<String, Value>) -> Payload {
        let event_id = object
            .get("event_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Payload {
            kind: Kind::Built,
            event_id,
            object,
            raw: Vec::new(),
            lean: None,
            checked: false,
        }
    }

    /// `send manifest`: the install envelope around the manifest, kept unchanged.
    pub fn manifest(manifest: Map<String, Value>, ctx: &Context, exit_code: Value) -> Payload {
        let mut m = head("install", "apply.completed", ctx);
        m.insert(
            "client".into(),
            json!({
                "repository": ctx.repository,
                "script": ctx.script,
                "user_agent": ctx.user_agent,
                "telemetry_enabled": enabled_word(ctx.telemetry_enabled),
                "exit_code": exit_code,
            }),
        );
        m.insert("manifest".into(), Value::Object(manifest));
        m.insert("telemetry_meta".into(), telemetry_meta());
        Payload::built(m)
    }

    /// `send event --name`: the standard lifecycle event.
    pub fn event(family: &str, name: &str, command: Map<String, Value>, ctx: &Context) -> Payload {
        let mut m = head(family, name, ctx);
        m.insert("command".into(), Value::Object(command));
        m.insert(
            "client".into(),
            json!({
                "repository": ctx.repository,
                "script": ctx.script,
                "telemetry_enabled": enabled_word(ctx.telemetry_enabled),
            }),
        );
        m.insert("telemetry_meta".into(), telemetry_meta());
        Payload::built(m)
    }

    /// `send event PATH`: sent as given. Its own `event_id` is the idempotency key when it
    /// has a usable one; otherwise a fresh id is made (and kept with the outbox entry).
    pub fn raw(bytes: Vec<u8>, object: Map<String, Value>) -> Payload {
        Payload {
            kind: Kind::Raw,
            event_id: own_key(&object).unwrap_or_else(new_id),
            object,
            raw: bytes,
            lean: None,
            checked: false,
        }
    }

    /// A payload read back from the outbox. `key` is the idempotency key kept with it (its
    /// history's `event_id`), `fallback` makes a stable one when there is none. A built
    /// payload keeps its own `event_id` as the key; a raw one keeps the key it was first sent
    /// under. Errors say why the bytes are not a payload (the entry is then set aside).
    pub fn stored(
        kind: Kind,
        bytes: Vec<u8>,
        key: Option<&str>,
        fallback: impl FnOnce() -> String,
    ) -> Result<Payload, String> {
        if bytes.is_empty() {
            return Err("empty file".into());
        }
        // Before the lean scan too: `materialize` must be able to parse what it accepted,
        // or the guard would see an empty object.
        crate::json::bounded(&bytes)?;
        let key = key.filter(|k| usable_key(k)).map(str::to_string);
        if kind == Kind::Built
            && let Some((own, lean)) = lean::scan(&bytes)
        {
            return Ok(Payload {
                kind,
                event_id: own
                    .filter(|k| usable_key(k))
                    .or(key)
                    .unwrap_or_else(fallback),
                object: Map::new(),
                raw: bytes,
                lean: Some(lean),
                checked: false,
            });
        }
        let object = match crate::json::parse(&bytes)? {
            Value::Object(object) => object,
            other => return Err(format!("expected a JSON object, found {}", kind_of(&other))),
        };
        let own = own_key(&object);
        Ok(match kind {
            Kind::Built => Payload {
                kind,
                event_id: own.or(key).unwrap_or_else(fallback),
                object: wire_types(object),
                raw: Vec::new(),
                lean: None,
                checked: false,
            },
            Kind::Raw => Payload {
                kind,
                event_id: key.or(own).unwrap_or_else(fallback),
                object,
                raw: bytes,
                lean: None,
                checked: false,
            },
        })
    }

    /// Parses a payload read back `lean` into `object`, for a caller that looks inside it
    /// (the privacy guard). A no-op for any other payload.
    pub fn materialize(&mut self) {
        if self.lean.is_none() {
            return;
        }
        if let Ok(Value::Object(object)) = crate::json::parse(&self.raw) {
            self.object = wire_types(object);
            self.raw = Vec::new();
            self.lean = None;
        }
    }

    /// The `delivery_attempt` a built payload was last sent with (0 when unknown, and for a
    /// raw one, whose fields are not ours).
    pub fn last_attempt(&self) -> u32 {
        if self.kind == Kind::Raw {
            return 0;
        }
        if let Some(lean) = &self.lean {
            return lean.last;
        }
        self.object
            .get("delivery_attempt")
            .and_then(Value::as_u64)
            .map_or(0, |n| n.min(u64::from(u32::MAX)) as u32)
    }

    /// Stamps the attempt fields (built payloads only) for attempt number `attempt` (1-based).
    pub fn stamp(&mut self, attempt: u32, at: OffsetDateTime) {
        if self.kind == Kind::Raw {
            return;
        }
        if let Some(lean) = &mut self.lean {
            return lean.stamp(attempt, at);
        }
        let m = &mut self.object;
        m.insert("sent_at".into(), json!(timestamp(at)));
        m.insert("delivery_attempt".into(), json!(attempt));
        m.insert("retry_attempt".into(), json!(attempt.saturating_sub(1)));
        m.insert("is_retry".into(), json!(attempt > 1));
    }

    /// Its `event_name`, when it has one that is a string.
    pub fn event_name(&self) -> Option<String> {
        match &self.lean {
            Some(lean) => lean
                .name
                .as_ref()
                .and_then(|r| self.raw.get(r.clone()))
                .and_then(|v| serde_json::from_slice::<String>(v).ok()),
            None => self
                .object
                .get("event_name")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The body as it goes on the wire now.
    pub fn body(&self) -> Vec<u8> {
        match self.kind {
            Kind::Raw => self.raw.clone(),
            Kind::Built => match &self.lean {
                Some(lean) => lean.body(&self.raw),
                None => serde_json::to_vec(&self.object).unwrap_or_default(),
            },
        }
    }
}

/// A built payload kept by an earlier version of this tool held other types in a few places
/// (`null` ids, a boolean `telemetry_enabled`, a `null` `retry_of_run_id`): read back, it
/// takes the types the shell scripts sent, which receivers read.
fn wire_types(mut m: Map<String, Value>) -> Map<String, Value> {
    if let Some(run) = m.get("run_id").cloned() {
        m.insert("retry_of_run_id".into(), run);
    }
    for id in ["session_id", "parent_run_id"] {
        if m.get(id).is_some_and(Value::is_null) {
            m.insert(id.into(), json!(""));
        }
    }
    if let Some(Value::Object(client)) = m.get_mut("client")
        && let Some(&Value::Bool(on)) = client.get("telemetry_enabled")
    {
        client.insert("telemetry_enabled".into(), json!(enabled_word(on)));
    }
    m
}

/// A stable UUID-shaped key derived from `seed` (128-bit FNV-1a, version nibble 8), for
/// stored payloads that carry no id of their own: every replay reuses the same key.
pub fn derived_key(seed: &str) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in seed.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013b);
    }
    let h = (h & !(0xf << 76) | (0x8 << 76)) & !(0x3 << 62) | (0x2 << 62);
    uuid::Uuid::from_u128(h).to_string()
}

/// The object's own `event_id`, when it can serve as the idempotency key.
fn own_key(object: &Map<String, Value>) -> Option<String> {
    object
        .get("event_id")
        .and_then(Value::as_str)
        .filter(|id| usable_key(id))
        .map(str::to_string)
}

/// A header value a receiver can use as a key: short, printable ASCII.
pub fn usable_key(id: &str) -> bool {
    !id.is_empty() && id.len() <= 200 && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
pub(crate) mod tests;
