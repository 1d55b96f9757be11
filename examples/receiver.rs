//! A loopback receiver for `make demo` (and by-hand trials): prints every request it gets.
//!
//! receiver [--url-file FILE] [--status CODE|hang] [--seconds N] [--tls-ca FILE] [--quiet]
//! Listens on 127.0.0.1 (a free port), writes its URL to FILE, answers CODE (default 200)
//! or never answers (`hang`), and stops by itself after N seconds (default 120) or when killed.
//! `--tls-ca FILE` serves https with a throwaway CA written to FILE (for SSL_CERT_FILE or
//! curl's --cacert); `--quiet` neither prints nor keeps requests (for benchmarks).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/server.rs"]
mod server;

use std::time::{Duration, Instant};

fn main() {
    let mut url_file = None;
    let mut reply = server::Reply::Status(200);
    let mut seconds = 120u64;
    let mut tls_ca = None;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--quiet" {
            quiet = true;
            continue;
        }
        let value = args.next();
        match (a.as_str(), value) {
            ("--url-file", Some(v)) => url_file = Some(v),
            ("--status", Some(v)) if v == "hang" => reply = server::Reply::Hang,
            ("--status", Some(v)) => reply = server::Reply::Status(v.parse().unwrap_or(200)),
            ("--seconds", Some(v)) => seconds = v.parse().unwrap_or(120),
            ("--tls-ca", Some(v)) => tls_ca = Some(v),
            _ => {
                eprintln!(
                    "usage: receiver [--url-file FILE] [--status CODE|hang] [--seconds N] [--tls-ca FILE] [--quiet]"
                );
                std::process::exit(2);
            }
        }
    }
    let tls = match &tls_ca {
        Some(f) => {
            let (config, ca_pem) = server::throwaway_tls();
            if std::fs::write(f, ca_pem).is_err() {
                eprintln!("receiver: cannot write {f}");
                std::process::exit(1);
            }
            Some(config)
        }
        None => None,
    };
    let server = server::Server::start_full(vec![], reply, tls, !quiet, !quiet);
    let url = server.url();
    eprintln!("receiver: listening on {url}");
    if let Some(f) = url_file {
        let tmp = format!("{f}.tmp");
        if std::fs::write(&tmp, &url)
            .and_then(|()| std::fs::rename(&tmp, &f))
            .is_err()
        {
            eprintln!("receiver: cannot write {f}");
            std::process::exit(1);
        }
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
}
