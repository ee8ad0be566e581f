//! The kiosk's sync service: polls with jittered exponential backoff,
//! tells systemd it is ready and alive (`Type=notify`, watchdog), and
//! answers the app on a local control socket (status, sync now, import,
//! revert).
//!
//! Threads:
//! - the main thread is the **worker**: it runs every job (scheduled poll,
//!   sync now, USB import, revert) one after another, so it is the daemon's
//!   only writer of the store and of `sync-state.json` (a separate
//!   `kiosk-sync import` may write them too, under the same update lock:
//!   see [`crate::state::SyncState`]);
//! - the **control** thread accepts connections on the control socket and
//!   answers each on a short-lived thread of its own (at most
//!   [`MAX_CLIENTS`] at once), so a slow or silent client never blocks
//!   another, and `status` answers while an update runs;
//! - the **watchdog** thread (only with `WATCHDOG_USEC`) sends `WATCHDOG=1`
//!   every half interval while the worker is healthy: idle and ticking, or
//!   busy with a job for less than [`MAX_JOB`]. A long apply therefore does
//!   not get the service killed, but a hung one does.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kiosk_content::control::{self, ControlRequest, ControlResponse, SyncStatus};
use serde::Deserialize;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use tracing::{error, info, warn};

use crate::http::{CancelToken, SlowRetrieval};
use crate::pull::{
    DataDir, PullOptions, PullResult, Source, SyncError, UpdateLock, install_root, pull_with,
};
use crate::state::{SyncState, SystemClock};
use crate::store::StoreApplier;

/// How long one job may run before the watchdog stops vouching for the
/// worker (systemd then restarts the service; partial downloads survive).
/// Generous: applying 100,000 documents takes minutes on a Pi.
pub const MAX_JOB: Duration = Duration::from_secs(3600);

/// The idle worker wakes at least this often (its heartbeat).
const IDLE_TICK: Duration = Duration::from_secs(1);

/// An idle worker whose heartbeat is older than this is considered stuck.
const STALE_HEARTBEAT: Duration = Duration::from_secs(30);

/// Longest poll interval or backoff a config may ask for (30 days).
pub const MAX_INTERVAL_SECS: u64 = 30 * 24 * 3600;

/// Mode of the control socket: the owner (kiosk-sync) and its group (the
/// app) may connect.
pub const CONTROL_SOCKET_MODE: u32 = 0o660;

/// Control connections served at the same time.
pub const MAX_CLIENTS: usize = 8;

/// How long a `revert` waits for a running update before giving up
/// (nothing is changed then).
const REVERT_WAIT: Duration = Duration::from_secs(20);

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
    /// Slow-retrieval bound: the slowest average rate a download may have
    /// (bytes per second) ...
    #[serde(default = "default_min_rate")]
    pub min_download_rate: u64,
    /// ... after this many seconds of grace (connecting, first byte).
    #[serde(default = "default_grace")]
    pub download_grace_secs: u64,
    /// The longest one update may spend downloading; it then stops and the
    /// next attempt resumes.
    #[serde(default = "default_pull_deadline")]
    pub pull_deadline_secs: u64,
    /// Where to serve the kiosk's figures for Prometheus (`GET /metrics`),
    /// e.g. "10.8.0.5:9464" (the kiosk's district VPN address). Empty: off.
    #[serde(default)]
    pub metrics_listen: String,
    /// The file this was read from (for error messages).
    #[serde(skip)]
    pub config_path: PathBuf,
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
fn default_min_rate() -> u64 {
    SlowRetrieval::default().min_rate
}
fn default_grace() -> u64 {
    SlowRetrieval::default().grace.as_secs()
}
fn default_pull_deadline() -> u64 {
    crate::pull::DEFAULT_PULL_DEADLINE.as_secs()
}

impl DaemonConfig {
    /// Read and check the config file. Every error names the file and the
    /// key. (Whether the root file can be trusted is checked by [`run`],
    /// which needs the data directory.)
    pub fn load(path: &Path) -> Result<DaemonConfig, DaemonError> {
        let err = |message: String| DaemonError::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| DaemonError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg: DaemonConfig = toml::from_str(&text).map_err(|e| {
            err(format!(
                "{}\n(the keys are described in ARCHITECTURE.md, \"Daemon config\")",
                e.to_string().trim_end()
            ))
        })?;
        cfg.config_path = path.to_path_buf();
        if cfg.poll_interval_secs == 0 {
            return Err(err(
                "poll_interval_secs = 0: must be at least 1 (seconds between checks)".into(),
            ));
        }
        for (key, value, what) in [
            (
                "min_download_rate",
                cfg.min_download_rate,
                "bytes per second a download must average",
            ),
            (
                "download_grace_secs",
                cfg.download_grace_secs,
                "seconds allowed for connecting",
            ),
            (
                "pull_deadline_secs",
                cfg.pull_deadline_secs,
                "seconds one update may download",
            ),
        ] {
            if value == 0 {
                return Err(err(format!("{key} = 0: must be at least 1 ({what})")));
            }
        }
        if cfg.pull_deadline_secs >= MAX_JOB.as_secs() {
            return Err(err(format!(
                "pull_deadline_secs = {}: must be below {} (the watchdog's limit for one job)",
                cfg.pull_deadline_secs,
                MAX_JOB.as_secs()
            )));
        }
        if cfg.min_backoff_secs == 0 {
            return Err(err(
                "min_backoff_secs = 0: must be at least 1 (seconds before the first retry)".into(),
            ));
        }
        for (key, value) in [
            ("poll_interval_secs", cfg.poll_interval_secs),
            ("min_backoff_secs", cfg.min_backoff_secs),
            ("max_backoff_secs", cfg.max_backoff_secs),
        ] {
            if value > MAX_INTERVAL_SECS {
                return Err(err(format!(
                    "{key} = {value}: at most {MAX_INTERVAL_SECS} (30 days); a kiosk should hear from its repository more often"
                )));
            }
        }
        if cfg.max_backoff_secs < cfg.min_backoff_secs {
            return Err(err(format!(
                "max_backoff_secs = {} is below min_backoff_secs = {}; it must be at least as long",
                cfg.max_backoff_secs, cfg.min_backoff_secs
            )));
        }
        if !cfg.repo_url.is_empty() {
            check_repo_url(&cfg.repo_url)
                .map_err(|m| err(format!("repo_url = \"{}\": {m}", cfg.repo_url)))?;
        }
        if cfg.data_dir.as_os_str().is_empty() {
            return Err(err(
                "data_dir is empty; give a directory such as /var/lib/kiosk".into(),
            ));
        }
        if !cfg.metrics_listen.is_empty()
            && cfg.metrics_listen.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(err(format!(
                "metrics_listen = \"{}\": not an address and port; write e.g. \"10.8.0.5:9464\" (the kiosk's VPN address), or \"\" for off",
                cfg.metrics_listen
            )));
        }
        Ok(cfg)
    }

    fn config_error(&self, message: String) -> DaemonError {
        DaemonError::Config {
            path: self.config_path.clone(),
            message,
        }
    }

    fn repo(&self) -> Option<&str> {
        (!self.repo_url.is_empty()).then_some(self.repo_url.as_str())
    }

    /// The bounds of one pull, stopped through `cancel`.
    pub fn pull_options(&self, cancel: &CancelToken) -> PullOptions {
        PullOptions {
            slow: SlowRetrieval {
                min_rate: self.min_download_rate,
                grace: Duration::from_secs(self.download_grace_secs),
            },
            deadline: Duration::from_secs(self.pull_deadline_secs),
            cancel: cancel.clone(),
        }
    }
}

fn check_repo_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        format!("not a URL ({e}); write it in full, e.g. \"https://zwgk.shifanxian.example/kiosk-repo/\", or \"\" for USB only")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(
            "must be an http:// or https:// URL with a host (a USB stick is imported, not configured)"
                .into(),
        );
    }
    Ok(())
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

/// [`next_delay`], but never sooner than a server's `Retry-After` (429,
/// 503), which is itself capped at `max_backoff_secs`.
pub fn delay_after(
    cfg: &DaemonConfig,
    failures: u32,
    retry_after: Option<u64>,
    jitter: f64,
) -> Duration {
    let d = next_delay(cfg, failures, jitter);
    match retry_after {
        Some(s) => d.max(Duration::from_secs(s.min(cfg.max_backoff_secs))),
        None => d,
    }
}

/// The previous generation (kept for revert), from the store's
/// `content/current.json` (layout in ARCHITECTURE.md, "Store layout").
fn previous_generation(data_dir: &Path) -> Option<u64> {
    let bytes = std::fs::read(data_dir.join("content").join("current.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("previous")?.get("generation")?.as_u64()
}

/// Status as the app's staff panel shows it.
pub fn collect_status(data_dir: &Path, repo_url: Option<&str>, busy: bool) -> SyncStatus {
    let st = SyncState::load(data_dir);
    let clock_problem = clock_problem(&st, Utc::now());
    let mut s = SyncStatus {
        last_attempt: st.last_attempt,
        last_success: st.last_success,
        last_error: st.last_error,
        next_attempt: st.next_attempt,
        busy,
        repository_url: repo_url
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or(st.last_channel),
        disk_free_bytes: disk_free_bytes(data_dir),
        last_import: st.last_import,
        set_aside: st.set_aside.clone(),
        disk_needed_bytes: st.disk_needed_bytes,
        clock_problem,
        ..SyncStatus::default()
    };
    if let Ok(reader) = kiosk_content::ContentReader::open(data_dir) {
        let g = reader.generation();
        s.generation = Some(g.generation);
        s.bundle_version = Some(g.bundle_version);
        s.content_published_at = g.published_at;
        s.content_applied_at = Some(g.applied_at);
        s.previous_generation = previous_generation(data_dir);
    }
    s
}

/// Whether the kiosk's clock is visibly wrong, in words for staff: behind
/// a signed time this kiosk has already accepted (or its build date), or
/// more than a year past the newest signed time while updates fail for
/// expiry (every signature would look expired).
pub fn clock_problem(st: &SyncState, now: DateTime<Utc>) -> Option<String> {
    let floor = [st.trusted_time_floor, Some(crate::state::build_time())]
        .into_iter()
        .flatten()
        .max()?;
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    if now + chrono::Duration::hours(1) < floor {
        return Some(format!(
            "the kiosk's clock says {}, but it has already seen content signed on {}: the clock is behind; set it (or check its time sync). Content stays on screen; updates judge expiry by the later date",
            day(now),
            day(floor)
        ));
    }
    let expiry_failure = st
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("expired at"));
    if expiry_failure
        && let Some(seen) = st.trusted_time_floor
        && now > seen + chrono::Duration::days(366)
    {
        return Some(format!(
            "the kiosk's clock says {}, more than a year after the newest content it has seen ({}), and updates fail as expired: the clock is probably ahead; set it (or check its time sync). Content stays on screen",
            day(now),
            day(seen)
        ));
    }
    None
}

/// Bytes free for an unprivileged writer on the file system holding
/// `dir` (`None` if it cannot be asked, e.g. `dir` does not exist).
pub fn disk_free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
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

/// Half of `$WATCHDOG_USEC` (as `sd_watchdog_enabled` reads it: only if
/// `$WATCHDOG_PID` is unset or names this process).
fn watchdog_interval() -> Option<Duration> {
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.trim().parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    if usec == 0 {
        return None;
    }
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(100)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Sync,
    Import,
    Revert,
}

enum Job {
    Sync,
    Import(PathBuf),
    Revert {
        reply: mpsc::Sender<ControlResponse>,
        /// Not started after this: the requester has given up.
        deadline: Instant,
    },
}

impl Job {
    fn kind(&self) -> JobKind {
        match self {
            Job::Sync => JobKind::Sync,
            Job::Import(_) => JobKind::Import,
            Job::Revert { .. } => JobKind::Revert,
        }
    }
}

/// What the threads share: the job queue and what the worker is doing.
struct Shared {
    cfg: DaemonConfig,
    queue: mpsc::Sender<Job>,
    work: Mutex<Work>,
    clients: AtomicUsize,
    /// Stops the running network pull when a USB import is queued.
    cancel: CancelToken,
}

struct Work {
    running: Option<(JobKind, Instant)>,
    queued: usize,
    sync_queued: bool,
    /// Imports waiting: a network pull gives way to them.
    imports_queued: usize,
    heartbeat: Instant,
}

impl Shared {
    /// Idle: nothing running or queued, no clients, heartbeat now.
    fn new(cfg: DaemonConfig, queue: mpsc::Sender<Job>) -> Shared {
        Shared {
            cfg,
            queue,
            work: Mutex::new(Work {
                running: None,
                queued: 0,
                sync_queued: false,
                imports_queued: 0,
                heartbeat: Instant::now(),
            }),
            clients: AtomicUsize::new(0),
            cancel: CancelToken::new(),
        }
    }

    fn work(&self) -> std::sync::MutexGuard<'_, Work> {
        self.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Running or queued work.
    fn busy(&self) -> bool {
        let w = self.work();
        w.running.is_some() || w.queued > 0
    }

    fn status(&self) -> SyncStatus {
        collect_status(&self.cfg.data_dir, self.cfg.repo(), self.busy())
    }

    /// Queue a job for the worker. A sync while another is still queued is
    /// merged with it (returns false).
    fn enqueue(&self, job: Job) -> Result<bool, &'static str> {
        let mut w = self.work();
        let is_sync = job.kind() == JobKind::Sync;
        let job_is_import = job.kind() == JobKind::Import;
        if is_sync && w.sync_queued {
            return Ok(false);
        }
        self.queue
            .send(job)
            .map_err(|_| "the sync service is shutting down")?;
        w.queued += 1;
        w.sync_queued |= is_sync;
        if job_is_import {
            // A USB import never waits behind a network download: the pull
            // stops at its next check (partial downloads kept) and runs
            // again after the import.
            w.imports_queued += 1;
            if matches!(w.running, Some((JobKind::Sync, _))) {
                info!("a USB import is waiting: pausing the network update");
                self.cancel.cancel();
            }
        }
        Ok(true)
    }

    /// At the start of a network pull: not cancelled, unless an import
    /// already waits.
    fn arm_cancel(&self) -> CancelToken {
        let w = self.work();
        self.cancel.reset();
        if w.imports_queued > 0 {
            self.cancel.cancel();
        }
        self.cancel.clone()
    }

    fn beat(&self) {
        self.work().heartbeat = Instant::now();
    }

    fn start(&self, kind: JobKind, queued: bool) {
        let mut w = self.work();
        if queued {
            w.queued = w.queued.saturating_sub(1);
            if kind == JobKind::Sync {
                w.sync_queued = false;
            }
            if kind == JobKind::Import {
                w.imports_queued = w.imports_queued.saturating_sub(1);
            }
        }
        w.running = Some((kind, Instant::now()));
    }

    fn finish(&self) {
        let mut w = self.work();
        w.running = None;
        w.heartbeat = Instant::now();
    }

    /// Why the worker is not healthy, if it is not.
    fn unhealthy(&self) -> Option<String> {
        let w = self.work();
        match w.running {
            Some((kind, since)) if since.elapsed() > MAX_JOB => Some(format!(
                "{kind:?} job running for {} s (limit {} s)",
                since.elapsed().as_secs(),
                MAX_JOB.as_secs()
            )),
            Some(_) => None,
            None if w.heartbeat.elapsed() > STALE_HEARTBEAT => Some(format!(
                "worker idle but silent for {} s",
                w.heartbeat.elapsed().as_secs()
            )),
            None => None,
        }
    }
}

/// Checks done before anything is bound: the data directory, the trusted
/// root, and that no other daemon answers on the control socket.
fn prepare(cfg: &DaemonConfig) -> Result<(), DaemonError> {
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
        cfg.config_error(format!(
            "data_dir = \"{}\": cannot create it: {e}",
            cfg.data_dir.display()
        ))
    })?;
    let data = DataDir::new(&cfg.data_dir);
    let trusted = data.tuf().join("root.json");
    match (&cfg.root, trusted.exists()) {
        (Some(root), true) if !root.exists() => warn!(
            "root = \"{}\" does not exist; using the root already trusted in {}",
            root.display(),
            trusted.display()
        ),
        (_, true) => {}
        (None, false) => {
            return Err(cfg.config_error(format!(
                "root is not set and no root is trusted yet ({} does not exist); set root = \"/etc/kiosk-sync/root.json\" to the district's root.json (from the content officer, never from a mirror)",
                trusted.display()
            )));
        }
        (Some(root), false) => {
            install_root(&data, Some(root)).map_err(|e| {
                let why = match e {
                    SyncError::Io { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                cfg.config_error(format!(
                    "root = \"{}\": {why}; this kiosk trusts no root yet and cannot verify any update — put the district's root.json there (from the content officer) or fix the path",
                    root.display()
                ))
            })?;
        }
    }
    if UnixStream::connect(&cfg.control_socket).is_ok() {
        return Err(cfg.config_error(format!(
            "control_socket = \"{}\": another kiosk-sync daemon is already answering there; stop it first (systemctl stop kiosk-sync)",
            cfg.control_socket.display()
        )));
    }
    Ok(())
}

fn bind_control(cfg: &DaemonConfig) -> Result<UnixListener, DaemonError> {
    if let Some(parent) = cfg.control_socket.parent()
        && !parent.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    // A socket file left by a daemon that was killed.
    let _ = std::fs::remove_file(&cfg.control_socket);
    let listener = UnixListener::bind(&cfg.control_socket).map_err(|e| {
        cfg.config_error(format!(
            "control_socket = \"{}\": cannot listen there: {e}",
            cfg.control_socket.display()
        ))
    })?;
    // Connecting needs write permission: the app runs in the daemon's group
    // ("kiosk"), so owner and group may, others not — whatever the umask.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        &cfg.control_socket,
        std::fs::Permissions::from_mode(CONTROL_SOCKET_MODE),
    )
    .map_err(|e| {
        cfg.config_error(format!(
            "control_socket = \"{}\": cannot set its mode to {CONTROL_SOCKET_MODE:o}: {e}",
            cfg.control_socket.display()
        ))
    })?;
    Ok(listener)
}

/// Run until killed (systemd stops it with SIGTERM; every store write is
/// atomic, so stopping at any moment is safe).
pub fn run(cfg: DaemonConfig) -> Result<(), DaemonError> {
    prepare(&cfg)?;
    let listener = bind_control(&cfg)?;
    // The figures for Prometheus, if configured (off by default).
    let _metrics = if cfg.metrics_listen.is_empty() {
        None
    } else {
        let server = crate::metrics::MetricsServer::start(
            &cfg.metrics_listen,
            cfg.data_dir.clone(),
            cfg.repo().map(str::to_string),
        )
        .map_err(|e| {
            cfg.config_error(format!(
                "metrics_listen = \"{}\": cannot listen there ({e}); use an address this kiosk has, a free port, or \"\" for off",
                cfg.metrics_listen
            ))
        })?;
        info!("Prometheus figures at http://{}/metrics", server.addr());
        Some(server)
    };
    let (tx, rx) = mpsc::channel::<Job>();
    let shared = Arc::new(Shared::new(cfg.clone(), tx));
    let control = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("control".into())
            .spawn(move || control_loop(listener, shared))
            .map_err(|source| DaemonError::Io {
                path: cfg.control_socket.clone(),
                source,
            })?
    };
    // Nothing is scheduled without a repository; with one, check at once.
    // (If a `kiosk-sync import` holds the update lock, leave the state to
    // it: start-up must not wait for an import.)
    if let Ok(Some(lock)) = UpdateLock::try_acquire(&cfg.data_dir) {
        write_next_attempt(&lock, cfg.repo().map(|_| Utc::now()));
    }
    sd_notify(&format!("READY=1\nSTATUS={}", startup_status(&cfg)));
    info!(
        "kiosk-sync daemon ready; control socket {}; repository {}",
        cfg.control_socket.display(),
        cfg.repo().unwrap_or("none (USB import only)")
    );
    if let Some(interval) = watchdog_interval() {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || watchdog_loop(&shared, interval, &control))
            .map_err(|source| DaemonError::Io {
                path: cfg.control_socket.clone(),
                source,
            })?;
    }
    worker_loop(&shared, rx);
    Ok(())
}

fn watchdog_loop(shared: &Shared, interval: Duration, control: &std::thread::JoinHandle<()>) {
    let mut complained = false;
    loop {
        let problem = if control.is_finished() {
            Some("the control socket thread stopped".to_string())
        } else {
            shared.unhealthy()
        };
        match problem {
            None => {
                sd_notify("WATCHDOG=1");
                complained = false;
            }
            Some(why) if !complained => {
                error!("not pinging the watchdog: {why}; systemd will restart the service");
                sd_notify(&format!("STATUS=stuck: {why}; waiting for the watchdog"));
                complained = true;
            }
            Some(_) => {}
        }
        std::thread::sleep(interval);
    }
}

fn worker_loop(shared: &Shared, rx: mpsc::Receiver<Job>) {
    let cfg = &shared.cfg;
    // Scheduling uses the monotonic clock: a wall clock that jumps (a kiosk
    // without RTC setting its time from the network) neither stops polling
    // nor makes it hammer the server. `next_attempt` in the state is the
    // wall-clock equivalent, for display.
    let mut due: Option<Instant> = cfg.repo().map(|_| Instant::now());
    let mut http_failures: u32 = 0;
    loop {
        shared.beat();
        let now = Instant::now();
        let wait = due.map_or(IDLE_TICK, |d| {
            d.saturating_duration_since(now).min(IDLE_TICK)
        });
        let (job, queued) = match rx.recv_timeout(wait) {
            Ok(job) => (job, true),
            Err(mpsc::RecvTimeoutError::Timeout) => match due {
                Some(d) if Instant::now() >= d => (Job::Sync, false),
                _ => continue,
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        shared.start(job.kind(), queued);
        match job {
            Job::Sync => {
                let Some(url) = cfg.repo() else {
                    shared.finish();
                    continue;
                };
                sd_notify(&format!("STATUS=checking {url} for new content"));
                let cancel = shared.arm_cancel();
                let outcome = pull_once(cfg, &Source::Http(url.to_string()), &cancel);
                if let Err(f) = &outcome
                    && f.cancelled
                {
                    // Paused for a USB import (queued): run it, then resume
                    // at once; not a failure.
                    due = Some(Instant::now());
                    record_next_attempt(&cfg.data_dir, Some(Utc::now()));
                    sd_notify("STATUS=network update paused for a USB import");
                    shared.finish();
                    continue;
                }
                http_failures = if outcome.is_ok() {
                    0
                } else {
                    http_failures.saturating_add(1)
                };
                let retry_after = outcome.as_ref().err().and_then(|f| f.retry_after);
                let delay = delay_after(cfg, http_failures, retry_after, rand::random::<f64>());
                due = Instant::now().checked_add(delay);
                let next = Utc::now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                record_next_attempt(&cfg.data_dir, Some(next));
                sd_notify(&format!(
                    "STATUS={}",
                    outcome_status(cfg, &outcome, http_failures, Some(next))
                ));
            }
            Job::Import(path) => {
                sd_notify(&format!("STATUS=importing from {}", path.display()));
                // `pull` records the outcome (`last_error`, `last_import`).
                let outcome = pull_once(cfg, &Source::Dir(path.clone()), &CancelToken::new());
                // This kiosk's report onto the stick (issue 16).
                crate::report::after_import(&cfg.data_dir, &path);
                let next = SyncState::load(&cfg.data_dir).next_attempt;
                sd_notify(&format!(
                    "STATUS={}",
                    outcome_status(cfg, &outcome, http_failures, next)
                ));
            }
            Job::Revert { reply, deadline } => {
                let resp = if Instant::now() > deadline {
                    ControlResponse::error(
                        "not reverted: an update was running for too long; nothing was changed, try again",
                    )
                } else {
                    revert(shared)
                };
                let _ = reply.send(resp);
                let next = SyncState::load(&cfg.data_dir).next_attempt;
                sd_notify(&format!("STATUS={}", content_status(cfg, next)));
            }
        }
        shared.finish();
    }
}

fn revert(shared: &Shared) -> ControlResponse {
    let cfg = &shared.cfg;
    // Not in the middle of a `kiosk-sync import` by another process.
    let _lock = match UpdateLock::acquire(&cfg.data_dir) {
        Ok(l) => l,
        Err(e) => return ControlResponse::error(format!("not reverted: {e}")),
    };
    match StoreApplier::new(&cfg.data_dir).revert() {
        Ok(rec) => {
            info!(
                "staff revert: generation {} (bundle {}) is current again",
                rec.generation, rec.bundle_version
            );
            ControlResponse::ok(
                format!(
                    "reverted to generation {} (bundle {}); it stays until a newer bundle is published",
                    rec.generation, rec.bundle_version
                ),
                Some(collect_status(
                    &cfg.data_dir,
                    cfg.repo(),
                    shared.work().queued > 0,
                )),
            )
        }
        Err(e) => ControlResponse::error(format!("not reverted: {e}")),
    }
}

/// What `pull` does not record itself: the next scheduled attempt (`None`:
/// nothing scheduled). A load-modify-write of that one field under the
/// update lock, so whatever a `kiosk-sync import` by another process wrote
/// since the pull (its `last_import`, `last_error`) stays.
fn record_next_attempt(data_dir: &Path, next: Option<DateTime<Utc>>) {
    match UpdateLock::acquire(data_dir) {
        Ok(lock) => write_next_attempt(&lock, next),
        Err(e) => warn!("cannot record the next attempt: {e}"),
    }
}

fn write_next_attempt(lock: &UpdateLock, next: Option<DateTime<Utc>>) {
    if let Err((path, e)) = SyncState::update(lock, |st| st.next_attempt = next) {
        warn!("{}: cannot save sync state: {e}", path.display());
    }
}

/// How a pull failed, for scheduling and the systemd status.
struct PullFailure {
    /// Names the repository or stick.
    message: String,
    /// Stopped for a USB import: not a failure.
    cancelled: bool,
    /// The server's `Retry-After`.
    retry_after: Option<u64>,
}

/// One pull (`pull` records its outcome in the sync state).
fn pull_once(
    cfg: &DaemonConfig,
    source: &Source,
    cancel: &CancelToken,
) -> Result<PullResult, PullFailure> {
    let mut applier = StoreApplier::new(&cfg.data_dir);
    let channel = source.channel();
    match pull_with(
        &cfg.data_dir,
        source,
        cfg.root.as_deref(),
        &SystemClock,
        &mut applier,
        &cfg.pull_options(cancel),
    ) {
        Ok(out) => {
            match &out.result {
                PullResult::Applied {
                    generation,
                    bundle_version,
                } => info!(
                    "{channel}: applied generation {generation} (bundle {bundle_version}); {} of {} objects and shards fetched, {} bytes",
                    out.objects_fetched, out.objects_total, out.bytes_transferred
                ),
                PullResult::UpToDate { bundle_version } => {
                    info!("{channel}: up to date (bundle {bundle_version})")
                }
            }
            Ok(out.result)
        }
        Err(e) if e.is_cancelled() => Err(PullFailure {
            message: source.describe_error(&e),
            cancelled: true,
            retry_after: None,
        }),
        Err(e) => {
            let msg = source.describe_error(&e);
            error!("update failed: {msg}");
            Err(PullFailure {
                message: msg,
                cancelled: false,
                retry_after: e.retry_after(),
            })
        }
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "generation 3 (bundle 7, published 2025-03-01)", if there is content.
fn generation_text(cfg: &DaemonConfig) -> Option<String> {
    let r = kiosk_content::ContentReader::open(&cfg.data_dir).ok()?;
    let g = r.generation();
    let published = g
        .published_at
        .map(|t| format!(", published {}", t.format("%Y-%m-%d")))
        .unwrap_or_default();
    Some(format!(
        "generation {} (bundle {}{published})",
        g.generation, g.bundle_version
    ))
}

/// "showing generation 3 (...)" or "no content yet".
fn showing(cfg: &DaemonConfig) -> String {
    generation_text(cfg).map_or_else(|| "no content yet".into(), |g| format!("showing {g}"))
}

fn next_part(cfg: &DaemonConfig, next: Option<DateTime<Utc>>) -> String {
    match (cfg.repo(), next) {
        (None, _) => "USB import only (no repo_url)".into(),
        (Some(_), Some(t)) => format!("next check {}", fmt_time(t)),
        (Some(_), None) => "next check soon".into(),
    }
}

fn startup_status(cfg: &DaemonConfig) -> String {
    match cfg.repo() {
        Some(url) => format!("started; {}; checking {url} now", showing(cfg)),
        None => format!("started; {}; {}", showing(cfg), next_part(cfg, None)),
    }
}

fn content_status(cfg: &DaemonConfig, next: Option<DateTime<Utc>>) -> String {
    format!("{}; {}", showing(cfg), next_part(cfg, next))
}

fn outcome_status(
    cfg: &DaemonConfig,
    outcome: &Result<PullResult, PullFailure>,
    failures: u32,
    next: Option<DateTime<Utc>>,
) -> String {
    let next = next_part(cfg, next);
    match outcome {
        Ok(PullResult::Applied { .. }) => format!(
            "{} applied; {next}",
            generation_text(cfg).unwrap_or_else(|| "new content".into())
        ),
        Ok(PullResult::UpToDate { .. }) => format!("up to date, {}; {next}", showing(cfg)),
        Err(f) => {
            let e = &f.message;
            let mut short: String = e.chars().take(160).collect();
            if short.len() < e.len() {
                short.push('…');
            }
            let times = if failures > 1 {
                format!(" ({failures} times in a row)")
            } else {
                String::new()
            };
            let still = generation_text(cfg)
                .map_or_else(|| "no content yet".into(), |g| format!("still showing {g}"));
            format!("update failed{times}: {short}; {still}; {next}")
        }
    }
}

fn control_loop(listener: UnixListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: do not spin.
                warn!("control socket: accept: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if shared.clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            shared.clients.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = control::write_response(
                &stream,
                &ControlResponse::error("too many clients at once; try again"),
            );
            continue;
        }
        // Counted down when the client thread ends, even by a panic.
        let slot = ClientSlot(shared.clone());
        let spawned = std::thread::Builder::new()
            .name("control-client".into())
            .spawn(move || serve_client(&stream, &slot.0));
        if let Err(e) = spawned {
            warn!("control socket: cannot start a client thread: {e}");
        }
    }
}

/// One of the [`MAX_CLIENTS`] client slots, given back on drop.
struct ClientSlot(Arc<Shared>);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_client(stream: &UnixStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let resp = match (
        control::read_request(stream),
        crate::ctl::check_peer(stream),
    ) {
        // Refused after its request line is read, so the client reads the
        // answer instead of a broken pipe.
        (_, Err(why)) => {
            warn!("control socket: {why}");
            ControlResponse::error(why)
        }
        (Err(e), Ok(())) => {
            warn!("control socket: {e}");
            ControlResponse::error(e)
        }
        (Ok(req), Ok(())) => answer(req, shared),
    };
    let _ = control::write_response(stream, &resp);
}

fn answer(req: ControlRequest, shared: &Shared) -> ControlResponse {
    let cfg = &shared.cfg;
    let queued = |job: Job, started: &str, merged: &str| match shared.enqueue(job) {
        Ok(true) => ControlResponse::ok(started, Some(shared.status())),
        Ok(false) => ControlResponse::ok(merged, Some(shared.status())),
        Err(msg) => ControlResponse::error(msg),
    };
    match req {
        ControlRequest::Status => ControlResponse::ok("status", Some(shared.status())),
        ControlRequest::SyncNow => match cfg.repo() {
            None => ControlResponse::error(
                "no repository URL is configured (USB import only); import from a USB stick instead",
            ),
            Some(_) => queued(
                Job::Sync,
                "update started; follow it in status",
                "an update is already waiting to run",
            ),
        },
        ControlRequest::Import { path } => {
            let p = PathBuf::from(&path);
            if !p.is_absolute() {
                ControlResponse::error(format!(
                    "{path}: give the absolute path of the mounted stick (e.g. /media/usb/kiosk-repo)"
                ))
            } else if !p.join("metadata").is_dir() {
                ControlResponse::error(format!(
                    "{path}: no kiosk repository here (no metadata/ folder); copy the whole repository folder to the stick"
                ))
            } else {
                queued(
                    Job::Import(p),
                    &format!("import from {path} started; follow it in status"),
                    "an import is already waiting to run",
                )
            }
        }
        ControlRequest::Revert => {
            let (tx, rx) = mpsc::channel();
            let job = Job::Revert {
                reply: tx,
                deadline: Instant::now() + REVERT_WAIT,
            };
            if let Err(msg) = shared.enqueue(job) {
                return ControlResponse::error(msg);
            }
            rx.recv_timeout(REVERT_WAIT + Duration::from_secs(10))
                .unwrap_or_else(|_| {
                    ControlResponse::error(format!(
                        "not reverted: an update has been running for more than {} s; nothing was changed, try again when it has finished",
                        REVERT_WAIT.as_secs()
                    ))
                })
        }
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
            min_download_rate: default_min_rate(),
            download_grace_secs: default_grace(),
            pull_deadline_secs: default_pull_deadline(),
            metrics_listen: String::new(),
            config_path: PathBuf::from("/nonexistent.toml"),
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
        assert_eq!(next_delay(&c, u32::MAX, 1.0).as_secs(), 3600);
    }

    #[test]
    fn status_reports_the_free_space_of_the_data_dirs_file_system() {
        let dir = tempfile::tempdir().expect("tempdir");
        let free = collect_status(dir.path(), None, false)
            .disk_free_bytes
            .expect("free space of an existing directory");
        let fs = rustix::fs::statvfs(dir.path()).expect("statvfs");
        let size = fs.f_blocks.saturating_mul(fs.f_frsize);
        assert!(free > 0 && free <= size, "{free} free of {size}");
        let gone = dir.path().join("not-created-yet");
        assert_eq!(collect_status(&gone, None, false).disk_free_bytes, None);
    }

    #[test]
    fn a_clock_behind_what_was_seen_or_far_ahead_of_it_is_named() {
        let seen = crate::state::build_time() + chrono::Duration::days(30);
        let st = SyncState {
            trusted_time_floor: Some(seen),
            ..SyncState::default()
        };
        let behind = clock_problem(&st, DateTime::UNIX_EPOCH).expect("behind");
        assert!(behind.contains("1970-01-01") && behind.contains("behind"));
        assert_eq!(clock_problem(&st, seen + chrono::Duration::days(400)), None);
        let expired = SyncState {
            last_error: Some("https://x/: timestamp.json: expired at 2027-01-01".into()),
            ..st
        };
        let ahead = clock_problem(&expired, seen + chrono::Duration::days(400)).expect("ahead");
        assert!(ahead.contains("ahead"), "{ahead}");
        assert_eq!(
            clock_problem(&expired, seen + chrono::Duration::days(2)),
            None
        );
    }

    #[test]
    fn a_servers_retry_after_is_waited_for_but_capped() {
        let c = cfg();
        assert_eq!(delay_after(&c, 1, Some(600), 0.0).as_secs(), 600);
        assert_eq!(delay_after(&c, 1, Some(1), 1.0).as_secs(), 30);
        assert_eq!(delay_after(&c, 1, Some(99_999), 1.0).as_secs(), 3600);
        assert_eq!(delay_after(&c, 1, None, 1.0).as_secs(), 30);
    }

    #[test]
    fn repo_urls_are_checked() {
        assert!(check_repo_url("https://zwgk.shifanxian.example/kiosk-repo/").is_ok());
        assert!(check_repo_url("http://10.0.0.2:8080/").is_ok());
        assert!(check_repo_url("zwgk.example/kiosk-repo/").is_err());
        assert!(check_repo_url("file:///media/usb/").is_err());
        assert!(check_repo_url("ftp://x/").is_err());
    }

    fn shared() -> (Shared, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel();
        (Shared::new(cfg(), tx), rx)
    }

    #[test]
    fn a_queued_sync_is_busy_and_a_second_one_is_merged() {
        let (s, rx) = shared();
        assert!(!s.busy());
        assert_eq!(s.enqueue(Job::Sync).ok(), Some(true));
        assert!(s.busy(), "queued counts as busy");
        assert_eq!(s.enqueue(Job::Sync).ok(), Some(false));
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err(), "merged into one job");
        s.start(JobKind::Sync, true);
        assert!(s.busy());
        assert_eq!(s.enqueue(Job::Sync).ok(), Some(true), "a new one may queue");
        s.finish();
        assert!(s.busy(), "still one queued");
        s.start(JobKind::Sync, true);
        s.finish();
        assert!(!s.busy());
    }

    #[test]
    fn the_watchdog_vouches_for_a_long_job_but_not_a_hung_one() {
        let (s, _rx) = shared();
        assert_eq!(s.unhealthy(), None);
        if let Some(past) = Instant::now().checked_sub(Duration::from_secs(600)) {
            s.work().running = Some((JobKind::Sync, past));
            assert_eq!(s.unhealthy(), None, "a 10-minute apply is fine");
        }
        if let Some(past) = Instant::now().checked_sub(MAX_JOB + Duration::from_secs(1)) {
            s.work().running = Some((JobKind::Sync, past));
            assert!(s.unhealthy().is_some());
        }
        s.work().running = None;
        if let Some(past) = Instant::now().checked_sub(STALE_HEARTBEAT * 2) {
            s.work().heartbeat = past;
            assert!(s.unhealthy().is_some());
        }
    }
}
