//! Packaging: generated completions and man pages are fresh, load in real shells, install
//! and uninstall cleanly; every command's help names its environment variables.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, Sandbox, files_under, finish};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn relative(files: &[PathBuf], base: &Path) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| f.strip_prefix(base).unwrap().to_path_buf())
        .collect()
}

#[test]
fn committed_completions_and_man_pages_are_fresh() {
    let s = Sandbox::new();
    let out = s.path("gen");
    s.run(&["generate", out.to_str().unwrap()]).ok();
    for dir in ["completions", "man"] {
        let fresh = files_under(&out.join(dir));
        let committed = files_under(&repo().join(dir));
        assert_eq!(
            relative(&fresh, &out),
            relative(&committed, &repo()),
            "{dir}/ is stale: run `make generate`"
        );
        for (f, c) in fresh.iter().zip(&committed) {
            assert!(
                fs::read(f).unwrap() == fs::read(c).unwrap(),
                "{} is stale: run `make generate`",
                c.display()
            );
        }
    }
    let bash = fs::read_to_string(out.join("completions/pk3s-telemetry.bash")).unwrap();
    assert!(
        !bash.contains("generate"),
        "the hidden command stays hidden"
    );
}

#[test]
fn bash_completion_loads_and_completes_subcommands() {
    let script = format!(
        "source {}/completions/pk3s-telemetry.bash || exit 9
         COMP_WORDS=(pk3s-telemetry se); COMP_CWORD=1; COMP_LINE='pk3s-telemetry se'
         COMP_POINT=${{#COMP_LINE}}
         _pk3s__telemetry pk3s-telemetry se pk3s-telemetry
         printf '%s\\n' \"${{COMPREPLY[@]}}\"
         COMP_WORDS=(pk3s-telemetry send manifest --dry); COMP_CWORD=3
         _pk3s__telemetry pk3s-telemetry --dry manifest
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        repo().display()
    );
    let mut c = Command::new("bash");
    c.args(["--norc", "--noprofile", "-c", &script]);
    let run = finish(c, None);
    assert_eq!(run.code, 0, "{run:#?}");
    let words: Vec<&str> = run.stdout.lines().collect();
    assert!(words.contains(&"send"), "{words:?}");
    assert!(words.contains(&"--dry-run"), "{words:?}");
    assert!(
        !words.contains(&"resolve"),
        "only what matches 'se': {words:?}"
    );
}

#[test]
fn zsh_completion_registers_with_compinit() {
    if !has("zsh") {
        eprintln!("zsh is not installed here: skipping the zsh completion check");
        return;
    }
    let s = Sandbox::new();
    let script = format!(
        "autoload -Uz compinit && compinit -u -d {dump}
         fpath=({repo}/completions $fpath)
         source {repo}/completions/_pk3s-telemetry || exit 9
         print -r -- ${{_comps[pk3s-telemetry]}}
         whence -w _pk3s-telemetry",
        dump = s.path("zcompdump").display(),
        repo = repo().display()
    );
    let mut c = Command::new("zsh");
    c.args(["-f", "-c", &script]).env("HOME", s.path("home"));
    let run = finish(c, None);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        run.stdout, "_pk3s-telemetry\n_pk3s-telemetry: function\n",
        "{run:#?}"
    );
}

#[test]
fn make_install_and_uninstall_put_everything_where_shells_look() {
    if !has("make") {
        eprintln!("make is not installed here: skipping");
        return;
    }
    let s = Sandbox::new();
    let dest = s.path("dest");
    let make = |target: &str| {
        let mut c = Command::new("make");
        c.current_dir(repo()).args([
            "--no-print-directory",
            "-s",
            target,
            "PREFIX=/usr/local",
            &format!("DESTDIR={}", dest.display()),
            &format!("BIN={BIN}"),
        ]);
        finish(c, None)
    };
    let run = make("install");
    assert_eq!(run.code, 0, "{run:#?}");
    let root = dest.join("usr/local");
    for f in [
        "bin/pk3s-telemetry",
        "share/man/man1/pk3s-telemetry.1",
        "share/man/man1/pk3s-telemetry-send-manifest.1",
        "share/bash-completion/completions/pk3s-telemetry",
        "share/zsh/site-functions/_pk3s-telemetry",
        "share/fish/vendor_completions.d/pk3s-telemetry.fish",
        "share/elvish/lib/pk3s-telemetry.elv",
        "share/pk3s-telemetry/completions/_pk3s-telemetry.ps1",
    ] {
        assert!(root.join(f).is_file(), "{f} not installed");
    }
    let installed = Command::new(root.join("bin/pk3s-telemetry"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout),
        concat!("pk3s-telemetry ", env!("CARGO_PKG_VERSION"), "\n")
    );
    let run = make("uninstall");
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        files_under(&dest),
        Vec::<PathBuf>::new(),
        "uninstall left files"
    );
}

#[test]
fn every_commands_help_names_its_environment_variables() {
    let s = Sandbox::new();
    for cmd in [
        &["send", "manifest"][..],
        &["send", "event"],
        &["resolve"],
        &["env"],
        &["check"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let run = s.run(&args);
        run.ok();
        for needle in [
            "TELEMETRY_ENABLED",
            "TELEMETRY_ENDPOINT",
            "TELEMETRY_OUTBOX_DIR",
            "DO_NOT_TRACK",
            "[default: runs/telemetry-outbox]",
        ] {
            assert!(run.stdout.contains(needle), "{cmd:?} --help lacks {needle}");
        }
    }
    let run = s.run(&["--version"]);
    assert_eq!(
        run.stdout,
        concat!("pk3s-telemetry ", env!("CARGO_PKG_VERSION"), "\n")
    );
}
