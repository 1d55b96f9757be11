//! OTLP mode's answers and settings: retries (5xx, 429 with Retry-After), rejections (4xx,
//! a partial success that rejects the record) and a partial success with only a message;
//! the endpoint it needs, an unknown protocol, the default mode's bytes unchanged, and the
//! setting handed down.

use std::fs;
use std::time::Duration;

use serde_json::{Value, json};

use super::{READY, otlp, payloads};
use crate::flush::summary;
use crate::harness::{Sandbox, entries, files_under};
use crate::ledger::records;
use crate::server::{Reply, Server};

#[test]
fn a_5xx_then_a_2xx_and_429_with_retry_after_are_retried() {
    let server = Server::start(
        vec![
            Reply::Status(500),
            Reply::With(429, vec![("Retry-After", "1".into())]),
        ],
        Reply::Status(200),
    );
    let mut s = otlp(&server);
    s.set("TELEMETRY_MAX_RETRIES", "3");
    s.run(&["send", "event", "--name", "a.b"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let attempts: Vec<Value> = payloads(&reqs)
        .iter()
        .map(|p| p["delivery_attempt"].clone())
        .collect();
    assert_eq!(attempts, [json!(1), json!(2), json!(3)]);
    assert!(reqs[2].at.duration_since(reqs[1].at) >= Duration::from_millis(900));
    assert!(entries(&s.outbox()).is_empty());
}

#[test]
fn a_400_and_a_partial_success_rejecting_the_record_are_kept_apart() {
    let rejected = r#"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"record too old\n\u001b[31mdropped"}}"#;
    let server = Server::start(
        vec![
            Reply::Json(
                400,
                r#"{"code":3,"message":"ReadObject: expect { or n,\n\u001b[31mbut found \"x\""}"#
                    .into(),
            ),
            Reply::Json(200, rejected.into()),
        ],
        Reply::Status(200),
    );
    let mut s = otlp(&server);
    s.set("TELEMETRY_MAX_RETRIES", "3");
    let run = s.run(&["send", "event", "--name", "bad.one"]);
    run.code_is(1)
        .stderr_has("rejected by the receiver (HTTP 400)")
        // The Collector's reason, on one line, its escape sequence gone.
        .stderr_has(
            "the receiver says why it answered HTTP 400: ReadObject: expect { or n, [31mbut found \"x\"",
        );
    assert!(!run.stderr.contains('\u{1b}'), "sanitised");
    let run = s.run(&["send", "event", "--name", "bad.two"]);
    run.code_is(1)
        .stderr_has("a partial success that rejected the record (1): record too old [31mdropped");
    assert!(!run.stderr.contains('\u{1b}'), "sanitised");
    assert_eq!(server.requests().len(), 2, "neither retried");
    let apart = files_under(&s.outbox().join("rejected"));
    assert_eq!(apart.len(), 4, "{apart:?}");
    let histories: String = apart
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "history"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert!(histories.contains("error=HTTP 200, a partial success that rejected the record (1): record too old [31mdropped\n"));
    assert!(histories.contains("status=400"));
    // A flush does not replay them; nothing left for the ledger.
    s.run(&["flush"]).ok();
    assert_eq!(server.requests().len(), 2);
    assert!(records(&s).is_empty());
}

#[test]
fn a_partial_success_with_only_a_message_is_delivered_with_a_warning() {
    let warned =
        r#"{"partialSuccess":{"rejectedLogRecords":"0","errorMessage":"attribute limit reached"}}"#;
    let server = Server::start(
        vec![
            Reply::Json(200, warned.into()),
            Reply::Json(200, warned.into()),
        ],
        Reply::Json(200, "{}".into()),
    );
    let s = otlp(&server);
    let run = s.run(&["send", "event", "--name", "a.b"]);
    run.ok()
        .stderr_has("the receiver says (partial success): attribute limit reached");
    assert!(entries(&s.outbox()).is_empty());
    assert_eq!(records(&s).len(), 1);
    // In a replay too.
    let down = Server::start(vec![Reply::Status(503)], Reply::Status(503));
    let mut s2 = otlp(&down);
    s2.run(&["send", "event", "--name", "c.d"]).code_is(1);
    s2.set("TELEMETRY_ENDPOINT", &server.url());
    let run = s2.run(&["flush", "--reroute", &server.url()]);
    run.ok().stderr_has("attribute limit reached");
    assert!(summary(&run).contains("delivered=1 "));
    payloads(&server.requests());
}

#[test]
fn otlp_without_an_endpoint_is_a_usage_error_naming_it() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_PROTOCOL", "otlp");
    for args in [
        &["send", "event", "--name", "a.b"][..],
        &["send", "event", "--name", "a.b", "--dry-run"],
        &["flush"],
    ] {
        let run = s.run(args);
        run.code_is(2);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        run.stderr_has("TELEMETRY_ENDPOINT").stderr_has("otlp");
    }
    assert!(files_under(&s.outbox()).is_empty());
    // Consent off: a silent no-op still.
    s.set("TELEMETRY_ENABLED", "0");
    s.run(&["send", "event", "--name", "a.b"]).ok();
    // Set but empty: nothing is sent, as in pk3s.
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn an_unknown_protocol_warns_and_uses_pk3s() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_PROTOCOL", "grpc");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "pk3s-telemetry: warning: TELEMETRY_PROTOCOL=\"grpc\" is not pk3s or otlp; using pk3s\n"
    );
    assert_eq!(server.requests()[0].json()["event_name"], "a.b");
    // Any case of a known name is that name.
    s.set("TELEMETRY_PROTOCOL", "OTLP");
    s.run(&["send", "event", "--name", "c.d"]).ok();
    payloads(&server.requests()[1..]);
}

#[test]
fn the_default_protocol_sends_the_same_bytes_as_before() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_SESSION_ID", "5e55a1e5e55a1001")
        .set("TELEMETRY_RUN_ID", "20260101-120000-1");
    s.write("ready.json", READY);
    s.run(&["send", "event", "--name", "a.b", "--field", "k=v"])
        .ok();
    s.set("TELEMETRY_PROTOCOL", "pk3s");
    s.run(&["send", "event", "ready.json"]).ok();
    let reqs = server.requests();
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    let v = reqs[0].json();
    let (id, at) = (
        v["event_id"].as_str().unwrap(),
        v["sent_at"].as_str().unwrap(),
    );
    let want = format!(
        concat!(
            r#"{{"schema_version":"1","event_family":"usage","event_name":"a.b","event_id":"{id}","#,
            r#""sent_at":"{at}","delivery_attempt":1,"retry_attempt":0,"is_retry":false,"#,
            r#""retry_of_run_id":"20260101-120000-1","session_id":"5e55a1e5e55a1001","#,
            r#""run_id":"20260101-120000-1","parent_run_id":"","component":"core","#,
            r#""command":{{"name":null,"result":null,"k":"v"}},"client":{{"repository":"productive-k3s","#,
            r#""script":"scripts/apply.sh","telemetry_enabled":"true"}},"#,
            r#""telemetry_meta":{{"delivery_mode":"best-effort","anonymous_by_contract":true}}}}"#
        ),
        id = id,
        at = at
    );
    assert_eq!(body, want);
    assert_eq!(
        reqs[1].body,
        READY.as_bytes(),
        "a ready-made event as written"
    );
    for r in records(&s) {
        assert_eq!(r["protocol"], "pk3s");
    }
}

#[test]
fn resolve_and_env_hand_the_protocol_down_as_given() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_PROTOCOL", "otlp")
        .set(
            "TELEMETRY_ENDPOINT",
            "http://collector.example:4318/v1/logs",
        )
        .set("TELEMETRY_ENABLED", "0");
    let run = s.run(&["env"]);
    run.ok();
    assert!(
        run.stdout.contains("export TELEMETRY_PROTOCOL='otlp'\n"),
        "{}",
        run.stdout
    );
    let run = s.run(&["resolve", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.ok().stdout).unwrap();
    assert_eq!(
        v["TELEMETRY_PROTOCOL"],
        json!({"value": "otlp", "source": "env", "exported": true})
    );
    // status says it beside the endpoint.
    let st = s.run(&["status"]);
    assert!(
        st.ok()
            .stdout
            .contains("http://collector.example:4318/v1/logs (env), as OTLP/HTTP logs\n"),
        "{}",
        st.stdout
    );
    let st: Value = serde_json::from_str(&s.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["endpoint"]["protocol"], "otlp");
    // Unset: never exported (every layer applies the default), and status says nothing.
    s.unset("TELEMETRY_PROTOCOL");
    assert!(!s.run(&["env"]).stdout.contains("TELEMETRY_PROTOCOL"));
    assert!(!s.run(&["status"]).stdout.contains("OTLP"));
    let st: Value = serde_json::from_str(&s.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["endpoint"]["protocol"], "pk3s");
}
