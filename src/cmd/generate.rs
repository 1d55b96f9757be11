//! `generate DIR` (hidden): writes the shell completions and man pages from the clap
//! definition into DIR/completions and DIR/man, and the rule list of DIR/docs/privacy.md
//! (when there is one) from the privacy guard's table. `make generate` runs it on the
//! repository; tests fail when the committed files are stale.

use std::fs;
use std::process::ExitCode;

use anyhow::Context as _;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::GenerateArgs;
use crate::cli::help::{self, Page};
use crate::cmd::DELIVERED;
use crate::cmd::completion::{self, visible};

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let completions = args.dir.join("completions");
    let man = args.dir.join("man");
    for dir in [&completions, &man] {
        fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    // The same bytes as `completion SHELL` prints.
    for shell in completion::SHELLS {
        let path = completions.join(completion::file_name(shell));
        fs::write(&path, completion::script(shell))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    // One page per visible command: pk3s-telemetry.1, pk3s-telemetry-send-manifest.1, ...
    let mut root = visible().disable_help_subcommand(true);
    root.build();
    man_pages(&root, &man)?;
    let page = args.dir.join("docs/privacy.md");
    if let Ok(text) = fs::read_to_string(&page) {
        let fresh = crate::privacy::refreshed_docs(&text).with_context(|| {
            format!(
                "{}: the generated rule list's markers are missing",
                page.display()
            )
        })?;
        if fresh != text {
            fs::write(&page, fresh).with_context(|| format!("{}: cannot write", page.display()))?;
        }
    }
    Ok(ExitCode::from(DELIVERED))
}

/// Like `clap_mangen::generate_to`, with ENVIRONMENT, EXIT STATUS and EXAMPLES sections
/// from `cli::help` where clap_mangen would put the long help text under "EXTRA".
fn man_pages(cmd: &clap::Command, dir: &std::path::Path) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, dir)?;
    }
    let man = Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let page = help::page_named(name);
    let mut out = Vec::new();
    let write = |out: &mut Vec<u8>| -> std::io::Result<()> {
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(out)?;
        }
        if cmd.has_subcommands() {
            man.render_subcommands_section(out)?;
        }
        if let Some(page) = page {
            sections(page).to_writer(out)?;
        }
        man.render_version_section(out)
    };
    write(&mut out).with_context(|| format!("{}: cannot render", path.display()))?;
    fs::write(&path, out).with_context(|| format!("{}: cannot write", path.display()))
}

fn sections(page: &Page) -> Roff {
    let mut roff = Roff::default();
    roff.control("SH", ["ENVIRONMENT"]);
    roff.text([roman(if help::vars_of(page).next().is_none() {
        "This command reads no variable."
    } else {
        "Flags win over variables. An unset variable takes its default."
    })]);
    for v in help::vars_of(page) {
        roff.control("TP", []);
        roff.text([bold(v.name)]);
        let default = if v.default.is_empty() {
            String::new()
        } else {
            format!(" [default: {}]", v.default)
        };
        roff.text([roman(format!("{}{default}", v.about))]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in page.exits {
        roff.control("TP", []);
        roff.text([bold(*code)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["EXAMPLES"]);
    for (what, line) in page.examples {
        roff.control("TP", []);
        roff.text([roman(*what)]);
        roff.control("nf", []);
        roff.text([roman(format!("$ {line}"))]);
        roff.control("fi", []);
    }
    roff
}
