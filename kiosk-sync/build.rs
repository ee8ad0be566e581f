//! Stamps the build date into the binary as `KIOSK_SYNC_BUILD_EPOCH`
//! (seconds since 1970). A kiosk without a real-time clock may boot in
//! 1970; the build date is a floor for its expiry checks from the very
//! first boot (see `state::build_time`).
//!
//! Reproducible builds: with `SOURCE_DATE_EPOCH` set (as Debian and most
//! packaging tools do), that value is used, so the same source gives the
//! same binary. Without it, the time of the build; cargo re-runs this only
//! when `SOURCE_DATE_EPOCH` or this file changes, so a long-lived target
//! directory keeps an older date, which is a weaker but still safe floor.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let epoch: u64 = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => match v.trim().parse() {
            Ok(secs) => secs,
            Err(e) => {
                // Fail the build rather than stamp a wrong floor.
                eprintln!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970: {e}");
                std::process::exit(1);
            }
        },
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    println!("cargo:rustc-env=KIOSK_SYNC_BUILD_EPOCH={epoch}");
}
