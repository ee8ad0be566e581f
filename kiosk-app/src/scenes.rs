//! Named states of the app ("scenes") for screenshots and tests: each opens
//! a page and, where it helps, does what a resident would (types db,
//! selects a place, looks up a demo case). They go through the same adapter
//! callbacks as a touch would.

use std::rc::Rc;

use slint::ComponentHandle;

use crate::app;
use crate::context::AppContext;
use crate::nav::Route;
use crate::{
    CatalogAdapter, MainWindow, MapAdapter, ProgressAdapter, SearchAdapter, VillageAdapter,
};

/// Every scene, in the order `screenshot --all` renders them.
pub const ALL: &[&str] = &[
    "attract",
    "home",
    "search",
    "search-handwriting",
    "search-digits",
    "policies",
    "policy",
    "interpretations",
    "interpretation",
    "guides",
    "guide",
    "guide-window",
    "progress",
    "progress-result",
    "progress-not-found",
    "map",
    "map-place",
    "hall",
    "apply",
    "catalog",
    "catalog-domain",
    "catalog-entry",
    "enterprise",
    "enterprise-detail",
    "consultations",
    "consultation",
    "notices",
    "village",
    "village-assistance",
    "staff-pin",
    "staff",
    "staff-problems",
    "usb-import",
];

/// Demo ids the scenes open unless given another.
pub mod demo {
    pub const POLICY: &str = "sfx-2020-033";
    pub const INTERPRETATION: &str = "jd-dibao";
    pub const GUIDE: &str = "dibao-shenqing";
    pub const ENTERPRISE: &str = "wengang-fanhuan-2026";
    pub const CONSULTATION: &str = "zj-2026-laji-fenlei";
    pub const PLACE: &str = "zw-chengguan";
    /// A case from the demo's progress export (kiosk-content/demo/README.md).
    pub const CASE_DIGITS: &str = "20261102001";
    pub const CASE_CODE: &str = "564973";

    /// A USB import as kiosk-sync reports it.
    pub fn usb_import() -> kiosk_content::control::ImportRecord {
        kiosk_content::control::ImportRecord {
            source: "/run/kiosk-usb/current".into(),
            finished_at: chrono::DateTime::UNIX_EPOCH,
            ok: true,
            generation: Some(2),
            message: "已应用第 2 代内容".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown page `{0}`; pages are: {list}", list = ALL.join(", "))]
pub struct UnknownScene(pub String);

fn type_digits(win: &MainWindow, digits: &str) {
    let a = win.global::<ProgressAdapter>();
    for d in digits.chars() {
        a.invoke_digit(d.to_string().into());
    }
}

/// Looks up a case as a resident would on the progress page.
pub fn lookup(win: &MainWindow, case_digits: &str, code: &str) {
    let a = win.global::<ProgressAdapter>();
    a.invoke_select_field(0);
    type_digits(win, case_digits);
    a.invoke_select_field(1);
    type_digits(win, code);
    a.invoke_submit();
}

/// Puts the app into a scene. `id` replaces the demo item of detail scenes.
pub fn enter(
    win: &MainWindow,
    ctx: &Rc<AppContext>,
    scene: &str,
    id: Option<&str>,
) -> Result<(), UnknownScene> {
    let item = |default: &str| Route::Item(id.unwrap_or(default).to_string());
    crate::imports::hide_banner(win, ctx);
    app::go(win, ctx, Route::Home);
    match scene {
        "attract" => app::go(win, ctx, Route::Attract),
        "home" => {}
        "search" => {
            app::go(win, ctx, Route::Search);
            let a = win.global::<SearchAdapter>();
            for k in ["d", "b"] {
                a.invoke_key(k.into());
            }
            // The page as it settles: every row, and the scroll bar sized
            // to them.
            crate::pages::search::finish_rows();
        }
        "search-handwriting" => {
            app::go(win, ctx, Route::Search);
            // The pad's side at this window size (520 px at k = 1 in
            // portrait, 420 in landscape: search.slint).
            let size = win.window().size();
            let (w, h) = (size.width as f32, size.height as f32);
            let pad = if w > h {
                420.0 * (w / 1920.0).min(h / 1080.0)
            } else {
                520.0 * (w / 1080.0).min(h / 1920.0)
            };
            crate::pages::search::scene::handwriting(win, pad);
        }
        "search-digits" => {
            app::go(win, ctx, Route::Search);
            crate::pages::search::scene::digits(win);
            crate::pages::search::finish_rows();
        }
        "policies" | "interpretations" | "guides" | "enterprise" | "consultations" | "notices"
        | "progress" | "map" | "hall" | "apply" | "catalog" | "village" | "staff-pin" | "staff" => {
            if let Some(route) = Route::from_key(scene) {
                app::go(win, ctx, route);
            }
        }
        "policy" => app::go(win, ctx, item(demo::POLICY)),
        "interpretation" => app::go(win, ctx, item(demo::INTERPRETATION)),
        "guide" => app::go(win, ctx, item(demo::GUIDE)),
        "guide-window" => {
            ctx.guide.borrow_mut().open_at_window = true;
            app::go(win, ctx, item(demo::GUIDE));
        }
        "usb-import" => crate::imports::announce(win, ctx, &demo::usb_import()),
        // The panel as staff see it when the disk is full, a hall notice was
        // set aside and the clock is behind.
        "staff-problems" => crate::pages::staff::show_status(
            win,
            ctx,
            crate::pages::staff::demo_problem_status(),
            false,
        ),
        "enterprise-detail" => app::go(win, ctx, item(demo::ENTERPRISE)),
        "consultation" => app::go(win, ctx, item(demo::CONSULTATION)),
        "progress-result" => {
            app::go(win, ctx, Route::Progress);
            lookup(win, demo::CASE_DIGITS, demo::CASE_CODE);
        }
        "progress-not-found" => {
            app::go(win, ctx, Route::Progress);
            lookup(win, demo::CASE_DIGITS, "111111");
        }
        "map-place" => {
            app::go(win, ctx, Route::Map);
            win.global::<MapAdapter>()
                .invoke_select(id.unwrap_or(demo::PLACE).into());
        }
        "catalog-domain" => {
            app::go(win, ctx, Route::Catalog);
            // 社会救助
            win.global::<CatalogAdapter>().invoke_choose(11);
        }
        "catalog-entry" => {
            app::go(win, ctx, Route::Catalog);
            win.global::<CatalogAdapter>().invoke_choose(11);
            let first = {
                use slint::Model;
                win.global::<CatalogAdapter>().get_entries().row_data(0)
            };
            if let Some(r) = first {
                win.global::<CatalogAdapter>().invoke_open(r);
            }
        }
        "village-assistance" => {
            app::go(win, ctx, Route::Village);
            win.global::<VillageAdapter>().invoke_choose_tab(1);
        }
        other => return Err(UnknownScene(other.to_string())),
    }
    Ok(())
}
