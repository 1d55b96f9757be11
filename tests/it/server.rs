//! A real HTTP/1.1 receiver on 127.0.0.1:0 (optionally TLS), and a CONNECT proxy, for the
//! tests and for `make demo`. Each connection is a thread; every loop is bounded in time,
//! and dropping a server stops it.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// No connection lives longer than this, whatever a test asks.
const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// A status with extra headers, e.g. `Retry-After`.
    With(u16, Vec<(&'static str, String)>),
    /// Read the request, then never answer (until the server stops).
    Hang,
    /// Read the request, then close the connection without a word.
    Drop,
    /// Wait this long, then answer with the status.
    Slow(Duration, u16),
    /// A status with a JSON body (an OTLP partial success, say).
    Json(u16, String),
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which connection (1-based, in accept order) carried it.
    pub connection: usize,
    /// The status it was answered with (`None`: hung up on or never answered).
    pub status: Option<u16>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

struct State {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    fallback: Reply,
    connections: AtomicUsize,
    /// Requests read and not yet answered, and the most there ever were at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    stop: AtomicBool,
    /// Print each request as it arrives (for `make demo`).
    echo: bool,
    /// Keep what arrives (off for benchmarks, where it would only grow).
    record: bool,
}

pub struct Server {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
    pub tls: bool,
}

pub type Tls = Option<Arc<rustls::ServerConfig>>;

impl Server {
    /// Answers with `script` in order, then `fallback` for ever.
    pub fn start(script: Vec<Reply>, fallback: Reply) -> Server {
        Server::start_with(script, fallback, None, false)
    }

    pub fn start_with(script: Vec<Reply>, fallback: Reply, tls: Tls, echo: bool) -> Server {
        Server::start_full(script, fallback, tls, echo, true)
    }

    pub fn start_full(
        script: Vec<Reply>,
        fallback: Reply,
        tls: Tls,
        echo: bool,
        record: bool,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        Server::serve_on(listener, script, fallback, tls, echo, record)
    }

    /// Answers on a given loopback port (one that refused connections a moment ago, say).
    pub fn start_on(port: u16, script: Vec<Reply>, fallback: Reply) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the port again");
        Server::serve_on(listener, script, fallback, None, false, true)
    }

    fn serve_on(
        listener: TcpListener,
        script: Vec<Reply>,
        fallback: Reply,
        tls: Tls,
        echo: bool,
        record: bool,
    ) -> Server {
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(script.into()),
            fallback,
            connections: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            echo,
            record,
        });
        let is_tls = tls.is_some();
        let st = state.clone();
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let n = st.connections.fetch_add(1, Ordering::SeqCst) + 1;
                let st = st.clone();
                let tls = tls.clone();
                thread::spawn(move || {
                    let _ = serve(stream, n, &st, tls);
                });
            }
        });
        Server {
            addr,
            state,
            accept: Some(accept),
            tls: is_tls,
        }
    }

    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}/telemetry", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}/telemetry", self.addr.port())
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// The most requests that were ever being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        // In the tests, every built payload that arrived must match the published schemas;
        // every OTLP request must pass the official parser, and the payload inside it too.
        #[cfg(test)]
        if !thread::panicking() {
            let (otlp, pk3s): (Vec<_>, Vec<_>) = self
                .requests()
                .into_iter()
                .map(|r| r.body)
                .partition(|b| crate::otlp_check::is_otlp(b));
            let inside = crate::otlp_check::check(&otlp);
            let pk3s = pk3s
                .iter()
                .filter_map(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
            for body in pk3s.chain(inside.into_iter().map(serde_json::Value::Object)) {
                if let Err(e) = crate::schema::validate(&body) {
                    panic!("the receiver got a payload outside the schema: {e}\n{body:#}");
                }
            }
        }
    }
}

fn serve(stream: TcpStream, n: usize, st: &State, tls: Tls) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    // TLS writes several small records: without this, Nagle and delayed ACKs add ~40 ms.
    stream.set_nodelay(true)?;
    let started = Instant::now();
    let raw = stream.try_clone()?;
    match tls {
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
            let tls = rustls::StreamOwned::new(conn, stream);
            exchange(tls, &raw, n, st, started)
        }
        None => exchange(stream, &raw, n, st, started),
    }
}

/// Reads requests off one connection and answers them, keep-alive, until the peer closes.
fn exchange<S: Read + Write>(
    stream: S,
    raw: &TcpStream,
    n: usize,
    st: &State,
    started: Instant,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(req) = read_request(&mut reader, &st.stop, started)? else {
            return Ok(());
        };
        let reply = st
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| st.fallback.clone());
        let recorded = Recorded {
            connection: n,
            status: match &reply {
                Reply::Status(s) | Reply::With(s, _) | Reply::Slow(_, s) | Reply::Json(s, _) => {
                    Some(*s)
                }
                Reply::Hang | Reply::Drop => None,
            },
            at: Instant::now(),
            ..req
        };
        if st.echo {
            echo(&recorded);
        }
        if st.record {
            st.requests.lock().unwrap().push(recorded);
        }
        let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        st.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let answered = answer(reply, &mut reader, raw, st, started);
        st.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !answered? {
            return Ok(());
        }
    }
}

/// Answers one request; `false` when the connection is done with.
fn answer<S: Read + Write>(
    reply: Reply,
    reader: &mut BufReader<S>,
    raw: &TcpStream,
    st: &State,
    started: Instant,
) -> io::Result<bool> {
    {
        let mut body = "ok\n".to_string();
        let mut kind = "text/plain";
        let (status, extra) = match reply {
            Reply::Status(s) => (s, Vec::new()),
            Reply::Json(s, json) => {
                body = json;
                kind = "application/json";
                (s, Vec::new())
            }
            Reply::Slow(d, s) => {
                thread::sleep(d.min(MAX_CONNECTION_LIFE));
                (s, Vec::new())
            }
            Reply::With(s, h) => (s, h),
            Reply::Hang => {
                while !st.stop.load(Ordering::SeqCst) && started.elapsed() < MAX_CONNECTION_LIFE {
                    thread::sleep(Duration::from_millis(20));
                }
                return Ok(false);
            }
            Reply::Drop => {
                let _ = raw.shutdown(Shutdown::Both);
                return Ok(false);
            }
        };
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nContent-Type: {kind}\r\n",
            reason(status),
            body.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        let w = reader.get_mut();
        w.write_all(head.as_bytes())?;
        w.flush()?;
    }
    Ok(true)
}

/// Reads one request; `None` on a clean close, on stop, or when the connection is too old.
fn read_request<R: BufRead>(
    r: &mut R,
    stop: &AtomicBool,
    started: Instant,
) -> io::Result<Option<Recorded>> {
    let mut head = Vec::new();
    // Header lines, tolerating the 100 ms read timeouts used to notice `stop`.
    loop {
        if stop.load(Ordering::SeqCst) || started.elapsed() > MAX_CONNECTION_LIFE {
            return Ok(None);
        }
        let mut line = Vec::new();
        match r.read_until(b'\n', &mut line) {
            Ok(0) if head.is_empty() && line.is_empty() => return Ok(None),
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                head.extend_from_slice(&line);
                continue;
            }
            Err(_) => return Ok(None),
        }
        head.extend_from_slice(&line);
        if head.ends_with(b"\r\n\r\n") || head == b"\r\n" {
            if head == b"\r\n" {
                head.clear();
                continue;
            }
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let mut got = 0;
    while got < len {
        if started.elapsed() > MAX_CONNECTION_LIFE {
            return Ok(None);
        }
        match r.read(&mut body[got..]) {
            Ok(0) => return Ok(None),
            Ok(k) => got += k,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(Recorded {
        method,
        target,
        headers,
        body,
        connection: 0,
        status: None,
        at: Instant::now(),
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn echo(r: &Recorded) {
    let mut out = format!("--- {} {}\n", r.method, r.target);
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    let body = serde_json::from_slice::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(&r.body).into_owned());
    out.push_str(&format!("\n{body}\n"));
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// A throwaway CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
/// Returns the server config and the CA in PEM (for `SSL_CERT_FILE`).
pub fn throwaway_tls() -> (Arc<rustls::ServerConfig>, String) {
    tls(Cert::Good)
}

/// How a test certificate is wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// For `localhost`, signed by the CA handed back: valid.
    Good,
    /// For another name.
    WrongName,
    /// Expired long ago.
    Expired,
}

/// A rustls server config with a certificate of the given kind, and the CA (PEM) that
/// signed it.
pub fn tls(kind: Cert) -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose, SanType, date_time_ymd,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "pk3s-telemetry hostile test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let name = if kind == Cert::WrongName {
        "other.invalid"
    } else {
        "localhost"
    };
    let mut leaf = CertificateParams::new(vec![name.to_string()]).unwrap();
    if kind == Cert::Good {
        leaf.subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
    }
    leaf.distinguished_name.push(DnType::CommonName, name);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if kind == Cert::Expired {
        leaf.not_before = date_time_ymd(2001, 1, 1);
        leaf.not_after = date_time_ymd(2002, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    (Arc::new(config), ca.pem())
}

/// A loopback HTTP proxy that records every request it gets (`requests`, `targets`) and,
/// for a target on this machine only, tunnels a CONNECT or forwards an absolute-form
/// request (`POST http://127.0.0.1:port/path`) in origin form, as Squid does. It refuses
/// an origin-form request (400, Squid's "invalid URL") and anything else (403).
pub struct Proxy {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let accept = thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (r, s) = (r.clone(), s.clone());
                thread::spawn(move || {
                    let _ = proxy(stream, n + 1, &r, &s);
                });
            }
        });
        Proxy {
            addr,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `METHOD target` of each request, in order.
    pub fn targets(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect()
    }

    /// Each request as the proxy received it (its `connection` is the proxy's own count).
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// The loopback `host:port` a proxy may reach, or `None`.
fn local(host_port: &str) -> Option<String> {
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
        .then(|| host_port.replace("localhost", "127.0.0.1"))
}

fn proxy(
    client: TcpStream,
    n: usize,
    requests: &Mutex<Vec<Recorded>>,
    stop: &AtomicBool,
) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_millis(100)))?;
    let started = Instant::now();
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client_w = client.try_clone()?;
    let mut upstream: Option<(String, BufReader<TcpStream>)> = None;
    while let Some(mut req) = read_request(&mut reader, stop, started)? {
        req.connection = n;
        requests.lock().unwrap().push(req.clone());
        if req.method == "CONNECT" {
            let Some(target) = local(&req.target) else {
                client_w.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
                return Ok(());
            };
            return tunnel(client, reader, &target);
        }
        let Some((authority, path)) = req
            .target
            .strip_prefix("http://")
            .map(|rest| rest.split_at(rest.find('/').unwrap_or(rest.len())))
        else {
            client_w.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        let Some(origin) = local(authority) else {
            client_w.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        if upstream.as_ref().is_none_or(|(o, _)| *o != origin) {
            let up = TcpStream::connect(&origin)?;
            up.set_read_timeout(Some(Duration::from_secs(10)))?;
            upstream = Some((origin, BufReader::new(up)));
        }
        let Some((_, up)) = upstream.as_mut() else {
            return Ok(());
        };
        // The request in origin form, without the proxy's own header.
        let mut head = format!(
            "{} {} HTTP/1.1\r\n",
            req.method,
            if path.is_empty() { "/" } else { path }
        );
        for (k, v) in &req.headers {
            if !k.eq_ignore_ascii_case("proxy-authorization") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        let w = up.get_mut();
        w.write_all(head.as_bytes())?;
        w.write_all(&req.body)?;
        relay_answer(up, &mut client_w)?;
    }
    Ok(())
}

/// Copies one answer (head, then a Content-Length body) from `up` to `client`.
fn relay_answer(up: &mut BufReader<TcpStream>, client: &mut TcpStream) -> io::Result<()> {
    let mut len = 0;
    loop {
        let mut line = String::new();
        if up.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
        client.write_all(line.as_bytes())?;
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    up.read_exact(&mut body)?;
    client.write_all(&body)
}

/// A CONNECT tunnel to `target` for the rest of the connection.
fn tunnel(client: TcpStream, reader: BufReader<TcpStream>, target: &str) -> io::Result<()> {
    let upstream = TcpStream::connect(target)?;
    let mut client_w = client.try_clone()?;
    client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    client.set_read_timeout(None)?;
    let mut up_r = upstream.try_clone()?;
    let mut up_w = upstream;
    let pending = reader.buffer().to_vec();
    up_w.write_all(&pending)?;
    let mut client_r = client;
    let down = thread::spawn(move || {
        let _ = io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut client_r, &mut up_w);
    let _ = up_w.shutdown(Shutdown::Write);
    let _ = down.join();
    Ok(())
}
