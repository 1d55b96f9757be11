//! The everyday words: `--json` wherever `--format json` is, the flag's and the saved
//! file's words in TELEMETRY_ENABLED, one error prefix, counts in the right number, hints
//! that say what to type.

use serde_json::Value;

use crate::harness::Sandbox;
use crate::server::{Reply, Server};

#[test]
fn json_is_format_json_wherever_format_json_is_and_conflicts_with_format() {
    let s = Sandbox::new();
    s.write("x.json", r#"{"a": 1}"#);
    for cmd in [
        &["resolve"][..],
        &["env"],
        &["status"],
        &["flush"],
        &["flush", "--dry-run"],
        &["check", "x.json"],
    ] {
        let with = |extra: &[&str]| {
            let mut args = cmd.to_vec();
            args.extend(extra);
            s.run(&args)
        };
        let json = with(&["--json"]);
        json.ok();
        let last = json.stdout.lines().last().unwrap_or_default();
        assert!(
            serde_json::from_str::<Value>(&json.stdout).is_ok()
                || serde_json::from_str::<Value>(last).is_ok(),
            "{cmd:?} --json: {json:#?}"
        );
        let both = with(&["--json", "--format", "json"]);
        assert_eq!(both.code, 2, "{cmd:?}: {both:#?}");
        both.stderr_has("pk3s-telemetry: error: the argument '--json' cannot be used with");
    }
    let env = s.run(&["env", "--json", "--", "true"]);
    assert_eq!(env.code, 2, "--json takes no command either: {env:#?}");
}

#[test]
fn telemetry_enabled_reads_the_flags_and_the_saved_files_words() {
    let mut s = Sandbox::new();
    for (word, want) in [
        ("enable", "true"),
        ("Enabled", "true"),
        ("DISABLE", "false"),
        ("disabled", "false"),
    ] {
        s.set("TELEMETRY_ENABLED", word);
        let run = s.run(&["resolve", "--json"]);
        run.ok();
        assert!(run.stderr.is_empty(), "no warning for {word}: {run:#?}");
        let j: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(j["TELEMETRY_ENABLED"]["value"], want, "{word}");
        assert_eq!(j["TELEMETRY_ENABLED"]["source"], "env", "{word}");
    }
    s.set("TELEMETRY_ENABLED", "maybe");
    s.run(&["resolve"]).ok().stderr_has(
        "is not one of 1 true yes y on enable enabled / 0 false no n off disable disabled",
    );
}

#[test]
fn every_error_has_one_prefix_clap_usage_errors_included() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "http://127.0.0.1:1/");
    for args in [
        &["status", "--bogus"][..],
        &["send", "event"],
        &["nosuchcommand"],
        &["send", "event", "no-such-file.json"],
        &["flush", "--limit", "0"],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(
            run.stderr.starts_with("pk3s-telemetry: error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("\nerror:"), "{}", run.stderr);
    }
}

#[test]
fn send_event_without_a_file_or_name_names_both() {
    let s = Sandbox::new();
    let run = s.run(&["send", "event"]);
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has("<PATH|-|--name <NAME>>");
}

#[test]
fn send_events_help_gives_its_own_defaults_for_the_ids() {
    let s = Sandbox::new();
    let event = s.run(&["send", "event", "--help"]);
    event.ok();
    let manifest = s.run(&["send", "manifest", "--help"]);
    manifest.ok();
    let flag = |help: &str, name: &str| {
        let at = help.find(&format!("--{name} <ID>")).unwrap();
        let rest = &help[at..];
        rest[..rest.find("\n\n").unwrap()].replace("\n          ", " ")
    };
    let run_id = flag(&event.stdout, "run-id");
    assert!(run_id.contains("[default: a new one]"), "{run_id}");
    assert!(
        !run_id.contains("manifest"),
        "an event has no manifest: {run_id}"
    );
    assert!(flag(&manifest.stdout, "run-id").contains("the manifest's run_id"));
    let session = flag(&event.stdout, "session-id");
    assert!(session.contains(r#"sent as """#), "{session}");
    let top = s.run(&["--help"]);
    top.ok();
    assert!(
        top.stdout
            .contains("resolve makes a new UUID; a send without one sends \"\""),
        "{}",
        top.stdout
    );
}

#[test]
fn an_endpoint_without_its_scheme_says_what_to_write() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "telemetry.example/telemetry");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has("it has no scheme; write https://telemetry.example/telemetry");
}

#[test]
fn a_zero_timeout_is_refused_in_words_that_exclude_zero() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "0");
    s.run(&["status"])
        .ok()
        .stderr_has("TELEMETRY_REQUEST_TIMEOUT_SECONDS=\"0\" is not a number of seconds above 0 and at most 3600");
}

#[test]
fn counts_of_one_are_singular() {
    let server = Server::start(vec![Reply::Status(422)], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    let run = s.run(&["-vv", "send", "event", "--name", "a.b"]);
    run.stderr_has(", 1 attempt, ")
        .stderr_has("after 1 attempt;");
    let run = s.run(&["-v", "flush", "--rejected"]);
    run.ok().stderr_has("moved 1 entry back from rejected/");
    let st = s.run(&["status"]);
    assert!(!st.stdout.contains("1 entries"), "{}", st.stdout);
}
