//! 办事指南: materials checklist, steps, time limits, fee, the window on the
//! hall floor plan, phone, the online form as a QR code, and a printed
//! checklist to take home.

use std::rc::Rc;

use kiosk_content::{Guide, Item, StoreError};
use slint::{ComponentHandle, Image};

use super::{facts, model, show_page};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::printing::{JobResult, Slip};
use crate::strings as zh;
use crate::text::{list_blocks, markdown_blocks};
use crate::{GuideAdapter, MainWindow, Marker, MaterialRow, Nav, PageId};

#[derive(Debug, Default)]
pub struct GuideState {
    pub guide_id: Option<String>,
    /// Jobs sent from the guide page and not finished yet.
    pub pending: Vec<u64>,
    pub message: String,
    /// Open the next guide scrolled down to its window on the floor plan.
    pub open_at_window: bool,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<GuideAdapter>();
    let h = Handle::new(win, ctx);
    a.on_print({
        let h = h.clone();
        move || h.run(print)
    });
    a.on_show_hall(move |tapped| {
        h.run(|win, ctx| {
            let window = ctx.guide.borrow().guide_id.clone().and_then(|id| {
                match ctx.content.borrow().item(&id) {
                    Ok(Some(Item::Guide(g))) if tapped.is_empty() => Some((g.hall, g.window)),
                    Ok(Some(Item::Guide(g))) => Some((g.hall, tapped.to_string())),
                    _ => None,
                }
            });
            if let Some((hall, window)) = window {
                let mut st = ctx.hall.borrow_mut();
                st.hall = Some(hall);
                st.window = Some(window);
            }
            app::go(win, ctx, Route::Hall)
        })
    });
}

fn checklist(g: &Guide) -> Vec<String> {
    g.materials
        .iter()
        .map(|m| {
            let detail = zh::slip_material_detail(&m.form, m.copies);
            match &m.note {
                Some(n) => format!("{}（{detail}；{n}）", m.name),
                None => format!("{}（{detail}）", m.name),
            }
        })
        .collect()
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>, g: &Guide) -> Result<(), StoreError> {
    {
        let mut st = ctx.guide.borrow_mut();
        if st.guide_id.as_deref() != Some(g.meta.id.as_str()) {
            st.message.clear();
        }
        st.guide_id = Some(g.meta.id.clone());
        win.global::<GuideAdapter>()
            .set_open_at_window(std::mem::take(&mut st.open_at_window));
    }
    let content = ctx.content.borrow();
    let bundle = content.bundle().clone();
    let hall = bundle.hall(&g.hall).cloned();
    let window = hall
        .as_ref()
        .and_then(|h| h.windows.iter().find(|w| w.number == g.window).cloned());
    let window_label = zh::window_label(
        &g.window,
        window.as_ref().map(|w| w.name.as_str()).unwrap_or(""),
    );
    let hall_name = hall.as_ref().map(|h| h.name.clone()).unwrap_or_default();
    let a = win.global::<GuideAdapter>();
    a.set_title(g.meta.title.as_str().into());
    a.set_agency(format!("{}：{}", zh::IMPLEMENTER, g.meta.agency).into());
    a.set_facts(facts(vec![
        (
            zh::TIME_LIMIT,
            zh::time_limit(g.statutory_days, g.promised_days),
        ),
        (zh::FEE, g.fee.clone()),
        (
            zh::PLACE,
            hall.as_ref()
                .map(|h| format!("{}（{}）", h.name, h.address))
                .unwrap_or_default(),
        ),
        (zh::WINDOW, window_label.clone()),
        (zh::HOURS, g.hours.clone()),
        (zh::PHONE, g.phone.clone()),
        (
            zh::COMPLAINT_PHONE,
            g.complaint_phone.clone().unwrap_or_default(),
        ),
        (zh::MATTER_CODE, g.matter_code.clone().unwrap_or_default()),
    ]));
    a.set_materials(model(
        g.materials
            .iter()
            .map(|m| MaterialRow {
                name: m.name.as_str().into(),
                detail: zh::material_detail(&m.form, m.copies, &m.source).into(),
                note: m.note.clone().unwrap_or_default().into(),
            })
            .collect(),
    ));
    a.set_steps(model(list_blocks(&g.steps, true)));
    a.set_conditions(model(list_blocks(&g.conditions, false)));
    a.set_basis(model(list_blocks(&g.basis, false)));
    a.set_notes(model(notes_blocks(&g.body)));
    a.set_window_line(format!("{hall_name} {window_label}").trim().into());
    let plan = match hall.as_ref().and_then(|h| h.floor_plan.clone()) {
        Some(name) => ctx.images.borrow_mut().get(&content, &name).map_err(|e| {
            tracing::warn!("{e}");
            zh::image_missing(&name)
        }),
        None => Err(zh::image_missing("floor_plan")),
    };
    match plan {
        Ok(img) => {
            a.set_plan(img);
            a.set_plan_missing("".into());
        }
        Err(msg) => {
            a.set_plan(Image::default());
            a.set_plan_missing(msg.into());
        }
    }
    // Every window carries its number, placed as on the hall page, so a
    // resident can match the plan to the numbers over the hall's windows;
    // this guide's window is ringed in its blue, the others grey.
    let windows = hall.as_ref().map(|h| h.windows.as_slice()).unwrap_or(&[]);
    let anchors: Vec<(f32, f32)> = windows.iter().map(|w| (w.x, w.y)).collect();
    let dots = super::map::place_dots(&anchors, &super::map::PLAN_LAYOUT, &[]);
    a.set_plan_markers(model(
        windows
            .iter()
            .zip(dots)
            .map(|(w, (x, y))| {
                let this = w.number == g.window;
                Marker {
                    id: w.number.as_str().into(),
                    label: w.number.as_str().into(),
                    x,
                    y,
                    ax: w.x,
                    ay: w.y,
                    tone: if this { 4 } else { 0 },
                    selected: this,
                }
            })
            .collect(),
    ));
    let (url, caption) = match &g.online_url {
        Some(u) => (u.clone(), zh::QR_ONLINE),
        None => (bundle.item_url(&g.meta.id), zh::QR_ITEM),
    };
    a.set_qr(crate::qr::image_or_empty(&url));
    ctx.usage.count(kiosk_content::usage::counter::QR_SHOWN);
    a.set_qr_url(url.into());
    a.set_qr_caption(caption.into());
    drop(content);
    render_printer(win, ctx);
    show_page(win, PageId::Guide, zh::TITLE_GUIDES);
    Ok(())
}

fn render_printer(win: &MainWindow, ctx: &AppContext) {
    let view = ctx.printer.view();
    let a = win.global::<GuideAdapter>();
    let busy = !ctx.guide.borrow().pending.is_empty();
    a.set_can_print(view.can_print && !busy);
    a.set_printer_state(view.label.into());
    a.set_printer_tone(view.tone);
    a.set_print_message(ctx.guide.borrow().message.as_str().into());
}

/// Sends the checklist to the printer; returns at once.
fn print(win: &MainWindow, ctx: &Rc<AppContext>) {
    let Some(id) = ctx.guide.borrow().guide_id.clone() else {
        return;
    };
    let guide = match ctx.content.borrow().item(&id) {
        Ok(Some(Item::Guide(g))) => g,
        Ok(_) => return,
        Err(e) => {
            app::content_error(win, &e);
            return;
        }
    };
    let content = ctx.content.borrow();
    let bundle = content.bundle();
    let hall = bundle.hall(&guide.hall);
    let window_name = hall
        .and_then(|h| h.windows.iter().find(|w| w.number == guide.window))
        .map(|w| w.name.clone())
        .unwrap_or_default();
    let slip = Slip {
        county: bundle.county.clone(),
        hall: hall.map(|h| h.name.clone()).unwrap_or_default(),
        title: guide.meta.title.clone(),
        checklist: checklist(&guide),
        window: zh::window_label(&guide.window, &window_name),
        // A guide without hours of its own keeps the hall's.
        hours: if guide.hours.trim().is_empty() {
            hall.map(|h| h.hours.clone()).unwrap_or_default()
        } else {
            guide.hours.clone()
        },
        qr_url: guide
            .online_url
            .clone()
            .unwrap_or_else(|| bundle.item_url(&guide.meta.id)),
        printed_at: ctx.now(),
        footer: zh::print_footer(&guide.phone),
    };
    drop(content);
    let result = ctx.printer.print(slip);
    {
        let mut st = ctx.guide.borrow_mut();
        match result {
            Ok(job) => {
                tracing::info!(job, guide = %id, "checklist sent to the printer");
                st.pending.push(job);
                st.message = zh::PRINT_SENT.into();
            }
            Err(msg) => st.message = msg,
        }
    }
    render_printer(win, ctx);
}

/// Picks up finished jobs and printer state (a timer calls this).
pub fn poll_printer(win: &MainWindow, ctx: &Rc<AppContext>) {
    let finished = ctx.printer.finished();
    {
        let mut st = ctx.guide.borrow_mut();
        for (job, result) in finished {
            if let Some(pos) = st.pending.iter().position(|j| *j == job) {
                st.pending.remove(pos);
                st.message = match result {
                    JobResult::Printed => {
                        ctx.usage.count(kiosk_content::usage::counter::SLIP_PRINTED);
                        zh::PRINT_DONE.into()
                    }
                    JobResult::Failed { message } => message,
                };
            }
        }
    }
    if win.global::<Nav>().get_page() == PageId::Guide {
        render_printer(win, ctx);
    }
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    let mut st = ctx.guide.borrow_mut();
    st.message.clear();
    st.guide_id = None;
    win.global::<GuideAdapter>().set_print_message("".into());
}

/// The guide's free text under the page's own 注意事项 title: a leading
/// heading that only repeats that title is dropped.
fn notes_blocks(body: &str) -> Vec<crate::Block> {
    let mut blocks = markdown_blocks(body);
    if blocks
        .first()
        .is_some_and(|b| b.kind == crate::text::kind::HEADING && b.text.trim() == zh::NOTES_TITLE)
    {
        blocks.remove(0);
    }
    blocks
}
