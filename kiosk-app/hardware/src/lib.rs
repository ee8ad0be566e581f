//! Device layer of the kiosk app (issue 6): everything that touches the
//! kiosk's hardware, each part behind a trait with a real driver and a
//! simulated one that records what it was sent.
//!
//! - [`slip`] + [`escpos`] + [`printer`]: the receipt printer. A slip is
//!   drawn here into a 1-bit raster and sent as a `GS v 0` image, so any
//!   ESC/POS printer prints Chinese without a font of its own.
//!   [`printer::PrinterService`] owns the printer on a worker thread: the UI
//!   only ever sends it a message.
//! - [`sim`]: a raw-TCP printer simulator for tests and demos.
//! - [`backlight`] and [`motion`]: screen brightness on a schedule, dimmed
//!   when idle, woken by touch or a person walking up.
//! - [`notify`]: systemd readiness and the watchdog, pinged from the UI loop.
//! - [`config`]: the `[hardware]` part of the kiosk configuration.
//!
//! No Slint here: the app wires these into its event loop.

pub mod raster;
pub mod slip;

pub use raster::{Raster, RasterError};
pub use slip::{PaperWidth, RenderedSlip, SlipContent, SlipError, render_slip};
pub mod backlight;
pub mod config;
pub mod escpos;
pub mod motion;
pub mod notify;
pub mod printer;
pub mod sim;

pub use backlight::{Backlight, BacklightPolicy, OpeningHours, ScreenLevel, ScreenPower};
pub use config::HardwareConfig;
pub use escpos::PaperStatus;
pub use motion::{MotionSensor, SimulatedMotion};
pub use notify::{Notifier, WatchdogPinger};
pub use printer::{
    DevicePrinter, FlowControl, JobId, JobOutcome, Printer, PrinterError, PrinterEvent,
    PrinterService, PrinterState, ServiceOptions, SimMode, SimulatedPrinter, SubmitError,
    TcpPrinter, Timeouts,
};
pub use sim::{SimReply, TcpPrinterSim};
