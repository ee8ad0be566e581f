//! Writing content into the live store: the rows each bundle object gives
//! (shared by the first install in `build.rs` and the delta apply here),
//! the difference between a bundle and the store, and applying it in one
//! transaction with what a one-step revert needs.
//!
//! Rowids: each kind owns a block of 2^40 rowids (`kind_block`); within it
//! rowid order is (date, id), so a kind stays one rowid range ordered by
//! date (search relies on it). A first install spaces rows 2^20 apart
//! (less for a kind of over 2^19 items); an item added later takes a rowid
//! between its neighbours (spread evenly when several fall into one gap).
//! An item whose kind, date and id did not change keeps its rowid. When a
//! gap is used up, that kind is renumbered (every row of it moved, rare).

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::domain::{ItemKind, Validity};
use crate::model::{BundleMeta, Item};
use crate::objects::{BundleObject, OBJECT_FORMAT, SYNONYMS_OBJECT, from_json, item_path};
use crate::progress::SealedProgress;
use crate::synonyms::{STORE_SEPARATOR, Synonym};
use crate::{Disclosure, text};

/// Rowid spacing of a first install.
const SPACING: i64 = 1 << 20;
/// Rows of a kind live in the lower half of its block; the upper half is
/// room for renumbering.
const HALF: i64 = 1 << 39;
const BLOCK: i64 = 1 << 40;
/// Above this many items, a title bigram seen once is left out of the
/// keyboard's vocabulary (noise between words); see `min_weight`.
const VOCAB_ALL_BELOW: u64 = 2000;

pub(super) fn kind_block(kind: ItemKind) -> (i64, i64) {
    let idx = ItemKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as i64;
    let base = (idx + 1) * BLOCK;
    (base, base + HALF)
}

pub(super) fn spacing_for(n: usize) -> i64 {
    SPACING.min(HALF / (n as i64 + 1)).max(1)
}

pub(super) fn min_weight(items: u64) -> i64 {
    if items > VOCAB_ALL_BELOW { 2 } else { 1 }
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: "content/store.db".into(),
        source: e,
    }
}

fn bad(e: crate::ContentError) -> StoreError {
    StoreError::Object(e.to_string())
}

/// One bundle object as the store uses it.
pub(super) enum Parsed {
    Bundle {
        meta_json: String,
        salt_hex: String,
    },
    /// `None`: an item that is not 主动公开 (kept as an object only).
    Item(Option<Box<Item>>),
    Asset(String, Vec<u8>),
    Progress(Vec<SealedProgress>),
    Synonyms(Vec<Synonym>),
}

pub(super) fn is_item_path(path: &str) -> bool {
    path.starts_with("items/") || path.starts_with("halls/")
}

/// The item id an item object's path names.
pub(super) fn item_id_of(path: &str) -> Option<&str> {
    path.rsplit('/').next()?.strip_suffix(".json")
}

/// Parses one object as `ContentSet::from_objects` does.
pub(super) fn parse_object(path: &str, bytes: Vec<u8>) -> Result<Parsed, StoreError> {
    if path == SYNONYMS_OBJECT {
        return Ok(Parsed::Synonyms(from_json(path, &bytes).map_err(bad)?));
    }
    if path == "bundle.json" {
        let b: BundleObject = from_json(path, &bytes).map_err(bad)?;
        if b.format != OBJECT_FORMAT {
            return Err(StoreError::Object(format!(
                "{path}: bundle format {} is not {OBJECT_FORMAT}; update kiosk-sync on this kiosk",
                b.format
            )));
        }
        let salt = hex::decode(&b.progress_salt).ok().filter(|s| s.len() == 16);
        if salt.is_none() {
            return Err(StoreError::Object(format!(
                "{path}: progress_salt must be 16 bytes of hex"
            )));
        }
        let meta_json = serde_json::to_string(&b.meta)
            .map_err(|e| StoreError::Object(format!("{path}: {e}")))?;
        return Ok(Parsed::Bundle {
            meta_json,
            salt_hex: b.progress_salt,
        });
    }
    if let Some(name) = path.strip_prefix("assets/") {
        return Ok(Parsed::Asset(name.to_string(), bytes));
    }
    if path.starts_with("progress/") {
        return Ok(Parsed::Progress(from_json(path, &bytes).map_err(bad)?));
    }
    if is_item_path(path) {
        let item: Item = from_json(path, &bytes).map_err(bad)?;
        if item_path(&item) != path {
            return Err(StoreError::Object(format!(
                "{path}: holds item \"{}\" of another kind or hall; the bundle is inconsistent",
                item.meta().id
            )));
        }
        if item.meta().disclosure != Disclosure::Proactive {
            return Ok(Parsed::Item(None));
        }
        return Ok(Parsed::Item(Some(Box::new(item))));
    }
    Err(StoreError::Object(format!(
        "{path}: unknown object path; is this bundle from a newer publisher?"
    )))
}

/// Sort key that makes rowid order (kind, date, id).
pub(super) fn order_key(item: &Item) -> (ItemKind, String, String) {
    let date = order_date(item).map(|d| d.to_string()).unwrap_or_default();
    (item.kind(), date, item.meta().id.clone())
}

/// The date an item sorts by within its kind (`None` sorts first, as the
/// empty string does in [`order_key`]; ISO dates sort as strings do).
pub(super) fn order_date(item: &Item) -> Option<chrono::NaiveDate> {
    item.meta().published.or(item.start_date())
}

fn raw_validity(item: &Item) -> Validity {
    match item {
        Item::Policy(p) => p.validity,
        _ => Validity::Valid,
    }
}

/// Text indexed as the title: the title itself, keywords and 文号, so a
/// curated keyword counts as a title match.
fn title_text(item: &Item) -> String {
    let m = item.meta();
    let mut t = m.title.clone();
    for k in &m.keywords {
        t.push(' ');
        t.push_str(k);
    }
    if let Item::Policy(p) = item
        && let Some(d) = &p.doc_number
    {
        t.push(' ');
        t.push_str(d);
    }
    t
}

/// Everything one item puts into the store, derived from the item alone
/// (so a delete can give the full-text indexes exactly what was inserted).
pub(super) struct ItemRows {
    id: String,
    kind: ItemKind,
    json: String,
    title_uni: String,
    title_bi: String,
    body_bi: String,
    pin_full: String,
    pin_init: String,
    search_title: String,
    links: Vec<String>,
    /// Keyboard vocabulary weights this item contributes.
    pub(super) vocab: Vec<(String, i64)>,
}

pub(super) fn item_rows(item: &Item) -> Result<ItemRows, StoreError> {
    let m = item.meta();
    let json = serde_json::to_string(item).map_err(|e| StoreError::Corrupt {
        id: m.id.clone(),
        message: e.to_string(),
    })?;
    let title = title_text(item);
    // The domain's name counts as body text, so 养老服务 finds the items
    // filed under it whose words say 高龄, 敬老院...
    let mut body = item.search_body();
    if let Some(d) = m.domain {
        body.push_str(d.zh());
    }
    let (full, initials) = text::pinyin_tokens(&title);
    let links = match item {
        Item::Interpretation(i) => i.policies.clone(),
        _ => Vec::new(),
    };
    let mut vocab = Vec::new();
    for k in &m.keywords {
        vocab.push((k.clone(), 100));
    }
    for run in text::runs(&m.title) {
        if let text::Run::Cjk(s) = run {
            for bigram in text::bigrams(&s) {
                if bigram.chars().count() == 2 {
                    vocab.push((bigram, 1));
                }
            }
        }
    }
    Ok(ItemRows {
        id: m.id.clone(),
        kind: item.kind(),
        json,
        title_uni: text::unigram_text(&title),
        title_bi: text::bigram_text(&title),
        body_bi: text::bigram_text(&body),
        pin_full: full.join(" "),
        pin_init: initials.join(" "),
        search_title: title,
        links,
        vocab,
    })
}

/// Vocabulary weights the district's synonyms contribute: residents'
/// everyday words are keyboard candidates too (shbk offers 社保卡 although
/// titles say 社会保障卡).
/// Each term once, as the synonyms table keeps it.
pub(super) fn synonym_vocab(syns: &[Synonym]) -> Vec<(String, i64)> {
    let terms: std::collections::BTreeSet<&str> = syns
        .iter()
        .filter(|s| s.term.chars().all(text::is_cjk))
        .map(|s| s.term.as_str())
        .collect();
    terms.into_iter().map(|t| (t.to_string(), 50)).collect()
}

/// The items columns that depend on the item's kind.
struct Columns {
    doc_number: Option<String>,
    doc_key: Option<String>,
    hall: Option<String>,
    win: Option<String>,
    category: Option<String>,
}

fn columns(item: &Item) -> Columns {
    let (doc_number, doc_key) = match item {
        Item::Policy(p) => (
            p.doc_number.clone(),
            p.doc_number
                .as_deref()
                .and_then(text::doc_number_key)
                .map(|k| k.0),
        ),
        _ => (None, None),
    };
    let (hall, win, category) = match item {
        Item::Guide(g) => (Some(g.hall.clone()), Some(g.window.clone()), None),
        Item::Notice(n) => (n.hall.clone(), None, None),
        Item::Village(v) => (v.hall.clone(), None, None),
        Item::Place(p) => (None, None, Some(p.category.slug().to_string())),
        Item::Catalog(c) => (None, None, Some(c.category.clone())),
        _ => (None, None, None),
    };
    Columns {
        doc_number,
        doc_key,
        hall,
        win,
        category,
    }
}

pub(super) fn insert_item(
    conn: &Connection,
    rowid: i64,
    item: &Item,
    rows: &ItemRows,
) -> Result<(), StoreError> {
    let m = item.meta();
    let Columns {
        doc_number,
        doc_key,
        hall,
        win,
        category,
    } = columns(item);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO items(rowid, id, kind, title, agency, domain, date, start_date, end_date, validity,
                               doc_number, doc_key, hall, win, category, json, search_title)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )
        .and_then(|mut s| {
            s.execute(params![
                rowid,
                m.id,
                rows.kind.slug(),
                m.title,
                m.agency,
                m.domain.map(|d| d.slug()),
                m.published.map(|d| d.to_string()),
                item.start_date().map(|d| d.to_string()),
                item.end_date().map(|d| d.to_string()),
                raw_validity(item).slug(),
                doc_number,
                doc_key,
                hall,
                win,
                category,
                rows.json,
                rows.search_title,
            ])
        });
    match inserted {
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            return Err(StoreError::Object(format!(
                "{}: duplicate item id \"{}\"; the bundle is inconsistent",
                item_path(item),
                m.id
            )));
        }
        other => {
            other.map_err(sql)?;
        }
    }
    fts(conn, rowid, rows, false)?;
    let mut links = conn
        .prepare_cached("INSERT OR IGNORE INTO links(policy, interpretation) VALUES (?1, ?2)")
        .map_err(sql)?;
    for p in &rows.links {
        links.execute(params![p, rows.id]).map_err(sql)?;
    }
    Ok(())
}

/// Adds (or, with `delete`, removes) an item's full-text rows. The indexes
/// are contentless: a delete must give the values that were inserted.
fn fts(conn: &Connection, rowid: i64, r: &ItemRows, delete: bool) -> Result<(), StoreError> {
    let (t, b, p) = if delete {
        (
            "INSERT INTO title_ft(title_ft, rowid, uni, bi) VALUES ('delete', ?1, ?2, ?3)",
            "INSERT INTO body_ft(body_ft, rowid, bi) VALUES ('delete', ?1, ?2)",
            "INSERT INTO pinyin_ft(pinyin_ft, rowid, full, initials) VALUES ('delete', ?1, ?2, ?3)",
        )
    } else {
        (
            "INSERT INTO title_ft(rowid, uni, bi) VALUES (?1, ?2, ?3)",
            "INSERT INTO body_ft(rowid, bi) VALUES (?1, ?2)",
            "INSERT INTO pinyin_ft(rowid, full, initials) VALUES (?1, ?2, ?3)",
        )
    };
    conn.prepare_cached(t)
        .and_then(|mut s| s.execute(params![rowid, r.title_uni, r.title_bi]))
        .map_err(sql)?;
    conn.prepare_cached(b)
        .and_then(|mut s| s.execute(params![rowid, r.body_bi]))
        .map_err(sql)?;
    conn.prepare_cached(p)
        .and_then(|mut s| s.execute(params![rowid, r.pin_full, r.pin_init]))
        .map_err(sql)?;
    Ok(())
}

/// The item stored at `rowid` and the rows it gave.
fn read_item(conn: &Connection, rowid: i64) -> Result<(Item, ItemRows), StoreError> {
    let json: String = conn
        .prepare_cached("SELECT json FROM items WHERE rowid = ?1")
        .and_then(|mut s| s.query_row([rowid], |r| r.get(0)))
        .map_err(sql)?;
    let item: Item = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
        id: format!("rowid {rowid}"),
        message: e.to_string(),
    })?;
    let rows = item_rows(&item)?;
    Ok((item, rows))
}

/// Removes the item at `rowid`, whose rows are `rows`, and everything
/// derived from it.
fn delete_rows(conn: &Connection, rowid: i64, rows: &ItemRows) -> Result<(), StoreError> {
    fts(conn, rowid, rows, true)?;
    conn.prepare_cached("DELETE FROM links WHERE interpretation = ?1")
        .and_then(|mut s| s.execute([&rows.id]))
        .map_err(sql)?;
    conn.prepare_cached("DELETE FROM items WHERE rowid = ?1")
        .and_then(|mut s| s.execute([rowid]))
        .map_err(sql)?;
    Ok(())
}

/// Removes an item and everything derived from it; returns its rows.
fn delete_item(conn: &Connection, rowid: i64) -> Result<(Item, ItemRows), StoreError> {
    let (item, rows) = read_item(conn, rowid)?;
    delete_rows(conn, rowid, &rows)?;
    Ok((item, rows))
}

/// Replaces, in place, the item at `rowid` (same id, kind, date: same
/// rowid) whose rows were `old` with `item`. Only what differs is
/// written: the row's plain columns; its indexed columns only when one of
/// them changed (an UPDATE naming them rewrites every index holding them);
/// each full-text index only when its text changed; links only when they
/// changed. A body edit then touches the row, the body index and nothing
/// else.
fn update_item(
    conn: &Connection,
    rowid: i64,
    item: &Item,
    rows: &ItemRows,
    old: &ItemRows,
) -> Result<(), StoreError> {
    let m = item.meta();
    let c = columns(item);
    conn.prepare_cached(
        "UPDATE items SET title = ?2, date = ?3, start_date = ?4, end_date = ?5, validity = ?6,
                          doc_number = ?7, category = ?8, json = ?9, search_title = ?10
         WHERE rowid = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            rowid,
            m.title,
            m.published.map(|d| d.to_string()),
            item.start_date().map(|d| d.to_string()),
            item.end_date().map(|d| d.to_string()),
            raw_validity(item).slug(),
            c.doc_number,
            c.category,
            rows.json,
            rows.search_title,
        ])
    })
    .map_err(sql)?;
    conn.prepare_cached(
        "UPDATE items SET kind = ?2, agency = ?3, domain = ?4, doc_key = ?5, hall = ?6, win = ?7
         WHERE rowid = ?1 AND NOT (kind IS ?2 AND agency IS ?3 AND domain IS ?4 AND doc_key IS ?5
                                   AND hall IS ?6 AND win IS ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            rowid,
            rows.kind.slug(),
            m.agency,
            m.domain.map(|d| d.slug()),
            c.doc_key,
            c.hall,
            c.win,
        ])
    })
    .map_err(sql)?;
    let run = |q: &str, p: &[&dyn rusqlite::ToSql]| {
        conn.prepare_cached(q)
            .and_then(|mut s| s.execute(p))
            .map_err(sql)
            .map(|_| ())
    };
    if (&old.title_uni, &old.title_bi) != (&rows.title_uni, &rows.title_bi) {
        run(
            "INSERT INTO title_ft(title_ft, rowid, uni, bi) VALUES ('delete', ?1, ?2, ?3)",
            params![rowid, old.title_uni, old.title_bi],
        )?;
        run(
            "INSERT INTO title_ft(rowid, uni, bi) VALUES (?1, ?2, ?3)",
            params![rowid, rows.title_uni, rows.title_bi],
        )?;
    }
    if old.body_bi != rows.body_bi {
        run(
            "INSERT INTO body_ft(body_ft, rowid, bi) VALUES ('delete', ?1, ?2)",
            params![rowid, old.body_bi],
        )?;
        run(
            "INSERT INTO body_ft(rowid, bi) VALUES (?1, ?2)",
            params![rowid, rows.body_bi],
        )?;
    }
    if (&old.pin_full, &old.pin_init) != (&rows.pin_full, &rows.pin_init) {
        run(
            "INSERT INTO pinyin_ft(pinyin_ft, rowid, full, initials) VALUES ('delete', ?1, ?2, ?3)",
            params![rowid, old.pin_full, old.pin_init],
        )?;
        run(
            "INSERT INTO pinyin_ft(rowid, full, initials) VALUES (?1, ?2, ?3)",
            params![rowid, rows.pin_full, rows.pin_init],
        )?;
    }
    if old.links != rows.links {
        run(
            "DELETE FROM links WHERE interpretation = ?1",
            params![rows.id],
        )?;
        for p in &rows.links {
            run(
                "INSERT OR IGNORE INTO links(policy, interpretation) VALUES (?1, ?2)",
                params![p, rows.id],
            )?;
        }
    }
    Ok(())
}

/// Rows of a non-item object.
pub(super) fn insert_other(
    conn: &Connection,
    path: &str,
    parsed: Parsed,
    vocab: &mut HashMap<String, i64>,
) -> Result<(), StoreError> {
    match parsed {
        Parsed::Bundle {
            meta_json,
            salt_hex,
        } => {
            let mut s = conn
                .prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
                .map_err(sql)?;
            s.execute(params!["bundle", meta_json]).map_err(sql)?;
            s.execute(params!["progress_salt", salt_hex]).map_err(sql)?;
        }
        Parsed::Asset(name, bytes) => {
            conn.prepare_cached("INSERT INTO assets(name, bytes) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![name, bytes]))
                .map_err(sql)?;
        }
        Parsed::Progress(records) => {
            let mut s = conn
                .prepare_cached(
                    "INSERT INTO progress(lookup, nonce, sealed, object) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql)?;
            for p in records {
                s.execute(params![p.lookup, p.nonce, p.sealed, path])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::Object(format!(
                                "{path}: a progress record another shard also holds; the bundle is inconsistent"
                            ))
                        }
                        e => sql(e),
                    })?;
            }
        }
        Parsed::Synonyms(syns) => {
            let mut s = conn
                .prepare_cached("INSERT OR REPLACE INTO synonyms(term, words) VALUES (?1, ?2)")
                .map_err(sql)?;
            let sep = STORE_SEPARATOR.to_string();
            for syn in &syns {
                s.execute(params![syn.term, syn.words.join(&sep)])
                    .map_err(sql)?;
            }
            for (t, w) in synonym_vocab(&syns) {
                *vocab.entry(t).or_default() += w;
            }
        }
        Parsed::Item(_) => {}
    }
    Ok(())
}

fn read_synonyms(conn: &Connection) -> Result<Vec<Synonym>, StoreError> {
    let mut s = conn
        .prepare_cached("SELECT term, words FROM synonyms ORDER BY term")
        .map_err(sql)?;
    let rows = s
        .query_map([], |r| {
            let words: String = r.get(1)?;
            Ok(Synonym {
                term: r.get(0)?,
                words: words
                    .split(STORE_SEPARATOR)
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .map_err(sql)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql)
}

/// Removes the rows a non-item object gave (its vocabulary weights
/// subtracted from `vocab`).
fn delete_other(
    conn: &Connection,
    path: &str,
    vocab: &mut HashMap<String, i64>,
) -> Result<(), StoreError> {
    if path == SYNONYMS_OBJECT {
        for (t, w) in synonym_vocab(&read_synonyms(conn)?) {
            *vocab.entry(t).or_default() -= w;
        }
        conn.execute("DELETE FROM synonyms", []).map_err(sql)?;
    } else if let Some(name) = path.strip_prefix("assets/") {
        conn.execute("DELETE FROM assets WHERE name = ?1", [name])
            .map_err(sql)?;
    } else if path.starts_with("progress/") {
        conn.execute("DELETE FROM progress WHERE object = ?1", [path])
            .map_err(sql)?;
    }
    // bundle.json: its meta rows are replaced by the new bundle's.
    Ok(())
}

/// The object a path held, rebuilt from the store's rows (for the undo
/// record). `None` for an item that is not shown (not stored).
fn object_bytes(conn: &Connection, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql)
    };
    if path == "bundle.json" {
        let (Some(m), Some(salt)) = (meta("bundle")?, meta("progress_salt")?) else {
            return Ok(None);
        };
        let meta: BundleMeta = serde_json::from_str(&m).map_err(|e| StoreError::Corrupt {
            id: "bundle".into(),
            message: e.to_string(),
        })?;
        let b = BundleObject {
            format: OBJECT_FORMAT,
            meta,
            progress_salt: salt,
        };
        return Ok(serde_json::to_vec(&b).ok());
    }
    if path == SYNONYMS_OBJECT {
        return Ok(serde_json::to_vec(&read_synonyms(conn)?).ok());
    }
    if let Some(name) = path.strip_prefix("assets/") {
        return conn
            .query_row("SELECT bytes FROM assets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql);
    }
    if path.starts_with("progress/") {
        let mut s = conn
            .prepare_cached(
                "SELECT lookup, nonce, sealed FROM progress WHERE object = ?1 ORDER BY lookup",
            )
            .map_err(sql)?;
        let rows = s
            .query_map([path], |r| {
                Ok(SealedProgress {
                    lookup: r.get(0)?,
                    nonce: r.get(1)?,
                    sealed: r.get(2)?,
                })
            })
            .map_err(sql)?;
        let records = rows.collect::<Result<Vec<_>, _>>().map_err(sql)?;
        return Ok(serde_json::to_vec(&records).ok());
    }
    let Some(id) = item_id_of(path) else {
        return Ok(None);
    };
    let json: Option<String> = conn
        .query_row("SELECT json FROM items WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(sql)?;
    Ok(json.map(String::into_bytes))
}

/// Adds weight changes to `vocab_weight` and brings the affected `vocab`
/// rows in line: a term is a candidate while its weight reaches
/// `min_weight` and it has a pinyin reading.
pub(super) fn update_vocab(
    conn: &Connection,
    delta: &HashMap<String, i64>,
    min: i64,
) -> Result<(), StoreError> {
    let mut add = conn
        .prepare_cached(
            "INSERT INTO vocab_weight(term, weight) VALUES (?1, ?2)
             ON CONFLICT(term) DO UPDATE SET weight = weight + excluded.weight
             RETURNING weight",
        )
        .map_err(sql)?;
    let mut drop_w = conn
        .prepare_cached("DELETE FROM vocab_weight WHERE term = ?1")
        .map_err(sql)?;
    let mut terms: Vec<(&String, &i64)> = delta.iter().filter(|(_, d)| **d != 0).collect();
    terms.sort();
    for (term, d) in terms {
        let w: i64 = add.query_row(params![term, d], |r| r.get(0)).map_err(sql)?;
        if w <= 0 {
            drop_w.execute([term]).map_err(sql)?;
        }
        set_vocab_row(conn, term, w, min)?;
    }
    Ok(())
}

fn set_vocab_row(conn: &Connection, term: &str, weight: i64, min: i64) -> Result<(), StoreError> {
    let pinyin = if weight >= min {
        text::term_pinyin(term)
    } else {
        None
    };
    match pinyin {
        Some((full, initials)) => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO vocab(term, full, initials, weight) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![term, full, initials, weight])),
        None => conn
            .prepare_cached("DELETE FROM vocab WHERE term = ?1")
            .and_then(|mut s| s.execute([term])),
    }
    .map_err(sql)?;
    Ok(())
}

/// `vocab` rebuilt from `vocab_weight` (a first install, or the item count
/// crossing the threshold of `min_weight`).
pub(super) fn rebuild_vocab(conn: &Connection, min: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM vocab", []).map_err(sql)?;
    let mut s = conn
        .prepare("SELECT term, weight FROM vocab_weight WHERE weight >= ?1")
        .map_err(sql)?;
    let mut rows = s.query([min]).map_err(sql)?;
    let mut ins = conn
        .prepare_cached("INSERT INTO vocab(term, full, initials, weight) VALUES (?1, ?2, ?3, ?4)")
        .map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let term: String = r.get(0).map_err(sql)?;
        let weight: i64 = r.get(1).map_err(sql)?;
        if let Some((full, initials)) = text::term_pinyin(&term) {
            ins.execute(params![term, full, initials, weight])
                .map_err(sql)?;
        }
    }
    Ok(())
}

/// `kind_ranges` from the rows: each kind's lowest and highest rowid.
pub(super) fn update_kind_ranges(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM kind_ranges", []).map_err(sql)?;
    for &kind in ItemKind::ALL {
        let (lo, hi) = kind_block(kind);
        let edge = |order: &str| -> Result<Option<i64>, StoreError> {
            conn.query_row(
                &format!(
                    "SELECT rowid FROM items WHERE rowid > ?1 AND rowid < ?2 ORDER BY rowid {order} LIMIT 1"
                ),
                [lo, hi + HALF],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)
        };
        if let (Some(first), Some(last)) = (edge("ASC")?, edge("DESC")?) {
            conn.execute(
                "INSERT INTO kind_ranges(kind, first, last) VALUES (?1, ?2, ?3)",
                params![kind.slug(), first, last],
            )
            .map_err(sql)?;
        }
    }
    Ok(())
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(sql)
}

/// Keeps `term_docs` (documents per index token, for search weights) in
/// step with a delta: the removed and added items' index text go into
/// small temporary indexes with the same tokenizer, and their token
/// document counts are subtracted and added.
struct TermDocs {
    on: bool,
    next: i64,
}

impl TermDocs {
    fn start(conn: &Connection) -> Result<TermDocs, StoreError> {
        let on = table_exists(conn, "term_docs")?;
        if on {
            conn.execute_batch(
                "CREATE VIRTUAL TABLE temp.td_add_title USING fts5(uni, bi, content='', tokenize='unicode61 remove_diacritics 0');
                 CREATE VIRTUAL TABLE temp.td_rm_title USING fts5(uni, bi, content='', tokenize='unicode61 remove_diacritics 0');
                 CREATE VIRTUAL TABLE temp.td_add_body USING fts5(bi, content='', detail='none', tokenize='unicode61 remove_diacritics 0');
                 CREATE VIRTUAL TABLE temp.td_rm_body USING fts5(bi, content='', detail='none', tokenize='unicode61 remove_diacritics 0');
                 CREATE VIRTUAL TABLE temp.td_add_title_v USING fts5vocab(temp, td_add_title, row);
                 CREATE VIRTUAL TABLE temp.td_rm_title_v USING fts5vocab(temp, td_rm_title, row);
                 CREATE VIRTUAL TABLE temp.td_add_body_v USING fts5vocab(temp, td_add_body, row);
                 CREATE VIRTUAL TABLE temp.td_rm_body_v USING fts5vocab(temp, td_rm_body, row);",
            )
            .map_err(sql)?;
        }
        Ok(TermDocs { on, next: 0 })
    }

    fn note(&mut self, conn: &Connection, rows: &ItemRows, added: bool) -> Result<(), StoreError> {
        if !self.on {
            return Ok(());
        }
        self.next += 1;
        let side = if added { "add" } else { "rm" };
        conn.prepare_cached(&format!(
            "INSERT INTO temp.td_{side}_title(rowid, uni, bi) VALUES (?1, ?2, ?3)"
        ))
        .and_then(|mut s| s.execute(params![self.next, rows.title_uni, rows.title_bi]))
        .map_err(sql)?;
        conn.prepare_cached(&format!(
            "INSERT INTO temp.td_{side}_body(rowid, bi) VALUES (?1, ?2)"
        ))
        .and_then(|mut s| s.execute(params![self.next, rows.body_bi]))
        .map_err(sql)?;
        Ok(())
    }

    fn finish(self, conn: &Connection) -> Result<(), StoreError> {
        if !self.on {
            return Ok(());
        }
        conn.execute_batch(
            "INSERT INTO term_docs(term, title, body)
                 SELECT term, sum(t), sum(b) FROM (
                     SELECT term, doc AS t, 0 AS b FROM temp.td_add_title_v
                     UNION ALL SELECT term, -doc, 0 FROM temp.td_rm_title_v
                     UNION ALL SELECT term, 0, doc FROM temp.td_add_body_v
                     UNION ALL SELECT term, 0, -doc FROM temp.td_rm_body_v)
                 WHERE true GROUP BY term
                 ON CONFLICT(term) DO UPDATE SET title = title + excluded.title, body = body + excluded.body;
             DELETE FROM term_docs WHERE title <= 0 AND body <= 0 AND term IN (
                 SELECT term FROM temp.td_rm_title_v UNION SELECT term FROM temp.td_rm_body_v);
             DROP TABLE temp.td_add_title_v; DROP TABLE temp.td_rm_title_v;
             DROP TABLE temp.td_add_body_v; DROP TABLE temp.td_rm_body_v;
             DROP TABLE temp.td_add_title; DROP TABLE temp.td_rm_title;
             DROP TABLE temp.td_add_body; DROP TABLE temp.td_rm_body;",
        )
        .map_err(sql)
    }
}

/// One object that differs between the store and a bundle.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub path: String,
    /// sha256 in the store (`None`: not there).
    pub old: Option<String>,
    /// sha256 in the bundle (`None`: removed).
    pub new: Option<String>,
}

/// The objects that differ between the store and `entries` (sorted by
/// path, as the store's `objects` table is): one merge, no object read.
pub(super) fn diff(conn: &Connection, entries: &[(&str, &str)]) -> Result<Vec<Change>, StoreError> {
    let mut s = conn
        .prepare("SELECT path, sha256 FROM objects ORDER BY path")
        .map_err(sql)?;
    let mut rows = s.query([]).map_err(sql)?;
    let mut out = Vec::new();
    let mut it = entries.iter().peekable();
    fn next_stored(rows: &mut rusqlite::Rows<'_>) -> Result<Option<(String, String)>, StoreError> {
        match rows.next().map_err(sql)? {
            Some(r) => Ok(Some((r.get(0).map_err(sql)?, r.get(1).map_err(sql)?))),
            None => Ok(None),
        }
    }
    let mut stored = next_stored(&mut rows)?;
    loop {
        match (stored.as_ref(), it.peek()) {
            (None, None) => break,
            (Some((p, sha)), None) => {
                out.push(Change {
                    path: p.clone(),
                    old: Some(sha.clone()),
                    new: None,
                });
                stored = next_stored(&mut rows)?;
            }
            (None, Some((p, sha))) => {
                out.push(Change {
                    path: p.to_string(),
                    old: None,
                    new: Some(sha.to_string()),
                });
                it.next();
            }
            (Some((sp, ssha)), Some((p, sha))) => match sp.as_str().cmp(p) {
                std::cmp::Ordering::Less => {
                    out.push(Change {
                        path: sp.clone(),
                        old: Some(ssha.clone()),
                        new: None,
                    });
                    stored = next_stored(&mut rows)?;
                }
                std::cmp::Ordering::Greater => {
                    out.push(Change {
                        path: p.to_string(),
                        old: None,
                        new: Some(sha.to_string()),
                    });
                    it.next();
                }
                std::cmp::Ordering::Equal => {
                    if ssha != sha {
                        out.push(Change {
                            path: p.to_string(),
                            old: Some(ssha.clone()),
                            new: Some(sha.to_string()),
                        });
                    }
                    stored = next_stored(&mut rows)?;
                    it.next();
                }
            },
        }
    }
    Ok(out)
}

/// The changes a revert makes: back to each object's previous version,
/// from the `undo` table.
pub(super) fn undo_changes(conn: &Connection) -> Result<Vec<Change>, StoreError> {
    let mut s = conn
        .prepare(
            "SELECT u.path, o.sha256, u.sha256 FROM undo u LEFT JOIN objects o ON o.path = u.path ORDER BY u.path",
        )
        .map_err(sql)?;
    let rows = s
        .query_map([], |r| {
            Ok(Change {
                path: r.get(0)?,
                old: r.get(1)?,
                new: r.get(2)?,
            })
        })
        .map_err(sql)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql)
}

/// An object's bytes as the undo table keeps them (`None`: an item that
/// is not shown).
pub(super) fn undo_bytes(conn: &Connection, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Option<Vec<u8>>, bool)> = conn
        .prepare_cached("SELECT bytes, deflated FROM undo WHERE path = ?1")
        .and_then(|mut s| {
            s.query_row([path], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(sql)?;
    match row {
        Some((Some(bytes), true)) => inflate(&bytes).map(Some).map_err(|e| StoreError::Corrupt {
            id: format!("undo row {path}"),
            message: format!("cannot inflate: {e}"),
        }),
        Some((bytes, _)) => Ok(bytes),
        None => Ok(None),
    }
}

/// Raw deflate (level 6): undo rows are written once per update and
/// read only by a revert.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn inflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Where an item's key would go within its kind: the rowids of the rows
/// just before and after it (the block's edges when there are none).
fn neighbours(
    conn: &Connection,
    kind: ItemKind,
    key: &(String, String),
) -> Result<(i64, i64), StoreError> {
    let (base, end) = kind_block(kind);
    let first_from = |x: i64| -> Result<Option<(i64, String, String)>, StoreError> {
        conn.prepare_cached(
            "SELECT rowid, coalesce(date, start_date, ''), id FROM items WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([x, end], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(sql)
    };
    // Smallest x whose first row at or after it sorts after `key`.
    let after = |x: i64| -> Result<bool, StoreError> {
        Ok(match first_from(x)? {
            None => true,
            Some((_, d, id)) => (d, id) > *key,
        })
    };
    let (mut lo, mut hi) = (base + 1, end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if after(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let succ = first_from(lo)?.map_or(end, |r| r.0);
    let pred: Option<i64> = conn
        .prepare_cached(
            "SELECT rowid FROM items WHERE rowid > ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT 1",
        )
        .and_then(|mut s| s.query_row([base, succ], |r| r.get(0)).optional())
        .map_err(sql)?;
    Ok((pred.unwrap_or(base), succ))
}

/// Moves every row of `kind` to evenly spaced rowids (when an insert found
/// no free rowid between its neighbours): first up into the block's upper
/// half, then down to their places, so no two rows ever share a rowid.
fn renumber(conn: &Connection, kind: ItemKind, extra: usize) -> Result<(), StoreError> {
    let (base, end) = kind_block(kind);
    let mut s = conn
        .prepare("SELECT rowid FROM items WHERE rowid > ?1 AND rowid < ?2 ORDER BY rowid")
        .map_err(sql)?;
    let rowids: Vec<i64> = s
        .query_map([base, end], |r| r.get(0))
        .map_err(sql)?
        .collect::<Result<Vec<i64>, _>>()
        .map_err(sql)?;
    drop(s);
    let step = spacing_for(rowids.len() + extra);
    let move_row = |from: i64, to: i64| -> Result<(), StoreError> {
        let (item, rows) = delete_item(conn, from)?;
        insert_item(conn, to, &item, &rows)
    };
    for (i, &r) in rowids.iter().enumerate() {
        move_row(r, end + 1 + i as i64)?;
    }
    for i in 0..rowids.len() {
        move_row(end + 1 + i as i64, base + step * (i as i64 + 1))?;
    }
    tracing::info!(kind = kind.slug(), rows = rowids.len(), "renumbered a kind");
    Ok(())
}

/// The rowid a removed item had and its sort key: an item of the same id
/// and key added under another path takes the rowid again.
struct Freed {
    rowid: i64,
    key: (ItemKind, String, String),
}

/// An item waiting for its rowid: its sort key and the item (its rows
/// are made when it is inserted, so waiting items hold no search text).
type Pending = ((ItemKind, String, String), Box<Item>);

/// Reads an object's bytes by path (`None`: the bundle does not hold it).
type ReadObject<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, StoreError> + 'a;

/// A stored item taken for replacing: its rowid, sort key and rows.
type Stored = (i64, (ItemKind, String, String), ItemRows);

/// What `apply_changes` keeps while it goes: the search-term and
/// vocabulary counts and the item tally.
struct Tally {
    vocab: HashMap<String, i64>,
    terms: TermDocs,
    added: u64,
    removed: u64,
}

impl Tally {
    fn count(&mut self, conn: &Connection, rows: &ItemRows, add: bool) -> Result<(), StoreError> {
        self.terms.note(conn, rows, add)?;
        let sign = if add { 1 } else { -1 };
        for (t, w) in &rows.vocab {
            *self.vocab.entry(t.clone()).or_default() += sign * w;
        }
        if add {
            self.added += 1;
        } else {
            self.removed += 1;
        }
        Ok(())
    }

    /// The stored item with this id, counted out: its rowid, sort key and
    /// rows (its rows stay in place; the caller updates or removes them).
    fn take_stored(&mut self, conn: &Connection, id: &str) -> Result<Option<Stored>, StoreError> {
        let rowid: Option<i64> = conn
            .prepare_cached("SELECT rowid FROM items WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(sql)?;
        let Some(rowid) = rowid else {
            return Ok(None);
        };
        let (item, rows) = read_item(conn, rowid)?;
        self.count(conn, &rows, false)?;
        Ok(Some((rowid, order_key(&item), rows)))
    }

    fn insert(&mut self, conn: &Connection, rowid: i64, item: &Item) -> Result<(), StoreError> {
        let rows = item_rows(item)?;
        insert_item(conn, rowid, item, &rows)?;
        self.count(conn, &rows, true)
    }
}

/// Applies `changes` in the open transaction on `conn`: removals first,
/// then additions and changes, each object read (`read`) only when it is
/// added or changed. With `undo`, records the previous version of every
/// changed object (the table is replaced). Returns the number of items
/// afterwards.
///
/// Memory stays small whatever the change: a changed item is read,
/// compared with its stored version and written before the next one is
/// read. Only items that need a new place (new ones, or a changed date)
/// wait, without their search text, until every removal is done.
pub(super) fn apply_changes(
    conn: &Connection,
    changes: &[Change],
    read: &mut ReadObject<'_>,
    undo: bool,
    items_before: u64,
) -> Result<u64, StoreError> {
    if undo {
        conn.execute("DELETE FROM undo", []).map_err(sql)?;
    }
    let mut tally = Tally {
        vocab: HashMap::new(),
        terms: TermDocs::start(conn)?,
        added: 0,
        removed: 0,
    };
    // Rowids of removed items: reused when an item of the same id, kind
    // and date comes under another path.
    let mut freed: HashMap<String, Freed> = HashMap::new();
    for c in changes {
        let Some(old) = &c.old else {
            if undo {
                conn.execute(
                    "INSERT INTO undo(path, sha256, bytes) VALUES (?1, NULL, NULL)",
                    [&c.path],
                )
                .map_err(sql)?;
            }
            continue;
        };
        if undo {
            let bytes = object_bytes(conn, &c.path)?.map(|b| deflate(&b));
            conn.prepare_cached(
                "INSERT INTO undo(path, sha256, bytes, deflated) VALUES (?1, ?2, ?3, 1)",
            )
            .and_then(|mut s| s.execute(params![c.path, old, bytes]))
            .map_err(sql)?;
        }
        if c.path == "bundle.json" && c.new.is_none() {
            return Err(StoreError::Object(
                "bundle.json: missing from the bundle".into(),
            ));
        }
        if is_item_path(&c.path) {
            // A changed item is replaced when its new version is read.
            if c.new.is_none()
                && let Some(id) = item_id_of(&c.path)
                && let Some((rowid, key, rows)) = tally.take_stored(conn, id)?
            {
                delete_rows(conn, rowid, &rows)?;
                freed.insert(id.to_string(), Freed { rowid, key });
            }
        } else {
            delete_other(conn, &c.path, &mut tally.vocab)?;
        }
        if c.new.is_none() {
            conn.execute("DELETE FROM objects WHERE path = ?1", [&c.path])
                .map_err(sql)?;
        }
    }

    // Additions and changes: other objects at once; items in place when
    // they keep their rowid, else gathered to place them.
    let mut to_place: Vec<Pending> = Vec::new();
    for c in changes {
        let Some(new) = &c.new else { continue };
        conn.execute(
            "INSERT OR REPLACE INTO objects(path, sha256) VALUES (?1, ?2)",
            params![c.path, new],
        )
        .map_err(sql)?;
        let parsed = match read(&c.path)? {
            Some(bytes) => Some(parse_object(&c.path, bytes)?),
            None => None,
        };
        let stored = match (is_item_path(&c.path), &c.old, item_id_of(&c.path)) {
            (true, Some(_), Some(id)) => tally.take_stored(conn, id)?,
            _ => None,
        };
        match parsed {
            Some(Parsed::Item(Some(item))) => {
                let key = order_key(&item);
                match stored {
                    Some((rowid, old_key, old_rows)) if old_key == key => {
                        let rows = item_rows(&item)?;
                        update_item(conn, rowid, &item, &rows, &old_rows)?;
                        tally.count(conn, &rows, true)?;
                        continue;
                    }
                    Some((rowid, _, old_rows)) => delete_rows(conn, rowid, &old_rows)?,
                    None => {}
                }
                // Taken out of `freed`: a second object with the same id
                // is inserted and refused as a duplicate.
                let id = item.meta().id.clone();
                match freed.remove(&id) {
                    Some(f) if f.key == key => tally.insert(conn, f.rowid, &item)?,
                    Some(f) => {
                        freed.insert(id, f);
                        to_place.push((key, item));
                    }
                    None => to_place.push((key, item)),
                }
            }
            // No longer shown (or not shown before a revert): removed.
            Some(Parsed::Item(None)) | None => {
                if let Some((rowid, _, old_rows)) = stored {
                    delete_rows(conn, rowid, &old_rows)?;
                }
            }
            Some(other) => insert_other(conn, &c.path, other, &mut tally.vocab)?,
        }
    }
    // New places: find each one's gap, spread the ones sharing a gap.
    to_place.sort_by(|a, b| a.0.cmp(&b.0));
    let mut i = 0;
    while i < to_place.len() {
        let kind = to_place[i].0.0;
        let key = (to_place[i].0.1.clone(), to_place[i].0.2.clone());
        let (pred, succ) = neighbours(conn, kind, &key)?;
        let mut j = i + 1;
        while j < to_place.len() && to_place[j].0.0 == kind {
            let k = (to_place[j].0.1.clone(), to_place[j].0.2.clone());
            if neighbours(conn, kind, &k)? != (pred, succ) {
                break;
            }
            j += 1;
        }
        let m = (j - i) as i64;
        let (_, end) = kind_block(kind);
        let step = if succ == end {
            SPACING.min((succ - pred) / (m + 1))
        } else {
            (succ - pred) / (m + 1)
        };
        if step < 1 {
            renumber(conn, kind, m as usize)?;
            continue;
        }
        for (n, (_, item)) in to_place[i..j].iter().enumerate() {
            tally.insert(conn, pred + step * (n as i64 + 1), item)?;
        }
        i = j;
    }
    let (added, removed) = (tally.added, tally.removed);
    let items_after = items_before + added - removed.min(items_before + added);
    let (min_before, min_after) = (min_weight(items_before), min_weight(items_after));
    update_vocab(conn, &tally.vocab, min_after)?;
    if min_before != min_after {
        rebuild_vocab(conn, min_after)?;
    }
    update_kind_ranges(conn)?;
    tally.terms.finish(conn)?;
    let has_bundle: bool = conn
        .query_row("SELECT count(*) FROM meta WHERE key = 'bundle'", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .map_err(sql)?;
    if !has_bundle {
        return Err(StoreError::Object(
            "bundle.json: missing from the bundle".into(),
        ));
    }
    Ok(items_after)
}

/// The store's content as sorted (path, sha256) pairs, for tests.
pub(super) fn stored_objects(conn: &Connection) -> Result<BTreeMap<String, String>, StoreError> {
    let mut s = conn
        .prepare("SELECT path, sha256 FROM objects")
        .map_err(sql)?;
    let rows = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sql)?;
    rows.collect::<Result<BTreeMap<_, _>, _>>().map_err(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_rows_read_back_deflated_and_as_earlier_versions_wrote_them() {
        let mut conn = Connection::open_in_memory().expect("open");
        super::super::schema::migrate(&mut conn).expect("migrate");
        let json = "{\"title\":\"城乡居民最低生活保障办法\",\"body\":\"".to_string()
            + &"第一条 为了保障城乡居民基本生活。".repeat(40)
            + "\"}";
        let packed = deflate(json.as_bytes());
        assert!(
            packed.len() * 3 < json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        conn.execute(
            "INSERT INTO undo(path, sha256, bytes, deflated) VALUES ('new', 'a', ?1, 1)",
            [&packed],
        )
        .expect("insert");
        // A row written before schema 5: plain bytes, `deflated` 0.
        conn.execute(
            "INSERT INTO undo(path, sha256, bytes) VALUES ('old', 'b', ?1)",
            [json.as_bytes()],
        )
        .expect("insert");
        conn.execute(
            "INSERT INTO undo(path, sha256, bytes) VALUES ('absent', NULL, NULL)",
            [],
        )
        .expect("insert");
        for path in ["new", "old"] {
            let got = undo_bytes(&conn, path).expect("read");
            assert_eq!(got.as_deref(), Some(json.as_bytes()), "{path}");
        }
        assert_eq!(undo_bytes(&conn, "absent").expect("read"), None);
        assert_eq!(undo_bytes(&conn, "not there").expect("read"), None);
        // A damaged deflated row is a clear error, not a panic.
        conn.execute("UPDATE undo SET bytes = x'00ff' WHERE path = 'new'", [])
            .expect("damage");
        let err = undo_bytes(&conn, "new").expect_err("damaged");
        assert!(err.to_string().contains("undo row new"), "{err}");
    }
}
