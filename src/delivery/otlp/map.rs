//! A JSON value as an OTLP `AnyValue`, in the OTLP/JSON encoding (lowerCamelCase field
//! names, 64-bit integers as decimal strings): objects are `kvlistValue`, arrays
//! `arrayValue`, strings `stringValue`, booleans `boolValue`; a number written without a
//! fraction or exponent is `intValue` when it fits an i64, a finite one written with them is
//! `doubleValue` (its own digits: serde_json keeps them), any other (a larger integer, one
//! past a double's range) a `stringValue` of its digits, so no number is changed or lost;
//! null is the empty `AnyValue`, `{}`.

use serde_json::{Map, Number, Value, json};

/// `v` as an `AnyValue`. Recursion is bounded by the parser's own depth limit (128).
pub fn any(v: &Value) -> Value {
    match v {
        Value::Null => Value::Object(Map::new()),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::String(s) => string(s),
        Value::Number(n) => number(n),
        Value::Array(items) => {
            json!({ "arrayValue": { "values": items.iter().map(any).collect::<Vec<_>>() } })
        }
        Value::Object(m) => json!({ "kvlistValue": { "values": kvlist(m) } }),
    }
}

/// An object's members as `KeyValue`s, in their order.
pub fn kvlist(m: &Map<String, Value>) -> Vec<Value> {
    m.iter().map(|(k, v)| key_value(k, any(v))).collect()
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
