//! 村务公开 for the station's village: village finance by period, and the
//! monthly assistance and subsidy lists.

use std::rc::Rc;

use chrono::Datelike;
use kiosk_content::{Item, ItemKind, StoreError, Village};
use slint::{ComponentHandle, SharedString};

use super::{facts, model, show_page};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::strings as zh;
use crate::text::yuan;
use crate::{Chip, MainWindow, PageId, TableRow, VillageAdapter};

#[derive(Debug, Default)]
pub struct VillageState {
    /// Village chosen on the page; None: the configured one (or the first).
    pub village: Option<String>,
    pub tab: i32,
    pub period: usize,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<VillageAdapter>();
    let h = Handle::new(win, ctx);
    a.on_choose_village({
        let h = h.clone();
        move |i| {
            h.run(|win, ctx| {
                let villages = villages(ctx).unwrap_or_default();
                if let Some(v) = usize::try_from(i).ok().and_then(|i| villages.get(i)) {
                    let mut st = ctx.village.borrow_mut();
                    st.village = Some(v.meta.id.clone());
                    st.period = 0;
                }
                refresh(win, ctx);
            })
        }
    });
    a.on_choose_tab({
        let h = h.clone();
        move |t| {
            h.run(|win, ctx| {
                let mut st = ctx.village.borrow_mut();
                st.tab = t.clamp(0, 1);
                st.period = 0;
                drop(st);
                refresh(win, ctx);
            })
        }
    });
    a.on_choose_period(move |p| {
        h.run(|win, ctx| {
            ctx.village.borrow_mut().period = usize::try_from(p).unwrap_or(0);
            refresh(win, ctx);
        })
    });
}

fn refresh(win: &MainWindow, ctx: &AppContext) {
    if let Err(e) = render(win, ctx) {
        app::content_error(win, &e);
    }
}

fn villages(ctx: &AppContext) -> Result<Vec<Village>, StoreError> {
    let mut out: Vec<Village> = ctx
        .content
        .borrow()
        .items_of_kind(ItemKind::Village)?
        .into_iter()
        .filter_map(|i| match i {
            Item::Village(v) => Some(v),
            _ => None,
        })
        .collect();
    // A hall kiosk offers the villages that publish figures; a village
    // station always shows its own village, even before it publishes any.
    out.retain(|v| {
        !v.finance.is_empty() || !v.assistance.is_empty() || v.meta.id == ctx.config.village
    });
    out.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(out)
}

/// Village figures are published every quarter (finance) or month
/// (assistance lists); newest figures more than two quarters old are
/// marked as not recent.
pub const RECENT_MONTHS: i32 = 6;

/// The last month a period covers: `2021年第4季度` → (2021, 12),
/// `2021-06` → (2021, 6), `2021年6月` → (2021, 6), `2021年` → (2021, 12).
pub fn period_end(period: &str) -> Option<(i32, u32)> {
    let digits: String = period.chars().take_while(char::is_ascii_digit).collect();
    let year: i32 = digits.parse().ok().filter(|y| (1900..=2200).contains(y))?;
    let rest = period[digits.len()..].trim_start_matches(['年', '-', '/', '.']);
    if let Some(q) = rest.strip_prefix('第').and_then(|r| r.strip_suffix("季度")) {
        let q: u32 = match q {
            "1" | "一" => 1,
            "2" | "二" => 2,
            "3" | "三" => 3,
            "4" | "四" => 4,
            _ => return None,
        };
        return Some((year, q * 3));
    }
    let month_digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if month_digits.is_empty() {
        return match rest {
            "" => Some((year, 12)),
            "上半年" => Some((year, 6)),
            "下半年" => Some((year, 12)),
            _ => None,
        };
    }
    let month: u32 = month_digits.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some((year, month))
}

/// The newest month any of the village's figures cover.
fn newest_month(v: &Village) -> Option<(i32, u32)> {
    v.finance
        .iter()
        .map(|r| r.period.as_str())
        .chain(v.assistance.iter().map(|r| r.month.as_str()))
        .filter_map(period_end)
        .max()
}

fn months_between(from: (i32, u32), to: (i32, u32)) -> i32 {
    (to.0 - from.0) * 12 + to.1 as i32 - from.1 as i32
}

fn cells(v: Vec<String>) -> slint::ModelRc<SharedString> {
    model(v.into_iter().map(SharedString::from).collect())
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx)?;
    show_page(win, PageId::Village, zh::TITLE_VILLAGE);
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<VillageAdapter>();
    let all = villages(ctx)?;
    let st = ctx.village.borrow();
    let wanted = st
        .village
        .clone()
        .unwrap_or_else(|| ctx.config.village.clone());
    let village = all
        .iter()
        .find(|v| v.meta.id == wanted)
        .or_else(|| all.first());
    // A village station shows its own village only.
    let pickable = ctx.config.village.is_empty();
    a.set_villages(model(if pickable {
        all.iter()
            .map(|v| Chip {
                label: v.meta.title.as_str().into(),
                selected: Some(&v.meta.id) == village.map(|x| &x.meta.id),
            })
            .collect()
    } else {
        Vec::new()
    }));
    let Some(v) = village else {
        a.set_title(zh::VILLAGE_NONE.into());
        a.set_facts(model(Vec::new()));
        a.set_finance(model(Vec::new()));
        a.set_assistance(model(Vec::new()));
        a.set_periods(model(Vec::new()));
        return Ok(());
    };
    a.set_title(format!("{}{}", v.meta.title, zh::TITLE_VILLAGE).into());
    a.set_facts(facts(vec![
        (zh::TOWNSHIP, v.township.clone()),
        (zh::TEL, v.phone.clone().unwrap_or_default()),
    ]));
    match newest_month(v) {
        Some((year, month)) => {
            a.set_as_of(zh::data_as_of(year, month).into());
            let today = ctx.now().date();
            a.set_stale(
                months_between((year, month), (today.year(), today.month())) > RECENT_MONTHS,
            );
        }
        None => {
            a.set_as_of("".into());
            a.set_stale(false);
        }
    }
    a.set_tab(st.tab);
    // Periods, newest first.
    let mut periods: Vec<String> = if st.tab == 0 {
        v.finance.iter().map(|r| r.period.clone()).collect()
    } else {
        v.assistance.iter().map(|r| r.month.clone()).collect()
    };
    periods.dedup();
    let mut uniq: Vec<String> = Vec::new();
    for p in periods {
        if !uniq.contains(&p) {
            uniq.push(p);
        }
    }
    uniq.reverse();
    let period = uniq
        .get(st.period.min(uniq.len().saturating_sub(1)))
        .cloned()
        .unwrap_or_default();
    a.set_periods(model(
        uniq.iter()
            .map(|p| Chip {
                label: p.as_str().into(),
                selected: *p == period,
            })
            .collect(),
    ));
    a.set_status(if uniq.is_empty() {
        zh::VILLAGE_NONE.into()
    } else {
        "".into()
    });
    if st.tab == 0 {
        let rows: Vec<_> = v.finance.iter().filter(|r| r.period == period).collect();
        let income: i64 = rows.iter().filter(|r| r.income).map(|r| r.amount_fen).sum();
        let expense: i64 = rows
            .iter()
            .filter(|r| !r.income)
            .map(|r| r.amount_fen)
            .sum();
        a.set_finance_totals(facts(vec![
            (zh::INCOME_TOTAL, zh::amount_yuan(&yuan(income))),
            (zh::EXPENSE_TOTAL, zh::amount_yuan(&yuan(expense))),
            (zh::BALANCE, zh::amount_yuan(&yuan(income - expense))),
        ]));
        let mut table: Vec<TableRow> = rows
            .iter()
            .map(|r| TableRow {
                cells: cells(vec![
                    if r.income {
                        zh::INCOME.into()
                    } else {
                        zh::EXPENSE.into()
                    },
                    r.subject.clone(),
                    yuan(r.amount_fen),
                    r.note.clone(),
                ]),
                tone: 0,
            })
            .collect();
        table.sort_by_key(|r| {
            use slint::Model;
            r.cells.row_data(0).map(|c| c != zh::INCOME).unwrap_or(true)
        });
        a.set_finance(model(table));
    } else {
        let rows: Vec<_> = v.assistance.iter().filter(|r| r.month == period).collect();
        let mut table = Vec::new();
        let mut categories: Vec<&str> = Vec::new();
        for r in &rows {
            if !categories.contains(&r.category.as_str()) {
                categories.push(&r.category);
            }
        }
        for cat in categories {
            let group: Vec<_> = rows.iter().filter(|r| r.category == cat).collect();
            for r in &group {
                table.push(TableRow {
                    cells: cells(vec![
                        r.category.clone(),
                        r.head.clone(),
                        r.persons.to_string(),
                        yuan(r.amount_fen),
                        r.note.clone(),
                    ]),
                    tone: 0,
                });
            }
            let persons: u32 = group.iter().map(|r| r.persons).sum();
            let amount: i64 = group.iter().map(|r| r.amount_fen).sum();
            table.push(TableRow {
                cells: cells(vec![
                    format!("{cat}{}", zh::SUBTOTAL),
                    zh::households(group.len()),
                    persons.to_string(),
                    yuan(amount),
                    String::new(),
                ]),
                tone: 4,
            });
        }
        a.set_assistance(model(table));
    }
    Ok(())
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    *ctx.village.borrow_mut() = VillageState::default();
    win.global::<VillageAdapter>().set_tab(0);
}
