//! The ledger of what left: every delivery path records the exact body the receiver got,
//! bounded and rotated, whole under concurrent writers, never the token; `log` shows it,
//! on a missing outbox and on a damaged ledger too; a payload it says left is not sent
//! again.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::process::Child;
use std::time::Duration;

use serde_json::Value;

use crate::background::deliverer_done;
use crate::flush::{numbered_send, quiet_child, seed, summary, wait_bounded};
use crate::harness::{LEDGER, LEDGER_OLDER, MANIFEST, Sandbox, entries, finish_within, mkfifo};
use crate::server::{Reply, Server};
use crate::store::eventually;

/// The ledger's records, newest first, as `log --format json` gives them.
pub fn records(s: &Sandbox) -> Vec<Value> {
    let run = s.run(&["log", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every 2xx the servers answered is in the ledger with the exact body that arrived, and
/// the ledger holds nothing else.
pub fn ledger_matches(s: &Sandbox, servers: &[&Server]) {
    let mut got: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for server in servers {
        for r in server
            .requests()
            .iter()
            .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
        {
            let key = r.header("idempotency-key").unwrap().to_string();
            got.entry(key).or_default().push(r.body.clone());
        }
    }
    let recs = records(s);
    assert_eq!(recs.len(), got.values().map(Vec::len).sum::<usize>());
    for rec in &recs {
        let id = rec["event_id"].as_str().unwrap();
        let body = rec["body"].as_str().unwrap().as_bytes();
        assert!(
            got.get(id).is_some_and(|b| b.iter().any(|b| b == body)),
            "{id}: the ledger's body is not what arrived"
        );
    }
}

fn ledger_bytes(s: &Sandbox) -> Vec<u8> {
    [LEDGER, LEDGER_OLDER]
        .iter()
        .flat_map(|f| fs::read(s.outbox().join(f)).unwrap_or_default())
        .collect()
}

#[test]
fn send_the_deliverer_and_flush_record_what_the_receiver_got_byte_for_byte() {
    let ok = Server::start(vec![], Reply::Status(200));
    let later = Server::start(vec![Reply::Status(503)], Reply::Status(201));
    let token = "s3cret-ledger-t0ken-9f8e7d";
    let mut s = Sandbox::for_server(&ok);
    s.set("TELEMETRY_BEARER_TOKEN", token)
        .set("TELEMETRY_MAX_RETRIES", "1");
    s.write("manifest.json", MANIFEST);
    s.write(
        "event.json",
        "{\n  \"event_name\": \"ready.made\",\n  \"n\": 1.50\n}",
    );
    s.run(&["send", "manifest", "manifest.json"]).ok();
    s.run(&["send", "event", "event.json"]).ok();
    s.run(&["send", "event", "--name", "in.background", "--background"])
        .ok();
    assert!(eventually(Duration::from_secs(30), || ok.requests().len() == 3));
    deliverer_done(&s.outbox());
    // Kept by a send, delivered by a flush (the receiver answers 201 then).
    s.set("TELEMETRY_ENDPOINT", &later.url());
    s.run(&["send", "event", "--name", "by.flush"]).code_is(1);
    s.run(&["flush"]).ok();
    ledger_matches(&s, &[&ok, &later]);
    let recs = records(&s);
    let by: Vec<(&str, &str, u64)> = recs
        .iter()
        .map(|r| {
            (
                r["event_name"].as_str().unwrap(),
                r["by"].as_str().unwrap(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("by.flush", "flush", 201),
            ("in.background", "deliverer", 200),
            ("ready.made", "send", 200),
            ("apply.completed", "send", 200),
        ]
    );
    assert_eq!(recs[0]["attempt"], 2);
    assert_eq!(recs[0]["endpoint"], later.url());
    assert_eq!(recs[0]["protocol"], "pk3s");
    // `--show` prints the body that left, byte for byte (a ready-made one as written).
    let raw = ok.requests()[1].body.clone();
    let shown = s.run(&["log", "--show", recs[2]["event_id"].as_str().unwrap()]);
    assert_eq!(shown.ok().stdout.as_bytes(), &raw[..]);
    assert!(raw.starts_with(b"{\n  \"event_name\""));
    // The token went as a header; neither the ledger nor `log` holds it.
    assert_eq!(
        ok.requests()[0].header("authorization"),
        Some(&*format!("Bearer {token}"))
    );
    assert!(!String::from_utf8_lossy(&ledger_bytes(&s)).contains(token));
    assert!(!s.run(&["log", "--json"]).stdout.contains(token));
    // The text form: one line per payload, newest first.
    let text = s.run(&["log"]).ok().stdout.clone();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("TIME") && lines[0].contains("ENDPOINT"),
        "{text}"
    );
    assert!(
        lines[1].contains("201") && lines[1].contains("by.flush"),
        "{text}"
    );
    assert_eq!(lines.len(), 5);
    // status counts them and shows the last.
    let st: Value = serde_json::from_str(&s.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(st["ledger"]["recorded"], 4);
    assert_eq!(st["ledger"]["last"]["event_name"], "by.flush");
    assert_eq!(crate::harness::mode(&s.outbox().join(LEDGER)), 0o600);
}

#[test]
fn the_bounds_drop_the_oldest_records_first_by_count_and_by_size() {
    let ok = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&ok);
    s.set("TELEMETRY_LEDGER_MAX_ENTRIES", "10");
    for i in 0..23 {
        s.run(&[
            "send",
            "event",
            "--name",
            "a.b",
            "--field",
            &format!("n={i}"),
        ])
        .ok();
    }
    let recs = records(&s);
    assert!((5..=10).contains(&recs.len()), "{}", recs.len());
    let newest: Vec<String> = ok.requests()[23 - recs.len()..]
        .iter()
        .rev()
        .map(|r| r.header("idempotency-key").unwrap().to_string())
        .collect();
    let kept: Vec<&str> = recs
        .iter()
        .map(|r| r["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, newest, "the newest, newest first");
    // By size: 1 MiB, bodies of some 150 KB.
    // Numbers: the guard checks strings, and a long one costs it time.
    let pad: Vec<String> = (100_000..120_000).map(|n| n.to_string()).collect();
    let big = format!("{{\"event_name\":\"big.one\",\"pad\":[{}]}}", pad.join(","));
    s.write("big.json", &big);
    s.set("TELEMETRY_LEDGER_MAX_ENTRIES", "10000")
        .set("TELEMETRY_LEDGER_MAX_MB", "1");
    for _ in 0..12 {
        s.run(&["send", "event", "big.json"]).ok();
    }
    assert!(
        ledger_bytes(&s).len() <= 1 << 20,
        "{}",
        ledger_bytes(&s).len()
    );
    let recs = records(&s);
    assert!(recs.len() >= 3, "{}", recs.len());
    assert_eq!(recs[0]["body"].as_str().unwrap(), big);
    // A bound out of range warns and uses the default.
    s.set("TELEMETRY_LEDGER_MAX_ENTRIES", "1");
    s.run(&["log"])
        .ok()
        .stderr_has("TELEMETRY_LEDGER_MAX_ENTRIES=\"1\" is not a whole number between 2 and 1000000; using 10000");
}

#[test]
fn many_sends_and_flushes_at_once_lose_no_record_and_tear_none() {
    // Every third answer fails: sends keep some, flushes deliver them meanwhile.
    let script: Vec<Reply> = (0..300)
        .map(|i| Reply::Status(if i % 3 == 2 { 503 } else { 200 }))
        .collect();
    let server = Server::start(script, Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "2");
    seed(&s.outbox(), 150, Duration::from_secs(60));
    let mut children: Vec<Child> = (0..40).map(|i| numbered_send(&s, i, &[])).collect();
    children.extend((0..4).map(|_| quiet_child(&s, &["flush"])));
    children.extend((40..50).map(|i| numbered_send(&s, i, &["--background"])));
    for c in children {
        wait_bounded(c, Duration::from_secs(90));
    }
    deliverer_done(&s.outbox());
    for _ in 0..10 {
        if s.run(&["flush"]).code == 0 {
            break;
        }
    }
    assert!(entries(&s.outbox()).is_empty());
    ledger_matches(&s, &[&server]);
    assert_eq!(records(&s).len(), 200, "one record per payload");
}

#[test]
fn log_says_so_on_a_missing_outbox_and_names_the_damaged_part_of_a_ledger() {
    let ok = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&ok);
    for args in [&["log"][..], &["log", "--json"], &["log", "--since", "7d"]] {
        let run = s.run(args);
        run.ok().stderr_has("nothing has left from here");
        assert_eq!(run.stdout, "");
    }
    assert!(!s.outbox().exists(), "log writes nothing");
    s.run(&["send", "event", "--name", "one.a"]).ok();
    s.run(&["send", "event", "--name", "two.b"]).ok();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(s.outbox().join(LEDGER))
        .unwrap();
    f.write_all(b"garbage\n{\"event_id\":\"cut").unwrap();
    s.run(&["send", "event", "--name", "three.c"]).ok();
    let run = s.run(&["log"]);
    run.ok()
        .stderr_has(".pk3s-ledger: damaged, skipped: line 3 (not JSON")
        .stderr_has("line 4 (not JSON");
    let shown: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert_eq!(shown.len(), 3, "{}", run.stdout);
    assert!(shown[0].contains("three.c") && shown[2].contains("one.a"));
    // Narrowing.
    let json = |args: &[&str]| {
        let mut a = vec!["log", "--json"];
        a.extend_from_slice(args);
        s.run(&a).ok().stdout.lines().count()
    };
    assert_eq!(json(&["--limit", "2"]), 2);
    assert_eq!(json(&["--since", "1h"]), 3);
    assert_eq!(json(&["--since", "2000-01-01T00:00:00Z"]), 3);
    assert_eq!(json(&["--since", "2999-01-01T00:00:00Z"]), 0);
    // Usage errors: exit 2.
    for bad in [
        &["log", "--show", "no-such-id"][..],
        &["log", "--json", "--format", "text"],
        &["log", "--show", "x", "--limit", "1"],
        &["log", "--since", "yesterday"],
        &["log", "--limit", "0"],
    ] {
        s.run(bad).code_is(2);
    }
}

#[test]
fn a_symlink_or_fifo_as_the_ledger_is_not_followed_nor_waited_on() {
    let ok = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&ok);
    fs::create_dir_all(s.outbox()).unwrap();
    let target = s.write("elsewhere.txt", "not the ledger\n");
    std::os::unix::fs::symlink(&target, s.outbox().join(LEDGER)).unwrap();
    let run = s.run(&["send", "event", "--name", "a.b"]);
    run.ok().stderr_has("cannot record it");
    assert_eq!(fs::read_to_string(&target).unwrap(), "not the ledger\n");
    s.run(&["log"]).ok().stderr_has("a symlink, not followed");
    fs::remove_file(s.outbox().join(LEDGER)).unwrap();
    mkfifo(&s.outbox().join(LEDGER));
    let limit = Duration::from_secs(20);
    finish_within(s.command(&["send", "event", "--name", "a.b"]), None, limit).ok();
    for args in [&["log"][..], &["status"], &["flush"]] {
        let run = finish_within(s.command(args), None, limit);
        assert_eq!(run.code, 0, "{run:#?}");
    }
    finish_within(s.command(&["log"]), None, limit).stderr_has("a FIFO");
}

#[test]
fn a_payload_the_ledger_says_left_is_removed_not_sent_again() {
    let down = Server::start(vec![Reply::Status(503); 2], Reply::Status(200));
    let mut s = Sandbox::for_server(&down);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    s.run(&["send", "event", "--name", "c.d"]).code_is(1);
    // As if a flush had delivered the first and been killed before removing it: its
    // record is there (for this endpoint, spelled otherwise), the entry too.
    let kept = entries(&s.outbox());
    let first: Value = serde_json::from_slice(&fs::read(&kept[0]).unwrap()).unwrap();
    let id = first["event_id"].as_str().unwrap();
    let port = down.addr.port();
    let record = format!(
        "{{\"event_id\":\"{id}\",\"endpoint\":\"HTTP://127.0.0.1:{port}/telemetry/\",\"at\":\"2026-01-01T00:00:00.000Z\",\"by\":\"flush\",\"protocol\":\"pk3s\",\"event_name\":\"a.b\",\"attempt\":2,\"status\":200,\"bytes\":2,\"body\":\"{{}}\",\"n\":1}}\n"
    );
    fs::write(s.outbox().join(LEDGER), record).unwrap();
    let run = s.run(&["flush"]);
    run.ok();
    assert!(summary(&run).contains("delivered=1 ") && summary(&run).contains("already_left=1"));
    let sent: Vec<&str> = down
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap())
        .map(|k| if k == id { "first" } else { "other" })
        .collect::<Vec<_>>();
    assert_eq!(
        sent,
        ["first", "other", "other"],
        "the first only by its send"
    );
    assert!(entries(&s.outbox()).is_empty());
}
