//! Network identifiers: URLs, IPv4/IPv6 addresses and CIDRs, MAC addresses, dotted host
//! names and `name:port`. The public facts (`public.rs`) pass.

use std::net::Ipv6Addr;

use super::context::Context;
use super::public;
use super::rules::{Kind, Text};
use super::text::{before, find_ci, is_word, run_back, run_len};

/// `scheme://…` whose host is not a public fact; with `user@` in the authority, the worse
/// kind whatever the host.
pub fn url(t: &Text) -> Option<Kind> {
    let b = t.b;
    let mut found = None;
    for pos in find_ci(b, b"://") {
        let scheme = run_back(b, pos, |c| {
            c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')
        });
        if !b
            .get(pos - scheme..pos)
            .is_some_and(|s| s.iter().any(u8::is_ascii_alphabetic))
        {
            continue;
        }
        let from = pos + 3;
        let len = run_len(b, from, |c| {
            !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'\\') && !c.is_ascii_whitespace()
        });
        let authority = b.get(from..from + len).unwrap_or_default();
        if authority.contains(&b'@') {
            return Some(Kind::UrlWithCredentials);
        }
        let host = host_of(authority);
        // `containerd://1.7.11-k3s2`, `docker://24.0.7`: a runtime and its version.
        let version = host.first().is_some_and(u8::is_ascii_digit)
            && std::str::from_utf8(host).is_ok_and(|h| h.parse::<std::net::IpAddr>().is_err());
        if host.is_empty() || version || public_host_or_address(host) {
            continue;
        }
        found = Some(Kind::Url);
    }
    found
}

/// The host of an authority: `[v6]:port` → `v6`, `name:port` → `name`.
fn host_of(authority: &[u8]) -> &[u8] {
    if let Some(rest) = authority.strip_prefix(b"[") {
        let end = rest.iter().position(|&c| c == b']').unwrap_or(rest.len());
        return rest.get(..end).unwrap_or_default();
    }
    match authority.iter().rposition(|&c| c == b':') {
        Some(i)
            if authority
                .get(i + 1..)
                .is_some_and(|p| p.iter().all(u8::is_ascii_digit)) =>
        {
            authority.get(..i).unwrap_or_default()
        }
        _ => authority,
    }
}

/// A public host, loopback, or an address from the public list.
pub fn public_host_or_address(host: &[u8]) -> bool {
    if public::host(host) {
        return true;
    }
    let Ok(text) = std::str::from_utf8(host) else {
        return false;
    };
    if let Ok(v4) = text.parse::<std::net::Ipv4Addr>() {
        return public::v4(u32::from(v4), None);
    }
    text.parse::<Ipv6Addr>()
        .is_ok_and(|v6| public::v6(u128::from(v6), None))
}

/// IPv4 (and the `ip-10-0-0-5` cloud host form), IPv6, with `/prefix` a CIDR; MAC
/// addresses in colon, dash and dotted notation.
pub fn address(t: &Text) -> Option<Kind> {
    ipv4(t)
        .or_else(|| ipv6_or_mac(t.s))
        .or_else(|| mac_dash_or_dot(t.b))
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
        let digits = run_len(b, i, |c| c.is_ascii_digit());
        if digits == 0 || digits > 3 {
            return None;
        }
        let v: u32 = std::str::from_utf8(b.get(i..i + digits)?)
            .ok()?
            .parse()
            .ok()?;
        if v > 255 {
            return None;
        }
        addr = addr << 8 | v;
        i += digits;
    }
    Some((addr, i))
}

/// A `/prefix` at `at`, at most `max`: its length in bytes and value.
fn prefix(b: &[u8], at: usize, max: u32) -> Option<(usize, u8)> {
    if b.get(at) != Some(&b'/') {
        return None;
    }
    let digits = run_len(b, at + 1, |c| c.is_ascii_digit());
    let p: u32 = std::str::from_utf8(b.get(at + 1..at + 1 + digits)?)
        .ok()?
        .parse()
        .ok()?;
    let ok = (1..=3).contains(&digits)
        && p <= max
        && !b.get(at + 1 + digits).is_some_and(|&c| is_word(c));
    ok.then_some((digits + 1, p as u8))
}

/// A dotted quad that no letter, digit or dot touches (`v1.2.3.4`, `1.2.3.4.5` are
/// versions, and so is any quad under a version key).
fn ipv4(t: &Text) -> Option<Kind> {
    let b = t.b;
    let mut i = 0;
    while i < b.len() {
        let boundary = !before(b, i).is_some_and(|c| is_word(c) || c == b'.');
        let here = b.get(i).copied().unwrap_or_default();
        if boundary && here.is_ascii_digit() {
            if let Some((addr, end)) = octets(b, i, b'.') {
                let after = b.get(end).copied();
                let more = after == Some(b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit);
                let p = prefix(b, end, 32);
                let version = t.ctx == Context::Version && p.is_none();
                if !after.is_some_and(is_word)
                    && !more
                    && !version
                    && !public::v4(addr, p.map(|(_, v)| v))
                {
                    return Some(if p.is_some() {
                        Kind::Cidr
                    } else {
                        Kind::IpAddress
                    });
                }
            }
            i += run_len(b, i, |c| c.is_ascii_digit() || c == b'.').max(1);
            continue;
        }
        let cloud = boundary
            && b.get(i..i + 3)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"ip-"));
        if let Some((addr, end)) = cloud.then(|| octets(b, i + 3, b'-')).flatten()
            && !b.get(end).is_some_and(|&c| is_word(c))
            && !public::v4(addr, None)
        {
            return Some(Kind::IpAddress);
        }
        i += 1;
    }
    None
}

fn is_mac(t: &str) -> bool {
    t.len() == 17
        && t.split(':').count() == 6
        && t.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Runs of hex digits, `:` and `.` with at least two colons, not touching letters or
/// digits: an IPv6 address when std's parser accepts it, else a colon MAC address. Clock
/// times (`23:47:43.120`) do not parse.
fn ipv6_or_mac(s: &str) -> Option<Kind> {
    let b = s.as_bytes();
    let in_run = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut i = 0;
    while i < b.len() {
        let len = run_len(b, i, in_run);
        if len == 0 {
            i += 1;
            continue;
        }
        let start = i;
        i += len;
        let Some(run) = s.get(start..i) else {
            continue;
        };
        if run.bytes().filter(|&c| c == b':').count() < 2
            || before(b, start).is_some_and(is_word)
            || b.get(i).is_some_and(|&c| is_word(c))
        {
            continue;
        }
        let mut text = run.trim_end_matches('.');
        if text.ends_with(':') && !text.ends_with("::") {
            text = text.get(..text.len() - 1).unwrap_or_default();
        }
        if is_mac(text) {
            if text
                .bytes()
                .any(|c| c != b'0' && c != b':' && !c.eq_ignore_ascii_case(&b'f'))
            {
                return Some(Kind::MacAddress);
            }
            continue;
        }
        if let Ok(ip) = text.parse::<Ipv6Addr>() {
            let p = prefix(b, start + text.len(), 128);
            let public = public::v6(u128::from(ip), p.map(|(_, v)| v))
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| public::v4(u32::from(v4), None));
            if !public {
                return Some(if p.is_some() {
                    Kind::Cidr
                } else {
                    Kind::IpAddress
                });
            }
        }
    }
    None
}

/// `52-54-00-12-34-56` and `5254.0012.3456` (the dotted form needs a hex letter, so
/// `2024.0101.1200` stays a number).
fn mac_dash_or_dot(b: &[u8]) -> Option<Kind> {
    let hex = |c: &u8| c.is_ascii_hexdigit();
    for i in 0..b.len() {
        if before(b, i).is_some_and(|c| is_word(c) || c == b'-' || c == b'.' || c == b':') {
            continue;
        }
        let dash = b.get(i..i + 17).is_some_and(|w| {
            w.iter()
                .enumerate()
                .all(|(j, c)| if j % 3 == 2 { *c == b'-' } else { hex(c) })
        }) && !b.get(i + 17).is_some_and(|&c| is_word(c) || c == b'-');
        let dot = b.get(i..i + 14).is_some_and(|w| {
            w.iter()
                .enumerate()
                .all(|(j, c)| if j % 5 == 4 { *c == b'.' } else { hex(c) })
                && w.iter().any(u8::is_ascii_alphabetic)
        }) && !b.get(i + 14).is_some_and(|&c| is_word(c) || c == b'.');
        if dash || dot {
            let w = b.get(i..i + if dash { 17 } else { 14 }).unwrap_or_default();
            if w.iter()
                .any(|&c| c.is_ascii_hexdigit() && c != b'0' && !c.eq_ignore_ascii_case(&b'f'))
            {
                return Some(Kind::MacAddress);
            }
        }
    }
    None
}

/// Top-level domains that make a dotted name a host name.
#[rustfmt::skip]
const STRONG_TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "aws", "arpa", "lan", "localdomain",
    "internal", "intranet", "intra", "corp", "consul", "private", "priv", "vpn", "dmz",
    "mgmt", "localnet", "example", "invalid", "home", "office",
];
/// TLDs that are also words: an event name or file can end in them (`core.apply.test`).
#[rustfmt::skip]
const WORD_TLDS: &[&str] = &[
    "local", "test", "lab", "app", "dev", "cloud", "info", "biz", "pro", "tech", "online",
    "site", "xyz", "top", "int",
];
/// Two-letter country codes, except those that are also common file extensions or
/// dotted words (`ac am cc id in mk ml mo pl pm ps py rs sh so tf md`).
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

#[derive(PartialEq)]
enum Tld {
    Strong,
    Word,
}

fn tld(label: &[u8]) -> Option<Tld> {
    let l = label.to_ascii_lowercase();
    let l = std::str::from_utf8(&l).ok()?;
    if STRONG_TLDS.contains(&l) || COUNTRY_TLDS.binary_search(&l).is_ok() {
        Some(Tld::Strong)
    } else if WORD_TLDS.contains(&l) {
        Some(Tld::Word)
    } else {
        None
    }
}

/// A dotted DNS name (two or more labels of letters, digits and inner hyphens, no `_`)
/// ending in a listed TLD, that is not a public fact, an API group, a file name, or an
/// event name ending in a word TLD (`core.apply.local`).
pub fn host_name(t: &Text) -> Option<Kind> {
    let b = t.b;
    if !b.contains(&b'.') || t.ctx == Context::ApiGroup {
        return None;
    }
    let name_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
    let mut i = 0;
    while i < b.len() {
        let len = run_len(b, i, name_char);
        if len == 0 {
            i += 1;
            continue;
        }
        let (start, end) = (i, i + len);
        i = end;
        let lead = run_len(b, start, |c| c == b'.');
        let trail = run_back(b, end, |c| c == b'.');
        if lead + trail >= len {
            continue;
        }
        let (s, e) = (start + lead, end - trail);
        let Some(run) = b.get(s..e) else { continue };
        if run.contains(&b'_') {
            continue;
        }
        let labels: Vec<&[u8]> = run.split(|&c| c == b'.').collect();
        let valid = |l: &&[u8]| {
            !l.is_empty() && l.len() <= 63 && l.first() != Some(&b'-') && l.last() != Some(&b'-')
        };
        let Some(last) = labels.last() else { continue };
        if labels.len() < 2
            || !labels.iter().all(valid)
            || !last.iter().all(u8::is_ascii_alphabetic)
        {
            continue;
        }
        let Some(kind) = tld(last) else { continue };
        if public::host(run)
            || public::api_group_at(b, e)
            || public::file_name(&labels)
            || public::in_relative_path(b, s)
        {
            continue;
        }
        if kind == Tld::Word {
            let first = labels
                .first()
                .map(|l| l.to_ascii_lowercase())
                .unwrap_or_default();
            if public::EVENT_PREFIXES
                .iter()
                .any(|p| p.as_bytes() == first.as_slice())
            {
                continue;
            }
        }
        return Some(Kind::HostName);
    }
    None
}

/// Ports that name a service: with one of these, even a plain word before `:` is a host.
#[rustfmt::skip]
const SERVICE_PORTS: &[u32] = &[
    111, 389, 443, 445, 636, 873, 2049, 2375, 2376, 2379, 2380, 3000, 3306, 3389, 4443,
    5000, 5001, 5432, 5672, 6379, 6443, 6444, 8000, 8080, 8081, 8200, 8443, 8500, 8888,
    9000, 9090, 9093, 9100, 9200, 9345, 9443, 10250, 10255, 11211, 27017,
];

/// `name:port` for an undotted name: `nfs01:2049`, `k3s-server:6443`, `registry:5000`.
/// The name needs two letters and a digit or hyphen, unless the port names a service or
/// the key is host-like. Not: `redis:7` (an image tag), `docker.io/x/k3s:1234` (after a
/// `/`), clock times, `file.sh:120` (dotted: a file and line; hosts are `host_name`'s).
pub fn host_port(t: &Text) -> Option<Kind> {
    let b = t.b;
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b':') {
        let digits = run_len(b, i + 1, |c| c.is_ascii_digit());
        if digits == 0 || digits > 5 {
            continue;
        }
        let after = b.get(i + 1 + digits).copied();
        if after.is_some_and(|c| {
            is_word(c)
                || c == b':'
                || c == b'.' && b.get(i + 2 + digits).is_some_and(u8::is_ascii_digit)
        }) {
            continue;
        }
        let Some(port) = b
            .get(i + 1..i + 1 + digits)
            .and_then(|p| std::str::from_utf8(p).ok())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if port == 0 || port > 65535 {
            continue;
        }
        let len = run_back(b, i, |c| {
            c.is_ascii_alphanumeric() || c == b'-' || c == b'.'
        });
        let start = i - len;
        let Some(name) = b.get(start..i) else {
            continue;
        };
        if name.is_empty()
            || name.contains(&b'.')
            || before(b, start)
                .is_some_and(|c| is_word(c) || matches!(c, b'/' | b':' | b'@' | b'_'))
        {
            continue;
        }
        let letters = name.iter().filter(|c| c.is_ascii_alphabetic()).count();
        let lower = name.to_ascii_lowercase();
        if letters < 2
            || matches!(
                lower.as_slice(),
                b"http" | b"https" | b"tcp" | b"udp" | b"ssh" | b"port" | b"ports" | b"localhost"
            )
        {
            continue;
        }
        // A one-digit "port" after a hyphenated word is a count (`single-node:3`).
        let shaped = name.iter().any(|c| c.is_ascii_digit() || *c == b'-') && digits >= 2;
        if shaped || SERVICE_PORTS.contains(&port) || t.ctx == Context::Host {
            return Some(Kind::HostPort);
        }
    }
    None
}
