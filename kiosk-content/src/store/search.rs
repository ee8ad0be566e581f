//! One search box over every kind of item.
//!
//! A query is split into a 文号 (if it has one), CJK runs and letter words.
//! CJK runs match the title index as exact substrings (a phrase of bigrams;
//! one character through the unigram column); letter words match the pinyin
//! index of titles (full spelling or initials, as a prefix). Each kind is a
//! contiguous rowid range ordered by date, so "the newest N title matches of
//! kind K" is one cheap FTS range scan and ranking never touches every match.
//! Results rank by how they matched (文号, title, body), then validity, then
//! recency, and come back grouped by kind.

use std::collections::HashSet;

use rusqlite::params;

use super::{ContentReader, ItemSummary, SUMMARY_COLUMNS, StoreError};
use crate::domain::{ItemKind, Validity};
use crate::model::ItemStatus;
use crate::text::{self, Run};

/// How many of the newest matches per kind are ranked. Older matches beyond
/// this are not shown; a resident refines the query instead.
const CANDIDATES_PER_KIND: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    DocNumber,
    Title,
    Pinyin,
    Body,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub item: ItemSummary,
    pub matched: MatchedBy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchGroup {
    pub kind: ItemKind,
    pub hits: Vec<SearchHit>,
    /// True when more matched than `per_kind`.
    pub more: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    pub groups: Vec<SearchGroup>,
}

impl SearchResults {
    pub fn total(&self) -> usize {
        self.groups.iter().map(|g| g.hits.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// All hits in display order.
    pub fn hits(&self) -> impl Iterator<Item = &SearchHit> {
        self.groups.iter().flat_map(|g| g.hits.iter())
    }
}

/// FTS5 query text for a phrase of tokens; quotes inside are doubled.
fn phrase(tokens: &[String]) -> String {
    let inner: Vec<String> = tokens.iter().map(|t| t.replace('"', "\"\"")).collect();
    format!("\"{}\"", inner.join(" "))
}

/// A parsed query.
#[derive(Debug, Default)]
struct Parsed {
    doc_key: Option<(String, String)>,
    /// FTS expression over (uni, bi) for CJK runs and number/ASCII words.
    text_expr: Option<String>,
    /// FTS expression over pinyin for letter words.
    pinyin_expr: Option<String>,
    /// FTS expression over the body index (bigrams, no positions): the AND
    /// of every bigram; None when a single character has to match, since
    /// bodies have no unigram index.
    body_expr: Option<String>,
}

fn parse(query: &str) -> Parsed {
    let mut p = Parsed {
        doc_key: text::doc_number_key(query),
        ..Default::default()
    };
    let mut runs = text::runs(query);
    let cjk_chars: usize = runs
        .iter()
        .map(|r| {
            if let Run::Cjk(s) = r {
                s.chars().count()
            } else {
                0
            }
        })
        .sum();
    if cjk_chars > 4 {
        // A question in words: drop words that carry no meaning.
        let mut kept = Vec::new();
        for r in runs {
            match r {
                Run::Cjk(s) => {
                    let mut rest = s;
                    for w in text::STOP_WORDS {
                        rest = rest.replace(w, " ");
                    }
                    kept.extend(
                        rest.split(' ')
                            .filter(|s| !s.is_empty())
                            .map(|s| Run::Cjk(s.to_string())),
                    );
                }
                other => kept.push(other),
            }
        }
        runs = kept;
    }
    let mut text_terms = Vec::new();
    let mut body_terms: Option<Vec<String>> = Some(Vec::new());
    let mut pinyin_terms = Vec::new();
    for r in runs {
        match r {
            Run::Cjk(s) if s.chars().count() == 1 => {
                body_terms = None;
                text_terms.push(format!("uni:{}", phrase(&[s])));
            }
            Run::Cjk(s) => {
                let grams = text::bigrams(&s);
                if let Some(b) = body_terms.as_mut() {
                    b.extend(grams.iter().map(|g| phrase(std::slice::from_ref(g))));
                }
                text_terms.push(format!("bi:{}", phrase(&grams)));
            }
            Run::Word(w) if w.chars().all(|c| c.is_ascii_lowercase()) => {
                // Letters typed on the pinyin keyboard: full spelling or initials.
                pinyin_terms.push(format!("({{full initials}}:{w}*)"));
            }
            Run::Word(w) => {
                // Numbers (years, serials) are words in the text index; when
                // the query is a 文号 they are already covered by its key.
                if p.doc_key.is_none() {
                    if let Some(b) = body_terms.as_mut() {
                        b.push(phrase(std::slice::from_ref(&w)));
                    }
                    text_terms.push(format!("uni:{}", phrase(&[w])));
                }
            }
        }
    }
    if !text_terms.is_empty() {
        p.text_expr = Some(text_terms.join(" AND "));
    }
    if !pinyin_terms.is_empty() {
        p.pinyin_expr = Some(pinyin_terms.join(" AND "));
    }
    p.body_expr = body_terms
        .filter(|b| !b.is_empty())
        .map(|b| b.join(" AND "));
    p
}

impl ContentReader {
    /// Searches everything; at most `per_kind` hits per kind.
    pub fn search(&self, query: &str, per_kind: usize) -> Result<SearchResults, StoreError> {
        let query = query.trim();
        if query.is_empty() || per_kind == 0 {
            return Ok(SearchResults::default());
        }
        let parsed = parse(query);
        let mut groups = Vec::new();

        // 文号 matches, the most specific of all; those whose issuing-body
        // prefix also matches come first.
        let mut doc_hits: Vec<(bool, i64)> = Vec::new();
        if let Some((key, prefix)) = &parsed.doc_key {
            let mut stmt = self
                .conn()
                .prepare("SELECT rowid, doc_number FROM items WHERE doc_key = ?1")
                .map_err(self.sql())?;
            let rows = stmt
                .query_map([key], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(self.sql())?;
            for row in rows {
                let (rowid, dn) = row.map_err(self.sql())?;
                let prefix_ok =
                    prefix.is_empty() || dn.as_deref().is_some_and(|d| d.contains(prefix.as_str()));
                doc_hits.push((!prefix_ok, rowid));
            }
            doc_hits.sort();
        }

        for &(kind, first, last) in self.kind_ranges() {
            let mut seen = HashSet::new();
            let mut hits: Vec<(MatchedBy, i64)> = Vec::new();
            for (_, rowid) in doc_hits.iter().filter(|(_, r)| *r >= first && *r <= last) {
                if seen.insert(*rowid) {
                    hits.push((MatchedBy::DocNumber, *rowid));
                }
            }
            let title = match (&parsed.text_expr, &parsed.pinyin_expr) {
                (Some(t), None) => self.fts_range("title_ft", t, first, last)?,
                (None, Some(p)) => self.fts_range("pinyin_ft", p, first, last)?,
                (Some(t), Some(p)) => {
                    let a: HashSet<i64> = self
                        .fts_range("title_ft", t, first, last)?
                        .into_iter()
                        .collect();
                    self.fts_range("pinyin_ft", p, first, last)?
                        .into_iter()
                        .filter(|r| a.contains(r))
                        .collect()
                }
                (None, None) => Vec::new(),
            };
            let how = if parsed.text_expr.is_some() {
                MatchedBy::Title
            } else {
                MatchedBy::Pinyin
            };
            for rowid in title {
                if seen.insert(rowid) {
                    hits.push((how, rowid));
                }
            }
            if hits.len() < per_kind
                && let (Some(b), None) = (&parsed.body_expr, &parsed.pinyin_expr)
            {
                for rowid in self.fts_range("body_ft", b, first, last)? {
                    if seen.insert(rowid) {
                        hits.push((MatchedBy::Body, rowid));
                    }
                }
            }
            if hits.is_empty() {
                continue;
            }
            let mut ranked = Vec::with_capacity(hits.len());
            for (how, rowid) in hits {
                if let Some(s) = self.summary_by_rowid(rowid)?
                    && s.status != ItemStatus::Hidden
                {
                    ranked.push(SearchHit {
                        item: s,
                        matched: how,
                    });
                }
            }
            // Title and pinyin matches are both title matches.
            let class = |m: MatchedBy| match m {
                MatchedBy::DocNumber => 0,
                MatchedBy::Title | MatchedBy::Pinyin => 1,
                MatchedBy::Body => 2,
            };
            let validity_rank = |v: Validity| v.rank();
            ranked.sort_by(|a, b| {
                (
                    class(a.matched),
                    validity_rank(a.item.validity),
                    std::cmp::Reverse(a.item.date),
                    &a.item.id,
                )
                    .cmp(&(
                        class(b.matched),
                        validity_rank(b.item.validity),
                        std::cmp::Reverse(b.item.date),
                        &b.item.id,
                    ))
            });
            let more = ranked.len() > per_kind;
            ranked.truncate(per_kind);
            if !ranked.is_empty() {
                groups.push(SearchGroup {
                    kind,
                    hits: ranked,
                    more,
                });
            }
        }
        // Groups whose best hit matched better come first; then the fixed
        // order of kinds (policies, interpretations, guides, ...).
        groups.sort_by_key(|g| {
            (
                g.hits.first().map(|h| class_of(h.matched)).unwrap_or(9),
                g.kind,
            )
        });
        Ok(SearchResults { groups })
    }

    /// Newest matches of an FTS expression within a rowid range.
    fn fts_range(
        &self,
        table: &str,
        expr: &str,
        first: i64,
        last: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = format!(
            "SELECT rowid FROM {table} WHERE {table} MATCH ?1 AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid DESC LIMIT ?4"
        );
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params![expr, first, last, CANDIDATES_PER_KIND], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    fn summary_by_rowid(&self, rowid: i64) -> Result<Option<ItemSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM items WHERE rowid = ?1");
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.sql())?;
        let mut rows = stmt
            .query_map([rowid], |r| self.summary_from_row(r))
            .map_err(self.sql())?;
        rows.next().transpose().map_err(self.sql())
    }
}

fn class_of(m: MatchedBy) -> u8 {
    match m {
        MatchedBy::DocNumber => 0,
        MatchedBy::Title | MatchedBy::Pinyin => 1,
        MatchedBy::Body => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_fts_expressions() {
        let p = parse("低保");
        assert_eq!(p.text_expr.as_deref(), Some("bi:\"低保\""));
        let p = parse("税");
        assert_eq!(p.text_expr.as_deref(), Some("uni:\"税\""));
        let p = parse("db");
        assert_eq!(p.pinyin_expr.as_deref(), Some("({full initials}:db*)"));
        let p = parse("[2020]33");
        assert_eq!(p.doc_key.map(|k| k.0).as_deref(), Some("2020-33"));
        assert!(p.text_expr.is_none());
        assert_eq!(p.body_expr, None, "no unigram index on bodies");
        let p = parse("低保金怎么申请");
        assert_eq!(
            p.body_expr.as_deref(),
            Some("\"低保\" AND \"保金\" AND \"申请\"")
        );
        assert_eq!(
            p.text_expr.as_deref(),
            Some("bi:\"低保 保金\" AND bi:\"申请\"")
        );
    }
}
