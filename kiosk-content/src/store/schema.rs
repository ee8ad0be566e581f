//! The content database schema, as numbered migrations. `PRAGMA user_version`
//! records how many have run; the writer runs the missing ones, readers
//! refuse a file whose version differs from theirs.

use rusqlite::Connection;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only; never edit
/// one that has shipped.
pub const MIGRATIONS: &[&str] = &[
    // 1: items, links, assets, sealed progress, full-text and pinyin indexes.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    -- rowid order is (kind, date, id): each kind is a contiguous rowid range
    -- (kind_ranges) and, within it, a larger rowid is a newer item, so
    -- "newest matches of kind K" is an FTS rowid range scan.
    CREATE TABLE items (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        agency TEXT NOT NULL,
        domain TEXT,
        date TEXT,
        start_date TEXT,
        end_date TEXT,
        validity TEXT NOT NULL,
        doc_number TEXT,
        doc_key TEXT,
        hall TEXT,
        win TEXT,
        category TEXT,
        json TEXT NOT NULL
    );
    CREATE INDEX items_kind_domain ON items(kind, domain);
    CREATE INDEX items_kind_agency ON items(kind, agency);
    CREATE INDEX items_doc_key ON items(doc_key) WHERE doc_key IS NOT NULL;
    CREATE INDEX items_hall_window ON items(hall, win) WHERE hall IS NOT NULL;
    CREATE TABLE kind_ranges (kind TEXT PRIMARY KEY, first INTEGER NOT NULL, last INTEGER NOT NULL);
    CREATE TABLE links (policy TEXT NOT NULL, interpretation TEXT NOT NULL, PRIMARY KEY (policy, interpretation));
    CREATE TABLE assets (name TEXT PRIMARY KEY, bytes BLOB NOT NULL);
    CREATE TABLE progress (lookup TEXT PRIMARY KEY, nonce TEXT NOT NULL, sealed TEXT NOT NULL);
    -- Hanzi candidates for the on-screen pinyin keyboard.
    CREATE TABLE vocab (term TEXT PRIMARY KEY, full TEXT NOT NULL, initials TEXT NOT NULL, weight INTEGER NOT NULL);
    CREATE INDEX vocab_full ON vocab(full);
    CREATE INDEX vocab_initials ON vocab(initials);
    -- Pre-tokenised text (see text.rs): uni = CJK characters and words,
    -- bi = CJK bigrams in order. Contentless: the text lives in items.
    CREATE VIRTUAL TABLE title_ft USING fts5(uni, bi, content='', tokenize='unicode61 remove_diacritics 0');
    -- Bodies: bigrams without positions (a third of the size). Single
    -- characters are matched in titles only; a body match is the AND of the
    -- query's bigrams, close enough for a fallback below title matches.
    CREATE VIRTUAL TABLE body_ft USING fts5(bi, content='', detail='none', tokenize='unicode61 remove_diacritics 0');
    CREATE VIRTUAL TABLE pinyin_ft USING fts5(full, initials, content='', prefix='1 2 3', tokenize='unicode61 remove_diacritics 0');
    "#,
    // 2: what ranked partial matching needs. The district's synonyms
    // (everyday word -> document words joined by '|'); the text indexed as
    // a title (title, keywords, 文号), to score how much of a query a title
    // covers and in what order; and document frequencies of index tokens
    // (fts5vocab reads them from the indexes) for IDF-like weights.
    r#"
    CREATE TABLE synonyms (term TEXT PRIMARY KEY, words TEXT NOT NULL);
    ALTER TABLE items ADD COLUMN search_title TEXT NOT NULL DEFAULT '';
    CREATE VIRTUAL TABLE title_vocab USING fts5vocab(title_ft, row);
    CREATE VIRTUAL TABLE body_vocab USING fts5vocab(body_ft, row);
    "#,
    // 3: document frequencies of the title and body index tokens, for the
    // IDF weights of partial matching. fts5vocab counts a token's documents
    // by reading its whole doclist (tens of ms per common character at
    // 100,000 documents, several per query); this table is derived once per
    // generation from title_vocab and body_vocab after the indexes are
    // written (`search::derive_term_docs`), and filled here for kept files.
    r#"
    CREATE TABLE term_docs (term TEXT PRIMARY KEY, title INTEGER NOT NULL, body INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO term_docs(term, title, body)
        SELECT term, sum(t), sum(b) FROM (
            SELECT term, doc AS t, 0 AS b FROM title_vocab
            UNION ALL SELECT term, 0, doc FROM body_vocab)
        GROUP BY term;
    "#,
    // 4: delta apply (store/delta.rs). Which bundle object (path, sha256)
    // the store holds, so an update reads only the objects that changed;
    // the previous version of each object the last update changed, for a
    // one-step revert (bytes NULL: an item not shown); raw keyboard
    // vocabulary weights, so `vocab` can be kept in step item by item; and
    // the shard each progress record came from. A store migrated to this
    // lacks `meta.objects = 'complete'`: its next update is a first install.
    r#"
    CREATE TABLE objects (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE undo (path TEXT PRIMARY KEY, sha256 TEXT, bytes BLOB);
    CREATE TABLE vocab_weight (term TEXT PRIMARY KEY, weight INTEGER NOT NULL) WITHOUT ROWID;
    ALTER TABLE progress ADD COLUMN object TEXT NOT NULL DEFAULT '';
    CREATE INDEX progress_object ON progress(object);
    "#,
    // 5: undo rows written deflated (`deflated = 1`): the previous version
    // of each changed object is about a sixth of a 1% change's pages at
    // 100,000 documents, and compresses about threefold. Rows written
    // before stay as they are (`deflated = 0`).
    r#"
    ALTER TABLE undo ADD COLUMN deflated INTEGER NOT NULL DEFAULT 0;
    "#,
];

/// Run by a first install right after [`migrate`], on its new, empty
/// file: the full-text indexes without their per-row token counts
/// (`columnsize=0`). Nothing reads those counts (search ranks by its own
/// scores, never FTS5's `bm25`), and each changed document rewrote a page
/// of them per index: on a 1% change at 100,000 documents, 328 of the
/// 3,658 pages written. Stores made before keep the counts until their
/// next first install; both layouts answer every query alike.
pub const FRESH_STORE: &str = r#"
    DROP TABLE title_ft;
    DROP TABLE body_ft;
    DROP TABLE pinyin_ft;
    CREATE VIRTUAL TABLE title_ft USING fts5(uni, bi, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0');
    CREATE VIRTUAL TABLE body_ft USING fts5(bi, content='', detail='none', columnsize=0, tokenize='unicode61 remove_diacritics 0');
    CREATE VIRTUAL TABLE pinyin_ft USING fts5(full, initials, content='', prefix='1 2 3', columnsize=0, tokenize='unicode61 remove_diacritics 0');
"#;

/// The schema version this code reads and writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Runs the migrations a database lacks, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let have = version(conn)?;
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(have.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (n + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
