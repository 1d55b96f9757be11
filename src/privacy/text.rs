//! Small byte helpers the rules share. Matching is on bytes (ASCII rules); slicing
//! happens only at ASCII positions, so it never splits a character. Each is linear in
//! its input, and the rules call them on bounded candidates.

/// Letters, digits and any non-ASCII byte: what a delimited match must not touch.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// The tool's own markers, exactly: `[redacted]`, `[redacted-2]`, … The only strings
/// no rule looks at.
pub fn is_marker(s: &str) -> bool {
    if s == super::MARKER {
        return true;
    }
    let Some(n) = s
        .strip_prefix("[redacted-")
        .and_then(|r| r.strip_suffix(']'))
    else {
        return false;
    };
    (1..=9).contains(&n.len()) && n.bytes().all(|c| c.is_ascii_digit()) && !n.starts_with('0')
}

/// A value that stands for "nothing here": empty, a flag word, a mask of `*`, or a
/// reference to a variable or template (`${K3S_TOKEN}`, `$TOKEN`, `{{ .token }}`,
/// `<token>`, `%TOKEN%`). Never an identifier, whatever the key. Digits, `xxxx` and
/// anything else real are not placeholders: under a secret key they count.
pub fn placeholder(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    if t.len() > 64 {
        return false;
    }
    let l = t.to_ascii_lowercase();
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "none", "null", "nil", "unknown", "n/a", "na", "-", "--", "true", "false", "yes",
        "no", "y", "n", "on", "off", "auto", "default", "provided", "set", "unset",
        "configured", "enabled", "disabled", "present", "absent", "hidden", "masked",
        "omitted", "redacted", "<redacted>", "empty", "missing", "not-set", "notset",
        "not set", "not-provided", "not provided", "generated", "random", "required",
        "optional", "tbd", "todo", "skipped", "ok",
    ];
    let reference = |open: &str, close: &str| {
        t.strip_prefix(open)
            .and_then(|r| r.strip_suffix(close))
            .is_some_and(|r| {
                !r.is_empty()
                    && r.bytes().all(|c| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, b'_' | b'.' | b' ' | b'-' | b'|' | b'"' | b'$')
                    })
            })
    };
    WORDS.contains(&l.as_str())
        || t.bytes().all(|c| c == b'*')
        || reference("${", "}")
        || reference("{{", "}}")
        || reference("<", ">")
        || reference("%", "%")
        || (t.len() > 1
            && t.starts_with('$')
            && t[1..]
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit()))
}

/// 8-4-4-4-12 hex digits.
pub fn uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Shannon entropy in bits per byte.
pub fn entropy(b: &[u8]) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in b {
        counts[usize::from(c)] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Lower-cases ASCII for a list lookup, without allocating when it is already lower.
pub fn lower(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if b.iter().any(u8::is_ascii_uppercase) {
        std::borrow::Cow::Owned(b.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(b)
    }
}

/// `b` is one of `list` (ASCII case-insensitive).
pub fn one_of(b: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(b))
}

/// The first two bytes (ASCII case folded) of a set of words, as a 64 Ki-bit set: a
/// string that holds none of them cannot hold any of the words, and is told so in one
/// cheap pass, without the Aho-Corasick search.
#[derive(Debug, Clone)]
pub struct Bigrams(Vec<u64>);

fn bigram(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

impl Bigrams {
    pub fn of<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Bigrams {
        let mut set = vec![0u64; 1024];
        for w in words {
            match w {
                [a, b, ..] => {
                    let i = bigram(*a, *b);
                    if let Some(slot) = set.get_mut(i / 64) {
                        *slot |= 1 << (i % 64);
                    }
                }
                // A one-byte word: every pair that starts with it.
                [a] => {
                    for b in 0..=255u8 {
                        let i = bigram(*a, b);
                        if let Some(slot) = set.get_mut(i / 64) {
                            *slot |= 1 << (i % 64);
                        }
                    }
                }
                [] => {}
            }
        }
        Bigrams(set)
    }

    /// Whether `s` may hold one of the words.
    pub fn maybe(&self, s: &[u8]) -> bool {
        s.windows(2).any(|w| match w {
            [a, b] => {
                let i = bigram(*a, *b);
                self.0.get(i / 64).is_some_and(|x| x >> (i % 64) & 1 == 1)
            }
            _ => false,
        })
    }
}
