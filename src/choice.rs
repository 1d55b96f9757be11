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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub enabled: bool,
    pub scope: Scope,
    pub path: PathBuf,
}

/// The saved choice that counts: the user's, else the machine's. A broken file warns
/// (naming it) and is passed over.
pub fn load(places: &Places, out: Verbosity) -> Option<Saved> {
    [Scope::User, Scope::System].into_iter().find_map(|scope| {
        let path = places.file(scope)?;
        match read(path) {
            Ok(Some(enabled)) => Some(Saved {
                enabled,
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
pub fn read(path: &Path) -> Result<Option<bool>, String> {
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
/// blank lines and `#` comments are skipped. `Ok(None)`: no `telemetry=` line.
fn parse(text: &str) -> Result<Option<bool>, String> {
    let mut choice = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let value = line
            .strip_prefix("telemetry")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::trim)
            .ok_or_else(|| format!("line {} is not telemetry=enable|disable", i + 1))?;
        choice = Some(match value.to_ascii_lowercase().as_str() {
            "enable" | "enabled" => true,
            "disable" | "disabled" => false,
            other => parse_bool(other)
                .ok_or_else(|| format!("line {}: {value:?} is not enable or disable", i + 1))?,
        });
    }
    Ok(choice)
}

/// Saves a choice atomically: a temp file beside it (mode 0644 whatever the umask),
/// fsynced, renamed over the old one, the directory fsynced. Creates the directory.
pub fn save(path: &Path, scope: Scope, enabled: bool) -> Result<(), String> {
    let name = path.display();
    let dir = path
        .parent()
        .ok_or_else(|| format!("{name}: has no directory"))?;
    fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create: {}", dir.display(), plain_io(&e)))?;
    let tmp = dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let text = format!(
        "# Saved by `pk3s-telemetry {0}`; change it with `pk3s-telemetry enable|disable`.\n\
         telemetry={0}\n",
        if enabled { "enable" } else { "disable" }
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
        let hint = if scope == Scope::System && e.kind() == std::io::ErrorKind::PermissionDenied {
            " (the machine's choice needs root: try sudo)"
        } else {
            ""
        };
        format!("{name}: cannot write: {}{hint}", plain_io(&e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_one_choice() {
        assert_eq!(parse("telemetry=enable\n"), Ok(Some(true)));
        assert_eq!(parse("# c\n\n telemetry = disable \n"), Ok(Some(false)));
        assert_eq!(parse("telemetry=0"), Ok(Some(false)));
        assert_eq!(parse("# only a comment\n"), Ok(None));
        assert!(parse("telemetry=maybe").is_err());
        assert!(parse("enabled=1").is_err());
        assert!(parse("telemetryx=1").is_err());
    }
}
