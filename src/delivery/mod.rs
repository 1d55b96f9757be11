//! HTTP delivery: one agent per client (a kept-alive connection), per-attempt timeouts,
//! curl-like proxy choice and the system CA store. What to do with an answer (retry,
//! backoff, Retry-After, stopping) is `policy`'s.

use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;
use ureq::Agent;
use ureq::config::Config;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

pub mod deadline;
pub mod policy;
pub mod proxy;
pub mod words;

use crate::attempt::{Answer, Fault};
use crate::error::UsageError;
use crate::settings::Settings;
use policy::parse_retry_after;
use proxy::proxy_for;

/// Response bodies are read to the end (so the connection can be reused) up to this size.
const MAX_RESPONSE: u64 = 64 * 1024;

/// Sends to one endpoint over one agent, so attempts and replays reuse the connection.
pub struct Client {
    agent: Agent,
    /// The whole of one attempt, whatever the peer or a proxy does.
    request_timeout: Duration,
    /// The variable the proxy came from (for error words; never its value).
    proxy_var: Option<&'static str>,
    pub url: String,
    pub marker: String,
    token: Option<String>,
    pub user_agent: String,
    pub proxy_note: Option<String>,
}

impl Client {
    pub fn new(settings: &Settings, url: &str) -> Result<Client, UsageError> {
        settings.check_headers()?;
        let choice = proxy_for(url)?;
        if url.starts_with("https:") || choice.tls {
            words::check_cert_file()?;
        }
        let (proxy, proxy_note) = (choice.proxy, choice.note);
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
            agent: Agent::with_parts(config, deadline::connector(), OnceResolver::default()),
            request_timeout: settings.request_timeout,
            proxy_var: choice.var,
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

    /// One POST, ended by the request timeout whatever the peer or a proxy does. Returns
    /// the answer, the fault of a failure, and any Retry-After.
    pub fn post(&self, body: &[u8], key: &str) -> (Answer, Fault, Option<Duration>) {
        let _deadline = deadline::Attempt::start(self.request_timeout);
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
                (Answer::Status(status), Fault::Transient, retry_after)
            }
            Err(e) => {
                let (words, fault) = words::describe(&e, deadline::phase(), self.proxy_var);
                (Answer::Failed(words), fault, None)
            }
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
        let timeout = deadline::clamp(timeout);
        if timeout.after.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
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
