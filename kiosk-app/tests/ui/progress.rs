use kiosk_app::{PageId, ProgressAdapter, strings};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo, rows};

/// Types a case number and query code on the digit pad and asks.
pub fn lookup(k: &Kiosk, case_digits: &str, code: &str) {
    k.tap("办件编号");
    k.type_digits(case_digits);
    k.tap("查询码");
    k.type_digits(code);
    k.tap("查询");
}

#[test]
fn the_right_code_shows_the_case_with_its_timeline_and_data_date() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    assert_eq!(k.page(), PageId::Progress);
    let a = k.win.global::<ProgressAdapter>();
    assert_eq!(a.get_case_prefix(), "SFX");
    lookup(&k, "20261102001", "564973");
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
    assert_eq!(a.get_status(), "审核中");
    let facts = rows(a.get_facts());
    assert!(facts.iter().any(|f| f.value == "最低生活保障申请"));
    assert!(facts.iter().any(|f| f.value == "SFX20261102001"));
    assert!(rows(a.get_steps()).len() >= 3);
    assert!(a.get_data_date().contains("2026年11月20日"));
    // The code is never shown in the clear.
    assert_eq!(a.get_code_shown(), "●●●●●●");
}

#[test]
fn a_wrong_code_and_an_unknown_case_get_the_same_neutral_message() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    let a = k.win.global::<ProgressAdapter>();
    lookup(&k, "20261102001", "111111");
    assert_eq!(a.get_state(), 2);
    let wrong = a.get_message();
    assert_eq!(wrong, strings::PROGRESS_NOT_FOUND);
    assert!(
        !k.find(strings::PROGRESS_NOT_FOUND).is_empty(),
        "the message is on screen"
    );
    k.tap("重新输入");
    assert_eq!(a.get_state(), 0);
    assert_eq!(a.get_case_digits(), "");
    lookup(&k, "19990101999", "564973");
    assert_eq!(a.get_state(), 2);
    assert_eq!(a.get_message(), wrong);
}

#[test]
fn a_missing_code_is_asked_for_before_any_lookup() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    let a = k.win.global::<ProgressAdapter>();
    k.tap("办件编号");
    k.type_digits("20261102001");
    k.tap("查询");
    assert_eq!(a.get_message(), strings::PROGRESS_NEED_CODE);
    assert_eq!(a.get_field(), 1, "the code field is selected");
    assert!(k.ctx.progress.borrow().result.is_none());
}
