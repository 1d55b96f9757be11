//! Who decides whether telemetry is on: a flag, then TELEMETRY_ENABLED, then DO_NOT_TRACK;
//! only `resolve` may go on to ask a person. `send`, `env` and `flush` never ask.

use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    DoNotTrack,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::DoNotTrack => "do_not_track",
            Source::Default => "default",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    pub enabled: bool,
    pub source: Source,
}

/// Steps 1–3 of the contract: an explicit decision, or `None` when nobody has decided.
pub fn explicit(flag: Option<bool>, settings: &Settings) -> Option<Consent> {
    if let Some(enabled) = flag {
        return Some(Consent {
            enabled,
            source: Source::Flag,
        });
    }
    if let Some(enabled) = settings.enabled {
        return Some(Consent {
            enabled,
            source: Source::Env,
        });
    }
    settings.do_not_track.then_some(Consent {
        enabled: false,
        source: Source::DoNotTrack,
    })
}

/// The decision for commands that never ask: undecided means off.
pub fn without_prompt(flag: Option<bool>, settings: &Settings) -> Consent {
    explicit(flag, settings).unwrap_or(Consent {
        enabled: false,
        source: Source::Default,
    })
}
