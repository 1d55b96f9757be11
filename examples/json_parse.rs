//! Reads a JSON file and parses it with serde_json (with the tool's own features) and
//! nothing more: the reference `make privacy` measures the guard's `check` against, in
//! the same run, on the same file.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: json_parse FILE");
        return ExitCode::from(2);
    };
    let parsed = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string()));
    match parsed {
        Ok(v) => {
            // Keep the value alive to the end, as `check` does.
            std::hint::black_box(&v);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("json_parse: {path}: {e}");
            ExitCode::from(2)
        }
    }
}
