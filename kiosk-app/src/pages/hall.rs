//! 大厅导航: the hall floor plan with its windows and what each handles.

use std::rc::Rc;

use kiosk_content::StoreError;
use slint::{ComponentHandle, Image};

use super::{facts, model, row, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::strings as zh;
use crate::{HallAdapter, MainWindow, Marker, PageId};

#[derive(Debug, Default)]
pub struct HallState {
    /// The hall shown; None: this kiosk's hall.
    pub hall: Option<String>,
    pub window: Option<String>,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<HallAdapter>();
    let h = Handle::new(win, ctx);
    a.on_select({
        let h = h.clone();
        move |number| {
            h.run(|win, ctx| {
                ctx.hall.borrow_mut().window = Some(number.to_string());
                refresh(win, ctx);
            })
        }
    });
    a.on_clear_selection({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                ctx.hall.borrow_mut().window = None;
                refresh(win, ctx);
            })
        }
    });
    a.on_open(move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string()))));
}

fn refresh(win: &MainWindow, ctx: &AppContext) {
    if let Err(e) = render(win, ctx) {
        app::content_error(win, &e);
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx)?;
    show_page(win, PageId::Hall, zh::TITLE_HALL);
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<HallAdapter>();
    let st = ctx.hall.borrow();
    let hall = match &st.hall {
        Some(id) => ctx.content.borrow().bundle().hall(id).cloned(),
        None => ctx.hall(),
    };
    let Some(hall) = hall else {
        a.set_hall_name(zh::NO_HALL.into());
        a.set_facts(model(Vec::new()));
        a.set_markers(model(Vec::new()));
        a.set_windows(model(Vec::new()));
        a.set_plan(Image::default());
        a.set_plan_missing(zh::NO_HALL.into());
        return Ok(());
    };
    a.set_hall_name(hall.name.as_str().into());
    a.set_facts(facts(vec![
        (zh::ADDRESS, hall.address.clone()),
        (zh::OFFICE_HOURS, hall.hours.clone()),
        (zh::PHONE, hall.phone.clone()),
    ]));
    let content = ctx.content.borrow();
    match &hall.floor_plan {
        Some(name) => match ctx.images.borrow_mut().get(&content, name) {
            Ok(img) => {
                a.set_plan(img);
                a.set_plan_missing("".into());
            }
            Err(e) => {
                tracing::warn!("{e}");
                a.set_plan(Image::default());
                a.set_plan_missing(zh::image_missing(name).into());
            }
        },
        None => {
            a.set_plan(Image::default());
            a.set_plan_missing(zh::image_missing("floor_plan").into());
        }
    }
    let anchors: Vec<(f32, f32)> = hall.windows.iter().map(|w| (w.x, w.y)).collect();
    let dots = super::map::place_dots(&anchors, &super::map::PLAN_LAYOUT, &[]);
    a.set_markers(model(
        hall.windows
            .iter()
            .zip(dots)
            .map(|(w, (x, y))| Marker {
                id: w.number.as_str().into(),
                label: w.number.as_str().into(),
                x,
                y,
                ax: w.x,
                ay: w.y,
                tone: 4,
                selected: st.window.as_deref() == Some(w.number.as_str()),
            })
            .collect(),
    ));
    let mut rows = Vec::new();
    for w in &hall.windows {
        let n = content.guides_at_window(&hall.id, &w.number)?.len();
        rows.push(row(
            &w.number,
            "window",
            &zh::window_label(&w.number, &w.name),
            zh::guides_count(n),
            String::new(),
            (String::new(), 0),
        ));
    }
    a.set_windows(model(rows));
    match st
        .window
        .as_deref()
        .and_then(|n| hall.windows.iter().find(|w| w.number == n))
    {
        Some(w) => {
            let guides = content.guides_at_window(&hall.id, &w.number)?;
            drop(content);
            a.set_selected_title(zh::window_guides(&w.number, &w.name).into());
            a.set_guides_status(if guides.is_empty() {
                zh::HALL_NO_GUIDES.into()
            } else {
                "".into()
            });
            a.set_guides(model(guides.iter().map(|g| summary_row(ctx, g)).collect()));
        }
        None => {
            a.set_selected_title("".into());
            a.set_guides(model(Vec::new()));
        }
    }
    Ok(())
}

pub fn clear(_win: &MainWindow, ctx: &AppContext) {
    *ctx.hall.borrow_mut() = HallState::default();
}
