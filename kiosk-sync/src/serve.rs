//! A small static HTTP/1.1 server for a repository directory: GET and
//! HEAD, single byte ranges (206/416), ETag and If-None-Match. A hall kiosk
//! runs it as a LAN mirror; tests run it on 127.0.0.1:0.
//!
//! Mirrors are untrusted, so the server has no trust logic at all; it only
//! refuses paths that leave the directory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{debug, info, warn};

/// Connections served at once; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 64;
const MAX_HEADER_BYTES: usize = 16 * 1024;
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Stops a running [`run`] loop.
#[derive(Clone)]
pub struct Shutdown {
    flag: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl Shutdown {
    pub fn new(listener: &TcpListener) -> std::io::Result<Shutdown> {
        Ok(Shutdown {
            flag: Arc::new(AtomicBool::new(false)),
            addr: listener.local_addr()?,
        })
    }

    /// Ask the server to stop; it wakes from `accept` at once.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }

    fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// Test hooks that make the server misbehave in controlled ways, and
/// counters of what it sent.
#[derive(Default)]
pub struct Faults {
    /// (path suffix, n): the next response for a matching path stops after
    /// n body bytes and the connection is closed. Used once each.
    cut_once: Mutex<Vec<(String, u64)>>,
    /// Paths (suffix) answered with an endless body.
    endless: Mutex<Vec<String>>,
    body_bytes: AtomicU64,
    per_path: Mutex<HashMap<String, u64>>,
    requests: Mutex<Vec<String>>,
}

impl Faults {
    pub fn cut_next_response(&self, path_suffix: &str, after_bytes: u64) {
        if let Ok(mut v) = self.cut_once.lock() {
            v.push((path_suffix.to_string(), after_bytes));
        }
    }
    pub fn serve_endless(&self, path_suffix: &str) {
        if let Ok(mut v) = self.endless.lock() {
            v.push(path_suffix.to_string());
        }
    }
    /// Body bytes sent since start or the last reset.
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes.load(Ordering::SeqCst)
    }
    /// Body bytes sent for one path (URL path without query).
    pub fn bytes_for(&self, path: &str) -> u64 {
        self.per_path
            .lock()
            .map(|m| m.get(path).copied().unwrap_or(0))
            .unwrap_or(0)
    }
    /// Request lines seen ("GET /path bytes=..").
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|v| v.clone()).unwrap_or_default()
    }
    pub fn reset_counters(&self) {
        self.body_bytes.store(0, Ordering::SeqCst);
        if let Ok(mut m) = self.per_path.lock() {
            m.clear();
        }
        if let Ok(mut v) = self.requests.lock() {
            v.clear();
        }
    }
    fn take_cut(&self, path: &str) -> Option<u64> {
        let mut v = self.cut_once.lock().ok()?;
        let i = v.iter().position(|(s, _)| path.ends_with(s.as_str()))?;
        Some(v.remove(i).1)
    }
    fn is_endless(&self, path: &str) -> bool {
        self.endless
            .lock()
            .map(|v| v.iter().any(|s| path.ends_with(s.as_str())))
            .unwrap_or(false)
    }
    fn count(&self, path: &str, n: u64) {
        self.body_bytes.fetch_add(n, Ordering::SeqCst);
        if let Ok(mut m) = self.per_path.lock() {
            *m.entry(path.to_string()).or_default() += n;
        }
    }
}

/// Serve files under `root` on `listener` until `shutdown` is triggered.
/// Each connection gets a thread (at most [`MAX_CONNECTIONS`] at once).
pub fn run(
    listener: TcpListener,
    root: PathBuf,
    shutdown: Shutdown,
    faults: Arc<Faults>,
) -> std::io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    info!(
        "serving {} on http://{}/",
        root.display(),
        listener.local_addr()?
    );
    for stream in listener.incoming() {
        if shutdown.is_set() {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                warn!("accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        while active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            std::thread::sleep(Duration::from_millis(5));
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (root, faults, active, shutdown) = (
            root.clone(),
            faults.clone(),
            active.clone(),
            shutdown.clone(),
        );
        std::thread::spawn(move || {
            if let Err(e) = serve_connection(stream, &root, &faults, &shutdown) {
                debug!("connection ended: {e}");
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    info!("server stopped");
    Ok(())
}

/// Start [`run`] on a thread; returns the bound address, the shutdown
/// handle and the thread. For tests and `serve` alike.
pub fn spawn(
    addr: &str,
    root: &Path,
    faults: Arc<Faults>,
) -> std::io::Result<(
    SocketAddr,
    Shutdown,
    std::thread::JoinHandle<std::io::Result<()>>,
)> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let shutdown = Shutdown::new(&listener)?;
    let sd = shutdown.clone();
    let root = root.to_path_buf();
    let handle = std::thread::spawn(move || run(listener, root, sd, faults));
    Ok((local, shutdown, handle))
}

struct Request {
    method: String,
    path: String,
    range: Option<String>,
    if_none_match: Option<String>,
    close: bool,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    let mut total = 0usize;
    let n = reader.read_line(&mut line)?;
    if n == 0 {
        return Ok(None);
    }
    total += n;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let mut req = Request {
        method,
        path: target.split('?').next().unwrap_or("").to_string(),
        range: None,
        if_none_match: None,
        close: version == "HTTP/1.0",
    };
    loop {
        let mut h = String::new();
        let n = reader.read_line(&mut h)?;
        total += n;
        if n == 0 || total > MAX_HEADER_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "header too long or connection closed",
            ));
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "range" => req.range = Some(value),
                "if-none-match" => req.if_none_match = Some(value),
                "connection" => req.close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    Ok(Some(req))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Map a URL path to a file under root, refusing anything that leaves it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    let mut out = root.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against a file of `len` bytes.
/// Ok(None): ignore the header (several ranges, other units).
/// Err(()): unsatisfiable.
fn parse_range(v: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (len.saturating_sub(n), len.saturating_sub(1))
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(len.saturating_sub(1))
        };
        (start, end)
    };
    if start >= len || end < start {
        return Err(());
    }
    Ok(Some((start, end)))
}

fn serve_connection(
    stream: TcpStream,
    root: &Path,
    faults: &Faults,
    shutdown: &Shutdown,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    // Headers and small bodies go out at once (no Nagle + delayed-ACK stall).
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    // Bounded: a client cannot keep one connection forever.
    for _ in 0..100_000 {
        if shutdown.is_set() {
            break;
        }
        let Some(req) = read_request(&mut reader)? else {
            break;
        };
        if let Ok(mut v) = faults.requests.lock() {
            v.push(format!(
                "{} {} {}",
                req.method,
                req.path,
                req.range.as_deref().unwrap_or("")
            ));
        }
        let keep = respond(&req, &mut writer, root, faults)?;
        if !keep || req.close {
            break;
        }
    }
    Ok(())
}

fn simple(w: &mut TcpStream, status: &str, body: &str, extra: &str) -> std::io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

/// Answer one request; false when the connection must close.
fn respond(
    req: &Request,
    w: &mut TcpStream,
    root: &Path,
    faults: &Faults,
) -> std::io::Result<bool> {
    let head = req.method == "HEAD";
    if req.method != "GET" && !head {
        simple(
            w,
            "405 Method Not Allowed",
            "only GET and HEAD\n",
            "Allow: GET, HEAD\r\n",
        )?;
        return Ok(true);
    }
    if faults.is_endless(&req.path) {
        write!(
            w,
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )?;
        let chunk = vec![b'x'; 64 * 1024];
        // Bounded so a test that fails to stop reading still ends.
        for _ in 0..16_384 {
            if w.write_all(&chunk).is_err() {
                break;
            }
            faults.count(&req.path, chunk.len() as u64);
        }
        return Ok(false);
    }
    let Some(path) = resolve(root, &req.path) else {
        simple(w, "400 Bad Request", "bad path\n", "")?;
        return Ok(true);
    };
    let file = match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
        Ok((f, m)) if m.is_file() => Some((f, m)),
        _ => None,
    };
    let Some((mut file, meta)) = file else {
        simple(w, "404 Not Found", "not found\n", "")?;
        return Ok(true);
    };
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let etag = format!("\"{len:x}-{mtime:x}\"");
    if let Some(inm) = &req.if_none_match
        && (inm.trim() == "*" || inm.split(',').any(|t| t.trim() == etag))
    {
        write!(w, "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n")?;
        return Ok(true);
    }
    let range = match req.range.as_deref().map(|r| parse_range(r, len)) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(r))) => Some(r),
        Some(Err(())) => {
            simple(
                w,
                "416 Range Not Satisfiable",
                "range not satisfiable\n",
                &format!("Content-Range: bytes */{len}\r\n"),
            )?;
            return Ok(true);
        }
    };
    let (start, count, status, extra) = match range {
        Some((s, e)) => (
            s,
            e - s + 1,
            "206 Partial Content",
            format!("Content-Range: bytes {s}-{e}/{len}\r\n"),
        ),
        None => (0, len, "200 OK", String::new()),
    };
    write!(
        w,
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {count}\r\nAccept-Ranges: bytes\r\nETag: {etag}\r\nCache-Control: no-cache\r\n{extra}\r\n",
        if req.path.ends_with(".json") {
            "application/json"
        } else {
            "application/octet-stream"
        }
    )?;
    if head {
        return Ok(true);
    }
    let cut = faults.take_cut(&req.path);
    let to_send = cut.map_or(count, |c| c.min(count));
    file.seek(SeekFrom::Start(start))?;
    let mut remaining = to_send;
    let mut buf = vec![0u8; 64 * 1024];
    while remaining > 0 {
        let want = remaining.min(buf.len() as u64) as usize;
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n])?;
        faults.count(&req.path, n as u64);
        remaining -= n as u64;
    }
    w.flush()?;
    if cut.is_some() {
        // Simulate a cut line: close without sending the rest.
        let _ = w.shutdown(std::net::Shutdown::Both);
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
    }

    #[test]
    fn paths_stay_inside_root() {
        let root = Path::new("/srv/repo");
        assert_eq!(
            resolve(root, "/metadata/1.root.json"),
            Some(root.join("metadata/1.root.json"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/metadata/%2E%2E/%2E%2E/x"), None);
    }
}
