//! One wall-clock deadline per attempt, whatever the peer or a proxy does.
//!
//! ureq bounds most phases itself, but it hands a proxy's CONNECT exchange a fixed
//! `NextTimeout` and the socket applies it per read: a proxy that trickles its answer one
//! byte at a time restarts the timeout with every byte and never ends. So `post` sets an
//! attempt-wide deadline for its thread (ureq's blocking calls run on the caller's
//! thread), and the connector chain built here caps every timeout it hands on, and every
//! read and write of every socket, at the time left before that deadline.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::Timeout;
use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    SocksConnector, TcpConnector, Transport,
};

use super::forward::Forward;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static PHASE: Cell<Phase> = const { Cell::new(Phase::Exchange) };
    static DEPTH: Cell<u8> = const { Cell::new(0) };
}

/// Where an attempt was when it failed, for words that name the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the connection: name resolution, TCP, a proxy's handshake.
    Connect,
    /// The TLS handshake with the endpoint (or an https proxy).
    Tls,
    /// Sending the request and reading the answer.
    Exchange,
}

pub fn phase() -> Phase {
    PHASE.with(Cell::get)
}

fn set_phase(p: Phase) {
    PHASE.with(|c| c.set(p));
}

/// The attempt's deadline on this thread until dropped.
pub struct Attempt(());

impl Attempt {
    pub fn start(limit: Duration) -> Attempt {
        let at = Instant::now().checked_add(limit);
        DEADLINE.with(|d| d.set(at));
        set_phase(Phase::Exchange);
        Attempt(())
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
    }
}

/// The time left before this thread's deadline (`None`: no deadline).
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .with(Cell::get)
        .map(|d| d.saturating_duration_since(Instant::now()))
}

/// `timeout`, shortened to the time left before the deadline. Above `STEP` the time left
/// is rounded down to a whole `STEP`, so that the reads and writes of one request ask for
/// the same socket timeout and ureq does not set it again (a syscall) before each of them.
pub fn clamp(mut timeout: NextTimeout) -> NextTimeout {
    if let Some(left) = remaining() {
        let left = if left > STEP * 2 {
            STEP * (left.as_millis() / STEP.as_millis())
                .try_into()
                .unwrap_or(u32::MAX)
        } else {
            left
        };
        let left = UreqDuration::Exact(left);
        if left < timeout.after {
            timeout.after = left;
            timeout.reason = Timeout::Global;
        }
    }
    timeout
}

/// ureq's own chain (SOCKS, CONNECT proxy, TCP, rustls) with every socket wrapped in
/// [`Clamped`] and the whole under [`Bounded`]; with `forward`, the connection (made to
/// the proxy's address, see `OnceResolver`) carries its requests in absolute form.
pub fn connector(forward: Option<Arc<Forward>>) -> impl Connector<(), Out = impl Transport> {
    let via_proxy = forward.is_some();
    let chain =
        ().chain(SocksConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(Clamp(forward))
            .chain(TlsPhase)
            .chain(RustlsConnector::default());
    Bounded { chain, via_proxy }
}

/// Caps the connect budget at the deadline, notes the phase, and says when a failure to
/// connect through a proxy was the proxy's (`via_proxy`: one ureq is not told about).
#[derive(Debug)]
struct Bounded<C> {
    chain: C,
    via_proxy: bool,
}

impl<C: Connector<()>> Connector<()> for Bounded<C> {
    type Out = C::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let outer = DEPTH.with(|d| {
            let n = d.get();
            d.set(n.saturating_add(1));
            n == 0
        });
        if outer {
            set_phase(Phase::Connect);
        }
        let timeout = clamp(details.timeout);
        if timeout.after.is_zero() {
            // ureq would turn a zero budget into a second.
            DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        let clamped = ConnectionDetails {
            uri: details.uri,
            addrs: details.addrs.clone(),
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        let result = self.chain.connect(&clamped, chained);
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        match result {
            Ok(t) => {
                if outer {
                    set_phase(Phase::Exchange);
                }
                Ok(t)
            }
            Err(e)
                if outer
                    && (self.via_proxy || details.config.proxy().is_some())
                    && phase() != Phase::Tls =>
            {
                Err(proxy_fault(e))
            }
            Err(e) => Err(e),
        }
    }
}

/// A failure while connecting through a proxy, as the proxy's: its words, never its URL.
fn proxy_fault(e: ureq::Error) -> ureq::Error {
    use ureq::Error as E;
    let words = match e {
        E::Io(io) => crate::error::plain_io(&io).to_lowercase(),
        E::HostNotFound => "its host name was not found".to_string(),
        E::ConnectionFailed => "the connection failed".to_string(),
        E::ConnectProxyFailed(w) => w,
        other => return other,
    };
    E::ConnectProxyFailed(words)
}

/// Wraps whatever transport the chain made in [`Clamped`], which rewrites its requests for
/// a forwarding proxy.
#[derive(Debug)]
struct Clamp(Option<Arc<Forward>>);

impl<In: Transport> Connector<In> for Clamp {
    type Out = Clamped<In>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Clamped {
            inner,
            heard: None,
            held: Vec::new(),
            forward: self.0.clone(),
            at_request: true,
        }))
    }
}

/// Notes that the TLS handshake starts (when it will).
#[derive(Debug)]
struct TlsPhase;

impl<In: Transport> Connector<In> for TlsPhase {
    type Out = In;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if details.needs_tls() && chained.as_ref().is_some_and(|t| !t.is_tls()) {
            set_phase(Phase::Tls);
        }
        Ok(chained)
    }
}

/// The rounding step of the clamped socket timeouts.
const STEP: Duration = Duration::from_millis(100);
/// A connection that answered this recently is taken as open without probing it.
const FRESH: Duration = Duration::from_millis(250);
/// Output held back beyond this is sent at once.
const HOLD: usize = 64 * 1024;

/// A transport whose every read and write ends by the attempt's deadline.
#[derive(Debug)]
pub struct Clamped<T> {
    inner: T,
    /// When the peer last sent something.
    heard: Option<Instant>,
    /// Output not sent yet. ureq transmits a request's head and its body separately (two
    /// segments, two wake-ups of the receiver); held until the transport next waits for
    /// input, they leave in one write. A client always reads after it writes (the answer,
    /// the next handshake message), so nothing stays held.
    held: Vec<u8>,
    /// Requests go to a forwarding proxy: each one's line is rewritten before it leaves.
    forward: Option<Arc<Forward>>,
    /// What is held next starts a request: nothing of this one has been sent since the
    /// last wait for input (ureq reads the whole answer before it writes the next one).
    at_request: bool,
}

impl<T: Transport> Clamped<T> {
    /// Sends what was held back, through the inner transport's output buffer.
    fn send_held(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if let Some(f) = self.forward.as_ref().filter(|_| self.at_request) {
            f.rewrite(&mut self.held);
        }
        self.at_request = false;
        let mut from = 0;
        while from < self.held.len() {
            let out = self.inner.buffers().output();
            let n = out.len().min(self.held.len() - from);
            if n == 0 {
                return Err(ureq::Error::Io(std::io::ErrorKind::WriteZero.into()));
            }
            out[..n].copy_from_slice(&self.held[from..from + n]);
            self.inner.transmit_output(n, clamp(timeout))?;
            from += n;
        }
        self.held.clear();
        Ok(())
    }
}

impl<T: Transport> Transport for Clamped<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let Some(bytes) = self.inner.buffers().output().get(..amount) else {
            return self.inner.transmit_output(amount, clamp(timeout));
        };
        self.held.extend_from_slice(bytes);
        if self.held.len() >= HOLD {
            return self.send_held(timeout);
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if !self.held.is_empty() {
            self.send_held(timeout)?;
        }
        self.at_request = true;
        let got = self.inner.await_input(clamp(timeout))?;
        if got {
            self.heard = Some(Instant::now());
        }
        Ok(got)
    }

    /// ureq probes a pooled connection before and after each request (a non-blocking read
    /// between two mode switches: three syscalls). One that answered within `FRESH` is open
    /// as far as a probe could tell; one the peer closed since fails its next request, which
    /// is a transient failure like any other (the payload stays in the outbox).
    fn is_open(&mut self) -> bool {
        if self.heard.is_some_and(|t| t.elapsed() < FRESH) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_cut_to_the_time_left() {
        let long = NextTimeout {
            after: UreqDuration::from_secs(30),
            reason: Timeout::Connect,
            per_read: None,
            per_write: None,
        };
        assert_eq!(clamp(long), long, "no deadline: unchanged");
        let _a = Attempt::start(Duration::from_millis(200));
        let t = clamp(long);
        assert!(*t.after <= Duration::from_millis(200), "{t:?}");
        assert_eq!(t.reason, Timeout::Global);
        let short = NextTimeout {
            after: UreqDuration::from_millis(10),
            ..long
        };
        assert_eq!(clamp(short), short, "a shorter timeout stays");
        drop(_a);
        assert_eq!(remaining(), None);
    }

    #[test]
    fn a_long_time_left_is_asked_for_in_whole_steps() {
        let long = NextTimeout {
            after: UreqDuration::from_secs(30),
            reason: Timeout::Connect,
            per_read: None,
            per_write: None,
        };
        let _a = Attempt::start(Duration::from_secs(5));
        let (a, b) = (clamp(long), clamp(long));
        // The same value twice in a row (unless a step boundary passed in between): ureq
        // sets the socket timeout once, not per call.
        assert!(a == b || *a.after - *b.after == STEP, "{a:?} {b:?}");
        assert!(*a.after <= Duration::from_secs(5) && *a.after >= Duration::from_millis(4800));
        assert_eq!(a.after.as_millis() % STEP.as_millis(), 0, "{a:?}");
    }
}
