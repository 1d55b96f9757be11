//! Secrets of well-known shapes (JWTs, k3s join tokens, PEM blocks, headers, assignments)
//! and values under secret-like keys.

use super::prelude::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "secret.jwt",
        about: "JSON Web Tokens (`eyJ….eyJ….sig`): service-account and OIDC tokens",
        scope: Scope::Raw,
        keywords: &["eyj"],
        pattern: r"\b{start-half}eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        catches: &[(
            "",
            "kubectl --token=eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.abcDEF123_-xyz",
        )],
        keeps: &[("", "eyJ is how base64 JSON starts")],
        ..Rule::BASE
    },
    Rule {
        id: "secret.k3s-token",
        about: "k3s join tokens: `K10<hex>::server:<secret>`, `K10<64 hex>`",
        scope: Scope::Raw,
        keywords: &["k10"],
        pattern: r"\b{start-half}K10[0-9a-f]{32,}(?:::[A-Za-z0-9_.:-]+)?",
        validate: Some(k3s_token),
        catches: &[
            (
                "",
                "K10c5a4b2e8f1d3c6a9b7e5f4d2c1b0a9e8f7d6c5b4a3e2f1d0c9b8a7e6f5d4c3b2::server:3f9a1c7e5b2d4f6a",
            ),
            (
                "",
                "K10aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899",
            ),
        ],
        keeps: &[("", "K10 is the token format's version")],
        ..Rule::BASE
    },
    Rule {
        id: "secret.kubeadm-token",
        about: "Bootstrap tokens (`abcdef.0123456789abcdef`, kubeadm and k3s `token create`)",
        scope: Scope::Raw,
        keywords: &["."],
        pattern: r"\b{start-half}[a-z0-9]{6}\.[a-z0-9]{16}\b{end-half}",
        validate: Some(bootstrap_token),
        catches: &[("", "k3s token create printed x7k2m9.4f8s1d0a9z3c6v5b")],
        keeps: &[
            ("", "values.yamlcontent"),
            ("image", "docker.io/library/alpine"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.pem",
        about: "PEM blocks (`-----BEGIN … PRIVATE KEY-----`, certificates, which name their hosts)",
        scope: Scope::Raw,
        keywords: &["-----begin"],
        pattern: r"(?i)-----BEGIN [A-Z0-9 ]{0,40}-----",
        catches: &[(
            "tls_key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        )],
        keeps: &[("", "BEGIN and END markers")],
        ..Rule::BASE
    },
    Rule {
        id: "secret.ssh-public-key",
        about: "SSH public keys (`ssh-ed25519 AAAA…`): they identify their owner",
        scope: Scope::Raw,
        keywords: &["ssh-", "ecdsa-"],
        pattern: r"(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp[0-9]{3}|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA[A-Za-z0-9+/]{20,}",
        catches: &[(
            "authorized_key",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        )],
        keeps: &[
            ("", "ssh-ed25519 keys are preferred"),
            ("key_type", "ssh-rsa"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.authorization",
        about: "`Authorization:` header values",
        scope: Scope::Raw,
        keywords: &["authorization"],
        pattern: r"(?i)authorization\x22?\s*[:=]\s*\x22?(?:(?:bearer|basic|token|digest|negotiate|bot|aws4-hmac-sha256)\s+)?[^\s\x22',]{6,}",
        validate: Some(credential_after_scheme),
        catches: &[
            ("header", "Authorization: Basic ZGVwbG95OnMzY3JldA=="),
            ("", "curl -H 'Authorization: token 0123456789abcdef0123'"),
        ],
        keeps: &[
            ("", "Authorization header omitted"),
            ("", "authorization: required"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.bearer",
        about: "`Bearer`/`Basic` credentials in text",
        scope: Scope::Raw,
        keywords: &["bearer", "basic"],
        pattern: r"(?i)\b{start-half}(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}",
        validate: Some(credential_after_scheme),
        catches: &[("message", "sent Bearer abc.def-123456789")],
        keeps: &[
            ("", "the Bearer token is masked"),
            ("", "basic authentication enabled"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.assignment",
        about: "`password=…`, `K3S_TOKEN: …`, `--token …`, `api_key => …` in text (not placeholders, variables, or a single word of letters)",
        scope: Scope::Raw,
        keywords: &["pass", "pwd", "secret", "token", "key", "cred", "auth"],
        pattern: r"(?i)(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|privatekey|credentials?|creds|auth)[A-Za-z0-9_.-]{0,24}(?:\x22|')?(?:\s*(?::=|=>|[:=])\s*|\s+)(?:\x22|')?[^\s\x22',;&)}]{4,}",
        validate: Some(assignment),
        catches: &[
            ("note", "--token=s3cr3t-join-value"),
            (
                "env",
                "AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
            ),
            ("", "k3s agent --token K1Xjoin-secret-7"),
            ("", "registry password: hunter2!"),
            (
                "",
                "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=",
            ),
        ],
        keeps: &[
            ("note", "token: provided"),
            ("note", "password: ********"),
            ("", "K3S_TOKEN=${K3S_TOKEN}"),
            ("", "token_file=run/token"),
            ("", "the password is required"),
            ("", "authentication succeeded"),
            ("", "secret: created"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.url-parameter",
        about: "credentials in URL query strings (`?access_token=`, `&X-Amz-Signature=`, `&sig=`)",
        scope: Scope::Raw,
        keywords: &["="],
        pattern: r"(?i)[?&;](?:access_token|token|sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential|apikey|api_key|key|client_secret|password|passwd|secret|auth|code)=[^&\s#\x22']{8,}",
        validate: Some(url_parameter),
        catches: &[(
            "url",
            "https://acme-bucket.s3.amazonaws.com/x?X-Amz-Signature=5f4dcc3b5aa765d61d8327deb882cf99a1b2c3d4",
        )],
        keeps: &[("", "https://github.com/k3s-io/k3s/pulls?page=12345678")],
        ..Rule::BASE
    },
    Rule {
        id: "secret.aws-secret-key",
        about: "AWS secret access keys: 40 of `[A-Za-z0-9/+]` with upper, lower and digits, high entropy",
        scope: Scope::Raw,
        classes: UPPER | LOWER | DIGIT,
        lead: r"[^A-Za-z0-9/+=]",
        pattern: r"[A-Za-z0-9/+]{40}",
        validate: Some(aws_secret),
        catches: &[("detail", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")],
        keeps: &[
            ("sha1", "3f786850e387550fdab836ed7e6dc881de23001b"),
            (
                "",
                "https://github.com/k3s-io/k3s/commit/3f786850e387550fdab836ed7e6dc881de23001b",
            ),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.by-key",
        about: "any value under a secret key (`password`, `k3s_token`, `api_key`, `client_secret`, `*_pass`), whatever its characters; placeholders pass",
        scope: Scope::Value,
        context: When::In(&[Context::Secret]),
        validate: Some(real_value),
        catches: &[
            ("k3s_token", "mysupersecrettoken"),
            ("password", "123456"),
            ("api_key", "9f86d081884c7d659a2feaa0c55ad015"),
            ("ansible_become_pass", "x"),
        ],
        keeps: &[
            ("token", "provided"),
            ("password", "********"),
            ("k3s_token", "${K3S_TOKEN}"),
            ("pass", "multipass"),
            ("token_provided", "y"),
            ("secret_name", "registry-auth"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "secret.by-weak-key",
        about: "a high-entropy value (16+ characters, letters and digits, not a UUID) under a weaker key (`ssh_key`, `auth`, `signature`)",
        scope: Scope::Value,
        context: When::In(&[Context::WeakSecret]),
        validate: Some(high_entropy_value),
        catches: &[(
            "ssh_key",
            "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        )],
        keeps: &[
            ("auth", "basic"),
            ("key", "0b6c1a2e-3f4d-4e5f-8a9b-123456789012"),
            ("key", "node-role.kubernetes.io/master"),
        ],
        ..Rule::BASE
    },
];

/// `K10<hex>::…` with 32+ hex digits, or 64+ hex digits alone.
fn k3s_token(c: &Cand) -> bool {
    let t = c.text();
    let hex = t.get(3..).map_or(0, |r| {
        r.iter().take_while(|b| b.is_ascii_hexdigit()).count()
    });
    t.windows(2).any(|w| w == b"::") || hex >= 64
}

/// Six and sixteen lower-case letters or digits, the sixteen mixed.
fn bootstrap_token(c: &Cand) -> bool {
    let t = c.text();
    let tail = t.get(7..).unwrap_or_default();
    tail.iter().any(u8::is_ascii_digit)
        && tail.iter().any(u8::is_ascii_lowercase)
        && c.before(1) != Some(b'.')
        && c.after(0) != Some(b'.')
}

/// The credential after an optional scheme: not a placeholder, with a digit or one of
/// `._-+/=~` (a word like "provided" is prose).
fn credential_after_scheme(c: &Cand) -> bool {
    let t = c.text();
    let value = t
        .rsplit(|b| b.is_ascii_whitespace() || matches!(b, b':' | b'"'))
        .next()
        .unwrap_or_default();
    let value = value.strip_prefix(b"=").unwrap_or(value);
    value.len() >= 6
        && !std::str::from_utf8(value).is_ok_and(placeholder)
        && value.iter().any(|b| {
            b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'/' | b'=' | b'~')
        })
}

/// A key's last words that make an assignment about a secret, not the secret.
#[rustfmt::skip]
const ABOUT: &[&str] = &[
    "file", "path", "name", "ref", "id", "type", "provided", "enabled", "set", "url", "uri",
    "endpoint", "dir", "env", "source", "mode", "length", "len", "count", "required",
    "configured", "present", "exists", "expires", "expiry", "ttl", "kind", "used", "method",
    "format", "version", "label", "size", "status", "policy", "secret_ref", "hash_algorithm",
];

/// `name = value`: the name's tail is not an "about" word, and the value is real: not a
/// placeholder or variable, and not a single word of letters shorter than 20 (prose:
/// "the password is required", "secret: created").
fn assignment(c: &Cand) -> bool {
    let t = c.text();
    let Some(sep) = t
        .iter()
        .position(|b| matches!(b, b':' | b'=' | b'>') || b.is_ascii_whitespace())
    else {
        return false;
    };
    let name = t.get(..sep).unwrap_or_default().to_ascii_lowercase();
    let name = name
        .strip_suffix(b"\"")
        .or_else(|| name.strip_suffix(b"'"))
        .unwrap_or(&name);
    if ABOUT
        .iter()
        .any(|a| name.ends_with(a.as_bytes()) && name.len() > a.len())
    {
        return false;
    }
    // A bare `token value` (no `=` or `:`) only as a command-line flag: `--token value`.
    let assigned = t.get(sep..).is_some_and(|r| {
        r.iter()
            .take_while(|b| !b.is_ascii_alphanumeric())
            .any(|b| matches!(b, b':' | b'=' | b'>'))
    });
    let flag = c.before(1) == Some(b'-') && c.before(2) == Some(b'-');
    if !(assigned || flag) {
        return false;
    }
    let rest = t.get(sep..).unwrap_or_default();
    let skip = rest
        .iter()
        .take_while(|b| b.is_ascii_whitespace() || matches!(b, b':' | b'=' | b'>' | b'"' | b'\''))
        .count();
    let value = rest.get(skip..).unwrap_or_default();
    let value = value
        .strip_suffix(b"\"")
        .or_else(|| value.strip_suffix(b"'"))
        .unwrap_or(value);
    let Ok(v) = std::str::from_utf8(value) else {
        return true;
    };
    let word = v
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'));
    let prose = word && v.len() < 20;
    v.len() >= 4 && !placeholder(v) && !v.starts_with('$') && !prose
}

/// A query parameter's value that is not a placeholder or a plain number.
fn url_parameter(c: &Cand) -> bool {
    let t = c.text();
    let value = t.rsplit(|&b| b == b'=').next().unwrap_or_default();
    !value.iter().all(u8::is_ascii_digit) && !std::str::from_utf8(value).is_ok_and(placeholder)
}

/// Exactly 40 characters (not part of a longer run), upper, lower and digits mixed, and
/// random-looking: a hex SHA-1 has no upper case, words have low entropy.
fn aws_secret(c: &Cand) -> bool {
    let t = c.text();
    !c.after(0)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'='))
        && t.iter().any(u8::is_ascii_uppercase)
        && t.iter().any(u8::is_ascii_lowercase)
        && t.iter().any(u8::is_ascii_digit)
        && entropy(t) > 4.0
}

/// Anything but a placeholder.
fn real_value(c: &Cand) -> bool {
    std::str::from_utf8(c.text()).is_ok_and(|v| !placeholder(v))
}

/// Long, no spaces, letters and digits mixed, not a UUID or a dotted name, high entropy.
pub fn high_entropy_value(c: &Cand) -> bool {
    let b = c.text();
    b.len() >= 16
        && !b.iter().any(u8::is_ascii_whitespace)
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter().any(u8::is_ascii_digit)
        && !(b.len() == 36 && b.iter().filter(|&&c| c == b'-').count() == 4)
        && b.iter().filter(|&&c| c == b'.' || c == b'/').count() < 3
        && entropy(b) >= 3.3
}
