//! Fetching over HTTP (reqwest, rustls) and from a directory, with a hard
//! length limit on every response, a deadline sized to the expected length
//! (TUF's slow-retrieval attack), cancellation between chunks, and Range
//! resume after a cut.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use tracing::{debug, warn};

use crate::tuf::{FetchError, Transport};

/// How many times one download is resumed after a cut before giving up
/// (the next sync attempt resumes from the partial file again).
pub const MAX_RESUMES: u32 = 8;

/// How often a waiting download looks at its deadline and at
/// [`CancelToken`]: the longest a USB import waits for a network pull to
/// let go.
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// The slow-retrieval bound: a download of at most `n` bytes must finish
/// within `grace + n / min_rate` seconds, connecting, waiting for headers,
/// every resume and every byte included. A server that drips, stalls, or
/// accepts and never answers is cut off at that deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowRetrieval {
    /// Slowest average rate accepted, bytes per second (at least 1).
    pub min_rate: u64,
    /// Allowed on top of `length / min_rate`: connecting, TLS, first byte.
    pub grace: Duration,
}

impl Default for SlowRetrieval {
    /// 2 KiB/s and 30 s: a 16 kB timestamp gets 38 s, a 2 kB object 31 s,
    /// a 1 MB document about 9 minutes (slower than any usable link).
    fn default() -> Self {
        SlowRetrieval {
            min_rate: 2048,
            grace: Duration::from_secs(30),
        }
    }
}

impl SlowRetrieval {
    /// Time allowed for a download of at most `max_len` bytes.
    pub fn budget(&self, max_len: u64) -> Duration {
        let secs = max_len / self.min_rate.max(1);
        self.grace.saturating_add(Duration::from_secs(secs))
    }
}

/// Set from another thread to stop a running pull at its next check
/// (within [`CHECK_EVERY`]); a USB import uses it to take the network pull's
/// place. Partial downloads are kept for the resume.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What bounds one pull's downloads.
#[derive(Debug, Clone, Default)]
pub struct FetchBounds {
    pub slow: SlowRetrieval,
    /// No download starts or continues after this (the whole pull's
    /// deadline); `None`: only the per-download bound.
    pub pull_deadline: Option<Instant>,
    pub cancel: CancelToken,
}

/// Body bytes received, for status and benchmarks.
#[derive(Debug, Default)]
pub struct TransferCounter {
    bytes: AtomicU64,
    requests: AtomicU64,
    /// Wall time spent in downloads, in microseconds (HTTP only): the
    /// pull's network share, apart from verifying and applying.
    busy_micros: AtomicU64,
}

impl TransferCounter {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    /// Wall time spent downloading (HTTP; zero for a directory).
    pub fn transfer_time(&self) -> Duration {
        Duration::from_micros(self.busy_micros.load(Ordering::Relaxed))
    }
    fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// Why a wait ended early.
enum Stop {
    Deadline,
    PullDeadline,
    Cancelled,
}

/// One download's clock: its own deadline and the pull's.
struct Budget<'a> {
    started: Instant,
    deadline: Instant,
    bounds: &'a FetchBounds,
    max_len: u64,
}

impl Budget<'_> {
    fn check(&self) -> Result<Duration, Stop> {
        if self.bounds.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        let now = Instant::now();
        if let Some(pd) = self.bounds.pull_deadline
            && now >= pd
        {
            return Err(Stop::PullDeadline);
        }
        if now >= self.deadline {
            return Err(Stop::Deadline);
        }
        let mut left = self.deadline - now;
        if let Some(pd) = self.bounds.pull_deadline {
            left = left.min(pd - now);
        }
        Ok(left.min(CHECK_EVERY))
    }

    fn error(&self, stop: Stop, url: &str, got: u64) -> FetchError {
        match stop {
            Stop::Cancelled => FetchError::Cancelled {
                url: url.to_string(),
            },
            Stop::PullDeadline => FetchError::PullDeadline {
                url: url.to_string(),
            },
            Stop::Deadline => FetchError::TooSlow {
                url: url.to_string(),
                got,
                limit: self.max_len,
                secs: self.started.elapsed().as_secs(),
                min_rate: self.bounds.slow.min_rate,
                grace_secs: self.bounds.slow.grace.as_secs(),
            },
        }
    }

    /// `fut`'s output, or why it was given up.
    async fn wait<F: std::future::Future>(&self, fut: F) -> Result<F::Output, Stop> {
        let mut fut = std::pin::pin!(fut);
        loop {
            let step = self.check()?;
            if let Ok(v) = tokio::time::timeout(step, &mut fut).await {
                return Ok(v);
            }
        }
    }
}

/// A blocking HTTP client for one repository (one pull).
pub struct HttpTransport {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    bounds: FetchBounds,
    pub counter: Arc<TransferCounter>,
}

impl HttpTransport {
    /// With the default slow-retrieval bound, no pull deadline, never
    /// cancelled.
    pub fn new() -> Result<HttpTransport, FetchError> {
        Self::with_bounds(FetchBounds::default())
    }

    pub fn with_bounds(bounds: FetchBounds) -> Result<HttpTransport, FetchError> {
        let start_err = |e: &dyn std::fmt::Display| FetchError::Network {
            url: String::new(),
            message: format!("cannot start the HTTP client: {e}"),
        };
        let client = reqwest::Client::builder()
            .connect_timeout(bounds.slow.grace)
            .user_agent(concat!("kiosk-sync/", env!("CARGO_PKG_VERSION")))
            // Mirrors are untrusted: a redirect is followed only on the same
            // scheme, host and port (a moved folder), at most 3 times;
            // anything else ends the download with `FetchError::Redirect`.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_origin = attempt.previous().first().is_some_and(|first| {
                    first.scheme() == attempt.url().scheme()
                        && first.host_str() == attempt.url().host_str()
                        && first.port_or_known_default() == attempt.url().port_or_known_default()
                });
                if same_origin && attempt.previous().len() <= 3 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| start_err(&e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| start_err(&e))?;
        Ok(HttpTransport {
            client,
            runtime,
            bounds,
            counter: Arc::new(TransferCounter::default()),
        })
    }

    /// Download `url` into `sink`, which already holds `have` bytes of it
    /// (a partial download). Stops with `TooLong` past `max_len` bytes and
    /// with `TooSlow` when the [`SlowRetrieval`] budget for `max_len` bytes
    /// is spent (all resumes included). Resumes with a Range request after
    /// a cut, at most [`MAX_RESUMES`] times. Returns the total length.
    pub fn download_into(
        &self,
        url: &str,
        max_len: u64,
        sink: &mut dyn ResumableSink,
    ) -> Result<u64, FetchError> {
        let started = Instant::now();
        let budget = Budget {
            started,
            deadline: started + self.bounds.slow.budget(max_len),
            bounds: &self.bounds,
            max_len,
        };
        let res = self
            .runtime
            .block_on(self.download_async(url, max_len, sink, &budget));
        let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.counter.busy_micros.fetch_add(took, Ordering::Relaxed);
        res
    }

    async fn download_async(
        &self,
        url: &str,
        max_len: u64,
        sink: &mut dyn ResumableSink,
        budget: &Budget<'_>,
    ) -> Result<u64, FetchError> {
        let mut last_err = None;
        for attempt in 0..=MAX_RESUMES {
            let have = sink.len();
            if have > max_len {
                sink.truncate()?;
                continue;
            }
            if attempt > 0 {
                let pause = tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt)));
                budget
                    .wait(pause)
                    .await
                    .map_err(|s| budget.error(s, url, sink.len()))?;
            }
            let mut req = self.client.get(url);
            if have > 0 {
                req = req.header(RANGE, format!("bytes={have}-"));
            }
            self.counter.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match budget.wait(req.send()).await {
                Err(stop) => return Err(budget.error(stop, url, have)),
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    debug!("{url}: attempt {attempt}: {e}");
                    last_err = Some(network(url, &e));
                    continue;
                }
            };
            let status = resp.status();
            let expect_total: Option<u64>;
            match status {
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::GONE => {
                    return Err(FetchError::NotFound {
                        url: url.to_string(),
                        status: status.as_u16(),
                    });
                }
                StatusCode::RANGE_NOT_SATISFIABLE if have > 0 => {
                    // Our partial copy is as long as (or longer than) the
                    // file: hand it over; the hash check decides.
                    return Ok(have);
                }
                StatusCode::PARTIAL_CONTENT if have > 0 => {
                    let range = resp
                        .headers()
                        .get(CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_content_range);
                    match range {
                        Some((start, total)) if start == have => expect_total = total,
                        _ => {
                            warn!(
                                "{url}: server answered a Range request with a different range; restarting"
                            );
                            sink.truncate()?;
                            continue;
                        }
                    }
                }
                s if s.is_success() => {
                    if have > 0 {
                        // Server ignored Range: start over.
                        sink.truncate()?;
                    }
                    expect_total = resp
                        .headers()
                        .get(CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok());
                }
                s if s.is_redirection() => {
                    let to = resp
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("nowhere")
                        .to_string();
                    return Err(FetchError::Redirect {
                        url: url.to_string(),
                        status: s.as_u16(),
                        location: to,
                    });
                }
                s => {
                    return Err(FetchError::Status {
                        url: url.to_string(),
                        status: s.as_u16(),
                        retry_after: resp
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse().ok()),
                    });
                }
            }
            if let Some(total) = expect_total
                && total > max_len
            {
                return Err(FetchError::TooLong {
                    url: url.to_string(),
                    limit: max_len,
                });
            }
            match self.copy_limited(resp, url, max_len, sink, budget).await {
                Ok(()) => {
                    let got = sink.len();
                    if let Some(total) = expect_total
                        && got < total
                    {
                        last_err = Some(FetchError::Network {
                            url: url.to_string(),
                            message: format!("connection closed after {got} of {total} bytes"),
                        });
                        continue;
                    }
                    return Ok(got);
                }
                Err(CopyError::TooLong) => {
                    return Err(FetchError::TooLong {
                        url: url.to_string(),
                        limit: max_len,
                    });
                }
                Err(CopyError::Sink(e)) => return Err(e),
                Err(CopyError::Stopped(stop)) => return Err(budget.error(stop, url, sink.len())),
                Err(CopyError::Read(e)) => {
                    debug!("{url}: cut after {} bytes: {e}", sink.len());
                    last_err = Some(FetchError::Network {
                        url: url.to_string(),
                        message: format!("connection cut after {} bytes: {e}", sink.len()),
                    });
                }
            }
        }
        Err(last_err.unwrap_or_else(|| FetchError::Network {
            url: url.to_string(),
            message: "gave up after repeated cuts".into(),
        }))
    }

    async fn copy_limited(
        &self,
        mut resp: reqwest::Response,
        url: &str,
        max_len: u64,
        sink: &mut dyn ResumableSink,
        budget: &Budget<'_>,
    ) -> Result<(), CopyError> {
        loop {
            let chunk = match budget.wait(resp.chunk()).await {
                Err(stop) => return Err(CopyError::Stopped(stop)),
                Ok(Ok(Some(c))) => c,
                Ok(Ok(None)) => return Ok(()),
                Ok(Err(e)) => return Err(CopyError::Read(network_message(&e))),
            };
            let n = chunk.len() as u64;
            self.counter.add(n);
            if sink.len() + n > max_len {
                debug!("{url}: over the limit of {max_len} bytes");
                return Err(CopyError::TooLong);
            }
            sink.append(&chunk).map_err(CopyError::Sink)?;
        }
    }
}

enum CopyError {
    TooLong,
    Read(String),
    Sink(FetchError),
    Stopped(Stop),
}

/// A reqwest error with its causes, on one line.
fn network_message(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    message
}

fn network(url: &str, e: &reqwest::Error) -> FetchError {
    FetchError::Network {
        url: url.to_string(),
        message: network_message(e),
    }
}

/// `bytes START-END/TOTAL` → (START, Some(TOTAL)).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// Where a download goes: memory or a partial file on disk.
pub trait ResumableSink {
    /// Bytes held so far.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn append(&mut self, data: &[u8]) -> Result<(), FetchError>;
    fn truncate(&mut self) -> Result<(), FetchError>;
}

impl ResumableSink for Vec<u8> {
    fn len(&self) -> u64 {
        Vec::len(self) as u64
    }
    fn append(&mut self, data: &[u8]) -> Result<(), FetchError> {
        self.extend_from_slice(data);
        Ok(())
    }
    fn truncate(&mut self) -> Result<(), FetchError> {
        self.clear();
        Ok(())
    }
}

/// A partial download on disk; survives a restart, so the next attempt
/// resumes where the last one was cut.
pub struct PartialFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl PartialFile {
    pub fn open(path: &Path) -> Result<PartialFile, FetchError> {
        let io = |source| FetchError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(PartialFile {
            path: path.to_path_buf(),
            file,
            len,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sync(&self) -> Result<(), FetchError> {
        self.file.sync_all().map_err(|source| FetchError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

impl ResumableSink for PartialFile {
    fn len(&self) -> u64 {
        self.len
    }
    fn append(&mut self, data: &[u8]) -> Result<(), FetchError> {
        self.file.write_all(data).map_err(|source| FetchError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.len += data.len() as u64;
        Ok(())
    }
    fn truncate(&mut self) -> Result<(), FetchError> {
        self.file.set_len(0).map_err(|source| FetchError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.len = 0;
        Ok(())
    }
}

impl Transport for HttpTransport {
    fn get(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        let mut buf = Vec::new();
        self.download_into(url, max_len, &mut buf)?;
        Ok(buf)
    }
}

/// A repository in a local directory (a USB stick): "URLs" are paths
/// under the directory. A stick is hostile input: only regular files inside
/// it are read (no FIFO, device, socket or symlink; no directory that
/// leads out of it), opened without following links and without blocking,
/// checked with fstat, read with a size cap and a deadline.
pub struct DirTransport {
    /// The stick's repository directory, symlinks resolved.
    root: PathBuf,
    slow: SlowRetrieval,
    pub counter: Arc<TransferCounter>,
}

impl DirTransport {
    pub fn new(root: &Path) -> Result<DirTransport, FetchError> {
        let root = root.canonicalize().map_err(|source| FetchError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(DirTransport {
            root,
            slow: SlowRetrieval::default(),
            counter: Arc::new(TransferCounter::default()),
        })
    }

    /// With another read deadline (tests).
    pub fn with_slow_retrieval(mut self, slow: SlowRetrieval) -> DirTransport {
        self.slow = slow;
        self
    }

    fn refuse(path: &Path, why: &str) -> FetchError {
        FetchError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{why}; a kiosk repository holds only plain files — this stick was not written by kiosk-sync publish or was tampered with, nothing was changed"
                ),
            ),
        }
    }

    /// Open `path` if it is a regular file inside the stick.
    fn open_inside(&self, path: &Path, url: &str) -> Result<File, FetchError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Self::refuse(path, "not a file path"));
        };
        let parent = match parent.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound {
                    url: url.to_string(),
                    status: 404,
                });
            }
            Err(source) => {
                return Err(FetchError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if !parent.starts_with(&self.root) {
            return Err(Self::refuse(
                path,
                &format!(
                    "its folder leads out of the stick's repository {} (a symbolic link)",
                    self.root.display()
                ),
            ));
        }
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(parent.join(name))
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound {
                    url: url.to_string(),
                    status: 404,
                });
            }
            // O_NOFOLLOW on a symlink.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                return Err(Self::refuse(path, "a symbolic link, not a file"));
            }
            Err(source) => {
                return Err(FetchError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let meta = file.metadata().map_err(|source| FetchError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() {
            return Err(Self::refuse(
                path,
                "not a regular file (a FIFO, device, socket or folder)",
            ));
        }
        Ok(file)
    }
}

impl Transport for DirTransport {
    fn get(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        let path = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
        let io = |source| FetchError::Io {
            path: path.clone(),
            source,
        };
        let mut file = self.open_inside(&path, url)?;
        let started = Instant::now();
        let deadline = started + self.slow.budget(max_len);
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            // Read one byte past the limit to tell "exactly max" from "more".
            let want = (max_len.saturating_add(1) - buf.len() as u64).min(chunk.len() as u64);
            if want == 0 {
                break;
            }
            let n = match file.read(&mut chunk[..want as usize]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            buf.extend_from_slice(&chunk[..n]);
            if Instant::now() > deadline {
                return Err(FetchError::TooSlow {
                    url: url.to_string(),
                    got: buf.len() as u64,
                    limit: max_len,
                    secs: started.elapsed().as_secs(),
                    min_rate: self.slow.min_rate,
                    grace_secs: self.slow.grace.as_secs(),
                });
            }
        }
        if buf.len() as u64 > max_len {
            return Err(FetchError::TooLong {
                url: url.to_string(),
                limit: max_len,
            });
        }
        self.counter.add(buf.len() as u64);
        self.counter.requests.fetch_add(1, Ordering::Relaxed);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            Some((10, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 10-99/*"), Some((10, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
