//! Reading and checking one setting's value: numbers of seconds and counts that warn and
//! fall back, header values a request can carry, endpoint URLs.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Origin, Protocol, Verbosity, non_empty};
use crate::error::UsageError;

pub fn default_user_agent() -> String {
    format!("productive-k3s/{}", env!("CARGO_PKG_VERSION"))
}

/// A positive number of seconds (fractions allowed); anything else warns and uses the default.
pub(super) fn seconds(
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
                "{name}={v:?} is not a number of seconds above 0 and at most 3600 (fractions allowed); using {default}"
            ));
            Duration::from_secs_f64(default)
        }
    }
}

/// TELEMETRY_DELIVERY: `background` or `foreground` (the default); anything else warns.
pub(super) fn background(out: Verbosity, origins: &mut BTreeMap<&'static str, Origin>) -> bool {
    let Some(v) = non_empty("TELEMETRY_DELIVERY") else {
        return false;
    };
    let word = v.trim().to_ascii_lowercase();
    if word == "background" || word == "foreground" {
        origins.insert("TELEMETRY_DELIVERY", Origin::Env);
    }
    match word.as_str() {
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

/// The word of TELEMETRY_PRIVACY that `v` names, in any case (`privacy::Mode` reads it and
/// warns about anything else; the settings only record that it was given).
pub fn privacy_word(v: &str) -> Option<&'static str> {
    ["redact", "strict", "off"]
        .into_iter()
        .find(|w| v.trim().eq_ignore_ascii_case(w))
}

/// TELEMETRY_PROTOCOL: `pk3s` (the default) or `otlp`, in any case; anything else warns
/// naming the value and uses `pk3s`.
pub(super) fn protocol(out: Verbosity, origins: &mut BTreeMap<&'static str, Origin>) -> Protocol {
    let Some(v) = non_empty("TELEMETRY_PROTOCOL") else {
        return Protocol::default();
    };
    let named = Protocol::named(&v.trim().to_ascii_lowercase());
    if named.is_some() {
        origins.insert("TELEMETRY_PROTOCOL", Origin::Env);
    }
    named.unwrap_or_else(|| {
        out.warn(format_args!(
            "TELEMETRY_PROTOCOL={v:?} is not pk3s or otlp; using {}",
            Protocol::default().as_str()
        ));
        Protocol::default()
    })
}

/// A whole number in [1, max]; anything else warns naming the value and uses the default.
pub(super) fn whole(
    name: &'static str,
    default: u64,
    max: u64,
    out: Verbosity,
    origins: &mut BTreeMap<&'static str, Origin>,
) -> u64 {
    whole_between(name, default, 1, max, out, origins)
}

/// A whole number in [min, max]; anything else warns naming the value and uses the default
/// (and the setting counts as not given, as for every checked setting).
pub(super) fn whole_between(
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
    out: Verbosity,
    origins: &mut BTreeMap<&'static str, Origin>,
) -> u64 {
    let Some(v) = non_empty(name) else {
        return default;
    };
    match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => {
            origins.insert(name, Origin::Env);
            n
        }
        _ => {
            out.warn(format_args!(
                "{name}={v:?} is not a whole number between {min} and {max}; using {default}"
            ));
            default
        }
    }
}

/// A port that the URL parser let through but no socket can use (e.g. `:99999`).
fn has_bad_port(uri: &ureq::http::Uri) -> bool {
    let Some(authority) = uri.authority() else {
        return false;
    };
    let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
    let host_end = host_port.rfind(']').unwrap_or(0);
    match host_port.get(host_end..).and_then(|t| t.rsplit_once(':')) {
        Some((_, port)) => port.parse::<u16>().is_err(),
        None => false,
    }
}

/// A header value as sent: printable ASCII (a token: visible ASCII, no spaces), without
/// surrounding blanks, which a receiver would strip.
pub(super) fn header_value(name: &str, value: &str, secret: bool) -> Result<(), UsageError> {
    let why = if value.chars().any(char::is_control) {
        "holds a control character"
    } else if !value.is_ascii() {
        "holds a non-ASCII character"
    } else if secret && value.contains(' ') {
        "holds a space"
    } else if value.starts_with(' ') || value.ends_with(' ') {
        "starts or ends with a space"
    } else {
        return Ok(());
    };
    let shown = if secret {
        String::new()
    } else {
        format!("=\"{}\"", crate::error::printable(value))
    };
    Err(UsageError(format!(
        "{name}{shown} {why}, which a request header cannot carry; nothing was sent"
    )))
}

/// An endpoint must be an absolute http or https URL with a host.
pub fn validate_endpoint(url: &str, source: &str) -> Result<String, UsageError> {
    let bad = |why: &str| UsageError(format!("{source}: {url:?} {why}"));
    // `t.example/x`: a URL without its scheme, the likeliest slip.
    let no_scheme = !url.contains("://") && !url.contains(char::is_whitespace);
    let hint = |why: &str| {
        if no_scheme {
            format!("{why}: it has no scheme; write https://{url}")
        } else {
            why.to_string()
        }
    };
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad(&hint("is not a valid URL")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(bad(&hint("is not an http or https URL"))),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if uri.port().is_some_and(|p| p.as_u16() == 0) || has_bad_port(&uri) {
        return Err(bad("has a port outside 1-65535"));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        // Not echoed: the value holds a secret.
        return Err(UsageError(format!(
            "{source}: the URL must not hold credentials; use TELEMETRY_BEARER_TOKEN"
        )));
    }
    Ok(url.to_string())
}
