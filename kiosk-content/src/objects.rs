//! A [`ContentSet`] as the files a bundle carries. One object per item, per
//! image and per progress shard, so that changing one policy changes one
//! object and a kiosk downloads only that.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ContentError;
use crate::model::{BundleMeta, Item};
use crate::progress::SealedProgress;
use crate::synonyms::Synonym;
use crate::{ContentSet, Disclosure};

/// One file of a bundle: a path inside the bundle and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentObject {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Bump when the object layout changes incompatibly.
pub const OBJECT_FORMAT: u32 = 1;
/// Progress records are spread over this many shards by lookup key, so a
/// changed record rewrites a sixteenth of them.
const PROGRESS_SHARDS: usize = 16;
/// The district's synonyms (`synonyms.csv`), one object.
pub(crate) const SYNONYMS_OBJECT: &str = "synonyms.json";

/// `bundle.json`: the bundle's metadata (the store reads it one object at
/// a time too, `store::delta`).
#[derive(Serialize, Deserialize)]
pub(crate) struct BundleObject {
    pub(crate) format: u32,
    pub(crate) meta: BundleMeta,
    pub(crate) progress_salt: String,
}

pub(crate) fn item_path(item: &Item) -> String {
    let id = &item.meta().id;
    match item {
        // A hall's own notices live under its delegated prefix.
        Item::Notice(n) if n.hall.is_some() => {
            format!(
                "halls/{}/notices/{id}.json",
                n.hall.as_deref().unwrap_or_default()
            )
        }
        _ => format!("items/{}/{id}.json", item.kind().slug()),
    }
}

impl ContentSet {
    /// The bundle's objects, deterministic for the same content.
    pub fn to_objects(&self) -> Vec<ContentObject> {
        let mut out =
            Vec::with_capacity(self.items.len() + self.assets.len() + PROGRESS_SHARDS + 1);
        let bundle = BundleObject {
            format: OBJECT_FORMAT,
            meta: self.meta.clone(),
            progress_salt: hex::encode(self.progress_salt),
        };
        out.push(ContentObject {
            path: "bundle.json".into(),
            bytes: to_json(&bundle),
        });
        for item in &self.items {
            out.push(ContentObject {
                path: item_path(item),
                bytes: to_json(item),
            });
        }
        for (name, bytes) in &self.assets {
            out.push(ContentObject {
                path: format!("assets/{name}"),
                bytes: bytes.clone(),
            });
        }
        let mut shards: BTreeMap<usize, Vec<&SealedProgress>> = BTreeMap::new();
        for p in &self.progress {
            let shard = usize::from_str_radix(&p.lookup[..1], 16).unwrap_or(0) % PROGRESS_SHARDS;
            shards.entry(shard).or_default().push(p);
        }
        for (shard, records) in shards {
            out.push(ContentObject {
                path: format!("progress/{shard:02x}.json"),
                bytes: to_json(&records),
            });
        }
        // Only when the district has any, so a bundle without synonyms
        // stays readable by kiosks that predate them.
        if !self.synonyms.is_empty() {
            out.push(ContentObject {
                path: SYNONYMS_OBJECT.into(),
                bytes: to_json(&self.synonyms),
            });
        }
        out
    }

    /// Rebuilds a content set from bundle objects (already verified by the
    /// sync layer). Items that are not 主动公开 are dropped again here.
    pub fn from_objects(objects: Vec<ContentObject>) -> Result<ContentSet, ContentError> {
        let mut bundle: Option<BundleObject> = None;
        let mut items = Vec::new();
        let mut assets = BTreeMap::new();
        let mut progress = Vec::new();
        let mut ids = HashSet::new();
        let mut synonyms: Vec<Synonym> = Vec::new();
        for obj in objects {
            let path = obj.path.as_str();
            if path == SYNONYMS_OBJECT {
                synonyms = from_json(path, &obj.bytes)?;
            } else if path == "bundle.json" {
                let b: BundleObject = from_json(path, &obj.bytes)?;
                if b.format != OBJECT_FORMAT {
                    return Err(ContentError::object(
                        path,
                        format!(
                            "bundle format {} is not {OBJECT_FORMAT}; update kiosk-sync on this kiosk",
                            b.format
                        ),
                    ));
                }
                bundle = Some(b);
            } else if let Some(name) = path.strip_prefix("assets/") {
                assets.insert(name.to_string(), obj.bytes);
            } else if path.starts_with("progress/") {
                let records: Vec<SealedProgress> = from_json(path, &obj.bytes)?;
                progress.extend(records);
            } else if path.starts_with("items/") || path.starts_with("halls/") {
                let item: Item = from_json(path, &obj.bytes)?;
                if item_path(&item) != path {
                    return Err(ContentError::object(
                        path,
                        format!(
                            "holds item \"{}\" of another kind or hall; the bundle is inconsistent",
                            item.meta().id
                        ),
                    ));
                }
                if !ids.insert(item.meta().id.clone()) {
                    return Err(ContentError::object(
                        path,
                        format!("duplicate item id \"{}\"", item.meta().id),
                    ));
                }
                if item.meta().disclosure == Disclosure::Proactive {
                    items.push(item);
                }
            } else {
                return Err(ContentError::object(
                    path,
                    "unknown object path; is this bundle from a newer publisher?",
                ));
            }
        }
        let bundle =
            bundle.ok_or_else(|| ContentError::object("bundle.json", "missing from the bundle"))?;
        let salt_bytes = hex::decode(&bundle.progress_salt)
            .map_err(|e| ContentError::object("bundle.json", format!("progress_salt: {e}")))?;
        let progress_salt: [u8; 16] = salt_bytes
            .try_into()
            .map_err(|_| ContentError::object("bundle.json", "progress_salt must be 16 bytes"))?;
        items.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
        progress.sort_by(|a: &SealedProgress, b| a.lookup.cmp(&b.lookup));
        Ok(ContentSet {
            meta: bundle.meta,
            items,
            assets,
            progress,
            progress_salt,
            synonyms,
        })
    }
}

fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising our own plain data types cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(
    path: &str,
    bytes: &[u8],
) -> Result<T, ContentError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ContentError::object(path, format!("not valid content JSON: {e}")))
}
