//! Search on the demo county: the bounds that keep one query cheap, and
//! the ranking rules of the fallbacks, each checked by what the page shows.

use chrono::NaiveDate;
use kiosk_content::ContentReader;
use kiosk_content::demo::open_demo;
use kiosk_content::store::{MAX_QUERY_CHARS, MatchedBy, SEARCH_PER_KIND};

fn demo() -> (tempfile::TempDir, ContentReader) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = open_demo(dir.path()).expect("demo store");
    r.set_today(NaiveDate::from_ymd_opt(2026, 11, 23));
    (dir, r)
}

/// Ids in display order, then the places listed under a page with no match.
fn shown(r: &ContentReader, q: &str) -> Vec<String> {
    let res = r.search(q, SEARCH_PER_KIND).expect("search");
    res.hits()
        .map(|h| h.item.id.clone())
        .chain(res.places.iter().map(|p| p.id.clone()))
        .collect()
}

#[test]
fn a_pasted_paragraph_is_searched_as_its_first_characters() {
    let (_dir, r) = demo();
    // 2,000 characters of a resident's question pasted over and over.
    let sentence = "低保怎么申请需要什么材料在哪里办理多长时间能办好";
    let pasted: String = sentence.chars().cycle().take(2000).collect();
    let head: String = pasted.chars().take(MAX_QUERY_CHARS).collect();
    let got = shown(&r, &pasted);
    assert!(!got.is_empty(), "the first words still find 低保");
    assert_eq!(got, shown(&r, &head));
    // Words past the cap are not searched at all.
    let late = format!("{}低保", "、".repeat(MAX_QUERY_CHARS));
    assert!(shown(&r, &late).is_empty(), "{:?}", shown(&r, &late));
    assert!(!shown(&r, "低保").is_empty());
    // The keyboard's own limit (24) stays within the cap.
    const { assert!(MAX_QUERY_CHARS >= 24) };
}

#[test]
fn a_synonyms_document_words_rank_in_the_officers_order() {
    let (_dir, r) = demo();
    // synonyms.csv: 上户口 → 出生登记、落户、户口迁移、户籍. Every guide below
    // matched through one of them; the first word's guide leads.
    let res = r.search("上户口", SEARCH_PER_KIND).expect("search");
    let guides: Vec<(&str, MatchedBy)> = res
        .hits()
        .filter(|h| h.item.kind == kiosk_content::domain::ItemKind::Guide)
        .map(|h| (h.item.id.as_str(), h.matched))
        .collect();
    assert_eq!(
        guides.first(),
        Some(&("chusheng-dengji", MatchedBy::Synonym)),
        "{guides:?}"
    );
    assert!(
        guides.iter().take(2).any(|(id, _)| *id == "hukou-qianyi"),
        "{guides:?}"
    );
}

#[test]
fn full_pinyin_finds_the_content_words_it_spells() {
    let (_dir, r) = demo();
    // dibao spells 低保 in the vocabulary: the titles holding 低保 lead.
    let res = r.search("dibao", SEARCH_PER_KIND).expect("search");
    let first = res.hits().next().expect("a hit for dibao");
    assert_eq!(first.matched, MatchedBy::Pinyin);
    assert!(first.item.title.contains("低保"), "{}", first.item.title);
    // yinhang spells 银行 only through 行's second reading, which the
    // vocabulary does not list: the pinyin index still finds the banks.
    let res = r.search("yinhang", SEARCH_PER_KIND).expect("search");
    assert!(
        res.hits().any(|h| h.item.title.contains("银行")),
        "{:?}",
        res.hits().map(|h| &h.item.title).collect::<Vec<_>>()
    );
}
