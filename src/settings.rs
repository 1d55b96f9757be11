//! Effective settings: the `TELEMETRY_*` environment with the contract's defaults and
//! validation, overridden by the global flags. Invalid values warn and fall back; they
//! never stop a bootstrap.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::Global;
use crate::error::UsageError;

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
/// `None` for anything else.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "no" | "n" | "off" => Some(false),
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

/// Where to report: warnings are suppressed by `-q`, details shown by `-v`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    pub quiet: bool,
    pub verbose: bool,
}

impl Verbosity {
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("pk3s-telemetry: warning: {msg}");
        }
    }

    /// Ordinary output of a command (e.g. flush's summary): shown unless `-q`.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("pk3s-telemetry: {msg}");
        }
    }

    pub fn info(&self, msg: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("pk3s-telemetry: {msg}");
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

/// One `TELEMETRY_*` setting with its effective value, as a run hands it down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// `None`: no value (for the token: not set).
    pub value: Option<String>,
    pub origin: Origin,
    /// Never shown: only whether it is set.
    pub secret: bool,
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
    /// TELEMETRY_DELIVERY=background: `send` returns once the payload is in the outbox.
    pub background: bool,
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
}

impl Settings {
    /// The endpoint, checked: `Ok(None)` when it is set but empty.
    pub fn endpoint(&self) -> Result<Option<String>, UsageError> {
        self.endpoint
            .as_deref()
            .map(|e| validate_endpoint(e, self.endpoint_source))
            .transpose()
    }

    /// Where the setting held in `name` came from.
    pub fn origin(&self, name: &str) -> Origin {
        self.origins.get(name).copied().unwrap_or(Origin::Default)
    }

    /// The transport and client settings with their effective values, in a fixed order,
    /// for `resolve` and `env` to hand down (consent, correlation ids and component are
    /// theirs to decide). The outbox is made absolute, so that a child that changes
    /// directory still finds it.
    pub fn handed_down(&self) -> Vec<Setting> {
        let outbox = std::path::absolute(&self.outbox_dir).unwrap_or_else(|e| {
            self.out.warn(format_args!(
                "TELEMETRY_OUTBOX_DIR: cannot make {} absolute ({e}); handing it down as it is",
                self.outbox_dir.display()
            ));
            self.outbox_dir.clone()
        });
        let plain = |name: &'static str, value: String| Setting {
            name,
            value: Some(value),
            origin: self.origin(name),
            secret: false,
        };
        vec![
            // Set but empty means "no endpoint", so it is handed down as empty, not cleared.
            plain(
                "TELEMETRY_ENDPOINT",
                self.endpoint.clone().unwrap_or_default(),
            ),
            plain("TELEMETRY_MARKER", self.marker.clone()),
            Setting {
                name: "TELEMETRY_BEARER_TOKEN",
                value: self.token.clone(),
                origin: self.origin("TELEMETRY_BEARER_TOKEN"),
                secret: true,
            },
            plain("TELEMETRY_MAX_RETRIES", self.max_attempts.to_string()),
            plain(
                "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
                self.connect_timeout.as_secs_f64().to_string(),
            ),
            plain(
                "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
                self.request_timeout.as_secs_f64().to_string(),
            ),
            plain("TELEMETRY_OUTBOX_DIR", outbox.display().to_string()),
            plain("TELEMETRY_USER_AGENT", self.user_agent.clone()),
            plain("TELEMETRY_SOURCE_REPOSITORY", self.repository.clone()),
            plain("TELEMETRY_SOURCE_SCRIPT", self.script.clone()),
        ]
    }

    pub fn load(global: &Global) -> Settings {
        let out = Verbosity {
            quiet: global.quiet,
            verbose: global.verbose,
        };
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
        ] {
            if non_empty(name).is_some() {
                origins.insert(name, Origin::Env);
            }
        }

        let enabled = non_empty("TELEMETRY_ENABLED").map(|v| {
            parse_bool(&v).unwrap_or_else(|| {
                out.warn(format_args!(
                    "TELEMETRY_ENABLED={v:?} is not one of 1 true yes y on / 0 false no n off; telemetry is off"
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
                ) as usize,
                max_age: Duration::from_secs(
                    whole(
                        "TELEMETRY_OUTBOX_MAX_AGE_DAYS",
                        DEFAULT_OUTBOX_MAX_AGE_DAYS,
                        3650,
                        out,
                    ) * 86_400,
                ),
            },
            background: background(out),
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
        }
    }
}

pub fn default_user_agent() -> String {
    format!("productive-k3s/{}", env!("CARGO_PKG_VERSION"))
}

/// A positive number of seconds (fractions allowed); anything else warns and uses the default.
fn seconds(
    name: &'static str,
    default: f64,
    out: Verbosity,
    origins: &mut BTreeMap<&'static str, Origin>,
) -> Duration {
    let Some(v) = non_empty(name) else {
        return Duration::from_secs_f64(default);
    };
    match v.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => {
            origins.insert(name, Origin::Env);
            Duration::from_secs_f64(s)
        }
        _ => {
            out.warn(format_args!(
                "{name}={v:?} is not a number of seconds between 0 and 3600; using {default}"
            ));
            Duration::from_secs_f64(default)
        }
    }
}

/// TELEMETRY_DELIVERY: `background` or `foreground` (the default); anything else warns.
fn background(out: Verbosity) -> bool {
    let Some(v) = non_empty("TELEMETRY_DELIVERY") else {
        return false;
    };
    match v.trim().to_ascii_lowercase().as_str() {
        "background" => true,
        "foreground" => false,
        _ => {
            out.warn(format_args!(
                "TELEMETRY_DELIVERY={v:?} is not background or foreground; using foreground"
            ));
            false
        }
    }
}

/// A whole number in [1, max]; anything else warns naming the value and uses the default.
fn whole(name: &str, default: u64, max: u64, out: Verbosity) -> u64 {
    let Some(v) = non_empty(name) else {
        return default;
    };
    match v.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            out.warn(format_args!(
                "{name}={v:?} is not a whole number between 1 and {max}; using {default}"
            ));
            default
        }
    }
}

/// An endpoint must be an absolute http or https URL with a host.
pub fn validate_endpoint(url: &str, source: &str) -> Result<String, UsageError> {
    let bad = |why: &str| UsageError(format!("{source}: {url:?} {why}"));
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad("is not a valid URL"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(bad("is not an http or https URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        // Not echoed: the value holds a secret.
        return Err(UsageError(format!(
            "{source}: the URL must not hold credentials; use TELEMETRY_BEARER_TOKEN"
        )));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_the_contract() {
        for t in ["1", "true", "YES", "y", "On", " on "] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "false", "No", "N", "OFF"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["", "2", "enable", "yess"] {
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
        }
    }
}
