//! `kiosk-app`: the touch UI of the government-disclosure kiosk.
//!
//! The UI is Slint (`ui/`); its `global` adapters are the only contract
//! with this crate. [`app`] wires the window, [`pages`] holds one controller
//! per page, and everything else is plain Rust the controllers use. See
//! ARCHITECTURE.md ("kiosk-app").

/// The window, the adapters and their data types, generated from
/// `ui/app.slint` by the `kiosk-ui` crate (compiled once, apart from this
/// crate's unit-test build).
pub use kiosk_ui::*;

pub mod app;
pub mod background;
pub mod config;
pub mod context;
pub mod handwriting;
pub mod hardware;
pub mod idle;
pub mod images;
pub mod imports;
pub mod nav;
pub mod pages;
pub mod pin;
pub mod printing;
pub mod qr;
pub mod scenes;
pub mod screenshot;
pub mod search_cli;
pub mod strings;
pub mod text;
pub mod usage;

pub use context::AppContext;
