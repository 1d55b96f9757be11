//! The privacy guard: payloads are anonymous by contract, but manifests and events are
//! written by shell scripts, so every string (values and object keys, at any depth) is
//! checked for identifiers before anything is sent, printed or kept. A string that holds
//! one is replaced whole by [`MARKER`]; the JSON path is reported, never the value.
//!
//! Hand-written matchers, each linear in the string, no regex: the rules are few, and
//! spelling them out keeps them exact and documented (README, "Privacy").

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use serde_json::{Map, Value};

use crate::error::UsageError;
use crate::payload::{self, Kind as PayloadKind, Payload};
use crate::settings::{Verbosity, var};

/// What a redacted string (or object key) becomes.
pub const MARKER: &str = "[redacted]";

/// `TELEMETRY_PRIVACY`: what to do with a payload that holds identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace them and go on (the default).
    Redact,
    /// Refuse the payload: nothing sent, nothing kept.
    Strict,
    /// Check nothing but the bearer token (which never leaves, whatever the mode).
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

/// What kind of identifier a string held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Token,
    Hostname,
    UserName,
    Listed,
    HomeDir,
    CurrentDir,
    UrlWithCredentials,
    Url,
    SshTarget,
    Email,
    AbsolutePath,
    Cidr,
    IpAddress,
    MacAddress,
    CloudAccount,
    HostName,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "bearer token",
            Kind::Hostname => "hostname",
            Kind::UserName => "user name",
            Kind::Listed => "listed identifier",
            Kind::HomeDir => "home directory",
            Kind::CurrentDir => "current directory",
            Kind::UrlWithCredentials => "url with credentials",
            Kind::Url => "url",
            Kind::SshTarget => "ssh target",
            Kind::Email => "e-mail address",
            Kind::AbsolutePath => "absolute path",
            Kind::Cidr => "cidr network",
            Kind::IpAddress => "ip address",
            Kind::MacAddress => "mac address",
            Kind::CloudAccount => "cloud account id",
            Kind::HostName => "infrastructure host name",
        }
    }
}

/// One string that held an identifier: where it is (with redacted keys, so the path never
/// shows an identifier) and what it was.
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

impl Guard {
    /// A guard with the generic rules and the token only (no local names).
    pub fn new(token: Option<&str>) -> Guard {
        Guard {
            token: token.filter(|t| !t.is_empty()).map(str::to_string),
            ..Guard::default()
        }
    }

    /// The guard for this machine: hostname (kernel, `/etc/hostname`, `HOSTNAME`), its
    /// names in `/etc/hosts`, the user (`USER`, `LOGNAME`, `SUDO_USER`, else the passwd
    /// entry of our uid), `HOME`, the current directory, and `TELEMETRY_PRIVACY_EXTRA`.
    /// A few small file reads; no DNS lookup.
    pub fn from_env(token: Option<&str>) -> Guard {
        let mut g = Guard::new(token);
        let mut hosts: Vec<String> = Vec::new();
        if let Some(h) =
            first_line("/proc/sys/kernel/hostname").or_else(|| first_line("/etc/hostname"))
        {
            hosts.push(h);
        }
        if let Some(h) = var("HOSTNAME") {
            hosts.push(h);
        }
        // No let chains: the crate's rust-version is 1.85.
        if let Some(table) = (!hosts.is_empty())
            .then(|| std::fs::read_to_string("/etc/hosts").ok())
            .flatten()
        {
            let mut more = Vec::new();
            for h in &hosts {
                more.extend(hosts_file_names(&table, h.trim()));
            }
            hosts.extend(more);
        }
        for h in &hosts {
            g.add_host(h);
        }

        let users: Vec<String> = ["USER", "LOGNAME", "SUDO_USER"]
            .iter()
            .filter_map(|v| var(v))
            .collect();
        if users.iter().all(|u| u.trim().is_empty())
            && let Some(u) = passwd_name()
        {
            g.add_name(&u, Kind::UserName);
        }
        for u in &users {
            g.add_name(u, Kind::UserName);
        }

        if let Some(home) = var("HOME") {
            g.add_dir(&home, Kind::HomeDir);
        }
        if let Ok(cwd) = std::env::current_dir() {
            g.add_dir(&cwd.to_string_lossy(), Kind::CurrentDir);
        }
        if let Some(extra) = var("TELEMETRY_PRIVACY_EXTRA") {
            for item in extra.split(|c: char| c == ',' || c.is_whitespace()) {
                g.add_name(item, Kind::Listed);
            }
        }
        g
    }

    /// A hostname or FQDN, and its first label when it is dotted. `localhost` and the like
    /// identify nothing and are skipped.
    pub fn add_host(&mut self, host: &str) {
        let host = host.trim().trim_end_matches('.');
        self.add_name(host, Kind::Hostname);
        if let Some((short, _)) = host.split_once('.') {
            self.add_name(short, Kind::Hostname);
        }
    }

    /// A name matched case-insensitively as a whole word (see [`Name::word`]).
    pub fn add_name(&mut self, text: &str, kind: Kind) {
        let text = text.trim().to_ascii_lowercase();
        let anonymous = matches!(
            text.as_str(),
            "" | "localhost"
                | "localhost.localdomain"
                | "ip6-localhost"
                | "ip6-loopback"
                | "(none)"
        ) || (kind == Kind::UserName && text == "root");
        if anonymous || self.names.iter().any(|n| n.text == text) {
            return;
        }
        let word = text.len() <= 2 || COMMON_WORDS.contains(&text.as_str());
        self.names.push(Name { text, kind, word });
    }

    /// An absolute directory (home, cwd); `/` alone identifies nothing.
    pub fn add_dir(&mut self, dir: &str, kind: Kind) {
        let dir = dir.trim_end_matches('/');
        if dir.starts_with('/') && dir.len() > 1 && !self.dirs.iter().any(|(d, _)| d == dir) {
            self.dirs.push((dir.to_string(), kind));
        }
    }

    /// Checks every string (values and keys) under `value` and replaces each one that holds
    /// an identifier with [`MARKER`] (keys become `[redacted]`, `[redacted-2]`, …, keeping
    /// their place). Redacts in every mode: a strict caller refuses the result instead of
    /// using it. `Mode::Off` checks the token only.
    pub fn scan(&self, value: &mut Value, mode: Mode) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut path = String::from("$");
        self.walk(value, &mut path, None, mode, &mut findings);
        findings
    }

    fn walk(
        &self,
        value: &mut Value,
        path: &mut String,
        key: Option<&str>,
        mode: Mode,
        findings: &mut Vec<Finding>,
    ) {
        match value {
            Value::String(s) => {
                if let Some(kind) = self.classify(s, key, mode) {
                    findings.push(Finding {
                        path: path.clone(),
                        kind,
                        key: false,
                    });
                    *s = MARKER.to_string();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    self.walk(item, path, key, mode, findings);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                self.redact_keys(map, path, mode, findings);
                for (k, child) in map.iter_mut() {
                    let len = path.len();
                    push_key(path, k);
                    self.walk(child, path, Some(k), mode, findings);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Renames keys that hold identifiers, in place (order kept).
    fn redact_keys(
        &self,
        map: &mut Map<String, Value>,
        path: &str,
        mode: Mode,
        findings: &mut Vec<Finding>,
    ) {
        let flagged: Vec<(usize, Kind)> = map
            .keys()
            .enumerate()
            .filter_map(|(i, k)| self.classify(k, None, mode).map(|kind| (i, kind)))
            .collect();
        if flagged.is_empty() {
            return;
        }
        let old = std::mem::take(map);
        let clean: std::collections::HashSet<String> = old
            .keys()
            .enumerate()
            .filter(|(i, _)| !flagged.iter().any(|(j, _)| j == i))
            .map(|(_, k)| k.clone())
            .collect();
        let mut n = 1;
        for (i, (k, v)) in old.into_iter().enumerate() {
            let Some(&(_, kind)) = flagged.iter().find(|(j, _)| *j == i) else {
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
                if !clean.contains(&candidate) && !map.contains_key(&candidate) {
                    break candidate;
                }
            };
            let mut p = path.to_string();
            push_key(&mut p, &new);
            findings.push(Finding {
                path: p,
                kind,
                key: true,
            });
            map.insert(new, v);
        }
    }

    /// The first rule a string breaks, in a fixed order (the most specific kind first).
    /// `key` is the nearest object key above it, for the rules that need context.
    pub fn classify(&self, s: &str, key: Option<&str>, mode: Mode) -> Option<Kind> {
        if self.token.as_deref().is_some_and(|t| has_token(s, t)) {
            return Some(Kind::Token);
        }
        if mode == Mode::Off || s.is_empty() || s == MARKER {
            return None;
        }
        let b = s.as_bytes();
        for (dir, kind) in &self.dirs {
            if has_dir(s, dir) {
                return Some(*kind);
            }
        }
        for name in &self.names {
            if has_name(b, name, key) {
                return Some(name.kind);
            }
        }
        if let Some(kind) = url(b) {
            return Some(kind);
        }
        if let Some(kind) = at_sign(b) {
            return Some(kind);
        }
        // Addresses before paths: `fd00::/64` and `10.0.0.5:/srv` name the address.
        if let Some(kind) = ipv4(b).or_else(|| ipv6_or_mac(s)) {
            return Some(kind);
        }
        if absolute_path(b) {
            return Some(Kind::AbsolutePath);
        }
        let account_key =
            || key.is_some_and(|k| find_ci(k.as_bytes(), b"account").next().is_some());
        if arn(b) || (twelve_digits(b) && account_key()) {
            return Some(Kind::CloudAccount);
        }
        if host_name(b) {
            return Some(Kind::HostName);
        }
        None
    }
}

/// Runs the guard over a payload before it is sent, printed or kept, and reports each
/// redacted path on stderr (never the value). The payload's JSON is redacted in place; a
/// ready-made one's bytes are re-serialized only when something was redacted (and its
/// idempotency key is replaced if it was the event_id that went). `Strict` refuses a
/// payload with findings: a usage error (exit 2), nothing sent, nothing kept.
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
    let mut v = Value::Object(std::mem::take(&mut payload.object));
    let findings = guard.scan(&mut v, mode);
    if let Value::Object(m) = v {
        payload.object = m;
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

/// Words that also name hosts or users in real life (OS ids, default accounts, the
/// payloads' own vocabulary): as local names they count only in host or user position.
#[rustfmt::skip]
const COMMON_WORDS: &[&str] = &[
    // OS and distribution ids
    "ubuntu", "debian", "fedora", "centos", "rhel", "redhat", "rocky", "almalinux", "alma",
    "alpine", "arch", "archlinux", "manjaro", "opensuse", "suse", "sles", "amzn", "amazon",
    "oracle", "raspbian", "raspios", "linux", "gentoo", "nixos", "void", "mint", "linuxmint",
    "kali", "photon", "flatcar", "coreos", "fcos", "talos", "bottlerocket", "rancheros",
    "k3os", "mariner", "azurelinux", "wolfi", "busybox", "windows", "macos", "darwin",
    "freebsd",
    // default accounts and generic machine names
    "admin", "administrator", "user", "users", "guest", "default", "nobody", "daemon",
    "ec2-user", "cloud-user", "core", "vagrant", "docker", "runner", "builder", "jenkins",
    "test", "tests", "dev", "prod", "production", "staging", "lab", "home", "local", "host",
    "server", "servers", "node", "nodes", "agent", "agents", "master", "worker", "workers",
    "controller", "control-plane", "cluster", "machine", "container", "sandbox", "demo",
    "example",
    // the payloads' own words
    "k3s", "k8s", "kubernetes", "rancher", "infra", "cli", "apply", "install", "single-node",
    "multi-node", "ha", "nfs", "ingress", "registry", "success", "failure",
];

/// Keys whose string value is a host or user: there, even an ordinary-word local name counts.
fn is_host_key(key: &str) -> bool {
    // Compared case-insensitively, `-` as `_`, without allocating.
    let norm = |c: u8| {
        if c == b'-' {
            b'_'
        } else {
            c.to_ascii_lowercase()
        }
    };
    let k = key.as_bytes();
    let eq = |a: &[u8], w: &str| {
        a.len() == w.len() && a.iter().zip(w.bytes()).all(|(&x, y)| norm(x) == y)
    };
    #[rustfmt::skip]
    const EXACT: &[&str] = &[
        "host", "hostname", "host_name", "fqdn", "node", "node_name", "nodename", "machine",
        "machine_name", "server", "server_name", "servername", "user", "username", "user_name",
        "login", "owner",
    ];
    #[rustfmt::skip]
    const SUFFIX: &[&str] = &["_host", "_hostname", "_fqdn", "_node", "_user", "_username"];
    EXACT.iter().any(|w| eq(k, w))
        || SUFFIX
            .iter()
            .any(|w| k.len() > w.len() && eq(&k[k.len() - w.len()..], w))
}

/// Letters, digits and any non-ASCII byte: what a delimited match must not touch.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// `b[start..end]` touches no word byte on either side.
fn delimited(b: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|j| b.get(j));
    !before.is_some_and(|&c| is_word(c)) && !b.get(end).is_some_and(|&c| is_word(c))
}

fn first_line(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim().to_string();
    (!line.is_empty()).then_some(line)
}

/// The dotted names `/etc/hosts` gives `host` (its FQDN and aliases), no DNS lookup.
fn hosts_file_names(table: &str, host: &str) -> Vec<String> {
    let h = host.as_bytes();
    let mut out = Vec::new();
    if h.is_empty() {
        return out;
    }
    for line in table.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let names: Vec<&str> = line.split_whitespace().skip(1).collect();
        let mentions = names.iter().any(|n| {
            let n = n.as_bytes();
            n.eq_ignore_ascii_case(h)
                || (n.len() > h.len() && n[..h.len()].eq_ignore_ascii_case(h) && n[h.len()] == b'.')
        });
        if mentions {
            out.extend(
                names
                    .iter()
                    .filter(|n| n.contains('.'))
                    .map(|n| n.to_string()),
            );
        }
    }
    out
}

/// Our user name from `/etc/passwd` (the owner of `/proc/self` is our uid).
fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let table = std::fs::read_to_string("/etc/passwd").ok()?;
    table.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// `$.a.b`, `$["odd key"]`: simple keys dotted, others quoted.
fn push_key(path: &mut String, key: &str) {
    let simple = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if simple {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(key).unwrap_or_default());
        path.push(']');
    }
}

/// Positions where `needle` occurs in `hay`, ASCII case-insensitively.
fn find_ci<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let n = needle.len().max(1);
    hay.windows(n)
        .enumerate()
        .filter(move |(_, w)| !needle.is_empty() && w.eq_ignore_ascii_case(needle))
        .map(|(i, _)| i)
}

/// A real token is long and random: anywhere in the string. A toy token under 8
/// characters only as a delimited word, so it cannot shred ordinary data.
fn has_token(s: &str, token: &str) -> bool {
    if token.len() >= 8 {
        return s.contains(token);
    }
    let b = s.as_bytes();
    s.match_indices(token)
        .any(|(i, t)| delimited(b, i, i + t.len()))
}

/// A local name as a delimited word (no letter or digit touching either end). An
/// ordinary-word name counts only in host or user position: next to `@`, after `://`,
/// before `:<port>`, or anywhere in the value of a host or user key.
fn has_name(b: &[u8], name: &Name, key: Option<&str>) -> bool {
    let n = name.text.as_bytes();
    find_ci(b, n).any(|i| {
        let end = i + n.len();
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(end).copied();
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            return false;
        }
        if !name.word {
            return true;
        }
        key.is_some_and(is_host_key)
            || before == Some(b'@')
            || after == Some(b'@')
            || b[..i].ends_with(b"://")
            || (after == Some(b':') && b.get(end + 1).is_some_and(u8::is_ascii_digit))
    })
}

/// The home or current directory, itself or anything under it.
fn has_dir(s: &str, dir: &str) -> bool {
    let b = s.as_bytes();
    s.match_indices(dir).any(|(i, d)| {
        !b.get(i + d.len())
            .is_some_and(|&c| is_word(c) || matches!(c, b'.' | b'_' | b'-'))
    })
}

/// `scheme://…`: every URL, whatever its host; with `user@` in the authority, the worse kind.
fn url(b: &[u8]) -> Option<Kind> {
    let mut found = None;
    let mut from = 0;
    while let Some(pos) = find_ci(&b[from..], b"://").next().map(|p| p + from) {
        from = pos + 3;
        let mut j = pos;
        while j > 0 && (b[j - 1].is_ascii_alphanumeric() || matches!(b[j - 1], b'+' | b'-' | b'.'))
        {
            j -= 1;
        }
        if !b[j..pos].iter().any(u8::is_ascii_alphabetic) {
            continue;
        }
        let authority = b[from..].iter().take_while(|&&c| {
            !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'') && !c.is_ascii_whitespace()
        });
        if authority.clone().any(|&c| c == b'@') {
            return Some(Kind::UrlWithCredentials);
        }
        found = Some(Kind::Url);
    }
    found
}

/// `user@host`: an e-mail address when the host is a dotted name with a letters-only last
/// label (and no `:` follows), else an SSH target. Not: `@scope`, `pkg@1.2.3`,
/// `action@v4`, `image@sha256:…`.
fn at_sign(b: &[u8]) -> Option<Kind> {
    let local_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
    let host_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'@') {
        let mut j = i;
        while j > 0 && local_char(b[j - 1]) {
            j -= 1;
        }
        let mut k = i + 1;
        while k < b.len() && host_char(b[k]) {
            k += 1;
        }
        let host = &b[i + 1..k];
        if j == i || host.is_empty() || !host[0].is_ascii_alphanumeric() {
            continue;
        }
        let lower = host.to_ascii_lowercase();
        let version = lower.strip_prefix(b"v").unwrap_or(&lower);
        let is_ip = octets(host, 0, b'.').is_some_and(|(_, end)| end == host.len());
        if !is_ip && version.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
            continue;
        }
        let next = b.get(k).copied();
        if next == Some(b':')
            && matches!(
                lower.as_slice(),
                b"sha1" | b"sha256" | b"sha384" | b"sha512" | b"md5"
            )
        {
            continue;
        }
        let tld = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
        let dotted =
            host.contains(&b'.') && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic);
        return Some(if dotted && next != Some(b':') {
            Kind::Email
        } else {
            Kind::SshTarget
        });
    }
    None
}

/// `/x…` at the start of the string or after a space, `=`, `:`, a quote, an opening
/// bracket, `,`, `;` or `|`; or a Windows drive `C:\`. So `scripts/apply.sh`,
/// `productive-k3s/0.1.0`, `./run.sh`, `a/b`, `1/2` are not absolute.
fn absolute_path(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| match c {
        b'/' => {
            let starts = i == 0
                || b[i - 1].is_ascii_whitespace()
                || matches!(
                    b[i - 1],
                    b'=' | b':'
                        | b'"'
                        | b'\''
                        | b'`'
                        | b'('
                        | b'['
                        | b'{'
                        | b'<'
                        | b','
                        | b';'
                        | b'|'
                );
            starts
                && b.get(i + 1)
                    .is_some_and(|&n| is_word(n) || matches!(n, b'.' | b'_' | b'~' | b'-'))
        }
        b'\\' => {
            i >= 2
                && b[i - 1] == b':'
                && b[i - 2].is_ascii_alphabetic()
                && (i == 2 || !is_word(b[i - 3]))
        }
        _ => false,
    })
}

/// Loopback, unspecified and netmask values (`255.255.255.0`) identify nothing.
fn anonymous_v4(a: u32) -> bool {
    a >> 24 == 127 || a == 0 || (!a).wrapping_add(1) & !a == 0
}

/// Up to 4 `sep`-separated octets (0–255, 1–3 digits) from `i`: the address and its end.
fn octets(b: &[u8], mut i: usize, sep: u8) -> Option<(u32, usize)> {
    let mut addr = 0u32;
    for part in 0..4 {
        if part > 0 {
            if b.get(i) != Some(&sep) {
                return None;
            }
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 4 {
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 3 {
            return None;
        }
        let v: u32 = std::str::from_utf8(&b[start..i]).ok()?.parse().ok()?;
        if v > 255 {
            return None;
        }
        addr = addr << 8 | v;
    }
    Some((addr, i))
}

/// A `/prefix` after an address: its length in bytes when present and at most `max`.
fn prefix_len(b: &[u8], at: usize, max: u32) -> Option<usize> {
    if b.get(at) != Some(&b'/') {
        return None;
    }
    let digits = b[at + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let text = std::str::from_utf8(&b[at + 1..at + 1 + digits]).ok()?;
    let ok = (1..=3).contains(&digits)
        && text.parse::<u32>().is_ok_and(|p| p <= max)
        && !b.get(at + 1 + digits).is_some_and(|&c| is_word(c));
    ok.then_some(digits + 1)
}

/// A dotted quad not touching letters, digits or dots (`v1.2.3.4` and `1.2.3.4.5` are
/// versions; a bare `1.2.3.4` is an address), optionally with `/prefix` (a CIDR); or the
/// `ip-10-0-0-5` form of cloud host names.
fn ipv4(b: &[u8]) -> Option<Kind> {
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(is_word(b[i - 1]) || b[i - 1] == b'.');
        if boundary && b[i].is_ascii_digit() {
            if let Some((addr, end)) = octets(b, i, b'.') {
                let after = b.get(end).copied();
                let more = after == Some(b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit);
                if !after.is_some_and(is_word) && !more && !anonymous_v4(addr) {
                    return Some(if prefix_len(b, end, 32).is_some() {
                        Kind::Cidr
                    } else {
                        Kind::IpAddress
                    });
                }
            }
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        let cloud_host = (boundary && b.len() >= i + 3 && b[i..i + 3].eq_ignore_ascii_case(b"ip-"))
            .then(|| octets(b, i + 3, b'-'))
            .flatten();
        if let Some((addr, end)) = cloud_host
            && !b.get(end).is_some_and(|&c| is_word(c))
            && !anonymous_v4(addr)
        {
            return Some(Kind::IpAddress);
        }
        i += 1;
    }
    None
}

/// Runs of hex digits, `:` and `.` with at least two colons, not touching letters or
/// digits: an IPv6 address (std's parser decides; `::1`, `::` and mapped loopback are
/// fine), with `/prefix` a CIDR; `aa:bb:cc:dd:ee:ff` is a MAC address. Clock times
/// (`23:47:43.120`) do not parse.
fn ipv6_or_mac(s: &str) -> Option<Kind> {
    let b = s.as_bytes();
    let in_run = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut i = 0;
    while i < b.len() {
        if !in_run(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && in_run(b[i]) {
            i += 1;
        }
        let run = &s[start..i];
        if run.bytes().filter(|&c| c == b':').count() < 2
            || (start > 0 && is_word(b[start - 1]))
            || b.get(i).is_some_and(|&c| is_word(c))
        {
            continue;
        }
        let mut text = run.trim_end_matches('.');
        if text.ends_with(':') && !text.ends_with("::") {
            text = &text[..text.len() - 1];
        }
        if is_mac(text) {
            if text.bytes().any(|c| c != b'0' && c != b':') {
                return Some(Kind::MacAddress);
            }
            continue;
        }
        if let Ok(ip) = text.parse::<Ipv6Addr>() {
            let anonymous = ip.is_loopback()
                || ip.is_unspecified()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| anonymous_v4(u32::from(v4)));
            if anonymous {
                continue;
            }
            return Some(if prefix_len(b, start + text.len(), 128).is_some() {
                Kind::Cidr
            } else {
                Kind::IpAddress
            });
        }
    }
    None
}

fn is_mac(t: &str) -> bool {
    t.len() == 17
        && t.split(':').count() == 6
        && t.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `arn:aws…:` (also aws-cn, aws-us-gov) not glued to a word.
fn arn(b: &[u8]) -> bool {
    find_ci(b, b"arn:aws")
        .any(|i| !(i > 0 && is_word(b[i - 1])) && matches!(b.get(i + 7), Some(b':') | Some(b'-')))
}

/// A run of exactly 12 digits (an AWS account id, when the key says "account").
fn twelve_digits(b: &[u8]) -> bool {
    b.split(|c| !c.is_ascii_digit()).any(|run| run.len() == 12)
}

/// Top-level domains that make a dotted name a host name: common generic ones, the names
/// private networks use, and two-letter country codes except those that are also common
/// file extensions or dotted words (`.sh`, `.md`, `.rs`, `.py`, `.id`, …).
#[rustfmt::skip]
const GENERIC_TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "pro", "cloud", "app",
    "dev", "tech", "online", "site", "xyz", "top", "aws", "lan", "local", "localdomain",
    "internal", "intranet", "intra", "corp", "home", "arpa", "lab", "test", "example",
    "invalid", "private", "priv",
];
#[rustfmt::skip]
const COUNTRY_TLDS: &[&str] = &[
    "ad", "ae", "af", "ag", "ai", "al", "ao", "aq", "ar", "as", "at", "au", "aw", "ax", "az",
    "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "br", "bs", "bt",
    "bw", "by", "bz", "ca", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn", "co", "cr",
    "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee", "eg",
    "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gd", "ge", "gf", "gg",
    "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm",
    "hn", "hr", "ht", "hu", "ie", "il", "im", "io", "iq", "ir", "is", "it", "je", "jm", "jo",
    "jp", "ke", "kg", "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc",
    "li", "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "me", "mg", "mh", "mm", "mn",
    "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "nc", "ne", "nf",
    "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph", "pk",
    "pn", "pr", "pt", "pw", "qa", "re", "ro", "ru", "rw", "sa", "sb", "sc", "sd", "se", "sg",
    "si", "sk", "sl", "sm", "sn", "sr", "ss", "st", "su", "sv", "sx", "sy", "sz", "tc", "td",
    "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr", "tt", "tv", "tw", "tz", "ua", "ug",
    "uk", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ws", "ye", "yt",
    "za", "zm", "zw",
];

/// Public project and registry domains (and their subdomains) that identify nobody:
/// Kubernetes label prefixes like `node-role.kubernetes.io` must survive.
#[rustfmt::skip]
const PUBLIC_DOMAINS: &[&str] = &[
    "kubernetes.io", "k8s.io", "x-k8s.io", "k3s.io", "rancher.io", "rancher.com", "cattle.io",
    "traefik.io", "containo.us", "docker.io", "docker.com", "ghcr.io", "quay.io", "gcr.io",
    "github.com", "githubusercontent.com", "gitlab.com", "cncf.io", "cert-manager.io",
    "longhorn.io", "metallb.io", "ubuntu.com", "debian.org", "productive-k3s.io",
];

fn is_tld(label: &[u8]) -> bool {
    let l = label.to_ascii_lowercase();
    let Ok(l) = std::str::from_utf8(&l) else {
        return false;
    };
    GENERIC_TLDS.contains(&l) || COUNTRY_TLDS.binary_search(&l).is_ok()
}

fn is_public(host: &[u8]) -> bool {
    PUBLIC_DOMAINS.iter().any(|d| {
        let d = d.as_bytes();
        host.len() >= d.len()
            && host[host.len() - d.len()..].eq_ignore_ascii_case(d)
            && (host.len() == d.len() || host[host.len() - d.len() - 1] == b'.')
    })
}

/// A dotted DNS name (at least two labels of letters, digits and inner hyphens, no `_`)
/// whose last label is a listed TLD, and not a public domain. So `core.apply.completed`,
/// `apply.sh`, `k3s.yaml`, `24.04` are not hosts; `nfs.lab.example.com` and `registry.lan` are.
fn host_name(b: &[u8]) -> bool {
    if !b.contains(&b'.') {
        return false;
    }
    let name_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
    b.split(|&c| !name_char(c)).any(|run| {
        let start = run.iter().take_while(|&&c| c == b'.').count();
        let end = run.len() - run.iter().rev().take_while(|&&c| c == b'.').count();
        if start >= end || run.contains(&b'_') {
            return false;
        }
        let run = &run[start..end];
        let mut labels = run.split(|&c| c == b'.');
        let last = labels.next_back().unwrap_or_default();
        let mut count = 1;
        let valid =
            |l: &[u8]| !l.is_empty() && l.len() <= 63 && l[0] != b'-' && l[l.len() - 1] != b'-';
        last.iter().all(u8::is_ascii_alphabetic)
            && is_tld(last)
            && labels.all(|l| {
                count += 1;
                valid(l)
            })
            && count >= 2
            && valid(last)
            && !is_public(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guard() -> Guard {
        let mut g = Guard::new(Some("tok-SECRET-5f1e"));
        g.add_host("lab-node-01.corp.example.net");
        g.add_host("ubuntu");
        g.add_name("alice", Kind::UserName);
        g.add_dir("/home/alice", Kind::HomeDir);
        g.add_dir("/srv/work", Kind::CurrentDir);
        g
    }

    fn kind(s: &str) -> Option<Kind> {
        guard().classify(s, None, Mode::Redact)
    }

    #[test]
    fn each_kind_of_identifier_is_found() {
        let cases: &[(&str, Kind)] = &[
            ("Bearer tok-SECRET-5f1e", Kind::Token),
            ("installed on lab-node-01", Kind::Hostname),
            ("LAB-NODE-01.corp.example.net", Kind::Hostname),
            ("owner alice", Kind::UserName),
            ("/home/alice/.kube/config", Kind::HomeDir),
            ("/srv/work", Kind::CurrentDir),
            ("https://admin:pw@10.0.0.5:6443", Kind::UrlWithCredentials),
            ("https://k3s.internal:6443", Kind::Url),
            ("s3://backups/x", Kind::Url),
            ("deploy@10.1.2.3", Kind::SshTarget),
            ("git@github.com:org/repo.git", Kind::SshTarget),
            ("ops@example.org", Kind::Email),
            ("/srv/nfs/export", Kind::AbsolutePath),
            ("--kubeconfig=/etc/rancher/k3s/k3s.yaml", Kind::AbsolutePath),
            ("nfs:/srv/nfs", Kind::AbsolutePath),
            ("C:\\Users\\x", Kind::AbsolutePath),
            ("10.42.0.0/16", Kind::Cidr),
            ("fd00:10::/64", Kind::Cidr),
            ("192.168.1.20", Kind::IpAddress),
            ("1.2.3.4", Kind::IpAddress),
            ("node ip-10-0-3-7 ready", Kind::IpAddress),
            ("[fe80::1]:6443", Kind::IpAddress),
            ("2001:db8::8a2e:370:7334", Kind::IpAddress),
            ("::ffff:10.0.0.1", Kind::IpAddress),
            ("52:54:00:12:34:56", Kind::MacAddress),
            ("arn:aws:iam::123456789012:role/x", Kind::CloudAccount),
            ("registry.lab.example.com/app:1.0", Kind::HostName),
            ("nfs01.lan", Kind::HostName),
            ("ingress grafana.acme.de ready", Kind::HostName),
            ("see nfs.corp.internal.", Kind::HostName),
        ];
        for (s, k) in cases {
            assert_eq!(kind(s), Some(*k), "{s}");
        }
    }

    #[test]
    fn ordinary_data_is_left_alone() {
        for s in [
            "core.apply.single_node.completed",
            "infra.nfs.ready",
            "apply.completed",
            "scripts/apply.sh",
            "./scripts/apply.sh",
            "README.md",
            "k3s.yaml",
            "24.04",
            "v1.29.3+k3s1",
            "v1.2.3.4",
            "1.2.3.4.5",
            "5.15.0-105-generic",
            "ubuntu",
            "debian",
            "single-node",
            "productive-k3s/0.1.0",
            "run-manifest/v1",
            "0b6c1a2e-3f4d-4e5f-8a9b-123456789012",
            "2026-11-21T23:47:43.120Z",
            "2026-11-21 23:47:43",
            "127.0.0.1",
            "0.0.0.0/0",
            "255.255.255.0",
            "::1",
            "http-ish 10:30",
            "std::net::Ipv6Addr",
            "node-role.kubernetes.io/control-plane",
            "rancher.io/local-path",
            "docker.io/rancher/k3s:v1.29.3-k3s1",
            "actions/checkout@v4",
            "nginx@sha256:abcdef",
            "@scope/pkg",
            "e.g. and/or 1/2 N/A",
            "a: b",
            "123456789012",
            "best-effort",
            MARKER,
        ] {
            assert_eq!(kind(s), None, "{s}");
        }
    }

    #[test]
    fn an_ordinary_word_hostname_counts_only_as_a_host() {
        let g = guard();
        for (s, key) in [
            ("ubuntu", Some("id")),
            ("ubuntu 24.04", Some("pretty_name")),
            ("ubuntu", None),
        ] {
            assert_eq!(g.classify(s, key, Mode::Redact), None, "{s} under {key:?}");
        }
        for (s, key) in [
            ("ubuntu", Some("hostname")),
            ("ubuntu", Some("node_name")),
            ("ubuntu", Some("ssh-user")),
            ("ssh to ubuntu:22", None),
            ("http://ubuntu/x", None),
        ] {
            assert!(
                g.classify(s, key, Mode::Redact).is_some(),
                "{s} under {key:?}"
            );
        }
        // A distinctive name counts anywhere it stands as a word, but not inside one.
        assert_eq!(
            g.classify("Alice's lab", None, Mode::Redact),
            Some(Kind::UserName)
        );
        assert_eq!(g.classify("malice", None, Mode::Redact), None);
    }

    #[test]
    fn twelve_digits_are_an_account_only_under_an_account_key() {
        let g = guard();
        assert_eq!(
            g.classify("123456789012", Some("aws_account_id"), Mode::Redact),
            Some(Kind::CloudAccount)
        );
        assert_eq!(
            g.classify("1234567890123", Some("account"), Mode::Redact),
            None
        );
        assert_eq!(
            g.classify("123456789012", Some("bytes"), Mode::Redact),
            None
        );
    }

    #[test]
    fn off_checks_the_token_only_and_short_tokens_are_words() {
        let g = guard();
        assert_eq!(g.classify("/srv/nfs", None, Mode::Off), None);
        assert_eq!(
            g.classify("xtok-SECRET-5f1ex", None, Mode::Off),
            Some(Kind::Token)
        );
        let short = Guard::new(Some("ab1"));
        assert_eq!(short.classify("ab1", None, Mode::Off), Some(Kind::Token));
        assert_eq!(short.classify("tab12", None, Mode::Off), None);
    }

    #[test]
    fn scan_redacts_values_and_keys_in_place_and_reports_safe_paths() {
        let mut v = json!({
            "schema": "run-manifest/v1",
            "nfs": {"export": "/srv/nfs", "clients": ["10.0.0.0/24", "ubuntu"]},
            "nodes": {"lab-node-01": {"role": "server"}, "[redacted]": 1, "z": 2},
            "odd key": "ops@example.org",
            "os": {"id": "ubuntu"}
        });
        let findings = guard().scan(&mut v, Mode::Redact);
        let got: Vec<String> = findings.iter().map(Finding::describe).collect();
        assert_eq!(
            got,
            [
                "$.nfs.export (absolute path)",
                "$.nfs.clients[0] (cidr network)",
                "$.nodes[\"[redacted-2]\"] (hostname, object key)",
                "$[\"odd key\"] (e-mail address)",
            ]
        );
        assert_eq!(
            v,
            json!({
                "schema": "run-manifest/v1",
                "nfs": {"export": MARKER, "clients": [MARKER, "ubuntu"]},
                "nodes": {"[redacted-2]": {"role": "server"}, "[redacted]": 1, "z": 2},
                "odd key": MARKER,
                "os": {"id": "ubuntu"}
            })
        );
        let keys: Vec<&String> = v["nodes"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["[redacted-2]", "[redacted]", "z"], "order kept");
        // Scanning again finds nothing: redaction is idempotent.
        assert!(guard().scan(&mut v, Mode::Redact).is_empty());
    }

    #[test]
    fn hosts_file_gives_the_fqdn_and_local_names_skip_the_anonymous_ones() {
        let table =
            "127.0.0.1 localhost\n10.0.0.7 lab1.corp.example lab1 # me\n127.0.1.1 other.x other\n";
        assert_eq!(hosts_file_names(table, "lab1"), ["lab1.corp.example"]);
        assert_eq!(
            hosts_file_names(table, "LAB1.corp.example"),
            ["lab1.corp.example"]
        );
        assert!(hosts_file_names(table, "lab").is_empty());
        let mut g = Guard::new(None);
        g.add_host("localhost");
        g.add_name("root", Kind::UserName);
        g.add_dir("/", Kind::CurrentDir);
        assert!(g.names.is_empty() && g.dirs.is_empty());
    }

    #[test]
    fn a_dirty_ready_made_event_is_reserialized_and_gets_a_new_key_if_its_id_went() {
        let raw = br#"{ "event_id": "lab-node-01", "n": 1.50, "ok": "yes" }"#.to_vec();
        let obj = serde_json::from_slice(&raw).unwrap();
        let mut p = Payload::raw(raw, obj);
        protect(
            &mut p,
            &guard(),
            Mode::Redact,
            Verbosity {
                quiet: true,
                verbose: false,
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(p.body()).unwrap(),
            r#"{"event_id":"[redacted]","n":1.50,"ok":"yes"}"#
        );
        assert_ne!(p.event_id, "lab-node-01", "the key would leak the hostname");
        assert_eq!(p.event_id.len(), 36);

        let clean = br#"{ "event_id": "e-1",  "ok": "yes" }"#.to_vec();
        let obj = serde_json::from_slice(&clean).unwrap();
        let mut p = Payload::raw(clean.clone(), obj);
        protect(&mut p, &guard(), Mode::Strict, Verbosity::default()).unwrap();
        assert_eq!(p.body(), clean, "byte-for-byte when clean");
        assert_eq!(p.event_id, "e-1");
    }

    #[test]
    fn no_input_makes_it_panic() {
        // A cheap deterministic fuzz over the bytes the matchers care about, multi-byte
        // characters included (slicing must stay on char boundaries).
        let alphabet: Vec<char> = "aZf0912.:/@-_[]%\\ =\"é💥ipvarn:aws".chars().collect();
        let g = guard();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 59) as usize;
            let s: String = (0..len)
                .map(|i| {
                    let r = seed.rotate_left(7 * i as u32 + 3);
                    alphabet[(r % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = g.classify(&s, Some("hostname"), Mode::Redact);
            let _ = g.classify(&s, Some("aws_account"), Mode::Redact);
        }
    }
}
