//! The control protocol between the kiosk app (client) and the sync daemon
//! (server), defined once here because the app does not depend on
//! `kiosk-sync`.
//!
//! Transport: a Unix stream socket (default [`DEFAULT_SOCKET`]). The client
//! writes one JSON [`ControlRequest`] on a line; the server answers one JSON
//! [`ControlResponse`] on a line and closes. Slow work (sync now, import)
//! is started and acknowledged at once; the app polls `status` to follow it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where the daemon listens unless configured otherwise.
pub const DEFAULT_SOCKET: &str = "/run/kiosk-sync/control.sock";

/// Longest request or response line accepted (a status is well under 4 KiB).
pub const MAX_LINE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ControlRequest {
    /// Report [`SyncStatus`].
    Status,
    /// Start an update from the configured repository now.
    SyncNow,
    /// Import a repository from a directory (a mounted USB stick).
    Import { path: String },
    /// Make the previous content generation current.
    Revert,
}

/// What the staff panel shows about content and sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub generation: Option<u64>,
    pub bundle_version: Option<u64>,
    /// When the current content was published, if the bundle says.
    pub content_published_at: Option<DateTime<Utc>>,
    pub content_applied_at: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, in words a hall clerk can act on.
    pub last_error: Option<String>,
    pub next_attempt: Option<DateTime<Utc>>,
    /// An update or import is running now.
    pub busy: bool,
    pub repository_url: Option<String>,
    pub previous_generation: Option<u64>,
    pub disk_free_bytes: Option<u64>,
    /// The last import from a directory (a USB stick or a LAN mirror copied
    /// to disk), whether it came through the daemon or a separate
    /// `kiosk-sync import`; the app shows it on screen when it changes.
    #[serde(default)]
    pub last_import: Option<ImportRecord>,
    /// Hall items left out of the current content, one sentence each (a
    /// hall used an item id the district or another hall already has; the
    /// district's item is shown).
    #[serde(default)]
    pub set_aside: Vec<String>,
    /// The last update failed because the disk is full: how many bytes
    /// more it needs.
    #[serde(default)]
    pub disk_needed_bytes: Option<u64>,
    /// Something is wrong with the kiosk's clock, in words for staff (it is
    /// behind a signed time this kiosk has already seen, or so far ahead
    /// that every signature looks expired).
    #[serde(default)]
    pub clock_problem: Option<String>,
}

/// How one import from a directory ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// The directory imported, as given (for example `/run/kiosk-usb/current`).
    pub source: String,
    pub finished_at: DateTime<Utc>,
    pub ok: bool,
    /// The generation made current by this import; `None` when it failed or
    /// when the stick held nothing newer than what is already shown.
    pub generation: Option<u64>,
    /// One sentence for staff: what was applied, or what went wrong and what
    /// to do.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResponse {
    pub ok: bool,
    /// A short result or error message for the staff panel.
    pub message: String,
    pub status: Option<SyncStatus>,
}

impl ControlResponse {
    pub fn ok(message: impl Into<String>, status: Option<SyncStatus>) -> ControlResponse {
        ControlResponse {
            ok: true,
            message: message.into(),
            status,
        }
    }

    pub fn error(message: impl Into<String>) -> ControlResponse {
        ControlResponse {
            ok: false,
            message: message.into(),
            status: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "the sync service is not running (no socket at {0}); start it with `systemctl start kiosk-sync`"
    )]
    NotRunning(PathBuf),
    #[error("talking to the sync service at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the sync service at {path} answered something unreadable: {message}")]
    Protocol { path: PathBuf, message: String },
}

/// Sends one request and waits at most `timeout` for the answer.
pub fn request(
    socket: &Path,
    req: &ControlRequest,
    timeout: Duration,
) -> Result<ControlResponse, ControlError> {
    let io = |source| ControlError::Io {
        path: socket.to_path_buf(),
        source,
    };
    let stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(ControlError::NotRunning(socket.to_path_buf()));
        }
        Err(e) => return Err(io(e)),
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut line = serde_json::to_vec(req).map_err(|e| ControlError::Protocol {
        path: socket.to_path_buf(),
        message: e.to_string(),
    })?;
    line.push(b'\n');
    (&stream).write_all(&line).map_err(io)?;
    let mut reader = BufReader::new(std::io::Read::take(&stream, MAX_LINE_BYTES));
    let mut answer = String::new();
    reader.read_line(&mut answer).map_err(io)?;
    serde_json::from_str(answer.trim()).map_err(|e| ControlError::Protocol {
        path: socket.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads one request line from a connected client (server side).
pub fn read_request(stream: &UnixStream) -> Result<ControlRequest, String> {
    let mut reader = BufReader::new(std::io::Read::take(stream, MAX_LINE_BYTES));
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    serde_json::from_str(line.trim()).map_err(|e| format!("not a control request: {e}"))
}

/// Writes one response line (server side).
pub fn write_response(mut stream: &UnixStream, resp: &ControlResponse) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(resp).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_over_a_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("control.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let req = read_request(&stream).expect("request");
            assert_eq!(
                req,
                ControlRequest::Import {
                    path: "/media/usb".into()
                }
            );
            write_response(&stream, &ControlResponse::ok("started", None)).expect("write");
        });
        let resp = request(
            &path,
            &ControlRequest::Import {
                path: "/media/usb".into(),
            },
            Duration::from_secs(5),
        )
        .expect("response");
        assert!(resp.ok);
        server.join().expect("server");
    }

    #[test]
    fn a_missing_daemon_is_reported_as_not_running() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = request(
            &dir.path().join("none.sock"),
            &ControlRequest::Status,
            Duration::from_secs(1),
        )
        .expect_err("no daemon");
        assert!(matches!(err, ControlError::NotRunning(_)));
        assert!(err.to_string().contains("systemctl start kiosk-sync"));
    }

    #[test]
    fn a_status_without_last_import_still_parses() {
        let s: SyncStatus = serde_json::from_str(
            r#"{"generation":3,"bundle_version":7,"content_published_at":null,"content_applied_at":null,"last_attempt":null,"last_success":null,"last_error":null,"next_attempt":null,"busy":false,"repository_url":null,"previous_generation":2,"disk_free_bytes":null}"#,
        )
        .expect("an older daemon's status");
        assert_eq!(s.generation, Some(3));
        assert_eq!(s.last_import, None);
    }

    #[test]
    fn the_wire_format_is_tagged_json() {
        assert_eq!(
            serde_json::to_string(&ControlRequest::SyncNow).expect("json"),
            r#"{"cmd":"sync_now"}"#
        );
    }
}
