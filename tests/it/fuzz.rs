//! Nothing aborts: thousands of mutated inputs (JSON files for `send --dry-run` and
//! `check`), settings (environment values) and server answers (mutated status lines,
//! headers and bodies from a loopback server), each run ending in 0, 1 or 2, never by a
//! signal. A few seconds by default; PK3S_FUZZ_SCALE=N runs N times as many, and
//! PK3S_FUZZ_SEED=S repeats a run (the seed is printed when a case fails).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::harness::{MANIFEST, Run, Sandbox};
use crate::hostile_net::Raw;

/// A small xorshift generator: reproducible from its seed, no crate needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("PK3S_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        })
}

fn scale() -> usize {
    std::env::var("PK3S_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\\",
    "\\u0000",
    "\\ud800",
    "\u{1b}[2J",
    "\u{0}",
    "\u{7f}",
    "1e999999",
    "-0",
    "0.0000000000000000000000000001",
    "18446744073709551616",
    "true",
    "null",
    "\"a\":1,",
    "\"run_id\":\"x\",",
    "\"event_id\":\"e\\n1\",",
    "\"h\":\"db1.corp.example\",",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "\u{feff}",
    "é",
    "\u{10ffff}",
    "/home/user/x",
    "\"delivery_attempt\":4294967296,",
];

/// One mutation of `base`: flips, inserts, deletions and repeats of byte ranges.
fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = rng.pick(TOKENS).as_bytes().to_vec();
                b.splice(at..at, t);
            }
            2 if !b.is_empty() => {
                let end = (at + rng.below(16)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + rng.below(64)).min(b.len());
                let piece = b[at.min(end)..end].to_vec();
                b.splice(at..at, piece);
            }
            _ => {
                let t = [rng.next() as u8];
                b.splice(at..at, t);
            }
        }
    }
    b
}

#[track_caller]
fn no_crash(run: &Run, what: &str, seed: u64) {
    assert!(
        matches!(run.code, 0..=2),
        "seed {seed}: {what}: exit {} (a signal is -1)\n{run:#?}",
        run.code
    );
    assert!(
        !run.stderr.contains("panicked"),
        "seed {seed}: {what}: {}",
        run.stderr
    );
}

#[test]
fn mutated_json_files_never_crash_send_or_check() {
    let seed = seed();
    let mut rng = Rng(seed);
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "http://127.0.0.1:9/telemetry");
    let bases: Vec<Vec<u8>> = vec![
        MANIFEST.as_bytes().to_vec(),
        br#"{"event_id":"e-1","a":[1,2,{"b":null}],"c":{"d":"x"}}"#.to_vec(),
        b"{\"a\":1}\n{\"b\":[true,false]}\n".to_vec(),
    ];
    // check: many files per process.
    let files = 1200 * scale();
    let mut batch = Vec::new();
    for n in 0..files {
        let name = format!("in/{n}.json");
        let base = &bases[rng.below(bases.len())];
        let body = mutate(&mut rng, base);
        std::fs::create_dir_all(s.path("in")).unwrap();
        std::fs::write(s.path(&name), &body).unwrap();
        batch.push(name);
        if batch.len() == 300 || n + 1 == files {
            let mut args = vec!["check"];
            args.extend(batch.iter().map(String::as_str));
            no_crash(&s.run(&args), "check", seed);
            batch.clear();
        }
    }
    // send --dry-run: one file per process.
    for n in 0..(120 * scale()) {
        let name = format!("in/{n}.json");
        let kind = if n % 2 == 0 { "event" } else { "manifest" };
        let run = s.run(&["send", kind, &name, "--dry-run"]);
        no_crash(&run, &format!("send {kind} {name}"), seed);
    }
}

const SETTINGS: &[&str] = &[
    "TELEMETRY_ENABLED",
    "TELEMETRY_ENDPOINT",
    "TELEMETRY_MARKER",
    "TELEMETRY_BEARER_TOKEN",
    "TELEMETRY_MAX_RETRIES",
    "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
    "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
    "TELEMETRY_USER_AGENT",
    "TELEMETRY_SESSION_ID",
    "TELEMETRY_RUN_ID",
    "TELEMETRY_COMPONENT",
    "TELEMETRY_EXIT_CODE",
    "TELEMETRY_OUTBOX_MAX_ENTRIES",
    "TELEMETRY_PRIVACY",
    "DO_NOT_TRACK",
    "HTTPS_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
];

const VALUES: &[&str] = &[
    "",
    " ",
    "1",
    "0",
    "-1",
    "4294967296",
    "1e308",
    "NaN",
    "inf",
    "0.0001",
    "yes",
    "strict",
    "http://127.0.0.1:9/t",
    "https://[::1]:99999/",
    "http://u:p@127.0.0.1/",
    "ftp://x",
    "socks5://127.0.0.1:1",
    "socks5h://u:p@[::1]:1",
    "socks://",
    "http://",
    "https://:0",
    "*",
    ".example,10.0.0.0/99,[::1]/200",
    "/dev/zero",
    "/",
    "/nonexistent",
    "productive-k3s/1",
    "x\u{1b}y",
    "tok en",
    "ü",
    "\u{7f}",
    "a\tb",
];

/// A value built from the list, sometimes mutated or doubled (never with a NUL, which
/// no environment can hold).
fn value(rng: &mut Rng) -> String {
    let base = rng.pick(VALUES).to_string();
    let v = match rng.below(4) {
        0 => String::from_utf8_lossy(&mutate(rng, base.as_bytes())).into_owned(),
        1 => format!("{base}{}", rng.pick(VALUES)),
        _ => base,
    };
    v.replace('\0', "")
}

#[test]
fn mutated_settings_never_crash_any_command() {
    let seed = seed();
    let mut rng = Rng(seed.wrapping_add(1));
    for n in 0..(150 * scale()) {
        let mut s = Sandbox::new();
        s.write("m.json", MANIFEST);
        s.set("TELEMETRY_ENABLED", "1");
        let mut set = Vec::new();
        for _ in 0..=rng.below(4) {
            let name = *rng.pick(SETTINGS);
            let v = value(&mut rng);
            // Never a real network: anything that could leave loopback is a dry run.
            set.push(format!("{name}={v:?}"));
            s.set(name, &v);
        }
        let real = n % 6 == 5;
        if real {
            // A real send, on loopback only: a fixed endpoint and loopback proxies.
            let proxy = *rng.pick(&[
                "",
                "socks5://127.0.0.1:1",
                "socks4a://u:p@[::1]:1",
                "http://127.0.0.1:1",
            ]);
            let refused = crate::harness::refused_port();
            s.set(
                "TELEMETRY_ENDPOINT",
                &format!("http://127.0.0.1:{refused}/t"),
            )
            .set("TELEMETRY_MAX_RETRIES", "1")
            .set("HTTPS_PROXY", proxy)
            .set("http_proxy", proxy)
            .set("ALL_PROXY", proxy)
            .unset("NO_PROXY");
        }
        let args: &[&str] = match n % 6 {
            0 => &["send", "event", "--name", "x", "--dry-run"],
            5 => &["send", "event", "--name", "x"],
            1 => &["send", "manifest", "m.json", "--dry-run"],
            2 => &["resolve", "--format", "json"],
            3 => &["env"],
            _ => &["check", "m.json"],
        };
        no_crash(&s.run(args), &format!("{args:?} with {set:?}"), seed);
    }
}

const STATUS_LINES: &[&str] = &[
    "HTTP/1.1 204 No Content\r\n",
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.1 503 Busy\r\n",
    "HTTP/1.1 429 Slow down\r\n",
    "HTTP/1.1 307 Elsewhere\r\n",
    "HTTP/1.0 200\r\n",
    "HTTP/1.1 99999 Odd\r\n",
    "HTTP/9 200 OK\r\n",
    "\r\n",
];

const HEADERS: &[&str] = &[
    "Content-Length: 3\r\n",
    "Content-Length: 99999999999999999999\r\n",
    "Content-Length: -1\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Retry-After: 1\r\n",
    "Retry-After: 18446744073709551616\r\n",
    "Retry-After: Sat, 21 Nov 2026 12:00:07 GMT\r\n",
    "Retry-After: \u{1b}\r\n",
    "Location: /x\r\n",
    "Connection: close\r\n",
    "Content-Encoding: gzip\r\n",
    "X-\u{0}: \u{ff}\r\n",
];

const BODIES: &[&str] = &["ok\n", "", "3\r\nabc\r\n0\r\n\r\n", "zzzzzzzzzzzzzzzzzzzz"];

#[test]
fn mutated_server_answers_never_crash_send() {
    let seed = seed();
    let counter = Arc::new(AtomicU64::new(seed.wrapping_add(2)));
    let c = counter.clone();
    let server = Raw::start(move |mut conn| {
        let mut rng = Rng(c.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::SeqCst) | 1);
        conn.read_head();
        let mut answer = rng.pick(STATUS_LINES).as_bytes().to_vec();
        for _ in 0..rng.below(4) {
            answer.extend_from_slice(rng.pick(HEADERS).as_bytes());
        }
        answer.extend_from_slice(b"\r\n");
        answer.extend_from_slice(rng.pick(BODIES).as_bytes());
        if rng.below(2) == 0 {
            answer = mutate(&mut rng, &answer);
        }
        let _ = conn.stream.write_all(&answer);
        let _ = conn.stream.shutdown(std::net::Shutdown::Write);
        // Let the client read it all before the socket closes.
        std::thread::sleep(Duration::from_millis(50));
    });
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", &server.http_url())
        .set("TELEMETRY_MAX_RETRIES", "1")
        .set("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "1");
    for _ in 0..(100 * scale()) {
        let run = s.run(&["send", "event", "--name", "probe"]);
        no_crash(&run, "send against a mutated answer", seed);
    }
    let run = s.run(&["flush"]);
    no_crash(&run, "flush against mutated answers", seed);
    assert!(server.connections() >= 100 * scale());
}
