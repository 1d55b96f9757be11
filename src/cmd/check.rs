//! `check FILE...`: the privacy guard over JSON artifacts (run manifests, test outputs,
//! summaries), so a suite can assert in one line that a public artifact is clean. Reads
//! files only: no network, no consent needed, nothing written.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;

use crate::cli::CheckArgs;
use crate::cmd::{DELIVERED, NOT_DELIVERED, USAGE, print};
use crate::error::printable;
use crate::json::Duplicate;
use crate::payload;
use crate::privacy::{Guard, Mode};
use crate::settings::Settings;

/// Exit 0: every file clean; 1: identifiers found (one stdout line per path); 2: a file
/// could not be read or is not JSON (the others are still checked).
pub fn run(args: &CheckArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let guard = Guard::from_env(settings.token.as_deref());
    let (mut found, mut broken) = (false, false);
    for file in &args.files {
        let (docs, duplicate) = match read_documents(file) {
            Ok(read) => read,
            Err(e) => {
                eprintln!("pk3s-telemetry: error: {e}");
                broken = true;
                continue;
            }
        };
        let several = docs.len() > 1;
        let mut report = String::new();
        if let Some(d) = duplicate {
            let n = if several {
                format!(":{}", d.document + 1)
            } else {
                String::new()
            };
            let _ = writeln!(report, "{}{n}: {}: duplicate key", printable(file), d.path);
        }
        for (n, mut doc) in docs.into_iter().enumerate() {
            // Always the full rules (TELEMETRY_PRIVACY does not apply), and the paths come
            // from the redacted copy, so a key that is an identifier is not printed.
            for f in guard.scan(&mut doc, Mode::Redact) {
                let doc = if several {
                    format!(":{}", n + 1)
                } else {
                    String::new()
                };
                let key = if f.key { " (object key)" } else { "" };
                let file = printable(file);
                let _ = writeln!(report, "{file}{doc}: {}: {}{key}", f.path, f.kind.as_str());
            }
        }
        if !report.is_empty() {
            found = true;
            print(&report)?;
        } else {
            settings
                .out
                .info(format_args!("{}: clean", printable(file)));
        }
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
    let docs = serde_json::Deserializer::from_slice(&bytes)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: invalid JSON: {e}"))?;
    if docs.is_empty() {
        return Err(format!("{name}: no JSON value"));
    }
    Ok((docs, crate::json::duplicate_key(&bytes)))
}
