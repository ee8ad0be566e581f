//! systemd readiness and watchdog (`sd_notify`), in a few lines of std.
//!
//! The protocol is one datagram of `KEY=VALUE` lines to the unix socket
//! named in `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket).
//! With `Type=notify` the unit is "started" once we send `READY=1`; with
//! `WatchdogSec=` systemd restarts us unless `WATCHDOG=1` arrives within
//! that time (`$WATCHDOG_USEC`). We ping at half of it.
//!
//! The invariant that makes the watchdog worth having: **ping only from the
//! UI event loop** (a `slint::Timer`), never from a helper thread. A helper
//! thread keeps pinging while the UI is frozen, and a frozen kiosk is
//! exactly what the watchdog must restart. [`WatchdogPinger`] has no thread
//! of its own: it is plain data the UI thread owns and calls.
//!
//! Environment is read through a lookup function so tests inject it:
//! `std::env::set_var` is unsafe in edition 2024 and racy in threaded tests.

use std::{
    io,
    os::unix::net::{SocketAddr, UnixDatagram},
    time::{Duration, Instant},
};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum NotifyError {
    #[error(
        "NOTIFY_SOCKET={0:?} is not a unix socket path or @abstract name; check the systemd unit"
    )]
    BadAddress(String),
    #[error("could not send {message:?} to systemd at {socket:?}: {source}")]
    Send {
        socket: String,
        message: String,
        source: io::Error,
    },
}

/// A connection to systemd's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
    name: String,
}

impl Notifier {
    /// From the process environment; `Ok(None)` when not run by systemd.
    pub fn from_env() -> Result<Option<Self>, NotifyError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// From an injected environment (tests).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, NotifyError> {
        match env("NOTIFY_SOCKET") {
            Some(value) if !value.is_empty() => Self::connect(&value).map(Some),
            _ => Ok(None),
        }
    }

    /// `socket` is a filesystem path or `@name` (abstract namespace).
    pub fn connect(socket: &str) -> Result<Self, NotifyError> {
        let bad = || NotifyError::BadAddress(socket.to_string());
        let addr = if let Some(name) = socket.strip_prefix('@') {
            abstract_addr(name).ok_or_else(bad)?
        } else if socket.starts_with('/') {
            SocketAddr::from_pathname(socket).map_err(|_| bad())?
        } else {
            // vsock: and relative paths are not used by systemd for services.
            return Err(bad());
        };
        let sock = UnixDatagram::unbound().map_err(|source| NotifyError::Send {
            socket: socket.to_string(),
            message: String::new(),
            source,
        })?;
        // A full socket buffer must not stall the UI thread.
        let _ = sock.set_nonblocking(true);
        Ok(Self {
            socket: sock,
            addr,
            name: socket.to_string(),
        })
    }

    /// Sends raw `KEY=VALUE` lines.
    pub fn send(&self, message: &str) -> Result<(), NotifyError> {
        self.socket
            .send_to_addr(message.as_bytes(), &self.addr)
            .map(|_| ())
            .map_err(|source| NotifyError::Send {
                socket: self.name.clone(),
                message: message.to_string(),
                source,
            })
    }

    pub fn ready(&self) -> Result<(), NotifyError> {
        self.send("READY=1")
    }

    pub fn watchdog(&self) -> Result<(), NotifyError> {
        self.send("WATCHDOG=1")
    }

    /// Free-form status shown by `systemctl status`. Newlines would start
    /// new assignments, so they are flattened.
    pub fn status(&self, text: &str) -> Result<(), NotifyError> {
        self.send(&format!("STATUS={}", text.replace('\n', " ")))
    }

    pub fn stopping(&self) -> Result<(), NotifyError> {
        self.send("STOPPING=1")
    }
}

#[cfg(target_os = "linux")]
fn abstract_addr(name: &str) -> Option<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name.as_bytes()).ok()
}

#[cfg(not(target_os = "linux"))]
fn abstract_addr(_name: &str) -> Option<SocketAddr> {
    None
}

/// The ping interval: half of `$WATCHDOG_USEC`, or None when the watchdog
/// is off or meant for another process (`$WATCHDOG_PID`).
pub fn watchdog_interval(env: impl Fn(&str) -> Option<String>) -> Option<Duration> {
    if let Some(pid) = env("WATCHDOG_PID")
        && pid.trim().parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    let usec: u64 = env("WATCHDOG_USEC")?.trim().parse().ok()?;
    if usec == 0 {
        return None;
    }
    Some(Duration::from_micros(usec / 2))
}

/// Readiness and watchdog pings for the UI thread.
///
/// Typical use in the app (see the kiosk-hardware section of ARCHITECTURE.md): create it at
/// start, call [`WatchdogPinger::ready`] after the first frame is drawn,
/// and from a repeated `slint::Timer` of [`WatchdogPinger::timer_interval`]
/// call [`WatchdogPinger::ping_if_due`]. Errors are logged once and
/// otherwise ignored: a kiosk must not stop because systemd went away.
#[derive(Debug)]
pub struct WatchdogPinger {
    notifier: Option<Notifier>,
    interval: Option<Duration>,
    last_ping: Option<Instant>,
    ready_sent: bool,
    error_logged: bool,
}

impl WatchdogPinger {
    /// From the process environment. Not run by systemd: a no-op pinger.
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Self {
        let notifier = match Notifier::from_lookup(&env) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("systemd notification disabled: {e}");
                None
            }
        };
        let interval = notifier.as_ref().and_then(|_| watchdog_interval(&env));
        match (&notifier, interval) {
            (Some(_), Some(every)) => {
                tracing::info!(?every, "systemd watchdog: pinging from the UI loop")
            }
            (Some(_), None) => tracing::info!("systemd notify socket set, no watchdog"),
            (None, _) => tracing::debug!("not started by systemd; no readiness or watchdog"),
        }
        Self::new(notifier, interval)
    }

    /// `interval` is the ping period (already halved from `WATCHDOG_USEC`).
    pub fn new(notifier: Option<Notifier>, interval: Option<Duration>) -> Self {
        Self {
            notifier,
            interval,
            last_ping: None,
            ready_sent: false,
            error_logged: false,
        }
    }

    /// Ping period, None when there is no watchdog.
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// How often the app's timer should call [`Self::ping_if_due`]: a
    /// quarter of the ping period, so one late timer tick does not make a
    /// ping late. None when there is nothing to ping.
    pub fn timer_interval(&self) -> Option<Duration> {
        self.interval
            .map(|i| (i / 4).max(Duration::from_millis(10)))
    }

    /// `READY=1`, once. Call after the first frame is on screen.
    pub fn ready(&mut self) {
        if self.ready_sent {
            return;
        }
        self.ready_sent = true;
        self.send("READY=1");
    }

    /// `STATUS=...` for `systemctl status` (e.g. content version).
    pub fn status(&mut self, text: &str) {
        let message = format!("STATUS={}", text.replace('\n', " "));
        self.send(&message);
    }

    /// Sends `WATCHDOG=1` if a period has passed since the last one.
    /// Returns whether it pinged. `now` is injected for tests.
    pub fn ping_if_due(&mut self, now: Instant) -> bool {
        let Some(interval) = self.interval else {
            return false;
        };
        let due = self
            .last_ping
            .is_none_or(|last| now.saturating_duration_since(last) >= interval);
        if due {
            self.last_ping = Some(now);
            self.send("WATCHDOG=1");
        }
        due
    }

    fn send(&mut self, message: &str) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        match notifier.send(message) {
            Ok(()) => self.error_logged = false,
            Err(e) => {
                if !self.error_logged {
                    tracing::warn!("{e}");
                    self.error_logged = true;
                }
            }
        }
    }
}
