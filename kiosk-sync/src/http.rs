//! Fetching over HTTP (reqwest, rustls) and from a directory, with a hard
//! length limit on every response and Range resume after a cut.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use tracing::{debug, warn};

use crate::tuf::{FetchError, Transport};

/// How many times one download is resumed after a cut before giving up
/// (the next sync attempt resumes from the partial file again).
pub const MAX_RESUMES: u32 = 8;

/// Body bytes received, for status and benchmarks.
#[derive(Debug, Default)]
pub struct TransferCounter {
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl TransferCounter {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// A blocking HTTP client for one repository.
pub struct HttpTransport {
    client: reqwest::blocking::Client,
    pub counter: Arc<TransferCounter>,
}

impl HttpTransport {
    pub fn new() -> Result<HttpTransport, FetchError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("kiosk-sync/", env!("CARGO_PKG_VERSION")))
            // Mirrors are untrusted; following redirects across hosts buys nothing.
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| FetchError::Network {
                url: String::new(),
                message: format!("cannot start the HTTP client: {e}"),
            })?;
        Ok(HttpTransport {
            client,
            counter: Arc::new(TransferCounter::default()),
        })
    }

    /// Download `url` into `sink`, which already holds `have` bytes of it
    /// (a partial download). Stops with `TooLong` past `max_len` bytes.
    /// Resumes with a Range request after a cut, at most [`MAX_RESUMES`]
    /// times. Returns the total length.
    pub fn download_into(
        &self,
        url: &str,
        max_len: u64,
        sink: &mut dyn ResumableSink,
    ) -> Result<u64, FetchError> {
        let mut last_err = None;
        for attempt in 0..=MAX_RESUMES {
            let have = sink.len();
            if have > max_len {
                sink.truncate()?;
                continue;
            }
            let mut req = self.client.get(url);
            if have > 0 {
                req = req.header(RANGE, format!("bytes={have}-"));
            }
            self.counter.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) => {
                    debug!("{url}: attempt {attempt}: {e}");
                    last_err = Some(network(url, &e));
                    std::thread::sleep(Duration::from_millis(50 * u64::from(attempt)));
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
                s => {
                    return Err(FetchError::Status {
                        url: url.to_string(),
                        status: s.as_u16(),
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
            match self.copy_limited(resp, url, max_len, sink) {
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

    fn copy_limited(
        &self,
        mut resp: reqwest::blocking::Response,
        url: &str,
        max_len: u64,
        sink: &mut dyn ResumableSink,
    ) -> Result<(), CopyError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Read(e)),
            };
            self.counter.add(n as u64);
            if sink.len() + n as u64 > max_len {
                debug!("{url}: over the limit of {max_len} bytes");
                return Err(CopyError::TooLong);
            }
            sink.append(&buf[..n]).map_err(CopyError::Sink)?;
        }
    }
}

enum CopyError {
    TooLong,
    Read(std::io::Error),
    Sink(FetchError),
}

fn network(url: &str, e: &reqwest::Error) -> FetchError {
    let mut message = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    FetchError::Network {
        url: url.to_string(),
        message,
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
/// under the directory.
pub struct DirTransport {
    pub counter: Arc<TransferCounter>,
}

impl DirTransport {
    pub fn new() -> DirTransport {
        DirTransport {
            counter: Arc::new(TransferCounter::default()),
        }
    }
}

impl Default for DirTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for DirTransport {
    fn get(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        let path = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound {
                    url: url.to_string(),
                    status: 404,
                });
            }
            Err(source) => return Err(FetchError::Io { path, source }),
        };
        let mut buf = Vec::new();
        // Read one byte past the limit to tell "exactly max" from "more".
        file.take(max_len.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|source| FetchError::Io {
                path: path.clone(),
                source,
            })?;
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
