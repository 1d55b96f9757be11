//! Strict JSON: serde_json keeps only the last value of a repeated key, so the first
//! (a hostname, a path, the token itself) would go out unseen by the privacy guard, or a
//! check would call the file clean. After serde_json has parsed the bytes (so they are
//! valid JSON), this scan walks them once more and finds the first repeated key at any
//! depth, comparing keys as decoded strings (`"a"` and `"\u0061"` are the same key).
//!
//! `members` is a checking scanner for the other direction: the top-level members of an
//! object as byte ranges, so that a stored payload can be sent from its own bytes with a
//! few values replaced instead of being parsed into a map and written out again.

use std::collections::HashSet;
use std::ops::Range;

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
                    // Only a key with an escape needs the JSON parser to read it.
                    let key: String = match raw.get(1..raw.len() - 1) {
                        Some(inner) if !inner.contains(&b'\\') => {
                            std::str::from_utf8(inner).ok()?.to_string()
                        }
                        _ => serde_json::from_slice(raw).ok()?,
                    };
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
        // SIMD to the next quote or backslash: a long string is one jump, not a byte loop.
        i = i.checked_add(memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?)?;
        match bytes.get(i)? {
            b'\\' => i = i.checked_add(2)?,
            _ => return Some(i),
        }
    }
}

/// The most objects and arrays one document may hold. serde_json gives each a heap node of
/// a few hundred bytes: 16 MiB of `[[[…]]]` is 8 million of them, 2.3 GB resident, on a
/// host that may have less. A run manifest holds a few hundred.
pub const MAX_CONTAINERS: usize = 100_000;

/// Whether `bytes` hold more than `limit` objects and arrays (outside strings), counted
/// before anything is parsed: one jump to each quote or bracket, linear in the input.
pub fn containers_over(bytes: &[u8], limit: usize) -> bool {
    let mut count = 0usize;
    let mut i = 0usize;
    while let Some(step) = bytes
        .get(i..)
        .and_then(|rest| memchr::memchr3(b'"', b'[', b'{', rest))
    {
        let at = i + step;
        if bytes.get(at) == Some(&b'"') {
            // An unterminated string ends the count: the parser will refuse it anyway.
            match string_end(bytes, at) {
                Some(end) => i = end + 1,
                None => return false,
            }
        } else {
            count += 1;
            if count > limit {
                return true;
            }
            i = at + 1;
        }
    }
    false
}

/// Refuses bytes of unknown origin with more than [`MAX_CONTAINERS`] objects and arrays,
/// before anything parses them (in words, without their content).
pub fn bounded(bytes: &[u8]) -> Result<(), String> {
    if containers_over(bytes, MAX_CONTAINERS) {
        return Err(format!(
            "more than {MAX_CONTAINERS} objects and arrays (a telemetry payload holds a few hundred)"
        ));
    }
    Ok(())
}

/// Parses one JSON value from bytes of unknown origin, within [`bounded`].
pub fn parse(bytes: &[u8]) -> Result<serde_json::Value, String> {
    bounded(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))
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

/// A member of a JSON object: its key as written between the quotes, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub key: Range<usize>,
    /// The key holds an escape (`\\`): its bytes are not its text.
    pub escaped: bool,
    pub value: Range<usize>,
}

/// serde_json's nesting limit: deeper documents are refused by both.
const MAX_DEPTH: u32 = 128;

/// The members of the object that `bytes[within]` holds (whitespace around it allowed),
/// when those bytes are strict JSON that serde_json reads as written: valid UTF-8, the
/// grammar of RFC 8259 at every depth, nothing after the object. `None` for anything else,
/// including escapes of surrogates (serde_json's own rules decide those): a caller that
/// gets `None` falls back to serde_json. Nested values are checked, not collected.
pub fn members(bytes: &[u8], within: Range<usize>) -> Option<Vec<Member>> {
    let text = bytes.get(within.clone())?;
    std::str::from_utf8(text).ok()?;
    let mut c = Cursor {
        b: bytes.get(..within.end)?,
        i: within.start,
        escapes: 0,
    };
    c.ws();
    c.eat(b'{')?;
    // A payload has about sixteen members: no regrowth on the way.
    let mut out = Vec::with_capacity(24);
    c.ws();
    if c.eat(b'}').is_none() {
        loop {
            let before = c.escapes;
            let key = c.string()?;
            let escaped = c.escapes != before;
            c.ws();
            c.eat(b':')?;
            c.ws();
            let start = c.i;
            c.value(1)?;
            out.push(Member {
                key: key.start + 1..key.end - 1,
                escaped,
                value: start..c.i,
            });
            c.ws();
            if c.eat(b',').is_some() {
                c.ws();
                continue;
            }
            c.eat(b'}')?;
            break;
        }
    }
    c.ws();
    (c.i == c.b.len()).then_some(out)
}

/// One xorshift64 step: the fixed pseudo-random sequences of the unit tests (fuzz loops,
/// random instants).
#[cfg(test)]
pub(crate) fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// A high bit in each byte of `w` below `n` (`n` <= 0x80). Exact up to the lowest byte
/// found: a borrow can only mark bytes above it, so its lowest bit is the first such byte.
#[inline(always)]
const fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64) & !w & HIGHS
}

/// The index of the first byte of `hay` that `hits` marks (a high bit in each such byte of
/// a little-endian word, exact up to the lowest: see `below`), eight bytes at a time; the
/// last few are padded with `pad`, a byte it never marks.
#[inline(always)]
fn first_hit(hay: &[u8], pad: u8, hits: impl Fn(u64) -> u64) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let hit = hits(u64::from_le_bytes(bytes));
        if hit != 0 {
            return Some(n + (hit.trailing_zeros() / 8) as usize);
        }
        n += 8;
    }
    let tail = chunks.remainder();
    let mut last = [pad; 8];
    last.get_mut(..tail.len())?.copy_from_slice(tail);
    let hit = hits(u64::from_le_bytes(last));
    (hit != 0).then(|| n + (hit.trailing_zeros() / 8) as usize)
}

/// How many bytes of `rest` come before the first `"`, `\\` or control byte (all of
/// `rest` when there is none).
#[inline(always)]
fn plain_len(rest: &[u8]) -> usize {
    first_hit(rest, b'a', |w| {
        below(w ^ (ONES * b'"' as u64), 1) | below(w ^ (ONES * b'\\' as u64), 1) | below(w, 0x20)
    })
    .unwrap_or(rest.len())
}

/// Where `b` first stands in `hay` (for the line-based files, e.g. histories).
pub fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    first_hit(hay, !b, |w| below(w ^ (ONES * u64::from(b)), 1))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Escapes met so far.
    escapes: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    #[inline(always)]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - from
    }

    /// A string, quotes included.
    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        self.eat(b'"')?;
        loop {
            // Most of a payload is inside strings: plain bytes are skipped eight at a time.
            let rest = self.b.get(self.i..)?;
            let n = plain_len(rest);
            self.i += n;
            match *rest.get(n)? {
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                b'\\' => {
                    self.i += 1;
                    self.escapes += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let unit =
                                u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            if (0xD800..=0xDFFF).contains(&unit) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        if self.eat(b'0').is_none() && self.digits() == 0 {
            return None;
        }
        if self.eat(b'.').is_some() && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            open @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.ws();
                if self.eat(close).is_some() {
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.value(depth + 1)?;
                    self.ws();
                    if self.eat(b',').is_some() {
                        self.ws();
                        continue;
                    }
                    return self.eat(close);
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
