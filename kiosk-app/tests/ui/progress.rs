use std::time::Duration;

use kiosk_app::{PageId, ProgressAdapter, SearchAdapter, strings};
use slint::ComponentHandle;
use slint::platform::WindowEvent;

use crate::harness::{Kiosk, demo, rows};

/// The demo's first case (kiosk-content/demo/progress.csv).
const CASE: &str = "20261102001";
const CODE: &str = "564973";

/// Types a case number and query code on the digit pad and asks, the
/// short way: the code field comes by itself once the case number is
/// complete.
pub fn lookup(k: &Kiosk, case_digits: &str, code: &str) {
    k.type_digits(case_digits);
    if k.win.global::<ProgressAdapter>().get_field() != 1 {
        k.tap("查询码");
    }
    k.type_digits(code);
    k.tap("查询");
}

/// A USB barcode scanner: the code's characters as key presses, then
/// Enter, as the scanner (a keyboard to the system) sends them.
fn scan(k: &Kiosk, text: &str) {
    let w = k.win.window();
    for c in text.chars() {
        let text: slint::SharedString = c.to_string().into();
        w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text });
    }
    let enter: slint::SharedString = slint::platform::Key::Return.into();
    w.dispatch_event(WindowEvent::KeyPressed {
        text: enter.clone(),
    });
    w.dispatch_event(WindowEvent::KeyReleased { text: enter });
}

fn open_progress(k: &Kiosk) {
    k.start();
    k.taps.set(0);
    k.tap("办事进度");
    assert_eq!(k.page(), PageId::Progress);
}

#[test]
fn walk_through_typing_the_receipt_takes_the_digits_and_two_taps() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    assert_eq!(a.get_case_prefix(), "SFX");
    assert_eq!(
        a.get_field(),
        0,
        "the case number is typed first, no tap needed"
    );
    k.type_digits(CASE);
    // Grouped as the receipt prints it, and on to the code by itself.
    assert_eq!(a.get_case_shown(), "2026 1102 001");
    assert_eq!(a.get_field(), 1);
    assert!(!a.get_ready());
    k.type_digits(CODE);
    assert!(a.get_ready(), "查询 is marked as the next step");
    k.tap("查询");
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
    assert_eq!(a.get_status(), "审核中");
    let facts = rows(a.get_facts());
    assert!(facts.iter().any(|f| f.value == "最低生活保障申请"));
    assert!(facts.iter().any(|f| f.value == "SFX20261102001"));
    assert!(rows(a.get_steps()).len() >= 3);
    assert!(a.get_data_date().contains("2026年11月20日"));
    let taps = k.taps.get();
    let digits = CASE.len() + CODE.len();
    assert!(
        taps <= digits + 2,
        "{taps} taps for {digits} digits: more than 2 besides the digits"
    );
}

#[test]
fn the_code_shows_as_dots_until_the_resident_asks_to_see_it() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    k.type_digits(CASE);
    k.type_digits("5649");
    assert_eq!(a.get_code_shown(), "●●●●");
    k.tap("显示");
    assert_eq!(a.get_code_shown(), "5649");
    assert!(!k.find("5649").is_empty() || a.get_show_code());
    k.tap("隐藏");
    assert_eq!(a.get_code_shown(), "●●●●");
    // Shown once, hidden again for the next resident.
    k.tap("显示");
    kiosk_app::pages::progress::clear(&k.win, &k.ctx);
    assert!(!a.get_show_code());
    assert_eq!(a.get_code_shown(), "");
}

#[test]
fn deleting_past_the_start_of_the_code_goes_back_to_the_case_number() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    k.type_digits("20261102009");
    assert_eq!(a.get_field(), 1);
    k.type_digits("5");
    k.tap("删除");
    assert_eq!(a.get_code_shown(), "");
    k.tap("删除");
    assert_eq!(a.get_field(), 0);
    assert_eq!(a.get_case_digits(), "2026110200");
    k.type_digits("1");
    assert_eq!(a.get_case_digits(), CASE);
    assert_eq!(a.get_field(), 1);
    // A complete case number takes no more digits: they go to the code.
    k.tap("办件编号");
    k.type_digits("7");
    assert_eq!(a.get_case_digits(), CASE);
}

#[test]
fn a_wrong_code_and_an_unknown_case_get_the_same_neutral_message() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    lookup(&k, CASE, "111111");
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
    lookup(&k, "19990101999", CODE);
    assert_eq!(a.get_state(), 2);
    assert_eq!(a.get_message(), wrong);
}

#[test]
fn a_missing_code_is_asked_for_before_any_lookup() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    k.type_digits("2026");
    k.tap("查询码");
    k.type_digits("12");
    k.tap("查询");
    assert_eq!(a.get_message(), strings::PROGRESS_NEED_CODE);
    assert_eq!(a.get_field(), 1, "the code field is selected");
    assert!(k.ctx.progress.borrow().result.is_none());
}

#[test]
fn walk_through_scanning_a_receipt_looks_the_case_up_with_no_tap() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    let taps = k.taps.get();
    scan(&k, &format!("BJCX:SFX{CASE}:{CODE}"));
    assert_eq!(k.taps.get(), taps, "no tap after the scan");
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
    assert_eq!(a.get_status(), "审核中");
    assert!(
        rows(a.get_facts())
            .iter()
            .any(|f| f.value == "SFX20261102001")
    );
    // A second receipt replaces the first.
    scan(&k, "bjcx:sfx20261116001:713332");
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
    assert_eq!(a.get_status(), "已办结");
}

#[test]
fn a_receipt_with_the_case_number_only_fills_it_and_asks_for_the_code() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    scan(&k, &format!("SFX{CASE}"));
    assert_eq!(a.get_case_shown(), "2026 1102 001");
    assert_eq!(a.get_field(), 1);
    assert_eq!(a.get_message(), strings::PROGRESS_SCAN_NEED_CODE);
    assert!(!k.find(strings::PROGRESS_SCAN_NEED_CODE).is_empty());
    k.type_digits(CODE);
    k.tap("查询");
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
}

#[test]
fn a_malformed_scan_says_so_and_fills_in_nothing() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    for bad in [
        "https://example.example/x?y=1",
        "BJCX:SFX2026110200:564973",
        "BJCX:SFX20261102001:5649",
        "BJCX:SFX20261102001:564973:9",
        "HELLO",
    ] {
        scan(&k, bad);
        assert_eq!(a.get_message(), strings::PROGRESS_SCAN_UNREADABLE, "{bad}");
        assert_eq!(a.get_case_digits(), "", "{bad}");
        assert_eq!(a.get_state(), 3, "{bad}: the message is shown");
    }
    scan(&k, &"1".repeat(200));
    assert_eq!(a.get_message(), strings::PROGRESS_SCAN_UNREADABLE);
    // Another case system's receipt.
    scan(&k, "BJCX:ABC20261102001:564973");
    assert_eq!(
        a.get_message(),
        strings::progress_scan_other_prefix("SFX").as_str()
    );
    assert!(k.ctx.progress.borrow().result.is_none());
}

#[test]
fn a_half_read_scan_is_dropped_after_a_pause() {
    let k = demo();
    open_progress(&k);
    let a = k.win.global::<ProgressAdapter>();
    let w = k.win.window();
    for c in "BJCX:SFX2026".chars() {
        w.dispatch_event(WindowEvent::KeyPressed {
            text: c.to_string().into(),
        });
    }
    k.wait(Duration::from_secs(2));
    scan(&k, &format!("BJCX:SFX{CASE}:{CODE}"));
    assert_eq!(a.get_state(), 1, "{}", a.get_message());
}

#[test]
fn scans_on_other_pages_reach_nothing() {
    let k = demo();
    k.start();
    scan(&k, &format!("BJCX:SFX{CASE}:{CODE}"));
    assert_eq!(k.page(), PageId::Home);
    k.tap("搜索");
    scan(&k, "db");
    assert_eq!(k.win.global::<SearchAdapter>().get_query(), "");
    k.tap("首页");
    k.tap("办事进度");
    let a = k.win.global::<ProgressAdapter>();
    assert_eq!(a.get_case_digits(), "");
    assert_eq!(a.get_state(), 0);
}

#[test]
fn in_landscape_the_keypad_and_its_query_key_are_on_screen() {
    let k = demo();
    k.win
        .window()
        .set_size(slint::PhysicalSize::new(1920, 1080));
    open_progress(&k);
    let key = k.button("查询");
    let (p, s) = (key.absolute_position(), key.size());
    assert!(
        p.x >= 0.0 && p.y >= 0.0 && p.x + s.width <= 1920.0 && p.y + s.height <= 1080.0 - 132.0,
        "查询 at {p:?} size {s:?} is off the 1920x1080 screen"
    );
    for label in ["0", "9", "删除", "办件编号", "查询码"] {
        let b = k.button(label);
        let (p, s) = (b.absolute_position(), b.size());
        // Above the nav bar (132 px at this size), not behind or below it.
        assert!(
            p.y + s.height <= 1080.0 - 132.0,
            "{label} at {p:?} size {s:?} is not above the nav bar"
        );
    }
    // And the lookup works there, scanned or typed.
    lookup(&k, CASE, CODE);
    assert_eq!(k.win.global::<ProgressAdapter>().get_state(), 1);
}
