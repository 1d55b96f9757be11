//! File-system identifiers: absolute paths, home directories, UNC shares.

use super::rules::{Kind, Text};
use super::text::{before, is_word};

/// `/x…` at the start of the string or after a space, `=`, `:`, a quote, an opening
/// bracket, `,`, `;` or `|`; or a Windows drive `C:\`. So `scripts/apply.sh`,
/// `productive-k3s/0.1.0`, `./run.sh`, `a/b`, `1/2` are not absolute.
pub fn absolute(t: &Text) -> Option<Kind> {
    let b = t.b;
    let hit = b.iter().enumerate().any(|(i, &c)| match c {
        b'/' => {
            let starts = before(b, i).is_none_or(|p| {
                p.is_ascii_whitespace()
                    || matches!(
                        p,
                        b'=' | b':'
                            | b'"'
                            | b'\''
                            | b'`'
                            | b'('
                            | b'['
                            | b'{'
                            | b'<'
                            | b','
                            | b';'
                            | b'|'
                    )
            });
            // `::/0`, `fd00::/8`: a prefix length after an address, not a path.
            let digits = b
                .get(i + 1..)
                .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
            let prefix = before(b, i) == Some(b':')
                && (1..=3).contains(&digits)
                && !b
                    .get(i + 1 + digits)
                    .is_some_and(|&c| is_word(c) || c == b'/');
            starts
                && !prefix
                && b.get(i + 1)
                    .is_some_and(|&n| is_word(n) || matches!(n, b'.' | b'_' | b'~' | b'-'))
        }
        b'\\' => drive(b, i),
        _ => false,
    });
    hit.then_some(Kind::AbsolutePath)
}

/// `C:\` with `i` at the backslash.
fn drive(b: &[u8], i: usize) -> bool {
    i >= 2
        && b.get(i - 1) == Some(&b':')
        && b.get(i - 2).is_some_and(u8::is_ascii_alphabetic)
        && !before(b, i - 2).is_some_and(is_word)
}

/// A named home directory: `/home/<name>`, `/Users/<name>`, `C:\Users\<name>`, `~name/`.
pub fn home(t: &Text) -> Option<Kind> {
    let b = t.b;
    for (prefix, sep) in [
        (&b"/home/"[..], b'/'),
        (b"/Users/", b'/'),
        (b"\\Users\\", b'\\'),
    ] {
        let mut from = 0;
        while let Some(pos) = b.get(from..).and_then(|rest| {
            rest.windows(prefix.len())
                .position(|w| w.eq_ignore_ascii_case(prefix))
        }) {
            let at = from + pos;
            from = at + 1;
            let start_ok = if sep == b'\\' {
                drive(b, at)
            } else {
                before(b, at).is_none_or(|p| !is_word(p) && p != b'.')
            };
            if start_ok
                && b.get(at + prefix.len())
                    .is_some_and(|&c| is_word(c) || c == b'_')
            {
                return Some(Kind::HomeDir);
            }
        }
    }
    // `~alice/…` names a user; `~/…` does not.
    let name_char = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_');
    let named = b.iter().enumerate().any(|(i, &c)| {
        let run = b
            .get(i + 1..)
            .map_or(0, |r| r.iter().take_while(|c| name_char(c)).count());
        c == b'~'
            && before(b, i).is_none_or(|p| !is_word(p))
            && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
            && b.get(i + 1 + run) == Some(&b'/')
    });
    named.then_some(Kind::HomeDir)
}

/// `\\server\share` (and `\\?\UNC\…`).
pub fn unc(t: &Text) -> Option<Kind> {
    let b = t.b;
    // A share needs a `\` after the server name: one look at the last backslash keeps
    // this linear.
    let last = b.iter().rposition(|&c| c == b'\\')?;
    let hit = b.windows(3).enumerate().any(|(i, w)| {
        w.first() == Some(&b'\\')
            && w.get(1) == Some(&b'\\')
            && w.get(2)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'?' || c == b'.')
            && before(b, i) != Some(b'\\')
            && last > i + 2
    });
    hit.then_some(Kind::UncPath)
}
