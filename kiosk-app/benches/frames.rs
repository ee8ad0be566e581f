//! Frame times of the software renderer and keystroke-to-paint on the
//! search keyboard (issue 13).
//!
//! ```text
//! cargo bench -p kiosk-app --bench frames                      # the demo county
//! cargo bench -p kiosk-app --bench frames -- --data-dir DIR    # a store kiosk-sync wrote (e.g. 100,000 documents)
//!     [--frames N] [--keys N] [--size 1080x1920]
//! ```
//!
//! Each page is entered as the kiosk shows it, then rendered whole N times:
//! the software renderer (the kiosk's, as its KMS backend drives it) draws
//! every pixel of a 1080x1920 32-bit frame buffer, as a first frame or a
//! full repaint does. (`Window::take_snapshot` of the testing backend costs
//! more: it allocates two new buffers a frame and converts one into the
//! other.) Then, on
//! the search page, the keys of everyday queries are tapped one at a time
//! (a pointer press and release on the on-screen key, as a finger does) and
//! each tap is timed until the next frame is drawn: the search runs,
//! the result list is rebuilt and laid out, the frame is painted, once
//! whole and once as the KMS backend paints it (only the regions that
//! changed in the last two frames, into the older of two buffers). Whole
//! words are typed and erased, so at least `--keys` taps (default 200;
//! `--frames` defaults to 200 a page, so p99 is the second slowest). The
//! search and the candidate words run on the UI thread, in the kiosk as
//! here, so the figure is the whole wait between a tap and its answer on
//! screen. The five slowest taps are listed with their painting share.
//! The result rows below the fold are added `REST_AFTER` (40 ms) after a
//! tap, as the kiosk's loop runs that timer once the frame is drawn: the
//! bench lets that time pass on the platform's clock, outside the timed
//! tap, and times that second frame on its own row.
//!
//! Baseline in the same run: SHA-256 of 1 MiB (the CPU calibration of the
//! other benches), so figures from a busy machine can be read.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use kiosk_app::background::Spawner;
use kiosk_app::config::AppConfig;
use kiosk_app::printing::{Printer, RecordingPrinter};
use kiosk_app::{AppContext, Nav, app, scenes};
use kiosk_content::store::ListQuery;
use kiosk_content::{Item, ItemKind};
use sha2::Digest;
use slint::ComponentHandle;
use slint::platform::PointerEventButton;
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter, WindowEvent};

struct Args {
    data_dir: Option<PathBuf>,
    frames: usize,
    keys: usize,
    size: (u32, u32),
}

fn args() -> Result<Args> {
    let mut a = Args {
        data_dir: None,
        frames: 200,
        keys: 200,
        size: (1080, 1920),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data-dir" => a.data_dir = Some(it.next().context("--data-dir DIR")?.into()),
            "--frames" => a.frames = it.next().context("--frames N")?.parse()?,
            "--keys" => a.keys = it.next().context("--keys N")?.parse()?,
            "--size" => {
                let v = it.next().context("--size WxH")?;
                let (w, h) = v.split_once('x').context("--size WxH, e.g. 1080x1920")?;
                a.size = (w.parse()?, h.parse()?);
            }
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => bail!("unknown argument {other:?} (see the top of benches/frames.rs)"),
        }
    }
    Ok(a)
}

/// p50, p99 and max of a sample, in milliseconds.
fn summary(mut t: Vec<Duration>) -> (f64, f64, f64) {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize];
    (
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*t.last().unwrap_or(&Duration::ZERO)),
    )
}

fn calibration() -> Vec<Duration> {
    let buf = vec![7u8; 1 << 20];
    (0..30)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(sha2::Sha256::digest(&buf));
            t.elapsed()
        })
        .collect()
}

/// A platform with one software-rendered window and real time, plus the
/// time the bench lets pass without waiting for it (`skipped`).
struct BenchPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
    skipped: Rc<std::cell::Cell<Duration>>,
}

impl Platform for BenchPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed() + self.skipped.get()
    }
}

/// The on-screen key labelled `label` (a button of the search keyboard).
fn key(win: &kiosk_app::MainWindow, label: &str) -> Result<ElementHandle> {
    ElementHandle::find_by_accessible_label(win, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .with_context(|| format!("no key labelled {label:?} on the search page"))
}

/// The first guide of the store (if it has one: the search bench's
/// synthetic stores hold policies only), and the longest of its first 500
/// policies.
fn pick_items(ctx: &AppContext) -> Result<(Option<String>, String)> {
    let content = ctx.content.borrow();
    let first = |kind: ItemKind, limit: usize| {
        content.list(&ListQuery {
            kind: Some(kind),
            limit: Some(limit),
            ..Default::default()
        })
    };
    let guide = first(ItemKind::Guide, 1)?.into_iter().next().map(|s| s.id);
    let mut policy = None;
    let mut longest = 0;
    for s in first(ItemKind::Policy, 500)? {
        if let Some(Item::Policy(p)) = content.item(&s.id)?
            && p.body.len() > longest
        {
            longest = p.body.len();
            policy = Some(s.id);
        }
    }
    Ok((guide, policy.context("the store has no policy")?))
}

fn main() -> Result<()> {
    let a = args()?;
    // The kiosk's own renderer as its KMS backend uses it: the software
    // renderer drawing into a 32-bit frame buffer, here one kept between
    // frames; every frame is a full repaint (RepaintBufferType::NewBuffer).
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    let skipped = Rc::new(std::cell::Cell::new(Duration::ZERO));
    slint::platform::set_platform(Box::new(BenchPlatform {
        window: window.clone(),
        start: Instant::now(),
        skipped: skipped.clone(),
    }))
    .map_err(|e| anyhow::anyhow!("bench platform: {e}"))?;
    // Two frame buffers, as the KMS backend flips between two dumb
    // buffers. A full frame (NewBuffer) repaints every pixel; a partial one
    // (SwappedBuffers, what the KMS backend asks for once both buffers hold
    // a frame) repaints only what changed in the last two frames.
    let pixels = a.size.0 as usize * a.size.1 as usize;
    let mut buffers = [
        vec![PremultipliedRgbaColor::default(); pixels],
        vec![PremultipliedRgbaColor::default(); pixels],
    ];
    let mut back = 0;
    let stride = a.size.0 as usize;
    let mut frame = |kind: RepaintBufferType| -> Duration {
        window.request_redraw();
        let t = Instant::now();
        window.draw_if_needed(|r| {
            r.set_repaint_buffer_type(kind);
            r.render(&mut buffers[back], stride);
        });
        let took = t.elapsed();
        std::hint::black_box(&buffers[back]);
        if kind == RepaintBufferType::SwappedBuffers {
            back = 1 - back;
        }
        took
    };
    let full = RepaintBufferType::NewBuffer;
    let partial = RepaintBufferType::SwappedBuffers;

    let tmp = tempfile::tempdir()?;
    let (reader, data_dir, source) = match &a.data_dir {
        Some(dir) => (
            kiosk_content::ContentReader::open(dir)
                .with_context(|| format!("opening the store in {}", dir.display()))?,
            dir.clone(),
            format!("the store in {}", dir.display()),
        ),
        None => (
            kiosk_content::demo::open_demo(tmp.path())?,
            tmp.path().to_path_buf(),
            "the demo county".to_string(),
        ),
    };
    let config = AppConfig {
        control_socket: tmp.path().join("no-daemon.sock"),
        usb_import_dir: tmp.path().join("usb"),
        ..AppConfig::demo()
    };
    let printer: Rc<dyn Printer> = Rc::new(RecordingPrinter::default());
    let ctx = AppContext::new(reader, data_dir, config, Spawner::inline(), printer);
    let win = app::build(&ctx)?;
    win.show()?;
    win.window()
        .set_size(slint::PhysicalSize::new(a.size.0, a.size.1));

    // Which items the detail pages show: the demo's (the longest policy,
    // the 低保 guide), or in another store its first guide and the longest
    // of its first 500 policies.
    let (guide, policy) = if a.data_dir.is_some() {
        pick_items(&ctx)?
    } else {
        (
            Some(scenes::demo::GUIDE.to_string()),
            scenes::demo::POLICY.to_string(),
        )
    };
    println!(
        "frames of {}x{} from {source}, {} full frames a page, {} key taps",
        a.size.0, a.size.1, a.frames, a.keys
    );
    println!(
        "guide {}, policy {policy}",
        guide
            .as_deref()
            .unwrap_or("(none in this store: its row is left out)")
    );
    println!();
    println!("| page | full frame p50 ms | p99 ms | max ms | elements |");
    println!("|---|---|---|---|---|");
    for (name, scene, id) in [
        ("home", "home", None),
        ("search with results (db)", "search", None),
        ("guide", "guide", guide.as_deref()),
        ("long policy", "policy", Some(policy.as_str())),
        ("map, every marker", "map", None),
        ("hall plan", "hall", None),
    ] {
        if scene == "guide" && id.is_none() {
            continue;
        }
        kiosk_app::pages::clear_all(&win, &ctx);
        scenes::enter(&win, &ctx, scene, id)?;
        let error = win.global::<Nav>().get_error_text();
        if !error.is_empty() {
            bail!("{name}: the page shows an error: {error}");
        }
        // Layout settles and images decode on the first frames.
        for _ in 0..2 {
            frame(full);
        }
        let elements = ElementQuery::from_root(&win)
            .match_descendants()
            .find_all()
            .len();
        let mut times = Vec::with_capacity(a.frames);
        for _ in 0..a.frames {
            times.push(frame(full));
        }
        let (p50, p99, max) = summary(times);
        println!("| {name} | {p50:.2} | {p99:.2} | {max:.2} | {elements} |");
    }

    // Keystroke to paint: everyday queries typed on the pinyin keys,
    // letter by letter, then cleared with 删除 (each tap timed the same way).
    kiosk_app::pages::clear_all(&win, &ctx);
    scenes::enter(&win, &ctx, "home", None)?;
    app::go(&win, &ctx, kiosk_app::nav::Route::Search);
    frame(full);
    let words = ["db", "gljt", "hk", "ylbx", "bdc", "cjr", "shebao", "dibao"];
    let mut taps: Vec<&str> = Vec::new();
    'fill: loop {
        for w in words {
            let letters: Vec<&str> = w
                .char_indices()
                .map(|(i, c)| &w[i..i + c.len_utf8()])
                .collect();
            let n = letters.len();
            taps.extend(letters);
            taps.extend(std::iter::repeat_n("删除", n));
            if taps.len() >= a.keys {
                break 'fill;
            }
        }
    }
    println!();
    println!("| keystroke to painted frame | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|");
    // Each tap is typed twice over: painted as a full frame (a first
    // frame, the worst case), then as the KMS backend paints it (only the
    // regions that changed, into the older of two buffers). The taps end
    // with the box empty, so both passes see the same pages.
    let mut slow_notes = Vec::new();
    let mut rest_rows = Vec::new();
    for (what, kind) in [
        ("full frame", full),
        ("changed regions only, as the KMS backend paints", partial),
    ] {
        // Both buffers hold the current page before partial frames start.
        frame(full);
        frame(kind);
        frame(kind);
        let mut times = Vec::with_capacity(taps.len());
        // (whole tap, the box after it, paint alone), for the slowest taps.
        let mut taps_seen: Vec<(Duration, String, Duration)> = Vec::with_capacity(taps.len());
        let mut typed = String::new();
        for label in &taps {
            let k = key(&win, label)?;
            let position = {
                let (p, s) = (k.absolute_position(), k.size());
                slint::LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0)
            };
            let t = Instant::now();
            // A finger on the key: press and release at its centre (the
            // testing backend's click helpers step mock time, which this
            // platform's real clock does not have).
            for pressed in [true, false] {
                let button = PointerEventButton::Left;
                win.window().dispatch_event(if pressed {
                    WindowEvent::PointerPressed { position, button }
                } else {
                    WindowEvent::PointerReleased { position, button }
                });
            }
            let painted = frame(kind);
            let took = t.elapsed();
            times.push(took);
            if *label == "删除" {
                typed.pop();
            } else {
                typed.push_str(label);
            }
            taps_seen.push((took, typed.clone(), painted));
            // The rows below the fold, once their time has come (the
            // kiosk's loop runs due timers, then draws).
            if kiosk_app::pages::search::rows_pending() {
                skipped.set(skipped.get() + kiosk_app::pages::search::REST_AFTER);
                let t = Instant::now();
                slint::platform::update_timers_and_animations();
                frame(kind);
                rest_rows.push((kind, t.elapsed()));
            }
        }
        let (p50, p99, max) = summary(times);
        println!(
            "| {} taps on the pinyin keys (letters and 删除), {what} | {p50:.2} | {p99:.2} | {max:.2} |",
            taps.len()
        );
        taps_seen.sort_by_key(|t| std::cmp::Reverse(t.0));
        let slowest: Vec<String> = taps_seen
            .iter()
            .take(5)
            .map(|(took, box_text, paint)| {
                let shown = if box_text.is_empty() {
                    "(empty)"
                } else {
                    box_text
                };
                format!(
                    "{shown} {:.1} ms ({:.1} painting)",
                    took.as_secs_f64() * 1000.0,
                    paint.as_secs_f64() * 1000.0
                )
            })
            .collect();
        slow_notes.push(format!("{what}: {}", slowest.join(", ")));
    }
    for (what, kind) in [("full frame", full), ("changed regions only", partial)] {
        let times: Vec<Duration> = rest_rows
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, t)| *t)
            .collect();
        let n = times.len();
        if n > 0 {
            let (p50, p99, max) = summary(times);
            println!(
                "| then the rows below the fold, 40 ms later ({n} of the taps), {what} | {p50:.2} | {p99:.2} | {max:.2} |"
            );
        }
    }
    let (p50, p99, max) = summary(calibration());
    println!("| baseline: SHA-256 of 1 MiB | {p50:.2} | {p99:.2} | {max:.2} |");
    println!();
    println!("Slowest taps (the box after the tap: whole tap, of which painting):");
    for n in slow_notes {
        println!("- {n}");
    }
    Ok(())
}
