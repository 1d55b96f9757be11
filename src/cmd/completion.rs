//! `completion SHELL`: the completion script on standard output, the same bytes that
//! `make generate` commits under completions/ and `make install` installs (a test holds
//! them equal). The command line the scripts describe is the visible one.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args as _;
use clap_complete::{Generator as _, Shell};

use crate::cli::{self, CompletionArgs, Global, help};
use crate::cmd::{DELIVERED, print};

pub const NAME: &str = "pk3s-telemetry";

/// Every shell a script is made for, in the order `make generate` writes them.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

pub fn run(args: &CompletionArgs) -> anyhow::Result<ExitCode> {
    let script = String::from_utf8(script(args.shell)).context("the completion script")?;
    print(&script)?;
    Ok(ExitCode::from(DELIVERED))
}

/// The script for `shell`, and the file name it is installed under.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible(), NAME, &mut out);
    if shell == Shell::Bash {
        out = fix_bash_labels(&out);
    }
    out
}

pub fn file_name(shell: Shell) -> String {
    shell.file_name(NAME)
}

/// The command as users see it. The completion generators list hidden subcommands, and
/// clap cannot remove one, so the root is rebuilt from the same parts without it.
pub fn visible() -> clap::Command {
    let full = cli::command(true);
    let root = clap::Command::new(NAME);
    // The about texts after the flags: each `augment_args` may set its own.
    Global::augment_args(root)
        .version(env!("CARGO_PKG_VERSION"))
        .about(cli::ABOUT)
        .long_about(cli::LONG_ABOUT)
        .propagate_version(true)
        .subcommand_required(true)
        .after_long_help(help::text(&help::TOP))
        .subcommands(
            full.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned()
                .collect::<Vec<_>>(),
        )
}

/// clap_complete spells the case labels of a hyphenated bin name differently from the
/// state its dispatch loop builds (`pk3s__subcmd__telemetry__…` vs `pk3s__telemetry__…`),
/// so no subcommand option ever completes (clap-rs/clap#6421, open). Relabel the arms.
fn fix_bash_labels(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("pk3s__subcmd__telemetry", "pk3s__telemetry")
        .into_bytes()
}
