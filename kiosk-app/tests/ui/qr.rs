//! Each QR code the app shows decodes, from the rendered pixels, back to
//! the URL it is meant to open.

use kiosk_app::nav::Route;
use kiosk_app::scenes::demo as ids;
use kiosk_app::{ApplyAdapter, DetailAdapter, GuideAdapter, MapAdapter, PageId, app};
use kiosk_content::Item;
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo, item, rows};

fn item_url(k: &Kiosk, id: &str) -> String {
    k.ctx.content.borrow().bundle().item_url(id)
}

#[test]
fn a_policy_qr_opens_the_policy() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item(ids::POLICY.into()));
    assert_eq!(k.page(), PageId::Detail);
    assert_eq!(k.visible_qr_codes(), vec![item_url(&k, ids::POLICY)]);
    assert_eq!(
        k.win.global::<DetailAdapter>().get_qr_url(),
        item_url(&k, ids::POLICY)
    );
}

#[test]
fn a_guide_qr_opens_its_online_form() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item(ids::GUIDE.into()));
    let Item::Guide(g) = item(&k, ids::GUIDE) else {
        panic!("a guide")
    };
    let expected = g
        .online_url
        .clone()
        .unwrap_or_else(|| item_url(&k, ids::GUIDE));
    assert_eq!(k.visible_qr_codes(), vec![expected.clone()]);
    assert_eq!(k.win.global::<GuideAdapter>().get_qr_url(), expected);
}

#[test]
fn the_application_form_qr_opens_the_apply_url() {
    let k = demo();
    k.start();
    k.tap("依申请公开");
    assert_eq!(k.page(), PageId::Apply);
    let apply_url = k.ctx.content.borrow().bundle().apply_url.clone();
    assert_eq!(k.visible_qr_codes(), vec![apply_url.clone()]);
    assert_eq!(k.win.global::<ApplyAdapter>().get_qr_url(), apply_url);
}

#[test]
fn an_open_consultation_shows_a_comment_qr_and_the_item_qr() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item(ids::CONSULTATION.into()));
    let Item::Consultation(c) = item(&k, ids::CONSULTATION) else {
        panic!("a consultation")
    };
    let mut expected = vec![c.submit_url.clone(), item_url(&k, ids::CONSULTATION)];
    expected.sort();
    assert_eq!(k.visible_qr_codes(), expected);
}

#[test]
fn an_enterprise_policy_qr_opens_its_online_declaration() {
    let k = demo();
    k.start();
    app::go(&k.win, &k.ctx, Route::Item(ids::ENTERPRISE.into()));
    let Item::Enterprise(e) = item(&k, ids::ENTERPRISE) else {
        panic!("an enterprise policy")
    };
    let mut expected = vec![item_url(&k, ids::ENTERPRISE)];
    if let Some(u) = &e.online_url {
        expected.push(u.clone());
    }
    expected.sort();
    assert_eq!(k.visible_qr_codes(), expected);
}

#[test]
fn a_map_place_card_shows_hours_phone_and_a_qr_to_navigate() {
    let k = demo();
    k.start();
    k.tap("便民地图");
    assert_eq!(k.page(), PageId::Map);
    let a = k.win.global::<MapAdapter>();
    let first = rows(a.get_places()).into_iter().next().expect("places");
    k.tap(&first.title);
    assert!(a.get_has_selection());
    let Item::Place(p) = item(&k, &first.id) else {
        panic!("a place")
    };
    let facts = rows(a.get_sel_facts());
    assert!(
        facts.iter().any(|f| f.value == p.hours.as_str()),
        "{facts:?}"
    );
    assert!(
        facts.iter().any(|f| f.value == p.phone.as_str()),
        "{facts:?}"
    );
    // Every demo place has coordinates: the code, read from the screen's
    // pixels, is Amap's marker link with the place's longitude, latitude
    // and name (GCJ-02), which a phone opens in its map app to navigate.
    let (lon, lat) = (p.lon.expect("longitude"), p.lat.expect("latitude"));
    let expected = format!(
        "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name={}&coordinate=gaode&callnative=1",
        kiosk_app::text::url_encode(&p.meta.title)
    );
    assert_eq!(k.visible_qr_codes(), vec![expected.clone()]);
    assert_eq!(a.get_sel_qr_url(), expected);
    assert_eq!(a.get_sel_qr_caption(), kiosk_app::strings::QR_NAVIGATE);
    // A place without coordinates: the code opens its page, and the
    // caption says so rather than promising navigation.
    let mut unlocated = p.clone();
    unlocated.lon = None;
    unlocated.lat = None;
    assert_eq!(
        kiosk_app::pages::map::navigation_url(&k.ctx, &unlocated),
        item_url(&k, &p.meta.id)
    );
    assert_eq!(
        kiosk_app::pages::map::qr_caption(&unlocated),
        kiosk_app::strings::QR_PLACE_PAGE
    );
    assert!(!kiosk_app::strings::QR_PLACE_PAGE.contains("导航"));
    k.tap("关闭");
    assert!(!a.get_has_selection());
}

#[test]
fn qr_codes_stay_readable_in_landscape_and_big_text() {
    let k = demo();
    k.win
        .window()
        .set_size(slint::PhysicalSize::new(1920, 1080));
    k.start();
    k.tap("大字");
    app::go(&k.win, &k.ctx, Route::Item(ids::GUIDE.into()));
    assert_eq!(k.visible_qr_codes().len(), 1);
}
