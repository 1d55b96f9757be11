//! A labelled corpus scored on what the guard would let out: payloads shaped like the real
//! ones (core's run manifest and lifecycle events, the manifest envelope, infra's command
//! events, scenario manifests and matrix summaries, the public VM test artifact), each
//! either clean (full of look-alikes: public facts and ordinary data) or with one planted
//! identifier of a labelled kind. All of it goes through one `check --format json` run.
//!
//! `cargo test --test it corpus -- --nocapture` prints the figures.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::Sandbox;

const TOKEN: &str = "pk3s-tok-7Qf2mX9LwZ";

/// A planted identifier: its kind, whether the contract names that kind, the key it sits
/// under, and its value (`@obj:` values are JSON, for identifiers that are object keys).
type Plant = (&'static str, bool, &'static str, &'static str);

#[rustfmt::skip]
const DIRTY: &[Plant] = &[
    // --- kinds the contract names ---
    ("ipv4", true, "note", "node ready at 192.168.10.20"),
    ("ipv4", true, "server_ip", "10.0.3.7"),
    ("ipv4", true, "detail", "ping 172.20.4.11 failed"),
    ("ipv4", true, "endpoint_ip", "203.0.113.45"),
    ("ipv4", true, "message", "kubelet: node 10.20.30.40:10250 not ready"),
    ("ipv4", true, "note", "ip-10-1-2-3 joined"),
    ("ipv4", true, "address", "[192.168.56.10]"),
    ("ipv4", true, "node_ip", "100.72.14.3"),
    ("ipv4", true, "gateway", "192.168.1.1"),
    ("ipv6", true, "note", "listening on 2001:db8:85a3::8a2e:370:7334"),
    ("ipv6", true, "node_ipv6", "fd12:3456:789a:1::12"),
    ("ipv6", true, "detail", "[fe80::5054:ff:fe12:3456]:6443 refused"),
    ("ipv6", true, "address", "2a02:8070:d84:9f00::1"),
    ("ipv6", true, "message", "bound ::ffff:10.9.8.7"),
    ("cidr", true, "nfs_allowed_network", "10.10.0.0/24"),
    ("cidr", true, "note", "clients from 192.168.20.0/24"),
    ("cidr", true, "pod_network", "10.200.0.0/16"),
    ("cidr", true, "allowed_v6", "2001:db8:1234::/48"),
    ("cidr", true, "detail", "route 172.18.0.0/16 via eth0"),
    ("cidr", true, "vpc_cidr", "10.31.0.0/16"),
    ("url", true, "agent_server_url", "https://10.0.0.5:6443"),
    ("url", true, "note", "joined https://k3s-api.lab.internal:6443"),
    ("url", true, "registry_url", "http://registry:5000/v2/"),
    ("url", true, "webhook", "https://hooks.acme-corp.io/k3s"),
    ("url", true, "detail", "GET http://nas01.home.arpa/health 503"),
    ("url", true, "backup_target", "s3://acme-k3s-backups/etcd"),
    ("url", true, "rancher_url", "https://rancher.mycompany.com"),
    ("url-credentials", true, "registry_mirror", "https://deploy:s3cret@registry.lab.example.com"),
    ("url-credentials", true, "note", "pulled via https://bot@ghcr.io/acme/app"),
    ("url-credentials", true, "proxy", "http://proxyuser:pw@proxy.corp:3128"),
    ("url-credentials", true, "git_remote", "https://x-access-token:abc@github.com/acme/infra.git"),
    ("host-fqdn", true, "base_domain", "k8s.acme-corp.com"),
    ("host-fqdn", true, "note", "ingress grafana.lab.example.com ready"),
    ("host-fqdn", true, "rancher_host", "rancher.my-company.de"),
    ("host-fqdn", true, "detail", "cert issued for shop.example.co.uk"),
    ("host-fqdn", true, "registry_host", "registry.lab.example.com"),
    ("host-fqdn", true, "message", "dns lookup of db01.prod.acme.net failed"),
    ("host-fqdn", true, "image", "registry.acme.io/platform/api:1.4.2"),
    ("host-private", true, "note", "mounted from nas01.lan"),
    ("host-private", true, "server", "k3s-master.home.arpa"),
    ("host-private", true, "detail", "vault.service.consul unreachable"),
    ("host-private", true, "message", "api.cluster1.internal timed out"),
    ("host-private", true, "nfs_server", "files.corp"),
    ("host-private", true, "note", "ldap.example.localdomain down"),
    ("host-private", true, "detail", "synced with gitlab.intranet"),
    ("host-private", true, "dns", "pi.hole.lan"),
    ("host-by-key", true, "hostname", "lab-node-07"),
    ("host-by-key", true, "bastion", "jump01"),
    ("host-by-key", true, "vm_name", "pk3s-test-vm-3"),
    ("host-by-key", true, "target", "edge-box"),
    ("host-by-key", true, "node", "kube-worker-2"),
    ("host-by-key", true, "server", "mercury"),
    ("host-by-key", true, "nodes", "@obj:[\"web-01\", \"web-02\"]"),
    ("host-by-key", true, "nodes", "@obj:{\"raspberrypi4\": {\"role\": \"agent\"}}"),
    ("host-by-key", true, "hosts", "@obj:{\"db-primary\": {\"ansible_port\": 22}}"),
    ("host-by-key", true, "nodes", "@obj:[{\"name\": \"hetzner-fsn1\", \"role\": \"server\"}]"),
    ("host-by-key", true, "inventory_hostname", "nuc12"),
    ("user-by-key", true, "remote_user", "jdoe"),
    ("user-by-key", true, "ssh_user", "mmacchi"),
    ("user-by-key", true, "owner", "alice.smith"),
    ("user-by-key", true, "login", "bob"),
    ("user-by-key", true, "user", "kwilliams"),
    ("user-by-key", true, "ansible_user", "opsadmin7"),
    ("user-by-key", true, "created_by", "jane_doe"),
    ("user-by-key", true, "users", "@obj:{\"jmartinez\": {\"sudo\": true}}"),
    ("ssh-target", true, "note", "ssh deploy@nfs01 failed"),
    ("ssh-target", true, "target", "ubuntu@10.0.0.12"),
    ("ssh-target", true, "detail", "git@gitlab.acme.io:infra/cluster.git"),
    ("ssh-target", true, "remote", "root@pve"),
    ("ssh-target", true, "message", "Permission denied for admin@bastion-2"),
    ("email", true, "contact", "ops@acme-corp.com"),
    ("email", true, "note", "report to jane.doe@example.org"),
    ("email", true, "letsencrypt_email", "admin@mycompany.de"),
    ("email", true, "maintainer", "Max Mustermann <max@mustermann.dev>"),
    ("email", true, "detail", "acme account k3s+certs@gmail.com"),
    ("abs-path", true, "nfs_export_path", "/srv/nfs/k3s"),
    ("abs-path", true, "longhorn_data_path", "/var/lib/longhorn-data"),
    ("abs-path", true, "note", "kubeconfig written to /etc/rancher/k3s/k3s.yaml"),
    ("abs-path", true, "detail", "--data-dir=/mnt/fast/k3s"),
    ("abs-path", true, "log", "see /tmp/productive-k3s-core-test-1234/apply.log"),
    ("abs-path", true, "path", "D:\\clusters\\lab\\kubeconfig"),
    ("abs-path", true, "repo_dir", "/opt/productive-k3s"),
    ("home-dir", true, "kubeconfig", "/home/jdoe/.kube/config"),
    ("home-dir", true, "note", "copied to /Users/alice/k3s.yaml"),
    ("home-dir", true, "detail", "C:\\Users\\bob\\.kube\\config"),
    ("home-dir", true, "script_path", "~mmacchi/bin/apply.sh"),
    ("home-dir", true, "remote_dir", "/home/ubuntu/productive-k3s"),
    ("aws-account", true, "aws_account_id", "123456789012"),
    ("aws-account", true, "note", "deployed in account 210987654321"),
    ("aws-account", true, "image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0"),
    ("aws-account", true, "account", "998877665544"),
    ("aws-account", true, "detail", "AWS account id: 445566778899"),
    ("arn", true, "iam_role", "arn:aws:iam::123456789012:role/k3s-node"),
    ("arn", true, "note", "assumed arn:aws:sts::210987654321:assumed-role/ci/gh"),
    ("arn", true, "bucket", "arn:aws:s3:::acme-k3s-state"),
    ("arn", true, "kms_key", "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/abc"),
    ("gh-gl-token", true, "note", "GITHUB_TOKEN=ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU"),
    ("gh-gl-token", true, "detail", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"),
    ("gh-gl-token", true, "message", "auth with glpat-xXyYzZ0123456789abcd failed"),
    ("gh-gl-token", true, "value", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("gh-gl-token", true, "note", "runner token glrt-t1_AbCdEfGhIjKlMnOpQrSt"),
    ("aws-key", true, "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("aws-key", true, "note", "creds AKIAI44QH8DHBEXAMPLE loaded"),
    ("aws-key", true, "detail", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws-key", true, "env", "AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"),
    ("aws-key", true, "message", "session ASIAY34FZKBOKMUTVV7A expired"),
    ("jwt", true, "note", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    ("jwt", true, "detail", "kubectl --token=eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.abcDEF123_-xyz"),
    ("jwt", true, "value", "eyJraWQiOiJhYmMiLCJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlc2lnbmF0dXJl"),
    ("k3s-token", true, "note", "K10c5a4b2e8f1d3c6a9b7e5f4d2c1b0a9e8f7d6c5b4a3e2f1d0c9b8a7e6f5d4c3b2::server:3f9a1c7e5b2d4f6a"),
    ("k3s-token", true, "detail", "K3S_TOKEN=K1098f7e6d5c4b3a2918f7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a291::node:abcdef123456"),
    ("k3s-token", true, "value", "K10aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"),
    ("k3s-token", true, "message", "join with --token K10deadbeefdeadbeefdeadbeefdeadbeef::server:hunter2hunter2"),
    ("authorization", true, "note", "Authorization: Bearer sk_3f9a1c7e5b2d4f6a8c0e"),
    ("authorization", true, "header", "Authorization: Basic ZGVwbG95OnMzY3JldA=="),
    ("authorization", true, "detail", "curl -H 'Authorization: token 0123456789abcdef0123'"),
    ("authorization", true, "message", "sent Bearer abc.def-123456789"),
    ("pem", true, "note", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"),
    ("pem", true, "tls_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"),
    ("pem", true, "detail", "key: -----BEGIN EC PRIVATE KEY----- MHcCAQEE -----END EC PRIVATE KEY-----"),
    ("secret-by-key", true, "k3s_token", "mysupersecrettoken"),
    ("secret-by-key", true, "registry_password", "hunter2!"),
    ("secret-by-key", true, "api_key", "9f86d081884c7d659a2feaa0c55ad015"),
    ("secret-by-key", true, "client_secret", "Zm9vYmFyYmF6cXV4"),
    ("secret-by-key", true, "ssh_key", "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"),
    ("secret-by-key", true, "password", "correct horse battery staple"),
    ("secret-by-key", true, "webhook_secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("secret-by-key", true, "note", "--token=s3cr3t-join-value"),
    ("bearer-token", true, "note", "used pk3s-tok-7Qf2mX9LwZ"),
    ("bearer-token", true, "auth", "Bearer pk3s-tok-7Qf2mX9LwZ"),
    ("bearer-token", true, "event_id", "evt-pk3s-tok-7Qf2mX9LwZ"),
    ("contract-field", true, "client.script", "/home/jdoe/productive-k3s/scripts/apply.sh"),
    ("contract-field", true, "client.user_agent", "curl/8.5.0 (lab-node-07)"),
    ("contract-field", true, "client.repository", "github.com/acme-corp/infra"),
    ("contract-field", true, "session_id", "lab-node-07.lan"),
    ("contract-field", true, "run_id", "jdoe@workstation"),
    // --- kinds the contract does not name ---
    // Single-label names in prose have no shape to go by: listed as honest misses.
    ("host-in-prose", false, "note", "joined node kube-ams-07 after retry"),
    ("host-in-prose", false, "detail", "copied kubeconfig from pve2"),
    ("mac", false, "note", "nic 52:54:00:12:34:56 up"),
    ("mac", false, "mac_address", "00-1A-2B-3C-4D-5E"),
    ("mac", false, "detail", "port 0050.5687.a1b2 learned"),
    ("mac", false, "hwaddr", "de:ad:be:ef:00:01"),
    ("mac", false, "message", "dhcp lease for AA-BB-CC-11-22-33"),
    ("azure-subscription", false, "resource_id", "/subscriptions/0b6c1a2e-3f4d-4e5f-8a9b-123456789012/resourceGroups/rg-k3s"),
    ("azure-subscription", false, "subscription_id", "9d2f1c44-8e7a-4b1c-9f0e-2a3b4c5d6e7f"),
    ("azure-subscription", false, "note", "portal.azure.com/#@tenant/resource/subscriptions/11111111-2222-3333-4444-555555555555/overview"),
    ("azure-subscription", false, "tenant_id", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    ("gcp-project", false, "gcp_project", "acme-prod-123456"),
    ("gcp-project", false, "project_id", "my-k3s-lab-42"),
    ("gcp-project", false, "note", "projects/acme-staging-2024/zones/europe-west1-b/instances/vm1"),
    ("gcp-project", false, "image", "europe-docker.pkg.dev/acme-platform-77/images/api:1.0"),
    ("gcp-project", false, "project", "k3s-playground-9"),
    ("ec2-id", false, "instance", "i-0abcd1234ef567890"),
    ("ec2-id", false, "note", "attached vol-0a1b2c3d4e5f67890"),
    ("ec2-id", false, "security_group", "sg-0123456789abcdef0"),
    ("ec2-id", false, "detail", "subnet-1a2b3c4d in vpc-0f9e8d7c6b5a43210"),
    ("ec2-id", false, "ami", "ami-0c55b159cbfafe1f0"),
    ("unc", false, "share", "\\\\fileserver01\\k3s-backups"),
    ("unc", false, "note", "copied to \\\\nas\\public\\logs"),
    ("unc", false, "detail", "mount \\\\10.0.0.9\\data failed"),
    ("host-port", false, "note", "registry at nexus01:8081 unreachable"),
    ("host-port", false, "server", "k3s-server:6443"),
    ("host-port", false, "detail", "nfs01:2049 timed out"),
    ("host-port", false, "mirror", "registry:5000"),
    ("host-port", false, "message", "etcd peer etcd-2:2380 lost"),
    ("encoded", false, "note", "host%3Dnas01.lan%20user%3Djdoe"),
    ("encoded", false, "detail", "alice%40example.org"),
    ("encoded", false, "value", "１９２．１６８．１．２０"),
    ("encoded", false, "message", "MTkyLjE2OC4xLjIw"),
    ("encoded", false, "payload", "c3NoIGRlcGxveUBuZnMwMQ=="),
    ("encoded", false, "note", "10[.]20[.]30[.]40"),
    ("encoded", false, "detail", "%2Fhome%2Fjdoe%2F.kube"),
];

/// Clean values (under the key they would sit under): every one must survive.
#[rustfmt::skip]
const CLEAN: &[(&str, &str)] = &[
    ("cluster_cidr", "10.42.0.0/16"), ("service_cidr", "10.43.0.0/16"),
    ("cluster_dns", "10.43.0.10"), ("kubernetes_service_ip", "10.43.0.1"),
    ("note", "pods in 10.42.0.0/16, services in 10.43.0.0/16"),
    ("node_pod_cidr", "10.42.1.0/24"), ("kubeadm_service_cidr", "10.96.0.0/12"),
    ("dns", "10.96.0.10"), ("flannel", "10.244.0.0/16"), ("calico_pool", "192.168.0.0/16"),
    ("allowed", "0.0.0.0/0"), ("allowed_v6", "::/0"), ("listen", "127.0.0.1:6443"),
    ("bind", "0.0.0.0"), ("bind_v6", "::"), ("loopback", "::1"), ("netmask", "255.255.255.0"),
    ("metadata", "169.254.169.254"), ("resolver", "1.1.1.1"), ("v6_cidr", "2001:cafe:42::/56"),
    ("image", "docker.io/rancher/k3s:v1.30.1-k3s1"), ("image", "ghcr.io/productive-k3s/core:0.4.0"),
    ("image", "quay.io/jetstack/cert-manager-controller:v1.14.4"),
    ("image", "registry.k8s.io/pause:3.9"), ("image", "gcr.io/distroless/static:nonroot"),
    ("image", "public.ecr.aws/docker/library/alpine:3.19"), ("image", "rancher/mirrored-pause:3.6"),
    ("image", "mcr.microsoft.com/dotnet/runtime:8.0"), ("image", "nginx:1.25-alpine"),
    ("image", "redis:7"), ("image", "postgres:16"), ("image", "node:20"), ("image", "python:3.12-slim"),
    ("image", "ubuntu:24.04"), ("image", "24.04"), ("image", "jammy"),
    ("install_url", "https://get.k3s.io"),
    ("download", "https://github.com/k3s-io/k3s/releases/download/v1.30.1%2Bk3s1/k3s"),
    ("docs", "https://kubernetes.io/docs/concepts/services-networking/"),
    ("chart_repo", "https://charts.jetstack.io"), ("chart_repo", "https://charts.longhorn.io"),
    ("note", "see https://docs.k3s.io/installation/requirements"),
    ("raw", "https://raw.githubusercontent.com/productive-k3s/core/main/install.sh"),
    ("acme_server", "https://acme-staging-v02.api.letsencrypt.org/directory"),
    ("local_api", "https://127.0.0.1:6443"), ("local", "http://localhost:8080/healthz"),
    ("apiVersion", "cert-manager.io/v1"), ("apiVersion", "traefik.io/v1alpha1"),
    ("api_version", "group.example.io/v1"), ("note", "applied networking.k8s.io/v1 Ingress"),
    ("crd", "monitoring.coreos.com/v1"), ("group", "longhorn.io"), ("addon", "cert-manager.io"),
    ("crd", "certificates.cert-manager.io"), ("helm_crd", "helmcharts.helm.cattle.io"),
    ("label", "node-role.kubernetes.io/control-plane"), ("label", "topology.kubernetes.io/zone"),
    ("storage_class", "rancher.io/local-path"), ("note", "group.example.io/v1beta1 served"),
    ("service", "kubernetes.default.svc"), ("dns_name", "coredns.kube-system.svc.cluster.local"),
    ("service", "rancher.cattle-system.svc"), ("docker_host", "host.docker.internal"),
    ("k3d_host", "host.k3d.internal"), ("mirror", "registry.kube-system.svc.cluster.local:5000"),
    ("action", "actions/checkout@v4"), ("action", "actions/setup-go@main"), ("engine", "k3s@v1.30"),
    ("unit", "getty@tty1.service"), ("unit", "user@1000.service"), ("digest", "nginx@sha256:0123abcd"),
    ("package", "@scope/pkg"), ("dependency", "pkg@1.2.3"), ("unit", "k3s.service"),
    ("unit", "k3s-agent.service"), ("unit", "containerd.service"), ("socket", "multipass.socket"),
    ("dockerfile", "Dockerfile.dev"), ("values", "values.yaml"), ("compose", "docker-compose.dev"),
    ("env_file", ".env.local"), ("file", "values.local"), ("file", "README.md"), ("file", "k3s.yaml"),
    ("file", "main.tf"), ("file", "inventory.ini"), ("file", "docker/Dockerfile.test"),
    ("script", "scripts/apply.sh"), ("check", "./tests/check-test-artifacts.sh"),
    ("spec", "tests/spec/apply_spec.sh"), ("firmware_version", "1.2.3.4"),
    ("k3s_version", "v1.30.1+k3s1"), ("kernel", "6.8.0-45-generic"), ("firmware", "v1.2.3.4"),
    ("windows_build", "10.0.19041.1"), ("host_os_id", "ubuntu"), ("host_os_version_id", "24.04"),
    ("host_os_codename", "noble"), ("host_os_pretty_name", "Ubuntu 24.04.1 LTS"),
    ("host_os_pretty_name", "Debian GNU/Linux 12 (bookworm)"), ("os", "rocky"),
    ("session", "0b6c1a2e-3f4d-4e5f-8a9b-123456789012"), ("started_at", "2026-01-01T12:00:00+00:00"),
    ("finished_at", "2026-11-21T23:47:43.120Z"), ("legacy_run", "20260101-120000-12345-1234512345"),
    ("telemetry_id", "9f86d081884c7d65"), ("note", "nfs export configured"),
    ("note", "letsencrypt staging, self-signed fallback"), ("note", "longhorn replica count 1"),
    ("note", "took 10:30 minutes"), ("ratio", "1/2"), ("note", "N/A"), ("note", "and/or"),
    ("note", "e.g. single-node"), ("current_step", "install-k3s"), ("status", "success"),
    ("registry_host", ""), ("rancher_host", "[redacted]"), ("bastion", "none"), ("node", "server"),
    ("target", "static"), ("hosts", "all"), ("remote_user", "ubuntu"), ("owner", "root"),
    ("agent_cluster_token_provided", "y"), ("registry_auth_enabled", "n"), ("token", "provided"),
    ("password", "********"), ("k3s_token", "${K3S_TOKEN}"), ("auth", "basic"),
    ("auth_mode", "htpasswd"), ("idempotency_key", "0b6c1a2e-3f4d-4e5f-8a9b-123456789012"),
    ("memory", "4G"), ("disk", "20G"), ("cpus", "2"), ("time", "23:47:43"),
    ("clock", "12:30:45.123"), ("sha1", "3f786850e387550fdab836ed7e6dc881de23001b"),
    ("digest", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("commit", "a1b2c3d"), ("bytes", "123456789012"), ("owners", "099720109477"),
    ("calver", "2024.0101.1200"), ("event", "core.apply.single_node.completed"),
    ("event", "infra.command.started"), ("events", "core.apply.local"), ("phase", "infra.smoke.test"),
    ("note", "timeout:300 retries:3"), ("repo", "k3s-io/k3s"), ("repo", "productive-k3s/core"),
    ("label", "café résumé"), ("banner", "ｈｅｌｌｏ"), ("encoded", "aGVsbG8gd29ybGQ="),
    ("version_param", "v1.30.1%2Bk3s1"), ("note", "api-12345678 is not an id"),
    ("tls_mode", "letsencrypt"), ("letsencrypt_environment", "staging"),
    ("longhorn_minimal_available_percentage", "25"), ("registry_pvc_size", "10Gi"),
    ("platform_support", "supported"), ("bootstrap_mode", "single-node"),
    ("k3s_installation_engine", "k3sup"), ("note", "100%"), ("percent", "50% done"),
    ("note", "the Bearer token is masked"), ("note", "Authorization header omitted"),
    ("scenario", "onprem-basic-arm"), ("environment", "github-actions"), ("provider", "multipass"),
    ("topology", "1 server + 2 agents"), ("execution_kind", "ci"), ("test_level", "contract"),
    ("skip_reason", "live path requires multipass"), ("workflow", "CI / matrix (contract)"),
    ("ci_run_id", "9876543210"), ("release_repo", "productive-k3s/productive-k3s-core"),
    ("engine", "native"), ("source", "release"), ("distro", "k3s"), ("arch", "arm64"),
    ("note", "IPv6 dual-stack disabled"), ("note", "Windows paths unsupported"),
    ("port", "6443"), ("nodeport", "30080"), ("replicas", "3"), ("note", "step 3/7: preflight"),
    ("container_runtime_version", "containerd://1.7.11-k3s2"), ("runtime", "docker://24.0.7"),
    ("socket", "unix:///run/k3s/containerd/containerd.sock"), ("docker_host", "tcp://0.0.0.0:2376"),
    ("subject", "system:serviceaccount:kube-system:default"),
    ("taint", "node.kubernetes.io/not-ready:NoSchedule"), ("taint", "CriticalAddonsOnly=true:NoExecute"),
    ("release", "k3s-io/k3s@v1.30.1+k3s1"), ("exec", "--disable=traefik,servicelb"),
    ("timezone", "Europe/Berlin"), ("offset", "UTC+02:00"),
    ("committer", "41898282+github-actions[bot]@users.noreply.github.com"),
    ("cloud_image", "ubuntu-24.04-server-cloudimg-amd64.img"),
    ("airgap", "k3s-airgap-images-amd64.tar.gz"), ("selector", "app.kubernetes.io/name=traefik"),
    ("machine", "x86_64"), ("version", "0.4.0-rc.1"), ("deployment", "kube-system/coredns"),
];

/// The real payload shapes, each with one extra `(key, value)` at a natural place.
fn shapes() -> Vec<fn(&str, Value) -> Value> {
    vec![
        |k, v| {
            let mut m = run_manifest();
            m["settings"][k] = v;
            envelope(m)
        },
        |k, v| {
            let mut e = lifecycle("core.apply.single_node.completed", "core");
            e["command"][k] = v;
            e
        },
        |k, v| {
            let mut e = lifecycle("infra.command.completed", "infra");
            e["command"][k] = v;
            e
        },
        |k, v| {
            let mut m = scenario_manifest();
            m["installation"][k] = v;
            m
        },
        |k, v| {
            let mut s = matrix_summary();
            s["scenarios"][0][k] = v;
            s
        },
        |k, v| {
            let mut a = vm_artifact();
            a[k] = v;
            a
        },
        |k, v| {
            let mut m = run_manifest();
            m["components"]["clusterissuer"][k] = v;
            m
        },
    ]
}

fn run_manifest() -> Value {
    json!({
        "run_id": "20260101-120000-4242-1234512345",
        "script": "scripts/apply.sh",
        "mode": "apply",
        "status": "success",
        "exit_code": 0,
        "started_at": "2026-01-01T12:00:00+00:00",
        "finished_at": "2026-01-01T12:07:31+00:00",
        "current_step": "validate",
        "settings": {
            "host_os_id": "ubuntu", "host_os_version_id": "24.04", "host_os_codename": "noble",
            "host_os_pretty_name": "Ubuntu 24.04.1 LTS", "platform_support": "supported",
            "bootstrap_mode": "single-node", "k3s_installation_engine": "native",
            "agent_server_url_provided": "n", "agent_cluster_token_provided": "n",
            "tls_mode": "self-signed", "letsencrypt_environment": "staging",
            "longhorn_replica_count": "1", "longhorn_minimal_available_percentage": "25",
            "longhorn_single_node_mode": "y", "registry_pvc_size": "10Gi",
            "registry_storage_class_configured": "n", "registry_auth_enabled": "y",
            "nfs_manage": "n", "rancher_manage_local_hosts": "y",
            "registry_manage_local_hosts": "y", "registry_trust_docker": "y",
            "telemetry_enabled": "y", "telemetry_max_retries": "3"
        },
        "components": {
            "k3s": {"detected_before": "no", "planned_action": "install", "result": "installed"},
            "cert_manager": {"detected_before": "no", "planned_action": "install", "result": "installed"},
            "clusterissuer": {"detected_before": "no", "planned_action": "create", "result": "created", "note": "self-signed issuer"}
        }
    })
}

fn envelope(manifest: Value) -> Value {
    json!({
        "schema_version": "1", "event_family": "install", "event_name": "apply.completed",
        "event_id": "6f2c4b0e-1d4c-4d8e-9a55-2b1f0f3f7a10", "sent_at": "2026-01-01T12:07:32.004Z",
        "delivery_attempt": 1, "retry_attempt": 0, "is_retry": false, "retry_of_run_id": null,
        "session_id": "a3f9c2e17b4d5e60", "run_id": "20260101-120000-4242-1234512345",
        "parent_run_id": "", "component": "core",
        "client": {"repository": "productive-k3s", "script": "scripts/apply.sh",
                   "user_agent": "productive-k3s/0.1.0", "telemetry_enabled": "true", "exit_code": 0},
        "manifest": manifest,
        "telemetry_meta": {"delivery_mode": "best-effort", "anonymous_by_contract": true}
    })
}

fn lifecycle(name: &str, component: &str) -> Value {
    json!({
        "schema_version": "1", "event_family": "usage", "event_name": name,
        "sent_at": "2026-01-01T12:00:01+00:00", "session_id": "a3f9c2e17b4d5e60",
        "run_id": "5d0f6a522b1e4c77", "parent_run_id": "9c1e0f3b2a4d6e80", "component": component,
        "command": {"name": "apply", "mode": "single-node", "result": "success"},
        "client": {"repository": format!("productive-k3s-{component}"), "script": "scripts/apply.sh",
                   "telemetry_enabled": "true"},
        "telemetry_meta": {"delivery_mode": "best-effort", "anonymous_by_contract": true}
    })
}

fn scenario_manifest() -> Value {
    json!({
        "schema_version": "1", "repository": "productive-k3s-infra",
        "run_id": "20260101-120000-777-99", "scenario": "multipass", "execution_kind": "ci",
        "test_level": "contract", "result": "passed", "started_at": "2026-01-01T12:00:00+00:00",
        "finished_at": "2026-01-01T12:00:09+00:00", "duration_seconds": 9,
        "productive_k3s": {"source": "release", "version": "v0.4.0",
            "release_repo": "productive-k3s/productive-k3s-core", "engine": "native",
            "resolved_from_cluster_json": false},
        "installation": {"environment": "local", "topology": "single-node",
            "node_count_expected": "1", "bootstrap_modes_used": ["single-node"]},
        "features": {"nfs": false, "longhorn": true},
        "phases": {"test_contract": {"status": "passed", "duration_seconds": 9}},
        "ci": {"provider": "github-actions", "workflow": "matrix", "run_id": "9876543210"},
        "telemetry": {"share_metrics_enabled": false, "anonymous_by_default": true,
            "endpoint_configured": false, "propagates_to_productive_k3s": true,
            "max_retries": 3, "connect_timeout_seconds": 5, "request_timeout_seconds": 10}
    })
}

fn matrix_summary() -> Value {
    json!({
        "schema_version": "1", "level": "contract", "result": "passed", "total": 3,
        "passed": 3, "failed": 0, "skipped": 0,
        "scenarios": [
            {"scenario": "multipass", "result": "passed", "duration_seconds": 9},
            {"scenario": "aws-single-node", "result": "skipped", "skip_reason": "no credentials"}
        ]
    })
}

fn vm_artifact() -> Value {
    json!({
        "test_type": "vm", "artifact_scope": "public", "platform": "multipass",
        "profile": "single-node", "vm_created": "y", "keep_vm": "n", "purge_on_cleanup": "y",
        "image": "24.04", "cpus": "2", "memory": "4G", "disk": "20G", "status": "passed",
        "bootstrap_manifest_copied": "y"
    })
}

fn value(raw: &str) -> Value {
    match raw.strip_prefix("@obj:") {
        Some(j) => serde_json::from_str(j).unwrap(),
        None => Value::String(raw.into()),
    }
}

/// A ready-made event whose contract fields carry look-alikes (they must pass as data).
fn contract_look_alikes() -> Vec<Value> {
    [
        "core.apply.local",
        "infra.smoke.test",
        "cli.install.dev",
        "core.command.completed",
        "infra.scenario.aws_single_node.completed",
    ]
    .iter()
    .map(|name| {
        let mut e = lifecycle(name, "core");
        e["event_id"] = json!("evt-20260101-1");
        e
    })
    .collect()
}

#[test]
fn corpus_meets_the_catch_and_damage_goals() {
    let mut docs: Vec<Value> = Vec::new();
    let mut labels: Vec<Option<(&str, bool)>> = Vec::new();
    let shapes = shapes();
    for (i, (kind, contract, key, raw)) in DIRTY.iter().enumerate() {
        // Each planted value goes into two different real shapes.
        for j in [i, i + 3] {
            let shape = shapes[j % shapes.len()];
            // Contract fields go where the contract puts them.
            let doc = if let Some(field) = key.strip_prefix("client.") {
                let mut e = if j == i {
                    lifecycle("core.command.started", "core")
                } else {
                    envelope(run_manifest())
                };
                e["client"][field] = value(raw);
                e
            } else if ["event_id", "session_id", "run_id"].contains(key) {
                let mut e = lifecycle("core.command.started", "core");
                e[*key] = value(raw);
                e
            } else {
                shape(key, value(raw))
            };
            docs.push(doc);
            labels.push(Some((kind, *contract)));
        }
    }
    for (i, (key, raw)) in CLEAN.iter().enumerate() {
        docs.push(shapes[i % shapes.len()](key, value(raw)));
        labels.push(None);
    }
    for shape in &shapes {
        docs.push(shape("note", json!("ok")));
        labels.push(None);
    }
    for e in contract_look_alikes() {
        docs.push(e);
        labels.push(None);
    }

    let mut s = Sandbox::new();
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("USER", "corpus-runner");
    let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    s.write("corpus.jsonl", &(lines.join("\n") + "\n"));
    let run = s.run(&["check", "--format", "json", "corpus.jsonl"]);
    assert!(run.code == 0 || run.code == 1, "{run:#?}");
    let report: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let mut flagged: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let n = f["document"].as_u64().unwrap();
        flagged.entry(n).or_default().push(format!(
            "{} ({})",
            f["path"].as_str().unwrap(),
            f["kind"].as_str().unwrap()
        ));
    }
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));

    // Per kind: planted, caught.
    let mut per_kind: BTreeMap<&str, (bool, usize, usize)> = BTreeMap::new();
    let (mut clean, mut damaged) = (0, 0);
    let mut misses = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let hit = flagged.get(&(i as u64 + 1));
        match label {
            Some((kind, contract)) => {
                let e = per_kind.entry(kind).or_insert((*contract, 0, 0));
                e.1 += 1;
                if hit.is_some() {
                    e.2 += 1;
                } else {
                    misses.push(format!("missed {kind}: {}", docs[i]));
                }
            }
            None => {
                clean += 1;
                if let Some(h) = hit {
                    damaged += 1;
                    misses.push(format!("damaged: {h:?} in {}", docs[i]));
                }
            }
        }
    }
    let (mut all, mut all_hit, mut con, mut con_hit) = (0, 0, 0, 0);
    println!("kind                  contract  caught");
    for (kind, (contract, n, hit)) in &per_kind {
        println!(
            "{kind:<22}{:<10}{hit}/{n}",
            if *contract { "yes" } else { "no" }
        );
        all += n;
        all_hit += hit;
        if *contract {
            con += n;
            con_hit += hit;
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "corpus: {} payloads ({} with a planted identifier of {} kinds, {clean} clean)",
        docs.len(),
        all,
        per_kind.len()
    );
    println!(
        "caught, all kinds:      {:.1}% ({all_hit}/{all})",
        pct(all_hit, all)
    );
    println!(
        "caught, contract kinds: {:.1}% ({con_hit}/{con})",
        pct(con_hit, con)
    );
    println!(
        "clean payloads damaged: {:.1}% ({damaged}/{clean})",
        pct(damaged, clean)
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(pct(con_hit, con) >= 98.0, "contract kinds caught below 98%");
    assert!(pct(all_hit, all) >= 95.0, "all kinds caught below 95%");
    assert!(
        pct(damaged, clean) <= 1.0,
        "more than 1% of clean payloads damaged"
    );
}
