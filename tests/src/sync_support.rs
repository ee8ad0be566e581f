//! Helpers for the sync end-to-end tests and benchmark: a key directory, a
//! repository served by `kiosk-sync`'s own server on 127.0.0.1:0, and a
//! kiosk data directory with a real SQLite store.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kiosk_content::{ContentReader, GenerationRecord, SourceTree};
use kiosk_sync::keydir::KeyDir;
use kiosk_sync::publish::{self, BundleObject, PublishOptions, PublishReport};
use kiosk_sync::pull::{PullOutcome, Source, SyncError};
use kiosk_sync::serve::{self, Faults, Shutdown};
use kiosk_sync::state::{Clock, ManualClock};
use kiosk_sync::store::StoreApplier;

/// A running repository server; stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub faults: Arc<Faults>,
    shutdown: Shutdown,
    handle: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn start(repo: &Path) -> TestServer {
        let faults = Arc::new(Faults::default());
        let (addr, shutdown, handle) =
            serve::spawn("127.0.0.1:0", repo, faults.clone()).expect("bind 127.0.0.1:0");
        TestServer {
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

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// District keys, a repository, a server and one kiosk.
pub struct SyncFixture {
    pub tmp: tempfile::TempDir,
    pub keys: KeyDir,
    pub repo: PathBuf,
    pub data: PathBuf,
    pub root_json: PathBuf,
    pub server: TestServer,
    pub clock: ManualClock,
}

pub fn objects_of(tree: &SourceTree) -> Vec<BundleObject> {
    let set =
        kiosk_content::compile(tree).unwrap_or_else(|p| panic!("source does not compile:\n{p}"));
    set.to_objects()
        .into_iter()
        .map(|o| BundleObject {
            path: o.path,
            bytes: o.bytes,
        })
        .collect()
}

impl SyncFixture {
    /// Root: 3 keys, threshold 2. Publishes nothing yet.
    pub fn new() -> SyncFixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keys = KeyDir::generate(
            &tmp.path().join("keys"),
            &[
                ("root".into(), 3, 2),
                ("targets".into(), 1, 1),
                ("snapshot".into(), 1, 1),
                ("timestamp".into(), 1, 1),
            ],
        )
        .expect("keygen");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join("metadata")).expect("mkdir repo");
        let server = TestServer::start(&repo);
        SyncFixture {
            data: tmp.path().join("kiosk"),
            root_json: repo.join("metadata").join("1.root.json"),
            keys,
            repo,
            server,
            clock: ManualClock::new(Utc::now()),
            tmp,
        }
    }

    pub fn opts(&self) -> PublishOptions {
        PublishOptions {
            now: self.clock.now(),
            ..PublishOptions::default()
        }
    }

    pub fn publish(&self, objects: &[BundleObject]) -> PublishReport {
        publish::publish(&self.repo, &self.keys, objects, &self.opts()).expect("publish")
    }

    pub fn pull(&self) -> Result<PullOutcome, SyncError> {
        self.pull_from(&Source::Http(self.server.url()))
    }

    pub fn pull_from(&self, source: &Source) -> Result<PullOutcome, SyncError> {
        kiosk_sync::pull::pull(
            &self.data,
            source,
            Some(&self.root_json),
            &self.clock,
            &mut StoreApplier::new(&self.data),
        )
    }

    /// The generation the app would show now.
    pub fn current(&self) -> Option<GenerationRecord> {
        ContentReader::open(&self.data)
            .ok()
            .map(|r| r.generation().clone())
    }

    /// Copy the repository as it is now (an old mirror, a USB stick).
    pub fn snapshot_repo(&self, name: &str) -> PathBuf {
        let dst = self.tmp.path().join(name);
        copy_dir(&self.repo, &dst);
        dst
    }

    pub fn set_time(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }
}

impl Default for SyncFixture {
    fn default() -> Self {
        Self::new()
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir").flatten() {
        let p = e.path();
        let d = dst.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &d);
        } else {
            std::fs::copy(&p, &d).expect("copy");
        }
    }
}
