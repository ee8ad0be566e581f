//! Search with the pinyin keyboard: letters search titles by pinyin
//! directly (db finds 低保), and the candidate bar offers hanzi words from
//! the content's own vocabulary.

use std::rc::Rc;

use kiosk_content::StoreError;
use slint::ComponentHandle;

use super::{model, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::strings as zh;
use crate::{Group, MainWindow, PageId, SearchAdapter};

/// Hits shown per kind of content.
const PER_KIND: usize = 5;
/// Candidate words offered at once.
const CANDIDATES: usize = 8;
/// Longest query (letters plus chosen words).
const MAX_QUERY_CHARS: usize = 24;

#[derive(Debug, Default)]
pub struct SearchState {
    /// Words chosen from the candidate bar.
    pub words: String,
    /// Letters typed since.
    pub letters: String,
    pub candidates: Vec<String>,
}

impl SearchState {
    pub fn query(&self) -> String {
        format!("{}{}", self.words, self.letters)
    }

    pub fn key(&mut self, letter: &str) {
        if self.query().chars().count() < MAX_QUERY_CHARS {
            self.letters.extend(
                letter
                    .chars()
                    .filter(|c| c.is_ascii_alphabetic())
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
    }

    pub fn backspace(&mut self) {
        if self.letters.pop().is_none() {
            self.words.pop();
        }
    }

    /// Takes a candidate word in place of the letters typed.
    pub fn pick(&mut self, index: usize) {
        if let Some(w) = self.candidates.get(index).cloned() {
            self.words.push_str(&w);
            self.letters.clear();
        }
    }
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<SearchAdapter>();
    let h = Handle::new(win, ctx);
    a.on_key({
        let h = h.clone();
        move |k| h.run(|win, ctx| update(win, ctx, |s| s.key(&k)))
    });
    a.on_backspace({
        let h = h.clone();
        move || h.run(|win, ctx| update(win, ctx, SearchState::backspace))
    });
    a.on_clear({
        let h = h.clone();
        move || h.run(|win, ctx| update(win, ctx, |s| *s = SearchState::default()))
    });
    a.on_pick({
        let h = h.clone();
        move |i| {
            h.run(|win, ctx| {
                update(win, ctx, |s| {
                    s.pick(usize::try_from(i).unwrap_or(usize::MAX))
                })
            })
        }
    });
    a.on_open(move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string()))));
}

fn update(win: &MainWindow, ctx: &Rc<AppContext>, f: impl FnOnce(&mut SearchState)) {
    f(&mut ctx.search.borrow_mut());
    if let Err(e) = render(win, ctx) {
        app::content_error(win, &e);
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx)?;
    show_page(win, PageId::Search, zh::TITLE_SEARCH);
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<SearchAdapter>();
    let query = ctx.search.borrow().query();
    let letters = ctx.search.borrow().letters.clone();
    let content = ctx.content.borrow();
    let candidates = if letters.is_empty() {
        Vec::new()
    } else {
        content.candidates(&letters, CANDIDATES)?
    };
    ctx.search.borrow_mut().candidates = candidates.clone();
    a.set_query(query.as_str().into());
    a.set_candidates(super::strings(&candidates));
    if query.trim().is_empty() {
        a.set_groups(model(Vec::new()));
        a.set_status(zh::SEARCH_HINT.into());
        return Ok(());
    }
    let results = content.search(&query, PER_KIND)?;
    drop(content);
    let groups: Vec<Group> = results
        .groups
        .iter()
        .map(|g| Group {
            title: format!("{}（{}）", g.kind.zh(), g.hits.len()).into(),
            rows: model(
                g.hits
                    .iter()
                    .map(|hit| summary_row(ctx, &hit.item))
                    .collect(),
            ),
            more: if g.more {
                zh::SEARCH_MORE.into()
            } else {
                "".into()
            },
        })
        .collect();
    a.set_status(if groups.is_empty() {
        zh::SEARCH_NONE.into()
    } else {
        "".into()
    });
    a.set_groups(model(groups));
    Ok(())
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    *ctx.search.borrow_mut() = SearchState::default();
    let a = win.global::<SearchAdapter>();
    a.set_query("".into());
    a.set_candidates(model(Vec::new()));
    a.set_groups(model(Vec::new()));
    a.set_status(zh::SEARCH_HINT.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_words_and_backspace() {
        let mut s = SearchState::default();
        s.key("d");
        s.key("B");
        assert_eq!(s.query(), "db");
        s.candidates = vec!["低保".into(), "大病".into()];
        s.pick(0);
        assert_eq!(s.query(), "低保");
        s.key("s");
        s.backspace();
        s.backspace();
        assert_eq!(s.query(), "低");
        s.pick(9);
        assert_eq!(s.query(), "低");
    }
}
