//! Delta apply: after any sequence of updates (and a revert), the live
//! store's content and every derived table equal those of a store built
//! fresh from the same bundle, compared table by table, order-independent,
//! with rowids mapped to item ids (a delta places new items between their
//! neighbours, a first install spaces them evenly).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use kiosk_content::demo::demo_content;
use kiosk_content::generate::synthetic_tree;
use kiosk_content::{
    ContentReader, ContentSet, ContentWriter, GenerationInfo, Item, SealedProgress, compile,
};
use rusqlite::Connection;
use rusqlite::types::Value;

fn info(version: u64) -> GenerationInfo {
    GenerationInfo {
        bundle_version: version,
        channel: "test".into(),
        published_at: None,
    }
}

fn store_conn(data: &Path) -> Connection {
    Connection::open(data.join("content/store.db")).expect("open store")
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("blob:{}", hex_of(b)),
    }
}

fn hex_of(b: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(b))
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = stmt.column_count();
    let mut out: Vec<Vec<String>> = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, Value>(i).map(|v| show(&v)))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    out.sort();
    out
}

/// Everything a store holds that the app or search can see, in a form
/// that does not depend on rowids: table name -> sorted rows.
fn snapshot(data: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let conn = store_conn(data);
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok");
    for t in ["title_ft", "body_ft", "pinyin_ft"] {
        conn.execute_batch(&format!("INSERT INTO {t}({t}) VALUES ('integrity-check')"))
            .unwrap_or_else(|e| panic!("{t} integrity-check: {e}"));
    }
    let mut out = BTreeMap::new();
    let fts = ["title_ft", "body_ft", "pinyin_ft"];
    let tables: Vec<String> = rows(
        &conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .into_iter()
    .map(|r| r[0].trim_matches('\'').to_string())
    .filter(|n| !fts.iter().any(|f| n.starts_with(&format!("{f}_"))))
    .collect();
    let id = "(SELECT id FROM items i WHERE i.rowid = v.doc)";
    for t in tables {
        let q = match t.as_str() {
            // Rowids mapped to ids; the order within a kind checked below.
            "items" => "SELECT id, kind, title, agency, domain, date, start_date, end_date, validity, doc_number, doc_key, hall, win, category, json, search_title FROM items".to_string(),
            "kind_ranges" => "SELECT kind, (SELECT id FROM items WHERE rowid = first), (SELECT id FROM items WHERE rowid = last) FROM kind_ranges".to_string(),
            // Which generation and the undo rows differ by design.
            "meta" => "SELECT key, value FROM meta WHERE key NOT IN ('generation', 'state')".to_string(),
            "undo" => continue,
            // Every token of every item, by item id.
            "title_ft" | "body_ft" | "pinyin_ft" => {
                conn.execute_batch(&format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.{t}_inst USING fts5vocab(main, {t}, instance)"
                ))
                .expect("instance vocab");
                format!("SELECT term, {id}, col, offset FROM temp.{t}_inst v")
            }
            _ => format!("SELECT * FROM {t}"),
        };
        out.insert(t.clone(), rows(&conn, &q));
    }
    // Within each kind, rowid order is (date, id); and each kind's items
    // lie within its range and nowhere else.
    let order = rows(
        &conn,
        "SELECT k.kind, group_concat(i.id, ',') FROM kind_ranges k JOIN (SELECT * FROM items ORDER BY rowid) i ON i.rowid BETWEEN k.first AND k.last GROUP BY k.kind",
    );
    out.insert("order by kind".into(), order);
    let stray: i64 = conn
        .query_row(
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM kind_ranges k WHERE k.kind = i.kind AND i.rowid BETWEEN k.first AND k.last)",
            [],
            |r| r.get(0),
        )
        .expect("stray");
    assert_eq!(stray, 0, "items outside their kind's range");
    out
}

/// A store built fresh from `content` (a first install).
fn fresh(content: &ContentSet) -> (tempfile::TempDir, BTreeMap<String, Vec<Vec<String>>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(content, &info(1)).expect("fresh");
    drop(w);
    let snap = snapshot(dir.path());
    (dir, snap)
}

fn assert_same(data: &Path, content: &ContentSet, what: &str) {
    let got = snapshot(data);
    let (_d, want) = fresh(content);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: tables"
    );
    for (t, rows) in &want {
        let g = &got[t];
        if g != rows {
            let missing: Vec<_> = rows.iter().filter(|r| !g.contains(r)).take(5).collect();
            let extra: Vec<_> = g.iter().filter(|r| !rows.contains(r)).take(5).collect();
            panic!(
                "{what}: table {t} differs from a fresh build ({} rows vs {}): missing {missing:?}, extra {extra:?}",
                g.len(),
                rows.len()
            );
        }
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// The demo county changed every way a bundle can change: items edited,
/// added (old and new dates), removed, an interpretation's links and a
/// policy's keywords and 文号 changed, synonyms, an image, progress
/// records and the bundle's own metadata.
fn changed_demo() -> ContentSet {
    let mut c = demo_content().expect("demo");
    let mut new_items = Vec::new();
    for item in &mut c.items {
        match item {
            Item::Policy(p) if p.meta.id == "sfx-2020-033" => {
                p.meta.title.push_str("（修订版）");
                p.meta.keywords.push("低保新规".into());
                p.doc_number = Some("示政办发〔2026〕7号".into());
            }
            Item::Interpretation(i) if new_items.is_empty() => {
                i.policies.reverse();
                i.policies.pop();
                let mut copy = i.clone();
                copy.meta.id = "jd-2026-new".into();
                copy.meta.title = "一图读懂：新增的解读".into();
                copy.meta.published = Some(date("2026-11-30"));
                new_items.push(Item::Interpretation(copy));
            }
            Item::Guide(g) => {
                g.fee = format!("{}（已更新）", g.fee);
            }
            _ => {}
        }
    }
    // An item dated between existing ones, and one with no date change.
    if let Some(Item::Policy(p)) = c
        .items
        .iter()
        .find(|i| matches!(i, Item::Policy(_)))
        .cloned()
    {
        let mut old = p.clone();
        old.meta.id = "aaa-backdated".into();
        old.meta.title = "补录的旧文件：农村危房改造补助办法".into();
        old.meta.published = Some(date("2019-06-15"));
        new_items.push(Item::Policy(old));
    }
    c.items.extend(new_items);
    let gone: Vec<String> = c
        .items
        .iter()
        .filter(|i| matches!(i, Item::Notice(_)))
        .map(|i| i.meta().id.clone())
        .take(1)
        .collect();
    c.items.retain(|i| !gone.contains(&i.meta().id));
    c.items.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    if let Some(s) = c.synonyms.first_mut() {
        s.words.push("新增说法".into());
    }
    c.synonyms.pop();
    c.synonyms.push(kiosk_content::synonyms::Synonym {
        term: "养老钱".into(),
        words: vec!["养老金".into()],
    });
    c.synonyms.sort_by(|a, b| a.term.cmp(&b.term));
    if let Some((_, bytes)) = c.assets.iter_mut().next() {
        bytes.extend_from_slice(b"\0changed");
    }
    c.progress.pop();
    c.progress.push(SealedProgress {
        lookup: "f".repeat(64),
        nonce: "00".repeat(12),
        sealed: "ab".repeat(40),
    });
    c.progress.sort_by(|a, b| a.lookup.cmp(&b.lookup));
    c.meta.title.push_str("（2026年更新）");
    c
}

#[test]
fn a_delta_gives_the_same_store_as_a_fresh_build_and_revert_gives_the_old_one() {
    let v1 = demo_content().expect("demo");
    let v2 = changed_demo();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    let g1 = w.apply_generation(&v1, &info(1)).expect("first install");
    let mut reader = ContentReader::open(dir.path()).expect("reader");
    let g2 = w.apply_generation(&v2, &info(2)).expect("delta");
    assert_eq!(g2.generation, g1.generation + 1);
    assert_eq!(g2.item_count, v2.items.len() as u64);
    // The reader keeps its snapshot until it refreshes.
    let title = |r: &ContentReader| {
        r.item("sfx-2020-033")
            .expect("query")
            .expect("item")
            .meta()
            .title
            .clone()
    };
    assert!(!title(&reader).contains("修订版"));
    assert!(reader.item("jd-2026-new").expect("q").is_none());
    assert_same(dir.path(), &v2, "after the delta");
    assert!(reader.refresh().expect("refresh"));
    assert!(title(&reader).contains("修订版"));
    assert!(reader.item("jd-2026-new").expect("q").is_some());
    assert_eq!(reader.generation().generation, g2.generation);

    let back = w.revert().expect("revert");
    assert_eq!(back.generation, g1.generation);
    assert_same(dir.path(), &v1, "after the revert");
    assert!(reader.refresh().expect("refresh"));
    assert!(!title(&reader).contains("修订版"));
    assert!(matches!(
        w.revert(),
        Err(kiosk_content::StoreError::NothingToRevert)
    ));

    // Applying again after a revert (a newer version) is a delta too.
    let g3 = w.apply_generation(&v2, &info(3)).expect("again");
    assert_eq!(g3.generation, g2.generation + 1);
    assert_same(dir.path(), &v2, "after applying again");
    // And the identical bundle once more changes nothing but the record.
    let g4 = w.apply_generation(&v2, &info(4)).expect("same content");
    assert_eq!(g4.item_count, g3.item_count);
    assert_same(dir.path(), &v2, "after an empty delta");
}

/// Synthetic content of `docs` documents (policies and more).
fn synthetic(docs: usize, seed: u64) -> ContentSet {
    compile(&synthetic_tree(docs, seed)).unwrap_or_else(|p| panic!("synthetic:\n{p}"))
}

/// Changes 1 in `every` policies' titles and bodies (as the bench does).
fn touch(c: &mut ContentSet, every: usize, round: usize) {
    let mut n = 0;
    for item in &mut c.items {
        if let Item::Policy(p) = item {
            if (n + round).is_multiple_of(every) {
                p.meta.title = format!("{}（第{round}次修订）", p.meta.title);
            }
            n += 1;
        }
    }
}

#[test]
fn the_vocabulary_threshold_and_a_kind_emptied_and_refilled_stay_exact() {
    // 2,100 items: crossing 2,000 changes which title bigrams are keyboard
    // candidates, so vocab is rebuilt from the raw weights.
    let big = synthetic(2100, 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(&big, &info(1)).expect("first");
    // Below the threshold, and every notice gone; then all back.
    let mut small = big.clone();
    small.items.truncate(1500);
    small.items.retain(|i| !matches!(i, Item::Notice(_)));
    w.apply_generation(&small, &info(2)).expect("shrink");
    assert_same(dir.path(), &small, "below the threshold, no notices");
    w.apply_generation(&big, &info(3)).expect("grow");
    assert_same(dir.path(), &big, "above the threshold again");
}

#[test]
fn many_items_added_into_one_gap_renumber_their_kind_and_stay_in_order() {
    let base = synthetic(300, 9);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(&base, &info(1)).expect("first");
    let Some(Item::Policy(p)) = base
        .items
        .iter()
        .find(|i| matches!(i, Item::Policy(_)))
        .cloned()
    else {
        panic!("a policy")
    };
    // Each update adds one policy that sorts just before the previous
    // one added (same date, smaller id): every insert halves the same
    // gap, so after ~20 the kind must be renumbered.
    let mut content = base.clone();
    for round in 0..24 {
        let mut q = p.clone();
        q.meta.id = format!("{}-{:03}", p.meta.id, 999 - round);
        q.meta.title = format!("补充文件{round}");
        content.items.push(Item::Policy(q));
        content.items.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
        w.apply_generation(&content, &info(2 + round as u64))
            .expect("apply");
    }
    assert_same(dir.path(), &content, "after 24 inserts into one gap");
}

#[test]
fn a_month_of_daily_one_percent_changes_does_not_grow_the_store_without_bound() {
    let mut content = synthetic(1000, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(&content, &info(1)).expect("first");
    let size = |d: &Path| -> u64 {
        ["store.db", "store.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(d.join("content").join(f)).map_or(0, |m| m.len()))
            .sum()
    };
    let first = size(dir.path());
    for day in 1..=30 {
        touch(&mut content, 100, day);
        w.apply_generation(&content, &info(1 + day as u64))
            .expect("daily");
    }
    drop(w);
    let after = size(dir.path());
    let (fresh_dir, _) = fresh(&content);
    let fresh_size = size(fresh_dir.path());
    eprintln!("store: first {first} B, after 30 daily 1% changes {after} B, fresh {fresh_size} B");
    assert_same(dir.path(), &content, "after a month");
    assert!(
        after <= fresh_size * 3 / 2 + (1 << 20),
        "the store grew to {after} B; a fresh build of the same content is {fresh_size} B"
    );
}
