//! The bridge to the content store: `kiosk-sync` is its only writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kiosk_content::store::ApplyPlan;
use kiosk_content::store::KeepOpen;
use kiosk_content::{ContentWriter, GenerationInfo, StoreError};

use crate::manifest::ObjectRef;
use crate::pull::{AppliedGeneration, ApplyInfo, ContentApplier, SyncError};

fn store_err(e: StoreError) -> SyncError {
    SyncError::Store(e.to_string())
}

/// Applies verified objects to `DATA_DIR` through [`ContentWriter`]. The
/// writer (and its lock) is opened only for the moment it is needed.
pub struct StoreApplier {
    data_dir: PathBuf,
}

/// One idle connection to the live store for as long as this process runs
/// (the daemon), so `store.db-wal` and `-shm` stay for the app, which may
/// not create them ([`KeepOpen`]).
static KEEP_OPEN: Mutex<Option<(PathBuf, KeepOpen)>> = Mutex::new(None);

fn keep_store_open(data_dir: &Path) {
    let Ok(mut keep) = KEEP_OPEN.lock() else {
        return;
    };
    if keep.as_ref().is_some_and(|(p, _)| p == data_dir) {
        return;
    }
    match KeepOpen::open(data_dir) {
        Ok(Some(k)) => *keep = Some((data_dir.to_path_buf(), k)),
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot keep the content store open: {e}"),
    }
}

impl StoreApplier {
    pub fn new(data_dir: &Path) -> StoreApplier {
        keep_store_open(data_dir);
        StoreApplier {
            data_dir: data_dir.to_path_buf(),
        }
    }

    fn writer(&self) -> Result<ContentWriter, SyncError> {
        ContentWriter::open(&self.data_dir).map_err(store_err)
    }

    /// Staff "revert": the previous generation becomes current.
    pub fn revert(&mut self) -> Result<kiosk_content::GenerationRecord, SyncError> {
        self.writer()?.revert().map_err(store_err)
    }
}

impl ContentApplier for StoreApplier {
    fn highest_bundle_version(&mut self) -> Result<u64, SyncError> {
        self.writer()?.highest_bundle_version().map_err(store_err)
    }

    fn has_current(&mut self) -> Result<bool, SyncError> {
        Ok(self.writer()?.current().map_err(store_err)?.is_some())
    }

    fn plan(&mut self, entries: &BTreeMap<String, ObjectRef>) -> Result<ApplyPlan, SyncError> {
        let list = listing(entries);
        self.writer()?.plan(&list).map_err(store_err)
    }

    fn apply(
        &mut self,
        entries: &BTreeMap<String, ObjectRef>,
        read: &mut dyn FnMut(&str) -> Result<Vec<u8>, SyncError>,
        info: &ApplyInfo,
    ) -> Result<AppliedGeneration, SyncError> {
        let list = listing(entries);
        let mut writer = self.writer()?;
        // A failed read keeps its own error (a download cut, a bad hash,
        // a cancelled pull), not the store's wrapping of it.
        let mut failed: Option<SyncError> = None;
        let res = writer.apply_objects(
            &list,
            &mut |path| {
                read(path).map_err(|e| {
                    let message = e.to_string();
                    failed = Some(e);
                    StoreError::Source {
                        path: path.to_string(),
                        message,
                    }
                })
            },
            &GenerationInfo {
                bundle_version: info.bundle_version,
                channel: info.channel.clone(),
                published_at: info.published_at,
            },
        );
        let rec = match res {
            Ok(rec) => rec,
            Err(e) => {
                return Err(failed.unwrap_or_else(|| match e {
                    StoreError::Object(msg) => SyncError::Store(format!(
                        "the bundle's objects do not form valid content: {msg}"
                    )),
                    e => store_err(e),
                }));
            }
        };
        keep_store_open(&self.data_dir);
        Ok(AppliedGeneration {
            generation: rec.generation,
            bundle_version: rec.bundle_version,
            item_count: rec.item_count,
        })
    }
}

/// (path, sha256) of every object, sorted by path (a BTreeMap is).
fn listing(entries: &BTreeMap<String, ObjectRef>) -> Vec<(&str, &str)> {
    entries
        .iter()
        .map(|(p, r)| (p.as_str(), r.sha256.as_str()))
        .collect()
}
