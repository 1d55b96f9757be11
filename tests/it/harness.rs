//! The shared harness: an isolated environment (a temp dir as HOME and working directory,
//! a clean environment, its own outbox) for running the real binary.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::server::Server;

pub const BIN: &str = env!("CARGO_BIN_EXE_pk3s-telemetry");
/// A test run that takes longer than this is killed and fails.
const RUN_LIMIT: Duration = Duration::from_secs(90);

pub struct Sandbox {
    pub root: PathBuf,
    env: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }

    #[track_caller]
    pub fn code_is(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }

    /// Asserts that stderr holds `needle`, showing stderr when it does not.
    #[track_caller]
    pub fn stderr_has(&self, needle: impl AsRef<str>) -> &Self {
        assert!(self.stderr.contains(needle.as_ref()), "{}", self.stderr);
        self
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "pk3s-it-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("home")).unwrap();
        let mut env = BTreeMap::new();
        env.insert(
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        );
        env.insert("HOME".into(), root.join("home").display().to_string());
        env.insert(
            "TELEMETRY_OUTBOX_DIR".into(),
            root.join("outbox").display().to_string(),
        );
        // The machine's saved consent choice: never the real /etc/productive-k3s.
        env.insert(
            "TELEMETRY_SYSTEM_CONFIG_DIR".into(),
            root.join("etc/productive-k3s").display().to_string(),
        );
        // Keep the system store out of reach so a TLS test proves SSL_CERT_FILE is used.
        Sandbox { root, env }
    }

    /// Telemetry on, pointed at `server`.
    pub fn for_server(server: &Server) -> Sandbox {
        let mut s = Sandbox::new();
        s.set("TELEMETRY_ENABLED", "1")
            .set("TELEMETRY_ENDPOINT", &server.url());
        s
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.env.remove(key);
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.root.join(name);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(&p, contents).unwrap();
        p
    }

    /// An executable script (a shell layer), written like `write`.
    pub fn executable(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.write(name, contents);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// Puts this binary first on PATH, as `pk3s-telemetry`, for scripts (and as "$PK3S").
    pub fn with_bin_on_path(&mut self) -> &mut Self {
        let dir = Path::new(BIN).parent().unwrap().display().to_string();
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
        self.set("PATH", &format!("{dir}:{path}")).set("PK3S", BIN)
    }

    pub fn outbox(&self) -> PathBuf {
        self.root.join("outbox")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.root);
        c
    }

    /// Like `command`, for another program in the same environment (a shell, a script).
    pub fn program(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.root);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        finish(self.command(args), stdin)
    }
}

/// Runs a command to its end, bounded by `RUN_LIMIT`, with `stdin` (or nothing) as its
/// input and its output captured.
pub fn finish(c: Command, stdin: Option<&[u8]>) -> Run {
    finish_within(c, stdin, RUN_LIMIT)
}

/// `finish`, killed (and the test failed) after `limit`: for a command that must not wait.
pub fn finish_within(mut c: Command, stdin: Option<&[u8]>, limit: Duration) -> Run {
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = c.spawn().expect("spawn");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        let _ = w.write_all(input);
    }
    // Drain the pipes on threads so a chatty child cannot block.
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_t = std::thread::spawn(move || read_all(out.as_mut()));
    let err_t = std::thread::spawn(move || read_all(err.as_mut()));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{c:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

fn read_all<R: std::io::Read>(r: Option<&mut R>) -> String {
    let mut s = Vec::new();
    if let Some(r) = r {
        let _ = r.read_to_end(&mut s);
    }
    String::from_utf8_lossy(&s).into_owned()
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// The outbox's record of its last delivery (for `status`): not an entry nor debris.
pub const LAST_DELIVERY: &str = ".last-delivery";
/// The outbox's write order and clock, and its record of drops (docs/outbox.md).
pub const SEQUENCE: &str = ".pk3s-sequence";
pub const DROPS: &str = ".pk3s-drops";
/// The ledger of what left: the current segment and the one before it.
pub const LEDGER: &str = ".pk3s-ledger";
pub const LEDGER_OLDER: &str = ".pk3s-ledger.1";

/// A file the outbox keeps about itself (not an entry nor debris): its last delivery, its
/// sequence and clock, its record of drops, its ledger, `status`'s `.state/` cache.
pub fn outbox_state(name: &std::ffi::OsStr) -> bool {
    [
        LAST_DELIVERY,
        SEQUENCE,
        DROPS,
        LEDGER,
        LEDGER_OLDER,
        ".state",
    ]
    .iter()
    .any(|s| name == *s)
}

/// Every file under `dir`, recursively, sorted; the outbox's own state files
/// (`outbox_state`) are left out.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if outbox_state(&e.file_name()) {
                continue;
            }
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The outbox entries (`*.json`, not a writer's `.tmp-*` file) directly in `dir`.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A port on which nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub const MANIFEST: &str = r#"{
  "schema": "run-manifest/v1",
  "mode": "single-node",
  "os": {"id": "ubuntu", "version_id": "24.04"},
  "k3s_version": "v1.29.3+k3s1",
  "ratio": 1.50,
  "steps": [{"name": "install-k3s", "result": "ok", "seconds": 42}],
  "zeta": true,
  "alpha": null
}"#;

/// Whether `program` is on PATH, for a test that needs it. When it is not, the test is
/// skipped loudly: a line written past libtest's capture (which hides a passing test's
/// output), so `cargo test` shows it. Under CI (`CI` set to a yes; `.ci/run` sets it and
/// installs these programs) a missing one fails the test instead: a skipped check must not
/// pass there as one that ran.
pub fn needs(program: &str, what: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false" | "no"));
    assert!(
        !ci,
        "{program} is not installed, and CI installs it: {what} cannot be checked"
    );
    let _ = std::io::stderr().write_all(
        format!("SKIPPED {what}: {program} is not installed here (CI installs it)\n").as_bytes(),
    );
    false
}

/// Makes a FIFO at `p` (the hostile-file tests: nothing may wait on one).
pub fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap();
    assert!(ok.success(), "mkfifo {}", p.display());
}
