//! The endpoint memory: one stall per endpoint, not one per send. A hanging or refusing
//! receiver costs the first send its bound; the sends after it keep their payload at once
//! (exit 1, no request), whatever layer, session or outbox they come from; a healthy
//! answer clears it; an explicit flush always tries, and delivers everything.
//! Each sandbox has its own HOME, so no test sees another's memory.

use std::fs;
use std::time::Duration;

use crate::background::deliverer_done;
use crate::flush::{keys, numbered_send, wait_bounded};
use crate::harness::{Run, Sandbox, entries, mkfifo, refused_port};
use crate::server::{Reply, Server};
use crate::store::eventually;

/// A bootstrap's seven sends, one after another.
fn seven_sends(s: &Sandbox) -> Vec<Run> {
    (0..7)
        .map(|i| {
            s.run(&[
                "send",
                "event",
                "--name",
                "core.step",
                "--field",
                &format!("n={i}"),
            ])
        })
        .collect()
}

fn memory_file(s: &Sandbox) -> std::path::PathBuf {
    s.path("home/.local/state/productive-k3s/endpoint-memory")
}

fn spared(run: &Run) -> bool {
    run.code == 1 && run.stderr.contains("did not answer a moment ago")
}

#[test]
fn a_hanging_endpoint_stalls_the_first_send_only_and_a_flush_delivers_all_seven() {
    // Two attempts hang (the first send's), then the receiver is back.
    let server = Server::start(vec![Reply::Hang, Reply::Hang], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "1")
        .set("TELEMETRY_MAX_RETRIES", "2");
    let runs = seven_sends(&s);
    assert_eq!(runs[0].code, 1, "{:#?}", runs[0]);
    runs[0].stderr_has("not delivered after 2 attempts (timed out");
    for r in &runs[1..] {
        assert!(spared(r), "{r:#?}");
        // Kept at once: no attempt, so not even one attempt's timeout.
        assert!(r.elapsed < Duration::from_secs(1), "{r:#?}");
    }
    assert_eq!(server.requests().len(), 2, "only the first send tried");
    let kept = entries(&s.outbox());
    assert_eq!(kept.len(), 7, "nothing lost");
    let spared_histories = kept
        .iter()
        .filter(|e| {
            let h = fs::read_to_string(e.with_extension("history")).unwrap();
            h.contains("\nspared=") && h.contains("attempts=0\n")
        })
        .count();
    assert_eq!(spared_histories, 6);
    let memory = fs::read_to_string(memory_file(&s)).unwrap();
    assert!(
        memory.contains(&format!("down url={} via=direct ", server.url())),
        "{memory}"
    );
    // status says so.
    let status = s.run(&["status"]);
    assert!(
        status.ok().stdout.contains("did not answer at"),
        "{status:#?}"
    );

    // An explicit flush always tries: all seven, in the order they were written.
    let flush = s.run(&["flush"]);
    assert_eq!(flush.code, 0, "{flush:#?}");
    let delivered: Vec<String> = server.requests()[2..]
        .iter()
        .map(|r| r.json()["command"]["n"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(delivered, ["0", "1", "2", "3", "4", "5", "6"]);
    assert!(entries(&s.outbox()).is_empty());
    // The healthy answers cleared the memory: the next send goes straight out.
    assert!(
        !fs::read_to_string(memory_file(&s))
            .unwrap()
            .contains("down ")
    );
    s.run(&["send", "event", "--name", "core.done"]).ok();
    assert_eq!(server.requests().len(), 10);
}

#[test]
fn a_refusing_endpoint_is_remembered_across_outboxes_and_sessions_of_one_user_only() {
    let port = refused_port();
    let url = format!("http://127.0.0.1:{port}/t");
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", &url)
        .set("TELEMETRY_MAX_RETRIES", "2");
    let first = s.run(&["send", "event", "--name", "a.b"]);
    first
        .code_is(1)
        .stderr_has("after 2 attempts (connection refused)");
    // Another layer, another session, another outbox: the same user's memory.
    let other = s.path("other-outbox").display().to_string();
    s.set("TELEMETRY_SESSION_ID", "another-session")
        .set("TELEMETRY_OUTBOX_DIR", &other);
    let second = s.run(&["send", "event", "--name", "a.b"]);
    assert!(spared(&second), "{second:#?}");
    second.stderr_has("connection refused");
    assert_eq!(entries(s.path("other-outbox").as_path()).len(), 1, "kept");
    // Another user (another HOME) has a memory of its own: it tries.
    let mut stranger = Sandbox::new();
    stranger
        .set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", &url)
        .set("TELEMETRY_MAX_RETRIES", "1");
    let theirs = stranger.run(&["send", "event", "--name", "a.b"]);
    theirs
        .code_is(1)
        .stderr_has("after 1 attempt (connection refused)");
    // XDG_STATE_HOME moves it.
    let state = s.path("xdg-state");
    s.set("XDG_STATE_HOME", &state.display().to_string());
    s.run(&["send", "event", "--name", "a.b"])
        .code_is(1)
        .stderr_has("after 2 attempts");
    assert!(state.join("productive-k3s/endpoint-memory").is_file());

    // The receiver comes up on that port: an explicit flush tries at once, delivers the
    // two entries of that outbox, and clears the memory; the next send goes straight out.
    s.unset("XDG_STATE_HOME");
    let server = Server::start_on(port, vec![], Reply::Status(200));
    s.run(&["flush"]).ok();
    assert_eq!(server.requests().len(), 2);
    let next = s.run(&["send", "event", "--name", "a.b"]);
    assert_eq!(next.code, 0, "{next:#?}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn sends_in_parallel_against_a_hanging_endpoint_lose_nothing() {
    let hang = Server::start(vec![], Reply::Hang);
    let mut s = Sandbox::for_server(&hang);
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "1")
        .set("TELEMETRY_MAX_RETRIES", "2");
    let sends: Vec<_> = (0..7).map(|i| numbered_send(&s, i, &[])).collect();
    for c in sends {
        assert_eq!(wait_bounded(c, Duration::from_secs(60)), 1);
    }
    assert_eq!(entries(&s.outbox()).len(), 7, "every payload kept");
    // Each paid at most its own bound, side by side; later ones are spared.
    assert!(hang.requests().len() <= 14, "{}", hang.requests().len());
    let after = s.run(&["send", "event", "--name", "a.b"]);
    assert!(spared(&after), "{after:#?}");
    let back = Server::start(vec![], Reply::Status(200));
    let flush = s.run(&["flush", "--reroute", &back.url()]);
    assert_eq!(flush.code, 0, "{flush:#?}");
    assert_eq!(back.requests().len(), 8, "all delivered");
}

#[test]
fn the_memory_is_keyed_by_endpoint_and_proxy() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1").set(
        "HTTP_PROXY",
        &format!("http://127.0.0.1:{}", refused_port()),
    );
    // Through a proxy that refuses: remembered for the endpoint through that proxy.
    s.run(&["send", "event", "--name", "a.b"])
        .code_is(1)
        .stderr_has("after 1 attempt");
    assert!(spared(&s.run(&["send", "event", "--name", "a.b"])));
    let memory = fs::read_to_string(memory_file(&s)).unwrap();
    assert!(memory.contains(" via=http://127.0.0.1:"), "{memory}");
    // Directly, the same endpoint is tried (and answers).
    s.unset("HTTP_PROXY");
    s.run(&["send", "event", "--name", "a.b"]).ok();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_background_send_hands_over_and_the_deliverer_probes_what_the_memory_holds() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    // The endpoint is remembered as down (written as a send that timed out would).
    let dir = s.path("home/.local/state/productive-k3s");
    fs::create_dir_all(&dir).unwrap();
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let up: f64 = fs::read_to_string("/proc/uptime")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    fs::write(
        dir.join("endpoint-memory"),
        format!(
            "down url={} via=direct boot={} up_ms={} at=2026-01-01T00:00:00.000Z why=timed out\n",
            server.url(),
            boot.trim(),
            (up * 1000.0) as u64
        ),
    )
    .unwrap();
    assert!(spared(&s.run(&["send", "event", "--name", "a.b"])));
    let run = s.run(&["send", "event", "--name", "a.b", "--background"]);
    assert_eq!(run.code, 0, "{run:#?}");
    // Nobody waits on the deliverer: it tries, delivers both, and clears the memory.
    assert!(eventually(Duration::from_secs(30), || keys(&server).len() == 2));
    deliverer_done(&s.outbox());
    assert!(entries(&s.outbox()).is_empty());
    assert!(
        !fs::read_to_string(memory_file(&s))
            .unwrap()
            .contains("down ")
    );
    s.run(&["send", "event", "--name", "a.b"]).ok();
}

#[test]
fn unusable_state_files_never_stall_a_send_a_flush_or_status() {
    let server = Server::start(vec![], Reply::Status(503));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    let state = s.path("home/.local/state/productive-k3s");
    fs::create_dir_all(&state).unwrap();
    fs::create_dir_all(s.outbox()).unwrap();
    for fifo in [
        state.join("endpoint-memory"),
        state.join("endpoint-memory.lock"),
        s.outbox().join(".pk3s-sequence"),
        s.outbox().join(".pk3s-drops"),
    ] {
        mkfifo(&fifo);
    }
    s.run(&["send", "event", "--name", "a.b"])
        .code_is(1)
        .stderr_has("after 1 attempt (HTTP 503)");
    s.set("TELEMETRY_OUTBOX_MAX_ENTRIES", "1");
    s.run(&["send", "event", "--name", "a.b"]).code_is(1);
    s.run(&["flush"]).code_is(1);
    s.run(&["status"]).ok();
    assert_eq!(entries(&s.outbox()).len(), 1);
}

#[test]
fn concurrent_writers_leave_a_whole_memory_with_every_endpoint() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_MAX_RETRIES", "1");
    // Twenty sends at once, each to an endpoint that refuses, each writing the memory.
    let urls: Vec<String> = (0..20)
        .map(|_| format!("http://127.0.0.1:{}/t", refused_port()))
        .collect();
    let sends: Vec<_> = urls
        .iter()
        .map(|u| {
            crate::flush::quiet_child(&s, &["send", "event", "--name", "a.b", "--endpoint", u])
        })
        .collect();
    for c in sends {
        assert_eq!(wait_bounded(c, Duration::from_secs(60)), 1);
    }
    let memory = fs::read_to_string(memory_file(&s)).unwrap();
    for u in &urls {
        assert!(memory.contains(&format!("down url={u} ")), "{u}: {memory}");
    }
    assert!(
        memory
            .lines()
            .skip(1)
            .all(|l| l.starts_with("down url=") && l.contains(" why=")),
        "{memory}"
    );
    // And each is spared now.
    for u in &urls[..3] {
        assert!(spared(&s.run(&[
            "send",
            "event",
            "--name",
            "a.b",
            "--endpoint",
            u
        ])));
    }
}
