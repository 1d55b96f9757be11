//! `status` says what to do next where something needs doing: payloads waiting (while off,
//! undecided or on), entries in `rejected/`, refused credentials, an endpoint remembered
//! as down, files in `corrupt/`; and nothing when all is well.

use std::fs;

use serde_json::Value;

use crate::harness::{Sandbox, refused_port};
use crate::server::{Reply, Server};

/// `status --json`'s steps, as (why, run) pairs, and the text form's output.
fn next(s: &Sandbox) -> (Vec<(String, String)>, String) {
    let j: Value = serde_json::from_str(&s.run(&["status", "--json"]).stdout).unwrap();
    let steps = j["next"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["why"].as_str().unwrap().to_string(),
                v["run"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let text = s.run(&["status"]);
    text.ok();
    (steps, text.stdout)
}

fn runs(steps: &[(String, String)]) -> Vec<&str> {
    steps.iter().map(|(_, r)| r.as_str()).collect()
}

/// One entry kept for a flush (a send to a port that refuses).
fn keep_one(s: &mut Sandbox) {
    let dead = format!("http://127.0.0.1:{}/t", refused_port());
    s.set("TELEMETRY_MAX_RETRIES", "1");
    let run = s.run(&[
        "--endpoint",
        &dead,
        "send",
        "event",
        "--name",
        "core.a.b",
        "--if-undecided",
        "enable",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
}

#[test]
fn nothing_to_do_says_nothing() {
    let s = Sandbox::new();
    let (steps, text) = next(&s);
    assert!(steps.is_empty(), "{steps:?}");
    assert!(!text.contains("\nnext "), "{text}");
}

#[test]
fn waiting_payloads_get_the_step_their_consent_allows() {
    let mut s = Sandbox::new();
    keep_one(&mut s);
    // Undecided: a flush sends them, or discard them.
    let (steps, text) = next(&s);
    assert_eq!(
        runs(&steps),
        ["pk3s-telemetry flush", "pk3s-telemetry disable --purge"]
    );
    assert!(steps[0].0.contains("1 payload waits"), "{steps:?}");
    assert!(
        text.contains(
            "\nnext            1 payload waits in the outbox and nobody has decided here"
        ),
        "{text}"
    );
    // Off by the environment or a saved no: nothing sends them; discard them.
    s.set("TELEMETRY_ENABLED", "0");
    let (steps, _) = next(&s);
    assert_eq!(runs(&steps), ["pk3s-telemetry disable --purge"]);
    assert!(
        steps[0]
            .0
            .contains("kept while telemetry is off (decided by TELEMETRY_ENABLED")
    );
    // On: flush them.
    s.set("TELEMETRY_ENABLED", "1");
    let (steps, _) = next(&s);
    assert_eq!(runs(&steps)[0], "pk3s-telemetry flush");
}

#[test]
fn rejected_corrupt_and_a_remembered_down_endpoint_each_say_what_to_do() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1");
    let rejecting = Server::start(vec![], Reply::Status(422));
    s.run(&[
        "--endpoint",
        &rejecting.url(),
        "send",
        "event",
        "--name",
        "a.b",
    ]);
    fs::create_dir_all(s.outbox().join("corrupt")).unwrap();
    fs::write(s.outbox().join("corrupt/x.json"), "{").unwrap();
    let dead = format!("http://127.0.0.1:{}/t", refused_port());
    s.set("TELEMETRY_ENDPOINT", &dead)
        .set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "event", "--name", "a.b"]);
    let (steps, text) = next(&s);
    let r = runs(&steps);
    assert!(r.contains(&"pk3s-telemetry flush --rejected"), "{steps:?}");
    let rejected = &steps[r.iter().position(|x| x.ends_with("--rejected")).unwrap()].0;
    assert!(
        rejected.contains("1 payload was rejected by the receiver"),
        "{rejected}"
    );
    assert!(
        steps
            .iter()
            .any(|(w, run)| w.contains(&format!("{dead} did not answer at"))
                && run == "pk3s-telemetry flush"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|(w, _)| w.contains("1 file in") && w.contains("/corrupt/")),
        "{steps:?}"
    );
    assert!(text.contains("`pk3s-telemetry flush --rejected`"), "{text}");
}

#[test]
fn a_refused_token_says_to_fix_the_token_then_flush() {
    let server = Server::start(vec![], Reply::Status(401));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_BEARER_TOKEN", "wrong-token");
    let run = s.run(&["send", "event", "--name", "a.b"]);
    assert_eq!(run.code, 1, "{run:#?}");
    let (steps, text) = next(&s);
    let (why, run) = steps
        .iter()
        .find(|(w, _)| w.contains("HTTP 401"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    assert!(
        why.starts_with("the receiver refused the bearer token: set TELEMETRY_BEARER_TOKEN"),
        "{why}"
    );
    assert_eq!(run, "pk3s-telemetry flush");
    assert!(text.contains("  refused       the latest answer"), "{text}");
    assert!(!text.contains("wrong-token"), "never the token: {text}");
    // Without a token set, it says one is wanted.
    s.unset("TELEMETRY_BEARER_TOKEN");
    let (steps, _) = next(&s);
    assert!(
        steps
            .iter()
            .any(|(w, _)| w.starts_with("the receiver wants a bearer token")),
        "{steps:?}"
    );
    // A later answer that takes it clears the advice.
    let good = Server::start(vec![], Reply::Status(200));
    s.set("TELEMETRY_ENDPOINT", &good.url());
    s.run(&["flush", "--reroute", &good.url()]).ok();
    let (steps, _) = next(&s);
    assert!(steps.is_empty(), "{steps:?}");
}
