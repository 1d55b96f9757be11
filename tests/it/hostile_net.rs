//! Hostile peers on loopback for the tests: a raw TCP listener whose every connection is
//! handed to a script (trickle, never finish, talk nonsense), a tiny SOCKS4/5 proxy, and
//! certificates that are wrong on purpose. Every loop is bounded in time; dropping a
//! server stops it and joins its accept thread.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// No connection is served longer than this.
pub const LIFE: Duration = Duration::from_secs(20);

/// What a script gets: the connection and a flag that says the server is stopping.
pub struct Conn {
    pub stream: TcpStream,
    pub stop: Arc<AtomicBool>,
    started: Instant,
}

impl Conn {
    /// The server is stopping or the connection is too old.
    pub fn done(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.started.elapsed() > LIFE
    }

    /// Reads until the end of an HTTP head (or a short quiet spell, for binary input).
    pub fn read_head(&mut self) -> Vec<u8> {
        let _ = self
            .stream
            .set_read_timeout(Some(Duration::from_millis(200)));
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !self.done() && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
                Err(_) if !head.is_empty() => break,
                Err(_) => {}
            }
        }
        head
    }

    /// Writes `bytes` one at a time, `gap` apart, until done or the peer goes.
    pub fn trickle(&mut self, bytes: &[u8], gap: Duration) {
        for b in bytes.iter().cycle() {
            if self.done() || self.stream.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(gap);
        }
    }

    /// Holds the connection open, silent, until done.
    pub fn hold(&self) {
        while !self.done() {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

type Script = Arc<dyn Fn(Conn) + Send + Sync>;

/// A loopback listener that runs `script` on each connection, in its own thread.
pub struct Raw {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Raw {
    pub fn start(script: impl Fn(Conn) + Send + Sync + 'static) -> Raw {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let script: Script = Arc::new(script);
        let (st, n) = (stop.clone(), connections.clone());
        let accept = thread::spawn(move || {
            let mut workers = Vec::new();
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                n.fetch_add(1, Ordering::SeqCst);
                let conn = Conn {
                    stream,
                    stop: st.clone(),
                    started: Instant::now(),
                };
                let script = script.clone();
                workers.push(thread::spawn(move || script(conn)));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Raw {
            addr,
            stop,
            connections,
            accept: Some(accept),
        }
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/telemetry", self.addr.port())
    }

    pub fn https_url(&self) -> String {
        format!("https://localhost:{}/telemetry", self.addr.port())
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// A SOCKS4/4a/5 proxy (no authentication) that tunnels to loopback targets only and
/// records each target as the client named it (`ip:port` or `name:port`).
pub struct Socks {
    pub server: Raw,
    pub targets: Arc<Mutex<Vec<String>>>,
}

impl Socks {
    pub fn start() -> Socks {
        let targets = Arc::new(Mutex::new(Vec::new()));
        let t = targets.clone();
        let server = Raw::start(move |mut c| {
            let _ = c.stream.set_read_timeout(Some(Duration::from_secs(5)));
            if let Ok((version, target)) = socks_handshake(&mut c.stream) {
                t.lock().unwrap().push(target.clone());
                let host = target.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
                let port = target.rsplit_once(':').map(|(_, p)| p).unwrap_or("0");
                if !matches!(host, "127.0.0.1" | "localhost") {
                    return;
                }
                if let Ok(up) = TcpStream::connect(format!("127.0.0.1:{port}")) {
                    let reply: &[u8] = if version == 4 {
                        &[0, 90, 0, 0, 0, 0, 0, 0]
                    } else {
                        &[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]
                    };
                    let _ = c.stream.write_all(reply);
                    pipe(c.stream, up);
                }
            }
        });
        Socks { server, targets }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.server.addr)
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

/// Reads a SOCKS4/4a or SOCKS5 CONNECT request; returns the version and the target as named.
fn socks_handshake(s: &mut TcpStream) -> io::Result<(u8, String)> {
    let mut b = [0u8; 1];
    s.read_exact(&mut b)?;
    if b[0] == 4 {
        let mut head = [0u8; 7];
        s.read_exact(&mut head)?;
        let port = u16::from_be_bytes([head[1], head[2]]);
        let ip = [head[3], head[4], head[5], head[6]];
        read_cstr(s)?; // user id
        let host = if ip[..3] == [0, 0, 0] && ip[3] != 0 {
            read_cstr(s)?
        } else {
            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
        };
        return Ok((4, format!("{host}:{port}")));
    }
    let mut n = [0u8; 1];
    s.read_exact(&mut n)?;
    let mut methods = vec![0u8; n[0] as usize];
    s.read_exact(&mut methods)?;
    s.write_all(&[5, 0])?;
    let mut req = [0u8; 4];
    s.read_exact(&mut req)?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            s.read_exact(&mut ip)?;
            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
        }
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len)?;
            let mut name = vec![0u8; len[0] as usize];
            s.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Err(io::Error::other("address type not supported here")),
    };
    let mut port = [0u8; 2];
    s.read_exact(&mut port)?;
    Ok((5, format!("{host}:{}", u16::from_be_bytes(port))))
}

fn read_cstr(s: &mut TcpStream) -> io::Result<String> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        s.read_exact(&mut b)?;
        if b[0] == 0 || out.len() > 255 {
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        out.push(b[0]);
    }
}

/// Copies both ways until either side closes (reads time out, so this ends).
fn pipe(client: TcpStream, up: TcpStream) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = up.set_read_timeout(Some(Duration::from_secs(10)));
    let (Ok(mut c_r), Ok(mut u_w)) = (client.try_clone(), up.try_clone()) else {
        return;
    };
    let (mut u_r, mut c_w) = (up, client);
    let down = thread::spawn(move || {
        let _ = io::copy(&mut u_r, &mut c_w);
        let _ = c_w.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut c_r, &mut u_w);
    let _ = u_w.shutdown(Shutdown::Write);
    let _ = down.join();
}
