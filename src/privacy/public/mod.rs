//! The documented lists of well-known public facts: data, never identifiers. Every entry is
//! something any installation shares (a default CIDR, a public registry, an API group), so
//! it tells a receiver nothing about who sent it. Addresses here; host names in `hosts.rs`;
//! words (accounts, tools, roles, refs, file names) in `words.rs`. docs/privacy.md lists them.

mod hosts;
mod words;

pub use hosts::*;
pub use words::*;

/// IPv4 networks and addresses that are defaults or well known: (address, prefix,
/// within). `within`: any address or subnet inside counts too (k3s's own ranges);
/// otherwise only the exact address or CIDR.
#[rustfmt::skip]
const V4: &[([u8; 4], Option<u8>, bool)] = &[
    ([10, 42, 0, 0], Some(16), true),      // k3s cluster-cidr (pods)
    ([10, 43, 0, 0], Some(16), true),      // k3s service-cidr (10.43.0.1 API, 10.43.0.10 DNS)
    ([10, 96, 0, 0], Some(12), false),     // Kubernetes default service CIDR
    ([10, 96, 0, 1], None, false),         // …its API service
    ([10, 96, 0, 10], None, false),        // …its DNS service
    ([10, 244, 0, 0], Some(16), false),    // kubeadm/flannel pod CIDR
    ([10, 0, 0, 0], Some(8), false),       // the RFC 1918 blocks themselves
    ([172, 16, 0, 0], Some(12), false),
    ([192, 168, 0, 0], Some(16), false),   // also Calico's default pool
    ([100, 64, 0, 0], Some(10), false),    // shared address space (CGNAT, Tailscale)
    ([172, 17, 0, 0], Some(16), false),    // Docker's default bridge
    ([172, 17, 0, 1], None, false),        // …its gateway
    ([169, 254, 0, 0], Some(16), true),    // link-local, cloud metadata 169.254.169.254
    ([224, 0, 0, 0], Some(4), true),       // multicast
    ([8, 8, 8, 8], None, false), ([8, 8, 4, 4], None, false), ([1, 1, 1, 1], None, false),
    ([1, 0, 0, 1], None, false), ([9, 9, 9, 9], None, false),
    ([149, 112, 112, 112], None, false),   // public resolvers
];

/// IPv6 networks, same meaning as [`V4`].
#[rustfmt::skip]
const V6: &[(&str, bool)] = &[
    ("::/0", false), ("fe80::/10", false), ("fc00::/7", false), ("fd00::/8", false),
    ("2001:cafe:42::/56", true),  // k3s dual-stack cluster-cidr example default
    ("2001:cafe:43::/112", true), // …and service-cidr
    ("ff00::/8", true),           // multicast
    ("2001:4860:4860::8888", false), ("2001:4860:4860::8844", false),
    ("2606:4700:4700::1111", false), ("2606:4700:4700::1001", false),
];

/// Loopback, unspecified, netmasks and the listed networks.
pub fn v4(addr: u32, prefix: Option<u8>) -> bool {
    let mask = |p: u8| {
        if p == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(p.min(32)))
        }
    };
    if addr >> 24 == 127 || (addr == 0 && prefix.is_none_or(|p| p == 0)) {
        return true;
    }
    // A netmask (`255.255.255.0`) is a shape, not a place.
    if prefix.is_none() && (!addr).wrapping_add(1) & !addr == 0 {
        return true;
    }
    V4.iter().any(|&(octets, p, within)| {
        let net = u32::from_be_bytes(octets);
        let same = addr == net && prefix == p;
        let inside = within
            && p.is_some_and(|np| (addr & mask(np)) == net && prefix.is_none_or(|q| q >= np));
        same || inside
    })
}

/// [`V6`], parsed once.
fn v6_list() -> &'static [(u128, Option<u8>, bool)] {
    static LIST: std::sync::OnceLock<Vec<(u128, Option<u8>, bool)>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        V6.iter()
            .filter_map(|&(text, within)| {
                let (a, p) = match text.split_once('/') {
                    Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
                    None => (text, None),
                };
                let net = a.parse::<std::net::Ipv6Addr>().ok()?;
                Some((u128::from(net), p, within))
            })
            .collect()
    })
}

pub fn v6(addr: u128, prefix: Option<u8>) -> bool {
    if addr <= 1 && prefix.is_none_or(|p| p == 0 || addr == 0) {
        return true; // ::, ::1, ::/0
    }
    let mask = |p: u8| {
        if p == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(p.min(128)))
        }
    };
    v6_list().iter().any(|&(net, p, within)| {
        (addr == net && prefix == p)
            || (within
                && p.is_some_and(|np| (addr & mask(np)) == net && prefix.is_none_or(|q| q >= np)))
    })
}
