//! Strict JSON: serde_json keeps only the last value of a repeated key, so the first
//! (a hostname, a path, the token itself) would go out unseen by the privacy guard, or a
//! check would call the file clean. After serde_json has parsed the bytes (so they are
//! valid JSON), this scan walks them once more and finds the first repeated key at any
//! depth, comparing keys as decoded strings (`"a"` and `"\u0061"` are the same key).

use std::collections::HashSet;

/// A repeated key: which document (0-based, for JSON Lines) and its JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub document: usize,
    /// `$.a.b[2].c`; a key that is not a plain word is shown as `[key N]` (its position in
    /// its object), so that no value and no odd key is ever printed.
    pub path: String,
}

enum Frame {
    Object {
        keys: HashSet<String>,
        expect_key: bool,
        /// The path length before this object's current key was pushed.
        base: usize,
    },
    Array {
        index: usize,
        base: usize,
    },
}

/// The first repeated key in `bytes` (one or more JSON documents, already known valid).
pub fn duplicate_key(bytes: &[u8]) -> Option<Duplicate> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut path = String::from("$");
    let mut document = 0usize;
    let mut started = false;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let end = string_end(bytes, i)?;
                if let Some(Frame::Object {
                    keys,
                    expect_key,
                    base,
                }) = stack.last_mut()
                    && *expect_key
                {
                    *expect_key = false;
                    let raw = bytes.get(i..=end)?;
                    let key: String = serde_json::from_slice(raw).ok()?;
                    path.truncate(*base);
                    push_key(&mut path, &key, keys.len() + 1);
                    if !keys.insert(key) {
                        return Some(Duplicate { document, path });
                    }
                } else {
                    value_starts(&stack, &mut started, &mut document);
                }
                i = end;
            }
            b'{' | b'[' => {
                value_starts(&stack, &mut started, &mut document);
                let base = path.len();
                stack.push(if b == b'{' {
                    Frame::Object {
                        keys: HashSet::new(),
                        expect_key: true,
                        base,
                    }
                } else {
                    path.push_str("[0]");
                    Frame::Array { index: 0, base }
                });
            }
            b'}' | b']' => {
                let base = match stack.pop()? {
                    Frame::Object { base, .. } | Frame::Array { base, .. } => base,
                };
                path.truncate(base);
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::Array { index, base }) => {
                    *index = index.saturating_add(1);
                    path.truncate(*base);
                    path.push_str(&format!("[{index}]"));
                }
                None => {}
            },
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            _ => {
                // A number or a literal: one value, however many bytes.
                value_starts(&stack, &mut started, &mut document);
                while bytes
                    .get(i.saturating_add(1))
                    .is_some_and(|c| !b",:[]{}\" \t\n\r".contains(c))
                {
                    i = i.saturating_add(1);
                }
            }
        }
        i = i.saturating_add(1);
    }
    None
}

/// At the top level, a new value is a new document.
fn value_starts(stack: &[Frame], started: &mut bool, document: &mut usize) {
    if stack.is_empty() {
        if *started {
            *document = document.saturating_add(1);
        }
        *started = true;
    }
}

/// The index of the closing quote of the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start.checked_add(1)?;
    loop {
        match bytes.get(i)? {
            b'\\' => i = i.checked_add(2)?,
            b'"' => return Some(i),
            _ => i = i.checked_add(1)?,
        }
    }
}

/// `.word` for a plain word, `[key N]` for anything else.
fn push_key(path: &mut String, key: &str, position: usize) {
    let plain = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[key {position}]"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(s: &str) -> Option<(usize, String)> {
        duplicate_key(s.as_bytes()).map(|d| (d.document, d.path))
    }

    #[test]
    fn repeated_keys_are_found_at_any_depth() {
        assert_eq!(dup(r#"{"a":1,"b":2}"#), None);
        assert_eq!(dup(r#"{"a":1,"a":2}"#), Some((0, "$.a".into())));
        assert_eq!(
            dup(r#"{"a":{"b":[1,{"c":"x","c":"y"}]}}"#),
            Some((0, "$.a.b[1].c".into()))
        );
        assert_eq!(dup(r#"{"a":1,"\u0061":2}"#), Some((0, "$.a".into())));
        assert_eq!(
            dup(r#"{"x":"a\"b","my host":1,"my host":2}"#),
            Some((0, "$[key 3]".into()))
        );
        // The same key in sibling objects is fine.
        assert_eq!(dup(r#"[{"a":1},{"a":2}]"#), None);
        assert_eq!(dup(r#"{"a":[{"k":1},{"k":2}],"b":{"a":1}}"#), None);
        // JSON Lines: the document is counted.
        assert_eq!(
            dup("{\"a\":1}\n12 true \"s\"\n{\"z\":{\"q\":1,\"q\":1}}"),
            Some((4, "$.z.q".into()))
        );
    }

    #[test]
    fn any_bytes_end_without_a_panic() {
        let base = br#"{"a":[1,{"b":"c\"d","b":2}],"e":{"f":null}}"#;
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut b = base.to_vec();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % (b.len() + 1);
                match x % 3 {
                    0 => b.insert(i, (x >> 32) as u8),
                    1 if i < b.len() => {
                        b.remove(i);
                    }
                    _ => b.truncate(i),
                }
            }
            let _ = duplicate_key(&b);
        }
    }
}
