use kiosk_app::{DetailAdapter, PageId, SearchAdapter};
use slint::ComponentHandle;

use crate::harness::{demo, rows};

#[test]
fn pinyin_initials_find_dibao_and_the_first_result_opens() {
    let k = demo();
    k.start();
    k.tap("搜索");
    assert_eq!(k.page(), PageId::Search);
    k.tap("d");
    k.tap("b");
    let a = k.win.global::<SearchAdapter>();
    assert_eq!(a.get_query(), "db");
    let groups = rows(a.get_groups());
    assert!(!groups.is_empty(), "db finds something");
    let first = rows(groups[0].rows.clone())
        .into_iter()
        .next()
        .expect("a first result");
    assert!(
        first.title.contains("低保"),
        "first result for db: {}",
        first.title
    );
    // The candidate bar offers the hanzi word from the content's vocabulary.
    assert!(rows(a.get_candidates()).iter().any(|c| c == "低保"));

    k.tap(&first.title);
    assert_eq!(k.page(), PageId::Detail);
    assert_eq!(k.win.global::<DetailAdapter>().get_title(), first.title);
    // Back returns to the results, still there.
    k.tap("返回");
    assert_eq!(k.page(), PageId::Search);
    assert_eq!(k.win.global::<SearchAdapter>().get_query(), "db");
}

#[test]
fn a_candidate_word_replaces_the_letters_and_delete_takes_it_back() {
    let k = demo();
    k.start();
    k.tap("搜索");
    for l in ["d", "i", "b", "a", "o"] {
        k.tap(l);
    }
    let a = k.win.global::<SearchAdapter>();
    assert_eq!(a.get_query(), "dibao");
    k.tap("低保");
    assert_eq!(a.get_query(), "低保");
    assert!(rows(a.get_candidates()).is_empty());
    let titles: Vec<String> = rows(a.get_groups())
        .iter()
        .flat_map(|g| rows(g.rows.clone()))
        .map(|r| r.title.to_string())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("最低生活保障") || t.contains("低保")),
        "{titles:?}"
    );
    k.tap("删除");
    assert_eq!(a.get_query(), "低");
    k.tap("清空");
    assert_eq!(a.get_query(), "");
}

#[test]
fn nonsense_finds_nothing_and_says_so() {
    let k = demo();
    k.start();
    k.tap("搜索");
    for l in ["x", "q", "z", "x", "q"] {
        k.tap(l);
    }
    let a = k.win.global::<SearchAdapter>();
    assert!(rows(a.get_groups()).is_empty());
    assert_eq!(a.get_status(), kiosk_app::strings::SEARCH_NONE);
}
