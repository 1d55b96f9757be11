//! The proxy curl would choose: the scheme's variable, ALL_PROXY, and NO_PROXY.

use std::net::IpAddr;
use std::sync::Arc;

use ureq::Proxy;

use super::forward::Forward;
use crate::error::UsageError;
use crate::settings::var;

/// The proxy chosen for one endpoint.
#[derive(Debug, Default)]
pub struct Choice {
    pub proxy: Option<Proxy>,
    /// An http:// endpoint through an HTTP(S) proxy: absolute-form requests to it, as curl
    /// sends them (`proxy` then is not handed to ureq, which would CONNECT).
    pub forward: Option<Arc<Forward>>,
    /// For `-v`: which variable is used, or why none is.
    pub note: Option<String>,
    /// The variable the proxy came from, for error words (its value is never shown).
    pub var: Option<&'static str>,
    /// The connection to the proxy itself is TLS (an https:// proxy).
    pub tls: bool,
}

/// The schemes curl takes in a proxy variable (none means http).
const SCHEMES: [&str; 7] = [
    "http", "https", "socks4", "socks4a", "socks5", "socks5h", "socks",
];

/// The proxy curl would use for `url`: the scheme's own variable (lower case first), then
/// ALL_PROXY, unless NO_PROXY matches the host. An unsupported or unusable proxy URL is a
/// usage error naming the variable, never its value (it may hold credentials).
pub fn proxy_for(url: &str) -> Result<Choice, UsageError> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| UsageError(format!("{url:?} is not a valid URL")))?;
    let host = uri.host().unwrap_or_default();
    let names: [&'static str; 4] = if uri.scheme_str() == Some("https") {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let Some((name, value)) = names
        .iter()
        .find_map(|n| var(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok(Choice::default());
    };
    let no_proxy = var("no_proxy")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| var("NO_PROXY"))
        .unwrap_or_default();
    if no_proxy_matches(&no_proxy, host) {
        return Ok(Choice {
            note: Some(format!("{host} matches NO_PROXY: not using {name}")),
            ..Choice::default()
        });
    }
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), value),
    };
    if !SCHEMES.contains(&scheme.as_str()) {
        let shown = if scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            format!(" {scheme:?}")
        } else {
            String::new()
        };
        return Err(UsageError(format!(
            "{name}: the proxy scheme{shown} is not supported (use http, https, socks4, socks4a, socks5 or socks5h)"
        )));
    }
    // curl reads socks:// as SOCKS4 (ureq would take SOCKS5).
    let scheme = if scheme == "socks" { "socks4" } else { &scheme };
    let unusable = || UsageError(format!("{name}: not a usable proxy URL"));
    if rest.is_empty() || rest.chars().any(|c| c.is_control() || c == ' ') {
        return Err(unusable());
    }
    // The value is not echoed: it may hold proxy credentials.
    let proxy = Proxy::new(&format!("{scheme}://{rest}")).map_err(|_| unusable())?;
    if proxy.host().is_empty() {
        return Err(unusable());
    }
    let forward = Forward::new(&uri, &proxy).map(Arc::new);
    Ok(Choice {
        proxy: Some(proxy),
        forward,
        note: Some(format!("using the {scheme} proxy from {name}")),
        var: Some(name),
        tls: scheme == "https",
    })
}

/// curl's NO_PROXY rules: comma- or space-separated entries, trimmed; `*` matches all; a
/// name matches itself and its subdomains (a leading `.` or `*.` is optional); an IP or a
/// CIDR matches addresses; a `:port` suffix is ignored.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(ip) = host_ip {
                return ip_matches(entry, ip);
            }
            let name = entry
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.');
            let name = match name.rsplit_once(':') {
                Some((n, port)) if port.chars().all(|c| c.is_ascii_digit()) => n,
                _ => name,
            }
            .to_ascii_lowercase();
            !name.is_empty()
                && (host == name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|head| head.ends_with('.')))
        })
}

fn ip_matches(entry: &str, ip: IpAddr) -> bool {
    let entry = entry.trim_start_matches('[');
    let (addr, bits) = match entry.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (entry.trim_end_matches(']'), None),
    };
    let Ok(net) = addr.trim_end_matches(']').parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_works_like_curl() {
        let l = " example.com , .corp.local,10.0.0.0/8 ,[::1], registry:5000";
        assert!(no_proxy_matches(l, "example.com"));
        assert!(no_proxy_matches(l, "api.example.com"));
        assert!(!no_proxy_matches(l, "badexample.com"));
        assert!(no_proxy_matches(l, "a.corp.local"));
        assert!(no_proxy_matches(l, "corp.local"));
        assert!(no_proxy_matches(l, "10.2.3.4"));
        assert!(!no_proxy_matches(l, "11.2.3.4"));
        assert!(no_proxy_matches(l, "[::1]"));
        assert!(no_proxy_matches(l, "registry"));
        assert!(no_proxy_matches("*", "anything"));
        assert!(!no_proxy_matches("", "anything"));
        assert!(no_proxy_matches("*.Example.COM", "x.example.com"));
    }
}
