//! The saved consent choice (`pk3s-telemetry enable|disable [--system]`): one small
//! `key=value` file for the user and one for the machine. Step 3b of the consent order:
//! below a flag, TELEMETRY_ENABLED and DO_NOT_TRACK, above the prompt. A file that is
//! missing means "no choice"; one that is broken or unreadable is a one-line warning and
//! counts as no choice, never as a failure.
//!
//! Where: `$TELEMETRY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/productive-k3s` (when absolute),
//! else `$HOME/.config/productive-k3s` for the user; `$TELEMETRY_SYSTEM_CONFIG_DIR`, else
//! `/etc/productive-k3s` for the machine. The two overrides are for packagers and tests.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::error::plain_io;
use crate::input;
use crate::settings::{Verbosity, non_empty, parse_bool};

/// The file's name inside either directory.
pub const FILE: &str = "telemetry.conf";
pub const SYSTEM_DIR: &str = "/etc/productive-k3s";
/// The file holds one line; anything longer than this is not ours.
const MAX_SIZE: u64 = 4096;
/// Both files are readable by everyone: the machine's must be, since every user's runs
/// read it; the user's holds no secret (a yes or a no), like the rest of ~/.config.
pub const MODE: u32 = 0o644;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    System,
}

/// The two files, as the environment places them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// `None` when neither TELEMETRY_CONFIG_DIR, XDG_CONFIG_HOME nor HOME tells where.
    pub user: Option<PathBuf>,
    pub system: PathBuf,
}

impl Places {
    pub fn from_env() -> Places {
        let user = non_empty("TELEMETRY_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
                non_empty("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|p| p.join("productive-k3s"))
            })
            .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".config/productive-k3s")))
            .map(|dir| dir.join(FILE));
        let system = non_empty("TELEMETRY_SYSTEM_CONFIG_DIR")
            .map_or_else(|| PathBuf::from(SYSTEM_DIR), PathBuf::from)
            .join(FILE);
        Places { user, system }
    }

    pub fn file(&self, scope: Scope) -> Option<&Path> {
        match scope {
            Scope::User => self.user.as_deref(),
            Scope::System => Some(&self.system),
        }
    }
}

/// One saved choice: yes or no, and the version of the notice it answered (see
/// `consent::NOTICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub enabled: bool,
    /// A file without a notice line answered version 1 (every file written before notices
    /// had versions).
    pub notice: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub choice: Choice,
    pub scope: Scope,
    pub path: PathBuf,
}

impl Choice {
    /// An `enable` given to an older notice than `current` no longer counts; a `disable`
    /// always holds.
    pub fn lapsed(&self, current: u32) -> bool {
        self.enabled && self.notice < current
    }
}

/// The saved choices that can be read, the user's first, then the machine's, each read
/// only when the one before did not settle it (the caller stops early). A broken file
/// warns (naming it) and is passed over.
pub fn load(places: &Places, out: Verbosity) -> impl Iterator<Item = Saved> + '_ {
    [Scope::User, Scope::System]
        .into_iter()
        .filter_map(move |scope| {
            let path = places.file(scope)?;
            match read(path) {
                Ok(Some(choice)) => Some(Saved {
                    choice,
                    scope,
                    path: path.to_path_buf(),
                }),
                Ok(None) => None,
                Err(e) => {
                    out.warn(format_args!("{e}; ignoring the saved choice there"));
                    None
                }
            }
        })
}

/// One file: `Ok(None)` when there is none, `Err` (one line naming the file) when it
/// cannot be read or holds something else than a choice.
/// Opened like every file the tool reads (`input::read`): a FIFO there is one warning at
/// once, never a hang of every command that reads the choice.
pub fn read(path: &Path) -> Result<Option<Choice>, String> {
    let name = path.display();
    let bytes = match input::read(path, MAX_SIZE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{name}: {}", input::words(&e))),
    };
    if bytes.len() as u64 > MAX_SIZE {
        return Err(format!("{name}: larger than {MAX_SIZE} bytes"));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not text (UTF-8)"))?;
    parse(&text).map_err(|why| format!("{name}: {why}"))
}

/// `telemetry=enable` or `telemetry=disable` (the contract's yes/no words work too);
/// blank lines and `#` comments are skipped, but for one: `# notice=N`, the version of the
/// notice the choice answered. It is a comment so that a binary of before notice versions,
/// whose parser takes only `telemetry=` lines and comments, still reads the file.
/// `Ok(None)`: no `telemetry=` line.
fn parse(text: &str) -> Result<Option<Choice>, String> {
    let mut enabled = None;
    let mut notice = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            notice = notice_of(comment).or(notice);
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let value = line
            .strip_prefix("telemetry")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::trim)
            .ok_or_else(|| format!("line {} is not telemetry=enable|disable", i + 1))?;
        enabled = Some(
            parse_bool(value)
                .ok_or_else(|| format!("line {}: {value:?} is not enable or disable", i + 1))?,
        );
    }
    Ok(enabled.map(|enabled| Choice {
        enabled,
        notice: notice.unwrap_or(1),
    }))
}

/// The version in a `# notice=N` comment (after its `#`); `None` for any other comment.
fn notice_of(comment: &str) -> Option<u32> {
    let rest = comment.trim_start().strip_prefix("notice")?.trim_start();
    let digits: String = rest
        .strip_prefix('=')?
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Saves a choice atomically: a temp file beside it (mode 0644 whatever the umask),
/// fsynced, renamed over the old one, the directory fsynced. Creates the directory.
pub fn save(path: &Path, scope: Scope, choice: Choice) -> Result<(), String> {
    let name = path.display();
    let dir = path
        .parent()
        .ok_or_else(|| format!("{name}: has no directory"))?;
    fs::create_dir_all(dir).map_err(|e| {
        let hint = needs_root(scope, &e);
        format!("{}: cannot create: {}{hint}", dir.display(), plain_io(&e))
    })?;
    let tmp = dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let text = format!(
        "# Saved by `pk3s-telemetry {0}`; change it with `pk3s-telemetry enable|disable`.\n\
         # notice={1} (the version of the telemetry notice this choice answered)\n\
         telemetry={0}\n",
        if choice.enabled { "enable" } else { "disable" },
        choice.notice
    );
    let write = || -> std::io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(MODE)
            .open(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(MODE))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename itself survives a crash once the directory is synced.
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!(
            "{name}: cannot write: {}{}",
            plain_io(&e),
            needs_root(scope, &e)
        )
    })
}

/// What to do when the machine's file cannot be written for want of rights.
fn needs_root(scope: Scope, e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
    if scope == Scope::System && matches!(e.kind(), PermissionDenied | ReadOnlyFilesystem) {
        "; the machine's choice is for root: run `sudo pk3s-telemetry enable|disable --system`, or save your own without --system"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_one_choice() {
        let yes = |notice| {
            Ok(Some(Choice {
                enabled: true,
                notice,
            }))
        };
        let no = |notice| {
            Ok(Some(Choice {
                enabled: false,
                notice,
            }))
        };
        assert_eq!(parse("telemetry=enable\n"), yes(1));
        assert_eq!(parse("# c\n\n telemetry = disable \n"), no(1));
        assert_eq!(parse("telemetry=0"), no(1));
        assert_eq!(parse("telemetry=Enabled"), yes(1));
        assert_eq!(parse("# only a comment\n"), Ok(None));
        assert!(parse("telemetry=maybe").is_err());
        assert!(parse("enabled=1").is_err());
        assert!(parse("telemetryx=1").is_err());
    }

    #[test]
    fn the_notice_version_is_a_comment_and_absent_means_1() {
        let yes = |notice| {
            Ok(Some(Choice {
                enabled: true,
                notice,
            }))
        };
        assert_eq!(parse("# notice=3 (why)\ntelemetry=enable\n"), yes(3));
        assert_eq!(parse("#notice = 2\ntelemetry=enable\n"), yes(2));
        // Not a version: an ordinary comment, and the file answered version 1.
        for other in ["# notice=", "# notice=x", "# notices=4", "# the notice=5"] {
            assert_eq!(
                parse(&format!("{other}\ntelemetry=enable")),
                yes(1),
                "{other}"
            );
        }
        let saved = |enabled, notice| Choice { enabled, notice };
        assert!(saved(true, 1).lapsed(2));
        assert!(!saved(true, 2).lapsed(2));
        assert!(!saved(true, 3).lapsed(2), "a newer notice's yes holds");
        assert!(!saved(false, 1).lapsed(2), "a saved disable always holds");
    }
}
