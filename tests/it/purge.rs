//! Opting out that clears: `disable` says what still waits in the outbox, `disable --purge`
//! discards it (never sending it), keeps the outbox's own records and what is not ours,
//! and leaves, naming it, an entry another process holds.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;

use crate::harness::{LAST_DELIVERY, Sandbox, entries, files_under, finish, refused_port};
use crate::server::{Reply, Server};

/// An outbox with two kept entries, one rejected, an old script's run, a corrupt file,
/// the outbox's own records and a file that is not ours.
fn filled(s: &mut Sandbox) {
    let dead = format!("http://127.0.0.1:{}/t", refused_port());
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_MAX_RETRIES", "1");
    for name in ["core.a.started", "core.a.completed"] {
        let run = s.run(&["--endpoint", &dead, "send", "event", "--name", name]);
        assert_eq!(run.code, 1, "{run:#?}");
    }
    let rejecting = Server::start(vec![], Reply::Status(422));
    let run = s.run(&[
        "--endpoint",
        &rejecting.url(),
        "send",
        "event",
        "--name",
        "core.a.rejected",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    let o = s.outbox();
    fs::write(o.join("bootstrap-20260101-000000-1-attempt-1.json"), "{}").unwrap();
    fs::write(
        o.join("bootstrap-20260101-000000-1-attempt-1.status"),
        "attempt=1\n",
    )
    .unwrap();
    fs::create_dir_all(o.join("corrupt")).unwrap();
    fs::write(o.join("corrupt/s00-broken.json"), "{not json").unwrap();
    fs::write(
        o.join(LAST_DELIVERY),
        "at=2026-01-01T00:00:00Z\nby=send\nwhat=HTTP 200\n",
    )
    .unwrap();
    fs::write(o.join("notes.txt"), "the operator's own file\n").unwrap();
    s.unset("TELEMETRY_ENABLED").unset("TELEMETRY_MAX_RETRIES");
}

#[test]
fn disable_alone_says_how_many_wait_and_how_to_discard_them() {
    let mut s = Sandbox::new();
    // Nothing waits: nothing to say about it.
    let run = s.run(&["disable"]);
    run.ok();
    assert!(!run.stderr.contains("wait"), "{run:#?}");
    filled(&mut s);
    let run = s.run(&["disable"]);
    run.ok()
        .stderr_has(format!(
            "4 payloads still wait in {} (3 pending, 1 rejected)",
            s.outbox().display()
        ))
        .stderr_has("`pk3s-telemetry disable --purge` discards them now");
    // The two entries and the old script's file.
    assert_eq!(
        entries(&s.outbox()).len(),
        3,
        "disable alone discards nothing"
    );
}

#[test]
fn disable_purge_discards_every_waiting_payload_and_keeps_the_records_and_what_is_not_ours() {
    let mut s = Sandbox::new();
    filled(&mut s);
    let server = Server::start(vec![], Reply::Status(200));
    s.set("TELEMETRY_ENDPOINT", &server.url());
    // One payload that left: the ledger records it, and a purge keeps that record.
    s.set("TELEMETRY_ENABLED", "1");
    s.run(&["send", "event", "--name", "core.a.delivered"]).ok();
    s.unset("TELEMETRY_ENABLED");
    let run = s.run(&["disable", "--purge"]);
    run.ok()
        .stderr_has("telemetry is off for this user")
        .stderr_has(format!(
            "discarded 5 payloads from {} (3 pending, 1 rejected, 1 set aside as corrupt); none was sent",
            s.outbox().display()
        ));
    assert_eq!(server.requests().len(), 1, "a purge never sends");
    let o = s.outbox();
    let left: Vec<String> = files_under(&o)
        .iter()
        .map(|p| p.strip_prefix(&o).unwrap().display().to_string())
        .collect();
    assert_eq!(left, ["notes.txt"], "only what is not ours stays");
    for record in [LAST_DELIVERY, ".pk3s-sequence", ".pk3s-ledger"] {
        assert!(
            o.join(record).is_file(),
            "{record} is the outbox's own record"
        );
    }
    let st: serde_json::Value = serde_json::from_str(&s.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["outbox"]["pending"], 0, "{st:#}");
    assert_eq!(st["outbox"]["rejected"], 0);
    assert_eq!(st["telemetry"]["source"], "user_config");
    let log = s.run(&["log"]);
    log.ok();
    assert!(log.stdout.contains("core.a.delivered"), "{log:#?}");
    // Again: nothing left to discard, still exit 0.
    s.run(&["disable", "--purge"])
        .ok()
        .stderr_has("nothing waits in it");
}

#[test]
fn an_entry_another_process_holds_is_left_and_named_exit_1() {
    let mut s = Sandbox::new();
    filled(&mut s);
    let held = entries(&s.outbox())
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with('s'))
        .unwrap();
    // A deliverer's claim: an exclusive lock on the entry's `.json`.
    let lock = fs::File::open(&held).unwrap();
    lock.try_lock().unwrap();
    let run = s.run(&["disable", "--purge"]);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has(format!("left {}: another process", held.display()))
        .stderr_has("discarded 4 payloads");
    assert_eq!(entries(&s.outbox()), std::slice::from_ref(&held));
    drop(lock);
    s.run(&["disable", "--purge"])
        .ok()
        .stderr_has("discarded 1 payload from");
    assert!(entries(&s.outbox()).is_empty());
}

#[test]
fn purge_empties_the_outbox_the_settings_or_flags_name() {
    let mut s = Sandbox::new();
    filled(&mut s);
    let elsewhere = s.path("elsewhere");
    s.set("TELEMETRY_OUTBOX_DIR", &elsewhere.display().to_string());
    s.run(&["disable", "--purge"]).ok().stderr_has(format!(
        "no outbox at {}: nothing to discard",
        elsewhere.display()
    ));
    assert_eq!(entries(&s.outbox()).len(), 3, "another outbox is untouched");
    let outbox = s.outbox().display().to_string();
    for args in [
        &["disable", "--purge", "--outbox", &outbox][..],
        &["--outbox", &outbox, "disable", "--purge"],
    ] {
        s.run(args).ok();
        assert!(entries(&s.outbox()).is_empty(), "{args:?}");
    }
}

#[test]
fn the_machines_choice_without_root_says_to_use_sudo() {
    let s = Sandbox::new();
    // As another user when the suite runs as root (root writes anywhere); a directory
    // nobody but root may write in, the machine's /etc's stand-in.
    let root = fs::metadata("/proc/self").unwrap().uid() == 0;
    let etc = s.path("etc");
    fs::create_dir_all(&etc).unwrap();
    for existing in [false, true] {
        if existing {
            fs::create_dir_all(etc.join("productive-k3s")).unwrap();
        }
        let mut c = s.command(&["disable", "--system"]);
        if root {
            c.uid(65534).gid(65534);
        } else {
            set_mode(&etc, 0o555);
            set_mode(&etc.join("productive-k3s"), 0o555);
        }
        let run = finish(c, None);
        assert_eq!(run.code, 1, "{run:#?}");
        run.stderr_has("Permission denied").stderr_has(
            "the machine's choice is for root: run `sudo pk3s-telemetry enable|disable --system`",
        );
        assert_eq!(run.stderr.lines().count(), 1, "one line: {run:#?}");
    }
    set_mode(&etc.join("productive-k3s"), 0o755);
    set_mode(&etc, 0o755);
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    if path.exists() {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
}
