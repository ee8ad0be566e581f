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

fn tone(c: PlaceCategory) -> i32 {
    match c {
        PlaceCategory::GovernmentService | PlaceCategory::VillageStation => 4,
        PlaceCategory::Health | PlaceCategory::SocialSecurity => 1,
        PlaceCategory::Police => 3,
        PlaceCategory::Bank | PlaceCategory::Transport => 2,
        _ => 0,
    }
}

/// The link a phone opens to navigate there: a map app's marker link when
/// the place has coordinates, the item's own page otherwise.
pub fn navigation_url(ctx: &AppContext, p: &Place) -> String {
    match (p.lon, p.lat) {
        (Some(lon), Some(lat)) => format!(
            "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name={}&coordinate=wgs84&callnative=1",
            url_encode(&p.meta.title)
        ),
        _ => ctx.content.borrow().bundle().item_url(&p.meta.id),
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
    a.set_markers(model(
        places
            .iter()
            .enumerate()
            .map(|(i, p)| Marker {
                id: p.meta.id.as_str().into(),
                label: (i + 1).to_string().into(),
                x: p.map_x,
                y: p.map_y,
                tone: tone(p.category),
                selected: st.selected.as_deref() == Some(p.meta.id.as_str()),
            })
            .collect(),
    ));
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
            a.set_sel_qr_url(url.into());
            a.set_sel_qr_caption(zh::QR_NAVIGATE.into());
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
