//! OTLP/HTTP delivery: a payload as an OTLP logs export request (`ExportLogsServiceRequest`,
//! JSON encoding), and what a Collector's answer means (`response`). The mapping, which
//! docs/otlp.md shows as a table:
//!
//! - one `resourceLogs` whose resource has `service.name` (the component's product name,
//!   `productive-k3s-<component>`) and `service.version` (the version in the payload's
//!   `client.user_agent`, else this tool's);
//! - one `scopeLogs`, scope `pk3s-telemetry` and this version;
//! - one `logRecords` entry: `timeUnixNano` from the payload's `sent_at` (the time of
//!   writing when it has none or it cannot be read), `observedTimeUnixNano` the time of
//!   writing, `eventName` and the `event.name` attribute from `event_name`, the event id as
//!   `log.record.uid`, the correlation and attempt fields as attributes (`ATTRIBUTES`), and
//!   the payload itself as the body, a `kvlistValue` (`map`).
//!
//! The payload is the one the guard passed, exactly as it would go out in `pk3s`: this only
//! wraps it. No trace or span ids (a payload has none).

pub mod map;
pub mod response;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use map::{any, key_value, kvlist, string};

/// The scope every record names: this tool.
pub const SCOPE: &str = "pk3s-telemetry";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Payload fields carried as record attributes too, by attribute name: only when present,
/// and not null, empty or a container.
pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("session.id", "session_id"),
    ("pk3s.run_id", "run_id"),
    ("pk3s.parent_run_id", "parent_run_id"),
    ("pk3s.component", "component"),
    ("pk3s.event_family", "event_family"),
    ("pk3s.delivery_attempt", "delivery_attempt"),
    ("pk3s.retry_attempt", "retry_attempt"),
    ("pk3s.is_retry", "is_retry"),
];

/// The export request for the payload `body` (its bytes as `pk3s` would send them) with
/// the idempotency key `event_id`, written at `now`. Everything in it comes from the
/// payload the guard passed (or is this tool's own), never from the settings.
pub fn request(body: &[u8], event_id: &str, now: OffsetDateTime) -> Vec<u8> {
    // Payloads are checked JSON objects by now; anything else goes as a string body.
    let payload = match crate::json::parse(body) {
        Ok(Value::Object(m)) => m,
        Ok(other) => Map::from_iter([(String::new(), other)]),
        Err(_) => Map::from_iter([(
            String::new(),
            Value::String(String::from_utf8_lossy(body).into_owned()),
        )]),
    };
    let observed = nanos(now).unwrap_or(0);
    let at = payload
        .get("sent_at")
        .and_then(Value::as_str)
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .and_then(nanos)
        .unwrap_or(observed);
    let name = payload.get("event_name").and_then(Value::as_str);
    let mut attributes = Vec::new();
    if let Some(name) = name {
        attributes.push(key_value("event.name", string(name)));
    }
    attributes.push(key_value("log.record.uid", string(event_id)));
    for (attribute, field) in ATTRIBUTES {
        match payload.get(*field) {
            Some(v @ (Value::Bool(_) | Value::Number(_))) => {
                attributes.push(key_value(attribute, any(v)));
            }
            Some(Value::String(s)) if !s.is_empty() => {
                attributes.push(key_value(attribute, string(s)));
            }
            _ => {}
        }
    }
    let mut record = Map::new();
    record.insert("timeUnixNano".into(), json!(at.to_string()));
    record.insert("observedTimeUnixNano".into(), json!(observed.to_string()));
    if let Some(name) = name {
        record.insert("eventName".into(), json!(name));
    }
    record.insert("attributes".into(), Value::Array(attributes));
    record.insert(
        "body".into(),
        json!({ "kvlistValue": { "values": kvlist(&payload) } }),
    );
    let resource = [
        key_value(
            "service.name",
            string(&service_name(payload.get("component"))),
        ),
        key_value("service.version", string(service_version(&payload))),
    ];
    let request = json!({
        "resourceLogs": [{
            "resource": { "attributes": resource },
            "scopeLogs": [{
                "scope": { "name": SCOPE, "version": VERSION },
                "logRecords": [record],
            }],
        }],
    });
    serde_json::to_vec(&request).unwrap_or_default()
}

/// Nanoseconds since the Unix epoch, for a time at or after it.
fn nanos(at: OffsetDateTime) -> Option<u64> {
    u64::try_from(at.unix_timestamp_nanos()).ok()
}

/// `productive-k3s-<component>` for a component that is a plain name (`core` →
/// `productive-k3s-core`, the layer's own repository name); `productive-k3s` otherwise.
pub fn service_name(component: Option<&Value>) -> String {
    let plain = |c: &&str| {
        !c.is_empty()
            && c.len() <= 64
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    match component.and_then(Value::as_str).filter(plain) {
        Some(c) if c.starts_with("productive-k3s") => c.to_string(),
        Some(c) => format!("productive-k3s-{c}"),
        None => "productive-k3s".to_string(),
    }
}

/// The version in the payload's `client.user_agent` (`name/version`, as the manifest
/// envelope carries it) when it is version-shaped; this tool's version otherwise (built
/// events carry no user agent).
pub fn service_version(payload: &Map<String, Value>) -> &str {
    payload
        .get("client")
        .and_then(|c| c.get("user_agent"))
        .and_then(Value::as_str)
        .and_then(|ua| ua.split_whitespace().next())
        .and_then(|w| w.split_once('/'))
        .map(|(_, v)| v)
        .filter(|v| {
            v.len() <= 64
                && v.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        })
        .unwrap_or(VERSION)
}

#[cfg(test)]
mod tests;
