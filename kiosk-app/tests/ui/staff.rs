use kiosk_app::{PageId, StaffAdapter, strings};
use kiosk_content::control::{ControlRequest, SyncStatus};
use slint::ComponentHandle;

use crate::harness::{DEMO_PIN, FakeDaemon, demo, demo_with, rows};

#[test]
fn five_wrong_pins_lock_the_panel_even_for_the_right_pin() {
    let k = demo();
    k.open_pin_page();
    let a = k.win.global::<StaffAdapter>();
    for i in 0..4 {
        k.enter_pin("111111");
        assert_eq!(
            a.get_pin_message(),
            strings::pin_wrong(4 - i),
            "try {}",
            i + 1
        );
    }
    k.enter_pin("111111");
    assert!(a.get_locked());
    assert!(
        a.get_pin_message().contains("锁定"),
        "{}",
        a.get_pin_message()
    );
    // The right PIN now does not open it either.
    k.enter_pin(DEMO_PIN);
    a.invoke_pin_submit();
    assert_eq!(k.page(), PageId::StaffPin);
    assert!(a.get_locked());
}

#[test]
fn the_right_pin_opens_the_panel_and_it_says_plainly_when_the_daemon_is_not_running() {
    let k = demo();
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    assert_eq!(k.page(), PageId::Staff);
    let a = k.win.global::<StaffAdapter>();
    assert!(!a.get_daemon_running());
    assert!(
        a.get_daemon_state().contains(strings::DAEMON_NOT_RUNNING),
        "{}",
        a.get_daemon_state()
    );
    assert!(!k.find(&a.get_daemon_state()).is_empty(), "shown on screen");
    let content = rows(a.get_content_facts());
    assert!(
        content
            .iter()
            .any(|f| f.label == "内容版本" && f.value == "1")
    );
    // Actions say the same instead of hanging.
    k.tap("立即同步");
    assert_eq!(a.get_action_message(), strings::DAEMON_NOT_RUNNING);
    // Leaving the panel goes home; back does not return to it.
    k.press("退出管理");
    assert_eq!(k.page(), PageId::Home);
}

#[test]
fn the_panel_shows_sync_status_and_sends_actions_to_the_daemon() {
    let k = demo();
    let socket = k.ctx.config.control_socket.clone();
    let status = SyncStatus {
        generation: Some(1),
        last_error: Some("https://repo.example/ timed out after 30 s; check the network".into()),
        previous_generation: Some(0),
        disk_free_bytes: Some(5 * 1024 * 1024 * 1024),
        ..Default::default()
    };
    let daemon = FakeDaemon::start(&socket, status);
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    let a = k.win.global::<StaffAdapter>();
    assert!(a.get_daemon_running(), "{}", a.get_daemon_state());
    let sync = rows(a.get_sync_facts());
    assert!(
        sync.iter().any(|f| f.value.contains("timed out")),
        "{sync:?}"
    );
    let device = rows(a.get_device_facts());
    assert!(device.iter().any(|f| f.value == "5.0 GB"), "{device:?}");

    k.tap("立即同步");
    assert_eq!(a.get_action_message(), "已开始同步");
    // Revert asks for a second tap.
    k.tap("回退到上一版内容");
    assert!(a.get_confirm_revert());
    k.tap("确认回退");
    assert_eq!(a.get_action_message(), "已回退到第 1 代内容");
    let seen = daemon.requests();
    assert!(seen.contains(&ControlRequest::SyncNow));
    assert!(seen.contains(&ControlRequest::Revert));
}

#[test]
fn usb_import_without_a_stick_says_so_and_with_one_asks_the_daemon() {
    let k = demo();
    let daemon = FakeDaemon::start(&k.ctx.config.control_socket, SyncStatus::default());
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    let a = k.win.global::<StaffAdapter>();
    k.tap("导入U盘");
    assert!(
        a.get_action_message().contains("未找到U盘"),
        "{}",
        a.get_action_message()
    );
    std::fs::create_dir_all(&k.ctx.config.usb_import_dir).expect("usb dir");
    k.tap("导入U盘");
    let path = k.ctx.config.usb_import_dir.display().to_string();
    assert!(daemon.requests().contains(&ControlRequest::Import { path }));
}

#[test]
fn test_print_from_the_panel() {
    let k = demo();
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    k.tap("打印测试页");
    assert_eq!(*k.printer.test_pages.borrow(), 1);
    assert_eq!(
        k.win.global::<StaffAdapter>().get_action_message(),
        strings::printer_test_sent()
    );
}

#[test]
fn without_a_pin_hash_the_panel_stays_shut() {
    let k = demo_with(|c| c.staff_pin_hash.clear());
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    assert_eq!(k.page(), PageId::StaffPin);
    assert_eq!(
        k.win.global::<StaffAdapter>().get_pin_message(),
        strings::PIN_NOT_SET
    );
}
