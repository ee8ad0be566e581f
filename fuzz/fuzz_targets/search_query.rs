//! A search query (any bytes, decoded as the app decodes text) against the
//! demo store: results or nothing. An error would put the content-error
//! line on the kiosk's screen, so it is a finding, like a panic.
#![no_main]

use std::sync::OnceLock;

use kiosk_content::ContentReader;
use libfuzzer_sys::fuzz_target;

struct Demo {
    _dir: tempfile::TempDir,
    reader: std::sync::Mutex<ContentReader>,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let reader = kiosk_content::demo::open_demo(dir.path()).expect("demo store");
        Demo {
            _dir: dir,
            reader: std::sync::Mutex::new(reader),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let reader = demo().reader.lock().expect("lock");
    if let Err(e) = reader.search(&query, 5) {
        panic!("search {query:?}: {e}");
    }
    if let Err(e) = reader.candidates(&query, 8) {
        panic!("candidates {query:?}: {e}");
    }
});
