//! Staff access (issue 17): the PIN page's brute-force lockout survives a
//! restart of the app. The gate keeps its failure count and the lockout's
//! end in the app's state directory (`$STATE_DIRECTORY/pin-lockout`); a
//! new gate on the same file (the app started again) reads them back.

use std::time::{Duration, Instant};

use kiosk_app::pin::{PinGate, PinResult, STATE_FILE, hash_pin};

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[test]
fn the_lockout_and_the_failure_count_survive_a_restart() {
    let hash = hash_pin("246810").expect("hash");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(STATE_FILE);
    let lockout = Duration::from_secs(300);
    let t0 = Instant::now();

    // Three wrong tries, then the app restarts: two are left, not five.
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, t0);
    for _ in 0..3 {
        assert!(matches!(gate.check("111111", t0), PinResult::Wrong { .. }));
    }
    drop(gate);
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, t0);
    assert_eq!(gate.check("222222", t0), PinResult::Wrong { tries_left: 1 });
    assert!(matches!(
        gate.check("333333", t0),
        PinResult::LockedOut { .. }
    ));

    // Locked; restarted: still locked, even for the right PIN, and the
    // saved file holds no PIN, right or wrong.
    drop(gate);
    let text = std::fs::read_to_string(&file).expect("state file");
    for typed in ["111111", "222222", "333333", "246810"] {
        assert!(!text.contains(typed), "{text}");
    }
    let t1 = Instant::now();
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, t1);
    let left = gate.locked_for(t1).expect("locked after the restart");
    assert!(
        left <= lockout && left > Duration::from_secs(290),
        "{left:?}"
    );
    assert!(matches!(
        gate.check("246810", t1),
        PinResult::LockedOut { .. }
    ));
    // Once the lockout is over: the right PIN opens, and a restart after
    // that starts clean.
    assert_eq!(
        gate.check("246810", t1 + Duration::from_secs(301)),
        PinResult::Accepted
    );
    drop(gate);
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, Instant::now());
    assert_eq!(gate.locked_for(Instant::now()), None);
    assert_eq!(
        gate.check("111111", Instant::now()),
        PinResult::Wrong { tries_left: 4 }
    );
}

#[test]
fn a_lockout_saved_long_ago_or_far_ahead_is_never_longer_than_one_lockout() {
    let hash = hash_pin("246810").expect("hash");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(STATE_FILE);
    let lockout = Duration::from_secs(300);
    let now = Instant::now();
    // Ended while the app was down: a fresh set of tries.
    std::fs::write(&file, "failures 5\nlocked_until 1000\n").expect("write");
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, now);
    assert_eq!(gate.locked_for(now), None);
    assert_eq!(
        gate.check("111111", now),
        PinResult::Wrong { tries_left: 4 }
    );
    // Saved with a clock far ahead (then set back): capped at one lockout.
    let far = unix_now() + 10 * 365 * 86_400;
    std::fs::write(&file, format!("failures 5\nlocked_until {far}\n")).expect("write");
    let gate = PinGate::with_state_file(&hash, 5, lockout, &file, now);
    assert_eq!(gate.locked_for(now), Some(lockout));
    // Garbled: locked for one lockout (fail closed), then usable.
    std::fs::write(&file, "x").expect("write");
    let mut gate = PinGate::with_state_file(&hash, 5, lockout, &file, now);
    assert_eq!(gate.locked_for(now), Some(lockout));
    assert_eq!(
        gate.check("246810", now + lockout + Duration::from_secs(1)),
        PinResult::Accepted
    );
}
