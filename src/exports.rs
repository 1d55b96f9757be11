//! The `TELEMETRY_*` context a run hands down, decided once here for both `resolve` and
//! `env`, and rendered as shell lines for `eval` (bash, dash, zsh) or as JSON for machines.
//! What is decided (consent, ids, component) and every setting that was set is exported;
//! a setting that nobody set is neither exported nor assigned: every layer applies the same
//! defaults, a layer's own shell variables survive the `eval`, and what a layer persists
//! for a setting nobody configured is what upstream persists (`""`, not today's default).
//! The token is never rendered (see `shell`).

use std::process::Command;

use serde_json::{Map, Value, json};

use crate::consent::Consent;
use crate::payload::new_id;
use crate::settings::{Origin, Settings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub name: &'static str,
    /// `None`: not set. A decided value that is `None` is cleared (exported as empty, JSON
    /// null); a setting that is `None` is left alone: not exported, not assigned.
    pub value: Option<String>,
    /// For a setting: what every layer assumes when it is not set (shown in JSON, never
    /// assigned). `None` for decided values and for knobs with nothing to assume.
    pub default: Option<String>,
    /// Decided by this run (always exported) rather than handed on from its settings.
    pub decided: bool,
    /// flag, env, prompt, do_not_track or default.
    pub source: &'static str,
    /// The token: never rendered, only whether it is set.
    pub secret: bool,
}

fn export(name: &'static str, value: Option<String>, source: &'static str) -> Export {
    Export {
        name,
        value,
        default: None,
        decided: true,
        source,
        secret: false,
    }
}

/// An id taken from the environment, or a new one (its default).
fn id_or_new(id: &Option<String>) -> (Option<String>, &'static str) {
    match id {
        Some(id) => (Some(id.clone()), Origin::Env.as_str()),
        None => (Some(new_id()), Origin::Default.as_str()),
    }
}

fn passed(id: &Option<String>) -> (Option<String>, &'static str) {
    let origin = if id.is_some() {
        Origin::Env
    } else {
        Origin::Default
    };
    (id.clone(), origin.as_str())
}

fn consent_value(c: Consent) -> Export {
    export(
        "TELEMETRY_ENABLED",
        // The words the layers compare (`== "true"`) and record (cluster.json, nodes.env).
        Some(if c.enabled { "true" } else { "false" }.to_string()),
        c.source.as_str(),
    )
}

/// `resolve`: this run's own context. Consent is always decided (so nested layers never
/// ask again); the session is reused or created; the run id is a new one unless one was
/// handed in; the parent is passed through; the component comes from the flag, the
/// environment or the default.
pub fn resolved(settings: &Settings, consent: Consent, component: Option<&str>) -> Vec<Export> {
    let (session, session_src) = id_or_new(&settings.session_id);
    let (run, run_src) = id_or_new(&settings.run_id);
    let (parent, parent_src) = passed(&settings.parent_run_id);
    let (component, component_src) = match component {
        Some(c) => (c.to_string(), Origin::Flag),
        None => (
            settings.component.clone(),
            settings.origin("TELEMETRY_COMPONENT"),
        ),
    };
    let mut v = vec![
        consent_value(consent),
        export("TELEMETRY_SESSION_ID", session, session_src),
        export("TELEMETRY_RUN_ID", run, run_src),
        export("TELEMETRY_PARENT_RUN_ID", parent, parent_src),
        export(
            "TELEMETRY_COMPONENT",
            Some(component),
            component_src.as_str(),
        ),
    ];
    v.extend(handed_down(settings));
    v
}

/// `env`: the context for a nested child. Same session, this run as its parent, its own
/// run id (and exit code) to make; consent only as decided so far (`env` never asks, and
/// an undecided chain stays undecided). Nothing is made up: without a session or run id
/// in the environment, the child starts a chain of its own.
pub fn for_child(settings: &Settings, consent: Option<Consent>) -> Vec<Export> {
    let default = Origin::Default.as_str();
    let (session, session_src) = passed(&settings.session_id);
    let (parent, parent_src) = passed(&settings.run_id);
    let mut v = vec![
        match consent {
            Some(c) => consent_value(c),
            // Undecided stays undecided: handed on as it was (set but empty), else not at all.
            None => Export {
                value: settings.given("TELEMETRY_ENABLED").map(str::to_string),
                decided: false,
                ..export("TELEMETRY_ENABLED", None, default)
            },
        },
        export("TELEMETRY_SESSION_ID", session, session_src),
        export("TELEMETRY_RUN_ID", None, default),
        export("TELEMETRY_PARENT_RUN_ID", parent, parent_src),
        export(
            "TELEMETRY_COMPONENT",
            Some(settings.component.clone()),
            settings.origin("TELEMETRY_COMPONENT").as_str(),
        ),
        // A run's result is its own, not its parent's.
        export("TELEMETRY_EXIT_CODE", None, default),
    ];
    v.extend(handed_down(settings));
    v
}

fn handed_down(settings: &Settings) -> impl Iterator<Item = Export> {
    settings.handed_down().into_iter().map(|s| Export {
        name: s.name,
        value: s.value,
        default: s.default,
        decided: false,
        source: s.origin.as_str(),
        secret: s.secret,
    })
}

/// Lines safe to `eval` in bash, dash and zsh whatever the values hold: `export
/// NAME='value'` for what is decided or was set, nothing for a setting nobody set (a
/// `set -u` layer that reads one bare keeps upstream's own `NAME="${NAME:-…}"` line). The
/// token's value is never printed: `resolve` only sees an exported token, so exporting it
/// again adds nothing, and an `eval` under `set -x` would copy it into the log.
pub fn shell(list: &[Export]) -> String {
    let mut out = String::new();
    for e in list {
        match &e.value {
            Some(_) if e.secret => {}
            Some(v) => exported(&mut out, e.name, v),
            None if e.decided => exported(&mut out, e.name, ""),
            None => {}
        }
    }
    out
}

fn exported(out: &mut String, name: &str, value: &str) {
    out.push_str("export ");
    out.push_str(name);
    out.push('=');
    out.push_str(&quote(value));
    out.push('\n');
}

/// Single quotes keep everything literal in every POSIX shell and zsh (`$`, backticks,
/// backslashes, newlines); a single quote itself is closed, escaped and reopened.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// One object keyed by variable name: `{"value": …, "source": …, "exported": …}` (a
/// setting nobody set has `"value": null`, `"exported": false` and, when every layer
/// assumes one, its `"default"`), or for the token `{"set": true|false, "source": …}`.
pub fn json(list: &[Export]) -> anyhow::Result<String> {
    let mut m = Map::new();
    for e in list {
        let exported = e.decided || e.value.is_some();
        let entry = if e.secret {
            json!({"set": e.value.is_some(), "source": e.source})
        } else if exported || e.default.is_none() {
            json!({"value": e.value, "source": e.source, "exported": exported})
        } else {
            json!({"value": null, "source": e.source, "exported": false, "default": e.default})
        };
        m.insert(e.name.to_string(), entry);
    }
    Ok(serde_json::to_string_pretty(&Value::Object(m))? + "\n")
}

/// Gives `cmd` the environment that `eval` of `shell` would export (unset settings stay
/// unset: the child applies the same defaults).
pub fn apply(list: &[Export], cmd: &mut Command) {
    for e in list.iter().filter(|e| !e.secret) {
        match &e.value {
            Some(v) => {
                cmd.env(e.name, v);
            }
            None if e.decided => {
                cmd.env(e.name, "");
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_everything_literal() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(x) `y` \\ \n"), "'$(x) `y` \\ \n'");
    }

    #[test]
    fn secrets_never_rendered() {
        let list = vec![
            export("TELEMETRY_RUN_ID", None, "default"),
            Export {
                name: "TELEMETRY_BEARER_TOKEN",
                value: Some("s3cret".into()),
                default: Some(String::new()),
                decided: false,
                source: "env",
                secret: true,
            },
        ];
        assert_eq!(shell(&list), "export TELEMETRY_RUN_ID=''\n");
        let j = json(&list).unwrap();
        assert!(!j.contains("s3cret"), "{j}");
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(
            v,
            json!({
                "TELEMETRY_RUN_ID": {"value": null, "source": "default", "exported": true},
                "TELEMETRY_BEARER_TOKEN": {"set": true, "source": "env"}
            })
        );
    }
}
