//! A kiosk on the demo content, on the testing backend, and the taps and
//! looks a test needs.

use std::cell::Cell;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use kiosk_app::background::Spawner;
use kiosk_app::config::AppConfig;
use kiosk_app::printing::RecordingPrinter;
use kiosk_app::{AppContext, MainWindow, Nav, PageId, app};
use kiosk_content::control::{self, ControlRequest, ControlResponse, SyncStatus};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;
use tempfile::TempDir;

thread_local! {
    static BACKEND: Cell<bool> = const { Cell::new(false) };
}

/// The testing backend for this test's thread (libtest runs each test on
/// its own thread), with mock time and a real software renderer so
/// snapshots hold real pixels.
pub fn init_backend() {
    if BACKEND.get() {
        return;
    }
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("testing backend");
    BACKEND.set(true);
}

pub struct Kiosk {
    pub win: MainWindow,
    pub ctx: Rc<AppContext>,
    pub printer: Rc<RecordingPrinter>,
    pub dir: TempDir,
    /// Taps made through `tap`, `press` and `tap_at` (walk-throughs count
    /// a resident's taps).
    pub taps: Cell<usize>,
}

/// Runs the test `name` (its full path) alone in a child process: this
/// test binary started again for that one test, with `env` set. Returns
/// true in the parent, once it has asserted that the child ran the test
/// and passed (its output printed); false in the child, which then runs
/// the test's body. For tests that read process-wide figures (resident
/// memory, child processes, the global tracing subscriber) that the other
/// UI tests, running in parallel threads, would disturb.
pub fn ran_alone_in_child(name: &str, env: &str, what: &str) -> bool {
    if std::env::var_os(env).is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .output()
        .unwrap_or_else(|e| panic!("start {what}'s own process: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "{what}'s process did not run it:\n{stdout}"
    );
    true
}

/// The demo config with paths that exist only in the test's folder.
pub fn test_config(dir: &Path) -> AppConfig {
    AppConfig {
        control_socket: dir.join("no-daemon.sock"),
        usb_import_dir: dir.join("usb"),
        ..AppConfig::demo()
    }
}

pub fn demo() -> Kiosk {
    demo_with(|_| {})
}

/// A kiosk on a fresh demo store, in portrait 1080x1920.
pub fn demo_with(configure: impl FnOnce(&mut AppConfig)) -> Kiosk {
    let printer = Rc::new(RecordingPrinter::default());
    demo_on(
        configure,
        printer.clone(),
        kiosk_app::hardware::Devices::default(),
        printer,
    )
}

/// A kiosk with the given printer and devices (`recording` is what tests
/// inspect when the printer is the recording one).
pub fn demo_on(
    configure: impl FnOnce(&mut AppConfig),
    printer: Rc<dyn kiosk_app::printing::Printer>,
    devices: kiosk_app::hardware::Devices,
    recording: Rc<RecordingPrinter>,
) -> Kiosk {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    configure(&mut config);
    launch(dir, config, printer, devices, recording)
}

/// A kiosk started the way `kiosk-app --config FILE` starts one: `text`
/// (given the kiosk's folder) is written to a config file, the app reads
/// it, and its printer is the one the file's `[hardware.printer]` names.
pub fn from_config_file(text: impl FnOnce(&Path) -> String) -> Kiosk {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.toml");
    std::fs::write(&path, text(dir.path())).expect("write config");
    let config = AppConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let printer = kiosk_app::hardware::open_printer(&config);
    launch(
        dir,
        config,
        printer,
        kiosk_app::hardware::Devices::default(),
        Rc::new(RecordingPrinter::default()),
    )
}

fn launch(
    dir: TempDir,
    config: AppConfig,
    printer: Rc<dyn kiosk_app::printing::Printer>,
    devices: kiosk_app::hardware::Devices,
    recording: Rc<RecordingPrinter>,
) -> Kiosk {
    init_backend();
    let reader = kiosk_content::demo::open_demo(dir.path()).expect("demo store");
    let ctx = AppContext::with_devices(
        reader,
        dir.path().to_path_buf(),
        config,
        Spawner::inline(),
        printer,
        devices,
    );
    let win = app::build(&ctx).expect("window");
    win.window().set_size(slint::PhysicalSize::new(1080, 1920));
    win.show().expect("show");
    Kiosk {
        win,
        ctx,
        printer: recording,
        dir,
        taps: Cell::new(0),
    }
}

impl Kiosk {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn page(&self) -> PageId {
        self.win.global::<Nav>().get_page()
    }

    /// Elements with this accessible label.
    pub fn find(&self, label: &str) -> Vec<ElementHandle> {
        // Repeaters fill in on the next tick, as they would before a frame.
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(1));
        ElementHandle::find_by_accessible_label(&self.win, label).collect()
    }

    /// Taps the button labelled `label`: a pointer press and release at
    /// its centre, through whatever is on top there.
    pub fn tap(&self, label: &str) {
        self.taps.set(self.taps.get() + 1);
        self.button(label)
            .mock_single_click(PointerEventButton::Left);
        self.settle();
    }

    /// A finger's next tap comes later than the search page adds the
    /// result rows below the fold (`pages::search::REST_AFTER`): let that
    /// time pass when rows are still to come, so what a test reads next is
    /// the settled page. (Tests of the first frame itself read before.)
    fn settle(&self) {
        if kiosk_app::pages::search::rows_pending() {
            i_slint_backend_testing::mock_elapsed_time(kiosk_app::pages::search::REST_AFTER);
        }
    }

    /// The first button (or input field) labelled `label`.
    pub fn button(&self, label: &str) -> ElementHandle {
        use i_slint_backend_testing::AccessibleRole;
        self.find(label)
            .into_iter()
            .find(|e| {
                matches!(
                    e.accessible_role(),
                    Some(AccessibleRole::Button | AccessibleRole::TextInput)
                )
            })
            .unwrap_or_else(|| panic!("no button labelled {label:?} on page {:?}", self.page()))
    }

    /// Scrolls the page's main scroll pane until a button labelled `label`
    /// is there (rows fill in as they scroll into view), then presses it.
    pub fn press(&self, label: &str) {
        for _ in 0..40 {
            if let Some(b) = self.try_button(label) {
                self.taps.set(self.taps.get() + 1);
                b.invoke_accessible_default_action();
                self.settle();
                return;
            }
            let panes: Vec<ElementHandle> =
                ElementHandle::find_by_element_id(&self.win, "ScrollPane::flick").collect();
            let Some(pane) = panes
                .into_iter()
                .max_by(|a, b| a.size().height.total_cmp(&b.size().height))
            else {
                break;
            };
            pane.scroll(0.0, -300.0);
        }
        panic!(
            "no button labelled {label:?} on page {:?}, even after scrolling",
            self.page()
        );
    }

    fn try_button(&self, label: &str) -> Option<ElementHandle> {
        use i_slint_backend_testing::AccessibleRole;
        self.find(label).into_iter().find(|e| {
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::TextInput)
            )
        })
    }

    /// Taps at a point of the window.
    pub fn tap_at(&self, x: f32, y: f32) {
        use slint::platform::WindowEvent;
        self.taps.set(self.taps.get() + 1);
        let position = slint::LogicalPosition::new(x, y);
        let w = self.win.window();
        w.dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(50));
        w.dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
        self.settle();
    }

    /// Five taps on the header (leaving the attract screen first), then
    /// the PIN page.
    pub fn open_pin_page(&self) {
        if self.page() == PageId::Attract {
            self.start();
        }
        let header = ElementHandle::find_by_element_id(&self.win, "Header::secret")
            .next()
            .expect("header tap area");
        for _ in 0..5 {
            header.mock_single_click(PointerEventButton::Left);
        }
        assert_eq!(self.page(), PageId::StaffPin);
    }

    pub fn enter_pin(&self, pin: &str) {
        self.type_digits(pin);
        self.tap("确定");
    }

    /// The staff panel, opened with the demo config's PIN.
    pub fn open_staff_panel(&self) {
        self.open_pin_page();
        self.enter_pin(DEMO_PIN);
        assert_eq!(self.page(), PageId::Staff);
    }

    /// Leaves the attract screen.
    pub fn start(&self) {
        assert_eq!(self.page(), PageId::Attract);
        self.tap("请轻触屏幕开始");
        assert_eq!(self.page(), PageId::Home);
    }

    /// Types digits on the digit pad on screen.
    pub fn type_digits(&self, digits: &str) {
        for d in digits.chars() {
            self.tap(&d.to_string());
        }
    }

    /// Lets mock time pass (timers fire).
    pub fn wait(&self, d: std::time::Duration) {
        i_slint_backend_testing::mock_elapsed_time(d);
    }

    /// Every QR code on screen, decoded from the rendered pixels.
    pub fn visible_qr_codes(&self) -> Vec<String> {
        let snap = self.win.window().take_snapshot().expect("snapshot");
        let (w, h) = (snap.width() as usize, snap.height() as usize);
        let px = snap.as_slice();
        decode_qr(w, h, |x, y| {
            let p = px[y * w + x];
            ((u32::from(p.r) * 299 + u32::from(p.g) * 587 + u32::from(p.b) * 114) / 1000) as u8
        })
    }

    /// The value of the staff panel's row `label` (in the content, sync or
    /// device card); the panel must be open.
    pub fn staff_fact(&self, label: &str) -> String {
        let a = self.win.global::<kiosk_app::StaffAdapter>();
        let facts: Vec<kiosk_app::Fact> = [
            a.get_content_facts(),
            a.get_sync_facts(),
            a.get_device_facts(),
        ]
        .into_iter()
        .flat_map(rows)
        .collect();
        facts
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.to_string())
            .unwrap_or_else(|| panic!("no staff panel row {label:?}: {facts:?}"))
    }
}

/// Every QR code in a `w`×`h` picture whose pixel (x, y) has grey level
/// `grey(x, y)`, sorted.
pub fn decode_qr(w: usize, h: usize, grey: impl Fn(usize, usize) -> u8) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, grey);
    let mut out: Vec<String> = img
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect();
    out.sort();
    out
}

/// The staff PIN of the demo config.
pub const DEMO_PIN: &str = "246810";

/// A stand-in for the sync daemon on a Unix socket: answers every request
/// with the status it holds now and records what it was asked.
pub struct FakeDaemon {
    seen: Arc<Mutex<Vec<ControlRequest>>>,
    status: Arc<Mutex<SyncStatus>>,
}

impl FakeDaemon {
    pub fn start(socket: &Path, status: SyncStatus) -> FakeDaemon {
        let listener = UnixListener::bind(socket).expect("bind");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(status));
        let (log, current) = (seen.clone(), status.clone());
        // Ends with the test process (the listener's folder is a temp dir).
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let Ok(req) = control::read_request(&stream) else {
                    continue;
                };
                let message = match req {
                    ControlRequest::SyncNow => "已开始同步",
                    ControlRequest::Revert => "已回退到第 1 代内容",
                    _ => "ok",
                };
                log.lock().expect("log").push(req);
                let status = current.lock().expect("status").clone();
                let _ =
                    control::write_response(&stream, &ControlResponse::ok(message, Some(status)));
            }
        });
        FakeDaemon { seen, status }
    }

    pub fn set_status(&self, status: SyncStatus) {
        *self.status.lock().expect("status") = status;
    }

    pub fn requests(&self) -> Vec<ControlRequest> {
        self.seen.lock().expect("log").clone()
    }
}

/// The rows of a model, for assertions.
/// The demo store's item `id` (the test fails if it is missing).
pub fn item(k: &Kiosk, id: &str) -> kiosk_content::Item {
    k.ctx
        .content
        .borrow()
        .item(id)
        .expect("store")
        .expect("demo item")
}

pub fn rows<T: Clone + 'static>(m: slint::ModelRc<T>) -> Vec<T> {
    use slint::Model;
    m.iter().collect()
}
