//! One controller per page: `setup` wires the page's adapter callbacks,
//! `show` fills the adapter from the store, `clear` forgets what a resident
//! typed or chose.

pub mod apply;
pub mod catalog;
pub mod detail;
pub mod guide;
pub mod hall;
pub mod home;
pub mod list;
pub mod map;
pub mod progress;
pub mod search;
pub mod staff;
pub mod village;

use std::rc::Rc;

use kiosk_content::store::ItemSummary;
use kiosk_content::{ItemKind, ItemStatus, Validity};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use crate::context::AppContext;
use crate::strings as zh;
use crate::text::{date_opt, date_zh, period_zh};
use crate::{
    CatalogAdapter, DetailAdapter, Fact, GuideAdapter, HallAdapter, ListAdapter, MainWindow,
    MapAdapter, Nav, PageId, Row, SearchAdapter, VillageAdapter,
};

pub fn setup_all(win: &MainWindow, ctx: &Rc<AppContext>) {
    home::setup(win, ctx);
    search::setup(win, ctx);
    list::setup(win, ctx);
    detail::setup(win, ctx);
    guide::setup(win, ctx);
    progress::setup(win, ctx);
    map::setup(win, ctx);
    hall::setup(win, ctx);
    catalog::setup(win, ctx);
    village::setup(win, ctx);
    staff::setup(win, ctx);
}

/// Forgets every input and choice (idle reset).
pub fn clear_all(win: &MainWindow, ctx: &Rc<AppContext>) {
    search::clear(win, ctx);
    list::clear(win, ctx);
    guide::clear(win, ctx);
    progress::clear(win, ctx);
    map::clear(win, ctx);
    hall::clear(win, ctx);
    catalog::clear(win, ctx);
    village::clear(win, ctx);
    staff::clear(win, ctx);
}

pub fn set_reset_keys(win: &MainWindow, key: i32) {
    win.global::<SearchAdapter>().set_reset_key(key);
    win.global::<ListAdapter>().set_reset_key(key);
    win.global::<DetailAdapter>().set_reset_key(key);
    win.global::<GuideAdapter>().set_reset_key(key);
    win.global::<MapAdapter>().set_reset_key(key);
    win.global::<HallAdapter>().set_reset_key(key);
    win.global::<CatalogAdapter>().set_reset_key(key);
    win.global::<VillageAdapter>().set_reset_key(key);
}

/// Shows a page with its title.
pub fn show_page(win: &MainWindow, page: PageId, title: &str) {
    let nav = win.global::<Nav>();
    nav.set_page_title(title.into());
    nav.set_page(page);
}

pub fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

/// `rows` shown through the model already on screen when it is a
/// `VecModel`: rows that differ are replaced in place, rows added or
/// removed at the end. The repeater then keeps the elements of every row
/// position (and the shaped text of rows that did not change) instead of
/// building the list again, which is most of a keystroke's time on the
/// search page. Any other model is replaced by a new one.
pub fn refill<T: Clone + PartialEq + 'static>(current: ModelRc<T>, rows: Vec<T>) -> ModelRc<T> {
    let Some(m) = current.as_any().downcast_ref::<VecModel<T>>() else {
        return model(rows);
    };
    let n = rows.len();
    for (i, row) in rows.into_iter().enumerate() {
        match m.row_data(i) {
            Some(old) if old == row => {}
            Some(_) => m.set_row_data(i, row),
            None => m.push(row),
        }
    }
    for i in (n..m.row_count()).rev() {
        m.remove(i);
    }
    current
}

pub fn strings(v: &[String]) -> ModelRc<SharedString> {
    model(v.iter().map(|s| SharedString::from(s.as_str())).collect())
}

pub fn fact(label: &str, value: impl AsRef<str>) -> Fact {
    Fact {
        label: label.into(),
        value: value.as_ref().into(),
    }
}

/// Facts with an empty value left out.
pub fn facts(pairs: Vec<(&str, String)>) -> ModelRc<Fact> {
    model(
        pairs
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(l, v)| fact(l, v))
            .collect(),
    )
}

pub fn row(
    id: &str,
    kind: &str,
    title: &str,
    line1: String,
    line2: String,
    badge: (String, i32),
) -> Row {
    Row {
        id: id.into(),
        kind: kind.into(),
        title: title.into(),
        line1: line1.into(),
        line2: line2.into(),
        badge: badge.0.into(),
        tone: badge.1,
    }
}

/// The badge of an item in a list: validity of a policy, open/closed of an
/// application period or consultation.
pub fn status_badge(kind: ItemKind, validity: Validity, status: ItemStatus) -> (String, i32) {
    match kind {
        ItemKind::Policy => match validity {
            Validity::Valid => (zh::VALID.into(), 1),
            Validity::Expired => (zh::ENDED_POLICY.into(), 3),
            Validity::Revised => (zh::REVISED.into(), 2),
            Validity::Repealed => (zh::REPEALED.into(), 3),
        },
        ItemKind::EnterprisePolicy | ItemKind::Consultation => {
            let open = if kind == ItemKind::Consultation {
                zh::CONSULTING_NOW
            } else {
                zh::OPEN_NOW
            };
            match status {
                ItemStatus::Current => (open.into(), 1),
                ItemStatus::Upcoming => (zh::UPCOMING.into(), 2),
                ItemStatus::Ended | ItemStatus::Hidden => (zh::ENDED.into(), 3),
            }
        }
        _ => (String::new(), 0),
    }
}

/// A list row for an item summary.
pub fn summary_row(ctx: &AppContext, s: &ItemSummary) -> Row {
    let badge = status_badge(s.kind, s.validity, s.status);
    let (line1, line2) = match s.kind {
        ItemKind::Policy => {
            let l1 = match &s.doc_number {
                Some(n) => format!("{n}　{}", s.agency),
                None => s.agency.clone(),
            };
            (l1, format!("{}：{}", zh::PUBLISHED, date_opt(s.date)))
        }
        ItemKind::Guide => {
            let hall = s
                .hall
                .as_deref()
                .and_then(|h| {
                    ctx.content
                        .borrow()
                        .bundle()
                        .hall(h)
                        .map(|h| h.name.clone())
                })
                .unwrap_or_default();
            let window = s
                .window
                .as_deref()
                .map(|w| format!("{w}号窗口"))
                .unwrap_or_default();
            (s.agency.clone(), format!("{}：{hall}{window}", zh::WINDOW))
        }
        ItemKind::EnterprisePolicy => (
            s.agency.clone(),
            match (s.start_date, s.end_date) {
                (Some(a), Some(b)) => format!("{}：{}", zh::APPLY_PERIOD, period_zh(a, b)),
                _ => String::new(),
            },
        ),
        ItemKind::Consultation => (
            s.agency.clone(),
            match (s.start_date, s.end_date) {
                (Some(a), Some(b)) => format!("{}：{}", zh::CONSULT_PERIOD, period_zh(a, b)),
                _ => String::new(),
            },
        ),
        ItemKind::Notice => (
            s.agency.clone(),
            match (s.start_date, s.end_date) {
                (Some(a), Some(b)) => format!("{}：{}", zh::NOTICE_PERIOD, period_zh(a, b)),
                _ => String::new(),
            },
        ),
        ItemKind::CatalogEntry => (
            format!("{}　{}", s.category.clone().unwrap_or_default(), s.agency),
            s.domain
                .map(|d| format!("{}：{}", zh::DOMAIN, d.zh()))
                .unwrap_or_default(),
        ),
        ItemKind::Place => (
            s.category
                .as_deref()
                .and_then(kiosk_content::PlaceCategory::parse)
                .map(|c| c.zh().to_string())
                .unwrap_or_default(),
            String::new(),
        ),
        _ => (
            s.agency.clone(),
            s.date
                .map(|d| format!("{}：{}", zh::PUBLISHED, date_zh(d)))
                .unwrap_or_default(),
        ),
    };
    row(&s.id, s.kind.slug(), &s.title, line1, line2, badge)
}

/// Index of the selected chip in a model (for tests and logs).
pub fn selected_index(m: &ModelRc<crate::Chip>) -> Option<usize> {
    (0..m.row_count()).find(|&i| m.row_data(i).is_some_and(|c| c.selected))
}

/// A list row for a full item (links between items).
pub fn item_row(ctx: &AppContext, item: &kiosk_content::Item) -> Row {
    let content = ctx.content.borrow();
    let today = content.today();
    let grace = content.bundle().grace_days;
    let m = item.meta();
    let badge = status_badge(
        item.kind(),
        item.validity_on(today),
        item.status_on(today, grace),
    );
    let line1 = match item {
        kiosk_content::Item::Policy(p) => match &p.doc_number {
            Some(n) => format!("{n}　{}", m.agency),
            None => m.agency.clone(),
        },
        _ => m.agency.clone(),
    };
    let line2 = m
        .published
        .map(|d| format!("{}：{}", zh::PUBLISHED, date_zh(d)))
        .unwrap_or_default();
    row(&m.id, item.kind().slug(), &m.title, line1, line2, badge)
}
