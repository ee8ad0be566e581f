//! Search with three keyboards: pinyin letters search titles by pinyin
//! directly (db finds 低保) and the candidate bar offers hanzi words from the
//! content's own vocabulary; the handwriting pad offers the recognizer's
//! characters after each stroke; the 123 layer types a 文号 (digits, 〔〕,
//! 号, -, space).

use std::rc::Rc;

use kiosk_content::StoreError;
use kiosk_content::store::per_kind_for;
use slint::{ComponentHandle, Model, SharedString};

use super::{model, refill, show_page, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::strings as zh;
use crate::{Group, MainWindow, PageId, Row, SearchAdapter};

/// Candidate words offered at once.
const CANDIDATES: usize = 8;
/// Longest query (letters plus chosen words).
const MAX_QUERY_CHARS: usize = 24;
/// What the 123 layer types besides digits.
const SYMBOLS: &[char] = &['〔', '〕', '号', '-', ' '];

/// The keyboard on screen (`SearchAdapter.mode`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Pinyin = 0,
    Handwriting = 1,
    Digits = 2,
}

impl Mode {
    fn from_index(i: i32) -> Mode {
        match i {
            1 => Mode::Handwriting,
            2 => Mode::Digits,
            _ => Mode::Pinyin,
        }
    }
}

#[derive(Debug, Default)]
pub struct SearchState {
    /// Words chosen from the candidate bar, and what the 123 layer typed.
    pub words: String,
    /// Letters typed since.
    pub letters: String,
    pub candidates: Vec<String>,
    pub mode: Mode,
    /// The character being written on the pad.
    pub ink: Ink,
}

/// Strokes on the handwriting pad, in the pad's logical pixels.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Ink {
    pub strokes: Vec<Vec<(f32, f32)>>,
    /// The pad's size when the last stroke ended.
    pub size: (f32, f32),
}

/// Bounds that keep a scribbling finger from growing the ink without end.
const MAX_STROKES: usize = 40;
const MAX_POINTS: usize = 500;
/// Points closer than this to the last one add nothing to the shape.
const MIN_STEP: f32 = 3.0;

impl Ink {
    /// A point of the finger; `start` begins a stroke.
    pub fn point(&mut self, x: f32, y: f32, start: bool) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        if start || self.strokes.is_empty() {
            if self.strokes.len() >= MAX_STROKES {
                return;
            }
            self.strokes.push(Vec::new());
        }
        let Some(stroke) = self.strokes.last_mut() else {
            return;
        };
        let far_enough = stroke
            .last()
            .is_none_or(|&(lx, ly)| (x - lx).abs().max((y - ly).abs()) >= MIN_STEP);
        if far_enough && stroke.len() < MAX_POINTS {
            stroke.push((x, y));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.strokes.iter().all(Vec::is_empty)
    }

    /// The strokes as the recognizer takes them.
    pub fn for_recognizer(&self) -> crate::handwriting::Ink {
        crate::handwriting::Ink {
            width: self.size.0,
            height: self.size.1,
            strokes: self
                .strokes
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.iter().map(|&(x, y)| [x, y]).collect())
                .collect(),
        }
    }

    /// The ink as path commands (`M x y L x y ...`); a tap is a dot.
    pub fn path(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for stroke in &self.strokes {
            let Some(&(x0, y0)) = stroke.first() else {
                continue;
            };
            let _ = write!(out, "M {x0:.1} {y0:.1} ");
            if stroke.len() == 1 {
                let _ = write!(out, "L {:.1} {y0:.1} ", x0 + 0.5);
            }
            for &(x, y) in &stroke[1..] {
                let _ = write!(out, "L {x:.1} {y:.1} ");
            }
        }
        out.truncate(out.trim_end().len());
        out
    }
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

    /// Text from the 123 layer, as it is: digits and the 文号 signs.
    /// Letters typed before it stay in the query as typed.
    pub fn insert(&mut self, text: &str) {
        let text: String = text
            .chars()
            .filter(|c| c.is_ascii_digit() || SYMBOLS.contains(c))
            .collect();
        if text.is_empty() || self.query().chars().count() >= MAX_QUERY_CHARS {
            return;
        }
        let letters = std::mem::take(&mut self.letters);
        self.words.push_str(&letters);
        self.words.push_str(&text);
    }

    pub fn backspace(&mut self) {
        if self.letters.pop().is_none() {
            self.words.pop();
        }
    }

    /// Takes a candidate word in place of the letters typed (or the
    /// character written on the pad).
    pub fn pick(&mut self, index: usize) {
        if let Some(w) = self.candidates.get(index).cloned() {
            // Only a word that fits: a candidate (the vocabulary's, the
            // recognizer's) never takes the query past the cap.
            if self.query().chars().count() + w.chars().count() <= MAX_QUERY_CHARS {
                self.words.push_str(&w);
            }
            self.letters.clear();
            if self.mode == Mode::Handwriting {
                self.rewrite();
            }
        }
    }

    /// Another keyboard: the pad's ink and its candidates go.
    pub fn set_mode(&mut self, mode: Mode) {
        if self.mode == Mode::Handwriting {
            self.rewrite();
        }
        self.mode = mode;
        if mode == Mode::Handwriting {
            self.candidates.clear();
        }
    }

    /// 清空: no query, no ink, no candidates; the keyboard stays.
    pub fn clear_text(&mut self) {
        *self = SearchState {
            mode: self.mode,
            ..Default::default()
        };
    }

    /// 重写: a clean pad and no candidates.
    pub fn rewrite(&mut self) {
        self.ink = Ink::default();
        if self.mode == Mode::Handwriting {
            self.candidates.clear();
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
    a.on_insert({
        let h = h.clone();
        move |t| h.run(|win, ctx| update(win, ctx, |s| s.insert(&t)))
    });
    a.on_set_mode({
        let h = h.clone();
        move |m| h.run(|win, ctx| update(win, ctx, |s| s.set_mode(Mode::from_index(m))))
    });
    a.on_stroke_point({
        let h = h.clone();
        move |x, y, start| {
            h.run(|win, ctx| {
                let mut st = ctx.search.borrow_mut();
                st.ink.point(x, y, start);
                let path = st.ink.path();
                drop(st);
                win.global::<SearchAdapter>().set_ink(path.into());
            })
        }
    });
    a.on_stroke_end({
        let h = h.clone();
        move |w, hgt| h.run(|win, ctx| stroke_end(win, ctx, w, hgt))
    });
    a.on_rewrite({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                ctx.handwriting.cancel();
                update(win, ctx, SearchState::rewrite)
            })
        }
    });
    a.on_backspace({
        let h = h.clone();
        move || h.run(|win, ctx| update(win, ctx, SearchState::backspace))
    });
    a.on_clear({
        let h = h.clone();
        move || {
            h.run(|win, ctx| {
                ctx.handwriting.cancel();
                update(win, ctx, SearchState::clear_text)
            })
        }
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

/// A stroke ended: the ink so far goes to the recognizer (off the UI
/// thread); its characters replace the candidates when they come, unless
/// the pad was wiped or the page left meanwhile (the worker then drops the
/// answer).
fn stroke_end(win: &MainWindow, ctx: &Rc<AppContext>, width: f32, height: f32) {
    let ink = {
        let mut st = ctx.search.borrow_mut();
        st.ink.size = (width, height);
        if st.ink.is_empty() || st.mode != Mode::Handwriting {
            return;
        }
        st.ink.for_recognizer()
    };
    let h = Handle::new(win, ctx);
    ctx.handwriting.recognize(ink, move |chars| {
        h.run(|win, ctx| {
            let mut st = ctx.search.borrow_mut();
            if st.mode != Mode::Handwriting || st.ink.is_empty() {
                return;
            }
            st.candidates = chars.iter().map(char::to_string).collect();
            let list = super::strings(&st.candidates);
            drop(st);
            win.global::<SearchAdapter>().set_candidates(list);
        })
    });
}

fn update(win: &MainWindow, ctx: &Rc<AppContext>, f: impl FnOnce(&mut SearchState)) {
    f(&mut ctx.search.borrow_mut());
    if let Err(e) = render(win, ctx) {
        app::content_error(win, &e);
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    // Without Zinnia or its model the 手写 tab is not offered; the staff
    // panel says why.
    let available = ctx.handwriting.is_ready();
    win.global::<SearchAdapter>()
        .set_handwriting_available(available);
    if !available && ctx.search.borrow().mode == Mode::Handwriting {
        ctx.search.borrow_mut().set_mode(Mode::Pinyin);
    }
    render(win, ctx)?;
    show_page(win, PageId::Search, zh::TITLE_SEARCH);
    // Back with ink on the pad: the answer to its last stroke was dropped
    // when the resident left the page (app::show_route), so ask again.
    let ink_size = {
        let st = ctx.search.borrow();
        (st.mode == Mode::Handwriting && !st.ink.is_empty()).then_some(st.ink.size)
    };
    if let Some((w, h)) = ink_size {
        stroke_end(win, ctx, w, h);
    }
    Ok(())
}

fn render(win: &MainWindow, ctx: &AppContext) -> Result<(), StoreError> {
    let a = win.global::<SearchAdapter>();
    let (query, letters, mode) = {
        let st = ctx.search.borrow();
        (st.query(), st.letters.clone(), st.mode)
    };
    let content = ctx.content.borrow();
    // On the pad the candidates are the recognizer's, kept as they came.
    if mode != Mode::Handwriting {
        let candidates = if letters.is_empty() {
            Vec::new()
        } else {
            content.candidates(&letters, CANDIDATES)?
        };
        ctx.search.borrow_mut().candidates = candidates;
    }
    {
        let st = ctx.search.borrow();
        let words = st.candidates.iter().map(|w| w.as_str().into()).collect();
        a.set_candidates(refill(a.get_candidates(), words));
        a.set_ink(st.ink.path().into());
    }
    a.set_query(query.as_str().into());
    a.set_mode(mode as i32);
    if query.trim().is_empty() {
        show_groups(win, Vec::new());
        a.set_status(hint(mode).into());
        ctx.usage.search_shown("", false);
        return Ok(());
    }
    let results = content.search(&query, per_kind_for(&query))?;
    drop(content);
    let mut groups: Vec<GroupRows> = results
        .groups
        .iter()
        .map(|g| GroupRows {
            title: format!("{}（{}）", g.kind.zh(), g.hits.len()).into(),
            rows: g
                .hits
                .iter()
                .map(|hit| summary_row(ctx, &hit.item))
                .collect(),
            more: if g.more {
                zh::SEARCH_MORE.into()
            } else {
                "".into()
            },
        })
        .collect();
    // No exact match: the closest partial matches, the places whose
    // services mention the words, and the hall's enquiry phone.
    if !results.places.is_empty() {
        groups.push(GroupRows {
            title: format!("{}（{}）", zh::SEARCH_PLACES, results.places.len()).into(),
            rows: results.places.iter().map(|p| summary_row(ctx, p)).collect(),
            more: "".into(),
        });
    }
    // Never an empty page: with nothing found, or only partial matches,
    // the hall's enquiry phone says where to ask.
    let phone = ctx.hall().map(|h| h.phone).filter(|p| !p.is_empty());
    let with_phone = |text: &str| match &phone {
        Some(phone) => format!("{text}{}{phone}", zh::SEARCH_PHONE),
        None => text.to_string(),
    };
    a.set_status(if groups.is_empty() {
        with_phone(zh::SEARCH_NONE).into()
    } else if results.no_match() {
        with_phone(zh::SEARCH_PARTIAL).into()
    } else {
        "".into()
    });
    ctx.usage
        .search_shown(&query, !groups.is_empty() && !results.no_match());
    show_groups(win, groups);
    Ok(())
}

/// One group of results before it is shown.
#[derive(Clone)]
struct GroupRows {
    title: SharedString,
    rows: Vec<Row>,
    more: SharedString,
}

/// Result rows built for the frame that answers a keystroke, at least:
/// the page asks for as many as fill its results pane
/// (`SearchAdapter.rows-that-fit`: the pane's height over the shortest
/// row, plus one; 10 or 11 at 1080x1920), and the rest, below the fold, are
/// added a moment later ([`REST_AFTER`]). Building and shaping every row
/// of a one-letter query was the slowest keystroke on the page
/// (BENCHMARKS.md, "Frames").
pub const FIRST_ROWS: usize = 6;
/// When the rows below the fold are added: after the frame that shows the
/// first ones. The KMS backend's loop runs due timers before it draws, so
/// a zero delay would build every row before the first frame again; 40 ms
/// leaves a Pi 4 time to draw that frame, and is far shorter than the
/// time between two taps of a finger.
pub const REST_AFTER: std::time::Duration = std::time::Duration::from_millis(40);

/// The whole list waiting to replace the first rows, and its window.
type Pending = Option<(slint::Weak<MainWindow>, Vec<GroupRows>)>;

thread_local! {
    /// Adds the rows below the fold ([`show_groups`]).
    static REST: slint::Timer = slint::Timer::default();
    static PENDING: std::cell::RefCell<Pending> = const { std::cell::RefCell::new(None) };
}

/// Shows the result groups: at once the rows that fit the pane (what it
/// shows), and the whole list [`REST_AFTER`] later, unless
/// another keystroke came first.
fn show_groups(win: &MainWindow, groups: Vec<GroupRows>) {
    let a = win.global::<SearchAdapter>();
    let n = usize::try_from(a.get_rows_that_fit()).map_or(FIRST_ROWS, |n| n.max(FIRST_ROWS));
    match first_rows(&groups, n) {
        None => {
            REST.with(slint::Timer::stop);
            PENDING.with(|p| p.borrow_mut().take());
            fill_groups(&a, groups);
        }
        Some(first) => {
            fill_groups(&a, first);
            PENDING.with(|p| *p.borrow_mut() = Some((win.as_weak(), groups)));
            REST.with(|t| t.start(slint::TimerMode::SingleShot, REST_AFTER, finish_rows));
        }
    }
}

/// Adds the rows below the fold now, if they are still to come: what the
/// timer does, and what screenshots call to draw the page as it settles.
pub fn finish_rows() {
    REST.with(slint::Timer::stop);
    if let Some((win, groups)) = PENDING.with(|p| p.borrow_mut().take())
        && let Some(win) = win.upgrade()
    {
        fill_groups(&win.global::<SearchAdapter>(), groups);
    }
}

/// Whether rows below the fold are still to be added.
pub fn rows_pending() -> bool {
    PENDING.with(|p| p.borrow().is_some())
}

/// The groups cut after `n` rows (a cut group loses its "more" line, which
/// is below the fold anyway), or `None` if they hold no more than `n`.
fn first_rows(groups: &[GroupRows], n: usize) -> Option<Vec<GroupRows>> {
    let total: usize = groups.iter().map(|g| g.rows.len()).sum();
    if total <= n {
        return None;
    }
    let mut left = n;
    let mut first = Vec::new();
    for g in groups {
        if left == 0 {
            break;
        }
        if g.rows.len() <= left {
            left -= g.rows.len();
            first.push(g.clone());
        } else {
            first.push(GroupRows {
                title: g.title.clone(),
                rows: g.rows[..left].to_vec(),
                more: "".into(),
            });
            left = 0;
        }
    }
    Some(first)
}

/// The result groups, updated in place (see [`refill`]): the group at
/// each position keeps its row model, so a keystroke that changes some
/// rows rebuilds only those.
fn fill_groups(a: &SearchAdapter, groups: Vec<GroupRows>) {
    let current = a.get_groups();
    let groups = groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| Group {
            title: g.title,
            rows: match current.row_data(i) {
                Some(old) => refill(old.rows, g.rows),
                None => model(g.rows),
            },
            more: g.more,
        })
        .collect();
    a.set_groups(refill(current, groups));
}

/// What the page says before anything is typed: how to use the keyboard
/// on screen.
fn hint(mode: Mode) -> &'static str {
    match mode {
        Mode::Pinyin => zh::SEARCH_HINT,
        Mode::Handwriting => zh::SEARCH_HINT_HANDWRITING,
        Mode::Digits => zh::SEARCH_HINT_DIGITS,
    }
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    ctx.handwriting.cancel();
    *ctx.search.borrow_mut() = SearchState::default();
    let a = win.global::<SearchAdapter>();
    a.set_query("".into());
    a.set_mode(Mode::Pinyin as i32);
    a.set_ink("".into());
    a.set_candidates(refill(a.get_candidates(), Vec::new()));
    show_groups(win, Vec::new());
    a.set_status(zh::SEARCH_HINT.into());
}

/// Scenes for screenshots and reviews (`kiosk-app screenshot`), through
/// the same callbacks a finger triggers.
pub mod scene {
    use slint::ComponentHandle;

    use crate::{MainWindow, SearchAdapter};

    /// 保 as a finger writes it, in order, on a unit square (drawn by hand
    /// for the scene, not taken from any font or data set; the UI tests
    /// write it too).
    pub const BAO: &[&[(f32, f32)]] = &[
        &[(0.30, 0.10), (0.12, 0.45)],
        &[(0.22, 0.30), (0.22, 0.92)],
        &[(0.42, 0.12), (0.42, 0.40)],
        &[(0.42, 0.12), (0.82, 0.12), (0.82, 0.40)],
        &[(0.42, 0.40), (0.82, 0.40)],
        &[(0.36, 0.55), (0.90, 0.55)],
        &[(0.63, 0.45), (0.63, 0.95)],
        &[(0.62, 0.57), (0.40, 0.85)],
        &[(0.64, 0.57), (0.90, 0.85)],
    ];

    /// The 手写 tab with 保 written on a pad of `pad` pixels and its
    /// candidates offered.
    pub fn handwriting(win: &MainWindow, pad: f32) {
        let a = win.global::<SearchAdapter>();
        a.invoke_set_mode(1);
        for stroke in BAO {
            for (i, &(x, y)) in stroke.iter().enumerate() {
                if i > 0 {
                    let (px, py) = stroke[i - 1];
                    for step in 1..8 {
                        let t = step as f32 / 8.0;
                        a.invoke_stroke_point(
                            (px + t * (x - px)) * pad,
                            (py + t * (y - py)) * pad,
                            false,
                        );
                    }
                }
                a.invoke_stroke_point(x * pad, y * pad, i == 0);
            }
            a.invoke_stroke_end(pad, pad);
        }
    }

    /// The 123 tab with a 文号 typed key by key.
    pub fn digits(win: &MainWindow) {
        let a = win.global::<SearchAdapter>();
        a.invoke_set_mode(2);
        for k in ["2", "0", "2", "0", " ", "3", "3"] {
            a.invoke_insert(k.into());
        }
    }
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

    #[test]
    fn the_123_layer_types_a_doc_number_and_nothing_else() {
        let mut s = SearchState {
            words: "示政办发".into(),
            ..Default::default()
        };
        for t in ["〔", "2", "0", "2", "0", "〕", "3", "3", "号"] {
            s.insert(t);
        }
        assert_eq!(s.query(), "示政办发〔2020〕33号");
        s.insert("a");
        s.insert(";");
        assert_eq!(s.query(), "示政办发〔2020〕33号");
        let mut s = SearchState::default();
        s.key("w");
        s.insert("2");
        assert_eq!((s.words.as_str(), s.letters.as_str()), ("w2", ""));
    }
}
