//! What one attempt came to: made by delivery, kept by the outbox.

use time::OffsetDateTime;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    Failed(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Status(s) => write!(f, "HTTP {s}"),
            Answer::Failed(e) => f.write_str(e),
        }
    }
}

/// Why an attempt failed without an HTTP status, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Connection trouble or a timeout: worth another attempt.
    Transient,
    /// Transient, and a sign that the endpoint cannot be reached now (a timeout, a refused
    /// connection, a failed name lookup): later sends to it are spared for a while.
    Unreachable,
    /// The request itself cannot be made (a bad URL): kept apart, never replayed.
    Permanent,
    /// Trying again now cannot help, but a later flush may (the endpoint's certificate is
    /// not trusted, the proxy refused its credentials): stop this send, keep the payload.
    Hold,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub number: u32,
    pub at: OffsetDateTime,
    pub answer: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Not delivered; worth replaying later.
    Kept,
    /// Refused for good by the receiver.
    Rejected,
}
