//! Hostile networks and bad input: every attempt ends at its deadline whatever a peer or a
//! proxy does, proxies work as curl's do (SOCKS too), failures name their cause, and bad
//! settings and inputs are exit 2 at once with one line.

use std::fs;
use std::io::Write;
use std::time::Duration;

use crate::harness::{Run, Sandbox, entries, mkfifo, refused_port};
use crate::hostile_net::{Raw, Socks};
use crate::server::{Cert, Proxy, Reply, Server, tls};

/// Process start and exit on a loaded machine, on top of the configured timeouts.
const SLACK: Duration = Duration::from_millis(500);

fn sandbox(url: &str) -> Sandbox {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", url)
        .set("TELEMETRY_MAX_RETRIES", "1")
        .set("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "5")
        .set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "1");
    s
}

fn send(s: &Sandbox) -> Run {
    s.run(&["-v", "send", "event", "--name", "probe"])
}

/// The history of the one entry kept in the outbox (not rejected).
fn kept_history(s: &Sandbox) -> String {
    let kept = entries(&s.outbox());
    assert_eq!(kept.len(), 1, "one entry kept for a later flush: {kept:?}");
    fs::read_to_string(kept[0].with_extension("history")).unwrap()
}

/// A CONNECT proxy that answers one byte every 50 ms, for ever.
fn trickling_proxy() -> Raw {
    Raw::start(|mut c| {
        c.read_head();
        c.trickle(
            b"HTTP/1.1 200 Connection established\r\nX-Slow: yes",
            Duration::from_millis(50),
        );
    })
}

#[test]
fn a_trickling_proxy_ends_the_attempt_at_the_request_timeout() {
    let proxy = trickling_proxy();
    let mut s = sandbox("http://127.0.0.1:9/telemetry");
    s.set("HTTP_PROXY", &format!("http://{}", proxy.addr));
    let run = send(&s);
    eprintln!("one attempt through a trickling proxy: {:?}", run.elapsed);
    assert_eq!(run.code, 1, "{run:#?}");
    // Connect timeout 5 s, request timeout 1 s: the request timeout is the attempt's.
    assert!(
        run.elapsed < Duration::from_secs(1) + SLACK,
        "{:?}",
        run.elapsed
    );
    run.stderr_has("timed out").stderr_has("HTTP_PROXY");
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn the_worst_case_of_a_send_is_attempts_times_timeout_plus_waits() {
    let proxy = trickling_proxy();
    let mut s = sandbox("https://localhost:9/telemetry");
    s.set("HTTPS_PROXY", &format!("http://{}", proxy.addr))
        .set("TELEMETRY_MAX_RETRIES", "3");
    let run = send(&s);
    assert_eq!(run.code, 1, "{run:#?}");
    let waits: f64 = run
        .stderr
        .lines()
        .filter_map(|l| l.split("retrying in ").nth(1))
        .filter_map(|w| w.trim_end_matches('s').parse::<f64>().ok())
        .sum();
    assert_eq!(
        run.stderr.matches("retrying in").count(),
        2,
        "{}",
        run.stderr
    );
    let bound = Duration::from_secs_f64(3.0 + waits + 0.1);
    eprintln!(
        "three attempts through a trickling proxy: {:?}, bound {bound:?}",
        run.elapsed
    );
    assert!(run.elapsed >= Duration::from_secs(3), "{:?}", run.elapsed);
    assert!(
        run.elapsed < bound + SLACK,
        "{:?} vs {bound:?}",
        run.elapsed
    );
    assert_eq!(proxy.connections(), 3);
}

#[test]
fn a_trickling_or_endless_or_silent_receiver_is_bounded() {
    let trickle = Raw::start(|mut c| {
        c.read_head();
        c.trickle(b"HTTP/1.1 200 OK\r\nX-A: b\r\n", Duration::from_millis(50));
    });
    let endless_head = Raw::start(|mut c| {
        c.read_head();
        let _ = c.stream.write_all(b"HTTP/1.1 200 OK\r\n");
        let line = b"X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        while !c.done() && c.stream.write_all(line).is_ok() {}
    });
    let tls_never = Raw::start(|mut c| {
        c.read_head();
        c.trickle(&[0x16, 0x03, 0x03], Duration::from_millis(100));
    });
    for (url, words) in [
        (
            trickle.http_url(),
            "timed out waiting for the receiver's answer",
        ),
        (endless_head.http_url(), "not valid HTTP"),
        (tls_never.https_url(), "timed out in the TLS handshake"),
    ] {
        let s = sandbox(&url);
        let run = send(&s);
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            run.elapsed < Duration::from_secs(1) + SLACK,
            "{url}: {:?}",
            run.elapsed
        );
        run.stderr_has(words);
        assert!(kept_history(&s).contains("attempts=1\n"));
    }
}

#[test]
fn an_invalid_answer_is_a_transient_failure_in_words() {
    let nonsense = Raw::start(|mut c| {
        c.read_head();
        let _ = c.stream.write_all(b"HTTP/1.1 2x0 Fine\r\n\r\n");
    });
    let s = sandbox(&nonsense.http_url());
    let run = send(&s);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has("not valid HTTP");
}

#[test]
fn plain_http_on_an_https_url_says_so_and_is_not_retried() {
    let plain = Raw::start(|mut c| {
        c.read_head();
        let _ = c
            .stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let mut s = sandbox(&plain.https_url());
    s.set("TELEMETRY_MAX_RETRIES", "3");
    let run = send(&s);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has("does not speak TLS");
    assert!(kept_history(&s).contains("attempts=1\n"));
}

#[test]
fn certificate_failures_name_the_cause_are_not_retried_and_keep_the_payload() {
    let (_, other_ca) = tls(Cert::Good);
    let (good, _) = tls(Cert::Good);
    let (wrong, wrong_ca) = tls(Cert::WrongName);
    let (expired, expired_ca) = tls(Cert::Expired);
    for (config, ca, words) in [
        (
            good,
            other_ca,
            "not trusted (unknown issuer): set SSL_CERT_FILE",
        ),
        (wrong, wrong_ca, "for another host name"),
        (expired, expired_ca, "has expired"),
    ] {
        let server = Server::start_with(vec![], Reply::Status(204), Some(config), false);
        let mut s = sandbox(&server.url());
        let ca = s.write("ca.pem", &ca);
        s.set("SSL_CERT_FILE", ca.to_str().unwrap())
            .set("TELEMETRY_MAX_RETRIES", "3");
        let run = send(&s);
        assert_eq!(run.code, 1, "{run:#?}");
        run.stderr_has(words);
        assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
        assert!(kept_history(&s).contains("attempts=1\n"));
        assert!(server.requests().is_empty());
    }
}

#[test]
fn a_bad_ssl_cert_file_is_exit_2() {
    let server = Server::start(vec![], Reply::Status(204));
    let mut s = sandbox("https://localhost:9/telemetry");
    let not_pem = s.write("not.pem", "hello");
    for (value, words) in [
        ("/nonexistent/ca.pem", "cannot read: No such file"),
        ("/", "not a regular file"),
        (not_pem.to_str().unwrap(), "holds no PEM certificate"),
    ] {
        s.set("SSL_CERT_FILE", value);
        let run = send(&s);
        assert_eq!(run.code, 2, "{run:#?}");
        run.stderr_has("SSL_CERT_FILE").stderr_has(words);
        assert!(!run.stderr.contains("os error"));
    }
    drop(server);
}

#[test]
fn socks_proxies_carry_the_request_as_curl_would() {
    let server = Server::start(vec![], Reply::Status(204));
    let socks = Socks::start();
    let port = server.addr.port();
    // socks5h and socks4a hand the name to the proxy; socks5 and socks4 resolve locally.
    for (var, scheme, target) in [
        ("ALL_PROXY", "socks5h", format!("localhost:{port}")),
        ("HTTP_PROXY", "socks5", format!("127.0.0.1:{port}")),
        ("http_proxy", "socks4a", format!("localhost:{port}")),
        ("all_proxy", "socks4", format!("127.0.0.1:{port}")),
    ] {
        let mut s = sandbox(&format!("http://localhost:{port}/telemetry"));
        s.set(var, &socks.url(scheme));
        let run = send(&s);
        assert_eq!(run.code, 0, "{scheme}: {run:#?}");
        assert_eq!(socks.targets().last(), Some(&target), "{scheme}");
    }
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn a_refused_or_refusing_proxy_is_named_without_its_credentials() {
    let refused = format!("http://user:s3cr3t@127.0.0.1:{}", refused_port());
    let mut s = sandbox("https://localhost:9/telemetry");
    s.set("HTTPS_PROXY", &refused);
    let run = send(&s);
    assert_eq!(run.code, 1, "{run:#?}");
    run.stderr_has("the proxy from HTTPS_PROXY failed: connection refused");
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    assert!(!kept_history(&s).contains("s3cr3t"));

    // A proxy that wants other credentials: stop at once, keep the payload.
    let auth = Raw::start(|mut c| {
        c.read_head();
        let _ = c
            .stream
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    });
    let mut s = sandbox("https://localhost:9/telemetry");
    s.set("HTTPS_PROXY", &format!("http://user:s3cr3t@{}", auth.addr))
        .set("TELEMETRY_MAX_RETRIES", "3");
    let run = send(&s);
    assert_eq!(run.code, 1, "{run:#?}");
    // The status once, with its reason (ureq words it "407/407").
    run.stderr_has(
        "the proxy from HTTPS_PROXY failed: responded 407 Proxy Authentication Required",
    );
    assert!(!run.stderr.contains("407/"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"));
    assert!(kept_history(&s).contains("attempts=1\n"));
}

#[test]
fn the_connect_proxy_still_works_and_unsupported_schemes_are_exit_2() {
    let server = Server::start(vec![], Reply::Status(204));
    let proxy = Proxy::start();
    let mut s = sandbox(&server.url());
    s.set("HTTP_PROXY", &proxy.url());
    assert_eq!(send(&s).code, 0);
    assert_eq!(proxy.targets().len(), 1);
    for value in ["ftp://u:s3cr3t@127.0.0.1:1", "gopher://h", "s3cr3t!://x"] {
        s.set("HTTP_PROXY", value);
        let run = send(&s);
        assert_eq!(run.code, 2, "{value}: {run:#?}");
        run.stderr_has("HTTP_PROXY").stderr_has("not supported");
        assert!(!run.stderr.contains("s3cr3t"));
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn settings_a_header_cannot_carry_are_exit_2_and_nothing_is_sent() {
    let server = Server::start(vec![], Reply::Status(204));
    let secret = "tok\u{7f}en-s3cr3t";
    for (name, value) in [
        ("TELEMETRY_USER_AGENT", "agent\u{1b}[31m"),
        ("TELEMETRY_USER_AGENT", "agent\r\nX-Evil: 1"),
        ("TELEMETRY_USER_AGENT", "agënt"),
        ("TELEMETRY_MARKER", "pk3s\tv1 "),
        ("TELEMETRY_MARKER", "märker"),
        ("TELEMETRY_BEARER_TOKEN", secret),
        ("TELEMETRY_BEARER_TOKEN", "s3cr3t with space"),
        ("TELEMETRY_BEARER_TOKEN", "s3cr3t-ünicode"),
    ] {
        let mut s = sandbox(&server.url());
        s.set(name, value);
        for args in [
            &["send", "event", "--name", "x"][..],
            &["send", "event", "--name", "x", "--dry-run"][..],
        ] {
            let run = s.run(args);
            assert_eq!(run.code, 2, "{name}={value:?}: {run:#?}");
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
            run.stderr_has(name);
            if !args.contains(&"--dry-run") {
                run.stderr_has("kept in");
            }
            assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
            assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
        }
        // The send (not the dry run) kept the payload for a flush with fixed settings.
        assert_eq!(entries(&s.outbox()).len(), 1, "{name}={value:?}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn bad_urls_and_empty_names_are_exit_2() {
    let s = sandbox("http://127.0.0.1:99999/telemetry");
    let run = send(&s);
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has("TELEMETRY_ENDPOINT").stderr_has("port");
    let s = sandbox("http://127.0.0.1:9/telemetry");
    for name in ["", "  "] {
        let run = s.run(&["send", "event", "--name", name, "--dry-run"]);
        assert_eq!(run.code, 2, "{run:#?}");
        run.stderr_has("--name");
    }
}

#[test]
fn only_regular_files_are_read_fifos_devices_directories_sockets_are_exit_2() {
    let s = sandbox("http://127.0.0.1:9/telemetry");
    let fifo = s.path("fifo.json");
    mkfifo(&fifo);
    let sock = s.path("sock.json");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let dir = s.path("dir.json");
    fs::create_dir_all(&dir).unwrap();
    for (path, what) in [
        (fifo.to_str().unwrap(), "a FIFO"),
        ("/dev/zero", "a device"),
        ("/dev/null", "a device"),
        (dir.to_str().unwrap(), "a directory"),
        (sock.to_str().unwrap(), "a socket"),
    ] {
        for args in [
            &["send", "event", path, "--dry-run"][..],
            &["send", "manifest", path][..],
            &["check", path][..],
        ] {
            let run = s.run(args);
            assert_eq!(run.code, 2, "{args:?}: {run:#?}");
            run.stderr_has(what).stderr_has("not a regular file");
            assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
        }
    }
    assert!(entries(&s.outbox()).is_empty());
}

#[test]
fn duplicate_keys_at_any_depth_are_exit_2_for_send_and_a_finding_for_check() {
    let s = sandbox("http://127.0.0.1:9/telemetry");
    s.write(
        "dup.json",
        r#"{"run_id":"r","nodes":[{"name":"n1"},{"name":"ok","host":"db1.corp.example","host":"x"}]}"#,
    );
    s.write(
        "odd.json",
        r#"{"a":{"my host":"h.corp.example","my host":"y"}}"#,
    );
    s.write("lines.json", "{\"a\":1}\n{\"b\":{\"c\":1,\"c\":2}}\n");
    for args in [
        &["send", "event", "dup.json", "--dry-run"][..],
        &["send", "manifest", "dup.json"][..],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{run:#?}");
        run.stderr_has("dup.json: duplicate key $.nodes[1].host");
        assert!(!run.stderr.contains("corp.example"), "{}", run.stderr);
    }
    let run = s.run(&["send", "event", "odd.json", "--dry-run"]);
    assert_eq!(run.code, 2);
    run.stderr_has("$.a[key 2]");
    assert!(!run.stderr.contains("my host") && !run.stderr.contains("corp"));

    let run = s.run(&["check", "dup.json", "odd.json", "lines.json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout
            .contains("dup.json: $.nodes[1].host: duplicate key"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("odd.json: $.a[key 2]: duplicate key"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("lines.json:2: $.b.c: duplicate key"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("my host"));
}

#[test]
fn printed_file_names_escape_control_characters() {
    let s = sandbox("http://127.0.0.1:9/telemetry");
    let name = "evil\u{1b}]0;owned\u{7}.json";
    fs::write(s.path(name), "[1]").unwrap();
    for args in [
        &["send", "event", name, "--dry-run"][..],
        &["check", "missing\u{1b}[2J"][..],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
        run.stderr_has("\\u{1b}");
    }
}

#[test]
fn attempt_counters_saturate_rather_than_wrap() {
    let refused = format!("http://127.0.0.1:{}/telemetry", refused_port());
    let s = sandbox(&refused);
    assert_eq!(send(&s).code, 1);
    let entry = entries(&s.outbox()).remove(0);
    let history = entry.with_extension("history");
    let text = fs::read_to_string(&history).unwrap();
    fs::write(
        &history,
        text.replace("attempts=1\n", "attempts=4294967295\n"),
    )
    .unwrap();
    let server = Server::start(vec![], Reply::Status(204));
    let run = s.run(&["flush", "--reroute", &server.url()]);
    assert_eq!(run.code, 0, "{run:#?}");
    let got = server.requests()[0].json();
    assert_eq!(got["delivery_attempt"], serde_json::json!(u32::MAX));
    assert_eq!(got["retry_attempt"], serde_json::json!(u32::MAX - 1));
}
