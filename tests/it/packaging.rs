//! Packaging: generated completions and man pages are fresh, load in real shells, install
//! and uninstall cleanly; every command's help names its environment variables.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, Sandbox, files_under, finish, needs};

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
    if !needs("zsh", "the zsh completion check") {
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

fn make(dest: &Path, target: &str, bin: &Path, dry_run: bool) -> crate::harness::Run {
    let mut c = Command::new("make");
    c.current_dir(repo()).args([
        "--no-print-directory",
        "-s",
        target,
        "PREFIX=/usr/local",
        &format!("DESTDIR={}", dest.display()),
        &format!("BIN={}", bin.display()),
        // Never a real build here: the binary under test is the one installed.
        "CARGO=true",
    ]);
    if dry_run {
        c.arg("-n");
    }
    finish(c, None)
}

#[test]
fn make_install_and_uninstall_put_everything_where_shells_look() {
    if !has("make") {
        eprintln!("make is not installed here: skipping");
        return;
    }
    let s = Sandbox::new();
    let dest = s.path("dest");
    // A directory that was there before, with someone else's file in it.
    let theirs = s.write("dest/usr/local/bin/other-tool", "#!/bin/sh\n");
    let run = make(&dest, "install", Path::new(BIN), false);
    assert_eq!(run.code, 0, "{run:#?}");
    let root = dest.join("usr/local");
    for f in [
        "bin/pk3s-telemetry",
        "share/man/man1/pk3s-telemetry.1",
        "share/man/man1/pk3s-telemetry-send-manifest.1",
        "share/man/man1/pk3s-telemetry-enable.1",
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
    // The record names the installed system's paths, never the build root.
    let record = fs::read_to_string(root.join("share/pk3s-telemetry/created-directories")).unwrap();
    assert!(record.lines().any(|l| l == "/usr/local/share"), "{record}");
    assert!(
        !record.contains(&*dest.to_string_lossy()),
        "DESTDIR in the record: {record}"
    );
    // A second install changes nothing of what uninstall will remove.
    assert_eq!(make(&dest, "install", Path::new(BIN), false).code, 0);
    let run = make(&dest, "uninstall", Path::new(BIN), false);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(files_under(&dest), vec![theirs], "uninstall left files");
    assert!(
        root.join("bin").is_dir(),
        "a directory it did not create stays"
    );
    assert!(
        !root.join("share").exists(),
        "the directories it created are gone"
    );
}

#[test]
fn make_install_never_builds_and_stops_on_a_missing_or_stale_binary() {
    if !has("make") {
        eprintln!("make is not installed here: skipping");
        return;
    }
    let s = Sandbox::new();
    let dest = s.path("dest");
    let run = make(&dest, "install", &s.path("no-such-binary"), false);
    assert_ne!(run.code, 0, "{run:#?}");
    run.stderr_has("no-such-binary is missing: run 'make release' first");
    assert!(!dest.exists(), "nothing installed: {run:#?}");
    let bin = s.write("pk3s-telemetry", "stale");
    let set_time = |t: std::time::SystemTime| {
        fs::File::options()
            .write(true)
            .open(&bin)
            .unwrap()
            .set_modified(t)
            .unwrap()
    };
    let year_2000 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(946_684_800);
    set_time(year_2000);
    let run = make(&dest, "install", &bin, false);
    assert_ne!(run.code, 0, "{run:#?}");
    run.stderr_has("is older than ")
        .stderr_has(": run 'make release' first");
    assert!(!dest.exists(), "nothing installed: {run:#?}");
    // Newer than every source: installed as it is, and no build is part of the recipe.
    set_time(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
    let dry = make(&dest, "install", &bin, true);
    assert_eq!(dry.code, 0, "{dry:#?}");
    assert!(!dry.stdout.contains("build"), "{dry:#?}");
    let run = make(&dest, "install", &bin, false);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        fs::read_to_string(dest.join("usr/local/bin/pk3s-telemetry")).unwrap(),
        "stale"
    );
}

/// Every command: (its args, variables its help must name, variables it must not).
const HELP_CASES: &[(&[&str], &[&str], &[&str])] = &[
    (&["send"], &["TELEMETRY_ENDPOINT"], &[]),
    (
        &["send", "manifest"],
        &[
            "TELEMETRY_ENABLED",
            "TELEMETRY_ENDPOINT",
            "TELEMETRY_EXIT_CODE",
            "DO_NOT_TRACK",
        ],
        &[],
    ),
    (
        &["send", "event"],
        &[
            "TELEMETRY_ENABLED",
            "TELEMETRY_ENDPOINT",
            "TELEMETRY_OUTBOX_DIR",
        ],
        // Only a manifest has an exit code.
        &["TELEMETRY_EXIT_CODE"],
    ),
    (
        &["resolve"],
        &[
            "TELEMETRY_ENABLED",
            "DO_NOT_TRACK",
            "TELEMETRY_SESSION_ID",
            "CI",
            // Handed on to the next layer as given.
            "TELEMETRY_PRIVACY_EXTRA",
        ],
        &["SSL_CERT_FILE SSL_CERT_DIR", "TELEMETRY_EXIT_CODE"],
    ),
    (
        &["env"],
        &["TELEMETRY_RUN_ID", "TELEMETRY_PARENT_RUN_ID"],
        &["CI", "HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY"],
    ),
    (
        &["flush"],
        &["TELEMETRY_ENDPOINT", "TELEMETRY_OUTBOX_MAX_AGE_DAYS"],
        &["TELEMETRY_SESSION_ID", "TELEMETRY_COMPONENT"],
    ),
    (
        &["check"],
        &["TELEMETRY_PRIVACY_EXTRA"],
        &[
            "TELEMETRY_ENDPOINT",
            "TELEMETRY_OUTBOX_DIR",
            "TELEMETRY_ENABLED",
        ],
    ),
    (
        &["enable"],
        &["TELEMETRY_CONFIG_DIR", "TELEMETRY_SYSTEM_CONFIG_DIR"],
        &["TELEMETRY_ENDPOINT", "TELEMETRY_OUTBOX_DIR"],
    ),
    (
        &["disable"],
        // --purge empties the outbox, and disable counts what waits there.
        &["TELEMETRY_CONFIG_DIR", "TELEMETRY_OUTBOX_DIR"],
        &["TELEMETRY_ENDPOINT"],
    ),
    (
        &["status"],
        &["TELEMETRY_OUTBOX_DIR", "XDG_STATE_HOME"],
        &["TELEMETRY_SESSION_ID", "TELEMETRY_PRIVACY"],
    ),
    (&["completion"], &[], &["TELEMETRY_ENABLED", "CI"]),
];

/// The names under the help's "Environment" heading.
fn environment_of(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nEnvironment") else {
        return Vec::new();
    };
    help[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn each_commands_help_has_its_own_variables_examples_and_exit_statuses() {
    let s = Sandbox::new();
    let top = s.run(&["--help"]);
    top.ok();
    let all = environment_of(&top.stdout);
    for name in [
        "TELEMETRY_ENABLED",
        "TELEMETRY_PRIVACY_EXTRA",
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "TELEMETRY_OUTBOX_MAX_ENTRIES",
        "DO_NOT_TRACK",
        "CI",
    ] {
        assert!(all.iter().any(|v| v == name), "the top help lacks {name}");
    }
    for &(cmd, has, lacks) in HELP_CASES {
        let mut args = cmd.to_vec();
        args.push("--help");
        let run = s.run(&args);
        run.ok();
        let help = &run.stdout;
        let vars = environment_of(help);
        for v in has {
            assert!(vars.iter().any(|x| x == v), "{cmd:?} --help lacks {v}");
        }
        for v in lacks {
            assert!(!vars.iter().any(|x| x == v), "{cmd:?} --help names {v}");
        }
        let examples = help
            .lines()
            .filter(|l| l.starts_with("  $ ") && l.contains("pk3s-telemetry "))
            .count();
        assert!(
            (2..=3).contains(&examples),
            "{cmd:?}: {examples} examples\n{help}"
        );
        assert!(help.contains("\nExit status:\n  0 "), "{cmd:?}\n{help}");
        if cmd != ["send"] && cmd != ["completion"] {
            assert!(help.contains("\nGlobal options:\n"), "{cmd:?}\n{help}");
        }
    }
    let run = s.run(&["--version"]);
    assert_eq!(
        run.stdout,
        concat!("pk3s-telemetry ", env!("CARGO_PKG_VERSION"), "\n")
    );
}

#[test]
fn check_and_the_saved_choice_take_only_the_flags_they_use() {
    let s = Sandbox::new();
    for cmd in [&["check", "--help"][..], &["enable", "--help"]] {
        let run = s.run(cmd);
        run.ok();
        assert!(
            !run.stdout.contains("--endpoint"),
            "{cmd:?}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("--outbox"), "{cmd:?}");
        assert!(run.stdout.contains("--quiet"), "{cmd:?}");
    }
    let run = s.run(&["check", "--endpoint", "http://127.0.0.1:9/", "x.json"]);
    assert_eq!(run.code, 2, "{run:#?}");
}

#[test]
fn help_wraps_to_the_terminal_width() {
    let mut s = Sandbox::new();
    for width in [60, 100] {
        s.set("COLUMNS", &width.to_string());
        for cmd in [
            &["--help"][..],
            &["flush", "--help"],
            &["send", "manifest", "--help"],
        ] {
            let run = s.run(cmd);
            run.ok();
            for line in run.stdout.lines() {
                // Only a single word longer than the width (a URL) may overflow.
                assert!(
                    line.chars().count() <= width || !line.trim().contains(' '),
                    "{cmd:?} at {width} columns: {line:?}"
                );
            }
        }
    }
}

#[test]
fn man_pages_have_environment_exit_status_and_examples_sections() {
    let s = Sandbox::new();
    let out = s.path("gen");
    s.run(&["generate", out.to_str().unwrap()]).ok();
    let pages = files_under(&out.join("man"));
    assert!(pages.len() >= 8, "{pages:?}");
    for page in &pages {
        let text = fs::read_to_string(page).unwrap();
        for section in [".SH ENVIRONMENT", ".SH \"EXIT STATUS\"", ".SH EXAMPLES"] {
            assert!(text.contains(section), "{}: no {section}", page.display());
        }
        assert!(!text.contains(".SH EXTRA"), "{}", page.display());
    }
    let top = fs::read_to_string(out.join("man/pk3s-telemetry.1")).unwrap();
    assert!(top.contains("TELEMETRY_PRIVACY_EXTRA") && top.contains("TELEMETRY_SYSTEM_CONFIG_DIR"));
    let check = fs::read_to_string(out.join("man/pk3s-telemetry-check.1")).unwrap();
    assert!(
        !check.contains("TELEMETRY_ENDPOINT"),
        "check's page names only its own"
    );
}

/// The NAME line of a man page, as `whatis` shows it (roff escapes undone).
fn name_line(page: &str) -> String {
    let mut lines = page.lines().skip_while(|l| *l != ".SH NAME");
    lines
        .nth(1)
        .unwrap_or_default()
        .replace("\\-", "-")
        .replace("\\*(Aq", "'")
}

#[test]
fn man_pages_name_lines_describe_the_tool_and_each_command() {
    let s = Sandbox::new();
    let out = s.path("gen");
    s.run(&["generate", out.to_str().unwrap()]).ok();
    for page in files_under(&out.join("man")) {
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        let mut args: Vec<&str> = stem
            .strip_prefix("pk3s-telemetry")
            .unwrap()
            .split('-')
            .filter(|w| !w.is_empty())
            .collect();
        args.push("-h");
        let help = s.run(&args).ok().stdout.clone();
        // The first paragraph, however the help wrapped it.
        let about = help
            .lines()
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let name = name_line(&fs::read_to_string(&page).unwrap());
        assert_eq!(name, format!("{stem} - {about}"), "{}", page.display());
        assert!(!name.contains("flags that override"), "{name}");
        if has("lexgrog") {
            // man-db's own reading, which whatis and apropos index.
            let o = Command::new("lexgrog").arg(&page).output().unwrap();
            let said = String::from_utf8_lossy(&o.stdout);
            assert!(said.contains(&format!("\"{stem} - ")), "{said}");
        }
    }
    let top = name_line(&fs::read_to_string(out.join("man/pk3s-telemetry.1")).unwrap());
    assert_eq!(
        top,
        "pk3s-telemetry - Anonymous, opt-in usage telemetry for the productive-k3s shell layers"
    );
}

#[test]
fn verbose_repeats_and_the_flags_work_before_or_after_the_command() {
    let s = Sandbox::new();
    for args in [
        &["-vv", "resolve"][..],
        &["resolve", "-vv"],
        &["-v", "resolve", "-v"],
    ] {
        let run = s.run(args);
        run.ok().stderr_has(
            "settings: endpoint https://telemetry.productive-k3s.io/telemetry (default)",
        );
    }
    let run = s.run(&["-v", "resolve"]);
    run.ok();
    assert!(!run.stderr.contains("settings:"), "{run:#?}");
    let run = s.run(&["-q", "resolve", "-vv"]);
    assert!(!run.stderr.contains("settings:"), "-q wins: {run:#?}");
    let j = s.run(&["resolve", "--outbox", "/tmp/x-outbox", "--format", "json"]);
    assert!(j.ok().stdout.contains("/tmp/x-outbox"), "{j:#?}");
}

#[test]
fn env_with_a_command_but_no_double_dash_suggests_it() {
    let s = Sandbox::new();
    let run = s.run(&["env", "true"]);
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has("unexpected argument 'true'")
        .stderr_has("put -- before it: 'pk3s-telemetry env -- true ...'");
    // Only for env: elsewhere clap's own message stands.
    let run = s.run(&["resolve", "true"]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("put --"), "{run:#?}");
}
