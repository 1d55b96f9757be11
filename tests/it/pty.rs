//! A real pseudo-terminal, to drive the consent prompt as a person would: the program's
//! standard input and standard error are the terminal, its standard output a pipe (as under
//! `eval "$(…)"`). Every wait is bounded; dropping a session kills what is still running.

#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustix::fs::OFlags;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

/// Generous: the machine is small and shared; only a hang takes this long.
pub const LIMIT: Duration = Duration::from_secs(60);

pub struct Pty {
    master: File,
    slave: File,
}

impl Pty {
    pub fn open() -> Pty {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .expect("open a pseudo-terminal");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlags::NOCTTY.bits() as i32)
            .open(std::ffi::OsStr::from_bytes(name.as_bytes()))
            .expect("open the terminal side");
        Pty {
            master: File::from(master),
            slave,
        }
    }

    /// The terminal side, for a child's stdin or stderr.
    pub fn terminal(&self) -> Stdio {
        Stdio::from(self.slave.try_clone().expect("dup"))
    }

    /// Starts `cmd` (whose stdin and stderr the caller has set, usually to `terminal()`),
    /// with its stdout piped.
    pub fn spawn(self, mut cmd: Command) -> OnTerminal {
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        // Only the child may hold the terminal side now, so that reading ends when it exits.
        drop(cmd);
        drop(self.slave);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut master = self.master.try_clone().expect("dup");
        let sink = Arc::clone(&seen);
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once every holder of the terminal side has gone.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut out = child.stdout.take().expect("stdout");
        let stdout = thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        });
        OnTerminal {
            child,
            keyboard: self.master,
            seen,
            reader: Some(reader),
            stdout: Some(stdout),
        }
    }
}

pub struct OnTerminal {
    child: Child,
    keyboard: File,
    seen: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
    stdout: Option<JoinHandle<String>>,
}

#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    /// Everything written to the terminal, our typing echoed included.
    pub terminal: String,
}

impl OnTerminal {
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `text`; false if it has not within `LIMIT`.
    pub fn wait_for(&self, text: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < LIMIT {
            if self.screen().contains(text) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Types on the keyboard (a real Enter is "\r").
    pub fn type_keys(&mut self, keys: &str) {
        self.keyboard.write_all(keys.as_bytes()).expect("type");
        self.keyboard.flush().expect("type");
    }

    /// Waits for the child to end (killing it past `LIMIT`) and for the terminal to fall
    /// silent, and returns what it wrote.
    pub fn finish(mut self) -> Finished {
        let started = Instant::now();
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code();
            }
            if started.elapsed() > LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {LIMIT:?}; the terminal shows:\n{}",
                    self.screen()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        // Both end when every process holding the pipe or the terminal has gone.
        let stdout = self.stdout.take().expect("once");
        let reader = self.reader.take().expect("once");
        while !(stdout.is_finished() && reader.is_finished()) {
            assert!(
                started.elapsed() < LIMIT,
                "output still open after {LIMIT:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
        let stdout = stdout.join().expect("stdout");
        Finished {
            code,
            stdout,
            terminal: self.screen(),
        }
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
