//! Subcommands defined when clap builds them, not up front.

use std::cell::Cell;
use std::ops::Deref;

use clap::{ArgMatches, Args, Command, FromArgMatches};

thread_local! {
    /// Set while `cli::command(true)` builds: every subcommand is defined at once, as help,
    /// errors, completions and man pages need.
    static EAGER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `build` with every subcommand defined at once.
pub fn eager<R>(build: impl FnOnce() -> R) -> R {
    let was = EAGER.with(|e| e.replace(true));
    let out = build();
    EAGER.with(|e| e.set(was));
    out
}

/// A subcommand's arguments, defined only when clap builds that subcommand (`defer`): the
/// one that runs. Defining every command's flags on every run was a quarter of the
/// instructions of a `send --background`. Reads as the arguments it holds.
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T> Deref for Lazy<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
}

/// `define` applied to `cmd` now, or when clap builds it. One copy for all argument types.
fn later(cmd: Command, define: fn(Command) -> Command) -> Command {
    if EAGER.with(Cell::get) {
        define(cmd)
    } else {
        cmd.defer(define)
    }
}

impl<T: Args> Args for Lazy<T> {
    fn augment_args(cmd: Command) -> Command {
        later(cmd, T::augment_args)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        later(cmd, T::augment_args_for_update)
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

#[cfg(test)]
mod tests {
    use clap::FromArgMatches;

    use crate::cli::{Cli, command};

    fn has(cmd: &clap::Command, path: &[&str], arg: &str) -> bool {
        let mut c = cmd;
        for name in path {
            c = c.find_subcommand(name).unwrap();
        }
        c.get_arguments().any(|a| a.get_id() == arg)
    }

    #[test]
    fn a_subcommand_is_defined_when_clap_builds_it_and_at_once_for_help() {
        let plain = command(false);
        assert!(!has(&plain, &["resolve"], "component"));
        assert!(!has(&plain, &["send", "manifest"], "repository"));
        let mut built = command(false);
        built.build();
        assert!(has(&built, &["resolve"], "component"));
        assert!(has(&built, &["send", "manifest"], "repository"));
        let full = command(true);
        assert!(has(&full, &["resolve"], "component"));
        assert!(has(&full, &["send", "manifest"], "repository"));
        // Back to lazy after the eager build.
        assert!(!has(&command(false), &["flush"], "limit"));
    }

    #[test]
    fn both_trees_parse_a_command_line_alike() {
        let lines: [&[&str]; 4] = [
            &[
                "p",
                "-q",
                "send",
                "manifest",
                "-",
                "--exit-code",
                "3",
                "--outbox",
                "o",
            ],
            &[
                "p",
                "resolve",
                "--component",
                "infra",
                "--format",
                "json",
                "-v",
            ],
            &[
                "p",
                "--endpoint",
                "http://x/",
                "flush",
                "--limit",
                "5",
                "--dry-run",
            ],
            &["p", "env", "--", "sh", "-c", "true"],
        ];
        for line in lines {
            let parse = |long| {
                let m = command(long).try_get_matches_from(line).unwrap();
                format!("{:?}", Cli::from_arg_matches(&m).unwrap())
            };
            assert_eq!(parse(false), parse(true), "{line:?}");
        }
    }
}
