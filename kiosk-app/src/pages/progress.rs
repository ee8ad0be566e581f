//! 办事进度: the case number and query code typed on a digit pad, looked up
//! in the sealed progress records off the UI thread (the key derivation is
//! deliberately slow). A wrong code and an unknown case get the same
//! neutral message; nothing typed is logged.

use std::rc::Rc;

use kiosk_content::{ContentReader, ProgressLookup, ProgressRecord, StoreError};
use slint::ComponentHandle;

use super::{facts, model, show_page};
use crate::context::{AppContext, Handle};
use crate::strings as zh;
use crate::text::{date_opt, date_zh};
use crate::{MainWindow, PageId, ProgressAdapter, Step};

pub const CODE_LEN: usize = 6;
const MAX_CASE_DIGITS: usize = 20;

#[derive(Debug, Default)]
pub struct ProgressState {
    pub case_digits: String,
    pub code: String,
    /// 0 case number, 1 query code.
    pub field: i32,
    pub busy: bool,
    /// Bumped by every lookup and reset, so a late answer to an old lookup
    /// is dropped.
    pub serial: u64,
    pub result: Option<Outcome>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Found(ProgressRecord),
    NotFound,
}

impl ProgressState {
    pub fn digit(&mut self, d: &str) {
        let d: String = d.chars().filter(char::is_ascii_digit).collect();
        if self.field == 0 {
            if self.case_digits.len() + d.len() <= MAX_CASE_DIGITS {
                self.case_digits.push_str(&d);
            }
        } else if self.code.len() + d.len() <= CODE_LEN {
            self.code.push_str(&d);
        }
        self.message.clear();
    }

    pub fn backspace(&mut self) {
        if self.field == 0 {
            self.case_digits.pop();
        } else {
            self.code.pop();
        }
    }

    pub fn clear_field(&mut self) {
        if self.field == 0 {
            self.case_digits.clear();
        } else {
            self.code.clear();
        }
    }

    /// Forgets everything typed and found.
    pub fn reset(&mut self) {
        let serial = self.serial + 1;
        *self = ProgressState {
            serial,
            ..Default::default()
        };
    }
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<ProgressAdapter>();
    let h = Handle::new(win, ctx);
    let edit = |h: &Handle, f: fn(&mut ProgressState, &str)| {
        let h = h.clone();
        move |arg: slint::SharedString| {
            h.run(|win, ctx| {
                f(&mut ctx.progress.borrow_mut(), &arg);
                render(win, ctx);
            })
        }
    };
    a.on_digit(edit(&h, ProgressState::digit));
    let h2 = h.clone();
    a.on_backspace(move || {
        h2.run(|win, ctx| {
            ctx.progress.borrow_mut().backspace();
            render(win, ctx);
        })
    });
    let h2 = h.clone();
    a.on_clear_field(move || {
        h2.run(|win, ctx| {
            ctx.progress.borrow_mut().clear_field();
            render(win, ctx);
        })
    });
    let h2 = h.clone();
    a.on_select_field(move |f| {
        h2.run(|win, ctx| {
            ctx.progress.borrow_mut().field = f.clamp(0, 1);
            render(win, ctx);
        })
    });
    let h2 = h.clone();
    a.on_reset(move || {
        h2.run(|win, ctx| {
            ctx.progress.borrow_mut().reset();
            render(win, ctx);
        })
    });
    a.on_submit(move || h.run(submit));
}

fn submit(win: &MainWindow, ctx: &Rc<AppContext>) {
    let (case, code, serial) = {
        let mut st = ctx.progress.borrow_mut();
        if st.busy {
            return;
        }
        if st.case_digits.is_empty() {
            st.field = 0;
            st.message = zh::PROGRESS_NEED_CASE.into();
            drop(st);
            render(win, ctx);
            return;
        }
        if st.code.len() != CODE_LEN {
            st.field = 1;
            st.message = zh::PROGRESS_NEED_CODE.into();
            drop(st);
            render(win, ctx);
            return;
        }
        st.busy = true;
        st.serial += 1;
        st.message = zh::PROGRESS_BUSY.into();
        (
            format!("{}{}", ctx.config.case_prefix, st.case_digits),
            st.code.clone(),
            st.serial,
        )
    };
    render(win, ctx);
    let data_dir = ctx.data_dir.clone();
    let h = Handle::new(win, ctx);
    ctx.spawner.spawn(
        "progress-lookup",
        move || {
            // A reader of its own: the UI thread's reader stays free.
            ContentReader::open(&data_dir)
                .and_then(|r| r.lookup_progress(&case, &code))
                .map_err(|e| e.to_string())
        },
        move |result: Result<ProgressLookup, String>| {
            h.run(|win, ctx| {
                {
                    let mut st = ctx.progress.borrow_mut();
                    if st.serial != serial {
                        return; // reset (or idle) since; drop the answer
                    }
                    st.busy = false;
                    match result {
                        Ok(ProgressLookup::Found(rec)) => {
                            st.result = Some(Outcome::Found(rec));
                            st.message.clear();
                        }
                        Ok(ProgressLookup::NotFound) => {
                            st.result = Some(Outcome::NotFound);
                            st.message = zh::PROGRESS_NOT_FOUND.into();
                        }
                        Err(e) => {
                            tracing::error!("progress lookup failed: {e}");
                            st.result = Some(Outcome::NotFound);
                            st.message = zh::PROGRESS_ERROR.into();
                        }
                    }
                }
                render(win, ctx);
            })
        },
    );
}

fn status_tone(status: &str) -> i32 {
    if status.contains("办结") || status.contains("通过") {
        1
    } else if status.contains("补正") || status.contains("退回") || status.contains("不予") {
        2
    } else {
        4
    }
}

fn render(win: &MainWindow, ctx: &AppContext) {
    let st = ctx.progress.borrow();
    let a = win.global::<ProgressAdapter>();
    a.set_case_prefix(ctx.config.case_prefix.as_str().into());
    a.set_case_digits(st.case_digits.as_str().into());
    a.set_code_shown("●".repeat(st.code.len()).into());
    a.set_field(st.field);
    a.set_message(st.message.as_str().into());
    let as_of = ctx.content.borrow().bundle().progress_as_of;
    a.set_data_date(zh::data_date(&date_opt(as_of)).into());
    match &st.result {
        Some(Outcome::Found(rec)) => {
            a.set_state(1);
            a.set_status(rec.status.as_str().into());
            a.set_status_tone(status_tone(&rec.status));
            a.set_facts(facts(vec![
                (zh::CASE_NUMBER, rec.case_number.clone()),
                (zh::MATTER, rec.matter.clone()),
                (zh::APPLICANT, rec.applicant.clone()),
                (zh::ACCEPTED, date_zh(rec.accepted)),
                (zh::DUE, date_opt(rec.due)),
                (zh::HANDLING_WINDOW, rec.window.clone()),
            ]));
            let n = rec.steps.len();
            a.set_steps(model(
                rec.steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Step {
                        date: date_zh(s.date).into(),
                        name: s.name.as_str().into(),
                        last: i + 1 == n,
                    })
                    .collect(),
            ));
        }
        Some(Outcome::NotFound) => {
            a.set_state(2);
            a.set_facts(model(Vec::new()));
            a.set_steps(model(Vec::new()));
        }
        None => {
            // While typing, a prompt (need a code, looking up) shows in the
            // not-found box only when there is one.
            a.set_state(if st.message.is_empty() { 0 } else { 3 });
            a.set_facts(model(Vec::new()));
            a.set_steps(model(Vec::new()));
            a.set_status("".into());
        }
    }
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx);
    show_page(win, PageId::Progress, zh::TITLE_PROGRESS);
    Ok(())
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    ctx.progress.borrow_mut().reset();
    render(win, ctx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_goes_to_the_selected_field_and_the_code_stops_at_six() {
        let mut s = ProgressState::default();
        for d in ["2", "0", "2", "6"] {
            s.digit(d);
        }
        s.field = 1;
        for d in ["5", "6", "4", "9", "7", "3", "1"] {
            s.digit(d);
        }
        assert_eq!(s.case_digits, "2026");
        assert_eq!(s.code, "564973");
        s.backspace();
        assert_eq!(s.code, "56497");
        s.reset();
        assert!(s.case_digits.is_empty() && s.code.is_empty() && s.result.is_none());
    }
}
