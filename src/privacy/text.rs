//! Byte helpers every family of rules shares. Matching is on bytes (ASCII rules); slicing
//! happens only at ASCII positions, so it never splits a character.

/// Letters, digits and any non-ASCII byte: what a delimited match must not touch.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// `b[start..end]` touches no word byte on either side.
pub fn delimited(b: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|j| b.get(j));
    !before.is_some_and(|&c| is_word(c)) && !b.get(end).is_some_and(|&c| is_word(c))
}

/// Positions where `needle` occurs in `hay`, ASCII case-insensitively. The needles are
/// short constants or local names, so this stays linear in `hay` for a fixed rule set.
pub fn find_ci<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let n = needle.len().max(1);
    let first = needle.first().map(u8::to_ascii_lowercase);
    hay.windows(n)
        .enumerate()
        .filter(move |(_, w)| {
            first.is_some_and(|f| w.first().is_some_and(|c| c.to_ascii_lowercase() == f))
                && w.eq_ignore_ascii_case(needle)
        })
        .map(|(i, _)| i)
}

/// The byte before `i`, if any.
pub fn before(b: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| b.get(j).copied())
}

/// Length of the run from `i` whose bytes satisfy `f`.
pub fn run_len(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    b.get(i..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| f(c)).count())
}

/// Length of the run ending just before `i` whose bytes satisfy `f`.
pub fn run_back(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    b.get(..i)
        .map_or(0, |head| head.iter().rev().take_while(|&&c| f(c)).count())
}

/// A value that stands for "nothing here": empty, a boolean or yes/no flag, a placeholder,
/// a mask, a template or variable reference. Never an identifier, whatever the key.
pub fn placeholder(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() || t.len() > 64 {
        return t.is_empty();
    }
    let l = t.to_ascii_lowercase();
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "none", "null", "nil", "unknown", "n/a", "na", "-", "--", "*", "true", "false",
        "yes", "no", "y", "n", "on", "off", "auto", "default", "all", "any", "self",
        "provided", "set", "unset", "configured", "enabled", "disabled", "present",
        "absent", "hidden", "masked", "omitted", "redacted", "[redacted]", "<redacted>",
        "empty", "missing", "not-set", "notset", "not set", "generated", "random",
        "required", "optional", "example", "changeme-placeholder", "tbd", "todo", "ok",
        "skipped", "localhost", "local", "off-line", "offline", "online",
    ];
    WORDS.contains(&l.as_str())
        || t.bytes()
            .all(|c| c == b'*' || c == b'x' || c == b'X' || c == b'.' || c == b'#')
        || t.bytes().all(|c| c.is_ascii_digit())
        || (t.starts_with('<') && t.ends_with('>'))
        || t.starts_with("${")
        || t.starts_with("{{")
        || (t.starts_with('$')
            && t.len() > 1
            && t[1..]
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit()))
        || t.starts_with("[redacted")
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
