use super::*;

fn request_of(payload: &str) -> Value {
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    serde_json::from_slice(&request(payload.as_bytes(), "k-1", now)).unwrap()
}

#[test]
fn one_record_with_the_payload_as_its_body() {
    let r = request_of(
        r#"{"event_name":"apply.completed","event_id":"k-1","sent_at":"2026-11-21T23:47:43.120Z","session_id":"","run_id":"r","component":"infra","delivery_attempt":2,"is_retry":true,"client":{"user_agent":"productive-k3s/1.2.3"},"n":null}"#,
    );
    let res = &r["resourceLogs"][0];
    assert_eq!(
        res["resource"]["attributes"],
        json!([
            {"key": "service.name", "value": {"stringValue": "productive-k3s-infra"}},
            {"key": "service.version", "value": {"stringValue": "1.2.3"}}
        ])
    );
    let scope = &res["scopeLogs"][0];
    assert_eq!(scope["scope"]["name"], SCOPE);
    let records = scope["logRecords"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec["timeUnixNano"], "1795304863120000000");
    assert_eq!(rec["observedTimeUnixNano"], "1800000000000000000");
    assert_eq!(rec["eventName"], "apply.completed");
    let attrs: Vec<&str> = rec["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    // An empty session id is no attribute.
    assert_eq!(
        attrs,
        [
            "event.name",
            "log.record.uid",
            "pk3s.run_id",
            "pk3s.component",
            "pk3s.delivery_attempt",
            "pk3s.is_retry"
        ]
    );
    let body = rec["body"]["kvlistValue"]["values"].as_array().unwrap();
    assert_eq!(body.len(), 10);
    assert_eq!(body[9], json!({"key": "n", "value": {}}));
}

#[test]
fn time_falls_back_to_the_time_of_writing() {
    for p in [
        r#"{"a":1}"#,
        r#"{"sent_at":"yesterday"}"#,
        r#"{"sent_at":"1900-01-01T00:00:00Z"}"#,
    ] {
        let r = request_of(p);
        let rec = &r["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
        assert_eq!(rec["timeUnixNano"], "1800000000000000000", "{p}");
        assert!(rec.get("eventName").is_none());
    }
    // Upstream's `date -Iseconds`.
    let r = request_of(r#"{"sent_at":"2027-01-15T08:00:00+01:00"}"#);
    assert_eq!(
        r["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["timeUnixNano"],
        "1799996400000000000"
    );
}

#[test]
fn service_name_and_version() {
    assert_eq!(service_name(Some(&json!("core"))), "productive-k3s-core");
    assert_eq!(
        service_name(Some(&json!("productive-k3s-infra"))),
        "productive-k3s-infra"
    );
    for odd in [json!(""), json!("a b"), json!(3), json!("x".repeat(65))] {
        assert_eq!(service_name(Some(&odd)), "productive-k3s", "{odd}");
    }
    assert_eq!(service_name(None), "productive-k3s");
    let ua = |u: &str| {
        json!({"client": {"user_agent": u}})
            .as_object()
            .unwrap()
            .clone()
    };
    assert_eq!(service_version(&ua("productive-k3s/0.9.1 extra")), "0.9.1");
    assert_eq!(
        service_version(&ua("productive-k3s/v2.0.0-rc.1+b3")),
        "v2.0.0-rc.1+b3"
    );
    for odd in ["curl", "x/", "productive-k3s/[redacted]", "a/db01.corp"] {
        assert_eq!(service_version(&ua(odd)), VERSION, "{odd}");
    }
    assert_eq!(service_version(&Map::new()), VERSION);
}
