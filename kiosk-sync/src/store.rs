//! The bridge to the content store: `kiosk-sync` is its only writer.

use std::path::{Path, PathBuf};

use kiosk_content::{ContentObject, ContentSet, ContentWriter, GenerationInfo, StoreError};

use crate::pull::{AppliedGeneration, ApplyInfo, ContentApplier, SyncError};

fn store_err(e: StoreError) -> SyncError {
    SyncError::Store(e.to_string())
}

/// Applies verified objects to `DATA_DIR` through [`ContentWriter`]. The
/// writer (and its lock) is opened only for the moment it is needed.
pub struct StoreApplier {
    data_dir: PathBuf,
}

impl StoreApplier {
    pub fn new(data_dir: &Path) -> StoreApplier {
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

    fn apply(
        &mut self,
        objects: Vec<(String, Vec<u8>)>,
        info: &ApplyInfo,
    ) -> Result<AppliedGeneration, SyncError> {
        let objs: Vec<ContentObject> = objects
            .into_iter()
            .map(|(path, bytes)| ContentObject { path, bytes })
            .collect();
        let set = ContentSet::from_objects(objs).map_err(|e| {
            SyncError::Store(format!(
                "the bundle's objects do not form valid content: {e}"
            ))
        })?;
        let rec = self
            .writer()?
            .apply_generation(
                &set,
                &GenerationInfo {
                    bundle_version: info.bundle_version,
                    channel: info.channel.clone(),
                    published_at: info.published_at,
                },
            )
            .map_err(store_err)?;
        Ok(AppliedGeneration {
            generation: rec.generation,
            bundle_version: rec.bundle_version,
            item_count: rec.item_count,
        })
    }
}
