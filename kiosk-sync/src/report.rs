//! The kiosk's signed report, written onto a staff USB stick at every
//! import (issue 16), so offline stations reach the district too.
//!
//! - Key: `DATA_DIR/report-key` (an ed25519 secret in hex, mode 0600),
//!   made at provisioning by `kiosk-sync report-key --data-dir DIR` (which
//!   prints the public half to register), or at the first report if
//!   missing. The kiosk id is the first 16 hex digits of the TUF key id of
//!   the public key, so it cannot be claimed by another key.
//! - Report: `{"signed": {...}, "signatures": [{"keyid", "sig"}]}`, the
//!   signature over the canonical JSON of `signed` (as TUF metadata), the
//!   public key inside `signed`. Health as `kiosk-sync metrics` sees it,
//!   and the app's usage counts per day from the day of the last report
//!   written on (each day's counts are that day's totals, so a day in two
//!   reports is taken from the newer one, never added twice), the top items
//!   of the last 30 days and the no-result queries the app reports.
//! - Where: `<imported folder>/kiosk-reports/<kiosk id>/<UTC time>.json`,
//!   written beside and renamed. A read-only stick only means no report
//!   (logged); the import itself is unaffected.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use kiosk_content::usage::{DayUsage, ItemCount, QueryCount};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::tuf::canonical::to_canonical;
use crate::tuf::keys::{PublicKey, RoleSigner, key_id};

pub const KEY_FILE: &str = "report-key";
pub const STATE_FILE: &str = "report-state.json";
pub const STICK_DIR: &str = "kiosk-reports";
pub const FORMAT: &str = "kiosk-report/1";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The health part of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub generation: Option<u64>,
    pub bundle_version: Option<u64>,
    pub content_published_at: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub disk_free_bytes: Option<u64>,
    pub disk_size_bytes: Option<u64>,
    pub clock_problem: Option<String>,
    /// As the app reports it (`none`, `ready`, `paper_out` ...), or
    /// `unknown` without an app report.
    pub printer: String,
    pub screen: String,
    /// The app wrote its report in the last 3 minutes.
    pub app_up: bool,
    pub app_started_at: Option<DateTime<Utc>>,
    pub app_restarts: u64,
    pub sync_version: String,
    pub app_version: String,
}

/// The usage part of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsagePart {
    /// Per-day counts from the day of the previous report on.
    pub days: Vec<DayUsage>,
    pub top_items_30d: Vec<ItemCount>,
    pub no_result_queries: Vec<QueryCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KioskReport {
    pub format: String,
    pub kiosk_id: String,
    /// TUF JSON form of the ed25519 public key.
    pub public_key: Value,
    pub created_at: DateTime<Utc>,
    /// The previous report this kiosk wrote on a stick, if any.
    pub previous_report_at: Option<DateTime<Utc>>,
    pub hall_id: String,
    pub hall_name: String,
    pub health: Health,
    pub usage: UsagePart,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ReportState {
    last_report_at: Option<DateTime<Utc>>,
}

/// The kiosk id of a key: 16 hex digits of its key id.
pub fn id_of(signer: &RoleSigner) -> String {
    signer.key_id()[..16].to_string()
}

/// This kiosk's id, if its key exists (never creates one).
pub fn kiosk_id(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(KEY_FILE)).ok()?;
    RoleSigner::from_secret_hex(&text, KEY_FILE)
        .ok()
        .map(|s| id_of(&s))
}

/// The kiosk's report key, made (mode 0600) if missing.
pub fn load_or_create_key(data_dir: &Path) -> Result<RoleSigner, ReportError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return RoleSigner::from_secret_hex(&text, &path.display().to_string()).map_err(|e| {
                ReportError::Invalid {
                    path: path.clone(),
                    message: format!(
                        "{e}; remove it to make a new key (and register the new public key)"
                    ),
                }
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&path)(e)),
    }
    let signer = RoleSigner::generate();
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let tmp = data_dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(signer.secret_hex().as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(io(&tmp))?;
    drop(f);
    // Never replace a key another process made meanwhile.
    std::fs::hard_link(&tmp, &path)
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(io(&path))?;
    let _ = std::fs::remove_file(&tmp);
    tracing::info!("made this kiosk's report key {}", path.display());
    load_or_create_key(data_dir)
}

/// The report as of now (not signed).
pub fn build(data_dir: &Path, signer: &RoleSigner) -> KioskReport {
    let snap = crate::metrics::collect(data_dir, None);
    let state: ReportState = std::fs::read(data_dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let app = snap.app.as_ref().ok().and_then(|a| a.as_ref());
    let fresh = app
        .is_some_and(|a| (snap.now - a.written_at).num_seconds() <= crate::metrics::APP_FRESH_SECS);
    let since: NaiveDate = state
        .last_report_at
        .map(|t| t.date_naive())
        .unwrap_or(NaiveDate::MIN);
    let st = snap.status;
    KioskReport {
        format: FORMAT.into(),
        kiosk_id: id_of(signer),
        public_key: signer.public_json(),
        created_at: snap.now,
        previous_report_at: state.last_report_at,
        hall_id: app.map(|a| a.hall_id.clone()).unwrap_or_default(),
        hall_name: app.map(|a| a.hall_name.clone()).unwrap_or_default(),
        health: Health {
            generation: st.generation,
            bundle_version: st.bundle_version,
            content_published_at: st.content_published_at,
            last_attempt: st.last_attempt,
            last_success: st.last_success,
            last_error: st.last_error,
            disk_free_bytes: st.disk_free_bytes,
            disk_size_bytes: snap.disk_size_bytes,
            clock_problem: st.clock_problem,
            printer: app.map_or("unknown".into(), |a| a.printer.clone()),
            screen: app.map_or("unknown".into(), |a| a.screen.clone()),
            app_up: fresh,
            app_started_at: app.map(|a| a.started_at),
            app_restarts: app
                .and_then(|a| {
                    a.totals
                        .get(kiosk_content::usage::counter::APP_RESTART)
                        .copied()
                })
                .unwrap_or(0),
            sync_version: env!("CARGO_PKG_VERSION").into(),
            app_version: app.map(|a| a.app_version.clone()).unwrap_or_default(),
        },
        usage: UsagePart {
            days: app
                .map(|a| a.days.iter().filter(|d| d.date >= since).cloned().collect())
                .unwrap_or_default(),
            top_items_30d: app.map(|a| a.top_items_30d.clone()).unwrap_or_default(),
            no_result_queries: app.map(|a| a.no_result_queries.clone()).unwrap_or_default(),
        },
    }
}

/// `{"signed": report, "signatures": [...]}` as bytes.
pub fn sign(report: &KioskReport, signer: &RoleSigner) -> Vec<u8> {
    let signed = serde_json::to_value(report).unwrap_or(Value::Null);
    let sig = to_canonical(&signed)
        .map(|bytes| signer.sign_hex(&bytes))
        .unwrap_or_default();
    let envelope = json!({
        "signed": signed,
        "signatures": [{"keyid": signer.key_id(), "sig": sig}],
    });
    serde_json::to_vec_pretty(&envelope).unwrap_or_default()
}

/// Writes this kiosk's report into `<dir>/kiosk-reports/<kiosk id>/`
/// (`dir`: the folder just imported) and remembers when.
pub fn write_to_stick(data_dir: &Path, dir: &Path) -> Result<PathBuf, ReportError> {
    let signer = load_or_create_key(data_dir)?;
    let report = build(data_dir, &signer);
    let folder = dir.join(STICK_DIR).join(&report.kiosk_id);
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let path = folder.join(format!(
        "{}.json",
        report.created_at.format("%Y%m%dT%H%M%SZ")
    ));
    crate::tuf::write_atomic(&path, &sign(&report, &signer))
        .map_err(|(path, source)| ReportError::Io { path, source })?;
    let state = ReportState {
        last_report_at: Some(report.created_at),
    };
    crate::tuf::write_atomic(
        &data_dir.join(STATE_FILE),
        &serde_json::to_vec_pretty(&state).unwrap_or_default(),
    )
    .map_err(|(path, source)| ReportError::Io { path, source })?;
    Ok(path)
}

/// After an import from `dir`: the report onto the stick, logged either
/// way (a read-only stick is not an import failure).
pub fn after_import(data_dir: &Path, dir: &Path) {
    match write_to_stick(data_dir, dir) {
        Ok(path) => tracing::info!("kiosk report written to {}", path.display()),
        Err(e) => tracing::warn!(
            "no kiosk report on the stick ({e}); the import is not affected. A write-protected stick cannot take one"
        ),
    }
}

/// How a report's signature checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by the key inside, whose id is the kiosk id.
    Valid,
    /// Valid, but the key is not in the registered list given.
    Unregistered,
    /// The signature does not match the content, or the key does not
    /// match the kiosk id: the file was changed after the kiosk wrote it.
    BadSignature(String),
}

/// Reads one report file and checks its signature. `registered`: kiosk id
/// -> public key hex, when the district keeps such a list.
pub fn read(
    path: &Path,
    registered: Option<&BTreeMap<String, String>>,
) -> Result<(KioskReport, Verdict), ReportError> {
    let invalid = |message: String| ReportError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(io(path))?;
    let envelope: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("not JSON ({e}); not a kiosk report")))?;
    let signed = envelope
        .get("signed")
        .ok_or_else(|| invalid("no \"signed\" field; not a kiosk report".into()))?;
    let report: KioskReport = serde_json::from_value(signed.clone())
        .map_err(|e| invalid(format!("not a kiosk report ({e})")))?;
    if report.format != FORMAT {
        return Err(invalid(format!(
            "format \"{}\", expected \"{FORMAT}\"",
            report.format
        )));
    }
    let verdict = (|| {
        let key =
            PublicKey::from_json(&report.public_key, "public_key").map_err(|e| e.to_string())?;
        let kid = key_id(&report.public_key).map_err(|e| e.to_string())?;
        if !kid.starts_with(&report.kiosk_id) || report.kiosk_id.len() != 16 {
            return Err(format!(
                "kiosk id {} does not belong to the key in the report",
                report.kiosk_id
            ));
        }
        let bytes = to_canonical(signed).map_err(|e| e.to_string())?;
        let sigs = envelope
            .get("signatures")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let ok = sigs.iter().any(|s| {
            s.get("sig")
                .and_then(Value::as_str)
                .is_some_and(|sig| key.verify(&bytes, sig))
        });
        if !ok {
            return Err("the signature does not match the report's content".into());
        }
        Ok(())
    })();
    let verdict = match verdict {
        Err(why) => Verdict::BadSignature(why),
        Ok(()) => match registered {
            Some(list) => {
                let public = report
                    .public_key
                    .get("keyval")
                    .and_then(|k| k.get("public"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if list.get(&report.kiosk_id).map(String::as_str) == Some(public) {
                    Verdict::Valid
                } else {
                    Verdict::Unregistered
                }
            }
            None => Verdict::Valid,
        },
    };
    Ok((report, verdict))
}
