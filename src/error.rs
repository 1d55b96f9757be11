//! The bottom floor: usage errors and exit statuses, which every module may name.

use std::fmt;

/// Bad input or usage: exit 2, nothing sent.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Delivered, nothing to do (consent off), or a dry run.
pub const DELIVERED: u8 = 0;
/// Not delivered: kept for a later flush, or rejected.
pub const NOT_DELIVERED: u8 = 1;
/// Bad input, usage or setting.
pub const USAGE: u8 = 2;

/// An I/O error in plain words, without the "(os error N)" tail.
pub fn plain_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.split_once(" (os error") {
        Some((words, _)) => words.to_string(),
        None => s,
    }
}

/// A name (a file, a value) safe to print on a terminal: control characters (escape
/// sequences, newlines) are shown escaped rather than acted on.
pub fn printable(name: &str) -> String {
    if name.chars().any(char::is_control) {
        name.chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect()
    } else {
        name.to_string()
    }
}

/// `1 entry`, `2 entries`: a count with its noun in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
