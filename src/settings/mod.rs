//! Effective settings: the `TELEMETRY_*` environment with the contract's defaults and
//! validation, overridden by the global flags. Invalid values warn and fall back; they
//! never stop a bootstrap.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::UsageError;

mod check;
mod ledger;
pub mod protocol;
mod verbosity;

use check::{background, header_value, protocol, seconds, whole};
pub use check::{default_user_agent, privacy_word, validate_endpoint};
pub use ledger::LedgerCaps;
pub use protocol::Protocol;
pub use verbosity::{Overrides, Verbosity, under_ci};

pub const DEFAULT_ENDPOINT: &str = "https://telemetry.productive-k3s.io/telemetry";
pub const DEFAULT_MARKER: &str = "pk3s-public-v1";
pub const DEFAULT_MAX_RETRIES: u32 = 3;
pub const DEFAULT_CONNECT_TIMEOUT: f64 = 5.0;
pub const DEFAULT_REQUEST_TIMEOUT: f64 = 10.0;
pub const DEFAULT_OUTBOX_DIR: &str = "runs/telemetry-outbox";
pub const DEFAULT_COMPONENT: &str = "core";
pub const DEFAULT_REPOSITORY: &str = "productive-k3s";
pub const DEFAULT_SCRIPT: &str = "scripts/apply.sh";
pub const DEFAULT_OUTBOX_MAX_ENTRIES: usize = 10_000;
pub const DEFAULT_OUTBOX_MAX_AGE_DAYS: u64 = 30;

/// Reads one variable; a value that is not valid UTF-8 is taken lossily rather than
/// failing the run.
pub fn var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// A variable that is set and not empty.
pub fn non_empty(name: &str) -> Option<String> {
    var(name).filter(|v| !v.is_empty())
}

/// The contract's truthiness: `Some(true)` / `Some(false)` for the listed words (any case),
/// `None` for anything else. `enable(d)`/`disable(d)` are the words of `--telemetry` and of
/// the saved choice, so they count wherever the others do.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" | "enable" | "enabled" => Some(true),
        "0" | "false" | "no" | "n" | "off" | "disable" | "disabled" => Some(false),
        _ => None,
    }
}

/// The outbox caps: the oldest entries beyond them are dropped (see `outbox::caps`).
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_entries: usize,
    pub max_age: Duration,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            max_entries: usize::MAX,
            max_age: Duration::MAX,
        }
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    /// The built-in default, also when the variable held an invalid value (warned about).
    Default,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::Default => "default",
        }
    }
}

/// One `TELEMETRY_*` setting as a run hands it down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// The value exactly as given; `None` when it was not set.
    pub value: Option<String>,
    /// What a layer assumes when it is not set (`None`: nothing to assume).
    pub default: Option<String>,
    pub origin: Origin,
    /// Never shown: only whether it is set.
    pub secret: bool,
}

/// The settings `resolve` and `env` hand on, in order.
const HANDED_DOWN: &[&str] = &[
    "TELEMETRY_ENDPOINT",
    "TELEMETRY_MARKER",
    "TELEMETRY_BEARER_TOKEN",
    "TELEMETRY_MAX_RETRIES",
    "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
    "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
    "TELEMETRY_OUTBOX_DIR",
    "TELEMETRY_USER_AGENT",
    "TELEMETRY_SOURCE_REPOSITORY",
    "TELEMETRY_SOURCE_SCRIPT",
    "TELEMETRY_OUTBOX_MAX_ENTRIES",
    "TELEMETRY_OUTBOX_MAX_AGE_DAYS",
    "TELEMETRY_LEDGER_MAX_ENTRIES",
    "TELEMETRY_LEDGER_MAX_MB",
    "TELEMETRY_DELIVERY",
    "TELEMETRY_PROTOCOL",
    "TELEMETRY_PRIVACY",
    "TELEMETRY_PRIVACY_EXTRA",
];

/// What every layer assumes when `name` is unset; `None` for the knobs that only this tool
/// reads (nothing to assume).
fn layer_default(name: &str) -> Option<String> {
    Some(match name {
        "TELEMETRY_ENDPOINT" => DEFAULT_ENDPOINT.to_string(),
        "TELEMETRY_MARKER" => DEFAULT_MARKER.to_string(),
        "TELEMETRY_BEARER_TOKEN" => String::new(),
        "TELEMETRY_MAX_RETRIES" => DEFAULT_MAX_RETRIES.to_string(),
        "TELEMETRY_CONNECT_TIMEOUT_SECONDS" => DEFAULT_CONNECT_TIMEOUT.to_string(),
        "TELEMETRY_REQUEST_TIMEOUT_SECONDS" => DEFAULT_REQUEST_TIMEOUT.to_string(),
        "TELEMETRY_OUTBOX_DIR" => DEFAULT_OUTBOX_DIR.to_string(),
        "TELEMETRY_USER_AGENT" => default_user_agent(),
        "TELEMETRY_SOURCE_REPOSITORY" => DEFAULT_REPOSITORY.to_string(),
        "TELEMETRY_SOURCE_SCRIPT" => DEFAULT_SCRIPT.to_string(),
        _ => return None,
    })
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// TELEMETRY_ENABLED when set and non-empty; an unrecognised word counts as off.
    pub enabled: Option<bool>,
    /// DO_NOT_TRACK is truthy.
    pub do_not_track: bool,
    /// `None` when the endpoint is set but empty: nothing is sent. Checked by `endpoint()`
    /// only when something is to be sent, so that a no-op stays a no-op.
    pub endpoint: Option<String>,
    /// The name the endpoint came from, for error messages.
    pub endpoint_source: &'static str,
    pub marker: String,
    pub token: Option<String>,
    pub max_attempts: u32,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub outbox_dir: PathBuf,
    /// Caps on the outbox: the oldest entries beyond them are dropped with a warning.
    pub outbox_caps: Caps,
    /// Bounds on the ledger of what left (`outbox::ledger`).
    pub ledger_caps: LedgerCaps,
    /// TELEMETRY_DELIVERY=background: `send` returns once the payload is in the outbox.
    pub background: bool,
    /// TELEMETRY_PROTOCOL: what new payloads go out in (a kept entry keeps its own).
    pub protocol: Protocol,
    pub user_agent: String,
    pub session_id: Option<String>,
    pub run_id: Option<String>,
    pub parent_run_id: Option<String>,
    pub component: String,
    pub repository: String,
    pub script: String,
    /// TELEMETRY_EXIT_CODE as given; validated where it is used.
    pub exit_code: Option<String>,
    pub out: Verbosity,
    /// Where each setting came from, by variable name; absent means the default.
    origins: BTreeMap<&'static str, Origin>,
    /// The handed-down settings and TELEMETRY_ENABLED that were set, exactly as given (flag,
    /// else environment).
    given: BTreeMap<&'static str, String>,
}

impl Settings {
    /// The endpoint, checked: `Ok(None)` when it is set but empty.
    /// In OTLP mode the endpoint must be given: there is no public Collector to default to.
    pub fn endpoint(&self) -> Result<Option<String>, UsageError> {
        if self.protocol == Protocol::Otlp && self.origin("TELEMETRY_ENDPOINT") == Origin::Default {
            return Err(UsageError(
                "TELEMETRY_ENDPOINT: not set; TELEMETRY_PROTOCOL=otlp needs the address of your OpenTelemetry Collector (e.g. http://collector:4318/v1/logs)".into(),
            ));
        }
        self.endpoint
            .as_deref()
            .map(|e| validate_endpoint(e, self.endpoint_source))
            .transpose()
    }

    /// One line for `-vv`: the settings in use and where they came from; never the token,
    /// and never an endpoint that fails its check (it may hold credentials).
    pub fn describe(&self) -> String {
        let endpoint = match self.endpoint() {
            Ok(Some(url)) => url,
            Ok(None) => "none (empty)".to_string(),
            Err(_) => "invalid".to_string(),
        };
        format!(
            "settings: endpoint {endpoint} ({}), outbox {} ({}), {}, timeouts {}s connect / {}s request, token {}",
            self.origin("TELEMETRY_ENDPOINT").as_str(),
            self.outbox_dir.display(),
            self.origin("TELEMETRY_OUTBOX_DIR").as_str(),
            crate::error::count(self.max_attempts as usize, "attempt", "attempts"),
            self.connect_timeout.as_secs_f64(),
            self.request_timeout.as_secs_f64(),
            if self.token.is_some() {
                "set"
            } else {
                "not set"
            },
        )
    }

    /// The settings that become request headers, checked before anything is sent: a value
    /// a header cannot carry is a usage error naming the variable (never the token's value).
    /// `Client::new` calls it; a send that already holds its payload keeps it for a later
    /// flush with fixed settings.
    pub fn check_headers(&self) -> Result<(), UsageError> {
        header_value("TELEMETRY_USER_AGENT", &self.user_agent, false)?;
        header_value("TELEMETRY_MARKER", &self.marker, false)?;
        if let Some(token) = &self.token {
            header_value("TELEMETRY_BEARER_TOKEN", token, true)?;
        }
        Ok(())
    }

    /// The setting (or TELEMETRY_ENABLED) exactly as given, when it was set, even empty.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.given.get(name).map(String::as_str)
    }

    /// Where the setting held in `name` came from.
    pub fn origin(&self, name: &str) -> Origin {
        self.origins.get(name).copied().unwrap_or(Origin::Default)
    }

    /// The transport and client settings a run hands on: each one that was set, exactly as
    /// given (flag or environment), and for each one that was not, the default that every
    /// layer applies anyway. Consent, correlation ids and component are for `resolve` and
    /// `env` to decide.
    pub fn handed_down(&self) -> Vec<Setting> {
        HANDED_DOWN
            .iter()
            .map(|&name| {
                let given = self.given(name).map(str::to_string);
                Setting {
                    name,
                    origin: if given.is_some() {
                        self.origin(name)
                    } else {
                        Origin::Default
                    },
                    value: given,
                    default: layer_default(name),
                    secret: name == "TELEMETRY_BEARER_TOKEN",
                }
            })
            .collect()
    }

    pub fn load(global: &Overrides) -> Settings {
        let out = global.out;
        let mut origins = BTreeMap::new();
        // The variables whose value, when set and not empty, is taken as it is.
        for name in [
            "TELEMETRY_MARKER",
            "TELEMETRY_BEARER_TOKEN",
            "TELEMETRY_USER_AGENT",
            "TELEMETRY_SESSION_ID",
            "TELEMETRY_RUN_ID",
            "TELEMETRY_PARENT_RUN_ID",
            "TELEMETRY_COMPONENT",
            "TELEMETRY_SOURCE_REPOSITORY",
            "TELEMETRY_SOURCE_SCRIPT",
            "TELEMETRY_PRIVACY_EXTRA",
        ] {
            if non_empty(name).is_some() {
                origins.insert(name, Origin::Env);
            }
        }
        // The guard reads TELEMETRY_PRIVACY itself (`privacy::Mode`).
        if non_empty("TELEMETRY_PRIVACY").is_some_and(|v| privacy_word(&v).is_some()) {
            origins.insert("TELEMETRY_PRIVACY", Origin::Env);
        }

        let enabled = non_empty("TELEMETRY_ENABLED").map(|v| {
            parse_bool(&v).unwrap_or_else(|| {
                out.warn(format_args!(
                    "TELEMETRY_ENABLED={v:?} is not one of 1 true yes y on enable enabled / 0 false no n off disable disabled; telemetry is off"
                ));
                false
            })
        });
        let do_not_track = non_empty("DO_NOT_TRACK").is_some_and(|v| {
            // DO_NOT_TRACK=1 is the convention; any value that is not a "no" counts.
            parse_bool(&v) != Some(false)
        });

        let (endpoint, endpoint_source) = match &global.endpoint {
            Some(e) => {
                origins.insert("TELEMETRY_ENDPOINT", Origin::Flag);
                (e.clone(), "--endpoint")
            }
            None => {
                let e = var("TELEMETRY_ENDPOINT");
                if e.is_some() {
                    origins.insert("TELEMETRY_ENDPOINT", Origin::Env);
                }
                (
                    e.unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
                    "TELEMETRY_ENDPOINT",
                )
            }
        };
        let endpoint = Some(endpoint.trim().to_string()).filter(|e| !e.is_empty());

        let max_attempts = match non_empty("TELEMETRY_MAX_RETRIES") {
            None => DEFAULT_MAX_RETRIES,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 => {
                    origins.insert("TELEMETRY_MAX_RETRIES", Origin::Env);
                    n.min(100)
                }
                _ => {
                    out.warn(format_args!(
                        "TELEMETRY_MAX_RETRIES={v:?} is not a whole number of at least 1; using {DEFAULT_MAX_RETRIES}"
                    ));
                    DEFAULT_MAX_RETRIES
                }
            },
        };

        let outbox_dir = if let Some(dir) = &global.outbox {
            origins.insert("TELEMETRY_OUTBOX_DIR", Origin::Flag);
            dir.clone()
        } else if let Some(dir) = non_empty("TELEMETRY_OUTBOX_DIR") {
            origins.insert("TELEMETRY_OUTBOX_DIR", Origin::Env);
            PathBuf::from(dir)
        } else {
            PathBuf::from(DEFAULT_OUTBOX_DIR)
        };

        let mut given: BTreeMap<&'static str, String> = HANDED_DOWN
            .iter()
            .chain(&["TELEMETRY_ENABLED"])
            .filter_map(|&name| var(name).map(|v| (name, v)))
            .collect();
        if let Some(e) = &global.endpoint {
            given.insert("TELEMETRY_ENDPOINT", e.clone());
        }
        if let Some(dir) = &global.outbox {
            given.insert("TELEMETRY_OUTBOX_DIR", dir.display().to_string());
        }

        Settings {
            enabled,
            do_not_track,
            endpoint,
            endpoint_source,
            marker: non_empty("TELEMETRY_MARKER").unwrap_or_else(|| DEFAULT_MARKER.to_string()),
            token: non_empty("TELEMETRY_BEARER_TOKEN"),
            max_attempts,
            connect_timeout: seconds(
                "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
                DEFAULT_CONNECT_TIMEOUT,
                out,
                &mut origins,
            ),
            request_timeout: seconds(
                "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
                DEFAULT_REQUEST_TIMEOUT,
                out,
                &mut origins,
            ),
            outbox_dir,
            outbox_caps: Caps {
                max_entries: whole(
                    "TELEMETRY_OUTBOX_MAX_ENTRIES",
                    DEFAULT_OUTBOX_MAX_ENTRIES as u64,
                    1_000_000,
                    out,
                    &mut origins,
                ) as usize,
                max_age: Duration::from_secs(
                    whole(
                        "TELEMETRY_OUTBOX_MAX_AGE_DAYS",
                        DEFAULT_OUTBOX_MAX_AGE_DAYS,
                        3650,
                        out,
                        &mut origins,
                    ) * 86_400,
                ),
            },
            ledger_caps: ledger::load(out, &mut origins),
            background: background(out, &mut origins),
            protocol: protocol(out, &mut origins),
            user_agent: non_empty("TELEMETRY_USER_AGENT").unwrap_or_else(default_user_agent),
            session_id: non_empty("TELEMETRY_SESSION_ID"),
            run_id: non_empty("TELEMETRY_RUN_ID"),
            parent_run_id: non_empty("TELEMETRY_PARENT_RUN_ID"),
            component: non_empty("TELEMETRY_COMPONENT")
                .unwrap_or_else(|| DEFAULT_COMPONENT.to_string()),
            repository: non_empty("TELEMETRY_SOURCE_REPOSITORY")
                .unwrap_or_else(|| DEFAULT_REPOSITORY.to_string()),
            script: non_empty("TELEMETRY_SOURCE_SCRIPT")
                .unwrap_or_else(|| DEFAULT_SCRIPT.to_string()),
            exit_code: non_empty("TELEMETRY_EXIT_CODE"),
            out,
            origins,
            given,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_the_contract() {
        for t in ["1", "true", "YES", "y", "On", " on ", "enable", "Enabled"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "false", "No", "N", "OFF", "disable", "DISABLED"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["", "2", "enables", "yess"] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
    }

    #[test]
    fn endpoints_are_http_or_https_with_a_host() {
        assert!(validate_endpoint("https://t.example/telemetry", "X").is_ok());
        assert!(validate_endpoint("http://127.0.0.1:8080/", "X").is_ok());
        for bad in [
            "ftp://t.example/",
            "t.example/x",
            "https://",
            "not a url",
            "https://u:p@h/",
        ] {
            let err = validate_endpoint(bad, "TELEMETRY_ENDPOINT").unwrap_err();
            assert!(err.0.starts_with("TELEMETRY_ENDPOINT: "), "{}", err.0);
            let hinted = err.0.contains("write https://");
            assert_eq!(hinted, bad == "t.example/x", "{}", err.0);
        }
        let err = validate_endpoint("t.example", "X").unwrap_err();
        assert!(
            err.0.ends_with("it has no scheme; write https://t.example"),
            "{}",
            err.0
        );
    }
}
