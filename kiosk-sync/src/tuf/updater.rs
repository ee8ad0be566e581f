//! The TUF client workflow (specification section 5): root rotation,
//! timestamp, snapshot, targets, then delegated targets searched depth
//! first in preorder.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use super::keys::PublicKey;
use super::metadata::{
    Delegations, Envelope, RoleKeys, Root, Snapshot, TargetFile, Targets, Timestamp, TopRole,
    parse_root, parse_snapshot, parse_targets, parse_timestamp,
};
use super::{MetadataDir, Transport, TufError, quote, verify_length_and_hashes};

/// Upper bounds that keep a hostile repository from making the client loop
/// or download without end.
#[derive(Debug, Clone)]
pub struct UpdaterLimits {
    pub max_root_rotations: u64,
    pub max_delegations: usize,
    pub root_max_length: u64,
    pub timestamp_max_length: u64,
    pub snapshot_max_length: u64,
    pub targets_max_length: u64,
}

impl Default for UpdaterLimits {
    fn default() -> Self {
        UpdaterLimits {
            max_root_rotations: 32,
            max_delegations: 32,
            root_max_length: 512_000,
            timestamp_max_length: 16_384,
            snapshot_max_length: 2_000_000,
            targets_max_length: 5_000_000,
        }
    }
}

/// One client session against one repository.
pub struct Updater<'a> {
    dir: MetadataDir,
    metadata_url: String,
    transport: &'a dyn Transport,
    now: DateTime<Utc>,
    limits: UpdaterLimits,
    root: Root,
    timestamp: Option<Timestamp>,
    snapshot: Option<Snapshot>,
    /// Verified targets roles keyed by (role, delegator): a role reached
    /// through another delegator is verified again against that delegator.
    targets: HashMap<(String, String), Targets>,
    refreshed: bool,
}

fn verify_signatures(
    env: &Envelope,
    keys: &BTreeMap<String, PublicKey>,
    role: &RoleKeys,
    what: &str,
) -> Result<(), TufError> {
    let mut valid = HashSet::new();
    for sig in &env.signatures {
        if !role.keyids.iter().any(|k| k == &sig.keyid) {
            continue;
        }
        let Some(key) = keys.get(&sig.keyid) else {
            continue;
        };
        if key.verify(&env.canonical_signed, &sig.sig) {
            valid.insert(sig.keyid.as_str());
        } else {
            debug!("{what}: signature by {} does not verify", sig.keyid);
        }
    }
    let valid = valid.len() as u64;
    if valid < role.threshold {
        return Err(TufError::Threshold {
            what: what.to_string(),
            valid,
            threshold: role.threshold,
        });
    }
    Ok(())
}

impl<'a> Updater<'a> {
    /// Start from the trusted `root.json` in `metadata_dir`. `now` is the
    /// reference time for every expiry check of this session.
    pub fn new(
        metadata_dir: &std::path::Path,
        metadata_url: &str,
        transport: &'a dyn Transport,
        now: DateTime<Utc>,
        limits: UpdaterLimits,
    ) -> Result<Updater<'a>, TufError> {
        let dir = MetadataDir::new(metadata_dir);
        let bytes = dir.read("root")?.ok_or_else(|| {
            TufError::Format(format!(
                "{}: no trusted root; install the repository's root.json first (init / --root)",
                dir.path_of("root").display()
            ))
        })?;
        let what = "trusted root.json";
        let env = Envelope::parse(&bytes, what)?;
        let root = parse_root(&env.signed, what)?;
        verify_signatures(&env, &root.keys, root.role(TopRole::Root)?, what)?;
        let mut metadata_url = metadata_url.to_string();
        if !metadata_url.ends_with('/') {
            metadata_url.push('/');
        }
        Ok(Updater {
            dir,
            metadata_url,
            transport,
            now,
            limits,
            root,
            timestamp: None,
            snapshot: None,
            targets: HashMap::new(),
            refreshed: false,
        })
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.timestamp.as_ref()
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    pub fn top_targets(&self) -> Option<&Targets> {
        self.targets
            .get(&("targets".to_string(), "root".to_string()))
    }

    /// Refresh root, timestamp, snapshot and top-level targets in the order
    /// the specification gives. Each document is persisted as soon as it is
    /// accepted.
    pub fn refresh(&mut self) -> Result<(), TufError> {
        self.refreshed = true;
        self.update_root()?;
        self.update_timestamp()?;
        self.update_snapshot()?;
        self.load_targets("targets", "root", None)?;
        Ok(())
    }

    fn expired(&self, expires: &DateTime<Utc>) -> bool {
        *expires <= self.now
    }

    fn update_root(&mut self) -> Result<(), TufError> {
        let start = self.root.common.version;
        for next in start + 1..=start + self.limits.max_root_rotations {
            let url = format!("{}{next}.root.json", self.metadata_url);
            let bytes = match self.transport.get(&url, self.limits.root_max_length) {
                Ok(b) => b,
                Err(e) if e.is_not_found() => break,
                Err(e) => return Err(e.into()),
            };
            let what = format!("{next}.root.json");
            let env = Envelope::parse(&bytes, &what)?;
            let new_root = parse_root(&env.signed, &what)?;
            verify_signatures(
                &env,
                &self.root.keys,
                self.root.role(TopRole::Root)?,
                &format!(
                    "{what} (signed by the keys of trusted root v{})",
                    self.root.common.version
                ),
            )?;
            if new_root.common.version != next {
                return Err(TufError::VersionMismatch {
                    what,
                    expected: next,
                    got: new_root.common.version,
                    why: "root versions must follow one another",
                });
            }
            verify_signatures(
                &env,
                &new_root.keys,
                new_root.role(TopRole::Root)?,
                &format!("{what} (signed by its own keys)"),
            )?;
            info!("accepted root version {next}");
            self.root = new_root;
            self.dir.write("root", &bytes)?;
        }
        if self.expired(&self.root.common.expires) {
            return Err(TufError::Expired {
                what: format!("root.json v{}", self.root.common.version),
                expires: self.root.common.expires,
                now: self.now,
            });
        }
        Ok(())
    }

    /// Check a timestamp and make it the trusted one. Returns false when it
    /// is the version already trusted (kept as is).
    fn accept_timestamp(&mut self, bytes: &[u8], what: &str) -> Result<bool, TufError> {
        let env = Envelope::parse(bytes, what)?;
        let ts = parse_timestamp(&env.signed, what)?;
        verify_signatures(
            &env,
            &self.root.keys,
            self.root.role(TopRole::Timestamp)?,
            what,
        )?;
        if let Some(old) = &self.timestamp {
            if ts.common.version < old.common.version {
                return Err(TufError::Rollback {
                    what: what.to_string(),
                    trusted: old.common.version,
                    new: ts.common.version,
                });
            }
            if ts.common.version == old.common.version {
                return Ok(false);
            }
            if ts.snapshot_meta.version < old.snapshot_meta.version {
                return Err(TufError::Rollback {
                    what: format!("{what}: snapshot version it names"),
                    trusted: old.snapshot_meta.version,
                    new: ts.snapshot_meta.version,
                });
            }
        }
        let expires = ts.common.expires;
        let version = ts.common.version;
        // Kept even when expired: it still guards against rollback.
        self.timestamp = Some(ts);
        if self.expired(&expires) {
            return Err(TufError::Expired {
                what: format!("{what} v{version}"),
                expires,
                now: self.now,
            });
        }
        Ok(true)
    }

    fn update_timestamp(&mut self) -> Result<(), TufError> {
        if self.timestamp.is_none()
            && let Some(local) = self.dir.read("timestamp")?
            && let Err(e) = self.accept_timestamp(&local, "local timestamp.json")
        {
            debug!("local timestamp not usable: {e}");
        }
        let url = format!("{}timestamp.json", self.metadata_url);
        let bytes = self.transport.get(&url, self.limits.timestamp_max_length)?;
        if self.accept_timestamp(&bytes, "timestamp.json")? {
            self.dir.write("timestamp", &bytes)?;
        }
        Ok(())
    }

    fn trusted_timestamp(&self) -> Result<&Timestamp, TufError> {
        let ts = self
            .timestamp
            .as_ref()
            .ok_or_else(|| TufError::Format("no trusted timestamp; refresh first".into()))?;
        if self.expired(&ts.common.expires) {
            return Err(TufError::Expired {
                what: format!("timestamp.json v{}", ts.common.version),
                expires: ts.common.expires,
                now: self.now,
            });
        }
        Ok(ts)
    }

    fn accept_snapshot(&mut self, bytes: &[u8], what: &str, local: bool) -> Result<(), TufError> {
        let meta = self.trusted_timestamp()?.snapshot_meta.clone();
        if !local {
            verify_length_and_hashes(bytes, meta.length, meta.hashes.as_ref(), what)?;
        }
        let env = Envelope::parse(bytes, what)?;
        let snap = parse_snapshot(&env.signed, what)?;
        verify_signatures(
            &env,
            &self.root.keys,
            self.root.role(TopRole::Snapshot)?,
            what,
        )?;
        if let Some(old) = &self.snapshot {
            for (name, old_meta) in &old.meta {
                let Some(new_meta) = snap.meta.get(name) else {
                    return Err(TufError::Rollback {
                        what: format!("{what}: {name} was removed, which"),
                        trusted: old_meta.version,
                        new: 0,
                    });
                };
                if new_meta.version < old_meta.version {
                    return Err(TufError::Rollback {
                        what: format!("{what}: {name}"),
                        trusted: old_meta.version,
                        new: new_meta.version,
                    });
                }
            }
        }
        let (version, expires) = (snap.common.version, snap.common.expires);
        self.snapshot = Some(snap);
        if self.expired(&expires) {
            return Err(TufError::Expired {
                what: format!("{what} v{version}"),
                expires,
                now: self.now,
            });
        }
        if version != meta.version {
            return Err(TufError::VersionMismatch {
                what: what.to_string(),
                expected: meta.version,
                got: version,
                why: "timestamp names that snapshot version",
            });
        }
        Ok(())
    }

    fn update_snapshot(&mut self) -> Result<(), TufError> {
        let meta = self.trusted_timestamp()?.snapshot_meta.clone();
        if let Some(local) = self.dir.read("snapshot")? {
            match self.accept_snapshot(&local, "local snapshot.json", true) {
                Ok(()) => return Ok(()),
                Err(e) => debug!("local snapshot not final: {e}"),
            }
        }
        let url = if self.root.consistent_snapshot {
            format!("{}{}.snapshot.json", self.metadata_url, meta.version)
        } else {
            format!("{}snapshot.json", self.metadata_url)
        };
        let limit = meta.length.unwrap_or(self.limits.snapshot_max_length);
        let bytes = self.transport.get(&url, limit)?;
        self.accept_snapshot(&bytes, "snapshot.json", false)?;
        self.dir.write("snapshot", &bytes)?;
        Ok(())
    }

    fn trusted_snapshot(&self) -> Result<&Snapshot, TufError> {
        let snap = self
            .snapshot
            .as_ref()
            .ok_or_else(|| TufError::Format("no trusted snapshot; refresh first".into()))?;
        let ts = self.trusted_timestamp()?;
        if self.expired(&snap.common.expires) {
            return Err(TufError::Expired {
                what: format!("snapshot.json v{}", snap.common.version),
                expires: snap.common.expires,
                now: self.now,
            });
        }
        if snap.common.version != ts.snapshot_meta.version {
            return Err(TufError::VersionMismatch {
                what: "snapshot.json".into(),
                expected: ts.snapshot_meta.version,
                got: snap.common.version,
                why: "timestamp names that snapshot version",
            });
        }
        Ok(snap)
    }

    fn accept_targets(
        &self,
        bytes: &[u8],
        role: &str,
        delegator: Option<&Delegations>,
        what: &str,
        local: bool,
    ) -> Result<Targets, TufError> {
        let snap = self.trusted_snapshot()?;
        let meta = snap
            .meta
            .get(&format!("{role}.json"))
            .ok_or_else(|| TufError::Delegation {
                what: what.to_string(),
                detail: format!("role \"{role}\" is not listed in snapshot.json"),
            })?;
        if !local {
            verify_length_and_hashes(bytes, meta.length, meta.hashes.as_ref(), what)?;
        }
        let env = Envelope::parse(bytes, what)?;
        let targets = parse_targets(&env.signed, what)?;
        match delegator {
            None => verify_signatures(
                &env,
                &self.root.keys,
                self.root.role(TopRole::Targets)?,
                what,
            )?,
            Some(d) => {
                let keys = d.role_keys(role).ok_or_else(|| TufError::Delegation {
                    what: what.to_string(),
                    detail: format!("the delegating role does not delegate to \"{role}\""),
                })?;
                verify_signatures(&env, &d.keys, keys, what)?;
            }
        }
        if targets.common.version != meta.version {
            return Err(TufError::VersionMismatch {
                what: what.to_string(),
                expected: meta.version,
                got: targets.common.version,
                why: "snapshot names that version",
            });
        }
        if self.expired(&targets.common.expires) {
            return Err(TufError::Expired {
                what: format!("{what} v{}", targets.common.version),
                expires: targets.common.expires,
                now: self.now,
            });
        }
        Ok(targets)
    }

    /// Load (from the local copy or the repository) and verify the targets
    /// role `role` as delegated by `parent`.
    fn load_targets(
        &mut self,
        role: &str,
        parent: &str,
        delegator: Option<&Delegations>,
    ) -> Result<Targets, TufError> {
        let key = (role.to_string(), parent.to_string());
        if let Some(t) = self.targets.get(&key) {
            return Ok(t.clone());
        }
        let what = format!("{role}.json");
        let snap = self.trusted_snapshot()?;
        let meta = snap
            .meta
            .get(&what)
            .cloned()
            .ok_or_else(|| TufError::Delegation {
                what: what.clone(),
                detail: format!("role \"{role}\" is not listed in snapshot.json"),
            })?;
        if let Some(local) = self.dir.read(role)? {
            match self.accept_targets(&local, role, delegator, &format!("local {what}"), true) {
                Ok(t) => {
                    self.targets.insert(key, t.clone());
                    return Ok(t);
                }
                Err(e) => debug!("local {what} not usable: {e}"),
            }
        }
        let url = if self.root.consistent_snapshot {
            format!("{}{}.{}.json", self.metadata_url, meta.version, quote(role))
        } else {
            format!("{}{}.json", self.metadata_url, quote(role))
        };
        let limit = meta.length.unwrap_or(self.limits.targets_max_length);
        let bytes = self.transport.get(&url, limit)?;
        let t = self.accept_targets(&bytes, role, delegator, &what, false)?;
        self.dir.write(role, &bytes)?;
        self.targets.insert(key, t.clone());
        Ok(t)
    }

    /// Find the signed description of `target_path`, searching delegations
    /// depth first in preorder as the specification requires. Returns the
    /// file info and the role that listed it.
    pub fn target_info(&mut self, target_path: &str) -> Result<(TargetFile, String), TufError> {
        if !self.refreshed {
            self.refresh()?;
        }
        // (role, parent role, delegations of the parent)
        let mut to_visit: Vec<(String, String, Option<Delegations>)> =
            vec![("targets".into(), "root".into(), None)];
        let mut visited = HashSet::new();
        while let Some((role, parent, delegator)) = to_visit.pop() {
            if visited.len() > self.limits.max_delegations {
                warn!(
                    "stopped searching {target_path}: more than {} delegations",
                    self.limits.max_delegations
                );
                break;
            }
            if visited.contains(&role) {
                continue;
            }
            let targets = self.load_targets(&role, &parent, delegator.as_ref())?;
            if let Some(t) = targets.targets.get(target_path) {
                return Ok((t.clone(), role));
            }
            visited.insert(role.clone());
            if let Some(d) = &targets.delegations {
                let mut children = Vec::new();
                for (child, terminating) in d.roles_for_target(target_path) {
                    children.push((child, role.clone(), Some(d.clone())));
                    if terminating {
                        to_visit.clear();
                        break;
                    }
                }
                children.reverse();
                to_visit.extend(children);
            }
        }
        Err(TufError::TargetNotFound(target_path.to_string()))
    }

    /// All targets a delegated role lists (loading it through `parent`,
    /// a role delegated by top-level targets).
    pub fn delegated_role(&mut self, role: &str) -> Result<Targets, TufError> {
        let top = self
            .top_targets()
            .cloned()
            .ok_or_else(|| TufError::Format("no trusted targets; refresh first".into()))?;
        let d = top.delegations.ok_or_else(|| TufError::Delegation {
            what: "targets.json".into(),
            detail: format!("no delegations, so no role \"{role}\""),
        })?;
        self.load_targets(role, "targets", Some(&d))
    }

    /// URL of a target in the repository, with the hash prefix consistent
    /// snapshots use.
    pub fn target_url(&self, base: &str, path: &str, info: &TargetFile) -> String {
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        if self.root.consistent_snapshot {
            let hash = info
                .hashes
                .get("sha256")
                .or_else(|| info.hashes.values().next())
                .cloned()
                .unwrap_or_default();
            match path.rsplit_once('/') {
                Some((dir, name)) => format!("{base}{dir}/{hash}.{name}"),
                None => format!("{base}{hash}.{path}"),
            }
        } else {
            format!("{base}{path}")
        }
    }
}
