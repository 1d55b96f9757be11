//! The names of the wire protocols (`delivery::protocol` sends in them), here so that a
//! setting can hold one.

/// The productive-k3s JSON payload, POSTed as it is.
pub const PK3S: &str = "pk3s";
/// An OTLP/HTTP logs export request (JSON encoding), one log record per payload.
pub const OTLP: &str = "otlp";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    #[default]
    Pk3s,
    Otlp,
}

impl Protocol {
    /// The protocol of this name, as entries and TELEMETRY_PROTOCOL spell it.
    pub fn named(p: &str) -> Option<Protocol> {
        match p {
            PK3S => Some(Protocol::Pk3s),
            OTLP => Some(Protocol::Otlp),
            _ => None,
        }
    }

    /// The protocol an entry recorded: entries of earlier versions record none and are
    /// `pk3s`. (A name this binary cannot speak never gets here: `route` keeps it.)
    pub fn recorded(p: Option<&str>) -> Protocol {
        p.and_then(Protocol::named).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Pk3s => PK3S,
            Protocol::Otlp => OTLP,
        }
    }
}
