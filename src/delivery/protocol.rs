//! The wire protocols a payload can go out in. Today there is one, `pk3s`: the JSON
//! envelope the shell scripts sent, with its headers. Each outbox entry, ledger record and
//! bundle line records the protocol it was written for, so that a replay never changes it;
//! an entry of a protocol this binary cannot speak is kept, never sent in another.

/// The productive-k3s JSON payload, POSTed as it is.
pub const PK3S: &str = "pk3s";

/// Whether this binary can send payloads of protocol `p`.
pub fn known(p: &str) -> bool {
    p == PK3S
}
