//! The wire protocols a payload can go out in: `pk3s`, the JSON envelope the shell scripts
//! sent, POSTed as it is; and `otlp`, the same payload as an OTLP/HTTP logs export request
//! (`delivery::otlp`). Each outbox entry, ledger record and bundle line records the
//! protocol it was written for, so that a replay never changes it; an entry of a protocol
//! this binary cannot speak is kept, never sent in another.

use time::OffsetDateTime;

use super::otlp::{self, response::Verdict};
use super::policy::Sent;
use crate::attempt::{Answer, Fault};
use crate::payload::Payload;
pub use crate::settings::protocol::{PK3S, Protocol};

/// Whether this binary can send payloads of protocol `p`.
pub fn known(p: &str) -> bool {
    Protocol::named(p).is_some()
}

impl Protocol {
    /// The body of `payload` as it goes out now in this protocol (an OTLP request is
    /// written at this moment: its observed time).
    pub fn body(self, payload: &Payload) -> Vec<u8> {
        match self {
            Protocol::Pk3s => payload.body(),
            Protocol::Otlp => otlp::request(
                &payload.body(),
                &payload.event_id,
                OffsetDateTime::now_utc(),
            ),
        }
    }

    /// An answer as the delivery policy is to judge it in this protocol, given the body of
    /// a 2xx (`response`, read with a bound), and the receiver's warning to show with a
    /// delivery. In `otlp`, a partial success that rejects the record is a permanent
    /// rejection, its message in the answer's words.
    pub fn judge(self, sent: Sent, response: &[u8]) -> (Sent, Option<String>) {
        // A Collector says why it refused a request (a google.rpc.Status in the body): the
        // status stays the answer, its reason is said beside it.
        if let (Protocol::Otlp, Answer::Status(status @ 400..=499)) = (self, &sent.0) {
            let status = *status;
            let reason = otlp::response::reason(response)
                .map(|m| format!("the receiver says why it answered HTTP {status}: {m}"));
            return (sent, reason);
        }
        let (Protocol::Otlp, Answer::Status(status @ 200..=299)) = (self, &sent.0) else {
            return (sent, None);
        };
        match otlp::response::judge(response) {
            Verdict::Accepted => (sent, None),
            Verdict::Warned(m) => {
                let warning = format!("delivered; the receiver says (partial success): {m}");
                (sent, Some(warning))
            }
            Verdict::Rejected(n, m) => {
                let mut words =
                    format!("HTTP {status}, a partial success that rejected the record ({n})");
                if !m.is_empty() {
                    words.push_str(": ");
                    words.push_str(&m);
                }
                ((Answer::Failed(words), Fault::Permanent, None), None)
            }
        }
    }
}
