//! Map and floor-plan dots (issue 11): none overlaps another, none is
//! covered by the zoom buttons or leaves the picture, in every mode; the
//! map has a legend of its marker colours, and its "sketch" note is
//! readable (contrast at least 4.5:1).

use i_slint_backend_testing::ElementHandle;
use kiosk_app::pages::map::{Area, DotLayout, MAP_TITLE, PLAN_LAYOUT, map_layout, place_dots};
use kiosk_app::{MapAdapter, Theme};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo, rows};

/// Dots as the layout sees them: squares of `dot` px at k = 1.
fn assert_separated(dots: &[(f32, f32)], l: &DotLayout, avoid: &[Area], what: &str) {
    let half = l.dot / 2.0;
    for (i, &(x, y)) in dots.iter().enumerate() {
        let (px, py) = (x * l.width, y * l.height);
        assert!(
            px >= half - 0.01
                && py >= half - 0.01
                && px <= l.width - half + 0.01
                && py <= l.height - half + 0.01,
            "{what}: dot {} at ({px}, {py}) leaves the picture",
            i + 1
        );
        for a in avoid {
            let clear = px + half <= a.x0 * l.width + 0.01
                || px - half >= a.x1 * l.width - 0.01
                || py + half <= a.y0 * l.height + 0.01
                || py - half >= a.y1 * l.height - 0.01;
            assert!(clear, "{what}: dot {} covers {a:?}", i + 1);
        }
        for (j, &(x2, y2)) in dots.iter().enumerate().skip(i + 1) {
            let (qx, qy) = (x2 * l.width, y2 * l.height);
            let apart =
                (px - qx).abs() >= l.dot + l.gap - 0.01 || (py - qy).abs() >= l.dot + l.gap - 0.01;
            assert!(apart, "{what}: dots {} and {} overlap", i + 1, j + 1);
        }
    }
}

#[test]
fn dots_placed_in_rust_never_overlap() {
    let k = demo();
    let places = k.ctx.content.borrow().places(None).expect("places");
    assert!(places.len() >= 20, "the demo has its places");
    let anchors: Vec<(f32, f32)> = places.iter().map(|p| (p.map_x, p.map_y)).collect();
    for (landscape, big) in [(false, false), (false, true), (true, false), (true, true)] {
        let layout = map_layout(landscape, big);
        let dots = place_dots(&anchors, &layout, &[MAP_TITLE]);
        assert_eq!(dots.len(), anchors.len());
        assert_separated(&dots, &layout, &[MAP_TITLE], "demo map");
        // Dots stay near their places: none moved more than four dots away.
        for ((ax, ay), (x, y)) in anchors.iter().zip(&dots) {
            let d = (((x - ax) * layout.width).powi(2) + ((y - ay) * layout.height).powi(2)).sqrt();
            assert!(
                d <= layout.dot * 4.0,
                "moved {d} px (landscape: {landscape}, big: {big})"
            );
        }
    }
    // A crowd on one spot, in a corner, and on the edge spreads out.
    let crowd: Vec<(f32, f32)> = (0..12)
        .map(|i| {
            if i < 6 {
                (0.5, 0.5)
            } else if i < 9 {
                (0.0, 0.0)
            } else {
                (1.0, 0.99)
            }
        })
        .collect();
    let spread = place_dots(&crowd, &map_layout(true, true), &[MAP_TITLE]);
    assert_separated(&spread, &map_layout(true, true), &[MAP_TITLE], "crowd");
    // Windows of every demo hall's plan.
    for hall in &k.ctx.content.borrow().bundle().halls {
        let anchors: Vec<(f32, f32)> = hall.windows.iter().map(|w| (w.x, w.y)).collect();
        let dots = place_dots(&anchors, &PLAN_LAYOUT, &[]);
        assert_separated(&dots, &PLAN_LAYOUT, &[], &hall.name);
    }
}

struct Rect {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Rect {
    fn of(e: &ElementHandle) -> Rect {
        let p = e.absolute_position();
        let s = e.size();
        Rect {
            x: p.x,
            y: p.y,
            w: s.width,
            h: s.height,
        }
    }
    fn intersects(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    fn inside(&self, o: &Rect) -> bool {
        self.x >= o.x - 0.5
            && self.y >= o.y - 0.5
            && self.x + self.w <= o.x + o.w + 0.5
            && self.y + self.h <= o.y + o.h + 0.5
    }
}

/// The rendered dots of the page: none overlaps, none is under a zoom
/// button, all are inside `picture`.
fn check_rendered_dots(k: &Kiosk, picture_id: &str, what: &str) -> Vec<String> {
    k.wait(std::time::Duration::from_millis(1));
    let picture = ElementHandle::find_by_element_id(&k.win, picture_id)
        .next()
        .unwrap_or_else(|| panic!("{what}: no {picture_id}"));
    let area = Rect::of(&picture);
    let dots: Vec<(String, Rect)> = ElementHandle::find_by_element_type_name(&k.win, "MarkerDot")
        .map(|e| {
            (
                e.accessible_label().unwrap_or_default().to_string(),
                Rect::of(&e),
            )
        })
        .filter(|(_, r)| r.w > 0.0)
        .collect();
    assert!(!dots.is_empty(), "{what}: no dots");
    let buttons: Vec<Rect> = ["放大", "缩小"]
        .iter()
        .flat_map(|l| k.find(l))
        .map(|e| Rect::of(&e))
        .collect();
    for (i, (label, r)) in dots.iter().enumerate() {
        assert!(r.inside(&area), "{what}: dot {label} leaves the picture");
        for b in &buttons {
            assert!(
                !r.intersects(b),
                "{what}: dot {label} is under a zoom button"
            );
        }
        for (label2, r2) in dots.iter().skip(i + 1) {
            assert!(
                !r.intersects(r2),
                "{what}: dots {label} and {label2} overlap"
            );
        }
    }
    dots.into_iter().map(|(label, _)| label).collect()
}

#[test]
fn rendered_map_and_plan_dots_do_not_overlap_in_any_mode() {
    let k = demo();
    for (mode, w, h, big) in [
        ("portrait", 1080, 1920, false),
        ("portrait big text", 1080, 1920, true),
        ("landscape", 1920, 1080, false),
        ("landscape big text", 1920, 1080, true),
    ] {
        k.win.window().set_size(slint::PhysicalSize::new(w, h));
        k.win.global::<Theme>().set_big_text(big);
        kiosk_app::scenes::enter(&k.win, &k.ctx, "map", None).expect("scene");
        let mut seen: std::collections::BTreeSet<String> =
            check_rendered_dots(&k, "MapView::img", &format!("map, {mode}"))
                .into_iter()
                .collect();
        if w > h {
            // In landscape the map, at a readable size, is taller than the
            // view: the rest of it, moved up as a finger would.
            let a = k.win.global::<MapAdapter>();
            a.set_focus_x(0.5);
            a.set_focus_y(1.0);
            a.set_focus_key(a.get_focus_key().wrapping_add(1));
            seen.extend(check_rendered_dots(
                &k,
                "MapView::img",
                &format!("map, {mode}, moved up"),
            ));
        }
        assert_eq!(
            seen.len(),
            rows(k.win.global::<MapAdapter>().get_places()).len(),
            "{mode}: a dot per place {seen:?}"
        );
        assert!(!k.find("放大").is_empty(), "{mode}: zoom buttons shown");
        kiosk_app::scenes::enter(&k.win, &k.ctx, "hall", None).expect("scene");
        check_rendered_dots(&k, "PlanView::img", &format!("hall, {mode}"));
        // The guide's plan numbers every window too, placed the same way.
        kiosk_app::scenes::enter(&k.win, &k.ctx, "guide-window", None).expect("scene");
        check_rendered_dots(&k, "PlanView::img", &format!("guide plan, {mode}"));
    }
}

#[test]
fn the_map_has_a_legend_for_every_marker_colour() {
    let k = demo();
    kiosk_app::scenes::enter(&k.win, &k.ctx, "map", None).expect("scene");
    let a = k.win.global::<MapAdapter>();
    let legend = rows(a.get_legend());
    let mut tones: Vec<i32> = rows(a.get_markers()).iter().map(|m| m.tone).collect();
    tones.sort();
    tones.dedup();
    let mut legend_tones: Vec<i32> = legend.iter().map(|e| e.tone).collect();
    legend_tones.sort();
    assert_eq!(
        legend_tones, tones,
        "one legend line per colour: {legend:?}"
    );
    for e in &legend {
        assert!(
            !k.find(&e.title).is_empty(),
            "legend line {:?} on screen",
            e.title
        );
    }
    // Every category with places is named in the legend.
    let text: String = legend.iter().map(|e| e.title.to_string()).collect();
    for c in ["政务服务", "医疗卫生", "公安", "银行"] {
        assert!(text.contains(c), "{c} in {text}");
    }
    assert!(
        !k.find("示意图，不作为测绘依据").is_empty(),
        "the sketch note is shown"
    );
}

/// WCAG 2 relative luminance contrast.
fn contrast(a: slint::Color, b: slint::Color) -> f32 {
    fn lum(c: slint::Color) -> f32 {
        let ch = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())
    }
    let (la, lb) = (lum(a), lum(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn the_sketch_note_and_dot_numbers_meet_4_5_to_1() {
    let k = demo();
    for contrast_mode in [false, true] {
        let t = k.win.global::<Theme>();
        t.set_high_contrast(contrast_mode);
        // The note: text-muted on the legend panel (surface).
        let note = contrast(t.get_text_muted(), t.get_surface());
        assert!(
            note >= 4.5,
            "note contrast {note:.2} (high contrast: {contrast_mode})"
        );
        // The legend's category names: text on surface.
        let names = contrast(t.get_text(), t.get_surface());
        assert!(names >= 4.5, "legend contrast {names:.2}");
        // A dot's number (white, or black in high contrast) on its colour.
        let label = if contrast_mode {
            slint::Color::from_rgb_u8(0, 0, 0)
        } else {
            slint::Color::from_rgb_u8(255, 255, 255)
        };
        for tone in 0..=4 {
            let bg = t.invoke_tone_fg(tone);
            let c = contrast(label, bg);
            assert!(
                c >= 4.5,
                "dot number on tone {tone}: {c:.2} (high contrast: {contrast_mode})"
            );
        }
    }
}
