//! The kiosk's touch UI, generated from `app.slint` and the files it
//! imports: the window, the `global` adapters that are the only contract
//! with `kiosk-app`, and their data types. `kiosk-app` re-exports all of
//! it; see ARCHITECTURE.md ("kiosk-app").
//!
//! Generated code is exempt from our lints.
#![allow(
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    unused_qualifications,
    missing_docs
)]

slint::include_modules!();
