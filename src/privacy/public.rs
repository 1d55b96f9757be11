//! The documented list of well-known public facts: data, never identifiers. Every entry is
//! something any installation shares (a default CIDR, a public registry, an API group), so
//! it tells a receiver nothing about who sent it. Extend the lists here and in docs/privacy.md.

use super::text::{is_word, run_back};

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

/// Public registries, release and documentation hosts (and their subdomains).
#[rustfmt::skip]
pub const HOSTS: &[&str] = &[
    // registries
    "docker.io", "docker.com", "ghcr.io", "quay.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io",
    "public.ecr.aws", "mcr.microsoft.com", "registry.gitlab.com", "docker.elastic.co",
    "nvcr.io", "registry.suse.com", "registry.rancher.com", "cgr.dev", "lscr.io",
    // projects, releases, documentation
    "kubernetes.io", "k8s.io", "x-k8s.io", "k3s.io", "rancher.io", "rancher.com", "cattle.io",
    "traefik.io", "containo.us", "github.com", "githubusercontent.com", "github.io",
    "gitlab.com", "cncf.io", "cert-manager.io", "jetstack.io", "longhorn.io", "metallb.io",
    "helm.sh", "letsencrypt.org", "ubuntu.com", "canonical.com", "debian.org", "fedoraproject.org",
    "alpinelinux.org", "kernel.org", "pypi.org", "npmjs.org", "npmjs.com", "crates.io",
    "golang.org", "go.dev", "hashicorp.com", "opentofu.org", "terraform.io", "multipass.run",
    "snapcraft.io", "prometheus.io", "grafana.com", "argoproj.io", "fluxcd.io", "istio.io",
    "cilium.io", "tigera.io", "projectcalico.org", "min.io", "coreos.com", "etcd.io",
    "sigstore.dev", "productive-k3s.io", "schema.org", "json-schema.org", "w3.org",
];

/// Names that resolve inside a cluster or container runtime, the same in every install.
#[rustfmt::skip]
const CLUSTER_SUFFIXES: &[&str] = &[
    "svc", "svc.cluster.local", "cluster.local", "pod.cluster.local", "docker.internal",
    "k3d.internal", "containers.internal", "minikube.internal", "lima.internal",
    "rancher-desktop.internal", "orb.internal", "kubernetes.default",
];

/// Exact cluster-internal or metadata names.
#[rustfmt::skip]
const CLUSTER_NAMES: &[&str] = &[
    "metadata.google.internal", "kubernetes.default", "kubernetes.default.svc",
    "host.docker.internal", "gateway.docker.internal", "localhost.localdomain",
];

fn ends_with_label(host: &[u8], suffix: &[u8]) -> bool {
    host.len() >= suffix.len()
        && host
            .get(host.len() - suffix.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(suffix))
        && (host.len() == suffix.len() || host.get(host.len() - suffix.len() - 1) == Some(&b'.'))
}

/// A public host (registry, release, documentation) or one of its subdomains.
pub fn host(host: &[u8]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    HOSTS.iter().any(|d| ends_with_label(host, d.as_bytes()))
        || CLUSTER_NAMES.iter().any(|d| host.eq_ignore_ascii_case(d.as_bytes()))
        || CLUSTER_SUFFIXES.iter().any(|d| ends_with_label(host, d.as_bytes()))
        || host.eq_ignore_ascii_case(b"localhost")
        || ends_with_label(host, b"localhost")
        // `host.<runtime>.internal`, `gateway.<runtime>.internal`: runtime aliases.
        || ((host.len() > 5 && host.get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"host.")))
            || (host.len() > 8 && host.get(..8).is_some_and(|p| p.eq_ignore_ascii_case(b"gateway."))))
            && ends_with_label(host, b"internal")
            && host.iter().filter(|&&c| c == b'.').count() == 2
}

/// A dotted name right before `/v1`, `/v1beta1`, `/v2alpha3`: a Kubernetes API group.
pub fn api_group_at(b: &[u8], end: usize) -> bool {
    let Some(rest) = b.get(end..) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"/v") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    let mut tail = rest.get(digits..).unwrap_or_default();
    for stage in [&b"alpha"[..], b"beta"] {
        if let Some(t) = tail.strip_prefix(stage) {
            let d = t.iter().take_while(|c| c.is_ascii_digit()).count();
            tail = t.get(d..).unwrap_or_default();
        }
    }
    !tail.first().is_some_and(|&c| is_word(c))
}

/// Git refs and channels after `@` (`owner/repo@main`), not hosts.
#[rustfmt::skip]
pub const REFS: &[&str] = &[
    "main", "master", "latest", "stable", "head", "next", "nightly", "edge", "trunk",
    "develop", "development", "release", "beta", "alpha", "canary", "lts", "current",
];

/// systemd unit suffixes: `getty@tty1.service` is a unit, not a user at a host.
#[rustfmt::skip]
pub const UNIT_SUFFIXES: &[&str] = &[
    "service", "socket", "timer", "mount", "automount", "target", "path", "slice", "scope",
    "device", "swap",
];

/// Build and config file stems: `Dockerfile.dev`, `values.local`, `.env.test` are files.
#[rustfmt::skip]
const FILE_STEMS: &[&str] = &[
    "dockerfile", "containerfile", "makefile", "vagrantfile", "jenkinsfile", "procfile",
    "caddyfile", "tiltfile", "earthfile", "justfile", "gemfile", "brewfile", "taskfile",
    "readme", "changelog", "license", "values", "docker-compose", "compose", "env",
    "config", "settings", "kustomization", "chart", "main", "variables", "outputs",
    "inventory", "playbook", "site", "vars", "secrets", "app", "application", "test",
    "tests", "spec", "setup", "package", "requirements", "index", "manifest", "cluster",
    "terraform", "providers", "backend", "override", "local", "dev", "prod", "staging",
];

/// A two-label name whose first label is a file stem: a file name with an extension.
pub fn file_name(labels: &[&[u8]]) -> bool {
    labels.len() == 2
        && labels.first().is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            FILE_STEMS.iter().any(|s| s.as_bytes() == l.as_slice())
        })
}

/// A dotted run right after a `/` (`docker/Dockerfile.dev`, `charts/app/values.local`)
/// is a file in a relative path: the path before it starts with a name, not `/` or `//`.
pub fn in_relative_path(b: &[u8], start: usize) -> bool {
    if start == 0 || b.get(start - 1) != Some(&b'/') {
        return false;
    }
    let seg = run_back(b, start - 1, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/')
    });
    let from = start - 1 - seg;
    seg > 0
        && b.get(from) != Some(&b'/')
        && from.checked_sub(1).and_then(|j| b.get(j)) != Some(&b':')
}

/// AWS accounts that publish public images (Canonical, Amazon, Debian, RHEL…): an owner
/// filter in a data source names the image's publisher, not the user.
#[rustfmt::skip]
pub const AWS_PUBLISHERS: &[&str] = &[
    "099720109477", "137112412989", "136693071363", "309956199498", "125523088429",
    "679593333241", "amazon",
];

/// First labels of dotted words that are event names, not hosts (`core.apply.local`).
#[rustfmt::skip]
pub const EVENT_PREFIXES: &[&str] = &[
    "core", "infra", "cli", "addons", "addon", "stack", "bootstrap", "apply", "install",
    "usage", "telemetry", "pk3s", "productive_k3s", "ci", "e2e", "test", "tests", "smoke",
];
