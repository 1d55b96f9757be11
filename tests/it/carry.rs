//! Payloads carried by hand: `flush --to FILE` on a host that cannot reach its receivers,
//! `flush --from FILE` on one that can. Two outboxes, two receivers: each payload goes to
//! the endpoint it was written for, under its key, its attempt count going on; what
//! cannot be delivered stays in the second outbox; a second run sends nothing twice; a
//! kill never loses a payload; damaged lines are named and never sent.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::flush::{keys, quiet_child, random_below, seed, snapshot, summary};
use crate::harness::{MANIFEST, Sandbox, entries, finish_within, mkfifo, mode};
use crate::ledger::{ledger_matches, records};
use crate::server::{Reply, Server};
use crate::store::eventually;

/// The bundle's lines as JSON (its first, its entries, its last).
fn lines(bundle: &Path) -> Vec<Value> {
    fs::read_to_string(bundle)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The event ids of the entries in a bundle (none when it does not exist).
fn bundle_ids(bundle: &Path) -> Vec<String> {
    if !bundle.exists() {
        return Vec::new();
    }
    lines(bundle)
        .iter()
        .filter(|l| l["type"] == "entry")
        .map(|l| l["event_id"].as_str().unwrap().to_string())
        .collect()
}

/// The keys of the entries in an outbox, by their histories (raw ones keep theirs there).
fn outbox_ids(s: &Sandbox) -> Vec<String> {
    entries(&s.outbox())
        .iter()
        .map(|e| {
            let h = fs::read_to_string(e.with_extension("history")).unwrap();
            h.lines()
                .find_map(|l| l.strip_prefix("event_id="))
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A sandbox with telemetry on and no endpoint of its own: entries go where they were
/// written for.
fn host() -> Sandbox {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_MAX_RETRIES", "1");
    s
}

#[test]
fn a_bundle_carries_payloads_across_two_outboxes_to_their_own_receivers() {
    let r1 = Server::start(vec![Reply::Status(503); 2], Reply::Status(200));
    let r2 = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let token = "carry-t0ken-5e6f7a8b";
    let mut a = host();
    a.set("TELEMETRY_BEARER_TOKEN", token);
    a.write("manifest.json", MANIFEST);
    a.write(
        "event.json",
        "{\"event_name\": \"ready.made\", \"n\": 1.50}",
    );
    a.run(&["send", "event", "--name", "one.a", "--endpoint", &r1.url()])
        .code_is(1);
    a.run(&["send", "event", "event.json", "--endpoint", &r1.url()])
        .code_is(1);
    a.run(&["send", "manifest", "manifest.json", "--endpoint", &r2.url()])
        .code_is(1);
    let kept: BTreeMap<String, Vec<u8>> = entries(&a.outbox())
        .iter()
        .zip(outbox_ids(&a))
        .map(|(e, id)| (id, fs::read(e).unwrap()))
        .collect();
    fs::create_dir_all(a.path("usb")).unwrap();
    let bundle = a.path("usb/outbox.jsonl");
    let run = a.run(&["flush", "--to", bundle.to_str().unwrap()]);
    run.ok().stderr_has("moved 3 entries into");
    assert!(entries(&a.outbox()).is_empty(), "moved out");
    assert_eq!(mode(&bundle), 0o600);
    let text = fs::read_to_string(&bundle).unwrap();
    assert!(!text.contains(token), "never the token");
    let l = lines(&bundle);
    assert_eq!(
        (l[0]["type"].as_str(), l[0]["version"].as_u64()),
        (Some("pk3s-telemetry-bundle"), Some(1))
    );
    assert_eq!(l[4], json!({"type": "end", "entries": 3}));
    for e in &l[1..4] {
        let id = e["event_id"].as_str().unwrap();
        assert_eq!(
            e["body"].as_str().unwrap().as_bytes(),
            &kept[id][..],
            "exact bytes"
        );
        assert_eq!(
            (e["token"].as_bool(), e["protocol"].as_str()),
            (Some(true), Some("pk3s"))
        );
        assert_eq!(e["attempts"], 1);
        assert_eq!(e["history"].as_array().unwrap().len(), 1);
    }
    // What was carried out is in the ledger here.
    let carried = records(&a);
    assert_eq!(carried.len(), 3);
    assert!(
        carried
            .iter()
            .all(|r| r["status"].is_null() && r["carried_to"] == bundle.display().to_string())
    );

    // Another host, another outbox; the bundle carried there.
    let mut b = host();
    b.set("TELEMETRY_BEARER_TOKEN", token);
    let there = b.path("outbox.jsonl");
    fs::copy(&bundle, &there).unwrap();
    let run = b.run(&["flush", "--from", there.to_str().unwrap()]);
    run.ok();
    assert!(
        summary(&run).starts_with("pk3s-telemetry: flush: delivered=3 kept=0"),
        "{}",
        run.stderr
    );
    assert!(entries(&b.outbox()).is_empty());
    let r1_keys = keys(&r1)[2..].to_vec();
    assert_eq!(
        r1_keys,
        keys(&r1)[..2],
        "same keys, same order, its own receiver"
    );
    assert_eq!(keys(&r2)[1..], keys(&r2)[..1]);
    let built = r1.requests()[2].json();
    assert_eq!(
        (
            built["delivery_attempt"].as_u64(),
            built["is_retry"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(
        r1.requests()[3].body,
        r1.requests()[1].body,
        "ready-made: byte for byte"
    );
    assert_eq!(
        r2.requests()[1].header("authorization"),
        Some(&*format!("Bearer {token}"))
    );
    ledger_matches(&b, &[&r1, &r2]);
    assert!(records(&b).iter().all(|r| r["by"] == "from"));
    // Twice: nothing goes twice.
    let again = b.run(&["flush", "--from", there.to_str().unwrap()]);
    again.ok();
    assert!(
        summary(&again).contains("already_left=3"),
        "{}",
        again.stderr
    );
    assert_eq!((r1.requests().len(), r2.requests().len()), (4, 2));
    assert_eq!(
        fs::read(&there).unwrap(),
        text.as_bytes(),
        "the file is never changed"
    );
}

#[test]
fn what_a_bundle_cannot_deliver_stays_in_the_outbox_and_goes_as_a_flush_would() {
    let r1 = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let r2 = Server::start(vec![Reply::Status(503); 2], Reply::Status(200));
    let a = host();
    a.run(&["send", "event", "--name", "one.a", "--endpoint", &r1.url()])
        .code_is(1);
    a.run(&["send", "event", "--name", "two.b", "--endpoint", &r2.url()])
        .code_is(1);
    let bundle = a.path("b.jsonl");
    a.run(&["flush", "--to", bundle.to_str().unwrap()]).ok();
    let file = bundle.to_str().unwrap();

    // The settings name another endpoint: kept here, pinned, unless re-routed.
    let r3 = Server::start(vec![], Reply::Status(200));
    let mut c = host();
    c.set("TELEMETRY_ENDPOINT", &r3.url());
    let run = c.run(&["flush", "--from", file]);
    run.code_is(1);
    assert!(summary(&run).contains("elsewhere=2"), "{}", run.stderr);
    assert_eq!(entries(&c.outbox()).len(), 2);
    assert!(r3.requests().is_empty());
    let rerouted = host();
    rerouted
        .run(&["flush", "--from", file, "--reroute", &r3.url()])
        .ok();
    assert_eq!(r3.requests().len(), 2);

    // R2 still fails: its payload is kept in this outbox with its history.
    let b = host();
    let run = b.run(&["flush", "--from", file]);
    run.code_is(1);
    assert!(
        summary(&run).contains("delivered=1 kept=1"),
        "{}",
        run.stderr
    );
    let kept = entries(&b.outbox());
    assert_eq!(kept.len(), 1);
    let h = fs::read_to_string(kept[0].with_extension("history")).unwrap();
    assert!(h.contains(&format!("\nendpoint={}\n", r2.url())), "{h}");
    assert!(
        h.contains("\nattempts=2\n") && h.contains("source=bundle line 3"),
        "{h}"
    );
    // Run again: the delivered one is skipped, the kept one tried where it waits.
    let run = b.run(&["flush", "--from", file]);
    run.ok();
    assert!(summary(&run).contains("delivered=1 ") && summary(&run).contains("already_left=1"));
    assert!(entries(&b.outbox()).is_empty());
    assert_eq!((r1.requests().len(), r2.requests().len()), (2, 3));
    assert_eq!(r2.requests()[2].json()["delivery_attempt"], 3);
}

#[test]
fn to_never_overwrites_and_leaves_what_another_process_holds() {
    let hang = Server::start(vec![], Reply::Hang);
    let mut s = host();
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "60");
    let ids = seed(&s.outbox(), 3, Duration::from_secs(60));
    let before = snapshot(&s.outbox());
    let taken = s.write("taken.jsonl", "mine\n");
    s.run(&["flush", "--to", "taken.jsonl"])
        .code_is(2)
        .stderr_has("taken.jsonl: exists");
    assert_eq!(fs::read_to_string(&taken).unwrap(), "mine\n");
    s.run(&["flush", "--to", "no/such/dir.jsonl"])
        .code_is(2)
        .stderr_has("cannot write it");
    s.run(&["flush", "--to", "x.jsonl", "--dry-run"]).code_is(2);
    s.run(&["flush", "--to", "x.jsonl", "--from", "y.jsonl"])
        .code_is(2);
    assert_eq!(snapshot(&s.outbox()), before, "nothing moved");
    // An explicit "no": nothing moved, no file.
    s.set("TELEMETRY_ENABLED", "0");
    s.run(&["flush", "--to", "off.jsonl"]).ok();
    assert!(!s.path("off.jsonl").exists());
    s.set("TELEMETRY_ENABLED", "1");
    // A send under way holds its entry: named and left.
    let mut send = quiet_child(
        &s,
        &["send", "event", "--name", "a.b", "--endpoint", &hang.url()],
    );
    assert!(eventually(Duration::from_secs(20), || hang
        .requests()
        .len()
        == 1));
    let run = s.run(&["flush", "--to", "b.jsonl"]);
    run.code_is(1).stderr_has("held by another process");
    let held = entries(&s.outbox());
    assert_eq!(held.len(), 1);
    run.stderr_has(held[0].file_name().unwrap().to_string_lossy());
    assert_eq!(bundle_ids(&s.path("b.jsonl")), ids);
    let _ = send.kill();
    let _ = send.wait();
}

#[test]
fn a_kill_during_flush_to_loses_nothing_and_repeats_a_payload_at_most_once() {
    let mut s = host();
    s.set("TELEMETRY_OUTBOX_MAX_ENTRIES", "100000");
    let all: BTreeSet<String> = seed(&s.outbox(), 600, Duration::from_secs(60))
        .into_iter()
        .collect();
    // Checked by the guard when kept, as a send's entries are: the read is quick, so
    // more kills land in the removal.
    for e in entries(&s.outbox()) {
        let h = e.with_extension("history");
        let text = fs::read_to_string(&h).unwrap();
        fs::write(&h, format!("{text}checked=1\n")).unwrap();
    }
    fs::create_dir_all(s.path("usb")).unwrap();
    let mut bundles = Vec::new();
    let (mut kills, mut between) = (0, 0);
    for i in 0..40 {
        if entries(&s.outbox()).is_empty() {
            break;
        }
        let bundle = s.path(&format!("usb/b{i}.jsonl"));
        let mut c = quiet_child(&s, &["flush", "--to", bundle.to_str().unwrap()]);
        std::thread::sleep(Duration::from_millis(random_below(300)));
        if c.try_wait().unwrap().is_none() {
            kills += 1;
        }
        let _ = c.kill();
        let _ = c.wait();
        let inside: BTreeSet<String> = outbox_ids(&s).into_iter().collect();
        let carried: BTreeSet<String> = bundles
            .iter()
            .chain([&bundle])
            .flat_map(|b: &std::path::PathBuf| bundle_ids(b))
            .collect();
        let missing: Vec<_> = all
            .difference(&inside)
            .filter(|id| !carried.contains(*id))
            .collect();
        assert!(missing.is_empty(), "lost after kill {i}: {missing:?}");
        between += usize::from(bundle_ids(&bundle).iter().any(|id| inside.contains(id)));
        bundles.push(bundle);
    }
    eprintln!("{kills} kills, {between} between the file and the removal");
    // Deliver it all: each bundle from another host, then what is left here.
    let r = Server::start(vec![], Reply::Status(200));
    let other = host();
    for b in bundles.iter().filter(|b| b.exists()) {
        let run = other.run(&[
            "flush",
            "--from",
            b.to_str().unwrap(),
            "--reroute",
            &r.url(),
        ]);
        assert_eq!(run.code, 0, "{run:#?}");
    }
    s.run(&["flush", "--reroute", &r.url()]).ok();
    let mut arrived: BTreeMap<String, usize> = BTreeMap::new();
    for k in keys(&r) {
        *arrived.entry(k).or_insert(0) += 1;
    }
    assert_eq!(
        arrived.keys().cloned().collect::<BTreeSet<_>>(),
        all,
        "nothing lost"
    );
    assert!(arrived.values().all(|&n| n <= 2), "at most one repeat");
}

#[test]
fn from_names_damaged_lines_skips_them_and_guards_every_body_again() {
    let r = Server::start(vec![], Reply::Status(200));
    let b = host();
    let entry = |id: &str, body: &str, endpoint: &str| {
        json!({"type": "entry", "event_id": id, "endpoint": endpoint, "protocol": "pk3s",
               "token": false, "kind": "raw", "created_at": "2026-01-01T00:00:00.000Z",
               "attempts": 1, "history": ["attempt=1 at=2026-01-01T00:00:00.000Z status=503"],
               "body": body})
        .to_string()
    };
    let (id1, id2) = (
        "3f1c0e9a-0b6c-4c3e-9d55-2f1b1c7c0e11",
        "7a2d1f0b-1c7d-4d4f-8e66-3a2c2d8d1f22",
    );
    let text = [
        "{\"type\":\"pk3s-telemetry-bundle\",\"version\":1}".to_string(),
        entry(
            id1,
            &format!(
                "{{\"event_id\":\"{id1}\",\"event_name\":\"good.one\",\"hostname\":\"build-07\"}}"
            ),
            &r.url(),
        ),
        "not json at all".into(),
        entry("5b5b5b5b-0000-4000-8000-000000000001", "{}", "ftp://x/"),
        entry("5b5b5b5b-0000-4000-8000-000000000002", "[1, 2]", &r.url()),
        entry(
            id2,
            &format!("{{\"event_id\":\"{id2}\",\"event_name\":\"good.two\"}}"),
            &r.url(),
        ),
    ]
    .join("\n");
    let file = b.write("cut.jsonl", &text);
    let run = b.run(&["flush", "--from", file.to_str().unwrap()]);
    run.code_is(1)
        .stderr_has("cut.jsonl: line 3: not JSON")
        .stderr_has("line 4: its endpoint")
        .stderr_has("line 5: its body is not a payload")
        .stderr_has("no closing line after line 6");
    assert!(summary(&run).contains("delivered=2") && summary(&run).contains("damaged=4"));
    assert_eq!(keys(&r), [id1, id2]);
    let first = r.requests()[0].json();
    assert_eq!(first["hostname"], "[redacted]", "the guard ran again");
    assert!(entries(&b.outbox()).is_empty());

    // Files that are not bundles: one clear line, exit 2, promptly.
    let limit = Duration::from_secs(20);
    let fifo = b.path("fifo.jsonl");
    mkfifo(&fifo);
    fs::create_dir_all(b.path("dir.jsonl")).unwrap();
    let big = fs::File::create(b.path("big.jsonl")).unwrap();
    big.set_len((1 << 30) + 1).unwrap();
    b.write("plain.jsonl", "{\"a\":1}\n");
    b.write(
        "later.jsonl",
        "{\"type\":\"pk3s-telemetry-bundle\",\"version\":2}\n",
    );
    for (name, why) in [
        ("fifo.jsonl", "a FIFO, not a regular file"),
        ("dir.jsonl", "a directory, not a regular file"),
        ("missing.jsonl", "No such file or directory"),
        ("big.jsonl", "larger than 1024 MiB"),
        ("plain.jsonl", "not a pk3s-telemetry bundle"),
        ("later.jsonl", "a bundle of format 2"),
    ] {
        let run = finish_within(b.command(&["flush", "--from", name]), None, limit);
        run.code_is(2).stderr_has(why);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}
