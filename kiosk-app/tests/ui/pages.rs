//! Every page opens from the home page, with back and home on it, and
//! shows what its adapter was given.

use kiosk_app::{
    CatalogAdapter, GuideAdapter, HallAdapter, ListAdapter, Nav, PageId, Theme, VillageAdapter,
    strings,
};
use slint::ComponentHandle;

use crate::harness::{demo, rows};

#[test]
fn every_home_tile_opens_its_page_with_back_and_home() {
    let k = demo();
    k.start();
    let tiles = [
        ("政策文件", PageId::List),
        ("政策解读", PageId::List),
        ("办事指南", PageId::List),
        ("办事进度", PageId::Progress),
        ("便民地图", PageId::Map),
        ("大厅导航", PageId::Hall),
        ("依申请公开", PageId::Apply),
        ("公开目录", PageId::Catalog),
        ("惠企政策", PageId::List),
        ("意见征集", PageId::List),
        ("村务公开", PageId::Village),
        ("公告通知", PageId::List),
    ];
    for (tile, page) in tiles {
        k.tap(tile);
        assert_eq!(k.page(), page, "{tile}");
        assert!(
            k.win.global::<Nav>().get_can_go_back(),
            "{tile}: back works"
        );
        assert!(
            !k.find("返回").is_empty() && !k.find("首页").is_empty(),
            "{tile}: back and home shown"
        );
        assert!(
            !k.find("大字").is_empty() && !k.find("高对比").is_empty(),
            "{tile}: modes one tap away"
        );
        k.tap("首页");
        assert_eq!(k.page(), PageId::Home);
    }
}

#[test]
fn a_guide_shows_its_materials_and_prints_the_checklist_without_waiting() {
    let k = demo();
    k.start();
    k.tap("办事指南");
    k.press("最低生活保障申请");
    assert_eq!(k.page(), PageId::Guide);
    let g = k.win.global::<GuideAdapter>();
    let materials: Vec<String> = rows(g.get_materials())
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert!(materials.iter().any(|m| m == "居民身份证"), "{materials:?}");
    assert!(!rows(g.get_steps()).is_empty());
    assert!(
        rows(g.get_facts())
            .iter()
            .any(|f| f.value.contains("1号窗口"))
    );
    // Every window is numbered on the plan, as over the hall's windows;
    // only this guide's is ringed and blue, the others grey.
    let marks = rows(g.get_plan_markers());
    assert_eq!(marks.len(), 12, "every window of the demo hall is numbered");
    let ringed: Vec<(String, i32)> = marks
        .iter()
        .filter(|m| m.selected)
        .map(|m| (m.label.to_string(), m.tone))
        .collect();
    assert_eq!(ringed, [("1".to_string(), 4)], "the guide's own window");
    assert!(marks.iter().filter(|m| !m.selected).all(|m| m.tone == 0));
    let mut labels: Vec<String> = marks.iter().map(|m| m.label.to_string()).collect();
    labels.sort_by_key(|l| l.parse::<u32>().unwrap_or(0));
    assert_eq!(labels, (1..=12).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(g.get_plan_missing(), "");
    let notes = rows(g.get_notes());
    assert!(!notes.is_empty(), "the guide's 注意事项");
    assert_ne!(
        notes[0].text.as_str(),
        strings::NOTES_TITLE,
        "the body's own 注意事项 heading is not shown under the page's"
    );

    k.tap("打印材料清单");
    let slips = k.printer.slips.borrow().clone();
    assert_eq!(slips.len(), 1);
    let slip = &slips[0];
    assert_eq!(slip.county, "示范县");
    assert_eq!(slip.title, "最低生活保障申请");
    assert!(slip.checklist.iter().any(|c| c.starts_with("居民身份证")));
    assert_eq!(slip.window, "1号窗口（社会救助窗口）");
    assert_eq!(
        slip.hours, "周一至周五 上午9:00-12:00 下午13:30-17:30",
        "the hall's hours"
    );
    assert_eq!(slip.qr_url, g.get_qr_url().as_str());
    assert_eq!(g.get_print_message(), strings::PRINT_SENT);
    // The job's end comes back on the printer timer.
    k.wait(std::time::Duration::from_secs(1));
    assert_eq!(g.get_print_message(), strings::PRINT_DONE);
}

#[test]
fn a_printer_out_of_paper_is_shown_and_the_button_is_off() {
    let k = demo();
    *k.printer.state.borrow_mut() = Some(kiosk_app::printing::PrinterView {
        label: "缺纸".into(),
        tone: 3,
        can_print: false,
        staff_detail: "缺纸：请装入新纸卷".into(),
    });
    k.start();
    kiosk_app::app::go(
        &k.win,
        &k.ctx,
        kiosk_app::nav::Route::Item("dibao-shenqing".into()),
    );
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), "缺纸");
    assert!(!g.get_can_print());
    k.tap("打印材料清单");
    assert!(k.printer.slips.borrow().is_empty());
}

#[test]
fn the_policy_list_filters_by_domain_and_validity() {
    let k = demo();
    k.start();
    k.tap("政策文件");
    let a = k.win.global::<ListAdapter>();
    let all = rows(a.get_rows()).len();
    let filters = rows(a.get_filters());
    let titles: Vec<String> = filters.iter().map(|f| f.title.to_string()).collect();
    assert_eq!(titles, ["领域", "发布机构", "年份", "效力"]);
    // Open the domain filter and pick 社会救助.
    k.tap("领域：全部");
    let chips = rows(filters[0].chips.clone());
    let (i, chip) = chips
        .iter()
        .enumerate()
        .find(|(_, c)| c.label.starts_with("社会救助"))
        .expect("社会救助 chip");
    k.press(&chip.label);
    let filtered = rows(a.get_rows());
    assert!(
        !filtered.is_empty() && filtered.len() < all,
        "{} of {all}",
        filtered.len()
    );
    assert!(
        rows(rows(a.get_filters())[0].chips.clone())
            .get(i)
            .is_some_and(|c| c.selected)
    );
    // Only expired ones.
    k.tap("效力：全部");
    k.press("已失效");
    for r in rows(a.get_rows()) {
        assert!(
            r.badge == "已失效" || r.badge == "已修订" || r.badge == "已废止",
            "{} {}",
            r.title,
            r.badge
        );
    }
}

/// Opens the list behind a home tile and checks its order: open ones
/// first, then not yet open, then closed, each newest first.
fn open_ones_come_first(tile: &str, kind: kiosk_content::ItemKind, open_badge: &str) {
    use kiosk_content::ItemStatus;
    use kiosk_content::store::ListQuery;
    let k = demo();
    k.start();
    k.tap(tile);
    let shown: Vec<(String, String)> = rows(k.win.global::<ListAdapter>().get_rows())
        .iter()
        .map(|r| (r.id.to_string(), r.badge.to_string()))
        .collect();
    let store = k
        .ctx
        .content
        .borrow()
        .list(&ListQuery {
            kind: Some(kind),
            ..Default::default()
        })
        .expect("list");
    let rank = |s: ItemStatus| match s {
        ItemStatus::Current => 0,
        ItemStatus::Upcoming => 1,
        _ => 2,
    };
    let keys: Vec<_> = shown
        .iter()
        .map(|(id, _)| {
            let s = store
                .iter()
                .find(|s| &s.id == id)
                .expect("row in the store");
            (rank(s.status), std::cmp::Reverse(s.date))
        })
        .collect();
    assert!(keys.is_sorted(), "{tile}: {shown:?} in the order {keys:?}");
    assert!(shown.iter().any(|(_, b)| b == open_badge), "{shown:?}");
    assert!(shown.iter().any(|(_, b)| b == "已截止"), "{shown:?}");
    assert_eq!(shown.len(), store.len(), "{tile}: every item listed");
}

#[test]
fn enterprise_policies_list_open_ones_first_each_newest_first() {
    open_ones_come_first(
        "惠企政策",
        kiosk_content::ItemKind::EnterprisePolicy,
        "申报中",
    );
}

#[test]
fn consultations_list_open_ones_first_each_newest_first() {
    open_ones_come_first("意见征集", kiosk_content::ItemKind::Consultation, "征集中");
}

#[test]
fn the_hall_plan_shows_windows_and_what_each_handles() {
    let k = demo();
    k.start();
    k.tap("大厅导航");
    let h = k.win.global::<HallAdapter>();
    assert_eq!(h.get_hall_name(), "城关镇便民服务中心");
    assert_eq!(rows(h.get_markers()).len(), 12);
    k.press("1号窗口（社会救助窗口）");
    let guides: Vec<String> = rows(h.get_guides())
        .iter()
        .map(|g| g.title.to_string())
        .collect();
    assert!(guides.iter().any(|g| g == "最低生活保障申请"), "{guides:?}");
    k.press("最低生活保障申请");
    assert_eq!(k.page(), PageId::Guide);
    // On the guide's plan every window has its number; tapping another
    // window's number opens the hall at that window.
    let g = k.win.global::<GuideAdapter>();
    g.invoke_show_hall("5".into());
    assert_eq!(k.page(), PageId::Hall);
    let ringed: Vec<String> = rows(h.get_markers())
        .iter()
        .filter(|m| m.selected)
        .map(|m| m.label.to_string())
        .collect();
    assert_eq!(ringed, ["5"]);
    k.tap("返回");
    assert_eq!(k.page(), PageId::Guide);
    // 查看大厅导航 (below the plan).
    g.invoke_show_hall("".into());
    let ringed: Vec<String> = rows(h.get_markers())
        .iter()
        .filter(|m| m.selected)
        .map(|m| m.label.to_string())
        .collect();
    assert_eq!(ringed, ["1"], "the button opens the guide's own window");
}

#[test]
fn the_catalog_lists_all_26_domains() {
    let k = demo();
    k.start();
    k.tap("公开目录");
    let c = k.win.global::<CatalogAdapter>();
    let domains = rows(c.get_domains());
    assert_eq!(domains.len(), 26);
    assert!(
        domains.iter().all(|d| !d.label.ends_with("（0）")),
        "every domain has entries"
    );
    k.press(&domains[11].label);
    assert_eq!(c.get_selected_title(), "社会救助");
    let entries = rows(c.get_entries());
    assert!(!entries.is_empty());
    k.press(&entries[0].title);
    assert_eq!(k.page(), PageId::Detail);
}

#[test]
fn village_affairs_show_finance_and_assistance_for_the_station_village() {
    let k = crate::harness::demo_with(|c| c.village = "dongshan".into());
    k.start();
    assert_eq!(k.win.global::<Nav>().get_hall_name(), "东山村便民服务站");
    k.tap("村务公开");
    let v = k.win.global::<VillageAdapter>();
    assert!(
        rows(v.get_villages()).is_empty(),
        "a village station shows only its village"
    );
    assert_eq!(v.get_title(), "东山村村务公开");
    assert!(!rows(v.get_finance()).is_empty());
    assert!(
        rows(v.get_finance_totals())
            .iter()
            .any(|f| f.label == "收入合计")
    );
    k.tap("救助和补贴");
    let table = rows(v.get_assistance());
    assert!(table.iter().any(|r| r.tone == 4), "subtotals");
}

#[test]
fn big_text_and_high_contrast_are_one_tap_from_every_page() {
    let k = demo();
    k.start();
    k.tap("办事进度");
    k.tap("大字");
    assert!(k.win.global::<Theme>().get_big_text());
    k.tap("高对比");
    assert!(k.win.global::<Theme>().get_high_contrast());
    k.tap("标准字");
    k.tap("标准色");
    assert!(!k.win.global::<Theme>().get_big_text());
    assert!(!k.win.global::<Theme>().get_high_contrast());
}

/// 15 mm on a 43-inch 16:9 screen in portrait (1080 px across 535 mm) is
/// about 30.3 px: every button on every page is at least that, both ways.
#[test]
fn every_button_is_at_least_15_mm_on_a_43_inch_screen() {
    use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementRoot};
    const MIN_PX: f32 = 15.0 / (535.5 / 1080.0);
    let k = demo();
    for scene in kiosk_app::scenes::ALL {
        kiosk_app::scenes::enter(&k.win, &k.ctx, scene, None).expect("scene");
        let buttons: Vec<ElementHandle> = k
            .win
            .root_element()
            .query_descendants()
            .match_accessible_role(AccessibleRole::Button)
            .find_all();
        assert!(!buttons.is_empty(), "{scene}: no buttons?");
        for b in buttons {
            let s = b.size();
            if s.width == 0.0 || s.height == 0.0 {
                continue; // not laid out (hidden)
            }
            assert!(
                s.width >= MIN_PX && s.height >= MIN_PX,
                "{scene}: button {:?} is {}x{} px",
                b.accessible_label(),
                s.width,
                s.height
            );
        }
    }
}

/// A page whose content fits on the screen has the same margin left and
/// right: the scroll bar's room is taken only when there is something to
/// scroll.
#[test]
fn pages_that_fit_have_equal_margins_left_and_right() {
    use i_slint_backend_testing::ElementHandle;
    let k = demo();
    let mut fitting = Vec::new();
    for scene in [
        "progress",
        "catalog-domain",
        "catalog-entry",
        "notices",
        "staff",
        "apply",
        "guide",
    ] {
        kiosk_app::scenes::enter(&k.win, &k.ctx, scene, None).expect("scene");
        k.wait(std::time::Duration::from_millis(1));
        let panes: Vec<_> =
            ElementHandle::find_by_element_id(&k.win, "ScrollPane::flick").collect();
        let contents: Vec<_> =
            ElementHandle::find_by_element_id(&k.win, "ScrollPane::lay").collect();
        assert_eq!(panes.len(), contents.len(), "{scene}");
        for (pane, content) in panes.iter().zip(&contents) {
            let left = pane.absolute_position().x;
            let right = 1080.0 - left - pane.size().width;
            if content.size().height <= pane.size().height + 1.0 {
                assert!(
                    (left - right).abs() < 1.0,
                    "{scene}: margins {left} left, {right} right"
                );
                fitting.push(scene);
            } else {
                assert!(right > left, "{scene} scrolls: room for the bar");
            }
        }
    }
    assert!(fitting.len() >= 3, "pages that fit: {fitting:?}");
    assert!(!fitting.contains(&"guide"), "the guide page scrolls");
}
