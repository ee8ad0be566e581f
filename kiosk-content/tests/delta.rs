//! Delta apply: after any sequence of updates (and a revert), the live
//! store's content and every derived table equal those of a store built
//! fresh from the same bundle, compared table by table, order-independent,
//! with rowids mapped to item ids (a delta places new items between their
//! neighbours, a first install spaces them evenly).

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

/// `PRAGMA integrity_check` and the full-text indexes' own checks on the
/// store in `schema` (`main` or an attached one).
fn integrity(conn: &Connection, schema: &str) {
    let ok: String = conn
        .query_row(&format!("PRAGMA {schema}.integrity_check"), [], |r| {
            r.get(0)
        })
        .expect("integrity_check");
    assert_eq!(ok, "ok", "{schema}: integrity_check");
    for t in FTS {
        conn.execute_batch(&format!(
            "INSERT INTO {schema}.{t}({t}) VALUES ('integrity-check')"
        ))
        .unwrap_or_else(|e| panic!("{schema}.{t} integrity-check: {e}"));
    }
}

const FTS: [&str; 3] = ["title_ft", "body_ft", "pinyin_ft"];

/// The query giving table `t` of the store in `schema` in a form that does
/// not depend on rowids (`None`: not compared). Every table has a primary
/// key and an item's index tokens are one row, so rows are unique.
fn table_query(conn: &Connection, schema: &str, t: &str) -> Option<String> {
    let id = format!("(SELECT id FROM {schema}.items i WHERE i.rowid = v.doc)");
    Some(match t {
        // Rowids mapped to ids; the order within a kind checked apart.
        "items" => format!(
            "SELECT id, kind, title, agency, domain, date, start_date, end_date, validity, doc_number, doc_key, hall, win, category, json, search_title FROM {schema}.items"
        ),
        "kind_ranges" => format!(
            "SELECT kind, (SELECT id FROM {schema}.items WHERE rowid = first), (SELECT id FROM {schema}.items WHERE rowid = last) FROM {schema}.kind_ranges"
        ),
        // Which generation and the undo rows differ by design.
        "meta" => {
            format!("SELECT key, value FROM {schema}.meta WHERE key NOT IN ('generation', 'state')")
        }
        "undo" => return None,
        // Every token of every item, by item id.
        "title_ft" | "body_ft" | "pinyin_ft" => {
            conn.execute_batch(&format!(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.{schema}_{t}_inst USING fts5vocab({schema}, {t}, instance)"
            ))
            .expect("instance vocab");
            // One row per item: its tokens in (term, column, offset)
            // order, so ids are looked up once per item, not per token.
            format!(
                "SELECT {id}, toks FROM (SELECT doc, group_concat(term || '/' || coalesce(col, '') || '/' || coalesce(offset, ''), ' ' ORDER BY term, col, offset) AS toks FROM temp.{schema}_{t}_inst GROUP BY doc) v"
            )
        }
        _ => format!("SELECT * FROM {schema}.{t}"),
    })
}

/// The tables of the store in `schema`, without the full-text indexes'
/// shadow tables.
fn tables(conn: &Connection, schema: &str) -> Vec<String> {
    let mut s = conn
        .prepare(&format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ))
        .expect("tables");
    s.query_map([], |r| r.get::<_, String>(0))
        .expect("tables")
        .collect::<Result<Vec<_>, _>>()
        .expect("tables")
        .into_iter()
        .filter(|n| !FTS.iter().any(|f| n.starts_with(&format!("{f}_"))))
        .collect()
}

fn show_rows(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, Value>(i).map(|v| {
                    let v = format!("{v:?}");
                    match v.char_indices().nth(300) {
                        Some((at, _)) => format!("{}…", &v[..at]),
                        None => v,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(" | "))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Within each kind, rowid order is (date, id): the ids of each kind in
/// rowid order, as one line per kind.
fn order_by_kind(schema: &str) -> String {
    format!(
        "SELECT k.kind, group_concat(i.id, ',') FROM {schema}.kind_ranges k JOIN (SELECT * FROM {schema}.items ORDER BY rowid) i ON i.rowid BETWEEN k.first AND k.last GROUP BY k.kind ORDER BY k.kind"
    )
}

/// A store built fresh from `content` (a first install).
fn fresh(content: &ContentSet) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(content, &info(1)).expect("fresh");
    drop(w);
    dir
}

/// The live store at `data` holds, table by table and row by row, what a
/// store built fresh from `content` holds (rowids mapped to item ids),
/// each kind's items lie within its range and in (date, id) order, and
/// both pass their integrity checks. Compared inside SQLite (the fresh
/// store attached), so a check of 2,000 items takes well under a second.
fn assert_same(data: &Path, content: &ContentSet, what: &str) {
    let want = fresh(content);
    let conn = store_conn(data);
    conn.execute(
        "ATTACH DATABASE ?1 AS fresh",
        [want.path().join("content/store.db").to_string_lossy()],
    )
    .expect("attach the fresh store");
    integrity(&conn, "main");
    integrity(&conn, "fresh");
    let names = tables(&conn, "main");
    assert_eq!(names, tables(&conn, "fresh"), "{what}: tables");
    for t in &names {
        let (Some(got), Some(exp)) = (
            table_query(&conn, "main", t),
            table_query(&conn, "fresh", t),
        ) else {
            continue;
        };
        // Each side evaluated once, into a temporary table.
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.got; DROP TABLE IF EXISTS temp.exp;
             CREATE TEMP TABLE got AS {got}; CREATE TEMP TABLE exp AS {exp};"
        ))
        .unwrap_or_else(|e| panic!("{what}: table {t}: {e}"));
        let (got, exp) = ("SELECT * FROM temp.got", "SELECT * FROM temp.exp");
        let (n_got, n_exp) = (count(&conn, got), count(&conn, exp));
        let missing = show_rows(&conn, &format!("{exp} EXCEPT {got} LIMIT 5"));
        let extra = show_rows(&conn, &format!("{got} EXCEPT {exp} LIMIT 5"));
        assert!(
            n_got == n_exp && missing.is_empty() && extra.is_empty(),
            "{what}: table {t} differs from a fresh build ({n_got} rows vs {n_exp}): missing {missing:?}, extra {extra:?}"
        );
    }
    assert_eq!(
        show_rows(&conn, &order_by_kind("main")),
        show_rows(&conn, &order_by_kind("fresh")),
        "{what}: rowid order within each kind"
    );
    let stray = count(
        &conn,
        "SELECT 1 FROM items i WHERE NOT EXISTS (SELECT 1 FROM kind_ranges k WHERE k.kind = i.kind AND i.rowid BETWEEN k.first AND k.last)",
    );
    assert_eq!(stray, 0, "{what}: items outside their kind's range");
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// The demo county changed every way a bundle can change: items edited,
/// added (old and new dates), removed, an interpretation's links and a
/// policy's keywords and 文号 changed, synonyms, an image, progress
/// records and the bundle's own metadata.
fn changed_demo(base: &ContentSet) -> ContentSet {
    let mut c = base.clone();
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
            // A policy whose date changed: it leaves its rowid for a new
            // place among its kind, text and all.
            Item::Policy(p) if p.meta.id == "sfx-2018-012" => {
                p.meta.published = Some(date("2025-03-01"));
                p.body.push_str("\n\n本办法自2025年3月1日起重新施行。\n");
            }
            // A policy withdrawn from proactive disclosure: its changed
            // object is kept, its row and index entries go.
            Item::Policy(p) if p.meta.id == "sfx-2017-021" => {
                p.meta.disclosure = kiosk_content::Disclosure::OnRequest;
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
    let v2 = changed_demo(&v1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    let g1 = w.apply_generation(&v1, &info(1)).expect("first install");
    let mut reader = ContentReader::open(dir.path()).expect("reader");
    let g2 = w.apply_generation(&v2, &info(2)).expect("delta");
    assert_eq!(g2.generation, g1.generation + 1);
    let shown = v2
        .items
        .iter()
        .filter(|i| i.meta().disclosure == kiosk_content::Disclosure::Proactive)
        .count();
    assert!(shown < v2.items.len(), "an item withdrawn from disclosure");
    assert_eq!(g2.item_count, shown as u64);
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

/// The long run (`tests/faults.sh --long`, `KIOSK_FAULTS_LONG=1`) keeps
/// the generated documents' full bodies; `cargo test` cuts every body to
/// its first characters. Item counts, ids, dates, titles, keywords and
/// links stay the same (so the vocabulary threshold, the rowid gaps and a
/// month of changes are exercised alike); only the text each item puts
/// into the body index is smaller, which is most of the time spent.
fn long_run() -> bool {
    std::env::var("KIOSK_FAULTS_LONG").is_ok_and(|v| v == "1")
}

/// Synthetic content of `docs` documents (policies and more).
fn synthetic(docs: usize, seed: u64) -> ContentSet {
    let mut c = compile(&synthetic_tree(docs, seed)).unwrap_or_else(|p| panic!("synthetic:\n{p}"));
    if !long_run() {
        kiosk_content::generate::cut_bodies(&mut c, 40);
    }
    c
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
    let fresh_dir = fresh(&content);
    let fresh_size = size(fresh_dir.path());
    eprintln!("store: first {first} B, after 30 daily 1% changes {after} B, fresh {fresh_size} B");
    assert_same(dir.path(), &content, "after a month");
    assert!(
        after <= fresh_size * 3 / 2 + (1 << 20),
        "the store grew to {after} B; a fresh build of the same content is {fresh_size} B"
    );
}

#[test]
fn the_comparison_sees_one_stray_index_token_and_one_changed_title() {
    let c = synthetic(40, 2);
    let dir = fresh(&c);
    assert_same(dir.path(), &c, "a fresh build against itself");
    // One token more for one item in the body index only.
    let conn = store_conn(dir.path());
    let rowid: i64 = conn
        .query_row("SELECT min(rowid) FROM items", [], |r| r.get(0))
        .expect("an item");
    conn.execute(
        "INSERT INTO body_ft(rowid, bi) VALUES (?1, 'zzzstray')",
        [rowid],
    )
    .expect("stray token");
    drop(conn);
    let caught = std::panic::catch_unwind(|| assert_same(dir.path(), &c, "stray token"))
        .expect_err("a stray body token must be seen");
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("table body_ft differs") && message.contains("zzzstray"),
        "{message}"
    );
    // And content that differs in one title.
    let mut other = c.clone();
    if let Some(Item::Policy(p)) = other
        .items
        .iter_mut()
        .find(|i| matches!(i, Item::Policy(_)))
    {
        p.meta.title.push('改');
    }
    let dir = fresh(&c);
    let caught = std::panic::catch_unwind(|| assert_same(dir.path(), &other, "one title"))
        .expect_err("a changed title must be seen");
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("table items differs"), "{message}");
}
