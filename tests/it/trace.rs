//! `-vv` shows each attempt's request line and headers and the answer's status line and
//! headers, as `curl -v` does, on stderr, and never the token.

use crate::harness::Sandbox;
use crate::server::{Reply, Server};

const TOKEN: &str = "tok-3f9a1c";

/// The `> ` lines of stderr, one block per request, without the markers.
fn requests(stderr: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("> ") {
            if rest.starts_with("POST ") {
                blocks.push(Vec::new());
            }
            if let Some(b) = blocks.last_mut() {
                b.push(rest.to_string());
            }
        }
    }
    blocks
}

#[test]
fn vv_shows_each_request_and_answer_as_they_went_and_masks_the_token() {
    let server = Server::start(
        vec![
            Reply::Status(503),
            Reply::With(202, vec![("X-Echo", format!("Bearer {TOKEN}"))]),
        ],
        Reply::Status(200),
    );
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN);
    let run = s.run(&["-vv", "send", "event", "--name", "core.apply.completed"]);
    run.ok();
    assert!(
        !run.stderr.contains(TOKEN),
        "never the token: {}",
        run.stderr
    );
    let sent = requests(&run.stderr);
    assert_eq!(sent.len(), 2, "one block per attempt: {}", run.stderr);
    let got = server.requests();
    for (block, req) in sent.iter().zip(&got) {
        assert_eq!(block[0], format!("POST {} HTTP/1.1", req.target));
        // Each header shown is the one that arrived (the token masked).
        for line in &block[1..] {
            let (name, value) = line.split_once(": ").unwrap();
            let arrived = req
                .header(name)
                .unwrap_or_else(|| panic!("{name} did not arrive"));
            if name == "authorization" {
                assert_eq!(value, "Bearer ********");
                assert_eq!(arrived, format!("Bearer {TOKEN}"));
            } else {
                assert_eq!(value, arrived, "{name}");
            }
        }
        for wanted in ["host", "idempotency-key", "content-length", "user-agent"] {
            assert!(
                block.iter().any(|l| l.starts_with(&format!("{wanted}: "))),
                "{wanted}: {block:?}"
            );
        }
    }
    run.stderr_has("< HTTP/1.1 503 Service Unavailable\n")
        .stderr_has("< HTTP/1.1 202 Accepted\n")
        .stderr_has("< x-echo: Bearer ********\n");
    // The exchange comes before the attempt's own line.
    let at = |s: &str| run.stderr.find(s).unwrap();
    assert!(at("< HTTP/1.1 503") < at("attempt 1: HTTP 503"));
}

#[test]
fn one_v_and_none_show_no_exchange_and_flush_shows_one_per_entry() {
    let server = Server::start(vec![Reply::Status(500)], Reply::Status(200));
    let mut s = Sandbox::for_server(&server);
    s.set("TELEMETRY_MAX_RETRIES", "1");
    let run = s.run(&["-v", "send", "event", "--name", "a.b"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(!run.stderr.contains("> POST"), "{}", run.stderr);
    assert!(!run.stderr.contains("< HTTP"), "{}", run.stderr);
    s.run(&["send", "event", "--name", "a.c"]).ok();
    let quiet = s.run(&["send", "event", "--name", "a.d"]);
    assert!(!quiet.stderr.contains("> POST"));
    // One kept entry, replayed by a flush under -vv.
    let run = s.run(&["flush", "-vv"]);
    run.ok();
    assert_eq!(requests(&run.stderr).len(), 1, "{}", run.stderr);
    run.stderr_has("< HTTP/1.1 200 OK\n");
}
