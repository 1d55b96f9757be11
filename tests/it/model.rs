//! A model-based test of the store (after Vector's disk buffer tests): random sequences of
//! sends (delivered, failing, killed mid-attempt), flushes (answered, failing, killed) run
//! against the real binary and outbox, checked after every step against a model of what
//! must have arrived and what must still be kept, and the ledger against what arrived.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::Duration;

use serde_json::Value;

use crate::flush::{quiet_child, random_below};
use crate::harness::{Sandbox, entries, files_under};
use crate::server::{Reply, Server};
use crate::store::eventually;

#[derive(Debug, Clone, Copy)]
enum Action {
    SendDelivered,
    SendFailing,
    SendKilled,
    FlushDelivering,
    FlushFailing,
    FlushKilled,
}

/// The keys of the entries in the outbox (a body's own `event_id`).
fn kept_keys(s: &Sandbox) -> BTreeSet<String> {
    entries(&s.outbox())
        .iter()
        .filter_map(|e| serde_json::from_slice::<Value>(&fs::read(e).ok()?).ok())
        .filter_map(|v| v["event_id"].as_str().map(str::to_string))
        .collect()
}

/// The bodies each key was answered 200 with.
fn delivered_bodies(servers: &[&Server]) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut d: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for s in servers {
        for r in s.requests().iter().filter(|r| r.status == Some(200)) {
            let key = r.header("idempotency-key").unwrap().to_string();
            d.entry(key).or_default().push(r.body.clone());
        }
    }
    d
}

/// The ledger's event ids, each record checked against what arrived: a delivery that
/// happened, with the very bytes.
fn recorded(s: &Sandbox, servers: &[&Server], trace: &[Action]) -> BTreeSet<String> {
    let bodies = delivered_bodies(servers);
    let mut ids = BTreeSet::new();
    for r in crate::ledger::records(s) {
        let id = r["event_id"].as_str().unwrap().to_string();
        let body = r["body"].as_str().unwrap().as_bytes();
        assert!(
            bodies.get(&id).is_some_and(|b| b.iter().any(|b| b == body)),
            "{id}: a record of no delivery after {trace:?}"
        );
        ids.insert(id);
    }
    ids
}

/// How often each key was answered 200.
fn delivered(servers: &[&Server]) -> BTreeMap<String, usize> {
    let mut d = BTreeMap::new();
    for s in servers {
        for r in s.requests().iter().filter(|r| r.status == Some(200)) {
            *d.entry(r.header("idempotency-key").unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    d
}

fn run_model(steps: usize) {
    let ok = Server::start(vec![], Reply::Status(200));
    let slow = Server::start(vec![], Reply::Slow(Duration::from_millis(15), 200));
    let failing = Server::start(vec![], Reply::Status(503));
    let hang = Server::start(vec![], Reply::Hang);
    let mut s = Sandbox::for_server(&ok);
    s.set("TELEMETRY_MAX_RETRIES", "1")
        .set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "20");
    // The model: every payload sent, and how many flushes were killed (each may repeat one
    // delivery: killed between the 2xx and the deletion).
    let mut sent: BTreeSet<String> = BTreeSet::new();
    let mut flush_kills = 0;
    let mut trace = Vec::new();
    for step in 0..steps {
        let action = match random_below(6) {
            0 => Action::SendDelivered,
            1 => Action::SendFailing,
            2 => Action::SendKilled,
            3 => Action::FlushDelivering,
            4 => Action::FlushFailing,
            _ => Action::FlushKilled,
        };
        trace.push(action);
        let id = uuid::Uuid::new_v4().to_string();
        let event = s.write(
            "event.json",
            &format!("{{\"event_id\":\"{id}\",\"n\":{step}}}"),
        );
        let event = event.to_str().unwrap();
        let send = |url: &str| s.run(&["send", "event", event, "--endpoint", url]);
        match action {
            Action::SendDelivered => {
                assert_eq!(send(&ok.url()).code, 0, "{trace:?}");
                sent.insert(id.clone());
                assert!(delivered(&[&ok]).contains_key(&id), "{trace:?}");
                assert!(!kept_keys(&s).contains(&id), "{trace:?}");
            }
            Action::SendFailing => {
                assert_eq!(send(&failing.url()).code, 1, "{trace:?}");
                sent.insert(id.clone());
                assert!(kept_keys(&s).contains(&id), "kept: {trace:?}");
            }
            Action::SendKilled => {
                let before = hang.requests().len();
                let mut c = quiet_child(&s, &["send", "event", event, "--endpoint", &hang.url()]);
                assert!(
                    eventually(Duration::from_secs(20), || hang.requests().len() > before),
                    "{trace:?}"
                );
                let _ = c.kill();
                let _ = c.wait();
                sent.insert(id.clone());
                assert!(kept_keys(&s).contains(&id), "written ahead: {trace:?}");
            }
            Action::FlushDelivering => {
                assert_eq!(
                    s.run(&["flush", "--reroute", &ok.url()]).code,
                    0,
                    "{trace:?}"
                );
                assert!(kept_keys(&s).is_empty(), "{trace:?}");
            }
            Action::FlushFailing => {
                let before = kept_keys(&s);
                s.run(&["flush", "--reroute", &failing.url()]);
                assert_eq!(kept_keys(&s), before, "{trace:?}");
            }
            Action::FlushKilled => {
                let mut c = quiet_child(&s, &["flush", "--reroute", &slow.url()]);
                std::thread::sleep(Duration::from_millis(random_below(40)));
                let _ = c.kill();
                let _ = c.wait();
                flush_kills += 1;
            }
        }
        // The invariant: whatever was sent has arrived or is still kept.
        let arrived = delivered(&[&ok, &slow]);
        let kept = kept_keys(&s);
        for id in &sent {
            assert!(
                arrived.contains_key(id) || kept.contains(id),
                "{id} lost after {trace:?}"
            );
        }
        recorded(&s, &[&ok, &slow], &trace);
    }
    assert_eq!(s.run(&["flush", "--reroute", &ok.url()]).code, 0);
    let arrived = delivered(&[&ok, &slow]);
    assert_eq!(
        arrived.keys().cloned().collect::<BTreeSet<_>>(),
        sent,
        "{trace:?}"
    );
    // Every payload that left is in the ledger (a flush killed between a 2xx and its
    // record leaves the entry, which the next one delivers and records).
    assert_eq!(recorded(&s, &[&ok, &slow], &trace), sent, "{trace:?}");
    let twice: usize = arrived.values().map(|&n| n - 1).sum();
    assert!(
        twice <= flush_kills,
        "{twice} repeats after {flush_kills} killed flushes: {trace:?}"
    );
    let left: Vec<_> = files_under(&s.outbox())
        .into_iter()
        .filter(|p| !p.ends_with("event.json"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn random_sends_flushes_and_kills_keep_the_model() {
    run_model(60);
}
