//! The soak's seeded random driver (issue 13), shared by the short UI test
//! (`kiosk-app/tests/ui/soak.rs`, 1,000 touches in `cargo test`) and the
//! long bench (`cargo bench -p kiosk-app --bench soak -- --touches 100000`).
//!
//! The real app on the demo content, headless on Slint's testing backend
//! with mock time and the software renderer, driven by pointer events on
//! what the screen shows: a random tappable element (its centre), a random
//! point, a swipe, or a resident's sequence: typing a query on the search
//! keyboard, a case number and query code on the progress page (the demo's
//! right ones and wrong ones), map markers, printing a guide's checklist
//! (the real slip rendering and printer thread, into a printer that only
//! counts what it receives, so the soak's own bookkeeping does not grow),
//! the staff panel behind its PIN, and the idle reset (mock time passes).
//!
//! After every step the kiosk must be on one of its own pages with no error
//! shown. The app's tracing output at WARN and above is captured by the
//! caller (see [`WarnLog`]). Resident memory is read from `/proc/self/status`
//! (`VmRSS`, the resident set of the whole process, in KiB).

// Each includer uses its own part of this file.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, ElementQuery, TestingBackend, TestingBackendOptions,
};
use kiosk_app::background::Spawner;
use kiosk_app::config::AppConfig;
use kiosk_app::hardware::{Devices, HardwarePrinter};
use kiosk_app::{AppContext, Idle, MainWindow, Nav, PageId, app, scenes};
use kiosk_hardware::PaperStatus;
use kiosk_hardware::printer::{PrinterError, PrinterService, ServiceOptions};
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};

/// Every page the kiosk has; after each step it must be on one of them.
pub const KNOWN: &[PageId] = &[
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

const W: f32 = 1080.0;
const H: f32 = 1920.0;

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Touches to make (a tap or a swipe is one touch).
    pub touches: usize,
    /// A memory sample every this many touches (and one at the start).
    pub sample_every: usize,
    /// The run stops here even if touches are left (wall clock).
    pub time_limit: Duration,
}

/// Resident memory after `touches` touches.
#[derive(Debug, Clone)]
pub struct Sample {
    pub touches: usize,
    pub rss_kib: u64,
    /// The C allocator's view (glibc `mallinfo2`): bytes handed out and
    /// bytes it holds from the system, KiB. `None` off glibc.
    pub heap: Option<HeapKib>,
    pub elapsed: Duration,
    pub page: PageId,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub touches: usize,
    pub samples: Vec<Sample>,
    /// How often each page was on screen after a step.
    pub pages: BTreeMap<String, usize>,
    /// How often each kind of step ran.
    pub steps: BTreeMap<&'static str, usize>,
    pub lookups_found: usize,
    pub lookups_not_found: usize,
    pub idle_resets: usize,
    /// Slips the printer received (rendered ESC/POS jobs).
    pub slips_printed: u64,
    pub slip_bytes: u64,
    pub stopped_by_time: bool,
    pub elapsed: Duration,
}

/// Why a run failed (a panic inside the app is a crash and fails the
/// caller's test or bench by itself).
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("cannot start the kiosk: {0}")]
    Setup(String),
    #[error("touch {touch}: after {step} the kiosk is on {page:?}, which is not one of its pages")]
    UnknownPage {
        touch: usize,
        step: &'static str,
        page: PageId,
    },
    #[error("touch {touch}: after {step} on {page:?} the screen shows an error: {text}")]
    ErrorShown {
        touch: usize,
        step: &'static str,
        page: PageId,
        text: String,
    },
    #[error("touch {touch}: after {step} the window is hidden")]
    Hidden { touch: usize, step: &'static str },
    #[error("touch {touch}: {what}")]
    Stuck { touch: usize, what: String },
}

/// The testing backend for this process: mock time, the software renderer.
pub fn init_backend() -> Result<(), SoakError> {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .map_err(|e| SoakError::Setup(format!("testing backend: {e}")))
}

/// The app's WARN and ERROR lines: how many, and the first few (the caller
/// installs [`WarnLog::subscriber`] as the process's tracing subscriber).
#[derive(Clone, Default)]
pub struct WarnLog(Arc<Mutex<WarnLines>>);

#[derive(Default)]
struct WarnLines {
    count: usize,
    first: Vec<String>,
    partial: Vec<u8>,
}

impl WarnLog {
    /// A subscriber writing WARN and ERROR events here, from every thread.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .without_time()
            .with_writer(self.clone())
            .finish()
    }

    pub fn count(&self) -> usize {
        self.0.lock().map(|l| l.count).unwrap_or(0)
    }

    pub fn first(&self) -> Vec<String> {
        self.0.lock().map(|l| l.first.clone()).unwrap_or_default()
    }
}

impl io::Write for WarnLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut l = self.0.lock().map_err(|_| io::Error::other("log lock"))?;
        for &b in buf {
            if b == b'\n' {
                l.count += 1;
                let line = String::from_utf8_lossy(&l.partial).into_owned();
                l.partial.clear();
                // Only the first few are kept: a run with a warning a touch
                // must not grow from its own log.
                if l.first.len() < 20 {
                    l.first.push(line);
                }
            } else if l.partial.len() < 4096 {
                l.partial.push(b);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for WarnLog {
    type Writer = WarnLog;
    fn make_writer(&'a self) -> WarnLog {
        self.clone()
    }
}

/// A receipt printer that takes every job and keeps only counts (the soak
/// prints thousands of slips; a simulator keeping them would be the leak).
#[derive(Clone, Default)]
struct CountingPrinter {
    jobs: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
}

impl kiosk_hardware::printer::Printer for CountingPrinter {
    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        self.jobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(job.len() as u64, Ordering::Relaxed);
        Ok(())
    }
    fn status(&mut self) -> Result<PaperStatus, PrinterError> {
        Ok(PaperStatus::Ok)
    }
    fn describe(&self) -> String {
        "soak counting printer".into()
    }
}

/// Resident memory of this process (`VmRSS` of `/proc/self/status`), KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// What glibc's allocator has handed out and what it holds, KiB.
#[derive(Debug, Clone, Copy)]
pub struct HeapKib {
    /// Allocated and not yet freed (main arena, other arenas, mmapped).
    pub in_use: u64,
    /// Taken from the system: in use plus freed but kept (fragmentation,
    /// top padding, per-thread arenas).
    pub held: u64,
}

/// glibc's `struct mallinfo2` (glibc 2.33 and later; Debian 12 has 2.36).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(C)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

// The one foreign call of the soak: glibc's own totals (the crate has no
// libc binding to borrow).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
unsafe extern "C" {
    fn mallinfo2() -> MallInfo2;
}

/// The allocator's totals over every arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn heap_kib() -> Option<HeapKib> {
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct.
    let m = unsafe { mallinfo2() };
    Some(HeapKib {
        in_use: ((m.uordblks + m.hblkhd) / 1024) as u64,
        held: ((m.arena + m.hblkhd) / 1024) as u64,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_kib() -> Option<HeapKib> {
    None
}

/// splitmix64: a small seeded generator, so a failing seed can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Queries residents type on the pinyin keys (initials of demo topics,
/// whole syllables, and a few that find nothing).
const QUERIES: &[&str] = &[
    "db", "dibao", "ylbx", "gljt", "hk", "bdc", "cjr", "shebao", "yl", "jy", "zf", "nc", "qx",
    "zzzz", "xq",
];

/// A right case of the demo export and wrong ones.
const CASES: &[(&str, &str, bool)] = &[
    (scenes::demo::CASE_DIGITS, scenes::demo::CASE_CODE, true),
    (scenes::demo::CASE_DIGITS, "111111", false),
    (scenes::demo::CASE_DIGITS, "564974", false),
    ("20261102999", "564973", false),
    ("2026110", "12", false),
];

/// Buttons of the staff panel the soak presses: the others talk to the
/// sync daemon, which this run has not (their paths have their own tests).
const STAFF_SAFE: &[&str] = &["详细信息（运维用）", "收起详细信息", "打印测试页"];

struct Kiosk {
    win: MainWindow,
    ctx: Rc<AppContext>,
    printer: CountingPrinter,
    _dir: tempfile::TempDir,
    touches: usize,
}

fn launch() -> Result<Kiosk, SoakError> {
    let setup = |what: &str, e: &dyn std::fmt::Display| SoakError::Setup(format!("{what}: {e}"));
    let dir = tempfile::tempdir().map_err(|e| setup("temp dir", &e))?;
    let reader = kiosk_content::demo::open_demo(dir.path()).map_err(|e| setup("demo store", &e))?;
    let config = AppConfig {
        control_socket: dir.path().join("no-daemon.sock"),
        usb_import_dir: dir.path().join("usb"),
        ..AppConfig::demo()
    };
    let printer = CountingPrinter::default();
    let service =
        PrinterService::start(Box::new(printer.clone()), ServiceOptions::default(), |_| {})
            .map_err(|e| setup("printer thread", &e))?;
    let ctx = AppContext::with_devices(
        reader,
        dir.path().to_path_buf(),
        config,
        Spawner::inline(),
        Rc::new(HardwarePrinter::new(service)),
        Devices::default(),
    );
    let win = app::build(&ctx).map_err(|e| setup("window", &e))?;
    win.window().set_size(slint::PhysicalSize::new(1080, 1920));
    win.show().map_err(|e| setup("show", &e))?;
    Ok(Kiosk {
        win,
        ctx,
        printer,
        _dir: dir,
        touches: 0,
    })
}

fn tick(d: Duration) {
    i_slint_backend_testing::mock_elapsed_time(d);
}

impl Kiosk {
    fn page(&self) -> PageId {
        self.win.global::<Nav>().get_page()
    }

    /// The tappable elements on screen: buttons and input fields with a
    /// size, not faded out, whose centre is inside the window.
    fn tappables(&self) -> Vec<ElementHandle> {
        tick(Duration::from_millis(1));
        ElementQuery::from_root(&self.win)
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
                let (x, y) = centre(e);
                let s = e.size();
                s.width > 0.0
                    && s.height > 0.0
                    && e.computed_opacity() > 0.0
                    && (0.0..W).contains(&x)
                    && (0.0..H).contains(&y)
            })
            .collect()
    }

    /// The first tappable on screen labelled `label`.
    fn on_screen(&self, label: &str) -> Option<ElementHandle> {
        tick(Duration::from_millis(1));
        ElementHandle::find_by_accessible_label(&self.win, label).find(|e| {
            let (x, y) = centre(e);
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::TextInput)
            ) && e.size().width > 0.0
                && e.computed_opacity() > 0.0
                && (0.0..W).contains(&x)
                && (0.0..H).contains(&y)
        })
    }

    /// Where each labelled tappable on screen is (one walk of the element
    /// tree for a whole sequence of key taps; the first of a label wins).
    fn keys(&self) -> BTreeMap<String, (f32, f32)> {
        let mut keys = BTreeMap::new();
        for e in self.tappables() {
            if let Some(l) = e.accessible_label() {
                keys.entry(l.to_string()).or_insert_with(|| centre(&e));
            }
        }
        keys
    }

    /// Taps the key `label` of a [`Kiosk::keys`] map if it is there.
    fn tap_key(&mut self, keys: &BTreeMap<String, (f32, f32)>, label: &str) -> bool {
        match keys.get(label) {
            Some(&(x, y)) => {
                self.tap_at(x, y);
                true
            }
            None => false,
        }
    }

    /// A finger's tap at a point: press, 80 ms, release.
    fn tap_at(&mut self, x: f32, y: f32) {
        self.touches += 1;
        let position = slint::LogicalPosition::new(x, y);
        let w = self.win.window();
        w.dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
        tick(Duration::from_millis(80));
        w.dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
        w.dispatch_event(WindowEvent::PointerExited);
        // A resident's pace between touches.
        tick(Duration::from_millis(400));
    }

    fn tap_element(&mut self, e: &ElementHandle) {
        let (x, y) = centre(e);
        self.tap_at(x, y);
    }

    /// Taps the button labelled `label` if it is on screen.
    fn tap(&mut self, label: &str) -> bool {
        match self.on_screen(label) {
            Some(e) => {
                self.tap_element(&e);
                true
            }
            None => false,
        }
    }

    /// A finger drawn `dy` up or down from a point (a scroll, or a stroke
    /// on the handwriting pad): one touch.
    fn swipe(&mut self, x: f32, y: f32, dy: f32) {
        self.touches += 1;
        let w = self.win.window();
        w.dispatch_event(WindowEvent::PointerPressed {
            position: slint::LogicalPosition::new(x, y),
            button: PointerEventButton::Left,
        });
        for i in 1..=6 {
            tick(Duration::from_millis(30));
            w.dispatch_event(WindowEvent::PointerMoved {
                position: slint::LogicalPosition::new(x, y + dy * i as f32 / 6.0),
            });
        }
        w.dispatch_event(WindowEvent::PointerReleased {
            position: slint::LogicalPosition::new(x, y + dy),
            button: PointerEventButton::Left,
        });
        w.dispatch_event(WindowEvent::PointerExited);
        tick(Duration::from_millis(400));
    }

    /// Scrolls the page's main pane until `label` is on screen, then taps
    /// it; false if it never shows. A label not found anywhere on the page
    /// ends the search at once, unless `always_there`: a button the page
    /// always has, far below the fold, is not among the elements found
    /// until the pane scrolls near it (the staff panel's 退出管理 under its
    /// usage card), so not finding it is no reason to stop scrolling.
    fn scroll_to_and_tap(&mut self, label: &str, always_there: bool) -> bool {
        for _ in 0..12 {
            if self.tap(label) {
                return true;
            }
            if !always_there
                && ElementHandle::find_by_accessible_label(&self.win, label)
                    .next()
                    .is_none()
            {
                return false;
            }
            self.swipe(W / 2.0, 1500.0, -500.0);
        }
        false
    }

    /// Back to the home page the way a resident gets there.
    fn home(&mut self) -> Result<(), SoakError> {
        for _ in 0..6 {
            match self.page() {
                PageId::Home => return Ok(()),
                PageId::Attract => {
                    // A dimmed screen takes one touch to wake.
                    if self.win.global::<Idle>().get_dimmed() {
                        self.tap_at(W / 2.0, H / 2.0);
                    }
                    self.tap("请轻触屏幕开始");
                }
                PageId::Staff => {
                    self.scroll_to_and_tap("退出管理", true);
                }
                _ => {
                    if !self.tap("首页") {
                        self.tap("返回");
                    }
                }
            }
        }
        Err(SoakError::Stuck {
            touch: self.touches,
            what: format!("cannot get back to the home page from {:?}", self.page()),
        })
    }

    /// Home, then the home page's tile `label`.
    fn open(&mut self, label: &str) -> Result<bool, SoakError> {
        self.home()?;
        Ok(self.scroll_to_and_tap(label, false))
    }

    fn check(&self, step: &'static str) -> Result<(), SoakError> {
        let page = self.page();
        if !KNOWN.contains(&page) {
            return Err(SoakError::UnknownPage {
                touch: self.touches,
                step,
                page,
            });
        }
        let text = self.win.global::<Nav>().get_error_text();
        if !text.is_empty() {
            return Err(SoakError::ErrorShown {
                touch: self.touches,
                step,
                page,
                text: text.to_string(),
            });
        }
        if !self.win.window().is_visible() {
            return Err(SoakError::Hidden {
                touch: self.touches,
                step,
            });
        }
        Ok(())
    }
}

fn centre(e: &ElementHandle) -> (f32, f32) {
    let (p, s) = (e.absolute_position(), e.size());
    (p.x + s.width / 2.0, p.y + s.height / 2.0)
}

/// Runs the soak; `on_sample` sees each memory sample as it is taken.
pub fn run(opts: &Options, mut on_sample: impl FnMut(&Sample)) -> Result<Outcome, SoakError> {
    let started = Instant::now();
    let mut k = launch()?;
    let mut rng = Rng(opts.seed);
    let mut out = Outcome::default();
    let mut next_sample = 0;
    let mut sample = |k: &Kiosk, out: &mut Outcome| {
        let s = Sample {
            touches: k.touches,
            rss_kib: rss_kib(),
            heap: heap_kib(),
            elapsed: started.elapsed(),
            page: k.page(),
        };
        on_sample(&s);
        out.samples.push(s);
    };
    let trace = std::env::var_os("SOAK_TRACE").is_some();
    while k.touches < opts.touches {
        if k.touches >= next_sample {
            sample(&k, &mut out);
            next_sample += opts.sample_every.max(1);
        }
        if started.elapsed() > opts.time_limit {
            out.stopped_by_time = true;
            break;
        }
        let step = step(&mut k, &mut rng, &mut out)?;
        if trace {
            eprintln!("trace: touch {} {step} -> {:?}", k.touches, k.page());
        }
        *out.steps.entry(step).or_default() += 1;
        k.check(step)?;
        *out.pages.entry(format!("{:?}", k.page())).or_default() += 1;
    }
    // The printer thread finishes what it was given.
    tick(Duration::from_secs(2));
    sample(&k, &mut out);
    out.touches = k.touches;
    out.slips_printed = k.printer.jobs.load(Ordering::Relaxed);
    out.slip_bytes = k.printer.bytes.load(Ordering::Relaxed);
    out.elapsed = started.elapsed();
    Ok(out)
}

/// One step: mostly a tap on something on screen, sometimes a resident's
/// sequence. Returns its name.
fn step(k: &mut Kiosk, rng: &mut Rng, out: &mut Outcome) -> Result<&'static str, SoakError> {
    // The PIN page and the staff panel are for staff: random digits there
    // would be wrong PINs (a WARN by design), so staff are played as staff.
    match k.page() {
        PageId::StaffPin => {
            if rng.chance(50) {
                for d in kiosk_app_demo_pin().chars() {
                    k.tap(&d.to_string());
                }
                k.tap("确定");
            } else if !k.tap("返回") {
                k.home()?;
            }
            return Ok("staff pin");
        }
        PageId::Staff => {
            // A step touches the screen: a button that is not there (收起
            // 详细信息 with the details closed) gives way to 退出管理, and a
            // panel without that is a stuck soak, not a silent spin.
            let safe = rng.chance(40) && {
                let label = *rng.pick(STAFF_SAFE);
                k.scroll_to_and_tap(label, false)
            };
            if !safe && !k.scroll_to_and_tap("退出管理", true) {
                let seen: Vec<String> = ElementHandle::find_by_accessible_label(&k.win, "退出管理")
                    .map(|e| {
                        let (x, y) = centre(&e);
                        format!(
                            "at ({x:.0}, {y:.0}), {:.0}x{:.0}, opacity {:.2}, role {:?}",
                            e.size().width,
                            e.size().height,
                            e.computed_opacity(),
                            e.accessible_role()
                        )
                    })
                    .collect();
                return Err(SoakError::Stuck {
                    touch: k.touches,
                    what: format!(
                        "the staff panel has no 退出管理 button to tap (found: {seen:?}; details shown: {}; buttons on screen: {:?})",
                        k.win.global::<kiosk_app::StaffAdapter>().get_show_details(),
                        k.tappables()
                            .iter()
                            .filter_map(|e| e.accessible_label())
                            .collect::<Vec<_>>()
                    ),
                });
            }
            return Ok("staff panel");
        }
        _ => {}
    }
    let roll = rng.below(1000);
    Ok(match roll {
        // A tap on any button or field on screen.
        0..=549 => {
            let all = k.tappables();
            if all.is_empty() {
                k.tap_at(rng.unit() * W, rng.unit() * H);
            } else {
                let e = rng.pick(&all).clone();
                k.tap_element(&e);
            }
            "tap element"
        }
        // Anywhere (the pictures, the margins, the handwriting pad).
        550..=649 => {
            k.tap_at(rng.unit() * W, rng.unit() * H);
            "tap point"
        }
        // A scroll or a stroke.
        650..=729 => {
            let dy = if rng.chance(70) { -600.0 } else { 600.0 } * (0.3 + rng.unit());
            k.swipe(
                60.0 + rng.unit() * (W - 120.0),
                500.0 + rng.unit() * 900.0,
                dy,
            );
            "swipe"
        }
        730..=809 => {
            search(k, rng)?;
            "search typing"
        }
        810..=869 => {
            progress(k, rng, out)?;
            "progress lookup"
        }
        870..=919 => {
            map(k, rng)?;
            "map markers"
        }
        920..=954 => {
            print(k)?;
            "print"
        }
        955..=979 => {
            // The resident walks away: the idle reset (90 s), sometimes
            // the dimmed screen after it too.
            tick(Duration::from_secs(91));
            if rng.chance(30) {
                tick(Duration::from_secs(121));
            }
            if k.page() != PageId::Attract {
                return Err(SoakError::Stuck {
                    touch: k.touches,
                    what: format!("no idle reset after 91 s: still on {:?}", k.page()),
                });
            }
            out.idle_resets += 1;
            "idle reset"
        }
        980..=994 => {
            // Modes: big text and high contrast, as residents toggle them.
            let label = *rng.pick(&["大字", "标准字", "高对比", "标准色"]);
            if !k.tap(label) {
                k.home()?;
                k.tap(label);
            }
            "display mode"
        }
        _ => {
            staff(k)?;
            "staff"
        }
    })
}

fn kiosk_app_demo_pin() -> &'static str {
    // The staff PIN of the demo config (kiosk-app/demo-config.toml).
    "246810"
}

/// The search page's keyboard: a query typed key by key, sometimes keys
/// taken back, sometimes the first result opened.
fn search(k: &mut Kiosk, rng: &mut Rng) -> Result<(), SoakError> {
    if k.page() != PageId::Search && !k.open("搜索")? {
        return Ok(());
    }
    // The pinyin keys may be hidden behind the handwriting pad or digits.
    if k.on_screen("a").is_none() {
        k.tap("拼音");
    }
    let keys = k.keys();
    if rng.chance(30) {
        k.tap_key(&keys, "清空");
    }
    let q = *rng.pick(QUERIES);
    for c in q.chars() {
        k.tap_key(&keys, &c.to_string());
    }
    if rng.chance(25) {
        for _ in 0..1 + rng.below(3) {
            k.tap_key(&keys, "删除");
        }
    }
    if rng.chance(15) {
        k.tap("手写");
    } else if rng.chance(10) {
        k.tap("123");
    }
    if rng.chance(40) {
        // The first result row under the keyboard, if there is one.
        let rows: Vec<ElementHandle> = k
            .tappables()
            .into_iter()
            .filter(|e| e.type_name().as_deref() == Some("RowView"))
            .collect();
        if let Some(r) = rows.first() {
            k.tap_element(r);
        }
    }
    Ok(())
}

/// A case number and query code on the progress page's digit pad.
fn progress(k: &mut Kiosk, rng: &mut Rng, out: &mut Outcome) -> Result<(), SoakError> {
    if k.page() != PageId::Progress && !k.open("办事进度")? {
        return Ok(());
    }
    // A result on screen is cleared first; digits left in a field by
    // earlier random taps are cleared with the pad's 清空.
    if !k.tap("重新输入") {
        k.tap("清除并重新查询");
    }
    let (case, code, right) = *rng.pick(CASES);
    let mut missed = Vec::new();
    let keys = k.keys();
    let mut tap = |k: &mut Kiosk, label: &str| {
        if !k.tap_key(&keys, label) {
            missed.push(label.to_string());
        }
    };
    tap(k, "办件编号");
    tap(k, "清空");
    for d in case.chars() {
        tap(k, &d.to_string());
    }
    tap(k, "查询码");
    tap(k, "清空");
    for d in code.chars() {
        tap(k, &d.to_string());
    }
    tap(k, "查询");
    let a = k.win.global::<kiosk_app::ProgressAdapter>();
    match a.get_state() {
        1 => out.lookups_found += 1,
        _ => out.lookups_not_found += 1,
    }
    if right && a.get_state() != 1 {
        return Err(SoakError::Stuck {
            touch: k.touches,
            what: format!(
                "the demo case {case} with its right code was not found: state {}, case {:?}, code {:?}, message {:?}, keys not on screen {missed:?}",
                a.get_state(),
                a.get_case_digits(),
                a.get_code_shown(),
                a.get_message()
            ),
        });
    }
    Ok(())
}

/// Markers of the map, and its zoom buttons.
fn map(k: &mut Kiosk, rng: &mut Rng) -> Result<(), SoakError> {
    if k.page() != PageId::Map && !k.open("便民地图")? {
        return Ok(());
    }
    if rng.chance(30) {
        k.tap(if rng.chance(50) { "放大" } else { "缩小" });
    }
    for _ in 0..1 + rng.below(3) {
        let markers: Vec<ElementHandle> = k
            .tappables()
            .into_iter()
            .filter(|e| e.type_name().as_deref() == Some("MarkerDot"))
            .collect();
        if markers.is_empty() {
            break;
        }
        let m = rng.pick(&markers).clone();
        k.tap_element(&m);
    }
    Ok(())
}

/// A guide's materials checklist printed.
fn print(k: &mut Kiosk) -> Result<(), SoakError> {
    if k.page() != PageId::Guide {
        if !k.open("办事指南")? {
            return Ok(());
        }
        if !k.scroll_to_and_tap("最低生活保障申请", false) {
            return Ok(());
        }
    }
    k.scroll_to_and_tap("打印材料清单", false);
    Ok(())
}

/// Five taps on the header open the PIN page (staff only).
fn staff(k: &mut Kiosk) -> Result<(), SoakError> {
    k.home()?;
    let Some(header) = ElementHandle::find_by_element_id(&k.win, "Header::secret").next() else {
        return Ok(());
    };
    let (x, y) = centre(&header);
    for _ in 0..5 {
        k.tap_at(x, y);
    }
    Ok(())
}
