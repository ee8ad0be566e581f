//! The staff PIN: an argon2 hash in the config, a lockout after repeated
//! failures, and the hidden gesture that opens the PIN page. Nothing typed
//! is logged.

use std::time::{Duration, Instant};

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
}

impl PinGate {
    pub fn new(hash: &str, max_failures: u32, lockout: Duration) -> PinGate {
        PinGate {
            hash: hash.to_string(),
            max_failures: max_failures.max(1),
            lockout,
            failures: 0,
            locked_until: None,
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
        if self.locked_until.is_some() {
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
            tracing::info!("staff PIN accepted");
            return PinResult::Accepted;
        }
        self.failures += 1;
        tracing::warn!(failures = self.failures, "wrong staff PIN");
        if self.failures >= self.max_failures {
            self.locked_until = Some(now + self.lockout);
            tracing::warn!(seconds = self.lockout.as_secs(), "staff PIN page locked");
            return PinResult::LockedOut {
                remaining: self.lockout,
            };
        }
        PinResult::Wrong {
            tries_left: self.max_failures - self.failures,
        }
    }
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
