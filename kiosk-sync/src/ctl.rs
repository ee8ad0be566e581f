//! `kiosk-sync ctl`: a client of the running daemon over its control socket
//! (protocol in `kiosk_content::control`), for scripts and for staff at a
//! shell. `usb-import` uses [`import`] to hand a USB stick to the daemon's
//! worker and falls back to a standalone `kiosk-sync import` when the
//! daemon is not running ([`EXIT_NOT_RUNNING`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use kiosk_content::control::{
    self, ControlError, ControlRequest, ControlResponse, ImportRecord, SyncStatus,
};

/// Exit status of `kiosk-sync ctl` when the daemon is not running (no
/// socket, or nobody answers on it). Scripts fall back on it.
pub const EXIT_NOT_RUNNING: u8 = 3;

/// Exit status of `kiosk-sync ctl import` when the import did not finish
/// within `--timeout` (the daemon goes on with it).
pub const EXIT_TIMED_OUT: u8 = 4;

/// How long one request may take to be answered (a `revert` waits up to
/// 20 s for a running job, plus margin).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(35);

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("the sync service at {socket} refused: {message}")]
    Refused { socket: PathBuf, message: String },
    #[error("the sync service at {socket} answered without a status; is it an older kiosk-sync?")]
    NoStatus { socket: PathBuf },
    #[error("import from {path} failed: {message}")]
    ImportFailed { path: String, message: String },
    #[error(
        "no result for the import from {path} after {} s; the sync service at {socket} is still working on it (see `kiosk-sync ctl --socket {socket} status` or `journalctl -u kiosk-sync`)",
        waited.as_secs()
    )]
    TimedOut {
        path: String,
        socket: PathBuf,
        waited: Duration,
    },
}

impl CtlError {
    /// The documented exit status: [`EXIT_NOT_RUNNING`], [`EXIT_TIMED_OUT`],
    /// else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            CtlError::Control(ControlError::NotRunning(_)) => EXIT_NOT_RUNNING,
            CtlError::TimedOut { .. } => EXIT_TIMED_OUT,
            _ => 1,
        }
    }
}

/// Who may use the control socket, checked by the daemon on every
/// connection from the peer's credentials (`SO_PEERCRED`), whatever the
/// socket file's mode: root, the daemon's own user, and members of the
/// daemon's group (the app runs with the supplementary group `kiosk`). The
/// file mode (0660) already keeps others out; this holds even when the mode
/// or a parent folder's was loosened by hand. The refusal names the uid and
/// what to do.
pub fn check_peer(stream: &std::os::unix::net::UnixStream) -> Result<(), String> {
    let cred = rustix::net::sockopt::socket_peercred(stream)
        .map_err(|e| format!("cannot tell who is connecting ({e}); refused"))?;
    let (uid, gid) = (cred.uid.as_raw(), cred.gid.as_raw());
    let (my_uid, my_gid) = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    if uid == 0 || uid == my_uid || gid == my_gid {
        return Ok(());
    }
    // Supplementary groups: the kernel's view of the peer, from /proc.
    let pid = cred.pid.as_raw_nonzero().get();
    let groups = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let member = groups
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .is_some_and(|g| g.split_whitespace().any(|g| g == my_gid.to_string()));
    if member {
        return Ok(());
    }
    Err(format!(
        "uid {uid} (gid {gid}) may not use the sync service's control socket: only root, uid {my_uid} and members of gid {my_gid} may; add the user to the daemon's group (kiosk)"
    ))
}

/// One request; an `ok: false` answer is [`CtlError::Refused`].
pub fn send(socket: &Path, req: &ControlRequest) -> Result<ControlResponse, CtlError> {
    let resp = control::request(socket, req, REQUEST_TIMEOUT)?;
    if resp.ok {
        Ok(resp)
    } else {
        Err(CtlError::Refused {
            socket: socket.to_path_buf(),
            message: resp.message,
        })
    }
}

/// The daemon's status.
pub fn status(socket: &Path) -> Result<SyncStatus, CtlError> {
    send(socket, &ControlRequest::Status)?
        .status
        .ok_or_else(|| CtlError::NoStatus {
            socket: socket.to_path_buf(),
        })
}

/// Hand the import of repository directory `path` (absolute) to the daemon
/// and wait until its `last_import` for `path`, finished after the request,
/// appears: polls `status` every `interval`, at most `wait / interval`
/// times. A failed import is [`CtlError::ImportFailed`].
pub fn import(
    socket: &Path,
    path: &str,
    wait: Duration,
    interval: Duration,
) -> Result<ImportRecord, CtlError> {
    let requested = Utc::now();
    send(
        socket,
        &ControlRequest::Import {
            path: path.to_string(),
        },
    )?;
    let polls = wait.as_millis() / interval.as_millis().max(1);
    for _ in 0..=polls {
        if let Some(rec) = status(socket)?.last_import
            && rec.source == path
            && rec.finished_at >= requested
        {
            return if rec.ok {
                Ok(rec)
            } else {
                Err(CtlError::ImportFailed {
                    path: rec.source,
                    message: rec.message,
                })
            };
        }
        std::thread::sleep(interval);
    }
    Err(CtlError::TimedOut {
        path: path.to_string(),
        socket: socket.to_path_buf(),
        waited: wait,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A fake daemon answering `answers` in order, one per connection.
    fn fake_daemon(
        socket: &Path,
        answers: Vec<ControlResponse>,
    ) -> std::thread::JoinHandle<Vec<ControlRequest>> {
        let listener = UnixListener::bind(socket).expect("bind");
        std::thread::spawn(move || {
            let mut asked = Vec::new();
            for resp in answers {
                let (stream, _) = listener.accept().expect("accept");
                asked.push(control::read_request(&stream).expect("request"));
                control::write_response(&stream, &resp).expect("answer");
            }
            asked
        })
    }

    fn status_with(rec: Option<ImportRecord>) -> ControlResponse {
        ControlResponse::ok(
            "status",
            Some(SyncStatus {
                last_import: rec,
                ..SyncStatus::default()
            }),
        )
    }

    fn record(source: &str, ok: bool, age: chrono::Duration) -> ImportRecord {
        ImportRecord {
            source: source.into(),
            finished_at: Utc::now() - age,
            ok,
            generation: ok.then_some(2),
            message: if ok { "imported" } else { "usb:/x: too old" }.into(),
        }
    }

    #[test]
    fn import_waits_for_a_fresh_record_of_its_own_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("control.sock");
        let answers = vec![
            ControlResponse::ok("import started", None),
            // An old record of the same stick, then a fresh one of another.
            status_with(Some(record("/media/usb", true, chrono::Duration::hours(1)))),
            status_with(Some(record(
                "/media/other",
                true,
                -chrono::Duration::hours(1),
            ))),
            status_with(Some(record(
                "/media/usb",
                true,
                -chrono::Duration::hours(1),
            ))),
        ];
        let server = fake_daemon(&socket, answers);
        let rec = import(
            &socket,
            "/media/usb",
            Duration::from_secs(30),
            Duration::from_millis(1),
        )
        .expect("imported");
        assert_eq!((rec.source.as_str(), rec.ok), ("/media/usb", true));
        let asked = server.join().expect("server");
        assert_eq!(
            asked[0],
            ControlRequest::Import {
                path: "/media/usb".into()
            }
        );
        assert_eq!(asked.len(), 4);
    }

    #[test]
    fn a_failed_import_a_refusal_and_a_missing_daemon_have_their_exit_codes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("control.sock");
        let server = fake_daemon(
            &socket,
            vec![
                ControlResponse::ok("import started", None),
                status_with(Some(record(
                    "/media/usb",
                    false,
                    -chrono::Duration::hours(1),
                ))),
                ControlResponse::error("/media/usb: no kiosk repository here"),
            ],
        );
        let wait = Duration::from_secs(30);
        let err = import(&socket, "/media/usb", wait, Duration::from_millis(1))
            .expect_err("failed import");
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("too old"), "{err}");
        let err =
            import(&socket, "/media/usb", wait, Duration::from_millis(1)).expect_err("refused");
        assert!(matches!(err, CtlError::Refused { .. }), "{err:?}");
        assert!(err.to_string().contains("no kiosk repository"), "{err}");
        server.join().expect("server");

        let none = dir.path().join("none.sock");
        let err =
            import(&none, "/media/usb", wait, Duration::from_millis(1)).expect_err("no daemon");
        assert_eq!(err.exit_code(), EXIT_NOT_RUNNING);
        assert!(err.to_string().contains("none.sock"), "{err}");
    }

    #[test]
    fn import_gives_up_after_its_bounded_number_of_polls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("control.sock");
        // wait / interval = 3 polls after the first: 4 status requests.
        let mut answers = vec![ControlResponse::ok("import started", None)];
        answers.extend((0..4).map(|_| status_with(None)));
        let server = fake_daemon(&socket, answers);
        let err = import(
            &socket,
            "/media/usb",
            Duration::from_millis(3),
            Duration::from_millis(1),
        )
        .expect_err("no result");
        assert_eq!(err.exit_code(), EXIT_TIMED_OUT);
        assert!(err.to_string().contains("still working"), "{err}");
        assert_eq!(server.join().expect("server").len(), 5);
    }
}
