//! Secrets: credentials of well-known shapes count anywhere; under a secret-like key, any
//! real value (or, for weaker keys, a high-entropy one) counts.

use super::context::Context;
use super::rules::{Kind, Text};
use super::text::{before, entropy, find_ci, placeholder, run_len};

type CharClass = fn(u8) -> bool;

/// Prefixes of issued tokens, the characters that follow, and how many at least.
#[rustfmt::skip]
const PREFIXED: &[(&str, CharClass, usize)] = &[
    ("ghp_", alnum, 30), ("gho_", alnum, 30), ("ghu_", alnum, 30), ("ghs_", alnum, 30),
    ("ghr_", alnum, 30), ("github_pat_", alnum_us, 20),
    ("glpat-", tok, 20), ("gldt-", tok, 20), ("glrt-", tok, 20), ("glptt-", tok, 20),
    ("glsoat-", tok, 20), ("glcbt-", tok, 20), ("gloas-", tok, 20), ("glft-", tok, 20),
    ("glimt-", tok, 20), ("glagent-", tok, 20),
    ("xoxb-", tok, 10), ("xoxp-", tok, 10), ("xoxa-", tok, 10), ("xoxr-", tok, 10),
    ("xoxs-", tok, 10), ("xapp-", tok, 10),
    ("AIza", tok, 30), ("sk_live_", alnum, 16), ("rk_live_", alnum, 16),
    ("sk-proj-", tok, 20), ("sk-ant-", tok, 20), ("npm_", alnum, 30), ("dckr_pat_", tok, 20),
    ("hvs.", tok, 20), ("hvb.", tok, 20), ("pypi-AgE", tok, 40), ("dop_v1_", alnum, 40),
    ("hf_", alnum, 30), ("shpat_", alnum, 30), ("glc_", tok, 30), ("doo_v1_", alnum, 40),
];

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
fn alnum_us(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn tok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}
fn b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'/' || c == b'+'
}

/// Tokens, keys and headers of well-known shapes.
pub fn shaped(t: &Text) -> Option<Kind> {
    let b = t.b;
    let hit = prefixed(b)
        || aws_key_id(b)
        || aws_secret(b)
        || jwt(b)
        || k3s_token(b)
        || pem(b)
        || header(b)
        || assignment(b);
    hit.then_some(Kind::Secret)
}

fn prefixed(b: &[u8]) -> bool {
    // One pass: a prefix is compared only where its first byte starts a word.
    b.iter().enumerate().any(|(at, &c)| {
        !before(b, at).is_some_and(|c| c.is_ascii_alphanumeric())
            && PREFIXED.iter().any(|&(p, chars, min)| {
                p.as_bytes().first() == Some(&c)
                    && b.get(at..).is_some_and(|r| r.starts_with(p.as_bytes()))
                    && run_len(b, at + p.len(), chars) >= min
            })
    })
}

/// `AKIA…` and the other AWS key id prefixes, then 16 upper-case letters or digits.
fn aws_key_id(b: &[u8]) -> bool {
    #[rustfmt::skip]
    const IDS: &[&[u8]] = &[b"AKIA", b"ASIA", b"AGPA", b"AIDA", b"AROA", b"ANPA", b"ANVA", b"AIPA", b"ABIA", b"ACCA"];
    b.windows(20).enumerate().any(|(i, w)| {
        w.first() == Some(&b'A')
            && IDS.iter().any(|p| w.starts_with(p))
            && w.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !before(b, i).is_some_and(|c| c.is_ascii_alphanumeric())
            && !b.get(i + 20).is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// An AWS secret access key: exactly 40 of `[A-Za-z0-9/+]` with upper, lower and digit
/// (a hex SHA-1 has no upper case).
fn aws_secret(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let n = run_len(b, i, b64);
        if n == 0 {
            i += 1;
            continue;
        }
        if n == 40 && before(b, i).is_none_or(|c| c != b'=') {
            let w = b.get(i..i + n).unwrap_or_default();
            let mixed = w.iter().any(u8::is_ascii_uppercase)
                && w.iter().any(u8::is_ascii_lowercase)
                && w.iter().any(u8::is_ascii_digit);
            if mixed && b.get(i + n) != Some(&b'=') && entropy(w) > 4.0 {
                return true;
            }
        }
        i += n;
    }
    false
}

/// `eyJ….eyJ….sig`: a JSON Web Token (header and payload are base64url JSON).
fn jwt(b: &[u8]) -> bool {
    let seg = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    find_ci(b, b"eyj").any(|i| {
        if b.get(i..i + 3) != Some(b"eyJ") || before(b, i).is_some_and(seg) {
            return false;
        }
        let h = run_len(b, i, seg);
        let dot = i + h;
        b.get(dot) == Some(&b'.') && h >= 10 && run_len(b, dot + 1, seg) >= 10
    })
}

/// A k3s join token: `K10<hex>::server:<secret>` (or `::node:`), or `K10<64 hex>`.
fn k3s_token(b: &[u8]) -> bool {
    find_ci(b, b"k10").any(|i| {
        let hex = run_len(b, i + 3, |c| c.is_ascii_hexdigit());
        let rest = b.get(i + 3 + hex..).unwrap_or_default();
        b.get(i..i + 3) == Some(b"K10")
            && !before(b, i).is_some_and(|c| c.is_ascii_alphanumeric())
            && hex >= 32
            && (rest.starts_with(b"::") || hex >= 64)
    })
}

/// `-----BEGIN … PRIVATE KEY-----` and other PEM blocks (certificates name their hosts).
fn pem(b: &[u8]) -> bool {
    find_ci(b, b"-----begin ").next().is_some()
}

/// An `Authorization:` header value, a `Bearer`/`Basic` credential.
fn header(b: &[u8]) -> bool {
    let value_at = |i: usize, min: usize| {
        let start = i + run_len(b, i, |c| c == b' ' || c == b'\t');
        let n = run_len(b, start, |c| {
            !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'' | b',')
        });
        let v = b.get(start..start + n).unwrap_or_default();
        n >= min
            && !std::str::from_utf8(v).is_ok_and(placeholder)
            && v.iter()
                .any(|c| c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-' | b'+' | b'/' | b'='))
    };
    find_ci(b, b"authorization:").any(|i| {
        let after = i + 14;
        let skip = run_len(b, after, |c| c == b' ');
        // `Authorization: Bearer x`: the credential is what follows the scheme.
        let scheme = run_len(b, after + skip, |c| c.is_ascii_alphabetic());
        value_at(after, 6) || value_at(after + skip + scheme, 6)
    }) || [&b"bearer "[..], b"basic "].iter().any(|scheme| {
        find_ci(b, scheme).any(|i| {
            !before(b, i).is_some_and(|c| c.is_ascii_alphanumeric())
                && value_at(i + scheme.len(), 8)
        })
    })
}

/// `password=…`, `--token …`, `K3S_TOKEN: …`, `?api_key=…` inside free text.
fn assignment(b: &[u8]) -> bool {
    #[rustfmt::skip]
    const NAMES: &[&[u8]] = &[
        b"password", b"passwd", b"pwd", b"token", b"api_key", b"apikey",
        b"access_key", b"secret_key", b"client_secret", b"private_key", b"passphrase",
    ];
    // Every form needs `=`, `:` or a `--flag`: most strings have none of them.
    if !b.iter().any(|&c| matches!(c, b'=' | b':' | b'-')) {
        return false;
    }
    NAMES.iter().any(|name| {
        find_ci(b, name).any(|i| {
            let end = i + name.len();
            let sep = |c: u8| matches!(c, b'=' | b':' | b' ' | b'"' | b'\'');
            let gap = run_len(b, end, sep);
            let seps = b.get(end..end + gap).unwrap_or_default();
            let assigned = seps.contains(&b'=')
                || seps.contains(&b':')
                || (seps == b" " && before(b, i) == Some(b'-'));
            let start = end + gap;
            let n = run_len(b, start, |c| {
                !c.is_ascii_whitespace()
                    && !matches!(c, b'"' | b'\'' | b'&' | b',' | b';' | b')' | b'}')
            });
            let v = b.get(start..start + n).unwrap_or_default();
            !before(b, i).is_some_and(|c| c.is_ascii_alphanumeric())
                && assigned
                && n >= 6
                && !std::str::from_utf8(v).is_ok_and(placeholder)
                && !v.starts_with(b"$")
        })
    })
}

/// High entropy: long, no spaces, letters and digits mixed, not a UUID or a dotted name.
pub fn high_entropy(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && !b.iter().any(u8::is_ascii_whitespace)
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter().any(u8::is_ascii_digit)
        && !uuid_like(b)
        && b.iter().filter(|&&c| c == b'.' || c == b'/').count() < 3
        && entropy(b) >= 3.3
}

fn uuid_like(b: &[u8]) -> bool {
    b.len() == 36 && b.iter().filter(|&&c| c == b'-').count() == 4
}

/// Under a secret-like key: any real value; under a weaker one, a high-entropy value.
pub fn by_key(t: &Text) -> Option<Kind> {
    let v = t.s.trim();
    let hit = match t.ctx {
        Context::Secret => v.len() >= 4 && !placeholder(v),
        Context::WeakSecret => high_entropy(v),
        _ => false,
    };
    hit.then_some(Kind::Secret)
}
