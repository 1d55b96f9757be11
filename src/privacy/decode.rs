//! Encoded forms an identifier can hide in: percent-encoding (`alice%40example.org`),
//! fullwidth forms (`１９２．１６８．１．２`), defanged notation (`10[.]0[.]0[.]5`,
//! `ops[at]example.org`) and base64 text. Each variant is at most as long as the string
//! (base64 shorter), and there are at most four, so checking them keeps the guard linear.

/// The decoded variants of `s` that differ from it.
pub fn variants(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    if b.contains(&b'%')
        && let Some(p) = percent(b)
    {
        out.push(p);
    }
    if !s.is_ascii()
        && let Some(f) = fullwidth(s)
    {
        out.push(f);
    }
    if (b.contains(&b'[') || b.contains(&b'('))
        && let Some(d) = defanged(s)
    {
        out.push(d);
    }
    if let Some(t) = base64_text(b) {
        out.push(t);
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `%XX` decoded (twice over, for `%2540`), when there was any.
fn percent(b: &[u8]) -> Option<String> {
    let once = |b: &[u8]| -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(b.len());
        let mut any = false;
        let mut i = 0;
        while i < b.len() {
            let c = b.get(i).copied().unwrap_or_default();
            let pair = (c == b'%')
                .then(|| Some((hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?)))
                .flatten();
            if let Some((h, l)) = pair {
                out.push(h << 4 | l);
                any = true;
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        }
        any.then_some(out)
    };
    let first = once(b)?;
    let bytes = once(&first).unwrap_or(first);
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Fullwidth ASCII (U+FF01–U+FF5E) and ideographic full stops as ASCII.
fn fullwidth(s: &str) -> Option<String> {
    let mut any = false;
    let out: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => {
                any = true;
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{3002}' | '\u{FF61}' => {
                any = true;
                '.'
            }
            '\u{3000}' => {
                any = true;
                ' '
            }
            _ => c,
        })
        .collect();
    any.then_some(out)
}

/// `[.]`, `(.)`, `[dot]`, `(dot)` as `.`; `[at]`, `(at)` as `@`; `[:]` as `:`.
fn defanged(s: &str) -> Option<String> {
    let mut out = s.to_string();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("[at]", "@"),
        ("(at)", "@"),
        ("[@]", "@"),
        ("[:]", ":"),
    ] {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    (out != s).then_some(out)
}

/// Each byte's base64 value (standard and URL-safe alphabets), 255 for none: a table, as
/// the runs of a long string are measured byte by byte.
const B64: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

fn b64_value(c: u8) -> Option<u32> {
    let v = B64[usize::from(c)];
    (v != 255).then_some(u32::from(v))
}

/// Base64 (standard or URL-safe) runs of 12+ characters that decode to printable text,
/// joined by spaces. Binary results (hashes, random tokens) are not text and are skipped.
fn base64_text(b: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let n = b.get(i..).map_or(0, |r| {
            r.iter()
                .take_while(|&&c| B64[usize::from(c)] != 255)
                .count()
        });
        if n == 0 {
            i += 1;
            continue;
        }
        if n >= 12
            && let Some(text) = b.get(i..i + n).and_then(decode_b64)
        {
            out.push_str(&text);
            out.push(' ');
        }
        i += n;
    }
    (!out.is_empty()).then_some(out)
}

fn decode_b64(run: &[u8]) -> Option<String> {
    let mut bytes = Vec::new();
    let (mut acc, mut bits, mut odd) = (0u32, 0u32, 0usize);
    for &c in run {
        acc = (acc << 6 | b64_value(c)?) & 0xFF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let b = (acc >> bits) as u8;
            if !((0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t')) {
                odd += 1;
                // Binary, not text (a hash, a random token, digits): no need to go on.
                if odd * 20 > (bytes.len() + 1).max(64) {
                    return None;
                }
            }
            bytes.push(b);
        }
    }
    (bytes.len() >= 8 && odd * 20 <= bytes.len())
        .then(|| String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_is_decoded() {
        assert_eq!(variants("alice%40example.org"), ["alice@example.org"]);
        assert_eq!(variants("１９２．１６８．１．２"), ["192.168.1.2"]);
        assert_eq!(variants("10[.]0[.]0[.]5"), ["10.0.0.5"]);
        assert_eq!(variants("MTAuMC4wLjU6NjQ0Mw=="), ["10.0.0.5:6443 "]);
        assert!(variants("core.apply.single_node.completed").is_empty());
        assert!(variants("0b6c1a2e-3f4d-4e5f-8a9b-123456789012").is_empty());
        assert!(variants("3f786850e387550fdab836ed7e6dc881de23001b").is_empty());
    }
}
