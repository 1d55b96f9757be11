//! TELEMETRY_PROTOCOL=otlp: every payload kind and every replay path goes out as an OTLP/HTTP
//! logs export request that the official parser takes (`otlp_check`, also run by every
//! receiver when it stops), with the payload inside it unchanged; the ledger's bytes; the
//! protocol recorded per entry and kept by replays; a replay of what the ledger says left
//! is not sent. The answers and the setting: `answers`.

use std::fs;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::background::deliverer_done;
use crate::flush::summary;
use crate::harness::{MANIFEST, Sandbox, entries, files_under};
use crate::ledger::records;
use crate::otlp_check::{after_trip, attributes, check};
use crate::server::{Recorded, Reply, Server};
use crate::store::eventually;

const TOKEN: &str = "otlp-t0ken-9a8b7c6d";

/// A ready-made event with every kind of JSON value, as an upstream layer writes one.
pub(super) const READY: &str = r#"{
  "schema_version": "1",
  "event_family": "usage",
  "event_name": "core.apply.install.completed",
  "event_id": "evt-otlp-1",
  "sent_at": "2026-11-21T23:47:43+01:00",
  "session_id": "",
  "run_id": "20260101-120000-1",
  "component": "core",
  "numbers": {"int": 42, "neg": -7, "big": 18446744073709551616, "ratio": 1.50, "exp": 2.5e3,
              "max": 9223372036854775807},
  "list": [true, false, null, "x", [1, {"deep": []}], {}],
  "nothing": null
}"#;

pub(super) fn otlp(server: &Server) -> Sandbox {
    let mut s = Sandbox::for_server(server);
    s.set("TELEMETRY_PROTOCOL", "otlp")
        .set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("TELEMETRY_MAX_RETRIES", "1");
    s.write("manifest.json", MANIFEST);
    s.write("ready.json", READY);
    s
}

fn object(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap()
}

/// `READY` as its OTLP body decodes: the same, but for the integer beyond an i64, which
/// goes as a string of its digits (docs/otlp.md).
fn ready_decoded() -> Map<String, Value> {
    let m = object(READY);
    let trip = after_trip(&Value::Object(m.clone()));
    assert_eq!(trip["numbers"]["big"], json!("18446744073709551616"));
    assert_eq!(trip["numbers"]["max"], m["numbers"]["max"]);
    trip.as_object().unwrap().clone()
}

/// The payload inside each request, after the official parser took them all.
pub(super) fn payloads(reqs: &[Recorded]) -> Vec<Map<String, Value>> {
    check(&reqs.iter().map(|r| r.body.clone()).collect::<Vec<_>>())
}

fn without_attempt(mut m: Map<String, Value>) -> Map<String, Value> {
    for k in ["sent_at", "delivery_attempt", "retry_attempt", "is_retry"] {
        m.remove(k);
    }
    m
}

#[test]
fn every_payload_kind_and_path_goes_out_as_a_request_the_official_parser_takes() {
    let server = Server::start(vec![Reply::Status(503); 4], Reply::Status(200));
    let s = otlp(&server);
    // Kept by the first answers (503, one attempt each): for flush, and for a bundle.
    s.run(&["send", "event", "--name", "kept.one", "--field", "k=v"])
        .code_is(1);
    s.run(&["send", "event", "ready.json"]).code_is(1);
    let other = otlp(&server);
    other.run(&["send", "manifest", "manifest.json"]).code_is(1);
    other
        .run(&["send", "event", "--name", "carried.two"])
        .code_is(1);
    let stored: Vec<Map<String, Value>> = entries(&s.outbox())
        .iter()
        .map(|e| object(&fs::read_to_string(e).unwrap()))
        .collect();
    assert_eq!(stored.len(), 2);
    let bundle = s.path("bundle.jsonl");
    other.run(&["flush", "--to", bundle.to_str().unwrap()]).ok();
    let before = server.requests().len();
    assert_eq!(before, 4);

    // Now the receiver takes everything.
    s.run(&["send", "manifest", "manifest.json"]).ok();
    s.run(&["send", "event", "--name", "built.now", "--field", "n=1"])
        .ok();
    let run = s.run(&["flush"]);
    run.ok();
    assert!(summary(&run).contains("delivered=2 "), "{}", run.stderr);
    s.run(&["send", "event", "--name", "in.background", "--background"])
        .ok();
    assert!(eventually(Duration::from_secs(30), || server
        .requests()
        .len()
        == before + 5));
    deliverer_done(&s.outbox());
    let run = s.run(&["flush", "--from", bundle.to_str().unwrap()]);
    run.ok();
    assert!(summary(&run).contains("delivered=2 "), "{}", run.stderr);
    assert!(entries(&s.outbox()).is_empty());

    let reqs = server.requests();
    assert_eq!(
        reqs.len(),
        before + 7,
        "each payload once after the first answers"
    );
    let inside = payloads(&reqs);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/telemetry", "the endpoint as given");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        let attrs = attributes(&r.body);
        assert_eq!(
            r.header("idempotency-key"),
            attrs["log.record.uid"].as_str()
        );
    }
    let names: Vec<&str> = inside
        .iter()
        .map(|p| p["event_name"].as_str().unwrap())
        .collect();
    for want in [
        "kept.one",
        "core.apply.install.completed",
        "apply.completed",
        "carried.two",
        "built.now",
        "in.background",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    // A ready-made event decodes to exactly what was written, numbers and nulls included.
    let ready: Vec<_> = inside
        .iter()
        .filter(|p| p["event_id"] == "evt-otlp-1")
        .collect();
    assert_eq!(ready.len(), 2, "a 503, then a replay");
    for p in ready {
        assert_eq!(*p, ready_decoded());
    }
    // A replayed built entry is the stored payload with new attempt fields.
    for kept in &stored {
        let id = &kept["event_id"];
        let last = inside.iter().rfind(|p| &p["event_id"] == id).unwrap();
        let kept = after_trip(&Value::Object(kept.clone()));
        assert_eq!(
            without_attempt(last.clone()),
            without_attempt(kept.as_object().unwrap().clone())
        );
    }
    // Every request's record: the mapping of docs/otlp.md.
    let last = reqs.last().unwrap();
    let v: Value = serde_json::from_slice(&last.body).unwrap();
    let res = &v["resourceLogs"][0]["resource"]["attributes"];
    assert_eq!(res[0]["key"], "service.name");
    assert_eq!(res[0]["value"]["stringValue"], "productive-k3s-core");
    assert_eq!(res[1]["key"], "service.version");
    let rec = &v["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    let attrs = attributes(&last.body);
    assert_eq!(rec["eventName"], attrs["event.name"]);
    assert_eq!(attrs["pk3s.is_retry"], json!(true));
    assert_eq!(attrs["pk3s.component"], json!("core"));
}

#[test]
fn the_ledger_records_the_otlp_body_that_left_and_its_protocol() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = otlp(&server);
    s.run(&["send", "event", "ready.json"]).ok();
    s.run(&["send", "event", "--name", "a.b"]).ok();
    let reqs = server.requests();
    payloads(&reqs);
    let recs = records(&s);
    assert_eq!(recs.len(), 2);
    for (rec, req) in recs.iter().rev().zip(&reqs) {
        assert_eq!(rec["protocol"], "otlp");
        let id = rec["event_id"].as_str().unwrap();
        let shown = s.run(&["log", "--show", id]);
        shown.ok();
        assert_eq!(shown.stdout.as_bytes(), &req.body[..], "byte for byte");
        assert!(!shown.stdout.contains(TOKEN));
    }
}

#[test]
fn a_dry_run_prints_the_otlp_request() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = otlp(&server);
    let run = s.run(&["send", "event", "ready.json", "--dry-run"]);
    run.ok();
    let body = run.stdout.lines().last().unwrap();
    let inside = check(&[body.as_bytes().to_vec()]);
    assert_eq!(inside[0], ready_decoded());
    assert!(run.stdout.contains("Authorization: Bearer ********"));
    assert!(server.requests().is_empty() && entries(&s.outbox()).is_empty());
}

#[test]
fn each_entry_keeps_its_protocol_whatever_the_setting_at_replay() {
    let server = Server::start(vec![Reply::Status(503); 2], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1")
        .set("TELEMETRY_PROTOCOL", "otlp");
    s.run(&["send", "event", "--name", "was.otlp"]).code_is(1);
    s.unset("TELEMETRY_PROTOCOL");
    s.run(&["send", "event", "--name", "was.pk3s"]).code_is(1);
    let protocols: Vec<String> = files_under(&s.outbox())
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "history"))
        .map(|p| {
            let h = fs::read_to_string(p).unwrap();
            h.lines()
                .find_map(|l| l.strip_prefix("protocol="))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(protocols.len(), 2);
    assert!(protocols.contains(&"pk3s".into()) && protocols.contains(&"otlp".into()));
    // Replayed under the other setting each time: the otlp one (the oldest) by a flush in
    // pk3s mode...
    s.set("TELEMETRY_PROTOCOL", "pk3s");
    let run = s.run(&["flush", "--limit", "1"]);
    run.code_is(1);
    assert!(summary(&run).contains("delivered=1 "), "{}", run.stderr);
    // ...and the pk3s one by a flush in otlp mode.
    s.set("TELEMETRY_PROTOCOL", "otlp");
    s.run(&["flush"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        let otlp = crate::otlp_check::is_otlp(&r.body);
        let name = if otlp {
            payloads(std::slice::from_ref(r))[0]["event_name"].clone()
        } else {
            r.json()["event_name"].clone()
        };
        assert_eq!(otlp, name == "was.otlp", "{name}");
    }
    let mut by: Vec<(String, String)> = records(&s)
        .iter()
        .map(|r| {
            (
                r["event_name"].as_str().unwrap().to_string(),
                r["protocol"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by.sort();
    assert_eq!(
        by,
        [
            ("was.otlp".to_string(), "otlp".to_string()),
            ("was.pk3s".to_string(), "pk3s".to_string())
        ]
    );
}

#[test]
fn a_replay_of_an_otlp_entry_the_ledger_says_left_is_not_sent_again() {
    let server = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let s = otlp(&server);
    s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    // Its entry and history as they were before the flush that delivers it...
    let saved: Vec<(std::path::PathBuf, Vec<u8>)> = files_under(&s.outbox())
        .into_iter()
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    s.run(&["flush"]).ok();
    assert_eq!(server.requests().len(), 2);
    // ...back, as if that flush had been killed between its record and the removal.
    for (p, b) in &saved {
        fs::write(p, b).unwrap();
    }
    let run = s.run(&["flush"]);
    run.ok();
    assert!(summary(&run).contains("already_left=1"), "{}", run.stderr);
    assert_eq!(server.requests().len(), 2, "not sent again");
    assert!(entries(&s.outbox()).is_empty());
    payloads(&server.requests());
}

#[test]
fn the_strict_parser_refuses_what_otlp_json_does_not_allow() {
    let good = r#"{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"pk3s-telemetry"},"logRecords":[{"timeUnixNano":"1","observedTimeUnixNano":"1","body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}}]}}}]}]}]}"#;
    assert_eq!(check(&[good.as_bytes().to_vec()])[0], object(r#"{"a":1}"#));
    for bad in [
        // An unknown field (the official parser).
        good.replace(r#""scope":{"#, r#""scope":{"nme":"x","#),
        // A proto field name, which protobuf's parser takes and OTLP/JSON does not.
        good.replace("timeUnixNano", "time_unix_nano"),
        // A 64-bit integer as a number.
        good.replace(r#"{"intValue":"1"}"#, r#"{"intValue":1}"#),
        // Two records in one request.
        good.replace(r#""logRecords":[{"#, r#""logRecords":[{},{"#),
    ] {
        let refused = std::panic::catch_unwind(|| check(&[bad.as_bytes().to_vec()]));
        assert!(refused.is_err(), "taken: {bad}");
    }
}

#[test]
fn the_request_shown_in_docs_otlp_md_is_one_the_official_parser_takes() {
    let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/otlp.md")).unwrap();
    let (_, rest) = doc.split_once("```json\n").expect("a json example");
    let (example, _) = rest.split_once("```").unwrap();
    let one_line: String = example.lines().map(str::trim_start).collect();
    let inside = check(&[one_line.into_bytes()]);
    assert_eq!(inside[0]["event_name"], "core.apply.completed");
}

#[test]
fn a_deeply_nested_payload_still_makes_a_request_the_official_parser_takes() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = otlp(&server);
    // 100 objects deep, each with an array of arrays: far past protobuf's 100 levels if
    // mapped whole.
    let mut text = String::from(r#"{"event_name":"deep.one","a":"#);
    for _ in 0..100 {
        text.push_str(r#"{"l":[[1]],"a":"#);
    }
    text.push_str("null");
    text.push_str(&"}".repeat(101));
    s.write("deep.json", &text);
    s.run(&["send", "event", "deep.json"]).ok();
    let inside = payloads(&server.requests());
    // The outer levels as they were; the deepest as their JSON text.
    assert_eq!(inside[0]["a"]["a"]["l"], json!([[1]]));
    let mut v = &inside[0]["a"];
    while let Some(inner) = v.get("a") {
        v = inner;
    }
    let rest: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
    assert_eq!(rest["l"], json!([[1]]));
}

#[test]
fn an_old_scripts_file_goes_where_the_settings_send_in_their_protocol() {
    // No endpoint recorded, no protocol: it goes to the settings' endpoint (the Collector)
    // and so as OTLP; a pk3s body would only be refused there.
    let server = Server::start(vec![], Reply::Status(200));
    let s = otlp(&server);
    fs::create_dir_all(s.outbox()).unwrap();
    let event = r#"{"event_id":"evt-legacy-1","event_name":"infra.ready","component":"infra"}"#;
    fs::write(s.outbox().join("event-run-2-attempt-1.json"), event).unwrap();
    fs::write(
        s.outbox().join("event-run-2-attempt-1.status"),
        "attempt=1\n",
    )
    .unwrap();
    s.run(&["flush"]).ok();
    let inside = payloads(&server.requests());
    assert_eq!(inside, [object(event)]);
    assert_eq!(records(&s)[0]["protocol"], "otlp");
}

#[test]
fn an_old_scripts_file_carried_in_a_bundle_goes_in_the_protocol_of_the_host_that_delivers_it() {
    // Written on a host in the default mode, carried to one that sends to a Collector:
    // the bundle says neither endpoint nor protocol, so it goes there as OTLP.
    let mut a = Sandbox::new();
    a.set("TELEMETRY_ENABLED", "1");
    fs::create_dir_all(a.outbox()).unwrap();
    let event = r#"{"event_id":"evt-legacy-2","event_name":"infra.ready","component":"infra"}"#;
    fs::write(a.outbox().join("event-run-3-attempt-1.json"), event).unwrap();
    fs::write(
        a.outbox().join("event-run-3-attempt-1.status"),
        "attempt=1\n",
    )
    .unwrap();
    let bundle = a.path("carry.jsonl");
    a.run(&["flush", "--to", bundle.to_str().unwrap()]).ok();
    let text = fs::read_to_string(&bundle).unwrap();
    let line: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(line["endpoint"], Value::Null, "{line:#}");
    assert_eq!(line["protocol"], Value::Null, "{line:#}");
    let server = Server::start(vec![], Reply::Status(200));
    let b = otlp(&server);
    b.run(&["flush", "--from", bundle.to_str().unwrap()]).ok();
    assert_eq!(payloads(&server.requests()), [object(event)]);
    assert_eq!(records(&b)[0]["protocol"], "otlp");
    // The same bundle on a host in the default mode goes as pk3s.
    let plain = Server::start(vec![], Reply::Status(200));
    let c = Sandbox::for_server(&plain);
    c.run(&["flush", "--from", bundle.to_str().unwrap()]).ok();
    let got = plain.requests();
    assert_eq!(got.len(), 1);
    let body: Map<String, Value> = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body, object(event));
}

mod answers;
