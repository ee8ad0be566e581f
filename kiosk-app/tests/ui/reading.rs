//! Honest cues and big text (issue 11): what looks tappable is, what is
//! old says so, and big text drops nothing.

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementRoot};
use kiosk_app::context::Clock;
use kiosk_app::pages::village::period_end;
use kiosk_app::{GuideAdapter, HomeAdapter, PageId, Theme, VillageAdapter};
use slint::ComponentHandle;

use crate::harness::{demo, rows};

#[test]
fn guide_materials_are_a_numbered_list_not_boxes_that_do_nothing() {
    let k = demo();
    kiosk_app::scenes::enter(&k.win, &k.ctx, "guide", None).expect("scene");
    k.wait(std::time::Duration::from_millis(1));
    let materials = rows(k.win.global::<GuideAdapter>().get_materials());
    assert!(materials.len() >= 3);
    let items: Vec<ElementHandle> = k
        .win
        .root_element()
        .query_descendants()
        .match_accessible_role(AccessibleRole::ListItem)
        .find_all();
    let labels: Vec<String> = items
        .iter()
        .filter_map(|e| e.accessible_label().map(|l| l.to_string()))
        .collect();
    // Rows are made as they scroll into view: those made so far are the
    // first materials, in order.
    assert!(labels.len() >= 3, "{labels:?}");
    let names: Vec<String> = materials.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(labels[..], names[..labels.len()], "the materials, in order");
    // Nothing on the page is a checkbox, and no material is a button.
    let checkboxes = k
        .win
        .root_element()
        .query_descendants()
        .match_accessible_role(AccessibleRole::Checkbox)
        .find_all();
    assert!(checkboxes.is_empty(), "{} checkboxes", checkboxes.len());
    for m in &materials {
        let buttons: Vec<_> = k
            .find(&m.name)
            .into_iter()
            .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .collect();
        assert!(buttons.is_empty(), "{} looks tappable", m.name);
    }
}

#[test]
fn periods_end_in_the_month_they_cover() {
    assert_eq!(period_end("2021年第4季度"), Some((2021, 12)));
    assert_eq!(period_end("2021年第一季度"), Some((2021, 3)));
    assert_eq!(period_end("2021-06"), Some((2021, 6)));
    assert_eq!(period_end("2021年6月"), Some((2021, 6)));
    assert_eq!(period_end("2020年"), Some((2020, 12)));
    assert_eq!(period_end("2020年上半年"), Some((2020, 6)));
    assert_eq!(period_end("第4季度"), None);
    assert_eq!(period_end("2021-13"), None);
    assert_eq!(period_end("2021年第5季度"), None);
}

#[test]
fn old_village_figures_say_how_old_and_that_they_are_not_recent() {
    let k = demo();
    // The demo's newest village figures are for December 2021.
    let at = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date")
    };
    k.ctx.clock.set(Clock::Fixed(at(2026, 11, 23)));
    kiosk_app::scenes::enter(&k.win, &k.ctx, "village", None).expect("scene");
    let a = k.win.global::<VillageAdapter>();
    assert_eq!(a.get_as_of(), "数据截至2021年12月");
    assert!(a.get_stale());
    assert!(!k.find("数据截至2021年12月").is_empty(), "shown");
    assert!(!k.find("不是最新数据").is_empty(), "marked as not recent");
    // Four months after the period: recent, no mark.
    k.ctx.clock.set(Clock::Fixed(at(2022, 4, 10)));
    kiosk_app::scenes::enter(&k.win, &k.ctx, "village", None).expect("scene");
    assert_eq!(a.get_as_of(), "数据截至2021年12月");
    assert!(!a.get_stale());
    assert!(
        k.find("不是最新数据").is_empty(),
        "no mark on recent figures"
    );
}

/// Every text the page shows (not hidden), once each.
fn home_texts(k: &crate::harness::Kiosk) -> Vec<String> {
    let mut out: Vec<String> = crate::text_floor::text_runs(&k.win)
        .into_iter()
        // A tile's line split in two is still the same words.
        .map(|(t, _)| t.replace('\n', ""))
        .filter(|t| !t.trim().is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn big_text_keeps_every_tile_line_and_notice() {
    let k = demo();
    for (w, h) in [(1920, 1080), (1080, 1920)] {
        k.win.window().set_size(slint::PhysicalSize::new(w, h));
        k.win.global::<Theme>().set_big_text(false);
        kiosk_app::scenes::enter(&k.win, &k.ctx, "home", None).expect("scene");
        k.wait(std::time::Duration::from_millis(1));
        let standard = home_texts(&k);
        assert!(
            standard.contains(&"带什么材料、去哪办".to_string()),
            "{standard:?}"
        );
        let notices = rows(k.win.global::<HomeAdapter>().get_notices());
        assert!(
            standard.contains(&notices[0].title.to_string()),
            "{w}x{h}: a notice on the home page"
        );
        k.win.global::<Theme>().set_big_text(true);
        k.wait(std::time::Duration::from_millis(1));
        assert_eq!(k.page(), PageId::Home);
        let big = home_texts(&k);
        // The nav bar's 大字 button says 标准字 in big text.
        let lost: Vec<&String> = standard
            .iter()
            .filter(|t| !big.contains(t) && t.as_str() != "大字")
            .collect();
        assert!(lost.is_empty(), "{w}x{h}: big text drops {lost:?}");
    }
}

/// The tiles' lines under their titles: on one line where they fit, else
/// split where a reader pauses (按领域、年份 / 查文件), never with one
/// character left alone on a second line (big text used to leave 件, 懂,
/// 办 ... alone).
#[test]
fn tile_lines_never_leave_one_character_alone() {
    let k = demo();
    for (w, h, big) in [
        (1080, 1920, true),
        (1080, 1920, false),
        (1920, 1080, true),
        (1920, 1080, false),
    ] {
        k.win.window().set_size(slint::PhysicalSize::new(w, h));
        k.win.global::<Theme>().set_big_text(big);
        kiosk_app::scenes::enter(&k.win, &k.ctx, "home", None).expect("scene");
        k.wait(std::time::Duration::from_millis(1));
        let mode = format!("{w}x{h}{}", if big { " big text" } else { "" });
        let subs: Vec<(String, f32)> = ElementHandle::find_by_element_id(&k.win, "Tile::sub")
            .filter_map(|e| Some((e.accessible_label()?.to_string(), e.size().height)))
            .collect();
        // Tiles scrolled out of view are not found; those on screen are.
        assert!(subs.len() >= 9, "{mode}: {subs:?}");
        let line = subs.iter().map(|s| s.1).fold(f32::MAX, f32::min);
        let shown: Vec<String> = crate::text_floor::text_runs(&k.win)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        for (words, height) in &subs {
            let text = shown
                .iter()
                .find(|t| t.replace('\n', "") == *words)
                .unwrap_or_else(|| panic!("{mode}: {words} not shown"));
            let lines = text.split('\n').count();
            // Each part of the text is one line: nothing wrapped on its own.
            assert!(
                *height < line * (lines as f32 + 0.5),
                "{mode}: {text:?} takes {height} px, lines of {line} px: wrapped"
            );
            assert!(
                text.split('\n').all(|part| part.chars().count() >= 2),
                "{mode}: {text:?}"
            );
        }
        for words in [
            "按领域、年份查文件",
            "凭编号和查询码查询",
            "村级财务和惠民资金",
            "大厅和全县的公告",
        ] {
            let text = shown
                .iter()
                .find(|t| t.replace('\n', "") == words)
                .unwrap_or_else(|| panic!("{mode}: {words} not shown"));
            assert!(
                text.split('\n').all(|part| part.chars().count() >= 2),
                "{mode}: {text:?}"
            );
        }
        if big && h > w {
            // Portrait big text is where the lines are too long for one.
            assert!(
                shown.iter().any(|t| t == "按领域、年份\n查文件"),
                "{mode}: {shown:?}"
            );
        }
    }
}
