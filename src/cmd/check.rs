//! `check [--explain] FILE...`: the privacy guard over JSON artifacts (run manifests, test
//! outputs, summaries), so a suite can assert in one line that a public artifact is clean.
//! Reads files only: no network, no consent needed, nothing written.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::cli::CheckArgs;
use crate::cmd::{DELIVERED, NOT_DELIVERED, USAGE, print};
use crate::error::printable;
use crate::json::Duplicate;
use crate::payload;
use crate::privacy::{Guard, Mode};
use crate::settings::Settings;

/// One line of a report.
struct Line {
    document: usize,
    path: String,
    kind: &'static str,
    key: bool,
    rule: &'static str,
    masked: Option<String>,
}

/// Exit 0: every file clean; 1: identifiers found; 2: a file could not be read or is not
/// JSON (the others are still checked). Text: one stdout line per finding. JSON: one
/// object per file and line, clean files included, so a machine reads every verdict.
/// `--explain` adds the rule and the string with its identifiers masked.
pub fn run(args: &CheckArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let json = args.format == "json";
    let guard = Guard::from_env(settings.token.as_deref());
    let (mut found, mut broken) = (false, false);
    for file in &args.files {
        let (docs, duplicate) = match read_documents(file) {
            Ok(read) => read,
            Err(e) => {
                eprintln!("pk3s-telemetry: error: {e}");
                broken = true;
                if json {
                    print(&format!(
                        "{}\n",
                        json!({"file": file, "clean": null, "error": e})
                    ))?;
                }
                continue;
            }
        };
        let several = docs.len() > 1;
        // Always the full rules (TELEMETRY_PRIVACY does not apply); the paths come from
        // the redacted copy and show only the keys the guard cleared. A repeated key is a
        // finding too: a reader keeps only one of its values, unchecked.
        let mut lines: Vec<Line> = duplicate
            .map(|d| Line {
                document: d.document + 1,
                path: d.path,
                kind: "duplicate key",
                key: false,
                rule: "json.duplicate-key",
                masked: None,
            })
            .into_iter()
            .collect();
        for (n, mut doc) in docs.into_iter().enumerate() {
            for f in guard.scan_with(&mut doc, Mode::Redact, args.explain) {
                lines.push(Line {
                    document: n + 1,
                    path: f.path,
                    kind: f.kind.as_str(),
                    key: f.key,
                    rule: f.rule,
                    masked: f.masked,
                });
            }
        }
        found |= !lines.is_empty();
        let file = printable(file);
        if json {
            let list: Vec<Value> = lines
                .iter()
                .map(|l| {
                    let mut v = json!({"document": l.document, "path": l.path, "kind": l.kind, "object_key": l.key});
                    if args.explain {
                        v["rule"] = json!(l.rule);
                        v["masked"] = json!(l.masked);
                    }
                    v
                })
                .collect();
            let line = json!({"file": file, "clean": lines.is_empty(), "findings": list});
            print(&format!("{line}\n"))?;
            continue;
        }
        if lines.is_empty() {
            settings.out.info(format_args!("{file}: clean"));
            continue;
        }
        let mut report = String::new();
        for l in &lines {
            let doc = if several {
                format!(":{}", l.document)
            } else {
                String::new()
            };
            let key = if l.key { " (object key)" } else { "" };
            if args.explain {
                // Quoted as JSON: control characters and quotes cannot break the line.
                let masked = l
                    .masked
                    .as_deref()
                    .map_or_else(String::new, |m| format!(": {}", json!(m)));
                let _ = writeln!(
                    report,
                    "{file}{doc}: {}: {} ({}{key}){masked}",
                    l.path, l.rule, l.kind
                );
            } else {
                let _ = writeln!(report, "{file}{doc}: {}: {}{key}", l.path, l.kind);
            }
        }
        print(&report)?;
    }
    Ok(ExitCode::from(if broken {
        USAGE
    } else if found {
        NOT_DELIVERED
    } else {
        DELIVERED
    }))
}

/// The JSON values in a file: one document, or several separated by whitespace (JSON Lines),
/// and the first repeated key (a finding: serde_json keeps only the last value).
fn read_documents(path: &str) -> Result<(Vec<Value>, Option<Duplicate>), String> {
    let (name, bytes) = payload::read_input(path)?;
    crate::json::bounded(&bytes).map_err(|e| format!("{name}: {e}"))?;
    let docs = serde_json::Deserializer::from_slice(&bytes)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: invalid JSON: {e}"))?;
    if docs.is_empty() {
        return Err(format!("{name}: no JSON value"));
    }
    Ok((docs, crate::json::duplicate_key(&bytes)))
}
