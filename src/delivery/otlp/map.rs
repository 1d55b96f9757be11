//! A JSON value as an OTLP `AnyValue`, in the OTLP/JSON encoding (lowerCamelCase field
//! names, 64-bit integers as decimal strings): objects are `kvlistValue`, arrays
//! `arrayValue`, strings `stringValue`, booleans `boolValue`; a number written without a
//! fraction or exponent is `intValue` when it fits an i64, a finite one written with them is
//! `doubleValue` (its own digits: serde_json keeps them), any other (a larger integer, one
//! past a double's range) a `stringValue` of its digits, so no number is changed or lost;
//! null is the empty `AnyValue`, `{}`.
//!
//! Parsers bound nesting: protobuf's (Python's, C++'s) at 100 message levels, serde_json
//! and others at 128 levels of JSON. Each JSON object inside the body costs four levels of
//! the request's JSON (`AnyValue`, `kvlistValue`, `values`, `KeyValue`) and three message
//! levels, each array three and two: a container that would pass `LEVELS` goes as a
//! `stringValue` of its compact JSON instead, so that every request stays within both
//! (at most 8 + 112 + 1 = 121 JSON levels and 5 + 84 = 89 message levels). A payload
//! nested about 28 objects deep reaches it; run manifests hold four or five.

use serde_json::{Map, Number, Value, json};

/// Levels of the request's JSON the body may use below its own `AnyValue` (the request
/// around it takes eight).
pub const LEVELS: u32 = 112;

/// `v` as an `AnyValue`, within `LEVELS`.
pub fn any(v: &Value) -> Value {
    within(v, LEVELS)
}

fn within(v: &Value, left: u32) -> Value {
    match v {
        Value::Null => Value::Object(Map::new()),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::String(s) => string(s),
        Value::Number(n) => number(n),
        Value::Array(items) if left >= 3 => {
            let values: Vec<Value> = items.iter().map(|i| within(i, left - 3)).collect();
            json!({ "arrayValue": { "values": values } })
        }
        Value::Object(m) if left >= 4 => {
            json!({ "kvlistValue": { "values": members(m, left - 4) } })
        }
        Value::Array(_) | Value::Object(_) => string(&serde_json::to_string(v).unwrap_or_default()),
    }
}

/// An object's members as `KeyValue`s, in their order (the object itself already counted
/// against `LEVELS`: the body's own kvlist).
pub fn kvlist(m: &Map<String, Value>) -> Vec<Value> {
    members(m, LEVELS - 4)
}

fn members(m: &Map<String, Value>, left: u32) -> Vec<Value> {
    m.iter()
        .map(|(k, v)| key_value(k, within(v, left)))
        .collect()
}

pub fn key_value(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": value })
}

pub fn string(s: &str) -> Value {
    json!({ "stringValue": s })
}

fn number(n: &Number) -> Value {
    // With serde_json's arbitrary_precision, the digits as the payload wrote them.
    let digits = n.to_string();
    if !digits.contains(['.', 'e', 'E']) {
        return match digits.parse::<i64>() {
            Ok(i) => json!({ "intValue": i.to_string() }),
            Err(_) => string(&digits),
        };
    }
    match digits.parse::<f64>() {
        Ok(f) if f.is_finite() => json!({ "doubleValue": Value::Number(n.clone()) }),
        _ => string(&digits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Value {
        any(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn numbers_map_by_their_digits() {
        assert_eq!(of("42"), json!({"intValue": "42"}));
        assert_eq!(
            of("-9223372036854775808"),
            json!({"intValue": "-9223372036854775808"})
        );
        assert_eq!(
            of("9223372036854775808"),
            json!({"stringValue": "9223372036854775808"})
        );
        assert_eq!(
            serde_json::to_string(&of("1.50")).unwrap(),
            r#"{"doubleValue":1.50}"#
        );
        assert_eq!(
            serde_json::to_string(&of("2e3")).unwrap(),
            r#"{"doubleValue":2e+3}"#
        );
        assert_eq!(of("1e400"), json!({"stringValue": "1e+400"}));
    }

    #[test]
    fn containers_past_the_nesting_budget_go_as_their_json_text() {
        let deep = format!("{}1{}", "[".repeat(60), "]".repeat(60));
        let mut v = of(&deep);
        let mut levels = 0;
        while let Some(inner) = v.get("arrayValue") {
            v = inner["values"][0].clone();
            levels += 3;
        }
        assert!(levels <= LEVELS, "{levels}");
        let text = v["stringValue"].as_str().unwrap();
        // The rest of the nesting, as written: 37 arrays mapped, 23 in the text.
        assert_eq!(text, format!("{}1{}", "[".repeat(23), "]".repeat(23)));
        assert_eq!(levels, 111);
        assert_eq!(
            of(r#"{"a":{"b":[]}}"#)["kvlistValue"]["values"][0]["key"],
            "a"
        );
    }

    #[test]
    fn containers_null_strings_and_booleans() {
        assert_eq!(of("null"), json!({}));
        assert_eq!(of("true"), json!({"boolValue": true}));
        assert_eq!(of(r#""x""#), json!({"stringValue": "x"}));
        assert_eq!(of("[]"), json!({"arrayValue": {"values": []}}));
        assert_eq!(
            of(r#"{"b":[1,null],"a":{}}"#),
            json!({"kvlistValue": {"values": [
                {"key": "b", "value": {"arrayValue": {"values": [{"intValue": "1"}, {}]}}},
                {"key": "a", "value": {"kvlistValue": {"values": []}}}
            ]}})
        );
    }
}
