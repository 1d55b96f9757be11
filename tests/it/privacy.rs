//! The privacy guard: redaction before sending, printing or keeping; strict refusal;
//! `check`; ordinary data left alone; the token nowhere; consent off opens no connection.

use std::fs;

use serde_json::{Value, json};

use crate::harness::{MANIFEST, Sandbox, files_under};
use crate::server::{Reply, Server};

const TOKEN: &str = "tok-SECRET-5f1e";

/// This machine's hostname, when it is one the guard looks for (not `localhost`).
fn real_hostname() -> Option<String> {
    let h = fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let h = h.trim().to_ascii_lowercase();
    (!h.is_empty() && h != "localhost").then_some(h)
}

/// A manifest seeded with one identifier of each kind (and a few ordinary fields), and
/// the lines `(path, kind)` the guard must report for it, in document order.
fn seeded(s: &Sandbox) -> (Value, Vec<(String, &'static str)>) {
    let home = s.path("home").display().to_string();
    let cwd = fs::canonicalize(&s.root).unwrap().display().to_string();
    let mut m = json!({
        "mode": "single-node",
        "os": {"id": "ubuntu", "version_id": "24.04"},
        "k3s_version": "v1.29.3+k3s1",
        "node": {"hostname": real_hostname().unwrap_or_default(), "role": "server"},
        "owner": "built by alice-ops",
        "kubeconfig": format!("{home}/.kube/config"),
        "data_dir": format!("{cwd}/runs/data"),
        "nfs": {"export": "/srv/nfs/export", "clients": ["10.10.0.0/24", "fd00:10::/64"]},
        "addresses": ["192.168.10.20", "2001:db8::10", "52:54:00:12:34:56"],
        "server_url": "https://10.0.0.5:6443",
        "registry_mirror": "https://deploy:pw@registry.lab.example.com",
        "ingress": {"grafana": "grafana.lab.example.com"},
        "ssh": "deploy@nfs01",
        "contact": "ops@example.org",
        "iam_role": "arn:aws:iam::123456789012:role/k3s",
        "aws_account_id": "123456789012",
        "notes": "cluster acme-prod",
        "auth": format!("Bearer {TOKEN}"),
        "nodes": {"nfs01.lab.example.com": {"role": "agent"}},
        "steps": [{"name": "install-k3s", "result": "ok", "seconds": 42}]
    });
    let mut expected = vec![];
    if real_hostname().is_some() {
        expected.push(("$.node.hostname", "hostname"));
    } else {
        m["node"].as_object_mut().unwrap().remove("hostname");
    }
    expected.extend([
        ("$.owner", "user name"),
        ("$.kubeconfig", "home directory"),
        ("$.data_dir", "current directory"),
        ("$.nfs.export", "absolute path"),
        ("$.nfs.clients[0]", "cidr network"),
        ("$.nfs.clients[1]", "cidr network"),
        ("$.addresses[0]", "ip address"),
        ("$.addresses[1]", "ip address"),
        ("$.addresses[2]", "mac address"),
        ("$.server_url", "url"),
        ("$.registry_mirror", "url with credentials"),
        ("$.ingress.grafana", "infrastructure host name"),
        ("$.ssh", "ssh target"),
        ("$.contact", "e-mail address"),
        ("$.iam_role", "cloud account id"),
        ("$.aws_account_id", "cloud account id"),
        ("$.notes", "listed identifier"),
        ("$.auth", "bearer token"),
    ]);
    let mut expected: Vec<(String, &str)> = expected
        .into_iter()
        .map(|(p, k)| (p.to_string(), k))
        .collect();
    expected.push((
        "$.nodes[\"[redacted]\"]".to_string(),
        "infrastructure host name, object key",
    ));
    (m, expected)
}

fn seeded_sandbox(server: &Server) -> (Sandbox, Value, Vec<(String, &'static str)>) {
    let mut s = Sandbox::for_server(server);
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("USER", "alice-ops")
        .set("TELEMETRY_PRIVACY_EXTRA", "acme-prod, other-name");
    let (m, expected) = seeded(&s);
    s.write("manifest.json", &serde_json::to_string_pretty(&m).unwrap());
    (s, m, expected)
}

/// Every string the seeded manifest holds, for "never echoed" checks.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out)
        }),
        _ => {}
    }
}

#[test]
fn each_kind_of_identifier_is_redacted_with_its_path_reported() {
    let server = Server::start(vec![], Reply::Status(200));
    let (s, original, expected) = seeded_sandbox(&server);
    // One line for the payload, naming the first three paths and how many more.
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let (p, k) = &expected[0];
    run.stderr_has(format!(
        "pk3s-telemetry: redacted {} identifiers: $.manifest{} ({k}), ",
        expected.len(),
        &p[1..]
    ))
    .stderr_has(format!("and {} more (-v lists each)\n", expected.len() - 3));

    // -v names each path on its own line.
    let run = s.run(&["-v", "send", "manifest", "manifest.json"]);
    run.ok();
    let reported: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("pk3s-telemetry: redacted"))
        .collect();
    let wanted: Vec<String> = expected
        .iter()
        .map(|(p, k)| format!("pk3s-telemetry: redacted $.manifest{} ({k})", &p[1..]))
        .collect();
    assert_eq!(reported, wanted, "{}", run.stderr);

    // The receiver sees the redacted body: each seeded value replaced, the rest intact.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let body = reqs[0].json();
    let mut want = original.clone();
    for (path, kind) in &expected {
        if kind.ends_with("object key") {
            continue;
        }
        *pointer_mut(&mut want, path) = json!("[redacted]");
    }
    let nodes = want["nodes"].as_object_mut().unwrap();
    let inner = nodes.remove("nfs01.lab.example.com").unwrap();
    nodes.insert("[redacted]".into(), inner);
    assert_eq!(body["manifest"], want);
    assert_eq!(
        body["manifest"]["os"],
        json!({"id": "ubuntu", "version_id": "24.04"})
    );
    assert_eq!(body["manifest"]["node"]["role"], json!("server"));

    // No seeded value is echoed anywhere (the ordinary ones are allowed, of course).
    let mut seeded_values = vec![];
    strings(&original, &mut seeded_values);
    let wire = String::from_utf8(reqs[0].body.clone()).unwrap();
    for v in seeded_values.iter().filter(|v| !wire.contains(v.as_str())) {
        assert!(!run.stderr.contains(v.as_str()), "stderr echoes {v:?}");
    }
    assert!(!wire.contains(TOKEN));
}

/// `$.a.b[1]` into a JSON value (the simple paths the seeded manifest uses).
fn pointer_mut<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    let pointer: String = path[1..]
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| format!("/{p}"))
        .collect();
    v.pointer_mut(&pointer).unwrap_or_else(|| panic!("{path}"))
}

#[test]
fn check_names_each_file_and_path_and_passes_clean_ones() {
    let server = Server::start(vec![], Reply::Status(200));
    let (mut s, _, expected) = seeded_sandbox(&server);
    // No consent needed, and no network: the receiver must see nothing.
    s.unset("TELEMETRY_ENABLED");
    s.write("runs/clean.json", MANIFEST);
    s.write("runs/lines.jsonl", "{\"a\": \"ok\"}\n{\"b\": \"/srv/x\"}\n");
    let run = s.run(&[
        "check",
        "runs/clean.json",
        "manifest.json",
        "runs/lines.jsonl",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    let mut want: Vec<String> = expected
        .iter()
        .map(|(p, k)| {
            let k = k.replace(", object key", " (object key)");
            format!("manifest.json: {p}: {k}")
        })
        .collect();
    want.push("runs/lines.jsonl:2: $.b: absolute path".into());
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    assert_eq!(run.stderr, "");
    assert!(!run.stdout.contains(TOKEN));

    let clean = s.run(&["check", "runs/clean.json"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str(), clean.stderr.as_str()),
        (0, "", "")
    );

    // Unreadable or invalid: 2, one error line each, the others still checked.
    s.write("runs/broken.json", "{\"a\": ");
    let run = s.run(&["check", "runs/broken.json", "manifest.json", "missing.json"]);
    assert_eq!(run.code, 2, "{run:#?}");
    assert_eq!(run.stdout.lines().count(), expected.len());
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", run.stderr);
    assert!(errors[0].starts_with("pk3s-telemetry: error: runs/broken.json: invalid JSON"));
    assert!(errors[1].starts_with("pk3s-telemetry: error: missing.json: cannot read"));
    assert_eq!(s.run(&["check"]).code, 2, "FILE is required");
    assert_eq!(server.connections(), 0);
}

#[test]
fn strict_refuses_exit_2_nothing_sent_nothing_kept() {
    // A 503 would keep the payload in the outbox, were it sent.
    let server = Server::start(vec![], Reply::Status(503));
    let (mut s, _, expected) = seeded_sandbox(&server);
    s.set("TELEMETRY_PRIVACY", "strict");
    for args in [
        &["send", "manifest", "manifest.json"][..],
        &["send", "manifest", "manifest.json", "--dry-run"][..],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), expected.len() + 1, "{}", run.stderr);
        assert!(
            lines[0].starts_with("pk3s-telemetry: found $.manifest."),
            "{}",
            lines[0]
        );
        assert!(
            lines[expected.len()].starts_with("pk3s-telemetry: error: TELEMETRY_PRIVACY=strict:"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains(TOKEN));
    }
    s.write(
        "event.json",
        "{\"event_id\": \"e-1\", \"where\": \"10.1.2.3\"}",
    );
    assert_eq!(s.run(&["send", "event", "event.json"]).code, 2);
    let run = s.run(&[
        "send",
        "event",
        "--name",
        "core.apply.completed",
        "--field",
        "nfs=/srv/nfs",
    ]);
    assert_eq!(run.code, 2);
    run.stderr_has("found $.command.nfs (absolute path)");
    assert_eq!(server.connections(), 0, "nothing sent");
    assert!(!s.outbox().exists(), "nothing kept");

    // A clean payload goes out under strict as usual.
    let ok = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&ok);
    s.set("TELEMETRY_PRIVACY", "strict");
    s.write("manifest.json", MANIFEST);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert_eq!(run.stderr, "");
    assert_eq!(ok.requests().len(), 1);
}

#[test]
fn ordinary_data_survives_even_when_the_host_is_named_ubuntu() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    // As if this machine were called `ubuntu` (or `single-node`, or `k3s`): listed names
    // follow the hostname rules, and these are ordinary words.
    s.set("TELEMETRY_PRIVACY_EXTRA", "ubuntu,single-node,k3s")
        .set("TELEMETRY_PRIVACY", "strict")
        .set(
            "TELEMETRY_SESSION_ID",
            "0b6c1a2e-3f4d-4e5f-8a9b-123456789012",
        );
    let benign = json!({
        "schema": "run-manifest/v1",
        "mode": "single-node",
        "os": {"id": "ubuntu", "version_id": "24.04", "pretty_name": "Ubuntu 24.04.1 LTS"},
        "k3s_version": "v1.29.3+k3s1",
        "kernel": "6.8.0-45-generic",
        "firmware": "v1.2.3.4",
        "script": "scripts/apply.sh",
        "events": ["core.apply.single_node.completed", "infra.nfs.ready", "apply.completed"],
        "run_id": "5d0f6a52-2b1e-4c77-9d7e-0e4c2b9a1f33",
        "started_at": "2026-11-21T23:47:43.120Z",
        "labels": ["node-role.kubernetes.io/control-plane", "rancher.io/local-path"],
        "listen": "127.0.0.1:6443",
        "bind": "0.0.0.0",
        "netmask": "255.255.255.0",
        "ratio": "1/2",
        "images": ["docker.io/rancher/k3s:v1.29.3-k3s1", "nginx@sha256:0123abcd"],
        "files": ["README.md", "k3s.yaml", "./scripts/check.sh"]
    });
    let text = serde_json::to_string_pretty(&benign).unwrap();
    s.write("manifest.json", &text);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert_eq!(run.stderr, "", "nothing redacted");
    let r = &server.requests()[0];
    let body = r.json();
    assert_eq!(body["manifest"], benign);
    // The envelope's own fields survive the guard.
    let event_id = body["event_id"].as_str().unwrap();
    assert_eq!(event_id.len(), 36);
    assert_eq!(r.header("idempotency-key"), Some(event_id));
    assert_eq!(
        body["session_id"],
        json!("0b6c1a2e-3f4d-4e5f-8a9b-123456789012")
    );
    assert_eq!(
        body["client"]["user_agent"],
        json!(concat!("productive-k3s/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(body["client"]["script"], json!("scripts/apply.sh"));
    assert!(body["sent_at"].as_str().unwrap().ends_with('Z'));

    // The other side of the rule: where `ubuntu` stands as a host, it is one.
    s.write(
        "host.json",
        "{\"hostname\": \"ubuntu\", \"ssh\": \"ssh://ubuntu:22\"}",
    );
    let run = s.run(&["check", "manifest.json", "host.json"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "host.json: $.hostname: listed identifier\nhost.json: $.ssh: listed identifier\n"
    );

    // A built event and a clean ready-made event (byte-for-byte) also pass untouched.
    s.run(&[
        "send",
        "event",
        "--name",
        "core.apply.single_node.completed",
        "--command",
        "apply",
        "--result",
        "success",
        "--field",
        "mode=single-node",
        "--field",
        "os=ubuntu",
    ])
    .ok();
    let ev = server.requests()[1].json();
    assert_eq!(ev["command"]["os"], json!("ubuntu"));
    assert_eq!(ev["event_name"], json!("core.apply.single_node.completed"));
    let raw = "{ \"event_id\": \"evt-7\",\n  \"event_name\": \"infra.nfs.ready\", \"n\": 1.50 }\n";
    s.write("event.json", raw);
    s.run(&["send", "event", "event.json"]).ok();
    assert_eq!(server.requests()[2].body, raw.as_bytes());
}

#[test]
fn a_dirty_ready_made_event_is_reserialized_and_keeps_its_key() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    s.write(
        "event.json",
        "{ \"event_id\": \"evt-9\", \"event_name\": \"infra.nfs.ready\",\n  \"export\": \"/srv/nfs\", \"n\": 1.50 }",
    );
    let run = s.run(&["send", "event", "event.json"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "pk3s-telemetry: redacted $.export (absolute path)\n"
    );
    let r = &server.requests()[0];
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        r#"{"event_id":"evt-9","event_name":"infra.nfs.ready","export":"[redacted]","n":1.50}"#
    );
    assert_eq!(r.header("idempotency-key"), Some("evt-9"));
}

#[test]
fn the_token_never_appears_in_any_output_file_or_payload() {
    let server = Server::start(vec![], Reply::Status(503));
    let (mut s, _, _) = seeded_sandbox(&server);
    s.set("TELEMETRY_MAX_RETRIES", "2");
    s.write(
        "event.json",
        &format!("{{\"event_id\": \"e-{TOKEN}\", \"auth\": \"{TOKEN}\"}}"),
    );
    let mut outputs = vec![];
    for privacy in ["redact", "off", "strict"] {
        s.set("TELEMETRY_PRIVACY", privacy);
        for args in [
            &["send", "manifest", "manifest.json"][..],
            &["send", "manifest", "manifest.json", "--dry-run"][..],
            &["send", "event", "event.json"][..],
            &["send", "event", "event.json", "--dry-run"][..],
            &[
                "send",
                "event",
                "--name",
                "x.y",
                "--field",
                &format!("t={TOKEN}"),
            ][..],
            &["check", "manifest.json", "event.json"][..],
        ] {
            let run = s.run(args);
            outputs.push((
                format!("{privacy}: {}", args.join(" ")),
                run.stdout + &run.stderr,
            ));
        }
    }
    for (args, out) in &outputs {
        assert!(!out.contains(TOKEN), "{args}: {out}");
    }
    let reqs = server.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert!(!String::from_utf8_lossy(&r.body).contains(TOKEN));
        let key = r.header("idempotency-key").unwrap();
        assert!(
            !key.contains(TOKEN),
            "the event_id held it: a new key is used"
        );
    }
    let kept = files_under(&s.outbox());
    assert!(!kept.is_empty(), "the 503s kept payloads");
    for f in kept {
        assert!(!fs::read_to_string(&f).unwrap().contains(TOKEN), "{f:?}");
    }
}

#[test]
fn consent_off_opens_no_connection_whatever_the_payload_holds() {
    let server = Server::start(vec![], Reply::Status(200));
    let (mut s, _, _) = seeded_sandbox(&server);
    for (enabled, privacy) in [("0", "strict"), ("0", "redact"), ("", "off")] {
        s.set("TELEMETRY_ENABLED", enabled)
            .set("TELEMETRY_PRIVACY", privacy);
        for args in [
            &["send", "manifest", "manifest.json"][..],
            &["send", "event", "manifest.json"][..],
            &[
                "send",
                "event",
                "--name",
                "core.apply.completed",
                "--field",
                "p=/srv",
            ][..],
        ] {
            let run = s.run(args);
            assert_eq!(
                (run.code, run.stdout.as_str(), run.stderr.as_str()),
                (0, "", ""),
                "{args:?}"
            );
        }
    }
    assert_eq!(server.connections(), 0, "the receiver saw no connection");
    assert!(!s.outbox().exists());
}

#[test]
fn an_unknown_privacy_mode_warns_and_redacts() {
    let server = Server::start(vec![], Reply::Status(200));
    let (mut s, _, expected) = seeded_sandbox(&server);
    s.set("TELEMETRY_PRIVACY", "paranoid");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert!(
        run.stderr.starts_with(
            "pk3s-telemetry: warning: TELEMETRY_PRIVACY=\"paranoid\" is not one of redact, strict, off; using redact\n"
        ),
        "{}",
        run.stderr
    );
    run.stderr_has(format!(
        "redacted {} identifiers: $.manifest",
        expected.len()
    ));
    assert_eq!(
        server.requests()[0].json()["manifest"]["nfs"]["export"],
        json!("[redacted]")
    );

    s.set("TELEMETRY_PRIVACY", "off");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    run.stderr_has("warning: TELEMETRY_PRIVACY=off");
    let body = server.requests()[1].json();
    assert_eq!(
        body["manifest"]["nfs"]["export"],
        json!("/srv/nfs/export"),
        "off sends as given"
    );
    assert_eq!(
        body["manifest"]["auth"],
        json!("[redacted]"),
        "except the token"
    );
}

#[test]
fn flush_guards_what_the_old_scripts_left_on_disk() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ob = s.outbox();
    fs::create_dir_all(&ob).unwrap();
    let legacy = r#"{"event_id":"evt-old-1","event_name":"infra.nfs.ready","export":"/srv/nfs/k3s","clients":"10.20.0.0/16"}"#;
    fs::write(ob.join("event-run-7-attempt-1.json"), legacy).unwrap();
    let run = s.run(&["flush"]);
    assert_eq!(run.code, 0, "{run:#?}");
    run.stderr_has("redacted 2 identifiers: $.export (absolute path), $.clients");
    let got = server.requests();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["export"], serde_json::json!("[redacted]"));
    assert_eq!(body["clients"], serde_json::json!("[redacted]"));
    assert_eq!(body["event_name"], serde_json::json!("infra.nfs.ready"));
    assert_eq!(got[0].header("idempotency-key"), Some("evt-old-1"));

    // Strict refuses it: nothing sent, kept apart with the reason.
    let mut strict = Sandbox::for_server(&server);
    strict.set("TELEMETRY_PRIVACY", "strict");
    let ob = strict.outbox();
    fs::create_dir_all(&ob).unwrap();
    fs::write(ob.join("event-run-8-attempt-1.json"), legacy).unwrap();
    let run = strict.run(&["flush"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(server.requests().len(), 1, "nothing more was sent");
    let rejected = files_under(&ob.join("rejected"));
    assert!(
        rejected.iter().any(|f| fs::read_to_string(f)
            .unwrap_or_default()
            .contains("refused=")),
        "{rejected:?}"
    );
}

#[test]
fn an_entry_kept_unchecked_is_cleaned_when_it_is_replayed() {
    let down = Server::start(vec![], Reply::Status(503));
    let mut s = Sandbox::for_server(&down);
    s.write(
        "m.json",
        r#"{"mode":"single-node","registry":"10.9.8.7:5000"}"#,
    );
    s.set("TELEMETRY_MAX_RETRIES", "1");

    // Kept by a guarded send: marked as cleaned.
    assert_eq!(s.run(&["send", "manifest", "m.json"]).code, 1);
    // Kept with the guard off: not marked, the address is still in it.
    s.set("TELEMETRY_PRIVACY", "off");
    assert_eq!(s.run(&["-q", "send", "manifest", "m.json"]).code, 1);
    let histories: Vec<String> = files_under(&s.outbox())
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "history"))
        .map(|f| fs::read_to_string(f).unwrap())
        .collect();
    assert_eq!(histories.len(), 2);
    assert_eq!(
        histories
            .iter()
            .filter(|h| h.contains("\nchecked=1\n"))
            .count(),
        1
    );

    let up = Server::start(vec![], Reply::Status(200));
    s.unset("TELEMETRY_PRIVACY");
    let run = s.run(&["flush", "--reroute", &up.url()]);
    assert_eq!(run.code, 0, "{run:#?}");
    let got = up.requests();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(
            r.json()["manifest"]["registry"],
            json!("[redacted]"),
            "{r:?}"
        );
    }
    assert_eq!(
        run.stderr.matches("redacted $.manifest.registry").count(),
        1,
        "only the unchecked entry is scanned again: {}",
        run.stderr
    );
}

/// `{"nodes": {"10.0.0.1": 1, …}}` with `n` identifier keys.
fn identifier_keys(n: u32) -> String {
    let keys: Vec<String> = (1..=n)
        .map(|i| format!("\"10.{}.{}.{}\":{i}", i >> 16 & 255, i >> 8 & 255, i & 255))
        .collect();
    format!("{{\"nodes\":{{{}}}}}", keys.join(","))
}

#[test]
fn guarding_is_linear_in_the_number_of_keys() {
    // A ratio, not an absolute time: 8 times the keys must cost well under 8² times
    // (redacting keys one by one against the others was quadratic: 160,000 took 21 s).
    // The best of a few runs each, so a busy machine does not decide.
    let s = Sandbox::new();
    s.write("small.json", &identifier_keys(10_000));
    s.write("large.json", &identifier_keys(80_000));
    let best = |file: &str, runs: usize| {
        (0..runs)
            .map(|_| {
                let run = s.run(&["check", file]);
                assert_eq!(run.code, 1, "{}", run.stderr);
                assert!(run.stdout.lines().count() >= 10_000);
                run.elapsed.as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let small = best("small.json", 3);
    let large = best("large.json", 2);
    let ratio = large / small;
    println!("10,000 keys: {small:.3} s; 80,000 keys: {large:.3} s; ratio {ratio:.1} (linear: 8)");
    assert!(ratio < 24.0, "8x the keys took {ratio:.1}x the time");
}

#[test]
fn event_names_are_data_and_a_malformed_one_is_refused() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    // Names that end in a word that is also a domain go out as given.
    for name in ["core.apply.local", "infra.smoke.test", "cli.install.dev"] {
        let run = s.run(&["send", "event", "--name", name]);
        run.ok();
        assert_eq!(run.stderr, "", "{name}");
    }
    let names: Vec<Value> = server
        .requests()
        .iter()
        .map(|r| r.json()["event_name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("core.apply.local"),
            json!("infra.smoke.test"),
            json!("cli.install.dev")
        ]
    );

    // A malformed name is refused in every mode, without echoing it.
    let mut s = Sandbox::for_server(&server);
    for privacy in ["redact", "strict", "off"] {
        s.set("TELEMETRY_PRIVACY", privacy);
        for name in ["ops@example.org", "core apply", "/srv/x", "a..b"] {
            let run = s.run(&["-q", "send", "event", "--name", name]);
            assert_eq!(run.code, 2, "{privacy} {name}: {run:#?}");
            run.stderr_has("event_name is not an event name");
            assert!(!run.stderr.contains(name), "{}", run.stderr);
        }
    }
    s.write(
        "event.json",
        r#"{"event_id": "e-1", "event_name": "deploy@nfs01", "n": 1}"#,
    );
    assert_eq!(s.run(&["send", "event", "event.json"]).code, 2);
    assert_eq!(server.requests().len(), 3, "nothing more was sent");
    assert!(!s.outbox().exists(), "nothing kept");
}

#[test]
fn contract_fields_are_checked_by_shape_and_replaced_whole_when_wrong() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_SOURCE_SCRIPT", "/home/jdoe/k3s/scripts/apply.sh")
        .set("TELEMETRY_SESSION_ID", "lab-node-07.lan")
        .set("TELEMETRY_RUN_ID", "20260101-120000-4242-1234512345");
    s.write("manifest.json", MANIFEST);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "pk3s-telemetry: redacted 2 identifiers: $.session_id (malformed contract field), \
         $.client.script (malformed contract field)\n"
    );
    let body = server.requests()[0].json();
    assert_eq!(body["session_id"], json!("[redacted]"));
    assert_eq!(body["client"]["script"], json!("[redacted]"));
    assert_eq!(body["run_id"], json!("20260101-120000-4242-1234512345"));
}

#[test]
fn reports_show_only_keys_the_guard_cleared() {
    let s = Sandbox::new();
    s.write(
        "a.json",
        r#"{"clusters": {"acme-prod-07": {"api": "10.1.2.3", "ok": "fine"}},
            "odd key": {"user": "jdoe"}, "nodes": {"web-01": {"role": "agent"}}}"#,
    );
    let run = s.run(&["check", "a.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(
        run.stdout,
        "a.json: $.clusters[key].api: ip address\n\
         a.json: $[key].user: user (by key)\n\
         a.json: $.nodes[\"[redacted]\"]: host (by key) (object key)\n"
    );
    for secret in ["acme-prod-07", "odd key", "web-01", "jdoe", "10.1.2.3"] {
        assert!(!run.stdout.contains(secret), "{secret}");
    }

    // The machine-readable form: one object per file, clean files included.
    s.write("clean.json", MANIFEST);
    let run = s.run(&[
        "check",
        "--format",
        "json",
        "clean.json",
        "a.json",
        "missing.json",
    ]);
    assert_eq!(run.code, 2, "{run:#?}");
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        json!({"file": "clean.json", "clean": true, "findings": []})
    );
    assert_eq!(lines[1]["clean"], json!(false));
    assert_eq!(
        lines[1]["findings"][0],
        json!({"document": 1, "path": "$.clusters[key].api", "kind": "ip address", "object_key": false})
    );
    assert_eq!(lines[1]["findings"][2]["object_key"], json!(true));
    assert_eq!(lines[2]["file"], json!("missing.json"));
    assert_eq!(lines[2]["clean"], Value::Null);
    assert!(lines[2]["error"].as_str().unwrap().contains("cannot read"));
}

#[test]
fn an_old_script_file_with_a_repeated_key_is_set_aside_never_sent_raw() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ob = s.outbox();
    fs::create_dir_all(&ob).unwrap();
    // A reader keeps the last "note"; the guard would see only that one.
    let legacy = r#"{"event_id":"evt-dup-1","event_name":"infra.nfs.ready","note":"/srv/nfs/secret","note":"ok"}"#;
    let old = ob.join("event-run-9-attempt-1.json");
    fs::write(&old, legacy).unwrap();
    // Old enough not to be a file the old script is still writing.
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let run = s.run(&["flush"]);
    assert_eq!(server.requests().len(), 0, "nothing sent: {run:#?}");
    run.stderr_has("is repeated");
    let aside = files_under(&ob.join("corrupt"));
    assert!(
        aside
            .iter()
            .any(|f| fs::read_to_string(f).unwrap_or_default() == legacy),
        "{aside:?}"
    );
}

#[test]
fn check_explain_names_the_rule_and_masks_every_identifier() {
    let s = Sandbox::new();
    s.write(
        "dirty.json",
        r#"{"notes": "node 10.0.0.5 joined nas01.lan", "password": "123456",
            "hostname": "mercury-07", "note": "deployed on mercury-07",
            "encoded": "MTkyLjE2OC4xLjIw"}"#,
    );
    s.write("clean.json", MANIFEST);
    let run = s.run(&["check", "--explain", "dirty.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(
        run.stdout,
        "dirty.json: $.notes: net.ipv4 (ip address): \"node [ip address] joined [infrastructure host name]\"\n\
         dirty.json: $.password: secret.by-key (secret): \"[secret]\"\n\
         dirty.json: $.hostname: host.by-key (host (by key)): \"[host (by key)]\"\n\
         dirty.json: $.encoded: net.ipv4 (ip address): \"[ip address]\"\n\
         dirty.json: $.note: guard.repeat (host (by key)): \"[host (by key)]\"\n"
    );
    for secret in ["10.0.0.5", "nas01", "123456", "mercury", "MTkyLjE2OC4xLjIw"] {
        assert!(!run.stdout.contains(secret), "{secret}");
    }
    let clean = s.run(&["check", "--explain", "clean.json"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
    let run = s.run(&[
        "check",
        "--explain",
        "--format",
        "json",
        "dirty.json",
        "clean.json",
    ]);
    assert_eq!(run.code, 1);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["findings"][1],
        json!({"document": 1, "path": "$.password", "kind": "secret", "object_key": false,
               "rule": "secret.by-key", "masked": "[secret]"})
    );
    assert_eq!(
        lines[1],
        json!({"file": "clean.json", "clean": true, "findings": []})
    );
}

#[test]
fn the_ways_around_the_guard_are_closed() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    // An id-shaped host as the session, a manifest whose run_id is an address, a string
    // that only starts like the marker, digits under a password key.
    s.set("TELEMETRY_SESSION_ID", "ip-172-31-44-5")
        .unset("TELEMETRY_RUN_ID");
    s.write(
        "m.json",
        r#"{"run_id": "10.1.2.3", "note": "[redacted-x] 10.9.8.7", "password": "123456",
            "pass": ["multipass", "onprem-basic"], "token": "[redacted]"}"#,
    );
    let run = s.run(&["send", "manifest", "m.json"]);
    run.ok();
    let body = server.requests()[0].json();
    assert_eq!(body["session_id"], json!("[redacted]"), "the send went on");
    assert_eq!(body["run_id"], json!("[redacted]"));
    assert_eq!(body["retry_of_run_id"], json!("[redacted]"));
    assert_eq!(body["manifest"]["run_id"], json!("[redacted]"));
    assert_eq!(body["manifest"]["note"], json!("[redacted]"));
    assert_eq!(body["manifest"]["password"], json!("[redacted]"));
    assert_eq!(
        body["manifest"]["pass"],
        json!(["multipass", "onprem-basic"])
    );
    assert_eq!(body["manifest"]["token"], json!("[redacted]"));
    let wire = String::from_utf8(server.requests()[0].body.clone()).unwrap();
    for leak in ["ip-172-31-44-5", "10.1.2.3", "10.9.8.7", "123456"] {
        assert!(!wire.contains(leak), "{leak} went out");
    }
}
