//! People and the machines they reach: `user@host` (e-mail, SSH target), and single words
//! that stand as a host or user because their key says so.

use super::context::Context;
use super::network;
use super::public;
use super::rules::{Kind, Text};
use super::text::{before, placeholder, run_back, run_len};

/// `user@host`: an e-mail address when the host is a dotted name with a letters-only last
/// label (and no `:` follows), else an SSH target. Not: `@scope` (no user), versions
/// (`pkg@1.2.3`, `action@v4`, `k3s@v1.30`), digests (`image@sha256:…`), refs
/// (`owner/repo@main`), systemd units (`getty@tty1.service`).
pub fn at_sign(t: &Text) -> Option<Kind> {
    let b = t.b;
    let local_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
    let host_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'@') {
        let local_len = run_back(b, i, local_char);
        let j = i - local_len;
        let host_len = run_len(b, i + 1, host_char);
        let k = i + 1 + host_len;
        let (Some(local), Some(host)) = (b.get(j..i), b.get(i + 1..k)) else {
            continue;
        };
        let host = host.strip_suffix(b".").unwrap_or(host);
        if local.is_empty() || !host.first().is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let lower = host.to_ascii_lowercase();
        let version = lower.strip_prefix(b"v").unwrap_or(&lower);
        let is_ip =
            std::str::from_utf8(host).is_ok_and(|h| h.parse::<std::net::Ipv4Addr>().is_ok());
        let numeric = version.iter().all(|&c| c.is_ascii_digit() || c == b'.');
        let next = b.get(k).copied();
        let digest = next == Some(b':')
            && matches!(
                lower.as_slice(),
                b"sha1" | b"sha256" | b"sha384" | b"sha512" | b"md5"
            );
        let unit = lower.rsplit(|&c| c == b'.').next().is_some_and(|s| {
            lower.contains(&b'.') && public::UNIT_SUFFIXES.iter().any(|u| u.as_bytes() == s)
        });
        let reference = before(b, j) == Some(b'/')
            || public::REFS
                .iter()
                .any(|r| r.as_bytes() == lower.as_slice());
        if (numeric && !is_ip) || digest || unit || reference {
            continue;
        }
        let last = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
        let dotted =
            host.contains(&b'.') && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic);
        if dotted && next != Some(b':') {
            // Bot and no-reply addresses of public forges name nobody.
            let noreply =
                lower.ends_with(b"noreply.github.com") || lower.ends_with(b"noreply.gitlab.com");
            if noreply {
                continue;
            }
            return Some(Kind::Email);
        }
        return Some(Kind::SshTarget);
    }
    None
}

/// A single word (no whitespace, two characters or more) that is not a placeholder.
fn lone_word<'a>(t: &Text<'a>) -> Option<&'a str> {
    let v = t.s.trim();
    if v.len() < 2 || v.bytes().any(|c| c.is_ascii_whitespace()) || placeholder(v) {
        return None;
    }
    // Numbers and versions are counts or releases, not names.
    if v.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'v' | b'V'))
    {
        return None;
    }
    Some(v)
}

/// Roles and modes that sit under host-like keys without naming a machine.
#[rustfmt::skip]
const HOST_WORDS: &[&str] = &[
    "server", "agent", "worker", "master", "control-plane", "controlplane", "etcd",
    "primary", "secondary", "leader", "follower", "single", "single-node", "multi-node",
    "ha", "first", "remote", "static", "contract", "live", "vm", "docker", "container",
    "multipass", "lxd", "aws", "gcp", "azure", "onprem", "on-prem", "bare-metal",
    "baremetal", "cloud", "edge", "ec2", "kind", "k3d", "minikube", "host", "hostname",
    "ip", "fqdn", "internal", "external", "public", "private", "cluster", "node",
    "coredns", "traefik", "nginx", "ingress-nginx", "direct",
    // `uname -m` under `machine`
    "x86_64", "amd64", "arm64", "aarch64", "armv7l", "armhf", "i686", "riscv64", "s390x",
    "ppc64le",
];

/// A single word under a host-like key (`"bastion": "jump01"`, `nodes: ["web-1"]`).
pub fn host_by_key(t: &Text) -> Option<Kind> {
    if t.ctx != Context::Host {
        return None;
    }
    let v = lone_word(t)?;
    let l = v.to_ascii_lowercase();
    // A URL or path under a host key is judged by the URL and path rules.
    if v.contains('/')
        || HOST_WORDS.contains(&l.as_str())
        || network::public_host_or_address(l.as_bytes())
    {
        return None;
    }
    Some(Kind::HostByKey)
}

/// Accounts every image of a distribution or cloud has: they name nobody.
#[rustfmt::skip]
const DEFAULT_ACCOUNTS: &[&str] = &[
    "root", "ubuntu", "debian", "ec2-user", "centos", "fedora", "admin", "administrator",
    "azureuser", "cloud-user", "core", "vagrant", "opc", "rocky", "alma", "almalinux",
    "alpine", "arch", "nobody", "runner", "git", "www-data", "k3s", "system", "daemon",
    "github-actions", "dependabot", "renovate", "bot", "ci", "jenkins", "gitlab-runner",
];

/// A single word under a user-like key (`"remote_user": "jdoe"`), except default accounts.
pub fn user_by_key(t: &Text) -> Option<Kind> {
    if t.ctx != Context::User {
        return None;
    }
    let v = lone_word(t)?;
    let l = v.to_ascii_lowercase();
    // An address under a user key is the `user@host` rule's to judge.
    if DEFAULT_ACCOUNTS.contains(&l.as_str()) || l.contains("[bot]") || l.contains('@') {
        return None;
    }
    Some(Kind::UserByKey)
}
