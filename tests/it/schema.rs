//! The published payload schemas (`schemas/`), compiled once; every built payload the test
//! receiver gets is validated against them when the receiver stops.

use std::sync::OnceLock;

use boon::{Compiler, SchemaIndex, Schemas};
use serde_json::Value;

struct Compiled {
    schemas: Schemas,
    envelope: SchemaIndex,
    event: SchemaIndex,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
        let mut schemas = Schemas::new();
        let mut compiler = Compiler::new();
        compiler.enable_format_assertions();
        let mut load = |name: &str| {
            let path = format!("{dir}/{name}");
            let text = std::fs::read_to_string(&path).expect("schema file");
            let json: Value = serde_json::from_str(&text).expect("schema is JSON");
            compiler.add_resource(&path, json).expect("schema resource");
            compiler
                .compile(&path, &mut schemas)
                .expect("schema compiles")
        };
        let envelope = load("manifest-envelope.schema.json");
        let event = load("event.schema.json");
        Compiled {
            schemas,
            envelope,
            event,
        }
    })
}

/// Validates a built payload (manifest envelope or built event); ready-made events, which
/// go out as the caller wrote them, are not ours to check. Returns the schema used.
pub fn validate(body: &Value) -> Result<Option<&'static str>, String> {
    let ours = body.get("schema_version") == Some(&Value::from("1"))
        && body.get("telemetry_meta").is_some();
    if !ours {
        return Ok(None);
    }
    let c = compiled();
    let (index, name) = if body.get("manifest").is_some() {
        (c.envelope, "manifest-envelope")
    } else {
        (c.event, "event")
    };
    c.schemas
        .validate(body, index)
        .map(|()| Some(name))
        .map_err(|e| format!("{name} schema: {e}"))
}

#[test]
fn the_schemas_reject_what_the_contract_forbids() {
    let good = serde_json::json!({
        "schema_version": "1", "event_family": "usage", "event_name": "a.b",
        "event_id": "e", "sent_at": "2026-11-21T23:47:43.120Z", "delivery_attempt": 1,
        "retry_attempt": 0, "is_retry": false, "retry_of_run_id": "r", "session_id": "s",
        "run_id": "r", "parent_run_id": "", "component": "core",
        "command": {"name": "apply", "result": null, "mode": "x"},
        "client": {"repository": "productive-k3s", "script": "scripts/apply.sh", "telemetry_enabled": "true"},
        "telemetry_meta": {"delivery_mode": "best-effort", "anonymous_by_contract": true}
    });
    assert_eq!(validate(&good), Ok(Some("event")));
    for (key, bad) in [
        ("delivery_attempt", serde_json::json!(0)),
        ("sent_at", serde_json::json!("yesterday")),
        ("is_retry", serde_json::json!("no")),
        ("hostname", serde_json::json!("h")),
        // The wire types the shell scripts sent, which receivers read.
        ("parent_run_id", serde_json::Value::Null),
        ("retry_of_run_id", serde_json::Value::Null),
    ] {
        let mut b = good.clone();
        b[key] = bad;
        assert!(validate(&b).is_err(), "{key}");
    }
    let mut b = good.clone();
    b["client"]["telemetry_enabled"] = serde_json::json!(true);
    assert!(validate(&b).is_err(), "a boolean telemetry_enabled");
}
