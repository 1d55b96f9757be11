//! `status`: where things stand. The consent decision and where it came from (never asks),
//! the saved choices, the endpoint and the proxy it would go through (never credentials),
//! the outbox with its counts, its oldest entry's age, and the last delivery.

use std::process::ExitCode;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::choice::{self, Places, Scope};
use crate::cli::{StatusArgs, StatusFormat};
use crate::cmd::{DELIVERED, print};
use crate::consent::{self, Consent, Source};
use crate::delivery::proxy::{Choice, proxy_for};
use crate::error::plain_io;
use crate::outbox::census::{Census, census};
use crate::outbox::drops;
use crate::outbox::ledger::read;
use crate::outbox::memory::Memory;
use crate::outbox::order;
use crate::settings::Settings;

/// The newest drops shown.
const RECENT_DROPS: usize = 5;

pub fn run(args: &StatusArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    let consent = consent::explicit(None, settings).unwrap_or(Consent {
        enabled: false,
        source: Source::Default,
    });
    let outbox =
        std::path::absolute(&settings.outbox_dir).unwrap_or_else(|_| settings.outbox_dir.clone());
    let counted = census(&outbox);
    let (endpoint, endpoint_error) = match settings.endpoint() {
        Ok(e) => (e, None),
        Err(e) => (None, Some(e.0)),
    };
    let proxy = endpoint.as_deref().map(proxy_of);
    // Remembered as down: sends to it keep their payload at once for a while.
    let down = endpoint.as_deref().and_then(|url| {
        Memory::load(settings)
            .down(url)
            .map(|(d, left)| json!({"since": d.at, "why": d.why, "left_seconds": left.as_secs()}))
    });
    let saved = |scope| {
        Places::from_env().file(scope).map(|p| {
            let choice = match choice::read(p) {
                Ok(Some(true)) => json!("enable"),
                Ok(Some(false)) => json!("disable"),
                Ok(None) => Value::Null,
                Err(e) => json!({ "error": e }),
            };
            json!({"path": p.display().to_string(), "choice": choice})
        })
    };
    let (outbox_json, last) = match &counted {
        Ok(c) => (outbox_counts(c, now), c.last_delivery.as_ref()),
        Err(e) => (
            json!({
                "exists": false,
                "error": (e.kind() != std::io::ErrorKind::NotFound).then(|| plain_io(e)),
            }),
            None,
        ),
    };
    let mut outbox_json = outbox_json;
    outbox_json["path"] = json!(outbox.display().to_string());
    if counted.is_ok() {
        let (recorded, recent) = drops::recent(&outbox, RECENT_DROPS);
        outbox_json["drops"] = json!({
            "recorded": recorded,
            "recent": recent.iter().map(|d| json!({
                "at": d.at, "by": d.by, "entry": d.entry, "why": d.why,
            })).collect::<Vec<_>>(),
        });
    }
    let ledger = ledger_json(&outbox, settings);
    let report = json!({
        "telemetry": {
            "enabled": consent.enabled,
            "source": consent.source.as_str(),
            "decided_by": consent::describe(consent.source),
        },
        "saved_choices": {"user": saved(Scope::User), "system": saved(Scope::System)},
        "endpoint": {
            "url": endpoint,
            "source": settings.origin("TELEMETRY_ENDPOINT").as_str(),
            "error": endpoint_error,
            "down": down,
        },
        "proxy": proxy,
        "outbox": outbox_json,
        "ledger": ledger,
        "last_delivery": last.map(|d| json!({
            "at": d.at.format(&Rfc3339).ok(),
            "age_seconds": (now - d.at).whole_seconds().max(0),
            "by": d.by,
            "what": d.what,
        })),
    });
    print(&match args.format {
        StatusFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        StatusFormat::Text => text(&report),
    })?;
    Ok(ExitCode::from(DELIVERED))
}

fn outbox_counts(c: &Census, now: OffsetDateTime) -> Value {
    json!({
        "exists": true,
        "pending": c.pending,
        "legacy_runs": c.legacy_runs,
        "rejected": c.rejected,
        "corrupt": c.corrupt,
        "oldest_at": c.oldest.and_then(|t| t.format(&Rfc3339).ok()),
        // Only where the stamp is plausible: a clock that was wrong gives no age.
        "oldest_age_seconds": c.oldest.and_then(|t| order::wall_age(t, now)).map(|a| a.as_secs()),
    })
}

/// The proxy a request to `url` would go through, as curl would choose it; its address
/// only, never its credentials.
fn proxy_of(url: &str) -> Value {
    match proxy_for(url) {
        Ok(Choice {
            proxy: Some(p),
            note,
            ..
        }) => json!({
            "url": format!("{}://{}:{}", p.uri().scheme_str().unwrap_or("http"), p.host(), p.port()),
            "credentials": p.username().is_some(),
            "note": note,
        }),
        Ok(Choice { note, .. }) => json!({"url": null, "note": note}),
        Err(e) => json!({"url": null, "error": e.0}),
    }
}

/// The same report for eyes.
fn text(r: &Value) -> String {
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<15} {v}\n"));
    let t = &r["telemetry"];
    let on = if t["enabled"] == true { "on" } else { "off" };
    line(
        "telemetry",
        format!("{on}, decided by {}", s(&t["decided_by"])),
    );
    for (scope, label) in [("user", "saved (user)"), ("system", "saved (machine)")] {
        let v = &r["saved_choices"][scope];
        let what = match &v["choice"] {
            Value::Null => "none".to_string(),
            Value::String(c) => c.clone(),
            other => format!("unreadable ({})", s(&other["error"])),
        };
        let at = if v.is_null() {
            "no place (HOME unset)".into()
        } else {
            s(&v["path"])
        };
        line(label, format!("{what}: {at}"));
    }
    let e = &r["endpoint"];
    line(
        "endpoint",
        match (&e["url"], &e["error"]) {
            (Value::String(u), _) => format!("{u} ({})", s(&e["source"])),
            (_, Value::String(err)) => format!("invalid: {err}"),
            _ => "none (set but empty: nothing is sent)".into(),
        },
    );
    let d = &e["down"];
    if !d.is_null() {
        line(
            "  down",
            format!(
                "did not answer at {} ({}); sends keep their payload for {}s more, flush tries",
                s(&d["since"]),
                s(&d["why"]),
                d["left_seconds"]
            ),
        );
    }
    let p = &r["proxy"];
    line(
        "proxy",
        match (&p["url"], &p["error"]) {
            (Value::String(u), _) => {
                let creds = if p["credentials"] == true {
                    ", with credentials"
                } else {
                    ""
                };
                format!("{u} ({}{creds})", s(&p["note"]))
            }
            (_, Value::String(err)) => format!("invalid: {err}"),
            _ => match p["note"].as_str() {
                Some(n) => format!("none ({n})"),
                None => "none".into(),
            },
        },
    );
    let o = &r["outbox"];
    line("outbox", s(&o["path"]));
    if o["exists"] == true {
        let age = o["oldest_age_seconds"]
            .as_i64()
            .map(|a| format!(", the oldest {} old", age_words(a)))
            .unwrap_or_default();
        line("  pending", format!("{}{age}", o["pending"]));
        if o["legacy_runs"].as_u64().is_some_and(|n| n > 0) {
            line("  old scripts", format!("{} runs", o["legacy_runs"]));
        }
        line("  rejected", o["rejected"].to_string());
        line("  corrupt", o["corrupt"].to_string());
        let d = &o["drops"];
        if d["recorded"].as_u64().is_some_and(|n| n > 0) {
            let last = &d["recent"][0];
            line(
                "  dropped",
                format!(
                    "{} recorded in {}; the last at {} by {}: {} ({})",
                    d["recorded"],
                    drops::DROPS_FILE,
                    s(&last["at"]),
                    s(&last["by"]),
                    s(&last["why"]),
                    s(&last["entry"])
                ),
            );
        }
    } else {
        match o["error"].as_str() {
            Some(err) => line("  error", format!("cannot read it: {err}")),
            None => line("  pending", "0 (it does not exist yet)".into()),
        }
    }
    let l = &r["ledger"];
    line("ledger", ledger_words(l));
    let d = &r["last_delivery"];
    line(
        "last delivery",
        if d.is_null() {
            "none recorded in this outbox".into()
        } else {
            format!(
                "{} ago ({}, by {}: {})",
                age_words(d["age_seconds"].as_i64().unwrap_or(0)),
                s(&d["at"]),
                s(&d["by"]),
                s(&d["what"])
            )
        },
    );
    out
}

/// What the ledger of what left holds (`outbox::ledger`): how many records and the newest.
fn ledger_json(outbox: &std::path::Path, settings: &Settings) -> Value {
    let o = read::overview(outbox, settings.ledger_caps);
    json!({
        "path": o.path.display().to_string(),
        "recorded": o.recorded,
        "damaged": o.damaged,
        "last": o.last.map(|e| json!({
            "at": e.at,
            "event_id": e.event_id,
            "event_name": e.event_name,
            "endpoint": e.endpoint,
            "status": e.status,
            "by": e.by,
            "carried_to": e.carried_to,
        })),
    })
}

fn ledger_words(l: &Value) -> String {
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let last = &l["last"];
    let mut w = if last.is_null() {
        "nothing has left from here".to_string()
    } else {
        let what = match (&last["status"], last["carried_to"].as_str()) {
            (Value::Number(n), _) => format!("HTTP {n}, by {}", s(&last["by"])),
            (_, Some(to)) => format!("carried out in {to}"),
            _ => s(&last["by"]),
        };
        format!(
            "{} recorded (pk3s-telemetry log); the last at {}: {} to {} ({what})",
            l["recorded"],
            s(&last["at"]),
            last["event_name"].as_str().unwrap_or("-"),
            s(&last["endpoint"]),
        )
    };
    if l["damaged"] == true {
        w.push_str("; damaged in part (pk3s-telemetry log names where)");
    }
    w
}

/// 42s, 5m 3s, 2h 10m, 3d 4h.
fn age_words(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}
