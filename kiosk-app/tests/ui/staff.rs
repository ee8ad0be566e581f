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
    // The plain part names no socket, command or interface.
    let socket = k.ctx.config.control_socket.display().to_string();
    for f in rows(a.get_sync_facts())
        .into_iter()
        .chain(rows(a.get_device_facts()))
        .chain(rows(a.get_content_facts()))
    {
        for tech in [socket.as_str(), "systemctl", "eth0", "wlan0", "demo"] {
            assert!(!f.value.contains(tech), "{} = {}", f.label, f.value);
        }
    }
    assert!(!a.get_daemon_state().contains("systemctl"));
    assert!(!a.get_show_details());
    assert!(k.find("控制接口").is_empty(), "details hidden at first");
    k.press("详细信息（运维用）");
    assert!(a.get_show_details());
    let details = rows(a.get_detail_facts());
    assert!(details.iter().any(|f| f.value == socket), "{details:?}");
    assert!(
        details
            .iter()
            .any(|f| f.value.contains("systemctl start kiosk-sync")),
        "{details:?}"
    );
    k.press("收起详细信息");
    assert!(!a.get_show_details());
    // Actions say the same instead of hanging.
    k.press("立即同步");
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
        sync.iter()
            .any(|f| f.value == kiosk_app::pages::staff::words::ERR_NETWORK),
        "in plain words: {sync:?}"
    );
    // The daemon's own words are behind 详细信息.
    assert!(
        !sync.iter().any(|f| f.value.contains("timed out")),
        "{sync:?}"
    );
    let details = rows(a.get_detail_facts());
    assert!(
        details.iter().any(|f| f.value.contains("timed out")),
        "{details:?}"
    );
    let device = rows(a.get_device_facts());
    assert!(device.iter().any(|f| f.value == "5.0 GB"), "{device:?}");

    k.press("立即同步");
    assert_eq!(a.get_action_message(), "已开始同步");
    // Revert asks for a second tap.
    k.press("回退到上一版内容");
    assert!(a.get_confirm_revert());
    k.press("确认回退");
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
    k.press("导入U盘");
    assert!(
        a.get_action_message().contains("未找到U盘"),
        "{}",
        a.get_action_message()
    );
    std::fs::create_dir_all(&k.ctx.config.usb_import_dir).expect("usb dir");
    k.press("导入U盘");
    let path = k.ctx.config.usb_import_dir.display().to_string();
    assert!(daemon.requests().contains(&ControlRequest::Import { path }));
}

#[test]
fn test_print_from_the_panel() {
    let k = demo();
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    k.press("打印测试页");
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

#[test]
fn a_full_disk_a_hall_item_set_aside_and_a_wrong_clock_are_said_plainly() {
    let k = demo();
    let status = kiosk_app::pages::staff::demo_problem_status();
    let _daemon = FakeDaemon::start(&k.ctx.config.control_socket, status);
    k.open_pin_page();
    k.enter_pin(DEMO_PIN);
    let a = k.win.global::<StaffAdapter>();
    let sync = rows(a.get_sync_facts());
    let row = |label: &str| {
        sync.iter()
            .find(|f| f.label == label)
            .map(|f| f.value.to_string())
            .unwrap_or_else(|| panic!("no row {label}: {sync:?}"))
    };
    let disk = row("存储空间");
    assert!(
        disk.contains("已满") && disk.contains("48.2 MB") && disk.contains("当前内容不受影响"),
        "{disk}"
    );
    assert_eq!(
        row("上次更新"),
        kiosk_app::pages::staff::words::ERR_DISK,
        "the failure is the full disk"
    );
    let hall = row("本馆公告");
    assert!(
        hall.contains("1 条") && hall.contains("县级内容照常显示"),
        "{hall}"
    );
    assert!(row("本机时钟").contains("时间不准"));
    assert!(!k.find(&disk).is_empty(), "shown on screen");
    // The technical sentences are one tap away.
    k.press("详细信息（运维用）");
    let details = rows(a.get_detail_facts());
    assert!(
        details
            .iter()
            .any(|f| f.value.contains("tingdian-tongzhi") && f.value.contains("set aside")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|f| f.value.contains("clock is behind")),
        "{details:?}"
    );
}

#[test]
fn failures_are_explained_in_words_that_say_what_it_means_for_the_hall() {
    use kiosk_app::pages::staff::{plain_error, words};
    for (raw, plain) in [
        (
            "http://10.0.0.2/objects/ab: too slow — 12 bytes (of at most 2000) in 31 s",
            words::ERR_NETWORK,
        ),
        (
            "usb:/run/kiosk-usb/current: /run/kiosk-usb/current/metadata/timestamp.json: not a regular file (a FIFO, device, socket or folder)",
            words::ERR_STICK,
        ),
        (
            "https://x/: timestamp.json: expired at 2026-01-01 00:00:00 UTC",
            words::ERR_EXPIRED,
        ),
        (
            "https://x/metadata/timestamp.json: server redirects (HTTP 302) to https://evil.example/",
            words::ERR_ADDRESS,
        ),
        (
            "usb:/media: offers bundle 3, but this kiosk already applied bundle 5; content never goes backwards",
            words::ERR_OLDER,
        ),
        ("something nobody foresaw", words::ERR_OTHER),
    ] {
        assert_eq!(plain_error(raw, None), plain, "{raw}");
    }
    assert_eq!(plain_error("anything", Some(1)), words::ERR_DISK);
}

#[test]
fn the_handwriting_row_says_whether_residents_can_write_and_why_not() {
    use kiosk_app::SearchAdapter;
    // As installed: Zinnia, its model and the school-order templates.
    let k = demo();
    k.open_staff_panel();
    assert_eq!(k.staff_fact("手写输入"), "可用");

    // The templates missing: handwriting still works, less well; staff are
    // told, with the file in the details.
    let k = demo_with(|c| c.handwriting_templates = "/nonexistent/hanzi-templates.bin".into());
    k.open_staff_panel();
    assert_eq!(
        k.staff_fact("手写输入"),
        "可用，但缺少笔顺模板，部分常用字认不准"
    );
    let a = k.win.global::<StaffAdapter>();
    k.press("详细信息（运维用）");
    let details = rows(a.get_detail_facts());
    let raw = details
        .iter()
        .find(|f| f.label == "手写识别说明")
        .expect("the technical row");
    assert!(
        raw.value.contains("/nonexistent/hanzi-templates.bin"),
        "{raw:?}"
    );

    // The model missing: the row says what residents can use instead, the
    // details say which file and what to install.
    let k = demo_with(|c| c.handwriting_model = "/nonexistent/handwriting.model".into());
    k.open_staff_panel();
    let row = k.staff_fact("手写输入");
    assert_eq!(row, "不可用：缺少手写识别模型，群众只能用拼音和数字键盘");
    assert!(!k.find(&row).is_empty(), "shown on screen");
    let a = k.win.global::<StaffAdapter>();
    k.press("详细信息（运维用）");
    let raw = rows(a.get_detail_facts())
        .into_iter()
        .find(|f| f.label == "手写识别说明")
        .expect("the technical row");
    assert!(
        raw.value.contains("/nonexistent/handwriting.model")
            && raw.value.contains("tegaki-zinnia-simplified-chinese"),
        "{raw:?}"
    );

    // Residents see no message: the search page simply has no 手写 tab.
    k.press("退出管理");
    k.tap("搜索");
    assert_eq!(k.page(), PageId::Search);
    assert!(!k.win.global::<SearchAdapter>().get_handwriting_available());
    for text in ["手写", "手写输入", &row, "模型", "不可用"] {
        assert!(
            k.find(text).is_empty(),
            "{text:?} on the residents' search page"
        );
    }
}
