//! What the kiosk remembers between syncs (`DATA_DIR/sync-state.json`) and
//! the clock it reads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Injected time, so expiry and backoff tests need no sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set by hand.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(t: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(t))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = t;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|g| *g)
            .unwrap_or_else(|p| *p.into_inner())
    }
}

/// Persistent sync state. Written atomically after every attempt.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncState {
    /// The newest signed time seen (a manifest's `published_at`): expiry is
    /// judged against the later of this and the system clock, so a kiosk
    /// booting in 1970 or set back cannot be fed frozen metadata.
    pub trusted_time_floor: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub next_attempt: Option<DateTime<Utc>>,
    /// Channel of the last success (URL or `usb:/path`).
    pub last_channel: Option<String>,
    /// Snapshot version and content id of the bundle last applied.
    pub applied_snapshot_version: u64,
    pub applied_content_id: Option<String>,
    pub last_bytes_transferred: u64,
    pub consecutive_failures: u32,
}

impl SyncState {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("sync-state.json")
    }

    /// Load the state; a missing or unreadable file gives a fresh state
    /// (losing it only loses the time floor and status text).
    pub fn load(data_dir: &Path) -> SyncState {
        let path = Self::path(data_dir);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
                tracing::warn!(
                    "{}: unreadable ({e}); starting a fresh sync state",
                    path.display()
                );
                SyncState::default()
            }),
            Err(_) => SyncState::default(),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), (PathBuf, std::io::Error)> {
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::tuf::write_atomic(&Self::path(data_dir), &body)
    }

    /// The reference time for expiry checks.
    pub fn reference_time(&self, clock: &dyn Clock) -> DateTime<Utc> {
        let now = clock.now();
        match self.trusted_time_floor {
            Some(floor) if floor > now => floor,
            _ => now,
        }
    }
}
