//! What the app hands kiosk-sync about itself (issue 16): anonymous usage
//! counts and the app's side of the kiosk's health, in one JSON file the
//! app rewrites atomically about once a minute, `DATA_DIR/usage/app-report.json`.
//!
//! The app is the only writer of `DATA_DIR/usage/` (its counts database and
//! this file); kiosk-sync only reads this file (for `kiosk-sync metrics`,
//! the daemon's Prometheus endpoint and the USB report). Nothing in it
//! identifies a resident: counts, item ids, and no-result queries only
//! under [`query_may_be_kept`] and only once seen on
//! [`REPORT_MIN_DAYS`] different days.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The app's usage folder inside the kiosk's data directory.
pub const USAGE_DIR: &str = "usage";
/// The report file inside [`USAGE_DIR`].
pub const APP_REPORT_FILE: &str = "app-report.json";
/// The `format` of an [`AppReport`].
pub const APP_REPORT_FORMAT: &str = "kiosk-app-report/1";
/// Days of counts kept.
pub const RETENTION_DAYS: i64 = 180;
/// A query that found nothing is reported once seen on this many different
/// days (not merely this many times: one resident retrying the same words,
/// perhaps their own name, reaches 3 times in a minute; 3 different days
/// means separate visits, so it is a gap in the content, not a person).
pub const REPORT_MIN_DAYS: u32 = 3;
/// Longest query kept as text, in characters.
pub const MAX_QUERY_CHARS: usize = 12;

/// Counter names (the keys of [`AppReport::totals`] and [`DayUsage::counts`]).
pub mod counter {
    /// A session: the attract screen was left (someone started using it).
    pub const VISIT: &str = "visit";
    /// Prefix of page views per page kind: `page_view:search`.
    pub const PAGE_VIEW: &str = "page_view:";
    /// Prefix of item views per item kind: `item_view:policy`.
    pub const ITEM_VIEW: &str = "item_view:";
    pub const SEARCH: &str = "search";
    pub const SEARCH_NO_RESULT: &str = "search_no_result";
    pub const SLIP_PRINTED: &str = "slip_printed";
    pub const QR_SHOWN: &str = "qr_shown";
    pub const PROGRESS_FOUND: &str = "progress_found";
    pub const PROGRESS_NOT_FOUND: &str = "progress_not_found";
    pub const IDLE_RESET: &str = "idle_reset";
    pub const BIG_TEXT: &str = "big_text";
    pub const HIGH_CONTRAST: &str = "high_contrast";
    /// The app started again within one boot of the machine (a crash, a
    /// watchdog kill, or a manual restart).
    pub const APP_RESTART: &str = "app_restart";
}

/// The page kinds a page view is counted under (a bounded set).
pub const PAGE_KINDS: &[&str] = &[
    "attract", "home", "search", "list", "item", "progress", "map", "hall", "apply", "catalog",
    "village", "staff",
];

/// What the app writes for kiosk-sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppReport {
    pub format: String,
    /// When the app wrote this (an old file: the app is not running).
    pub written_at: DateTime<Utc>,
    pub app_version: String,
    /// When the running app started (uptime = written_at - started_at).
    pub started_at: DateTime<Utc>,
    /// The configured hall id and its name (for the district's tables).
    #[serde(default)]
    pub hall_id: String,
    #[serde(default)]
    pub hall_name: String,
    /// `none` (no printer configured), `unknown`, `ready`, `paper_low`,
    /// `paper_out`, `offline`, `error`.
    pub printer: String,
    /// `on`, `dim`, `off` (the backlight), or `unknown` (no backlight
    /// control).
    pub screen: String,
    /// Whether the opening hours say the screen should be on now.
    #[serde(default)]
    pub screen_in_hours: bool,
    /// Counts since the counts database was created (never decrease while
    /// it exists).
    pub totals: BTreeMap<String, u64>,
    /// One entry per day with any count, oldest first, the last
    /// [`RETENTION_DAYS`] days.
    pub days: Vec<DayUsage>,
    /// Most viewed items over the last 30 days, most first (at most 20).
    pub top_items_30d: Vec<ItemCount>,
    /// Queries that found nothing, kept under the rule of
    /// [`query_may_be_kept`] and seen on at least [`REPORT_MIN_DAYS`]
    /// different days in the retention period, most days first (at most 20).
    pub no_result_queries: Vec<QueryCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    pub date: NaiveDate,
    pub counts: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCount {
    pub id: String,
    /// The item kind's slug (`policy`, `guide`, ...).
    pub kind: String,
    pub title: String,
    pub views: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryCount {
    pub query: String,
    /// Different days it was searched for without result.
    pub days: u32,
    /// Times it was searched for without result.
    pub times: u64,
}

impl AppReport {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(USAGE_DIR).join(APP_REPORT_FILE)
    }

    /// Reads the app's report; `Ok(None)` when the app has not written one.
    pub fn load(data_dir: &Path) -> Result<Option<AppReport>, String> {
        let path = Self::path(data_dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let report: AppReport = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not an app report ({e})", path.display()))?;
        if report.format != APP_REPORT_FORMAT {
            return Err(format!(
                "{}: format \"{}\", expected \"{APP_REPORT_FORMAT}\" (app and kiosk-sync of different versions?)",
                path.display(),
                report.format
            ));
        }
        Ok(Some(report))
    }

    /// Counts per day summed over the days in `from..=to`.
    pub fn sum_days(&self, from: NaiveDate, to: NaiveDate) -> BTreeMap<String, u64> {
        let mut sum = BTreeMap::new();
        for d in self.days.iter().filter(|d| d.date >= from && d.date <= to) {
            for (k, v) in &d.counts {
                *sum.entry(k.clone()).or_insert(0) += v;
            }
        }
        sum
    }
}

/// The rule for keeping a query that found nothing as text: at most
/// [`MAX_QUERY_CHARS`] characters and no run of 4 or more digits (case
/// numbers, query codes, phone and ID numbers all have one). Full-width
/// digits count as digits.
pub fn query_may_be_kept(query: &str) -> bool {
    let q = query.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return false;
    }
    let mut run = 0;
    for c in q.chars() {
        if c.is_ascii_digit() || ('０'..='９').contains(&c) {
            run += 1;
            if run >= 4 {
                return false;
            }
        } else {
            run = 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_queries_without_long_digit_runs_are_kept() {
        assert!(query_may_be_kept("养老保险"));
        assert!(query_may_be_kept("  低保 "));
        assert!(!query_may_be_kept("2020年33号"));
        assert!(query_may_be_kept("33号文件"));
        assert!(!query_may_be_kept("2026110200"));
        assert!(!query_may_be_kept("13800138000"));
        assert!(!query_may_be_kept("电话１３８０"));
        assert!(!query_may_be_kept("110105194912310021"));
        assert!(!query_may_be_kept("abc1234"));
        assert!(!query_may_be_kept("一二三四五六七八九十一二三"));
        assert!(query_may_be_kept("一二三四五六七八九十一二"));
        assert!(!query_may_be_kept(""));
    }
}
