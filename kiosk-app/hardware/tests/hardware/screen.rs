//! Backlight schedule, dim after idle and wake on motion, against a fake
//! sysfs and a simulated pin. Time is injected; nothing sleeps.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use kiosk_hardware::{
    BacklightPolicy, HardwareConfig, MotionSensor, OpeningHours, ScreenLevel, ScreenPower,
    SimulatedMotion,
    backlight::{Backlight, SimulatedBacklight, SysfsBacklight, TimeRange, open_backlight},
    config::PrinterKind,
};

/// 2025-03-14 is a Friday, 2025-03-15 a Saturday.
fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("valid time")
}

fn policy() -> BacklightPolicy {
    // Friday with a lunch break; the other weekdays as by default.
    let hours = OpeningHours {
        fri: vec![
            "08:30-12:00".parse().expect("range"),
            "13:30-17:30".parse().expect("range"),
        ],
        ..OpeningHours::default()
    };
    BacklightPolicy {
        hours,
        dim_after: Duration::from_secs(120),
        full_percent: 100,
        dim_percent: 20,
        closed_percent: 0,
    }
}

fn fake_sysfs(max: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().expect("temp dir");
    let dev = root.path().join("10-0045");
    std::fs::create_dir(&dev).expect("device dir");
    std::fs::write(dev.join("max_brightness"), format!("{max}\n")).expect("max");
    std::fs::write(dev.join("brightness"), "0\n").expect("brightness");
    let brightness = dev.join("brightness");
    (root, brightness)
}

#[test]
fn schedule_full_when_used_dim_when_idle_off_when_closed() {
    let p = policy();
    let idle = Duration::from_secs(300);
    let busy = Duration::from_secs(5);
    assert_eq!(p.target(at(14, 10, 0), busy), ScreenLevel::Full);
    assert_eq!(p.target(at(14, 10, 0), idle), ScreenLevel::Dim);
    // Lunch break is outside the ranges: idle means off.
    assert_eq!(p.target(at(14, 12, 30), idle), ScreenLevel::Off);
    assert_eq!(p.target(at(14, 17, 29), idle), ScreenLevel::Dim);
    assert_eq!(p.target(at(14, 17, 30), idle), ScreenLevel::Off);
    assert_eq!(p.target(at(14, 22, 0), idle), ScreenLevel::Off);
    // Saturday is closed, but someone touching it still gets a bright screen.
    assert_eq!(p.target(at(15, 10, 0), idle), ScreenLevel::Off);
    assert_eq!(p.target(at(15, 10, 0), busy), ScreenLevel::Full);
    // A 24-hour hall.
    let always = BacklightPolicy {
        hours: OpeningHours::always(),
        ..policy()
    };
    assert_eq!(always.target(at(15, 23, 59), idle), ScreenLevel::Dim);
}

#[test]
fn idle_dims_and_motion_wakes() {
    let backlight = SimulatedBacklight::new();
    let t0 = Instant::now();
    let mut screen = ScreenPower::new(policy(), Box::new(backlight.clone()), t0);
    let mut sensor = SimulatedMotion::new();

    assert_eq!(screen.tick(at(14, 10, 0), t0), ScreenLevel::Full);
    assert_eq!(
        screen.tick(at(14, 10, 1), t0 + Duration::from_secs(60)),
        ScreenLevel::Full
    );
    assert_eq!(
        screen.tick(at(14, 10, 2), t0 + Duration::from_secs(121)),
        ScreenLevel::Dim
    );
    // Nobody: the pin stays low.
    assert!(!sensor.motion_detected().expect("read pin"));
    // Someone walks up between two polls.
    sensor.pulse();
    let t1 = t0 + Duration::from_secs(200);
    assert!(sensor.motion_detected().expect("read pin"));
    assert!(
        screen.on_activity(t1),
        "was dim: the waking touch is swallowed"
    );
    assert_eq!(screen.level(), Some(ScreenLevel::Full));
    assert!(
        !screen.on_activity(t1),
        "already bright: touches pass through"
    );
    assert!(!sensor.motion_detected().expect("latch cleared"));
    assert_eq!(
        screen.tick(at(14, 10, 4), t1 + Duration::from_secs(30)),
        ScreenLevel::Full
    );
    // After closing time, idle goes dark.
    assert_eq!(
        screen.tick(at(14, 18, 0), t1 + Duration::from_secs(600)),
        ScreenLevel::Off
    );
    // Levels are written on change only.
    assert_eq!(backlight.levels(), vec![100, 20, 100, 0]);
}

#[test]
fn a_person_standing_there_keeps_the_screen_bright() {
    let backlight = SimulatedBacklight::new();
    let t0 = Instant::now();
    let mut screen = ScreenPower::new(policy(), Box::new(backlight.clone()), t0);
    let mut sensor = SimulatedMotion::new();
    sensor.set_high(true);
    // The app's timer: poll motion, then tick, for ten minutes.
    for second in (0..600).step_by(1) {
        let now = t0 + Duration::from_secs(second);
        if sensor.motion_detected().expect("read pin") {
            screen.on_activity(now);
        }
        screen.tick(at(14, 10, 0), now);
    }
    assert_eq!(backlight.levels(), vec![100]);
}

#[test]
fn sysfs_backlight_writes_raw_levels() {
    let (root, brightness) = fake_sysfs(255);
    let mut b = SysfsBacklight::open(root.path(), None).expect("finds device");
    assert_eq!(b.max_brightness(), 255);
    b.set_percent(100).expect("write");
    assert_eq!(
        std::fs::read_to_string(&brightness).expect("read").trim(),
        "255"
    );
    b.set_percent(20).expect("write");
    assert_eq!(
        std::fs::read_to_string(&brightness).expect("read").trim(),
        "51"
    );
    b.set_percent(1).expect("write");
    assert_eq!(
        std::fs::read_to_string(&brightness).expect("read").trim(),
        "3"
    );
    b.set_percent(0).expect("write");
    assert_eq!(
        std::fs::read_to_string(&brightness).expect("read").trim(),
        "0"
    );

    // Through the controller, from the config.
    let mut config = HardwareConfig::default();
    config.screen.backlight_dir = root.path().to_path_buf();
    config.screen.hours = OpeningHours::always();
    let t0 = Instant::now();
    let mut screen = ScreenPower::new(config.screen.policy(), config.screen.open_backlight(), t0);
    screen.tick(at(14, 10, 0), t0 + Duration::from_secs(3600));
    assert_eq!(
        std::fs::read_to_string(&brightness).expect("read").trim(),
        "51"
    );
}

#[test]
fn small_max_brightness_never_rounds_dim_to_dark() {
    let (root, _) = fake_sysfs(7);
    let b = SysfsBacklight::open(root.path(), Some("10-0045")).expect("device");
    assert_eq!(b.raw_for(5), 1);
    assert_eq!(b.raw_for(0), 0);
    assert_eq!(b.raw_for(100), 7);
}

#[test]
fn no_backlight_is_reported_and_ignored() {
    let empty = tempfile::tempdir().expect("temp dir");
    let err = SysfsBacklight::open(empty.path(), None).expect_err("nothing there");
    assert!(err.to_string().contains("no backlight"), "{err}");
    let err = SysfsBacklight::open(empty.path(), Some("rpi_backlight")).expect_err("missing");
    assert!(err.to_string().contains("rpi_backlight"), "{err}");

    // The kiosk goes on with a no-op backlight.
    let mut fallback = open_backlight(empty.path(), None);
    assert_eq!(fallback.describe(), "no backlight");
    assert!(fallback.set_percent(50).is_ok());
    let t0 = Instant::now();
    let mut screen = ScreenPower::new(policy(), fallback, t0);
    assert_eq!(screen.tick(at(14, 10, 0), t0), ScreenLevel::Full);
}

#[test]
fn unwritable_backlight_does_not_stop_the_kiosk() {
    let (root, brightness) = fake_sysfs(100);
    let mut b = SysfsBacklight::open(root.path(), None).expect("device");
    // A directory where the file should be makes every write fail.
    std::fs::remove_file(&brightness).expect("remove");
    std::fs::create_dir(&brightness).expect("dir");
    let err = b.set_percent(10).expect_err("cannot write");
    assert!(err.to_string().contains("brightness"), "{err}");
    let t0 = Instant::now();
    let mut screen = ScreenPower::new(policy(), Box::new(b), t0);
    // Level stays unapplied and the controller keeps going.
    screen.tick(at(14, 10, 0), t0);
    assert_eq!(screen.level(), None);
}

#[test]
fn config_from_toml_with_defaults_and_clear_errors() {
    let config: HardwareConfig = toml::from_str(
        r#"
        [printer]
        kind = "tcp"
        address = "10.0.0.5:9100"
        paper = "58mm"

        [screen]
        dim_after_secs = 60
        [screen.hours]
        mon = ["08:30-12:00", "13:30-17:30"]
        sat = ["00:00-24:00"]

        [motion]
        enabled = true
        gpio_pin = 27
        "#,
    )
    .expect("valid config");
    assert_eq!(config.printer.kind, PrinterKind::Tcp);
    assert_eq!(config.printer.paper.dots(), 384);
    assert_eq!(config.printer.baud, 115_200, "default kept");
    assert_eq!(config.screen.hours.mon.len(), 2);
    assert!(config.screen.hours.tue.is_empty(), "unlisted day is closed");
    assert_eq!(
        config.screen.hours.sat,
        vec![TimeRange::new(0, 1440).expect("range")]
    );
    assert_eq!(config.motion.gpio_pin, 27);
    assert!(config.printer.open().is_some());

    let empty: HardwareConfig = toml::from_str("").expect("all defaults");
    assert_eq!(empty, HardwareConfig::default());
    assert!(!empty.motion.enabled);
    assert!(empty.motion.open().expect("disabled is fine").is_none());

    let bad = toml::from_str::<HardwareConfig>("[screen.hours]\nmon = [\"8:30-25:00\"]")
        .expect_err("bad hours");
    assert!(bad.to_string().contains("HH:MM-HH:MM"), "{bad}");
    let typo = toml::from_str::<HardwareConfig>("[printer]\nadress = \"x\"").expect_err("typo");
    assert!(typo.to_string().contains("adress"), "{typo}");
}

#[cfg(not(feature = "gpio"))]
#[test]
fn motion_without_gpio_support_says_how_to_get_it() {
    let mut config = HardwareConfig::default();
    config.motion.enabled = true;
    let err = config.motion.open().err().expect("not built");
    assert!(err.to_string().contains("`gpio` feature"), "{err}");
}
