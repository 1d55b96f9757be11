//! People and the machines they reach: URLs, e-mail addresses, `user@host`, UNC shares,
//! `DOMAIN\user`, `USER=…`.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::prelude::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "net.url-credentials",
        kind: Kind::UrlWithCredentials,
        about: "a URL with `user@` or `user:password@` in its authority, whatever the host",
        scope: Scope::Raw,
        keywords: &["://"],
        pattern: r"(?i)\b{start-half}[a-z][a-z0-9+.-]{0,30}://[^\s/?#@\x22'<>\\]+@",
        catches: &[
            (
                "registry_mirror",
                "https://deploy:s3cret@registry.lab.example.com",
            ),
            ("note", "pulled via https://bot@ghcr.io/acme/app"),
        ],
        keeps: &[
            (
                "",
                "https://github.com/k3s-io/k3s/releases/tag/v1.30.1%2Bk3s1",
            ),
            ("", "mailto:ops"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.email",
        kind: Kind::Email,
        about: "e-mail addresses (a dotted domain with a real top-level label); not `icon@2x.png`, units, forge no-reply addresses",
        scope: Scope::Raw,
        keywords: &["@"],
        pattern: r"\b{start-half}[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b{end-half}",
        validate: Some(email),
        catches: &[
            ("contact", "ops@acme-corp.com"),
            ("maintainer", "Max Mustermann <max@mustermann.dev>"),
            (
                "",
                "see https://github.com/issues?author=jane.doe@example.org",
            ),
        ],
        keeps: &[
            ("", "icon@2x.png"),
            ("", "getty@tty1.service"),
            (
                "committer",
                "41898282+github-actions[bot]@users.noreply.github.com",
            ),
            ("", "actions/checkout@v4"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.url",
        kind: Kind::Url,
        about: "a URL whose host is not a public fact: private names, addresses, numeric hosts (`http://167772165/`, `http://0xa010203/`), `file://`; a public URL is hidden from the later rules, path included",
        keywords: &["://"],
        pattern: r"(?i)\b{start-half}[a-z][a-z0-9+.-]{0,30}://[^\s\x22'<>\\]*",
        validate: Some(private_url),
        blanks: true,
        catches: &[
            ("agent_server_url", "https://10.0.0.5:6443"),
            ("registry_url", "http://registry:5000/v2/"),
            ("backup_target", "s3://acme-k3s-backups/etcd"),
            ("", "http://167772165:8080/"),
            ("", "http://0xa010203/"),
            ("", "see file:///srv/acme/kubeconfig"),
        ],
        keeps: &[
            ("install_url", "https://get.k3s.io"),
            ("repo", "https://pkgs.k8s.io/core:/stable:/v1.29/deb/"),
            (
                "chart",
                "https://%{KUBERNETES_API}%/static/charts/traefik-27.0.201+up27.0.2.tgz",
            ),
            ("repo", "https://charts.bitnami.com/bitnami"),
            (
                "",
                "https://storage.googleapis.com/kubernetes-release/release/stable.txt",
            ),
            ("runtime", "containerd://1.7.11-k3s2"),
            ("socket", "unix:///run/k3s/containerd/containerd.sock"),
            ("listen", "https://127.0.0.1:6443"),
            (
                "chart",
                "oci://registry-1.docker.io/bitnamicharts/postgresql",
            ),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.ssh-target",
        kind: Kind::SshTarget,
        about: "`user@host` that is not an e-mail address: SSH and scp targets (`deploy@nfs01`, `git@host:org/repo`); not versions, digests, refs, units, `@scope/pkg`",
        keywords: &["@"],
        pattern: r"[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*",
        validate: Some(ssh_target),
        catches: &[
            ("note", "ssh deploy@nfs01 failed"),
            ("target", "ubuntu@10.0.0.12"),
            ("detail", "git@gitlab.acme.io:infra/cluster.git"),
        ],
        keeps: &[
            ("", "owner/repo@main"),
            ("", "k3s@v1.30"),
            ("", "pkg@1.2.3"),
            ("", "@scope/pkg"),
            ("", "nginx@sha256:abcdef"),
            ("", "systemctl status k3s@agent.service"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.unc",
        kind: Kind::UncPath,
        about: "UNC shares: `\\\\server\\share`, `//server/share`",
        keywords: &["\\", "/"],
        lead: r"[\s=\x22'(\[,;]",
        pattern: r"(?:\\\\[A-Za-z0-9?.][^\\\s\x22']*\\[^\\\s\x22']+|//[A-Za-z0-9][A-Za-z0-9.-]*/[A-Za-z0-9$._-]+)",
        catches: &[
            ("share", "\\\\fileserver01\\k3s-backups"),
            ("note", "mounted //nas01/k3s-backups"),
        ],
        keeps: &[("", "https://github.com/x/y"), ("", "a//b")],
        ..Rule::BASE
    },
    Rule {
        id: "net.domain-account",
        kind: Kind::DomainAccount,
        about: "Windows `DOMAIN\\user` accounts (an upper-case NetBIOS domain)",
        keywords: &["\\"],
        pattern: r"\b{start-half}[A-Z][A-Z0-9_-]{1,14}\\[A-Za-z][A-Za-z0-9._-]{1,63}",
        validate: Some(domain_account),
        catches: &[("", "installed by ACME\\jdoe")],
        keeps: &[
            ("", "NT AUTHORITY\\SYSTEM"),
            ("", "BUILTIN\\Administrators"),
            ("", "scripts\\apply.ps1"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "net.user-assignment",
        kind: Kind::UserByKey,
        about: "`SUDO_USER=alice`, `USER=…`, `--ssh-user …` in text (not default accounts or tools)",
        keywords: &["user", "logname", "login"],
        pattern: r"(?i)(?:\b{start-half}(?:sudo_user|user|logname|username|user_name|ansible_user|remote_user|ssh_user|login)\s*=\s*|--(?:ssh-|remote-)?user(?:name)?[= ])[A-Za-z0-9._-]{2,}",
        validate: Some(user_assignment),
        catches: &[("", "SUDO_USER=alice"), ("", "ran with --ssh-user jdoe")],
        keeps: &[("", "USER=root"), ("", "user=ubuntu"), ("", "USER=${USER}")],
        ..Rule::BASE
    },
];

/// A real mail domain: its last label is not a file extension or a unit, and not a
/// forge's no-reply address. A `:` after it makes it an scp target (`net.ssh-target`).
fn email(c: &Cand) -> bool {
    let t = c.text();
    let domain = t.rsplit(|&b| b == b'@').next().unwrap_or_default();
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    let l = lower(domain);
    !one_of(tld, public::FILE_EXTENSIONS)
        && !one_of(tld, public::UNIT_SUFFIXES)
        && !l.ends_with(b"noreply.github.com")
        && !l.ends_with(b"noreply.gitlab.com")
        && c.after(0) != Some(b':')
        && c.before(1) != Some(b'/')
}

/// The host of a URL's authority: `[v6]:port` → `v6`, `user@name:port` → `name`.
fn url_host(url: &[u8]) -> (&[u8], &[u8]) {
    let Some(at) = url.windows(3).position(|w| w == b"://") else {
        return (b"", b"");
    };
    let scheme = url.get(..at).unwrap_or_default();
    let rest = url.get(at + 3..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let authority = match authority.iter().rposition(|&b| b == b'@') {
        Some(i) => authority.get(i + 1..).unwrap_or_default(),
        None => authority,
    };
    if let Some(v6) = authority.strip_prefix(b"[") {
        let close = v6.iter().position(|&b| b == b']').unwrap_or(v6.len());
        return (scheme, v6.get(..close).unwrap_or_default());
    }
    let host = match authority.iter().rposition(|&b| b == b':') {
        Some(i)
            if authority
                .get(i + 1..)
                .is_some_and(|p| p.iter().all(u8::is_ascii_digit)) =>
        {
            authority.get(..i).unwrap_or_default()
        }
        _ => authority,
    };
    (scheme, host)
}

/// An address written as one number (`167772165`), in hex (`0xa010203`) or with octal or
/// hex parts (`012.0.0.1`): what `inet_aton` accepts. `None` when it is not one.
fn numeric_host(h: &[u8]) -> Option<u32> {
    let parse = |p: &[u8]| -> Option<u64> {
        let s = std::str::from_utf8(p).ok()?;
        if let Some(x) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            u64::from_str_radix(x, 16).ok()
        } else if s.len() > 1 && s.starts_with('0') {
            u64::from_str_radix(s, 8).ok()
        } else {
            s.parse().ok()
        }
    };
    let parts: Vec<u64> = h
        .split(|&b| b == b'.')
        .map(parse)
        .collect::<Option<Vec<u64>>>()?;
    let value = match parts.as_slice() {
        [a] => *a,
        [a, b] => (a << 24) | b,
        [a, b, c] => (a << 24) | (b << 16) | c,
        [a, b, c, d] => (a << 24) | (b << 16) | (c << 8) | d,
        _ => return None,
    };
    u32::try_from(value).ok()
}

/// Whether a URL's host identifies something: not public, not loopback, not a template
/// (`%{KUBERNETES_API}%`), not a runtime's version (`containerd://1.7.11-k3s2`).
fn private_url(c: &Cand) -> bool {
    let (scheme, host) = url_host(c.text());
    if scheme.eq_ignore_ascii_case(b"file") {
        return true;
    }
    if host.is_empty()
        || host
            .iter()
            .any(|b| matches!(b, b'%' | b'{' | b'}' | b'$' | b'<' | b'>'))
    {
        return false;
    }
    if let Ok(text) = std::str::from_utf8(host) {
        if let Ok(v4) = text.parse::<Ipv4Addr>() {
            return !public::v4(u32::from(v4), None);
        }
        if let Ok(v6) = text
            .split('%')
            .next()
            .unwrap_or_default()
            .parse::<Ipv6Addr>()
        {
            return !public::v6(u128::from(v6), None);
        }
    }
    let numeric = host
        .iter()
        .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b'x' | b'X'))
        && host.first().is_some_and(u8::is_ascii_digit);
    if numeric {
        // `docker://24.0.7`: a version has dots and decimal parts that do not make an
        // address; `167772165` or `0xa010203` do.
        let dotted_version = host.contains(&b'.')
            && !host.iter().any(|b| matches!(b, b'x' | b'X'))
            && host.split(|&b| b == b'.').count() != 4;
        return match numeric_host(host) {
            Some(addr) if !dotted_version => !public::v4(addr, None),
            _ => false,
        };
    }
    // `containerd://1.7.11-k3s2`: a runtime and its version (a host ends in letters).
    let last = host.rsplit(|&b| b == b'.').next().unwrap_or_default();
    if host.first().is_some_and(u8::is_ascii_digit) && last.first().is_some_and(u8::is_ascii_digit)
    {
        return false;
    }
    !public::host(host)
}

/// `user@host` that no other rule explains: not a version (`pkg@1.2.3`, `k3s@v1.30`), a
/// digest (`image@sha256:…`), a ref (`owner/repo@main`), a systemd unit, or an e-mail
/// address (whose rule runs first, on the string as given).
fn ssh_target(c: &Cand) -> bool {
    let t = c.text();
    let Some(at) = t.iter().position(|&b| b == b'@') else {
        return false;
    };
    let local = t.get(..at).unwrap_or_default();
    let host = t.get(at + 1..).unwrap_or_default();
    let host = host.strip_suffix(b".").unwrap_or(host);
    if local.is_empty() || c.before(1) == Some(b'/') || c.before(1).is_some_and(is_word) {
        return false;
    }
    let l = lower(host);
    let version = l.strip_prefix(b"v").unwrap_or(&l);
    let is_ip = std::str::from_utf8(host).is_ok_and(|h| h.parse::<Ipv4Addr>().is_ok());
    let numeric = version.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    let digest =
        c.after(0) == Some(b':') && one_of(&l, &["sha1", "sha256", "sha384", "sha512", "md5"]);
    let last = l.rsplit(|&b| b == b'.').next().unwrap_or_default();
    let unit = l.contains(&b'.') && one_of(last, public::UNIT_SUFFIXES);
    let reference = one_of(&l, public::REFS);
    let mail = l.contains(&b'.')
        && last.len() >= 2
        && last.iter().all(u8::is_ascii_alphabetic)
        && c.after(0) != Some(b':');
    !((numeric && !is_ip) || digest || unit || reference || mail)
}

/// A domain account, not a built-in principal and not a path (`DOMAIN\dir\file`).
fn domain_account(c: &Cand) -> bool {
    let t = c.text();
    let domain = t.split(|&b| b == b'\\').next().unwrap_or_default();
    !one_of(
        domain,
        &[
            "BUILTIN",
            "WORKGROUP",
            "NT",
            "IIS",
            "APPPOOL",
            "AUTHORITY",
            "SERVICE",
        ],
    ) && !matches!(c.after(0), Some(b'\\' | b'/'))
}

/// The value of a user variable: not a default account, a tool, or a placeholder.
fn user_assignment(c: &Cand) -> bool {
    let t = c.text();
    let v = t
        .rsplit(|b| matches!(b, b'=' | b' '))
        .next()
        .unwrap_or_default();
    !one_of(v, public::DEFAULT_ACCOUNTS)
        && !public::tool_like(v)
        && !matches!(c.after(0), Some(b'}' | b'$'))
        && c.before(1) != Some(b'$')
}
