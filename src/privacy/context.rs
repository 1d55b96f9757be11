//! What an object key says about the strings under it. Free text is checked the same way
//! everywhere; the key only adds rules (a single word under `remote_user` is a user name)
//! or moves the line between data and identifier (`1.2.3.4` under `k3s_version`).

/// The meaning the nearest object key gives a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Free,
    /// `host`, `hostname`, `nodes`, `server`, `target`, `bastion`, `vm_name`, `*_host`, …
    Host,
    /// `user`, `remote_user`, `ssh_user`, `owner`, `login`, `*_user`, …
    User,
    /// `password`, `token`, `*_token`, `api_key`, `client_secret`, …: any real value counts.
    Secret,
    /// `key`, `auth`, `signature`, …: high-entropy values count.
    WeakSecret,
    /// Contains `account` (or AWS's `owner_id`): 12 digits are an AWS account id.
    Account,
    /// `project`, `project_id`, `gcp_project`, …: a GCP project id.
    Project,
    /// `subscription_id`, `tenant_id`, …: a UUID here is an Azure id.
    Subscription,
    /// `*version*`, `release`, `tag`, …: `1.2.3.4` is a version, not an address.
    Version,
    /// `apiVersion`, `group`, `crd`, …: dotted names are API groups, not hosts.
    ApiGroup,
}

/// Host-like key words (compared as the whole key or its last `_` word).
#[rustfmt::skip]
const HOST: &[&str] = &[
    "host", "hosts", "hostname", "hostnames", "fqdn", "fqdns", "node", "nodes", "nodename",
    "server", "servers", "target", "targets", "bastion", "bastions", "jumphost", "jump",
    "vm", "vms", "machine", "machines", "instance", "instances", "peer", "peers", "worker",
    "workers", "master", "masters", "controller", "controllers", "domain", "domains",
    "san", "sans", "computer", "computername", "workstation", "proxy", "proxies", "nameserver",
    "nameservers", "dns", "ingress", "origin", "upstream", "endpoint", "endpoints",
];
/// Host words that are also a role or setting as the whole key (`"mode": "server"` lives
/// under `mode`, but `"worker": "3"` or `"dns": "coredns"` should not turn into a host rule).
#[rustfmt::skip]
const HOST_ONLY_AS_SUFFIX: &[&str] = &[
    "worker", "workers", "master", "masters", "controller", "controllers", "dns", "ingress",
    "proxy", "proxies", "origin", "upstream", "endpoint", "endpoints", "instance", "instances",
    "domain", "domains",
];
#[rustfmt::skip]
const USER: &[&str] = &[
    "user", "users", "username", "usernames", "login", "owner", "owners", "author",
    "authors", "maintainer", "maintainers", "committer", "operator", "creator", "requester",
    "assignee", "reporter", "actor", "account_name", "person", "contact", "admin", "admins",
    "principal", "sudoer", "become",
];
#[rustfmt::skip]
const SECRET: &[&str] = &[
    "password", "passwd", "pass", "pwd", "passphrase", "secret", "token", "apikey",
    "credential", "credentials", "cookie", "authorization", "bearer", "pat", "psk",
];
#[rustfmt::skip]
const WEAK_SECRET: &[&str] = &["key", "auth", "signature", "hmac", "salt", "otp", "nonce"];
/// A last word that says the key is about a secret, not the secret (`token_provided`).
#[rustfmt::skip]
const ABOUT: &[&str] = &[
    "provided", "set", "configured", "enabled", "present", "file", "path", "name", "ref",
    "env", "source", "mode", "type", "length", "len", "count", "required", "exists",
    "rotated", "expires", "expiry", "ttl", "kind", "used", "method", "format", "dir",
    "manage", "managed", "version", "id", "ids", "label", "url", "size", "status", "policy",
    "algorithm", "scope", "scopes", "class", "role", "roles", "count",
];

/// `remoteUser`, `Remote-User`, `remote.user` → `remote_user`; `-`, `.` and spaces as `_`.
pub fn normalize(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out.trim_matches('_').to_string()
}

/// The context a key gives the strings directly under it.
pub fn of_key(key: &str) -> Context {
    let k = normalize(key);
    if k.is_empty() {
        return Context::Free;
    }
    let words: Vec<&str> = k.split('_').collect();
    let last = words.last().copied().unwrap_or_default();
    let has = |w: &str| words.contains(&w);
    let is = |list: &[&str], w: &str| list.contains(&w);

    if is(
        &[
            "apiversion",
            "api_version",
            "group",
            "groups",
            "apigroup",
            "api_group",
            "crd",
            "crds",
        ],
        k.as_str(),
    ) || (last == "group" && has("api"))
    {
        return Context::ApiGroup;
    }
    if is(ABOUT, last) && words.len() > 1 {
        // `gcp_project_id`, `aws_account_id`, `subscription_id` still say what they hold.
        if last == "id" || last == "ids" {
            if has("account") || has("accounts") {
                return Context::Account;
            }
            if has("project") && !has("run") {
                return Context::Project;
            }
            if has("subscription") || has("tenant") {
                return Context::Subscription;
            }
            if has("owner") {
                return Context::Account;
            }
        }
        if last == "version" {
            return Context::Version;
        }
        if (last == "name" || last == "names") && words.len() == 2 {
            // `vm_name`, `node_name`, `host_name`, `user_name`, `account_name`.
            let first = words.first().copied().unwrap_or_default();
            if is(HOST, first) {
                return Context::Host;
            }
            if is(USER, first) || first == "account" {
                return Context::User;
            }
        }
        return Context::Free;
    }
    if k.contains("version") || is(&["release", "tag", "tags", "revision", "ver"], last) {
        return Context::Version;
    }
    if has("password")
        || has("passwd")
        || k.ends_with("private_key")
        || k.ends_with("api_key")
        || k.ends_with("access_key")
        || k.ends_with("secret_key")
        || k.ends_with("client_secret")
        || is(SECRET, last)
    {
        return Context::Secret;
    }
    if is(WEAK_SECRET, last) {
        return Context::WeakSecret;
    }
    if has("account") || has("accounts") {
        return Context::Account;
    }
    if has("subscription") || has("tenant") {
        return Context::Subscription;
    }
    if has("project") && (words.len() == 1 || has("gcp") || has("google") || has("gcloud")) {
        return Context::Project;
    }
    // `created_by`, `triggered_by`, `owned_by`: a person.
    if is(USER, last) || (last == "by" && words.len() > 1) {
        return Context::User;
    }
    if is(HOST, last) && !(words.len() == 1 && is(HOST_ONLY_AS_SUFFIX, last)) {
        return Context::Host;
    }
    Context::Free
}

/// Whether the keys of the object under `key` are themselves hosts or users
/// (`{"nodes": {"web-01": …}}`, `{"users": {"jdoe": …}}`).
pub fn container(key: &str) -> Context {
    let k = normalize(key);
    #[rustfmt::skip]
    const HOSTS: &[&str] = &[
        "nodes", "hosts", "hostnames", "servers", "machines", "vms", "virtual_machines",
        "instances", "workers", "agents", "masters", "controllers", "control_planes",
        "bastions", "peers", "targets", "node_names", "inventory", "members_hosts",
    ];
    #[rustfmt::skip]
    const USERS: &[&str] = &["users", "owners", "admins", "operators", "authors", "maintainers", "accounts"];
    let last = k.rsplit('_').next().unwrap_or_default();
    if HOSTS.contains(&k.as_str()) || HOSTS.contains(&last) {
        Context::Host
    } else if USERS.contains(&k.as_str()) || USERS.contains(&last) {
        Context::User
    } else {
        Context::Free
    }
}

/// The context of `key` inside an object whose own key made it a container of hosts or
/// users: `nodes[0].name` is a host name.
pub fn within(container: Context, key: &str) -> Context {
    let own = of_key(key);
    if own != Context::Free || container == Context::Free {
        return own;
    }
    match normalize(key).as_str() {
        "name" | "id" | "address" | "addr" | "alias" | "aliases" | "label" => container,
        _ => own,
    }
}

/// Keys that describe a set of hosts or users rather than name one (`nodes.count`).
/// Host names have no `_`, so a key with one is a schema word too.
pub fn schema_word(key: &str) -> bool {
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "count", "total", "ready", "expected", "desired", "min", "max", "status", "summary",
        "items", "list", "labels", "taints", "roles", "role", "names", "selector", "version",
        "spec", "metadata", "defaults", "config", "settings", "ips", "addresses", "pools",
        "groups", "vars", "children", "hosts", "nodes", "servers", "users", "size", "type",
        "kind", "mode", "enabled", "state", "health", "ok", "failed", "skipped", "pending",
        "unknown", "ratio", "percent", "available", "unavailable", "online", "offline",
    ];
    key.contains('_') || WORDS.iter().any(|w| w.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_contexts() {
        for (k, c) in [
            ("hostname", Context::Host),
            ("remoteUser", Context::User),
            ("remote_user", Context::User),
            ("ssh-user", Context::User),
            ("vm_name", Context::Host),
            ("bastion", Context::Host),
            ("registry_host", Context::Host),
            ("host_os_id", Context::Free),
            ("host_os_pretty_name", Context::Free),
            ("node_count_expected", Context::Free),
            ("agent_cluster_token_provided", Context::Free),
            ("k3s_token", Context::Secret),
            ("db_password", Context::Secret),
            ("ssh_key", Context::WeakSecret),
            ("aws_account_id", Context::Account),
            ("gcp_project_id", Context::Project),
            ("project", Context::Project),
            ("subscription_id", Context::Subscription),
            ("k3s_version", Context::Version),
            ("apiVersion", Context::ApiGroup),
            ("worker", Context::Free),
            ("mode", Context::Free),
            ("secret_name", Context::Free),
        ] {
            assert_eq!(of_key(k), c, "{k}");
        }
        assert_eq!(container("nodes"), Context::Host);
        assert_eq!(container("node"), Context::Free);
        assert_eq!(within(Context::Host, "name"), Context::Host);
        assert_eq!(within(Context::Host, "role"), Context::Free);
    }
}
