//! The kiosk's sync service: polls with jittered exponential backoff,
//! tells systemd it is ready and alive (`Type=notify`, watchdog), and
//! answers the app on a local control socket (status, sync now, import,
//! revert). All store writes happen on one worker thread.

use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kiosk_content::control::{self, ControlRequest, ControlResponse, SyncStatus};
use serde::Deserialize;
use tracing::{error, info, warn};

use crate::pull::{PullResult, Source, pull};
use crate::state::{Clock, SyncState, SystemClock};
use crate::store::StoreApplier;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `/etc/kiosk-sync/config.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// The district repository (or a hall's LAN mirror). Empty: USB only.
    #[serde(default)]
    pub repo_url: String,
    pub data_dir: PathBuf,
    /// The district's root.json, installed on first start.
    pub root: Option<PathBuf>,
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    #[serde(default = "default_min_backoff")]
    pub min_backoff_secs: u64,
    #[serde(default = "default_max_backoff")]
    pub max_backoff_secs: u64,
    #[serde(default = "default_socket")]
    pub control_socket: PathBuf,
}

fn default_poll() -> u64 {
    900
}
fn default_min_backoff() -> u64 {
    30
}
fn default_max_backoff() -> u64 {
    6 * 3600
}
fn default_socket() -> PathBuf {
    PathBuf::from(control::DEFAULT_SOCKET)
}

impl DaemonConfig {
    pub fn load(path: &Path) -> Result<DaemonConfig, DaemonError> {
        let text = std::fs::read_to_string(path).map_err(|source| DaemonError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: DaemonConfig = toml::from_str(&text).map_err(|e| DaemonError::Config {
            path: path.to_path_buf(),
            message: format!("{e}(see kiosk-sync/ARCHITECTURE-sync.md for the keys)"),
        })?;
        if cfg.poll_interval_secs == 0
            || cfg.min_backoff_secs == 0
            || cfg.max_backoff_secs < cfg.min_backoff_secs
        {
            return Err(DaemonError::Config {
                path: path.to_path_buf(),
                message: "poll_interval_secs and min_backoff_secs must be > 0 and max_backoff_secs >= min_backoff_secs".into(),
            });
        }
        Ok(cfg)
    }
}

/// Delay before the next attempt. `jitter` is a random number in [0, 1):
/// after success the poll interval ±10%; after `failures` failures an
/// exponential backoff with "equal jitter" (half fixed, half random).
pub fn next_delay(cfg: &DaemonConfig, failures: u32, jitter: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    if failures == 0 {
        let base = cfg.poll_interval_secs as f64;
        return Duration::from_secs_f64(base * (0.9 + 0.2 * jitter));
    }
    let exp = 2f64.powi((failures - 1).min(30) as i32);
    let cap = (cfg.min_backoff_secs as f64 * exp).min(cfg.max_backoff_secs as f64);
    Duration::from_secs_f64(cap / 2.0 + cap / 2.0 * jitter)
}

/// Status as the app's staff panel shows it.
pub fn collect_status(data_dir: &Path, repo_url: Option<&str>, busy: bool) -> SyncStatus {
    let st = SyncState::load(data_dir);
    let mut s = SyncStatus {
        last_attempt: st.last_attempt,
        last_success: st.last_success,
        last_error: st.last_error.clone(),
        next_attempt: st.next_attempt,
        busy,
        repository_url: repo_url.map(str::to_string).or(st.last_channel.clone()),
        ..SyncStatus::default()
    };
    if let Ok(reader) = kiosk_content::ContentReader::open(data_dir) {
        let g = reader.generation();
        s.generation = Some(g.generation);
        s.bundle_version = Some(g.bundle_version);
        s.content_published_at = g.published_at;
        s.content_applied_at = Some(g.applied_at);
    }
    s
}

enum Job {
    Sync,
    Import(PathBuf),
    Revert(mpsc::Sender<ControlResponse>),
}

struct Shared {
    busy: bool,
}

/// sd_notify without libsystemd: one datagram to `$NOTIFY_SOCKET`.
pub fn sd_notify(msg: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let p = path.to_string_lossy().into_owned();
    let res = if let Some(name) = p.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|addr| sock.send_to_addr(msg.as_bytes(), &addr))
    } else {
        sock.send_to(msg.as_bytes(), &p)
    };
    if let Err(e) = res {
        warn!("sd_notify to {p}: {e}");
    }
}

fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(100)))
}

/// Run until killed.
pub fn run(cfg: DaemonConfig) -> Result<(), DaemonError> {
    std::fs::create_dir_all(&cfg.data_dir).map_err(|source| DaemonError::Io {
        path: cfg.data_dir.clone(),
        source,
    })?;
    if let Some(parent) = cfg.control_socket.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::remove_file(&cfg.control_socket);
    let listener = UnixListener::bind(&cfg.control_socket).map_err(|source| DaemonError::Io {
        path: cfg.control_socket.clone(),
        source,
    })?;
    let (tx, rx) = mpsc::channel::<Job>();
    let shared = Arc::new(Mutex::new(Shared { busy: false }));
    {
        let (tx, shared, cfg) = (tx.clone(), shared.clone(), cfg.clone());
        std::thread::spawn(move || control_loop(listener, tx, shared, cfg));
    }
    sd_notify("READY=1\nSTATUS=waiting for the first sync");
    info!(
        "kiosk-sync daemon ready; control socket {}",
        cfg.control_socket.display()
    );
    let watchdog = watchdog_interval();
    let clock = SystemClock;
    let mut next = clock.now();
    loop {
        let wait = (next - clock.now()).to_std().unwrap_or(Duration::ZERO);
        let wait = watchdog.map_or(wait, |w| wait.min(w));
        let job = match rx.recv_timeout(wait) {
            Ok(job) => Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        if watchdog.is_some() {
            sd_notify("WATCHDOG=1");
        }
        let job = match job {
            Some(j) => j,
            None if clock.now() >= next && !cfg.repo_url.is_empty() => Job::Sync,
            None => continue,
        };
        set_busy(&shared, true);
        match job {
            Job::Sync => {
                if cfg.repo_url.is_empty() {
                    set_busy(&shared, false);
                    continue;
                }
                let source = Source::Http(cfg.repo_url.clone());
                let failures = run_pull(&cfg, &source, &clock);
                let delay = next_delay(&cfg, failures, rand::random::<f64>());
                next = clock.now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                record_next(&cfg.data_dir, next);
            }
            Job::Import(path) => {
                run_pull(&cfg, &Source::Dir(path), &clock);
            }
            Job::Revert(reply) => {
                let resp = match StoreApplier::new(&cfg.data_dir).revert() {
                    Ok(rec) => ControlResponse::ok(
                        format!(
                            "reverted to generation {} (bundle {})",
                            rec.generation, rec.bundle_version
                        ),
                        Some(collect_status(&cfg.data_dir, Some(&cfg.repo_url), false)),
                    ),
                    Err(e) => ControlResponse::error(e.to_string()),
                };
                let _ = reply.send(resp);
            }
        }
        set_busy(&shared, false);
    }
}

fn set_busy(shared: &Arc<Mutex<Shared>>, busy: bool) {
    if let Ok(mut s) = shared.lock() {
        s.busy = busy;
    }
}

fn record_next(data_dir: &Path, next: DateTime<Utc>) {
    let mut st = SyncState::load(data_dir);
    st.next_attempt = Some(next);
    let _ = st.save(data_dir);
}

/// One pull; returns the number of consecutive failures afterwards.
fn run_pull(cfg: &DaemonConfig, source: &Source, clock: &dyn Clock) -> u32 {
    let mut applier = StoreApplier::new(&cfg.data_dir);
    match pull(
        &cfg.data_dir,
        source,
        cfg.root.as_deref(),
        clock,
        &mut applier,
    ) {
        Ok(out) => {
            match out.result {
                PullResult::Applied {
                    generation,
                    bundle_version,
                } => {
                    info!(
                        "{}: applied generation {generation} (bundle {bundle_version})",
                        source.channel()
                    );
                    sd_notify(&format!(
                        "STATUS=generation {generation}, bundle {bundle_version}"
                    ));
                }
                PullResult::UpToDate { bundle_version } => {
                    info!("{}: up to date (bundle {bundle_version})", source.channel())
                }
            }
            0
        }
        Err(e) => {
            error!("{}: update failed: {e}", source.channel());
            sd_notify("STATUS=last update failed; showing the last good content");
            SyncState::load(&cfg.data_dir).consecutive_failures.max(1)
        }
    }
}

fn control_loop(
    listener: UnixListener,
    tx: mpsc::Sender<Job>,
    shared: Arc<Mutex<Shared>>,
    cfg: DaemonConfig,
) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let busy = shared.lock().map(|s| s.busy).unwrap_or(false);
        let status = || collect_status(&cfg.data_dir, Some(&cfg.repo_url), busy);
        let resp = match control::read_request(&stream) {
            Err(e) => ControlResponse::error(e),
            Ok(ControlRequest::Status) => ControlResponse::ok("status", Some(status())),
            Ok(ControlRequest::SyncNow) => {
                if cfg.repo_url.is_empty() {
                    ControlResponse::error(
                        "no repository URL is configured; import from USB instead",
                    )
                } else if busy {
                    ControlResponse::ok("an update is already running", Some(status()))
                } else {
                    let _ = tx.send(Job::Sync);
                    ControlResponse::ok("update started", Some(status()))
                }
            }
            Ok(ControlRequest::Import { path }) => {
                let p = PathBuf::from(&path);
                if !p.join("metadata").is_dir() {
                    ControlResponse::error(format!(
                        "{path}: no kiosk repository here (no metadata/ folder); copy the whole repository folder to the stick"
                    ))
                } else {
                    let _ = tx.send(Job::Import(p));
                    ControlResponse::ok("import started", Some(status()))
                }
            }
            Ok(ControlRequest::Revert) => {
                let (rtx, rrx) = mpsc::channel();
                let _ = tx.send(Job::Revert(rtx));
                rrx.recv_timeout(Duration::from_secs(60))
                    .unwrap_or_else(|_| ControlResponse::error("revert did not finish within 60 s"))
            }
        };
        let _ = control::write_response(&stream, &resp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DaemonConfig {
        DaemonConfig {
            repo_url: "http://127.0.0.1:1/".into(),
            data_dir: PathBuf::from("/nonexistent"),
            root: None,
            poll_interval_secs: 900,
            min_backoff_secs: 30,
            max_backoff_secs: 3600,
            control_socket: PathBuf::from("/nonexistent.sock"),
        }
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let c = cfg();
        let ok = next_delay(&c, 0, 0.5).as_secs();
        assert_eq!(ok, 900);
        assert!(
            next_delay(&c, 0, 0.0).as_secs() >= 810 && next_delay(&c, 0, 0.999).as_secs() <= 990
        );
        assert_eq!(next_delay(&c, 1, 1.0).as_secs(), 30);
        assert_eq!(next_delay(&c, 1, 0.0).as_secs(), 15);
        assert_eq!(next_delay(&c, 3, 1.0).as_secs(), 120);
        assert_eq!(next_delay(&c, 30, 1.0).as_secs(), 3600);
        assert!(next_delay(&c, 30, 0.0).as_secs() >= 1800);
    }
}
