//! The content store on a kiosk's disk.
//!
//! ```text
//! <data_dir>/content/store.db            the live store (SQLite, WAL mode)
//! <data_dir>/content/store.db-wal, -shm  its write-ahead log and index
//! <data_dir>/content/current.json        which generation is current (a mirror of
//!                                        the store's own `meta.state`)
//! <data_dir>/content/writer.lock         held by the one writer (kiosk-sync)
//! ```
//!
//! A first install writes `store.db.tmp` from the bundle's objects read one
//! at a time, syncs it and renames it into place. Every later bundle is
//! applied as a delta: only the objects whose sha256 differs from the
//! store's `objects` table are read, and their rows (items, full-text
//! indexes, links, vocabulary, kind ranges, progress, assets, synonyms,
//! term counts) are replaced in ONE write transaction, together with the
//! generation record, the store state and the undo rows (the previous
//! version of each changed object) a one-step revert needs. WAL with
//! `synchronous = FULL`: a power cut leaves exactly the old or the new
//! content; readers keep the snapshot they started with until they
//! `refresh`. `current.json` is written after the commit; if a crash falls
//! between the two, the writer repairs it from the store when it opens.
//! Stores written by older versions (`gen-NNNNNNNN.db`, one immutable file
//! per generation) are still read until the next update installs
//! `store.db`.

mod build;
mod delta;
pub mod schema;
mod search;

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

pub use build::ReadObject;
pub use search::{
    MAX_QUERY_CHARS, MatchedBy, SEARCH_PER_KIND, SEARCH_PER_KIND_ONE_LETTER, SearchGroup,
    SearchHit, SearchResults, per_kind_for,
};

use crate::ContentSet;
use crate::domain::{Domain, ItemKind, PlaceCategory, Validity};
use crate::model::{BundleMeta, Item, ItemStatus, Place, status_for};
use crate::progress::{self, ProgressLookup, SealedProgress};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("content database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{path}: the store state is unreadable ({message}); restore it from the previous generation or re-import a bundle"
    )]
    State { path: PathBuf, message: String },
    #[error(
        "{0}: another process is already writing this content store (only kiosk-sync writes it); stop it first"
    )]
    Locked(PathBuf),
    #[error(
        "no content has been applied in {0} yet; run `kiosk-sync pull` or `kiosk-sync import`, or start the app with --demo"
    )]
    NoContent(PathBuf),
    #[error(
        "bundle version {offered} is not newer than version {highest} already applied; content never goes backwards (publish a new version instead)"
    )]
    StaleBundle { offered: u64, highest: u64 },
    #[error("there is no previous generation to revert to")]
    NothingToRevert,
    #[error(
        "{path}: content schema version {found} differs from this program's {expected}; restart kiosk-sync so it migrates the store, or update this program"
    )]
    SchemaMismatch {
        path: PathBuf,
        found: i64,
        expected: i64,
    },
    #[error("stored item {id}: {message}")]
    Corrupt { id: String, message: String },
    /// A bundle object the store cannot use (named in the message).
    #[error("bundle object {0}")]
    Object(String),
    /// Reading an object failed in the caller (the sync layer keeps the
    /// real error).
    #[error("reading bundle object {path}: {message}")]
    Source { path: String, message: String },
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What the sync layer knows about the bundle being applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationInfo {
    /// The bundle's version; strictly increasing over everything applied.
    pub bundle_version: u64,
    /// Where it came from: a repository URL or `usb:/media/...`.
    pub channel: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// One applied generation of content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationRecord {
    /// Local counter, +1 for every apply.
    pub generation: u64,
    pub bundle_version: u64,
    pub channel: String,
    pub applied_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub item_count: u64,
}

impl GenerationRecord {
    fn file_name(&self) -> String {
        format!("gen-{:08}.db", self.generation)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct StoreState {
    current: Option<GenerationRecord>,
    previous: Option<GenerationRecord>,
    highest_bundle_version: u64,
    last_generation: u64,
}

fn content_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("content")
}

/// The live store's file name in the content directory.
const STORE_FILE: &str = "store.db";

/// What a bundle needs from the store, before anything is read or
/// written: a first install (every object), or a delta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyPlan {
    /// No live store yet: the whole bundle is written as a new file.
    pub first_install: bool,
    /// Paths of the objects that will be read (added or changed).
    pub read: Vec<String>,
    /// Objects that will be removed.
    pub removed: usize,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn read_state(dir: &Path) -> Result<StoreState, StoreError> {
    let path = dir.join("current.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::State {
            path: path.clone(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoreState::default()),
        Err(e) => Err(StoreError::io(&path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Writes a file so that it is either wholly old or wholly new after a crash.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    sync_dir(dir)
}

/// The only writer of a content store. Holding it holds an exclusive lock.
pub struct ContentWriter {
    dir: PathBuf,
    _lock: File,
    /// The live store, once there is one.
    conn: Option<Connection>,
}

impl ContentWriter {
    pub fn open(data_dir: &Path) -> Result<ContentWriter, StoreError> {
        let dir = content_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let lock_path = dir.join("writer.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(dir));
        }
        let mut writer = ContentWriter {
            dir,
            _lock: lock,
            conn: None,
        };
        writer.open_live()?;
        writer.clean_up()?;
        if writer.conn.is_none() {
            writer.migrate_existing()?;
        }
        Ok(writer)
    }

    /// Opens the live store (if any), migrates it, and repairs
    /// `current.json` from the store's own state (a power cut between the
    /// store's commit and that file's rename).
    fn open_live(&mut self) -> Result<(), StoreError> {
        let path = self.dir.join(STORE_FILE);
        if !path.exists() {
            // Leftovers of a store that is gone must not meet a new one.
            for ext in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(self.dir.join(format!("{STORE_FILE}{ext}")));
            }
            return Ok(());
        }
        let mut conn = Connection::open(&path).map_err(StoreError::sql(&path))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -4000;
             PRAGMA journal_size_limit = 4194304; PRAGMA temp_store = MEMORY;",
        )
        .map_err(StoreError::sql(&path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(StoreError::sql(&path))?;
        schema::migrate(&mut conn).map_err(StoreError::sql(&path))?;
        self.conn = Some(conn);
        if let Some(state) = self.db_state()? {
            let file = read_state(&self.dir).ok();
            if file.as_ref() != Some(&state) {
                tracing::info!("content/current.json repaired from the store's state");
                self.write_state_file(&state)?;
            }
        }
        Ok(())
    }

    fn store_path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    fn db_state(&self) -> Result<Option<StoreState>, StoreError> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        let path = self.store_path();
        let json: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'state'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(StoreError::sql(&path))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::State {
                path,
                message: format!("meta.state: {e}"),
            })
        })
        .transpose()
    }

    /// The store's state: the live store's own, else `current.json` (a
    /// store of an older version, or none yet).
    fn state(&self) -> Result<StoreState, StoreError> {
        match self.db_state()? {
            Some(s) => Ok(s),
            None => read_state(&self.dir),
        }
    }

    /// Removes half-written files left by a crash and generation files of
    /// older versions that are neither current nor previous (all of them
    /// once the live store exists).
    fn clean_up(&self) -> Result<(), StoreError> {
        let live = self.store_path().exists();
        let state = if live {
            StoreState::default()
        } else {
            read_state(&self.dir)?
        };
        let keep: Vec<String> = [&state.current, &state.previous]
            .iter()
            .filter_map(|g| g.as_ref().map(|g| g.file_name()))
            .collect();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_gen =
                name.starts_with("gen-") && !keep.iter().any(|k| name.starts_with(k.as_str()));
            if name.ends_with(".tmp") || stale_gen {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Brings kept generation files of older versions up to this
    /// program's schema.
    fn migrate_existing(&self) -> Result<(), StoreError> {
        let state = read_state(&self.dir)?;
        for g in [&state.current, &state.previous].into_iter().flatten() {
            let path = self.dir.join(g.file_name());
            let mut conn = Connection::open(&path).map_err(StoreError::sql(&path))?;
            schema::migrate(&mut conn).map_err(StoreError::sql(&path))?;
        }
        Ok(())
    }

    pub fn current(&self) -> Result<Option<GenerationRecord>, StoreError> {
        Ok(self.state()?.current)
    }

    pub fn previous(&self) -> Result<Option<GenerationRecord>, StoreError> {
        Ok(self.state()?.previous)
    }

    /// The newest bundle version ever applied; a revert does not lower it.
    pub fn highest_bundle_version(&self) -> Result<u64, StoreError> {
        Ok(self.state()?.highest_bundle_version)
    }

    /// The live store, if it can take a delta (a store written by a
    /// first install of this version).
    fn delta_base(&self) -> Result<Option<&Connection>, StoreError> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        let complete: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'objects'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(StoreError::sql(&self.store_path()))?;
        Ok((complete.as_deref() == Some("complete")).then_some(conn))
    }

    /// What applying `entries` (path, sha256; sorted by path) would read
    /// and remove. Reads no object.
    pub fn plan(&self, entries: &[(&str, &str)]) -> Result<ApplyPlan, StoreError> {
        match self.delta_base()? {
            Some(conn) => {
                let changes = delta::diff(conn, entries)?;
                Ok(ApplyPlan {
                    first_install: false,
                    removed: changes.iter().filter(|c| c.new.is_none()).count(),
                    read: changes
                        .into_iter()
                        .filter(|c| c.new.is_some())
                        .map(|c| c.path)
                        .collect(),
                })
            }
            None => Ok(ApplyPlan {
                first_install: true,
                read: entries.iter().map(|(p, _)| p.to_string()).collect(),
                removed: 0,
            }),
        }
    }

    /// Makes `content` the current generation in one atomic step (see
    /// [`ContentWriter::apply_objects`]).
    pub fn apply_generation(
        &mut self,
        content: &ContentSet,
        info: &GenerationInfo,
    ) -> Result<GenerationRecord, StoreError> {
        let objects = content.to_objects();
        let mut shas: Vec<(String, String)> = objects
            .iter()
            .map(|o| (o.path.clone(), sha256_hex(&o.bytes)))
            .collect();
        shas.sort();
        let by_path: HashMap<&str, &[u8]> = objects
            .iter()
            .map(|o| (o.path.as_str(), o.bytes.as_slice()))
            .collect();
        let entries: Vec<(&str, &str)> =
            shas.iter().map(|(p, h)| (p.as_str(), h.as_str())).collect();
        self.apply_objects(
            &entries,
            &mut |p| {
                by_path
                    .get(p)
                    .map(|b| b.to_vec())
                    .ok_or_else(|| StoreError::Object(format!("{p}: not in the content set")))
            },
            info,
        )
    }

    /// Makes the bundle `entries` (path, sha256; sorted by path) the
    /// current generation in one atomic step, reading objects through
    /// `read` one at a time: all of them for a first install, else only
    /// those whose sha256 differs from what the store holds. Refuses a
    /// bundle version not newer than every one applied before, whatever
    /// the channel. On any error the current generation is unchanged.
    pub fn apply_objects(
        &mut self,
        entries: &[(&str, &str)],
        read: &mut build::ReadObject<'_>,
        info: &GenerationInfo,
    ) -> Result<GenerationRecord, StoreError> {
        let state = self.state()?;
        if info.bundle_version <= state.highest_bundle_version {
            return Err(StoreError::StaleBundle {
                offered: info.bundle_version,
                highest: state.highest_bundle_version,
            });
        }
        let mut record = GenerationRecord {
            generation: state.last_generation + 1,
            bundle_version: info.bundle_version,
            channel: info.channel.clone(),
            applied_at: Utc::now(),
            published_at: info.published_at,
            item_count: 0,
        };
        let new_state = |record: &GenerationRecord, previous| StoreState {
            previous,
            current: Some(record.clone()),
            highest_bundle_version: info.bundle_version,
            last_generation: record.generation,
        };
        let path = self.store_path();
        let delta_ok = self.delta_base()?.is_some();
        let done = if let (true, Some(conn)) = (delta_ok, self.conn.as_mut()) {
            let changes = delta::diff(conn, entries)?;
            let before = item_count(conn, &path)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::sql(&path))?;
            record.item_count =
                delta::apply_changes(&tx, &changes, &mut |p| read(p).map(Some), true, before)?;
            let st = new_state(&record, state.current.clone());
            write_meta(&tx, &path, &record, &st)?;
            tx.commit().map_err(StoreError::sql(&path))?;
            tracing::info!(
                changed = changes.len(),
                "applied a bundle as a delta on the live store"
            );
            st
        } else {
            let tmp = self.dir.join(format!("{STORE_FILE}.tmp"));
            let _ = std::fs::remove_file(&tmp);
            // Readers of an older generation file keep it until they refresh.
            let st0 = new_state(&record, None);
            let meta = [("generation", to_json(&record)?), ("state", to_json(&st0)?)];
            let n = match build::build_store(&tmp, entries, read, &meta) {
                Ok(n) => n,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            record.item_count = n;
            let st = new_state(&record, None);
            {
                let conn = Connection::open(&tmp).map_err(StoreError::sql(&tmp))?;
                write_meta(&conn, &tmp, &record, &st)?;
                conn.close().map_err(|(_, e)| StoreError::sql(&tmp)(e))?;
            }
            File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::io(&tmp, e))?;
            self.conn = None;
            for ext in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(self.dir.join(format!("{STORE_FILE}{ext}")));
            }
            std::fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
            sync_dir(&self.dir)?;
            self.open_live()?;
            st
        };
        self.after_commit(&done)?;
        tracing::info!(
            generation = record.generation,
            bundle_version = record.bundle_version,
            items = record.item_count,
            "applied content generation"
        );
        Ok(record)
    }

    /// Makes the previous generation current again (a staff action): the
    /// undo rows of the last update are applied back in one transaction,
    /// as cheap as that update. The highest bundle version stays, so the
    /// reverted bundle is not pulled again.
    pub fn revert(&mut self) -> Result<GenerationRecord, StoreError> {
        let state = self.state()?;
        let previous = state.previous.clone().ok_or(StoreError::NothingToRevert)?;
        let new_state = StoreState {
            current: Some(previous.clone()),
            previous: None,
            ..state
        };
        let path = self.store_path();
        if let Some(conn) = self.conn.as_mut() {
            let changes = delta::undo_changes(conn)?;
            let before = item_count(conn, &path)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::sql(&path))?;
            let mut from_undo = |p: &str| delta::undo_bytes(&tx, p);
            delta::apply_changes(&tx, &changes, &mut from_undo, false, before)?;
            tx.execute("DELETE FROM undo", [])
                .map_err(StoreError::sql(&path))?;
            write_meta(&tx, &path, &previous, &new_state)?;
            tx.commit().map_err(StoreError::sql(&path))?;
            self.after_commit(&new_state)?;
        } else {
            self.write_state_file(&new_state)?;
            self.clean_up()?;
        }
        tracing::info!(
            generation = previous.generation,
            "reverted to previous content generation"
        );
        Ok(previous)
    }

    fn write_state_file(&self, state: &StoreState) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| StoreError::State {
            path: self.dir.join("current.json"),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join("current.json"), &bytes)
    }

    /// After a commit: `current.json`, leftovers, compaction, checkpoint.
    fn after_commit(&mut self, state: &StoreState) -> Result<(), StoreError> {
        self.write_state_file(state)?;
        self.clean_up()?;
        self.compact()?;
        if let Some(conn) = &self.conn {
            // PASSIVE: never waits for a reader still on the old snapshot;
            // what it cannot copy now, the next checkpoint does.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
        Ok(())
    }

    /// Hands free pages back to the file system once they pass a tenth of
    /// the store (and 1 MiB), so churn does not grow the store without
    /// bound. The pages freed by one update are mostly reused by the next;
    /// this runs rarely and moves only pages from the end of the file.
    pub fn compact(&mut self) -> Result<bool, StoreError> {
        let path = self.store_path();
        let Some(conn) = &self.conn else {
            return Ok(false);
        };
        let pragma = |q: &str| -> Result<i64, StoreError> {
            conn.query_row(q, [], |r| r.get(0))
                .map_err(StoreError::sql(&path))
        };
        let free = pragma("PRAGMA freelist_count")?;
        let pages = pragma("PRAGMA page_count")?;
        if free >= 256 && free * 10 >= pages {
            conn.execute_batch("PRAGMA incremental_vacuum;")
                .map_err(StoreError::sql(&path))?;
            tracing::info!(free_pages = free, pages, "compacted the content store");
            return Ok(true);
        }
        Ok(false)
    }

    /// The (path, sha256) of every object the live store holds (tests).
    pub fn stored_objects(&self) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        match &self.conn {
            Some(c) => delta::stored_objects(c),
            None => Ok(Default::default()),
        }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt {
        id: "state".into(),
        message: e.to_string(),
    })
}

fn item_count(conn: &Connection, path: &Path) -> Result<u64, StoreError> {
    conn.query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(StoreError::sql(path))
}

/// The generation record and store state, inside the store.
fn write_meta(
    conn: &Connection,
    path: &Path,
    record: &GenerationRecord,
    state: &StoreState,
) -> Result<(), StoreError> {
    let mut m = conn
        .prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
        .map_err(StoreError::sql(path))?;
    m.execute(params!["generation", to_json(record)?])
        .map_err(StoreError::sql(path))?;
    m.execute(params!["state", to_json(state)?])
        .map_err(StoreError::sql(path))?;
    Ok(())
}

/// An idle connection to the live store, held by the long-running writer
/// process (kiosk-sync's daemon). SQLite deletes `store.db-wal` and
/// `store.db-shm` when the last connection closes, and a reader that may
/// not create files in the content directory (the app, under
/// `ReadOnlyPaths=`) can open a WAL database only while they exist.
/// Holds no transaction, so it never holds back a checkpoint.
pub struct KeepOpen {
    _conn: Connection,
}

impl KeepOpen {
    /// `None` while there is no live store yet.
    pub fn open(data_dir: &Path) -> Result<Option<KeepOpen>, StoreError> {
        let path = content_dir(data_dir).join(STORE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open(&path).map_err(StoreError::sql(&path))?;
        // A read creates the -wal and -shm files if they are missing.
        conn.query_row("SELECT count(*) FROM meta", [], |_| Ok(()))
            .map_err(StoreError::sql(&path))?;
        Ok(Some(KeepOpen { _conn: conn }))
    }
}

/// Filters for list pages. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub kind: Option<ItemKind>,
    pub domain: Option<Domain>,
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub status: Option<StatusFilter>,
    pub hall: Option<String>,
    pub category: Option<PlaceCategory>,
    pub limit: Option<usize>,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// In force / open.
    Current,
    /// 已失效 / 已截止 (within the grace period).
    Ended,
}

/// A row of a list page.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSummary {
    pub id: String,
    pub kind: ItemKind,
    pub title: String,
    pub agency: String,
    pub domain: Option<Domain>,
    pub date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub validity: Validity,
    pub status: ItemStatus,
    pub doc_number: Option<String>,
    pub hall: Option<String>,
    pub window: Option<String>,
    pub category: Option<String>,
}

const SUMMARY_COLUMNS: &str = "rowid, id, kind, title, agency, domain, date, start_date, end_date, validity, doc_number, hall, win, category";

fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// A read-only view of the current generation. Cheap to query from the UI
/// thread; [`ContentReader::refresh`] switches to a newer generation. On
/// the live store it holds one read transaction open, so every query sees
/// the same generation until `refresh` (WAL: the writer does not wait).
pub struct ContentReader {
    dir: PathBuf,
    path: PathBuf,
    conn: Connection,
    /// Reading `store.db` (else an immutable file of an older version).
    live: bool,
    record: GenerationRecord,
    meta: BundleMeta,
    salt: [u8; 16],
    ranges: Vec<(ItemKind, i64, i64)>,
    today: Option<NaiveDate>,
}

/// What a reader loads once per generation.
type Loaded = (BundleMeta, [u8; 16], Vec<(ItemKind, i64, i64)>);

fn load_generation(conn: &Connection, path: &Path) -> Result<Loaded, StoreError> {
    let found = schema::version(conn).map_err(StoreError::sql(path))?;
    if found != schema::current_version() {
        return Err(StoreError::SchemaMismatch {
            path: path.to_path_buf(),
            found,
            expected: schema::current_version(),
        });
    }
    let meta_json: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'bundle'", [], |r| {
            r.get(0)
        })
        .map_err(StoreError::sql(path))?;
    let meta: BundleMeta = serde_json::from_str(&meta_json).map_err(|e| StoreError::Corrupt {
        id: "bundle".into(),
        message: e.to_string(),
    })?;
    let salt_hex: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'progress_salt'",
            [],
            |r| r.get(0),
        )
        .map_err(StoreError::sql(path))?;
    let salt: [u8; 16] = hex::decode(&salt_hex)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt {
            id: "progress_salt".into(),
            message: "not 16 hex bytes".into(),
        })?;
    let mut ranges = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT kind, first, last FROM kind_ranges")
            .map_err(StoreError::sql(path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(StoreError::sql(path))?;
        for row in rows {
            let (kind, first, last) = row.map_err(StoreError::sql(path))?;
            if let Some(k) = ItemKind::parse(&kind) {
                ranges.push((k, first, last));
            }
        }
    }
    ranges.sort_by_key(|(k, _, _)| *k);
    Ok((meta, salt, ranges))
}

/// The generation record the live store holds.
fn live_record(conn: &Connection, path: &Path) -> Result<GenerationRecord, StoreError> {
    let json: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get(0)
        })
        .map_err(StoreError::sql(path))?;
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
        id: "generation".into(),
        message: e.to_string(),
    })
}

impl ContentReader {
    /// Opens the current generation of a data directory.
    pub fn open(data_dir: &Path) -> Result<ContentReader, StoreError> {
        let dir = content_dir(data_dir);
        let state = read_state(&dir)?;
        let record = state
            .current
            .ok_or_else(|| StoreError::NoContent(data_dir.to_path_buf()))?;
        Self::open_at(&dir, record)
    }

    fn open_at(dir: &Path, record: GenerationRecord) -> Result<ContentReader, StoreError> {
        if dir.join(STORE_FILE).exists() {
            Self::open_live(dir)
        } else {
            Self::open_generation(dir, record)
        }
    }

    fn open_live(dir: &Path) -> Result<ContentReader, StoreError> {
        let path = dir.join(STORE_FILE);
        let uri = format!("file:{}?mode=ro", uri_escape(&path.to_string_lossy()));
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::sql(&path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::sql(&path))?;
        // One read transaction from here to the next refresh: one snapshot.
        conn.execute_batch("BEGIN")
            .map_err(StoreError::sql(&path))?;
        let record = live_record(&conn, &path)?;
        let (meta, salt, ranges) = load_generation(&conn, &path)?;
        Ok(ContentReader {
            dir: dir.to_path_buf(),
            path,
            conn,
            live: true,
            record,
            meta,
            salt,
            ranges,
            today: None,
        })
    }

    /// A generation file of an older version (immutable).
    fn open_generation(dir: &Path, record: GenerationRecord) -> Result<ContentReader, StoreError> {
        let path = dir.join(record.file_name());
        if !path.exists() {
            return Err(StoreError::io(
                &path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        let uri = format!("file:{}?immutable=1", uri_escape(&path.to_string_lossy()));
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::sql(&path))?;
        let (meta, salt, ranges) = load_generation(&conn, &path)?;
        Ok(ContentReader {
            dir: dir.to_path_buf(),
            path,
            conn,
            live: false,
            record,
            meta,
            salt,
            ranges,
            today: None,
        })
    }

    /// Switches to a newer generation if `kiosk-sync` applied one (or
    /// reverted). Returns whether it switched. `current.json` says whether
    /// anything changed; the store itself says what is current. On error
    /// the reader keeps the content it has.
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        let state = read_state(&self.dir)?;
        let Some(rec) = state.current else {
            return Ok(false);
        };
        if rec.generation == self.record.generation {
            return Ok(false);
        }
        let today = self.today;
        if !self.live {
            *self = Self::open_at(&self.dir, rec)?;
            self.today = today;
            return Ok(true);
        }
        // A fresh snapshot of the live store (the old one ends here).
        self.conn
            .execute_batch("COMMIT; BEGIN")
            .map_err(StoreError::sql(&self.path))?;
        let now = live_record(&self.conn, &self.path)?;
        if now.generation == self.record.generation {
            return Err(StoreError::State {
                path: self.dir.join("current.json"),
                message: format!(
                    "it names generation {}, but the store holds generation {}; kiosk-sync repairs it when it next opens the store",
                    rec.generation, now.generation
                ),
            });
        }
        let (meta, salt, ranges) = load_generation(&self.conn, &self.path)?;
        self.record = now;
        self.meta = meta;
        self.salt = salt;
        self.ranges = ranges;
        Ok(true)
    }

    pub fn generation(&self) -> &GenerationRecord {
        &self.record
    }

    pub fn bundle(&self) -> &BundleMeta {
        &self.meta
    }

    /// Fixes the date used for validity and periods (tests, and the sync
    /// layer's trusted time). Without it: the later of the system date and
    /// the date this content was applied, since a kiosk clock may be wrong.
    pub fn set_today(&mut self, today: Option<NaiveDate>) {
        self.today = today;
    }

    /// The kiosk's local date (halls work in local time: a UTC date would be
    /// yesterday until 08:00 in China), never earlier than the day this
    /// content was applied.
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| {
            let applied = self
                .record
                .applied_at
                .with_timezone(&chrono::Local)
                .date_naive();
            chrono::Local::now().date_naive().max(applied)
        })
    }

    fn sql(&self) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        StoreError::sql(&self.path)
    }

    /// One item with every field, or None if absent or not shown any more.
    pub fn item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM items WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.sql())?;
        let Some(json) = json else { return Ok(None) };
        let item: Item = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            id: id.to_string(),
            message: e.to_string(),
        })?;
        if item.meta().disclosure != crate::Disclosure::Proactive {
            return Ok(None);
        }
        Ok(Some(item))
    }

    fn summary_from_row(&self, r: &rusqlite::Row) -> rusqlite::Result<ItemSummary> {
        let kind_s: String = r.get(2)?;
        let kind = ItemKind::parse(&kind_s).unwrap_or(ItemKind::Notice);
        let validity_s: String = r.get(9)?;
        let raw_validity = Validity::parse(&validity_s).unwrap_or(Validity::Valid);
        let start_date = parse_date(r.get(7)?);
        let end_date = parse_date(r.get(8)?);
        let today = self.today();
        let validity = match end_date {
            Some(end) if end < today && raw_validity == Validity::Valid => Validity::Expired,
            _ => raw_validity,
        };
        let status = status_for(
            kind,
            start_date,
            end_date,
            validity,
            today,
            self.meta.grace_days,
        );
        Ok(ItemSummary {
            id: r.get(1)?,
            kind,
            title: r.get(3)?,
            agency: r.get(4)?,
            domain: r
                .get::<_, Option<String>>(5)?
                .and_then(|d| Domain::parse(&d)),
            date: parse_date(r.get(6)?),
            start_date,
            end_date,
            validity,
            status,
            doc_number: r.get(10)?,
            hall: r.get(11)?,
            window: r.get(12)?,
            category: r.get(13)?,
        })
    }

    /// Items for a list page: newest first, hidden items left out.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<ItemSummary>, StoreError> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM items WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, v: String| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(k) = q.kind {
            bind(&mut sql, " AND kind = ?", k.slug().to_string());
        }
        if let Some(d) = q.domain {
            bind(&mut sql, " AND domain = ?", d.slug().to_string());
        }
        if let Some(a) = &q.agency {
            bind(&mut sql, " AND agency = ?", a.clone());
        }
        if let Some(y) = q.year {
            bind(&mut sql, " AND substr(date, 1, 4) = ?", format!("{y:04}"));
        }
        if let Some(h) = &q.hall {
            bind(&mut sql, " AND hall = ?", h.clone());
        }
        if let Some(c) = q.category {
            bind(&mut sql, " AND category = ?", c.slug().to_string());
        }
        sql.push_str(" ORDER BY rowid DESC");
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                self.summary_from_row(r)
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut skipped = 0;
        for row in rows {
            let s = row.map_err(self.sql())?;
            let keep = match (s.status, q.status) {
                (ItemStatus::Hidden, _) => false,
                (_, None) => true,
                (ItemStatus::Current | ItemStatus::Upcoming, Some(StatusFilter::Current)) => true,
                (ItemStatus::Ended, Some(StatusFilter::Ended)) => true,
                _ => false,
            };
            if !keep {
                continue;
            }
            if skipped < q.offset {
                skipped += 1;
                continue;
            }
            out.push(s);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Distinct values for list filters: (value, number of items).
    pub fn facets(
        &self,
        kind: ItemKind,
        column: Facet,
    ) -> Result<Vec<(String, usize)>, StoreError> {
        let expr = match column {
            Facet::Domain => "domain",
            Facet::Agency => "agency",
            Facet::Year => "substr(date, 1, 4)",
        };
        let sql = format!(
            "SELECT {expr} AS v, count(*) FROM items WHERE kind = ?1 AND v IS NOT NULL AND v != '' GROUP BY v ORDER BY count(*) DESC, v"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map([kind.slug()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Interpretations linked to a policy.
    pub fn interpretations_for(&self, policy_id: &str) -> Result<Vec<ItemSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM items WHERE id IN (SELECT interpretation FROM links WHERE policy = ?1) ORDER BY rowid DESC"
        );
        self.summaries(&sql, [policy_id])
    }

    /// Guides served at one window of a hall.
    pub fn guides_at_window(
        &self,
        hall: &str,
        window: &str,
    ) -> Result<Vec<ItemSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM items WHERE kind = 'guide' AND hall = ?1 AND win = ?2 ORDER BY title"
        );
        self.summaries(&sql, [hall, window])
    }

    fn summaries<P: rusqlite::Params>(
        &self,
        sql: &str,
        p: P,
    ) -> Result<Vec<ItemSummary>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(p, |r| self.summary_from_row(r))
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let s = row.map_err(self.sql())?;
            if s.status != ItemStatus::Hidden {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Every item of a kind with all its fields, in list order (newest
    /// first). For small kinds: places, villages, catalog rows, notices.
    pub fn items_of_kind(&self, kind: ItemKind) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        for s in self.list(&ListQuery {
            kind: Some(kind),
            ..Default::default()
        })? {
            if let Some(item) = self.item(&s.id)? {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Places on the convenience map, optionally of one category.
    pub fn places(&self, category: Option<PlaceCategory>) -> Result<Vec<Place>, StoreError> {
        let q = ListQuery {
            kind: Some(ItemKind::Place),
            category,
            ..Default::default()
        };
        let mut out = Vec::new();
        for s in self.list(&q)? {
            if let Some(Item::Place(p)) = self.item(&s.id)? {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.meta.title.cmp(&b.meta.title));
        Ok(out)
    }

    /// Notices in their period, for all halls or the given one.
    pub fn notices(&self, hall: Option<&str>) -> Result<Vec<ItemSummary>, StoreError> {
        let all = self.list(&ListQuery {
            kind: Some(ItemKind::Notice),
            status: Some(StatusFilter::Current),
            ..Default::default()
        })?;
        Ok(all
            .into_iter()
            .filter(|n| {
                n.status == ItemStatus::Current && (n.hall.is_none() || n.hall.as_deref() == hall)
            })
            .collect())
    }

    /// An image from the bundle (map, floor plan, illustration).
    pub fn asset(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT bytes FROM assets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sql())
    }

    /// Looks up a case. The same `NotFound` for an unknown case and a wrong
    /// code; resident input is never logged.
    pub fn lookup_progress(
        &self,
        case_number: &str,
        query_code: &str,
    ) -> Result<ProgressLookup, StoreError> {
        let Ok((lookup, key)) = progress::lookup_key(case_number, query_code, &self.salt) else {
            return Ok(ProgressLookup::NotFound);
        };
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT nonce, sealed FROM progress WHERE lookup = ?1",
                params![lookup],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.sql())?;
        let Some((nonce, sealed)) = row else {
            return Ok(ProgressLookup::NotFound);
        };
        let sealed = SealedProgress {
            lookup,
            nonce,
            sealed,
        };
        Ok(match progress::open(&sealed, &key) {
            Some(rec) => ProgressLookup::Found(rec),
            None => ProgressLookup::NotFound,
        })
    }

    /// Hanzi words from the content's own vocabulary whose pinyin (full or
    /// initials) starts with `letters`, most common first.
    pub fn candidates(&self, letters: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let letters: String = letters
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if letters.is_empty() {
            return Ok(Vec::new());
        }
        let upper = format!("{letters}\u{7f}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT term, max(weight) w FROM (
                    SELECT term, weight + 1000 * (full = ?1 OR initials = ?1) AS weight FROM vocab WHERE full >= ?1 AND full < ?2
                    UNION ALL
                    SELECT term, weight + 1000 * (initials = ?1) FROM vocab WHERE initials >= ?1 AND initials < ?2
                 ) GROUP BY term ORDER BY w DESC, term LIMIT ?3",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![letters, upper, limit as i64], |r| {
                r.get::<_, String>(0)
            })
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Size of the generation file in bytes (for the staff panel).
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn kind_ranges(&self) -> &[(ItemKind, i64, i64)] {
        &self.ranges
    }
}

/// Columns the list filters offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Domain,
    Agency,
    Year,
}

fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '?' | '#' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}
