//! The one delivery policy that send, flush and the background deliverer share: which
//! answers are worth another attempt, how long to wait, and how far to trust Retry-After.

use std::time::Duration;

use time::OffsetDateTime;

use crate::attempt::{Answer, Fault};

/// First backoff wait; doubled per retry up to `BACKOFF_CAP`, then jittered down by up to half.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// A longer Retry-After is not waited for: the payload is kept for a later flush instead.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(5);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    /// Worth trying again (connection trouble, timeouts, 408, 429, most 5xx).
    Transient,
    /// The receiver said no; trying again cannot help.
    Permanent,
}

/// A `Fault::Hold` failure is `Transient` here (kept, replayed by a later flush); the
/// retry loop stops at it rather than trying again at once (`Fault::Hold`).
pub fn classify(answer: &Answer, fault: Fault) -> Class {
    match answer {
        Answer::Status(s) if (200..300).contains(s) => Class::Delivered,
        Answer::Status(408 | 429) => Class::Transient,
        Answer::Status(501 | 505) => Class::Permanent,
        Answer::Status(500..=599) => Class::Transient,
        Answer::Status(_) => Class::Permanent,
        Answer::Failed(_) if fault == Fault::Permanent => Class::Permanent,
        Answer::Failed(_) => Class::Transient,
    }
}

/// The wait after the `retry`-th failed attempt (1-based): capped doubling, with jitter
/// taking it down by up to half so that many hosts do not retry in step.
pub fn backoff(retry: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let unit = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    full.mul_f64(1.0 - unit / 2.0)
}

/// Retry-After as delta-seconds or an HTTP date; `None` when it cannot be read.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - now;
    Some(if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_the_contract_says() {
        use Class::*;
        let c = |s| classify(&Answer::Status(s), Fault::Transient);
        assert_eq!(c(200), Delivered);
        assert_eq!(c(204), Delivered);
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(c(s), Transient, "{s}");
        }
        for s in [301, 302, 307, 400, 401, 403, 404, 413, 501, 505] {
            assert_eq!(c(s), Permanent, "{s}");
        }
        let f = |fault| classify(&Answer::Failed("x".into()), fault);
        assert_eq!(f(Fault::Transient), Transient);
        assert_eq!(f(Fault::Hold), Transient);
        assert_eq!(f(Fault::Permanent), Permanent);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        for retry in 1..40 {
            let w = backoff(retry);
            let full = BACKOFF_BASE
                .saturating_mul(1 << (retry - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(w <= full && w >= full / 2, "retry {retry}: {w:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = OffsetDateTime::parse(
            "Sat, 21 Nov 2026 12:00:00 GMT",
            &time::format_description::well_known::Rfc2822,
        )
        .unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
