//! Kiosk side: one update from a repository (HTTP URL, LAN mirror or a
//! directory such as a USB stick) into the content store.
//!
//! Order: TUF refresh (root, timestamp, snapshot, targets) -> the bundle
//! manifest target -> its shards -> hall manifests through their
//! delegations -> the store's plan (which objects differ from what it
//! holds) -> those objects not yet in `DATA_DIR/objects/` (each checked
//! against length and sha256) -> one atomic apply that reads them one at
//! a time (a delta on the live store, or a first install written under a
//! temporary name). Nothing is applied unless every step succeeded.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kiosk_content::control::ImportRecord;
use kiosk_content::store::ApplyPlan;
use tracing::{info, warn};

use crate::http::{
    CancelToken, DirTransport, FetchBounds, HttpTransport, PartialFile, SlowRetrieval,
};
use crate::keydir::{check_hall_id, hall_role};
use crate::manifest::{BundleManifest, ManifestError, ObjectRef, Shard, sha256_hex};
use crate::publish::{BUNDLE_MANIFEST_TARGET, ROOT_SIGNED_AT, hall_manifest_target, hall_prefix};
use crate::state::{Clock, ReferenceTime, SyncState, TimeSource};
use crate::tuf::metadata::{parse_time, path_matches};
use crate::tuf::{
    FetchError, Transport, TufError, Updater, UpdaterLimits, verify_length_and_hashes,
};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Tuf(#[from] TufError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(
        "{path}: no trusted root; give the district's root.json once with --root (never take it from a mirror or USB stick)"
    )]
    NoTrustedRoot { path: PathBuf },
    #[error(
        "delegated role {role} may only publish under {prefix}, but it lists {path}; update refused — ask that hall to republish"
    )]
    OutsideDelegation {
        role: String,
        prefix: String,
        path: String,
    },
    #[error(
        "{channel} offers bundle {offered}, but this kiosk already applied bundle {current}; content never goes backwards — use a newer copy"
    )]
    Stale {
        channel: String,
        offered: u64,
        current: u64,
    },
    #[error("object {path} (sha256 {sha256}): {detail}; the object was not used")]
    Object {
        path: String,
        sha256: String,
        detail: String,
    },
    #[error(
        "{source} — note: this kiosk's clock says {clock}, which is before {floor_source} ({floor}); \
         expiry was judged at that later time, so the metadata really is out of date: get a freshly \
         signed copy, and set the kiosk's clock (or check its time sync)"
    )]
    ExpiredClockBehind {
        #[source]
        source: TufError,
        clock: DateTime<Utc>,
        floor: DateTime<Utc>,
        floor_source: &'static str,
    },
    #[error(
        "{path}: the disk is full — this update needs about {needed} bytes more than the {free} bytes free ({}); nothing was changed, the current content stays — free space on the kiosk (or use a larger card)",
        describe_bytes(*.needed)
    )]
    DiskFull {
        path: PathBuf,
        needed: u64,
        free: u64,
    },
    #[error("content store: {0}")]
    Store(String),
    #[error("{path}: {source}{}", crate::tuf::io_advice(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// "1.2 MB" for staff.
pub fn describe_bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else {
        format!("{} kB", n.div_ceil(1000))
    }
}

impl SyncError {
    /// The pull was stopped to let a USB import run (not a failure).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SyncError::Fetch(FetchError::Cancelled { .. })
                | SyncError::Tuf(TufError::Fetch(FetchError::Cancelled { .. }))
        )
    }

    /// The server's `Retry-After`, in seconds, if it sent one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            SyncError::Fetch(FetchError::Status { retry_after, .. })
            | SyncError::Tuf(TufError::Fetch(FetchError::Status { retry_after, .. })) => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Bytes more the disk would need, if this is a full disk.
    pub fn disk_needed(&self) -> Option<u64> {
        match self {
            SyncError::DiskFull { needed, .. } => Some(*needed),
            _ => None,
        }
    }
}

/// ENOSPC (or EDQUOT) in an I/O error.
fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(c) if c == rustix::io::Errno::NOSPC.raw_os_error()
            || c == rustix::io::Errno::DQUOT.raw_os_error()
    )
}

/// Bytes free for an unprivileged writer on the file system of `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// Kept free beyond an update's estimate, so the sync state (and its error
/// message) can still be written.
const DISK_RESERVE: u64 = 256 * 1024;

/// How much room applying a bundle is expected to take in the store: for
/// a first install the new SQLite file with its search index (twice the
/// objects plus 512 kB); for a delta four times the bytes of the objects
/// it reads plus 1 MiB (the changed pages in the write-ahead log, the undo
/// rows for a revert, pages the file grows by before freed ones are
/// reused, and the vocabulary and term counts). An estimate: if it falls
/// short, the apply's own ENOSPC is reported the same way
/// (`SyncError::DiskFull`).
fn store_estimate(entries: &BTreeMap<String, ObjectRef>, plan: &ApplyPlan) -> u64 {
    if plan.first_install {
        let content: u64 = entries.values().map(|r| r.length).sum();
        content.saturating_mul(2).saturating_add(512 * 1024)
    } else {
        let changed: u64 = plan
            .read
            .iter()
            .filter_map(|p| entries.get(p))
            .map(|r| r.length)
            .sum();
        changed.saturating_mul(4).saturating_add(1024 * 1024)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SyncError + '_ {
    move |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where a repository is.
#[derive(Debug, Clone)]
pub enum Source {
    /// Base URL of the repository (`.../` holding `metadata/`, `targets/`,
    /// `objects/`).
    Http(String),
    /// A repository directory (USB stick).
    Dir(PathBuf),
}

impl Source {
    fn base(&self) -> String {
        match self {
            Source::Http(u) => {
                if u.ends_with('/') {
                    u.clone()
                } else {
                    format!("{u}/")
                }
            }
            Source::Dir(p) => format!("{}/", p.display()),
        }
    }

    /// The channel recorded with a generation.
    pub fn channel(&self) -> String {
        match self {
            Source::Http(u) => u.clone(),
            Source::Dir(p) => format!("usb:{}", p.display()),
        }
    }

    /// An error as the sync state records it: naming the repository URL or
    /// directory it came from (prefixed with the channel if the message
    /// does not already name it).
    pub fn describe_error(&self, e: &SyncError) -> String {
        let msg = e.to_string();
        let name = match self {
            Source::Http(u) => u.trim_end_matches('/').to_string(),
            Source::Dir(p) => p.display().to_string(),
        };
        if msg.contains(&name) {
            msg
        } else {
            format!("{}: {msg}", self.channel())
        }
    }
}

/// Details of an applied generation, as the store reports it.
#[derive(Debug, Clone)]
pub struct AppliedGeneration {
    pub generation: u64,
    pub bundle_version: u64,
    pub item_count: u64,
}

/// What to apply.
#[derive(Debug, Clone)]
pub struct ApplyInfo {
    pub bundle_version: u64,
    pub channel: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// The content store as `pull` sees it. The real one is
/// [`crate::store::StoreApplier`]; unit tests use a fake.
pub trait ContentApplier {
    /// Highest bundle version ever applied (0 for none).
    fn highest_bundle_version(&mut self) -> Result<u64, SyncError>;
    /// Whether a generation is current.
    fn has_current(&mut self) -> Result<bool, SyncError>;
    /// Which of `entries` applying them will read (all of them for a first
    /// install; else the added and changed ones). Reads no object.
    fn plan(&mut self, entries: &BTreeMap<String, ObjectRef>) -> Result<ApplyPlan, SyncError>;
    /// Apply `entries` as one new generation, atomically, reading the
    /// objects the plan named through `read`, one at a time (never all
    /// of them in memory).
    fn apply(
        &mut self,
        entries: &BTreeMap<String, ObjectRef>,
        read: &mut dyn FnMut(&str) -> Result<Vec<u8>, SyncError>,
        info: &ApplyInfo,
    ) -> Result<AppliedGeneration, SyncError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullResult {
    Applied {
        generation: u64,
        bundle_version: u64,
    },
    UpToDate {
        bundle_version: u64,
    },
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub result: PullResult,
    pub bytes_transferred: u64,
    /// Objects and manifest shards of the bundle (0 on the cheap up-to-date
    /// path, which reads no manifest).
    pub objects_total: usize,
    /// Of those, how many were downloaded (the rest were cached).
    pub objects_fetched: usize,
    /// Wall time spent downloading (zero from a directory): the rest of the
    /// pull is verifying, applying and the disk.
    pub transfer_time: std::time::Duration,
}

/// Fetching for one source.
enum Fetcher {
    Http(HttpTransport),
    Dir(DirTransport),
}

impl Fetcher {
    fn transport(&self) -> &dyn Transport {
        match self {
            Fetcher::Http(t) => t,
            Fetcher::Dir(t) => t,
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Fetcher::Http(t) => t.counter.bytes(),
            Fetcher::Dir(t) => t.counter.bytes(),
        }
    }

    fn transfer_time(&self) -> std::time::Duration {
        match self {
            Fetcher::Http(t) => t.counter.transfer_time(),
            Fetcher::Dir(t) => t.counter.transfer_time(),
        }
    }
}

/// Layout of the kiosk's data directory (besides the store's own files).
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> DataDir {
        DataDir {
            root: root.to_path_buf(),
        }
    }
    pub fn tuf(&self) -> PathBuf {
        self.root.join("tuf")
    }
    pub fn objects(&self) -> PathBuf {
        self.root.join("objects")
    }
    pub fn partial(&self) -> PathBuf {
        self.root.join("objects").join(".partial")
    }
    pub fn manifests(&self) -> PathBuf {
        self.root.join("manifests")
    }
}

/// Install the trusted root if none is there yet. An existing trusted root
/// is never replaced this way (only by signed rotation).
pub fn install_root(data: &DataDir, root_file: Option<&Path>) -> Result<(), SyncError> {
    let tuf = data.tuf();
    let trusted = tuf.join("root.json");
    if trusted.exists() {
        return Ok(());
    }
    let Some(src) = root_file else {
        return Err(SyncError::NoTrustedRoot { path: trusted });
    };
    let bytes = std::fs::read(src).map_err(io_err(src))?;
    // Check it parses as a root signed by itself before trusting it.
    let env = crate::tuf::metadata::Envelope::parse(&bytes, &src.display().to_string())?;
    crate::tuf::metadata::parse_root(&env.signed, &src.display().to_string())?;
    std::fs::create_dir_all(&tuf).map_err(io_err(&tuf))?;
    crate::tuf::write_atomic(&trusted, &bytes)
        .map_err(|(path, source)| SyncError::Io { path, source })?;
    info!("installed trusted root from {}", src.display());
    Ok(())
}

struct Session<'a> {
    data: &'a DataDir,
    fetcher: &'a Fetcher,
    base: String,
    fetched: usize,
    /// From a folder: the greatest path read so far (reads counted once).
    furthest_read: Option<String>,
    /// Shard objects of the manifests read, kept in the cache.
    shards: Vec<String>,
}

impl Session<'_> {
    fn object_url(&self, sha: &str) -> String {
        format!("{}objects/{sha}", self.base)
    }

    /// A verified object: from the cache, else downloaded (resuming a
    /// partial download), checked, then moved into the cache. From a
    /// folder (a USB stick, a repository on disk) it is read and checked
    /// at every use and never copied into the cache: the store holds what
    /// is applied, and a copy would double the card's writes and space.
    fn object(&mut self, path: &str, r: &ObjectRef) -> Result<Vec<u8>, SyncError> {
        let cached = self.data.objects().join(&r.sha256);
        if let Ok(bytes) = std::fs::read(&cached) {
            if bytes.len() as u64 == r.length && sha256_hex(&bytes) == r.sha256 {
                return Ok(bytes);
            }
            warn!(
                "{}: cached copy is damaged; fetching again",
                cached.display()
            );
            let _ = std::fs::remove_file(&cached);
        }
        let url = self.object_url(&r.sha256);
        let bytes = match self.fetcher {
            Fetcher::Http(t) => {
                let pdir = self.data.partial();
                std::fs::create_dir_all(&pdir).map_err(io_err(&pdir))?;
                let ppath = pdir.join(&r.sha256);
                let mut part = PartialFile::open(&ppath)?;
                let res = t.download_into(&url, r.length, &mut part);
                if let Err(e) = res {
                    if matches!(e, FetchError::TooLong { .. }) {
                        let _ = std::fs::remove_file(&ppath);
                    }
                    return Err(e.into());
                }
                // No fsync: a cached object is hash-checked whenever it is
                // read, so a torn file after a power cut is fetched again.
                drop(part);
                std::fs::read(&ppath).map_err(io_err(&ppath))?
            }
            Fetcher::Dir(t) => {
                let bytes = t.get(&url, r.length)?;
                // A first install reads items twice (in path order, then
                // in date order): count each path once, at its first read.
                if self.furthest_read.as_deref().is_none_or(|f| path > f) {
                    self.fetched += 1;
                    self.furthest_read = Some(path.to_string());
                }
                check_object(path, r, &bytes)?;
                return Ok(bytes);
            }
        };
        self.fetched += 1;
        let ppath = self.data.partial().join(&r.sha256);
        if let Err(e) = check_object(path, r, &bytes) {
            let _ = std::fs::remove_file(&ppath);
            return Err(e);
        }
        let odir = self.data.objects();
        std::fs::create_dir_all(&odir).map_err(io_err(&odir))?;
        if ppath.exists() {
            std::fs::rename(&ppath, &cached).map_err(io_err(&cached))?;
        } else {
            write_cached(&cached, &bytes)?;
        }
        Ok(bytes)
    }

    /// Fetch a manifest target and all its shards; returns path -> ref.
    fn manifest_entries(
        &mut self,
        updater: &mut Updater<'_>,
        target: &str,
    ) -> Result<(BundleManifest, BTreeMap<String, ObjectRef>), SyncError> {
        let (info, _role) = updater.target_info(target)?;
        let url = updater.target_url(&format!("{}targets/", self.base), target, &info);
        let bytes = self.fetcher.transport().get(&url, info.length)?;
        verify_length_and_hashes(&bytes, Some(info.length), Some(&info.hashes), &url)?;
        let manifest = BundleManifest::parse(&bytes, &url)?;
        let mut entries = BTreeMap::new();
        for (i, sha) in manifest.shards.iter().enumerate() {
            let what = format!("{target} shard {i}");
            let r = ObjectRef {
                sha256: sha.clone(),
                length: 0,
            };
            let shard_bytes = self.shard(&what, &r, manifest.shard_max_length)?;
            self.shards.push(sha.clone());
            let shard = Shard::parse(&shard_bytes, i, manifest.shard_bits, &what)?;
            for (path, (sha256, length)) in shard.objects {
                entries.insert(path, ObjectRef { sha256, length });
            }
        }
        Ok((manifest, entries))
    }

    /// A shard: its length is only bounded (by the manifest's maximum), its
    /// hash is exact. Cached when downloaded; from a folder it is read
    /// there every time, like the objects (a later download then fetches
    /// the shards once: about 10 MB at 100,000 documents).
    fn shard(&mut self, what: &str, r: &ObjectRef, max_len: u64) -> Result<Vec<u8>, SyncError> {
        let cached = self.data.objects().join(&r.sha256);
        if let Ok(bytes) = std::fs::read(&cached)
            && sha256_hex(&bytes) == r.sha256
        {
            return Ok(bytes);
        }
        let bytes = self
            .fetcher
            .transport()
            .get(&self.object_url(&r.sha256), max_len)?;
        self.fetched += 1;
        if sha256_hex(&bytes) != r.sha256 {
            return Err(SyncError::Object {
                path: what.to_string(),
                sha256: r.sha256.clone(),
                detail: "content does not match its hash".into(),
            });
        }
        if matches!(self.fetcher, Fetcher::Dir(_)) {
            return Ok(bytes);
        }
        let odir = self.data.objects();
        std::fs::create_dir_all(&odir).map_err(io_err(&odir))?;
        write_cached(&cached, &bytes)?;
        Ok(bytes)
    }
}

/// An object is exactly what the manifest signed: its length and sha256.
fn check_object(path: &str, r: &ObjectRef, bytes: &[u8]) -> Result<(), SyncError> {
    if bytes.len() as u64 != r.length {
        return Err(SyncError::Object {
            path: path.to_string(),
            sha256: r.sha256.clone(),
            detail: format!("{} bytes received, {} signed", bytes.len(), r.length),
        });
    }
    let got = sha256_hex(bytes);
    if got != r.sha256 {
        return Err(SyncError::Object {
            path: path.to_string(),
            sha256: r.sha256.clone(),
            detail: format!(
                "content hashes to {got}; changed on the server or corrupted in transit"
            ),
        });
    }
    Ok(())
}

/// Puts a verified object into the cache under its hash: written under a
/// temporary name (`.<sha>.<pid>.tmp`, removed by [`remove_leftovers`]
/// if a kill leaves it) and renamed, with no fsync. A cached object is
/// hash-checked whenever it is read, so a file a power cut tore is fetched
/// again; an fsync per object (two with the folder's) cost a first
/// install of 100,000 documents from a USB stick or a repository folder
/// about 200,000 waits for the card.
fn write_cached(cached: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    let dir = cached.parent().unwrap_or(Path::new("."));
    let name = cached
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, cached));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(SyncError::Io {
            path: cached.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}

/// A stable id of a bundle's content: sha256 over its sorted entries.
pub fn content_id(entries: &BTreeMap<String, ObjectRef>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (p, r) in entries {
        h.update(p.as_bytes());
        h.update([0]);
        h.update(r.sha256.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Serialises updates of one data directory across processes: the daemon
/// and a `kiosk-sync import` started for a USB stick (or a `pull` by hand)
/// must not interleave their writes to `tuf/`, the object cache and
/// `sync-state.json`. An advisory lock on `DATA_DIR/sync.lock`, released
/// when dropped or when the process dies.
pub struct UpdateLock {
    _file: std::fs::File,
    data_dir: PathBuf,
}

impl UpdateLock {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("sync.lock")
    }

    /// The data directory this lock is held for.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn held(file: std::fs::File, data_dir: &Path) -> UpdateLock {
        UpdateLock {
            _file: file,
            data_dir: data_dir.to_path_buf(),
        }
    }

    fn open(data_dir: &Path) -> Result<std::fs::File, SyncError> {
        std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
        let path = Self::path(data_dir);
        std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))
    }

    /// Waits until no other update of `data_dir` runs.
    pub fn acquire(data_dir: &Path) -> Result<UpdateLock, SyncError> {
        let file = Self::open(data_dir)?;
        match file.try_lock() {
            Ok(()) => return Ok(UpdateLock::held(file, data_dir)),
            Err(std::fs::TryLockError::WouldBlock) => info!(
                "{}: another kiosk-sync update of this data directory is running; waiting for it to finish",
                data_dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&Self::path(data_dir))(e)),
        }
        file.lock().map_err(io_err(&Self::path(data_dir)))?;
        Ok(UpdateLock::held(file, data_dir))
    }

    /// The lock if no other update runs now.
    pub fn try_acquire(data_dir: &Path) -> Result<Option<UpdateLock>, SyncError> {
        let file = Self::open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(UpdateLock::held(file, data_dir))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io_err(&Self::path(data_dir))(e)),
        }
    }
}

/// The longest one pull may download by default (checked before and
/// during every download, not during the apply): under the daemon's
/// watchdog limit of an hour, so a pull over a bad link ends, is recorded,
/// and resumes at the next attempt instead of getting the service killed.
pub const DEFAULT_PULL_DEADLINE: Duration = Duration::from_secs(45 * 60);

/// What bounds one pull, and how to stop it from outside.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Per-download slow-retrieval bound (metadata, manifests, objects).
    pub slow: SlowRetrieval,
    /// The whole pull's download time.
    pub deadline: Duration,
    /// Set it to stop an HTTP pull at once (the daemon does, for a USB
    /// import); partial downloads stay for the resume.
    pub cancel: CancelToken,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            slow: SlowRetrieval::default(),
            deadline: DEFAULT_PULL_DEADLINE,
            cancel: CancelToken::new(),
        }
    }
}

/// Run one update from `source` with the default [`PullOptions`] (see
/// [`pull_with`]).
pub fn pull(
    data_dir: &Path,
    source: &Source,
    root_file: Option<&Path>,
    clock: &dyn Clock,
    applier: &mut dyn ContentApplier,
) -> Result<PullOutcome, SyncError> {
    pull_with(
        data_dir,
        source,
        root_file,
        clock,
        applier,
        &PullOptions::default(),
    )
}

/// Run one update from `source`. On failure the error is recorded in the
/// sync state (naming the source, [`Source::describe_error`]) and the store
/// is left as it was; a directory source (an import) also records its
/// outcome as [`SyncState::last_import`]. A pull stopped through
/// `opts.cancel` is not a failure and records none. Waits for any other
/// update of the same data directory ([`UpdateLock`]) first, and holds it
/// from loading the state to saving it.
pub fn pull_with(
    data_dir: &Path,
    source: &Source,
    root_file: Option<&Path>,
    clock: &dyn Clock,
    applier: &mut dyn ContentApplier,
    opts: &PullOptions,
) -> Result<PullOutcome, SyncError> {
    let lock = UpdateLock::acquire(data_dir)?;
    remove_leftovers(&DataDir::new(data_dir));
    let mut state = SyncState::load(data_dir);
    state.last_attempt = Some(clock.now());
    let res = pull_inner(
        data_dir, source, root_file, clock, applier, &mut state, opts,
    );
    match &res {
        Ok(out) => {
            state.last_success = Some(clock.now());
            state.last_error = None;
            state.last_error_at = None;
            state.disk_needed_bytes = None;
            state.consecutive_failures = 0;
            state.last_channel = Some(source.channel());
            state.last_bytes_transferred = out.bytes_transferred;
        }
        Err(e) if e.is_cancelled() => {
            info!("{}: paused for a USB import", source.channel());
        }
        Err(e) => {
            state.last_error = Some(source.describe_error(e));
            state.last_error_at = Some(clock.now());
            state.disk_needed_bytes = e.disk_needed();
            state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        }
    }
    if let Source::Dir(dir) = source {
        state.last_import = Some(import_record(source, dir, &res, clock.now()));
    }
    if let Err((path, e)) = state.save(&lock) {
        if is_disk_full(&e) {
            // Make room for the record that says the disk is full: the
            // resumable downloads are the only thing that can go.
            warn!("{}: disk full; removing partial downloads", path.display());
            let _ = std::fs::remove_dir_all(DataDir::new(data_dir).partial());
        }
        if let Err((path, e)) = state.save(&lock) {
            warn!("{}: cannot save sync state: {e}", path.display());
        }
    }
    res
}

/// Files a process killed mid-write left behind: `write_atomic`'s hidden
/// `.<name>.<pid>.tmp` in the data directory, `tuf/`, `objects/` and
/// `manifests/`. Called with the update lock held, so no writer owns them.
fn remove_leftovers(data: &DataDir) {
    // In the data directory itself only the sync state's: other programs
    // (the app) may keep files there.
    let state_tmp = format!(".{}.", crate::state::STATE_FILE);
    for (dir, prefix) in [
        (data.root.clone(), state_tmp.as_str()),
        (data.tuf(), "."),
        (data.objects(), "."),
        (data.manifests(), "."),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".tmp") {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => info!("removed leftover {}", e.path().display()),
                    Err(err) => warn!("{}: cannot remove leftover: {err}", e.path().display()),
                }
            }
        }
    }
}

/// How an import from `dir` ended, in one sentence for hall staff (the
/// failure in the same words as `last_error`).
fn import_record(
    source: &Source,
    dir: &Path,
    res: &Result<PullOutcome, SyncError>,
    finished_at: DateTime<Utc>,
) -> ImportRecord {
    let shown = dir.display();
    let (ok, generation, message) = match res {
        Ok(PullOutcome {
            result:
                PullResult::Applied {
                    generation,
                    bundle_version,
                },
            ..
        }) => (
            true,
            Some(*generation),
            format!(
                "imported bundle {bundle_version} from {shown}: generation {generation} is the current content now"
            ),
        ),
        Ok(PullOutcome {
            result: PullResult::UpToDate { bundle_version },
            ..
        }) => (
            true,
            None,
            format!(
                "nothing newer on {shown}: this kiosk already has that content or newer (bundle {bundle_version}); nothing was changed"
            ),
        ),
        Err(e) => (false, None, source.describe_error(e)),
    };
    ImportRecord {
        source: shown.to_string(),
        finished_at,
        ok,
        generation,
        message,
    }
}

fn pull_inner(
    data_dir: &Path,
    source: &Source,
    root_file: Option<&Path>,
    clock: &dyn Clock,
    applier: &mut dyn ContentApplier,
    state: &mut SyncState,
    opts: &PullOptions,
) -> Result<PullOutcome, SyncError> {
    let data = DataDir::new(data_dir);
    std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
    install_root(&data, root_file)?;
    let fetcher = match source {
        Source::Http(_) => Fetcher::Http(HttpTransport::with_bounds(FetchBounds {
            slow: opts.slow,
            pull_deadline: Instant::now().checked_add(opts.deadline),
            cancel: opts.cancel.clone(),
        })?),
        Source::Dir(p) => {
            if !p.join("metadata").is_dir() {
                return Err(SyncError::Io {
                    path: p.join("metadata"),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "not a kiosk repository (no metadata/ directory); copy the whole repository folder to the stick",
                    ),
                });
            }
            Fetcher::Dir(DirTransport::new(p)?.with_slow_retrieval(opts.slow))
        }
    };
    let reference = state.reference(clock, root_signed_at(&data));
    pull_verified(&data, source, &fetcher, reference.time, applier, state)
        .map_err(|e| explain_expiry(e, &reference))
}

/// The signing time the trusted root carries ([`ROOT_SIGNED_AT`]), if any.
/// Read before the session verifies the root; a root that fails
/// verification fails the whole pull, so its time is never relied on.
pub fn root_signed_at(data: &DataDir) -> Option<DateTime<Utc>> {
    let bytes = std::fs::read(data.tuf().join("root.json")).ok()?;
    let env = crate::tuf::metadata::Envelope::parse(&bytes, "trusted root.json").ok()?;
    let t = env.signed.get(ROOT_SIGNED_AT)?.as_str()?;
    parse_time(t, ROOT_SIGNED_AT).ok()
}

/// An expiry judged at a floor rather than the clock says so.
fn explain_expiry(e: SyncError, r: &ReferenceTime) -> SyncError {
    match e {
        SyncError::Tuf(source @ TufError::Expired { .. }) if r.source != TimeSource::Clock => {
            SyncError::ExpiredClockBehind {
                source,
                clock: r.clock,
                floor: r.time,
                floor_source: r.source.describe(),
            }
        }
        other => other,
    }
}

/// Everything after the trusted root and the reference time are settled.
fn pull_verified(
    data: &DataDir,
    source: &Source,
    fetcher: &Fetcher,
    now: DateTime<Utc>,
    applier: &mut dyn ContentApplier,
    state: &mut SyncState,
) -> Result<PullOutcome, SyncError> {
    let base = source.base();
    let mut updater = Updater::new(
        &data.tuf(),
        &format!("{base}metadata/"),
        fetcher.transport(),
        now,
        UpdaterLimits::default(),
    )?;
    updater.refresh()?;
    let snapshot_version = updater
        .snapshot()
        .map(|s| s.common.version)
        .ok_or_else(|| TufError::Format("no snapshot after refresh".into()))?;

    let current = applier.highest_bundle_version()?;
    if snapshot_version < current {
        return Err(SyncError::Stale {
            channel: source.channel(),
            offered: snapshot_version,
            current,
        });
    }
    if snapshot_version == current && state.applied_snapshot_version == current {
        // Nothing new was signed: a poll costs only timestamp.json.
        return Ok(PullOutcome {
            result: PullResult::UpToDate {
                bundle_version: current,
            },
            bytes_transferred: fetcher.bytes(),
            transfer_time: fetcher.transfer_time(),
            objects_total: 0,
            objects_fetched: 0,
        });
    }

    let mut session = Session {
        data,
        fetcher,
        base,
        fetched: 0,
        furthest_read: None,
        shards: Vec::new(),
    };
    let (manifest, mut entries) = session.manifest_entries(&mut updater, BUNDLE_MANIFEST_TARGET)?;
    let published_at = parse_time(&manifest.published_at, "bundle manifest published_at").ok();
    // Where item ids are taken so far: the folders of the district's
    // items, then hall by hall. An id is looked up in each (a handful of
    // folders), so no map of every id is held beside the entries.
    let mut id_folders: BTreeSet<String> = BTreeSet::new();
    if !manifest.halls.is_empty() {
        for p in entries.keys() {
            if let Some(id) = item_id_of(p) {
                let folder = &p[..p.len() - id.len() - ".json".len()];
                if !id_folders.contains(folder) {
                    id_folders.insert(folder.to_string());
                }
            }
        }
    }
    let mut set_aside = Vec::new();

    for hall in &manifest.halls {
        if let Err(msg) = check_hall_id(hall) {
            return Err(TufError::Format(format!("bundle manifest: {msg}")).into());
        }
        let role = hall_role(hall);
        let prefix = hall_prefix(hall);
        let hall_md = match updater.delegated_role(&role) {
            Ok(t) => t,
            Err(TufError::Delegation { detail, .. })
                if detail.contains("not listed in snapshot") =>
            {
                continue; // the hall has not published yet
            }
            Err(e) => return Err(e.into()),
        };
        // Stricter than TUF (which would just ignore such entries): a hall
        // listing anything outside its prefix is refused loudly.
        for path in hall_md.targets.keys() {
            if !path_matches(&format!("{prefix}*"), path) {
                return Err(SyncError::OutsideDelegation {
                    role,
                    prefix,
                    path: path.clone(),
                });
            }
        }
        let target = hall_manifest_target(hall);
        if !hall_md.targets.contains_key(&target) {
            continue;
        }
        let (hm, hall_entries) = session.manifest_entries(&mut updater, &target)?;
        if hm.path_prefix != prefix {
            return Err(SyncError::OutsideDelegation {
                role,
                prefix,
                path: format!("(manifest prefix \"{}\")", hm.path_prefix),
            });
        }
        for (path, r) in hall_entries {
            if !path.starts_with(&prefix) {
                return Err(SyncError::OutsideDelegation { role, prefix, path });
            }
            // A hall must never be able to stop the district's content: an
            // item id the district (or an earlier hall) already uses is set
            // aside, with the reason in the status.
            if let Some(id) = item_id_of(&path)
                && let Some(owner) = id_folders
                    .iter()
                    .map(|f| format!("{f}{id}.json"))
                    .find(|p| entries.contains_key(p))
            {
                let note = format!(
                    "hall {hall}'s item \"{id}\" ({path}) was set aside: {owner} already has that id and is shown instead; ask hall {hall} to give its item another id and publish again"
                );
                warn!("{note}");
                set_aside.push(note);
                continue;
            }
            entries.insert(path, r);
        }
        id_folders.insert(format!("{prefix}notices/"));
    }
    state.set_aside = set_aside;

    let cid = content_id(&entries);
    let objects_total = entries.len() + session.shards.len();
    if snapshot_version == current
        || (state.applied_content_id.as_deref() == Some(&cid) && applier.has_current()?)
    {
        if snapshot_version == current && state.applied_snapshot_version != current {
            // The store applied this bundle but the state was not saved (a
            // power cut in between): repair it, so the next poll is the
            // cheap timestamp-only one again.
            info!(
                "bundle {current} is applied but the sync state said {}; repaired",
                state.applied_snapshot_version
            );
            state.applied_snapshot_version = current;
            state.applied_content_id = Some(cid);
            remember_manifest(data, &entries, &session.shards)?;
        }
        update_floor(state, published_at);
        return Ok(PullOutcome {
            result: PullResult::UpToDate {
                bundle_version: current.max(state.applied_snapshot_version),
            },
            bytes_transferred: fetcher.bytes(),
            transfer_time: fetcher.transfer_time(),
            objects_total,
            objects_fetched: session.fetched,
        });
    }

    let plan = applier.plan(&entries)?;
    let downloads = matches!(fetcher, Fetcher::Http(_));
    check_disk_space(data, &entries, &plan, downloads)?;
    // A delta's objects are downloaded and checked before the store is
    // touched. A first install reads (and fetches) each object while it
    // writes the new store file, which nobody sees until it is complete.
    // From a folder nothing is downloaded: each object is read and
    // checked as it is applied, and a bad one rolls the whole update back.
    if downloads && !plan.first_install {
        for path in &plan.read {
            if let Some(r) = entries.get(path) {
                session.object(path, r)?;
            }
        }
    }
    let info = ApplyInfo {
        bundle_version: snapshot_version,
        channel: source.channel(),
        published_at,
    };
    let mut read = |path: &str| -> Result<Vec<u8>, SyncError> {
        let r = entries.get(path).ok_or_else(|| SyncError::Object {
            path: path.to_string(),
            sha256: String::new(),
            detail: "not in the bundle manifest".into(),
        })?;
        session.object(path, r)
    };
    let applied = applier
        .apply(&entries, &mut read, &info)
        .map_err(|e| match e {
            // The estimate was short: say so the same way.
            SyncError::Store(msg)
                if msg.contains("os error 28") || msg.contains("disk is full") =>
            {
                SyncError::DiskFull {
                    path: data.root.clone(),
                    needed: store_estimate(&entries, &plan),
                    free: free_bytes(&data.root).unwrap_or(0),
                }
            }
            other => other,
        })?;
    info!(
        "applied generation {} (bundle {}, {} items)",
        applied.generation, applied.bundle_version, applied.item_count
    );
    remember_manifest(data, &entries, &session.shards)?;
    state.applied_snapshot_version = snapshot_version;
    state.applied_content_id = Some(cid);
    update_floor(state, published_at);
    Ok(PullOutcome {
        result: PullResult::Applied {
            generation: applied.generation,
            bundle_version: snapshot_version,
        },
        bytes_transferred: fetcher.bytes(),
        transfer_time: fetcher.transfer_time(),
        objects_total,
        objects_fetched: session.fetched,
    })
}

/// The item id an object path carries (`items/<kind>/<id>.json`,
/// `halls/<hall>/notices/<id>.json`); the store checks each object holds
/// the item its path names.
pub fn item_id_of(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    let file = match parts.as_slice() {
        ["items", _, file] | ["halls", _, "notices", file] => *file,
        _ => return None,
    };
    file.strip_suffix(".json")
}

/// Refuse, before anything is downloaded or written, an update the disk
/// cannot hold: the objects to download that are not cached yet (none
/// from a folder), plus what the store needs ([`store_estimate`]), plus a
/// reserve for the sync state.
fn check_disk_space(
    data: &DataDir,
    entries: &BTreeMap<String, ObjectRef>,
    plan: &ApplyPlan,
    downloads: bool,
) -> Result<(), SyncError> {
    let Some(free) = free_bytes(&data.root) else {
        return Ok(());
    };
    let mut missing = 0u64;
    let mut seen = HashSet::new();
    // Objects read from a folder are not copied into the cache.
    let to_cache = if downloads { &plan.read[..] } else { &[] };
    for r in to_cache.iter().filter_map(|p| entries.get(p)) {
        if seen.insert(&r.sha256) && !data.objects().join(&r.sha256).exists() {
            let partial = std::fs::metadata(data.partial().join(&r.sha256)).map_or(0, |m| m.len());
            missing += r.length.saturating_sub(partial);
        }
    }
    let needed = missing
        .saturating_add(store_estimate(entries, plan))
        .saturating_add(DISK_RESERVE);
    if needed > free {
        return Err(SyncError::DiskFull {
            path: data.root.clone(),
            needed: needed - free,
            free,
        });
    }
    Ok(())
}

fn update_floor(state: &mut SyncState, published_at: Option<DateTime<Utc>>) {
    if let Some(p) = published_at
        && state.trusted_time_floor.is_none_or(|f| p > f)
    {
        state.trusted_time_floor = Some(p);
    }
}

/// Keep the shard lists of the current and previous bundles, and drop
/// cached objects neither needs (the store itself keeps the previous
/// generation for revert; the cache only saves downloads).
///
/// File format (`manifests/current.json`, `previous.json`):
/// `{"shards": [sha256]}` (~270 kB at 100,000 documents). The shards are
/// cached objects themselves and list every entry, so the entries are not
/// written again (that was ~12 MB of JSON written at every pull). Files of
/// earlier versions also carry `"objects": {path: {"sha256", "length"}}`,
/// still honoured when read, as a stream.
#[derive(serde::Serialize)]
struct RememberedBundle<'a> {
    shards: &'a [String],
}

fn remember_manifest(
    data: &DataDir,
    entries: &BTreeMap<String, ObjectRef>,
    shards: &[String],
) -> Result<(), SyncError> {
    let dir = data.manifests();
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let cur = dir.join("current.json");
    let prev = dir.join("previous.json");
    if cur.exists() {
        std::fs::rename(&cur, &prev).map_err(io_err(&prev))?;
    }
    let body = serde_json::to_vec(&RememberedBundle { shards }).unwrap_or_default();
    crate::tuf::write_atomic(&cur, &body)
        .map_err(|(path, source)| SyncError::Io { path, source })?;
    let current: HashSet<&str> = entries.values().map(|r| r.sha256.as_str()).collect();
    let current_shards: HashSet<&str> = shards.iter().map(String::as_str).collect();
    let keep = |name: &str| current.contains(name) || current_shards.contains(name);
    // What only the previous bundle needs (a 1% change: about 1% of it).
    let previous_only = remembered_hashes(&prev, &data.objects(), &keep);
    // Cached objects neither bundle needs, and partial downloads of
    // objects the current bundle does not need (a bundle replaced before
    // they finished).
    let keep_cached = |name: &str| keep(name) || previous_only.contains(name);
    let keep_partial = |name: &str| current.contains(name);
    for (dir, wanted) in [
        (data.objects(), &keep_cached as &dyn Fn(&str) -> bool),
        (data.partial(), &keep_partial),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if crate::manifest::is_sha256_hex(&name) && !wanted(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

/// The object and shard hashes a remembered bundle file lists that `keep`
/// does not already keep, read as a stream: its shards, and the objects of those of its
/// shards `keep` does not keep (an unchanged shard lists nothing new), read from
/// the cache in `objects`. A missing or unreadable file or shard gives
/// fewer hashes: the objects only it named are fetched again if a revert
/// ever needs them.
fn remembered_hashes(path: &Path, objects: &Path, keep: &dyn Fn(&str) -> bool) -> HashSet<String> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    struct File<'k, 'e> {
        keep: &'k dyn Fn(&str) -> bool,
        extra: &'e mut HashSet<String>,
        /// Listed shards not in `keep`, to be opened.
        shards: &'e mut Vec<String>,
    }
    struct Objects<'k, 'e>(File<'k, 'e>);
    struct Shards<'k, 'e>(File<'k, 'e>);

    impl File<'_, '_> {
        fn note(&mut self, sha: String) -> bool {
            !(self.keep)(&sha) && self.extra.insert(sha)
        }
        fn again(&mut self) -> File<'_, '_> {
            File {
                keep: self.keep,
                extra: &mut *self.extra,
                shards: &mut *self.shards,
            }
        }
    }
    impl<'de> Visitor<'de> for File<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a remembered bundle")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<(), A::Error> {
            while let Some(key) = m.next_key::<String>()? {
                match key.as_str() {
                    "objects" => m.next_value_seed(Objects(self.again()))?,
                    "shards" => m.next_value_seed(Shards(self.again()))?,
                    _ => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for File<'_, '_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Objects<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of paths to objects")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<(), A::Error> {
            while m.next_key::<IgnoredAny>()?.is_some() {
                let r: ObjectRef = m.next_value()?;
                self.0.note(r.sha256);
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Shards<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of shard hashes")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut s: A) -> Result<(), A::Error> {
            while let Some(sha) = s.next_element::<String>()? {
                if self.0.note(sha.clone()) {
                    self.0.shards.push(sha);
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Shards<'_, '_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    let mut extra = HashSet::new();
    let mut shards = Vec::new();
    let Ok(f) = std::fs::File::open(path) else {
        return extra;
    };
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(f));
    let read = File {
        keep,
        extra: &mut extra,
        shards: &mut shards,
    }
    .deserialize(&mut de);
    if let Err(e) = read {
        // Keep what was read: those objects stay cached.
        warn!(
            "{}: {e}; objects only it named may be removed",
            path.display()
        );
    }
    let mut file = File {
        keep,
        extra: &mut extra,
        shards: &mut Vec::new(),
    };
    for sha in shards {
        let path = objects.join(&sha);
        let shard = std::fs::read(&path)
            .ok()
            .filter(|b| sha256_hex(b) == sha)
            .and_then(|b| serde_json::from_slice::<Shard>(&b).ok());
        let Some(shard) = shard else {
            warn!(
                "{}: previous bundle's shard unreadable; objects only it named may be removed",
                path.display()
            );
            continue;
        };
        for (sha256, _) in shard.objects.into_values() {
            file.note(sha256);
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(n: u32) -> String {
        sha256_hex(format!("object {n}").as_bytes())
    }

    /// The cache keeps what the previous bundle needs and nothing else,
    /// whether its remembered file is of this version (shards only,
    /// expanded from the cached shard objects) or of an earlier one (every
    /// entry written out).
    #[test]
    fn previous_bundle_hashes_from_shards_and_from_earlier_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let objects = dir.path().join("objects");
        std::fs::create_dir_all(&objects).expect("mkdir");
        // A previous bundle of two shards: one the current bundle shares
        // (unchanged), one only it had.
        let shard = |entries: &[(u32, u32)]| {
            let s = Shard {
                objects: entries
                    .iter()
                    .map(|&(p, o)| (format!("items/policy/p{p}.json"), (sha(o), 10)))
                    .collect(),
            };
            let bytes = serde_json::to_vec(&s).expect("json");
            let h = sha256_hex(&bytes);
            std::fs::write(objects.join(&h), &bytes).expect("write");
            h
        };
        let shared = shard(&[(1, 1), (2, 2)]);
        let old_only = shard(&[(3, 3), (4, 40)]);
        let current_shard = shard(&[(3, 3), (4, 41)]);
        let keep_owned = [
            shared.clone(),
            current_shard.clone(),
            sha(1),
            sha(2),
            sha(3),
            sha(41),
        ];
        let keep_set: HashSet<&str> = keep_owned.iter().map(String::as_str).collect();
        let keep = |name: &str| keep_set.contains(name);

        let new_format = dir.path().join("previous.json");
        std::fs::write(
            &new_format,
            serde_json::to_vec(&serde_json::json!({ "shards": [shared, old_only] })).expect("json"),
        )
        .expect("write");
        let got = remembered_hashes(&new_format, &objects, &keep);
        let want: HashSet<String> = [old_only.clone(), sha(40)].into_iter().collect();
        assert_eq!(got, want);

        let legacy = dir.path().join("legacy.json");
        std::fs::write(
            &legacy,
            serde_json::to_vec(&serde_json::json!({
                "objects": {
                    "items/policy/p1.json": { "sha256": sha(1), "length": 10 },
                    "items/policy/p4.json": { "sha256": sha(40), "length": 10 },
                },
                "shards": [shared],
            }))
            .expect("json"),
        )
        .expect("write");
        let got = remembered_hashes(&legacy, &objects, &keep);
        assert_eq!(got, [sha(40)].into_iter().collect::<HashSet<String>>());

        // Missing file, garbled file, a listed shard not in the cache: no
        // panic, fewer hashes.
        assert!(remembered_hashes(&dir.path().join("none.json"), &objects, &keep).is_empty());
        std::fs::write(&legacy, b"{\"shards\": [1, 2").expect("write");
        assert!(remembered_hashes(&legacy, &objects, &keep).is_empty());
        let gone = sha(99);
        std::fs::write(
            &new_format,
            serde_json::to_vec(&serde_json::json!({ "shards": [gone] })).expect("json"),
        )
        .expect("write");
        assert_eq!(
            remembered_hashes(&new_format, &objects, &keep),
            [sha(99)].into_iter().collect::<HashSet<String>>()
        );
    }
}
