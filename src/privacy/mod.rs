//! The privacy guard: payloads are anonymous by contract, but manifests and events are
//! written by shell scripts, so every string (values and object keys, at any depth) is
//! checked for identifiers before anything is sent, printed or kept. A string that holds
//! one is replaced whole by [`MARKER`]; the JSON path is reported, never the value.
//!
//! Layout, bottom up (no module names one above it): `kind.rs` what a report calls an
//! identifier; `context.rs` what a key says about its value; `text.rs` byte helpers;
//! `public/` the documented public facts; `rule.rs` the shape of a rule; `rules/` the
//! table of rules, one file per family, with their examples (start there to read or add
//! one); `engine.rs` runs the table (the `regex` crate's engines: linear in the string, whatever it
//! holds); `decode.rs` encoded forms; `contract.rs` the shapes of the contract's own
//! fields; `local.rs` this machine's names; `walk.rs` the JSON walk (keys, values, contract
//! fields, and a value redacted once is redacted everywhere); `protect.rs` a payload's
//! guard before it is sent or kept; `docs.rs` the generated rule list of docs/privacy.md.

mod context;
mod contract;
mod decode;
mod docs;
mod engine;
mod kind;
mod local;
mod protect;
mod public;
mod rule;
mod rules;
mod text;
mod walk;

#[cfg(test)]
mod tests;

pub use docs::refreshed as refreshed_docs;
pub use kind::Kind;
pub use protect::protect;

use crate::settings::{Verbosity, privacy_word, var};
use context::Context;
use rule::Scope;

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
        match privacy_word(&raw) {
            _ if raw.trim().is_empty() => Mode::Redact,
            Some("strict") => Mode::Strict,
            Some("off") => {
                out.warn(
                    "TELEMETRY_PRIVACY=off: payloads are not checked for identifiers (the bearer token is still removed)",
                );
                Mode::Off
            }
            Some(_) => Mode::Redact,
            None => {
                out.warn(format_args!(
                    "TELEMETRY_PRIVACY={raw:?} is not one of redact, strict, off; using redact"
                ));
                Mode::Redact
            }
        }
    }
}

/// One string that held an identifier: where it is (keys shown only when cleared, so the
/// path never shows an identifier), what it was, and which rule said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub kind: Kind,
    /// The object key itself held it (the key was renamed to the marker).
    pub key: bool,
    /// The rule that fired (`net.ipv4`, `local.hostname`, `contract.id`, …).
    pub rule: &'static str,
    /// With `explain`: the string with every identifier in it masked.
    pub masked: Option<String>,
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

/// The identifiers of this machine and run, plus the table of rules.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    token: Option<String>,
    names: Vec<Name>,
    dirs: Vec<(String, Kind)>,
    /// Names and directories, for one Aho-Corasick pass (built on first use).
    finder: std::sync::OnceLock<Option<(aho_corasick::AhoCorasick, text::Bigrams)>>,
}

/// What one check found in a string.
#[derive(Debug, Clone)]
struct Found {
    kind: Kind,
    rule: &'static str,
    /// The identifier itself, so that it is redacted wherever else it appears.
    ident: Option<String>,
}

/// The rule id of a local identifier.
fn local_rule(kind: Kind) -> &'static str {
    match kind {
        Kind::Token => "local.token",
        Kind::Hostname => "local.hostname",
        Kind::UserName => "local.user",
        Kind::HomeDir => "local.home",
        Kind::CurrentDir => "local.cwd",
        _ => "local.listed",
    }
}

/// An identifier worth looking for elsewhere: long enough not to be a common fragment.
fn ident(b: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?.trim();
    (4..=1024).contains(&s.len()).then(|| s.to_string())
}

impl Guard {
    /// A guard with the table of rules and the token only (no local names).
    pub fn new(token: Option<&str>) -> Guard {
        Guard {
            token: token.filter(|t| !t.is_empty()).map(str::to_string),
            ..Guard::default()
        }
    }

    /// The first rule a string breaks, `key` being its own key (for the rules that need
    /// context). For tests.
    #[cfg(test)]
    pub fn classify(&self, s: &str, key: Option<&str>, mode: Mode) -> Option<Kind> {
        self.check(s, key.map_or(Context::Free, context::of_key), mode)
            .map(|f| f.kind)
    }

    /// Token first (every mode); then this machine's names, the table of rules, and the
    /// same again over each decoded form of the string. Only the exact markers are exempt.
    fn check(&self, s: &str, ctx: Context, mode: Mode) -> Option<Found> {
        if self.token_in(s) {
            return Some(Found {
                kind: Kind::Token,
                rule: "local.token",
                ident: None,
            });
        }
        if mode == Mode::Off || s.is_empty() || text::is_marker(s) {
            return None;
        }
        self.check_text(s.as_bytes(), ctx).or_else(|| {
            decode::variants(s).iter().find_map(|v| {
                if self.token_in(v) {
                    return Some(Found {
                        kind: Kind::Token,
                        rule: "local.token",
                        ident: None,
                    });
                }
                self.check_text(v.as_bytes(), ctx)
            })
        })
    }

    /// This machine's names, then the table.
    fn check_text(&self, b: &[u8], ctx: Context) -> Option<Found> {
        if let Some(l) = self.machine(b, ctx, false, false).first() {
            return Some(Found {
                kind: l.kind,
                rule: local_rule(l.kind),
                ident: b.get(l.start..l.end).and_then(ident),
            });
        }
        let hit = engine::scan(b, ctx, false).into_iter().next()?;
        Some(Found {
            kind: hit.rule.kind,
            rule: hit.rule.id,
            ident: b.get(hit.start..hit.end).and_then(ident),
        })
    }

    /// `s` with every identifier in it masked (`node ready at [ip address]`), for
    /// `check --explain`; the whole string when what was found was in an encoded form or
    /// is the whole value. Long strings are cut around what is left.
    fn masked(&self, s: &str, ctx: Context, found: Kind) -> String {
        let b = s.as_bytes();
        let mut spans: Vec<(usize, usize, Kind)> = Vec::new();
        let mut whole = false;
        if let Some((a, e)) = self.token_at(s) {
            spans.push((a, e, Kind::Token));
        }
        for l in self.machine(b, ctx, false, true) {
            spans.push((l.start, l.end, l.kind));
        }
        for h in engine::scan(b, ctx, true) {
            if h.rule.scope == Scope::Value || h.capped {
                whole = true;
            }
            spans.push((h.start, h.end, h.rule.kind));
        }
        // An identifier in an encoded form (`MTkyLjE2OC4xLjIw`) would show through.
        whole |= decode::variants(s).iter().any(|v| {
            self.token_in(v)
                || !self.machine(v.as_bytes(), ctx, false, false).is_empty()
                || !engine::scan(v.as_bytes(), ctx, false).is_empty()
        });
        if whole || spans.is_empty() {
            return format!("[{}]", found.as_str());
        }
        spans.sort_by_key(|&(a, e, _)| (a, std::cmp::Reverse(e)));
        let mut out = String::new();
        let mut at = 0;
        for (a, e, kind) in spans {
            if e <= at {
                continue;
            }
            out.push_str(&String::from_utf8_lossy(
                b.get(at..a.max(at)).unwrap_or_default(),
            ));
            out.push('[');
            out.push_str(kind.as_str());
            out.push(']');
            at = e;
        }
        out.push_str(&String::from_utf8_lossy(b.get(at..).unwrap_or_default()));
        const SHOWN: usize = 240;
        if out.chars().count() > SHOWN {
            let cut: String = out.chars().take(SHOWN).collect();
            return format!("{cut}…");
        }
        out
    }
}
