//! Staff access (issue 17): no path from the resident UI reaches a shell, a
//! file dialog, a browser or a terminal. An exhaustive walk: from every
//! scene the app has (`kiosk_app::scenes::ALL`, the states screenshots are
//! taken of), every tappable element on screen is tapped once (in `cargo
//! test` the first, middle and last of each scene; all with
//! KIOSK_TAP_WALK=all), each from a freshly entered scene, and after each tap the kiosk must be on one of
//! its own pages with no error shown, with the same single window and no
//! child process. The app's sources are also read for any way to start a
//! program, open a URL in a browser or open a file dialog.

use std::collections::BTreeMap;

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use kiosk_app::{Nav, PageId, app, scenes};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

use crate::harness::demo;

/// Every page the kiosk has; a tap must land on one of them.
const KNOWN: &[PageId] = &[
    PageId::Attract,
    PageId::Home,
    PageId::Search,
    PageId::List,
    PageId::Detail,
    PageId::Guide,
    PageId::Progress,
    PageId::Map,
    PageId::Hall,
    PageId::Apply,
    PageId::Catalog,
    PageId::Village,
    PageId::StaffPin,
    PageId::Staff,
];

/// The tappable elements on screen: buttons (and input fields) with a size,
/// not faded out, whose centre is inside the 1080x1920 window.
fn tappables(win: &kiosk_app::MainWindow) -> Vec<ElementHandle> {
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(1));
    ElementQuery::from_root(win)
        .match_descendants()
        .match_predicate(|e| {
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::TextInput)
            )
        })
        .find_all()
        .into_iter()
        .filter(|e| {
            let (p, s) = (e.absolute_position(), e.size());
            let (cx, cy) = (p.x + s.width / 2.0, p.y + s.height / 2.0);
            s.width > 0.0
                && s.height > 0.0
                && e.computed_opacity() > 0.0
                && (0.0..1080.0).contains(&cx)
                && (0.0..1920.0).contains(&cy)
        })
        .collect()
}

fn label(e: &ElementHandle) -> String {
    e.accessible_label()
        .map(|l| l.to_string())
        .unwrap_or_else(|| format!("<{}>", e.type_name().unwrap_or_default()))
}

/// Child processes of this test process (there must be none: the app
/// starts no program).
fn children() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .map(|c| c.split_whitespace().count())
        .sum()
}

/// Which elements of a scene's `count` are tapped: all with
/// KIOSK_TAP_WALK=all (`bash tests/faults.sh --walk-all`), else the first,
/// the middle and the last: entering a scene afresh for each tap cost
/// about a second a tap on a loaded 2-core machine.
fn walk(count: usize) -> Vec<usize> {
    match std::env::var("KIOSK_TAP_WALK") {
        Ok(v) if v == "all" => (0..count).collect(),
        _ => {
            let mut v = vec![0, count / 2, count.saturating_sub(1)];
            v.dedup();
            v
        }
    }
}

/// The scene as a new resident finds it: every input cleared first (what
/// the idle timeout does), then the scene entered.
fn enter(k: &crate::harness::Kiosk, scene: &str) {
    app::reset_to_attract(&k.win, &k.ctx);
    scenes::enter(&k.win, &k.ctx, scene, None).expect("scene");
}

const CHILD: &str = "KIOSK_TAP_WALK_CHILD";
const NAME: &str = "tap_walk::every_tap_from_every_scene_lands_on_a_page_of_the_kiosk";

#[test]
fn every_tap_from_every_scene_lands_on_a_page_of_the_kiosk() {
    // The walk runs alone in a child process (this test binary started
    // again for this one test): "no tap started a program" counts the
    // process's children, and other UI tests in parallel threads start
    // theirs (the soak's process, kiosk-sync, Prometheus).
    if crate::harness::ran_alone_in_child(NAME, CHILD, "the tap walk") {
        return;
    }
    let started = std::time::Instant::now();
    let k = demo();
    k.start();
    let before = children();
    let mut taps = 0usize;
    let mut landed: BTreeMap<String, usize> = BTreeMap::new();
    for scene in scenes::ALL {
        enter(&k, scene);
        let count = tappables(&k.win).len();
        assert!(count > 0, "{scene}: nothing to tap");
        for i in walk(count) {
            // Each tap from the scene as entered afresh.
            enter(&k, scene);
            let on_screen = tappables(&k.win);
            assert_eq!(on_screen.len(), count, "{scene}: the scene changed");
            let e = &on_screen[i];
            let what = label(e);
            e.mock_single_click(PointerEventButton::Left);
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(50));
            taps += 1;
            let page = k.page();
            assert!(
                KNOWN.contains(&page),
                "{scene}: tapping {what:?} led to {page:?}"
            );
            let error = k.win.global::<Nav>().get_error_text();
            assert!(
                error.is_empty(),
                "{scene}: tapping {what:?} shows an error: {error}"
            );
            assert!(
                k.win.window().is_visible(),
                "{scene}: {what:?} hid the window"
            );
            assert_eq!(children(), before, "{scene}: {what:?} started a program");
            *landed.entry(format!("{page:?}")).or_default() += 1;
        }
    }
    eprintln!(
        "faults-suite: tap_walk trials {taps}; {} scenes, landed on {landed:?}; {:.0} s",
        scenes::ALL.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(taps >= scenes::ALL.len() * 2, "only {taps} taps");
}

/// What would let the UI leave the kiosk: starting a program, opening a
/// URL in a browser, or a file dialog.
const ESCAPES: &[&str] = &[
    "process::Command",
    "Command::new",
    "process::Stdio",
    "execv",
    "xdg-open",
    "open_url",
    "webbrowser",
    "FileDialog",
    "rfd::",
    "/bin/sh",
    "/bin/bash",
    "x-terminal",
];

#[test]
fn the_app_has_no_way_to_start_a_program_open_a_url_or_a_file_dialog() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src"), root.join("ui")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("rs" | "slint")) {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 20, "{} files", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        // A file's unit tests are not in the kiosk's binary (a power-cut
        // test starts its own writer process): the scan stops at the
        // `#[cfg(test)] mod tests`, which clippy's items_after_test_module
        // (denied in CI) keeps at the end of the file.
        let end = lines
            .windows(2)
            .position(|w| {
                w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests")
            })
            .unwrap_or(lines.len());
        for (n, line) in lines[..end].iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for esc in ESCAPES {
                assert!(
                    !code.contains(esc),
                    "{}:{}: {esc:?}: {line}",
                    f.display(),
                    n + 1
                );
            }
        }
    }
}
