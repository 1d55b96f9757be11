//! `log`: what left this machine from this outbox (the ledger, `outbox::ledger`), newest
//! first: lines for people, JSON lines with each exact body for scripts, or one body byte
//! for byte (`--show`). Works on an outbox that does not exist yet and on a damaged ledger
//! (each damaged part named on stderr, the rest shown).

use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{LogArgs, LogFormat};
use crate::cmd::{DELIVERED, UsageError, print, print_bytes};
use crate::outbox::ledger::read;
use crate::outbox::ledger::record::Entry;
use crate::settings::Settings;

pub fn run(args: &LogArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    let since = args.since.as_deref().map(since).transpose()?;
    let dir = &settings.outbox_dir;
    let ledger = read::all(dir, settings.ledger_caps);
    for p in &ledger.problems {
        out.warn(p);
    }
    if let Some(id) = &args.show {
        let Some(e) = ledger.find(id) else {
            return Err(UsageError(format!(
                "--show: nothing with the event id {id:?} is recorded as having left {}",
                dir.display()
            ))
            .into());
        };
        let Some(body) = &e.body else {
            return Err(UsageError(format!(
                "--show: {id} left, but its body ({} bytes) was larger than the ledger's bound (TELEMETRY_LEDGER_MAX_MB) and is not kept",
                e.bytes
            ))
            .into());
        };
        print_bytes(body)?;
        return Ok(ExitCode::from(DELIVERED));
    }
    if !ledger.exists {
        out.note(format_args!(
            "nothing has left from here: {} holds no record of a delivery",
            dir.display()
        ));
        return Ok(ExitCode::from(DELIVERED));
    }
    let shown = ledger.newest(since, args.limit);
    let json = args.json || args.format == LogFormat::Json;
    let mut text = String::new();
    if json {
        for e in &shown {
            text.push_str(&format!("{}\n", as_json(e)));
        }
    } else {
        text = table(&shown);
    }
    print(&text)?;
    Ok(ExitCode::from(DELIVERED))
}

/// `--since`: an RFC 3339 time, or a time ago (`90s`, `30m`, `24h`, `7d`, `2w`).
fn since(value: &str) -> Result<OffsetDateTime, UsageError> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(t);
    }
    let bad = || {
        UsageError(format!(
            "--since: {value:?} is neither an RFC 3339 time (2026-12-01T00:00:00Z) nor a time ago (90m, 24h, 7d)"
        ))
    };
    let v = value.trim();
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = v.split_at(digits);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let ago = Duration::from_secs(n.checked_mul(secs).ok_or_else(bad)?);
    OffsetDateTime::now_utc()
        .checked_sub(ago.try_into().map_err(|_| bad())?)
        .ok_or_else(bad)
}

/// One record for scripts: its facts, and its exact body as a JSON string (base64 when
/// it is not UTF-8).
fn as_json(e: &Entry) -> Value {
    let mut o = json!({
        "at": e.at,
        "event_id": e.event_id,
        "event_name": e.event_name,
        "endpoint": e.endpoint,
        "protocol": e.protocol,
        "status": e.status,
        "attempt": e.attempt,
        "by": e.by,
        "bytes": e.bytes,
    });
    if let Some(to) = &e.carried_to {
        o["carried_to"] = json!(to);
    }
    match e.body.as_deref().map(std::str::from_utf8) {
        Some(Ok(text)) => o["body"] = json!(text),
        Some(Err(_)) => {
            let bytes = e.body.as_deref().unwrap_or_default();
            o["body"] = Value::Null;
            o["body_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        }
        None => {
            o["body"] = Value::Null;
            o["omitted"] = json!(e.omitted);
        }
    }
    o
}

/// Aligned lines for people: time, status, event, endpoint, event id.
fn table(shown: &[&Entry]) -> String {
    let rows: Vec<[String; 5]> = shown
        .iter()
        .map(|e| {
            let status = match (e.status, &e.carried_to) {
                (Some(s), _) => s.to_string(),
                (None, Some(_)) => "carried".into(),
                (None, None) => "-".into(),
            };
            let endpoint = match &e.carried_to {
                Some(to) => format!("{} (carried out in {to})", e.endpoint),
                None => e.endpoint.clone(),
            };
            [
                e.at.clone(),
                status,
                e.event_name.clone().unwrap_or_else(|| "-".into()),
                endpoint,
                e.event_id.clone(),
            ]
        })
        .collect();
    let head = ["TIME", "STATUS", "EVENT", "ENDPOINT", "EVENT_ID"].map(str::to_string);
    let mut width = [0; 5];
    for r in std::iter::once(&head).chain(&rows) {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut text = String::new();
    for r in std::iter::once(&head).chain(&rows) {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(width).enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  "));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_a_time_ago() {
        let now = OffsetDateTime::now_utc();
        let day = since("24h").unwrap();
        assert!((now - day).whole_hours() == 24 || (now - day).whole_hours() == 23);
        assert!(since("7d").unwrap() < day);
        assert_eq!(
            since("2026-12-01T00:00:00Z").unwrap(),
            time::macros::datetime!(2026-12-01 00:00 UTC)
        );
        for bad in [
            "",
            "h",
            "24",
            "24y",
            "-1h",
            "yesterday",
            "99999999999999999999w",
        ] {
            assert!(since(bad).is_err(), "{bad}");
        }
    }
}
