//! `send --background`: returns once the payload is in the outbox; a detached deliverer
//! (at most one per outbox) delivers it and drains the rest.

use std::fs::{self, File, TryLockError};
use std::path::Path;
use std::time::Duration;

use crate::flush::{keys, numbered_send, seed, tally, wait_bounded};
use crate::harness::{BIN, Sandbox, entries, files_under, finish};
use crate::server::{Reply, Server};
use crate::store::eventually;

const LOCK: &str = ".pk3s-deliverer.lock";

/// Whether a deliverer holds the outbox's lock.
pub fn deliverer_running(outbox: &Path) -> bool {
    let Ok(f) = File::open(outbox.join(LOCK)) else {
        return false;
    };
    matches!(f.try_lock(), Err(TryLockError::WouldBlock))
}

/// Waits (bounded) for the deliverer to finish.
pub fn deliverer_done(outbox: &Path) {
    assert!(
        eventually(Duration::from_secs(30), || !deliverer_running(outbox)),
        "the deliverer still runs"
    );
}

#[test]
fn a_background_send_returns_at_once_and_the_deliverer_delivers() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let old = seed(&s.outbox(), 3, Duration::from_secs(60));
    let run = s.run(&["send", "event", "--name", "a.b", "--background"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stderr, "");
    assert!(eventually(Duration::from_secs(30), || server
        .requests()
        .len()
        == 4));
    deliverer_done(&s.outbox());
    // Its own payload first (with the send policy), then the older entries, oldest first.
    let k = keys(&server);
    assert_eq!(k[1..], old[..]);
    assert_eq!(server.requests()[0].json()["delivery_attempt"], 1);
    assert_eq!(server.requests()[0].json()["event_name"], "a.b");
    let left: Vec<_> = files_under(&s.outbox())
        .into_iter()
        .filter(|p| !p.ends_with(LOCK))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn against_a_hanging_endpoint_the_caller_and_its_pipe_are_not_kept_waiting() {
    let hang = Server::start(vec![], Reply::Hang);
    // A bootstrap piping through `tee`: the pipe ends when every writer has let go of it.
    // The flag and the variable, each with its own outbox, at the same time.
    let cases = [
        (
            "flag",
            format!("'{BIN}' send event --name a.b --background 2>&1 | cat"),
        ),
        (
            "env",
            format!("TELEMETRY_DELIVERY=background '{BIN}' send event --name a.b 2>&1 | cat"),
        ),
    ];
    let boxes: Vec<Sandbox> = cases
        .iter()
        .map(|_| {
            let mut s = Sandbox::for_server(&hang);
            s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "2")
                .set("TELEMETRY_MAX_RETRIES", "1");
            s
        })
        .collect();
    let runs: Vec<_> = std::thread::scope(|sc| {
        let handles: Vec<_> = cases
            .iter()
            .zip(&boxes)
            .map(|((_, line), s)| sc.spawn(move || finish(s.program("sh", &["-c", line]), None)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((how, _), run) in cases.iter().zip(&runs) {
        assert_eq!(run.code, 0, "{how}: {run:#?}");
        assert!(
            run.elapsed < Duration::from_secs(1),
            "{how}: the caller waited {:?} (an attempt takes 2 s)",
            run.elapsed
        );
    }
    // The deliverers outlive their parents: their requests arrive, then time out.
    assert!(
        eventually(Duration::from_secs(10), || hang.requests().len() == 2),
        "no requests"
    );
    for s in &boxes {
        deliverer_done(&s.outbox());
        let kept = entries(&s.outbox());
        assert_eq!(kept.len(), 1, "kept after the timeout");
        let h = fs::read_to_string(kept[0].with_extension("history")).unwrap();
        assert!(
            h.contains("state=kept\n") && h.contains("attempts=1\n"),
            "{h}"
        );
    }
}

#[test]
fn one_deliverer_per_outbox_at_a_time() {
    let server = Server::start(vec![], Reply::Slow(Duration::from_millis(150), 200));
    let s = Sandbox::for_server(&server);
    let sends: Vec<_> = (0..8)
        .map(|i| numbered_send(&s, i, &["--background"]))
        .collect();
    for c in sends {
        assert_eq!(wait_bounded(c, Duration::from_secs(30)), 0);
    }
    assert!(
        eventually(Duration::from_secs(30), || entries(&s.outbox()).is_empty()
            && !deliverer_running(&s.outbox())),
        "not all delivered: {:?}",
        entries(&s.outbox())
    );
    let t = tally(&server);
    assert_eq!(t.len(), 8, "0 lost");
    assert!(t.values().all(|&n| n == 1), "{t:?}");
    assert_eq!(server.max_in_flight(), 1, "never two requests at once");
}

#[test]
fn an_unknown_delivery_mode_warns_and_sends_in_the_foreground() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_DELIVERY", "Later");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    run.ok()
        .stderr_has("TELEMETRY_DELIVERY=\"Later\" is not background or foreground");
    assert_eq!(server.requests().len(), 1, "sent before it returned");
    assert!(!s.outbox().join(LOCK).exists(), "no deliverer");
}

#[test]
fn a_descriptor_the_caller_leaked_does_not_live_on_in_the_deliverer() {
    let hang = Server::start(vec![], Reply::Hang);
    let mut s = Sandbox::for_server(&hang);
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "20")
        .set("TELEMETRY_MAX_RETRIES", "1");
    // `3>&1` hands the send the pipe to `cat` as descriptor 3, without close-on-exec (as a
    // shell leaks one), and the send hands it on to the deliverer it starts.
    let line = format!("'{BIN}' send event --name a.b --background 3>&1 >/dev/null 2>&1");
    let run = finish(s.program("sh", &["-c", &format!("( {line} ) | cat")]), None);
    assert_eq!(run.code, 0, "{run:#?}");
    // The pipe ended while the deliverer still waits on the hanging endpoint: it let go.
    assert!(
        eventually(Duration::from_secs(10), || hang.requests().len() == 1),
        "the deliverer never tried"
    );
    assert!(
        deliverer_running(&s.outbox()),
        "the pipeline waited for the deliverer to end ({:?})",
        run.elapsed
    );
    drop(hang);
    deliverer_done(&s.outbox());
    assert_eq!(entries(&s.outbox()).len(), 1, "kept after the failure");
}
