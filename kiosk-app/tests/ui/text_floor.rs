//! The text floor (issue 11): no text a resident can see is under 28 px at
//! 1080x1920 (about 14 mm of line height on a 43-inch panel), on any page,
//! in standard, big-text and high-contrast mode, and in landscape
//! (1920x1080, where the theme's scale `k` is 1 as well).
//!
//! Method: Slint's testing API (`ElementHandle`) can find elements but not
//! read their font size, so the walk goes over the window's live item tree
//! through the item types Slint's generated code itself uses
//! (`slint::private_unstable_api::re_exports`, pinned with slint =1.18.1):
//! every `Text` (a `SimpleText` or `ComplexText` item) and `TextInput` with
//! text in it has its `font-size` read, the size Slint renders it at.
//! Elements hidden with `visible: false` (Slint wraps them in a visibility
//! `Clip`) are skipped; everything else counts, including text scrolled out
//! of view, which a resident can scroll to. A font size of 0 means "the
//! window's default", which no resident text may rely on, and fails too.
//! Text baked into images (maps, plans, infographics) is not in the tree:
//! the demo image generator (kiosk-content/tools/make_demo_images.py)
//! draws no label under 28 px at the smallest scale the app shows an image
//! at, and `images_are_shown_big_enough` below checks those scales.

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use kiosk_app::{MainWindow, Theme};
use slint::ComponentHandle;
use slint::private_unstable_api::re_exports::{Clip, ComplexText, ItemRc, SimpleText, TextInput};

use crate::harness::demo;

/// 28 px at k = 1 (1080x1920 and 1920x1080).
const FLOOR: f32 = 28.0;

/// Every text run in the window that is not hidden: (text, font size).
pub fn text_runs(win: &MainWindow) -> Vec<(String, f32)> {
    let root = ItemRc::new_root(ElementRoot::item_tree(win));
    let mut out = Vec::new();
    walk(&root, &mut out, 0);
    out
}

fn walk(item: &ItemRc, out: &mut Vec<(String, f32)>, depth: usize) {
    assert!(depth < 400, "item tree deeper than 400: a cycle?");
    if let Some(clip) = item.downcast::<Clip>() {
        let clip = clip.as_pin_ref();
        if clip.is_visibility_clip() && clip.clip() {
            return; // `visible: false`
        }
    }
    if let Some(t) = item.downcast::<SimpleText>() {
        let t = t.as_pin_ref();
        out.push((t.text().to_string(), t.font_size().get()));
    } else if let Some(t) = item.downcast::<ComplexText>() {
        let t = t.as_pin_ref();
        out.push((t.text().to_string(), t.font_size().get()));
    } else if let Some(t) = item.downcast::<TextInput>() {
        let t = t.as_pin_ref();
        out.push((t.text().to_string(), t.font_size().get()));
    }
    let mut child = item.first_child();
    while let Some(c) = child {
        walk(&c, out, depth + 1);
        child = c.next_sibling();
    }
}

#[test]
fn no_text_on_any_page_or_mode_is_under_28_px() {
    let k = demo();
    let modes: [(&str, u32, u32, bool, bool); 5] = [
        ("portrait", 1080, 1920, false, false),
        ("portrait big text", 1080, 1920, true, false),
        ("portrait high contrast", 1080, 1920, false, true),
        ("landscape", 1920, 1080, false, false),
        ("landscape big text", 1920, 1080, true, false),
    ];
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for (mode, w, h, big, contrast) in modes {
        k.win.window().set_size(slint::PhysicalSize::new(w, h));
        let theme = k.win.global::<Theme>();
        theme.set_big_text(big);
        theme.set_high_contrast(contrast);
        for scene in kiosk_app::scenes::ALL {
            kiosk_app::scenes::enter(&k.win, &k.ctx, scene, None).expect("scene");
            // Repeaters and change handlers settle as before a frame.
            k.wait(std::time::Duration::from_millis(1));
            let runs: Vec<(String, f32)> = text_runs(&k.win)
                .into_iter()
                .filter(|(t, _)| !t.trim().is_empty())
                .collect();
            assert!(
                runs.len() >= 3,
                "{mode}, {scene}: only {} text runs found: {runs:?}",
                runs.len()
            );
            checked += runs.len();
            for (text, size) in runs {
                if size < FLOOR - 0.01 {
                    failures.push(format!("{mode}, {scene}: {size:.1} px {text:?}"));
                }
            }
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} text runs under {FLOOR} px (of {checked} checked):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The walk does see small text: the same check fails on a page whose
/// secondary lines are drawn at the theme's old 26 px.
#[test]
fn the_walk_reads_real_font_sizes() {
    let k = demo();
    kiosk_app::scenes::enter(&k.win, &k.ctx, "home", None).expect("scene");
    k.wait(std::time::Duration::from_millis(1));
    let runs = text_runs(&k.win);
    let tile_sub = runs
        .iter()
        .find(|(t, _)| t.replace('\n', "") == "带什么材料、去哪办")
        .expect("the guide tile's line");
    assert!((tile_sub.1 - 28.0).abs() < 0.01, "{tile_sub:?}");
    let title = runs
        .iter()
        .find(|(t, _)| t == "办事指南")
        .expect("the guide tile's title");
    assert!((title.1 - 42.0).abs() < 0.01, "{title:?}");
    // Big text multiplies by 1.3.
    k.win.global::<Theme>().set_big_text(true);
    k.wait(std::time::Duration::from_millis(1));
    let big = text_runs(&k.win);
    let tile_sub = big
        .iter()
        .find(|(t, _)| t.replace('\n', "") == "带什么材料、去哪办")
        .expect("the guide tile's line in big text");
    assert!((tile_sub.1 - 28.0 * 1.3).abs() < 0.01, "{tile_sub:?}");
}

/// Pictures with text in them are shown at least at the scale their
/// smallest label was drawn for: floor plans at 0.8 of their width (labels
/// of 36 px), infographics at 0.875 (32 px), the map at 0.58 (48 px), in
/// portrait and standard text; the map in landscape too (it scrolls up and
/// down there, the page being too low for all of it at that size).
#[test]
fn images_are_shown_big_enough() {
    let k = demo();
    let shown_width = |scene: &str, id: &str| -> f32 {
        kiosk_app::scenes::enter(&k.win, &k.ctx, scene, None).expect("scene");
        k.wait(std::time::Duration::from_millis(1));
        let images: Vec<ElementHandle> = ElementHandle::find_by_element_id(&k.win, id).collect();
        assert!(!images.is_empty(), "{scene}: no {id}");
        images
            .iter()
            .map(|e| e.size().width)
            .fold(f32::MAX, f32::min)
    };
    let plan_hall = shown_width("hall", "PlanView::img");
    assert!(plan_hall >= 0.8 * 1200.0, "hall plan {plan_hall} px wide");
    let plan_guide = shown_width("guide-window", "PlanView::img");
    assert!(
        plan_guide >= 0.8 * 1200.0,
        "guide plan {plan_guide} px wide"
    );
    let picture = shown_width("interpretation", "Picture::img");
    assert!(picture >= 0.875 * 1080.0, "infographic {picture} px wide");
    let map = shown_width("map", "MapView::img");
    assert!(map >= 28.0 / 48.0 * 1200.0, "map {map} px wide");
    k.win
        .window()
        .set_size(slint::PhysicalSize::new(1920, 1080));
    for scene in ["map", "map-place"] {
        let map = shown_width(scene, "MapView::img");
        assert!(
            map >= 28.0 / 48.0 * 1200.0,
            "landscape {scene}: map {map} px wide"
        );
    }
}
