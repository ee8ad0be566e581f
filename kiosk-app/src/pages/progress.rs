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
/// Longest scan taken: a receipt's code is about 30 characters; anything
/// longer is not one.
const MAX_SCAN_CHARS: usize = 64;
/// A scanner types a code in a burst; keys further apart than this start a
/// new code (a half-read code is dropped).
const SCAN_GAP: std::time::Duration = std::time::Duration::from_millis(400);
/// What starts a receipt's code that carries more than the case number
/// (办件查询; kiosk-content/FORMAT.md, "受理回执上的码").
pub const RECEIPT_TAG: &str = "BJCX";

#[derive(Debug, Default)]
pub struct ProgressState {
    pub case_digits: String,
    pub code: String,
    /// 0 case number, 1 query code.
    pub field: i32,
    /// The resident asked to see the query code they typed.
    pub show_code: bool,
    pub busy: bool,
    /// Bumped by every lookup and reset, so a late answer to an old lookup
    /// is dropped.
    pub serial: u64,
    pub result: Option<Outcome>,
    pub message: String,
    /// Keys of a scan being read (held only until its Enter).
    scan: ScanBuffer,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Found(ProgressRecord),
    NotFound,
}

impl ProgressState {
    /// A digit for the selected field. A case number of `case_len` digits
    /// (0: any length) is complete, and typing moves on to the query code.
    pub fn digit(&mut self, d: &str, case_len: usize) {
        let d: String = d.chars().filter(char::is_ascii_digit).collect();
        if self.field == 0 {
            let max = if case_len == 0 {
                MAX_CASE_DIGITS
            } else {
                case_len
            };
            if self.case_digits.len() + d.len() <= max {
                self.case_digits.push_str(&d);
            }
            if case_len != 0 && self.case_digits.len() == case_len && self.code.len() < CODE_LEN {
                self.field = 1;
            }
        } else if self.code.len() + d.len() <= CODE_LEN {
            self.code.push_str(&d);
        }
        self.message.clear();
    }

    /// Deletes the last digit; in an empty code field, goes back to the
    /// case number (the resident noticed a mistake there).
    pub fn backspace(&mut self) {
        if self.field == 0 {
            self.case_digits.pop();
        } else if self.code.pop().is_none() {
            self.field = 0;
            self.case_digits.pop();
        }
        self.message.clear();
    }

    pub fn clear_field(&mut self) {
        if self.field == 0 {
            self.case_digits.clear();
        } else {
            self.code.clear();
        }
        self.message.clear();
    }

    /// Forgets everything typed, scanned and found.
    pub fn reset(&mut self) {
        self.scan.forget();
        let scan = std::mem::take(&mut self.scan);
        let serial = self.serial + 1;
        *self = ProgressState {
            serial,
            scan,
            ..Default::default()
        };
    }

    /// The case digits grouped as the receipt prints them (`2026 1102 001`).
    pub fn case_shown(&self) -> String {
        group_case_digits(&self.case_digits)
    }
}

/// Case digits in groups of 4, 4 and 3 (year, month and day, serial), then
/// fours: the way the 受理回执 prints them and residents read them out.
pub fn group_case_digits(digits: &str) -> String {
    let mut out = String::new();
    let mut group = 0;
    let mut in_group = 0;
    for c in digits.chars() {
        let size = match group {
            0 | 1 => 4,
            2 => 3,
            _ => 4,
        };
        if in_group == size {
            out.push(' ');
            group += 1;
            in_group = 0;
        }
        out.push(c);
        in_group += 1;
    }
    out
}

/// What a receipt's code gave: the case digits (after the prefix) and the
/// query code when the code carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub case_digits: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("not a receipt's code")]
    Unreadable,
    #[error("a case number of another prefix")]
    OtherPrefix,
}

/// Reads a receipt's code as a scanner typed it: `BJCX:<case>:<code>`,
/// `BJCX:<case>`, or the bare case number (a barcode of the case number;
/// its digits alone are taken with this kiosk's prefix).
/// Letters may come in either case (a scanner on Caps Lock); spaces and
/// dashes inside the case number are ignored, as at the keypad.
pub fn parse_receipt(text: &str, prefix: &str, case_len: usize) -> Result<Receipt, ScanError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_SCAN_CHARS {
        return Err(ScanError::Unreadable);
    }
    let parts: Vec<&str> = text.split([':', '：']).collect();
    let (case, code) = match parts.as_slice() {
        [case] => (*case, None),
        [tag, case] if tag.trim().eq_ignore_ascii_case(RECEIPT_TAG) => (*case, None),
        [tag, case, code] if tag.trim().eq_ignore_ascii_case(RECEIPT_TAG) => (*case, Some(*code)),
        _ => return Err(ScanError::Unreadable),
    };
    if !case
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
    {
        return Err(ScanError::Unreadable);
    }
    let case = kiosk_content::progress::normalize_case_number(case);
    let letters = case.chars().take_while(char::is_ascii_alphabetic).count();
    let (got_prefix, digits) = case.split_at(letters);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ScanError::Unreadable);
    }
    // A code of the digits alone is taken as this kiosk's prefix.
    if !got_prefix.is_empty() && !got_prefix.eq_ignore_ascii_case(prefix) {
        return Err(ScanError::OtherPrefix);
    }
    let len_ok = if case_len == 0 {
        digits.len() <= MAX_CASE_DIGITS
    } else {
        digits.len() == case_len
    };
    if !len_ok {
        return Err(ScanError::Unreadable);
    }
    let code = match code.map(str::trim) {
        None => None,
        Some(c) if c.len() == CODE_LEN && c.chars().all(|c| c.is_ascii_digit()) => {
            Some(c.to_string())
        }
        Some(_) => return Err(ScanError::Unreadable),
    };
    Ok(Receipt {
        case_digits: digits.to_string(),
        code,
    })
}

/// The keys of a scan. Not Debug-printed: a scan is a resident's case
/// number and code.
#[derive(Default)]
struct ScanBuffer {
    text: String,
    overflow: bool,
    /// Drops a half-read code when no key follows within [`SCAN_GAP`].
    gap: slint::Timer,
}

impl std::fmt::Debug for ScanBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScanBuffer(..)")
    }
}

impl ScanBuffer {
    fn key(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            if self.text.chars().count() >= MAX_SCAN_CHARS {
                self.overflow = true;
            } else {
                self.text.push(c);
            }
        }
    }

    /// The code read so far (None if it ran over), and a fresh buffer.
    fn take(&mut self) -> Option<String> {
        self.gap.stop();
        let overflow = std::mem::take(&mut self.overflow);
        let text = std::mem::take(&mut self.text);
        (!overflow).then_some(text)
    }

    fn forget(&mut self) {
        self.take();
    }
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<ProgressAdapter>();
    let h = Handle::new(win, ctx);
    let edit = |h: &Handle, f: fn(&mut ProgressState, &str, usize)| {
        let h = h.clone();
        move |arg: slint::SharedString| {
            h.run(|win, ctx| {
                f(&mut ctx.progress.borrow_mut(), &arg, ctx.config.case_digits);
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
    a.on_toggle_code(move || {
        h2.run(|win, ctx| {
            let mut st = ctx.progress.borrow_mut();
            st.show_code = !st.show_code;
            drop(st);
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
    let h2 = h.clone();
    a.on_scan_key(move |text| {
        let h3 = h2.clone();
        h2.run(|_, ctx| {
            let mut st = ctx.progress.borrow_mut();
            st.scan.key(&text);
            st.scan
                .gap
                .start(slint::TimerMode::SingleShot, SCAN_GAP, move || {
                    h3.run(|_, ctx| ctx.progress.borrow_mut().scan.forget())
                });
        });
    });
    let h2 = h.clone();
    a.on_scan_end(move || h2.run(scan_end));
    a.on_submit(move || h.run(submit));
}

/// Enter after a scanner's burst of keys: fill in what the receipt's code
/// holds and, when it holds the query code too, look the case up.
fn scan_end(win: &MainWindow, ctx: &Rc<AppContext>) {
    let text = ctx.progress.borrow_mut().scan.take();
    if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return; // a lone Enter
    }
    let parsed = text
        .ok_or(ScanError::Unreadable)
        .and_then(|t| parse_receipt(&t, &ctx.config.case_prefix, ctx.config.case_digits));
    // Logged without the code itself: it is a resident's case.
    tracing::info!(ok = parsed.is_ok(), "receipt scanned");
    let complete = {
        let mut st = ctx.progress.borrow_mut();
        st.reset();
        match parsed {
            Ok(r) => {
                st.case_digits = r.case_digits;
                match r.code {
                    Some(code) => {
                        st.code = code;
                        true
                    }
                    None => {
                        st.field = 1;
                        st.message = zh::PROGRESS_SCAN_NEED_CODE.into();
                        false
                    }
                }
            }
            Err(ScanError::Unreadable) => {
                st.message = zh::PROGRESS_SCAN_UNREADABLE.into();
                false
            }
            Err(ScanError::OtherPrefix) => {
                st.message = zh::progress_scan_other_prefix(&ctx.config.case_prefix);
                false
            }
        }
    };
    if complete {
        submit(win, ctx);
    } else {
        render(win, ctx);
    }
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
                            ctx.usage.progress(true);
                            st.result = Some(Outcome::Found(rec));
                            st.message.clear();
                        }
                        Ok(ProgressLookup::NotFound) => {
                            ctx.usage.progress(false);
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
    a.set_case_shown(st.case_shown().into());
    a.set_code_shown(if st.show_code {
        st.code.clone().into()
    } else {
        "●".repeat(st.code.len()).into()
    });
    a.set_show_code(st.show_code);
    a.set_ready(!st.case_digits.is_empty() && st.code.len() == CODE_LEN && !st.busy);
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
            s.digit(d, 11);
        }
        assert_eq!(s.field, 0);
        s.field = 1;
        for d in ["5", "6", "4", "9", "7", "3", "1"] {
            s.digit(d, 11);
        }
        assert_eq!(s.case_digits, "2026");
        assert_eq!(s.code, "564973");
        s.backspace();
        assert_eq!(s.code, "56497");
        s.show_code = true;
        s.reset();
        assert!(s.case_digits.is_empty() && s.code.is_empty() && s.result.is_none());
        assert!(!s.show_code);
    }

    #[test]
    fn a_complete_case_number_moves_on_unless_lengths_vary() {
        let mut s = ProgressState::default();
        for d in "20261102001".chars() {
            s.digit(&d.to_string(), 11);
        }
        assert_eq!(s.field, 1);
        let mut s = ProgressState::default();
        for d in "2026110200123".chars() {
            s.digit(&d.to_string(), 0);
        }
        assert_eq!((s.field, s.case_digits.as_str()), (0, "2026110200123"));
    }

    #[test]
    fn case_digits_are_grouped_as_printed() {
        assert_eq!(group_case_digits(""), "");
        assert_eq!(group_case_digits("2026"), "2026");
        assert_eq!(group_case_digits("20261"), "2026 1");
        assert_eq!(group_case_digits("20261102001"), "2026 1102 001");
        assert_eq!(group_case_digits("2026110200123"), "2026 1102 001 23");
    }

    #[test]
    fn receipt_codes_in_every_documented_form() {
        let full = Receipt {
            case_digits: "20261102001".into(),
            code: Some("564973".into()),
        };
        let case_only = Receipt {
            code: None,
            ..full.clone()
        };
        for (text, want) in [
            ("BJCX:SFX20261102001:564973", &full),
            ("bjcx:sfx20261102001:564973", &full),
            (" BJCX:SFX-2026-1102-001:564973 ", &full),
            ("BJCX：SFX20261102001：564973", &full),
            ("BJCX:SFX20261102001", &case_only),
            ("SFX20261102001", &case_only),
            ("SFX 2026 1102 001", &case_only),
            ("20261102001", &case_only),
        ] {
            assert_eq!(parse_receipt(text, "SFX", 11).as_ref(), Ok(want), "{text}");
        }
        for text in [
            "",
            "BJCX:",
            "BJCX:SFX:564973",
            "BJCX:SFX2026110200:564973",
            "BJCX:SFX20261102001:56497",
            "BJCX:SFX20261102001:56497a",
            "BJCX:SFX2026110200X:564973",
            "XYZ:SFX20261102001:564973",
            "https://example.example/p?c=SFX20261102001",
            "2026110200",
        ] {
            assert_eq!(
                parse_receipt(text, "SFX", 11),
                Err(ScanError::Unreadable),
                "{text}"
            );
        }
        assert_eq!(
            parse_receipt("BJCX:ABC20261102001:564973", "SFX", 11),
            Err(ScanError::OtherPrefix)
        );
        // Any length when the district's case numbers vary.
        assert!(parse_receipt("BJCX:SFX2026110200123:564973", "SFX", 0).is_ok());
    }

    #[test]
    fn a_scan_longer_than_any_receipt_code_is_refused() {
        let mut b = ScanBuffer::default();
        b.key(&"1".repeat(MAX_SCAN_CHARS + 1));
        assert_eq!(b.take(), None);
        b.key("SFX");
        b.key("\n");
        assert_eq!(b.take().as_deref(), Some("SFX"));
    }
}
