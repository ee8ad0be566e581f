//! Helpers for the sync end-to-end tests and benchmark: a key directory, a
//! repository served by `kiosk-sync`'s own server on 127.0.0.1:0, and a
//! kiosk data directory with a real SQLite store.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use kiosk_content::{ContentReader, GenerationRecord, SourceTree};
use kiosk_sync::keydir::KeyDir;
use kiosk_sync::publish::{self, BundleObject, PublishOptions, PublishReport};
use kiosk_sync::pull::{PullOutcome, Source, SyncError};
use kiosk_sync::state::{Clock, ManualClock};
use kiosk_sync::store::StoreApplier;

// The server, keys and copy helpers kiosk-sync's own integration tests use;
// one copy, compiled into both crates.
#[path = "../../kiosk-sync/tests/support/shared.rs"]
mod shared;
pub use shared::{Server, copy_dir, district_keys};

/// District keys, a repository, a server and one kiosk.
pub struct SyncFixture {
    pub tmp: tempfile::TempDir,
    pub keys: KeyDir,
    pub repo: PathBuf,
    pub data: PathBuf,
    pub root_json: PathBuf,
    pub server: Server,
    pub clock: ManualClock,
}

pub fn objects_of(tree: &SourceTree) -> Vec<BundleObject> {
    let set =
        kiosk_content::compile(tree).unwrap_or_else(|p| panic!("source does not compile:\n{p}"));
    set.to_objects()
        .into_iter()
        .map(BundleObject::from)
        .collect()
}

impl SyncFixture {
    /// Root: 3 keys, threshold 2. Publishes nothing yet.
    pub fn new() -> SyncFixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keys = district_keys(&tmp.path().join("keys"), 3, 2);
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join("metadata")).expect("mkdir repo");
        let server = Server::start(&repo);
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
        self.publish_with(objects, &self.opts())
    }

    pub fn publish_with(&self, objects: &[BundleObject], opts: &PublishOptions) -> PublishReport {
        publish::publish(&self.repo, &self.keys, objects, opts).expect("publish")
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
