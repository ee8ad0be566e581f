//! The kiosk's devices (kiosk-hardware), wired to the UI loop: the receipt
//! printer behind [`crate::printing::Printer`], the backlight following the
//! idle state and the opening hours, the motion sensor waking the screen,
//! and systemd readiness and watchdog pinged from the UI thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use chrono::NaiveDateTime;
use kiosk_hardware::config::PrinterKind;
use kiosk_hardware::{
    BacklightPolicy, JobOutcome, MotionSensor, PrinterService, PrinterState, ScreenLevel,
    ScreenPower, WatchdogPinger,
};

use crate::config::AppConfig;
use crate::printing::{JobResult, NoPrinter, Printer, PrinterView, Slip};

/// The printer service of kiosk-hardware as the pages see it. Every call
/// returns at once; the service's own thread renders and prints.
pub struct HardwarePrinter {
    service: PrinterService,
}

impl HardwarePrinter {
    pub fn new(service: PrinterService) -> HardwarePrinter {
        HardwarePrinter { service }
    }
}

/// How a printer state reads on screen.
pub fn view_of(state: &PrinterState) -> PrinterView {
    let tone = match state {
        PrinterState::Unknown => 0,
        PrinterState::Ready => 1,
        PrinterState::PaperLow => 2,
        PrinterState::PaperOut | PrinterState::Offline(_) | PrinterState::Error(_) => 3,
    };
    PrinterView {
        label: state.label_zh().to_string(),
        tone,
        can_print: state.can_print(),
        staff_detail: state.staff_detail_zh(),
    }
}

impl Printer for HardwarePrinter {
    fn view(&self) -> PrinterView {
        view_of(&self.service.state())
    }

    fn print(&self, slip: Slip) -> Result<u64, String> {
        let state = self.service.state();
        if !state.can_print() {
            return Err(state.label_zh().to_string());
        }
        self.service
            .print_slip(slip)
            .map(|id| id.0)
            .map_err(|e| e.message_zh().to_string())
    }

    fn test_page(&self, county: &str, hall: &str, at: NaiveDateTime) -> Result<u64, String> {
        self.service
            .print_test_page(county, hall, at)
            .map(|id| id.0)
            .map_err(|e| e.message_zh().to_string())
    }

    fn finished(&self) -> Vec<(u64, JobResult)> {
        self.service
            .take_finished()
            .into_iter()
            .map(|(id, outcome)| {
                let result = match outcome {
                    JobOutcome::Printed { .. } => JobResult::Printed,
                    JobOutcome::Failed { message_zh, detail } => {
                        tracing::warn!(job = id.0, "print failed: {detail}");
                        JobResult::Failed {
                            message: message_zh,
                        }
                    }
                };
                (id.0, result)
            })
            .collect()
    }

    fn describe(&self) -> String {
        self.service.describe().to_string()
    }

    fn state_code(&self) -> &'static str {
        match self.service.state() {
            PrinterState::Unknown => "unknown",
            PrinterState::Ready => "ready",
            PrinterState::PaperLow => "paper_low",
            PrinterState::PaperOut => "paper_out",
            PrinterState::Offline(_) => "offline",
            PrinterState::Error(_) => "error",
        }
    }
}

/// The configured printer: kiosk-hardware's service, or none.
pub fn open_printer(config: &AppConfig) -> Rc<dyn Printer> {
    let pc = &config.hardware.printer;
    if pc.kind == PrinterKind::None {
        return Rc::new(NoPrinter);
    }
    let Some(printer) = pc.open() else {
        return Rc::new(NoPrinter);
    };
    match PrinterService::start(printer, pc.service_options(), |_| {}) {
        Ok(service) => {
            tracing::info!("printer: {}", service.describe());
            Rc::new(HardwarePrinter::new(service))
        }
        Err(e) => {
            tracing::error!("cannot start the printer thread: {e}; printing is off");
            Rc::new(NoPrinter)
        }
    }
}

/// Backlight, motion sensor and watchdog, driven from the UI thread.
#[derive(Default)]
pub struct Devices {
    pub screen: Option<RefCell<ScreenPower>>,
    pub motion: Option<RefCell<Box<dyn MotionSensor>>>,
    pub watchdog: Option<RefCell<WatchdogPinger>>,
}

impl Devices {
    /// The devices a config asks for. The backlight dims when the app's
    /// idle state does: `idle_timeout_secs + dim_after_secs` after the last
    /// touch, to the level the opening hours give.
    pub fn open(config: &AppConfig) -> Devices {
        let screen = &config.hardware.screen;
        let policy = BacklightPolicy {
            dim_after: config.idle_timeout() + config.dim_after(),
            ..screen.policy()
        };
        let power = ScreenPower::new(policy, screen.open_backlight(), Instant::now());
        let motion = match config.hardware.motion.open() {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("motion sensor: {e}; the screen wakes by touch only");
                None
            }
        };
        Devices {
            screen: Some(RefCell::new(power)),
            motion: motion.map(RefCell::new),
            watchdog: Some(RefCell::new(WatchdogPinger::from_env())),
        }
    }

    /// A touch or a wake: full brightness now.
    pub fn activity(&self) {
        if let Some(s) = &self.screen {
            s.borrow_mut().on_activity(Instant::now());
        }
    }

    /// Re-evaluates the backlight; true when it is dim or off.
    pub fn screen_tick(&self) -> bool {
        match &self.screen {
            Some(s) => {
                let local = chrono::Local::now().naive_local();
                s.borrow_mut().tick(local, Instant::now()) != ScreenLevel::Full
            }
            None => false,
        }
    }

    /// Whether someone walked up since the last call.
    pub fn motion(&self) -> bool {
        match &self.motion {
            Some(m) => match m.borrow_mut().motion_detected() {
                Ok(seen) => seen,
                Err(e) => {
                    tracing::warn!("motion sensor: {e}");
                    false
                }
            },
            None => false,
        }
    }

    pub fn ready(&self) {
        if let Some(w) = &self.watchdog {
            w.borrow_mut().ready();
        }
    }

    pub fn status(&self, text: &str) {
        if let Some(w) = &self.watchdog {
            w.borrow_mut().status(text);
        }
    }

    pub fn watchdog_timer_interval(&self) -> Option<std::time::Duration> {
        self.watchdog
            .as_ref()
            .and_then(|w| w.borrow().timer_interval())
    }

    /// The backlight (`on`, `dim`, `off`, or `unknown` without one) and
    /// whether the opening hours say it should be on now.
    pub fn screen_state(&self) -> (&'static str, bool) {
        match &self.screen {
            Some(s) => {
                let s = s.borrow();
                let level = match s.level() {
                    Some(ScreenLevel::Full) => "on",
                    Some(ScreenLevel::Dim) => "dim",
                    Some(ScreenLevel::Off) => "off",
                    None => "unknown",
                };
                let open = s.policy().hours.is_open(chrono::Local::now().naive_local());
                (level, open)
            }
            None => ("unknown", true),
        }
    }

    pub fn ping(&self) {
        if let Some(w) = &self.watchdog {
            w.borrow_mut().ping_if_due(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_states_read_as_the_screens_say_them() {
        let out = view_of(&PrinterState::PaperOut);
        assert_eq!(out.label, "缺纸");
        assert!(!out.can_print);
        assert_eq!(out.tone, 3);
        let off = view_of(&PrinterState::Offline(
            "10.0.0.5:9100: connection refused".into(),
        ));
        assert_eq!(off.label, "打印机离线");
        assert!(off.staff_detail.contains("10.0.0.5"));
        assert!(view_of(&PrinterState::Ready).can_print);
    }
}
