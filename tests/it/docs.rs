//! Every example in the README and `docs/` that is fenced as ```sh runs here, with
//! `pk3s-telemetry` on PATH being the binary under test (the convention is in
//! docs/contributing.md). A file's examples run in order as one shell layer under `set -euo
//! pipefail`, as upstream's layers run, in a fresh sandbox: the layer's own context first
//! (the helpers and variables upstream's scripts define, which the snippets use), then each
//! block, then a call of each function the block defines. The guides a bootstrap copies
//! from must not abort it even when the receiver fails, and one layer's payloads name one
//! run, session and repository. A block fenced as ```json output shows the output of the
//! `sh` block before it, and is held to it; every relative link leads to a file and
//! heading that exist.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{BIN, MANIFEST, Run, Sandbox, entries, finish, refused_port};
use crate::server::{Reply, Server};

struct Example {
    file: String,
    line: usize,
    /// The fence's info string (`sh`, `text`, ``).
    tag: String,
    code: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced blocks of one Markdown file, with the line each starts on.
fn examples(path: &Path) -> Vec<Example> {
    let text = fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut open: Option<Example> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(tag)) => {
                open = Some(Example {
                    file: path.file_name().unwrap().to_string_lossy().into_owned(),
                    line: i + 1,
                    tag: tag.trim().to_string(),
                    code: String::new(),
                })
            }
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some(ex), None) => {
                ex.code.push_str(line);
                ex.code.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(
        open.is_none(),
        "{}: a fence is never closed",
        path.display()
    );
    out
}

fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(repo().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The pages a bootstrap's author copies calls from.
const GUIDES: [&str; 3] = ["README.md", "integration.md", "operator-guide.md"];

/// What upstream's layers define before the snippets run (written here, not copied): the
/// run's id and mode, the manifest, and the helpers the snippets call.
const LAYER: &str = r#"RUN_ID=20260101-000000-docs
MODE=single-node
exit_code=0
PUBLIC_MANIFEST=runs/manifest.json
is_truthy() { case "$1" in 1|true|yes|y|on) return 0 ;; esac; return 1; }
bootstrap_event_mode_name() { printf '%s' single_node; }
scenario_name() { printf '%s' onprem-basic; }
"#;

/// How each function the docs define is called after its block: a layer calls it so.
/// A new function in the docs must be added here, so that it is run too.
const CALLS: &[(&str, &str)] = &[
    ("pk3s_telemetry", "status"),
    ("run_child", "true"),
    ("resolve_telemetry_enabled", ""),
    ("emit_bootstrap_lifecycle_event", "started running"),
    ("begin_infra_command_telemetry", "up"),
    ("complete_infra_command_telemetry", "0 up"),
];

/// The names of the shell functions a block defines (`name() {`).
fn functions(code: &str) -> Vec<&str> {
    code.lines()
        .filter_map(|l| l.split_once("() {").map(|(name, _)| name.trim()))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()))
        .collect()
}

/// One file's ```sh examples as one layer: the context, then each block (announced on
/// stderr, so a failure names it) and the calls of the functions it defines.
fn layer_script(path: &Path) -> Option<String> {
    let mut script = format!("set -euo pipefail\n{LAYER}");
    let mut any = false;
    for ex in examples(path).iter().filter(|e| e.tag == "sh") {
        any = true;
        script.push_str(&format!(
            "echo '>> {}:{}' >&2\n{}",
            ex.file, ex.line, ex.code
        ));
        for name in functions(&ex.code) {
            let (_, args) = CALLS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| {
                panic!(
                    "{}:{} defines {name}: add its call to CALLS",
                    ex.file, ex.line
                )
            });
            script.push_str(&format!("{name} {args}\n"));
        }
    }
    script.push_str("echo \">> end run_id=${TELEMETRY_RUN_ID:-}\" >&2\n");
    any.then_some(script)
}

/// Runs one file's layer in a fresh sandbox pointed at `endpoint`.
fn run_layer(script: &str, endpoint: &str) -> (Run, Sandbox) {
    let mut s = Sandbox::new();
    let bin_dir = Path::new(BIN).parent().unwrap().display().to_string();
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    let config = s.path("config").display().to_string();
    s.set("PATH", &format!("{bin_dir}:{path}"))
        .set("CI", "true")
        .set("TELEMETRY_CONFIG_DIR", &config)
        .set("TELEMETRY_ENABLED", "1")
        .set("TELEMETRY_ENDPOINT", endpoint)
        .set("TELEMETRY_MAX_RETRIES", "1");
    s.write("runs/manifest.json", MANIFEST);
    s.write("manifest.json", MANIFEST);
    s.write("tests/out/summary.json", r#"{"passed": 12, "failed": 0}"#);
    s.write(
        "event.json",
        r#"{"schema_version":"1","event_family":"usage","event_name":"docs.example"}"#,
    );
    let run = finish(s.program("bash", &["-c", script]), None);
    (run, s)
}

fn failed(file: &Path, run: &Run) -> String {
    let last = run.stderr.lines().rfind(|l| l.starts_with(">> "));
    format!(
        "{}: exited {} in the block at {}\nstdout: {}\nstderr: {}",
        file.display(),
        run.code,
        last.unwrap_or("(none)"),
        run.stdout,
        run.stderr
    )
}

#[test]
fn every_sh_example_in_the_readme_and_docs_runs() {
    let files = doc_files();
    let readme = examples(&files[0]);
    assert!(
        readme.iter().filter(|e| e.tag == "sh").count() >= 3,
        "the README's common uses are run"
    );
    let server = Server::start(vec![], Reply::Status(200));
    let mut failures = Vec::new();
    for file in &files {
        let Some(script) = layer_script(file) else {
            continue;
        };
        let before = server.requests().len();
        let (run, _s) = run_layer(&script, &server.url());
        if run.code != 0 || !run.stderr.contains(">> end") {
            failures.push(failed(file, &run));
            continue;
        }
        if GUIDES.iter().any(|g| file.ends_with(g)) {
            let sent: Vec<Value> = server.requests()[before..]
                .iter()
                .map(|r| r.json())
                .collect();
            failures.extend(one_run(file, &run, &sent));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    assert!(
        !server.requests().is_empty(),
        "the examples reached the receiver"
    );
}

/// What one layer's payloads must share: the run id `resolve` exported (the last words of
/// the layer's stderr), one session, one repository.
fn one_run(file: &Path, run: &Run, sent: &[Value]) -> Option<String> {
    let exported = run
        .stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(">> end run_id="))
        .unwrap_or_default();
    let built: Vec<&Value> = sent.iter().filter(|p| p.get("run_id").is_some()).collect();
    let differ = |what: &str, get: &dyn Fn(&Value) -> Value| {
        let mut seen: Vec<Value> = built.iter().map(|p| get(p)).collect();
        seen.dedup();
        (seen.len() > 1).then(|| {
            format!(
                "{}: the payloads name {} {what}s: {seen:?}",
                file.display(),
                seen.len()
            )
        })
    };
    if built.iter().any(|p| p["run_id"] != exported) {
        let ids: Vec<&Value> = built.iter().map(|p| &p["run_id"]).collect();
        return Some(format!(
            "{}: resolve exported the run id {exported:?}, the payloads name {ids:?}",
            file.display()
        ));
    }
    differ("session", &|p| p["session_id"].clone())
        .or_else(|| differ("repository", &|p| p["client"]["repository"].clone()))
}

/// A snippet that sends: a call of `send` (the tool or the wrapper) or of a drop-in.
fn sends(code: &str) -> bool {
    ["send manifest", "send event", "send-telemetry"]
        .iter()
        .any(|s| code.contains(s))
}

#[test]
fn the_guides_snippets_that_send_never_abort_a_set_euo_pipefail_bootstrap() {
    let guides: Vec<PathBuf> = doc_files()
        .into_iter()
        .filter(|f| GUIDES.iter().any(|g| f.ends_with(g)))
        .collect();
    assert_eq!(guides.len(), GUIDES.len());
    // Every shell snippet there that sends is run (fenced as sh); only command synopses
    // (an untagged fence), a crontab line and a systemd unit are not shell to copy.
    for ex in guides.iter().flat_map(|f| examples(f)) {
        if sends(&ex.code) {
            assert!(
                matches!(ex.tag.as_str(), "sh" | "" | "cron" | "ini"),
                "{}:{} sends but is fenced as {:?}, so it is never run: make it sh",
                ex.file,
                ex.line,
                ex.tag
            );
        }
    }
    let failing = Server::start(vec![], Reply::Status(500));
    let refused = format!("http://127.0.0.1:{}/telemetry", refused_port());
    let mut failures = Vec::new();
    for file in &guides {
        let sending = examples(file)
            .iter()
            .any(|e| e.tag == "sh" && sends(&e.code));
        let Some(script) = layer_script(file) else {
            continue;
        };
        for endpoint in [failing.url(), refused.clone()] {
            let before = failing.requests().len();
            let (run, s) = run_layer(&script, &endpoint);
            if run.code != 0 || !run.stderr.contains(">> end") {
                failures.push(format!("against {endpoint}: {}", failed(file, &run)));
            }
            if !sending {
                continue;
            }
            // They did try, and nothing was lost: each payload that failed is kept.
            let mut keys: Vec<String> = failing.requests()[before..]
                .iter()
                .filter_map(|r| r.header("Idempotency-Key").map(str::to_string))
                .collect();
            keys.dedup();
            let kept = entries(&s.outbox()).len();
            let ok = if endpoint == refused {
                kept > 0
            } else {
                kept > 0 && kept == keys.len()
            };
            if !ok {
                failures.push(format!(
                    "{} against {endpoint}: {kept} kept for {} payloads refused",
                    file.display(),
                    keys.len()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn the_example_extractor_finds_fenced_blocks_and_their_tags() {
    let s = Sandbox::new();
    let md = s.write(
        "x.md",
        "text\n```sh\necho one\n```\n```text\nnot run\n```\n```\nnor this\n```\n```sh\necho two\n```\n",
    );
    let got: Vec<(usize, String, String)> = examples(&md)
        .into_iter()
        .map(|e| (e.line, e.tag, e.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "sh".into(), "echo one\n".into()),
            (5, "text".into(), "not run\n".into()),
            (8, String::new(), "nor this\n".into()),
            (11, "sh".into(), "echo two\n".into())
        ]
    );
    assert_eq!(
        functions("f() {  # a b\n}\n  g_2() {\n}\nnot a() call\necho '() {'\n"),
        ["f", "g_2"]
    );
}

/// The preceding `sh` block of each ```json output block, run alone in a clean sandbox
/// (nobody decided, no terminal, nothing configured): every entry the block shows is in
/// the real output with the same fields, in the same order. A UUID in the block stands for
/// any UUID.
#[test]
fn every_output_block_matches_what_its_command_prints() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in doc_files() {
        let blocks = examples(&file);
        for (i, out) in blocks.iter().enumerate() {
            if out.tag != "json output" {
                continue;
            }
            let Some(cmd) = blocks[..i].iter().rev().find(|b| b.tag == "sh") else {
                panic!(
                    "{}:{}: an output block with no sh block before it",
                    out.file, out.line
                );
            };
            let mut s = Sandbox::new();
            let config = s.path("config").display().to_string();
            s.with_bin_on_path()
                .unset("TELEMETRY_OUTBOX_DIR")
                .set("CI", "true")
                .set("TELEMETRY_CONFIG_DIR", &config);
            let run = finish(
                s.program("bash", &["-euo", "pipefail", "-c", &cmd.code]),
                None,
            );
            let shown: Value = serde_json::from_str(&out.code)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", out.file, out.line));
            let printed: Result<Value, _> = serde_json::from_str(&run.stdout);
            checked += 1;
            match printed {
                Ok(printed) if run.code == 0 => {
                    if let Err(why) = contained(&shown, &printed) {
                        failures.push(format!(
                            "{}:{}: {why}\nprinted: {printed:#}",
                            out.file, out.line
                        ));
                    }
                }
                _ => failures.push(format!(
                    "{}:{}: the command failed: {run:#?}",
                    out.file, out.line
                )),
            }
        }
    }
    assert!(checked > 0, "the resolve --format json example is checked");
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

fn uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    })
}

/// `shown` is in `printed`: the same scalars (UUIDs alike), an object's keys all there in
/// the same order, an array's items alike.
fn contained(shown: &Value, printed: &Value) -> Result<(), String> {
    match (shown, printed) {
        (Value::Object(a), Value::Object(b)) => {
            let order: Vec<usize> = a
                .keys()
                .map(|k| b.keys().position(|x| x == k).ok_or(format!("no {k:?}")))
                .collect::<Result<_, _>>()?;
            if !order.is_sorted() {
                return Err(format!(
                    "keys in another order: {:?}",
                    a.keys().collect::<Vec<_>>()
                ));
            }
            for (k, v) in a {
                contained(v, &b[k]).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).try_for_each(|(x, y)| contained(x, y))
        }
        (a, b) if a == b || (uuid(a) && uuid(b)) => Ok(()),
        (a, b) => Err(format!("shown {a}, printed {b}")),
    }
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    let mut seen = 0;
    for file in doc_files() {
        let text = fs::read_to_string(&file).unwrap();
        // Links in prose only: fenced blocks are code.
        let prose: String = text.split("```").step_by(2).collect::<Vec<_>>().join("\n");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let link = &rest[..end];
            if link.contains("://") || link.starts_with("mailto:") || link.contains(' ') {
                continue;
            }
            seen += 1;
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", file.display()));
                continue;
            }
            if !fragment.is_empty() && target.extension().is_some_and(|x| x == "md") {
                let headings = fs::read_to_string(&target).unwrap();
                let found = headings
                    .lines()
                    .filter_map(|l| {
                        l.trim_start_matches('#')
                            .strip_prefix(' ')
                            .filter(|_| l.starts_with('#'))
                    })
                    .any(|h| anchor(h) == fragment);
                if !found {
                    broken.push(format!("{}: {link}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(seen > 10, "the scan found only {seen} links");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn anchors_are_spelled_as_github_spells_them() {
    assert_eq!(
        anchor("Default blocks and `set -u`"),
        "default-blocks-and-set--u"
    );
    assert_eq!(
        anchor("Opting out clears: `disable --purge`"),
        "opting-out-clears-disable---purge"
    );
    assert_eq!(anchor("resolve and env"), "resolve-and-env");
}
