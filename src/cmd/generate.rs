//! `generate DIR` (hidden): writes the shell completions and man pages from the clap
//! definition into DIR/completions and DIR/man. `make generate` runs it on the repository;
//! a test fails when the committed files are stale.

use std::fs;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::{self, Cli, GenerateArgs, Global};
use crate::cmd::DELIVERED;

const NAME: &str = "pk3s-telemetry";

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let completions = args.dir.join("completions");
    let man = args.dir.join("man");
    for dir in [&completions, &man] {
        fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        clap_complete::generate_to(shell, &mut visible(), NAME, &completions)
            .with_context(|| format!("{}: cannot write", completions.display()))?;
    }
    fix_bash_labels(&completions.join(format!("{NAME}.bash")))?;
    // One page per visible command: pk3s-telemetry.1, pk3s-telemetry-send-manifest.1, ...
    clap_mangen::generate_to(visible(), &man)
        .with_context(|| format!("{}: cannot write", man.display()))?;
    Ok(ExitCode::from(DELIVERED))
}

/// The command as users see it. The completion generators list hidden subcommands, and
/// clap cannot remove one, so the root is rebuilt from the same parts without it.
fn visible() -> clap::Command {
    let full = Cli::command();
    let root = clap::Command::new(NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about(cli::ABOUT)
        .long_about(cli::LONG_ABOUT)
        .propagate_version(true)
        .subcommand_required(true);
    Global::augment_args(root).subcommands(
        full.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// clap_complete spells the case labels of a hyphenated bin name differently from the
/// state its dispatch loop builds (`pk3s__subcmd__telemetry__…` vs `pk3s__telemetry__…`),
/// so no subcommand option ever completes (clap-rs/clap#6421, open). Relabel the arms.
fn fix_bash_labels(path: &std::path::Path) -> anyhow::Result<()> {
    let script =
        fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let fixed = script.replace("pk3s__subcmd__telemetry", "pk3s__telemetry");
    fs::write(path, fixed).with_context(|| format!("{}: cannot write", path.display()))
}
