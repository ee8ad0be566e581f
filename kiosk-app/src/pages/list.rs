//! Lists with filters: policies (domain, agency, year, validity),
//! interpretations, guides, enterprise policies (open/closed), consultations
//! and notices.

use std::rc::Rc;

use kiosk_content::store::{Facet, ItemSummary, ListQuery, StatusFilter};
use kiosk_content::{Domain, ItemStatus, StoreError};
use slint::ComponentHandle;

use super::{model, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::{ListKind, Route};
use crate::strings as zh;
use crate::{Chip, FilterGroup, ListAdapter, MainWindow, PageId};

const PAGE: usize = 30;

/// Rows shown before 显示更多. A county's guides (matters) number tens to
/// a few hundred: one list to swipe through, or page with the scroll bar,
/// costs a resident no tap; policies and notices grow to thousands, so
/// they come 30 at a time.
fn page(kind: ListKind) -> usize {
    match kind {
        ListKind::Guide => 300,
        _ => PAGE,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    All,
    Domain(Domain),
    Agency(String),
    Year(i32),
    Status(StatusFilter),
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub title: &'static str,
    pub options: Vec<(String, FilterValue)>,
    pub selected: usize,
}

impl Filter {
    fn value(&self) -> &FilterValue {
        self.options
            .get(self.selected)
            .map(|o| &o.1)
            .unwrap_or(&FilterValue::All)
    }
}

#[derive(Debug, Default)]
pub struct ListState {
    pub kind: Option<ListKind>,
    pub filters: Vec<Filter>,
    pub limit: usize,
}

impl ListState {
    pub fn query(&self, kind: ListKind) -> ListQuery {
        let mut q = ListQuery {
            kind: Some(kind.item_kind()),
            limit: Some(self.limit + 1),
            ..Default::default()
        };
        for f in &self.filters {
            match f.value() {
                FilterValue::All => {}
                FilterValue::Domain(d) => q.domain = Some(*d),
                FilterValue::Agency(a) => q.agency = Some(a.clone()),
                FilterValue::Year(y) => q.year = Some(*y),
                FilterValue::Status(s) => q.status = Some(*s),
            }
        }
        q
    }
}

pub fn title(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Policy => zh::TITLE_POLICIES,
        ListKind::Interpretation => zh::TITLE_INTERPRETATIONS,
        ListKind::Guide => zh::TITLE_GUIDES,
        ListKind::Enterprise => zh::TITLE_ENTERPRISE,
        ListKind::Consultation => zh::TITLE_CONSULTATIONS,
        ListKind::Notice => zh::TITLE_NOTICES,
    }
}

fn all() -> (String, FilterValue) {
    (zh::ALL.to_string(), FilterValue::All)
}

fn facet_filter(
    ctx: &AppContext,
    kind: ListKind,
    facet: Facet,
    title: &'static str,
) -> Result<Filter, StoreError> {
    let mut values = ctx.content.borrow().facets(kind.item_kind(), facet)?;
    if facet == Facet::Year {
        values.sort_by(|a, b| b.0.cmp(&a.0));
    }
    let mut options = vec![all()];
    for (v, n) in values {
        let value = match facet {
            Facet::Domain => match Domain::parse(&v) {
                Some(d) => FilterValue::Domain(d),
                None => continue,
            },
            Facet::Agency => FilterValue::Agency(v.clone()),
            Facet::Year => match v.parse() {
                Ok(y) => FilterValue::Year(y),
                Err(_) => continue,
            },
        };
        let label = match &value {
            FilterValue::Domain(d) => format!("{}（{n}）", d.zh()),
            FilterValue::Year(y) => format!("{y}年（{n}）"),
            _ => format!("{v}（{n}）"),
        };
        options.push((label, value));
    }
    Ok(Filter {
        title,
        options,
        selected: 0,
    })
}

fn status_filter(current: &str, ended: &str) -> Filter {
    Filter {
        title: zh::FILTER_STATUS,
        options: vec![
            all(),
            (
                current.to_string(),
                FilterValue::Status(StatusFilter::Current),
            ),
            (ended.to_string(), FilterValue::Status(StatusFilter::Ended)),
        ],
        selected: 0,
    }
}

fn filters_for(ctx: &AppContext, kind: ListKind) -> Result<Vec<Filter>, StoreError> {
    Ok(match kind {
        ListKind::Policy => {
            let mut validity = status_filter(zh::VALID, zh::ENDED_POLICY);
            validity.title = zh::FILTER_VALIDITY;
            vec![
                facet_filter(ctx, kind, Facet::Domain, zh::FILTER_DOMAIN)?,
                facet_filter(ctx, kind, Facet::Agency, zh::FILTER_AGENCY)?,
                facet_filter(ctx, kind, Facet::Year, zh::FILTER_YEAR)?,
                validity,
            ]
        }
        ListKind::Interpretation => vec![
            facet_filter(ctx, kind, Facet::Domain, zh::FILTER_DOMAIN)?,
            facet_filter(ctx, kind, Facet::Year, zh::FILTER_YEAR)?,
        ],
        ListKind::Guide => vec![
            facet_filter(ctx, kind, Facet::Domain, zh::FILTER_DOMAIN)?,
            facet_filter(ctx, kind, Facet::Agency, zh::FILTER_IMPLEMENTER)?,
        ],
        ListKind::Enterprise => vec![
            status_filter(zh::OPEN_NOW, zh::ENDED),
            facet_filter(ctx, kind, Facet::Agency, zh::FILTER_DEPARTMENT)?,
        ],
        ListKind::Consultation => vec![status_filter(zh::CONSULTING_NOW, zh::ENDED)],
        ListKind::Notice => Vec::new(),
    })
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<ListAdapter>();
    let h = Handle::new(win, ctx);
    a.on_choose({
        let h = h.clone();
        move |group, chip| {
            h.run(|win, ctx| {
                {
                    let mut st = ctx.list.borrow_mut();
                    let group = usize::try_from(group).ok();
                    let chip = usize::try_from(chip).ok();
                    if let (Some(f), Some(c)) = (group.and_then(|g| st.filters.get_mut(g)), chip)
                        && c < f.options.len()
                    {
                        f.selected = c;
                    }
                    st.limit = st.kind.map_or(PAGE, page);
                }
                win.global::<ListAdapter>().set_open_filter(-1);
                if let Err(e) = render(win, ctx) {
                    app::content_error(win, &e);
                }
            })
        }
    });
    a.on_more({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                let mut st = ctx.list.borrow_mut();
                st.limit += st.kind.map_or(PAGE, page);
                drop(st);
                if let Err(e) = render(win, ctx) {
                    app::content_error(win, &e);
                }
            })
        }
    });
    a.on_open(move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string()))));
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>, kind: ListKind) -> Result<(), StoreError> {
    let fresh = ctx.list.borrow().kind != Some(kind);
    if fresh {
        let filters = filters_for(ctx, kind)?;
        *ctx.list.borrow_mut() = ListState {
            kind: Some(kind),
            filters,
            limit: page(kind),
        };
        win.global::<ListAdapter>().set_open_filter(-1);
    }
    render(win, ctx)?;
    show_page(win, PageId::List, title(kind));
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let (kind, query, limit, groups) = {
        let st = ctx.list.borrow();
        let Some(kind) = st.kind else { return Ok(()) };
        let groups: Vec<FilterGroup> = st
            .filters
            .iter()
            .map(|f| FilterGroup {
                title: f.title.into(),
                current: f
                    .options
                    .get(f.selected)
                    .map(|o| o.0.split('（').next().unwrap_or(&o.0).to_string())
                    .unwrap_or_default()
                    .into(),
                chips: model(
                    f.options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| Chip {
                            label: o.0.as_str().into(),
                            selected: i == f.selected,
                        })
                        .collect(),
                ),
            })
            .collect();
        (kind, st.query(kind), st.limit, groups)
    };
    let items = if kind.open_first() && query.status.is_none() {
        open_first(ctx.content.borrow().list(&ListQuery {
            limit: None,
            ..query
        })?)
    } else {
        ctx.content.borrow().list(&query)?
    };
    let has_more = items.len() > limit;
    let rows: Vec<_> = items
        .iter()
        .take(limit)
        .map(|s| summary_row(ctx, s))
        .collect();
    let a = win.global::<ListAdapter>();
    a.set_status(if rows.is_empty() {
        zh::LIST_EMPTY.into()
    } else {
        zh::list_count(rows.len(), has_more).into()
    });
    a.set_filters(model(groups));
    a.set_rows(model(rows));
    a.set_has_more(has_more);
    let _ = kind;
    Ok(())
}

/// Open ones (申报中, 征集中) first, then those not open yet, then closed;
/// each newest first, as the store gives them.
pub fn open_first(mut items: Vec<ItemSummary>) -> Vec<ItemSummary> {
    items.sort_by_key(|s| match s.status {
        ItemStatus::Current => 0,
        ItemStatus::Upcoming => 1,
        ItemStatus::Ended => 2,
        ItemStatus::Hidden => 3,
    });
    items
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    *ctx.list.borrow_mut() = ListState::default();
    win.global::<ListAdapter>().set_open_filter(-1);
}
