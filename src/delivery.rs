//! HTTP delivery: one agent per process (kept-alive connections), per-attempt timeouts,
//! retry classification, capped backoff with jitter, Retry-After, curl-like proxy choice
//! and the system CA store.

use std::net::IpAddr;
use std::sync::Mutex;
use std::thread::sleep;
use std::time::Duration;

use time::OffsetDateTime;
use ureq::config::Config;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Proxy};

use crate::cmd::UsageError;
use crate::payload::Payload;
use crate::settings::{Settings, Verbosity, var};

/// First backoff wait; doubled per retry up to `BACKOFF_CAP`, then jittered down by up to half.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// A longer Retry-After is not waited for: the payload is kept for a later flush instead.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(5);
/// Response bodies are read to the end (so the connection can be reused) up to this size.
const MAX_RESPONSE: u64 = 64 * 1024;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    Failed(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Status(s) => write!(f, "HTTP {s}"),
            Answer::Failed(e) => f.write_str(e),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    /// Worth trying again (connection trouble, timeouts, 408, 429, most 5xx).
    Transient,
    /// The receiver said no; trying again cannot help.
    Permanent,
}

pub fn classify(answer: &Answer, permanent_error: bool) -> Class {
    match answer {
        Answer::Status(s) if (200..300).contains(s) => Class::Delivered,
        Answer::Status(408 | 429) => Class::Transient,
        Answer::Status(501 | 505) => Class::Permanent,
        Answer::Status(500..=599) => Class::Transient,
        Answer::Status(_) => Class::Permanent,
        Answer::Failed(_) if permanent_error => Class::Permanent,
        Answer::Failed(_) => Class::Transient,
    }
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub number: u32,
    pub at: OffsetDateTime,
    pub answer: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Not delivered; worth replaying later.
    Kept,
    /// Refused for good by the receiver.
    Rejected,
}

#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub attempts: Vec<Attempt>,
}

impl Report {
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

/// Sends to one endpoint over one agent, so attempts and replays reuse the connection.
pub struct Client {
    agent: Agent,
    pub url: String,
    pub marker: String,
    token: Option<String>,
    pub user_agent: String,
    pub proxy_note: Option<String>,
}

impl Client {
    pub fn new(settings: &Settings, url: &str) -> Result<Client, UsageError> {
        let (proxy, proxy_note) = proxy_for(url)?;
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is a permanent answer: following it could turn the POST into a GET.
            .max_redirects(0)
            .user_agent(settings.user_agent.as_str())
            .timeout_resolve(Some(settings.connect_timeout))
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.request_timeout))
            .proxy(proxy)
            .tls_config(tls)
            .build();
        Ok(Client {
            agent: Agent::with_parts(config, DefaultConnector::default(), OnceResolver::default()),
            url: url.to_string(),
            marker: settings.marker.clone(),
            token: settings.token.clone(),
            user_agent: settings.user_agent.clone(),
            proxy_note,
        })
    }

    pub fn headers(&self, key: &str) -> Vec<(&'static str, String)> {
        headers(&self.user_agent, &self.marker, self.token.as_deref(), key)
    }

    /// One POST. Returns the answer, whether a failure is permanent, and any Retry-After.
    pub fn post(&self, body: &[u8], key: &str) -> (Answer, bool, Option<Duration>) {
        let mut req = self.agent.post(&self.url);
        for (name, value) in self.headers(key) {
            if name != "User-Agent" {
                req = req.header(name, value);
            }
        }
        match req.send(body) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
                // Read to the end so the connection goes back to the pool.
                let _ = resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_RESPONSE)
                    .read_to_vec();
                (Answer::Status(status), false, retry_after)
            }
            Err(e) => {
                let permanent = matches!(
                    e,
                    ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl | ureq::Error::Http(_)
                );
                (Answer::Failed(describe(&e)), permanent, None)
            }
        }
    }

    /// Up to `attempts` tries, numbered from `first`, with backoff between them.
    pub fn deliver(
        &self,
        payload: &mut Payload,
        first: u32,
        attempts: u32,
        out: Verbosity,
    ) -> Report {
        let mut done = Vec::new();
        let last = first + attempts.max(1) - 1;
        for number in first..=last {
            let at = OffsetDateTime::now_utc();
            payload.stamp(number, at);
            let (answer, permanent, retry_after) = self.post(&payload.body(), &payload.event_id);
            let class = classify(&answer, permanent);
            done.push(Attempt {
                number,
                at,
                answer: answer.clone(),
            });
            let outcome = match class {
                Class::Delivered => Some(Outcome::Delivered),
                Class::Permanent => Some(Outcome::Rejected),
                Class::Transient if number == last => Some(Outcome::Kept),
                Class::Transient => None,
            };
            if let Some(outcome) = outcome {
                out.info(format_args!("attempt {number}: {answer}"));
                return Report {
                    outcome,
                    attempts: done,
                };
            }
            let wait = match retry_after {
                Some(w) if w > RETRY_AFTER_CAP => {
                    out.info(format_args!(
                        "attempt {number}: {answer}; the receiver asks to wait {}s, longer than {}s: keeping it for a later flush",
                        w.as_secs(),
                        RETRY_AFTER_CAP.as_secs()
                    ));
                    return Report {
                        outcome: Outcome::Kept,
                        attempts: done,
                    };
                }
                Some(w) => w,
                None => backoff(number - first + 1),
            };
            out.info(format_args!(
                "attempt {number}: {answer}; retrying in {:.1}s",
                wait.as_secs_f64()
            ));
            sleep(wait);
        }
        Report {
            outcome: Outcome::Kept,
            attempts: done,
        }
    }
}

/// Resolves each host once per agent. ureq resolves on every request, even one that goes
/// over a pooled connection, and with a resolve timeout it does so on a new thread each
/// time: a flush of thousands of entries would spend most of its time starting threads.
#[derive(Debug, Default)]
struct OnceResolver {
    inner: DefaultResolver,
    cache: Mutex<Option<(String, ResolvedSocketAddrs)>>,
}

impl Resolver for OnceResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        if let Ok(cache) = self.cache.lock()
            && let Some((k, addrs)) = cache.as_ref()
            && *k == key
        {
            return Ok(addrs.clone());
        }
        // Failures are not cached: the next attempt resolves again.
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((key, addrs.clone()));
        }
        Ok(addrs)
    }
}

/// The headers of every request. Pass `token: None`-or-masked for display.
pub fn headers(
    user_agent: &str,
    marker: &str,
    token: Option<&str>,
    key: &str,
) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", user_agent.to_string()),
        ("X-Productive-K3S-Telemetry", marker.to_string()),
    ];
    if let Some(t) = token {
        h.push(("Authorization", format!("Bearer {t}")));
    }
    h.push(("Idempotency-Key", key.to_string()));
    h
}

/// The wait after the `retry`-th failed attempt (1-based): capped doubling, with jitter
/// taking it down by up to half so that many hosts do not retry in step.
pub fn backoff(retry: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let unit = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    full.mul_f64(1.0 - unit / 2.0)
}

/// Retry-After as delta-seconds or an HTTP date; `None` when it cannot be read.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - now;
    Some(if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    })
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => crate::payload::plain_io(io).to_lowercase(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    }
}

/// The proxy curl would use for `url`: the scheme's own variable (lower case first), then
/// ALL_PROXY, unless NO_PROXY matches the host. Returns the proxy and a note for `-v`.
pub fn proxy_for(url: &str) -> Result<(Option<Proxy>, Option<String>), UsageError> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| UsageError(format!("{url:?} is not a valid URL")))?;
    let host = uri.host().unwrap_or_default();
    let names: [&str; 4] = if uri.scheme_str() == Some("https") {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let Some((name, value)) = names
        .iter()
        .find_map(|n| var(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok((None, None));
    };
    let no_proxy = var("no_proxy")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| var("NO_PROXY"))
        .unwrap_or_default();
    if no_proxy_matches(&no_proxy, host) {
        return Ok((
            None,
            Some(format!("{host} matches NO_PROXY: not using {name}")),
        ));
    }
    // The value is not echoed: it may hold proxy credentials.
    let proxy = Proxy::new(value.trim())
        .map_err(|_| UsageError(format!("{name}: not a usable proxy URL")))?;
    Ok((Some(proxy), Some(format!("using the proxy from {name}"))))
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
                    || (host.ends_with(&name) && host[..host.len() - name.len()].ends_with('.')))
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
    fn statuses_are_classified_as_the_contract_says() {
        use Class::*;
        let c = |s| classify(&Answer::Status(s), false);
        assert_eq!(c(200), Delivered);
        assert_eq!(c(204), Delivered);
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(c(s), Transient, "{s}");
        }
        for s in [301, 302, 307, 400, 401, 403, 404, 413, 501, 505] {
            assert_eq!(c(s), Permanent, "{s}");
        }
        assert_eq!(classify(&Answer::Failed("x".into()), false), Transient);
        assert_eq!(classify(&Answer::Failed("x".into()), true), Permanent);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        for retry in 1..40 {
            let w = backoff(retry);
            let full = BACKOFF_BASE
                .saturating_mul(1 << (retry - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(w <= full && w >= full / 2, "retry {retry}: {w:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = OffsetDateTime::parse(
            "Sat, 21 Nov 2026 12:00:00 GMT",
            &time::format_description::well_known::Rfc2822,
        )
        .unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

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
