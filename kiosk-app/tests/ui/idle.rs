use std::time::Duration;

use kiosk_app::{Idle, PageId, ProgressAdapter, Theme};
use slint::ComponentHandle;

use crate::harness::demo;

#[test]
fn idle_timeout_clears_the_progress_inputs_and_shows_the_attract_screen() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    k.tap("办件编号");
    k.type_digits("2026110");
    k.tap("查询码");
    k.type_digits("5649");
    k.tap("大字");
    let a = k.win.global::<ProgressAdapter>();
    assert_eq!(a.get_case_digits(), "2026110");
    assert_eq!(a.get_code_shown(), "●●●●");
    assert!(k.win.global::<Theme>().get_big_text());

    // Not yet: still reading.
    k.wait(Duration::from_secs(60));
    assert_eq!(k.page(), PageId::Progress);
    k.wait(Duration::from_secs(31));
    assert_eq!(k.page(), PageId::Attract);
    assert_eq!(
        a.get_case_digits(),
        "",
        "the case number does not stay on screen"
    );
    assert_eq!(a.get_code_shown(), "");
    let st = k.ctx.progress.borrow();
    assert!(st.case_digits.is_empty() && st.code.is_empty() && st.result.is_none());
    assert!(
        !k.win.global::<Theme>().get_big_text(),
        "modes go back to the defaults"
    );
}

#[test]
fn a_found_case_is_cleared_by_the_idle_timeout_too() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    crate::progress::lookup(&k, "20261102001", "564973");
    let a = k.win.global::<ProgressAdapter>();
    assert_eq!(a.get_state(), 1);
    k.wait(Duration::from_secs(91));
    assert_eq!(k.page(), PageId::Attract);
    assert_eq!(a.get_state(), 0);
    assert!(crate::harness::rows(a.get_facts()).is_empty());
}

#[test]
fn touches_postpone_the_idle_reset() {
    let k = demo();
    k.start();
    k.tap("便民地图");
    k.wait(Duration::from_secs(80));
    k.tap("放大");
    k.wait(Duration::from_secs(80));
    assert_eq!(k.page(), PageId::Map);
    k.wait(Duration::from_secs(11));
    assert_eq!(k.page(), PageId::Attract);
}

#[test]
fn the_touch_that_wakes_a_dimmed_screen_presses_nothing() {
    let k = demo();
    // The kiosk starts on the attract screen and dims after a while.
    k.wait(Duration::from_secs(121));
    let idle = k.win.global::<Idle>();
    assert!(idle.get_dimmed());
    // A tap on "touch to start" only wakes the screen.
    k.tap("请轻触屏幕开始");
    assert!(!idle.get_dimmed());
    assert_eq!(
        k.page(),
        PageId::Attract,
        "the wake touch did not press the button under it"
    );
    // The next one does.
    k.tap("请轻触屏幕开始");
    assert_eq!(k.page(), PageId::Home);
}

#[test]
fn after_a_resident_leaves_the_screen_resets_then_dims() {
    let k = demo();
    k.start();
    k.tap("办事指南");
    k.wait(Duration::from_secs(91));
    assert_eq!(k.page(), PageId::Attract);
    assert!(!k.win.global::<Idle>().get_dimmed());
    k.wait(Duration::from_secs(121));
    assert!(k.win.global::<Idle>().get_dimmed());
    // Tapping where the home page's tile would be does nothing but wake.
    k.tap_at(300.0, 700.0);
    assert!(!k.win.global::<Idle>().get_dimmed());
    assert_eq!(k.page(), PageId::Attract);
}
