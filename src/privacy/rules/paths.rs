//! File-system identifiers: home directories, absolute paths, Windows drives.

use super::prelude::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "path.home",
        kind: Kind::HomeDir,
        about: "named home directories: `/home/<name>`, `/Users/<name>`, `C:\\Users\\<name>`, `~name/`",
        keywords: &["/home/", "/users/", "\\users\\", "~"],
        pattern: r"(?i)(?:(?:/export)?/home/|/users/|\b{start-half}[a-z]:[\\/]users[\\/])[a-z0-9_][a-z0-9._-]*|\b{start-half}~[a-z][a-z0-9_-]*/",
        validate: Some(home),
        catches: &[
            ("kubeconfig", "/home/jdoe/.kube/config"),
            ("note", "copied to /Users/alice/k3s.yaml"),
            ("detail", "C:\\Users\\bob\\.kube\\config"),
            ("script_path", "~mmacchi/bin/apply.sh"),
        ],
        keeps: &[("", "~/bin/apply.sh"), ("", "https://github.com/users/x")],
        ..Rule::BASE
    },
    Rule {
        id: "path.absolute",
        kind: Kind::AbsolutePath,
        about: "absolute paths: `/x…` at the start or after a space, `=`, `:`, a quote or bracket, `,`, `;`, `|` (`/srv/nfs`, `--data-dir=/mnt/fast`, `nfs:/export`); not inside a public URL, not a prefix length (`::/0`), not a default path of k3s or the OS (`/var/lib/rancher/k3s/server/manifests/…`, `/etc/rancher/k3s/k3s.yaml`, `/dev/null`)",
        keywords: &["/"],
        lead: r"[\s=:\x22'\x60(\[{<,;|]",
        pattern: r"/[A-Za-z0-9._~-][^\s\x22'\x60<>|;,)\]}]*",
        validate: Some(absolute),
        catches: &[
            ("nfs_export_path", "/srv/nfs/k3s"),
            ("detail", "--data-dir=/mnt/fast/k3s"),
            ("note", "kubeconfig written to /opt/acme/kubeconfig.yaml"),
            ("", "--data-dir=/var/lib/rancher/../../srv/k3s"),
            ("", "nfs:/srv/nfs"),
        ],
        keeps: &[
            ("script", "scripts/apply.sh"),
            ("", "./run.sh"),
            ("", "productive-k3s/0.1.0"),
            ("", "and/or 1/2 N/A"),
            ("allowed_v6", "::/0"),
            ("repo", "https://pkgs.k8s.io/core:/stable:/v1.29/deb/"),
            (
                "chart",
                "https://%{KUBERNETES_API}%/static/charts/traefik.tgz",
            ),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "path.windows-drive",
        kind: Kind::AbsolutePath,
        about: "Windows drive paths (`D:\\data\\x`)",
        keywords: &[":\\"],
        pattern: r"\b{start-half}[A-Za-z]:\\[A-Za-z0-9._ $-]",
        catches: &[("path", "D:\\clusters\\lab\\kubeconfig")],
        keeps: &[("", "a:\\")],
        ..Rule::BASE
    },
];

/// Not inside a longer path or word (`/data/home/x` is the absolute-path rule's).
fn home(c: &Cand) -> bool {
    let t = c.text();
    t.first() == Some(&b'~') || !c.before(1).is_some_and(|b| is_word(b) || b == b'.')
}

/// Not a prefix length after an IPv6 address (`::/0`, `fd00::/8`), not a default path.
fn absolute(c: &Cand) -> bool {
    let t = c.text();
    let digits = t.get(1..).unwrap_or_default();
    let prefix = c.before(1) == Some(b':')
        && (1..=3).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit);
    !prefix && !public::public_path(t)
}
