//! The app with kiosk-hardware's real printer service (on a simulated
//! printer) and a simulated motion sensor.

use std::rc::Rc;
use std::time::{Duration, Instant};

use kiosk_app::hardware::{Devices, HardwarePrinter};
use kiosk_app::nav::Route;
use kiosk_app::printing::RecordingPrinter;
use kiosk_app::{GuideAdapter, Idle, PageId, StaffAdapter, app, strings};
use kiosk_hardware::{PrinterService, ServiceOptions, SimMode, SimulatedMotion, SimulatedPrinter};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo_on, rows};

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
    let before = Instant::now();
    k.tap("打印材料清单");
    assert!(
        before.elapsed() < Duration::from_millis(250),
        "the tap returned while the printer works"
    );
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
