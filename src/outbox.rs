//! The outbox: one entry per undelivered payload, `NAME.json` (the body) with its attempt
//! history beside it in `NAME.history` (`key=value` lines). Names start with a UTC stamp so
//! that sorting them is oldest first. Permanent rejections go to `rejected/`, kept apart.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::macros::format_description;

use crate::delivery::{Answer, Attempt, Outcome};
use crate::payload::{Payload, timestamp};

pub const REJECTED_DIR: &str = "rejected";
pub const TEMP_PREFIX: &str = ".tmp-";

pub struct Outbox {
    pub dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    /// Keeps an undelivered payload: in the outbox, or apart when it was rejected.
    /// Returns the entry's path.
    pub fn keep(
        &self,
        payload: &Payload,
        attempts: &[Attempt],
        outcome: Outcome,
    ) -> io::Result<PathBuf> {
        let dir = if outcome == Outcome::Rejected {
            self.dir.join(REJECTED_DIR)
        } else {
            self.dir.clone()
        };
        create_private_dir(&dir)?;
        let created = attempts
            .first()
            .map(|a| a.at)
            .unwrap_or_else(OffsetDateTime::now_utc);
        let name = entry_name(created, &payload.event_id);
        let history = History::new(payload, created, attempts, outcome);
        // The history first: the .json is what makes an entry, so a crash in between leaves
        // an orphan history (swept later), never a payload without its key.
        write_atomic(
            &dir,
            &format!("{name}.history"),
            history.render().as_bytes(),
        )?;
        write_atomic(&dir, &format!("{name}.json"), &payload.body())?;
        Ok(dir.join(format!("{name}.json")))
    }
}

/// `20261121T234743.123456789Z-<event id>`: sorts oldest first.
fn entry_name(at: OffsetDateTime, event_id: &str) -> String {
    let fmt =
        format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:9]Z");
    let stamp = at
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "19700101T000000.000000000Z".into());
    let id: String = event_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    format!("{stamp}-{id}")
}

pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Temp file, fsync, rename, fsync of the directory: a reader sees the whole file or none.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}-{name}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(name))?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The grep-able attempt history of an entry.
pub struct History {
    pub event_id: String,
    pub kind: String,
    pub created_at: String,
    pub state: &'static str,
    pub lines: Vec<String>,
    pub attempts: u32,
    pub last: Option<(String, Answer)>,
}

impl History {
    fn new(
        payload: &Payload,
        created: OffsetDateTime,
        attempts: &[Attempt],
        outcome: Outcome,
    ) -> History {
        History {
            event_id: payload.event_id.clone(),
            kind: payload.kind.as_str().to_string(),
            created_at: timestamp(created),
            state: match outcome {
                Outcome::Rejected => "rejected",
                Outcome::Delivered => "delivered",
                Outcome::Kept => "kept",
            },
            lines: attempts.iter().map(attempt_line).collect(),
            attempts: attempts.last().map_or(0, |a| a.number),
            last: attempts.last().map(|a| (timestamp(a.at), a.answer.clone())),
        }
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("event_id={}\n", self.event_id));
        s.push_str(&format!("kind={}\n", self.kind));
        s.push_str(&format!("created_at={}\n", self.created_at));
        s.push_str(&format!("state={}\n", self.state));
        s.push_str(&format!("attempts={}\n", self.attempts));
        if let Some((at, answer)) = &self.last {
            s.push_str(&format!("last_attempt_at={at}\n"));
            s.push_str(&answer_kv("last_", answer));
            s.push('\n');
        }
        for line in &self.lines {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

fn answer_kv(prefix: &str, answer: &Answer) -> String {
    match answer {
        Answer::Status(s) => format!("{prefix}status={s}"),
        Answer::Failed(e) => format!("{prefix}error={}", one_line(e)),
    }
}

fn attempt_line(a: &Attempt) -> String {
    format!(
        "attempt={} at={} {}",
        a.number,
        timestamp(a.at),
        answer_kv("", &a.answer)
    )
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
