//! A payload's guard before it is sent, printed or kept.

use serde_json::Value;

use super::kind::Kind;
use super::{Guard, Mode};
use crate::error::UsageError;
use crate::payload::{self, Kind as PayloadKind, Payload};
use crate::settings::Verbosity;

/// Runs the guard over a payload before it is sent, printed or kept, and reports the
/// redacted paths on stderr, one line a payload (never the value). The payload's JSON is redacted in place; a
/// ready-made one's bytes are re-serialized when something was redacted or when they hold
/// a repeated key (the bytes would then carry a value the guard never saw: a reader keeps
/// one of them, the guard checked the other), and its idempotency key is replaced if it
/// was the event_id that went. A malformed event name is refused in every mode, and
/// `Strict` refuses a payload with findings: a usage error (exit 2), nothing sent,
/// nothing kept.
///
/// The guard runs before the payload is written anywhere: a send killed while guarding
/// has written nothing (the caller's input file is untouched), and what goes on the
/// wire, to the outbox or to `--dry-run` is only ever what the guard checked.
pub fn protect(
    payload: &mut Payload,
    guard: &Guard,
    mode: Mode,
    out: Verbosity,
) -> Result<(), UsageError> {
    // Already cleaned when it was kept (a replay): the same rules would find nothing new.
    if payload.checked && mode != Mode::Off {
        return Ok(());
    }
    payload.materialize();
    let mut v = Value::Object(std::mem::take(&mut payload.object));
    let findings = guard.scan(&mut v, mode);
    if let Value::Object(m) = v {
        payload.object = m;
    }
    if findings.iter().any(|f| f.kind == Kind::EventName) {
        // The value is not printed: a malformed name may be anything, an identifier too.
        return Err(UsageError(
            "event_name is not an event name (dotted words of letters, digits, _ and -, e.g. core.apply.completed); nothing sent, nothing kept".into(),
        ));
    }
    // A ready-made event goes out as given unless something had to go, or its bytes say
    // more than what was checked.
    let repeated =
        payload.kind == PayloadKind::Raw && crate::json::duplicate_key(&payload.raw).is_some();
    if payload.kind == PayloadKind::Raw && (!findings.is_empty() || repeated) {
        payload.raw = serde_json::to_vec(&payload.object)
            .map_err(|e| UsageError(format!("the event cannot be re-serialized: {e}")))?;
        if payload.object.get("event_id").and_then(Value::as_str) != Some(payload.event_id.as_str())
        {
            payload.event_id = payload::new_id();
        }
    }
    payload.checked = mode != Mode::Off;
    if findings.is_empty() {
        return Ok(());
    }
    if mode == Mode::Strict {
        for f in &findings {
            eprintln!("pk3s-telemetry: found {}", f.describe());
        }
        let n = findings.len();
        let what = if n == 1 { "identifier" } else { "identifiers" };
        return Err(UsageError(format!(
            "TELEMETRY_PRIVACY=strict: the payload holds {n} {what} (listed above); nothing sent, nothing kept"
        )));
    }
    notice(&findings, out);
    Ok(())
}

/// What was redacted from one payload, said in one line: the first few paths, and how many
/// more (a bootstrap's every send printed a block of them). `-v` names each on a line.
fn notice(findings: &[super::Finding], out: Verbosity) {
    const SHOWN: usize = 3;
    if out.quiet {
        return;
    }
    if out.verbose || findings.len() == 1 {
        for f in findings {
            eprintln!("pk3s-telemetry: redacted {}", f.describe());
        }
        return;
    }
    let shown: Vec<String> = findings.iter().take(SHOWN).map(|f| f.describe()).collect();
    let more = match findings.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more (-v lists each)"),
    };
    eprintln!(
        "pk3s-telemetry: redacted {} identifiers: {}{more}",
        findings.len(),
        shown.join(", ")
    );
}
