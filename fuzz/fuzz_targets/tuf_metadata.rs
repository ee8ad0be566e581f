//! TUF metadata as a server or a stick could hand it over: the envelope
//! (signed + signatures), then each role's parser. Errors are fine; a panic
//! or a hang is a finding.
#![no_main]

use kiosk_sync::tuf::metadata::{
    Envelope, parse_root, parse_snapshot, parse_targets, parse_timestamp,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = Envelope::parse(data, "fuzz.json") else {
        return;
    };
    let _ = parse_root(&env.signed, "root.json");
    let _ = parse_timestamp(&env.signed, "timestamp.json");
    let _ = parse_snapshot(&env.signed, "snapshot.json");
    let _ = parse_targets(&env.signed, "targets.json");
});
