//! `status`: where things stand. The consent decision and where it came from (never asks),
//! the notice's version and the saved choices, the endpoint and the proxy it would go
//! through (never credentials), the outbox with its counts, its oldest entry's age, and
//! the last delivery; then what to do next, where something needs doing (`next`).

mod next;
mod text;

use std::process::ExitCode;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::attempt::Answer;
use crate::choice::{self, Places, Scope};
use crate::cli::{StatusArgs, StatusFormat};
use crate::cmd::{DELIVERED, print};
use crate::consent::{self, Consent, NOTICE, Source};
use crate::delivery::proxy::{Choice, proxy_for};
use crate::error::plain_io;
use crate::outbox::census::{Census, census};
use crate::outbox::ledger::read;
use crate::outbox::memory::Memory;
use crate::outbox::{Outbox, drops, order};
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
    let refused = counted
        .as_ref()
        .ok()
        .and_then(|c| refusal(&Outbox::new(&outbox), c));
    let mut report = json!({
        "telemetry": {
            "enabled": consent.enabled,
            "source": consent.source.as_str(),
            "decided_by": consent::describe(consent.source),
            "notice": NOTICE,
        },
        "saved_choices": {"user": saved(Scope::User), "system": saved(Scope::System)},
        "endpoint": {
            "url": endpoint,
            "source": settings.origin("TELEMETRY_ENDPOINT").as_str(),
            "protocol": settings.protocol.as_str(),
            "error": endpoint_error,
            "down": down,
            "refused": refused,
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
    report["next"] = json!(next::steps(&report, settings.token.is_some()));
    print(&match args.format {
        StatusFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        StatusFormat::Text => text::text(&report),
    })?;
    Ok(ExitCode::from(DELIVERED))
}

/// One saved choice: its place, what it says and the notice it answered.
fn saved(scope: Scope) -> Value {
    let places = Places::from_env();
    let Some(p) = places.file(scope) else {
        return Value::Null;
    };
    let mut v = json!({"path": p.display().to_string(), "choice": null});
    match choice::read(p) {
        Ok(Some(c)) => {
            v["choice"] = json!(if c.enabled { "enable" } else { "disable" });
            v["notice"] = json!(c.notice);
            // A yes to an older notice no longer counts (`consent::saved`).
            v["lapsed"] = json!(c.lapsed(NOTICE));
        }
        Ok(None) => {}
        Err(e) => v["choice"] = json!({ "error": e }),
    }
    v
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

/// The latest answer to the pending entries, when it refused the credentials (401, 403,
/// 407): the oldest entry is the one a flush tries first, the newest the one a send tried
/// last, so between their two histories is the latest answer.
fn refusal(outbox: &Outbox, c: &Census) -> Option<Value> {
    let (oldest, newest) = c.ends.as_ref()?;
    let latest = [oldest, newest]
        .into_iter()
        .filter_map(|stem| outbox.read_history(stem)?.last)
        .max_by(|a, b| a.0.cmp(&b.0))?;
    match latest.1 {
        Answer::Status(status @ (401 | 403 | 407)) => {
            Some(json!({"status": status, "at": latest.0}))
        }
        _ => None,
    }
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
