//! A USB import's result, announced over whatever is on screen, from the
//! status of a stand-in kiosk-sync on a temporary socket.

use std::time::Duration;

use chrono::TimeZone;
use i_slint_backend_testing::ElementHandle;
use kiosk_app::imports::BANNER_FOR;
use kiosk_app::{Nav, PageId, strings};
use kiosk_content::control::{ImportRecord, SyncStatus};
use slint::ComponentHandle;

use crate::harness::{FakeDaemon, Kiosk, demo, rows};

fn import(minute: u32, ok: bool, generation: Option<u64>, message: &str) -> ImportRecord {
    ImportRecord {
        source: "/run/kiosk-usb/current".into(),
        finished_at: chrono::Utc
            .with_ymd_and_hms(2026, 3, 16, 9, minute, 0)
            .single()
            .expect("valid time"),
        ok,
        generation,
        message: message.into(),
    }
}

fn status(last_import: Option<ImportRecord>) -> SyncStatus {
    SyncStatus {
        generation: Some(1),
        last_import,
        ..Default::default()
    }
}

/// A demo kiosk and a daemon reporting `last_import`, after the app's
/// first look at it.
fn kiosk_and_daemon(last_import: Option<ImportRecord>) -> (Kiosk, FakeDaemon) {
    let k = demo();
    let daemon = FakeDaemon::start(&k.ctx.config.control_socket, status(last_import));
    poll(&k);
    (k, daemon)
}

/// A kiosk on its home page, after the daemon (with no import at first)
/// reported `record` as just finished.
fn after_an_import(record: ImportRecord) -> Kiosk {
    let (k, daemon) = kiosk_and_daemon(None);
    k.start();
    daemon.set_status(status(Some(record)));
    poll(&k);
    k
}

/// One status poll's worth of (mock) time.
fn poll(k: &Kiosk) {
    k.wait(Duration::from_secs(k.ctx.config.status_poll_secs));
}

fn banner(k: &Kiosk) -> String {
    k.win.global::<Nav>().get_banner_text().to_string()
}

#[test]
fn an_import_already_there_at_start_is_not_announced_a_new_one_is_and_a_tap_hides_it() {
    let (k, daemon) = kiosk_and_daemon(Some(import(1, true, Some(1), "ok")));
    for _ in 0..3 {
        poll(&k);
        assert_eq!(banner(&k), "", "the import from before start-up");
    }
    daemon.set_status(status(Some(import(2, true, Some(2), "已应用第 2 代内容"))));
    poll(&k);
    let text = "U盘内容已导入，屏幕上的信息已更新。";
    assert_eq!(banner(&k), text);
    assert_eq!(k.win.global::<Nav>().get_banner_tone(), 1);
    assert_eq!(k.page(), PageId::Attract, "over the attract screen");
    // The attract screen starts a session on any tap; a tap on the banner
    // only hides the banner.
    k.tap(text);
    assert_eq!(banner(&k), "");
    assert_eq!(
        k.page(),
        PageId::Attract,
        "nothing under the banner pressed"
    );
    poll(&k);
    assert_eq!(banner(&k), "", "announced once");
}

#[test]
fn a_failed_import_is_announced_over_the_page_leaves_the_nav_bar_free_and_goes_after_its_time() {
    let why = "import from /run/kiosk-usb/current: root.json: signature threshold not met";
    let k = after_an_import(import(3, false, None, why));
    // Residents see that nothing changed; the reason is for staff.
    let text = "U盘导入失败，本机内容没有改变。原因请在工作人员管理中查看。";
    assert_eq!(banner(&k), text);
    assert_eq!(k.win.global::<Nav>().get_banner_tone(), 3);
    let b = k.button(text);
    let home = k.button("首页");
    assert!(
        b.absolute_position().y + b.size().height < home.absolute_position().y,
        "the banner ends above the nav bar"
    );
    k.wait(BANNER_FOR - Duration::from_secs(1));
    assert_eq!(banner(&k), text, "still there");
    k.wait(Duration::from_secs(2));
    assert_eq!(banner(&k), "", "gone after its time");
    assert_eq!(k.page(), PageId::Home);
    k.open_staff_panel();
    // The row says in plain words what failed; the daemon's own (English)
    // reason is behind 详细信息.
    let row = k.staff_fact(strings::staff::LAST_IMPORT);
    assert!(
        row.contains("签名校验"),
        "the staff panel says what failed: {row}"
    );
    assert!(!row.contains(why), "no technical text on the row: {row}");
    k.press("详细信息（运维用）");
    let details = rows(k.win.global::<kiosk_app::StaffAdapter>().get_detail_facts());
    assert!(
        details.iter().any(|f| f.value.contains(why)),
        "the details give the daemon's reason: {details:?}"
    );
}

#[test]
fn a_stick_with_nothing_newer_says_so_and_the_staff_panel_shows_the_last_import() {
    let k = after_an_import(import(4, true, None, "U盘中的内容（第 1 版）不比本机新"));
    assert_eq!(banner(&k), "U盘中的内容不比本机新，未更新。");
    // A tap on the banner over the home page's search box opens no search.
    k.tap(&banner(&k));
    assert_eq!(k.page(), PageId::Home);
    k.open_staff_panel();
    let row = k.staff_fact(strings::staff::LAST_IMPORT);
    assert!(row.ends_with("U盘内容不比本机新，未更新"), "{row}");
    assert!(row.starts_with("2026-03-16"), "{row}");
}

#[test]
fn without_a_daemon_the_kiosk_stays_quiet() {
    let k = demo();
    k.start();
    for _ in 0..5 {
        poll(&k);
    }
    assert_eq!(banner(&k), "");
    assert!(
        ElementHandle::find_by_accessible_label(&k.win, "轻触关闭")
            .next()
            .is_none()
    );
    assert_eq!(k.page(), PageId::Home);
}
