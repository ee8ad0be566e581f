//! kiosk-hardware's integration tests, one binary so they link once.
//! Everything runs against simulated devices: a TCP printer simulator on
//! 127.0.0.1, a pseudo-terminal as a serial printer, a temporary fake
//! sysfs, a simulated GPIO pin and a fake systemd notify socket.

#[path = "hardware/common.rs"]
mod common;
#[path = "hardware/notify.rs"]
mod notify;
#[path = "hardware/printing.rs"]
mod printing;
#[path = "hardware/screen.rs"]
mod screen;
