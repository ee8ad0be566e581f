//! Slips end to end through real drivers to simulated printers, and every
//! way a printer can fail.

use std::{
    sync::mpsc,
    time::{Duration, Instant},
};

use kiosk_hardware::{
    DevicePrinter, FlowControl, JobOutcome, PaperStatus, PaperWidth, Printer, PrinterError,
    PrinterEvent, PrinterService, PrinterState, ServiceOptions, SimMode, SimReply,
    SimulatedPrinter, SubmitError, TcpPrinter, TcpPrinterSim, Timeouts, escpos, render_slip,
};

use crate::common::{FORM_URL, assert_snapshot, decode_qr, guide_slip};

const WAIT: Duration = Duration::from_secs(10);

fn fast_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(500),
        write: Duration::from_secs(5),
        status: Duration::from_millis(300),
    }
}

/// A service whose events land in a channel, as the app's would land in
/// `slint::invoke_from_event_loop`.
fn start_service(
    printer: Box<dyn Printer>,
    paper: PaperWidth,
) -> (PrinterService, mpsc::Receiver<PrinterEvent>) {
    let (tx, rx) = mpsc::channel();
    let options = ServiceOptions {
        paper,
        status_interval: Duration::from_secs(60),
        queue_len: 2,
    };
    let service = PrinterService::start(printer, options, move |event| {
        let _ = tx.send(event);
    })
    .expect("start printer service");
    (service, rx)
}

/// Waits for the outcome of a job, skipping state changes.
fn job_outcome(rx: &mpsc::Receiver<PrinterEvent>) -> JobOutcome {
    let deadline = Instant::now() + WAIT;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(remaining) {
            Ok(PrinterEvent::JobFinished { outcome, .. }) => return outcome,
            Ok(PrinterEvent::StateChanged(_)) => {}
            Err(e) => panic!("no job outcome within {WAIT:?}: {e}"),
        }
    }
}

/// [`start_service`] with a TCP printer talking to `sim`.
fn tcp_service(
    sim: &TcpPrinterSim,
    paper: PaperWidth,
) -> (PrinterService, mpsc::Receiver<PrinterEvent>) {
    let printer = TcpPrinter::new(sim.addr().to_string(), fast_timeouts());
    start_service(Box::new(printer), paper)
}

/// Submits the guide slip and waits for its outcome.
fn print_guide(service: &PrinterService, rx: &mpsc::Receiver<PrinterEvent>) -> JobOutcome {
    service.print_slip(guide_slip()).expect("accepted");
    job_outcome(rx)
}

/// [`print_guide`], which must print.
fn print_guide_ok(service: &PrinterService, rx: &mpsc::Receiver<PrinterEvent>) {
    let outcome = print_guide(service, rx);
    assert!(matches!(outcome, JobOutcome::Printed { .. }), "{outcome:?}");
}

/// The service is ready again and `sim` got exactly one slip.
fn assert_ready_after_one_slip(service: &PrinterService, sim: &TcpPrinterSim) {
    assert_eq!(service.state(), PrinterState::Ready);
    assert_eq!(sim.wait_for_slips(1, WAIT).map(|s| s.len()), Some(1));
}

fn wait_state(service: &PrinterService, pred: impl Fn(&PrinterState) -> bool) -> PrinterState {
    kiosk_hardware::printer::wait_for_state(service, WAIT, pred)
        .unwrap_or_else(|| panic!("state never matched; last {:?}", service.state()))
}

fn slip_over_tcp_round_trip(paper: PaperWidth, snapshot: &str) {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("start simulator");
    let (service, rx) = tcp_service(&sim, paper);

    service.print_slip(guide_slip()).expect("job accepted");
    assert_eq!(
        job_outcome(&rx),
        JobOutcome::Printed {
            missing_chars: vec![]
        }
    );
    let slips = sim.wait_for_slips(1, WAIT).expect("valid ESC/POS");
    assert_eq!(slips.len(), 1, "one slip printed");
    let printed = &slips[0];
    assert_eq!(printed.cut, Some(true), "partial cut");
    assert!(printed.feed_lines > 0, "fed past the cutter");
    assert!(sim.status_queries() >= 1, "paper checked before printing");

    // What the printer got is exactly what was rendered...
    let rendered = render_slip(&guide_slip(), paper).expect("render");
    assert_eq!(printed.raster, rendered.raster);
    assert_eq!(printed.raster.width(), paper.dots());
    // ...matches the reviewed picture...
    assert_snapshot(snapshot, &printed.raster);
    // ...and its QR code leads to the form.
    assert_eq!(decode_qr(&printed.raster), vec![FORM_URL.to_string()]);
    assert_eq!(service.state(), PrinterState::Ready);
    service.shutdown();
    sim.shutdown();
}

#[test]
fn slip_80mm_over_tcp_decodes_to_snapshot_and_qr() {
    slip_over_tcp_round_trip(PaperWidth::Mm80, "guide_slip_80mm");
}

#[test]
fn slip_58mm_over_tcp_decodes_to_snapshot_and_qr() {
    slip_over_tcp_round_trip(PaperWidth::Mm58, "guide_slip_58mm");
}

#[test]
fn characters_outside_gb2312_print_as_boxes_and_are_reported() {
    let mut content = guide_slip();
    content.checklist.push("代办人张喆、李堃的身份证".into());
    let slip = render_slip(&content, PaperWidth::Mm58).expect("still renders");
    assert_eq!(slip.missing_chars, vec!['喆', '堃']);
    // The service passes the list on so the app can log it.
    let printer = SimulatedPrinter::new();
    let (service, rx) = start_service(Box::new(printer.clone()), PaperWidth::Mm58);
    service.print_slip(content).expect("accepted");
    assert_eq!(
        job_outcome(&rx),
        JobOutcome::Printed {
            missing_chars: vec!['喆', '堃']
        }
    );
    assert_eq!(printer.jobs().len(), 1);
}

#[test]
fn oversized_qr_is_a_clear_error_not_a_panic() {
    let mut content = guide_slip();
    content.qr_url = format!("https://example.invalid/{}", "x".repeat(1500));
    let err = render_slip(&content, PaperWidth::Mm58).expect_err("too big for 58 mm");
    assert!(err.to_string().contains("shorten the URL"), "{err}");
}

#[test]
fn unplugged_network_printer_is_offline_and_the_kiosk_goes_on() {
    // A port nobody listens on: bind, note it, close.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let mut printer = TcpPrinter::new(addr.to_string(), fast_timeouts());
    let err = printer.status().expect_err("nobody there");
    assert!(matches!(err, PrinterError::Refused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&addr.to_string()),
        "names the address: {text}"
    );
    assert!(text.contains("switched on"), "says what to do: {text}");

    let (service, rx) = start_service(Box::new(printer), PaperWidth::Mm80);
    let state = wait_state(&service, |s| matches!(s, PrinterState::Offline(_)));
    assert_eq!(state.label_zh(), "打印机离线");
    assert!(state.staff_detail_zh().contains(&addr.to_string()));
    assert!(!state.can_print());
    service.print_slip(guide_slip()).expect("still accepted");
    match job_outcome(&rx) {
        JobOutcome::Failed { message_zh, detail } => {
            assert_eq!(message_zh, "打印机离线，请联系工作人员");
            assert!(detail.contains("connection refused"), "{detail}");
        }
        other => panic!("expected failure, got {other:?}"),
    }
    // The service is still alive for the next job.
    assert!(service.refresh_status().is_ok());
    service.shutdown();
}

#[test]
fn missing_usb_device_names_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lp0");
    let mut printer = DevicePrinter::usb(&path, fast_timeouts());
    let err = printer.print(b"\x1b@").expect_err("no device");
    assert!(matches!(err, PrinterError::DeviceMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("cable"), "{text}");
    assert!(matches!(err.state(), PrinterState::Offline(_)));
}

#[test]
fn out_of_paper_refuses_the_job_and_says_so() {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("simulator");
    sim.set_paper(PaperStatus::Out);
    let (service, rx) = tcp_service(&sim, PaperWidth::Mm80);
    let state = wait_state(&service, |s| *s == PrinterState::PaperOut);
    assert_eq!(state.label_zh(), "缺纸");
    assert!(state.staff_detail_zh().contains("纸卷"));

    match print_guide(&service, &rx) {
        JobOutcome::Failed { message_zh, .. } => assert_eq!(message_zh, "缺纸，请联系工作人员"),
        other => panic!("expected failure, got {other:?}"),
    }
    let decoded = sim.decoded().expect("valid ESC/POS");
    assert!(
        decoded.slips.is_empty(),
        "no raster sent to an empty printer"
    );

    // Paper loaded: the next job prints.
    sim.set_paper(PaperStatus::Ok);
    print_guide_ok(&service, &rx);
    assert_ready_after_one_slip(&service, &sim);
    service.shutdown();
}

#[test]
fn paper_near_end_warns_but_prints() {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("simulator");
    sim.set_paper(PaperStatus::NearEnd);
    let (service, rx) = tcp_service(&sim, PaperWidth::Mm58);
    print_guide_ok(&service, &rx);
    assert_eq!(service.state(), PrinterState::PaperLow);
    assert!(service.state().can_print());
    service.shutdown();
}

#[test]
fn garbage_status_reply_is_a_clear_error() {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("simulator");
    sim.set_reply(SimReply::Raw(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()));
    let mut printer = TcpPrinter::new(sim.addr().to_string(), fast_timeouts());
    let err = printer.status().expect_err("garbage");
    let text = err.to_string();
    assert!(text.contains("not an ESC/POS status byte"), "{text}");
    assert!(text.contains(&sim.addr().to_string()), "{text}");

    let (service, rx) = start_service(Box::new(printer), PaperWidth::Mm80);
    let state = wait_state(&service, |s| matches!(s, PrinterState::Error(_)));
    assert_eq!(state.label_zh(), "打印机故障");
    assert!(state.staff_detail_zh().contains("ESC/POS"));
    assert!(matches!(
        print_guide(&service, &rx),
        JobOutcome::Failed { .. }
    ));
    service.shutdown();
}

#[test]
fn silent_printer_still_prints() {
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("simulator");
    sim.set_reply(SimReply::Silent);
    let (service, rx) = tcp_service(&sim, PaperWidth::Mm80);
    print_guide_ok(&service, &rx);
    assert_ready_after_one_slip(&service, &sim);
    service.shutdown();
}

#[test]
fn simulated_printer_states_map_to_kiosk_messages() {
    let printer = SimulatedPrinter::new();
    let (service, rx) = start_service(Box::new(printer.clone()), PaperWidth::Mm80);
    for (mode, label) in [
        (SimMode::Offline, "打印机离线"),
        (SimMode::Garbage, "打印机故障"),
        (SimMode::PaperOut, "缺纸"),
        (SimMode::PaperLow, "打印纸即将用完"),
        (SimMode::Ready, "打印机就绪"),
    ] {
        printer.set_mode(mode);
        service.refresh_status().expect("accepted");
        let state = wait_state(&service, |s| s.label_zh() == label);
        assert!(!state.log_line().is_empty());
    }
    drop(rx);
    service.shutdown();
}

#[test]
fn printing_never_blocks_the_caller() {
    let printer = SimulatedPrinter::new();
    printer.set_print_delay(Duration::from_millis(400));
    let (service, rx) = start_service(Box::new(printer.clone()), PaperWidth::Mm80);
    // Submitting is a channel send, whatever the printer is doing.
    let start = Instant::now();
    let mut accepted = 0;
    let mut busy = 0;
    for _ in 0..6 {
        match service.print_slip(guide_slip()) {
            Ok(_) => accepted += 1,
            Err(SubmitError::Busy(_)) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(100),
        "submitting took {took:?}"
    );
    assert!(busy > 0, "a full queue says busy instead of waiting");
    assert_eq!(SubmitError::Busy(2).message_zh(), "打印机正忙，请稍后再试");
    for _ in 0..accepted {
        assert!(matches!(job_outcome(&rx), JobOutcome::Printed { .. }));
    }
    assert_eq!(printer.jobs().len(), accepted);
    // The same outcomes, for an app that polls from a UI timer.
    let polled = service.take_finished();
    assert_eq!(polled.len(), accepted);
    assert!(polled.windows(2).all(|w| w[0].0 < w[1].0), "oldest first");
    assert!(service.take_finished().is_empty(), "taken once");
    service
        .print_test_page("示例县", "便民服务站", guide_slip().printed_at)
        .expect("test page accepted");
    assert!(matches!(job_outcome(&rx), JobOutcome::Printed { .. }));
    service.shutdown();
}

#[test]
fn dropping_the_service_mid_job_does_not_wait() {
    // Drop may run on the UI thread; it must not wait for a slow printer.
    let printer = SimulatedPrinter::new();
    printer.set_print_delay(Duration::from_millis(1500));
    let (service, _rx) = start_service(Box::new(printer.clone()), PaperWidth::Mm80);
    assert_eq!(service.describe(), "simulated printer");
    service.print_slip(guide_slip()).expect("accepted");
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    drop(service);
    assert!(start.elapsed() < Duration::from_millis(100), "drop waited");
}

/// A pseudo-terminal standing in for a serial printer: (path of the
/// printer side, our side, a handle that keeps the printer side alive).
fn pty() -> (std::path::PathBuf, std::fs::File, std::fs::File) {
    use rustix::{
        fs::OFlags,
        pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt},
    };
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let slave = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::path::PathBuf::from(slave.to_string_lossy().into_owned());
    rustix::fs::fcntl_setfl(&master, OFlags::NONBLOCK).expect("nonblocking master");
    // Keep one slave handle open for the whole test: when the last slave
    // closes, the master reads EIO and loses what was queued.
    let hold = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .expect("open slave");
    (slave, std::fs::File::from(master), hold)
}

#[test]
fn serial_printer_that_stops_reading_times_out() {
    // Nobody reads the other end: the tty buffer fills and writing stalls,
    // like a printer that hangs mid-job. The driver must give up in time.
    let (path, _master, _hold) = pty();
    let timeouts = Timeouts {
        write: Duration::from_millis(300),
        ..fast_timeouts()
    };
    let mut printer = DevicePrinter::serial(&path, 115_200, timeouts);
    let start = Instant::now();
    let err = printer.print(&vec![0u8; 1 << 20]).expect_err("stalls");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, PrinterError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(matches!(err.state(), PrinterState::Offline(_)));
    // Still stuck: even the status query cannot be sent.
    assert!(matches!(
        printer.status(),
        Err(PrinterError::Timeout { .. })
    ));

    // A printer that takes the status query but never answers: unknown,
    // not an error (many printers have no back channel).
    let (path, _master, _hold) = pty();
    let mut printer = DevicePrinter::serial(&path, 115_200, timeouts);
    assert_eq!(
        printer.status().expect("no answer is fine"),
        PaperStatus::Unknown
    );
}

#[test]
fn simulator_reads_raster_bytes_as_data_not_commands() {
    // A raster whose data contains DLE EOT 4 must not trigger a reply.
    let mut raster = kiosk_hardware::Raster::new(24, 1).expect("raster");
    for (x, on) in [0x10u8, 0x04, 0x04]
        .iter()
        .flat_map(|b| (0..8).map(move |i| b & (0x80 >> i) != 0))
        .enumerate()
    {
        raster.set(x as u32, 0, on);
    }
    let sim = TcpPrinterSim::start("127.0.0.1:0").expect("simulator");
    let mut printer = TcpPrinter::new(sim.addr().to_string(), fast_timeouts());
    printer.print(&escpos::encode_job(&raster)).expect("print");
    let slips = sim.wait_for_slips(1, WAIT).expect("decodes");
    assert_eq!(slips[0].raster, raster);
    assert_eq!(sim.status_queries(), 0);
}

#[test]
fn serial_printer_over_a_pseudo_terminal() {
    serial_round_trip(FlowControl::None);
}

#[test]
fn serial_printer_with_xon_xoff_passes_binary_raster_unchanged() {
    // Raster bytes include 0x11/0x13; only XON/XOFF coming *from* the
    // printer may act as flow control.
    serial_round_trip(FlowControl::XonXoff);
}

fn serial_round_trip(flow: FlowControl) {
    use std::io::{Read, Write};

    let (slave, mut master, _hold) = pty();

    // The "printer": answers DLE EOT 4 with "paper ok" and keeps the rest.
    let printer_side = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut answered = false;
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => std::thread::sleep(Duration::from_millis(2)),
            }
            if !answered && got.ends_with(&escpos::PAPER_STATUS_QUERY) {
                master.write_all(&[0x12]).expect("answer");
                answered = true;
                got.clear();
            }
            if got.ends_with(&[0x1D, 0x56, 66, 0]) {
                break;
            }
        }
        got
    });

    let mut printer = DevicePrinter::serial_with_flow(&slave, 115_200, flow, fast_timeouts());
    assert_eq!(printer.status().expect("status"), PaperStatus::Ok);
    let slip = render_slip(&guide_slip(), PaperWidth::Mm58).expect("render");
    printer
        .print(&escpos::encode_job(&slip.raster))
        .expect("print over serial");
    let got = printer_side.join().expect("printer thread");
    let decoded = escpos::decode(&got).expect("raw bytes arrive unchanged");
    assert_eq!(decoded.slips.len(), 1);
    assert_eq!(decoded.slips[0].raster, slip.raster);
}
