//! A failed attempt in plain words that name the cause (the endpoint's certificate, a
//! proxy and the variable it came from, the phase that ran out of time), and whether
//! trying again within this send can help. Never a proxy URL, a token or "os error N".

use rustls::CertificateError as Cert;

use super::deadline::Phase;
use crate::attempt::Fault;
use crate::error::plain_io;

/// The words for `e` and its fault. `proxy` names the variable the proxy came from.
pub fn describe(e: &ureq::Error, phase: Phase, proxy: Option<&str>) -> (String, Fault) {
    use ureq::Error as E;
    let via = proxy.map_or(String::new(), |p| format!(" through the proxy from {p}"));
    if let Some(tls) = rustls_error(e) {
        return tls_words(tls);
    }
    match e {
        E::Timeout(t) => {
            let what = match (phase, t) {
                (_, ureq::Timeout::Resolve) => "resolving the endpoint's host name".to_string(),
                (Phase::Connect, _) => format!("connecting{via}"),
                (Phase::Tls, _) => "in the TLS handshake (does the endpoint speak TLS?)".into(),
                (Phase::Exchange, _) => format!("waiting for the receiver's answer{via}"),
            };
            (format!("timed out {what}"), Fault::Transient)
        }
        E::ConnectProxyFailed(w) => {
            let name = proxy.unwrap_or("the proxy variable");
            let w = status_once(w.strip_prefix("proxy server ").unwrap_or(w));
            // 401/403/407 from the proxy: its credentials or rules, not the payload.
            let refused = ["responded 401", "responded 403", "responded 407"]
                .iter()
                .any(|s| w.starts_with(s));
            let fault = if refused {
                Fault::Hold
            } else {
                Fault::Transient
            };
            (format!("the proxy from {name} failed: {w}"), fault)
        }
        E::Io(io) => {
            let words = plain_io(io).to_lowercase();
            if phase == Phase::Tls && io.kind() == std::io::ErrorKind::UnexpectedEof {
                return (
                    format!("the endpoint closed the connection in the TLS handshake ({words})"),
                    Fault::Transient,
                );
            }
            (words, Fault::Transient)
        }
        E::HostNotFound => ("host not found".into(), Fault::Transient),
        E::TlsRequired => (
            "the endpoint did not set up TLS for an https URL".into(),
            Fault::Hold,
        ),
        E::Protocol(p) => (
            format!("the answer is not valid HTTP ({p})"),
            Fault::Transient,
        ),
        E::LargeResponseHeader(..) => (
            "the answer's headers are too large".into(),
            Fault::Transient,
        ),
        E::BadUri(_) | E::InvalidProxyUrl | E::Http(_) => (e.to_string(), Fault::Permanent),
        E::Tls(w) => (format!("TLS: {w}"), Fault::Hold),
        other => (other.to_string(), Fault::Transient),
    }
}

/// ureq words a proxy's refusal `responded 403/403` (the code, then the code again where
/// a reason was meant): the status once, with its reason, `responded 403 Forbidden`.
fn status_once(w: &str) -> String {
    let Some(rest) = w.strip_prefix("responded ") else {
        return w.to_string();
    };
    let code = rest.split('/').next().unwrap_or(rest);
    match code
        .parse::<u16>()
        .ok()
        .and_then(|c| ureq::http::StatusCode::from_u16(c).ok())
    {
        Some(status) => match status.canonical_reason() {
            Some(reason) => format!("responded {code} {reason}"),
            None => format!("responded {code}"),
        },
        None => w.to_string(),
    }
}

/// The rustls error inside `e`, directly or wrapped in an I/O error by the handshake.
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|x| x.downcast_ref::<rustls::Error>()),
        _ => None,
    }
}

const SUGGEST: &str = "set SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR to the CA that signed it";

fn tls_words(e: &rustls::Error) -> (String, Fault) {
    let words = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            Cert::UnknownIssuer | Cert::BadSignature => {
                format!("the endpoint's certificate is not trusted (unknown issuer): {SUGGEST}")
            }
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
                "the endpoint's certificate is for another host name (check TELEMETRY_ENDPOINT)"
                    .into()
            }
            Cert::Expired | Cert::ExpiredContext { .. } => {
                "the endpoint's certificate has expired".into()
            }
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
                "the endpoint's certificate is not valid yet (check the clock)".into()
            }
            Cert::Revoked => "the endpoint's certificate has been revoked".into(),
            other => format!("the endpoint's certificate was refused ({other:?})"),
        },
        rustls::Error::General(g) if g.contains("No CA certificates") => {
            format!("no trusted CA certificates were found: {SUGGEST}")
        }
        rustls::Error::InvalidMessage(_) => {
            "the endpoint does not speak TLS (is it an http:// URL?)".into()
        }
        rustls::Error::AlertReceived(a) => {
            return (
                format!("the endpoint ended the TLS handshake ({a:?})"),
                Fault::Transient,
            );
        }
        other => return (format!("TLS failed: {other}"), Fault::Transient),
    };
    (words, Fault::Hold)
}

#[cfg(test)]
mod tests {
    use super::status_once;

    #[test]
    fn a_proxys_status_is_said_once() {
        assert_eq!(status_once("responded 403/403"), "responded 403 Forbidden");
        assert_eq!(
            status_once("responded 407/407"),
            "responded 407 Proxy Authentication Required"
        );
        assert_eq!(status_once("responded 599/599"), "responded 599");
        assert_eq!(status_once("did not respond"), "did not respond");
    }
}
