//! Host names: dotted names ending in a real top-level domain, `name:port`, and single
//! words that stand as a host or a person because their own key says so.

use super::prelude::*;
use public::Tld;

pub const RULES: &[Rule] = &[
    Rule {
        id: "host.port",
        kind: Kind::HostPort,
        about: "an undotted `name:port` whose name has a digit or hyphen (`nfs01:2049`, `k3s-server:6443`) or whose port names a service (`registry:5000`); any name under a host key",
        keywords: &[":"],
        pattern: r"\b{start-half}[A-Za-z0-9][A-Za-z0-9-]*:[0-9]{1,5}",
        validate: Some(host_port),
        catches: &[
            ("note", "registry at nexus01:8081 unreachable"),
            ("mirror", "registry:5000"),
            ("message", "etcd peer etcd-2:2380 lost"),
        ],
        keeps: &[
            ("image", "redis:7"),
            ("image", "nginx:1.25-alpine"),
            ("", "docker.io/x/k3s:1234"),
            ("", "apply.sh:120"),
            ("offset", "UTC+02:00"),
            ("", "single-node:3"),
            ("note", "timeout:300 retries:3"),
            ("image", "rancher/mirrored-pause:3.6"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "host.name",
        kind: Kind::HostName,
        about: "dotted host names ending in a real top-level domain; not public hosts, API groups (`group.io/v1`), files (`values.dev`, `Docker.app`), event names (`core.apply.local`), packages (`containerd.io=1.6.28-1`)",
        keywords: &["."],
        context: When::NotIn(&[Context::ApiGroup]),
        pattern: r"(?i)\b{start-half}[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*\.[a-z]{2,24}\b{end-half}",
        validate: Some(host_name),
        catches: &[
            ("base_domain", "k8s.acme-corp.com"),
            ("note", "mounted from nas01.lan"),
            ("detail", "vault.service.consul unreachable"),
            ("image", "registry.acme.io/platform/api:1.4.2"),
            ("", "see nfs.corp.internal."),
            ("", "grafana.lab"),
        ],
        keeps: &[
            ("event", "core.apply.local"),
            ("phase", "infra.smoke.test"),
            ("", "README.md"),
            ("", "docker/Dockerfile.dev"),
            ("", "charts/app/values.local"),
            ("", "node-role.kubernetes.io/control-plane"),
            ("", "apt install containerd.io=1.6.28-1"),
            ("", "Docker.app"),
            ("", "traefik.containo.us/v1alpha1"),
            ("apiVersion", "example.acme.com/v1"),
            ("", "dns: cluster.local"),
            ("", "io.containerd.runc.v2"),
            ("", "k3s.info"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "host.by-key",
        kind: Kind::HostByKey,
        about: "a single host-shaped word under a host key (`hostname`, `node`, `server`, `bastion`, `vm_name`, `*_host`, items of `nodes`), except roles, runtimes and default node names",
        scope: Scope::Value,
        context: When::In(&[Context::Host]),
        validate: Some(host_by_key),
        catches: &[
            ("hostname", "lab-node-07"),
            ("bastion", "jump01"),
            ("server", "mercury"),
            ("nodes", "web-01"),
        ],
        keeps: &[
            ("node", "server"),
            ("machine", "x86_64"),
            ("hostname", "kind-control-plane"),
            ("server", "https://get.k3s.io"),
            ("bastion", "none"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "user.by-key",
        kind: Kind::UserByKey,
        about: "a person under a user key (`user`, `remote_user`, `owner`, `author`, `created_by`): one word, or a capitalised name; not default accounts, tools or bots",
        scope: Scope::Value,
        context: When::In(&[Context::User]),
        validate: Some(user_by_key),
        catches: &[
            ("remote_user", "jdoe"),
            ("owner", "alice.smith"),
            ("created_by", "jane_doe"),
            ("author", "Jane Doe"),
        ],
        keeps: &[
            ("remote_user", "ubuntu"),
            ("owner", "root"),
            ("instanceCreator", "vclusterctl"),
            ("managed_by", "Helm"),
            ("actor", "github-actions[bot]"),
            ("author", "The Kubernetes Authors"),
        ],
        ..Rule::BASE
    },
];

/// Ports that name a service: with one of these, even a plain word before `:` is a host.
#[rustfmt::skip]
const SERVICE_PORTS: &[u32] = &[
    111, 389, 443, 445, 636, 873, 2049, 2375, 2376, 2379, 2380, 3000, 3306, 3389, 4443,
    5000, 5001, 5432, 5672, 6379, 6443, 6444, 8000, 8080, 8081, 8200, 8443, 8500, 8888,
    9000, 9090, 9093, 9100, 9200, 9345, 9443, 10250, 10255, 11211, 27017,
];

fn host_port(c: &Cand) -> bool {
    let t = c.text();
    let Some(colon) = t.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = t.get(..colon).unwrap_or_default();
    let digits = t.get(colon + 1..).unwrap_or_default();
    let port: u32 = std::str::from_utf8(digits)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let longer = c.after(0).is_some_and(|b| is_word(b) || b == b':')
        || (c.after(0) == Some(b'.') && c.after(1).is_some_and(|b| b.is_ascii_digit()));
    let inside = c
        .before(1)
        .is_some_and(|b| is_word(b) || matches!(b, b'/' | b':' | b'@' | b'_' | b'.' | b'-'));
    let letters = name.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let protocol = one_of(
        name,
        &[
            "http",
            "https",
            "tcp",
            "udp",
            "ssh",
            "port",
            "ports",
            "localhost",
        ],
    );
    if longer || inside || port == 0 || port > 65535 || letters < 2 || protocol {
        return false;
    }
    // A one-digit "port" after a hyphenated word is a count (`single-node:3`).
    let shaped = name.iter().any(|b| b.is_ascii_digit() || *b == b'-') && digits.len() >= 2;
    shaped || SERVICE_PORTS.contains(&port) || c.ctx == Context::Host
}

fn host_name(c: &Cand) -> bool {
    let t = c.text();
    let labels: Vec<&[u8]> = t.split(|&b| b == b'.').collect();
    let Some(last) = labels.last() else {
        return false;
    };
    let Some(kind) = public::tld(last) else {
        return false;
    };
    let first = labels.first().copied().unwrap_or_default();
    let continues =
        c.after(0) == Some(b'.') && c.after(1).is_some_and(|b| b.is_ascii_alphanumeric());
    let inside = c
        .before(1)
        .is_some_and(|b| matches!(b, b'.' | b'-' | b'_' | b'@'));
    // `containerd.io=1.6.28-1`: an apt or pip pin of a package, not a host.
    let pinned = matches!(c.after(0), Some(b'=')) && c.after(1).is_some_and(|b| b.is_ascii_digit());
    // `Docker.app`, `Info.plist`-like names: hosts are written in lower case.
    let titled = kind == Tld::Word && t.iter().any(u8::is_ascii_uppercase);
    // `io.containerd.runc.v2`, `com.docker.service`: reverse-DNS identifiers.
    let reversed = labels.len() > 2 && public::tld(first) == Some(Tld::Strong);
    let event = kind == Tld::Word && one_of(first, public::EVENT_PREFIXES);
    !(continues
        || inside
        || pinned
        || titled
        || reversed
        || event
        || labels
            .iter()
            .any(|l| l.len() > 63 || l.last() == Some(&b'-'))
        || public::host(t)
        || public::api_group_at(c.ahead(16))
        || public::file_name(&labels)
        || public::in_relative_path(c.behind(256)))
}

/// A value that is a number or version: a count or a release, not a name.
fn numeric(v: &[u8]) -> bool {
    v.iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'v' | b'V'))
}

/// Default names of local clusters' nodes, the same on every machine.
#[rustfmt::skip]
const DEFAULT_NODES: &[&str] = &[
    "kind-control-plane", "kind-worker", "kind-worker2", "docker-desktop", "minikube",
    "rancher-desktop", "lima-rancher-desktop", "orbstack", "colima", "k3d-k3s-default-server-0",
    "k3d-k3s-default-agent-0", "multipass", "primary",
];

fn host_by_key(c: &Cand) -> bool {
    let v = c.text();
    let name_char = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.');
    let l = lower(v);
    v.len() >= 2
        && v.iter().all(name_char)
        && v.first().is_some_and(u8::is_ascii_alphanumeric)
        && !numeric(v)
        && !std::str::from_utf8(v).is_ok_and(placeholder)
        && !one_of(&l, public::HOST_WORDS)
        && !one_of(&l, DEFAULT_NODES)
        && !public::host(v)
        && !(l.ends_with(b"ctl")
            || l.ends_with(b"-controller")
            || l.ends_with(b"-operator")
            || l.ends_with(b"-manager"))
}

/// Words in a name that make it a group or project, not a person.
#[rustfmt::skip]
const GROUP_WORDS: &[&str] = &[
    "the", "authors", "author", "team", "contributors", "project", "inc", "inc.", "ltd",
    "llc", "gmbh", "foundation", "community", "maintainers", "developers", "org", "corp",
    "group", "bot", "actions", "ci", "automation", "service", "system", "users",
];

fn user_by_key(c: &Cand) -> bool {
    let v = c.text();
    let Ok(text) = std::str::from_utf8(v) else {
        return false;
    };
    if placeholder(text) || numeric(v) || v.len() < 2 || v.len() > 64 {
        return false;
    }
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        [one] => {
            one.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                && !one.contains("..")
                && !one_of(one.as_bytes(), public::DEFAULT_ACCOUNTS)
                && !public::tool_like(one.as_bytes())
        }
        // `Jane Doe`, `Jean-Luc Picard`: capitalised words of letters.
        names if names.len() <= 3 => names.iter().all(|w| {
            w.len() >= 2
                && w.starts_with(|ch: char| ch.is_ascii_uppercase())
                && w.bytes()
                    .skip(1)
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'\'')
                && !one_of(w.as_bytes(), GROUP_WORDS)
        }),
        _ => false,
    }
}
