//! Words that are data, not identifiers: default accounts, tools and bots, roles,
//! refs, unit and file names, event-name prefixes.

use crate::privacy::text::{is_word, one_of};

/// Accounts every image of a distribution or cloud has: they name nobody.
#[rustfmt::skip]
pub const DEFAULT_ACCOUNTS: &[&str] = &[
    "root", "ubuntu", "debian", "ec2-user", "centos", "fedora", "admin", "administrator",
    "azureuser", "cloud-user", "core", "vagrant", "opc", "rocky", "alma", "almalinux",
    "alpine", "arch", "nobody", "runner", "git", "www-data", "k3s", "system", "daemon",
    "user", "guest", "default", "pi", "ansible", "deploy", "kube", "nixos", "suse",
];

/// Tools, services and bots that stand where a person could (`"instanceCreator":
/// "vclusterctl"`, `"managed_by": "Helm"`). Names ending in `ctl`, `bot`, `-operator`,
/// `-controller` and the like are recognised without a list (see [`tool_like`]).
#[rustfmt::skip]
const TOOLS: &[&str] = &[
    "helm", "kubectl", "kustomize", "kubeadm", "kubelet", "k3s", "k3d", "k3sup", "k0s",
    "rke", "rke2", "kind", "minikube", "microk8s", "rancher", "fleet", "argocd", "argo",
    "flux", "fluxcd", "tilt", "skaffold", "garden", "crossplane", "vcluster", "kamaji",
    "capi", "cluster-api", "terraform", "tofu", "opentofu", "pulumi", "ansible", "chef",
    "chef-client", "cinc", "kitchen", "test-kitchen", "inspec", "vagrant", "packer",
    "cloud-init", "cloudinit", "docker", "podman", "containerd", "cri-o", "buildah",
    "buildkit", "systemd", "github-actions", "github", "gitlab", "gitlab-ci", "jenkins",
    "tekton", "drone", "circleci", "travis", "buildkite", "renovate", "dependabot",
    "productive-k3s", "pk3s", "pk3s-telemetry", "multipass", "lxd", "incus", "qemu",
    "libvirt", "virtualbox", "vmware", "hyperv", "cloudformation", "eksctl", "gcloud", "az",
    "aws", "aws-cli", "awscli", "sam", "cdk", "bicep", "kops", "kubespray", "talosctl",
    "clusterctl", "velero", "cert-manager", "traefik", "longhorn", "metallb", "coredns",
    "cilium", "calico", "flannel", "istio", "linkerd", "prometheus", "grafana", "loki",
    "unknown", "anonymous", "automation", "ci", "cd", "cron", "scheduler", "operator",
    "controller", "webhook", "installer", "bootstrap", "script", "cli", "api", "sdk",
    "make", "bash", "sh", "python", "node", "go", "ruby", "java",
];

/// A tool or bot rather than a person: listed, or shaped like one (`vclusterctl`,
/// `renovate[bot]`, `kamaji-operator`, `system:serviceaccount:…`, `Helm`).
pub fn tool_like(v: &[u8]) -> bool {
    let l = v.to_ascii_lowercase();
    #[rustfmt::skip]
    const SUFFIXES: &[&str] = &[
        "ctl", "[bot]", "-bot", "_bot", "bot", "-operator", "-controller", "-manager", "-agent",
        "-cli", "-ci", "-action", "-actions", "-runner", "-service", "-daemon", "-webhook",
        "-provisioner", "-plugin", "-exporter", "-scheduler", "-proxy", "-server", "-client",
        "-driver", "-sa", "-serviceaccount", "-installer", "-deployer", "-sync", "-worker",
    ];
    one_of(&l, TOOLS)
        || SUFFIXES
            .iter()
            .any(|s| l.ends_with(s.as_bytes()) && l.len() > s.len())
        || l.starts_with(b"system:")
        || l.contains(&b':')
        || l.starts_with(b"kube-")
        || l.starts_with(b"k8s-")
}

/// Roles and modes that sit under host-like keys without naming a machine.
#[rustfmt::skip]
pub const HOST_WORDS: &[&str] = &[
    "server", "agent", "worker", "master", "control-plane", "controlplane", "etcd",
    "primary", "secondary", "leader", "follower", "single", "single-node", "multi-node",
    "ha", "first", "remote", "static", "contract", "live", "vm", "docker", "container",
    "multipass", "lxd", "aws", "gcp", "azure", "onprem", "on-prem", "bare-metal",
    "baremetal", "cloud", "edge", "ec2", "kind", "k3d", "minikube", "host", "hostname",
    "ip", "fqdn", "internal", "external", "public", "private", "cluster", "node",
    "coredns", "traefik", "nginx", "ingress-nginx", "direct", "all", "none", "any", "self",
    "current", "new", "existing", "unknown", "local", "localhost", "default", "vagrant",
    "qemu", "virtualbox", "libvirt", "kvm", "hyperv", "vmware", "bastion", "jump",
    // `uname -m` under `machine`
    "x86_64", "amd64", "arm64", "aarch64", "armv7l", "armhf", "i686", "riscv64", "s390x",
    "ppc64le",
];

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
    "kitchen", "berksfile", "policyfile", "metadata", "default", "defaults", "example",
];

/// A two-label name whose first label is a file stem: a file name with an extension.
pub fn file_name(labels: &[&[u8]]) -> bool {
    labels.len() == 2 && labels.first().is_some_and(|l| one_of(l, FILE_STEMS))
}

/// First labels of dotted words that are event names or software, not hosts
/// (`core.apply.local`, `k3s.info`, `containerd.io=1.6.28-1`).
#[rustfmt::skip]
pub const EVENT_PREFIXES: &[&str] = &[
    "core", "infra", "cli", "addons", "addon", "stack", "bootstrap", "apply", "install",
    "usage", "telemetry", "pk3s", "productive_k3s", "ci", "e2e", "test", "tests", "smoke",
    "k3s", "k8s", "kubernetes", "helm", "docker", "containerd", "kubectl", "rancher",
    "longhorn", "traefik", "registry", "scenario", "matrix", "kitchen", "vcluster", "kamaji",
];

/// AWS accounts that publish public images (Canonical, Amazon, Debian, RHEL…): an owner
/// filter in a data source names the image's publisher, not the user.
#[rustfmt::skip]
pub const AWS_PUBLISHERS: &[&str] = &[
    "099720109477", "137112412989", "136693071363", "309956199498", "125523088429",
    "679593333241",
];

/// A dotted name right before `/v1`, `/v1beta1`, `/v2alpha3`: a Kubernetes API group.
pub fn api_group_at(after: &[u8]) -> bool {
    let Some(rest) = after.strip_prefix(b"/v") else {
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

/// The bytes before a dotted run end in `dir/` of a relative path (`docker/Dockerfile.dev`,
/// `charts/app/values.local`): a path segment of names, not `/`, `//` or `scheme:`.
pub fn in_relative_path(behind: &[u8]) -> bool {
    let Some(head) = behind.strip_suffix(b"/") else {
        return false;
    };
    let seg = head
        .iter()
        .rev()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/'))
        .count();
    let from = head.len() - seg;
    seg > 0
        && head.get(from) != Some(&b'/')
        && from.checked_sub(1).and_then(|j| head.get(j)) != Some(&b':')
}

/// Paths every k3s server (or every Linux system) has: the defaults of k3s, the kubelet
/// and the OS. They tell a receiver nothing about who sent them; a path someone chose (a
/// data directory, an export, a home) is not here. A path with `..` is never public.
#[rustfmt::skip]
const PUBLIC_PATHS: &[&str] = &[
    "/var/lib/rancher/k3s", "/etc/rancher/k3s", "/run/k3s", "/var/lib/rancher/rke2",
    "/etc/rancher/rke2", "/etc/rancher/node", "/var/lib/kubelet", "/etc/kubernetes",
    "/var/log/pods", "/var/log/containers", "/run/containerd", "/var/run/docker.sock",
    "/usr/local/bin/k3s", "/usr/local/bin/kubectl", "/usr/local/bin/crictl",
    "/usr/local/bin/k3s-killall.sh", "/usr/local/bin/k3s-uninstall.sh",
    "/usr/local/bin/k3s-agent-uninstall.sh", "/etc/systemd/system/k3s.service",
    "/etc/systemd/system/k3s-agent.service", "/dev/null", "/dev/stdin", "/dev/stdout",
    "/dev/stderr", "/proc", "/sys", "/bin/sh", "/bin/bash", "/usr/bin/env",
    "/etc/os-release", "/etc/hosts", "/etc/resolv.conf", "/etc/apt/keyrings",
    "/usr/share/keyrings", "/etc/apt/sources.list.d",
];

/// A default path of k3s or the OS, or one under it.
pub fn public_path(p: &[u8]) -> bool {
    !p.windows(3).any(|w| w == b"/..")
        && PUBLIC_PATHS.iter().any(|d| {
            p.starts_with(d.as_bytes())
                && matches!(p.get(d.len()), None | Some(b'/' | b'"' | b'\''))
        })
}
