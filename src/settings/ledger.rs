//! The ledger's bounds (`outbox::ledger`): how many delivery records, and how many bytes,
//! the ledger beside an outbox keeps before its oldest are dropped.

use std::collections::BTreeMap;

use super::check::whole_between;
use super::{Origin, Verbosity};

pub const DEFAULT_LEDGER_MAX_ENTRIES: u64 = 10_000;
pub const DEFAULT_LEDGER_MAX_MB: u64 = 16;

/// The ledger's bounds: the oldest records beyond either are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerCaps {
    pub max_entries: u64,
    pub max_bytes: u64,
}

impl Default for LedgerCaps {
    fn default() -> LedgerCaps {
        LedgerCaps {
            max_entries: DEFAULT_LEDGER_MAX_ENTRIES,
            max_bytes: DEFAULT_LEDGER_MAX_MB << 20,
        }
    }
}

/// TELEMETRY_LEDGER_MAX_ENTRIES (2 to 1,000,000: the ledger keeps two halves) and
/// TELEMETRY_LEDGER_MAX_MB (1 to 1024 MiB); anything else warns and uses the default.
pub(super) fn load(out: Verbosity, origins: &mut BTreeMap<&'static str, Origin>) -> LedgerCaps {
    LedgerCaps {
        max_entries: whole_between(
            "TELEMETRY_LEDGER_MAX_ENTRIES",
            DEFAULT_LEDGER_MAX_ENTRIES,
            2,
            1_000_000,
            out,
            origins,
        ),
        max_bytes: whole_between(
            "TELEMETRY_LEDGER_MAX_MB",
            DEFAULT_LEDGER_MAX_MB,
            1,
            1024,
            out,
            origins,
        ) << 20,
    }
}
