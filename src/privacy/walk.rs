//! The JSON walk: every object key and string value, with its own key's context (array
//! items take their array's key; an ancestor's key goes no further). Contract fields are
//! held to their shapes. A value redacted in one place is then looked for everywhere else
//! in the payload, so it never goes out in clear beside its marker.

use std::fmt::Write as _;

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::{Map, Value};

use super::context::{self, Context};
use super::contract::{self, Shape};
use super::kind::Kind;
use super::text::{is_marker, is_word};
use super::{Finding, Found, Guard, MARKER, Mode, engine};

/// Where a walk is: the path so far (with only cleared keys shown), what it found, and
/// the identifiers to look for elsewhere.
struct Walk {
    path: String,
    mode: Mode,
    explain: bool,
    findings: Vec<Finding>,
    idents: Vec<(String, Kind)>,
}

impl Walk {
    fn found(&mut self, f: &Found, key: bool, masked: Option<String>) {
        self.findings.push(Finding {
            path: self.path.clone(),
            kind: f.kind,
            key,
            rule: f.rule,
            masked,
        });
        if let Some(id) = &f.ident
            && self.idents.len() < 100_000
        {
            self.idents.push((id.clone(), f.kind));
        }
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
    /// Checks every string (values and keys) under `value` and replaces each one that holds
    /// an identifier with [`MARKER`] (keys become `[redacted]`, `[redacted-2]`, …, keeping
    /// their place). Redacts in every mode: a strict caller refuses the result instead of
    /// using it. `Mode::Off` checks the token and the event name's shape only. Linear in
    /// the size of `value`.
    pub fn scan(&self, value: &mut Value, mode: Mode) -> Vec<Finding> {
        self.scan_with(value, mode, false)
    }

    /// [`Guard::scan`], and with `explain` each finding carries its string with the
    /// identifiers masked.
    pub fn scan_with(&self, value: &mut Value, mode: Mode, explain: bool) -> Vec<Finding> {
        let mut at = Walk {
            path: String::from("$"),
            mode,
            explain,
            findings: Vec::new(),
            idents: Vec::new(),
        };
        match &mut *value {
            Value::Object(map) => self.walk_object(map, &mut at, Context::Free, Level::Top),
            other => self.walk(other, &mut at, Context::Free),
        }
        if mode != Mode::Off && !at.idents.is_empty() {
            self.repeat(value, &mut at);
        }
        at.findings
    }

    fn walk(&self, value: &mut Value, at: &mut Walk, ctx: Context) {
        match value {
            Value::String(s) => {
                if let Some(f) = self.check(s, ctx, at.mode) {
                    let masked = at.explain.then(|| self.masked(s, ctx, f.kind));
                    at.found(&f, false, masked);
                    *s = MARKER.to_string();
                }
            }
            Value::Number(n)
                if at.mode != Mode::Off && matches!(ctx, Context::Secret | Context::Account) =>
            {
                // A number under a secret or account key is one (`"pin": 1234`).
                let text = n.to_string();
                if let Some(h) = engine::scan_value(text.as_bytes(), ctx) {
                    let f = Found {
                        kind: h.rule.kind,
                        rule: h.rule.id,
                        ident: Some(text).filter(|t| t.len() >= 4),
                    };
                    let masked = at.explain.then(|| format!("[{}]", f.kind.as_str()));
                    at.found(&f, false, masked);
                    *value = Value::String(MARKER.to_string());
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = at.path.len();
                    let _ = write!(at.path, "[{i}]");
                    match item {
                        // The keys of an object in a list are its own, not the list's.
                        Value::Object(m) => self.walk_object(m, at, Context::Free, Level::Inner),
                        // Items take their array's key.
                        other => self.walk(other, at, ctx),
                    }
                    at.path.truncate(len);
                }
            }
            Value::Object(map) => self.walk_object(map, at, Context::Free, Level::Inner),
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
            } else if let Value::Object(m) = child {
                // `{"nodes": {"web-01": …}}`: the keys of an object are hosts or users
                // when its own key says so.
                self.walk_object(m, at, keyed(k, context::container), Level::Inner);
            } else if !matches!(child, Value::Null | Value::Bool(_)) {
                self.walk(child, at, keyed(k, context::of_key));
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
        let verdicts: Vec<(Option<Found>, bool)> = map
            .keys()
            .map(|k| {
                if shape(k).is_some() {
                    return (None, true);
                }
                let full = self.check_key(k, container, Mode::Redact);
                let shown = full.is_none();
                let rename = if self.token_in(k) {
                    self.check_key(k, container, Mode::Off)
                } else {
                    full.filter(|_| at.mode != Mode::Off)
                };
                (rename, shown)
            })
            .collect();
        let shown: Vec<bool> = verdicts.iter().map(|(_, shown)| *shown).collect();
        if verdicts.iter().all(|(rename, _)| rename.is_none()) {
            return shown;
        }
        let renames = verdicts.into_iter().map(|(rename, _)| rename).collect();
        rename_keys(map, renames, |old, new, f| {
            let masked = at.explain.then(|| self.masked(old, container, f.kind));
            let len = at.path.len();
            push_key(&mut at.path, new, true);
            at.found(&f, true, masked);
            at.path.truncate(len);
        });
        shown
    }

    /// An object key: free text, and under a container of hosts or users (`nodes`,
    /// `users`) a host or user itself unless it is a schema word.
    fn check_key(&self, k: &str, container: Context, mode: Mode) -> Option<Found> {
        if let Some(f) = self.check(k, Context::Free, mode) {
            return Some(f);
        }
        if mode == Mode::Off
            || !matches!(container, Context::Host | Context::User)
            || context::schema_word(k)
            || is_marker(k)
        {
            return None;
        }
        let h = engine::scan_value(k.as_bytes(), container)?;
        Some(Found {
            kind: h.rule.kind,
            rule: h.rule.id,
            ident: Some(k.to_string()).filter(|k| k.len() >= 4),
        })
    }

    /// A contract field: its shape decides, and a well-shaped string is still checked for
    /// identifiers (`ip-10-0-3-7` is id-shaped). A malformed event name is reported (and
    /// refused by `protect`), never redacted; any other failing field is replaced whole.
    fn contract_field(&self, v: &mut Value, shape: Shape, at: &mut Walk) {
        let token = v.as_str().is_some_and(|s| self.token_in(s));
        let bad =
            |rule: &'static str, kind: Kind, ident: Option<String>| Found { kind, rule, ident };
        if shape == Shape::EventName {
            let machine = v.as_str().is_some_and(|s| {
                !self
                    .machine(s.as_bytes(), Context::Free, true, false)
                    .is_empty()
            });
            if token || machine || !contract::valid(shape, v) {
                at.found(
                    &bad("contract.event-name", Kind::EventName, None),
                    false,
                    None,
                );
            }
            return;
        }
        let found = if token {
            Some(bad("local.token", Kind::Token, None))
        } else if at.mode == Mode::Off {
            None
        } else if !contract::valid(shape, v) {
            let ident = v.as_str().filter(|s| s.len() >= 4).map(str::to_string);
            Some(bad(contract::rule_id(shape), Kind::ContractField, ident))
        } else if let (Some(s), true) = (v.as_str(), contract::textual(shape)) {
            self.contract_text(s)
        } else {
            None
        };
        if let Some(f) = found {
            let masked = at.explain.then(|| format!("[{}]", f.kind.as_str()));
            at.found(&f, false, masked);
            *v = Value::String(MARKER.to_string());
        }
    }

    /// A well-shaped contract string: this machine's distinctive names (not the ordinary
    /// words, which are data there) and the table of rules.
    fn contract_text(&self, s: &str) -> Option<Found> {
        if s.is_empty() {
            return None;
        }
        let b = s.as_bytes();
        if let Some(l) = self.machine(b, Context::Free, true, false).first() {
            return Some(Found {
                kind: l.kind,
                rule: super::local_rule(l.kind),
                ident: Some(s.to_string()),
            });
        }
        let h = engine::scan(b, Context::Free, false).into_iter().next()?;
        Some(Found {
            kind: h.rule.kind,
            rule: h.rule.id,
            ident: Some(s.to_string()),
        })
    }

    /// Every identifier redacted somewhere is looked for in every other string (values,
    /// keys, contract fields): one Aho-Corasick pass each.
    fn repeat(&self, value: &mut Value, at: &mut Walk) {
        let mut idents = std::mem::take(&mut at.idents);
        idents.sort();
        idents.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
        let Ok(ac) = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(idents.iter().map(|(s, _)| s))
        else {
            return;
        };
        let find = |s: &str| -> Option<Kind> {
            if is_marker(s) {
                return None;
            }
            let b = s.as_bytes();
            ac.find_iter(b).find_map(|m| {
                let (id, kind) = idents.get(m.pattern().as_usize())?;
                let first = id.as_bytes().first().copied().is_some_and(is_word);
                let last = id.as_bytes().last().copied().is_some_and(is_word);
                let before = m.start().checked_sub(1).and_then(|j| b.get(j)).copied();
                let after = b.get(m.end()).copied();
                let glued =
                    (first && before.is_some_and(is_word)) || (last && after.is_some_and(is_word));
                let delimited = !glued;
                delimited.then_some(*kind)
            })
        };
        at.path = String::from("$");
        repeat_in(value, &find, at, true);
    }
}

/// The repeat pass over one value: strings and keys that hold an identifier redacted
/// elsewhere are redacted too (`guard.repeat`); an event name that holds one is refused.
fn repeat_in(value: &mut Value, find: &dyn Fn(&str) -> Option<Kind>, at: &mut Walk, top: bool) {
    let found = |kind: Kind| Found {
        kind,
        rule: "guard.repeat",
        ident: None,
    };
    match value {
        Value::String(s) => {
            if let Some(kind) = find(s) {
                let masked = at.explain.then(|| format!("[{}]", kind.as_str()));
                at.found(&found(kind), false, masked);
                *s = MARKER.to_string();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = at.path.len();
                let _ = write!(at.path, "[{i}]");
                repeat_in(item, find, at, false);
                at.path.truncate(len);
            }
        }
        Value::Object(map) => {
            let hit: Vec<Option<Kind>> = map.keys().map(|k| find(k)).collect();
            if hit.iter().any(Option::is_some) {
                rename_keys(map, hit, |_, new, kind| {
                    let len = at.path.len();
                    push_key(&mut at.path, new, true);
                    let masked = at.explain.then(|| format!("[{}]", kind.as_str()));
                    at.found(&found(kind), true, masked);
                    at.path.truncate(len);
                });
            }
            for (k, child) in map.iter_mut() {
                let len = at.path.len();
                push_key(&mut at.path, k, true);
                if top && k == "event_name" {
                    // Refused by `protect`, never redacted: the name is the event.
                    if child.as_str().and_then(find).is_some() {
                        at.found(&found(Kind::EventName), false, None);
                    }
                } else {
                    repeat_in(child, find, at, false);
                }
                at.path.truncate(len);
            }
        }
        _ => {}
    }
}

/// What a key says about its value; a key longer than any word of a schema says nothing
/// (and is not read word by word).
fn keyed(k: &str, f: fn(&str) -> Context) -> Context {
    if k.len() > 256 { Context::Free } else { f(k) }
}

/// Renames, in place and in order, the keys whose verdict is `Some` to the first marker
/// names free in the object (`[redacted]`, `[redacted-2]`, …), and tells `renamed` the old
/// name, the new one and the verdict.
fn rename_keys<T>(
    map: &mut Map<String, Value>,
    verdicts: Vec<Option<T>>,
    mut renamed: impl FnMut(&str, &str, T),
) {
    let taken: std::collections::HashSet<String> =
        map.keys().filter(|k| is_marker(k)).cloned().collect();
    let old = std::mem::take(map);
    let mut n = 1;
    for ((k, v), verdict) in old.into_iter().zip(verdicts) {
        let Some(verdict) = verdict else {
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
            if !taken.contains(&candidate) && !map.contains_key(&candidate) {
                break candidate;
            }
        };
        renamed(&k, &new, verdict);
        map.insert(new, v);
    }
}

/// `.key` for a plain word the guard cleared; the guard's own markers quoted
/// (`["[redacted-2]"]`); `[key]` for any other key, so a report never prints a key that
/// might be an identifier the rules do not know (`{"acme-prod-07": {"ip": …}}`).
pub(super) fn push_key(path: &mut String, key: &str, cleared: bool) {
    if is_marker(key) {
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
pub(super) fn plain_word(key: &str) -> bool {
    let b = key.as_bytes();
    #[rustfmt::skip]
    const WITH_DIGITS: &[&str] = &[
        "k3s", "k8s", "ipv4", "ipv6", "ec2", "s3", "x509", "http2", "oauth2", "utf8", "base64",
        "sha256", "sha1", "md5", "arm64", "amd64", "x86", "64", "i18n", "l10n", "e2e", "v1",
        "v2", "v3", "v4", "v6",
    ];
    (1..=40).contains(&b.len())
        && b.first()
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
        && key.split('_').all(|w| {
            !w.bytes().any(|c| c.is_ascii_digit())
                || WITH_DIGITS.iter().any(|d| d.eq_ignore_ascii_case(w))
                || w.bytes().all(|c| c.is_ascii_digit()) && w.len() == 1
        })
}
