//! The app with kiosk-hardware's real printer service (on an in-process
//! simulated printer, and on a network printer simulated on 127.0.0.1
//! configured as a kiosk's config file would), and a simulated motion
//! sensor.

use std::net::TcpStream;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use kiosk_app::config::AppConfig;
use kiosk_app::context::Clock;
use kiosk_app::hardware::{Devices, HardwarePrinter};
use kiosk_app::nav::Route;
use kiosk_app::printing::RecordingPrinter;
use kiosk_app::{GuideAdapter, Idle, PageId, StaffAdapter, app, scenes, strings};
use kiosk_content::Item;
use kiosk_hardware::{
    PaperStatus, PrinterService, Raster, ServiceOptions, SimMode, SimReply, SimulatedMotion,
    SimulatedPrinter, TcpPrinterSim,
};
use slint::ComponentHandle;

use crate::harness::{Kiosk, decode_qr, demo_on, from_config_file, rows};

fn kiosk_with_printer(sim: &SimulatedPrinter) -> Kiosk {
    let service = PrinterService::start(Box::new(sim.clone()), ServiceOptions::default(), |_| {})
        .expect("service");
    // The service checks paper right after start.
    let t0 = Instant::now();
    while service.state() == kiosk_hardware::PrinterState::Unknown
        && t0.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    demo_on(
        |_| {},
        Rc::new(HardwarePrinter::new(service)),
        Devices::default(),
        Rc::new(RecordingPrinter::default()),
    )
}

#[test]
fn the_checklist_prints_through_the_printer_service_without_blocking_the_ui() {
    let sim = SimulatedPrinter::new();
    sim.set_print_delay(Duration::from_millis(300));
    let k = kiosk_with_printer(&sim);
    k.start();
    app::go(&k.win, &k.ctx, Route::Item("dibao-shenqing".into()));
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), "打印机就绪");
    k.tap("打印材料清单");
    assert_eq!(g.get_print_message(), strings::PRINT_SENT);
    assert!(!g.get_can_print(), "one slip at a time from this page");
    let t0 = Instant::now();
    while g.get_print_message() != strings::PRINT_DONE && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
        k.wait(Duration::from_millis(700));
    }
    assert_eq!(g.get_print_message(), strings::PRINT_DONE);
    assert_eq!(sim.jobs().len(), 1);
    assert!(g.get_can_print());
}

#[test]
fn an_empty_printer_shows_que_zhi_on_the_guide_page_and_the_staff_panel() {
    let sim = SimulatedPrinter::new();
    sim.set_mode(SimMode::PaperOut);
    let k = kiosk_with_printer(&sim);
    k.start();
    app::go(&k.win, &k.ctx, Route::Item("dibao-shenqing".into()));
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), "缺纸");
    assert!(!g.get_can_print());
    app::go(&k.win, &k.ctx, Route::Staff);
    let device = rows(k.win.global::<StaffAdapter>().get_device_facts());
    assert!(
        device.iter().any(|f| f.value.contains("缺纸")),
        "{device:?}"
    );
}

#[test]
fn an_offline_printer_says_so() {
    let sim = SimulatedPrinter::new();
    sim.set_mode(SimMode::Offline);
    let k = kiosk_with_printer(&sim);
    k.start();
    app::go(&k.win, &k.ctx, Route::Item("dibao-shenqing".into()));
    assert_eq!(
        k.win.global::<GuideAdapter>().get_printer_state(),
        "打印机离线"
    );
}

#[test]
fn someone_walking_up_wakes_the_screen() {
    let motion = SimulatedMotion::new();
    let devices = Devices {
        motion: Some(std::cell::RefCell::new(Box::new(motion.clone()))),
        ..Devices::default()
    };
    let recording = Rc::new(RecordingPrinter::default());
    let k = demo_on(|_| {}, recording.clone(), devices, recording);
    k.wait(Duration::from_secs(121));
    let idle = k.win.global::<Idle>();
    assert!(idle.get_dimmed());
    motion.pulse();
    k.wait(Duration::from_secs(1));
    assert!(!idle.get_dimmed(), "motion woke the screen");
    assert_eq!(k.page(), PageId::Attract);
    // Waking does not start a session: the next touch does.
    k.tap("请轻触屏幕开始");
    assert_eq!(k.page(), PageId::Home);
}

// A network printer on 127.0.0.1, configured through the app's config file.

/// Longest wait for the printer thread (real time; each loop below is
/// bounded by it).
const WAIT: Duration = Duration::from_secs(10);

/// The time on every slip these tests print.
fn print_time() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 16)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("valid time")
}

/// Waits (in real time, at most [`WAIT`]) until `done`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A kiosk whose config file (as on a real kiosk) names a raw-TCP printer
/// at `address`, with its clock fixed so slips print the same every run.
fn kiosk_with_network_printer(address: &str) -> Kiosk {
    let pin_hash = AppConfig::demo().staff_pin_hash;
    let k = from_config_file(|dir| {
        format!(
            r#"hall = "chengguan"
control_socket = "{socket}"
usb_import_dir = "{usb}"
staff_pin_hash = "{pin_hash}"

[hardware.printer]
kind = "tcp"
address = "{address}"
paper = "80mm"
connect_timeout_ms = 2000
# Longer than a test holds the printer busy (see `hold`).
status_timeout_ms = 20000
"#,
            socket = dir.join("no-daemon.sock").display(),
            usb = dir.join("usb").display(),
        )
    });
    k.ctx.clock.set(Clock::Fixed(print_time()));
    // The printer service checks the printer right after it starts.
    wait_until("first printer check", || {
        k.ctx.printer.view().label != kiosk_hardware::PrinterState::Unknown.label_zh()
    });
    k
}

/// From wherever the kiosk is, opens the demo guide as a resident would.
fn open_demo_guide(k: &Kiosk) {
    match k.page() {
        PageId::Attract => k.start(),
        PageId::Home => {}
        _ => k.tap("首页"),
    }
    k.tap("办事指南");
    k.press("最低生活保障申请");
    assert_eq!(k.page(), PageId::Guide);
    assert_eq!(
        k.ctx.guide.borrow().guide_id.as_deref(),
        Some(scenes::demo::GUIDE)
    );
}

/// The printer kept busy by another connection: like a real one it serves
/// one connection at a time, so until `release` the kiosk's printer thread
/// can get no answer from it.
struct Held<'a> {
    sim: &'a TcpPrinterSim,
    conn: TcpStream,
    queries: usize,
}

fn hold(sim: &TcpPrinterSim) -> Held<'_> {
    let before = sim.connections().len();
    let conn = TcpStream::connect(sim.addr()).expect("connect to the printer");
    wait_until("the printer takes the holding connection", || {
        sim.connections().len() > before
    });
    Held {
        sim,
        queries: sim.status_queries(),
        conn,
    }
}

impl Held<'_> {
    fn release(self) {
        assert_eq!(
            self.sim.status_queries(),
            self.queries,
            "nothing reached the printer while it was held"
        );
        drop(self.conn);
    }
}

/// Taps print on the guide page, then, while the printer cannot have
/// answered yet (it is held), goes home, to another page and back to the
/// guide: the tap did not wait for the printer. Then lets the printer go
/// and returns what the guide page says once the job is over.
fn print_and_carry_on(k: &Kiosk, sim: Option<&TcpPrinterSim>) -> String {
    let held = sim.map(hold);
    let g = k.win.global::<GuideAdapter>();
    assert!(g.get_can_print(), "{}", g.get_printer_state());
    k.tap("打印材料清单");
    assert_eq!(g.get_print_message(), strings::PRINT_SENT);
    assert!(!g.get_can_print(), "one slip at a time");
    k.tap("首页");
    k.tap("办事进度");
    assert_eq!(k.page(), PageId::Progress);
    open_demo_guide(k);
    assert_eq!(g.get_print_message(), strings::PRINT_SENT, "still printing");
    if let Some(held) = held {
        held.release();
    }
    let deadline = Instant::now() + WAIT;
    while g.get_print_message() == strings::PRINT_SENT && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        k.wait(Duration::from_millis(700));
    }
    g.get_print_message().to_string()
}

/// The reviewed picture `name` in tests/snapshots/ must equal `raster`.
/// `UPDATE_SNAPSHOTS=1` rewrites it instead (look at it before committing).
fn assert_snapshot(name: &str, raster: &Raster) {
    let reviewed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.png"));
    let png = raster.to_png().expect("encode PNG");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&reviewed, &png).expect("write snapshot");
        eprintln!("wrote {}; look at it before committing", reviewed.display());
        return;
    }
    let expected = std::fs::read(&reviewed)
        .ok()
        .and_then(|bytes| Raster::from_png(&bytes).ok());
    if expected.as_ref() != Some(raster) {
        let actual = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.actual.png"));
        std::fs::write(&actual, &png).expect("write the actual slip");
        panic!(
            "the printed slip differs from the reviewed snapshot {} (or that is missing); the printed one is {}; if the change is intended, rerun with UPDATE_SNAPSHOTS=1 and look at it",
            reviewed.display(),
            actual.display()
        );
    }
}

#[test]
fn a_resident_prints_the_demo_guide_on_a_network_printer() {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("printer simulator");
    let k = kiosk_with_network_printer(&sim.addr().to_string());
    open_demo_guide(&k);
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), "打印机就绪");

    assert_eq!(print_and_carry_on(&k, Some(&sim)), strings::PRINT_DONE);
    assert!(g.get_can_print());
    let slips = sim.wait_for_slips(1, WAIT).expect("valid ESC/POS");
    assert_eq!(slips.len(), 1, "one slip");
    assert_eq!(slips[0].cut, Some(true), "cut off");
    let raster = &slips[0].raster;
    assert_eq!(raster.width(), 576, "80 mm paper, as configured");
    assert_snapshot("demo-guide-slip", raster);

    let form_url = match k.ctx.content.borrow().item(scenes::demo::GUIDE) {
        Ok(Some(Item::Guide(guide))) => guide.online_url.expect("the demo guide has a form"),
        other => panic!("demo guide: {other:?}"),
    };
    let qr = decode_qr(raster.width() as usize, raster.height() as usize, |x, y| {
        if raster.get(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    assert_eq!(qr, vec![form_url]);
}

/// The printer answers at first, then `fault` happens to it; a resident
/// prints. The guide page says `message` and shows `state`, the staff panel
/// says `state` too, and the kiosk goes on.
fn a_fault_shows_and_the_kiosk_goes_on(
    fault: impl FnOnce(TcpPrinterSim) -> Option<TcpPrinterSim>,
    message: &str,
    state: &str,
) {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("printer simulator");
    let k = kiosk_with_network_printer(&sim.addr().to_string());
    open_demo_guide(&k);
    let sim = fault(sim);
    assert_eq!(print_and_carry_on(&k, sim.as_ref()), message);
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), state);
    assert!(!k.find(message).is_empty(), "{message:?} on screen");
    staff_panel_says(&k, state);
}

/// The staff panel names the printer's trouble (its printer row is
/// returned); then the kiosk is used on.
fn staff_panel_says(k: &Kiosk, state: &str) -> String {
    k.open_staff_panel();
    let row = k.staff_fact(strings::staff::PRINTER);
    assert!(row.starts_with(state), "staff panel: {row:?}");
    k.press("退出管理");
    assert_eq!(k.page(), PageId::Home);
    k.tap("便民地图");
    assert_eq!(k.page(), PageId::Map);
    row
}

#[test]
fn an_unplugged_network_printer_says_so_when_a_resident_prints() {
    a_fault_shows_and_the_kiosk_goes_on(
        |sim| {
            sim.shutdown();
            None
        },
        "打印机离线，请联系工作人员",
        "打印机离线",
    );
}

#[test]
fn a_network_printer_out_of_paper_says_que_zhi_when_a_resident_prints() {
    a_fault_shows_and_the_kiosk_goes_on(
        |sim| {
            sim.set_paper(PaperStatus::Out);
            Some(sim)
        },
        "缺纸，请联系工作人员",
        "缺纸",
    );
}

#[test]
fn a_network_printer_answering_garbage_is_a_printer_fault() {
    a_fault_shows_and_the_kiosk_goes_on(
        |sim| {
            sim.set_reply(SimReply::Raw(b"HTTP/1.1 400 Bad Request\r\n".to_vec()));
            Some(sim)
        },
        "打印机故障，请联系工作人员",
        "打印机故障",
    );
}

#[test]
fn a_network_printer_with_nothing_listening_is_offline_from_the_start() {
    // A free port with nothing on it: connection refused.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .to_string();
    let k = kiosk_with_network_printer(&address);
    open_demo_guide(&k);
    let g = k.win.global::<GuideAdapter>();
    assert_eq!(g.get_printer_state(), "打印机离线");
    assert!(!g.get_can_print(), "the button is off");
    k.tap("打印材料清单");
    assert_eq!(g.get_print_message(), "", "a press on it does nothing");
    let row = staff_panel_says(&k, "打印机离线");
    assert!(row.contains(&address), "names the address: {row}");
}
