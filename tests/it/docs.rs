//! Every example in the README and `docs/` that is fenced as ```sh runs here, each in a
//! fresh sandbox against a loopback receiver, with `pk3s-telemetry` on PATH being the
//! binary under test (the convention is in docs/contributing.md).

use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::{BIN, MANIFEST, Sandbox, finish};
use crate::server::{Reply, Server};

struct Example {
    file: String,
    line: usize,
    code: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The ```sh blocks of one Markdown file, with the line each starts on.
fn examples(path: &Path) -> Vec<Example> {
    let text = fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut open: Option<(usize, bool, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(tag)) => open = Some((i + 1, tag.trim() == "sh", String::new())),
            (Some((start, run, code)), Some(_)) => {
                if *run {
                    out.push(Example {
                        file: path.file_name().unwrap().to_string_lossy().into_owned(),
                        line: *start,
                        code: std::mem::take(code),
                    });
                }
                open = None;
            }
            (Some((_, _, code)), None) => {
                code.push_str(line);
                code.push('\n');
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

fn all_examples() -> Vec<Example> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(repo().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files.iter().flat_map(|f| examples(f)).collect()
}

#[test]
fn every_sh_example_in_the_readme_and_docs_runs() {
    let all = all_examples();
    assert!(
        all.iter().filter(|e| e.file == "README.md").count() >= 3,
        "the README's common uses are run"
    );
    let server = Server::start(vec![], Reply::Status(200));
    let bin_dir = Path::new(BIN).parent().unwrap().display().to_string();
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    let mut failures = Vec::new();
    for ex in &all {
        let mut s = Sandbox::for_server(&server);
        let config = s.path("config").display().to_string();
        s.set("PATH", &format!("{bin_dir}:{path}"))
            .set("CI", "true")
            .set("TELEMETRY_CONFIG_DIR", &config);
        s.write("runs/manifest.json", MANIFEST);
        s.write("manifest.json", MANIFEST);
        s.write("tests/out/summary.json", r#"{"passed": 12, "failed": 0}"#);
        s.write(
            "event.json",
            r#"{"schema_version":"1","event_family":"usage","event_name":"docs.example"}"#,
        );
        let script = format!("set -e\n{}", ex.code);
        let run = finish(s.program("bash", &["-c", &script]), None);
        if run.code != 0 {
            failures.push(format!(
                "{}:{} exited {}\n{}\nstdout: {}\nstderr: {}",
                ex.file, ex.line, run.code, ex.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    assert!(
        !server.requests().is_empty(),
        "the examples reached the receiver"
    );
}

#[test]
fn the_example_extractor_finds_only_sh_blocks() {
    let s = Sandbox::new();
    let md = s.write(
        "x.md",
        "text\n```sh\necho one\n```\n```text\nnot run\n```\n```\nnor this\n```\n```sh\necho two\n```\n",
    );
    let got: Vec<(usize, String)> = examples(&md)
        .into_iter()
        .map(|e| (e.line, e.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "echo one\n".to_string()),
            (11, "echo two\n".to_string())
        ]
    );
}
