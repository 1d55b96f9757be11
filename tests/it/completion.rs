//! `completion SHELL`: the scripts on demand, the same bytes as the committed files that
//! `make install` installs, and working in the shells that CI has.

use std::fs;
use std::path::PathBuf;

use crate::harness::{Sandbox, finish, needs};

const SHELLS: [(&str, &str); 5] = [
    ("bash", "pk3s-telemetry.bash"),
    ("zsh", "_pk3s-telemetry"),
    ("fish", "pk3s-telemetry.fish"),
    ("elvish", "pk3s-telemetry.elv"),
    ("powershell", "_pk3s-telemetry.ps1"),
];

fn committed(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn completion_prints_each_shells_script_as_committed() {
    let s = Sandbox::new();
    for (shell, file) in SHELLS {
        let run = s.run(&["completion", shell]);
        run.ok();
        assert!(run.stderr.is_empty(), "{shell}: {run:#?}");
        assert!(
            run.stdout == committed(file),
            "completion {shell} differs from completions/{file}: run `make generate`"
        );
        // The scripts complete the command that prints them, and never the hidden ones.
        assert!(run.stdout.contains("completion"), "{shell}");
        assert!(!run.stdout.contains("deliver-outbox"), "{shell}");
    }
}

#[test]
fn an_unknown_shell_is_exit_2_naming_the_ones_there_are() {
    let s = Sandbox::new();
    for args in [&["completion", "tcsh"][..], &["completion"]] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(run.stdout.is_empty(), "{run:#?}");
        assert!(
            run.stderr.starts_with("pk3s-telemetry: error: "),
            "{}",
            run.stderr
        );
    }
    s.run(&["completion", "tcsh"])
        .stderr_has("invalid value 'tcsh'")
        .stderr_has("bash, elvish, fish, powershell, zsh");
}

/// What bash completes for the words typed, with the script `completion bash` printed.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let script = format!(
        "source <(pk3s-telemetry completion bash) || exit 9
         COMP_WORDS=({line}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
         _pk3s__telemetry pk3s-telemetry '{}' '{}'
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let mut s = Sandbox::new();
    s.with_bin_on_path();
    let run = finish(
        s.program("bash", &["--norc", "--noprofile", "-c", &script]),
        None,
    );
    assert_eq!(run.code, 0, "{run:#?}");
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_from_the_printed_script() {
    let shells = bash_completes(&["pk3s-telemetry", "completion", ""]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.iter().any(|w| w == shell), "{shells:?}");
    }
    let flags = bash_completes(&["pk3s-telemetry", "disable", "--p"]);
    assert_eq!(flags, ["--purge"]);
    let flags = bash_completes(&["pk3s-telemetry", "status", "--j"]);
    assert_eq!(flags, ["--json"]);
}

#[test]
fn zsh_loads_the_printed_script_with_compinit() {
    if !needs("zsh", "the zsh completion check (completion zsh)") {
        return;
    }
    let mut s = Sandbox::new();
    s.with_bin_on_path();
    let script = format!(
        "autoload -Uz compinit && compinit -u -d {dump}
         mkdir -p {dir} && pk3s-telemetry completion zsh > {dir}/_pk3s-telemetry || exit 9
         fpath=({dir} $fpath)
         source {dir}/_pk3s-telemetry || exit 8
         print -r -- ${{_comps[pk3s-telemetry]}}
         whence -w _pk3s-telemetry",
        dump = s.path("zcompdump").display(),
        dir = s.path("zfunc").display(),
    );
    let mut c = s.program("zsh", &["-f", "-c", &script]);
    c.env("HOME", s.path("home"));
    let run = finish(c, None);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        run.stdout, "_pk3s-telemetry\n_pk3s-telemetry: function\n",
        "{run:#?}"
    );
    // What zsh offers after `completion`: the shells, from the script's own list.
    let listed = fs::read_to_string(s.path("zfunc/_pk3s-telemetry")).unwrap();
    assert!(
        listed.contains("bash") && listed.contains("powershell"),
        "{listed}"
    );
}
