//! `resolve` and `env`: the consent precedence, the real prompt on a pseudo-terminal,
//! correlation ids, exports that survive `eval` in bash, dash and zsh whatever they hold,
//! `env -- COMMAND` status passthrough, and a cli → infra → core chain of shell scripts.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::harness::{Run, Sandbox, finish};
use crate::pty::{Finished, Pty};
use crate::server::{Reply, Server};

const TOKEN: &str = "tok-SECRET-9c2d";
const QUESTION: &str = "Enable anonymous telemetry for this run? [Y/n]";

/// A sandbox whose scripts can call the tool as `pk3s-telemetry` (and as "$PK3S").
fn sandbox() -> Sandbox {
    let mut s = Sandbox::new();
    s.with_bin_on_path();
    s
}

fn json_of(run: &Run) -> Value {
    run.ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn value<'a>(j: &'a Value, name: &str) -> &'a Value {
    assert!(j.get(name).is_some(), "{name} missing from {j:#}");
    &j[name]["value"]
}

fn source<'a>(j: &'a Value, name: &str) -> &'a str {
    j[name]["source"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {j:#}"))
}

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
}

/// Runs `script` with `shell -c` in the sandbox, no terminal anywhere.
fn shell(s: &Sandbox, shell: &str, script: &str) -> Run {
    finish(s.program(shell, &["-c", script]), None)
}

fn shell_available(name: &str) -> bool {
    Command::new(name)
        .args(["-c", "exit 0"])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------
// Consent

#[test]
fn consent_precedence_without_a_terminal() {
    // (--telemetry, TELEMETRY_ENABLED, DO_NOT_TRACK) → (exported TELEMETRY_ENABLED, source)
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        &'static str,
    );
    let cases: &[Case] = &[
        (Some("enable"), Some("0"), Some("1"), "true", "flag"),
        (Some("disable"), Some("yes"), None, "false", "flag"),
        (None, Some("TRUE"), Some("1"), "true", "env"),
        (None, Some("off"), None, "false", "env"),
        (None, Some("maybe"), None, "false", "env"),
        (None, Some(""), Some("1"), "false", "do_not_track"),
        (None, None, Some("1"), "false", "do_not_track"),
        (None, None, Some("0"), "false", "default"),
        (None, None, None, "false", "default"),
    ];
    for &(flag, enabled, dnt, want, from) in cases {
        let mut s = Sandbox::new();
        if let Some(v) = enabled {
            s.set("TELEMETRY_ENABLED", v);
        }
        if let Some(v) = dnt {
            s.set("DO_NOT_TRACK", v);
        }
        let mut args = vec!["resolve"];
        if let Some(f) = flag {
            args.extend(["--telemetry", f]);
        }
        let case = format!("{flag:?} TELEMETRY_ENABLED={enabled:?} DO_NOT_TRACK={dnt:?}");

        let shell_out = s.run(&args);
        shell_out.ok();
        let line = format!("export TELEMETRY_ENABLED='{want}'\n");
        assert!(
            shell_out.stdout.starts_with(&line),
            "{case}: {shell_out:#?}"
        );

        args.extend(["--format", "json"]);
        let j = json_of(&s.run(&args));
        assert_eq!(value(&j, "TELEMETRY_ENABLED"), want, "{case}");
        assert_eq!(source(&j, "TELEMETRY_ENABLED"), from, "{case}");
    }
}

#[test]
fn an_unclear_telemetry_enabled_warns_naming_it_and_counts_as_off() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "maybe");
    let run = s.run(&["resolve"]);
    run.ok();
    assert!(
        run.stderr.contains("TELEMETRY_ENABLED=\"maybe\""),
        "{run:#?}"
    );
    assert!(run.stdout.contains("export TELEMETRY_ENABLED='false'\n"));
}

/// `resolve` on a terminal: stdin and stderr are the terminal, stdout a pipe.
fn resolve_on_terminal(s: &Sandbox, args: &[&str]) -> crate::pty::OnTerminal {
    let pty = Pty::open();
    let mut c = s.command(args);
    c.stdin(pty.terminal()).stderr(pty.terminal());
    pty.spawn(c)
}

fn answered(f: &Finished) -> Value {
    assert_eq!(f.code, Some(0), "{f:#?}");
    assert!(
        !f.stdout.contains("anonymous"),
        "the prompt stays off stdout: {f:#?}"
    );
    serde_json::from_str(&f.stdout).unwrap_or_else(|e| panic!("{e}: {f:#?}"))
}

#[test]
fn the_prompt_on_a_terminal_defaults_to_yes_and_reads_answers() {
    // (keys typed, exported value)
    for (keys, want) in [
        ("\r", "true"),
        ("y\r", "true"),
        ("n\r", "false"),
        ("NO\r", "false"),
    ] {
        let s = Sandbox::new();
        let mut t = resolve_on_terminal(&s, &["resolve", "--format", "json"]);
        assert!(t.wait_for(QUESTION), "no prompt: {}", t.screen());
        // The phrases upstream's consent tests assert, as a person sees them.
        let screen = t.screen();
        for phrase in [
            "anonymous telemetry",
            "sensitive information like hostnames or other environment-specific identifiers",
            "propagated to the underlying productive-k3s bootstrap steps",
        ] {
            assert!(screen.contains(phrase), "{phrase:?} in {screen}");
        }
        t.type_keys(keys);
        let f = t.finish();
        let j = answered(&f);
        assert_eq!(value(&j, "TELEMETRY_ENABLED"), want, "{keys:?}: {f:#?}");
        assert_eq!(source(&j, "TELEMETRY_ENABLED"), "prompt", "{keys:?}");
        assert_eq!(f.terminal.matches(QUESTION).count(), 1, "{f:#?}");
    }
}

#[test]
fn an_unclear_answer_is_asked_again() {
    let s = Sandbox::new();
    let mut t = resolve_on_terminal(&s, &["resolve", "--format", "json"]);
    assert!(t.wait_for(QUESTION), "{}", t.screen());
    t.type_keys("perhaps\r");
    assert!(
        t.wait_for("Please answer y (yes) or n (no)."),
        "{}",
        t.screen()
    );
    t.type_keys("n\r");
    let f = t.finish();
    let j = answered(&f);
    assert_eq!(value(&j, "TELEMETRY_ENABLED"), "false");
    assert_eq!(f.terminal.matches(QUESTION).count(), 2, "{f:#?}");
}

#[test]
fn ci_false_is_not_ci() {
    let mut s = Sandbox::new();
    s.set("CI", "false");
    let mut t = resolve_on_terminal(&s, &["resolve", "--format", "json"]);
    assert!(t.wait_for(QUESTION), "{}", t.screen());
    t.type_keys("\r");
    let j = answered(&t.finish());
    assert_eq!(value(&j, "TELEMETRY_ENABLED"), "true");
}

#[test]
fn no_prompt_unless_a_person_is_at_the_terminal_and_nobody_has_decided() {
    // (variables, stdin a terminal, stderr a terminal, extra args) → (value, source).
    // Were the question asked, the program would wait for an answer that never comes, and
    // `finish` would fail the test.
    type Case = (
        &'static [(&'static str, &'static str)],
        bool,
        bool,
        &'static [&'static str],
        &'static str,
        &'static str,
    );
    let cases: &[Case] = &[
        (&[("CI", "true")], true, true, &[], "false", "default"),
        (&[("CI", "1")], true, true, &[], "false", "default"),
        (&[], false, true, &[], "false", "default"),
        (&[], true, false, &[], "false", "default"),
        (
            &[("TELEMETRY_ENABLED", "1")],
            true,
            true,
            &[],
            "true",
            "env",
        ),
        (
            &[("DO_NOT_TRACK", "1")],
            true,
            true,
            &[],
            "false",
            "do_not_track",
        ),
        (
            &[],
            true,
            true,
            &["--telemetry", "disable"],
            "false",
            "flag",
        ),
    ];
    for &(vars, stdin_tty, stderr_tty, extra, want, from) in cases {
        let mut s = Sandbox::new();
        for (k, v) in vars {
            s.set(k, v);
        }
        let mut args = vec!["resolve", "--format", "json"];
        args.extend(extra);
        let pty = Pty::open();
        let mut c = s.command(&args);
        c.stdin(if stdin_tty {
            pty.terminal()
        } else {
            Stdio::null()
        })
        .stderr(if stderr_tty {
            pty.terminal()
        } else {
            Stdio::null()
        });
        let f = pty.spawn(c).finish();
        let case = format!("{vars:?} stdin tty {stdin_tty}, stderr tty {stderr_tty}, {extra:?}");
        assert!(!f.terminal.contains(QUESTION), "{case}: {f:#?}");
        let j = answered(&f);
        assert_eq!(value(&j, "TELEMETRY_ENABLED"), want, "{case}");
        assert_eq!(source(&j, "TELEMETRY_ENABLED"), from, "{case}");
    }
}

#[test]
fn env_never_asks_even_at_a_terminal() {
    let s = Sandbox::new();
    let f = resolve_on_terminal(&s, &["env", "--format", "json"]).finish();
    assert!(!f.terminal.contains(QUESTION), "{f:#?}");
    let j = answered(&f);
    // Undecided stays undecided: a child that resolves at a terminal may still ask.
    assert_eq!(j["TELEMETRY_ENABLED"]["exported"], json!(false), "{j:#}");
    assert_eq!(
        value(&j, "TELEMETRY_ENABLED"),
        &Value::Null,
        "nothing assigned"
    );
}

#[test]
fn one_question_per_chain_nested_layers_inherit_the_answer() {
    let s = sandbox();
    let script = r#"
        set -eu
        eval "$("$PK3S" resolve --component cli)"
        printf 'cli %s %s\n' "$TELEMETRY_ENABLED" "$TELEMETRY_SESSION_ID"
        "$PK3S" env -- sh -c '
            eval "$("$PK3S" resolve --component infra)"
            printf "infra %s %s\n" "$TELEMETRY_ENABLED" "$TELEMETRY_SESSION_ID"
            "$PK3S" resolve --component core --format json'
    "#;
    let pty = Pty::open();
    let mut c = s.program("bash", &["-c", script]);
    c.stdin(pty.terminal()).stderr(pty.terminal());
    let mut t = pty.spawn(c);
    assert!(t.wait_for(QUESTION), "{}", t.screen());
    t.type_keys("\r");
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:#?}");
    assert_eq!(
        f.terminal.matches(QUESTION).count(),
        1,
        "asked once: {f:#?}"
    );

    let mut lines = f.stdout.splitn(3, '\n');
    let cli: Vec<&str> = lines.next().unwrap().split(' ').collect();
    let infra: Vec<&str> = lines.next().unwrap().split(' ').collect();
    let core: Value = serde_json::from_str(lines.next().unwrap()).expect("json");
    assert_eq!(cli[..2], ["cli", "true"], "{f:#?}");
    assert_eq!(infra[..2], ["infra", "true"], "{f:#?}");
    assert_eq!(cli[2], infra[2], "one session");
    assert_eq!(value(&core, "TELEMETRY_SESSION_ID"), cli[2]);
    assert_eq!(value(&core, "TELEMETRY_ENABLED"), "true");
    assert_eq!(source(&core, "TELEMETRY_ENABLED"), "env", "inherited");
}

// ---------------------------------------------------------------------------------------
// Correlation and the other settings

#[test]
fn a_fresh_run_gets_new_ids_and_exports_only_what_it_decides_or_was_given() {
    let s = Sandbox::new();
    let a = json_of(&s.run(&["resolve", "--format", "json"]));
    let b = json_of(&s.run(&["resolve", "--format", "json"]));
    for name in ["TELEMETRY_SESSION_ID", "TELEMETRY_RUN_ID"] {
        assert!(is_uuid(value(&a, name)), "{name}: {a:#}");
        assert_eq!(source(&a, name), "default");
        assert_ne!(value(&a, name), value(&b, name), "{name} is new each time");
    }
    assert_ne!(
        value(&a, "TELEMETRY_SESSION_ID"),
        value(&a, "TELEMETRY_RUN_ID")
    );
    assert_eq!(value(&a, "TELEMETRY_PARENT_RUN_ID"), &Value::Null);
    for (name, want) in [
        ("TELEMETRY_ENABLED", "false"),
        ("TELEMETRY_COMPONENT", "core"),
    ] {
        assert_eq!(value(&a, name), want, "{name}");
        assert_eq!(a[name]["exported"], json!(true), "{name}");
    }
    // Unset settings: nothing assigned (value null), not exported; the default every
    // layer applies is shown beside it.
    let defaults = [
        (
            "TELEMETRY_ENDPOINT",
            "https://telemetry.productive-k3s.io/telemetry",
        ),
        ("TELEMETRY_MARKER", "pk3s-public-v1"),
        ("TELEMETRY_MAX_RETRIES", "3"),
        ("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "5"),
        ("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "10"),
        (
            "TELEMETRY_USER_AGENT",
            concat!("productive-k3s/", env!("CARGO_PKG_VERSION")),
        ),
        ("TELEMETRY_SOURCE_REPOSITORY", "productive-k3s"),
        ("TELEMETRY_SOURCE_SCRIPT", "scripts/apply.sh"),
    ];
    for (name, want) in defaults {
        assert_eq!(
            a[name],
            json!({"value": null, "source": "default", "exported": false, "default": want}),
            "{name}"
        );
    }
    assert_eq!(
        a["TELEMETRY_BEARER_TOKEN"],
        json!({"set": false, "source": "default"})
    );
    // The sandbox sets an absolute outbox: handed on as given.
    assert_eq!(
        a["TELEMETRY_OUTBOX_DIR"],
        json!({"value": s.outbox().display().to_string(), "source": "env", "exported": true})
    );

    // The shell form: decided values and given settings exported, and nothing else.
    let sh = s.run(&["resolve"]);
    sh.ok();
    assert!(sh.stdout.starts_with("export TELEMETRY_ENABLED='false'\n"));
    assert_eq!(
        sh.stdout
            .lines()
            .filter(|l| !l.starts_with("export "))
            .count(),
        0,
        "{sh:#?}"
    );
    assert!(!sh.stdout.contains("TELEMETRY_MARKER"), "{sh:#?}");
}

#[test]
fn handed_in_ids_are_kept_and_an_empty_run_id_counts_as_absent() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_SESSION_ID", "sess-1")
        .set("TELEMETRY_RUN_ID", "run-1")
        .set("TELEMETRY_PARENT_RUN_ID", "parent-0")
        .set("TELEMETRY_COMPONENT", "infra");
    let j = json_of(&s.run(&["resolve", "--format", "json"]));
    for (name, want) in [
        ("TELEMETRY_SESSION_ID", "sess-1"),
        ("TELEMETRY_RUN_ID", "run-1"),
        ("TELEMETRY_PARENT_RUN_ID", "parent-0"),
        ("TELEMETRY_COMPONENT", "infra"),
    ] {
        assert_eq!(value(&j, name), want, "{name}");
        assert_eq!(source(&j, name), "env", "{name}");
    }

    s.set("TELEMETRY_RUN_ID", "");
    let j = json_of(&s.run(&["resolve", "--format", "json", "--component", "core"]));
    assert!(is_uuid(value(&j, "TELEMETRY_RUN_ID")), "{j:#}");
    assert_eq!(source(&j, "TELEMETRY_RUN_ID"), "default");
    assert_eq!(value(&j, "TELEMETRY_SESSION_ID"), "sess-1");
    assert_eq!(value(&j, "TELEMETRY_PARENT_RUN_ID"), "parent-0");
    assert_eq!(value(&j, "TELEMETRY_COMPONENT"), "core");
    assert_eq!(source(&j, "TELEMETRY_COMPONENT"), "flag");
}

#[test]
fn settings_that_were_set_are_handed_on_exactly_as_given() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_MAX_RETRIES", "lots")
        .set("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "2.5")
        .set("TELEMETRY_MARKER", "m-2")
        .set("TELEMETRY_OUTBOX_DIR", "rel/box")
        .set("TELEMETRY_ENDPOINT", "");
    let run = s.run(&[
        "--endpoint",
        "http://127.0.0.1:9/t",
        "resolve",
        "--format",
        "json",
    ]);
    let j = json_of(&run);
    assert!(
        run.stderr.contains("TELEMETRY_MAX_RETRIES=\"lots\""),
        "{run:#?}"
    );
    // As given, even when this tool warns and uses its default: the next layer decides
    // for itself, and a relative outbox stays relative (a remote node's own directory).
    for (name, want, from) in [
        ("TELEMETRY_MAX_RETRIES", "lots", "default"),
        ("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "2.5", "env"),
        ("TELEMETRY_MARKER", "m-2", "env"),
        ("TELEMETRY_OUTBOX_DIR", "rel/box", "env"),
        ("TELEMETRY_ENDPOINT", "http://127.0.0.1:9/t", "flag"),
    ] {
        assert_eq!(value(&j, name), want, "{name}");
        assert_eq!(source(&j, name), from, "{name}");
        assert_eq!(j[name]["exported"], json!(true), "{name}");
    }
    assert_eq!(
        j["TELEMETRY_REQUEST_TIMEOUT_SECONDS"]["exported"],
        json!(false)
    );
    // Set but empty means "no endpoint": handed down as empty, not as the default.
    s.set("TELEMETRY_ENABLED", "1");
    let j = json_of(&s.run(&["resolve", "--format", "json"]));
    assert_eq!(value(&j, "TELEMETRY_ENDPOINT"), "");
    assert_eq!(source(&j, "TELEMETRY_ENDPOINT"), "env");
    let j = json_of(&s.run(&["--outbox", "other", "resolve", "--format", "json"]));
    assert_eq!(value(&j, "TELEMETRY_OUTBOX_DIR"), "other");
    assert_eq!(source(&j, "TELEMETRY_OUTBOX_DIR"), "flag");
}

#[test]
fn a_layers_own_unexported_values_survive_eval_and_unset_settings_stay_unset() {
    let s = sandbox();
    for sh in ["bash", "dash", "zsh"] {
        if !shell_available(sh) {
            eprintln!("{sh} is not installed here: skipped");
            continue;
        }
        // A layer's configured, unexported values, then eval under `set -u`: they
        // survive, a setting nobody set stays unset, and a layer's own default line in
        // upstream's form (`${NAME:-}`) gives what upstream persists for it: "".
        let script = r#"
            set -eu
            TELEMETRY_ENDPOINT='http://127.0.0.1:9/layer'
            TELEMETRY_MAX_RETRIES=7
            eval "$(pk3s-telemetry resolve --telemetry enable)"
            TELEMETRY_USER_AGENT="${TELEMETRY_USER_AGENT:-}"
            printf '%s|%s|%s|%s|%s\n' "$TELEMETRY_ENDPOINT" "$TELEMETRY_MAX_RETRIES" \
                "${TELEMETRY_MARKER-unset}" "${TELEMETRY_BEARER_TOKEN-unset}" "$TELEMETRY_USER_AGENT"
            sh -c 'printf "%s|%s|%s\n" "${TELEMETRY_ENDPOINT-unset}" "${TELEMETRY_MARKER-unset}" "$TELEMETRY_ENABLED"'
        "#;
        let run = shell(&s, sh, script);
        run.ok();
        assert_eq!(
            run.stdout, "http://127.0.0.1:9/layer|7|unset|unset|\nunset|unset|true\n",
            "{sh}: {run:#?}"
        );
    }
}

#[test]
fn the_token_is_never_printed() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_RUN_ID", "r-1");
    for args in [
        &["resolve"][..],
        &["resolve", "--format", "json"],
        &["env"],
        &["env", "--format", "json"],
        &["-v", "resolve"],
    ] {
        let run = s.run(args);
        run.ok();
        assert!(!run.stdout.contains(TOKEN), "{args:?}: {run:#?}");
        assert!(!run.stderr.contains(TOKEN), "{args:?}: {run:#?}");
        if args.contains(&"json") {
            let j: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(
                j["TELEMETRY_BEARER_TOKEN"],
                json!({"set": true, "source": "env"})
            );
        }
    }
    // It still reaches a child through the environment.
    let run = s.run(&[
        "env",
        "--",
        "sh",
        "-c",
        "printf %s \"$TELEMETRY_BEARER_TOKEN\"",
    ]);
    run.ok();
    assert_eq!(run.stdout, TOKEN);
}

#[test]
fn bad_flags_are_usage_errors() {
    let s = Sandbox::new();
    for args in [
        &["resolve", "--telemetry", "maybe"][..],
        &["resolve", "--component", ""],
        &["resolve", "--format", "yaml"],
        &["env", "--format", "json", "--", "true"],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn a_bad_endpoint_warns_but_the_decision_is_still_exported() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "ftp://x.example/");
    let run = s.run(&["resolve"]);
    run.ok();
    assert!(run.stderr.contains("TELEMETRY_ENDPOINT"), "{run:#?}");
    assert!(run.stdout.contains("export TELEMETRY_ENABLED='true'\n"));
}

// ---------------------------------------------------------------------------------------
// Shell output through eval

/// Hostile values, each in a setting that is handed down as given.
const HOSTILE: &[(&str, &str)] = &[
    ("TELEMETRY_SESSION_ID", "it's a 'quoted' \"value\" ''"),
    ("TELEMETRY_RUN_ID", "$(touch pwned-run) ${HOME} $((6*7))"),
    ("TELEMETRY_PARENT_RUN_ID", "`touch pwned-parent`"),
    ("TELEMETRY_COMPONENT", "line one\nline two\n\n"),
    ("TELEMETRY_MARKER", "back\\slash\\\\ \\n \\' \\"),
    ("TELEMETRY_USER_AGENT", "'; touch pwned-semi; echo '"),
    (
        "TELEMETRY_SOURCE_REPOSITORY",
        "tab\there ünïcödé %s%n -n !! * ~",
    ),
    ("TELEMETRY_SOURCE_SCRIPT", "'\\''"),
    // Not checked while consent is off: handed down as it is (trimmed, as it is used).
    ("TELEMETRY_ENDPOINT", "x\n'\"$x"),
];

/// Every variable `resolve` exports, in its order, then `env`'s for the child.
const RESOLVED: &[&str] = &[
    "TELEMETRY_ENABLED",
    "TELEMETRY_SESSION_ID",
    "TELEMETRY_RUN_ID",
    "TELEMETRY_PARENT_RUN_ID",
    "TELEMETRY_COMPONENT",
    "TELEMETRY_ENDPOINT",
    "TELEMETRY_MARKER",
    "TELEMETRY_MAX_RETRIES",
    "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
    "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
    "TELEMETRY_OUTBOX_DIR",
    "TELEMETRY_USER_AGENT",
    "TELEMETRY_SOURCE_REPOSITORY",
    "TELEMETRY_SOURCE_SCRIPT",
];

/// The values after `eval`, read back with printenv (so they are exported, not only set):
/// first after `resolve`, then after `env`. The variables are unset between capturing the
/// output and evaluating it, so a value can only come from the output.
fn eval_round_trip(s: &Sandbox, sh: &str) -> (Vec<String>, Vec<String>, Run) {
    let names = RESOLVED.join(" ");
    let script = format!(
        r#"
        set -eu
        out=$("$PK3S" resolve)
        unset {names}
        eval "$out"
        for n in {names}; do printenv "$n" || echo UNSET; printf '\0'; done
        printf 'ENV\0'
        out=$("$PK3S" env)
        unset {names} TELEMETRY_EXIT_CODE
        eval "$out"
        for n in {names} TELEMETRY_EXIT_CODE; do printenv "$n" || echo UNSET; printf '\0'; done
        "#
    );
    let run = shell(s, sh, &script);
    run.ok();
    assert_eq!(run.stderr, "", "{sh}: {run:#?}");
    let parts: Vec<String> = run
        .stdout
        .split('\0')
        // printenv ends each value with a newline of its own.
        .map(|p| p.strip_suffix('\n').unwrap_or(p).to_string())
        .collect();
    let split = parts.iter().position(|p| p == "ENV").expect("marker");
    let resolved = parts[..split].to_vec();
    let child = parts[split + 1..parts.len() - 1].to_vec();
    (resolved, child, run)
}

#[test]
fn hostile_values_survive_eval_in_bash_dash_and_zsh() {
    let mut shells = vec!["bash", "dash"];
    if shell_available("zsh") {
        shells.push("zsh");
    } else {
        eprintln!("zsh is not installed: checking bash and dash only");
    }
    for sh in shells {
        assert!(shell_available(sh), "{sh} is needed for this test");
        let mut s = sandbox();
        for (k, v) in HOSTILE {
            s.set(k, v);
        }
        let outbox = s
            .path("box '$(touch pwned-box)' `x`\n")
            .display()
            .to_string();
        s.set("TELEMETRY_OUTBOX_DIR", &outbox);

        let (resolved, child, run) = eval_round_trip(&s, sh);
        assert_eq!(resolved.len(), RESOLVED.len(), "{sh}: {run:#?}");
        let got = |list: &[String], name: &str| -> String {
            let i = RESOLVED
                .iter()
                .position(|n| *n == name)
                .unwrap_or(RESOLVED.len());
            list[i].clone()
        };
        for (name, want) in HOSTILE {
            assert_eq!(&got(&resolved, name), want, "{sh}: {name}");
        }
        assert_eq!(got(&resolved, "TELEMETRY_OUTBOX_DIR"), outbox, "{sh}");
        assert_eq!(got(&resolved, "TELEMETRY_ENABLED"), "false", "{sh}");

        // The child's context: same session, this run as its parent, no run id, no exit code.
        assert_eq!(child.len(), RESOLVED.len() + 1, "{sh}: {run:#?}");
        let hostile = |name: &str| HOSTILE.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(
            got(&child, "TELEMETRY_SESSION_ID"),
            hostile("TELEMETRY_SESSION_ID")
        );
        assert_eq!(
            got(&child, "TELEMETRY_PARENT_RUN_ID"),
            hostile("TELEMETRY_RUN_ID")
        );
        assert_eq!(got(&child, "TELEMETRY_RUN_ID"), "", "{sh}");
        assert_eq!(child[RESOLVED.len()], "", "{sh}: TELEMETRY_EXIT_CODE");
        assert_eq!(
            got(&child, "TELEMETRY_COMPONENT"),
            hostile("TELEMETRY_COMPONENT")
        );

        let pwned: Vec<_> = fs::read_dir(&s.root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with("pwned"))
            .collect();
        assert!(pwned.is_empty(), "{sh} ran a value: {pwned:?}");
    }
}

// ---------------------------------------------------------------------------------------
// env

#[test]
fn env_prints_the_child_context() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_SESSION_ID", "sess-1")
        .set("TELEMETRY_RUN_ID", "run-1")
        .set("TELEMETRY_PARENT_RUN_ID", "run-0")
        .set("TELEMETRY_COMPONENT", "infra")
        .set("TELEMETRY_EXIT_CODE", "4")
        .set("DO_NOT_TRACK", "1");
    let j = json_of(&s.run(&["env", "--format", "json"]));
    assert_eq!(value(&j, "TELEMETRY_SESSION_ID"), "sess-1");
    assert_eq!(value(&j, "TELEMETRY_PARENT_RUN_ID"), "run-1");
    assert_eq!(value(&j, "TELEMETRY_RUN_ID"), &Value::Null);
    assert_eq!(value(&j, "TELEMETRY_EXIT_CODE"), &Value::Null);
    assert_eq!(value(&j, "TELEMETRY_COMPONENT"), "infra");
    assert_eq!(value(&j, "TELEMETRY_ENABLED"), "false");
    assert_eq!(source(&j, "TELEMETRY_ENABLED"), "do_not_track");

    let run = s.run(&["env"]);
    run.ok();
    for line in [
        "export TELEMETRY_ENABLED='false'\n",
        "export TELEMETRY_SESSION_ID='sess-1'\n",
        "export TELEMETRY_RUN_ID=''\n",
        "export TELEMETRY_PARENT_RUN_ID='run-1'\n",
        "export TELEMETRY_EXIT_CODE=''\n",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
}

#[test]
fn env_runs_the_command_with_the_child_context_and_returns_its_status() {
    let mut s = Sandbox::new();
    s.set("TELEMETRY_SESSION_ID", "sess-1")
        .set("TELEMETRY_RUN_ID", "run-1")
        .set("TELEMETRY_ENABLED", "yes")
        .set("TELEMETRY_COMPONENT", "infra");
    let script = r#"printf '%s|%s|%s|%s|%s\n' "$TELEMETRY_SESSION_ID" "$TELEMETRY_RUN_ID" \
        "$TELEMETRY_PARENT_RUN_ID" "$TELEMETRY_ENABLED" "$TELEMETRY_COMPONENT"
        printf '[%s]' "$@"; exit 7"#;
    let run = s.run(&["env", "--", "sh", "-c", script, "sh", "a b", "it's", ""]);
    assert_eq!(run.code, 7, "{run:#?}");
    assert_eq!(run.stdout, "sess-1||run-1|true|infra\n[a b][it's][]");

    let run = s.run(&["env", "--", "true"]);
    assert_eq!(run.code, 0, "{run:#?}");

    // The command takes this process's place: a signal that ends it is seen as such.
    let status = s
        .command(&["env", "--", "sh", "-c", "kill -TERM $$"])
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn env_reports_a_command_that_cannot_run_as_126_or_127() {
    let s = Sandbox::new();
    let plain = s.write("not-executable.sh", "#!/bin/sh\nexit 0\n");
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
    fs::create_dir_all(s.path("a-directory")).unwrap();
    for (cmd, code, says) in [
        (
            "no-such-command-pk3s",
            127,
            "no-such-command-pk3s: command not found",
        ),
        ("./missing.sh", 127, "./missing.sh: no such file"),
        (
            "./not-executable.sh",
            126,
            "./not-executable.sh: cannot run",
        ),
        ("./a-directory", 126, "./a-directory: cannot run"),
    ] {
        let run = s.run(&["env", "--", cmd, "arg"]);
        assert_eq!(run.code, code, "{cmd}: {run:#?}");
        assert_eq!(run.stdout, "", "{cmd}");
        assert_eq!(run.stderr.lines().count(), 1, "one line: {run:#?}");
        assert!(run.stderr.contains(says), "{cmd}: {run:#?}");
    }
}

// ---------------------------------------------------------------------------------------
// The chain

#[test]
fn cli_infra_core_chain_shares_one_session_and_links_each_run_to_its_parent() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = sandbox();
    // Nobody has decided: the cli's flag decides for the whole chain.
    s.set("TELEMETRY_ENDPOINT", &server.url());
    let layer = |name: &str, body: &str| {
        s.executable(name, &format!("#!/bin/sh\nset -eu\n{body}"));
    };
    layer(
        "cli.sh",
        r#"eval "$(pk3s-telemetry resolve --component cli --telemetry enable)"
pk3s-telemetry send event --name cli.started
pk3s-telemetry env -- ./infra.sh
pk3s-telemetry send event --name cli.completed --result success
"#,
    );
    layer(
        "infra.sh",
        r#"eval "$(pk3s-telemetry resolve --component infra)"
pk3s-telemetry send event --name infra.started
mkdir -p work && cd work
rc=0
pk3s-telemetry env -- ../core.sh || rc=$?
pk3s-telemetry send event --name infra.completed --result failure --field "core_exit=$rc"
"#,
    );
    layer(
        "core.sh",
        r#"eval "$(pk3s-telemetry resolve --component core)"
pk3s-telemetry send event --name core.started
pk3s-telemetry send event --name core.failed --result failure
exit 3
"#,
    );
    let run = finish(s.program("./cli.sh", &[]), None);
    run.ok();
    assert_eq!(run.stderr, "", "{run:#?}");

    let events: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cli.started",
            "infra.started",
            "core.started",
            "core.failed",
            "infra.completed",
            "cli.completed"
        ]
    );
    let by = |name: &str| events.iter().find(|e| e["event_name"] == name).unwrap();
    let session = &by("cli.started")["session_id"];
    assert!(is_uuid(session), "{session}");
    for e in &events {
        assert_eq!(&e["session_id"], session, "one session: {e:#}");
        assert_eq!(e["client"]["telemetry_enabled"], json!("true"));
    }
    let run_of = |layer: &str| {
        let started = &by(&format!("{layer}.started"))["run_id"];
        let last = events
            .iter()
            .rev()
            .find(|e| e["component"] == layer)
            .unwrap();
        assert_eq!(&last["run_id"], started, "{layer}: one run id per layer");
        assert_eq!(by(&format!("{layer}.started"))["component"], layer);
        started.clone()
    };
    let (cli, infra, core) = (run_of("cli"), run_of("infra"), run_of("core"));
    assert!(is_uuid(&cli) && is_uuid(&infra) && is_uuid(&core));
    assert!(cli != infra && infra != core && cli != core);
    assert_eq!(by("cli.started")["parent_run_id"], json!(""));
    assert_eq!(by("infra.started")["parent_run_id"], cli);
    assert_eq!(by("infra.completed")["parent_run_id"], cli);
    assert_eq!(by("core.started")["parent_run_id"], infra);
    assert_eq!(by("core.failed")["parent_run_id"], infra);
    // env -- passed core's status back to infra.
    assert_eq!(by("infra.completed")["command"]["core_exit"], "3");
}

#[test]
fn every_setting_given_in_the_environment_says_so_in_the_json() {
    let given = [
        ("TELEMETRY_DELIVERY", "background"),
        ("TELEMETRY_PRIVACY", "strict"),
        ("TELEMETRY_PRIVACY_EXTRA", "acme-corp"),
        ("TELEMETRY_LEDGER_MAX_ENTRIES", "500"),
        ("TELEMETRY_LEDGER_MAX_MB", "8"),
        ("TELEMETRY_OUTBOX_MAX_ENTRIES", "500"),
        ("TELEMETRY_OUTBOX_MAX_AGE_DAYS", "7"),
        ("TELEMETRY_MARKER", "pk3s-private-v1"),
        ("TELEMETRY_MAX_RETRIES", "2"),
        ("TELEMETRY_PROTOCOL", "otlp"),
    ];
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", "http://127.0.0.1:9/v1/logs");
    for (name, v) in given {
        s.set(name, v);
    }
    let j = json_of(&s.run(&["resolve", "--format", "json"]));
    for (name, v) in given {
        assert_eq!(value(&j, name), v, "{name}: {j:#}");
        assert_eq!(source(&j, name), "env", "{name}: {j:#}");
    }
    // A value this tool does not take is handed on as given, but this tool used its default.
    for (name, v) in [
        ("TELEMETRY_DELIVERY", "later"),
        ("TELEMETRY_PRIVACY", "paranoid"),
        ("TELEMETRY_LEDGER_MAX_MB", "0"),
    ] {
        s.set(name, v);
    }
    let j = json_of(&s.run(&["resolve", "--format", "json"]));
    for name in [
        "TELEMETRY_DELIVERY",
        "TELEMETRY_PRIVACY",
        "TELEMETRY_LEDGER_MAX_MB",
    ] {
        assert_eq!(source(&j, name), "default", "{name}: {j:#}");
    }
}
