//! What an object key says about the strings under it. Free text is checked the same way
//! everywhere; the key only adds rules (a single word under `remote_user` is a user name)
//! or moves the line between data and identifier (`1.2.3.4` under `k3s_version`).

/// The meaning a string's own key gives it (array items take their array's key; an
/// ancestor's key never reaches further down).
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

/// What a key's word says, as bits: a host, a host only as the last word of a longer key
/// (`"worker": "3"` is a count, `k3s_worker` a machine), a user, a secret, a weaker
/// secret, or a word *about* the thing (`token_provided`, `secret_name`).
const HOST: u8 = 1;
const SUFFIX: u8 = 2;
const USER: u8 = 4;
const SECRET: u8 = 8;
const WEAK: u8 = 16;
const ABOUT: u8 = 32;

/// The key words, sorted: one binary search per word.
#[rustfmt::skip]
const WORDS: &[(&str, u8)] = &[
    ("account_name", USER), ("actor", USER), ("admin", USER), ("admins", USER),
    ("algorithm", ABOUT), ("apikey", SECRET), ("assignee", USER), ("auth", WEAK),
    ("author", USER), ("authorization", SECRET), ("authors", USER), ("bastion", HOST),
    ("bastions", HOST), ("bearer", SECRET), ("become", USER), ("class", ABOUT),
    ("committer", USER), ("computer", HOST), ("computername", HOST), ("configured", ABOUT),
    ("contact", USER), ("controller", HOST | SUFFIX), ("controllers", HOST | SUFFIX),
    ("cookie", SECRET), ("cookies", SECRET), ("count", ABOUT), ("creator", USER),
    ("credential", SECRET), ("credentials", SECRET), ("creds", SECRET), ("dir", ABOUT),
    ("domain", HOST | SUFFIX), ("domains", HOST | SUFFIX), ("enabled", ABOUT), ("env", ABOUT),
    ("exists", ABOUT), ("expires", ABOUT), ("expiry", ABOUT), ("file", ABOUT),
    ("format", ABOUT), ("fqdn", HOST), ("fqdns", HOST), ("hmac", WEAK), ("host", HOST),
    ("hostname", HOST), ("hostnames", HOST), ("hosts", HOST), ("id", ABOUT), ("ids", ABOUT),
    ("instance", HOST | SUFFIX), ("instances", HOST | SUFFIX), ("jump", HOST | SUFFIX),
    ("jumphost", HOST), ("key", WEAK), ("keys", WEAK), ("kind", ABOUT), ("label", ABOUT),
    ("len", ABOUT), ("length", ABOUT), ("login", USER), ("machine", HOST), ("machines", HOST),
    ("maintainer", USER), ("maintainers", USER), ("manage", ABOUT), ("managed", ABOUT),
    ("master", HOST | SUFFIX), ("masters", HOST | SUFFIX), ("method", ABOUT), ("mode", ABOUT),
    ("name", ABOUT), ("nameserver", HOST), ("nameservers", HOST), ("node", HOST),
    ("nodename", HOST), ("nodes", HOST), ("nonce", WEAK), ("otp", WEAK), ("owner", USER),
    ("owners", USER), ("passcode", SECRET), ("passphrase", SECRET), ("passwd", SECRET),
    ("password", SECRET), ("passwords", SECRET), ("pat", SECRET), ("path", ABOUT),
    ("peer", HOST), ("peers", HOST), ("person", USER), ("pin", SECRET), ("policy", ABOUT),
    ("present", ABOUT), ("principal", USER), ("provided", ABOUT), ("psk", SECRET),
    ("pwd", SECRET), ("ref", ABOUT), ("reporter", USER), ("requester", USER),
    ("required", ABOUT), ("role", ABOUT), ("roles", ABOUT), ("rotated", ABOUT), ("salt", WEAK),
    ("san", HOST), ("sans", HOST), ("scope", ABOUT), ("scopes", ABOUT), ("secret", SECRET),
    ("secrets", SECRET), ("server", HOST), ("servers", HOST), ("set", ABOUT), ("sig", WEAK),
    ("signature", WEAK), ("size", ABOUT), ("source", ABOUT), ("status", ABOUT),
    ("sudoer", USER), ("token", SECRET), ("tokens", SECRET), ("ttl", ABOUT), ("type", ABOUT),
    ("url", ABOUT), ("used", ABOUT), ("user", USER), ("username", USER), ("usernames", USER),
    ("users", USER), ("version", ABOUT), ("vm", HOST), ("vms", HOST),
    ("worker", HOST | SUFFIX), ("workers", HOST | SUFFIX), ("workstation", HOST),
];

fn word(w: &str) -> u8 {
    WORDS
        .binary_search_by(|(k, _)| k.cmp(&w))
        .ok()
        .and_then(|i| WORDS.get(i))
        .map_or(0, |&(_, bits)| bits)
}

fn host(w: &str) -> bool {
    word(w) & HOST != 0
}

fn user(w: &str) -> bool {
    word(w) & USER != 0
}

/// `remoteUser`, `Remote-User`, `remote.user` → `remote_user`; `-`, `.` and spaces as `_`.
/// A key that is already so (most are) is borrowed, not copied.
pub fn normalize(key: &str) -> std::borrow::Cow<'_, str> {
    let b = key.as_bytes();
    let plain = b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !key.starts_with('_')
        && !key.ends_with('_')
        && !key.contains("__");
    if plain {
        return std::borrow::Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for &c in b {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(char::from(c.to_ascii_lowercase()));
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(char::from(c));
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    std::borrow::Cow::Owned(out.trim_matches('_').to_string())
}

/// The context a key gives the strings directly under it.
pub fn of_key(key: &str) -> Context {
    let k = normalize(key);
    if k.is_empty() {
        return Context::Free;
    }
    let k: &str = &k;
    // One pass over the words: the last, the first, how many, and the few that matter
    // wherever they stand.
    const API: u16 = 1;
    const ACCOUNT: u16 = 2;
    const PROJECT: u16 = 4;
    const RUN: u16 = 8;
    const SUBSCRIPTION: u16 = 16;
    const OWNER: u16 = 32;
    const PASSWORD: u16 = 64;
    const GCP: u16 = 128;
    let (mut first, mut last, mut count, mut flags) = ("", "", 0usize, 0u16);
    for w in k.split('_') {
        if count == 0 {
            first = w;
        }
        last = w;
        count += 1;
        flags |= match w {
            "api" => API,
            "account" | "accounts" => ACCOUNT,
            "project" => PROJECT,
            "run" => RUN,
            "subscription" | "tenant" => SUBSCRIPTION,
            "owner" => OWNER,
            "password" | "passwd" => PASSWORD,
            "gcp" | "google" | "gcloud" => GCP,
            _ => 0,
        };
    }
    let has = |f: u16| flags & f != 0;
    let w = word(last);
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
        k,
    ) || (last == "group" && has(API))
    {
        return Context::ApiGroup;
    }
    if w & ABOUT != 0 && count > 1 {
        // `gcp_project_id`, `aws_account_id`, `subscription_id` still say what they hold.
        if last == "id" || last == "ids" {
            if has(ACCOUNT) {
                return Context::Account;
            }
            if has(PROJECT) && !has(RUN) {
                return Context::Project;
            }
            if has(SUBSCRIPTION) {
                return Context::Subscription;
            }
            if has(OWNER) {
                return Context::Account;
            }
        }
        if last == "version" {
            return Context::Version;
        }
        if (last == "name" || last == "names") && count == 2 {
            // `vm_name`, `node_name`, `host_name`, `user_name`, `account_name`.
            if host(first) {
                return Context::Host;
            }
            if user(first) || first == "account" {
                return Context::User;
            }
        }
        return Context::Free;
    }
    if k.contains("version") || is(&["release", "tag", "tags", "revision", "ver"], last) {
        return Context::Version;
    }
    if has(PASSWORD)
        || k.ends_with("private_key")
        || k.ends_with("api_key")
        || k.ends_with("access_key")
        || k.ends_with("secret_key")
        || k.ends_with("client_secret")
        || w & SECRET != 0
        // `ansible_become_pass`, `db_pass`; `"pass": [...]` alone is a test summary's list.
        || (last == "pass" && count > 1)
    {
        return Context::Secret;
    }
    if w & WEAK != 0 {
        return Context::WeakSecret;
    }
    if has(ACCOUNT) {
        return Context::Account;
    }
    if has(SUBSCRIPTION) {
        return Context::Subscription;
    }
    if has(PROJECT) && (count == 1 || has(GCP)) {
        return Context::Project;
    }
    // `created_by`, `triggered_by`, `owned_by`: a person.
    if w & USER != 0 || (last == "by" && count > 1) {
        return Context::User;
    }
    if w & HOST != 0 && !(count == 1 && w & SUFFIX != 0) {
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
        "workers", "agents", "masters", "bastions", "peers", "node_names", "inventory",
    ];
    #[rustfmt::skip]
    const USERS: &[&str] = &["users", "owners", "admins", "operators", "authors", "maintainers", "accounts"];
    let last = k.rsplit('_').next().unwrap_or_default();
    if HOSTS.contains(&&*k) || HOSTS.contains(&last) {
        Context::Host
    } else if USERS.contains(&&*k) || USERS.contains(&last) {
        Context::User
    } else {
        Context::Free
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
    fn the_key_words_are_sorted_for_their_binary_search() {
        assert!(WORDS.windows(2).all(|w| w[0].0 < w[1].0));
    }

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
        for (k, c) in [
            ("pass", Context::Free),
            ("ansible_become_pass", Context::Secret),
            ("dns", Context::Free),
            ("cluster_dns", Context::Free),
            ("target", Context::Free),
            ("target_host", Context::Host),
            ("operator", Context::Free),
            ("instanceCreator", Context::User),
        ] {
            assert_eq!(of_key(k), c, "{k}");
        }
    }
}
