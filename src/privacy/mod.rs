//! The privacy guard: payloads are anonymous by contract, but manifests and events are
//! written by shell scripts, so every string (values and object keys, at any depth) is
//! checked for identifiers before anything is sent, printed or kept. A string that holds
//! one is replaced whole by [`MARKER`]; the JSON path is reported, never the value.
//!
//! Layout: `rules.rs` is the table of rules (start there to add one); one file per family
//! (`secrets`, `network`, `paths`, `people`, `cloud`); `public.rs` the documented list of
//! public facts; `context.rs` what a key says about its value; `decode.rs` encoded forms;
//! `contract.rs` the shapes of the contract's own fields; `local.rs` this machine's names.
//! Hand-written matchers, each linear in the string, no regex: spelled out, they stay
//! exact and documented (docs/privacy.md).

mod cloud;
mod context;
mod contract;
mod decode;
mod local;
mod network;
mod paths;
mod people;
mod public;
mod rules;
mod secrets;
mod text;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::error::UsageError;
use crate::payload::{self, Kind as PayloadKind, Payload};
use crate::settings::{Verbosity, var};

use context::Context;
use contract::Shape;
pub use rules::Kind;
use rules::{RULES, Text};

/// What a redacted string (or object key) becomes.
pub const MARKER: &str = "[redacted]";

/// `TELEMETRY_PRIVACY`: what to do with a payload that holds identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace them and go on (the default).
    Redact,
    /// Refuse the payload: nothing sent, nothing kept.
    Strict,
    /// Check nothing but the bearer token (which never leaves, whatever the mode) and the
    /// event name's shape.
    Off,
}

impl Mode {
    /// Reads `TELEMETRY_PRIVACY`; `off` warns, an unknown value warns and means `redact`.
    pub fn from_env(out: Verbosity) -> Mode {
        let Some(raw) = var("TELEMETRY_PRIVACY") else {
            return Mode::Redact;
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "redact" => Mode::Redact,
            "strict" => Mode::Strict,
            "off" => {
                out.warn(
                    "TELEMETRY_PRIVACY=off: payloads are not checked for identifiers (the bearer token is still removed)",
                );
                Mode::Off
            }
            _ => {
                out.warn(format_args!(
                    "TELEMETRY_PRIVACY={raw:?} is not one of redact, strict, off; using redact"
                ));
                Mode::Redact
            }
        }
    }
}

/// One string that held an identifier: where it is (keys shown only when cleared, so the
/// path never shows an identifier) and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub kind: Kind,
    /// The object key itself held it (the key was renamed to the marker).
    pub key: bool,
}

impl Finding {
    /// `$.manifest.notes (hostname)`, or `… (hostname, object key)`.
    pub fn describe(&self) -> String {
        let key = if self.key { ", object key" } else { "" };
        format!("{} ({}{key})", self.path, self.kind.as_str())
    }
}

/// A local name (hostname, user, listed identifier) to look for.
#[derive(Debug, Clone)]
struct Name {
    text: String,
    kind: Kind,
    /// An ordinary word (or at most 2 characters): it counts only where it stands as a
    /// host or user, not wherever the word appears (hostname `ubuntu` vs os id `ubuntu`).
    word: bool,
}

/// The identifiers of this machine and run, plus the generic rules.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    token: Option<String>,
    names: Vec<Name>,
    dirs: Vec<(String, Kind)>,
}

/// Where a walk is: the path so far (with only cleared keys shown), and what it found.
struct Walk {
    path: String,
    mode: Mode,
    findings: Vec<Finding>,
}

impl Walk {
    fn found(&mut self, kind: Kind, key: bool) {
        self.findings.push(Finding {
            path: self.path.clone(),
            kind,
            key,
        });
    }
}

/// Which object a walk is in: the contract's head, its `client` block, or anything else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Client,
    Inner,
}

impl Guard {
    /// A guard with the generic rules and the token only (no local names).
    pub fn new(token: Option<&str>) -> Guard {
        Guard {
            token: token.filter(|t| !t.is_empty()).map(str::to_string),
            ..Guard::default()
        }
    }

    /// Checks every string (values and keys) under `value` and replaces each one that holds
    /// an identifier with [`MARKER`] (keys become `[redacted]`, `[redacted-2]`, …, keeping
    /// their place). Redacts in every mode: a strict caller refuses the result instead of
    /// using it. `Mode::Off` checks the token and the event name's shape only. Linear in
    /// the size of `value`.
    pub fn scan(&self, value: &mut Value, mode: Mode) -> Vec<Finding> {
        let mut at = Walk {
            path: String::from("$"),
            mode,
            findings: Vec::new(),
        };
        match value {
            Value::Object(map) => self.walk_object(map, &mut at, Context::Free, Level::Top),
            other => self.walk(other, &mut at, Context::Free, Context::Free),
        }
        at.findings
    }

    fn walk(&self, value: &mut Value, at: &mut Walk, ctx: Context, container: Context) {
        match value {
            Value::String(s) => {
                if let Some(kind) = self.check(s, ctx, at.mode) {
                    at.found(kind, false);
                    *s = MARKER.to_string();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = at.path.len();
                    at.path.push_str(&format!("[{i}]"));
                    self.walk(item, at, ctx, container);
                    at.path.truncate(len);
                }
            }
            Value::Object(map) => self.walk_object(map, at, container, Level::Inner),
            _ => {}
        }
    }

    fn walk_object(
        &self,
        map: &mut Map<String, Value>,
        at: &mut Walk,
        container: Context,
        level: Level,
    ) {
        let shape = |k: &str| match level {
            Level::Top => contract::head(k),
            Level::Client => contract::client(k),
            Level::Inner => None,
        };
        let shown = self.redact_keys(map, at, container, &shape);
        for (i, (k, child)) in map.iter_mut().enumerate() {
            let len = at.path.len();
            push_key(&mut at.path, k, shown.get(i).copied().unwrap_or(false));
            if let Some(shape) = shape(k) {
                self.contract_field(child, shape, at);
            } else if let (Level::Top, "client", Value::Object(m)) =
                (level, k.as_str(), &mut *child)
            {
                self.walk_object(m, at, Context::Free, Level::Client);
            } else if !matches!(child, Value::Null | Value::Bool(_) | Value::Number(_)) {
                // Only strings and containers need what the key says.
                let ctx = context::within(container, k);
                self.walk(child, at, ctx, context::container(k));
            }
            at.path.truncate(len);
        }
    }

    /// Renames the keys that hold identifiers, in place, order kept, in one pass over the
    /// keys. Returns, per position, whether the key may be shown in a path: checked with
    /// every rule whatever the mode, so even `off` never prints an identifier.
    fn redact_keys(
        &self,
        map: &mut Map<String, Value>,
        at: &mut Walk,
        container: Context,
        shape: &dyn Fn(&str) -> Option<Shape>,
    ) -> Vec<bool> {
        let verdicts: Vec<(Option<Kind>, bool)> = map
            .keys()
            .map(|k| {
                if shape(k).is_some() {
                    return (None, true);
                }
                let full = self.check_key(k, container, Mode::Redact);
                let rename = if self.token_in(k) {
                    Some(Kind::Token)
                } else {
                    full.filter(|_| at.mode != Mode::Off)
                };
                (rename, full.is_none())
            })
            .collect();
        let shown: Vec<bool> = verdicts.iter().map(|&(_, shown)| shown).collect();
        if verdicts.iter().all(|(rename, _)| rename.is_none()) {
            return shown;
        }
        // Marker-like names already present (rare) must not be reused.
        let taken: std::collections::HashSet<String> = map
            .keys()
            .filter(|k| k.starts_with("[redacted"))
            .cloned()
            .collect();
        let old = std::mem::take(map);
        let mut n = 1;
        for ((k, v), (rename, _)) in old.into_iter().zip(verdicts) {
            let Some(kind) = rename else {
                map.insert(k, v);
                continue;
            };
            let new = loop {
                let candidate = if n == 1 {
                    MARKER.to_string()
                } else {
                    format!("[redacted-{n}]")
                };
                n += 1;
                if !taken.contains(&candidate) {
                    break candidate;
                }
            };
            let len = at.path.len();
            push_key(&mut at.path, &new, true);
            at.found(kind, true);
            at.path.truncate(len);
            map.insert(new, v);
        }
        shown
    }

    /// A contract field: its shape decides. A malformed event name is reported (and refused
    /// by [`protect`]), never redacted; any other malformed field is replaced whole.
    fn contract_field(&self, v: &mut Value, shape: Shape, at: &mut Walk) {
        let token = v.as_str().is_some_and(|s| self.token_in(s));
        if shape == Shape::EventName {
            if token || !contract::valid(shape, v) {
                at.found(Kind::EventName, false);
            }
            return;
        }
        let kind = if token {
            Some(Kind::Token)
        } else if at.mode == Mode::Off {
            None
        } else if !contract::valid(shape, v) {
            Some(Kind::ContractField)
        } else {
            // Well-shaped, but it may still be this machine's name (`event_id: lab-node-01`).
            v.as_str()
                .and_then(|s| self.machine(&Text::new(s, Context::Free), true))
        };
        if let Some(kind) = kind {
            at.found(kind, false);
            *v = Value::String(MARKER.to_string());
        }
    }

    /// An object key: free text, and under a container of hosts or users (`nodes`,
    /// `users`) a host or user itself unless it is a schema word.
    fn check_key(&self, k: &str, container: Context, mode: Mode) -> Option<Kind> {
        if let Some(kind) = self.check(k, Context::Free, mode) {
            return Some(kind);
        }
        if mode == Mode::Off || context::schema_word(k) {
            return None;
        }
        let t = Text::new(k, container);
        match container {
            Context::Host => people::host_by_key(&t),
            Context::User => people::user_by_key(&t)
                .or_else(|| cloud::aws_account(&Text::new(k, Context::Account))),
            _ => None,
        }
    }

    /// The first rule a string breaks, `key` being the nearest object key above it (for the
    /// rules that need context). For tests.
    #[cfg(test)]
    pub fn classify(&self, s: &str, key: Option<&str>, mode: Mode) -> Option<Kind> {
        self.check(s, key.map_or(Context::Free, context::of_key), mode)
    }

    /// Token first (every mode); then this machine's names, the table of rules, and the
    /// same again over each decoded form of the string.
    fn check(&self, s: &str, ctx: Context, mode: Mode) -> Option<Kind> {
        if self.token_in(s) {
            return Some(Kind::Token);
        }
        if mode == Mode::Off || s.is_empty() || s == MARKER || s.starts_with("[redacted-") {
            return None;
        }
        if let Some(kind) = self.rules(s, ctx) {
            return Some(kind);
        }
        decode::variants(s).iter().find_map(|v| {
            if self.token_in(v) {
                return Some(Kind::Token);
            }
            self.rules(v, ctx)
        })
    }

    fn rules(&self, s: &str, ctx: Context) -> Option<Kind> {
        let t = Text::new(s, ctx);
        self.machine(&t, false)
            .or_else(|| RULES.iter().find_map(|(_, rule)| rule(&t)))
    }
}

/// Runs the guard over a payload before it is sent, printed or kept, and reports each
/// redacted path on stderr (never the value). The payload's JSON is redacted in place; a
/// ready-made one's bytes are re-serialized only when something was redacted (and its
/// idempotency key is replaced if it was the event_id that went). A malformed event name
/// is refused in every mode, and `Strict` refuses a payload with findings: a usage error
/// (exit 2), nothing sent, nothing kept.
pub fn protect(
    payload: &mut Payload,
    guard: &Guard,
    mode: Mode,
    out: Verbosity,
) -> Result<(), UsageError> {
    // Already cleaned when it was kept (a replay): the same rules would find nothing new.
    if payload.checked && mode != Mode::Off {
        return Ok(());
    }
    payload.materialize();
    let mut v = Value::Object(std::mem::take(&mut payload.object));
    let findings = guard.scan(&mut v, mode);
    if let Value::Object(m) = v {
        payload.object = m;
    }
    if findings.iter().any(|f| f.kind == Kind::EventName) {
        // The value is not printed: a malformed name may be anything, an identifier too.
        return Err(UsageError(
            "event_name is not an event name (dotted words of letters, digits, _ and -, e.g. core.apply.completed); nothing sent, nothing kept".into(),
        ));
    }
    // A ready-made event goes out as given unless something had to go.
    if payload.kind == PayloadKind::Raw && !findings.is_empty() {
        payload.raw = serde_json::to_vec(&payload.object)
            .map_err(|e| UsageError(format!("the event cannot be re-serialized: {e}")))?;
        if payload.object.get("event_id").and_then(Value::as_str) != Some(payload.event_id.as_str())
        {
            payload.event_id = payload::new_id();
        }
    }
    payload.checked = mode != Mode::Off;
    if findings.is_empty() {
        return Ok(());
    }
    if mode == Mode::Strict {
        for f in &findings {
            eprintln!("pk3s-telemetry: found {}", f.describe());
        }
        let n = findings.len();
        let what = if n == 1 { "identifier" } else { "identifiers" };
        return Err(UsageError(format!(
            "TELEMETRY_PRIVACY=strict: the payload holds {n} {what} (listed above); nothing sent, nothing kept"
        )));
    }
    if !out.quiet {
        for f in &findings {
            eprintln!("pk3s-telemetry: redacted {}", f.describe());
        }
    }
    Ok(())
}

/// `.key` for a plain word the guard cleared; the guard's own markers quoted
/// (`["[redacted-2]"]`); `[key]` for any other key, so a report never prints a key that
/// might be an identifier the rules do not know (`{"acme-prod-07": {"ip": …}}`).
fn push_key(path: &mut String, key: &str, cleared: bool) {
    if key == MARKER || key.starts_with("[redacted-") {
        path.push_str("[\"");
        path.push_str(key);
        path.push_str("\"]");
    } else if cleared && plain_word(key) {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("[key]");
    }
}

/// A schema-like word: letters and `_` (a digit only inside a known word such as `k3s` or
/// `ipv4`, or after `_`), up to 40 characters. Hyphens and digit runs are how host and
/// customer names look (`acme-prod-07`), so those keys are not printed.
fn plain_word(key: &str) -> bool {
    let b = key.as_bytes();
    #[rustfmt::skip]
    const WITH_DIGITS: &[&str] = &[
        "k3s", "k8s", "ipv4", "ipv6", "ec2", "s3", "x509", "http2", "oauth2", "utf8", "base64",
        "sha256", "sha1", "md5", "arm64", "amd64", "x86", "64", "i18n", "l10n", "e2e", "v1",
        "v2", "v3", "v4", "v6", "s3",
    ];
    (1..=40).contains(&b.len())
        && b.first()
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
        && key.split('_').all(|w| {
            !w.bytes().any(|c| c.is_ascii_digit())
                || WITH_DIGITS.contains(&w.to_ascii_lowercase().as_str())
                || w.bytes().all(|c| c.is_ascii_digit()) && w.len() == 1
        })
}
