//! No file can hang a command: a FIFO, a device or a directory wherever the tool reads a
//! file (saved choices, CA files, the outbox's own records) is one clear line at once.
//! Every run here is killed, and the test failed, after `LIMIT`: a regression fails, it
//! does not hang the suite. Input files and the outbox's entries, histories and old-script
//! files have their own FIFO tests (hostile.rs, store.rs).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use crate::harness::{Run, Sandbox, finish_within, mkfifo};
use crate::server::{Reply, Server, tls};

/// Far beyond what any of these commands needs, far below a hang.
const LIMIT: Duration = Duration::from_secs(20);

fn run(s: &Sandbox, args: &[&str]) -> Run {
    finish_within(s.command(args), None, LIMIT)
}

/// Puts a FIFO, a device or a directory at `p`, and says what the tool will call it.
fn plant(p: &Path, what: &str) -> &'static str {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    match what {
        "fifo" => {
            mkfifo(p);
            "a FIFO, not a regular file"
        }
        "device" => {
            symlink("/dev/zero", p).unwrap();
            "a device, not a regular file"
        }
        _ => {
            fs::create_dir_all(p).unwrap();
            "a directory, not a regular file"
        }
    }
}

#[test]
fn a_fifo_device_or_directory_as_the_saved_choice_is_one_warning_and_no_choice() {
    let server = Server::start(vec![], Reply::Status(200));
    for what in ["fifo", "device", "dir"] {
        for system in [false, true] {
            let mut s = Sandbox::for_server(&server);
            s.unset("TELEMETRY_ENABLED");
            let config = s.path("config");
            s.set("TELEMETRY_CONFIG_DIR", config.to_str().unwrap());
            let file = if system {
                s.path("etc/productive-k3s/telemetry.conf")
            } else {
                config.join("telemetry.conf")
            };
            let words = plant(&file, what);
            let line = format!(
                "{}: {words}; ignoring the saved choice there",
                file.display()
            );
            for args in [
                &["resolve"][..],
                &["env"],
                &["status"],
                &["send", "event", "--name", "x"],
                &["flush"],
            ] {
                let r = run(&s, args);
                assert_eq!(r.code, 0, "{what} {args:?}: {r:#?}");
                assert_eq!(
                    r.stderr.matches(&line).count(),
                    1,
                    "{what} {args:?}: {r:#?}"
                );
            }
            // No choice: the next step decides (off, nobody asked), so nothing was sent.
            let r = run(&s, &["resolve"]);
            assert!(
                r.stdout.starts_with("export TELEMETRY_ENABLED='false'\n"),
                "{r:#?}"
            );
        }
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_fifo_device_or_directory_as_a_ca_file_is_exit_2_at_once() {
    for what in ["fifo", "device", "dir"] {
        let mut s = Sandbox::new();
        s.set("TELEMETRY_ENABLED", "1")
            .set("TELEMETRY_ENDPOINT", "https://localhost:9/telemetry");
        let ca = s.path("ca.pem");
        let words = plant(&ca, what);
        s.set("SSL_CERT_FILE", ca.to_str().unwrap());
        let r = run(&s, &["send", "event", "--name", "x"]);
        assert_eq!(r.code, 2, "{what}: {r:#?}");
        r.stderr_has(format!("SSL_CERT_FILE: {}: {words}", ca.display()));
    }
    // SSL_CERT_DIR that is not a directory (a FIFO) is one line too.
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "https://localhost:9/telemetry");
    let dir = s.path("certs");
    mkfifo(&dir);
    s.set("SSL_CERT_DIR", dir.to_str().unwrap());
    let r = run(&s, &["send", "event", "--name", "x"]);
    assert_eq!(r.code, 2, "{r:#?}");
    r.stderr_has("SSL_CERT_DIR: ").stderr_has("Not a directory");
}

#[test]
fn fifos_and_devices_in_ssl_cert_dir_are_passed_over_and_its_ca_is_trusted() {
    let (config, ca) = tls(crate::server::Cert::Good);
    let server = Server::start_with(vec![], Reply::Status(204), Some(config), false);
    let mut s = Sandbox::for_server(&server);
    let dir = s.path("certs");
    plant(&dir.join("0-fifo.pem"), "fifo");
    plant(&dir.join("1-zero.pem"), "device");
    plant(&dir.join("2-subdir"), "dir");
    fs::write(dir.join("3-ca.pem"), &ca).unwrap();
    // As `openssl rehash` names them: a hash-named symlink to the CA file.
    symlink(dir.join("3-ca.pem"), dir.join("abcd1234.0")).unwrap();
    s.set("SSL_CERT_DIR", dir.to_str().unwrap());
    let r = run(&s, &["send", "event", "--name", "x"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(server.requests().len(), 1);

    // A directory with nothing but a FIFO trusts nothing: not trusted, kept, at once.
    let empty = s.path("empty");
    plant(&empty.join("fifo.pem"), "fifo");
    s.set("SSL_CERT_DIR", empty.to_str().unwrap())
        .set("TELEMETRY_MAX_RETRIES", "1");
    let r = run(&s, &["send", "event", "--name", "x"]);
    assert_eq!(r.code, 1, "{r:#?}");
    r.stderr_has("not trusted (unknown issuer)");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn fifos_as_the_outboxs_own_records_do_not_hang_status_or_flush() {
    let server = Server::start(vec![], Reply::Status(200));
    let s = Sandbox::for_server(&server);
    let ob = s.outbox();
    fs::create_dir_all(ob.join(".state")).unwrap();
    mkfifo(&ob.join(".last-delivery"));
    mkfifo(&ob.join(".state/census"));
    for args in [&["status"][..], &["status", "--format", "json"], &["flush"]] {
        let r = run(&s, args);
        assert_eq!(r.code, 0, "{args:?}: {r:#?}");
    }
}
