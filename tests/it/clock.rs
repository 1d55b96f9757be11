//! No clock can cost a payload: entries written under a clock set far back or far ahead
//! (`faketime`, Debian's package; CI installs it) are not dropped for age, replay goes in
//! the order they were written, the count cap drops the first written, and every drop is
//! recorded where `status` shows it. Genuinely old entries still go, by the outbox's own
//! clock.

use std::fs;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::background::deliverer_done;
use crate::flush::summary;
use crate::harness::{BIN, Run, Sandbox, entries, finish};
use crate::server::{Reply, Server};
use crate::store::eventually;

/// Whether `faketime` can be used here; says so when it cannot (CI installs it).
fn have_faketime() -> bool {
    let ok = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "skipped: faketime is not installed (Debian package faketime; .ci/run installs it)"
        );
    }
    ok
}

/// The binary under a faked wall clock (`faketime -f SPEC`); the monotonic clocks stay
/// real, as a clock set wrong leaves them.
fn at(s: &Sandbox, spec: &str, args: &[&str]) -> Run {
    let mut all = vec!["-f", spec, BIN];
    all.extend_from_slice(args);
    let mut c = s.program("faketime", &all);
    c.env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    finish(c, None)
}

/// Three entries kept in turn, `first`, `second`, `third`, written under a clock a year
/// ahead, the real one, and one set to 1970 (the sandbox's endpoint must fail them).
fn three_clocks(s: &Sandbox) {
    at(s, "+365d", &["send", "event", "--name", "first"]).code_is(1);
    s.run(&["send", "event", "--name", "second"]).code_is(1);
    at(
        s,
        "@1970-01-01 00:00:00",
        &["send", "event", "--name", "third"],
    )
    .code_is(1);
}

fn names(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.json()["event_name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn an_entry_written_before_the_clock_was_set_is_delivered_not_dropped() {
    if !have_faketime() {
        return;
    }
    let server = Server::start(
        vec![Reply::Status(503), Reply::Status(503)],
        Reply::Status(200),
    );
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    // A board before NTP, and an RTC reset to its epoch.
    at(
        &s,
        "@1970-01-01 00:00:00",
        &["send", "event", "--name", "before.ntp"],
    )
    .code_is(1);
    at(
        &s,
        "@2000-01-01 00:00:00",
        &["send", "event", "--name", "rtc.reset"],
    )
    .code_is(1);
    assert!(
        entries(&s.outbox())[0]
            .to_string_lossy()
            .contains("-19700101T")
    );
    let run = s.run(&["flush"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        summary(&run),
        "pk3s-telemetry: flush: delivered=2 kept=0 rejected=0 expired=0"
    );
    assert_eq!(names(&server)[2..], ["before.ntp", "rtc.reset"]);
    // status gives no age for a stamp a wrong clock made.
    let st: Value = serde_json::from_str(&s.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(st["outbox"]["pending"], 0);
}

#[test]
fn a_clock_far_ahead_drops_nothing_and_entries_keep_the_order_they_were_written_in() {
    if !have_faketime() {
        return;
    }
    let server = Server::start(vec![Reply::Status(503); 3], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    three_clocks(&s);
    // A background deliverer (and so its drain) running with a clock 31 days ahead.
    let bg = at(
        &s,
        "+31d",
        &["send", "event", "--name", "fourth", "--background"],
    );
    assert_eq!(bg.code, 0, "{bg:#?}");
    assert!(eventually(Duration::from_secs(30), || server
        .requests()
        .len()
        == 7));
    deliverer_done(&s.outbox());
    assert_eq!(
        names(&server)[3..],
        ["fourth", "first", "second", "third"],
        "its own first, then the rest in the order written"
    );
    assert!(entries(&s.outbox()).is_empty());
    assert!(!s.outbox().join(".pk3s-drops").exists(), "nothing dropped");
    // A flush 40 days ahead drops nothing either.
    s.run(&[
        "send",
        "event",
        "--name",
        "fifth",
        "--endpoint",
        "http://127.0.0.1:9/t",
    ])
    .code_is(1);
    let run = at(&s, "+40d", &["flush", "--reroute", &server.url()]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        summary(&run).contains("delivered=1 kept=0 rejected=0 expired=0"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_count_cap_drops_the_first_written_and_every_drop_is_recorded() {
    if !have_faketime() {
        return;
    }
    let failing = Server::start(vec![], Reply::Status(503));
    let mut s = Sandbox::for_server(&failing);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    three_clocks(&s);
    let server = Server::start(vec![], Reply::Status(200));
    s.set("TELEMETRY_OUTBOX_MAX_ENTRIES", "2");
    let run = s.run(&["flush", "--reroute", &server.url()]);
    assert_eq!(run.code, 0, "{run:#?}");
    run.stderr_has("beyond TELEMETRY_OUTBOX_MAX_ENTRIES=2");
    assert_eq!(
        names(&server),
        ["second", "third"],
        "the first written went"
    );
    let drops = fs::read_to_string(s.outbox().join(".pk3s-drops")).unwrap();
    assert_eq!(drops.lines().count(), 1, "{drops}");
    assert!(
        drops.contains(" by=flush entry=s0000000000000000-")
            && drops.contains("why=beyond TELEMETRY_OUTBOX_MAX_ENTRIES=2"),
        "{drops}"
    );
    let st = s.run(&["status"]);
    assert!(
        st.stdout.contains("  dropped")
            && st
                .stdout
                .contains(" 1 recorded in .pk3s-drops; the last at "),
        "{}",
        st.stdout
    );
    let j: Value = serde_json::from_str(&s.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(j["outbox"]["drops"]["recorded"], 1);
    assert_eq!(j["outbox"]["drops"]["recent"][0]["by"], "flush");
}

#[test]
fn genuinely_old_entries_go_by_the_outboxs_own_clock_and_the_deliverers_drops_are_recorded() {
    let failing = Server::start(vec![], Reply::Status(503));
    let mut s = Sandbox::for_server(&failing);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "event", "--name", "old"]).code_is(1);
    // 40 days of this machine's running time pass (as the outbox's clock counts them).
    let state = s.outbox().join(".pk3s-sequence");
    let text = fs::read_to_string(&state).unwrap();
    let clock = text
        .split(' ')
        .find_map(|f| f.strip_prefix("outbox_ms="))
        .unwrap();
    let later = u64::from_str_radix(clock, 16).unwrap() + 40 * 86_400_000;
    fs::write(&state, text.replace(clock, &format!("{later:016x}"))).unwrap();
    // A background deliverer drops it (the wall clock has not moved: the age is not its).
    let server = Server::start(vec![], Reply::Status(200));
    s.set("TELEMETRY_ENDPOINT", &server.url())
        .set("TELEMETRY_OUTBOX_MAX_AGE_DAYS", "30");
    s.run(&["send", "event", "--name", "new", "--background"])
        .ok();
    assert!(eventually(Duration::from_secs(30), || entries(&s.outbox()).is_empty()));
    deliverer_done(&s.outbox());
    assert_eq!(names(&server), ["new"]);
    let drops = fs::read_to_string(s.outbox().join(".pk3s-drops")).unwrap();
    assert!(
        drops.contains(" by=deliverer ")
            && drops.contains("why=older than TELEMETRY_OUTBOX_MAX_AGE_DAYS=30"),
        "{drops}"
    );
}
