//! The one delivery policy that send, flush and the background deliverer share: which
//! answers are worth another attempt, how long to wait, how far to trust Retry-After, when
//! a run of failures means the endpoint is down, and the retry loop of one payload.

use std::thread::sleep;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::attempt::{Answer, Attempt, Fault, Outcome};
use crate::payload::Payload;
use crate::settings::Verbosity;

/// First backoff wait; doubled per retry up to `BACKOFF_CAP`, then jittered down by up to half.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// A longer Retry-After is not waited for: the payload is kept for a later flush instead.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(5);
/// Transient failures in a row (connection errors, timeouts, 408, 429, 5xx) after which a
/// replay counts the endpoint as down and stops, keeping the rest for a later run: per
/// connection, so that `connections` parallel ones stop after `STOP_AFTER` rounds, as one
/// would (and answers interleaved across connections do not add up to a false streak).
pub const STOP_AFTER: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    /// Worth trying again (connection trouble, timeouts, 408, 429, most 5xx).
    Transient,
    /// 401, 403, 407, or a failure a retry cannot mend now (`Fault::Hold`: an untrusted
    /// certificate, not TLS, a proxy refusing its credentials): no more attempts now, but
    /// the payload stays in the outbox for a flush once the cause is fixed.
    Refused,
    /// The receiver said no to the payload; trying again cannot help.
    Permanent,
}

/// A `Fault::Hold` failure is `Transient` here (kept, replayed by a later flush); the
/// retry loop stops at it rather than trying again at once (`Fault::Hold`).
pub fn classify(answer: &Answer, fault: Fault) -> Class {
    match answer {
        Answer::Status(s) if (200..300).contains(s) => Class::Delivered,
        Answer::Status(408 | 429) => Class::Transient,
        Answer::Status(401 | 403 | 407) => Class::Refused,
        Answer::Status(501 | 505) => Class::Permanent,
        Answer::Status(500..=599) => Class::Transient,
        Answer::Status(_) => Class::Permanent,
        Answer::Failed(_) => match fault {
            Fault::Transient | Fault::Unreachable => Class::Transient,
            Fault::Hold => Class::Refused,
            Fault::Permanent => Class::Permanent,
        },
    }
}

/// What becomes of the payload after an answer of this class that ends its attempts.
pub fn outcome(class: Class) -> Outcome {
    match class {
        Class::Delivered => Outcome::Delivered,
        Class::Permanent => Outcome::Rejected,
        Class::Transient | Class::Refused => Outcome::Kept,
    }
}

/// Why a refusal stops the attempts, in words.
pub fn refused(answer: &Answer) -> String {
    let who = match answer {
        Answer::Status(407) => "the proxy",
        Answer::Status(_) => "the receiver",
        // The words already say what failed (issue 12's `words`).
        Answer::Failed(e) => return format!("{e}; kept for a later flush"),
    };
    format!("{who} refused the credentials ({answer}); kept for a flush once they are fixed")
}

/// What one attempt returned: the answer, what kind of failure it was, any Retry-After.
pub type Sent = (Answer, Fault, Option<Duration>);

#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub attempts: Vec<Attempt>,
    /// Why the attempts ended before `attempts` ran out, if they did.
    pub stopped: Option<String>,
}

impl Report {
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

/// Up to `attempts` tries of one payload through `post` (which writes and sends its body), numbered from `first`, with backoff
/// between them. No attempt starts after `deadline`, and no wait runs past it.
pub fn deliver(
    post: impl Fn(&Payload) -> Sent,
    payload: &mut Payload,
    first: u32,
    attempts: u32,
    deadline: Option<Instant>,
    out: Verbosity,
) -> Report {
    let mut done = Vec::new();
    let last = first.saturating_add(attempts.max(1) - 1);
    let mut stopped = None;
    let mut number = first;
    loop {
        let at = OffsetDateTime::now_utc();
        payload.stamp(number, at);
        let (answer, fault, retry_after) = post(payload);
        let class = classify(&answer, fault);
        done.push(Attempt {
            number,
            at,
            answer: answer.clone(),
        });
        let end = match class {
            Class::Transient if number < last => None,
            Class::Refused => {
                stopped = Some(refused(&answer));
                Some(Outcome::Kept)
            }
            c => Some(outcome(c)),
        };
        if let Some(outcome) = end {
            out.info(format_args!("attempt {number}: {answer}"));
            return Report {
                outcome,
                attempts: done,
                stopped,
            };
        }
        let wait = match retry_after {
            Some(w) if w > RETRY_AFTER_CAP => {
                let why = format!(
                    "the receiver asks to wait {}s, longer than {}s",
                    w.as_secs(),
                    RETRY_AFTER_CAP.as_secs()
                );
                out.info(format_args!(
                    "attempt {number}: {answer}; {why}: keeping it for a later flush"
                ));
                return Report {
                    outcome: Outcome::Kept,
                    attempts: done,
                    stopped: Some(why),
                };
            }
            Some(w) => w,
            None => backoff(number.saturating_sub(first).saturating_add(1)),
        };
        if deadline.is_some_and(|d| Instant::now() + wait >= d) {
            out.info(format_args!("attempt {number}: {answer}; out of time"));
            return Report {
                outcome: Outcome::Kept,
                attempts: done,
                stopped: Some("out of time".into()),
            };
        }
        out.info(format_args!(
            "attempt {number}: {answer}; retrying in {:.1}s",
            wait.as_secs_f64()
        ));
        out.progress(format_args!(
            "attempt {number} failed ({answer}); retrying in {:.1}s…",
            wait.as_secs_f64()
        ));
        sleep(wait);
        out.done();
        number = number.saturating_add(1);
    }
}

/// What a replay does after one entry's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Go,
    /// Wait this long before the next request (a short Retry-After).
    Wait(Duration),
    /// Stop the replay, keeping the rest: why.
    Stop(String),
}

/// Tracks transient failures in a row across a replay (one attempt per entry).
#[derive(Debug)]
pub struct Streak {
    failures: u32,
    limit: u32,
}

impl Default for Streak {
    fn default() -> Streak {
        Streak::over(1)
    }
}

impl Streak {
    /// A streak for a replay over `connections` parallel connections.
    pub fn over(connections: usize) -> Streak {
        let n = u32::try_from(connections.max(1)).unwrap_or(u32::MAX);
        Streak {
            failures: 0,
            limit: STOP_AFTER.saturating_mul(n),
        }
    }

    pub fn after(&mut self, class: Class, answer: &Answer, retry_after: Option<Duration>) -> Next {
        match class {
            Class::Delivered | Class::Permanent => {
                self.failures = 0;
                Next::Go
            }
            Class::Refused => Next::Stop(refused(answer)),
            Class::Transient => {
                self.failures += 1;
                match retry_after {
                    _ if self.failures >= self.limit => Next::Stop(format!(
                        "the endpoint looks down ({} failures in a row, the last: {answer})",
                        self.failures
                    )),
                    Some(w) if w > RETRY_AFTER_CAP => Next::Stop(format!(
                        "the receiver asks to wait {}s ({answer})",
                        w.as_secs()
                    )),
                    Some(w) => Next::Wait(w),
                    None => Next::Go,
                }
            }
        }
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
        for s in [301, 302, 307, 400, 404, 413, 422, 501, 505] {
            assert_eq!(c(s), Permanent, "{s}");
        }
        for s in [401, 403, 407] {
            assert_eq!(c(s), Refused, "{s}");
            assert_eq!(outcome(c(s)), Outcome::Kept);
        }
        let f = |fault| classify(&Answer::Failed("x".into()), fault);
        assert_eq!(f(Fault::Transient), Transient);
        assert_eq!(f(Fault::Unreachable), Transient);
        assert_eq!(f(Fault::Hold), Refused);
        assert_eq!(f(Fault::Permanent), Permanent);
    }

    #[test]
    fn a_replay_stops_on_a_down_endpoint_refused_credentials_or_a_long_pause() {
        let mut s = Streak::default();
        let down = Answer::Failed("connection refused".into());
        assert_eq!(s.after(Class::Transient, &down, None), Next::Go);
        assert_eq!(
            s.after(Class::Delivered, &Answer::Status(200), None),
            Next::Go
        );
        assert_eq!(s.after(Class::Transient, &down, None), Next::Go);
        let short = Some(Duration::from_secs(2));
        assert_eq!(
            s.after(Class::Transient, &Answer::Status(429), short),
            Next::Wait(Duration::from_secs(2))
        );
        assert!(
            matches!(s.after(Class::Transient, &down, None), Next::Stop(w) if w.contains("3 failures in a row"))
        );
        // Over four connections, twelve in a row.
        let mut s = Streak::over(4);
        for _ in 0..11 {
            assert_eq!(s.after(Class::Transient, &down, None), Next::Go);
        }
        assert!(matches!(
            s.after(Class::Transient, &down, None),
            Next::Stop(_)
        ));
        let mut s = Streak::default();
        let long = Some(Duration::from_secs(60));
        assert!(
            matches!(s.after(Class::Transient, &Answer::Status(503), long), Next::Stop(w) if w.contains("wait 60s"))
        );
        assert!(
            matches!(s.after(Class::Refused, &Answer::Status(407), None), Next::Stop(w) if w.starts_with("the proxy refused"))
        );
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
