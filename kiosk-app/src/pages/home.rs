//! The attract screen and the home page with its tiles and hall notices.

use std::rc::Rc;

use kiosk_content::StoreError;
use slint::ComponentHandle;

use super::{model, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::{AttractAdapter, HomeAdapter, MainWindow, PageId};

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<HomeAdapter>();
    let h = Handle::new(win, ctx);
    a.on_open_tile({
        let h = h.clone();
        move |key| {
            h.run(|win, ctx| match Route::from_key(&key) {
                Some(route) => app::go(win, ctx, route),
                None => tracing::warn!(%key, "unknown home tile"),
            })
        }
    });
    a.on_open_notice({
        let h = h.clone();
        move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string())))
    });
    // A notice band on the attract screen: the notice over the home page
    // (Navigator::push puts home under it), so 返回 leads home.
    win.global::<AttractAdapter>().on_open_notice(move |r| {
        h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string())))
    });
}

fn hall_notices(ctx: &AppContext) -> Result<Vec<kiosk_content::store::ItemSummary>, StoreError> {
    let hall = ctx.hall().map(|h| h.id);
    ctx.content.borrow().notices(hall.as_deref())
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    let notices = hall_notices(ctx)?;
    let rows = notices
        .iter()
        .take(3)
        .map(|n| summary_row(ctx, n))
        .collect();
    win.global::<HomeAdapter>().set_notices(model(rows));
    show_page(win, PageId::Home, "");
    Ok(())
}

pub fn show_attract(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    let notices = hall_notices(ctx)?;
    let rows = notices
        .iter()
        .take(2)
        .map(|n| summary_row(ctx, n))
        .collect();
    win.global::<AttractAdapter>().set_notices(model(rows));
    show_page(win, PageId::Attract, "");
    Ok(())
}
