//! An http:// endpoint through an HTTP proxy, as curl sends it: the request itself goes to
//! the proxy in absolute form (`POST http://host:port/path HTTP/1.1`, the proxy's
//! credentials in `Proxy-Authorization`), never a CONNECT tunnel, which proxies such as
//! Squid refuse to port 80 by default. CONNECT stays for https:// endpoints.
//!
//! ureq 3 tunnels every request through an HTTP proxy with CONNECT and writes every
//! request target in origin form (ureq 2 had the absolute form; 3.x dropped it), so it is
//! given no proxy here. Instead its resolver hands it the proxy's address for the endpoint
//! (the endpoint's name is never looked up: the proxy does that), so its TCP connector
//! connects to the proxy, and the connection's output, which `deadline::Clamped` holds
//! until the answer is awaited, gets its request line turned into the absolute form by
//! [`Forward::rewrite`] before it leaves. ureq stays the client; the attempt's deadline
//! covers all of it. An https:// proxy (TLS to the proxy itself) keeps ureq's CONNECT:
//! reaching it in absolute form would need a connector of our own in ureq's chain for a
//! combination (a TLS proxy for a plain-http endpoint) that no layer uses.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ureq::http::Uri;
use ureq::{Proxy, ProxyProtocol};

/// How requests to one http:// endpoint reach it through a proxy.
#[derive(Debug)]
pub struct Forward {
    /// The proxy itself, `http://host:port`, without credentials: what is resolved in the
    /// endpoint's place.
    pub proxy: Uri,
    /// What goes before the origin-form target: the endpoint's `http://host[:port]`.
    origin: String,
    /// `Proxy-Authorization: Basic …\r\n`, when the proxy URL holds credentials.
    authorization: Option<String>,
}

impl Forward {
    /// `Some` for an http:// endpoint and an http:// proxy (SOCKS proxies carry the request
    /// as it is; https:// endpoints, and https:// proxies, are tunnelled with CONNECT).
    pub fn new(endpoint: &Uri, proxy: &Proxy) -> Option<Forward> {
        if endpoint.scheme_str() != Some("http") || proxy.protocol() != ProxyProtocol::Http {
            return None;
        }
        let host = proxy.host();
        // An IPv6 literal keeps its brackets in the authority.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let proxy_uri = format!("http://{host}:{}", proxy.port()).parse().ok()?;
        let authorization = (proxy.username().is_some() || proxy.password().is_some()).then(|| {
            let pair = format!(
                "{}:{}",
                proxy.username().unwrap_or_default(),
                proxy.password().unwrap_or_default()
            );
            format!("Proxy-Authorization: Basic {}\r\n", STANDARD.encode(pair))
        });
        Some(Forward {
            proxy: proxy_uri,
            origin: format!("http://{}", endpoint.authority()?),
            authorization,
        })
    }

    /// Turns the request line at the start of `head` (`POST /path HTTP/1.1`) into the
    /// absolute form, with the proxy's credentials after it. ureq writes a request's line
    /// whole before anything else, so it is there; anything else is left as it is (the
    /// proxy then refuses it, which is a failure in words, never a request elsewhere).
    pub fn rewrite(&self, head: &mut Vec<u8>) {
        let Some(line_end) = head.windows(2).position(|w| w == b"\r\n") else {
            return;
        };
        let Some(target) = head[..line_end].iter().position(|&b| b == b' ') else {
            return;
        };
        if head.get(target + 1) != Some(&b'/') {
            return;
        }
        let mut out = Vec::with_capacity(head.len() + self.origin.len() + 64);
        out.extend_from_slice(&head[..=target]);
        out.extend_from_slice(self.origin.as_bytes());
        out.extend_from_slice(&head[target + 1..line_end + 2]);
        if let Some(auth) = &self.authorization {
            out.extend_from_slice(auth.as_bytes());
        }
        out.extend_from_slice(&head[line_end + 2..]);
        *head = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(endpoint: &str, proxy: &str) -> Option<Forward> {
        Forward::new(&endpoint.parse().unwrap(), &Proxy::new(proxy).unwrap())
    }

    #[test]
    fn only_http_endpoints_through_http_proxies_are_forwarded() {
        assert!(forward("http://h/t", "http://p:3128").is_some());
        assert!(forward("http://h/t", "https://p:3129").is_none());
        assert!(forward("https://h/t", "http://p:3128").is_none());
        assert!(forward("http://h/t", "socks5://p:1080").is_none());
        let f = forward("http://h:8080/t", "http://[::1]:3128").unwrap();
        assert_eq!(f.proxy.to_string(), "http://[::1]:3128/");
    }

    #[test]
    fn the_request_line_takes_the_absolute_form_and_the_credentials() {
        let f = forward("http://Recv.example:8080/t", "http://u%40x:p:w@p:3128").unwrap();
        let mut head = b"POST /t?q=1 HTTP/1.1\r\nHost: recv.example:8080\r\n\r\n{}".to_vec();
        f.rewrite(&mut head);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            format!(
                "POST http://Recv.example:8080/t?q=1 HTTP/1.1\r\nProxy-Authorization: Basic {}\r\nHost: recv.example:8080\r\n\r\n{{}}",
                STANDARD.encode("u@x:p:w")
            )
        );
        let f = forward("http://h/t", "http://p:3128").unwrap();
        let mut head = b"POST /t HTTP/1.1\r\n\r\n".to_vec();
        f.rewrite(&mut head);
        assert_eq!(head, b"POST http://h/t HTTP/1.1\r\n\r\n");
        // Not a request line in origin form: left alone.
        for odd in [
            &b"POST http://h/t HTTP/1.1\r\n"[..],
            b"no line end",
            b"{\"body\":1}\r\n",
        ] {
            let mut head = odd.to_vec();
            f.rewrite(&mut head);
            assert_eq!(head, odd);
        }
    }
}
