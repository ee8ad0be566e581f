//! The client command line of the public TUF conformance suite
//! (theupdateframework/tuf-conformance, CLIENT-CLI.md), so the verification
//! core can be checked against it. Plain TUF: no kiosk rules, the system
//! clock as reference time.

use std::path::Path;

use chrono::Utc;
use tracing::info;

use crate::http::HttpTransport;
use crate::tuf::{TufError, Updater, UpdaterLimits, quote, verify_length_and_hashes, write_atomic};

/// The conformance client's updater: plain TUF against the system clock,
/// default limits.
fn updater<'a>(
    metadata_dir: &Path,
    metadata_url: &str,
    transport: &'a HttpTransport,
) -> Result<Updater<'a>, TufError> {
    Updater::new(
        metadata_dir,
        metadata_url,
        transport,
        Utc::now(),
        UpdaterLimits::default(),
    )
}

/// `init ROOT`: trust this root. No checks and no network, per protocol.
pub fn init(metadata_dir: &Path, trusted_root: &Path) -> Result<(), TufError> {
    let bytes = std::fs::read(trusted_root).map_err(|source| TufError::Io {
        path: trusted_root.to_path_buf(),
        source,
    })?;
    std::fs::create_dir_all(metadata_dir).map_err(|source| TufError::Io {
        path: metadata_dir.to_path_buf(),
        source,
    })?;
    write_atomic(&metadata_dir.join("root.json"), &bytes)
        .map_err(|(path, source)| TufError::Io { path, source })
}

/// `refresh`: update top-level metadata.
pub fn refresh(metadata_dir: &Path, metadata_url: &str) -> Result<(), TufError> {
    let transport = HttpTransport::new()?;
    let mut updater = updater(metadata_dir, metadata_url, &transport)?;
    updater.refresh()
}

/// `download`: refresh, then fetch each target in order into `target_dir`
/// (named by its quoted target path), stopping at the first failure. A
/// target already present with matching length and hashes is not fetched.
pub fn download(
    metadata_dir: &Path,
    metadata_url: &str,
    target_names: &[String],
    target_base_url: &str,
    target_dir: &Path,
) -> Result<(), TufError> {
    use crate::tuf::Transport;
    let transport = HttpTransport::new()?;
    let mut updater = updater(metadata_dir, metadata_url, &transport)?;
    updater.refresh()?;
    for name in target_names {
        let (info, role) = updater.target_info(name)?;
        let local = target_dir.join(quote(name));
        if let Ok(existing) = std::fs::read(&local)
            && verify_length_and_hashes(&existing, Some(info.length), Some(&info.hashes), name)
                .is_ok()
        {
            info!("{name}: already present and verified");
            continue;
        }
        let url = updater.target_url(target_base_url, name, &info);
        let bytes = transport.get(&url, info.length)?;
        verify_length_and_hashes(
            &bytes,
            Some(info.length),
            Some(&info.hashes),
            &format!("target {name} (from {url})"),
        )?;
        std::fs::create_dir_all(target_dir).map_err(|source| TufError::Io {
            path: target_dir.to_path_buf(),
            source,
        })?;
        write_atomic(&local, &bytes).map_err(|(path, source)| TufError::Io { path, source })?;
        info!(
            "{name}: downloaded ({} bytes, listed by {role})",
            bytes.len()
        );
    }
    Ok(())
}
