//! 便民地图: places on the bundle's map image, filtered by category; a tap
//! opens a card with hours, phone and a QR code a phone opens to navigate.

use std::rc::Rc;

use kiosk_content::{Place, PlaceCategory, StoreError};
use slint::{ComponentHandle, Image};

use super::{facts, model, row, show_page};
use crate::context::{AppContext, Handle};
use crate::strings as zh;
use crate::text::url_encode;
use crate::{Chip, MainWindow, MapAdapter, Marker, PageId};

#[derive(Debug, Default)]
pub struct MapState {
    pub category: Option<PlaceCategory>,
    pub selected: Option<String>,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<MapAdapter>();
    let h = Handle::new(win, ctx);
    a.on_pick_category({
        let h = h.clone();
        move |i| {
            h.run(|win, ctx| {
                let cats = categories(ctx);
                let mut st = ctx.map.borrow_mut();
                st.category = usize::try_from(i)
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| cats.get(i).copied());
                st.selected = None;
                drop(st);
                refresh(win, ctx);
            })
        }
    });
    a.on_select({
        let h = h.clone();
        move |id| {
            h.run(|win, ctx| {
                ctx.map.borrow_mut().selected = Some(id.to_string());
                refresh(win, ctx);
            })
        }
    });
    a.on_close_card(move || {
        h.run(|win, ctx| {
            ctx.map.borrow_mut().selected = None;
            refresh(win, ctx);
        })
    });
}

/// Lays the dots out again for the current text size (big text makes
/// them bigger).
pub fn relayout(win: &MainWindow, ctx: &AppContext) {
    refresh(win, ctx);
}

fn refresh(win: &MainWindow, ctx: &AppContext) {
    if let Err(e) = render(win, ctx) {
        crate::app::content_error(win, &e);
    }
}

/// Categories that have places, in the official order.
fn categories(ctx: &AppContext) -> Vec<PlaceCategory> {
    let places = ctx.content.borrow().places(None).unwrap_or_default();
    PlaceCategory::ALL
        .iter()
        .copied()
        .filter(|c| places.iter().any(|p| p.category == *c))
        .collect()
}

/// The room numbered dots need, in pixels at k = 1 on the smallest view a
/// map or plan gets in a screen orientation (see `map_layout`,
/// `PLAN_LAYOUT`). Dots are placed for that view; a bigger view only
/// spreads them further apart, so no two overlap in any mode of that
/// orientation. `tests/ui/map_layout.rs` checks the rendered dots of every
/// mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DotLayout {
    /// Width of the smallest view of the image, in px.
    pub width: f32,
    /// Its height, in px (the image's aspect).
    pub height: f32,
    /// A dot's side, in px: the biggest dot (big text, two digits).
    pub dot: f32,
    /// Clear space between two dots, in px.
    pub gap: f32,
}

/// A rectangle in image coordinates (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// The county map (1200x1600) on the map page: about 700 px wide in
/// portrait (beside the zoom buttons and legend) and 500 px in landscape
/// (as tall as the page). Dots are `Theme.font-small` × 1.6 across: 45 px,
/// 58 px in big text.
pub fn map_layout(landscape: bool, big_text: bool) -> DotLayout {
    let width = if landscape { 480.0 } else { 680.0 };
    DotLayout {
        width,
        height: width * 4.0 / 3.0,
        dot: if big_text { 60.0 } else { 46.0 },
        gap: 6.0,
    }
}

/// The map image's own title block, which dots should leave readable.
pub const MAP_TITLE: Area = Area {
    x0: 0.0,
    y0: 0.0,
    x1: 0.38,
    y1: 0.07,
};

/// Hall floor plans (1200x800) on the hall page: at least 900 px wide.
pub const PLAN_LAYOUT: DotLayout = DotLayout {
    width: 900.0,
    height: 600.0,
    dot: 64.0,
    gap: 6.0,
};

/// Places numbered dots so that no two overlap, none leaves the image and
/// none covers an `avoid` area: each dot, in order, goes to its anchor (0
/// to 1 across the image) if that is free, else to the nearest free point
/// of a grid a quarter dot apart over the whole image. Returns the dots'
/// centres, 0 to 1. Only when the image has no free point left does a dot
/// stay on its anchor over another (the tests make sure the demo never
/// gets there).
pub fn place_dots(anchors: &[(f32, f32)], layout: &DotLayout, avoid: &[Area]) -> Vec<(f32, f32)> {
    let half = layout.dot / 2.0;
    let clear = layout.dot + layout.gap;
    let (w, h) = (layout.width, layout.height);
    let free = |x: f32, y: f32, placed: &[(f32, f32)]| {
        placed
            .iter()
            .all(|&(px, py)| (px - x).abs() >= clear || (py - y).abs() >= clear)
            && avoid.iter().all(|a| {
                x + half <= a.x0 * w
                    || x - half >= a.x1 * w
                    || y + half <= a.y0 * h
                    || y - half >= a.y1 * h
            })
    };
    // Candidate centres: every point of the grid inside the image.
    let step = layout.dot / 4.0;
    let mut grid = Vec::new();
    let mut y = half;
    while y <= h - half {
        let mut x = half;
        while x <= w - half {
            grid.push((x, y));
            x += step;
        }
        y += step;
    }
    let mut placed: Vec<(f32, f32)> = Vec::with_capacity(anchors.len());
    for &(ax, ay) in anchors {
        let (ax, ay) = (
            (ax * w).clamp(half, (w - half).max(half)),
            (ay * h).clamp(half, (h - half).max(half)),
        );
        let spot = if free(ax, ay, &placed) {
            Some((ax, ay))
        } else {
            grid.iter()
                .copied()
                .filter(|&(x, y)| free(x, y, &placed))
                .min_by(|p, q| {
                    let d = |(x, y): (f32, f32)| (x - ax).powi(2) + (y - ay).powi(2);
                    d(*p).total_cmp(&d(*q))
                })
        };
        placed.push(spot.unwrap_or((ax, ay)));
    }
    placed.into_iter().map(|(x, y)| (x / w, y / h)).collect()
}

fn tone(c: PlaceCategory) -> i32 {
    match c {
        PlaceCategory::GovernmentService | PlaceCategory::VillageStation => 4,
        PlaceCategory::Health | PlaceCategory::SocialSecurity => 1,
        PlaceCategory::Police => 3,
        PlaceCategory::Bank | PlaceCategory::Transport => 2,
        _ => 0,
    }
}

/// The marker colours, each with the categories drawn in it (only
/// categories that have places), in the order of the category list.
fn legend(cats: &[PlaceCategory]) -> Vec<crate::Row> {
    let mut tones: Vec<i32> = Vec::new();
    for c in cats {
        if !tones.contains(&tone(*c)) {
            tones.push(tone(*c));
        }
    }
    tones
        .into_iter()
        .map(|t| {
            let names: Vec<&str> = cats
                .iter()
                .filter(|c| tone(**c) == t)
                .map(|c| c.zh())
                .collect();
            crate::Row {
                id: t.to_string().into(),
                kind: "legend".into(),
                title: names.join("、").into(),
                tone: t,
                ..Default::default()
            }
        })
        .collect()
}

/// The link a phone opens to navigate there: Amap's marker URI (the most
/// common phone map app; the page offers 路线/导航 and opens the installed
/// app when there is one, the web map otherwise) when the place has
/// coordinates, the item's own page otherwise. Coordinates are GCJ-02, the
/// datum every map app in China uses (`coordinate=gaode`).
pub fn navigation_url(ctx: &AppContext, p: &Place) -> String {
    match (p.lon, p.lat) {
        (Some(lon), Some(lat)) => format!(
            "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name={}&coordinate=gaode&callnative=1",
            url_encode(&p.meta.title)
        ),
        _ => ctx.content.borrow().bundle().item_url(&p.meta.id),
    }
}

/// What the card's code opens, in words: navigation only when it does.
pub fn qr_caption(p: &Place) -> &'static str {
    if p.lon.is_some() && p.lat.is_some() {
        zh::QR_NAVIGATE
    } else {
        zh::QR_PLACE_PAGE
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx)?;
    show_page(win, PageId::Map, zh::TITLE_MAP);
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<MapAdapter>();
    let content = ctx.content.borrow();
    let map_name = content.bundle().map_image.clone();
    match map_name {
        Some(name) => match ctx.images.borrow_mut().get(&content, &name) {
            Ok(img) => {
                a.set_map(img);
                a.set_map_missing("".into());
            }
            Err(e) => {
                tracing::warn!("{e}");
                a.set_map(Image::default());
                a.set_map_missing(zh::image_missing(&name).into());
            }
        },
        None => {
            a.set_map(Image::default());
            a.set_map_missing(zh::image_missing("map_image").into());
        }
    }
    drop(content);
    let cats = categories(ctx);
    let st = ctx.map.borrow();
    let mut chips = vec![Chip {
        label: zh::ALL.into(),
        selected: st.category.is_none(),
    }];
    chips.extend(cats.iter().map(|c| Chip {
        label: c.zh().into(),
        selected: st.category == Some(*c),
    }));
    a.set_categories(model(chips));
    let places = ctx.content.borrow().places(st.category)?;
    let anchors: Vec<(f32, f32)> = places.iter().map(|p| (p.map_x, p.map_y)).collect();
    // The window's shape, not Theme.landscape: that follows the window's
    // size only once its change handler has run.
    let size = win.window().size();
    let landscape = size.width > size.height;
    let big_text = win.global::<crate::Theme>().get_big_text();
    let dots = place_dots(&anchors, &map_layout(landscape, big_text), &[MAP_TITLE]);
    a.set_markers(model(
        places
            .iter()
            .zip(dots)
            .enumerate()
            .map(|(i, (p, (x, y)))| Marker {
                id: p.meta.id.as_str().into(),
                label: (i + 1).to_string().into(),
                x,
                y,
                ax: p.map_x,
                ay: p.map_y,
                tone: tone(p.category),
                selected: st.selected.as_deref() == Some(p.meta.id.as_str()),
            })
            .collect(),
    ));
    a.set_legend(model(legend(&cats)));
    a.set_places(model(
        places
            .iter()
            .enumerate()
            .map(|(i, p)| {
                row(
                    &p.meta.id,
                    "place",
                    &format!("{}. {}", i + 1, p.meta.title),
                    format!("{}　{}", p.category.zh(), p.address),
                    p.hours.clone(),
                    (String::new(), 0),
                )
            })
            .collect(),
    ));
    // The selected place may be outside the category (opened from search).
    let selected = match &st.selected {
        Some(id) => match ctx.content.borrow().item(id)? {
            Some(kiosk_content::Item::Place(p)) => Some(p),
            _ => None,
        },
        None => None,
    };
    drop(st);
    match selected {
        Some(p) => {
            let url = navigation_url(ctx, &p);
            if !a.get_has_selection() || a.get_sel_title() != p.meta.title.as_str() {
                a.set_focus_x(p.map_x);
                a.set_focus_y(p.map_y);
                a.set_focus_key(a.get_focus_key().wrapping_add(1));
            }
            a.set_has_selection(true);
            a.set_sel_title(p.meta.title.as_str().into());
            a.set_sel_category(p.category.zh().into());
            a.set_sel_facts(facts(vec![
                (zh::ADDRESS, p.address.clone()),
                (zh::OPENING_HOURS, p.hours.clone()),
                (zh::TEL, p.phone.clone()),
                (zh::SERVICES, p.services.join("、")),
            ]));
            a.set_sel_qr(crate::qr::image_or_empty(&url));
            ctx.usage.count(kiosk_content::usage::counter::QR_SHOWN);
            a.set_sel_qr_url(url.into());
            a.set_sel_qr_caption(qr_caption(&p).into());
        }
        None => {
            a.set_has_selection(false);
            a.set_sel_qr_url("".into());
        }
    }
    Ok(())
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    *ctx.map.borrow_mut() = MapState::default();
    let a = win.global::<MapAdapter>();
    a.set_has_selection(false);
    a.set_zoom(1.0);
}
