//! Where a command reports: warnings unless `-q`, details with `-v`, a live status line
//! only on a terminal.

use std::path::PathBuf;

use super::{non_empty, parse_bool};

/// Where to report: warnings are suppressed by `-q`, details shown by `-v` (and more by
/// `-vv`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    pub quiet: bool,
    pub verbose: bool,
    /// `-vv`: also the settings in use.
    pub detail: bool,
}

/// What the command line says over the environment (built by `cmd` from the flags).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub outbox: Option<PathBuf>,
    pub endpoint: Option<String>,
    pub out: Verbosity,
}

impl Verbosity {
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("pk3s-telemetry: warning: {msg}");
        }
    }

    /// Ordinary output of a command (e.g. flush's summary): shown unless `-q`.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("pk3s-telemetry: {msg}");
        }
    }

    pub fn info(&self, msg: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("pk3s-telemetry: {msg}");
        }
    }

    /// A one-line status a person can watch while nothing else happens (e.g. a wait
    /// between attempts), redrawn in place; `done` clears it. Only on a terminal (stderr),
    /// never under `-q` or `-v` (whose lines say the same), in CI, or into a pipe or file.
    pub fn progress(&self, msg: impl std::fmt::Display) {
        if self.live() {
            eprint!("\r\x1b[Kpk3s-telemetry: {msg}");
        }
    }

    /// Clears the line `progress` drew, so the next output starts on a clean line.
    pub fn done(&self) {
        if self.live() {
            eprint!("\r\x1b[K");
        }
    }

    fn live(&self) -> bool {
        use std::io::IsTerminal as _;
        !self.quiet && !self.verbose && !under_ci() && std::io::stderr().is_terminal()
    }
}

/// CI set to anything but empty or a "no" word (CI=true, CI=1, CI=github…).
pub fn under_ci() -> bool {
    non_empty("CI").is_some_and(|v| parse_bool(&v) != Some(false))
}
