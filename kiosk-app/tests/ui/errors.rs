//! Bad input gets a clear message naming the file or field, and what was on
//! screen stays.

use std::process::Command;

use kiosk_app::background::Spawner;
use kiosk_app::nav::Route;
use kiosk_app::printing::NoPrinter;
use kiosk_app::{AppContext, DetailAdapter, GuideAdapter, app};
use kiosk_content::store::{ContentWriter, GenerationInfo};
use slint::ComponentHandle;

use crate::harness::{init_backend, test_config};

fn kiosk_app() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiosk-app"))
}

#[test]
fn a_missing_image_is_named_on_the_page_and_the_rest_shows() {
    init_backend();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut content = kiosk_content::demo::demo_content().expect("demo");
    content.assets.remove("images/jd-dibao.png");
    content.assets.remove("images/hall-chengguan.png");
    ContentWriter::open(dir.path())
        .expect("writer")
        .apply_generation(
            &content,
            &GenerationInfo {
                bundle_version: 1,
                channel: "test".into(),
                published_at: None,
            },
        )
        .expect("apply");
    let reader = kiosk_content::ContentReader::open(dir.path()).expect("reader");
    let ctx = AppContext::new(
        reader,
        dir.path().to_path_buf(),
        test_config(dir.path()),
        Spawner::inline(),
        std::rc::Rc::new(NoPrinter),
    );
    let win = app::build(&ctx).expect("window");
    app::go(&win, &ctx, Route::Item("jd-dibao".into()));
    let d = win.global::<DetailAdapter>();
    assert!(
        d.get_picture_missing().contains("images/jd-dibao.png"),
        "{}",
        d.get_picture_missing()
    );
    assert!(
        !crate::harness::rows(d.get_sections()).is_empty(),
        "the Q&A still shows"
    );
    app::go(&win, &ctx, Route::Item("dibao-shenqing".into()));
    let g = win.global::<GuideAdapter>();
    assert!(g.get_plan_missing().contains("images/hall-chengguan.png"));
    assert_eq!(g.get_title(), "最低生活保障申请");
}

/// Runs `kiosk-app` with `args`, which it must refuse; returns what it said
/// on stderr.
fn refused<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> String {
    let out = kiosk_app().args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "accepted; stderr: {err}");
    err
}

/// `kiosk-app screenshot` of the home page from `data_dir`.
fn home_shot_from(data_dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["screenshot".into(), "--data-dir".into()];
    args.push(data_dir.into());
    args.extend(["--page", "home", "--out", "/dev/null"].map(Into::into));
    args
}

/// `kiosk-app --config FILE screenshot --demo` of the home page.
fn demo_shot_with_config(config: &std::path::Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["--config".into(), config.into()];
    args.extend(
        [
            "screenshot",
            "--demo",
            "--page",
            "home",
            "--out",
            "/dev/null",
        ]
        .map(Into::into),
    );
    args
}

#[test]
fn a_missing_data_dir_is_named() {
    let err = refused(home_shot_from("/nonexistent/kiosk-data".as_ref()));
    assert!(
        err.contains("/nonexistent/kiosk-data") && err.contains("--demo"),
        "{err}"
    );
}

#[test]
fn a_corrupt_store_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("content")).expect("mkdir");
    std::fs::write(dir.path().join("content/current.json"), b"garbage").expect("write");
    let err = refused(home_shot_from(dir.path()));
    assert!(err.contains("current.json"), "{err}");
}

#[test]
fn an_empty_store_says_how_to_get_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = refused(home_shot_from(dir.path()));
    assert!(err.contains("kiosk-sync"), "{err}");
}

#[test]
fn an_unreadable_config_is_named_with_the_field() {
    let err = refused(demo_shot_with_config("/nonexistent/app.toml".as_ref()));
    assert!(err.contains("/nonexistent/app.toml"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("app.toml");
    std::fs::write(&cfg, "hall = \"chengguan\"\nidle_timeout = 30\n").expect("write");
    let err = refused(demo_shot_with_config(&cfg));
    assert!(
        err.contains("idle_timeout") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn a_screen_dim_time_under_hardware_is_refused_with_the_key_to_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("app.toml");
    std::fs::write(
        &cfg,
        "idle_timeout_secs = 60\n\n[hardware.screen]\ndim_after_secs = 30\n",
    )
    .expect("write");
    let err = refused(demo_shot_with_config(&cfg));
    assert!(
        err.contains(&cfg.display().to_string())
            && err.contains("line 4")
            && err.contains("top-level `dim_after_secs`"),
        "{err}"
    );
}

#[test]
fn the_screenshot_command_writes_a_png_of_the_asked_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("guide.png");
    let out = kiosk_app()
        .args([
            "screenshot",
            "--demo",
            "--page",
            "guide",
            "--size",
            "1280x800",
            "--out",
        ])
        .arg(&png)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).expect("png");
    assert_eq!((img.width(), img.height()), (1280, 800));

    let mut args: Vec<std::ffi::OsString> = ["screenshot", "--demo", "--page", "nowhere", "--out"]
        .map(Into::into)
        .into();
    args.push(png.into());
    assert!(refused(args).contains("progress-result"), "lists the pages");
}
