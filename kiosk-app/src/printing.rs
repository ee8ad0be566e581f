//! The receipt printer as the pages see it. Submitting never waits: the
//! printer works on its own thread and the UI polls for state and finished
//! jobs on a timer.
//!
//! [`Printer`] is the seam to `kiosk-hardware`'s printer service; tests use
//! [`RecordingPrinter`].

use std::cell::RefCell;

use chrono::NaiveDateTime;

/// A slip for a resident to take home (the materials checklist of a
/// guide): kiosk-hardware's slip content, which it renders and prints.
pub use kiosk_hardware::SlipContent as Slip;

/// How the printer stands, in the words the screens use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterView {
    /// Short label for residents: 打印机就绪, 缺纸, 打印机离线...
    pub label: String,
    /// 0 neutral, 1 ok, 2 warn, 3 bad (badge tone).
    pub tone: i32,
    pub can_print: bool,
    /// Longer advice for hall staff.
    pub staff_detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Printed,
    /// `message` is for the resident's screen.
    Failed {
        message: String,
    },
}

pub trait Printer {
    fn view(&self) -> PrinterView;
    /// Queues a slip; returns a job id, or a message for the screen.
    fn print(&self, slip: Slip) -> Result<u64, String>;
    /// Queues the staff test page.
    fn test_page(&self, county: &str, hall: &str, at: NaiveDateTime) -> Result<u64, String>;
    /// Jobs finished since the last call.
    fn finished(&self) -> Vec<(u64, JobResult)>;
    /// Which printer this is, for the staff panel.
    fn describe(&self) -> String;
    /// The state in one word for kiosk-sync's metrics: `none` (no
    /// printer), `unknown`, `ready`, `paper_low`, `paper_out`, `offline`,
    /// `error`.
    fn state_code(&self) -> &'static str {
        "none"
    }
}

/// A kiosk without a printer: the print button is off and says why.
pub struct NoPrinter;

impl Printer for NoPrinter {
    fn view(&self) -> PrinterView {
        PrinterView {
            label: crate::strings::PRINTER_NONE.into(),
            tone: 0,
            can_print: false,
            staff_detail: "未配置打印机（配置文件 [hardware] 部分）".into(),
        }
    }
    fn print(&self, _slip: Slip) -> Result<u64, String> {
        Err(crate::strings::PRINTER_NONE.into())
    }
    fn test_page(&self, _county: &str, _hall: &str, _at: NaiveDateTime) -> Result<u64, String> {
        Err(crate::strings::PRINTER_NONE.into())
    }
    fn finished(&self) -> Vec<(u64, JobResult)> {
        Vec::new()
    }
    fn describe(&self) -> String {
        "无".into()
    }
}

/// Keeps every slip it is given and finishes each job at once (tests).
#[derive(Default)]
pub struct RecordingPrinter {
    pub slips: RefCell<Vec<Slip>>,
    pub test_pages: RefCell<u32>,
    pub state: RefCell<Option<PrinterView>>,
    done: RefCell<Vec<(u64, JobResult)>>,
}

impl Printer for RecordingPrinter {
    fn view(&self) -> PrinterView {
        self.state.borrow().clone().unwrap_or(PrinterView {
            label: "打印机就绪".into(),
            tone: 1,
            can_print: true,
            staff_detail: "打印机就绪".into(),
        })
    }
    fn print(&self, slip: Slip) -> Result<u64, String> {
        if !self.view().can_print {
            return Err(self.view().label);
        }
        self.slips.borrow_mut().push(slip);
        let id = self.slips.borrow().len() as u64;
        self.done.borrow_mut().push((id, JobResult::Printed));
        Ok(id)
    }
    fn test_page(&self, _county: &str, _hall: &str, _at: NaiveDateTime) -> Result<u64, String> {
        *self.test_pages.borrow_mut() += 1;
        Ok(1000 + u64::from(*self.test_pages.borrow()))
    }
    fn finished(&self) -> Vec<(u64, JobResult)> {
        std::mem::take(&mut *self.done.borrow_mut())
    }
    fn describe(&self) -> String {
        "演示打印机（不出纸）".into()
    }
}
