//! District side: writing the static TUF repository.
//!
//! ```text
//! REPO/metadata/1.root.json .. N.root.json, root.json
//! REPO/metadata/N.targets.json, N.snapshot.json, N.hall-<id>.json (+ unversioned copies)
//! REPO/metadata/timestamp.json
//! REPO/targets/bundle/<sha256>.manifest.json        the district's bundle manifest
//! REPO/targets/halls/<id>/<sha256>.manifest.json    a hall's manifest (delegated role)
//! REPO/objects/<sha256>                             content objects and manifest shards
//! ```
//! Files are written objects first and `timestamp.json` last, each by
//! rename, so a client reading during a publish sees the old or the new
//! repository. Objects already present are not written again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tracing::info;

use crate::keydir::{KeyDir, KeyError, hall_role};
use crate::manifest::{self, BundleManifest, ObjectRef, sha256_hex};
use crate::tuf::TufError;
use crate::tuf::keys::RoleSigner;
use crate::tuf::metadata::{
    Envelope, format_time, parse_root, parse_snapshot, parse_targets, parse_timestamp,
};
use crate::tuf::repo::{self, Delegation, RoleSpec};

/// Target path of the district's bundle manifest.
pub const BUNDLE_MANIFEST_TARGET: &str = "bundle/manifest.json";

pub fn hall_manifest_target(hall_id: &str) -> String {
    format!("halls/{hall_id}/manifest.json")
}

pub fn hall_prefix(hall_id: &str) -> String {
    format!("halls/{hall_id}/")
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Tuf(#[from] TufError),
    #[error("{0}")]
    Invalid(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Signed field of the roots this publisher writes: when the root was
/// signed. Kiosks use it as a floor for the time their expiry checks use
/// (`state::SyncState::reference`); roots without it are fine.
pub const ROOT_SIGNED_AT: &str = "x-kiosk-signed-at";

/// One content object to publish.
#[derive(Debug, Clone)]
pub struct BundleObject {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl From<kiosk_content::ContentObject> for BundleObject {
    fn from(o: kiosk_content::ContentObject) -> BundleObject {
        BundleObject {
            path: o.path,
            bytes: o.bytes,
        }
    }
}

/// How long each role's metadata stays valid.
#[derive(Debug, Clone)]
pub struct Expiry {
    pub root: Duration,
    pub targets: Duration,
    pub snapshot: Duration,
    pub timestamp: Duration,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            root: Duration::days(365),
            targets: Duration::days(90),
            snapshot: Duration::days(30),
            timestamp: Duration::days(7),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Signing time (injected so tests can publish "in the past").
    pub now: DateTime<Utc>,
    pub expiry: Expiry,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            now: Utc::now(),
            expiry: Expiry::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PublishReport {
    pub snapshot_version: u64,
    pub objects: usize,
    pub objects_written: usize,
    pub bytes_written: u64,
    pub manifest_sha256: String,
}

/// Current state of a repository directory, read from its unversioned
/// metadata files.
struct RepoState {
    root: PathBuf,
    root_version: u64,
    root_bytes: Option<Vec<u8>>,
    targets_version: u64,
    snapshot_version: u64,
    timestamp_version: u64,
    snapshot_meta: BTreeMap<String, Value>,
}

impl RepoState {
    fn load(repo: &Path) -> Result<RepoState, PublishError> {
        let md = repo.join("metadata");
        let read = |name: &str| -> Result<Option<(Vec<u8>, Envelope)>, PublishError> {
            let path = md.join(name);
            match std::fs::read(&path) {
                Ok(b) => {
                    let env = Envelope::parse(&b, &path.display().to_string())?;
                    Ok(Some((b, env)))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(PublishError::Io { path, source }),
            }
        };
        let mut st = RepoState {
            root: repo.to_path_buf(),
            root_version: 0,
            root_bytes: None,
            targets_version: 0,
            snapshot_version: 0,
            timestamp_version: 0,
            snapshot_meta: BTreeMap::new(),
        };
        if let Some((b, env)) = read("root.json")? {
            st.root_version = parse_root(&env.signed, "root.json")?.common.version;
            st.root_bytes = Some(b);
        }
        if let Some((_, env)) = read("targets.json")? {
            st.targets_version = parse_targets(&env.signed, "targets.json")?.common.version;
        }
        if let Some((_, env)) = read("snapshot.json")? {
            st.snapshot_version = parse_snapshot(&env.signed, "snapshot.json")?.common.version;
            if let Some(meta) = env.signed.get("meta").and_then(Value::as_object) {
                st.snapshot_meta = meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            }
        }
        if let Some((_, env)) = read("timestamp.json")? {
            st.timestamp_version = parse_timestamp(&env.signed, "timestamp.json")?
                .common
                .version;
        }
        Ok(st)
    }

    fn metadata_dir(&self) -> PathBuf {
        self.root.join("metadata")
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        crate::tuf::write_atomic(&path, bytes)
            .map_err(|(path, source)| PublishError::Io { path, source })
    }

    /// Write `N.<role>.json` and `<role>.json`.
    fn write_versioned(&self, role: &str, version: u64, bytes: &[u8]) -> Result<(), PublishError> {
        let q = crate::tuf::quote(role);
        self.write(&format!("metadata/{version}.{q}.json"), bytes)?;
        self.write(&format!("metadata/{q}.json"), bytes)
    }

    /// Check the repository's root lists exactly the public keys of `role`
    /// that `keys` holds.
    fn check_keys_match(&self, keys: &KeyDir, role: &str) -> Result<(), PublishError> {
        let Some(bytes) = &self.root_bytes else {
            return Ok(());
        };
        let env = Envelope::parse(bytes, "root.json")?;
        let root = parse_root(&env.signed, "root.json")?;
        let mut want: Vec<String> = keys
            .public(role)?
            .spec()
            .keys
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut have = root
            .roles
            .get(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default();
        want.sort();
        have.sort();
        if want != have {
            return Err(PublishError::Invalid(format!(
                "{}: the repository's root (v{}) lists other {role} keys than {}; \
                 use the key directory the repository was created with, or run rotate-root first",
                self.metadata_dir().join("root.json").display(),
                self.root_version,
                keys.dir.join("keys.json").display()
            )));
        }
        Ok(())
    }
}

fn check_object_path(path: &str) -> Result<(), PublishError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        return Err(PublishError::Invalid(format!(
            "object path \"{path}\" must be relative, '/'-separated, without empty, '.' or '..' parts"
        )));
    }
    Ok(())
}

/// What [`write_bundle_listed`] wrote, and the one target that lists it.
struct ListedBundle {
    objects: usize,
    written: usize,
    bytes_written: u64,
    manifest_sha256: String,
    /// The manifest's target entry under its target name.
    targets: BTreeMap<String, Value>,
}

impl ListedBundle {
    fn report(self, snapshot_version: u64) -> PublishReport {
        PublishReport {
            snapshot_version,
            objects: self.objects,
            objects_written: self.written,
            bytes_written: self.bytes_written,
            manifest_sha256: self.manifest_sha256,
        }
    }
}

/// [`write_bundle`] into `st`'s repository, then its manifest stored as
/// `{manifest_dir}/{sha256}.manifest.json` and listed as target `target`.
fn write_bundle_listed(
    st: &RepoState,
    objects: &[BundleObject],
    published_at: &str,
    halls: Vec<String>,
    prefix: &str,
    manifest_dir: &str,
    target: String,
) -> Result<ListedBundle, PublishError> {
    let (manifest_bytes, written, bytes_written) =
        write_bundle(&st.root, objects, published_at, halls, prefix)?;
    let msha = sha256_hex(&manifest_bytes);
    st.write(
        &format!("{manifest_dir}/{msha}.manifest.json"),
        &manifest_bytes,
    )?;
    let mut targets = BTreeMap::new();
    targets.insert(target, repo::target_entry(&manifest_bytes));
    Ok(ListedBundle {
        objects: objects.len(),
        written,
        bytes_written,
        manifest_sha256: msha,
        targets,
    })
}

/// Write objects (skipping those present) and the manifest's shards; return
/// the manifest target's bytes and counts.
fn write_bundle(
    repo: &Path,
    objects: &[BundleObject],
    published_at: &str,
    halls: Vec<String>,
    prefix: &str,
) -> Result<(Vec<u8>, usize, u64), PublishError> {
    let objdir = repo.join("objects");
    std::fs::create_dir_all(&objdir).map_err(io_err(&objdir))?;
    let mut refs = BTreeMap::new();
    let mut written = 0usize;
    let mut bytes_written = 0u64;
    let mut put = |bytes: &[u8]| -> Result<String, PublishError> {
        let sha = sha256_hex(bytes);
        let path = objdir.join(&sha);
        if !path.exists() {
            // No fsync per object (two with the folder's: minutes for
            // 100,000 documents); one syncfs below, before any metadata
            // names them.
            let tmp = objdir.join(format!(".{sha}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, bytes)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|source| {
                    let _ = std::fs::remove_file(&tmp);
                    PublishError::Io {
                        path: path.clone(),
                        source,
                    }
                })?;
            written += 1;
            bytes_written += bytes.len() as u64;
        }
        Ok(sha)
    };
    for o in objects {
        check_object_path(&o.path)?;
        let sha = put(&o.bytes)?;
        let prev = refs.insert(
            o.path.clone(),
            ObjectRef {
                sha256: sha,
                length: o.bytes.len() as u64,
            },
        );
        if prev.is_some() {
            return Err(PublishError::Invalid(format!(
                "object path \"{}\" appears twice",
                o.path
            )));
        }
    }
    let (m, shards) = manifest::build(&refs, published_at, halls, prefix);
    for s in &shards {
        put(s)?;
    }
    if written > 0 {
        // Every object on disk before the metadata that names them is
        // written (each with its own fsync, after this).
        let dir = std::fs::File::open(&objdir).map_err(io_err(&objdir))?;
        rustix::fs::syncfs(&dir).map_err(|e| PublishError::Io {
            path: objdir.clone(),
            source: e.into(),
        })?;
    }
    Ok((m.to_bytes(), written, bytes_written))
}

/// Root v1 from the key directory, if the repository has none yet.
fn ensure_root(
    st: &mut RepoState,
    keys: &KeyDir,
    opts: &PublishOptions,
) -> Result<(), PublishError> {
    if st.root_bytes.is_some() {
        return Ok(());
    }
    let bytes = sign_root(keys, &keys_signers(keys, "root")?, 1, opts)?;
    st.write_versioned("root", 1, &bytes)?;
    st.root_version = 1;
    st.root_bytes = Some(bytes);
    info!("created root version 1");
    Ok(())
}

fn keys_signers<'a>(keys: &'a KeyDir, role: &str) -> Result<Vec<&'a RoleSigner>, PublishError> {
    Ok(keys.signers_meeting_threshold(role)?)
}

fn top_specs(keys: &KeyDir) -> Result<BTreeMap<&'static str, RoleSpec>, PublishError> {
    let mut roles = BTreeMap::new();
    for r in ["root", "targets", "snapshot", "timestamp"] {
        roles.insert(r, keys.public(r)?.spec());
    }
    Ok(roles)
}

fn sign_root(
    keys: &KeyDir,
    signers: &[&RoleSigner],
    version: u64,
    opts: &PublishOptions,
) -> Result<Vec<u8>, PublishError> {
    let mut signed = repo::root_signed(version, opts.now + opts.expiry.root, &top_specs(keys)?);
    // An extension field (TUF keeps unknown fields in the signed bytes): a
    // kiosk that trusts this root knows the real time is not earlier.
    signed[ROOT_SIGNED_AT] = Value::String(format_time(&opts.now));
    Ok(repo::sign(&signed, signers)?)
}

/// Sign and write snapshot (with `meta`) and timestamp, bumping versions.
fn write_snapshot_and_timestamp(
    st: &mut RepoState,
    keys: &KeyDir,
    opts: &PublishOptions,
) -> Result<u64, PublishError> {
    let snap_v = st.snapshot_version + 1;
    let snap = repo::snapshot_signed(snap_v, opts.now + opts.expiry.snapshot, &st.snapshot_meta);
    let snap_bytes = repo::sign(&snap, &keys_signers(keys, "snapshot")?)?;
    st.write_versioned("snapshot", snap_v, &snap_bytes)?;
    let ts_v = st.timestamp_version + 1;
    let ts = repo::timestamp_signed(
        ts_v,
        opts.now + opts.expiry.timestamp,
        repo::meta_entry(snap_v, &snap_bytes),
    );
    let ts_bytes = repo::sign(&ts, &keys_signers(keys, "timestamp")?)?;
    st.write("metadata/timestamp.json", &ts_bytes)?;
    st.snapshot_version = snap_v;
    st.timestamp_version = ts_v;
    Ok(snap_v)
}

/// Publish the district bundle made of `objects`. Creates the repository
/// (root v1) on first use. Halls delegated in `keys` get their delegation.
pub fn publish(
    repo_dir: &Path,
    keys: &KeyDir,
    objects: &[BundleObject],
    opts: &PublishOptions,
) -> Result<PublishReport, PublishError> {
    let mut st = RepoState::load(repo_dir)?;
    for role in ["targets", "snapshot", "timestamp"] {
        keys_signers(keys, role)?;
        st.check_keys_match(keys, role)?;
    }
    ensure_root(&mut st, keys, opts)?;
    let published_at = format_time(&opts.now);
    let halls: Vec<String> = keys.file.halls.keys().cloned().collect();
    let bundle = write_bundle_listed(
        &st,
        objects,
        &published_at,
        halls.clone(),
        "",
        "targets/bundle",
        BUNDLE_MANIFEST_TARGET.to_string(),
    )?;

    let delegations: Vec<Delegation> = keys
        .file
        .halls
        .iter()
        .map(|(id, public)| Delegation {
            name: hall_role(id),
            spec: public.spec(),
            paths: vec![format!("{}*", hall_prefix(id))],
            terminating: true,
        })
        .collect();
    let targets_v = st.targets_version + 1;
    let signed = repo::targets_signed(
        targets_v,
        opts.now + opts.expiry.targets,
        &bundle.targets,
        &delegations,
    );
    let targets_bytes = repo::sign(&signed, &keys_signers(keys, "targets")?)?;
    st.write_versioned("targets", targets_v, &targets_bytes)?;
    st.targets_version = targets_v;

    // Keep the metadata of halls still delegated; drop the others.
    let keep: Vec<String> = halls
        .iter()
        .map(|h| format!("{}.json", hall_role(h)))
        .collect();
    st.snapshot_meta.retain(|k, _| keep.contains(k));
    st.snapshot_meta.insert(
        "targets.json".into(),
        repo::meta_entry(targets_v, &targets_bytes),
    );
    let snapshot_version = write_snapshot_and_timestamp(&mut st, keys, opts)?;
    info!(
        "published snapshot {snapshot_version}: {} objects ({} new, {} bytes)",
        objects.len(),
        bundle.written,
        bundle.bytes_written
    );
    Ok(bundle.report(snapshot_version))
}

/// Publish a hall's own objects (all under `halls/<id>/`) signed by the
/// hall's delegated key; the district's snapshot and timestamp keys (online
/// keys) then re-sign snapshot and timestamp.
pub fn publish_hall(
    repo_dir: &Path,
    district_keys: &KeyDir,
    hall_keys: &KeyDir,
    hall_id: &str,
    objects: &[BundleObject],
    opts: &PublishOptions,
) -> Result<PublishReport, PublishError> {
    crate::keydir::check_hall_id(hall_id).map_err(PublishError::Invalid)?;
    let role = hall_role(hall_id);
    let prefix = hall_prefix(hall_id);
    let outside: Vec<&str> = objects
        .iter()
        .map(|o| o.path.as_str())
        .filter(|p| !p.starts_with(&prefix))
        .collect();
    if !outside.is_empty() {
        return Err(PublishError::Invalid(format!(
            "hall {hall_id} may publish only under {prefix}, but the source has: {}",
            outside.join(", ")
        )));
    }
    let mut st = RepoState::load(repo_dir)?;
    // A hall must never be able to stop the district's content: kiosks
    // would set such an item aside, but the hall should hear it here.
    let district = district_items(&st)?;
    let clashes: Vec<String> = objects
        .iter()
        .filter_map(|o| {
            let id = crate::pull::item_id_of(&o.path)?;
            let theirs = district.get(id)?;
            Some(format!(
                "item \"{id}\" ({}) has the id of the district's {theirs}",
                o.path
            ))
        })
        .collect();
    if !clashes.is_empty() {
        return Err(PublishError::Invalid(format!(
            "hall {hall_id} may not reuse an item id the district publishes: {}; give the hall's item another id in its source file and publish again (kiosks would show the district's item and set the hall's aside)",
            clashes.join("; ")
        )));
    }
    if !st.snapshot_meta.contains_key(&format!("{role}.json"))
        && !district_keys.file.halls.contains_key(hall_id)
    {
        return Err(PublishError::Invalid(format!(
            "the repository does not delegate to hall {hall_id}; run `kiosk-sync delegate-hall` and `publish` first"
        )));
    }
    let signers = hall_keys.signers_meeting_threshold(&role)?;
    let published_at = format_time(&opts.now);
    let bundle = write_bundle_listed(
        &st,
        objects,
        &published_at,
        vec![],
        &prefix,
        &format!("targets/halls/{hall_id}"),
        hall_manifest_target(hall_id),
    )?;
    let version = st
        .snapshot_meta
        .get(&format!("{role}.json"))
        .and_then(|m| m.get("version"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
        + 1;
    let signed = repo::targets_signed(
        version,
        opts.now + opts.expiry.targets,
        &bundle.targets,
        &[],
    );
    let bytes = repo::sign(&signed, &signers)?;
    st.write_versioned(&role, version, &bytes)?;
    st.snapshot_meta
        .insert(format!("{role}.json"), repo::meta_entry(version, &bytes));
    let snapshot_version = write_snapshot_and_timestamp(&mut st, district_keys, opts)?;
    Ok(bundle.report(snapshot_version))
}

/// Item id -> object path of the district's current bundle (empty if none
/// is published yet), read from the repository's own files.
fn district_items(st: &RepoState) -> Result<BTreeMap<String, String>, PublishError> {
    let md = st.metadata_dir().join("targets.json");
    let bytes = match std::fs::read(&md) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => return Err(PublishError::Io { path: md, source }),
    };
    let what = md.display().to_string();
    let env = Envelope::parse(&bytes, &what)?;
    let targets = parse_targets(&env.signed, &what)?;
    let Some(sha) = targets
        .targets
        .get(BUNDLE_MANIFEST_TARGET)
        .and_then(|t| t.hashes.get("sha256"))
    else {
        return Ok(BTreeMap::new());
    };
    let mpath = st
        .root
        .join("targets/bundle")
        .join(format!("{sha}.manifest.json"));
    let mbytes = std::fs::read(&mpath).map_err(io_err(&mpath))?;
    let m = read_manifest(&mbytes, &mpath.display().to_string())?;
    let mut ids = BTreeMap::new();
    for (i, shard_sha) in m.shards.iter().enumerate() {
        let spath = st.root.join("objects").join(shard_sha);
        let sbytes = std::fs::read(&spath).map_err(io_err(&spath))?;
        let shard = manifest::Shard::parse(&sbytes, i, m.shard_bits, &spath.display().to_string())
            .map_err(|e| PublishError::Invalid(e.to_string()))?;
        for path in shard.objects.into_keys() {
            if let Some(id) = crate::pull::item_id_of(&path) {
                ids.insert(id.to_string(), path);
            }
        }
    }
    Ok(ids)
}

/// Sign `signed` (a targets document a delegated role made) with arbitrary
/// signers — used by tests to play a misbehaving hall.
pub fn write_role_metadata(
    repo_dir: &Path,
    district_keys: &KeyDir,
    role: &str,
    signed: &Value,
    signers: &[&RoleSigner],
    opts: &PublishOptions,
) -> Result<u64, PublishError> {
    let mut st = RepoState::load(repo_dir)?;
    let version = signed.get("version").and_then(Value::as_u64).unwrap_or(1);
    let bytes = repo::sign(signed, signers)?;
    st.write_versioned(role, version, &bytes)?;
    st.snapshot_meta
        .insert(format!("{role}.json"), repo::meta_entry(version, &bytes));
    write_snapshot_and_timestamp(&mut st, district_keys, opts)
}

/// Root rotation: a new root version listing the keys of `new_keys`,
/// signed by a threshold of the current root keys (from `old_keys`) and of
/// the new root keys. Then publish with `new_keys`.
pub fn rotate_root(
    repo_dir: &Path,
    old_keys: &KeyDir,
    new_keys: &KeyDir,
    opts: &PublishOptions,
) -> Result<u64, PublishError> {
    let mut st = RepoState::load(repo_dir)?;
    if st.root_bytes.is_none() {
        return Err(PublishError::Invalid(format!(
            "{}: no root.json yet; publish first",
            st.metadata_dir().display()
        )));
    }
    st.check_keys_match(old_keys, "root")?;
    let mut signers = old_keys.signers_meeting_threshold("root")?;
    for s in new_keys.signers_meeting_threshold("root")? {
        if !signers.iter().any(|o| o.key_id() == s.key_id()) {
            signers.push(s);
        }
    }
    let version = st.root_version + 1;
    let bytes = sign_root(new_keys, &signers, version, opts)?;
    st.write_versioned("root", version, &bytes)?;
    st.root_version = version;
    st.root_bytes = Some(bytes);
    info!("root rotated to version {version}");
    Ok(version)
}

/// Re-sign only the timestamp (same snapshot) with a new expiry: the daily
/// job of the online timestamp key.
pub fn renew_timestamp(
    repo_dir: &Path,
    keys: &KeyDir,
    opts: &PublishOptions,
) -> Result<u64, PublishError> {
    let mut st = RepoState::load(repo_dir)?;
    let md = st.metadata_dir();
    let snap_path = md.join(format!("{}.snapshot.json", st.snapshot_version));
    let snap_bytes = std::fs::read(&snap_path).map_err(io_err(&snap_path))?;
    let ts_v = st.timestamp_version + 1;
    let ts = repo::timestamp_signed(
        ts_v,
        opts.now + opts.expiry.timestamp,
        repo::meta_entry(st.snapshot_version, &snap_bytes),
    );
    let ts_bytes = repo::sign(&ts, &keys_signers(keys, "timestamp")?)?;
    st.write("metadata/timestamp.json", &ts_bytes)?;
    st.timestamp_version = ts_v;
    Ok(ts_v)
}

/// Parse a manifest target (re-exported for tools).
pub fn read_manifest(bytes: &[u8], what: &str) -> Result<BundleManifest, PublishError> {
    BundleManifest::parse(bytes, what).map_err(|e| PublishError::Invalid(e.to_string()))
}
