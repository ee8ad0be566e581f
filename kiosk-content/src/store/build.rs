//! A first install: the store file written from a bundle's objects, read
//! one at a time (never all at once), under a temporary name.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::delta::{self, Parsed};
use super::{StoreError, schema};
use crate::domain::ItemKind;

/// Reads one object of the bundle by path.
pub type ReadObject<'a> = dyn FnMut(&str) -> Result<Vec<u8>, StoreError> + 'a;

/// Writes a complete store at `path` from `entries` (path, sha256; sorted
/// by path), reading each object through `read`: every object once, then
/// the items again in rowid order. `meta` rows (generation, state) are
/// written with it. Returns the number of items.
///
/// Memory: one object at a time, plus per item its kind, date and index
/// (16 bytes), plus the keyboard vocabulary's weights.
pub(super) fn build_store(
    path: &Path,
    entries: &[(&str, &str)],
    read: &mut ReadObject<'_>,
    meta: &[(&str, String)],
) -> Result<u64, StoreError> {
    let sql = |e| StoreError::Sqlite {
        path: path.to_path_buf(),
        source: e,
    };
    let mut conn = Connection::open(path).map_err(sql)?;
    // The file is not visible to anyone until renamed into place, and a
    // crash discards it, so no journal is needed while writing.
    // auto_vacuum must be chosen before the first table: it lets a later
    // delta hand free pages back (`ContentWriter::compact`).
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;
         PRAGMA auto_vacuum = INCREMENTAL; PRAGMA cache_size = -4000;",
    )
    .map_err(sql)?;
    schema::migrate(&mut conn).map_err(sql)?;
    conn.execute_batch(schema::FRESH_STORE).map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    let mut vocab: HashMap<String, i64> = HashMap::new();
    // Per item: kind, date and its index in `entries` (16 bytes; the id,
    // the last part of the sort key, is read from the path when sorting).
    let mut keys: Vec<(ItemKind, Option<NaiveDate>, u32)> = Vec::new();
    {
        let mut obj = tx
            .prepare("INSERT INTO objects(path, sha256) VALUES (?1, ?2)")
            .map_err(sql)?;
        for (n, (p, sha)) in entries.iter().enumerate() {
            obj.execute(params![p, sha]).map_err(sql)?;
            let bytes = read(p)?;
            match delta::parse_object(p, bytes)? {
                Parsed::Item(Some(item)) => {
                    keys.push((item.kind(), delta::order_date(&item), n as u32))
                }
                Parsed::Item(None) => {}
                other => delta::insert_other(&tx, p, other, &mut vocab)?,
            }
        }
    }
    // An item's path names its id (`parse_object` checks it), so this is
    // the order of `delta::order_key`.
    let id_at = |n: u32| delta::item_id_of(entries[n as usize].0).unwrap_or("");
    keys.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| id_at(a.2).cmp(id_at(b.2)))
    });
    let mut per_kind: HashMap<ItemKind, usize> = HashMap::new();
    for (k, _, _) in &keys {
        *per_kind.entry(*k).or_default() += 1;
    }
    let mut kind = None;
    let mut pos = 0i64;
    for (k, _, n) in &keys {
        if kind != Some(*k) {
            kind = Some(*k);
            pos = 0;
        }
        pos += 1;
        let (base, _) = delta::kind_block(*k);
        let rowid = base + delta::spacing_for(per_kind[k]) * pos;
        let p = entries[*n as usize].0;
        let Parsed::Item(Some(item)) = delta::parse_object(p, read(p)?)? else {
            return Err(StoreError::Object(format!(
                "{p}: changed while it was being read; pull again"
            )));
        };
        let rows = delta::item_rows(&item)?;
        delta::insert_item(&tx, rowid, &item, &rows)?;
        for (t, w) in rows.vocab {
            *vocab.entry(t).or_default() += w;
        }
    }
    let count: i64 = tx
        .query_row("SELECT count(*) FROM meta WHERE key = 'bundle'", [], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    if count == 0 {
        return Err(StoreError::Object(
            "bundle.json: missing from the bundle".into(),
        ));
    }
    {
        let mut w = tx
            .prepare("INSERT INTO vocab_weight(term, weight) VALUES (?1, ?2)")
            .map_err(sql)?;
        for (term, weight) in &vocab {
            if *weight > 0 {
                w.execute(params![term, weight]).map_err(sql)?;
            }
        }
    }
    let items = keys.len() as u64;
    drop(vocab);
    delta::rebuild_vocab(&tx, delta::min_weight(items))?;
    delta::update_kind_ranges(&tx)?;
    {
        let mut m = tx
            .prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
            .map_err(sql)?;
        for (k, v) in meta {
            m.execute(params![k, v]).map_err(sql)?;
        }
        m.execute(params!["objects", "complete"]).map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    conn.execute_batch(
        "INSERT INTO title_ft(title_ft) VALUES ('optimize');
         INSERT INTO body_ft(body_ft) VALUES ('optimize');
         INSERT INTO pinyin_ft(pinyin_ft) VALUES ('optimize');",
    )
    .map_err(sql)?;
    // Token document frequencies for search, from the finished indexes.
    super::search::derive_term_docs(&conn).map_err(sql)?;
    // The live store is read in WAL mode: readers keep their snapshot
    // while kiosk-sync applies the next delta.
    conn.execute_batch("PRAGMA journal_mode = WAL;")
        .map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    Ok(items)
}
