//! Host names that are public facts, and the top-level domains that make a dotted name a
//! host at all.

use crate::privacy::text::lower;

/// Public registries, chart repositories, release, package and documentation hosts: the
/// name and every subdomain of it. Multi-tenant domains (buckets, user sites) are not
/// here, only their public hosts in [`EXACT`].
#[rustfmt::skip]
pub const HOSTS: &[&str] = &[
    // container registries
    "docker.io", "docker.com", "ghcr.io", "quay.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io",
    "public.ecr.aws", "gallery.ecr.aws", "mcr.microsoft.com", "registry.gitlab.com",
    "docker.elastic.co", "nvcr.io", "registry.suse.com", "registry.rancher.com", "cgr.dev",
    "lscr.io", "icr.io", "registry.redhat.io", "registry.access.redhat.com",
    "container-registry.oracle.com", "registry.opensource.zalan.do", "mirror.gcr.io",
    // Kubernetes, k3s and their ecosystem (projects, chart repositories, releases)
    "kubernetes.io", "k8s.io", "x-k8s.io", "k3s.io", "k3d.io", "rke2.io", "k0sproject.io",
    "microk8s.io", "rancher.io", "rancher.com", "rancher.cn", "cattle.io", "suse.com",
    "traefik.io", "containo.us", "cncf.io", "linuxfoundation.org", "cert-manager.io",
    "jetstack.io", "longhorn.io", "metallb.io", "metallb.universe.tf", "kube-vip.io",
    "helm.sh", "bitnami.com", "charts.bitnami.com", "loft.sh", "vcluster.com", "clastix.io",
    "crossplane.io", "cilium.io", "isovalent.com", "tigera.io", "projectcalico.org",
    "istio.io", "linkerd.io", "argoproj.io", "fluxcd.io", "weave.works", "prometheus.io",
    "grafana.com", "grafana.net", "opentelemetry.io", "jaegertracing.io", "victoriametrics.com",
    "elastic.co", "min.io", "goharbor.io", "kyverno.io", "dexidp.io", "external-secrets.io",
    "konghq.com", "nginx.com", "nginx.org", "portainer.io", "kubevirt.io", "openebs.io",
    "rook.io", "ceph.io", "velero.io", "etcd.io", "coreos.com", "containerd.io", "sigstore.dev",
    "tekton.dev", "knative.dev", "dapr.io", "keda.sh", "harvesterhci.io", "kubewarden.io",
    "neuvector.com", "falco.org", "trivy.dev", "aquasec.com", "kubesphere.io", "karmada.io",
    "kubeedge.io", "openshift.com", "okd.io", "redhat.com", "fedoraproject.org",
    "cloud-init.io", "multipass.run", "kind.sigs.k8s.io", "flannel.io",
    // source forges, package indexes, languages
    "github.com", "githubusercontent.com", "github.io", "githubassets.com", "gitlab.com",
    "gitlab.io", "bitbucket.org", "codeberg.org", "sourceforge.net", "googlesource.com",
    "pypi.org", "pythonhosted.org", "python.org", "npmjs.org", "npmjs.com", "yarnpkg.com",
    "crates.io", "rust-lang.org", "golang.org", "go.dev", "rubygems.org", "ruby-lang.org",
    "nodejs.org", "maven.org", "apache.org", "gradle.org", "nuget.org", "jsdelivr.net",
    "unpkg.com",
    // operating systems and their mirrors
    "ubuntu.com", "canonical.com", "launchpad.net", "launchpadcontent.net", "snapcraft.io",
    "debian.org", "centos.org", "rockylinux.org", "almalinux.org", "alpinelinux.org",
    "archlinux.org", "opensuse.org", "kernel.org", "gentoo.org", "nixos.org",
    "raspberrypi.com", "raspberrypi.org", "freebsd.org", "microsoft.com", "apple.com",
    // infrastructure tools (Terraform, Ansible, Chef and Test Kitchen, Vagrant)
    "hashicorp.com", "terraform.io", "opentofu.org", "vagrantup.com", "vagrantcloud.com",
    "ansible.com", "chef.io", "kitchen.ci", "cinc.sh", "puppet.com", "saltproject.io",
    "pulumi.com", "packer.io",
    // certificates, standards, documentation
    "letsencrypt.org", "schema.org", "json-schema.org", "w3.org", "ietf.org", "iana.org",
    "mozilla.org", "wikipedia.org", "readthedocs.io", "productive-k3s.io", "cloudflare.com",
    // chat and mail services' own sites (their tokens and webhooks are caught as secrets)
    "slack.com", "discord.com", "discordapp.com", "telegram.org", "sendgrid.com",
    "mailgun.com", "tailscale.com", "atlassian.com", "sentry.io",
];

/// Public hosts on multi-tenant domains: only these names, not their subdomains (a
/// bucket or tenant would be a subdomain).
#[rustfmt::skip]
pub const EXACT: &[&str] = &[
    "storage.googleapis.com", "www.googleapis.com", "oauth2.googleapis.com",
    "packages.cloud.google.com", "cloud.google.com", "dl.google.com", "www.google.com",
    "aws.amazon.com", "docs.aws.amazon.com", "s3.amazonaws.com", "amazonlinux.com",
    "portal.azure.com", "management.azure.com", "login.microsoftonline.com",
    "azure.microsoft.com", "learn.microsoft.com",
];

/// Names that resolve inside a cluster or container runtime, the same in every install.
#[rustfmt::skip]
const CLUSTER_SUFFIXES: &[&str] = &[
    "svc", "svc.cluster.local", "cluster.local", "pod.cluster.local", "docker.internal",
    "k3d.internal", "containers.internal", "minikube.internal", "lima.internal",
    "rancher-desktop.internal", "orb.internal", "kubernetes.default", "localhost",
];

/// Exact cluster-internal or metadata names.
#[rustfmt::skip]
const CLUSTER_NAMES: &[&str] = &[
    "metadata.google.internal", "kubernetes.default", "kubernetes.default.svc",
    "host.docker.internal", "gateway.docker.internal", "localhost.localdomain", "localhost",
];

fn ends_with_label(host: &[u8], suffix: &[u8]) -> bool {
    host.len() >= suffix.len()
        && host
            .get(host.len() - suffix.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(suffix))
        && (host.len() == suffix.len() || host.get(host.len() - suffix.len() - 1) == Some(&b'.'))
}

/// A public host (registry, chart repository, release, documentation) or a name every
/// cluster shares.
pub fn host(host: &[u8]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    let first = host.split(|&c| c == b'.').next().unwrap_or_default();
    HOSTS.iter().any(|d| ends_with_label(host, d.as_bytes()))
        || EXACT.iter().any(|d| host.eq_ignore_ascii_case(d.as_bytes()))
        || CLUSTER_NAMES.iter().any(|d| host.eq_ignore_ascii_case(d.as_bytes()))
        || CLUSTER_SUFFIXES.iter().any(|d| ends_with_label(host, d.as_bytes()))
        // `host.<runtime>.internal`, `gateway.<runtime>.internal`: runtime aliases.
        || ((first.eq_ignore_ascii_case(b"host") || first.eq_ignore_ascii_case(b"gateway"))
            && ends_with_label(host, b"internal")
            && host.iter().filter(|&&c| c == b'.').count() == 2)
}

/// Top-level domains that make a dotted name a host name wherever it stands.
#[rustfmt::skip]
const STRONG_TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "aws", "arpa", "lan", "localdomain",
    "internal", "intranet", "intra", "corp", "consul", "private", "priv", "vpn", "dmz",
    "mgmt", "localnet", "example", "invalid", "home", "office", "onion",
];
/// Top-level domains that are also words: an event name or a file can end in them
/// (`core.apply.test`, `values.dev`), so the name must look like a host.
#[rustfmt::skip]
const WORD_TLDS: &[&str] = &[
    "local", "test", "lab", "app", "dev", "cloud", "info", "biz", "pro", "tech", "online",
    "site", "xyz", "top", "int", "network", "systems", "host", "server", "zone",
    "services", "tools", "works", "space", "live", "run",
];
/// Two-letter country codes, except those that are also common file extensions or
/// dotted words (`ac am cc id in mk ml mo pl pm ps py rs sh so tf md`). Sorted.
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

/// How a last label makes a dotted name a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tld {
    /// `com`, `lan`, `internal`, a country code: a host wherever it stands.
    Strong,
    /// `local`, `test`, `dev`, `app`: a host only when the name looks like one.
    Word,
}

pub fn tld(label: &[u8]) -> Option<Tld> {
    let l = lower(label);
    let l = std::str::from_utf8(&l).ok()?;
    if STRONG_TLDS.contains(&l) || COUNTRY_TLDS.binary_search(&l).is_ok() {
        Some(Tld::Strong)
    } else if WORD_TLDS.contains(&l) {
        Some(Tld::Word)
    } else {
        None
    }
}

/// Extensions of files that are never a mail domain's last label (`icon@2x.png`).
#[rustfmt::skip]
pub const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "pdf", "json",
    "yaml", "yml", "toml", "xml", "txt", "md", "rst", "csv", "tsv", "log", "conf", "cfg",
    "ini", "env", "sh", "bash", "zsh", "py", "rs", "go", "js", "ts", "tsx", "jsx", "rb",
    "pl", "php", "java", "jar", "war", "c", "h", "cc", "cpp", "hpp", "so", "dll", "exe",
    "bin", "img", "iso", "qcow2", "vmdk", "ova", "tar", "gz", "tgz", "bz2", "xz", "zst",
    "zip", "rar", "deb", "rpm", "apk", "crt", "pem", "key", "csr", "der", "p12", "pfx",
    "pub", "lock", "sum", "mod", "html", "htm", "css", "map", "wasm", "service", "socket",
    "timer", "mount", "dmg", "pkg", "msi", "tf", "tfvars", "hcl", "j2", "tpl", "tmpl",
    "bak", "orig", "tmp", "out", "pid", "sock", "db", "sqlite", "app", "mp4", "mov", "wav",
];
