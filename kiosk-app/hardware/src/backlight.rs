//! Screen brightness: full while someone uses the kiosk, dimmed after a
//! while idle, off outside the hall's opening hours; a touch or a person
//! walking up (motion sensor) brings it back.
//!
//! Split in three so the rules are testable without hardware or sleeping:
//! - [`BacklightPolicy`]: pure. Given local time and idle time, which
//!   [`ScreenLevel`].
//! - [`Backlight`]: sets a percentage. [`SysfsBacklight`] writes
//!   `/sys/class/backlight/<dev>/brightness`; [`NoBacklight`] is for
//!   screens that expose none (HDMI monitors): it says so once and does
//!   nothing; [`SimulatedBacklight`] records levels for tests.
//! - [`ScreenPower`]: glue the app's UI timer calls, with time injected.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use thiserror::Error;

// ---------------------------------------------------------------------------
// Opening hours

/// A span of the day, in minutes since midnight; `end` may be 1440
/// ("24:00") so a 24-hour hall is `00:00-24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, ScheduleError> {
        if start_minute >= end_minute || end_minute > 24 * 60 {
            return Err(ScheduleError::BadRange(format!(
                "{}-{}",
                fmt_minute(start_minute),
                fmt_minute(end_minute)
            )));
        }
        Ok(Self {
            start: start_minute,
            end: end_minute,
        })
    }

    /// Whether `minute` (since midnight) is inside; the end is exclusive.
    pub fn contains(&self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error(
        "opening hours {0:?} are not of the form \"HH:MM-HH:MM\" with the start before the end (for example \"08:30-12:00\"; use \"00:00-24:00\" for all day)"
    )]
    BadRange(String),
}

fn parse_minute(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn fmt_minute(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl TryFrom<String> for TimeRange {
    type Error = ScheduleError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl std::str::FromStr for TimeRange {
    type Err = ScheduleError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ScheduleError::BadRange(text.to_string());
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let (start, end) = (
            parse_minute(a).ok_or_else(bad)?,
            parse_minute(b).ok_or_else(bad)?,
        );
        TimeRange::new(start, end).map_err(|_| bad())
    }
}

impl From<TimeRange> for String {
    fn from(range: TimeRange) -> String {
        format!("{}-{}", fmt_minute(range.start), fmt_minute(range.end))
    }
}

/// When the hall is open, per weekday. Several ranges a day allow a lunch
/// break. In a config file, days not listed are closed (they do not fall
/// back to the default week: a schedule reads as written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    #[serde(default)]
    pub mon: Vec<TimeRange>,
    #[serde(default)]
    pub tue: Vec<TimeRange>,
    #[serde(default)]
    pub wed: Vec<TimeRange>,
    #[serde(default)]
    pub thu: Vec<TimeRange>,
    #[serde(default)]
    pub fri: Vec<TimeRange>,
    #[serde(default)]
    pub sat: Vec<TimeRange>,
    #[serde(default)]
    pub sun: Vec<TimeRange>,
}

impl Default for OpeningHours {
    /// Weekdays 08:30-17:30: a common hall schedule. The screen stays on
    /// over lunch because residents read the kiosk while windows are shut.
    fn default() -> Self {
        let day = vec![TimeRange {
            start: 8 * 60 + 30,
            end: 17 * 60 + 30,
        }];
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            sat: Vec::new(),
            sun: Vec::new(),
        }
    }
}

impl OpeningHours {
    /// Every day, all day.
    pub fn always() -> Self {
        let day = vec![TimeRange {
            start: 0,
            end: 1440,
        }];
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day.clone(),
            sat: day.clone(),
            sun: day,
        }
    }

    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        let day = match at.weekday() {
            chrono::Weekday::Mon => &self.mon,
            chrono::Weekday::Tue => &self.tue,
            chrono::Weekday::Wed => &self.wed,
            chrono::Weekday::Thu => &self.thu,
            chrono::Weekday::Fri => &self.fri,
            chrono::Weekday::Sat => &self.sat,
            chrono::Weekday::Sun => &self.sun,
        };
        let minute = (at.hour() * 60 + at.minute()) as u16;
        day.iter().any(|r| r.contains(minute))
    }
}

// ---------------------------------------------------------------------------
// Policy

/// How bright the screen should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenLevel {
    Full,
    Dim,
    Off,
}

/// The pure rules. See [`BacklightPolicy::target`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklightPolicy {
    pub hours: OpeningHours,
    /// Idle this long (no touch, no motion) and the screen dims (open) or
    /// goes off (closed).
    pub dim_after: Duration,
    pub full_percent: u8,
    pub dim_percent: u8,
    /// Level outside opening hours once idle. 0 turns the backlight off.
    pub closed_percent: u8,
}

impl Default for BacklightPolicy {
    fn default() -> Self {
        Self {
            hours: OpeningHours::default(),
            dim_after: Duration::from_secs(120),
            full_percent: 100,
            dim_percent: 20,
            closed_percent: 0,
        }
    }
}

impl BacklightPolicy {
    /// The level for local time `now` after `idle` without touch or motion.
    ///
    /// - Recent activity: full, open or closed (a cleaner or a late visitor
    ///   can still read the kiosk).
    /// - Idle during opening hours: dim, so it still invites a look.
    /// - Idle outside opening hours: off (or `closed_percent`).
    pub fn target(&self, now: NaiveDateTime, idle: Duration) -> ScreenLevel {
        if idle < self.dim_after {
            ScreenLevel::Full
        } else if self.hours.is_open(now) {
            ScreenLevel::Dim
        } else {
            ScreenLevel::Off
        }
    }

    pub fn percent(&self, level: ScreenLevel) -> u8 {
        match level {
            ScreenLevel::Full => self.full_percent,
            ScreenLevel::Dim => self.dim_percent,
            ScreenLevel::Off => self.closed_percent,
        }
        .min(100)
    }
}

// ---------------------------------------------------------------------------
// Backlight devices

#[derive(Debug, Error)]
pub enum BacklightError {
    #[error(
        "no backlight under {dir}; this screen's brightness cannot be set (normal for HDMI monitors)"
    )]
    NoDevice { dir: PathBuf },
    #[error(
        "backlight {device} not found under {dir}; check `backlight_device` in the kiosk config"
    )]
    DeviceMissing { dir: PathBuf, device: String },
    #[error("could not read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "could not write {path}: {source}; the kiosk user needs write access (a udev rule giving group `video` the brightness file)"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Something whose brightness can be set.
pub trait Backlight: Send {
    /// 0 = off, 100 = brightest.
    fn set_percent(&mut self, percent: u8) -> Result<(), BacklightError>;
    fn describe(&self) -> String;
}

/// `/sys/class/backlight/<device>/{brightness,max_brightness}`.
#[derive(Debug)]
pub struct SysfsBacklight {
    dir: PathBuf,
    max: u32,
}

impl SysfsBacklight {
    /// Opens `device` under `class_dir` (normally `/sys/class/backlight`),
    /// or the first device there when `device` is None. The directory is a
    /// parameter so tests use a temporary fake.
    pub fn open(class_dir: &Path, device: Option<&str>) -> Result<Self, BacklightError> {
        let dir = match device {
            Some(name) => {
                let dir = class_dir.join(name);
                if !dir.join("brightness").exists() {
                    return Err(BacklightError::DeviceMissing {
                        dir: class_dir.to_path_buf(),
                        device: name.to_string(),
                    });
                }
                dir
            }
            None => first_device(class_dir).ok_or_else(|| BacklightError::NoDevice {
                dir: class_dir.to_path_buf(),
            })?,
        };
        let max_path = dir.join("max_brightness");
        let text = fs::read_to_string(&max_path).map_err(|e| BacklightError::Read {
            path: max_path.clone(),
            reason: e.to_string(),
        })?;
        let max: u32 = text.trim().parse().map_err(|_| BacklightError::Read {
            path: max_path.clone(),
            reason: format!("{:?} is not a number", text.trim()),
        })?;
        if max == 0 {
            return Err(BacklightError::Read {
                path: max_path,
                reason: "max_brightness is 0".into(),
            });
        }
        Ok(Self { dir, max })
    }

    pub fn max_brightness(&self) -> u32 {
        self.max
    }

    /// The raw value for a percentage: rounded, and never 0 for a
    /// non-zero percentage (on many panels 0 means dark).
    pub fn raw_for(&self, percent: u8) -> u32 {
        let percent = u64::from(percent.min(100));
        let raw = (u64::from(self.max) * percent + 50) / 100;
        if percent > 0 { raw.max(1) as u32 } else { 0 }
    }
}

/// Devices in sorted order, so "the first" is the same on every boot.
fn first_device(class_dir: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(class_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("brightness").exists())
        .collect();
    dirs.sort();
    dirs.into_iter().next()
}

impl Backlight for SysfsBacklight {
    fn set_percent(&mut self, percent: u8) -> Result<(), BacklightError> {
        let path = self.dir.join("brightness");
        fs::write(&path, format!("{}\n", self.raw_for(percent)))
            .map_err(|source| BacklightError::Write { path, source })
    }

    fn describe(&self) -> String {
        format!("backlight {}", self.dir.display())
    }
}

/// For screens without a backlight control: does nothing.
#[derive(Debug, Default)]
pub struct NoBacklight;

impl Backlight for NoBacklight {
    fn set_percent(&mut self, _percent: u8) -> Result<(), BacklightError> {
        Ok(())
    }

    fn describe(&self) -> String {
        "no backlight".into()
    }
}

/// Opens the configured backlight, or [`NoBacklight`] after one warning.
pub fn open_backlight(class_dir: &Path, device: Option<&str>) -> Box<dyn Backlight> {
    match SysfsBacklight::open(class_dir, device) {
        Ok(b) => {
            tracing::info!(max = b.max_brightness(), "using {}", b.describe());
            Box::new(b)
        }
        Err(e) => {
            tracing::warn!("{e}; screen dimming is off, the kiosk goes on at full brightness");
            Box::new(NoBacklight)
        }
    }
}

/// Records every level set. Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct SimulatedBacklight {
    levels: Arc<Mutex<Vec<u8>>>,
}

impl SimulatedBacklight {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every percentage set, oldest first.
    pub fn levels(&self) -> Vec<u8> {
        self.levels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Backlight for SimulatedBacklight {
    fn set_percent(&mut self, percent: u8) -> Result<(), BacklightError> {
        self.levels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(percent);
        Ok(())
    }

    fn describe(&self) -> String {
        "simulated backlight".into()
    }
}

// ---------------------------------------------------------------------------
// The controller the UI timer drives

/// Applies a [`BacklightPolicy`] to a [`Backlight`]. Owned by the UI
/// thread; the app calls [`ScreenPower::on_activity`] on touch and motion
/// and [`ScreenPower::tick`] from a timer (every second is plenty).
pub struct ScreenPower {
    policy: BacklightPolicy,
    backlight: Box<dyn Backlight>,
    last_activity: Instant,
    applied: Option<ScreenLevel>,
    write_error_logged: bool,
}

impl ScreenPower {
    /// Starts as if touched at `now` (the kiosk just started: stay bright).
    pub fn new(policy: BacklightPolicy, backlight: Box<dyn Backlight>, now: Instant) -> Self {
        Self {
            policy,
            backlight,
            last_activity: now,
            applied: None,
            write_error_logged: false,
        }
    }

    /// A touch or motion at `now`. Brightens at once. Returns true when the
    /// screen was dim or off: the app should then swallow that touch, so the
    /// touch that wakes the screen does not also press a button.
    pub fn on_activity(&mut self, now: Instant) -> bool {
        self.last_activity = self.last_activity.max(now);
        let was_dark = matches!(self.applied, Some(ScreenLevel::Dim | ScreenLevel::Off));
        self.apply(ScreenLevel::Full);
        was_dark
    }

    /// Re-evaluates the level for local time `local` and instant `now`;
    /// writes the backlight only when the level changes.
    pub fn tick(&mut self, local: NaiveDateTime, now: Instant) -> ScreenLevel {
        let idle = now.saturating_duration_since(self.last_activity);
        let level = self.policy.target(local, idle);
        self.apply(level);
        level
    }

    /// The level last applied (None before the first tick or activity).
    pub fn level(&self) -> Option<ScreenLevel> {
        self.applied
    }

    pub fn policy(&self) -> &BacklightPolicy {
        &self.policy
    }

    fn apply(&mut self, level: ScreenLevel) {
        if self.applied == Some(level) {
            return;
        }
        match self.backlight.set_percent(self.policy.percent(level)) {
            Ok(()) => {
                tracing::debug!(?level, "backlight");
                self.applied = Some(level);
                self.write_error_logged = false;
            }
            Err(e) => {
                // Logged once per failure streak; retried next tick.
                if !self.write_error_logged {
                    tracing::warn!("{e}");
                    self.write_error_logged = true;
                }
            }
        }
    }
}
