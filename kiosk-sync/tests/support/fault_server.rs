//! A fault-injecting HTTP server on 127.0.0.1 that serves a real
//! repository directory and spoils the answers for chosen paths: 404, a
//! connection dropped mid-body, a body truncated under a matching
//! Content-Length, one byte a second, or valid JSON gigabytes long streamed
//! with no length. Every connection is held at most 60 s and the server accepts for at most
//! 15 minutes; every body is
//! generated lazily and stops when the client hangs up, and the accept
//! loop ends when the server is dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What happens to the answer for a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `404 Not Found`.
    NotFound,
    /// The real headers (full Content-Length), half the body, then the
    /// connection is closed.
    DropMidBody,
    /// Content-Length and body both cut to half: a complete-looking answer
    /// with a truncated body.
    Truncate,
    /// The real headers, then one body byte every `ms` milliseconds.
    Drip { ms: u64 },
    /// 200 with no Content-Length and `[1,1,1,...` for `gib` GiB: valid
    /// JSON as far as it goes, streamed, never held whole by the server.
    HugeJson { gib: u64 },
}

/// The first `times` answers for paths ending in `suffix` get `fault`
/// (`u64::MAX`: every one); everything else is served from the directory.
#[derive(Clone, Debug)]
pub struct Rule {
    pub suffix: String,
    pub fault: Fault,
    pub times: u64,
}

pub struct FaultServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    faulted: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
}

impl FaultServer {
    pub fn start(dir: &Path, rules: Vec<Rule>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicU64::new(0));
        let faulted = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let rules = Arc::new(std::sync::Mutex::new(rules));
        let dir = dir.to_path_buf();
        let (st, co, fa, se) = (
            stop.clone(),
            connections.clone(),
            faulted.clone(),
            sent.clone(),
        );
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(900);
            while !st.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((s, _)) => {
                        co.fetch_add(1, Ordering::SeqCst);
                        let (st, fa, se, rules, dir) = (
                            st.clone(),
                            fa.clone(),
                            se.clone(),
                            rules.clone(),
                            dir.clone(),
                        );
                        std::thread::spawn(move || serve(s, &dir, &rules, &st, &fa, &se));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FaultServer {
            addr,
            stop,
            connections,
            faulted,
            sent,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Answers spoiled so far.
    pub fn faulted(&self) -> u64 {
        self.faulted.load(Ordering::SeqCst)
    }

    /// Body bytes written so far (all answers).
    pub fn body_bytes(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one request (keep-alive: several in turn) and answers each.
fn serve(
    mut s: TcpStream,
    dir: &Path,
    rules: &std::sync::Mutex<Vec<Rule>>,
    stop: &AtomicBool,
    faulted: &AtomicU64,
    sent: &AtomicU64,
) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    // Head and body go in two writes: without this, Nagle and the client's
    // delayed ACK add 40 ms to every answer.
    let _ = s.set_nodelay(true);
    let until = Instant::now() + Duration::from_secs(60);
    let mut buf = Vec::new();
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        // One request head.
        let mut chunk = [0u8; 4096];
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 64 * 1024 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        let fault = {
            let mut rules = rules.lock().expect("rules");
            rules
                .iter_mut()
                .find(|r| r.times > 0 && path.ends_with(&r.suffix))
                .map(|r| {
                    r.times = r.times.saturating_sub(1);
                    r.fault
                })
        };
        if fault.is_some() {
            faulted.fetch_add(1, Ordering::SeqCst);
        }
        if !answer(&mut s, dir, &path, fault, stop, sent, until) {
            return;
        }
    }
}

fn file_for(dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|c| c == ".." || c.is_empty()) {
        return None;
    }
    let f = dir.join(rel);
    f.is_file().then_some(f)
}

/// Writes the answer; false when the connection is to be closed.
fn answer(
    s: &mut TcpStream,
    dir: &Path,
    path: &str,
    fault: Option<Fault>,
    stop: &AtomicBool,
    sent: &AtomicU64,
    until: Instant,
) -> bool {
    let body = file_for(dir, path).and_then(|f| std::fs::read(f).ok());
    let not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let Some(body) = body else {
        return s.write_all(not_found).is_ok();
    };
    let ok = |len: usize| format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
    let write_body = |s: &mut TcpStream, b: &[u8]| {
        let r = s.write_all(b).is_ok();
        if r {
            sent.fetch_add(b.len() as u64, Ordering::SeqCst);
        }
        r
    };
    match fault {
        None => s.write_all(ok(body.len()).as_bytes()).is_ok() && write_body(s, &body),
        Some(Fault::NotFound) => s.write_all(not_found).is_ok(),
        Some(Fault::DropMidBody) => {
            let _ = s.write_all(ok(body.len()).as_bytes()).is_ok()
                && write_body(s, &body[..body.len() / 2]);
            let _ = s.shutdown(std::net::Shutdown::Both);
            false
        }
        Some(Fault::Truncate) => {
            let half = &body[..body.len() / 2];
            s.write_all(ok(half.len()).as_bytes()).is_ok() && write_body(s, half)
        }
        Some(Fault::Drip { ms }) => {
            if s.write_all(ok(body.len()).as_bytes()).is_err() {
                return false;
            }
            for b in &body {
                if stop.load(Ordering::SeqCst) || Instant::now() > until {
                    return false;
                }
                if !write_body(s, std::slice::from_ref(b)) {
                    return false; // the client hung up: what the bound is for
                }
                std::thread::sleep(Duration::from_millis(ms));
            }
            true
        }
        Some(Fault::HugeJson { gib }) => {
            if s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[")
                .is_err()
            {
                return false;
            }
            let chunk = b"1,".repeat(32 * 1024);
            let total = gib << 30;
            let mut n = 0u64;
            while n < total && !stop.load(Ordering::SeqCst) && Instant::now() < until {
                if !write_body(s, &chunk) {
                    break; // the client stopped reading: streamed, not stored
                }
                n += chunk.len() as u64;
            }
            false
        }
    }
}
