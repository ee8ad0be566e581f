//! Writing one generation file from a [`ContentSet`].

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, params};

use super::{GenerationRecord, StoreError, schema};
use crate::ContentSet;
use crate::domain::{ItemKind, Validity};
use crate::model::Item;
use crate::text;

/// Sort key that makes rowid order (kind, date, id).
fn order_key(item: &Item) -> (ItemKind, String, String) {
    let date = item
        .meta()
        .published
        .or(item.start_date())
        .map(|d| d.to_string())
        .unwrap_or_default();
    (item.kind(), date, item.meta().id.clone())
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

pub(super) fn build_generation(
    path: &Path,
    content: &ContentSet,
    record: &GenerationRecord,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::Sqlite {
        path: path.to_path_buf(),
        source: e,
    };
    let mut conn = Connection::open(path).map_err(sql)?;
    // The file is not visible to anyone until renamed into place, and a
    // crash discards it, so no journal is needed while writing.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;",
    )
    .map_err(sql)?;
    schema::migrate(&mut conn).map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    {
        let meta_json = serde_json::to_string(&content.meta).map_err(|e| StoreError::Corrupt {
            id: "bundle".into(),
            message: e.to_string(),
        })?;
        let record_json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
            id: "generation".into(),
            message: e.to_string(),
        })?;
        let mut meta = tx
            .prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)")
            .map_err(sql)?;
        meta.execute(params!["bundle", meta_json]).map_err(sql)?;
        meta.execute(params!["generation", record_json])
            .map_err(sql)?;
        meta.execute(params!["progress_salt", hex::encode(content.progress_salt)])
            .map_err(sql)?;

        let mut items: Vec<&Item> = content.items.iter().collect();
        items.sort_by_key(|i| order_key(i));

        let mut ins = tx
            .prepare(
                "INSERT INTO items(rowid, id, kind, title, agency, domain, date, start_date, end_date, validity,
                                   doc_number, doc_key, hall, win, category, json, search_title)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .map_err(sql)?;
        let mut title_ft = tx
            .prepare("INSERT INTO title_ft(rowid, uni, bi) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        let mut body_ft = tx
            .prepare("INSERT INTO body_ft(rowid, bi) VALUES (?1, ?2)")
            .map_err(sql)?;
        let mut pinyin_ft = tx
            .prepare("INSERT INTO pinyin_ft(rowid, full, initials) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        let mut links = tx
            .prepare("INSERT OR IGNORE INTO links(policy, interpretation) VALUES (?1, ?2)")
            .map_err(sql)?;
        let mut ranges: Vec<(ItemKind, i64, i64)> = Vec::new();
        let mut vocab: HashMap<String, i64> = HashMap::new();

        for (n, item) in items.iter().enumerate() {
            let rowid = n as i64 + 1;
            let m = item.meta();
            let kind = item.kind();
            match ranges.last_mut() {
                Some((k, _, last)) if *k == kind => *last = rowid,
                _ => ranges.push((kind, rowid, rowid)),
            }
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
            let json = serde_json::to_string(item).map_err(|e| StoreError::Corrupt {
                id: m.id.clone(),
                message: e.to_string(),
            })?;
            let title = title_text(item);
            ins.execute(params![
                rowid,
                m.id,
                kind.slug(),
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
                json,
                title,
            ])
            .map_err(sql)?;

            title_ft
                .execute(params![
                    rowid,
                    text::unigram_text(&title),
                    text::bigram_text(&title)
                ])
                .map_err(sql)?;
            // The domain's name counts as body text, so 养老服务 finds the
            // items filed under it whose words say 高龄, 敬老院...
            let mut body = item.search_body();
            if let Some(d) = m.domain {
                body.push_str(d.zh());
            }
            body_ft
                .execute(params![rowid, text::bigram_text(&body)])
                .map_err(sql)?;
            let (full, initials) = text::pinyin_tokens(&title);
            pinyin_ft
                .execute(params![rowid, full.join(" "), initials.join(" ")])
                .map_err(sql)?;

            if let Item::Interpretation(i) = item {
                for p in &i.policies {
                    links.execute(params![p, m.id]).map_err(sql)?;
                }
            }
            for k in &m.keywords {
                *vocab.entry(k.clone()).or_default() += 100;
            }
            for run in text::runs(&m.title) {
                if let text::Run::Cjk(s) = run {
                    for bigram in text::bigrams(&s) {
                        if bigram.chars().count() == 2 {
                            *vocab.entry(bigram).or_default() += 1;
                        }
                    }
                }
            }
        }

        let mut range_ins = tx
            .prepare("INSERT INTO kind_ranges(kind, first, last) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        for (k, first, last) in ranges {
            range_ins
                .execute(params![k.slug(), first, last])
                .map_err(sql)?;
        }

        // Residents' everyday words are keyboard candidates too (shbk offers
        // 社保卡 although titles say 社会保障卡).
        for syn in &content.synonyms {
            if syn.term.chars().all(text::is_cjk) {
                *vocab.entry(syn.term.clone()).or_default() += 50;
            }
        }
        // A bigram seen once in a large set is mostly noise between words;
        // in a small county set every title word counts.
        let min_weight = if content.items.len() > 2000 { 2 } else { 1 };
        let mut vocab_ins = tx
            .prepare("INSERT INTO vocab(term, full, initials, weight) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql)?;
        for (term, weight) in vocab {
            if weight < min_weight {
                continue;
            }
            if let Some((full, initials)) = text::term_pinyin(&term) {
                vocab_ins
                    .execute(params![term, full, initials, weight])
                    .map_err(sql)?;
            }
        }

        let mut syn_ins = tx
            .prepare("INSERT INTO synonyms(term, words) VALUES (?1, ?2)")
            .map_err(sql)?;
        let sep = crate::synonyms::STORE_SEPARATOR.to_string();
        for s in &content.synonyms {
            syn_ins
                .execute(params![s.term, s.words.join(&sep)])
                .map_err(sql)?;
        }

        let mut asset_ins = tx
            .prepare("INSERT INTO assets(name, bytes) VALUES (?1, ?2)")
            .map_err(sql)?;
        for (name, bytes) in &content.assets {
            asset_ins.execute(params![name, bytes]).map_err(sql)?;
        }
        let mut prog_ins = tx
            .prepare("INSERT INTO progress(lookup, nonce, sealed) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        for p in &content.progress {
            prog_ins
                .execute(params![p.lookup, p.nonce, p.sealed])
                .map_err(sql)?;
        }
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
    conn.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    Ok(())
}
