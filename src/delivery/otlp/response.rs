//! What a Collector's 2xx answer says. An `ExportLogsServiceResponse` may hold a
//! `partialSuccess`: `rejectedLogRecords` (an int64, a string in JSON) and an
//! `errorMessage`. A request carries one record, so any rejected record is the payload
//! refused (kept apart like any rejection); a message with none rejected is a delivery with
//! a warning. An empty body, or one that is not that JSON, is a plain success.

use serde_json::Value;

/// The longest receiver message repeated (in characters).
const MAX_MESSAGE: usize = 300;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// Delivered; the receiver's message to show.
    Warned(String),
    /// The record was refused: how many (as the receiver counts) and its message.
    Rejected(u64, String),
}

/// Judges a 2xx answer's body (read with a bound).
pub fn judge(body: &[u8]) -> Verdict {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return Verdict::Accepted;
    };
    // Protobuf's JSON parsers take the proto field names as well: so does this.
    let field = |m: &serde_json::Map<String, Value>, camel: &str, proto: &str| {
        m.get(camel).or_else(|| m.get(proto)).cloned()
    };
    let Some(Value::Object(partial)) = field(&m, "partialSuccess", "partial_success") else {
        return Verdict::Accepted;
    };
    let rejected = match field(&partial, "rejectedLogRecords", "rejected_log_records") {
        Some(Value::String(s)) => count(s.trim()),
        Some(Value::Number(n)) => count(&n.to_string()),
        _ => 0,
    };
    let message = match field(&partial, "errorMessage", "error_message") {
        Some(Value::String(s)) => one_line(&s),
        _ => String::new(),
    };
    match (rejected, message) {
        (0, m) if m.is_empty() => Verdict::Accepted,
        (0, m) => Verdict::Warned(m),
        (n, m) => Verdict::Rejected(n, m),
    }
}

/// The reason in a 4xx answer's body: an OTLP/HTTP server answers a refused request with
/// a `google.rpc.Status`, whose `message` says why (JSON, as the request was). `None` for
/// any other body.
pub fn reason(body: &[u8]) -> Option<String> {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    match m.get("message") {
        Some(Value::String(s)) => Some(one_line(s)).filter(|m| !m.is_empty()),
        _ => None,
    }
}

/// A count of records as an int64's digits: negative or unreadable is 0, more digits than
/// an int64 holds (and not all zeros) is many.
fn count(digits: &str) -> u64 {
    match digits.parse::<i64>() {
        Ok(n) => u64::try_from(n).unwrap_or(0),
        Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            if digits.bytes().all(|b| b == b'0') {
                0
            } else {
                u64::MAX
            }
        }
        Err(_) => 0,
    }
}

/// The receiver's words on one line: control characters (escape sequences, newlines) and
/// the invisible ones that reorder or hide text (bidirectional overrides, zero-width) as
/// spaces, runs of space as one, at most `MAX_MESSAGE` characters.
pub fn one_line(s: &str) -> String {
    let hidden = |c: char| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}');
    let mut out = String::new();
    for word in s
        .split(|c: char| c.is_whitespace() || c.is_control() || hidden(c))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => {
            out.truncate(i);
            out.push('…');
            out
        }
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_is_read_in_either_spelling() {
        assert_eq!(judge(b""), Verdict::Accepted);
        assert_eq!(judge(b"ok\n"), Verdict::Accepted);
        assert_eq!(judge(b"{}"), Verdict::Accepted);
        assert_eq!(judge(br#"{"partialSuccess":{}}"#), Verdict::Accepted);
        assert_eq!(
            judge(br#"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"too\nold\u001b[31m"}}"#),
            Verdict::Rejected(1, "too old [31m".into())
        );
        assert_eq!(
            judge(br#"{"partial_success":{"rejected_log_records":2}}"#),
            Verdict::Rejected(2, String::new())
        );
        assert_eq!(
            judge(br#"{"partialSuccess":{"rejectedLogRecords":"0","errorMessage":"slow down"}}"#),
            Verdict::Warned("slow down".into())
        );
        assert_eq!(
            judge(br#"{"partialSuccess":{"rejectedLogRecords":"-3","errorMessage":"x"}}"#),
            Verdict::Warned("x".into())
        );
    }

    #[test]
    fn counts_past_an_int64_are_many_and_nonsense_is_none() {
        let rejected = |n: &str| {
            judge(format!(r#"{{"partialSuccess":{{"rejectedLogRecords":{n}}}}}"#).as_bytes())
        };
        assert_eq!(
            rejected(r#""99999999999999999999""#),
            Verdict::Rejected(u64::MAX, String::new())
        );
        assert_eq!(
            rejected("99999999999999999999"),
            rejected(r#""99999999999999999999""#)
        );
        for none in [r#""0000000000000000000000""#, r#""x""#, "1.5", "null", "-1"] {
            assert_eq!(rejected(none), Verdict::Accepted, "{none}");
        }
    }

    #[test]
    fn messages_are_one_bounded_line() {
        assert_eq!(one_line("a\u{202e}b\u{200b}c\r\nd"), "a b c d");
        let long = "é".repeat(1000);
        let m = one_line(&long);
        assert_eq!(m.chars().count(), MAX_MESSAGE + 1);
        assert!(m.ends_with('…'));
    }
}
