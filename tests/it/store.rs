//! The outbox as a store: write-ahead under kills, concurrency, what it refuses to follow or
//! read, its time budget, credentials refused, rejected entries replayed, JSON output.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use crate::flush::{
    keys, numbered_send, quiet_child, random_below, seed, snapshot, stamp, summary, tally,
    wait_bounded,
};
use crate::harness::{BIN, Sandbox, entries, files_under, finish, mkfifo};
use crate::server::{Reply, Server};

/// Waits (bounded) until `check` holds; false if it never did.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    check()
}

fn history_of(entry: &Path) -> String {
    fs::read_to_string(entry.with_extension("history")).unwrap()
}

/// SIGKILLs `n` sends against a hanging endpoint once each has written its entry (half of
/// them once the request reached the receiver, all after a random pause), then flushes to a
/// receiver that answers. Returns (lost, delivered twice).
fn send_kill_loop(n: usize) -> (usize, usize) {
    let hang = Server::start(vec![], Reply::Hang);
    let mut s = Sandbox::for_server(&hang);
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "20");
    for i in 0..n {
        let before = hang.requests().len();
        let mut c = numbered_send(&s, i, &[]);
        let ob = s.outbox();
        // Written ahead: the entry is there while the attempt is still to come or under way.
        let written = eventually(Duration::from_secs(20), || entries(&ob).len() == i + 1);
        if i % 2 == 0 {
            eventually(Duration::from_secs(20), || hang.requests().len() > before);
        }
        std::thread::sleep(Duration::from_millis(random_below(20)));
        let _ = c.kill();
        let _ = c.wait();
        assert!(written, "send {i}: no entry while it was attempting");
    }
    let kept = entries(&s.outbox());
    for e in &kept {
        let body: Value = serde_json::from_slice(&fs::read(e).unwrap()).unwrap();
        assert!(body["event_id"].is_string());
        assert!(history_of(e).contains("state=sending\n"));
    }
    // Replayed once each, under the keys they were written with.
    let ok = Server::start(vec![], Reply::Status(200));
    s.run(&["flush", "--reroute", &ok.url()]).ok();
    let t = tally(&ok);
    assert!(files_under(&s.outbox()).is_empty());
    (n - t.len(), t.values().map(|&c| c - 1).sum())
}

#[test]
fn a_send_killed_during_its_attempt_leaves_its_payload_in_the_outbox() {
    assert_eq!(send_kill_loop(10), (0, 0), "(lost, duplicated)");
}

#[test]
#[ignore = "slow: run by make stress"]
fn stress_send_kill_loop() {
    let n = crate::flush::env_usize("PK3S_STRESS_SEND_KILLS", 100);
    let (lost, twice) = send_kill_loop(n);
    println!(
        "stress: send kill loop: {n} sends SIGKILLed during their attempt: {lost} lost, {twice} delivered twice"
    );
    assert_eq!((lost, twice), (0, 0));
}

#[test]
fn fifty_sends_and_three_flushes_at_once_lose_nothing_and_deliver_nothing_twice() {
    // Every third answer fails, so that sends retry and keep, and flushes find work.
    let script: Vec<Reply> = (0..400)
        .map(|i| Reply::Status(if i % 3 == 2 { 503 } else { 200 }))
        .collect();
    let server = Server::start(script, Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "2");
    let mut children: Vec<Child> = (0..50).map(|i| numbered_send(&s, i, &[])).collect();
    children.extend((0..3).map(|_| quiet_child(&s, &["flush"])));
    for c in children {
        wait_bounded(c, Duration::from_secs(60));
    }
    for _ in 0..10 {
        if s.run(&["flush"]).code == 0 {
            break;
        }
    }
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for r in server.requests().iter().filter(|r| r.status == Some(200)) {
        *delivered
            .entry(r.header("idempotency-key").unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(delivered.len(), 50, "0 lost");
    assert!(
        delivered.values().all(|&c| c == 1),
        "duplicated: {:?}",
        delivered.iter().filter(|e| *e.1 > 1).collect::<Vec<_>>()
    );
    assert!(files_under(&s.outbox()).is_empty());
}

/// Every request arrived once, over at most four connections, each sending oldest first.
pub fn oldest_first_per_connection(server: &Server, ids: &[String]) {
    let index: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut last: BTreeMap<usize, usize> = BTreeMap::new();
    for r in server.requests() {
        let i = index[r.header("idempotency-key").unwrap()];
        if let Some(prev) = last.insert(r.connection, i) {
            assert!(
                prev < i,
                "connection {}: entry {i} after {prev}",
                r.connection
            );
        }
    }
    assert!((1..=4).contains(&last.len()), "{} connections", last.len());
    assert_eq!(tally(server).len(), ids.len());
    assert_eq!(server.requests().len(), ids.len());
}

#[test]
fn a_long_flush_uses_a_few_connections_each_oldest_first() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ids = seed(&s.outbox(), 300, Duration::from_secs(60));
    s.run(&["flush"]).ok();
    oldest_first_per_connection(&server, &ids);
    assert!(server.connections() > 1, "parallel connections");
    assert!(files_under(&s.outbox()).is_empty());
}

#[test]
fn planted_symlinks_are_not_followed_and_fifos_do_not_hang() {
    let server = Server::start(vec![Reply::Status(422)], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ob = s.outbox();
    let ids = seed(&ob, 2, Duration::from_secs(120));
    let elsewhere = s.path("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("precious"), "mine").unwrap();
    // rejected/ and corrupt/ lead elsewhere; a temp file and a history are symlinks too.
    symlink(&elsewhere, ob.join("rejected")).unwrap();
    symlink(&elsewhere, ob.join("corrupt")).unwrap();
    symlink(
        elsewhere.join("precious"),
        ob.join(".tmp-999999999-x-y.json"),
    )
    .unwrap();
    let recent = stamp(OffsetDateTime::now_utc() - Duration::from_secs(60));
    fs::write(ob.join(format!("{recent}-broken.json")), "[").unwrap();
    let planted = s.write("planted.history", "event_id=planted-key\nkind=raw\n");
    let raw = format!("{recent}-0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11");
    fs::write(ob.join(format!("{raw}.json")), "{\"n\":1}").unwrap();
    symlink(&planted, ob.join(format!("{raw}.history"))).unwrap();
    // FIFOs under our names: an entry, a history, an old script's files.
    let fifos = [
        format!("{recent}-fifo.json"),
        format!("{}.history", ids[1]),
        "event-r-attempt-1.json".to_string(),
        "bootstrap-r-attempt-1.status".to_string(),
    ];
    for f in &fifos {
        mkfifo(&ob.join(f));
    }
    let before = snapshot(&elsewhere);

    let dry = s.run(&["flush", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:#?}");
    let run = s.run(&["flush"]);
    assert_eq!(
        run.code, 1,
        "the 422 is kept, not moved elsewhere: {run:#?}"
    );
    assert_eq!(
        snapshot(&elsewhere),
        before,
        "nothing written or removed there"
    );
    run.stderr_has("cannot move it to rejected/");
    run.stderr_has("cannot set it aside");
    let sent = keys(&server);
    assert_eq!(sent.len(), 3, "{sent:?}");
    // The history behind the symlink was not read: the key is the one in the name.
    assert!(sent.contains(&"0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11".to_string()));
    assert!(!sent.contains(&"planted-key".to_string()));
    for f in &fifos[..1] {
        assert!(fs::symlink_metadata(ob.join(f)).is_ok(), "{f} left alone");
    }
    assert!(ob.join(".tmp-999999999-x-y.json").is_symlink());
    assert!(ob.join("rejected").is_symlink() && ob.join("corrupt").is_symlink());
}

#[test]
fn a_huge_history_is_read_with_a_bound() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ids = seed(&s.outbox(), 1, Duration::from_secs(60));
    let history = entries(&s.outbox())[0].with_extension("history");
    // 1 GiB, sparse: reading it whole would take a gigabyte of memory.
    let f = fs::OpenOptions::new().append(true).open(&history).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    let timer = Path::new("/usr/bin/time");
    let run = if timer.exists() {
        let mut c = s.program(timer.to_str().unwrap(), &["-f", "maxrss=%M", BIN, "flush"]);
        c.stdin(Stdio::null());
        finish(c, None)
    } else {
        s.run(&["flush"])
    };
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(keys(&server), ids, "sent under the key in its body");
    if let Some(kib) = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss="))
        .and_then(|k| k.trim().parse::<u64>().ok())
    {
        assert!(kib < 100 * 1024, "peak RSS {kib} KiB");
    }
}

#[test]
fn an_outbox_others_can_write_is_reported() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    seed(&s.outbox(), 1, Duration::from_secs(60));
    fs::set_permissions(s.outbox(), fs::Permissions::from_mode(0o777)).unwrap();
    let run = s.run(&["flush"]);
    assert_eq!(run.code, 0, "{run:#?}");
    run.stderr_has(format!(
        "the outbox {} is writable by everyone",
        s.outbox().display()
    ));
    let sent = s.run(&["send", "event", "--name", "a.b"]);
    sent.ok().stderr_has("writable by everyone");
}

/// Makes `dir` read-only for this process: chmod for a user, the immutable attribute for
/// root (whom modes do not stop). Undone when dropped. `None` when neither is possible here.
struct ReadOnly(PathBuf, bool);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o500)).unwrap();
        let probe = dir.join("probe");
        if fs::write(&probe, "").is_err() {
            return Some(ReadOnly(dir.to_path_buf(), false));
        }
        fs::remove_file(&probe).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
        let ok = Command::new("chattr").arg("+i").arg(dir).status();
        if !ok.is_ok_and(|s| s.success()) {
            return None;
        }
        Some(ReadOnly(dir.to_path_buf(), true))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o700));
    }
}

#[test]
fn a_delivered_entry_that_cannot_be_removed_stops_the_flush_at_once() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    seed(&s.outbox(), 5, Duration::from_secs(60));
    let Some(_ro) = ReadOnly::new(&s.outbox()) else {
        eprintln!("skipped: cannot make a directory read-only here");
        return;
    };
    let run = s.run(&["flush"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(server.requests().len(), 1, "stopped after the first");
    // The ledger beside it cannot record the delivery either: said once, then the stop.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].contains("the ledger") && lines[0].contains("cannot record it"));
    run.stderr_has(s.outbox().display().to_string());
    assert!(lines[1].contains("cannot remove it"), "{}", run.stderr);
    assert_eq!(entries(&s.outbox()).len(), 5);
}

#[test]
fn max_time_bounds_the_whole_flush() {
    let server = Server::start(vec![], Reply::Slow(Duration::from_millis(600), 200));
    let s = Sandbox::for_server(&server);
    seed(&s.outbox(), 10, Duration::from_secs(60));
    let run = s.run(&["flush", "--max-time", "1"]);
    assert_eq!(run.code, 1, "{run:#?}");
    let sent = server.requests().len();
    // Requests start at 0 s and 0.6 s (later on a loaded machine); none at 1.2 s.
    assert!((1..=2).contains(&sent), "{sent}: {run:#?}");
    let line = summary(&run);
    assert!(
        line.contains(&format!("delivered={sent}"))
            && line.contains(&format!(
                "stopped early, --max-time 1s spent: {} not tried",
                10 - sent
            )),
        "{line}"
    );
    assert_eq!(entries(&s.outbox()).len(), 10 - sent);
    assert_eq!(s.run(&["flush", "--max-time", "0"]).code, 2);
}

#[test]
fn refused_credentials_keep_the_payload_for_a_later_flush() {
    let server = Server::start(vec![Reply::Status(401)], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_BEARER_TOKEN", "wrong");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has("the receiver refused the credentials (HTTP 401)");
    assert_eq!(server.requests().len(), 1, "no retry");
    let kept = entries(&s.outbox());
    assert_eq!(kept.len(), 1, "kept in the outbox, not rejected/");
    assert!(history_of(&kept[0]).contains("last_status=401\n"));
    assert!(!s.outbox().join("rejected").exists());
    s.set("TELEMETRY_BEARER_TOKEN", "right");
    s.run(&["flush"]).ok();
    let k = keys(&server);
    assert_eq!(k.len(), 2);
    assert_eq!(k[0], k[1], "the same payload, delivered");
    assert!(files_under(&s.outbox()).is_empty());

    // A flush stops at the first refusal, keeping everything.
    let proxy = Server::start(vec![], Reply::Status(407));
    let mut s = Sandbox::for_server(&proxy);
    seed(&s.outbox(), 5, Duration::from_secs(60));
    s.set("TELEMETRY_MAX_RETRIES", "3");
    let run = s.run(&["flush"]);
    assert_eq!(run.code, 1);
    assert_eq!(proxy.requests().len(), 1);
    assert!(
        summary(&run).contains("stopped early, the proxy refused the credentials (HTTP 407)")
            && summary(&run).contains("4 not tried"),
        "{}",
        run.stderr
    );
    assert_eq!(entries(&s.outbox()).len(), 5);
}

#[test]
fn rejected_entries_are_replayed_on_demand_under_the_same_key() {
    let server = Server::start(vec![Reply::Status(422)], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ids = seed(&s.outbox(), 2, Duration::from_secs(60));
    assert_eq!(s.run(&["flush"]).code, 1);
    assert_eq!(entries(&s.outbox().join("rejected")).len(), 1);
    s.run(&["flush"]).ok();
    assert_eq!(server.requests().len(), 2, "not replayed by default");
    let run = s.run(&["flush", "--rejected"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        keys(&server),
        [ids[0].clone(), ids[1].clone(), ids[0].clone()]
    );
    let last = server.requests()[2].json();
    assert_eq!(last["delivery_attempt"], 3, "the count goes on");
    assert!(files_under(&s.outbox()).is_empty());
}

#[test]
fn flush_speaks_json_when_asked() {
    let server = Server::start(vec![Reply::Status(503)], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ids = seed(&s.outbox(), 3, Duration::from_secs(60));
    fs::write(s.outbox().join("notes.txt"), "x").unwrap();
    let dry = s.run(&["flush", "--dry-run", "--format", "json"]);
    assert_eq!(dry.code, 0, "{dry:#?}");
    let lines: Vec<Value> = dry
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{}", dry.stdout);
    assert_eq!(lines[0]["action"], "leave");
    for (l, id) in lines[1..4].iter().zip(&ids) {
        assert_eq!(l["type"], "entry");
        assert_eq!(l["action"], "send");
        assert_eq!(l["key"], id.as_str());
        assert_eq!(l["attempt"], 2);
    }
    assert_eq!(lines[4]["type"], "summary");
    assert_eq!(lines[4]["send"], 3);

    let run = s.run(&["flush", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["type"], "summary");
    assert_eq!(
        (v["delivered"].as_u64(), v["kept"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["foreign"], 1);
    assert_eq!(v["stopped"], Value::Null);
    assert!(!run.stderr.contains("flush: delivered="), "{}", run.stderr);
}

/// `make stress`: a failed send's cost with 10,000 entries waiting against an empty outbox.
#[test]
#[ignore = "slow: run by make stress"]
fn stress_failed_send_cost_does_not_grow_with_the_outbox() {
    let dead = format!("http://127.0.0.1:{}/t", crate::harness::refused_port());
    let time_sends = |s: &Sandbox| {
        let mut v: Vec<Duration> = (0..40)
            .map(|_| s.run(&["-q", "send", "event", "--name", "a.b"]).elapsed)
            .collect();
        v.sort();
        v[v.len() / 2]
    };
    let mut empty = Sandbox::new();
    empty
        .set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", &dead)
        .set("TELEMETRY_MAX_RETRIES", "1");
    let mut full = Sandbox::new();
    full.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", &dead)
        .set("TELEMETRY_MAX_RETRIES", "1");
    seed(&full.outbox(), 10_000, Duration::from_secs(60));
    // The seeding's writeback would land in the first sends' fsyncs.
    let _ = Command::new("sync").status();
    let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
    // Alternated, so that any drift of the machine falls on both.
    for _ in 0..3 {
        a += time_sends(&empty);
        b += time_sends(&full);
    }
    let ratio = b.as_secs_f64() / a.as_secs_f64();
    println!(
        "stress: failed send, median: {:.2} ms with 10,000 entries waiting, {:.2} ms with an empty outbox: {ratio:.2}x",
        b.as_secs_f64() * 1000.0 / 3.0,
        a.as_secs_f64() * 1000.0 / 3.0
    );
    assert!(ratio <= 1.2, "{ratio:.2}x");
}
