//! The content store on a kiosk's disk.
//!
//! ```text
//! <data_dir>/content/current.json        which generation is current (atomic rename)
//! <data_dir>/content/gen-00000042.db     one immutable SQLite file per generation
//! <data_dir>/content/gen-00000041.db     the previous generation, kept for revert
//! <data_dir>/content/writer.lock         held by the one writer (kiosk-sync)
//! ```
//!
//! A generation file is written completely under a temporary name, synced,
//! renamed into place, and only then named in `current.json`, itself
//! replaced by rename. A power cut at any moment leaves the old or the new
//! content, complete. Readers open generation files immutable and read-only.

mod build;
pub mod schema;
mod search;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use search::{MatchedBy, SEARCH_PER_KIND, SearchGroup, SearchHit, SearchResults};

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
        let writer = ContentWriter { dir, _lock: lock };
        writer.clean_up()?;
        writer.migrate_existing()?;
        Ok(writer)
    }

    /// Removes half-written files left by a crash and generations that are
    /// neither current nor previous.
    fn clean_up(&self) -> Result<(), StoreError> {
        let state = read_state(&self.dir)?;
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

    /// Brings kept generation files up to this program's schema.
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
        Ok(read_state(&self.dir)?.current)
    }

    pub fn previous(&self) -> Result<Option<GenerationRecord>, StoreError> {
        Ok(read_state(&self.dir)?.previous)
    }

    /// The newest bundle version ever applied; a revert does not lower it.
    pub fn highest_bundle_version(&self) -> Result<u64, StoreError> {
        Ok(read_state(&self.dir)?.highest_bundle_version)
    }

    /// Makes `content` the current generation in one atomic step. Refuses a
    /// bundle version not newer than every one applied before, whatever the
    /// channel. On any error the current generation is unchanged.
    pub fn apply_generation(
        &mut self,
        content: &ContentSet,
        info: &GenerationInfo,
    ) -> Result<GenerationRecord, StoreError> {
        let state = read_state(&self.dir)?;
        if info.bundle_version <= state.highest_bundle_version {
            return Err(StoreError::StaleBundle {
                offered: info.bundle_version,
                highest: state.highest_bundle_version,
            });
        }
        let record = GenerationRecord {
            generation: state.last_generation + 1,
            bundle_version: info.bundle_version,
            channel: info.channel.clone(),
            applied_at: Utc::now(),
            published_at: info.published_at,
            item_count: content.items.len() as u64,
        };
        let path = self.dir.join(record.file_name());
        let tmp = self.dir.join(format!("{}.tmp", record.file_name()));
        let _ = std::fs::remove_file(&tmp);
        if let Err(e) = build::build_generation(&tmp, content, &record) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
        sync_dir(&self.dir)?;
        let new_state = StoreState {
            previous: state.current.clone(),
            current: Some(record.clone()),
            highest_bundle_version: info.bundle_version,
            last_generation: record.generation,
        };
        self.commit(&new_state)?;
        tracing::info!(
            generation = record.generation,
            bundle_version = record.bundle_version,
            items = record.item_count,
            "applied content generation"
        );
        Ok(record)
    }

    /// Makes the previous generation current again (a staff action). The
    /// highest bundle version stays, so the reverted bundle is not pulled again.
    pub fn revert(&mut self) -> Result<GenerationRecord, StoreError> {
        let state = read_state(&self.dir)?;
        let previous = state.previous.clone().ok_or(StoreError::NothingToRevert)?;
        let new_state = StoreState {
            current: Some(previous.clone()),
            previous: None,
            ..state
        };
        self.commit(&new_state)?;
        tracing::info!(
            generation = previous.generation,
            "reverted to previous content generation"
        );
        Ok(previous)
    }

    fn commit(&self, state: &StoreState) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| StoreError::State {
            path: self.dir.join("current.json"),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join("current.json"), &bytes)?;
        self.clean_up()
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
/// thread; [`ContentReader::refresh`] switches to a newer generation.
pub struct ContentReader {
    dir: PathBuf,
    path: PathBuf,
    conn: Connection,
    record: GenerationRecord,
    meta: BundleMeta,
    salt: [u8; 16],
    ranges: Vec<(ItemKind, i64, i64)>,
    today: Option<NaiveDate>,
}

impl ContentReader {
    /// Opens the current generation of a data directory.
    pub fn open(data_dir: &Path) -> Result<ContentReader, StoreError> {
        let dir = content_dir(data_dir);
        let state = read_state(&dir)?;
        let record = state
            .current
            .ok_or_else(|| StoreError::NoContent(data_dir.to_path_buf()))?;
        Self::open_generation(&dir, record)
    }

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
        let found = schema::version(&conn).map_err(StoreError::sql(&path))?;
        if found != schema::current_version() {
            return Err(StoreError::SchemaMismatch {
                path,
                found,
                expected: schema::current_version(),
            });
        }
        let meta_json: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'bundle'", [], |r| {
                r.get(0)
            })
            .map_err(StoreError::sql(&path))?;
        let meta: BundleMeta =
            serde_json::from_str(&meta_json).map_err(|e| StoreError::Corrupt {
                id: "bundle".into(),
                message: e.to_string(),
            })?;
        let salt_hex: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'progress_salt'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::sql(&path))?;
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
                .map_err(StoreError::sql(&path))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(StoreError::sql(&path))?;
            for row in rows {
                let (kind, first, last) = row.map_err(StoreError::sql(&path))?;
                if let Some(k) = ItemKind::parse(&kind) {
                    ranges.push((k, first, last));
                }
            }
        }
        ranges.sort_by_key(|(k, _, _)| *k);
        Ok(ContentReader {
            dir: dir.to_path_buf(),
            path,
            conn,
            record,
            meta,
            salt,
            ranges,
            today: None,
        })
    }

    /// Switches to a newer generation if `kiosk-sync` applied one. Returns
    /// whether it switched. On error the reader keeps the content it has.
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        let state = read_state(&self.dir)?;
        match state.current {
            Some(rec) if rec.generation != self.record.generation => {
                let today = self.today;
                *self = Self::open_generation(&self.dir, rec)?;
                self.today = today;
                Ok(true)
            }
            _ => Ok(false),
        }
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
            .prepare(
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
