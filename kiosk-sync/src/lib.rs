//! `kiosk-sync`: signed content bundles for the disclosure kiosk.
//!
//! District side: keys, publishing a TUF repository of content-addressed
//! objects. Kiosk side: verifying and pulling a repository (HTTP, LAN
//! mirror, USB), applying it to the content store as one generation, and
//! the daemon around that. See the kiosk-sync section of ARCHITECTURE.md.

pub mod ctl;
pub mod daemon;
pub mod fleet;
pub mod http;
pub mod keydir;
pub mod manifest;
pub mod metrics;
pub mod publish;
pub mod pull;
pub mod report;
pub mod serve;
pub mod state;
pub mod store;
pub mod tuf;
pub mod tuf_client;
