//! One search box over every kind of item, for residents who ask the way
//! they talk.
//!
//! A query first loses its framing (请问, 怎么, 需要什么材料, 在哪办 ...),
//! which steers the kind instead (材料 and 在哪办 prefer service guides, 什么
//! 政策 prefers policies). A query that is a section's name (惠企政策, 办事指南)
//! lists that section. Then the cheap paths run as before: a 文号, CJK runs
//! as exact title substrings (a phrase of bigrams; one character through
//! the unigram column), letter words against the pinyin index, and bodies
//! when titles give too few. Each kind is a contiguous rowid range ordered
//! by date, so "the newest N title matches of kind K" is one cheap FTS range
//! scan and no query ranks every match.
//!
//! Only when those find little do the fallbacks run, in order: the
//! district's synonyms (上户口 → 户籍), a homophone fix (底保 → 低保, through
//! the content's own vocabulary), and ranked partial matching: how much of
//! the query each title (then body) covers, by character bigrams and single
//! characters weighted by their rarity, with a bonus for covering it in
//! order. A page is never empty when any word matches something; with no
//! exact match the results say so (`partial`) and list the service places
//! whose services mention the words.

use std::collections::{HashMap, HashSet};

use rusqlite::params;

use super::{ContentReader, ItemSummary, SUMMARY_COLUMNS, StoreError};
use crate::domain::{ItemKind, Validity};
use crate::model::{ItemStatus, status_for};
use crate::synonyms::{self, STORE_SEPARATOR, Synonym};
use crate::text::{self, Run};

/// Hits per kind the kiosk's search page shows (and `kiosk-app search`).
pub const SEARCH_PER_KIND: usize = 5;
/// Hits per kind for a query of one Latin letter. One pinyin initial
/// matches a large share of a county (about 40 rows in the demo county
/// for "d"), so the page shows a short preview and says that typing on
/// finds more precisely; the candidate words above the keyboard are the
/// quicker way on. Building and shaping the rows of that first letter was
/// the slowest keystroke on the page (BENCHMARKS.md, "Frames").
pub const SEARCH_PER_KIND_ONE_LETTER: usize = 3;

/// Hits per kind the search page shows for `query`: fewer for a single
/// pinyin initial ([`SEARCH_PER_KIND_ONE_LETTER`]), else [`SEARCH_PER_KIND`].
pub fn per_kind_for(query: &str) -> usize {
    let mut chars = query.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => SEARCH_PER_KIND_ONE_LETTER,
        _ => SEARCH_PER_KIND,
    }
}
/// How many of the newest matches per kind are ranked. Older matches beyond
/// this are not shown; a resident refines the query instead.
const CANDIDATES_PER_KIND: i64 = 100;
/// Prepared statements kept per connection: search uses about 20 distinct
/// ones (rusqlite keeps 16 by default, and re-preparing costs more than
/// the lookups themselves).
const STATEMENT_CACHE: usize = 48;
/// Title-level hits below which the fallbacks run.
const ENOUGH: usize = 3;
/// Newest matches per token read by partial matching.
const PARTIAL_ROWS_PER_TOKEN: i64 = 300;
/// Tokens in more than this share of titles (bodies) are too common to
/// find candidates by; they still count when candidates are scored.
const PARTIAL_COMMON_SHARE: f64 = 0.02;
/// Candidates scored exactly on their title text.
const PARTIAL_RESCORED: usize = 100;
/// Texts (the query, then its variants) partial matching scores.
const MAX_PARTIAL_TEXTS: usize = 5;
/// Query variants (synonyms, homophone fixes) searched at most: the first
/// document word of every matching synonym, then the second ..., then
/// homophone fixes. Each variant costs a title search, so the cap bounds
/// the whole fallback.
const MAX_VARIANTS: usize = 4;
/// Characters of a query searched; the rest is ignored. The kiosk's
/// keyboard stops at 24; a pasted paragraph must not cost seconds (every
/// character adds index terms, and partial matching compares the query
/// with each candidate title).
pub const MAX_QUERY_CHARS: usize = 32;
/// Content words a full-pinyin query is searched as (`pinyin_titles`).
const SPELLED_TERMS: i64 = 4;
/// Lowest partial score shown, and the share of the best score a partial
/// hit must reach (so one strong match is not buried under weak ones).
const MIN_PARTIAL_SCORE: f64 = 0.34;
const RELATIVE_PARTIAL_SCORE: f64 = 0.8;
/// Service places listed under a page with no exact match.
const MAX_PLACES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    DocNumber,
    Title,
    Pinyin,
    /// The query named the item's section (惠企政策, 办事指南).
    Section,
    /// A title matched the query with a district synonym or a homophone fix
    /// in place of the resident's word.
    Synonym,
    Body,
    /// A title or body covers part of the query (ranked partial matching).
    Partial,
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
    /// Hits grouped by kind, in display order.
    pub groups: Vec<SearchGroup>,
    /// The query named this section (惠企政策, 办事指南...): the groups list
    /// it, and a page may offer to open it.
    pub section: Option<ItemKind>,
    /// No item matched the query as written (nor through a synonym): the
    /// groups hold only the closest partial matches, if any. Counts as a
    /// search with no result in usage figures (the query itself is never
    /// recorded).
    pub partial: bool,
    /// With no exact match: the service places (halls, centres) whose
    /// services mention the query's words, to say where to ask. Empty
    /// otherwise (places that match exactly are in `groups`).
    pub places: Vec<ItemSummary>,
}

impl SearchResults {
    pub fn total(&self) -> usize {
        self.groups.iter().map(|g| g.hits.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.places.is_empty()
    }

    /// True when the resident did not find what was asked: nothing matched
    /// exactly. The page then shows partial matches, places and the hall's
    /// enquiry phone.
    pub fn no_match(&self) -> bool {
        self.partial || self.groups.is_empty()
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

/// What a resident asked for once the framing is taken off.
#[derive(Debug, Default, PartialEq)]
struct Intent {
    /// The words to match (the query without its framing).
    text: String,
    /// Kinds the framing asks for, most wanted first.
    prefer: Vec<ItemKind>,
    /// The query named a section.
    section: Option<ItemKind>,
}

/// Framing residents put around what they want, longest first within a
/// meaning, and the kinds it asks for. Removed from the query before
/// matching (unless nothing would be left).
const FRAMING: &[(&str, &[ItemKind])] = &[
    ("丢了怎么补", GUIDE),
    ("丢了怎么办", GUIDE),
    ("坏了怎么办", GUIDE),
    ("怎么补办", GUIDE),
    ("怎么补", GUIDE),
    ("丢了", GUIDE),
    ("需要什么材料", GUIDE),
    ("需要哪些材料", GUIDE),
    ("要什么材料", GUIDE),
    ("要哪些材料", GUIDE),
    ("要带什么", GUIDE),
    ("带什么材料", GUIDE),
    ("带什么", GUIDE),
    ("什么材料", GUIDE),
    ("哪些材料", GUIDE),
    ("要什么手续", GUIDE),
    ("什么手续", GUIDE),
    ("要什么证件", GUIDE),
    ("要办什么", GUIDE),
    ("去哪里办理", GUIDE),
    ("在哪里办理", GUIDE),
    ("到哪里办理", GUIDE),
    ("去哪里办", GUIDE),
    ("在哪里办", GUIDE),
    ("到哪里办", GUIDE),
    ("去哪办", GUIDE),
    ("在哪办", GUIDE),
    ("哪里办", GUIDE),
    ("哪儿办", GUIDE),
    ("怎么办理", GUIDE),
    ("如何办理", GUIDE),
    ("怎样办理", GUIDE),
    ("怎么办", GUIDE),
    ("怎么弄", GUIDE),
    ("怎么领取", GUIDE),
    ("怎么领", GUIDE),
    ("如何领取", GUIDE),
    ("去哪领", GUIDE),
    ("在哪领", GUIDE),
    ("多少钱", GUIDE),
    ("收费吗", GUIDE),
    ("收不收费", GUIDE),
    ("要多久", GUIDE),
    ("多长时间", GUIDE),
    ("几天能办好", GUIDE),
    ("几天", GUIDE),
    ("流程", GUIDE),
    ("是什么政策", POLICY),
    ("有什么政策", POLICY),
    ("有哪些政策", POLICY),
    ("什么政策", POLICY),
    ("相关政策", POLICY),
    ("标准是多少", POLICY),
    ("发多少", POLICY),
    ("有什么规定", POLICY),
    ("什么规定", POLICY),
    ("有哪些变化", INTERPRETATION),
    ("什么意思", INTERPRETATION),
    ("在哪里", PLACE),
    ("在哪儿", PLACE),
    ("在什么地方", PLACE),
    ("怎么走", PLACE),
    ("在哪", PLACE),
    ("请问一下", NONE),
    ("请问", NONE),
    ("我想问", NONE),
    ("问一下", NONE),
    ("咨询一下", NONE),
    ("我想要", NONE),
    ("我想", NONE),
    ("我要", NONE),
    ("想要", NONE),
    ("帮我查", NONE),
    ("查一下", NONE),
    ("能不能", NONE),
    ("可不可以", NONE),
    ("可以", NONE),
    ("需要", NONE),
    ("怎么", NONE),
    ("怎样", NONE),
    ("如何", NONE),
    ("哪里", NONE),
    ("哪些", NONE),
    ("什么", NONE),
    ("多少", NONE),
    ("是不是", NONE),
    ("有没有", NONE),
    ("一下", NONE),
    ("吗", NONE),
    ("呢", NONE),
    ("吧", NONE),
    ("啊", NONE),
    ("呀", NONE),
    ("的", NONE),
    ("了", NONE),
    ("要", NONE),
    ("我", NONE),
    ("一年", NONE),
];

/// Framing that says what the resident wants done, rewritten to the word
/// documents use (医保怎么交 → 医保 缴费).
const REWRITES: &[(&str, &str, &[ItemKind])] = &[
    ("一年交多少钱", "缴费", GUIDE),
    ("一年交多少", "缴费", GUIDE),
    ("交多少钱", "缴费", GUIDE),
    ("交多少", "缴费", GUIDE),
    ("怎么交", "缴费", GUIDE),
    ("在哪交", "缴费", GUIDE),
    ("去哪交", "缴费", GUIDE),
    ("怎么取", "提取", GUIDE),
];
/// Words that steer the kind but stay in the query (titles use them).
const HINTS: &[(&str, &[ItemKind])] = &[
    ("申请", GUIDE),
    ("申领", GUIDE),
    ("补办", GUIDE),
    ("办理", GUIDE),
    ("办法", POLICY),
    ("文件", POLICY),
    ("通知", POLICY),
    ("标准", POLICY),
];
const GUIDE: &[ItemKind] = &[ItemKind::Guide, ItemKind::Place];
const POLICY: &[ItemKind] = &[ItemKind::Policy, ItemKind::Interpretation];
const INTERPRETATION: &[ItemKind] = &[ItemKind::Interpretation, ItemKind::Policy];
const PLACE: &[ItemKind] = &[ItemKind::Place, ItemKind::Guide];
const NONE: &[ItemKind] = &[];

/// Names of sections as the home tiles and residents say them. A query
/// that is one of them lists the section; one that contains one prefers it.
const SECTIONS: &[(&str, ItemKind)] = &[
    ("政策文件", ItemKind::Policy),
    ("政府文件", ItemKind::Policy),
    ("文件政策", ItemKind::Policy),
    ("政策解读", ItemKind::Interpretation),
    ("解读", ItemKind::Interpretation),
    ("图解", ItemKind::Interpretation),
    ("办事指南", ItemKind::Guide),
    ("服务指南", ItemKind::Guide),
    ("办事", ItemKind::Guide),
    ("指南", ItemKind::Guide),
    ("惠企政策", ItemKind::EnterprisePolicy),
    ("企业政策", ItemKind::EnterprisePolicy),
    ("惠企", ItemKind::EnterprisePolicy),
    ("意见征集", ItemKind::Consultation),
    ("征求意见", ItemKind::Consultation),
    ("征集意见", ItemKind::Consultation),
    ("公开目录", ItemKind::CatalogEntry),
    ("便民地图", ItemKind::Place),
    ("地图", ItemKind::Place),
    ("通知公告", ItemKind::Notice),
    ("公告", ItemKind::Notice),
    ("村务公开", ItemKind::Village),
    ("村务", ItemKind::Village),
    ("政策", ItemKind::Policy),
];

fn understand(query: &str) -> Intent {
    let mut intent = Intent::default();
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some((_, kind)) = SECTIONS.iter().find(|(name, _)| *name == compact) {
        intent.section = Some(*kind);
        return intent;
    }
    let mut text = query.to_string();
    for (phrase, word, kinds) in REWRITES {
        if text.contains(phrase) {
            text = text.replace(phrase, &format!(" {word} "));
            for k in *kinds {
                if !intent.prefer.contains(k) {
                    intent.prefer.push(*k);
                }
            }
        }
    }
    for (phrase, kinds) in FRAMING {
        if text.contains(phrase) {
            let rest = text.replace(phrase, " ");
            if rest.trim().is_empty() {
                continue;
            }
            text = rest;
            for k in *kinds {
                if !intent.prefer.contains(k) {
                    intent.prefer.push(*k);
                }
            }
        }
    }
    for (word, kinds) in HINTS {
        if text.contains(word) {
            for k in *kinds {
                if !intent.prefer.contains(k) {
                    intent.prefer.push(*k);
                }
            }
        }
    }
    // A trailing 办 (低保在哪办 is covered above; 身份证办) is framing, 补办 is not.
    let trimmed = text.trim_end();
    if trimmed.ends_with('办') && !trimmed.ends_with("补办") && trimmed.chars().count() > 2 {
        text = trimmed.trim_end_matches('办').to_string();
        if !intent.prefer.contains(&ItemKind::Guide) {
            intent.prefer.push(ItemKind::Guide);
        }
    }
    // A section's name inside a longer query: prefer that section and match
    // the rest (低保政策解读 → interpretations of 低保).
    for (name, kind) in SECTIONS {
        if text.contains(name) {
            let rest = text.replace(name, " ");
            if rest.trim().is_empty() {
                intent.section = Some(*kind);
                return Intent {
                    text: String::new(),
                    ..intent
                };
            }
            // A title may say 政策 itself (优惠政策): keep the word when it
            // is all the framing there is, but still prefer the kind.
            if *name != "政策" {
                text = rest;
            }
            intent.prefer.retain(|k| k != kind);
            intent.prefer.insert(0, *kind);
            break;
        }
    }
    intent.text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Nothing left but a verb (怎么办 → 办): the resident's words stand.
    if intent.text.is_empty() || ["办", "领", "查", "弄", "问"].contains(&intent.text.as_str())
    {
        intent.text = query.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    intent
}

/// A parsed query.
#[derive(Debug, Default)]
struct Parsed {
    doc_key: Option<(String, String)>,
    /// FTS expression over (uni, bi) for CJK runs and number/ASCII words.
    text_expr: Option<String>,
    /// FTS expression over pinyin for letter words.
    pinyin_expr: Option<String>,
    /// The letter words themselves.
    letters: Vec<String>,
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
    let runs = text::runs(query);
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
                p.letters.push(w);
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

/// Candidate hits by rowid: how each matched and, for ranking within a
/// class, a score (higher is better).
#[derive(Default)]
struct Found {
    /// rowid → how it matched, its score, and which of `texts` it matched.
    hits: HashMap<i64, (MatchedBy, f64, usize)>,
    /// The query's words (0) and its variants (synonyms, homophone fixes).
    texts: Vec<String>,
}

impl Found {
    fn add(&mut self, rowid: i64, how: MatchedBy, score: f64, text: usize) {
        let e = self.hits.entry(rowid).or_insert((how, score, text));
        if class_of(how) < class_of(e.0) || (class_of(how) == class_of(e.0) && score > e.1) {
            *e = (how, score, text);
        }
    }

    /// Whether a title-level hit of `kind` exists (its rowid range given).
    fn has_title_hit_in(&self, range: Option<(i64, i64)>) -> bool {
        range.is_some_and(|(a, b)| {
            self.hits.iter().any(|(r, (m, _, _))| {
                *r >= a && *r <= b && class_of(*m) < class_of(MatchedBy::Body)
            })
        })
    }

    fn count_better_than_body(&self) -> usize {
        self.hits
            .values()
            .filter(|(m, _, _)| class_of(*m) < class_of(MatchedBy::Body))
            .count()
    }
}

/// A query text's words, split once for ranking many hits.
struct QueryWords {
    /// The words run together (framing taken out may have split them).
    compact: String,
    cjk: Vec<String>,
    /// Letter words typed on the pinyin keyboard.
    letters: Vec<String>,
}

impl QueryWords {
    fn new(query: &str) -> QueryWords {
        let mut cjk = Vec::new();
        let mut letters = Vec::new();
        for r in text::runs(query) {
            match r {
                Run::Cjk(s) => cjk.push(s),
                Run::Word(w) if w.chars().all(|c| c.is_ascii_lowercase()) => letters.push(w),
                Run::Word(_) => {}
            }
        }
        QueryWords {
            compact: query.split_whitespace().collect(),
            cjk,
            letters,
        }
    }

    /// How well a title names what was asked, for hits that matched by
    /// title: 0 the title is the query itself (or, for letters, holds the
    /// content's word for them); 1 the title proper holds every word (or its
    /// pinyin spells the letters); 2 a keyword is exactly the query; 3 the
    /// keywords hold the words.
    fn title_quality(&self, title: &str, search_title: &str, hint: Option<&str>) -> u8 {
        if !self.cjk.is_empty() {
            if title == self.compact {
                return 0;
            }
            if self.cjk.iter().all(|w| title.contains(w.as_str())) {
                return 1;
            }
            // Keywords hold the words: as good as a title only when a
            // keyword is exactly what was asked.
            let keyword_is_query = search_title
                .strip_prefix(title)
                .is_some_and(|kw| kw.split(' ').any(|k| k == self.compact));
            return if keyword_is_query { 2 } else { 3 };
        }
        if self.letters.is_empty() {
            return 1;
        }
        if hint.is_some_and(|h| title.contains(h)) {
            return 0;
        }
        if self.letters.iter().all(|l| text::spells(title, l)) {
            1
        } else {
            3
        }
    }
}

/// A hit being ranked within its kind.
struct Ranked {
    rowid: i64,
    how: MatchedBy,
    score: f64,
    quality: u8,
    /// For synonym hits, which variant matched (earlier is better).
    variant: usize,
    validity: u8,
    /// `YYYY-MM-DD`, which sorts as the date does.
    date: Option<String>,
}

/// The columns ranking reads for one hit.
struct RankRow {
    kind: ItemKind,
    validity: u8,
    date: Option<String>,
    /// (title, search_title), for hits that matched by title.
    titles: Option<(String, String)>,
}

/// One weighted token of partial matching: a character or a bigram.
struct Token {
    text: String,
    weight: f64,
    /// Titles (bodies) that hold it.
    df: i64,
    /// Read from the index to find candidates (rare enough to be worth it).
    scan: bool,
}

/// One text of partial matching (the query or a variant).
#[derive(Default)]
struct PartialText {
    title: Vec<Token>,
    body: Vec<Token>,
    chars: Vec<char>,
}

/// Share of the query's characters a title holds in the query's order
/// (longest common subsequence), 0..1.
fn in_order(title: &[char], chars: &[char]) -> f64 {
    if chars.is_empty() {
        return 0.0;
    }
    let mut prev = vec![0usize; title.len() + 1];
    let mut cur = vec![0usize; title.len() + 1];
    for &q in chars {
        for (j, &c) in title.iter().enumerate() {
            cur[j + 1] = if q == c {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[title.len()] as f64 / chars.len() as f64
}

impl ContentReader {
    /// Searches everything; at most `per_kind` hits per kind, in display
    /// order (see the module documentation).
    pub fn search(&self, query: &str, per_kind: usize) -> Result<SearchResults, StoreError> {
        let query: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
        let query = query.trim_end();
        if query.is_empty() || per_kind == 0 {
            return Ok(SearchResults::default());
        }
        self.conn()
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let intent = understand(query);
        let mut found = Found {
            texts: vec![intent.text.clone()],
            ..Default::default()
        };
        if let Some(kind) = intent.section
            && intent.text.is_empty()
        {
            self.section_items(kind, &mut found)?;
            let mut res = self.assemble(found, per_kind, &[kind], None)?;
            res.section = Some(kind);
            return Ok(res);
        }
        let parsed = parse(&intent.text);
        self.exact(&parsed, &mut found, MatchedBy::Title, true, 0)?;
        let mut variants = Vec::new();
        // Few title matches, or none of the kind the question asks for
        // (养老金怎么领 finds policies, the guide says 养老保险待遇).
        let wanted_missing = intent
            .prefer
            .first()
            .is_some_and(|k| !found.has_title_hit_in(self.range_of(*k)));
        if found.count_better_than_body() < ENOUGH || wanted_missing {
            variants = self.variants(&intent.text)?;
            for v in &variants {
                found.texts.push(v.clone());
                let n = found.texts.len() - 1;
                self.exact(&parse(v), &mut found, MatchedBy::Synonym, false, n)?;
            }
        }
        let mut partial = false;
        let mut places = Vec::new();
        if found.count_better_than_body() < ENOUGH {
            let exact_before = !found.hits.is_empty();
            let mut texts = vec![intent.text.clone()];
            texts.extend(variants);
            let scored = self.partial(&texts)?;
            partial = !exact_before && !scored.is_empty();
            let place_range = self.range_of(ItemKind::Place);
            for (rowid, score) in scored {
                let is_place = place_range.is_some_and(|(a, b)| rowid >= a && rowid <= b);
                if partial && is_place {
                    if places.len() < MAX_PLACES
                        && let Some(s) = self.summary_by_rowid(rowid)?
                        && s.status != ItemStatus::Hidden
                    {
                        places.push(s);
                    }
                } else {
                    found.add(rowid, MatchedBy::Partial, score, 0);
                }
            }
            if found.hits.is_empty() && places.is_empty() {
                partial = false;
            } else if found.hits.is_empty() {
                partial = true;
            }
        }
        // With enough title matches, bodies that merely mention the words
        // would push them out of sight: keep body-only groups, nothing else.
        if found.count_better_than_body() >= ENOUGH {
            let titled: HashSet<ItemKind> = found
                .hits
                .iter()
                .filter(|(_, (m, _, _))| class_of(*m) < class_of(MatchedBy::Body))
                .filter_map(|(r, _)| self.kind_of(*r))
                .collect();
            found.hits.retain(|r, (m, _, _)| {
                class_of(*m) < class_of(MatchedBy::Body)
                    || self.kind_of(*r).is_some_and(|k| !titled.contains(&k))
            });
        }
        // Letters: the content's own word for them (db → 低保) tells a title
        // that names it from one that happens to share the initials (担保).
        let hint = match text::runs(&intent.text).as_slice() {
            [Run::Word(w)] if w.chars().all(|c| c.is_ascii_lowercase()) => {
                self.candidates(w, 1)?.into_iter().next()
            }
            _ => None,
        };
        let mut res = self.assemble(found, per_kind, &intent.prefer, hint.as_deref())?;
        res.partial = partial;
        res.places = places;
        res.section = intent.section;
        Ok(res)
    }

    /// The phone residents call when the kiosk has no answer: the hall's
    /// enquiry phone, or the first hall's when the kiosk has none set.
    pub fn enquiry_phone(&self, hall: Option<&str>) -> Option<String> {
        let meta = self.bundle();
        hall.and_then(|h| meta.hall(h))
            .or_else(|| meta.halls.first())
            .map(|h| h.phone.clone())
            .filter(|p| !p.is_empty())
    }

    /// Every item of a section, to be ranked by validity and date.
    fn section_items(&self, kind: ItemKind, found: &mut Found) -> Result<(), StoreError> {
        if let Some((first, last)) = self.range_of(kind) {
            // Rowids within a kind are ordered but not dense (delta apply).
            let mut stmt = self
                .conn()
                .prepare_cached(
                    "SELECT rowid FROM items WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid DESC LIMIT ?3",
                )
                .map_err(self.sql())?;
            let rows = stmt
                .query_map(params![first, last, CANDIDATES_PER_KIND], |r| r.get(0))
                .map_err(self.sql())?;
            for rowid in rows {
                found.add(rowid.map_err(self.sql())?, MatchedBy::Section, 0.0, 0);
            }
        }
        Ok(())
    }

    fn kind_of(&self, rowid: i64) -> Option<ItemKind> {
        self.kind_ranges()
            .iter()
            .find(|(_, a, b)| rowid >= *a && rowid <= *b)
            .map(|(k, _, _)| *k)
    }

    fn range_of(&self, kind: ItemKind) -> Option<(i64, i64)> {
        self.kind_ranges()
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, a, b)| (*a, *b))
    }

    /// The cheap paths: 文号, title (or pinyin) substrings per kind, and
    /// bodies when titles give too few.
    fn exact(
        &self,
        parsed: &Parsed,
        found: &mut Found,
        title_how: MatchedBy,
        bodies: bool,
        text: usize,
    ) -> Result<(), StoreError> {
        // 文号 matches, the most specific of all; those whose issuing-body
        // prefix also matches come first.
        if let Some((key, prefix)) = &parsed.doc_key {
            let mut stmt = self
                .conn()
                .prepare_cached("SELECT rowid, doc_number FROM items WHERE doc_key = ?1")
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
                found.add(
                    rowid,
                    MatchedBy::DocNumber,
                    if prefix_ok { 1.0 } else { 0.0 },
                    text,
                );
            }
        }
        let how = if parsed.text_expr.is_some() || title_how != MatchedBy::Title {
            title_how
        } else {
            MatchedBy::Pinyin
        };
        // Each expression is read once over all kinds (newest_per_kind).
        let titles: Vec<Vec<i64>> = match (&parsed.text_expr, &parsed.pinyin_expr) {
            (Some(t), None) => self.newest_per_kind("title_ft", t)?,
            (None, Some(p)) => self.pinyin_titles(parsed, p)?,
            (Some(t), Some(p)) => {
                let a = self.newest_per_kind("title_ft", t)?;
                let b = self.newest_per_kind("pinyin_ft", p)?;
                a.into_iter()
                    .zip(b)
                    .map(|(a, b)| {
                        let a: HashSet<i64> = a.into_iter().collect();
                        b.into_iter().filter(|r| a.contains(r)).collect()
                    })
                    .collect()
            }
            (None, None) => Vec::new(),
        };
        for rowid in titles.iter().flatten() {
            found.add(*rowid, how, 0.0, text);
        }
        if bodies && let (Some(b), None) = (&parsed.body_expr, &parsed.pinyin_expr) {
            let full = |k: usize| {
                titles
                    .get(k)
                    .is_some_and(|t| t.len() >= CANDIDATES_PER_KIND as usize)
            };
            if (0..self.kind_ranges().len()).any(|k| !full(k)) {
                for (k, rows) in self.newest_per_kind("body_ft", b)?.into_iter().enumerate() {
                    if full(k) {
                        continue;
                    }
                    for rowid in rows {
                        // A body holding the whole phrase ranks with a title
                        // covering most of it.
                        found.add(rowid, MatchedBy::Body, 0.7, text);
                    }
                }
            }
        }
        Ok(())
    }

    /// Title matches of letters typed on the pinyin keyboard, per kind. A
    /// word of four or more letters that spells words of the content's
    /// vocabulary exactly (dibao: 低保) is searched as those words, a cheap
    /// phrase query; a prefix query over the pinyin index (`dibao*`) merges
    /// the doclists of every window starting with those letters, the most
    /// expensive query search makes. Initials, other spellings and words
    /// the titles do not hold take the pinyin index.
    fn pinyin_titles(
        &self,
        parsed: &Parsed,
        pinyin_expr: &str,
    ) -> Result<Vec<Vec<i64>>, StoreError> {
        if let [w] = parsed.letters.as_slice()
            && w.len() >= 4
        {
            let mut stmt = self
                .conn()
                .prepare_cached(
                    "SELECT term FROM vocab WHERE full = ?1 ORDER BY weight DESC, term LIMIT ?2",
                )
                .map_err(self.sql())?;
            let terms = stmt
                .query_map(params![w, SPELLED_TERMS], |r| r.get::<_, String>(0))
                .map_err(self.sql())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(self.sql())?;
            let phrases: Vec<String> = terms
                .iter()
                .filter(|t| t.chars().count() >= 2 && t.chars().all(text::is_cjk))
                .map(|t| format!("bi:{}", phrase(&text::bigrams(t))))
                .collect();
            if !phrases.is_empty() {
                let rows = self.newest_per_kind("title_ft", &phrases.join(" OR "))?;
                if rows.iter().any(|r| !r.is_empty()) {
                    return Ok(rows);
                }
            }
        }
        self.newest_per_kind("pinyin_ft", pinyin_expr)
    }

    /// The newest `CANDIDATES_PER_KIND` matches of an FTS expression in
    /// each kind (in `kind_ranges()` order), read with one query over all
    /// kinds: each FTS query sets up an iterator per term (for a prefix,
    /// a merge of every matching term), so one query per kind would repeat
    /// that work for every kind. Kinds the one query cannot answer in full
    /// (it stopped at its limit above them) are read by their range.
    fn newest_per_kind(&self, table: &str, expr: &str) -> Result<Vec<Vec<i64>>, StoreError> {
        let ranges = self.kind_ranges();
        let mut out: Vec<Vec<i64>> = vec![Vec::new(); ranges.len()];
        if ranges.is_empty() {
            return Ok(out);
        }
        let per_kind = CANDIDATES_PER_KIND as usize;
        let limit = CANDIDATES_PER_KIND * ranges.len() as i64;
        let rows = self.fts_newest(table, expr, limit)?;
        // Every match at or above this rowid was read.
        let complete_from = if (rows.len() as i64) < limit {
            i64::MIN
        } else {
            rows.last().copied().unwrap_or(i64::MIN)
        };
        for r in rows {
            if let Some(k) = ranges.iter().position(|(_, a, b)| r >= *a && r <= *b)
                && out[k].len() < per_kind
            {
                out[k].push(r);
            }
        }
        for (k, &(_, first, last)) in ranges.iter().enumerate() {
            if out[k].len() >= per_kind || first >= complete_from {
                continue;
            }
            let last = last.min(complete_from - 1);
            for r in self.fts_range(table, expr, first, last)? {
                if out[k].len() >= per_kind {
                    break;
                }
                out[k].push(r);
            }
        }
        Ok(out)
    }

    /// The district's synonyms whose everyday word is in the query, or whose
    /// pinyin a letter word spells.
    fn synonyms_for(&self, text: &str) -> Result<Vec<Synonym>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT term, words FROM synonyms")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sql())?;
        let letters: Vec<String> = text::runs(text)
            .into_iter()
            .filter_map(|r| match r {
                Run::Word(w) if w.chars().all(|c| c.is_ascii_lowercase()) => Some(w),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for row in rows {
            let (term, words) = row.map_err(self.sql())?;
            let in_text = text.contains(term.as_str());
            let spelled = !letters.is_empty()
                && text::term_pinyin(&term).is_some_and(|(full, initials)| {
                    letters
                        .iter()
                        .any(|l| *l == full || (l.len() >= 3 && *l == initials))
                });
            if in_text || spelled {
                let words = words
                    .split(STORE_SEPARATOR)
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                let term = if in_text {
                    term
                } else {
                    // Stand the letters in for the term when replacing.
                    letters
                        .iter()
                        .find(|l| {
                            text::term_pinyin(&term).is_some_and(|(f, i)| **l == f || **l == i)
                        })
                        .cloned()
                        .unwrap_or(term)
                };
                out.push(Synonym { term, words });
            }
        }
        Ok(out)
    }

    /// The query rewritten with each synonym's document words, and with
    /// homophone fixes for CJK words no title holds (底保 → 低保).
    fn variants(&self, text: &str) -> Result<Vec<String>, StoreError> {
        // Framing taken out may split an everyday word (老人有什么补贴 →
        // 老人 补贴): synonyms also match the words run together.
        let compact: String = text.split_whitespace().collect();
        let syns = self.synonyms_for(&compact)?;
        let mut out: Vec<String> = Vec::new();
        // The officer lists a synonym's document words best first: take the
        // first word of every matching synonym, then the second, ... so the
        // cap keeps each synonym's best words.
        let matching = synonyms::matching(&syns, &compact);
        let most = matching.iter().map(|s| s.words.len()).max().unwrap_or(0);
        for i in 0..most {
            for s in &matching {
                let Some(w) = s.words.get(i) else { continue };
                let base = if text.contains(s.term.as_str()) {
                    text
                } else {
                    compact.as_str()
                };
                let v = base.replace(s.term.as_str(), &format!(" {w} "));
                let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
                if !out.contains(&v) && v != text {
                    out.push(v);
                }
            }
        }
        if out.len() >= MAX_VARIANTS {
            out.truncate(MAX_VARIANTS);
            return Ok(out);
        }
        // Homophones: a run of 2 to 4 characters whose bigrams no title
        // holds, replaced by the content's words with the same pinyin.
        for run in text::runs(text) {
            let Run::Cjk(s) = run else { continue };
            let n = s.chars().count();
            if !(2..=4).contains(&n) {
                continue;
            }
            let grams = text::bigrams(&s);
            let mut absent = false;
            for g in &grams {
                if self.doc_freq(g)?.0 == 0 {
                    absent = true;
                }
            }
            if !absent {
                continue;
            }
            let Some((full, _)) = text::term_pinyin(&s) else {
                continue;
            };
            let mut stmt = self
                .conn()
                .prepare_cached(
                    "SELECT term FROM vocab WHERE full = ?1 AND term <> ?2 ORDER BY weight DESC LIMIT 2",
                )
                .map_err(self.sql())?;
            let terms = stmt
                .query_map(params![full, s], |r| r.get::<_, String>(0))
                .map_err(self.sql())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(self.sql())?;
            for t in terms {
                let v = text.replace(s.as_str(), &t);
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out.truncate(MAX_VARIANTS);
        Ok(out)
    }

    /// How many titles and how many bodies hold an index token (`term_docs`,
    /// derived when the store is built).
    fn doc_freq(&self, token: &str) -> Result<(i64, i64), StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT title, body FROM term_docs WHERE term = ?1")
            .map_err(self.sql())?;
        let mut rows = stmt
            .query_map([token], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.sql())?;
        Ok(rows
            .next()
            .transpose()
            .map_err(self.sql())?
            .unwrap_or((0, 0)))
    }

    fn item_count(&self) -> i64 {
        self.generation().item_count as i64
    }

    /// Ranked partial matching over the query and its variants: each item's
    /// best score, highest first, above the thresholds.
    ///
    /// Bounded work: only the rarer bigrams (and characters typed alone)
    /// are read from the indexes, at most `PARTIAL_ROWS_PER_TOKEN` newest
    /// rows each, to find candidates; the best `PARTIAL_RESCORED` of those
    /// are then scored exactly on their title text, every token counted.
    fn partial(&self, texts: &[String]) -> Result<Vec<(i64, f64)>, StoreError> {
        let n = self.item_count().max(1);
        let idf = |df: i64| ((n as f64 + 1.0) / (df as f64 + 0.5)).ln().max(0.05);
        // Tokens in more titles (bodies) than this are not read from the
        // index unless a text has nothing rarer.
        let common = ((n as f64 * PARTIAL_COMMON_SHARE) as i64).max(PARTIAL_ROWS_PER_TOKEN);
        let mut dfs: HashMap<String, (i64, i64)> = HashMap::new();
        let mut per_text: Vec<PartialText> = Vec::new();
        for t in texts.iter().take(MAX_PARTIAL_TEXTS) {
            let mut pt = PartialText::default();
            for run in text::runs(t) {
                let Run::Cjk(s) = run else { continue };
                pt.chars.extend(s.chars());
                let cs: Vec<char> = s.chars().collect();
                let mut df_of = |tok: &str| -> Result<(i64, i64), StoreError> {
                    if let Some(d) = dfs.get(tok) {
                        return Ok(*d);
                    }
                    let d = self.doc_freq(tok)?;
                    dfs.insert(tok.to_string(), d);
                    Ok(d)
                };
                if cs.len() == 1 {
                    let (df, _) = df_of(&s)?;
                    pt.title.push(Token {
                        text: s.clone(),
                        weight: idf(df),
                        df,
                        scan: true,
                    });
                    continue;
                }
                for g in text::bigrams(&s) {
                    let (df, bdf) = df_of(&g)?;
                    // A bigram no title holds spans two words (残疾|补贴):
                    // it counts for less than a real word.
                    let w = if df == 0 { 0.5 * idf(0) } else { idf(df) };
                    pt.title.push(Token {
                        text: g.clone(),
                        weight: w,
                        df,
                        scan: df > 0 && df <= common,
                    });
                    let bw = if bdf == 0 { 0.5 * idf(0) } else { idf(bdf) };
                    pt.body.push(Token {
                        text: g,
                        weight: bw,
                        df: bdf,
                        scan: bdf > 0 && bdf <= common,
                    });
                }
                for c in cs {
                    let c = c.to_string();
                    let (df, _) = df_of(&c)?;
                    pt.title.push(Token {
                        text: c,
                        weight: 0.25 * idf(df),
                        df,
                        scan: false,
                    });
                }
            }
            // Every word common: the rarest bigram still finds candidates.
            if !pt.title.iter().any(|t| t.scan)
                && let Some(rarest) = pt
                    .title
                    .iter_mut()
                    .filter(|t| t.df > 0 && t.text.chars().count() == 2)
                    .min_by_key(|t| t.df)
            {
                rarest.scan = true;
            }
            per_text.push(pt);
        }
        // Candidate rows of the scanned tokens, each token read once.
        let mut title_rows: HashMap<String, Vec<i64>> = HashMap::new();
        let mut body_rows: HashMap<String, Vec<i64>> = HashMap::new();
        for pt in &per_text {
            for tok in pt.title.iter().filter(|t| t.scan) {
                if !title_rows.contains_key(&tok.text) {
                    let col = if tok.text.chars().count() == 1 {
                        "uni"
                    } else {
                        "bi"
                    };
                    let expr = format!("{col}:{}", phrase(std::slice::from_ref(&tok.text)));
                    let rows = self.fts_newest("title_ft", &expr, PARTIAL_ROWS_PER_TOKEN)?;
                    title_rows.insert(tok.text.clone(), rows);
                }
            }
            for tok in pt.body.iter().filter(|t| t.scan) {
                if !body_rows.contains_key(&tok.text) {
                    let expr = phrase(std::slice::from_ref(&tok.text));
                    let rows = self.fts_newest("body_ft", &expr, PARTIAL_ROWS_PER_TOKEN)?;
                    body_rows.insert(tok.text.clone(), rows);
                }
            }
        }
        // A first score from the scanned tokens alone picks whom to score
        // exactly: each token adds its share of a text's weight to the rows
        // that hold it (titles in the first half of a row's shares, bodies
        // in the second), so the work is one step per row read.
        let n_texts = per_text.len();
        let mut shares: HashMap<i64, Vec<f64>> = HashMap::new();
        for (i, pt) in per_text.iter().enumerate() {
            let total: f64 = pt.title.iter().map(|t| t.weight).sum();
            if total > 0.0 {
                for tok in pt.title.iter().filter(|t| t.scan) {
                    for r in title_rows.get(&tok.text).into_iter().flatten() {
                        shares.entry(*r).or_insert_with(|| vec![0.0; 2 * n_texts])[i] +=
                            tok.weight / total;
                    }
                }
            }
            // Body words too common to scan are left out of the share (they
            // are in most bodies); words no body holds count against it.
            let total: f64 = pt
                .body
                .iter()
                .filter(|t| t.scan || t.df == 0)
                .map(|t| t.weight)
                .sum();
            if total > 0.0 {
                for tok in pt.body.iter().filter(|t| t.scan) {
                    for r in body_rows.get(&tok.text).into_iter().flatten() {
                        shares.entry(*r).or_insert_with(|| vec![0.0; 2 * n_texts])[n_texts + i] +=
                            tok.weight / total;
                    }
                }
            }
        }
        let best_of = |s: &[f64]| -> f64 {
            (0..n_texts)
                .map(|i| s[i].max(0.7 * s[n_texts + i]))
                .fold(0.0, f64::max)
        };
        let mut first: Vec<(i64, f64)> = shares.iter().map(|(r, s)| (*r, best_of(s))).collect();
        first.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        first.truncate(PARTIAL_RESCORED);
        let coverage = |toks: &[Token], has: &dyn Fn(&Token) -> bool| -> f64 {
            let total: f64 = toks.iter().map(|t| t.weight).sum();
            if total <= 0.0 {
                return 0.0;
            }
            toks.iter()
                .filter(|t| has(t))
                .map(|t| t.weight)
                .sum::<f64>()
                / total
        };
        // Exact title coverage (every token) and the in-order bonus, from
        // each candidate's title text.
        let mut out: Vec<(i64, f64)> = Vec::with_capacity(first.len());
        for (rowid, _) in first {
            let search_title = self.search_title(rowid)?;
            let title_chars: Vec<char> = search_title.chars().collect();
            let body = shares.get(&rowid).map(|s| &s[n_texts..]);
            let mut best = 0.0f64;
            for (i, pt) in per_text.iter().enumerate() {
                let title = coverage(&pt.title, &|t| search_title.contains(t.text.as_str()));
                let body_share = body.map_or(0.0, |b| b[i]);
                let mut s = title.max(0.7 * body_share);
                if title > 0.0 && pt.chars.len() >= 2 {
                    s += 0.1 * in_order(&title_chars, &pt.chars);
                }
                best = best.max(s);
            }
            if best >= MIN_PARTIAL_SCORE {
                out.push((rowid, best));
            }
        }
        let top = out.iter().map(|(_, s)| *s).fold(0.0, f64::max);
        out.retain(|(_, s)| *s >= RELATIVE_PARTIAL_SCORE * top);
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        Ok(out)
    }

    /// The text indexed as an item's title (title, keywords, 文号).
    fn search_title(&self, rowid: i64) -> Result<String, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT search_title FROM items WHERE rowid = ?1")
            .map_err(self.sql())?;
        stmt.query_row([rowid], |r| r.get(0)).map_err(self.sql())
    }

    /// Summaries of the hits, ranked within each kind and grouped.
    fn assemble(
        &self,
        found: Found,
        per_kind: usize,
        prefer: &[ItemKind],
        hint: Option<&str>,
    ) -> Result<SearchResults, StoreError> {
        let mut by_kind: HashMap<ItemKind, Vec<Ranked>> = HashMap::new();
        // Each text's words, split once for every hit's title quality.
        let words: Vec<QueryWords> = found.texts.iter().map(|t| QueryWords::new(t)).collect();
        for (rowid, (how, score, text)) in found.hits {
            // Only what ranking needs is read for every candidate; the
            // summaries of the hits shown are read after the cut.
            let title_level = class_of(how) < class_of(MatchedBy::Body);
            let Some(row) = self.rank_row(rowid, title_level)? else {
                continue;
            };
            let quality = match &row.titles {
                Some((title, search_title)) => words
                    .get(text)
                    .map_or(1, |w| w.title_quality(title, search_title, hint)),
                None => 1,
            };
            by_kind.entry(row.kind).or_default().push(Ranked {
                rowid,
                how,
                score,
                quality,
                // A synonym's document words are listed best first: the
                // earlier word ranks first (上户口: 出生登记 before 户口注销).
                variant: if how == MatchedBy::Synonym { text } else { 0 },
                validity: row.validity,
                date: row.date,
            });
        }
        let mut groups = Vec::new();
        for (kind, mut ranked) in by_kind {
            // Exact matches: class, then validity, then how well the title
            // names the query, then recency. Partial matches: how much they
            // cover first, validity and recency as tie-breaks. Within a kind
            // rowid order is (date, id), so the last tie-break is the id.
            ranked.sort_by(|a, b| {
                let ca = class_of(a.how);
                let cb = class_of(b.how);
                let recency = |x: &Ranked, y: &Ranked| y.date.cmp(&x.date);
                ca.cmp(&cb)
                    .then_with(|| {
                        if ca >= class_of(MatchedBy::Body) {
                            b.score
                                .total_cmp(&a.score)
                                .then_with(|| a.validity.cmp(&b.validity))
                                .then_with(|| recency(a, b))
                        } else {
                            a.validity
                                .cmp(&b.validity)
                                .then_with(|| a.quality.cmp(&b.quality))
                                .then_with(|| a.variant.cmp(&b.variant))
                                .then_with(|| recency(a, b))
                        }
                    })
                    .then_with(|| a.rowid.cmp(&b.rowid))
            });
            let more = ranked.len() > per_kind;
            ranked.truncate(per_kind);
            let best = ranked
                .iter()
                .map(|r| (class_of(r.how), r.quality, r.score))
                .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.total_cmp(&a.2)));
            let mut hits = Vec::with_capacity(ranked.len());
            for r in &ranked {
                if let Some(item) = self.summary_by_rowid(r.rowid)? {
                    hits.push(SearchHit {
                        item,
                        matched: r.how,
                    });
                }
            }
            if let Some(best) = best {
                groups.push((best, SearchGroup { kind, hits, more }));
            }
        }
        // The kinds the question asked for come first when they matched by
        // title (directly or through a synonym); then groups whose best hit
        // matched better (class, then how well the title names the query,
        // then a partial score); then the display order of kinds.
        let pref = |k: ItemKind| prefer.iter().position(|p| *p == k).unwrap_or(prefer.len());
        let title_level = |c: u8| c < class_of(MatchedBy::Body);
        groups.sort_by(|((ca, qa, sa), a), ((cb, qb, sb), b)| {
            let pa = if title_level(*ca) {
                pref(a.kind)
            } else {
                prefer.len()
            };
            let pb = if title_level(*cb) {
                pref(b.kind)
            } else {
                prefer.len()
            };
            let q = |s: f64| (s * 20.0).round() as i64;
            pa.cmp(&pb)
                .then_with(|| ca.cmp(cb))
                .then_with(|| qa.cmp(qb))
                .then_with(|| q(*sb).cmp(&q(*sa)))
                .then_with(|| display_rank(a.kind).cmp(&display_rank(b.kind)))
        });
        Ok(SearchResults {
            groups: groups.into_iter().map(|(_, g)| g).collect(),
            ..Default::default()
        })
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

    /// Newest `limit` matches of an FTS expression over every kind.
    fn fts_newest(&self, table: &str, expr: &str, limit: i64) -> Result<Vec<i64>, StoreError> {
        let sql = format!(
            "SELECT rowid FROM {table} WHERE {table} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params![expr, limit], |r| r.get::<_, i64>(0))
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// What ranking needs of a hit: its kind, validity and date, and for
    /// hits that matched by title the title and the text indexed as title.
    /// None for a hit no longer shown (a notice past its period).
    fn rank_row(&self, rowid: i64, titles: bool) -> Result<Option<RankRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT kind, validity, start_date, end_date, date, title, search_title FROM items WHERE rowid = ?1",
            )
            .map_err(self.sql())?;
        let today = self.today();
        let grace = self.bundle().grace_days;
        let mut rows = stmt
            .query_map([rowid], |r| {
                let kind = ItemKind::parse(&r.get::<_, String>(0)?).unwrap_or(ItemKind::Notice);
                let raw = Validity::parse(&r.get::<_, String>(1)?).unwrap_or(Validity::Valid);
                let start = super::parse_date(r.get(2)?);
                let end = super::parse_date(r.get(3)?);
                // As the summaries say it (summary_from_row).
                let validity = match end {
                    Some(e) if e < today && raw == Validity::Valid => Validity::Expired,
                    _ => raw,
                };
                if status_for(kind, start, end, validity, today, grace) == ItemStatus::Hidden {
                    return Ok(None);
                }
                Ok(Some(RankRow {
                    kind,
                    validity: validity.rank(),
                    date: r.get(4)?,
                    titles: if titles {
                        Some((r.get(5)?, r.get(6)?))
                    } else {
                        None
                    },
                }))
            })
            .map_err(self.sql())?;
        Ok(rows.next().transpose().map_err(self.sql())?.flatten())
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

/// Derives `term_docs` (schema migration 3) from the finished title and
/// body indexes: for every index token, how many titles and how many bodies
/// hold it. Run after every change to `title_ft` or `body_ft`; it replaces
/// the whole table.
pub(crate) fn derive_term_docs(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM term_docs;
         INSERT INTO term_docs(term, title, body)
             SELECT term, sum(t), sum(b) FROM (
                 SELECT term, doc AS t, 0 AS b FROM title_vocab
                 UNION ALL SELECT term, 0, doc FROM body_vocab)
             GROUP BY term;",
    )
}

/// Order of kinds on the results page when nothing else decides: residents
/// at a service hall mostly come to get something done, so service guides
/// lead, then the documents behind them.
const DISPLAY_ORDER: &[ItemKind] = &[
    ItemKind::Guide,
    ItemKind::Policy,
    ItemKind::Interpretation,
    ItemKind::EnterprisePolicy,
    ItemKind::Place,
    ItemKind::Consultation,
    ItemKind::Notice,
    ItemKind::Village,
    ItemKind::CatalogEntry,
];

fn display_rank(kind: ItemKind) -> usize {
    DISPLAY_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(DISPLAY_ORDER.len())
}

/// Rank classes: 文号, then titles (directly or by pinyin), then a named
/// section, then titles through a synonym, then bodies and partial matches
/// (ranked together by score).
fn class_of(m: MatchedBy) -> u8 {
    match m {
        MatchedBy::DocNumber => 0,
        MatchedBy::Title | MatchedBy::Pinyin => 1,
        MatchedBy::Section => 2,
        MatchedBy::Synonym => 3,
        MatchedBy::Body | MatchedBy::Partial => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pinyin_initial_gets_the_short_preview() {
        assert_eq!(per_kind_for("d"), SEARCH_PER_KIND_ONE_LETTER);
        assert_eq!(per_kind_for(" D "), SEARCH_PER_KIND_ONE_LETTER);
        for q in ["db", "保", "2", "d b", ""] {
            assert_eq!(per_kind_for(q), SEARCH_PER_KIND, "{q:?}");
        }
    }

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
        let p = parse(&understand("低保金怎么申请").text);
        assert_eq!(
            p.body_expr.as_deref(),
            Some("\"低保\" AND \"保金\" AND \"申请\"")
        );
        assert_eq!(
            p.text_expr.as_deref(),
            Some("bi:\"低保 保金\" AND bi:\"申请\"")
        );
    }

    #[test]
    fn framing_is_removed_and_steers_the_kind() {
        let i = understand("请问低保需要什么材料");
        assert_eq!(i.text, "低保");
        assert_eq!(i.prefer.first(), Some(&ItemKind::Guide));
        let i = understand("高龄补贴怎么领");
        assert_eq!(i.text, "高龄补贴");
        let i = understand("耕地补贴是什么政策");
        assert_eq!(i.text, "耕地补贴");
        assert_eq!(i.prefer.first(), Some(&ItemKind::Policy));
        let i = understand("医院在哪里");
        assert_eq!(i.text, "医院");
        assert_eq!(i.prefer.first(), Some(&ItemKind::Place));
        // Nothing but framing: the words stay.
        assert_eq!(understand("怎么办").text, "怎么办");
        // 补办 is a matter, not framing.
        assert_eq!(understand("身份证补办").text, "身份证补办");
    }

    #[test]
    fn section_names_list_their_section() {
        assert_eq!(
            understand("惠企政策").section,
            Some(ItemKind::EnterprisePolicy)
        );
        assert_eq!(understand("办事指南").section, Some(ItemKind::Guide));
        assert_eq!(understand(" 村务公开 ").section, Some(ItemKind::Village));
        let i = understand("低保政策解读");
        assert_eq!(i.text, "低保");
        assert_eq!(i.prefer.first(), Some(&ItemKind::Interpretation));
        assert_eq!(i.section, None);
    }
}
