//! Drop-in for the real layers: the contrib shims that replace upstream's
//! `send-telemetry*.sh`, and a bash chain of three layers written the way upstream's are
//! (plain, unexported configured values; consent persisted and compared as `true`).

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{BIN, Sandbox, finish};
use crate::server::{Reply, Server};

fn shim(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib/productive-k3s")
        .join(name)
        .display()
        .to_string()
}

/// The environment core's apply.sh gives its sender (an explicit prefix on the call).
fn as_core_calls_it(server: &Server) -> Sandbox {
    let mut s = Sandbox::new();
    s.set("PK3S_TELEMETRY", BIN)
        .set("TELEMETRY_ENDPOINT", &server.url())
        .set("TELEMETRY_RUN_ID", "20260101-120000-123")
        .set("TELEMETRY_SESSION_ID", "5e55a1e5e55a1abc")
        .set("TELEMETRY_PARENT_RUN_ID", "20260101-115900-456")
        .set("TELEMETRY_COMPONENT", "core")
        .set("TELEMETRY_SOURCE_REPOSITORY", "productive-k3s")
        .set("TELEMETRY_SOURCE_SCRIPT", "scripts/apply.sh")
        .set("TELEMETRY_EXIT_CODE", "0");
    s
}

#[test]
fn the_manifest_shim_sends_what_the_old_script_sent() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = as_core_calls_it(&server);
    s.set("TELEMETRY_ENABLED", "true");
    s.write(
        "m.json",
        r#"{"status":"success","run_id":"20260101-120000-123"}"#,
    );
    let script = shim("send-telemetry.sh");
    let run = finish(s.program("bash", &[&script, "m.json"]), None);
    run.ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json();
    assert_eq!(body["event_name"], json!("apply.completed"));
    assert_eq!(body["run_id"], json!("20260101-120000-123"));
    assert_eq!(body["retry_of_run_id"], json!("20260101-120000-123"));
    assert_eq!(body["session_id"], json!("5e55a1e5e55a1abc"));
    assert_eq!(body["parent_run_id"], json!("20260101-115900-456"));
    assert_eq!(body["client"]["telemetry_enabled"], json!("true"));
    assert_eq!(body["client"]["exit_code"], json!(0));
    assert_eq!(
        body["manifest"],
        json!({"status":"success","run_id":"20260101-120000-123"})
    );
}

#[test]
fn the_event_shim_sends_the_file_as_it_is_and_the_call_itself_is_the_layers_yes() {
    let server = Server::start(vec![], Reply::Status(200));
    // apply.sh calls the event sender with only TELEMETRY_RUN_ID and TELEMETRY_MARKER on
    // the line, after its own consent check: TELEMETRY_ENABLED is not in the environment.
    let mut s = Sandbox::new();
    s.set("PK3S_TELEMETRY", BIN)
        .set("TELEMETRY_ENDPOINT", &server.url())
        .set("TELEMETRY_RUN_ID", "20260101-120000-1")
        .set("TELEMETRY_MARKER", "pk3s-public-v1");
    let event = "{\n  \"schema_version\": \"1\",\n  \"event_family\": \"usage\",\n  \"event_name\": \"core.apply.single_node.started\",\n  \"client\": {\"telemetry_enabled\": \"true\"}\n}\n";
    s.write("e.json", event);
    let script = shim("send-telemetry-event.sh");
    finish(s.program("bash", &[&script, "e.json"]), None).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body, event.as_bytes(), "byte for byte");
}

#[test]
fn both_shims_honour_the_whole_consent_chain() {
    let server = Server::start(vec![], Reply::Status(200));
    // (saved choice command, variables, sent): only where nothing has decided does the
    // call stand for a yes.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], bool);
    let cases: &[Case] = &[
        (&[], &[], true),
        (&[], &[("TELEMETRY_ENABLED", "")], true),
        (&["disable"], &[], false),
        (&["disable", "--system"], &[], false),
        (&["enable"], &[], true),
        (&[], &[("DO_NOT_TRACK", "1")], false),
        (&[], &[("TELEMETRY_ENABLED", "false")], false),
        // The layer's own explicit yes outranks a saved choice, as the contract orders them.
        (&["disable"], &[("TELEMETRY_ENABLED", "true")], true),
    ];
    for name in ["send-telemetry.sh", "send-telemetry-event.sh"] {
        for (saved, vars, sent) in cases {
            let before = server.requests().len();
            let mut s = Sandbox::new();
            let config = s.path("config").display().to_string();
            s.set("PK3S_TELEMETRY", BIN)
                .set("TELEMETRY_ENDPOINT", &server.url())
                .set("TELEMETRY_CONFIG_DIR", &config);
            if !saved.is_empty() {
                s.run(saved).ok();
            }
            for (k, v) in *vars {
                s.set(k, v);
            }
            s.write(
                "p.json",
                r#"{"event_name":"core.apply.single_node.started"}"#,
            );
            let run = finish(s.program("bash", &[&shim(name), "p.json"]), None);
            run.ok();
            let got = server.requests().len() - before;
            assert_eq!(
                got,
                usize::from(*sent),
                "{name} {saved:?} {vars:?}: {run:#?}"
            );
            assert_eq!(
                crate::harness::entries(&s.outbox()).len(),
                0,
                "nothing written when not sent"
            );
        }
    }
}

#[test]
fn the_shims_keep_the_old_exit_statuses_and_never_hang_without_the_binary() {
    let server = Server::start(vec![], Reply::Status(503));
    let mut s = as_core_calls_it(&server);
    s.set("TELEMETRY_ENABLED", "true")
        .set("TELEMETRY_MAX_RETRIES", "1");
    s.write("m.json", r#"{"status":"failed"}"#);
    let script = shim("send-telemetry.sh");
    // Not delivered: 1, kept for a later flush.
    let run = finish(s.program("bash", &[&script, "m.json"]), None);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(crate::harness::entries(&s.outbox()).len(), 1);
    // A missing file is 1 (the old scripts knew no 2).
    let run = finish(s.program("bash", &[&script, "missing.json"]), None);
    assert_eq!(run.code, 1, "{run:#?}");
    let run = finish(s.program("bash", &[&script]), None);
    assert_eq!(run.code, 1, "{run:#?}");
    // No binary anywhere: one warning, 1, at once.
    s.set("PK3S_TELEMETRY", "/nonexistent/pk3s-telemetry")
        .set("PATH", "/usr/bin:/bin");
    let run = finish(s.program("bash", &[&script, "m.json"]), None);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stderr.contains("not installed"), "{run:#?}");
}

#[test]
fn a_three_layer_bash_chain_keeps_each_layers_configured_values() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::new();
    s.with_bin_on_path().unset("TELEMETRY_OUTBOX_DIR");
    let layer = |name: &str, body: &str| {
        s.executable(
            name,
            &format!("#!/usr/bin/env bash\nset -euo pipefail\n{body}"),
        );
    };
    // cli decides for the chain.
    layer(
        "cli.sh",
        r#"eval "$(pk3s-telemetry resolve --component cli --telemetry enable)"
pk3s-telemetry env -- ./infra.sh
"#,
    );
    // infra: a configured endpoint as a plain shell variable (as its default block leaves
    // it), consent forwarded by the shim, recorded and compared the way infra does.
    layer(
        "infra.sh",
        &format!(
            r#"TELEMETRY_ENDPOINT="${{TELEMETRY_ENDPOINT:-{url}}}"
TELEMETRY_ENABLED="${{TELEMETRY_ENABLED:-}}"
TELEMETRY_OUTBOX_DIR="${{TELEMETRY_OUTBOX_DIR:-}}"
eval "$(TELEMETRY_ENABLED="${{TELEMETRY_ENABLED-}}" pk3s-telemetry resolve --component infra)"
printf '{{"telemetry":{{"enabled":"%s","endpoint":"%s","outbox_dir":"%s"}}}}\n' "$TELEMETRY_ENABLED" "$TELEMETRY_ENDPOINT" "$TELEMETRY_OUTBOX_DIR" > cluster.json
printf 'TELEMETRY_ENABLED=%s\n' "$TELEMETRY_ENABLED" > nodes.env
if [[ "$TELEMETRY_ENABLED" == "true" ]]; then
  TELEMETRY_ENDPOINT="$TELEMETRY_ENDPOINT" pk3s-telemetry send event --name infra.command.started
fi
TELEMETRY_ENDPOINT="$TELEMETRY_ENDPOINT" pk3s-telemetry env -- ./core.sh
"#,
            url = server.url()
        ),
    );
    // core: its own default block in upstream's form, then every setting read by its
    // plain name under set -u, as its scripts do.
    layer(
        "core.sh",
        r#"TELEMETRY_MAX_RETRIES="${TELEMETRY_MAX_RETRIES:-3}"
TELEMETRY_OUTBOX_DIR="${TELEMETRY_OUTBOX_DIR:-runs/telemetry-outbox}"
TELEMETRY_MARKER="${TELEMETRY_MARKER:-pk3s-public-v1}"
eval "$(pk3s-telemetry resolve --component core)"
printf '%s %s %s\n' "$TELEMETRY_MAX_RETRIES" "$TELEMETRY_OUTBOX_DIR" "$TELEMETRY_MARKER" > core.seen
printf '{"run_id": "%s"}' "$TELEMETRY_RUN_ID" > manifest.json
pk3s-telemetry send manifest manifest.json
"#,
    );
    let run = finish(s.program("./cli.sh", &[]), None);
    run.ok();
    assert_eq!(run.stderr, "", "{run:#?}");

    let cluster: Value =
        serde_json::from_str(&fs::read_to_string(s.path("cluster.json")).unwrap()).unwrap();
    assert_eq!(
        cluster,
        json!({"telemetry": {"enabled": "true", "endpoint": server.url(), "outbox_dir": ""}}),
        "consent recorded as true; the configured endpoint survived eval; the outbox nobody \
         configured is recorded as upstream records it"
    );
    assert_eq!(
        fs::read_to_string(s.path("nodes.env")).unwrap(),
        "TELEMETRY_ENABLED=true\n"
    );
    assert_eq!(
        fs::read_to_string(s.path("core.seen")).unwrap(),
        "3 runs/telemetry-outbox pk3s-public-v1\n",
        "the layer's own defaults, nothing absolute"
    );
    let got: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    let (infra, core) = (&got[0], &got[1]);
    assert_eq!(infra["component"], json!("infra"));
    assert_eq!(core["component"], json!("core"));
    assert_eq!(infra["session_id"], core["session_id"]);
    assert_eq!(core["parent_run_id"], infra["run_id"]);
    assert_eq!(core["client"]["telemetry_enabled"], json!("true"));
}
