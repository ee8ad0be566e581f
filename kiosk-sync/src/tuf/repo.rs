//! Writing TUF metadata: building the `signed` documents of each role and
//! signing them. The kiosk's repository layout and publishing rules are in
//! [`crate::publish`]; this module only knows TUF.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::TufError;
use super::canonical::to_canonical;
use super::keys::RoleSigner;
use super::metadata::format_time;

pub const SPEC_VERSION: &str = "1.0.31";

/// Public keys and threshold of one role, as root or a delegation lists it.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    /// (key id, public key JSON)
    pub keys: Vec<(String, Value)>,
    pub threshold: u64,
}

impl RoleSpec {
    pub fn from_signers(signers: &[RoleSigner], threshold: u64) -> RoleSpec {
        RoleSpec {
            keys: signers
                .iter()
                .map(|s| (s.key_id(), s.public_json()))
                .collect(),
            threshold,
        }
    }

    fn keyids(&self) -> Vec<String> {
        self.keys.iter().map(|(id, _)| id.clone()).collect()
    }
}

/// Sign `signed` with each signer; returns the file bytes (pretty JSON, the
/// signatures cover the canonical form).
pub fn sign(signed: &Value, signers: &[&RoleSigner]) -> Result<Vec<u8>, TufError> {
    let canonical = to_canonical(signed)?;
    let signatures: Vec<Value> = signers
        .iter()
        .map(|s| json!({"keyid": s.key_id(), "sig": s.sign_hex(&canonical)}))
        .collect();
    let doc = json!({"signed": signed, "signatures": signatures});
    serde_json::to_vec_pretty(&doc)
        .map_err(|e| TufError::Format(format!("cannot serialise metadata: {e}")))
}

pub fn root_signed(
    version: u64,
    expires: DateTime<Utc>,
    roles: &BTreeMap<&str, RoleSpec>,
) -> Value {
    let mut keys = Map::new();
    let mut role_map = Map::new();
    for (name, spec) in roles {
        for (id, key) in &spec.keys {
            keys.insert(id.clone(), key.clone());
        }
        role_map.insert(
            name.to_string(),
            json!({"keyids": spec.keyids(), "threshold": spec.threshold}),
        );
    }
    json!({
        "_type": "root",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_time(&expires),
        "consistent_snapshot": true,
        "keys": keys,
        "roles": role_map,
    })
}

/// A target's `length`/`hashes` entry.
pub fn target_entry(bytes: &[u8]) -> Value {
    json!({"length": bytes.len(), "hashes": {"sha256": hex::encode(Sha256::digest(bytes))}})
}

/// A `meta` entry of snapshot or timestamp, with length and hash so a
/// client can bound and check the download.
pub fn meta_entry(version: u64, bytes: &[u8]) -> Value {
    json!({"version": version, "length": bytes.len(), "hashes": {"sha256": hex::encode(Sha256::digest(bytes))}})
}

/// A delegation to `name` for `paths`.
#[derive(Debug, Clone)]
pub struct Delegation {
    pub name: String,
    pub spec: RoleSpec,
    pub paths: Vec<String>,
    pub terminating: bool,
}

pub fn targets_signed(
    version: u64,
    expires: DateTime<Utc>,
    targets: &BTreeMap<String, Value>,
    delegations: &[Delegation],
) -> Value {
    let mut doc = json!({
        "_type": "targets",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_time(&expires),
        "targets": targets,
    });
    if !delegations.is_empty() {
        let mut keys = Map::new();
        let mut roles = Vec::new();
        for d in delegations {
            for (id, key) in &d.spec.keys {
                keys.insert(id.clone(), key.clone());
            }
            roles.push(json!({
                "name": d.name,
                "keyids": d.spec.keyids(),
                "threshold": d.spec.threshold,
                "terminating": d.terminating,
                "paths": d.paths,
            }));
        }
        doc["delegations"] = json!({"keys": keys, "roles": roles});
    }
    doc
}

pub fn snapshot_signed(
    version: u64,
    expires: DateTime<Utc>,
    meta: &BTreeMap<String, Value>,
) -> Value {
    json!({
        "_type": "snapshot",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_time(&expires),
        "meta": meta,
    })
}

pub fn timestamp_signed(version: u64, expires: DateTime<Utc>, snapshot_meta: Value) -> Value {
    json!({
        "_type": "timestamp",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_time(&expires),
        "meta": {"snapshot.json": snapshot_meta},
    })
}
