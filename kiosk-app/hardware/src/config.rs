//! The `[hardware]` part of the kiosk configuration. Every field has a
//! default that works on a Pi with a USB printer, so an empty section (or
//! none) is valid. Unknown keys are errors: a misspelt key silently ignored
//! is a printer that never works and nobody knows why.
//!
//! ```toml
//! [hardware.printer]
//! kind = "tcp"                # usb | serial | tcp | simulated | none
//! address = "192.168.1.50:9100"
//! paper = "80mm"              # 58mm | 80mm
//!
//! [hardware.screen]
//! dim_after_secs = 120
//! [hardware.screen.hours]
//! mon = ["08:30-12:00", "13:30-17:30"]
//! sat = ["09:00-12:00"]
//!
//! [hardware.motion]
//! enabled = true
//! gpio_pin = 17
//! ```

use std::{path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{
    backlight::{self, Backlight, BacklightPolicy, OpeningHours},
    motion::{self, MotionError, MotionSensor},
    printer::{
        DevicePrinter, FlowControl, Printer, ServiceOptions, SimulatedPrinter, TcpPrinter, Timeouts,
    },
    slip::PaperWidth,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HardwareConfig {
    pub printer: PrinterConfig,
    pub screen: ScreenConfig,
    pub motion: MotionConfig,
}

/// How the receipt printer is attached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrinterKind {
    /// USB line-printer device file (`device`).
    #[default]
    Usb,
    /// Serial tty (`device`, `baud`).
    Serial,
    /// Raw TCP (`address`).
    Tcp,
    /// In-memory printer for demos without hardware.
    Simulated,
    /// No printer: the app hides its print buttons.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterConfig {
    pub kind: PrinterKind,
    /// Device file for `usb` and `serial`.
    pub device: PathBuf,
    /// `host:port` for `tcp`.
    pub address: String,
    /// Serial speed. 115200 is the practical minimum: at 9600 a slip takes
    /// most of a minute.
    pub baud: u32,
    /// Serial flow control: `none`, `rtscts` or `xonxoff`. Use a handshake
    /// if slips come out with garbled stripes.
    pub flow_control: FlowControl,
    pub paper: PaperWidth,
    /// Paper check while idle.
    pub status_interval_secs: u64,
    pub connect_timeout_ms: u64,
    pub write_timeout_secs: u64,
    pub status_timeout_ms: u64,
}

impl Default for PrinterConfig {
    fn default() -> Self {
        let t = Timeouts::default();
        Self {
            kind: PrinterKind::default(),
            device: PathBuf::from("/dev/usb/lp0"),
            address: "192.168.1.100:9100".into(),
            baud: 115_200,
            flow_control: FlowControl::None,
            paper: PaperWidth::default(),
            status_interval_secs: 30,
            connect_timeout_ms: t.connect.as_millis() as u64,
            write_timeout_secs: t.write.as_secs(),
            status_timeout_ms: t.status.as_millis() as u64,
        }
    }
}

impl PrinterConfig {
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(self.connect_timeout_ms.max(1)),
            write: Duration::from_secs(self.write_timeout_secs.max(1)),
            status: Duration::from_millis(self.status_timeout_ms.max(1)),
        }
    }

    pub fn service_options(&self) -> ServiceOptions {
        ServiceOptions {
            paper: self.paper,
            status_interval: Duration::from_secs(self.status_interval_secs.max(1)),
            ..ServiceOptions::default()
        }
    }

    /// The configured printer; None for `kind = "none"`. Opening a device
    /// happens per job, so this never fails: a missing printer shows up as
    /// the service's first state.
    pub fn open(&self) -> Option<Box<dyn Printer>> {
        let t = self.timeouts();
        match self.kind {
            PrinterKind::Usb => Some(Box::new(DevicePrinter::usb(&self.device, t))),
            PrinterKind::Serial => Some(Box::new(DevicePrinter::serial_with_flow(
                &self.device,
                self.baud,
                self.flow_control,
                t,
            ))),
            PrinterKind::Tcp => Some(Box::new(TcpPrinter::new(&self.address, t))),
            PrinterKind::Simulated => Some(Box::new(SimulatedPrinter::new())),
            PrinterKind::None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenConfig {
    /// Where backlight devices live; only tests change it.
    pub backlight_dir: PathBuf,
    /// A device under `backlight_dir`, or the first one there.
    pub backlight_device: Option<String>,
    pub dim_after_secs: u64,
    pub full_percent: u8,
    pub dim_percent: u8,
    pub closed_percent: u8,
    pub hours: OpeningHours,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        let p = BacklightPolicy::default();
        Self {
            backlight_dir: PathBuf::from("/sys/class/backlight"),
            backlight_device: None,
            dim_after_secs: p.dim_after.as_secs(),
            full_percent: p.full_percent,
            dim_percent: p.dim_percent,
            closed_percent: p.closed_percent,
            hours: p.hours,
        }
    }
}

impl ScreenConfig {
    pub fn policy(&self) -> BacklightPolicy {
        BacklightPolicy {
            hours: self.hours.clone(),
            dim_after: Duration::from_secs(self.dim_after_secs),
            full_percent: self.full_percent.min(100),
            dim_percent: self.dim_percent.min(100),
            closed_percent: self.closed_percent.min(100),
        }
    }

    /// The backlight, or a no-op one after a single warning.
    pub fn open_backlight(&self) -> Box<dyn Backlight> {
        backlight::open_backlight(&self.backlight_dir, self.backlight_device.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MotionConfig {
    pub enabled: bool,
    /// BCM numbering (GPIO17 is physical pin 11).
    pub gpio_pin: u8,
    /// For sensors that pull their output low on motion.
    pub active_low: bool,
    pub debounce_ms: u64,
}

impl Default for MotionConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            gpio_pin: 17,
            active_low: false,
            debounce_ms: 50,
        }
    }
}

impl MotionConfig {
    /// `Ok(None)` when disabled.
    pub fn open(&self) -> Result<Option<Box<dyn MotionSensor>>, MotionError> {
        if !self.enabled {
            return Ok(None);
        }
        motion::open_gpio_motion(
            self.gpio_pin,
            self.active_low,
            Duration::from_millis(self.debounce_ms),
        )
        .map(Some)
    }
}
