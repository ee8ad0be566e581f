//! The bundle manifest and its shards, as the TUF targets would deliver
//! them (hash-checked first in real use, so this is defence in depth).
#![no_main]

use kiosk_sync::manifest::BundleManifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = BundleManifest::parse(data, "bundle/manifest.json") {
        let _ = m.to_bytes();
    }
});
