//! Residents' tasks played from the home page with real taps (a pointer
//! press and release at what the screen shows), counting the taps
//! (issue 11): a guide's materials in at most 2, a map place's navigation
//! QR in at most 2, the disclosure application in 1. Scrolling a list to
//! a row is a swipe, not a tap, and is not counted.

use i_slint_backend_testing::ElementHandle;
use kiosk_app::scenes::demo as ids;
use kiosk_app::{MapAdapter, PageId};
use kiosk_content::Item;
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

use crate::harness::{Kiosk, demo, item, rows};

/// The screen's bottom edge above the nav bar, where content ends.
const CONTENT_BOTTOM: f32 = 1920.0 - 132.0;

struct Resident<'a> {
    k: &'a Kiosk,
    taps: usize,
}

impl<'a> Resident<'a> {
    fn new(k: &'a Kiosk) -> Self {
        Resident { k, taps: 0 }
    }

    /// Taps the element labelled `label` that is on screen, swiping the
    /// page's list up until it is.
    fn tap(&mut self, label: &str) {
        for _ in 0..30 {
            let on_screen = self.k.find(label).into_iter().find(|e| {
                let p = e.absolute_position();
                let s = e.size();
                s.width > 0.0 && p.y >= 0.0 && p.y + s.height / 2.0 < CONTENT_BOTTOM
            });
            if let Some(e) = on_screen {
                e.mock_single_click(PointerEventButton::Left);
                self.taps += 1;
                return;
            }
            let pane = ElementHandle::find_by_element_id(&self.k.win, "ScrollPane::flick")
                .max_by(|a, b| a.size().height.total_cmp(&b.size().height))
                .unwrap_or_else(|| panic!("{label:?} not on screen and nothing to swipe"));
            pane.scroll(0.0, -300.0);
        }
        panic!("{label:?} never came on screen on {:?}", self.k.page());
    }

    /// True when a text labelled `label` is on screen (not scrolled away).
    fn sees(&self, label: &str) -> bool {
        self.k.find(label).into_iter().any(|e| {
            let p = e.absolute_position();
            let s = e.size();
            s.width > 0.0 && p.y >= 0.0 && p.y + s.height <= CONTENT_BOTTOM
        })
    }
}

#[test]
fn a_guides_materials_are_two_taps_from_home() {
    let k = demo();
    k.start();
    let Item::Guide(g) = item(&k, ids::GUIDE) else {
        panic!("a guide")
    };
    let mut r = Resident::new(&k);
    r.tap("办事指南");
    r.tap(&g.meta.title);
    assert_eq!(k.page(), PageId::Guide);
    assert!(r.taps <= 2, "{} taps", r.taps);
    // The list of materials is on the screen the second tap opened.
    assert!(r.sees("申请材料（请带齐）"), "materials heading on screen");
    let first = &g.materials[0].name;
    assert!(r.sees(first), "first material {first:?} on screen");
}

#[test]
fn a_map_places_navigation_qr_is_two_taps_from_home() {
    let k = demo();
    k.start();
    let Item::Place(p) = item(&k, ids::PLACE) else {
        panic!("a place")
    };
    let mut r = Resident::new(&k);
    r.tap("便民地图");
    assert_eq!(k.page(), PageId::Map);
    // The place's numbered dot on the map.
    let number = rows(k.win.global::<MapAdapter>().get_markers())
        .iter()
        .find(|m| m.id == ids::PLACE)
        .map(|m| m.label.to_string())
        .expect("the place has a dot");
    r.tap(&number);
    assert!(r.taps <= 2, "{} taps", r.taps);
    assert!(k.win.global::<MapAdapter>().get_has_selection());
    assert_eq!(
        k.win.global::<MapAdapter>().get_sel_title(),
        p.meta.title.as_str()
    );
    let codes = k.visible_qr_codes();
    assert_eq!(codes.len(), 1, "{codes:?}");
    let (lon, lat) = (
        p.lon.expect("demo places have coordinates"),
        p.lat.expect("latitude"),
    );
    assert!(
        codes[0].starts_with(&format!(
            "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name="
        )),
        "{}",
        codes[0]
    );
    assert!(
        r.sees("扫码用手机地图导航"),
        "the caption says it navigates"
    );
}

#[test]
fn the_disclosure_application_is_one_tap_from_home() {
    let k = demo();
    k.start();
    let mut r = Resident::new(&k);
    r.tap("依申请公开");
    assert_eq!(r.taps, 1);
    assert_eq!(k.page(), PageId::Apply);
    let apply_url = k.ctx.content.borrow().bundle().apply_url.clone();
    assert_eq!(k.visible_qr_codes(), vec![apply_url]);
    assert!(
        r.sees("《政府信息公开申请表》"),
        "the form is named on screen"
    );
}

#[test]
fn an_attract_screen_notice_opens_that_notice() {
    let k = demo();
    assert_eq!(k.page(), PageId::Attract);
    let notices = rows(k.win.global::<kiosk_app::AttractAdapter>().get_notices());
    let first = notices.first().expect("the demo hall has notices");
    let mut r = Resident::new(&k);
    r.tap(&first.title);
    assert_eq!(r.taps, 1);
    assert_eq!(k.page(), PageId::Detail, "the band opened its notice");
    assert_eq!(
        k.win.global::<kiosk_app::DetailAdapter>().get_title(),
        first.title
    );
    // 返回 leads home, as after any other start.
    k.tap("返回");
    assert_eq!(k.page(), PageId::Home);
}
