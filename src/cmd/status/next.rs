//! What to do next, read off the status report: one step per thing that needs doing, each
//! a reason and the command that does it (`{"why", "run"}`).

use serde_json::{Value, json};

use crate::consent::NOTICE;
use crate::error::count;

pub fn steps(r: &Value, token: bool) -> Vec<Value> {
    let mut steps = Vec::new();
    let mut step = |why: String, run: &str| steps.push(json!({"why": why, "run": run}));
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let n = |v: &Value| v.as_u64().unwrap_or(0) as usize;

    for (scope, whose, run) in [
        ("user", "this user's", "pk3s-telemetry enable"),
        (
            "system",
            "the machine's",
            "sudo pk3s-telemetry enable --system",
        ),
    ] {
        let c = &r["saved_choices"][scope];
        if c["lapsed"] == true {
            step(
                format!(
                    "{whose} saved enable answered notice version {}, and the notice is now version {NOTICE} (what is collected changed): it counts as undecided until agreed to again",
                    c["notice"]
                ),
                run,
            );
        }
    }

    let t = &r["telemetry"];
    let o = &r["outbox"];
    let pending = n(&o["pending"]) + n(&o["legacy_runs"]);
    if pending > 0 {
        let wait = count(pending, "payload waits", "payloads wait");
        let them = if pending == 1 { "it" } else { "them" };
        if t["enabled"] == true {
            step(format!("{wait} in the outbox"), "pk3s-telemetry flush");
        } else if t["source"] == "default" {
            step(
                format!(
                    "{wait} in the outbox and nobody has decided here, so a flush sends {them} (only an explicit no stops it)"
                ),
                "pk3s-telemetry flush",
            );
            step(
                format!("or discard {them}, and say no for every run"),
                "pk3s-telemetry disable --purge",
            );
        } else {
            step(
                format!(
                    "{wait} in the outbox, kept while telemetry is off (decided by {}): nothing sends {them}",
                    s(&t["decided_by"])
                ),
                "pk3s-telemetry disable --purge",
            );
        }
    }
    let rejected = n(&o["rejected"]);
    if rejected > 0 {
        step(
            format!(
                "{} rejected by the receiver, kept apart in {}/rejected/ (each history beside it has the answer) and not replayed unless asked",
                count(rejected, "payload was", "payloads were"),
                s(&o["path"])
            ),
            "pk3s-telemetry flush --rejected",
        );
    }
    let e = &r["endpoint"];
    let refused = &e["refused"];
    if let Some(status) = refused["status"].as_u64() {
        let why = match (status, token) {
            (407, _) => {
                "the proxy refused its credentials: fix the user and password in the proxy variable"
            }
            (_, true) => {
                "the receiver refused the bearer token: set TELEMETRY_BEARER_TOKEN to one it takes"
            }
            (_, false) => "the receiver wants a bearer token: set TELEMETRY_BEARER_TOKEN",
        };
        step(
            format!("{why} (HTTP {status} at {}), then", s(&refused["at"])),
            "pk3s-telemetry flush",
        );
    }
    let down = &e["down"];
    if !down.is_null() {
        step(
            format!(
                "{} did not answer at {} ({}): sends keep their payload without trying for {}s more; a flush tries at once",
                s(&e["url"]),
                s(&down["since"]),
                s(&down["why"]),
                down["left_seconds"]
            ),
            "pk3s-telemetry flush",
        );
    }
    let corrupt = n(&o["corrupt"]);
    if corrupt > 0 {
        step(
            format!(
                "{} in {}/corrupt/ could not be read as payloads and are never sent: look at them, then delete them (or discard everything)",
                count(corrupt, "file", "files"),
                s(&o["path"])
            ),
            "pk3s-telemetry disable --purge",
        );
    }
    steps
}
