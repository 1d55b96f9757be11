//! Pinned entries: an entry goes only where it was written for. Two receivers: a flush
//! whose environment names the other one keeps the entry (exit 1, the summary says where
//! it belongs); with no endpoint set, or the same one spelled differently, it goes to its
//! own; `flush --reroute URL` is the operator's way elsewhere. Entries that record none
//! (earlier versions) go where they did before.

use std::fs;
use std::time::Duration;

use serde_json::Value;

use crate::background::deliverer_done;
use crate::flush::{keys, seed, summary};
use crate::harness::{Sandbox, entries};
use crate::server::{Reply, Server};
use crate::store::eventually;

fn history(s: &Sandbox) -> String {
    let kept = entries(&s.outbox());
    fs::read_to_string(kept[0].with_extension("history")).unwrap()
}

#[test]
fn a_flush_sends_an_entry_only_to_the_endpoint_it_was_written_for() {
    // A: the private receiver, down for the send, up later. B: another (the default, say).
    let a = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let b = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&a);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    assert!(history(&s).contains(&format!("\nendpoint={}\n", a.url())));

    // The cron line's environment names B: kept, and the summary says where it belongs.
    s.set("TELEMETRY_ENDPOINT", &b.url());
    let run = s.run(&["flush"]);
    run.code_is(1);
    assert!(
        summary(&run).contains(&format!("elsewhere=1; kept, written for {}", a.url())),
        "{}",
        run.stderr
    );
    assert!(b.requests().is_empty(), "nothing went to B");
    let json = s.run(&["flush", "--format", "json"]);
    let j: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(j["elsewhere"], 1);
    assert_eq!(j["written_for"], serde_json::json!([a.url()]));
    // A dry run says so too.
    let dry = s.run(&["flush", "--dry-run"]);
    assert!(
        dry.stdout.contains(&format!("written for {}", a.url())),
        "{dry:#?}"
    );

    // The same endpoint, spelled with another case, port and slash: it goes.
    let port = a.addr.port();
    s.set(
        "TELEMETRY_ENDPOINT",
        &format!("HTTP://127.0.0.1:{port}/telemetry/"),
    );
    s.run(&["flush"]).ok();
    assert_eq!(a.requests().len(), 2);
    assert!(entries(&s.outbox()).is_empty());

    // No endpoint in the environment (the operator guide's cron line): its own.
    s.run(&["send", "event", "--name", "a.b", "--endpoint", &a.url()])
        .ok();
    let c = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    s.set("TELEMETRY_ENDPOINT", &c.url());
    s.run(&["send", "event", "--name", "c.d"]).code_is(1);
    s.unset("TELEMETRY_ENDPOINT");
    s.run(&["flush"]).ok();
    assert_eq!(
        c.requests().len(),
        2,
        "to its own endpoint, not the default"
    );
    assert_eq!(c.requests()[1].json()["event_name"], "c.d");
    assert!(b.requests().is_empty());
}

#[test]
fn reroute_sends_entries_elsewhere_by_the_operators_choice() {
    let a = Server::start(vec![], Reply::Status(503));
    let b = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&a);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    for _ in 0..2 {
        s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    }
    let run = s.run(&["flush", "--reroute", &b.url()]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        summary(&run).ends_with(&format!("; re-routed to {} (--reroute)", b.url())),
        "{}",
        run.stderr
    );
    assert_eq!(b.requests().len(), 2);
    assert_eq!(a.requests().len(), 2, "the two sends only");
    let bad = s.run(&["flush", "--reroute", "ftp://x"]);
    bad.code_is(2)
        .stderr_has("--reroute: \"ftp://x\" is not an http or https URL");
}

#[test]
fn entries_of_earlier_versions_go_where_they_did_before() {
    let b = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&b);
    let ids = seed(&s.outbox(), 3, Duration::from_secs(60));
    s.run(&["flush"]).ok();
    assert_eq!(keys(&b), ids);
}

#[test]
fn an_entry_written_with_a_token_waits_for_one_and_never_records_it() {
    let a = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let mut s = Sandbox::for_server(&a);
    s.set("TELEMETRY_MAX_RETRIES", "1")
        .set("TELEMETRY_BEARER_TOKEN", "s3cret-t0ken");
    s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    let h = history(&s);
    assert!(h.contains("\ntoken=1\n") && !h.contains("s3cret"), "{h}");
    // A cron flush without the token keeps it rather than send it without one.
    s.unset("TELEMETRY_BEARER_TOKEN");
    let run = s.run(&["flush"]);
    run.code_is(1);
    assert!(summary(&run).contains("no_token=1"), "{}", run.stderr);
    assert_eq!(a.requests().len(), 1);
    s.set("TELEMETRY_BEARER_TOKEN", "s3cret-t0ken");
    s.run(&["flush"]).ok();
    assert_eq!(
        a.requests()[1].header("authorization"),
        Some("Bearer s3cret-t0ken")
    );
}

#[test]
fn the_background_deliverer_keeps_to_the_pins_too() {
    let a = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let b = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&a);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "event", "--name", "for.a"]).code_is(1);
    // A later layer names B in its environment and sends in the background.
    s.set("TELEMETRY_ENDPOINT", &b.url());
    s.run(&["send", "event", "--name", "for.b", "--background"])
        .ok();
    assert!(eventually(Duration::from_secs(30), || b.requests().len() == 1));
    deliverer_done(&s.outbox());
    assert_eq!(b.requests()[0].json()["event_name"], "for.b");
    assert_eq!(a.requests().len(), 1, "A's entry waits for A");
    assert_eq!(entries(&s.outbox()).len(), 1);
    // Without an endpoint in the environment, the next deliverer takes it to A.
    s.unset("TELEMETRY_ENDPOINT");
    s.run(&[
        "send",
        "event",
        "--name",
        "for.a",
        "--endpoint",
        &a.url(),
        "--background",
    ])
    .ok();
    assert!(eventually(Duration::from_secs(30), || a.requests().len() == 3));
    deliverer_done(&s.outbox());
    assert!(entries(&s.outbox()).is_empty());
}

#[test]
fn a_dead_endpoint_stops_its_own_entries_only() {
    let dead = Server::start(vec![], Reply::Status(503));
    let live = Server::start(vec![Reply::Status(503); 4], Reply::Status(200));
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_MAX_RETRIES", "1");
    // Interleaved: entries for the dead endpoint and for the live one.
    for i in 0..8 {
        let to = if i % 2 == 0 { dead.url() } else { live.url() };
        s.run(&["send", "event", "--name", "a.b", "--endpoint", &to])
            .code_is(1);
    }
    let run = s.run(&["flush"]);
    run.code_is(1);
    assert_eq!(
        live.requests().len(),
        8,
        "all four of the live one's delivered"
    );
    assert_eq!(
        dead.requests().len(),
        4 + 3,
        "three failures in a row stop the dead one"
    );
    assert!(
        summary(&run).contains(&format!(
            "delivered=4 kept=4 rejected=0 expired=0; stopped early, {}: the endpoint looks down",
            dead.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(entries(&s.outbox()).len(), 4);
}
