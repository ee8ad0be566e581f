//! The Update Framework (specification 1.0): metadata, signatures and the
//! client workflow. Nothing here knows about kiosk content; the kiosk rules
//! (bundle manifests, generations, the trusted-time floor) live in
//! [`crate::pull`].

pub mod canonical;
pub mod keys;
pub mod metadata;
pub mod repo;
pub mod updater;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::Digest;

pub use updater::{Updater, UpdaterLimits};

/// Everything that can make a TUF update fail. Each message names the
/// document or URL and says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum TufError {
    #[error("malformed metadata: {0}")]
    Format(String),
    #[error(
        "{what}: only {valid} valid signature(s) from distinct trusted keys, {threshold} needed; \
         the metadata was not signed by enough of the role's keys (re-sign it, or check the mirror is not tampered with)"
    )]
    Threshold {
        what: String,
        valid: u64,
        threshold: u64,
    },
    #[error(
        "{what}: version {new} is older than the trusted version {trusted} (rollback); \
         the server or USB stick offers an older repository than this kiosk already has — use a current copy"
    )]
    Rollback {
        what: String,
        trusted: u64,
        new: u64,
    },
    #[error("{what}: expired at {expires} (now counted as {now}); the repository must re-sign it")]
    Expired {
        what: String,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("{what}: version is {got}, but {expected} was expected ({why})")]
    VersionMismatch {
        what: String,
        expected: u64,
        got: u64,
        why: &'static str,
    },
    #[error("{what}: {detail}; the file was changed after signing or the download is corrupt")]
    Hash { what: String, detail: String },
    #[error("{what}: {detail}")]
    Delegation { what: String, detail: String },
    #[error("target \"{0}\" is not listed by any trusted targets role")]
    TargetNotFound(String),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{path}: {source}{}", io_advice(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not found (HTTP {status})")]
    NotFound { url: String, status: u16 },
    #[error(
        "{url}: server answered HTTP {status}{}; check the repository URL and the server",
        retry_note(*.retry_after)
    )]
    Status {
        url: String,
        status: u16,
        /// The server's `Retry-After` in seconds (429, 503), if it gave one.
        retry_after: Option<u64>,
    },
    #[error(
        "{url}: server redirects (HTTP {status}) to {location}, another host, scheme or port; a kiosk follows no such redirect — set the repository URL to where the files really are"
    )]
    Redirect {
        url: String,
        status: u16,
        location: String,
    },
    #[error(
        "{url}: too slow — {got} bytes (of at most {limit}) in {secs} s; a download must average at least {min_rate} bytes/s after {grace_secs} s, so it was stopped (a broken link, or a server holding the kiosk back); the partial download is kept and the next attempt resumes"
    )]
    TooSlow {
        url: String,
        got: u64,
        limit: u64,
        secs: u64,
        min_rate: u64,
        grace_secs: u64,
    },
    #[error(
        "{url}: the update ran out of its time (pull_deadline_secs) and stopped; what was downloaded is kept and the next attempt resumes"
    )]
    PullDeadline { url: String },
    #[error("{url}: paused for a USB import; the download resumes after it")]
    Cancelled { url: String },
    #[error(
        "{url}: more than {limit} bytes; the server sends more than the signed length allows (endless or wrong response) — download stopped"
    )]
    TooLong { url: String, limit: u64 },
    #[error("{url}: {message}; check the network or the server, the next attempt resumes")]
    Network { url: String, message: String },
    #[error("{path}: {source}{}", io_advice(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn retry_note(retry_after: Option<u64>) -> String {
    retry_after
        .map(|s| format!(" and asks to retry after {s} s"))
        .unwrap_or_default()
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::NotFound { .. })
    }
}

/// Where metadata and targets come from: HTTP, a directory, a test double.
pub trait Transport {
    /// The whole body at `url`, refusing more than `max_len` bytes.
    fn get(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError>;
}

/// Percent-encode everything but unreserved characters, as TUF role names
/// in URLs and file names must be (`../x` must stay one path segment).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    // A role named "." or ".." must not become a directory reference.
    if out == "." || out == ".." {
        return out.replace('.', "%2E");
    }
    out
}

/// Check `data` against a signed length and hashes. Every listed hash must
/// match; an algorithm this client does not know fails the check.
pub fn verify_length_and_hashes(
    data: &[u8],
    length: Option<u64>,
    hashes: Option<&BTreeMap<String, String>>,
    what: &str,
) -> Result<(), TufError> {
    if let Some(len) = length
        && data.len() as u64 != len
    {
        return Err(TufError::Hash {
            what: what.to_string(),
            detail: format!("length is {} bytes, signed length is {len}", data.len()),
        });
    }
    for (alg, expected) in hashes.into_iter().flatten() {
        let got = match alg.as_str() {
            "sha256" => hex::encode(sha2::Sha256::digest(data)),
            "sha224" => hex::encode(sha2::Sha224::digest(data)),
            "sha384" => hex::encode(sha2::Sha384::digest(data)),
            "sha512" => hex::encode(sha2::Sha512::digest(data)),
            other => {
                return Err(TufError::Hash {
                    what: what.to_string(),
                    detail: format!("hash algorithm \"{other}\" is not supported, cannot verify"),
                });
            }
        };
        if !got.eq_ignore_ascii_case(expected) {
            return Err(TufError::Hash {
                what: what.to_string(),
                detail: format!("{alg} is {got}, signed value is {expected}"),
            });
        }
    }
    Ok(())
}

/// The trusted-metadata directory: one `<quoted role>.json` per role, the
/// exact bytes received, written atomically.
#[derive(Debug, Clone)]
pub struct MetadataDir {
    dir: PathBuf,
}

impl MetadataDir {
    pub fn new(dir: &Path) -> MetadataDir {
        MetadataDir {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path_of(&self, role: &str) -> PathBuf {
        self.dir.join(format!("{}.json", quote(role)))
    }

    pub fn read(&self, role: &str) -> Result<Option<Vec<u8>>, TufError> {
        let path = self.path_of(role);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TufError::Io { path, source }),
        }
    }

    pub fn write(&self, role: &str, bytes: &[u8]) -> Result<(), TufError> {
        write_atomic(&self.path_of(role), bytes)
            .map_err(|(path, source)| TufError::Io { path, source })
    }
}

/// What staff can do about a file-system error on the kiosk's data
/// folder, appended to the message that names the path ("" for others).
pub fn io_advice(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => {
            "; the file system holding it is read-only (an SD card remounts itself read-only after errors): check the card (dmesg), then remount it read-write (mount -o remount,rw) or replace the card; the content on screen stays as it is".into()
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "; kiosk-sync (uid {}) may not write there: the data folder's files must belong to the user kiosk-sync runs as (chown -R kiosk-sync:kiosk on the data folder, /var/lib/kiosk on a kiosk); the content on screen stays as it is",
            rustix::process::geteuid().as_raw()
        ),
        _ => String::new(),
    }
}

/// Write `bytes` to `path` through a hidden temporary file in the same
/// directory, fsync, rename: a power cut leaves the old or the new file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(|e| (path.to_path_buf(), e))
}
