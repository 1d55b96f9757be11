//! The endpoint memory: one stall per endpoint, not one per send. Once an attempt to an
//! endpoint (through a given proxy, or none) has timed out, been refused or failed its
//! name lookup, sends to it for the next 10 minutes keep their payload at once instead of
//! waiting again; any HTTP answer clears it. It is the user's (any layer, session or
//! outbox sees it): `$XDG_STATE_HOME/productive-k3s/endpoint-memory`, else
//! `~/.local/state/productive-k3s/endpoint-memory`, else `.pk3s-endpoint-memory` in the
//! outbox. An explicit flush always tries (it spares bootstraps, not operators).
//!
//! One line per endpoint remembered as down, at most `MAX_LINES` (the newest): `down
//! url=<endpoint> via=<proxy|direct> boot=<boot id> up_ms=<uptime> at=<time> why=<words>`.
//! Its age goes by the kernel's boot clock (`order::uptime`), so no clock jump can stretch
//! or cut the 10 minutes; a reboot forgets it. Readers read it whole (a rename replaces
//! it); writers take an exclusive lock on `endpoint-memory.lock` beside it, read, change,
//! and rename a new file into place. A writer that cannot get the lock at once (a few
//! hundred milliseconds) or cannot write leaves the memory as it was: it only spares time.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use super::entry;
use super::order::{self, Uptime};
use super::route::normalize;
use crate::attempt::{Answer, Fault};
use crate::delivery::proxy::proxy_for;
use crate::payload::timestamp;
use crate::settings::{Settings, var};

pub const MEMORY_FILE: &str = "endpoint-memory";
/// Its name when it lives in the outbox (no state directory can be named).
pub const OUTBOX_MEMORY_FILE: &str = ".pk3s-endpoint-memory";
/// How long a failure spares later sends.
pub const LASTS: Duration = Duration::from_secs(10 * 60);
/// Endpoints remembered at most (the newest); a line is a few hundred bytes.
const MAX_LINES: usize = 64;
const MAX_FILE: u64 = 64 * 1024;
/// A URL longer than this is not remembered (nothing to gain from a line that large).
const MAX_URL: usize = 2048;

/// An endpoint remembered as down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    pub url: String,
    pub via: String,
    pub why: String,
    /// When it was remembered, by the wall clock (for words only).
    pub at: String,
    boot: Option<Uptime>,
}

impl Down {
    fn render(&self) -> String {
        let (boot, up) = match &self.boot {
            Some(u) => (u.boot.as_str(), u.up_ms),
            None => ("-", 0),
        };
        format!(
            "down url={} via={} boot={boot} up_ms={up} at={} why={}\n",
            self.url,
            self.via,
            self.at,
            self.why.replace(['\n', '\r'], " ")
        )
    }

    fn parse(line: &str) -> Option<Down> {
        let rest = line.strip_prefix("down ")?;
        let (head, why) = rest.split_once(" why=")?;
        let mut f = head.split(' ').filter_map(|kv| kv.split_once('='));
        let mut take = |key: &str| match f.next() {
            Some((k, v)) if k == key => Some(v.to_string()),
            _ => None,
        };
        let url = take("url")?;
        let via = take("via")?;
        let boot = take("boot")?;
        let up_ms = take("up_ms")?.parse().ok()?;
        let at = take("at")?;
        Some(Down {
            url,
            via,
            why: why.to_string(),
            at,
            boot: (boot != "-").then_some(Uptime { boot, up_ms }),
        })
    }

    /// How much longer it lasts at `now` (`None`: it has lapsed, or it is from another boot).
    pub fn left(&self, now: Option<&Uptime>, wall: OffsetDateTime) -> Option<Duration> {
        let gone = match (now, &self.boot) {
            // Written a moment after `now` was read (by another process): gone nothing.
            (Some(n), Some(b)) if n.boot == b.boot => {
                Duration::from_millis(n.up_ms.saturating_sub(b.up_ms))
            }
            (Some(_), Some(_)) => return None,
            // No boot clock: the wall clock's word, when it does not run back.
            _ => {
                let at =
                    OffsetDateTime::parse(&self.at, &time::format_description::well_known::Rfc3339)
                        .ok()?;
                let d = wall - at;
                if d.is_negative() {
                    return None;
                }
                d.unsigned_abs()
            }
        };
        LASTS.checked_sub(gone).filter(|l| !l.is_zero())
    }

    fn same(&self, url: &str, via: &str) -> bool {
        self.url == url && self.via == via
    }
}

/// The memory as one process sees it: read once, written only when something changes.
pub struct Memory {
    path: PathBuf,
    now: Option<Uptime>,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    down: Vec<Down>,
    /// Keys this process has set: refreshed once a process is enough.
    set_here: BTreeSet<(String, String)>,
    /// Each URL's key, worked out once (a replay asks per entry).
    keys: Vec<(String, (String, String))>,
}

impl Seen {
    fn key(&mut self, url: &str) -> (String, String) {
        if let Some((_, k)) = self.keys.iter().find(|(u, _)| u == url) {
            return k.clone();
        }
        let k = Memory::key(url);
        self.keys.push((url.to_string(), k.clone()));
        k
    }
}

impl Memory {
    /// The memory of the user these settings run as (see the module comment for where).
    pub fn load(settings: &Settings) -> Memory {
        let state = var("XDG_STATE_HOME")
            .filter(|d| Path::new(d).is_absolute())
            .map(PathBuf::from)
            .or_else(|| {
                var("HOME")
                    .filter(|h| Path::new(h).is_absolute())
                    .map(|h| Path::new(&h).join(".local/state"))
            });
        let path = match state {
            Some(dir) => dir.join("productive-k3s").join(MEMORY_FILE),
            None => settings.outbox_dir.join(OUTBOX_MEMORY_FILE),
        };
        Memory::at(path)
    }

    pub fn at(path: PathBuf) -> Memory {
        let down = read(&path);
        Memory {
            path,
            now: order::uptime(),
            seen: Mutex::new(Seen {
                down,
                ..Seen::default()
            }),
        }
    }

    /// The key of `url` as a request would go: the endpoint and the proxy it would go
    /// through (its address only, never credentials).
    pub fn key(url: &str) -> (String, String) {
        let via = match proxy_for(url) {
            Ok(c) => c.proxy.map_or("direct".to_string(), |p| {
                format!(
                    "{}://{}:{}",
                    p.uri().scheme_str().unwrap_or("http"),
                    p.host(),
                    p.port()
                )
            }),
            Err(_) => "invalid".to_string(),
        };
        (normalize(url), via)
    }

    /// `url` is remembered as down now, and why.
    pub fn down(&self, url: &str) -> Option<(Down, Duration)> {
        let wall = OffsetDateTime::now_utc();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (u, via) = seen.key(url);
        seen.down.iter().filter(|d| d.same(&u, &via)).find_map(|d| {
            d.left(self.now.as_ref(), wall)
                .map(|left| (d.clone(), left))
        })
    }

    /// Learns from one attempt to `url`: a timeout, refusal or failed lookup sets the
    /// memory, any HTTP answer clears it. Writes only when that changes something (and
    /// sets a key once a process).
    pub fn observe(&self, url: &str, answer: &Answer, fault: Fault) {
        let set = match (answer, fault) {
            (Answer::Status(_), _) => false,
            (Answer::Failed(_), Fault::Unreachable) => true,
            _ => return,
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        // A replay's every answer comes here: with nothing remembered, an answer is done.
        if !set && seen.down.is_empty() {
            return;
        }
        let (u, via) = seen.key(url);
        if u.len() > MAX_URL {
            return;
        }
        let key = (u.clone(), via.clone());
        if set {
            if !seen.set_here.insert(key) {
                return;
            }
        } else if seen.down.iter().any(|d| d.same(&u, &via)) {
            seen.set_here.remove(&key);
        } else {
            return;
        }
        let now = order::uptime();
        let wall = OffsetDateTime::now_utc();
        let new = set.then(|| Down {
            url: u.clone(),
            via: via.clone(),
            why: answer.to_string(),
            at: timestamp(wall),
            boot: now.clone(),
        });
        seen.down.retain(|d| !d.same(&u, &via));
        seen.down.extend(new.clone());
        drop(seen);
        let _ = self.write(|lines| {
            lines.retain(|d| !d.same(&u, &via) && d.left(now.as_ref(), wall).is_some());
            lines.extend(new);
            let over = lines.len().saturating_sub(MAX_LINES);
            lines.drain(..over);
        });
    }

    /// Changes the file under its lock: read again, change, rename a new one into place.
    fn write(&self, change: impl FnOnce(&mut Vec<Down>)) -> Option<()> {
        let dir = self.path.parent()?;
        let name = self.path.file_name()?.to_str()?;
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .ok()?;
        }
        let lock = lock(&dir.join(format!("{name}.lock")))?;
        let mut lines = read(&self.path);
        change(&mut lines);
        let mut text = String::from(
            "# pk3s-telemetry: endpoints that did not answer; sends to them keep their payload for 10 minutes (docs/outbox.md)\n",
        );
        for d in &lines {
            text.push_str(&d.render());
        }
        let done = entry::write_atomic(dir, name, text.as_bytes(), false).ok();
        drop(lock);
        done.map(drop)
    }
}

fn read(path: &Path) -> Vec<Down> {
    entry::read_small_text(path, MAX_FILE)
        .map(|t| t.lines().filter_map(Down::parse).collect())
        .unwrap_or_default()
}

/// The writers' lock, taken without waiting long: a holder keeps it for a rename.
fn lock(path: &Path) -> Option<File> {
    let f = entry::open_state(path, true, false).ok()?;
    entry::lock_briefly(&f)?;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pk3s-mem-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_failure_is_remembered_an_answer_forgets_it_and_lines_read_back() {
        let dir = scratch("basic");
        let path = dir.join("state/productive-k3s").join(MEMORY_FILE);
        let url = "http://127.0.0.1:9/t";
        let m = Memory::at(path.clone());
        assert!(m.down(url).is_none());
        m.observe(
            url,
            &Answer::Failed("connection refused".into()),
            Fault::Unreachable,
        );
        // Another process sees it (the key is normalised).
        let other = Memory::at(path.clone());
        let (d, left) = other.down("HTTP://127.0.0.1:9/t/").unwrap();
        assert_eq!(d.why, "connection refused");
        assert!(left <= LASTS);
        assert_eq!(Down::parse(d.render().trim_end()), Some(d));
        // A failure that says nothing of reachability leaves it as it is.
        let third = Memory::at(path.clone());
        third.observe(
            "http://127.0.0.1:10/t",
            &Answer::Failed("reset".into()),
            Fault::Transient,
        );
        assert!(
            Memory::at(path.clone())
                .down("http://127.0.0.1:10/t")
                .is_none()
        );
        // Any HTTP answer clears it.
        other.observe(url, &Answer::Status(503), Fault::Transient);
        assert!(Memory::at(path.clone()).down(url).is_none());
        // Within one process too: set, cleared, set again.
        m.observe(url, &Answer::Failed("timed out".into()), Fault::Unreachable);
        m.observe(url, &Answer::Status(200), Fault::Transient);
        assert!(Memory::at(path.clone()).down(url).is_none());
        m.observe(url, &Answer::Failed("timed out".into()), Fault::Unreachable);
        assert!(Memory::at(path.clone()).down(url).is_some());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn it_lapses_after_ten_minutes_of_boot_clock_and_with_a_reboot() {
        let boot = |b: &str, ms| {
            Some(Uptime {
                boot: b.to_string(),
                up_ms: ms,
            })
        };
        let d = Down {
            url: "u".into(),
            via: "direct".into(),
            why: "w".into(),
            at: "2026-12-06T12:00:00.000Z".into(),
            boot: boot("a", 1_000),
        };
        let wall = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            d.left(boot("a", 61_000).as_ref(), wall),
            Some(LASTS - Duration::from_secs(60))
        );
        assert_eq!(d.left(boot("a", 601_000).as_ref(), wall), None);
        assert_eq!(d.left(boot("b", 2_000).as_ref(), wall), None);
        // Remembered a moment after this process read the clock: whole.
        assert_eq!(d.left(boot("a", 500).as_ref(), wall), Some(LASTS));
        // Without a boot clock, the wall clock; one that runs back forgets it.
        let at = time::macros::datetime!(2026-12-06 12:00 UTC);
        let no = Down { boot: None, ..d };
        assert!(no.left(None, at + Duration::from_secs(60)).is_some());
        assert!(no.left(None, at + Duration::from_secs(700)).is_none());
        assert!(no.left(None, at - Duration::from_secs(60)).is_none());
    }

    #[test]
    fn it_keeps_the_newest_lines_only() {
        let dir = scratch("bound");
        let path = dir.join(MEMORY_FILE);
        for i in 0..(MAX_LINES + 10) {
            Memory::at(path.clone()).observe(
                &format!("http://127.0.0.1:{}/t", 1000 + i),
                &Answer::Failed("timed out".into()),
                Fault::Unreachable,
            );
        }
        let m = Memory::at(path.clone());
        assert_eq!(read(&path).len(), MAX_LINES);
        assert!(m.down("http://127.0.0.1:1000/t").is_none());
        assert!(
            m.down(&format!("http://127.0.0.1:{}/t", 1009 + MAX_LINES))
                .is_some()
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
