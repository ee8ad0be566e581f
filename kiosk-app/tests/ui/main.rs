//! UI tests: the real app on the demo content, driven as a resident would
//! (taps on what the screen shows), headless with Slint's testing backend
//! and the software renderer. One test binary for all of them (each Slint
//! test binary is large).

mod errors;
mod fleet;
mod hardware;
mod harness;
mod hostile_input;
mod idle;
mod imports;
mod map_layout;
mod pages;
mod pin_lockout;
mod progress;
mod qr;
mod reading;
mod refresh;
mod search;
mod soak;
mod staff;
mod tap_walk;
mod text_floor;
mod walkthrough;
