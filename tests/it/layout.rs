//! The module graph has floors and every `crate::` path points down: no import cycle, and
//! nothing outside `src/cmd/` reaches into the commands.

use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first. A module may name those on lower floors, never one on its own floor or
/// above (`main.rs` sits on top of everything).
const FLOORS: &[&[&str]] = &[
    &["error", "attempt", "oflags"],
    &["input", "json"],
    &["cli"],
    &["settings"],
    &["choice"],
    &["payload"],
    &["consent"],
    &["privacy"],
    &["delivery"],
    &["exports"],
    &["outbox"],
    &["cmd"],
];

fn floor(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::NAME` in `text`, outside line comments.
fn references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_crate_path_points_to_a_lower_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let text = fs::read_to_string(file).unwrap();
        for target in references(&text) {
            seen += 1;
            if target == module {
                continue;
            }
            let ok = match (module.as_str(), floor(&module), floor(&target)) {
                ("main", _, Some(_)) => true,
                (_, Some(from), Some(to)) => to < from,
                _ => false,
            };
            if !ok {
                wrong.push(format!("{} names crate::{target}", rel.display()));
            }
        }
    }
    assert!(seen > 50, "the scan found only {seen} paths");
    assert!(
        wrong.is_empty(),
        "paths that point up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_sees_a_path_that_points_up() {
    assert_eq!(
        references(
            "use crate::cmd::UsageError; // crate::outbox\nlet x = crate::error::plain_io(e);"
        ),
        ["cmd", "error"]
    );
    assert!(floor("outbox") > floor("delivery"));
    assert_eq!(floor("nowhere"), None);
}
