//! Where a kept entry goes: the endpoint it was written for (recorded in its history, with
//! whether it needed a bearer token, never the token), unless an operator re-routes it.
//! An endpoint in the environment that names another URL does not re-route: the entry is
//! kept and the summary says where it belongs (`flush --reroute URL` is the operator's way).
//! Entries that record none (earlier versions, the old scripts) go where they did before:
//! to the endpoint of the settings.

use ureq::http::Uri;

use super::History;
use crate::delivery::protocol::{self, Protocol};
use crate::error::UsageError;
use crate::settings::{Origin, Settings, validate_endpoint};

/// What an entry records of where it was meant to go: the endpoint, whether it needed a
/// bearer token (never the token) and the protocol it goes out in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    pub endpoint: Option<String>,
    pub token: bool,
    pub protocol: Option<String>,
}

impl Pin {
    /// A new payload's pin: the endpoint it is sent to now, in the protocol of the settings.
    pub fn to(endpoint: &str, token: bool, protocol: Protocol) -> Pin {
        Pin {
            endpoint: Some(endpoint.to_string()),
            token,
            protocol: Some(protocol.as_str().to_string()),
        }
    }

    pub fn record(&self, h: &mut History) {
        h.endpoint.clone_from(&self.endpoint);
        h.token = self.token;
        h.protocol.clone_from(&self.protocol);
    }
}

/// The endpoints a replay may use.
#[derive(Debug, Clone)]
pub struct Route {
    /// `flush --reroute URL`: every entry goes there.
    pub reroute: Option<String>,
    /// The endpoint the settings name when it was set (TELEMETRY_ENDPOINT or --endpoint):
    /// entries written for another are kept.
    pub explicit: Option<String>,
    /// Where entries that record no endpoint go: the settings' endpoint (its default when
    /// unset).
    pub fallback: String,
    /// A token is set now.
    pub token: bool,
}

/// Where one entry goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Target<'a> {
    Send(&'a str),
    /// Written for this other endpoint: kept.
    Elsewhere(&'a str),
    /// Written with a bearer token, and none is set now: kept rather than sent without it.
    NeedsToken,
    /// Written for a protocol this binary cannot speak (a later version's): kept.
    Unsupported(&'a str),
}

impl Route {
    /// The route of a replay with these settings, and `reroute` (`flush --reroute URL`),
    /// which wins. `None`: the endpoint is set but empty and nothing re-routes (nothing is
    /// sent).
    pub fn of(settings: &Settings, reroute: Option<&str>) -> Result<Option<Route>, UsageError> {
        let reroute = reroute
            .map(|u| validate_endpoint(u.trim(), "--reroute"))
            .transpose()?;
        let endpoint = settings.endpoint()?;
        let token = settings.token.is_some();
        Ok(match (reroute, endpoint) {
            (Some(r), e) => Some(Route {
                fallback: e.unwrap_or_else(|| r.clone()),
                reroute: Some(r),
                explicit: None,
                token,
            }),
            (None, None) => None,
            (None, Some(e)) => Some(Route {
                explicit: (settings.origin("TELEMETRY_ENDPOINT") != Origin::Default)
                    .then(|| e.clone()),
                fallback: e,
                reroute: None,
                token,
            }),
        })
    }

    /// A route that names no endpoint: for what sends nothing (a dry run with an empty
    /// endpoint lists entries; `flush --to` moves them, each keeping its own).
    pub fn nowhere(settings: &Settings) -> Route {
        Route {
            reroute: None,
            explicit: None,
            fallback: String::new(),
            token: settings.token.is_some(),
        }
    }

    /// A route that sends everything to `url`.
    #[cfg(test)]
    pub fn only(url: &str, token: bool) -> Route {
        Route {
            reroute: None,
            explicit: Some(url.to_string()),
            fallback: url.to_string(),
            token,
        }
    }

    /// Every entry this route sends goes to one URL, so a stop for that endpoint is a
    /// stop for the whole replay.
    pub fn single(&self) -> bool {
        self.reroute.is_some() || self.explicit.is_some()
    }

    pub fn target<'a>(&'a self, h: &'a History) -> Target<'a> {
        if let Some(p) = h.protocol.as_deref().filter(|p| !protocol::known(p)) {
            return Target::Unsupported(p);
        }
        if let Some(r) = &self.reroute {
            return Target::Send(r);
        }
        if h.token && !self.token {
            return Target::NeedsToken;
        }
        match (&h.endpoint, &self.explicit) {
            (None, Some(e)) => Target::Send(e),
            (None, None) => Target::Send(&self.fallback),
            (Some(p), Some(e)) if !same_endpoint(p, e) => Target::Elsewhere(p),
            (Some(p), _) => Target::Send(p),
        }
    }
}

/// The protocol an entry was written for, by name: the one it records. One that records an
/// endpoint but no protocol was written for a pk3s receiver (versions before the slot).
/// `None` for one that records neither (an old script's file, an entry of a version before
/// pinning): it goes to the settings' endpoint, and so in the settings' protocol, wherever
/// it is delivered (a bundle line says `null`), so a pk3s body never reaches a Collector
/// that `TELEMETRY_PROTOCOL=otlp` points at.
pub fn written_for(h: &History) -> Option<&str> {
    match (&h.protocol, &h.endpoint) {
        (Some(p), _) => Some(p),
        (None, None) => None,
        (None, Some(_)) => Some(protocol::PK3S),
    }
}

/// The protocol an entry goes out in here: the one it was written for, else the settings'.
pub fn protocol_of(h: &History, setting: Protocol) -> Protocol {
    written_for(h).map_or(setting, |p| Protocol::recorded(Some(p)))
}

/// Whether two endpoint URLs name the same place: scheme and host case, a default port
/// and a trailing slash do not count.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    a == b || normalize(a) == normalize(b)
}

/// `a` with its scheme and host in lower case, without a default port or a trailing
/// slash; as it is when it does not parse.
pub fn normalize(a: &str) -> String {
    let a = a.trim();
    let Ok(uri) = a.parse::<Uri>() else {
        return a.to_string();
    };
    let (Some(scheme), Some(auth)) = (uri.scheme_str(), uri.authority()) else {
        return a.to_string();
    };
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let mut s = format!("{scheme}://{}", auth.host().to_ascii_lowercase());
    if let Some(p) = auth.port_u16().filter(|p| Some(*p) != default) {
        s.push_str(&format!(":{p}"));
    }
    s.push_str(uri.path().trim_end_matches('/'));
    if let Some(q) = uri.query() {
        s.push('?');
        s.push_str(q);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Kind;

    #[test]
    fn endpoints_compare_after_normalising() {
        for (a, b) in [
            (
                "https://T.example/telemetry",
                "https://t.example:443/telemetry/",
            ),
            ("HTTP://t.example:80/", "http://t.example"),
            ("http://127.0.0.1:8080/t", "http://127.0.0.1:8080/t/"),
        ] {
            assert!(same_endpoint(a, b), "{a} {b}");
        }
        for (a, b) in [
            ("https://t.example/telemetry", "http://t.example/telemetry"),
            (
                "https://t.example/telemetry",
                "https://t.example:8443/telemetry",
            ),
            ("https://t.example/a", "https://t.example/b"),
            ("https://t.example/a?x=1", "https://t.example/a?x=2"),
            ("http://127.0.0.1:1/t", "http://127.0.0.1:2/t"),
        ] {
            assert!(!same_endpoint(a, b), "{a} {b}");
        }
    }

    #[test]
    fn entries_go_where_they_were_written_for_unless_rerouted() {
        let h = |e: Option<&str>, token| {
            let mut h = History::new("k", Kind::Built, time::OffsetDateTime::UNIX_EPOCH);
            h.endpoint = e.map(str::to_string);
            h.token = token;
            h
        };
        let (a, b) = ("http://a.example/t", "http://b.example/t");
        let unset = Route {
            reroute: None,
            explicit: None,
            fallback: "https://default.example/t".into(),
            token: false,
        };
        assert_eq!(unset.target(&h(Some(a), false)), Target::Send(a));
        assert_eq!(
            unset.target(&h(None, false)),
            Target::Send("https://default.example/t")
        );
        assert_eq!(unset.target(&h(Some(a), true)), Target::NeedsToken);
        let set = Route::only(b, true);
        assert_eq!(set.target(&h(Some(a), true)), Target::Elsewhere(a));
        assert_eq!(
            set.target(&h(Some("HTTP://B.example/t/"), false)),
            Target::Send("HTTP://B.example/t/")
        );
        assert_eq!(set.target(&h(None, false)), Target::Send(b));
        let rerouted = Route {
            reroute: Some(b.into()),
            ..unset
        };
        assert_eq!(rerouted.target(&h(Some(a), true)), Target::Send(b));
        assert!(rerouted.single() && set.single());
        let mut later = h(Some(a), false);
        later.protocol = Some("otlp-2".into());
        assert_eq!(rerouted.target(&later), Target::Unsupported("otlp-2"));
        later.protocol = Some(protocol::PK3S.into());
        assert_eq!(rerouted.target(&later), Target::Send(b));
    }

    #[test]
    fn an_entry_goes_in_its_own_protocol_else_where_the_settings_send() {
        let mut h = History::new("k", Kind::Built, time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(protocol_of(&h, Protocol::Otlp), Protocol::Otlp);
        assert_eq!(protocol_of(&h, Protocol::Pk3s), Protocol::Pk3s);
        h.endpoint = Some("http://a.example/t".into());
        assert_eq!(protocol_of(&h, Protocol::Otlp), Protocol::Pk3s);
        h.protocol = Some("otlp".into());
        assert_eq!(protocol_of(&h, Protocol::Pk3s), Protocol::Otlp);
        h.endpoint = None;
        assert_eq!(protocol_of(&h, Protocol::Pk3s), Protocol::Otlp);
    }
}
