//! Key directories as `keygen` writes them.
//!
//! ```text
//! KEYDIR/keys.json             public keys and thresholds of each role (shareable)
//! KEYDIR/private/<role>-<id8>.key   one ed25519 private key each, mode 0600
//! ```
//! Private keys of one role may be spread over several officials' key
//! directories; signing uses whichever are present and says which role is
//! short of its threshold.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tuf::keys::{RoleSigner, key_id};
use crate::tuf::repo::RoleSpec;

pub const KEYS_FORMAT: &str = "kiosk-sync-keys/1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "role {role} needs {threshold} signature(s) but {dir} holds {have} of its private keys; \
         gather the key files of enough officials into one directory"
    )]
    BelowThreshold {
        role: String,
        threshold: u64,
        have: usize,
        dir: PathBuf,
    },
    #[error("{dir}: no role \"{role}\" in keys.json; run keygen (or delegate-hall) first")]
    MissingRole { role: String, dir: PathBuf },
}

/// Public part of one role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicRole {
    pub threshold: u64,
    pub keys: Vec<Value>,
}

impl PublicRole {
    pub fn spec(&self) -> RoleSpec {
        RoleSpec {
            keys: self
                .keys
                .iter()
                .map(|k| (key_id(k).unwrap_or_default(), k.clone()))
                .collect(),
            threshold: self.threshold,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeysFile {
    pub format: String,
    /// root, targets, snapshot, timestamp (district) or hall-<id> (hall).
    pub roles: BTreeMap<String, PublicRole>,
    /// Halls delegated by this district: hall id -> its role's public keys.
    #[serde(default)]
    pub halls: BTreeMap<String, PublicRole>,
}

#[derive(Serialize, Deserialize)]
struct PrivateKeyFile {
    role: String,
    keytype: String,
    secret: String,
}

/// A loaded key directory.
pub struct KeyDir {
    pub dir: PathBuf,
    pub file: KeysFile,
    signers: BTreeMap<String, Vec<RoleSigner>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Name of the delegated role of a hall.
pub fn hall_role(hall_id: &str) -> String {
    format!("hall-{hall_id}")
}

/// A hall id becomes part of paths and role names: keep it simple.
pub fn check_hall_id(hall_id: &str) -> Result<(), String> {
    if hall_id.is_empty()
        || hall_id.len() > 64
        || !hall_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "hall id \"{hall_id}\" must be 1-64 letters, digits, '-' or '_'"
        ));
    }
    Ok(())
}

impl KeyDir {
    /// Create keys: `counts` gives (role, number of keys, threshold).
    pub fn generate(dir: &Path, counts: &[(String, usize, u64)]) -> Result<KeyDir, KeyError> {
        let keys_path = dir.join("keys.json");
        if keys_path.exists() {
            return Err(KeyError::Invalid {
                path: keys_path,
                message: "already exists; refusing to overwrite keys (choose another --out)".into(),
            });
        }
        let private = dir.join("private");
        std::fs::create_dir_all(&private).map_err(io(&private))?;
        let mut roles = BTreeMap::new();
        let mut signers = BTreeMap::new();
        for (role, n, threshold) in counts {
            if *threshold == 0 || *threshold as usize > *n {
                return Err(KeyError::Invalid {
                    path: keys_path,
                    message: format!(
                        "role {role}: threshold {threshold} must be between 1 and {n}"
                    ),
                });
            }
            let mut list = Vec::new();
            for _ in 0..*n {
                let s = RoleSigner::generate();
                let id = s.key_id();
                let path = private.join(format!("{role}-{}.key", &id[..8]));
                let body = serde_json::to_vec_pretty(&PrivateKeyFile {
                    role: role.clone(),
                    keytype: "ed25519".into(),
                    secret: s.secret_hex(),
                })
                .map_err(|e| KeyError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                write_private(&path, &body)?;
                list.push(s);
            }
            roles.insert(
                role.clone(),
                PublicRole {
                    threshold: *threshold,
                    keys: list.iter().map(RoleSigner::public_json).collect(),
                },
            );
            signers.insert(role.clone(), list);
        }
        let file = KeysFile {
            format: KEYS_FORMAT.into(),
            roles,
            halls: BTreeMap::new(),
        };
        let kd = KeyDir {
            dir: dir.to_path_buf(),
            file,
            signers,
        };
        kd.save()?;
        Ok(kd)
    }

    pub fn load(dir: &Path) -> Result<KeyDir, KeyError> {
        let keys_path = dir.join("keys.json");
        let bytes = std::fs::read(&keys_path).map_err(io(&keys_path))?;
        let file: KeysFile = serde_json::from_slice(&bytes).map_err(|e| KeyError::Invalid {
            path: keys_path.clone(),
            message: format!("not a kiosk-sync keys.json: {e}"),
        })?;
        if file.format != KEYS_FORMAT {
            return Err(KeyError::Invalid {
                path: keys_path,
                message: format!("format is \"{}\", expected \"{KEYS_FORMAT}\"", file.format),
            });
        }
        let mut signers: BTreeMap<String, Vec<RoleSigner>> = BTreeMap::new();
        let private = dir.join("private");
        if private.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&private)
                .map_err(io(&private))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "key"))
                .collect();
            entries.sort();
            for path in entries {
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                let pk: PrivateKeyFile =
                    serde_json::from_slice(&bytes).map_err(|e| KeyError::Invalid {
                        path: path.clone(),
                        message: format!("not a kiosk-sync private key: {e}"),
                    })?;
                let s = RoleSigner::from_secret_hex(&pk.secret, &path.display().to_string())
                    .map_err(|e| KeyError::Invalid {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                signers.entry(pk.role).or_default().push(s);
            }
        }
        Ok(KeyDir {
            dir: dir.to_path_buf(),
            file,
            signers,
        })
    }

    pub fn save(&self) -> Result<(), KeyError> {
        let path = self.dir.join("keys.json");
        let body = serde_json::to_vec_pretty(&self.file).map_err(|e| KeyError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::tuf::write_atomic(&path, &body)
            .map_err(|(path, source)| KeyError::Io { path, source })
    }

    pub fn public(&self, role: &str) -> Result<&PublicRole, KeyError> {
        self.file
            .roles
            .get(role)
            .ok_or_else(|| KeyError::MissingRole {
                role: role.to_string(),
                dir: self.dir.clone(),
            })
    }

    /// Private keys present for `role` that belong to its public keys.
    pub fn signers(&self, role: &str) -> Vec<&RoleSigner> {
        let Ok(public) = self.public(role) else {
            return Vec::new();
        };
        let ids: Vec<String> = public.spec().keys.into_iter().map(|(id, _)| id).collect();
        self.signers
            .get(role)
            .map(|v| v.iter().filter(|s| ids.contains(&s.key_id())).collect())
            .unwrap_or_default()
    }

    /// Signers for `role`, enough to meet its threshold, or a clear error.
    pub fn signers_meeting_threshold(&self, role: &str) -> Result<Vec<&RoleSigner>, KeyError> {
        let public = self.public(role)?;
        let signers = self.signers(role);
        if (signers.len() as u64) < public.threshold {
            return Err(KeyError::BelowThreshold {
                role: role.to_string(),
                threshold: public.threshold,
                have: signers.len(),
                dir: self.dir.clone(),
            });
        }
        Ok(signers)
    }
}

fn write_private(path: &Path, body: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(body).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}
