//! The versioned notice: a saved choice records the notice it answered; a yes to an older
//! notice lapses (asked again at a terminal, undecided elsewhere), a no always holds, and
//! a binary of before notice versions still reads what this one saves.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Run, Sandbox};
use crate::pty::Pty;
use crate::server::{Reply, Server};

const PROMPT: &str = "Enable anonymous telemetry for this run? [Y/n]";
const CHANGED: &str = "What is collected has changed since telemetry was enabled here";

fn json(run: &Run) -> Value {
    run.ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"))
}

fn user_file(s: &Sandbox) -> PathBuf {
    s.path("home/.config/productive-k3s/telemetry.conf")
}

fn system_file(s: &Sandbox) -> PathBuf {
    s.path("etc/productive-k3s/telemetry.conf")
}

/// The notice's version now, as `status` reports it.
fn notice(s: &Sandbox) -> u64 {
    json(&s.run(&["status", "--json"]))["telemetry"]["notice"]
        .as_u64()
        .unwrap()
}

/// A saved choice as a release with an older notice wrote it.
fn save_older(s: &Sandbox, path: &PathBuf, word: &str) {
    let older = notice(s) - 1;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, format!("# notice={older}\ntelemetry={word}\n")).unwrap();
}

fn decision(s: &Sandbox) -> (String, String) {
    let j = json(&s.run(&["resolve", "--json"]));
    let e = &j["TELEMETRY_ENABLED"];
    (
        e["value"].as_str().unwrap().into(),
        e["source"].as_str().unwrap().into(),
    )
}

fn pair(v: &str, src: &str) -> (String, String) {
    (v.into(), src.into())
}

/// The parser of 6b4df2d (`choice::parse`, with the `parse_bool` of then), the last version
/// before notice versions, verbatim: what a binary of that day reads.
fn parse_of_before_notices(text: &str) -> Result<Option<bool>, String> {
    fn parse_bool(value: &str) -> Option<bool> {
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "no" | "n" | "off" => Some(false),
            _ => None,
        }
    }
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

#[test]
fn a_choice_saved_now_records_its_notice_and_the_parser_of_before_still_reads_it() {
    let s = Sandbox::new();
    let current = notice(&s);
    s.run(&["enable"]).ok();
    s.run(&["disable", "--system"]).ok();
    let user = fs::read_to_string(user_file(&s)).unwrap();
    let system = fs::read_to_string(system_file(&s)).unwrap();
    for (text, yes) in [(&user, true), (&system, false)] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("# notice={current} "))),
            "{text}"
        );
        assert_eq!(parse_of_before_notices(text), Ok(Some(yes)), "{text}");
    }
    // And what that binary wrote reads here as an answer to version 1.
    fs::write(
        user_file(&s),
        "# Saved by `pk3s-telemetry enable`; change it with `pk3s-telemetry enable|disable`.\ntelemetry=enable\n",
    )
    .unwrap();
    let j = json(&s.run(&["status", "--json"]));
    assert_eq!(j["saved_choices"]["user"]["notice"], 1, "{j:#}");
    assert_eq!(j["saved_choices"]["user"]["lapsed"], current > 1, "{j:#}");
}

#[test]
fn a_yes_to_an_older_notice_no_longer_counts_where_nobody_can_be_asked() {
    let server = Server::start(vec![], Reply::Status(200));
    let mut s = Sandbox::new();
    s.set("TELEMETRY_ENDPOINT", &server.url());
    save_older(&s, &user_file(&s), "enable");
    assert_eq!(decision(&s), pair("false", "default"));
    // send: off; a drop-in's own yes still stands for the undecided.
    s.run(&["send", "event", "--name", "core.apply.completed"])
        .ok();
    assert_eq!(server.requests().len(), 0, "a lapsed yes sent nothing");
    s.run(&[
        "send",
        "event",
        "--name",
        "core.apply.completed",
        "--if-undecided",
        "enable",
    ])
    .ok();
    assert_eq!(server.requests().len(), 1);
    let env = json(&s.run(&["env", "--json"]));
    assert_eq!(env["TELEMETRY_ENABLED"]["exported"], false, "{env:#}");
    // status says so, and what agrees to the new notice.
    let st = json(&s.run(&["status", "--json"]));
    assert_eq!(st["saved_choices"]["user"]["lapsed"], true, "{st:#}");
    assert_eq!(st["telemetry"]["source"], "default");
    let next = st["next"].to_string();
    assert!(next.contains("pk3s-telemetry enable"), "{next}");
    let text = s.run(&["status"]);
    text.ok();
    assert!(
        text.stdout
            .contains("enable, lapsed (answered notice version"),
        "{}",
        text.stdout
    );
    // The machine's choice counts once the user's has lapsed.
    s.run(&["disable", "--system"]).ok();
    assert_eq!(decision(&s), pair("false", "system_config"));
    // Agreeing again refreshes the version.
    s.run(&["enable"]).ok();
    assert_eq!(decision(&s), pair("true", "user_config"));
    let st = json(&s.run(&["status", "--json"]));
    assert_eq!(
        st["saved_choices"]["user"]["notice"],
        st["telemetry"]["notice"]
    );
    assert_eq!(st["saved_choices"]["user"]["lapsed"], false);
}

#[test]
fn a_saved_disable_holds_whatever_notice_it_answered() {
    let s = Sandbox::new();
    save_older(&s, &user_file(&s), "disable");
    assert_eq!(decision(&s), pair("false", "user_config"));
    save_older(&s, &system_file(&s), "disable");
    fs::remove_file(user_file(&s)).unwrap();
    assert_eq!(decision(&s), pair("false", "system_config"));
    // A newer notice's yes (a later release's file) counts.
    fs::write(
        user_file(&s),
        format!("# notice={}\ntelemetry=enable\n", notice(&s) + 1),
    )
    .unwrap();
    assert_eq!(decision(&s), pair("true", "user_config"));
}

/// `resolve --json` with its stdin and stderr on a terminal.
fn resolve_on_terminal(s: &Sandbox) -> crate::pty::OnTerminal {
    let pty = Pty::open();
    let mut c = s.command(&["resolve", "--json"]);
    c.stdin(pty.terminal()).stderr(pty.terminal());
    pty.spawn(c)
}

#[test]
fn at_a_terminal_a_lapsed_yes_is_asked_again_and_the_answer_is_saved() {
    for (keys, word, value) in [("n\r", "disable", "false"), ("\r", "enable", "true")] {
        let s = Sandbox::new();
        save_older(&s, &user_file(&s), "enable");
        let mut t = resolve_on_terminal(&s);
        assert!(t.wait_for(PROMPT), "{}", t.screen());
        let screen = t.screen();
        assert!(screen.contains(CHANGED), "{screen}");
        assert!(
            screen.contains(&format!(
                "your answer is saved in {}",
                user_file(&s).display()
            )),
            "{screen}"
        );
        t.type_keys(keys);
        let f = t.finish();
        assert_eq!(f.code, Some(0), "{f:#?}");
        let j: Value = serde_json::from_str(&f.stdout).unwrap();
        assert_eq!(j["TELEMETRY_ENABLED"]["value"], value);
        assert_eq!(j["TELEMETRY_ENABLED"]["source"], "prompt");
        let saved = fs::read_to_string(user_file(&s)).unwrap();
        assert!(saved.contains(&format!("telemetry={word}\n")), "{saved}");
        assert!(
            saved.contains(&format!("# notice={} ", notice(&s))),
            "{saved}"
        );
        // Asked once: the next run at a terminal finds the answer (and would hang the
        // test, were it asked again).
        let f = resolve_on_terminal(&s).finish();
        assert!(!f.terminal.contains(PROMPT), "{f:#?}");
        let j: Value = serde_json::from_str(&f.stdout).unwrap();
        assert_eq!(j["TELEMETRY_ENABLED"]["source"], "user_config");
    }
}

#[test]
fn the_question_names_enable_and_disable_and_reads_as_the_guide_shows_it() {
    let s = Sandbox::new();
    let mut t = resolve_on_terminal(&s);
    assert!(t.wait_for(PROMPT), "{}", t.screen());
    let screen = t.screen();
    assert!(!screen.contains(CHANGED), "nothing lapsed: {screen}");
    t.type_keys("\r");
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:#?}");
    assert!(
        screen.contains("`pk3s-telemetry enable`") && screen.contains("`pk3s-telemetry disable`"),
        "{screen}"
    );
    // The operator guide shows the question as it is: each of its lines on the terminal.
    let guide = fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/operator-guide.md"),
    )
    .unwrap();
    let block = guide
        .split("```")
        .find(|b| b.contains("[Y/n]"))
        .expect("the guide shows the question");
    let terminal = screen.replace("\r\n", "\n");
    for line in block.lines().skip(1).filter(|l| !l.is_empty()) {
        assert!(
            terminal.contains(line.trim_end()),
            "the guide's line is not on the terminal: {line:?}\n{terminal}"
        );
    }
    // Nothing was saved: a fresh answer is for this run.
    assert!(!user_file(&s).exists());
}
