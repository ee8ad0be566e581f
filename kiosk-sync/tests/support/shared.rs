//! The part of the sync test support that kiosk-tests shares: its
//! `tests/src/sync_support.rs` includes this file by `#[path]`, so it may use
//! only std and kiosk-sync's library (no `CARGO_BIN_EXE_kiosk-sync`, no
//! dev-dependencies kiosk-tests lacks).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use kiosk_sync::keydir::KeyDir;
use kiosk_sync::serve::{self, Faults, Shutdown};

/// District keys in `dir`: `root_keys` root keys of which `root_threshold`
/// must sign, and one key each for targets, snapshot and timestamp.
pub fn district_keys(dir: &Path, root_keys: usize, root_threshold: u64) -> KeyDir {
    KeyDir::generate(
        dir,
        &[
            ("root".into(), root_keys, root_threshold),
            ("targets".into(), 1, 1),
            ("snapshot".into(), 1, 1),
            ("timestamp".into(), 1, 1),
        ],
    )
    .expect("keygen")
}

/// `kiosk-sync serve`'s server on 127.0.0.1; stopped on drop.
pub struct Server {
    pub addr: SocketAddr,
    pub faults: Arc<Faults>,
    shutdown: Shutdown,
    handle: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// On a free port.
    pub fn start(repo: &Path) -> Server {
        Self::start_at(repo, "127.0.0.1:0")
    }

    /// On `addr`, which must be a loopback address.
    pub fn start_at(repo: &Path, addr: &str) -> Server {
        let faults = Arc::new(Faults::default());
        let (addr, shutdown, handle) =
            serve::spawn(addr, repo, faults.clone()).expect("bind 127.0.0.1");
        assert!(addr.ip().is_loopback());
        Server {
            addr,
            faults,
            shutdown,
            handle: Some(handle),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir").flatten() {
        let (p, d) = (e.path(), dst.join(e.file_name()));
        if p.is_dir() {
            copy_dir(&p, &d);
        } else {
            std::fs::copy(&p, &d).expect("copy");
        }
    }
}
