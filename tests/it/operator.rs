//! The operator's view: a saved consent choice (`enable`/`disable`, user and machine),
//! its place in the consent order, and what a broken file does (warn, never fail).

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Run, Sandbox, entries, files_under, mode, refused_port};
use crate::pty::Pty;
use crate::server::{Reply, Server};

fn json_of(run: &Run) -> Value {
    run.ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"))
}

/// (TELEMETRY_ENABLED value, its source) as `resolve --format json` decides them.
fn decision(s: &Sandbox, extra: &[&str]) -> (String, String) {
    let mut args = vec!["resolve", "--format", "json"];
    args.extend(extra);
    let j = json_of(&s.run(&args));
    (
        j["TELEMETRY_ENABLED"]["value"]
            .as_str()
            .unwrap()
            .to_string(),
        j["TELEMETRY_ENABLED"]["source"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn pair(v: &str, src: &str) -> (String, String) {
    (v.to_string(), src.to_string())
}

fn user_file(s: &Sandbox) -> PathBuf {
    s.path("home/.config/productive-k3s/telemetry.conf")
}

fn system_file(s: &Sandbox) -> PathBuf {
    s.path("etc/productive-k3s/telemetry.conf")
}

#[test]
fn enable_and_disable_save_the_users_choice_in_the_xdg_config_dir() {
    let s = Sandbox::new();
    assert_eq!(decision(&s, &[]), pair("false", "default"));

    let run = s.run(&["enable"]);
    run.ok().stderr_has(format!(
        "telemetry is on for this user (saved in {})",
        user_file(&s).display()
    ));
    assert_eq!(mode(&user_file(&s)), 0o644);
    let text = fs::read_to_string(user_file(&s)).unwrap();
    assert!(text.contains("telemetry=enable\n"), "{text}");
    assert_eq!(decision(&s, &[]), pair("true", "user_config"));

    s.run(&["disable"]).ok();
    assert_eq!(decision(&s, &[]), pair("false", "user_config"));
    assert_eq!(
        files_under(&s.path("home")),
        vec![user_file(&s)],
        "one file, no temp files left"
    );
    assert!(
        !system_file(&s).exists(),
        "the machine's choice is untouched"
    );
}

#[test]
fn xdg_config_home_and_telemetry_config_dir_move_the_users_file() {
    let mut s = Sandbox::new();
    s.set("XDG_CONFIG_HOME", &s.path("xdg").display().to_string());
    s.run(&["enable"]).ok();
    assert!(s.path("xdg/productive-k3s/telemetry.conf").is_file());
    // A relative XDG_CONFIG_HOME is invalid (the XDG spec): HOME is used.
    s.set("XDG_CONFIG_HOME", "relative/dir");
    s.run(&["disable"]).ok();
    assert!(user_file(&s).is_file());
    s.set("TELEMETRY_CONFIG_DIR", &s.path("cfg").display().to_string());
    s.run(&["enable"]).ok();
    assert!(s.path("cfg/telemetry.conf").is_file());
    assert_eq!(decision(&s, &[]), pair("true", "user_config"));
}

#[test]
fn the_machines_choice_counts_when_the_user_has_none() {
    let s = Sandbox::new();
    s.run(&["disable", "--system"])
        .ok()
        .stderr_has("telemetry is off for this machine");
    assert_eq!(mode(&system_file(&s)), 0o644);
    assert_eq!(decision(&s, &[]), pair("false", "system_config"));

    s.run(&["enable"]).ok();
    assert_eq!(
        decision(&s, &[]),
        pair("true", "user_config"),
        "the user's wins"
    );

    // Saving the machine's choice says when the user's still decides here.
    s.run(&["enable", "--system"]).ok();
    s.run(&["disable"]).ok();
    s.run(&["enable", "--system"])
        .ok()
        .stderr_has("but this user's saved choice")
        .stderr_has("decides first here: telemetry stays off");
}

#[test]
fn flag_environment_and_do_not_track_win_over_a_saved_choice() {
    let mut s = Sandbox::new();
    s.run(&["enable"]).ok();
    s.run(&["enable", "--system"]).ok();
    assert_eq!(
        decision(&s, &["--telemetry", "disable"]),
        pair("false", "flag")
    );
    s.set("DO_NOT_TRACK", "1");
    assert_eq!(decision(&s, &[]), pair("false", "do_not_track"));
    s.set("TELEMETRY_ENABLED", "0");
    assert_eq!(decision(&s, &[]), pair("false", "env"));
    s.unset("DO_NOT_TRACK").unset("TELEMETRY_ENABLED");
    s.run(&["disable"]).ok();
    s.set("TELEMETRY_ENABLED", "1");
    assert_eq!(decision(&s, &[]), pair("true", "env"));
    s.run(&["disable"])
        .ok()
        .stderr_has("but TELEMETRY_ENABLED in the environment decides first here");
}

#[test]
fn a_broken_or_unreadable_file_is_one_warning_never_a_failure() {
    let s = Sandbox::new();
    s.run(&["enable", "--system"]).ok();
    for (what, make) in [
        ("garbage", "telemetry=perhaps\n"),
        ("not ours", "colour=blue\n"),
        ("a directory", ""),
    ] {
        let _ = fs::remove_dir_all(user_file(&s));
        let _ = fs::remove_file(user_file(&s));
        fs::create_dir_all(user_file(&s).parent().unwrap()).unwrap();
        if what == "a directory" {
            fs::create_dir(user_file(&s)).unwrap();
        } else {
            fs::write(user_file(&s), make).unwrap();
        }
        let run = s.run(&["resolve", "--format", "json"]);
        let warnings: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(warnings.len(), 1, "{what}: {run:#?}");
        assert!(
            warnings[0].starts_with(&format!(
                "pk3s-telemetry: warning: {}: ",
                user_file(&s).display()
            )),
            "{what}: {run:#?}"
        );
        // Passed over: the machine's choice decides.
        let j = json_of(&run);
        assert_eq!(j["TELEMETRY_ENABLED"]["source"], "system_config", "{what}");
        assert_eq!(j["TELEMETRY_ENABLED"]["value"], "true", "{what}");
        // Quiet under -q, and `send` is not stopped by it.
        let run = s.run(&["-q", "send", "event", "--name", "a.b", "--dry-run"]);
        assert_eq!(run.code, 0, "{what}: {run:#?}");
        assert_eq!(run.stderr, "", "{what}");
    }
}

#[test]
fn a_saved_choice_drives_send_and_a_saved_disable_stops_flush() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENDPOINT", &server.url());
    s.run(&["send", "event", "--name", "a.b"]).ok();
    assert_eq!(server.requests().len(), 0, "undecided: nothing sent");
    s.run(&["enable"]).ok();
    s.run(&["send", "event", "--name", "a.b"]).ok();
    assert_eq!(server.requests().len(), 1, "saved enable: sent");

    // Two entries kept by a dead endpoint, then the user says no.
    let mut dead = Sandbox::new();
    dead.set(
        "TELEMETRY_ENDPOINT",
        &format!("http://127.0.0.1:{}/t", refused_port()),
    )
    .set("TELEMETRY_MAX_RETRIES", "1")
    .set("TELEMETRY_CONFIG_DIR", &s.path("cfg").display().to_string());
    dead.run(&["enable"]).ok();
    for _ in 0..2 {
        assert_eq!(dead.run(&["send", "event", "--name", "a.b"]).code, 1);
    }
    assert_eq!(entries(&dead.outbox()).len(), 2);
    dead.run(&["disable"]).ok();
    dead.set("TELEMETRY_ENDPOINT", &server.url());
    dead.run(&["flush"])
        .ok()
        .stderr_has("telemetry is off (user_config): flush sends nothing");
    assert_eq!(entries(&dead.outbox()).len(), 2, "kept");
    assert_eq!(server.requests().len(), 1);
    dead.run(&["enable"]).ok();
    // Written for the dead endpoint: re-routed by the operator's choice.
    dead.run(&["flush", "--reroute", &server.url()]).ok();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(entries(&dead.outbox()).len(), 0);
}

#[test]
fn no_question_at_a_terminal_once_a_choice_is_saved() {
    let s = Sandbox::new();
    s.run(&["disable", "--system"]).ok();
    let pty = Pty::open();
    let mut c = s.command(&["resolve", "--format", "json"]);
    c.stdin(pty.terminal()).stderr(pty.terminal());
    // Were the question asked, nobody would answer and `finish` would fail the test.
    let f = pty.spawn(c).finish();
    assert_eq!(f.code, Some(0), "{f:#?}");
    assert!(!f.terminal.contains("[Y/n]"), "{f:#?}");
    let j: Value = serde_json::from_str(&f.stdout).unwrap();
    assert_eq!(j["TELEMETRY_ENABLED"]["source"], "system_config");
}

#[test]
fn without_home_the_users_choice_has_no_place_exit_2() {
    let mut s = Sandbox::new();
    s.unset("HOME");
    let run = s.run(&["enable"]);
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has("HOME and XDG_CONFIG_HOME are not set");
    // The machine's choice still works.
    s.run(&["enable", "--system"]).ok();
}

// ---------------------------------------------------------------------------------------
// The status line while `send` waits between attempts

/// `send event` against a receiver that answers 503 (retry at once), then 200, with
/// stderr on a real terminal (or not), and what the terminal showed.
fn send_with_a_retry(
    vars: &[(&str, &str)],
    args: &[&str],
    stderr_tty: bool,
) -> (Option<i32>, String, usize) {
    let retry_now = Reply::With(503, vec![("Retry-After", "0".to_string())]);
    let server = Server::start(vec![retry_now], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "2");
    for (k, v) in vars {
        s.set(k, v);
    }
    let mut all = args.to_vec();
    all.extend(["send", "event", "--name", "a.b"]);
    let pty = Pty::open();
    let mut c = s.command(&all);
    c.stdin(std::process::Stdio::null());
    if stderr_tty {
        c.stderr(pty.terminal());
    } else {
        c.stderr(std::process::Stdio::null());
    }
    let f = pty.spawn(c).finish();
    (f.code, f.terminal, server.requests().len())
}

const LINE: &str = "pk3s-telemetry: attempt 1 failed (HTTP 503); retrying in 0.0s";

#[test]
fn on_a_terminal_send_shows_a_status_line_while_it_waits_then_clears_it() {
    let (code, terminal, requests) = send_with_a_retry(&[], &[], true);
    assert_eq!(code, Some(0), "{terminal:?}");
    assert_eq!(requests, 2);
    let drawn = format!("\r\x1b[K{LINE}");
    assert!(terminal.contains(&drawn), "{terminal:?}");
    // Cleared after: the last thing on the terminal is the erase, not the status.
    assert!(terminal.ends_with("\r\x1b[K"), "{terminal:?}");
}

#[test]
fn no_status_line_under_quiet_verbose_ci_or_off_a_terminal() {
    for (vars, args, tty) in [
        (&[][..], &["-q"][..], true),
        (&[("CI", "true")], &[], true),
        (&[], &[], false),
    ] {
        let (code, terminal, requests) = send_with_a_retry(vars, args, tty);
        assert_eq!(code, Some(0), "{vars:?} {args:?}");
        assert_eq!(requests, 2);
        assert!(
            !terminal.contains("retrying"),
            "{vars:?} {args:?}: {terminal:?}"
        );
    }
    // -v says it in its own lines instead, each ending with a newline.
    let (_, terminal, _) = send_with_a_retry(&[], &["-v"], true);
    assert!(!terminal.contains('\x1b'), "{terminal:?}");
    assert!(
        terminal.contains("attempt 1: HTTP 503; retrying in 0.0s"),
        "{terminal:?}"
    );
}

// ---------------------------------------------------------------------------------------
// status

fn status_json(s: &Sandbox) -> Value {
    json_of(&s.run(&["status", "--format", "json"]))
}

#[test]
fn status_counts_the_outbox_and_names_the_decision_endpoint_and_proxy() {
    let ok = Server::start(vec![Reply::Status(400)], Reply::Status(200));
    let mut s = Sandbox::new();
    let j = status_json(&s);
    assert_eq!(j["telemetry"]["enabled"], false);
    assert_eq!(j["telemetry"]["source"], "default");
    assert_eq!(j["outbox"]["exists"], false);
    assert_eq!(j["last_delivery"], Value::Null);

    s.run(&["enable"]).ok();
    let dead = format!("http://127.0.0.1:{}/t", refused_port());
    s.set("TELEMETRY_MAX_RETRIES", "1");
    for _ in 0..2 {
        assert_eq!(
            s.run(&["send", "event", "--name", "a.b", "--endpoint", &dead])
                .code,
            1
        );
    }
    // A 400 is kept apart; then a delivery.
    s.set("TELEMETRY_ENDPOINT", &ok.url());
    assert_eq!(s.run(&["send", "event", "--name", "a.b"]).code, 1);
    s.run(&["send", "event", "--name", "a.b"]).ok();
    s.write("outbox/event-r1-attempt-1.json", "{}");
    s.write("outbox/event-r1-attempt-2.json", "{}");
    s.write("outbox/corrupt/notes.txt", "x");
    s.set("HTTP_PROXY", "http://someone:pr0xy-SECRET@127.0.0.1:9");

    let j = status_json(&s);
    assert_eq!(j["telemetry"]["enabled"], true);
    assert_eq!(j["telemetry"]["source"], "user_config");
    assert_eq!(j["endpoint"]["url"], ok.url().as_str());
    assert_eq!(j["endpoint"]["source"], "env");
    assert_eq!(j["proxy"]["url"], "http://127.0.0.1:9");
    assert_eq!(j["proxy"]["credentials"], true);
    let o = &j["outbox"];
    assert_eq!(o["path"], s.outbox().display().to_string().as_str());
    assert_eq!(o["pending"], 2, "{j:#}");
    assert_eq!(o["legacy_runs"], 1);
    assert_eq!(o["rejected"], 1);
    assert_eq!(o["corrupt"], 1);
    assert!(
        o["oldest_age_seconds"]
            .as_i64()
            .is_some_and(|a| (0..600).contains(&a)),
        "{j:#}"
    );
    let d = &j["last_delivery"];
    assert_eq!(d["by"], "send");
    assert_eq!(d["what"], "HTTP 200");
    assert!(
        d["age_seconds"]
            .as_i64()
            .is_some_and(|a| (0..600).contains(&a))
    );

    let text = s.run(&["status"]);
    text.ok();
    for needle in [
        "telemetry       on, decided by this user's saved choice",
        "  pending       2, the oldest ",
        "  rejected      1\n",
        "  corrupt       1\n",
        "last delivery   ",
        "by send: HTTP 200",
        "http://127.0.0.1:9 (using the http proxy from HTTP_PROXY, with credentials)",
    ] {
        assert!(text.stdout.contains(needle), "{needle:?}\n{}", text.stdout);
    }
    for out in [&text.stdout, &j.to_string()] {
        assert!(
            !out.contains("pr0xy-SECRET") && !out.contains("someone"),
            "{out}"
        );
    }

    // A flush records its deliveries too, and status leaves the payloads alone.
    s.unset("HTTP_PROXY");
    let before = files_under(&s.outbox());
    s.run(&["status"]).ok();
    assert_eq!(files_under(&s.outbox()), before, "status changes nothing");
    assert_eq!(s.run(&["flush", "--reroute", &ok.url()]).code, 0);
    let j = status_json(&s);
    assert_eq!(j["outbox"]["pending"], 0);
    assert_eq!(j["last_delivery"]["by"], "flush");
    assert_eq!(
        j["last_delivery"]["what"], "3 entries",
        "2 entries and the old scripts' run"
    );
}

/// Sets the mtime of `dir` back by an hour, as if the outbox had been quiet since.
fn age(dir: &std::path::Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::open(dir).unwrap().set_modified(then).unwrap();
}

/// Points `s` at a refused port with one attempt a send: each send keeps its event.
fn keep_sends(s: &mut Sandbox) {
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_MAX_RETRIES", "1")
        .set(
            "TELEMETRY_ENDPOINT",
            &format!("http://127.0.0.1:{}/t", refused_port()),
        );
}

/// One event, sent and kept.
fn send_kept(s: &Sandbox) {
    assert_eq!(s.run(&["send", "event", "--name", "a.b"]).code, 1);
}

#[test]
fn status_counts_a_quiet_outbox_from_its_cache_and_sees_every_change() {
    let mut s = Sandbox::new();
    keep_sends(&mut s);
    send_kept(&s);
    send_kept(&s);
    let pending = |s: &Sandbox| status_json(s)["outbox"]["pending"].clone();
    assert_eq!(pending(&s), 2);
    let cache = s.outbox().join(".state/census");
    // Quiet: counted once more and cached (the first quiet status makes the cache's
    // directory, the next writes it); the cache is what the status after reads.
    age(&s.outbox());
    assert_eq!(pending(&s), 2);
    age(&s.outbox());
    assert_eq!(pending(&s), 2);
    let text = fs::read_to_string(&cache).unwrap();
    assert!(text.contains("pending=2\n"), "{text}");
    fs::write(&cache, text.replace("pending=2\n", "pending=7\n")).unwrap();
    assert_eq!(pending(&s), 7, "read from the cache");
    // Any change to the outbox (a new entry, a rejection) is seen at once.
    send_kept(&s);
    assert_eq!(pending(&s), 3);
    age(&s.outbox());
    assert_eq!(pending(&s), 3);
    s.write("outbox/rejected/x.json", "{}");
    age(&s.outbox());
    assert_eq!(status_json(&s)["outbox"]["rejected"], 1);
}

#[test]
fn status_through_a_symlinked_outbox_sees_changes_behind_the_link() {
    let mut s = Sandbox::new();
    fs::create_dir_all(s.path("real")).unwrap();
    std::os::unix::fs::symlink(s.path("real"), s.path("link")).unwrap();
    s.set(
        "TELEMETRY_OUTBOX_DIR",
        &s.path("link").display().to_string(),
    );
    keep_sends(&mut s);
    send_kept(&s);
    for _ in 0..3 {
        age(&s.path("real"));
        assert_eq!(status_json(&s)["outbox"]["pending"], 1);
    }
    assert!(s.path("real/.state/census").exists(), "cached");
    send_kept(&s);
    assert_eq!(status_json(&s)["outbox"]["pending"], 2);
}

#[test]
fn status_leaves_no_trace_in_a_directory_that_holds_nothing_of_its_own() {
    let mut s = Sandbox::new();
    s.write("outbox/notes.txt", "mine");
    age(&s.outbox());
    s.set(
        "TELEMETRY_OUTBOX_DIR",
        &s.path("outbox").display().to_string(),
    );
    for _ in 0..2 {
        assert_eq!(status_json(&s)["outbox"]["pending"], 0);
    }
    let names: Vec<String> = fs::read_dir(s.outbox())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"]);
}

#[test]
fn status_never_asks_and_shows_a_bad_endpoint_without_failing() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENDPOINT", "ftp://nope/");
    let pty = Pty::open();
    let mut c = s.command(&["status"]);
    c.stdin(pty.terminal()).stderr(pty.terminal());
    let f = pty.spawn(c).finish();
    assert_eq!(f.code, Some(0), "{f:#?}");
    assert!(!f.terminal.contains("[Y/n]"), "{f:#?}");
    assert!(f.stdout.contains("endpoint        invalid: TELEMETRY_ENDPOINT: \"ftp://nope/\" is not an http or https URL"), "{f:#?}");
}
