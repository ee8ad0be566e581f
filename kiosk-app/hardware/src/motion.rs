//! The motion sensor (a PIR module on a GPIO pin) that wakes the screen
//! when someone walks up.
//!
//! The app polls [`MotionSensor::motion_detected`] from a UI timer (every
//! 200 ms or so) and calls [`crate::backlight::ScreenPower::on_activity`]
//! when it says yes. Polling is enough: a PIR module holds its output high
//! for seconds, and the real driver also latches rising edges between polls.
//!
//! The real driver needs the cargo feature `gpio`. We use rppal 0.22, the
//! version pinned for the workspace: its repository was archived in 2025,
//! but 0.22 already drives the Pi 5 (through the GPIO character device) and
//! the input-pin API we use is tiny. `rpi-pal`, the maintained fork, has the
//! same API; switching is a one-line change in Cargo.toml if a future Pi
//! model needs it.

use std::sync::{Arc, Mutex};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum MotionError {
    #[error(
        "motion sensor on GPIO {pin}: {reason}; check the pin number in the kiosk config and that the kiosk user is in group `gpio`"
    )]
    Gpio { pin: u8, reason: String },
    #[error(
        "motion sensor configured on GPIO {pin} but this build has no GPIO support; build kiosk-app with the `gpio` feature"
    )]
    NotBuilt { pin: u8 },
}

/// A presence sensor.
pub trait MotionSensor: Send {
    /// Whether someone is there now or arrived since the last call.
    fn motion_detected(&mut self) -> Result<bool, MotionError>;
    fn describe(&self) -> String;
}

#[derive(Debug, Default)]
struct SimPin {
    high: bool,
    latched: bool,
}

/// A pin driven by tests. Clones share the pin.
#[derive(Debug, Clone, Default)]
pub struct SimulatedMotion {
    pin: Arc<Mutex<SimPin>>,
}

impl SimulatedMotion {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the pin level; a low-to-high change latches like an edge.
    pub fn set_high(&self, high: bool) {
        let mut pin = self.pin.lock().unwrap_or_else(|e| e.into_inner());
        if high && !pin.high {
            pin.latched = true;
        }
        pin.high = high;
    }

    /// A short pulse between two polls: only the edge latch sees it.
    pub fn pulse(&self) {
        self.set_high(true);
        self.set_high(false);
    }
}

impl MotionSensor for SimulatedMotion {
    fn motion_detected(&mut self) -> Result<bool, MotionError> {
        let mut pin = self.pin.lock().unwrap_or_else(|e| e.into_inner());
        let seen = pin.high || pin.latched;
        pin.latched = false;
        Ok(seen)
    }

    fn describe(&self) -> String {
        "simulated motion sensor".into()
    }
}

/// Opens the sensor on BCM pin `pin`, or explains why not. Without the
/// `gpio` feature this always returns [`MotionError::NotBuilt`].
pub fn open_gpio_motion(
    pin: u8,
    active_low: bool,
    debounce: std::time::Duration,
) -> Result<Box<dyn MotionSensor>, MotionError> {
    #[cfg(feature = "gpio")]
    {
        gpio::GpioMotion::open(pin, active_low, debounce)
            .map(|m| Box::new(m) as Box<dyn MotionSensor>)
    }
    #[cfg(not(feature = "gpio"))]
    {
        let _ = (active_low, debounce);
        Err(MotionError::NotBuilt { pin })
    }
}

#[cfg(feature = "gpio")]
mod gpio {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        time::Duration,
    };

    use rppal::gpio::{Gpio, InputPin, Trigger};

    use super::{MotionError, MotionSensor};

    /// A PIR sensor output on a GPIO input. The kernel reports edges to
    /// rppal's interrupt thread, which only sets a flag; the UI thread reads
    /// the flag and the level when it polls.
    pub struct GpioMotion {
        pin: InputPin,
        number: u8,
        active_low: bool,
        edge_seen: Arc<AtomicBool>,
    }

    impl GpioMotion {
        pub fn open(number: u8, active_low: bool, debounce: Duration) -> Result<Self, MotionError> {
            let err = |e: rppal::gpio::Error| MotionError::Gpio {
                pin: number,
                reason: e.to_string(),
            };
            let gpio = Gpio::new().map_err(err)?;
            // Pull against the active level so a loose wire reads "nobody".
            let pin = gpio.get(number).map_err(err)?;
            let mut pin = if active_low {
                pin.into_input_pullup()
            } else {
                pin.into_input_pulldown()
            };
            let edge_seen = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&edge_seen);
            let trigger = if active_low {
                Trigger::FallingEdge
            } else {
                Trigger::RisingEdge
            };
            let debounce = (!debounce.is_zero()).then_some(debounce);
            pin.set_async_interrupt(trigger, debounce, move |_event| {
                flag.store(true, Ordering::SeqCst);
            })
            .map_err(err)?;
            tracing::info!(pin = number, active_low, "motion sensor on GPIO");
            Ok(Self {
                pin,
                number,
                active_low,
                edge_seen,
            })
        }
    }

    impl MotionSensor for GpioMotion {
        fn motion_detected(&mut self) -> Result<bool, MotionError> {
            let active = if self.active_low {
                self.pin.is_low()
            } else {
                self.pin.is_high()
            };
            Ok(self.edge_seen.swap(false, Ordering::SeqCst) || active)
        }

        fn describe(&self) -> String {
            format!("motion sensor on GPIO {}", self.number)
        }
    }
}

#[cfg(feature = "gpio")]
pub use gpio::GpioMotion;
