//! The OTLP requests' judge, for every test: each body is parsed by protobuf's own JSON
//! parser with the message types generated from the official OpenTelemetry .proto files
//! (Python's `opentelemetry-proto` and `protobuf`, `tests/otlp/validate.py`, installed into
//! target/otlp-venv by `tests/otlp/setup.sh`), which rejects unknown fields. The Rust
//! `opentelemetry-proto` crate is not that strict (docs/otlp.md says why). What that parser
//! allows and OTLP/JSON does not (the proto field names) is checked here: every field name
//! is lowerCamelCase, 64-bit integers are strings, one record per request. And the body
//! decodes back to the payload (`payload_of`). A validator that cannot run fails the test:
//! it never passes by skipping.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Map, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python, installed once per test run when missing (`make test` installs it
/// before the suite; a bare `cargo test` gets it here).
fn python() -> PathBuf {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let python = root().join("target/otlp-venv/bin/python");
            let out = Command::new("sh")
                .arg(root().join("tests/otlp/setup.sh"))
                .output()
                .map_err(|e| format!("cannot run tests/otlp/setup.sh: {e}"))?;
            if !out.status.success() || !python.exists() {
                return Err(format!(
                    "tests/otlp/setup.sh failed; the OTLP tests need its strict parser: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(python)
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every body through the strict parser and the checks of this module; the decoded
/// payloads, in order. Panics naming the body and what is wrong.
pub fn check(bodies: &[Vec<u8>]) -> Vec<Map<String, Value>> {
    if bodies.is_empty() {
        return Vec::new();
    }
    let mut child = Command::new(python())
        .arg(root().join("tests/otlp/validate.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the OTLP validator");
    let mut input = Vec::new();
    for b in bodies {
        assert!(!b.contains(&b'\n'), "an OTLP body holds a raw newline");
        input.extend_from_slice(b);
        input.push(b'\n');
    }
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let verdicts: Vec<&str> = said.lines().collect();
    assert_eq!(
        verdicts.len(),
        bodies.len(),
        "the OTLP validator answered {} of {} requests: {said}{}",
        verdicts.len(),
        bodies.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    for (v, b) in verdicts.iter().zip(bodies) {
        assert_eq!(
            *v,
            "ok",
            "the official OTLP parser refused:\n{}",
            String::from_utf8_lossy(b)
        );
    }
    assert!(out.status.success(), "{said}");
    bodies.iter().map(|b| shape(b)).collect()
}

/// What the strict parser lets through and OTLP/JSON does not, and the payload back.
fn shape(body: &[u8]) -> Map<String, Value> {
    let v: Value = serde_json::from_slice(body).unwrap();
    camel_case(&v, "$");
    let rl = v["resourceLogs"].as_array().expect("resourceLogs");
    assert_eq!(rl.len(), 1, "one resourceLogs");
    let sl = rl[0]["scopeLogs"].as_array().expect("scopeLogs");
    assert_eq!(sl.len(), 1, "one scopeLogs");
    assert_eq!(sl[0]["scope"]["name"], "pk3s-telemetry");
    let recs = sl[0]["logRecords"].as_array().expect("logRecords");
    assert_eq!(recs.len(), 1, "one log record per request");
    let rec = &sl[0]["logRecords"][0];
    for t in ["timeUnixNano", "observedTimeUnixNano"] {
        let s = rec[t].as_str().unwrap_or_else(|| panic!("{t} is a string"));
        assert!(s.parse::<u64>().is_ok(), "{t} {s}");
    }
    assert!(rec.get("traceId").is_none() && rec.get("spanId").is_none());
    match decode(&rec["body"]) {
        Value::Object(m) => m,
        other => panic!("the body is no kvlist: {other}"),
    }
}

/// Field names are lowerCamelCase, as the OTLP JSON encoding requires (keys of a kvlist
/// are values, not field names: they are not objects' keys).
fn camel_case(v: &Value, path: &str) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let ok = k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && k.chars().all(|c| c.is_ascii_alphanumeric());
                assert!(ok, "{path}.{k}: not a lowerCamelCase field name");
                camel_case(v, &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| camel_case(v, &format!("{path}[{i}]"))),
        _ => {}
    }
}

/// An `AnyValue` back to JSON; 64-bit integers must be strings.
pub fn decode(any: &Value) -> Value {
    let m = any.as_object().expect("an AnyValue is an object");
    let Some((kind, v)) = m.iter().next() else {
        return Value::Null;
    };
    assert_eq!(m.len(), 1, "one value per AnyValue: {any}");
    match kind.as_str() {
        "stringValue" => Value::String(v.as_str().unwrap().to_string()),
        "boolValue" => Value::Bool(v.as_bool().unwrap()),
        "intValue" => {
            let s = v.as_str().expect("intValue is a string in OTLP/JSON");
            assert!(s.parse::<i64>().is_ok(), "intValue {s}");
            serde_json::from_str(s).unwrap()
        }
        "doubleValue" => {
            assert!(v.is_number(), "doubleValue {v}");
            v.clone()
        }
        "arrayValue" => Value::Array(
            v["values"]
                .as_array()
                .map(|a| a.iter().map(decode).collect())
                .unwrap_or_default(),
        ),
        "kvlistValue" => Value::Object(
            v["values"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|kv| {
                            (
                                kv["key"].as_str().unwrap().to_string(),
                                decode(&kv["value"]),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        other => panic!("unexpected AnyValue kind {other}"),
    }
}

/// The record's attributes as JSON, by key.
pub fn attributes(body: &[u8]) -> Map<String, Value> {
    let v: Value = serde_json::from_slice(body).unwrap();
    let rec = &v["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    rec["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv["key"].as_str().unwrap().to_string(),
                decode(&kv["value"]),
            )
        })
        .collect()
}

/// Whether a body is an OTLP request (rather than a pk3s payload).
pub fn is_otlp(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v.get("resourceLogs").is_some())
}

/// What a payload decodes to after the trip through OTLP, by the documented mapping: the
/// same, but for a number neither an i64 nor a finite double, which goes as its digits.
pub fn after_trip(v: &Value) -> Value {
    match v {
        Value::Number(n) => {
            let digits = n.to_string();
            let integer = !digits.contains(['.', 'e', 'E']);
            let fits = if integer {
                digits.parse::<i64>().is_ok()
            } else {
                digits.parse::<f64>().is_ok_and(f64::is_finite)
            };
            if fits {
                v.clone()
            } else {
                Value::String(digits)
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(after_trip).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), after_trip(v))).collect())
        }
        other => other.clone(),
    }
}
