//! The contract's own fields are validated by their shape, never scanned as free text:
//! an event name like `core.apply.local` is data, and a field that is not what the
//! contract says it is (an absolute path as `script`) is replaced whole.

use serde_json::Value;

use super::text::uuid;

/// The shape a contract field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `"1"` (a short version string or number).
    SchemaVersion,
    /// `usage`, `install`: a lower-case word.
    Word,
    /// Dotted words: `core.apply.single_node.completed`, `x.y`. Refused when malformed.
    EventName,
    /// Session, run and parent ids: a UUID, a hex id (the layers' `od -N8` 16-hex ids), or
    /// upstream's run id `YYYYMMDD-HHMMSS-…` (`20260101-120000-4242-1234512345`,
    /// `20260101-120000-contract-4242-multipass`), or the old scripts' `unknown-run`; `""`
    /// or `null` when absent.
    Id,
    /// A ready-made event's own `event_id`: an opaque key of letters, digits, `_`, `-`.
    EventId,
    /// RFC 3339 (`date -Iseconds` too), or `null` before the first attempt.
    Timestamp,
    /// A whole number ≥ 0.
    Count,
    /// A whole number (exit codes can be negative in scripts).
    Integer,
    /// `true`/`false`, as a boolean or a string (`"true"`, `"1"`, `"yes"`, …, `""`).
    Flag,
    /// A repository name: letters, digits, `_`, `-`, `.` (no `/`, no host).
    Repository,
    /// A relative path: `scripts/apply.sh` (no leading `/`, no `..`, no `~`, no `\`).
    Script,
    /// Product tokens: `productive-k3s/0.1.0`, `curl/8.5.0` (no comments in parentheses).
    UserAgent,
}

/// Top-level fields of every payload.
pub fn head(key: &str) -> Option<Shape> {
    Some(match key {
        "schema_version" => Shape::SchemaVersion,
        "event_family" | "component" => Shape::Word,
        "event_name" => Shape::EventName,
        "event_id" => Shape::EventId,
        "session_id" | "run_id" | "parent_run_id" | "retry_of_run_id" => Shape::Id,
        "sent_at" => Shape::Timestamp,
        "delivery_attempt" | "retry_attempt" => Shape::Count,
        "is_retry" => Shape::Flag,
        _ => return None,
    })
}

/// Fields of the top-level `client` block.
pub fn client(key: &str) -> Option<Shape> {
    Some(match key {
        "repository" => Shape::Repository,
        "script" => Shape::Script,
        "user_agent" => Shape::UserAgent,
        "telemetry_enabled" => Shape::Flag,
        "exit_code" => Shape::Integer,
        _ => return None,
    })
}

pub fn valid(shape: Shape, v: &Value) -> bool {
    match v {
        Value::Null => !matches!(shape, Shape::EventName),
        Value::Bool(_) => shape == Shape::Flag,
        Value::Number(n) => match shape {
            Shape::Count => n.as_u64().is_some(),
            Shape::Integer => n.as_i64().is_some(),
            Shape::SchemaVersion => n.as_u64().is_some(),
            _ => false,
        },
        Value::String(s) => string(shape, s),
        _ => false,
    }
}

fn string(shape: Shape, s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    match shape {
        Shape::SchemaVersion => {
            (1..=16).contains(&b.len()) && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'.')
        }
        Shape::Word => {
            (1..=64).contains(&b.len())
                && b.first().is_some_and(u8::is_ascii_alphabetic)
                && b.iter().all(|&c| word(c))
        }
        Shape::EventName => {
            (1..=200).contains(&b.len())
                && b.first().is_some_and(u8::is_ascii_alphabetic)
                && b.split(|&c| c == b'.')
                    .all(|l| !l.is_empty() && l.iter().all(|&c| word(c)))
        }
        Shape::Id => b.is_empty() || s == "unknown-run" || uuid(b) || hex_id(b) || run_id(b),
        Shape::EventId => b.is_empty() || (b.len() <= 128 && b.iter().all(|&c| word(c))),
        Shape::Timestamp => timestamp(b),
        Shape::Count => !b.is_empty() && b.len() <= 9 && b.iter().all(u8::is_ascii_digit),
        Shape::Integer => {
            let d = b.strip_prefix(b"-").unwrap_or(b);
            !d.is_empty() && d.len() <= 9 && d.iter().all(u8::is_ascii_digit)
        }
        Shape::Flag => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "1" | "0" | "true" | "false" | "yes" | "no" | "y" | "n" | "on" | "off"
        ),
        Shape::Repository => {
            (1..=100).contains(&b.len())
                && b.first().is_some_and(u8::is_ascii_alphanumeric)
                && b.iter().all(|&c| word(c))
        }
        Shape::Script => {
            (1..=200).contains(&b.len())
                && b.first().is_some_and(|&c| c != b'/')
                && b.iter().all(|&c| word(c) || c == b'.' || c == b'/')
                && !b
                    .split(|&c| c == b'/')
                    .any(|seg| seg.is_empty() || seg == b"..")
        }
        Shape::UserAgent => {
            (1..=200).contains(&b.len())
                && s.split(' ').all(|product| {
                    let mut parts = product.split('/');
                    let name_ok = parts.next().is_some_and(|n| {
                        !n.is_empty() && n.bytes().all(|c| word(c) || c == b'.' || c == b'+')
                    });
                    let version_ok = parts.all(|v| {
                        !v.is_empty() && v.bytes().all(|c| word(c) || c == b'.' || c == b'+')
                    });
                    name_ok && version_ok && product.matches('/').count() <= 1
                })
        }
    }
}

/// The rule id a failing field is reported under (`check --explain`).
pub fn rule_id(shape: Shape) -> &'static str {
    match shape {
        Shape::Id | Shape::EventId => "contract.id",
        Shape::EventName => "contract.event-name",
        Shape::Word => "contract.word",
        Shape::Repository => "contract.repository",
        Shape::Script => "contract.script",
        Shape::UserAgent => "contract.user-agent",
        Shape::Timestamp => "contract.timestamp",
        Shape::SchemaVersion | Shape::Count | Shape::Integer | Shape::Flag => "contract.value",
    }
}

/// Shapes whose strings can still carry an identifier in a well-formed value (an id
/// tail, a component name, a script path): checked with the rules too.
pub fn textual(shape: Shape) -> bool {
    matches!(
        shape,
        Shape::Id
            | Shape::EventId
            | Shape::Word
            | Shape::Repository
            | Shape::Script
            | Shape::UserAgent
    )
}

/// 8 to 64 hex digits.
fn hex_id(b: &[u8]) -> bool {
    (8..=64).contains(&b.len()) && b.iter().all(u8::is_ascii_hexdigit)
}

/// `YYYYMMDD-HHMMSS` and an optional tail of letters, digits, `_`, `-` (up to 128 in all).
fn run_id(b: &[u8]) -> bool {
    let d = |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
    b.len() <= 128
        && d(0..8)
        && b.get(8) == Some(&b'-')
        && d(9..15)
        && match b.get(15..) {
            None | Some([]) => true,
            Some([b'-', tail @ ..]) => {
                !tail.is_empty()
                    && tail
                        .iter()
                        .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            }
            _ => false,
        }
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:]MM]`.
fn timestamp(b: &[u8]) -> bool {
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let date = (0..4).all(d) && at(4, b'-') && d(5) && d(6) && at(7, b'-') && d(8) && d(9);
    if !date || !(at(10, b'T') || at(10, b't') || at(10, b' ')) {
        return false;
    }
    if !(d(11) && d(12) && at(13, b':') && d(14) && d(15)) {
        return false;
    }
    let mut i = 16;
    if at(i, b':') {
        if !(d(i + 1) && d(i + 2)) {
            return false;
        }
        i += 3;
        if at(i, b'.') {
            let n = b
                .get(i + 1..)
                .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
            if n == 0 || n > 9 {
                return false;
            }
            i += 1 + n;
        }
    }
    match b.get(i..) {
        None | Some([]) => true,
        Some([b'Z' | b'z']) => true,
        Some([b'+' | b'-', rest @ ..]) => {
            matches!(rest, [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()))
                || matches!(rest, [h1, h2] if h1.is_ascii_digit() && h2.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let ok: &[(Shape, Value)] = &[
            (Shape::EventName, json!("core.apply.single_node.completed")),
            (Shape::EventName, json!("infra.smoke.test")),
            (Shape::EventName, json!("x.y")),
            (Shape::Id, json!("20260101-120000-4242-1234512345")),
            (Shape::Id, json!("20260101-120000-contract-4242-multipass")),
            (Shape::Id, json!("a3f9c2e17b4d5e60")),
            (Shape::Id, json!("unknown-run")),
            (Shape::EventId, json!("evt-9")),
            (Shape::Id, json!("0b6c1a2e-3f4d-4e5f-8a9b-123456789012")),
            (Shape::Id, json!("")),
            (Shape::Id, Value::Null),
            (Shape::Timestamp, json!("2026-11-21T23:47:43.120Z")),
            (Shape::Timestamp, json!("2026-01-01T12:00:00+00:00")),
            (Shape::Flag, json!("true")),
            (Shape::Flag, json!(false)),
            (Shape::Script, json!("scripts/apply.sh")),
            (Shape::UserAgent, json!("productive-k3s/0.1.0")),
            (Shape::Integer, json!(-1)),
            (Shape::Repository, json!("productive-k3s-infra")),
        ];
        for (shape, v) in ok {
            assert!(valid(*shape, v), "{shape:?} {v}");
        }
        let bad: &[(Shape, Value)] = &[
            (Shape::EventName, json!("core apply")),
            (Shape::EventName, json!("core..x")),
            (Shape::EventName, json!("ops@example.org")),
            (Shape::EventName, json!("/srv/x")),
            (Shape::EventName, Value::Null),
            (Shape::Id, json!("10.0.0.5")),
            (Shape::Id, json!("ip-172-31-44-5")),
            (Shape::Id, json!("run-1")),
            (Shape::Id, json!("20260101-1200")),
            (Shape::Id, json!("alice@example.org")),
            (Shape::Timestamp, json!("yesterday")),
            (Shape::Script, json!("/home/alice/apply.sh")),
            (Shape::Script, json!("../x.sh")),
            (Shape::UserAgent, json!("curl/8 (host lab-node-01)")),
            (Shape::Repository, json!("github.com/acme/infra")),
            (Shape::Count, json!(-1)),
        ];
        for (shape, v) in bad {
            assert!(!valid(*shape, v), "{shape:?} {v}");
        }
    }
}
