//! `status` for eyes: aligned `name value` lines.

use serde_json::Value;

use crate::error::count;
use crate::outbox::drops;

/// The same report for eyes.
pub fn text(r: &Value) -> String {
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<15} {v}\n"));
    let t = &r["telemetry"];
    let on = if t["enabled"] == true { "on" } else { "off" };
    line(
        "telemetry",
        format!("{on}, decided by {}", s(&t["decided_by"])),
    );
    line("notice", format!("version {}", t["notice"]));
    for (scope, label) in [("user", "saved (user)"), ("system", "saved (machine)")] {
        let v = &r["saved_choices"][scope];
        let what = match &v["choice"] {
            Value::Null => "none".to_string(),
            Value::String(c) if v["lapsed"] == true => format!(
                "{c}, lapsed (answered notice version {}, now {})",
                v["notice"], t["notice"]
            ),
            Value::String(c) => format!("{c} (notice version {})", v["notice"]),
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
            // The default protocol goes unsaid, as before there was another.
            (Value::String(u), _) if e["protocol"] == "otlp" => {
                format!("{u} ({}), as OTLP/HTTP logs", s(&e["source"]))
            }
            (Value::String(u), _) => format!("{u} ({})", s(&e["source"])),
            (_, Value::String(err)) => format!("invalid: {err}"),
            _ => "none (set but empty: nothing is sent)".into(),
        },
    );
    let refused = &e["refused"];
    if !refused.is_null() {
        line(
            "  refused",
            format!(
                "the latest answer, at {}, was HTTP {}: the credentials were refused",
                s(&refused["at"]),
                refused["status"]
            ),
        );
    }
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
            let runs = o["legacy_runs"].as_u64().unwrap_or(0) as usize;
            line("  old scripts", count(runs, "run", "runs"));
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
    if let Some(steps) = r["next"].as_array() {
        for (i, step) in steps.iter().enumerate() {
            line(
                if i == 0 { "next" } else { "" },
                format!("{}: `{}`", s(&step["why"]), s(&step["run"])),
            );
        }
    }
    out
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
