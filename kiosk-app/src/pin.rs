//! The staff PIN: an argon2 hash in the config, a lockout after repeated
//! failures, and the hidden gesture that opens the PIN page. Nothing typed
//! is logged.
//!
//! The failure count and the end of a lockout are kept in a small file in
//! the app's state directory (`$STATE_DIRECTORY/pin-lockout`, systemd's
//! `StateDirectory=kiosk-app`), so restarting the app (pulling the plug)
//! does not give a brute-forcer a fresh set of tries. The file holds two
//! numbers and nothing a resident typed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinResult {
    Accepted,
    /// Wrong PIN; this many tries are left before the lockout.
    Wrong {
        tries_left: u32,
    },
    /// Locked for this long; the PIN was not even checked.
    LockedOut {
        remaining: Duration,
    },
    /// No hash configured: the panel cannot be opened.
    NotConfigured,
}

pub struct PinGate {
    hash: String,
    max_failures: u32,
    lockout: Duration,
    failures: u32,
    locked_until: Option<Instant>,
    /// Where the failures and the lockout survive a restart (None: memory
    /// only).
    state_file: Option<PathBuf>,
}

/// The lockout state file's name in the app's state directory.
pub const STATE_FILE: &str = "pin-lockout";

impl PinGate {
    pub fn new(hash: &str, max_failures: u32, lockout: Duration) -> PinGate {
        PinGate {
            hash: hash.to_string(),
            max_failures: max_failures.max(1),
            lockout,
            failures: 0,
            locked_until: None,
            state_file: None,
        }
    }

    /// A gate whose failures and lockout are kept in `file` and read back
    /// from it now. A lockout read back lasts what was left of it by the
    /// wall clock, never more than `lockout` (a clock set back cannot
    /// lengthen it, a clock set forward only shortens it). An unreadable
    /// or garbled file counts as a full lockout: failing closed is the
    /// safe side for a staff panel, and it is logged.
    pub fn with_state_file(
        hash: &str,
        max_failures: u32,
        lockout: Duration,
        file: &Path,
        now: Instant,
    ) -> PinGate {
        let mut gate = PinGate::new(hash, max_failures, lockout);
        gate.state_file = Some(file.to_path_buf());
        match std::fs::read_to_string(file) {
            Ok(text) => match parse_state(&text) {
                Some((failures, until_unix)) => {
                    gate.failures = failures.min(gate.max_failures);
                    let now_unix = unix_now();
                    if until_unix > now_unix {
                        let left = Duration::from_secs(until_unix - now_unix).min(lockout);
                        gate.locked_until = Some(now + left);
                    } else if until_unix > 0 {
                        // The lockout ended while the app was down.
                        gate.failures = 0;
                    }
                }
                None => {
                    tracing::warn!(
                        file = %file.display(),
                        "staff PIN state file unreadable; the PIN page stays locked for one lockout"
                    );
                    gate.failures = gate.max_failures;
                    gate.locked_until = Some(now + lockout);
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(
                    file = %file.display(),
                    "cannot read the staff PIN state file ({e}); the PIN page stays locked for one lockout"
                );
                gate.failures = gate.max_failures;
                gate.locked_until = Some(now + lockout);
            }
        }
        gate
    }

    /// Writes the failures and the lockout's end (Unix seconds) to the state
    /// file, atomically (temporary file, fsync, rename).
    fn save(&self, now: Instant) {
        let Some(file) = &self.state_file else {
            return;
        };
        let until = self
            .locked_for(now)
            .map_or(0, |d| unix_now() + d.as_secs().max(1));
        let text = format!("failures {}\nlocked_until {until}\n", self.failures);
        if let Err(e) = write_atomic(file, text.as_bytes()) {
            tracing::warn!(file = %file.display(), "cannot save the staff PIN lockout: {e}");
        }
    }

    pub fn is_configured(&self) -> bool {
        !self.hash.is_empty()
    }

    /// Remaining lockout at `now`, if locked.
    pub fn locked_for(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .and_then(|t| t.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    pub fn check(&mut self, pin: &str, now: Instant) -> PinResult {
        if !self.is_configured() {
            return PinResult::NotConfigured;
        }
        if let Some(remaining) = self.locked_for(now) {
            return PinResult::LockedOut { remaining };
        }
        if self.locked_until.is_some() || self.failures >= self.max_failures {
            // The lockout is over: a fresh set of tries.
            self.locked_until = None;
            self.failures = 0;
        }
        let ok = PasswordHash::new(&self.hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(pin.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        if ok {
            self.failures = 0;
            self.save(now);
            tracing::info!("staff PIN accepted");
            return PinResult::Accepted;
        }
        self.failures += 1;
        tracing::warn!(failures = self.failures, "wrong staff PIN");
        if self.failures >= self.max_failures {
            self.locked_until = Some(now + self.lockout);
            self.save(now);
            tracing::warn!(seconds = self.lockout.as_secs(), "staff PIN page locked");
            return PinResult::LockedOut {
                remaining: self.lockout,
            };
        }
        self.save(now);
        PinResult::Wrong {
            tries_left: self.max_failures - self.failures,
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `failures N` and `locked_until UNIX_SECONDS`, one a line.
fn parse_state(text: &str) -> Option<(u32, u64)> {
    let mut failures = None;
    let mut until = None;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("failures", n)) => failures = n.trim().parse().ok(),
            Some(("locked_until", n)) => until = n.trim().parse().ok(),
            _ => return None,
        }
    }
    Some((failures?, until?))
}

fn write_atomic(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// Makes the PHC hash for a PIN (for `kiosk-app hash-pin`).
pub fn hash_pin(pin: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Five taps on the header within four seconds open the PIN page.
pub struct SecretTaps {
    taps: Vec<Instant>,
}

impl SecretTaps {
    pub const TAPS: usize = 5;
    pub const WINDOW: Duration = Duration::from_secs(4);

    pub fn new() -> SecretTaps {
        SecretTaps { taps: Vec::new() }
    }

    /// Returns true when this tap completes the gesture.
    pub fn tap(&mut self, now: Instant) -> bool {
        self.taps.retain(|t| now.duration_since(*t) <= Self::WINDOW);
        self.taps.push(now);
        if self.taps.len() >= Self::TAPS {
            self.taps.clear();
            return true;
        }
        false
    }
}

impl Default for SecretTaps {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_pins_lock_even_the_right_one_out_until_the_lockout_ends() {
        let hash = hash_pin("246810").expect("hash");
        let mut gate = PinGate::new(&hash, 5, Duration::from_secs(300));
        let t0 = Instant::now();
        for left in (1..5).rev() {
            assert_eq!(
                gate.check("111111", t0),
                PinResult::Wrong { tries_left: left }
            );
        }
        assert!(matches!(
            gate.check("111111", t0),
            PinResult::LockedOut { .. }
        ));
        assert!(matches!(
            gate.check("246810", t0 + Duration::from_secs(10)),
            PinResult::LockedOut { .. }
        ));
        assert_eq!(
            gate.check("246810", t0 + Duration::from_secs(301)),
            PinResult::Accepted
        );
    }

    #[test]
    fn no_hash_means_no_panel() {
        let mut gate = PinGate::new("", 5, Duration::from_secs(1));
        assert_eq!(
            gate.check("246810", Instant::now()),
            PinResult::NotConfigured
        );
    }

    #[test]
    fn taps_must_come_quickly() {
        let mut s = SecretTaps::new();
        let t0 = Instant::now();
        for i in 0..4 {
            assert!(!s.tap(t0 + Duration::from_secs(i * 2)));
        }
        // The first taps are too old by now.
        assert!(!s.tap(t0 + Duration::from_secs(8)));
        let t1 = t0 + Duration::from_secs(100);
        for i in 0..4 {
            assert!(!s.tap(t1 + Duration::from_millis(i * 300)));
        }
        assert!(s.tap(t1 + Duration::from_millis(1500)));
    }
}
