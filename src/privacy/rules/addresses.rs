//! Addresses: IPv4 and IPv6 (with a `/prefix`, a network), the `ip-10-0-3-7` cloud host
//! form, MAC addresses. The public facts (`public/mod.rs`) pass: loopback, default k3s and
//! Kubernetes ranges, resolvers, netmasks.

use std::net::Ipv6Addr;

use super::prelude::*;

macro_rules! v4 {
    () => {
        r"\b{start-half}[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
    };
}
macro_rules! v6 {
    () => {
        concat!(
            r"\b{start-half}(?:",
            r"(?:[0-9A-Fa-f]{1,4}:){6}[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
            r"|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?::(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
            r"|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}",
            r"|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?",
            r")"
        )
    };
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "net.cidr4",
        kind: Kind::Cidr,
        about: "IPv4 networks (`10.10.0.0/24`), except the public ones",
        keywords: &["/"],
        pattern: concat!(v4!(), r"/[0-9]{1,2}\b{end-half}"),
        validate: Some(cidr4),
        catches: &[
            ("nfs_allowed_network", "10.10.0.0/24"),
            ("note", "clients from 192.168.20.0/24"),
        ],
        keeps: &[
            ("cluster_cidr", "10.42.0.0/16"),
            ("allowed", "0.0.0.0/0"),
            ("node_pod_cidr", "10.42.1.0/24"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.ipv4",
        kind: Kind::IpAddress,
        about: "IPv4 addresses not touching a letter, digit or `.` (and not a version's `-suffix`); a dotted quad under a version key is a version",
        keywords: &["."],
        context: When::NotIn(&[Context::Version]),
        pattern: v4!(),
        validate: Some(ipv4),
        catches: &[
            ("note", "node ready at 192.168.10.20"),
            ("address", "[192.168.56.10]"),
            ("message", "kubelet: node 10.20.30.40:10250 not ready"),
            ("", "range 10.0.0.5-10.0.0.9"),
        ],
        keeps: &[
            ("kernel", "5.15.146.1-microsoft-standard-WSL2"),
            ("kernel", "6.1.21.1-v8+"),
            ("", "v1.2.3.4"),
            ("", "1.2.3.4.5"),
            ("k3s_version", "1.2.3.4"),
            ("listen", "127.0.0.1:6443"),
            ("cluster_dns", "10.43.0.10"),
            ("netmask", "255.255.255.0"),
            ("build", "10.0.19041.1"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.ipv4-dashed",
        kind: Kind::IpAddress,
        about: "cloud host names made of an address (`ip-10-0-3-7`)",
        keywords: &["ip-"],
        pattern: r"(?i)\b{start-half}ip-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}\b{end-half}",
        validate: Some(dashed),
        catches: &[
            ("note", "ip-10-1-2-3 joined"),
            ("", "ip-172-31-44-5.eu-west-1.compute.internal"),
        ],
        keeps: &[("", "ip-127-0-0-1")],
        ..Rule::BASE
    },
    Rule {
        id: "net.cidr6",
        kind: Kind::Cidr,
        about: "IPv6 networks (`fd00:10::/64`), except the public ones",
        keywords: &["/"],
        pattern: concat!(v6!(), r"/[0-9]{1,3}\b{end-half}"),
        validate: Some(cidr6),
        catches: &[("allowed_v6", "2001:db8:1234::/48"), ("", "fd00:10::/64")],
        keeps: &[("allowed_v6", "::/0"), ("v6_cidr", "2001:cafe:42::/56")],
        ..Rule::BASE
    },
    Rule {
        id: "net.ipv6",
        kind: Kind::IpAddress,
        about: "IPv6 addresses std's parser accepts, not touching a letter or digit (`2001:db8::1`, `[fe80::1]:6443`, `::ffff:10.9.8.7`)",
        keywords: &[":"],
        pattern: v6!(),
        validate: Some(ipv6),
        catches: &[
            ("note", "listening on 2001:db8:85a3::8a2e:370:7334"),
            ("detail", "[fe80::5054:ff:fe12:3456]:6443 refused"),
            ("message", "bound ::ffff:10.9.8.7"),
        ],
        keeps: &[
            ("", "std::net::Ipv6Addr"),
            ("loopback", "::1"),
            ("time", "23:47:43.120"),
            ("bind_v6", "::"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.mac",
        kind: Kind::MacAddress,
        about: "MAC addresses with colons, dashes or dots (`52:54:00:12:34:56`, `00-1A-2B-3C-4D-5E`, `0050.5687.a1b2`)",
        keywords: &[":", "-", "."],
        pattern: r"\b{start-half}(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})\b{end-half}",
        validate: Some(mac),
        catches: &[
            ("note", "nic 52:54:00:12:34:56 up"),
            ("mac_address", "00-1A-2B-3C-4D-5E"),
            ("", "port 0050.5687.a1b2 learned"),
        ],
        keeps: &[
            ("", "ff:ff:ff:ff:ff:ff"),
            ("calver", "2024.0101.1200"),
            ("", "00:00:00:00:00:00"),
        ],
        ..Rule::BASE
    },
];

/// A dotted quad's value when each part is 0–255.
fn quad(t: &[u8]) -> Option<u32> {
    let mut addr = 0u32;
    let mut parts = 0;
    for p in t.split(|&b| b == b'.') {
        let v: u32 = std::str::from_utf8(p).ok()?.parse().ok()?;
        if v > 255 || p.is_empty() {
            return None;
        }
        addr = addr << 8 | v;
        parts += 1;
    }
    (parts == 4).then_some(addr)
}

/// Part of something longer: a version (`1.2.3.4.5`, `v1.2.3.4`, `5.15.146.1-microsoft`,
/// `6.1.21.1-v8+`) or a word.
fn longer_v4(c: &Cand) -> bool {
    let more =
        |a: Option<u8>, b: Option<u8>| a == Some(b'.') && b.is_some_and(|b| b.is_ascii_digit());
    c.before(1).is_some_and(|b| is_word(b) || b == b'.')
        || c.after(0).is_some_and(|b| is_word(b) || b == b'+')
        || more(c.after(0), c.after(1))
        || (c.after(0) == Some(b'-') && c.after(1).is_some_and(|b| b.is_ascii_alphabetic()))
}

fn ipv4(c: &Cand) -> bool {
    // A `/prefix` makes it a network: `net.cidr4` judged it.
    let prefix = c.after(0) == Some(b'/') && c.after(1).is_some_and(|b| b.is_ascii_digit());
    !prefix && !longer_v4(c) && quad(c.text()).is_some_and(|a| !public::v4(a, None))
}

fn cidr4(c: &Cand) -> bool {
    let t = c.text();
    let Some(slash) = t.iter().position(|&b| b == b'/') else {
        return false;
    };
    let addr = quad(t.get(..slash).unwrap_or_default());
    let bits: Option<u8> = std::str::from_utf8(t.get(slash + 1..).unwrap_or_default())
        .ok()
        .and_then(|p| p.parse().ok())
        .filter(|&p| p <= 32);
    let shell = Cand {
        end: c.start + slash,
        ..*c
    };
    match (addr, bits) {
        (Some(a), Some(p)) => !longer_v4(&shell) && !public::v4(a, Some(p)),
        _ => false,
    }
}

fn dashed(c: &Cand) -> bool {
    let t = c.text();
    let dotted: Vec<u8> = t
        .get(3..)
        .unwrap_or_default()
        .iter()
        .map(|&b| if b == b'-' { b'.' } else { b })
        .collect();
    quad(&dotted).is_some_and(|a| !public::v4(a, None)) && c.after(0) != Some(b'-')
}

/// The address and prefix of an IPv6 candidate, when std parses it; not part of a longer
/// run of hex digits and colons.
fn v6_of(c: &Cand) -> Option<(u128, Option<u8>)> {
    let t = std::str::from_utf8(c.text()).ok()?;
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok().filter(|&p| p <= 128)?)),
        None => (t, None),
    };
    if addr.matches(':').count() < 2
        || c.before(1)
            .is_some_and(|b| is_word(b) || b == b':' || b == b'.')
        || (c.after(0) == Some(b':') && c.after(1).is_some_and(|b| b.is_ascii_hexdigit()))
        || (c.after(0) == Some(b'.') && c.after(1).is_some_and(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let ip = addr.parse::<Ipv6Addr>().ok()?;
    Some((u128::from(ip), prefix))
}

fn public_v6(addr: u128, prefix: Option<u8>) -> bool {
    let ip = Ipv6Addr::from(addr);
    public::v6(addr, prefix)
        || (prefix.is_none()
            && ip
                .to_ipv4_mapped()
                .is_some_and(|v4| public::v4(u32::from(v4), None)))
}

fn ipv6(c: &Cand) -> bool {
    let prefix = c.after(0) == Some(b'/') && c.after(1).is_some_and(|b| b.is_ascii_digit());
    !prefix && v6_of(c).is_some_and(|(a, _)| !public_v6(a, None))
}

fn cidr6(c: &Cand) -> bool {
    v6_of(c).is_some_and(|(a, p)| p.is_some() && !public_v6(a, p))
}

/// Not all zeros or all ones (a placeholder or broadcast), not part of a longer run; the
/// dotted form needs a hex letter (`2024.0101.1200` is a number).
fn mac(c: &Cand) -> bool {
    let t = c.text();
    let sep = |b: Option<u8>| matches!(b, Some(b':' | b'-' | b'.'));
    let dotted = t.get(4) == Some(&b'.');
    let longer =
        sep(c.before(1)) || (sep(c.after(0)) && c.after(1).is_some_and(|b| b.is_ascii_hexdigit()));
    !longer
        && t.iter()
            .any(|&b| b.is_ascii_hexdigit() && b != b'0' && !b.eq_ignore_ascii_case(&b'f'))
        && (!dotted || t.iter().any(u8::is_ascii_alphabetic))
}
