//! Wires the window to the context: navigation, modes, idle and wake,
//! content refresh. Each page's own wiring is in `pages::<page>::setup`.

use std::rc::Rc;
use std::time::{Duration, Instant};

use kiosk_content::{Item, StoreError};
use slint::{ComponentHandle, TimerMode};

use crate::context::{AppContext, Handle};
use crate::idle::Effect;
use crate::nav::Route;
use crate::pages;
use crate::strings as zh;
use crate::text::date_zh;
use crate::{Idle, MainWindow, Nav, PageId, Theme};

/// Creates the window and wires everything. The kiosk starts on the
/// attract screen.
pub fn build(ctx: &Rc<AppContext>) -> Result<MainWindow, slint::PlatformError> {
    let win = MainWindow::new()?;
    setup(&win, ctx);
    Ok(win)
}

/// Wires an existing window (tests create their own).
pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    reset_modes(win, ctx);
    update_header(win, ctx);

    let nav = win.global::<Nav>();
    let h = Handle::new(win, ctx);
    nav.on_back({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                let route = ctx.nav.borrow_mut().back();
                bump_visit(win, ctx);
                show_route(win, ctx, &route);
            })
        }
    });
    nav.on_home({
        let h = h.clone();
        move || h.run(|win, ctx| go(win, ctx, Route::Home))
    });
    nav.on_open_page({
        let h = h.clone();
        move |page| {
            h.run(|win, ctx| {
                let route = match page {
                    PageId::Home => Route::Home,
                    PageId::Search => Route::Search,
                    PageId::Progress => Route::Progress,
                    PageId::Map => Route::Map,
                    PageId::Hall => Route::Hall,
                    PageId::Apply => Route::Apply,
                    PageId::Catalog => Route::Catalog,
                    PageId::Village => Route::Village,
                    _ => Route::Home,
                };
                go(win, ctx, route)
            })
        }
    });
    nav.on_toggle_big_text({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                let t = win.global::<Theme>();
                t.set_big_text(!t.get_big_text());
                if t.get_big_text() {
                    ctx.usage.count(kiosk_content::usage::counter::BIG_TEXT);
                }
                // Map dots grow with the text: place them again.
                if ctx.nav.borrow().current() == Route::Map {
                    pages::map::relayout(win, ctx);
                }
            })
        }
    });
    nav.on_toggle_contrast({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                let t = win.global::<Theme>();
                t.set_high_contrast(!t.get_high_contrast());
                if t.get_high_contrast() {
                    ctx.usage
                        .count(kiosk_content::usage::counter::HIGH_CONTRAST);
                }
            })
        }
    });
    nav.on_secret_tap({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                if ctx.taps.borrow_mut().tap(Instant::now()) {
                    go(win, ctx, Route::StaffPin);
                }
            })
        }
    });
    nav.on_dismiss_error({
        let h = h.clone();
        move || h.run(|win, _| clear_error(win))
    });

    let idle = win.global::<Idle>();
    idle.on_activity({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                ctx.devices.activity();
                let fx = ctx.idle.borrow_mut().activity();
                apply_effects(win, ctx, &fx);
            })
        }
    });
    idle.on_wake({
        let h = h.clone();
        move || wake(&h)
    });

    pages::setup_all(win, ctx);

    // Content applied by the sync daemon shows up without a restart.
    ctx.timers.refresh.start(
        TimerMode::Repeated,
        Duration::from_secs(ctx.config.content_poll_secs),
        {
            let h = h.clone();
            move || h.run(refresh_content)
        },
    );
    // USB imports finished by kiosk-sync are announced on screen.
    crate::imports::start(win, ctx);
    // Finished print jobs and printer state.
    ctx.timers
        .printer
        .start(TimerMode::Repeated, Duration::from_millis(700), {
            let h = h.clone();
            move || h.run(pages::guide::poll_printer)
        });

    // Backlight by the opening hours, and the motion sensor, once a second.
    if ctx.devices.screen.is_some() || ctx.devices.motion.is_some() {
        ctx.timers
            .screen
            .start(TimerMode::Repeated, Duration::from_secs(1), {
                let h = h.clone();
                move || {
                    h.run(|win, ctx| {
                        if ctx.devices.motion() {
                            wake(&Handle::new(win, ctx));
                        }
                        if ctx.devices.screen_tick() && !ctx.idle.borrow().is_dimmed() {
                            let fx = ctx.idle.borrow_mut().force_dim();
                            apply_effects(win, ctx, &fx);
                        }
                    })
                }
            });
    }
    // systemd: the watchdog is pinged from this (the UI) thread, so a frozen
    // UI gets restarted.
    if let Some(every) = ctx.devices.watchdog_timer_interval() {
        ctx.timers.watchdog.start(TimerMode::Repeated, every, {
            let h = h.clone();
            move || h.run(|_, ctx| ctx.devices.ping())
        });
    }

    // Usage counts to their database (and the report for kiosk-sync)
    // about once a minute; also on every idle reset and at exit.
    ctx.usage
        .timer
        .start(TimerMode::Repeated, crate::usage::FLUSH_EVERY, {
            let h = h.clone();
            move || h.run(|_, ctx| crate::usage::flush(ctx))
        });
    crate::usage::flush(ctx);

    let fx = ctx.idle.borrow().start();
    apply_effects(win, ctx, &fx);
    show_route(win, ctx, &Route::Attract);
}

/// Tells systemd the kiosk is up, once the first frame has been drawn.
pub fn notify_ready_after_first_frame(win: &MainWindow, ctx: &Rc<AppContext>) {
    let h = Handle::new(win, ctx);
    let status = {
        let content = ctx.content.borrow();
        let g = content.generation();
        format!(
            "content generation {} (bundle {})",
            g.generation, g.bundle_version
        )
    };
    let notified = std::rc::Rc::new(std::cell::Cell::new(false));
    let once = move |h: &Handle| {
        if notified.replace(true) {
            return;
        }
        h.run(|_, ctx| {
            ctx.devices.ready();
            ctx.devices.status(&status);
            tracing::info!("first frame drawn; told systemd READY=1");
        });
    };
    let h2 = h.clone();
    let once = std::rc::Rc::new(once);
    let once2 = once.clone();
    let hooked = win.window().set_rendering_notifier(move |state, _| {
        if let slint::RenderingState::AfterRendering = state {
            once2(&h2);
        }
    });
    if hooked.is_err() {
        // The software renderer has no notifier: a timer runs once the
        // event loop is up, right after the first frame.
        slint::Timer::single_shot(Duration::from_millis(100), move || once(&h));
    }
}

/// Wakes a dimmed screen (a touch on it, or the motion sensor).
pub fn wake(h: &Handle) {
    h.run(|win, ctx| {
        ctx.devices.activity();
        let fx = ctx.idle.borrow_mut().wake();
        apply_effects(win, ctx, &fx);
    })
}

fn apply_effects(win: &MainWindow, ctx: &Rc<AppContext>, effects: &[Effect]) {
    let h = Handle::new(win, ctx);
    for fx in effects {
        match fx {
            Effect::RestartIdleTimer => {
                let h = h.clone();
                ctx.timers.idle.start(
                    TimerMode::SingleShot,
                    ctx.config.idle_timeout(),
                    move || {
                        h.run(|win, ctx| {
                            let fx = ctx.idle.borrow_mut().idle_elapsed();
                            apply_effects(win, ctx, &fx);
                        })
                    },
                );
            }
            Effect::StopIdleTimer => ctx.timers.idle.stop(),
            Effect::StartDimTimer => {
                let h = h.clone();
                ctx.timers
                    .dim
                    .start(TimerMode::SingleShot, ctx.config.dim_after(), move || {
                        h.run(|win, ctx| {
                            let fx = ctx.idle.borrow_mut().dim_elapsed();
                            apply_effects(win, ctx, &fx);
                        })
                    });
            }
            Effect::StopDimTimer => ctx.timers.dim.stop(),
            Effect::ResetToAttract => reset_to_attract(win, ctx),
            Effect::Dim => {
                tracing::debug!("screen dimmed");
                win.global::<Idle>().set_dimmed(true);
            }
            Effect::Undim => win.global::<Idle>().set_dimmed(false),
        }
    }
}

/// Clears every input and result and shows the attract screen: nothing a
/// resident typed or looked up stays on screen.
pub fn reset_to_attract(win: &MainWindow, ctx: &Rc<AppContext>) {
    tracing::info!("idle: clearing inputs and returning to the attract screen");
    ctx.usage.session_end();
    ctx.usage.count(kiosk_content::usage::counter::IDLE_RESET);
    crate::usage::flush(ctx);
    pages::clear_all(win, ctx);
    // The handwriting model's memory until the next resident writes.
    ctx.handwriting.release();
    reset_modes(win, ctx);
    clear_error(win);
    go(win, ctx, Route::Attract);
}

fn reset_modes(win: &MainWindow, ctx: &AppContext) {
    let t = win.global::<Theme>();
    t.set_big_text(ctx.config.big_text);
    t.set_high_contrast(ctx.config.high_contrast);
}

/// Opens a page.
pub fn go(win: &MainWindow, ctx: &Rc<AppContext>, route: Route) {
    count_visit(ctx, &route);
    ctx.nav.borrow_mut().push(route.clone());
    bump_visit(win, ctx);
    show_route(win, ctx, &route);
}

/// Usage counts for a page opened: the page kind, the item, a new visit
/// (the attract screen left), and the end of a search left behind.
fn count_visit(ctx: &AppContext, route: &Route) {
    let from = ctx.nav.borrow().current();
    if from == Route::Search && *route != Route::Search {
        ctx.usage.search_finished();
    }
    if from == Route::Attract && *route != Route::Attract {
        ctx.usage.count(kiosk_content::usage::counter::VISIT);
    }
    if let Some(kind) = crate::usage::Usage::page_kind(route) {
        ctx.usage.page_view(kind);
    }
    if let Route::Item(id) = route
        && let Ok(Some(item)) = ctx.content.borrow().item(id)
    {
        ctx.usage.item_view(id, item.kind().slug());
    }
}

fn bump_visit(win: &MainWindow, ctx: &AppContext) {
    ctx.visit.set(ctx.visit.get().wrapping_add(1));
    pages::set_reset_keys(win, ctx.visit.get());
}

/// Shows the current route again (after new content arrived).
pub fn show_current(win: &MainWindow, ctx: &Rc<AppContext>) {
    let route = ctx.nav.borrow().current();
    show_route(win, ctx, &route);
}

fn show_route(win: &MainWindow, ctx: &Rc<AppContext>, route: &Route) {
    // Leaving the search page: a recognition still queued for its pad is
    // not wanted any more, and a late answer is dropped.
    if *route != Route::Search {
        ctx.handwriting.cancel();
    }
    let nav = win.global::<Nav>();
    nav.set_can_go_back(ctx.nav.borrow().can_go_back());
    let result = match route {
        Route::Attract => pages::home::show_attract(win, ctx),
        Route::Home => pages::home::show(win, ctx),
        Route::Search => pages::search::show(win, ctx),
        Route::List(kind) => pages::list::show(win, ctx, *kind),
        Route::Item(id) => show_item(win, ctx, id),
        Route::Progress => pages::progress::show(win, ctx),
        Route::Map => pages::map::show(win, ctx),
        Route::Hall => pages::hall::show(win, ctx),
        Route::Apply => pages::apply::show(win, ctx),
        Route::Catalog => pages::catalog::show(win, ctx),
        Route::Village => pages::village::show(win, ctx),
        Route::StaffPin => pages::staff::show_pin(win, ctx),
        Route::Staff => pages::staff::show(win, ctx),
    };
    if let Err(e) = result {
        content_error(win, &e);
    }
}

fn show_item(win: &MainWindow, ctx: &Rc<AppContext>, id: &str) -> Result<(), StoreError> {
    let item = ctx.content.borrow().item(id)?;
    let Some(item) = item else {
        // Gone in a newer generation: step back, say why.
        tracing::info!(id, "item no longer in the content; going back");
        let route = ctx.nav.borrow_mut().back();
        show_route(win, ctx, &route);
        set_error(win, zh::ITEM_GONE);
        return Ok(());
    };
    match item {
        Item::Guide(g) => pages::guide::show(win, ctx, &g),
        Item::Place(p) => {
            ctx.map.borrow_mut().selected = Some(p.meta.id.clone());
            pages::map::show(win, ctx)
        }
        Item::Village(v) => {
            ctx.village.borrow_mut().village = Some(v.meta.id.clone());
            pages::village::show(win, ctx)
        }
        other => pages::detail::show(win, ctx, &other),
    }
}

/// A store error on screen (and in the log); the page stays as it was.
pub fn content_error(win: &MainWindow, e: &StoreError) {
    tracing::error!("content: {e}");
    set_error(win, zh::CONTENT_ERROR);
}

pub fn set_error(win: &MainWindow, msg: &str) {
    win.global::<Nav>().set_error_text(msg.into());
}

pub fn clear_error(win: &MainWindow) {
    win.global::<Nav>().set_error_text("".into());
}

/// Site title, hall name and content date in the header.
pub fn update_header(win: &MainWindow, ctx: &AppContext) {
    let nav = win.global::<Nav>();
    let content = ctx.content.borrow();
    let bundle = content.bundle();
    nav.set_site_title(bundle.title.as_str().into());
    let place = if ctx.config.village.is_empty() {
        ctx.hall().map(|h| h.name).unwrap_or_default()
    } else {
        content
            .item(&ctx.config.village)
            .ok()
            .flatten()
            .map(|v| format!("{}便民服务站", v.meta().title))
            .unwrap_or_default()
    };
    nav.set_hall_name(place.into());
    let g = content.generation();
    let date = g.published_at.unwrap_or(g.applied_at).date_naive();
    nav.set_content_date(format!("{}：{}", zh::CONTENT_DATE, date_zh(date)).into());
}

/// Looks for a newer content generation; shows it on the same page.
pub fn refresh_content(win: &MainWindow, ctx: &Rc<AppContext>) {
    let switched = ctx.content.borrow_mut().refresh();
    match switched {
        Ok(false) => {}
        Ok(true) => {
            let generation = ctx.content.borrow().generation().generation;
            tracing::info!(
                generation,
                "new content generation; showing it on the current page"
            );
            ctx.images.borrow_mut().clear();
            update_header(win, ctx);
            show_current(win, ctx);
        }
        Err(e) => {
            // The reader keeps the content it has; staff see the error.
            tracing::warn!("content refresh failed, keeping the current content: {e}");
            ctx.staff.borrow_mut().refresh_error = Some(e.to_string());
        }
    }
    if ctx.nav.borrow().current() == Route::Staff {
        pages::staff::tick(win, ctx);
    }
}
