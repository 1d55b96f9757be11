//! `-vv`: each attempt's request line and headers, and the answer's status line and
//! headers, on stderr as `curl -v` shows them (`> ` out, `< ` in). The token is never
//! shown: `Authorization` and `Proxy-Authorization` are masked, and a token a receiver
//! echoes back in a header is masked there too. Built only under `-vv`: without it a
//! client holds `None` and an attempt pays one branch.

use ureq::http::{HeaderMap, Response, Uri, header};

const MASK: &str = "********";

#[derive(Debug)]
pub struct Trace {
    /// The request target as it goes out: origin form, or absolute form to a forwarding
    /// proxy.
    target: String,
    host: String,
    /// The request goes to a forwarding proxy with credentials (`Proxy-Authorization`).
    proxy_auth: bool,
    token: Option<String>,
}

impl Trace {
    pub fn new(uri: &Uri, forward: bool, proxy_auth: bool, token: Option<&str>) -> Trace {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let host = uri.authority().map_or("", |a| a.as_str()).to_string();
        let target = if forward {
            format!("{}://{host}{path}", uri.scheme_str().unwrap_or("http"))
        } else {
            path.to_string()
        };
        Trace {
            target,
            host,
            proxy_auth: forward && proxy_auth,
            token: token.map(str::to_string),
        }
    }

    /// The request head as it goes out: ureq writes the names in lower case, `host` first,
    /// and adds `accept` and `content-length`.
    pub fn request(&self, fixed: &HeaderMap, key: &str, length: usize) {
        let mut s = format!("> POST {} HTTP/1.1\n> host: {}\n", self.target, self.host);
        for (name, value) in fixed {
            let shown = if name == header::AUTHORIZATION {
                format!("Bearer {MASK}")
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            s.push_str(&format!("> {name}: {shown}\n"));
        }
        s.push_str(&format!(
            "> idempotency-key: {key}\n> accept: */*\n> content-length: {length}\n"
        ));
        if self.proxy_auth {
            s.push_str(&format!("> Proxy-Authorization: Basic {MASK}\n"));
        }
        s.push_str(">\n");
        eprint!("{s}");
    }

    /// The answer's status line and headers.
    pub fn reply<B>(&self, resp: &Response<B>) {
        let status = resp.status();
        let mut s = format!(
            "< {:?} {} {}\n",
            resp.version(),
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        );
        for (name, value) in resp.headers() {
            let mut value = crate::error::printable(&String::from_utf8_lossy(value.as_bytes()));
            if let Some(t) = self.token.as_deref().filter(|t| !t.is_empty()) {
                value = value.replace(t, MASK);
            }
            s.push_str(&format!("< {name}: {value}\n"));
        }
        s.push_str("<\n");
        eprint!("{s}");
    }
}
