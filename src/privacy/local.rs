//! The identifiers of this machine and run: the bearer token, the hostname and its names
//! in `/etc/hosts`, the user, the home and current directories, and
//! `TELEMETRY_PRIVACY_EXTRA`. A few small file reads; no DNS lookup. The names and
//! directories are found in one Aho-Corasick pass over a string.

use aho_corasick::{AhoCorasick, MatchKind};

use super::context::Context;
use super::kind::Kind;
use super::text::{Bigrams, is_word};
use super::{Guard, Name};
use crate::settings::var;

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

/// What one local match is.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Guard {
    /// The guard for this machine: hostname (kernel, `/etc/hostname`, `HOSTNAME`), its
    /// names in `/etc/hosts`, the user (`USER`, `LOGNAME`, `SUDO_USER`, else the passwd
    /// entry of our uid), `HOME`, the current directory, and `TELEMETRY_PRIVACY_EXTRA`.
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
        if let Some(table) = (!hosts.is_empty())
            .then(|| system_file("/etc/hosts"))
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
        self.finder = std::sync::OnceLock::new();
    }

    /// An absolute directory (home, cwd); `/` alone identifies nothing.
    pub fn add_dir(&mut self, dir: &str, kind: Kind) {
        let dir = dir.trim_end_matches('/');
        if dir.starts_with('/') && dir.len() > 1 && !self.dirs.iter().any(|(d, _)| d == dir) {
            self.dirs.push((dir.to_string(), kind));
            self.finder = std::sync::OnceLock::new();
        }
    }

    /// The bearer token anywhere in `s`: where, when it is there.
    pub(super) fn token_at(&self, s: &str) -> Option<(usize, usize)> {
        let t = self.token.as_deref()?;
        if t.len() >= 8 {
            return s.find(t).map(|i| (i, i + t.len()));
        }
        // A toy token under 8 characters only as a delimited word, so it cannot shred
        // ordinary data.
        let b = s.as_bytes();
        s.match_indices(t)
            .map(|(i, m)| (i, i + m.len()))
            .find(|&(i, e)| {
                !i.checked_sub(1)
                    .and_then(|j| b.get(j))
                    .is_some_and(|&c| is_word(c))
                    && !b.get(e).is_some_and(|&c| is_word(c))
            })
    }

    pub(super) fn token_in(&self, s: &str) -> bool {
        self.token_at(s).is_some()
    }

    /// This machine's directories and names in `s`. `distinctive_only` skips ordinary-word
    /// names (for contract fields, which have no host or user position). With `all`,
    /// every match; otherwise the first.
    pub(super) fn machine(
        &self,
        s: &[u8],
        ctx: Context,
        distinctive_only: bool,
        all: bool,
    ) -> Vec<Local> {
        let mut out: Vec<(usize, Local)> = Vec::new();
        let Some((ac, bigrams)) = self.finder.get_or_init(|| self.build_finder()) else {
            return Vec::new();
        };
        if s.len() <= 256 && !bigrams.maybe(s) {
            return Vec::new();
        }
        // Patterns are the directories, then the names: the first listed wins.
        let d = self.dirs.len();
        for m in ac.find_overlapping_iter(s) {
            let (start, end) = (m.start(), m.end());
            let p = m.pattern().as_usize();
            let kind = if let Some((_, kind)) = self.dirs.get(p) {
                if s.get(end)
                    .is_some_and(|&c| is_word(c) || matches!(c, b'.' | b'_' | b'-'))
                {
                    continue;
                }
                *kind
            } else if let Some(name) = self.names.get(p - d) {
                if (distinctive_only && name.word) || !name_here(s, start, end, name.word, ctx) {
                    continue;
                }
                name.kind
            } else {
                continue;
            };
            let here = Local { kind, start, end };
            if all {
                out.push((p, here));
            } else if out.first().is_none_or(|&(q, _)| p < q) {
                out = vec![(p, here)];
                if p == 0 {
                    break;
                }
            }
        }
        out.into_iter().map(|(_, l)| l).collect()
    }

    fn build_finder(&self) -> Option<(AhoCorasick, Bigrams)> {
        let patterns: Vec<&str> = self
            .dirs
            .iter()
            .map(|(d, _)| d.as_str())
            .chain(self.names.iter().map(|n| n.text.as_str()))
            .collect();
        if patterns.is_empty() {
            return None;
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok()?;
        Some((ac, Bigrams::of(patterns.iter().map(|p| p.as_bytes()))))
    }
}

/// A local name as a delimited word (no letter or digit touching either end). An
/// ordinary-word name counts only in host or user position: next to `@`, after `://`,
/// before `:<port>`, or anywhere under a host or user key.
fn name_here(b: &[u8], start: usize, end: usize, word: bool, ctx: Context) -> bool {
    let before = start.checked_sub(1).and_then(|j| b.get(j).copied());
    let after = b.get(end).copied();
    if before.is_some_and(is_word) || after.is_some_and(is_word) {
        return false;
    }
    if !word {
        return true;
    }
    matches!(ctx, Context::Host | Context::User)
        || before == Some(b'@')
        || after == Some(b'@')
        || b.get(..start).is_some_and(|h| h.ends_with(b"://"))
        || (after == Some(b':') && b.get(end + 1).is_some_and(u8::is_ascii_digit))
}

/// A system file's text, read like every file the tool reads (`input::read`: no FIFO or
/// device, at most 4 MiB); `None` when it cannot be.
fn system_file(path: &str) -> Option<String> {
    let bytes = crate::input::read(std::path::Path::new(path), 4 << 20).ok()?;
    String::from_utf8(bytes).ok()
}

fn first_line(path: &str) -> Option<String> {
    let text = system_file(path)?;
    let line = text.lines().next()?.trim().to_string();
    (!line.is_empty()).then_some(line)
}

/// The dotted names `/etc/hosts` gives `host` (its FQDN and aliases), no DNS lookup.
pub(super) fn hosts_file_names(table: &str, host: &str) -> Vec<String> {
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
                || (n.len() > h.len()
                    && n.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h))
                    && n.get(h.len()) == Some(&b'.'))
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
    let table = system_file("/etc/passwd")?;
    table.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}
