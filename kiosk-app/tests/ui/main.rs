//! UI tests: the real app on the demo content, driven as a resident would
//! (taps on what the screen shows), headless with Slint's testing backend
//! and the software renderer. One test binary for all of them (each Slint
//! test binary is large).

mod errors;
mod hardware;
mod harness;
mod idle;
mod imports;
mod map_layout;
mod pages;
mod progress;
mod qr;
mod reading;
mod refresh;
mod search;
mod staff;
mod text_floor;
mod walkthrough;
