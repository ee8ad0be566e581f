//! Content applied by the sync daemon shows up without a restart, on the
//! page the resident is on.

use std::time::Duration;

use kiosk_app::nav::Route;
use kiosk_app::{GuideAdapter, Nav, PageId, app, strings};
use kiosk_content::store::{ContentWriter, GenerationInfo};
use kiosk_content::{ContentSet, Item};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo};

fn apply(k: &Kiosk, content: &ContentSet, version: u64) {
    let mut w = ContentWriter::open(&k.data_dir()).expect("writer");
    w.apply_generation(
        content,
        &GenerationInfo {
            bundle_version: version,
            channel: "test".into(),
            published_at: None,
        },
    )
    .expect("apply");
}

#[test]
fn new_content_appears_on_the_same_page_without_a_restart() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item("dibao-shenqing".into()));
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_title(), "最低生活保障申请");
    let mut content = kiosk_content::demo::demo_content().expect("demo");
    for item in &mut content.items {
        if let Item::Guide(guide) = item
            && guide.meta.id == "dibao-shenqing"
        {
            guide.meta.title = "最低生活保障申请（2027年版）".into();
            guide.fee = "不收取任何费用".into();
        }
    }
    apply(&k, &content, 2);
    k.wait(Duration::from_secs(3));
    assert_eq!(k.page(), PageId::Guide, "the resident stays where they are");
    assert_eq!(g.get_title(), "最低生活保障申请（2027年版）");
    assert!(
        crate::harness::rows(g.get_facts())
            .iter()
            .any(|f| f.value == "不收取任何费用")
    );
    assert_eq!(k.ctx.content.borrow().generation().generation, 2);
}

#[test]
fn an_item_withdrawn_by_an_update_steps_back_and_says_why() {
    let k = demo();
    k.start();
    k.tap("办事指南");
    k.press("最低生活保障申请");
    assert_eq!(k.page(), PageId::Guide);
    let mut content = kiosk_content::demo::demo_content().expect("demo");
    content.items.retain(|i| i.meta().id != "dibao-shenqing");
    apply(&k, &content, 2);
    k.wait(Duration::from_secs(3));
    assert_eq!(k.page(), PageId::List);
    assert_eq!(k.win.global::<Nav>().get_error_text(), strings::ITEM_GONE);
    k.tap("知道了");
    assert_eq!(k.win.global::<Nav>().get_error_text(), "");
}

#[test]
fn an_unreadable_store_state_keeps_the_content_on_screen() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item("dibao-shenqing".into()));
    std::fs::write(k.data_dir().join("content/current.json"), b"{ not json").expect("corrupt");
    k.wait(Duration::from_secs(3));
    assert_eq!(k.page(), PageId::Guide);
    assert_eq!(
        k.win.global::<GuideAdapter>().get_title(),
        "最低生活保障申请"
    );
    let err = k
        .ctx
        .staff
        .borrow()
        .refresh_error
        .clone()
        .expect("staff see the error");
    assert!(err.contains("current.json"), "{err}");
}
