//! HTTP delivery: one agent per client (a kept-alive connection), per-attempt timeouts,
//! curl-like proxy choice and the system CA store. What to do with an answer (retry,
//! backoff, Retry-After, stopping) is `policy`'s.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;
use ureq::Agent;
use ureq::config::Config;
use ureq::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

pub mod deadline;
pub mod forward;
pub mod otlp;
pub mod policy;
pub mod protocol;
pub mod proxy;
pub mod roots;
pub mod trace;
pub mod words;

use crate::attempt::{Answer, Fault};
use crate::error::UsageError;
use crate::settings::Settings;
use policy::{Sent, parse_retry_after};
use proxy::proxy_for;

/// Response bodies are read to the end (so the connection can be reused) up to this size.
const MAX_RESPONSE: u64 = 64 * 1024;
/// Each connection's input buffer, and so the largest response head taken. ureq's default
/// (128 KiB in, 128 KiB out, per layer: twice over TLS) is zeroed on every new connection,
/// byte by byte in this size-optimised build: 40% of a whole `send`'s instructions.
const INPUT_BUFFER: usize = 32 * 1024;
/// The output buffer beyond the request's own head (a long token still fits).
const OUTPUT_SPARE: usize = 16 * 1024;

/// Sends to one endpoint over one agent, so attempts and replays reuse the connection.
pub struct Client {
    agent: Agent,
    /// The whole of one attempt, whatever the peer or a proxy does.
    request_timeout: Duration,
    /// The variable the proxy came from (for error words; never its value).
    proxy_var: Option<&'static str>,
    url: String,
    /// `url` parsed once (`None`: ureq reports it at the first request, as for any URL).
    uri: Option<Uri>,
    /// The headers every request carries, checked and hashed once; the key is added to a
    /// copy per request.
    fixed: HeaderMap,
    pub proxy_note: Option<String>,
    /// `-vv`: each request and answer on stderr (`None` otherwise: no cost).
    trace: Option<trace::Trace>,
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

impl Client {
    pub fn new(settings: &Settings, url: &str) -> Result<Client, UsageError> {
        settings.check_headers()?;
        let choice = proxy_for(url)?;
        // The CA files are read only when TLS is used: an https endpoint or an https proxy.
        let roots = if url.starts_with("https:") || choice.tls {
            roots::roots()?
        } else {
            RootCerts::PlatformVerifier
        };
        let trace = match (&settings.out.detail, url.parse::<Uri>()) {
            (true, Ok(uri)) => Some(trace::Trace::new(
                &uri,
                choice.forward.is_some(),
                choice
                    .proxy
                    .as_ref()
                    .is_some_and(|p| p.username().is_some() || p.password().is_some()),
                settings.token.as_deref(),
            )),
            _ => None,
        };
        // A forwarded endpoint's proxy is not ureq's: it would tunnel with CONNECT.
        let proxy = choice.proxy.filter(|_| choice.forward.is_none());
        let proxy_note = choice.note;
        let tls = TlsConfig::builder().root_certs(roots).build();
        let mut fixed = HeaderMap::new();
        for (name, value) in headers(
            &settings.user_agent,
            &settings.marker,
            settings.token.as_deref(),
            "",
        ) {
            if name == "Idempotency-Key" {
                continue;
            }
            // check_headers has passed these; a refusal here is a defect, not a panic.
            let bad = || {
                UsageError(format!(
                    "the {name} header cannot be built; nothing was sent"
                ))
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
            let mut value = HeaderValue::from_str(&value).map_err(|_| bad())?;
            value.set_sensitive(name == header::AUTHORIZATION);
            fixed.append(name, value);
        }
        // The request line and the key aside, the head is these lines.
        let head: usize = fixed
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum();
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
            .input_buffer_size(INPUT_BUFFER)
            // One byte less than the buffer: a longer head is refused as too large rather
            // than stalling in a full buffer.
            .max_response_header_size(INPUT_BUFFER - 1)
            .output_buffer_size(OUTPUT_SPARE + url.len() + head)
            .build();
        Ok(Client {
            agent: Agent::with_parts(
                config,
                deadline::connector(choice.forward.clone()),
                OnceResolver {
                    via: choice.forward.map(|f| f.proxy.clone()),
                    ..OnceResolver::default()
                },
            ),
            request_timeout: settings.request_timeout,
            proxy_var: choice.var,
            url: url.to_string(),
            uri: url.parse().ok(),
            fixed,
            proxy_note,
            trace,
        })
    }

    /// One POST, ended by the request timeout whatever the peer or a proxy does. Returns
    /// the answer, the fault of a failure, any Retry-After, and the body of a 2xx (at most
    /// `MAX_RESPONSE` bytes; every body is read to the end within that bound).
    pub fn post(&self, body: &[u8], key: &str) -> (Sent, Vec<u8>) {
        let _deadline = deadline::Attempt::start(self.request_timeout);
        let Some(uri) = &self.uri else {
            // Not a URL: ureq words the failure, as for any request.
            return self.answer(self.agent.post(&self.url).send(body));
        };
        if let Some(t) = &self.trace {
            t.request(&self.fixed, key, body.len());
        }
        let mut req = Request::new(body);
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = self.fixed.clone();
        // A key no header can carry fails the request as ureq words it.
        let Ok(key) = HeaderValue::from_str(key) else {
            let req = self.agent.post(uri.clone()).header(IDEMPOTENCY_KEY, key);
            return self.answer(req.send(body));
        };
        req.headers_mut().insert(IDEMPOTENCY_KEY, key);
        self.answer(self.agent.run(req))
    }

    fn answer(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> (Sent, Vec<u8>) {
        match sent {
            Ok(mut resp) => {
                if let Some(t) = &self.trace {
                    t.reply(&resp);
                }
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
                // Read to the end so the connection goes back to the pool; a 2xx's or a
                // 4xx's body is kept (an OTLP partial success, or a Collector's reason).
                let keep = (200..300).contains(&status) || (400..500).contains(&status);
                let mut rest = resp.body_mut().with_config().limit(MAX_RESPONSE).reader();
                let mut kept = Vec::new();
                let mut buf = [0; 1024];
                while let Ok(n) = rest.read(&mut buf)
                    && n > 0
                {
                    if keep {
                        kept.extend_from_slice(buf.get(..n).unwrap_or_default());
                    }
                }
                (
                    (Answer::Status(status), Fault::Transient, retry_after),
                    kept,
                )
            }
            Err(e) => {
                let (words, fault) = words::describe(&e, deadline::phase(), self.proxy_var);
                let fault = match fault {
                    Fault::Transient if unreachable(&e) => Fault::Unreachable,
                    other => other,
                };
                ((Answer::Failed(words), fault, None), Vec::new())
            }
        }
    }
}

/// A timeout, a refused connection (to the endpoint or its proxy) or a failed name lookup:
/// the endpoint cannot be reached now (the outbox's endpoint memory spares it a while).
fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Timeout(_) | ureq::Error::HostNotFound => true,
        ureq::Error::Io(io) => {
            matches!(
                io.kind(),
                K::ConnectionRefused | K::TimedOut | K::HostUnreachable | K::NetworkUnreachable
            ) || io.to_string().starts_with(LOOKUP_FAILED)
        }
        // The proxy itself could not be reached (`deadline::proxy_fault` keeps its words,
        // in lower case); a proxy's answer (`responded 403`) is an answer.
        ureq::Error::ConnectProxyFailed(w) => [
            "connection refused",
            "connection timed out",
            "no route to host",
            "network is unreachable",
            "its host name was not found",
            LOOKUP_FAILED,
        ]
        .iter()
        .any(|p| w.starts_with(p)),
        _ => false,
    }
}

/// How std words a failed name lookup (its kind has no stable name).
const LOOKUP_FAILED: &str = "failed to lookup address information";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};
    use std::net::ToSocketAddrs;

    #[test]
    fn unreachable_is_a_timeout_a_refusal_or_a_failed_lookup() {
        let io = |k: ErrorKind| ureq::Error::Io(Error::from(k));
        assert!(unreachable(&io(ErrorKind::ConnectionRefused)));
        assert!(unreachable(&ureq::Error::Timeout(ureq::Timeout::Global)));
        assert!(unreachable(&ureq::Error::HostNotFound));
        // As std reports a name that does not resolve (.invalid never does).
        if let Err(e) = "host.invalid:80".to_socket_addrs() {
            assert!(unreachable(&ureq::Error::Io(e)));
        }
        let proxy = |w: &str| ureq::Error::ConnectProxyFailed(w.into());
        assert!(unreachable(&proxy("connection refused")));
        assert!(!unreachable(&proxy("responded 403 Forbidden")));
        assert!(!unreachable(&io(ErrorKind::ConnectionReset)));
        assert!(!unreachable(&io(ErrorKind::UnexpectedEof)));
    }
}

/// Resolves each host once per agent. ureq resolves on every request, even one that goes
/// over a pooled connection, and with a resolve timeout it does so on a new thread each
/// time: a flush of thousands of entries would spend most of its time starting threads.
/// With `via` (a forwarding proxy), the proxy is resolved in the endpoint's place: the
/// endpoint's name is the proxy's to look up, as with curl.
#[derive(Debug, Default)]
struct OnceResolver {
    inner: DefaultResolver,
    cache: Mutex<Option<(String, ResolvedSocketAddrs)>>,
    via: Option<Uri>,
}

impl Resolver for OnceResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let uri = self.via.as_ref().unwrap_or(uri);
        let scheme = uri.scheme_str().unwrap_or_default();
        let authority = uri.authority().map_or("", |a| a.as_str());
        if let Ok(cache) = self.cache.lock()
            && let Some((k, addrs)) = cache.as_ref()
            && k.strip_prefix(scheme)
                .and_then(|k| k.strip_prefix("://"))
                .is_some_and(|k| k == authority)
        {
            return Ok(addrs.clone());
        }
        let key = format!("{scheme}://{authority}");
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
