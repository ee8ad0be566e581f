//! The kiosk's health and anonymous usage in the Prometheus text exposition
//! format (0.0.4): printed once by `kiosk-sync metrics --data-dir DIR` (for
//! node_exporter's textfile collector and scripts) and served by the daemon
//! on `metrics_listen` (off by default).
//!
//! Sources, all read fresh on every scrape: kiosk-sync's own state
//! ([`crate::daemon::collect_status`], `sync-state.json`), the content store,
//! `statvfs` on the data directory, and the app's report
//! (`DATA_DIR/usage/app-report.json`, [`kiosk_content::usage::AppReport`]:
//! printer, screen, uptime, restarts and the usage counters).
//!
//! Conventions: base units in names (`_seconds`, `_bytes`), counters end in
//! `_total`, timestamps are `_timestamp_seconds` gauges. Labels come only
//! from small fixed sets (page kind, item kind, printer and screen state,
//! found / not found): item views go out **per item kind**, never per item
//! (the top items are in the USB report and on the staff panel).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kiosk_content::ItemKind;
use kiosk_content::control::SyncStatus;
use kiosk_content::usage::{AppReport, PAGE_KINDS, counter};

use crate::state::SyncState;

/// The app's report is this old at most while the app runs (it writes
/// about once a minute).
pub const APP_FRESH_SECS: i64 = 180;

/// Printer states as the app reports them.
pub const PRINTER_STATES: &[&str] = &[
    "none",
    "unknown",
    "ready",
    "paper_low",
    "paper_out",
    "offline",
    "error",
];
/// Screen states as the app reports them.
pub const SCREEN_STATES: &[&str] = &["on", "dim", "off", "unknown"];

/// Everything one exposition shows.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub now: DateTime<Utc>,
    pub status: SyncStatus,
    pub consecutive_failures: u32,
    pub last_error_at: Option<DateTime<Utc>>,
    pub disk_size_bytes: Option<u64>,
    /// The app's report; `Err` says why it could not be read.
    pub app: Result<Option<AppReport>, String>,
    /// This kiosk's report key id, if one was made (see [`crate::report`]).
    pub kiosk_id: Option<String>,
}

/// Reads the kiosk's state now.
pub fn collect(data_dir: &Path, repo_url: Option<&str>) -> Snapshot {
    let st = SyncState::load(data_dir);
    Snapshot {
        now: Utc::now(),
        status: crate::daemon::collect_status(data_dir, repo_url, false),
        consecutive_failures: st.consecutive_failures,
        last_error_at: st.last_error_at,
        disk_size_bytes: rustix::fs::statvfs(data_dir)
            .ok()
            .map(|s| s.f_blocks.saturating_mul(s.f_frsize)),
        app: AppReport::load(data_dir),
        kiosk_id: crate::report::kiosk_id(data_dir),
    }
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", escape(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {}", number(value));
    }
    fn one(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
    fn time(&mut self, name: &str, help: &str, t: Option<DateTime<Utc>>) {
        if let Some(t) = t {
            self.one(name, "gauge", help, seconds(t));
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The exposition text.
pub fn render(s: &Snapshot) -> String {
    let mut o = Out(String::new());
    let version = env!("CARGO_PKG_VERSION");
    let app = s.app.as_ref().ok().and_then(|a| a.as_ref());
    o.family(
        "kiosk_info",
        "gauge",
        "Always 1; labels: the kiosk's report key id, its hall and software versions.",
    );
    o.sample(
        "kiosk_info",
        &[
            ("kiosk_id", s.kiosk_id.as_deref().unwrap_or("")),
            ("hall_id", app.map(|a| a.hall_id.as_str()).unwrap_or("")),
            ("sync_version", version),
            (
                "app_version",
                app.map(|a| a.app_version.as_str()).unwrap_or(""),
            ),
        ],
        1.0,
    );
    let st = &s.status;
    if let Some(g) = st.generation {
        o.one(
            "kiosk_content_generation",
            "gauge",
            "The content generation on screen (a new one with every applied bundle or revert).",
            g as f64,
        );
    }
    if let Some(b) = st.bundle_version {
        o.one(
            "kiosk_content_bundle_version",
            "gauge",
            "The bundle version of the content on screen.",
            b as f64,
        );
    }
    o.time(
        "kiosk_content_published_timestamp_seconds",
        "When the content on screen was published.",
        st.content_published_at,
    );
    o.time(
        "kiosk_content_applied_timestamp_seconds",
        "When the content on screen was applied on this kiosk.",
        st.content_applied_at,
    );
    o.time(
        "kiosk_sync_last_attempt_timestamp_seconds",
        "The last update attempt (network or USB).",
        st.last_attempt,
    );
    o.time(
        "kiosk_sync_last_success_timestamp_seconds",
        "The last successful update check (network or USB).",
        st.last_success,
    );
    o.time(
        "kiosk_sync_last_error_timestamp_seconds",
        "When the last update failed.",
        s.last_error_at,
    );
    let failing = st.last_error.is_some()
        && match (s.last_error_at, st.last_success) {
            (Some(e), Some(ok)) => e >= ok,
            _ => true,
        };
    o.one(
        "kiosk_sync_failing",
        "gauge",
        "1 if the last update attempt failed (the reason is in `kiosk-sync status`).",
        f64::from(u8::from(failing)),
    );
    o.one(
        "kiosk_sync_consecutive_failures",
        "gauge",
        "Network update failures in a row.",
        f64::from(s.consecutive_failures),
    );
    o.one(
        "kiosk_clock_problem",
        "gauge",
        "1 if the kiosk's clock is visibly wrong.",
        f64::from(u8::from(st.clock_problem.is_some())),
    );
    if let Some(free) = st.disk_free_bytes {
        o.one(
            "kiosk_disk_free_bytes",
            "gauge",
            "Bytes free for kiosk-sync on the data directory's file system.",
            free as f64,
        );
    }
    if let Some(size) = s.disk_size_bytes {
        o.one(
            "kiosk_disk_size_bytes",
            "gauge",
            "Size of the data directory's file system.",
            size as f64,
        );
    }

    let fresh = app.is_some_and(|a| (s.now - a.written_at).num_seconds() <= APP_FRESH_SECS);
    o.one(
        "kiosk_app_up",
        "gauge",
        "1 if the touch app wrote its report in the last 3 minutes.",
        f64::from(u8::from(fresh)),
    );
    o.one(
        "kiosk_app_report_ok",
        "gauge",
        "0 if the app's report exists but cannot be read (see the daemon's log).",
        f64::from(u8::from(s.app.is_ok())),
    );
    let Some(app) = app else {
        return o.0;
    };
    o.time(
        "kiosk_app_report_timestamp_seconds",
        "When the app last wrote its report.",
        Some(app.written_at),
    );
    o.time(
        "kiosk_app_start_time_seconds",
        "When the running app started.",
        Some(app.started_at),
    );
    o.one(
        "kiosk_app_uptime_seconds",
        "gauge",
        "How long the app has been running (0 when it is not).",
        if fresh {
            (s.now - app.started_at).num_seconds().max(0) as f64
        } else {
            0.0
        },
    );
    o.family(
        "kiosk_printer_state",
        "gauge",
        "1 for the printer's current state (none = no printer configured).",
    );
    for state in PRINTER_STATES {
        o.sample(
            "kiosk_printer_state",
            &[("state", state)],
            f64::from(u8::from(app.printer == *state)),
        );
    }
    o.family(
        "kiosk_screen_state",
        "gauge",
        "1 for the backlight's current state (unknown = no backlight control).",
    );
    for state in SCREEN_STATES {
        o.sample(
            "kiosk_screen_state",
            &[("state", state)],
            f64::from(u8::from(app.screen == *state)),
        );
    }
    o.one(
        "kiosk_screen_scheduled_on",
        "gauge",
        "1 if the opening hours say the screen should be on now.",
        f64::from(u8::from(app.screen_in_hours)),
    );

    let t = |name: &str| app.totals.get(name).copied().unwrap_or(0) as f64;
    o.one(
        "kiosk_app_restarts_total",
        "counter",
        "App starts within the same boot (a crash, a watchdog kill or a restart by hand).",
        t(counter::APP_RESTART),
    );
    o.one(
        "kiosk_visits_total",
        "counter",
        "Sessions: the attract screen was left.",
        t(counter::VISIT),
    );
    o.family(
        "kiosk_page_views_total",
        "counter",
        "Pages opened, per page kind.",
    );
    for page in PAGE_KINDS {
        o.sample(
            "kiosk_page_views_total",
            &[("page", page)],
            t(&format!("{}{page}", counter::PAGE_VIEW)),
        );
    }
    o.family(
        "kiosk_item_views_total",
        "counter",
        "Items opened, per item kind (per item: the USB report and the staff panel).",
    );
    for kind in ItemKind::ALL {
        let slug = kind.slug();
        o.sample(
            "kiosk_item_views_total",
            &[("kind", slug)],
            t(&format!("{}{slug}", counter::ITEM_VIEW)),
        );
    }
    o.one(
        "kiosk_searches_total",
        "counter",
        "Searches (the words on screen when the resident left the search page).",
        t(counter::SEARCH),
    );
    o.one(
        "kiosk_searches_no_result_total",
        "counter",
        "Searches that found no matching item.",
        t(counter::SEARCH_NO_RESULT),
    );
    o.one(
        "kiosk_slips_printed_total",
        "counter",
        "Checklist slips printed.",
        t(counter::SLIP_PRINTED),
    );
    o.one(
        "kiosk_qr_codes_shown_total",
        "counter",
        "Pages shown with a QR code for a phone.",
        t(counter::QR_SHOWN),
    );
    o.family(
        "kiosk_progress_lookups_total",
        "counter",
        "Progress lookups by outcome (never the case number or code).",
    );
    o.sample(
        "kiosk_progress_lookups_total",
        &[("result", "found")],
        t(counter::PROGRESS_FOUND),
    );
    o.sample(
        "kiosk_progress_lookups_total",
        &[("result", "not_found")],
        t(counter::PROGRESS_NOT_FOUND),
    );
    o.one(
        "kiosk_idle_resets_total",
        "counter",
        "Returns to the attract screen after no touch.",
        t(counter::IDLE_RESET),
    );
    o.one(
        "kiosk_big_text_uses_total",
        "counter",
        "Times big text was switched on.",
        t(counter::BIG_TEXT),
    );
    o.one(
        "kiosk_high_contrast_uses_total",
        "counter",
        "Times high contrast was switched on.",
        t(counter::HIGH_CONTRAST),
    );
    o.0
}

/// Sums of the app's per-day counts from `from` on (the USB report and
/// the staff panel use the same names).
pub fn sum_since(app: &AppReport, from: chrono::NaiveDate) -> BTreeMap<String, u64> {
    app.sum_days(from, chrono::NaiveDate::MAX)
}

/// The daemon's metrics endpoint: `GET /metrics` on a TCP address.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `listen` (e.g. `10.8.0.5:9464` on a district VPN, or
    /// `127.0.0.1:0` in tests) and answers on a thread of its own, one
    /// request at a time with 2 s timeouts.
    pub fn start(
        listen: &str,
        data_dir: PathBuf,
        repo_url: Option<String>,
    ) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new().name("metrics".into()).spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Err(e) = answer(stream, &data_dir, repo_url.as_deref()) {
                                tracing::debug!("metrics client: {e}");
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(e) => {
                            tracing::warn!("metrics endpoint: {e}");
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                }
            }
        })?;
        Ok(MetricsServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(mut stream: TcpStream, data_dir: &Path, repo_url: Option<&str>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(&collect(data_dir, repo_url)),
        ),
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "kiosk-sync: the kiosk's figures are at /metrics\n".to_string(),
        ),
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found; the figures are at /metrics\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET /metrics\n".to_string(),
        ),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    stream.write_all(&out)?;
    stream.flush()
}
