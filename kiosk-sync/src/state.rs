//! What the kiosk remembers between syncs (`DATA_DIR/sync-state.json`) and
//! the clock it reads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use kiosk_content::control::ImportRecord;
use serde::{Deserialize, Serialize};

use crate::pull::UpdateLock;

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
///
/// Two processes write it: the daemon and a `kiosk-sync import` (or `pull`)
/// run by hand or by the USB unit. So every write is a load-modify-write
/// while holding the data directory's [`UpdateLock`] ([`SyncState::save`]
/// and [`SyncState::update`] demand it), and nobody keeps a loaded copy
/// across a release of the lock: a writer never puts back fields another
/// process wrote meanwhile.
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
    /// How the last import from a directory ended, whoever ran it (the
    /// daemon's worker or a separate `kiosk-sync import`). Absent in state
    /// files written before it existed.
    #[serde(default)]
    pub last_import: Option<ImportRecord>,
    /// Hall items left out of the current bundle, one sentence each (a
    /// hall reused an id the district or another hall has).
    #[serde(default)]
    pub set_aside: Vec<String>,
    /// When the last update failed for a full disk: how many bytes more it
    /// needed.
    #[serde(default)]
    pub disk_needed_bytes: Option<u64>,
}

/// The sync state's file name in the data directory.
pub const STATE_FILE: &str = "sync-state.json";

impl SyncState {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(STATE_FILE)
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

    /// Write the state of the data directory `lock` holds. Load it under
    /// the same lock (see the type's documentation).
    pub fn save(&self, lock: &UpdateLock) -> Result<(), (PathBuf, std::io::Error)> {
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::tuf::write_atomic(&Self::path(lock.data_dir()), &body)
    }

    /// Load, change and save the state of the data directory `lock` holds,
    /// all under that lock.
    pub fn update(
        lock: &UpdateLock,
        change: impl FnOnce(&mut SyncState),
    ) -> Result<(), (PathBuf, std::io::Error)> {
        let mut st = SyncState::load(lock.data_dir());
        change(&mut st);
        st.save(lock)
    }

    /// The reference time for expiry checks (see [`SyncState::reference`]).
    pub fn reference_time(&self, clock: &dyn Clock) -> DateTime<Utc> {
        self.reference(clock, None).time
    }

    /// The reference time for expiry checks: the latest of the clock, the
    /// newest signed time seen ([`SyncState::trusted_time_floor`]), the
    /// trusted root's signing time (`root_signed_at`, if the root carries
    /// one) and this program's build date ([`build_time`]). The real time
    /// cannot be earlier than any of them, so a kiosk whose clock says 1970
    /// — even a brand-new one with no state — cannot be fed metadata that
    /// expired before it was built.
    pub fn reference(
        &self,
        clock: &dyn Clock,
        root_signed_at: Option<DateTime<Utc>>,
    ) -> ReferenceTime {
        ReferenceTime::latest(
            clock.now(),
            &[
                (self.trusted_time_floor, TimeSource::SignedContent),
                (root_signed_at, TimeSource::Root),
                (Some(build_time()), TimeSource::BuildDate),
            ],
        )
    }
}

/// When this program was built: `SOURCE_DATE_EPOCH` if the build set it,
/// else the build machine's clock (stamped by `build.rs`). A floor that
/// exists from the first boot, before any trusted time has been seen.
pub fn build_time() -> DateTime<Utc> {
    env!("KIOSK_SYNC_BUILD_EPOCH")
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Where the reference time for expiry checks came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The system clock (it was the latest).
    Clock,
    /// The newest `published_at` of an accepted bundle manifest.
    SignedContent,
    /// The signing time the trusted root carries.
    Root,
    /// This program's build date.
    BuildDate,
}

impl TimeSource {
    pub fn describe(self) -> &'static str {
        match self {
            TimeSource::Clock => "the system clock",
            TimeSource::SignedContent => "the newest signed publish time this kiosk has seen",
            TimeSource::Root => "the signing time of the trusted root",
            TimeSource::BuildDate => "the date this kiosk-sync was built",
        }
    }
}

/// The time expiry is judged at, with where it came from and what the
/// clock said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceTime {
    pub time: DateTime<Utc>,
    pub source: TimeSource,
    pub clock: DateTime<Utc>,
}

impl ReferenceTime {
    /// The clock, unless one of the floors is later.
    pub fn latest(
        clock: DateTime<Utc>,
        floors: &[(Option<DateTime<Utc>>, TimeSource)],
    ) -> ReferenceTime {
        let mut r = ReferenceTime {
            time: clock,
            source: TimeSource::Clock,
            clock,
        };
        for (t, source) in floors {
            if let Some(t) = *t
                && t > r.time
            {
                r.time = t;
                r.source = *source;
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    #[test]
    fn a_state_file_from_before_last_import_loads_and_keeps_its_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = r#"{"trusted_time_floor":"2025-03-01T00:00:00Z","last_attempt":null,
            "last_success":"2025-03-02T08:00:00Z","last_error":null,"last_error_at":null,
            "next_attempt":null,"last_channel":"usb:/media/usb","applied_snapshot_version":7,
            "applied_content_id":"abc","last_bytes_transferred":12,"consecutive_failures":0}"#;
        std::fs::write(SyncState::path(dir.path()), old).expect("write");
        let st = SyncState::load(dir.path());
        assert_eq!(st.applied_snapshot_version, 7, "not a fresh state: {st:?}");
        assert_eq!(st.trusted_time_floor, Some(at(2025, 3, 1)));
        assert_eq!(st.last_import, None);
    }

    #[test]
    fn update_keeps_what_another_writer_saved_before_it_took_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let record = ImportRecord {
            source: "/run/kiosk-usb/current".into(),
            finished_at: at(2025, 3, 1),
            ok: true,
            generation: Some(4),
            message: "imported".into(),
        };
        {
            // A `kiosk-sync import` in another process.
            let lock = UpdateLock::acquire(dir.path()).expect("lock");
            SyncState::update(&lock, |st| st.last_import = Some(record.clone())).expect("save");
        }
        // Then the daemon records its next attempt.
        let lock = UpdateLock::acquire(dir.path()).expect("lock");
        SyncState::update(&lock, |st| st.next_attempt = Some(at(2025, 3, 2))).expect("save");
        let st = SyncState::load(dir.path());
        assert_eq!(st.last_import, Some(record));
        assert_eq!(st.next_attempt, Some(at(2025, 3, 2)));
    }

    #[test]
    fn the_build_date_is_a_floor_from_the_first_boot() {
        assert!(build_time() > at(1971, 1, 1), "{}", build_time());
        let clock = ManualClock::new(DateTime::UNIX_EPOCH);
        let r = SyncState::default().reference(&clock, None);
        assert_eq!(r.time, build_time());
        assert_eq!(r.source, TimeSource::BuildDate);
        assert_eq!(r.clock, DateTime::UNIX_EPOCH);
        assert_eq!(SyncState::default().reference_time(&clock), build_time());
    }

    #[test]
    fn the_latest_of_clock_and_floors_wins() {
        let clock = ManualClock::new(DateTime::UNIX_EPOCH);
        let later = build_time() + chrono::Duration::days(40);
        let latest = build_time() + chrono::Duration::days(50);
        let st = SyncState {
            trusted_time_floor: Some(later),
            ..SyncState::default()
        };
        let r = st.reference(&clock, Some(latest));
        assert_eq!((r.time, r.source), (latest, TimeSource::Root));
        let r = st.reference(&clock, Some(build_time()));
        assert_eq!((r.time, r.source), (later, TimeSource::SignedContent));
        let right = latest + chrono::Duration::days(1);
        clock.set(right);
        let r = st.reference(&clock, Some(latest));
        assert_eq!((r.time, r.source), (right, TimeSource::Clock));
    }
}
