//! The bundle manifest: which content objects make up a bundle.
//!
//! The manifest is one TUF target (`bundle/manifest.json`, or
//! `halls/<id>/manifest.json` for a hall). It does not list objects itself:
//! it lists `2^shard_bits` shard objects by sha256, and each shard lists the
//! objects whose path hashes into it (`path -> [sha256, length]`). Shards
//! and objects are content-addressed files under `objects/<sha256>`.
//!
//! Why shards: a flat list of 10,000 entries is ~1 MB and would be fetched
//! again after every edit. With ~16 entries a shard, a 1% edit re-fetches
//! the small manifest plus the few shards that changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST_FORMAT: &str = "kiosk-bundle-manifest/1";

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{what}: not a bundle manifest: {message}")]
    Invalid { what: String, message: String },
}

/// A content object as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub sha256: String,
    pub length: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleManifest {
    pub format: String,
    /// When it was published (TUF time format); a signed time the kiosk uses
    /// as a floor for its clock.
    pub published_at: String,
    pub object_count: u64,
    pub total_bytes: u64,
    pub shard_bits: u32,
    /// sha256 of each shard object, in shard order.
    pub shards: Vec<String>,
    /// No shard is longer than this (the download limit for shards).
    pub shard_max_length: u64,
    /// Halls whose own manifests (`halls/<id>/manifest.json`) belong to the
    /// bundle.
    #[serde(default)]
    pub halls: Vec<String>,
    /// Every object path starts with this (a hall's manifest).
    #[serde(default)]
    pub path_prefix: String,
}

/// One shard: object path -> (sha256, length).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Shard {
    pub objects: BTreeMap<String, (String, u64)>,
}

/// The shard a path belongs to: the leading `bits` bits of sha256(path).
pub fn shard_of(path: &str, bits: u32) -> usize {
    if bits == 0 {
        return 0;
    }
    let h = Sha256::digest(path.as_bytes());
    let first = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    (first >> (32 - bits)) as usize
}

/// About 16 entries a shard; at most 4096 shards.
pub fn choose_shard_bits(objects: usize) -> u32 {
    let mut bits = 0;
    while bits < 12 && (objects >> bits) > 24 {
        bits += 1;
    }
    bits
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Build a manifest over `objects` (path -> ref). Returns the manifest and
/// the shard objects' bytes (also content-addressed).
pub fn build(
    objects: &BTreeMap<String, ObjectRef>,
    published_at: &str,
    halls: Vec<String>,
    path_prefix: &str,
) -> (BundleManifest, Vec<Vec<u8>>) {
    let bits = choose_shard_bits(objects.len());
    let mut shards = vec![Shard::default(); 1usize << bits];
    for (path, r) in objects {
        shards[shard_of(path, bits)]
            .objects
            .insert(path.clone(), (r.sha256.clone(), r.length));
    }
    // Serialising maps of strings and integers cannot fail.
    let shard_bytes: Vec<Vec<u8>> = shards
        .iter()
        .map(|s| serde_json::to_vec(s).unwrap_or_default())
        .collect();
    let manifest = BundleManifest {
        format: MANIFEST_FORMAT.into(),
        published_at: published_at.into(),
        object_count: objects.len() as u64,
        total_bytes: objects.values().map(|r| r.length).sum(),
        shard_bits: bits,
        shards: shard_bytes.iter().map(|b| sha256_hex(b)).collect(),
        shard_max_length: shard_bytes
            .iter()
            .map(|b| b.len() as u64)
            .max()
            .unwrap_or(0),
        halls,
        path_prefix: path_prefix.into(),
    };
    (manifest, shard_bytes)
}

impl BundleManifest {
    pub fn parse(bytes: &[u8], what: &str) -> Result<BundleManifest, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            what: what.to_string(),
            message,
        };
        let m: BundleManifest =
            serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if m.format != MANIFEST_FORMAT {
            return Err(invalid(format!(
                "format \"{}\" (expected \"{MANIFEST_FORMAT}\"); update kiosk-sync",
                m.format
            )));
        }
        if m.shard_bits > 16 || m.shards.len() != 1usize << m.shard_bits {
            return Err(invalid(format!(
                "{} shards listed for shard_bits {}",
                m.shards.len(),
                m.shard_bits
            )));
        }
        if m.shards.iter().any(|s| !is_sha256_hex(s)) {
            return Err(invalid(
                "a shard hash is not 64 lowercase hex digits".into(),
            ));
        }
        Ok(m)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

impl Shard {
    /// Parse a shard and check every entry belongs to shard `index`.
    pub fn parse(
        bytes: &[u8],
        index: usize,
        bits: u32,
        what: &str,
    ) -> Result<Shard, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            what: what.to_string(),
            message,
        };
        let s: Shard = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        for (path, (sha, _)) in &s.objects {
            if shard_of(path, bits) != index {
                return Err(invalid(format!("{path} does not belong to shard {index}")));
            }
            if !is_sha256_hex(sha) {
                return Err(invalid(format!("{path}: \"{sha}\" is not a sha256")));
            }
        }
        Ok(s)
    }
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_round_trip() {
        let mut objs = BTreeMap::new();
        for i in 0..1000 {
            let body = format!("doc {i}");
            objs.insert(
                format!("items/policy/{i}.json"),
                ObjectRef {
                    sha256: sha256_hex(body.as_bytes()),
                    length: body.len() as u64,
                },
            );
        }
        let (m, shards) = build(&objs, "2030-01-01T00:00:00Z", vec![], "");
        assert_eq!(m.shards.len(), shards.len());
        assert!(m.shard_bits >= 5);
        let m2 = BundleManifest::parse(&m.to_bytes(), "manifest").expect("parse");
        let mut n = 0;
        for (i, b) in shards.iter().enumerate() {
            n += Shard::parse(b, i, m2.shard_bits, "shard")
                .expect("shard")
                .objects
                .len();
        }
        assert_eq!(n, 1000);
    }
}
