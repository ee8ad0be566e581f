//! 公开目录 by the 26 standard domains.

use std::rc::Rc;

use kiosk_content::store::{Facet, ListQuery};
use kiosk_content::{Domain, ItemKind, StoreError};
use slint::ComponentHandle;

use super::{model, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::strings as zh;
use crate::{CatalogAdapter, Chip, MainWindow, PageId};

#[derive(Debug, Default)]
pub struct CatalogState {
    pub domain: Option<Domain>,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<CatalogAdapter>();
    let h = Handle::new(win, ctx);
    a.on_choose({
        let h = h.clone();
        move |i| {
            h.run(|win, ctx| {
                ctx.catalog.borrow_mut().domain = usize::try_from(i)
                    .ok()
                    .and_then(|i| Domain::ALL.get(i).copied());
                bump_and_render(win, ctx);
            })
        }
    });
    a.on_change_domain({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                ctx.catalog.borrow_mut().domain = None;
                bump_and_render(win, ctx);
            })
        }
    });
    a.on_open(move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string()))));
}

fn bump_and_render(win: &MainWindow, ctx: &AppContext) {
    let a = win.global::<CatalogAdapter>();
    a.set_reset_key(a.get_reset_key().wrapping_add(1000));
    if let Err(e) = render(win, ctx) {
        app::content_error(win, &e);
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx)?;
    show_page(win, PageId::Catalog, zh::TITLE_CATALOG);
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<CatalogAdapter>();
    let counts = ctx
        .content
        .borrow()
        .facets(ItemKind::CatalogEntry, Facet::Domain)?;
    let count = |d: Domain| {
        counts
            .iter()
            .find(|(v, _)| Domain::parse(v) == Some(d))
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let domain = ctx.catalog.borrow().domain;
    a.set_domains(model(
        Domain::ALL
            .iter()
            .map(|d| Chip {
                label: format!("{}（{}）", d.zh(), count(*d)).into(),
                selected: domain == Some(*d),
            })
            .collect(),
    ));
    match domain {
        Some(d) => {
            let entries = ctx.content.borrow().list(&ListQuery {
                kind: Some(ItemKind::CatalogEntry),
                domain: Some(d),
                ..Default::default()
            })?;
            a.set_selected(
                Domain::ALL
                    .iter()
                    .position(|x| *x == d)
                    .map(|i| i as i32)
                    .unwrap_or(0),
            );
            a.set_selected_title(d.zh().into());
            a.set_status(if entries.is_empty() {
                zh::LIST_EMPTY.into()
            } else {
                zh::list_count(entries.len(), false).into()
            });
            a.set_entries(model(entries.iter().map(|s| summary_row(ctx, s)).collect()));
        }
        None => {
            a.set_selected(-1);
            a.set_entries(model(Vec::new()));
        }
    }
    Ok(())
}

pub fn clear(_win: &MainWindow, ctx: &AppContext) {
    *ctx.catalog.borrow_mut() = CatalogState::default();
}
