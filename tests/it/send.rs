//! `send`: payloads, headers, retries, the outbox write side, TLS, proxies, bad input, consent.

use std::fs;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{MANIFEST, Sandbox, entries, files_under, mode, refused_port};
use crate::server::{Proxy, Reply, Server, throwaway_tls};

const TOKEN: &str = "tok-SECRET-5f1e";

/// The keys every built payload starts with, in wire order.
const HEAD: [&str; 13] = [
    "schema_version",
    "event_family",
    "event_name",
    "event_id",
    "sent_at",
    "delivery_attempt",
    "retry_attempt",
    "is_retry",
    "retry_of_run_id",
    "session_id",
    "run_id",
    "parent_run_id",
    "component",
];

fn manifest_sandbox(server: &Server) -> Sandbox {
    let s = Sandbox::for_server(server);
    s.write("manifest.json", MANIFEST);
    s
}

#[test]
fn delivered_after_two_5xx_with_attempt_fields_and_one_key() {
    let server = Server::start(
        vec![Reply::Status(503), Reply::Status(502)],
        Reply::Status(200),
    );
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("TELEMETRY_SESSION_ID", "5e55a1e5e55a1001")
        .set("TELEMETRY_RUN_ID", "20260101-120000-1")
        .set("TELEMETRY_PARENT_RUN_ID", "20260101-115900-1")
        .set("TELEMETRY_COMPONENT", "infra")
        .set("TELEMETRY_EXIT_CODE", "3");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    run.ok();
    assert_eq!(run.stdout, "");
    // Written ahead of the first attempt, removed after the 2xx.
    assert_eq!(
        files_under(&s.outbox()),
        Vec::<std::path::PathBuf>::new(),
        "nothing is kept after delivery (but the record of it)"
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let expected = [(1, 0, false), (2, 1, true), (3, 2, true)];
    let first_id = reqs[0].json()["event_id"].clone();
    for (r, (attempt, retry, is_retry)) in reqs.iter().zip(expected) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/telemetry");
        let body = r.json();
        assert_eq!(body["delivery_attempt"], json!(attempt));
        assert_eq!(body["retry_attempt"], json!(retry));
        assert_eq!(body["is_retry"], json!(is_retry));
        // The run id on every attempt, as the scripts sent it.
        assert_eq!(body["retry_of_run_id"], json!("20260101-120000-1"));
        assert_eq!(body["event_id"], first_id, "event_id is fixed");
        assert_eq!(r.header("idempotency-key"), first_id.as_str());
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.header("x-productive-k3s-telemetry"),
            Some("pk3s-public-v1")
        );
        assert_eq!(
            r.header("user-agent"),
            Some(concat!("productive-k3s/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }

    let body = reqs[2].json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [&HEAD[..], &["client", "manifest", "telemetry_meta"]].concat()
    );
    assert_eq!(body["schema_version"], json!("1"));
    assert_eq!(body["event_family"], json!("install"));
    assert_eq!(body["event_name"], json!("apply.completed"));
    assert_eq!(body["session_id"], json!("5e55a1e5e55a1001"));
    assert_eq!(body["run_id"], json!("20260101-120000-1"));
    assert_eq!(body["parent_run_id"], json!("20260101-115900-1"));
    assert_eq!(body["component"], json!("infra"));
    assert_eq!(
        body["client"],
        json!({"repository": "productive-k3s", "script": "scripts/apply.sh",
               "user_agent": concat!("productive-k3s/", env!("CARGO_PKG_VERSION")),
               "telemetry_enabled": "true", "exit_code": 3})
    );
    assert_eq!(
        body["telemetry_meta"],
        json!({"delivery_mode": "best-effort", "anonymous_by_contract": true})
    );
    let sent_at = body["sent_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(sent_at, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{sent_at}"
    );
    // The manifest goes out unchanged: same keys in the same order, numbers as written.
    let wire = String::from_utf8(reqs[0].body.clone()).unwrap();
    let compact: Value = serde_json::from_str(MANIFEST).unwrap();
    assert!(
        wire.contains(&format!(
            "\"manifest\":{}",
            serde_json::to_string(&compact).unwrap()
        )),
        "{wire}"
    );
    assert!(wire.contains("\"ratio\":1.50"), "{wire}");
}

#[test]
fn exhausted_keeps_one_entry_without_the_token() {
    let server = Server::start(vec![], Reply::Status(503));
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(server.requests().len(), 3);
    assert!(
        run.stderr
            .contains("not delivered after 3 attempts (HTTP 503)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(TOKEN));

    let kept = entries(&s.outbox());
    assert_eq!(kept.len(), 1, "one entry per payload, not per attempt");
    assert_eq!(mode(&kept[0]), 0o600);
    assert_eq!(mode(&s.outbox()), 0o700);
    let all = files_under(&s.outbox());
    assert_eq!(
        all.len(),
        2,
        "the entry and its history, no debris: {all:?}"
    );
    for f in &all {
        let text = fs::read_to_string(f).unwrap();
        assert!(!text.contains(TOKEN), "{f:?} holds the token");
    }
    let entry: Value = serde_json::from_slice(&fs::read(&kept[0]).unwrap()).unwrap();
    let event_id = server.requests()[0].json()["event_id"].clone();
    assert_eq!(entry["event_id"], event_id);
    // The body as written ahead of the first attempt; the history counts the attempts.
    assert_eq!(entry["delivery_attempt"], json!(1));

    let history = fs::read_to_string(kept[0].with_extension("history")).unwrap();
    for line in [
        format!("event_id={}", event_id.as_str().unwrap()),
        "kind=built".to_string(),
        "state=kept".to_string(),
        "attempts=3".to_string(),
        "last_status=503".to_string(),
    ] {
        assert!(history.lines().any(|l| l == line), "{line} in {history}");
    }
    assert_eq!(
        history
            .lines()
            .filter(|l| l.starts_with("attempt="))
            .count(),
        3
    );
}

#[test]
fn a_400_is_permanent_one_attempt_kept_apart() {
    let server = Server::start(vec![], Reply::Status(400));
    let s = manifest_sandbox(&server);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1);
    assert_eq!(server.requests().len(), 1);
    run.stderr_has("rejected");
    assert!(entries(&s.outbox()).is_empty(), "not in the replay queue");
    let rejected = entries(&s.outbox().join("rejected"));
    assert_eq!(rejected.len(), 1);
    let history = fs::read_to_string(rejected[0].with_extension("history")).unwrap();
    assert!(history.contains("state=rejected\n") && history.contains("last_status=400\n"));
}

#[test]
fn a_redirect_is_not_followed_and_post_never_becomes_get() {
    let server = Server::start(
        vec![Reply::With(307, vec![("Location", "/elsewhere".into())])],
        Reply::Status(200),
    );
    let s = manifest_sandbox(&server);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "POST");
}

#[test]
fn answer_heads_up_to_32_kib_are_taken_and_longer_ones_refused_in_words() {
    // The connection's input buffer is 32 KiB: a head that fills it is an error with
    // words, not a stall or a "disconnected".
    let filler = |n: usize| Reply::With(200, vec![("X-Filler", "f".repeat(n))]);
    let server = Server::start(vec![filler(30_000), filler(40_000)], Reply::Status(200));
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert!(entries(&s.outbox()).is_empty());
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stderr_has("headers are too large");
    assert_eq!(entries(&s.outbox()).len(), 1);
}

#[test]
fn a_token_far_longer_than_the_spare_output_buffer_is_sent_whole() {
    // The output buffer is sized from the request's own head (an environment variable
    // holds at most 128 KiB).
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = manifest_sandbox(&server);
    let token = "t".repeat(100_000);
    s.set("TELEMETRY_BEARER_TOKEN", &token);
    s.run(&["send", "manifest", "manifest.json"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("Authorization"),
        Some(format!("Bearer {token}").as_str())
    );
}

#[test]
fn retry_after_429_is_waited_for_then_delivered() {
    let server = Server::start(
        vec![Reply::With(429, vec![("Retry-After", "2".into())])],
        Reply::Status(200),
    );
    let s = manifest_sandbox(&server);
    s.run(&["send", "manifest", "manifest.json"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(1900), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(4), "waited {gap:?}");
}

#[test]
fn a_retry_after_beyond_the_cap_keeps_the_payload_at_once() {
    let server = Server::start(
        vec![Reply::With(503, vec![("Retry-After", "3600".into())])],
        Reply::Status(200),
    );
    let s = manifest_sandbox(&server);
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1);
    assert_eq!(server.requests().len(), 1);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    assert_eq!(entries(&s.outbox()).len(), 1);
}

#[test]
fn a_hanging_server_is_given_up_on_within_the_bound() {
    let server = Server::start(vec![], Reply::Hang);
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "1")
        .set("TELEMETRY_MAX_RETRIES", "2");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1);
    assert_eq!(server.requests().len(), 2);
    // attempts × request timeout + the one wait (at most 0.5 s), plus process slack.
    assert!(run.elapsed >= Duration::from_secs(2), "{:?}", run.elapsed);
    assert!(
        run.elapsed < Duration::from_millis(3500),
        "{:?}",
        run.elapsed
    );
    let history = fs::read_to_string(entries(&s.outbox())[0].with_extension("history")).unwrap();
    assert!(history.contains("last_error=timed out"), "{history}");
}

#[test]
fn a_refused_port_is_retried_then_kept() {
    let mut s = Sandbox::new();
    s.write("manifest.json", MANIFEST);
    s.set("TELEMETRY_ENABLED", "yes")
        .set(
            "TELEMETRY_ENDPOINT",
            &format!("http://127.0.0.1:{}/telemetry", refused_port()),
        )
        .set("TELEMETRY_MAX_RETRIES", "2");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    let history = fs::read_to_string(entries(&s.outbox())[0].with_extension("history")).unwrap();
    assert!(history.contains("attempts=2\n"), "{history}");
    assert!(
        history.contains("last_error=connection refused"),
        "{history}"
    );
}

#[test]
fn a_dropped_connection_is_retried() {
    let server = Server::start(vec![Reply::Drop], Reply::Status(204));
    let s = manifest_sandbox(&server);
    s.run(&["send", "manifest", "manifest.json"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].json()["delivery_attempt"], json!(2));
}

#[test]
fn max_retries_bogus_warns_naming_the_value_and_uses_3() {
    let server = Server::start(vec![], Reply::Status(500));
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_MAX_RETRIES", "bogus");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1);
    run.stderr_has("TELEMETRY_MAX_RETRIES=\"bogus\"");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn tls_with_a_throwaway_ca_through_ssl_cert_file() {
    let (config, ca_pem) = throwaway_tls();
    let server = Server::start_with(vec![], Reply::Status(200), Some(config), false);
    let mut s = manifest_sandbox(&server);
    let ca = s.write("ca.pem", &ca_pem);
    let empty = s.path("no-certs");
    fs::create_dir_all(&empty).unwrap();
    s.set("TELEMETRY_MAX_RETRIES", "1")
        .set("SSL_CERT_DIR", empty.to_str().unwrap());

    // Without the CA the certificate is not trusted: the check is real.
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(server.requests().is_empty());

    s.set("SSL_CERT_FILE", ca.to_str().unwrap());
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn https_goes_through_https_proxy_and_no_proxy_bypasses_it() {
    let (config, ca_pem) = throwaway_tls();
    let server = Server::start_with(vec![], Reply::Status(200), Some(config), false);
    let proxy = Proxy::start();
    let mut s = manifest_sandbox(&server);
    let ca = s.write("ca.pem", &ca_pem);
    s.set("SSL_CERT_FILE", ca.to_str().unwrap())
        .set("HTTPS_PROXY", &proxy.url());
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(
        proxy.targets(),
        [format!("CONNECT localhost:{}", server.addr.port())]
    );
    assert_eq!(server.requests().len(), 1);

    // NO_PROXY entries are trimmed, as curl does.
    s.set("NO_PROXY", " example.com , localhost ");
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(proxy.targets().len(), 1, "bypassed");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn http_uses_http_proxy_either_case_and_not_for_https() {
    let server = Server::start(vec![], Reply::Status(200));
    let proxy = Proxy::start();
    let mut s = manifest_sandbox(&server);
    s.set("http_proxy", &proxy.url());
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(proxy.targets().len(), 1);

    s.unset("http_proxy").set("HTTP_PROXY", &proxy.url());
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(proxy.targets().len(), 2);

    // An https proxy setting does not apply to an http endpoint (curl's rule).
    s.unset("HTTP_PROXY").set("HTTPS_PROXY", &proxy.url());
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(proxy.targets().len(), 2);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn an_http_endpoint_goes_to_the_proxy_in_absolute_form_as_curl_sends_it() {
    let server = Server::start(vec![], Reply::Status(200));
    let proxy = Proxy::start();
    let mut s = manifest_sandbox(&server);
    // Credentials in the proxy URL (percent-encoded) go in Proxy-Authorization only.
    s.set(
        "HTTP_PROXY",
        &format!("http://us%40er:p%3Ass@{}", proxy.addr),
    );
    s.run(&["send", "manifest", "manifest.json"]).ok();
    let got = proxy.requests();
    assert_eq!(got.len(), 1, "{:?}", proxy.targets());
    assert_eq!(
        (got[0].method.as_str(), got[0].target.as_str()),
        ("POST", server.url().as_str())
    );
    assert_eq!(
        got[0].header("Proxy-Authorization"),
        Some("Basic dXNAZXI6cDpzcw=="),
        "us@er:p:ss"
    );
    let authority = format!("127.0.0.1:{}", server.addr.port());
    assert_eq!(got[0].header("Host"), Some(authority.as_str()));
    // The receiver got it from the proxy in origin form, without the proxy's credentials.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].target, "/telemetry");
    assert_eq!(reqs[0].header("Proxy-Authorization"), None);

    // A flush replays over one kept-alive connection to the proxy: every request on it is
    // in absolute form (the proxy answers an origin-form one with 400).
    s.set(
        "TELEMETRY_ENDPOINT",
        &format!("http://127.0.0.1:{}/telemetry", refused_port()),
    )
    .set("TELEMETRY_MAX_RETRIES", "1");
    s.unset("HTTP_PROXY");
    for _ in 0..3 {
        assert_eq!(s.run(&["send", "manifest", "manifest.json"]).code, 1);
    }
    // Written for the refused port: re-routed to the receiver by the operator's choice.
    s.set("TELEMETRY_ENDPOINT", &server.url())
        .set("HTTP_PROXY", &proxy.url());
    s.run(&["flush", "--reroute", &server.url()]).ok();
    let got = proxy.requests();
    assert_eq!(got.len(), 4, "{:?}", proxy.targets());
    for r in &got[1..] {
        assert_eq!(
            (r.method.as_str(), r.target.as_str()),
            ("POST", server.url().as_str())
        );
        assert_eq!(r.connection, got[1].connection, "one connection");
        assert_eq!(
            r.header("Proxy-Authorization"),
            None,
            "no credentials given"
        );
    }
    assert_eq!(server.requests().len(), 4);
    assert!(entries(&s.outbox()).is_empty());

    // A body larger than what a connection holds back (64 KiB) leaves in several writes:
    // only the request line is rewritten, and the body arrives whole.
    let log = "step ok ".repeat(20_000);
    s.write(
        "big.json",
        &format!(r#"{{"mode":"single-node","log":"{log}"}}"#),
    );
    s.run(&["send", "manifest", "big.json"]).ok();
    let last = proxy.requests().pop().unwrap();
    assert_eq!(last.target, server.url());
    assert_eq!(
        server.requests().pop().unwrap().json()["manifest"]["log"],
        json!(log)
    );

    // A proxy that cannot be reached is named, by its variable.
    s.set(
        "HTTP_PROXY",
        &format!("http://127.0.0.1:{}", refused_port()),
    );
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has("the proxy from HTTP_PROXY failed: connection refused");
}

#[test]
fn bad_input_is_exit_2_with_one_line_and_nothing_sent() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = manifest_sandbox(&server);
    s.write("broken.json", "{\"a\": ");
    s.write("array.json", "[1, 2]");
    s.write("two.json", "{} {}");
    // 2 MiB of nested arrays would take about 300 MB once parsed: refused before that.
    s.write(
        "deep.json",
        &format!(
            "{{\"a\":[{}]}}",
            vec![format!("{}{}", "[".repeat(100), "]".repeat(100)); 10_000].join(",")
        ),
    );
    fs::create_dir_all(s.path("adir")).unwrap();
    // Our own errors are one line naming the culprit; clap's usage errors start with one.
    let cases: &[(&[&str], &str)] = &[
        (
            &["send", "manifest", "missing.json"],
            "missing.json: cannot read: No such file",
        ),
        (
            &["send", "manifest", "adir"],
            "adir: a directory, not a regular file",
        ),
        (
            &["send", "manifest", "broken.json"],
            "broken.json: invalid JSON",
        ),
        (
            &["send", "manifest", "array.json"],
            "array.json: expected a JSON object, found an array",
        ),
        (&["send", "event", "two.json"], "two.json: invalid JSON"),
        (
            &["send", "manifest", "deep.json"],
            "deep.json: more than 100000 objects and arrays",
        ),
        (
            &["check", "deep.json"],
            "deep.json: more than 100000 objects and arrays",
        ),
        (
            &["send", "event", "array.json"],
            "array.json: expected a JSON object",
        ),
        (
            &["send", "manifest", "manifest.json", "--exit-code", "x"],
            "--exit-code: \"x\" is not a whole number",
        ),
        (
            &["send", "event", "--name", "a.b", "--field", "novalue"],
            "--field \"novalue\": expected K=V",
        ),
        (
            &[
                "send",
                "manifest",
                "manifest.json",
                "--endpoint",
                "ftp://127.0.0.1/x",
            ],
            "--endpoint: \"ftp://127.0.0.1/x\" is not an http or https URL",
        ),
    ];
    for (args, expected) in cases {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("pk3s-telemetry: error: "),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    let usage: &[(&[&str], &str)] = &[
        (
            &["send", "manifest", "manifest.json", "--bogus"],
            "error: unexpected argument '--bogus'",
        ),
        (
            &["send", "event"],
            "error: the following required arguments",
        ),
        (&["send"], "Usage: pk3s-telemetry send"),
    ];
    for (args, expected) in usage {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    let mut bad_env = manifest_sandbox(&server);
    bad_env.set("TELEMETRY_ENDPOINT", "file:///etc/passwd");
    let run = bad_env.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("TELEMETRY_ENDPOINT: \"file:///etc/passwd\""),
        "{}",
        run.stderr
    );
    assert_eq!(server.connections(), 0);
    assert!(!s.outbox().exists());
}

#[test]
fn stdin_is_read_with_a_dash() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    s.run_with_stdin(&["send", "manifest", "-"], Some(MANIFEST.as_bytes()))
        .ok();
    assert_eq!(
        server.requests()[0].json()["manifest"]["mode"],
        json!("single-node")
    );
    let run = s.run_with_stdin(&["send", "manifest", "-"], Some(b"nope"));
    assert_eq!(run.code, 2);
    run.stderr_has("standard input: invalid JSON");
}

#[test]
fn consent_off_sends_nothing_and_writes_nothing() {
    let server = Server::start(vec![], Reply::Status(200));
    for (enabled, dnt) in [
        (Some("0"), None),
        (None, Some("1")),
        (None, None),
        (Some("off"), Some("1")),
        (Some("maybe"), None),
    ] {
        let mut s = manifest_sandbox(&server);
        s.unset("TELEMETRY_ENABLED");
        if let Some(v) = enabled {
            s.set("TELEMETRY_ENABLED", v);
        }
        if let Some(v) = dnt {
            s.set("DO_NOT_TRACK", v);
        }
        let run = s.run(&["send", "manifest", "manifest.json"]);
        assert_eq!(run.code, 0, "{enabled:?} {dnt:?}: {run:#?}");
        assert_eq!(run.stdout, "");
        assert!(!s.outbox().exists());
        let run = s.run(&["send", "event", "--name", "core.apply.completed"]);
        assert_eq!(run.code, 0);
    }
    assert_eq!(server.connections(), 0, "the receiver saw nothing");

    // TELEMETRY_ENABLED, when set, outranks DO_NOT_TRACK.
    let mut s = manifest_sandbox(&server);
    s.set("DO_NOT_TRACK", "1");
    s.run(&["send", "manifest", "manifest.json"]).ok();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn an_empty_endpoint_means_nothing_is_sent() {
    let mut s = Sandbox::new();
    s.write("manifest.json", MANIFEST);
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "");
    let run = s.run(&["send", "manifest", "manifest.json"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(!s.outbox().exists());
}

#[test]
fn dry_run_prints_the_request_with_the_token_masked_and_touches_nothing() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = manifest_sandbox(&server);
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN);
    let run = s.run(&["send", "manifest", "manifest.json", "--dry-run"]);
    run.ok();
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    let (head, body) = run.stdout.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(
        lines.next(),
        Some(format!("POST {}", server.url()).as_str())
    );
    let headers: Vec<&str> = lines.collect();
    assert!(
        headers.contains(&"Authorization: Bearer ********"),
        "{headers:?}"
    );
    assert!(headers.contains(&"Content-Type: application/json"));
    assert!(headers.contains(&"X-Productive-K3S-Telemetry: pk3s-public-v1"));
    let body: Value = serde_json::from_str(body.trim()).unwrap();
    assert!(
        headers
            .contains(&format!("Idempotency-Key: {}", body["event_id"].as_str().unwrap()).as_str())
    );
    assert_eq!(body["manifest"]["os"]["version_id"], json!("24.04"));
    assert_eq!(server.connections(), 0);
    assert!(!s.outbox().exists());
}

#[test]
fn a_built_event_has_the_contract_shape() {
    let server = Server::start(vec![], Reply::Status(202));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_SESSION_ID", "5e55a1e5e55a1009")
        .set("TELEMETRY_COMPONENT", "cli");
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
        "duration_seconds=42",
    ])
    .ok();
    let r = &server.requests()[0];
    let body = r.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [&HEAD[..], &["command", "client", "telemetry_meta"]].concat()
    );
    assert_eq!(body["event_family"], json!("usage"));
    assert_eq!(
        body["event_name"],
        json!("core.apply.single_node.completed")
    );
    assert_eq!(body["session_id"], json!("5e55a1e5e55a1009"));
    assert_eq!(body["component"], json!("cli"));
    assert_eq!(body["parent_run_id"], json!(""));
    assert_eq!(
        body["command"],
        json!({"name": "apply", "result": "success", "mode": "single-node", "duration_seconds": "42"})
    );
    assert_eq!(
        body["client"],
        json!({"repository": "productive-k3s", "script": "scripts/apply.sh", "telemetry_enabled": "true"})
    );
    assert_eq!(r.header("idempotency-key"), body["event_id"].as_str());
    assert_eq!(body["run_id"].as_str().unwrap().len(), 36, "a new run id");
}

#[test]
fn a_ready_made_event_goes_out_byte_for_byte() {
    let server = Server::start(vec![Reply::Status(500)], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let text = "{ \"event_id\": \"evt-42\",\n  \"event_name\": \"infra.nfs.ready\", \"n\": 1.0 }\n";
    s.write("event.json", text);
    s.run(&["send", "event", "event.json"]).ok();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.body, text.as_bytes());
        assert_eq!(r.header("idempotency-key"), Some("evt-42"));
    }
}

#[test]
fn correlation_flags_override_their_variables_and_the_manifest_names_its_run() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.write(
        "manifest.json",
        r#"{"run_id": "20260101-120000-manifest", "mode": "single-node"}"#,
    );
    // No TELEMETRY_RUN_ID: the manifest's own run_id is the run id (as upstream uses it).
    s.unset("TELEMETRY_RUN_ID")
        .unset("TELEMETRY_SESSION_ID")
        .unset("TELEMETRY_PARENT_RUN_ID");
    s.run(&["send", "manifest", "manifest.json"]).ok();
    // TELEMETRY_RUN_ID beats the manifest; every flag beats its variable.
    s.set("TELEMETRY_RUN_ID", "20260101-120000-env")
        .set("TELEMETRY_SESSION_ID", "5e55e00000000e00")
        .set("TELEMETRY_COMPONENT", "core");
    s.run(&["send", "manifest", "manifest.json"]).ok();
    s.run(&[
        "send",
        "event",
        "--name",
        "infra.command.started",
        "--component",
        "infra",
        "--session-id",
        "5e55f1a900000000",
        "--run-id",
        "20260101-120000-flag",
        "--parent-run-id",
        "20260101-115900-flag",
    ])
    .ok();
    let got: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
    let ids = |b: &Value| {
        [
            "run_id",
            "retry_of_run_id",
            "session_id",
            "parent_run_id",
            "component",
        ]
        .map(|k| b[k].as_str().unwrap_or("<not a string>").to_string())
    };
    assert_eq!(
        ids(&got[0]),
        [
            "20260101-120000-manifest",
            "20260101-120000-manifest",
            "",
            "",
            "core"
        ]
    );
    assert_eq!(
        ids(&got[1]),
        [
            "20260101-120000-env",
            "20260101-120000-env",
            "5e55e00000000e00",
            "",
            "core"
        ]
    );
    assert_eq!(
        ids(&got[2]),
        [
            "20260101-120000-flag",
            "20260101-120000-flag",
            "5e55f1a900000000",
            "20260101-115900-flag",
            "infra"
        ]
    );
    // The manifest itself goes out unchanged.
    assert_eq!(
        got[1]["manifest"]["run_id"],
        json!("20260101-120000-manifest")
    );
}

#[test]
fn correlation_flags_are_refused_for_a_ready_made_event_and_when_empty() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    s.write("event.json", r#"{"event_name": "a.b"}"#);
    s.run(&["send", "event", "event.json", "--run-id", "r"])
        .code_is(2)
        .stderr_has("--run-id applies to built events");
    s.run(&["send", "event", "--name", "a.b", "--session-id", ""])
        .code_is(2);
    assert_eq!(server.requests().len(), 0);
}
