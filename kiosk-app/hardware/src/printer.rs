//! Receipt printer drivers and the service that keeps them off the UI thread.
//!
//! Three real connections reach an ESC/POS printer: the USB line-printer
//! device file (`/dev/usb/lp0`), a serial tty, and raw TCP port 9100. Each
//! operation opens the connection afresh and closes it when done, so a
//! printer that was unplugged and plugged back in (new device file, new DHCP
//! lease, rebooted print server) just works on the next job.
//!
//! Every read, write and connect has a deadline: a printer that stops
//! answering turns into [`PrinterError::Timeout`], never a hung thread.

use std::{
    collections::VecDeque,
    fs::{File, OpenOptions},
    io::{self, Read, Write},
    net::{Shutdown, TcpStream, ToSocketAddrs},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc::{self, RecvTimeoutError, SyncSender, TrySendError},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use thiserror::Error;

use crate::{
    escpos::{self, PAPER_STATUS_QUERY, PaperStatus, StatusError},
    slip::{PaperWidth, SlipContent, render_slip},
};

/// A receipt printer. Implementations must bound every call in time.
pub trait Printer: Send {
    /// Sends a complete ESC/POS job.
    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError>;
    /// Asks the paper sensor (`DLE EOT 4`). A printer that takes the query
    /// but never answers gives `Ok(PaperStatus::Unknown)`.
    fn status(&mut self) -> Result<PaperStatus, PrinterError>;
    /// Which printer this is, for logs and the staff panel
    /// ("USB printer /dev/usb/lp0", "network printer 10.0.0.5:9100").
    fn describe(&self) -> String;
}

/// Why the printer could not be used. Each message names the device or
/// address and says what to do about it.
#[derive(Debug, Error)]
pub enum PrinterError {
    #[error(
        "{target}: not found ({source}); check that the printer is switched on and its USB/serial cable is plugged in, and the device path in the kiosk config"
    )]
    DeviceMissing { target: String, source: io::Error },
    #[error(
        "{target}: permission denied; the kiosk user needs to be in group `lp` (USB printers) or `dialout` (serial printers)"
    )]
    PermissionDenied { target: String },
    #[error(
        "{target}: connection refused; check that the printer is switched on, and its IP address and port (usually 9100) in the kiosk config"
    )]
    Refused { target: String },
    #[error(
        "{target}: no answer within {timeout:?} while {action}; check that the printer is switched on and connected"
    )]
    Timeout {
        target: String,
        action: &'static str,
        timeout: Duration,
    },
    #[error("{target} is offline ({detail}); check that it is switched on and connected")]
    Offline { target: String, detail: String },
    #[error(
        "{target}: {action} failed: {source}; check the cable or network and the printer's power"
    )]
    Io {
        target: String,
        action: &'static str,
        source: io::Error,
    },
    #[error("{target}: {source}")]
    BadStatus { target: String, source: StatusError },
    #[error("{target}: out of paper; load a new paper roll and close the cover")]
    OutOfPaper { target: String },
    #[error(
        "{target}: could not set the serial port to {baud} baud: {source}; check the baud rate in the kiosk config"
    )]
    SerialSetup {
        target: String,
        baud: u32,
        source: io::Error,
    },
}

impl PrinterError {
    /// The state a kiosk should show after this error.
    pub fn state(&self) -> PrinterState {
        match self {
            PrinterError::DeviceMissing { .. }
            | PrinterError::Refused { .. }
            | PrinterError::Timeout { .. }
            | PrinterError::Offline { .. }
            | PrinterError::Io { .. } => PrinterState::Offline(self.to_string()),
            PrinterError::OutOfPaper { .. } => PrinterState::PaperOut,
            PrinterError::PermissionDenied { .. }
            | PrinterError::BadStatus { .. }
            | PrinterError::SerialSetup { .. } => PrinterState::Error(self.to_string()),
        }
    }

    /// Classifies an I/O error from `action` on `target`.
    fn from_io(target: &str, action: &'static str, timeout: Duration, e: io::Error) -> Self {
        let target = target.to_string();
        // ENODEV/ENXIO: the USB printer was unplugged while its file is open
        // or the tty has no device behind it.
        let gone = matches!(e.raw_os_error(), Some(code) if code == rustix::io::Errno::NODEV.raw_os_error() || code == rustix::io::Errno::NXIO.raw_os_error());
        match e.kind() {
            io::ErrorKind::NotFound => PrinterError::DeviceMissing { target, source: e },
            _ if gone => PrinterError::DeviceMissing { target, source: e },
            io::ErrorKind::PermissionDenied => PrinterError::PermissionDenied { target },
            io::ErrorKind::ConnectionRefused => PrinterError::Refused { target },
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => PrinterError::Timeout {
                target,
                action,
                timeout,
            },
            _ => PrinterError::Io {
                target,
                action,
                source: e,
            },
        }
    }
}

/// Deadlines for one printer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (TCP) or opening the device.
    pub connect: Duration,
    /// Sending a job. Generous: a slip is 30–60 kB, and a 115,200-baud line
    /// moves about 11 kB/s.
    pub write: Duration,
    /// Waiting for a status answer. Short: many printers never answer.
    pub status: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            write: Duration::from_secs(30),
            status: Duration::from_millis(800),
        }
    }
}

// ---------------------------------------------------------------------------
// Raw TCP (port 9100, "JetDirect")

/// A network printer or print server on raw TCP, usually port 9100.
#[derive(Debug, Clone)]
pub struct TcpPrinter {
    address: String,
    timeouts: Timeouts,
}

impl TcpPrinter {
    /// `address` is `host:port`, e.g. `192.168.1.50:9100`.
    pub fn new(address: impl Into<String>, timeouts: Timeouts) -> Self {
        Self {
            address: address.into(),
            timeouts,
        }
    }

    fn target(&self) -> String {
        format!("network printer {}", self.address)
    }

    fn connect(&self) -> Result<TcpStream, PrinterError> {
        let target = self.target();
        let t = self.timeouts;
        let addrs = self
            .address
            .to_socket_addrs()
            .map_err(|e| PrinterError::Io {
                target: target.clone(),
                action: "looking up the address",
                source: e,
            })?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, t.connect) {
                Ok(stream) => {
                    let setup = stream
                        .set_write_timeout(Some(t.write))
                        .and_then(|_| stream.set_read_timeout(Some(t.status)))
                        .and_then(|_| stream.set_nodelay(true));
                    setup
                        .map_err(|e| PrinterError::from_io(&target, "connecting", t.connect, e))?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        let e = last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "the address resolved to nothing")
        });
        Err(PrinterError::from_io(&target, "connecting", t.connect, e))
    }
}

impl Printer for TcpPrinter {
    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        let target = self.target();
        let t = self.timeouts;
        let mut stream = self.connect()?;
        stream
            .write_all(job)
            .and_then(|_| stream.flush())
            .map_err(|e| PrinterError::from_io(&target, "sending the slip", t.write, e))?;
        // Half-close, then read until the printer closes (or briefly
        // times out). Closing with unread bytes from the printer (status
        // it sent on its own) would make the kernel send a reset, and
        // some print servers drop data they have not yet printed on a reset.
        let _ = stream.shutdown(Shutdown::Write);
        drain(&mut stream, t.status);
        Ok(())
    }

    fn status(&mut self) -> Result<PaperStatus, PrinterError> {
        let target = self.target();
        let t = self.timeouts;
        let mut stream = self.connect()?;
        stream
            .write_all(&PAPER_STATUS_QUERY)
            .map_err(|e| PrinterError::from_io(&target, "asking for paper status", t.write, e))?;
        let reply = read_reply(t.status, |buf, remaining| {
            stream.set_read_timeout(Some(remaining))?;
            stream.read(buf)
        })
        .map_err(|e| PrinterError::from_io(&target, "reading paper status", t.status, e))?;
        let _ = stream.shutdown(Shutdown::Both);
        escpos::parse_paper_status(&reply)
            .map_err(|source| PrinterError::BadStatus { target, source })
    }

    fn describe(&self) -> String {
        self.target()
    }
}

/// Reads and discards until EOF or `limit` passes.
fn drain(stream: &mut TcpStream, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 256];
    while let Some(remaining) = deadline.checked_duration_since(Instant::now()) {
        if remaining.is_zero() || stream.set_read_timeout(Some(remaining)).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Collects a status reply: waits up to `limit` for the first byte, then
/// keeps what follows within a short grace period. A timeout with nothing
/// read is an empty reply, not an error (silent printers are normal).
fn read_reply(
    limit: Duration,
    mut read: impl FnMut(&mut [u8], Duration) -> io::Result<usize>,
) -> io::Result<Vec<u8>> {
    const GRACE: Duration = Duration::from_millis(30);
    let mut reply = Vec::new();
    let mut deadline = Instant::now() + limit;
    let mut buf = [0u8; 64];
    while let Some(remaining) = deadline.checked_duration_since(Instant::now()) {
        if remaining.is_zero() {
            break;
        }
        match read(&mut buf, remaining) {
            Ok(0) => break,
            Ok(n) => {
                reply.extend_from_slice(&buf[..n]);
                // Enough to judge; a longer reply is garbage anyway.
                if reply.len() >= 64 {
                    break;
                }
                deadline = deadline.min(Instant::now() + GRACE);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(reply)
}

// ---------------------------------------------------------------------------
// Device files: USB line printer and serial tty

/// How a device-file printer is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// The kernel's `usblp` driver, `/dev/usb/lpN`.
    UsbLp,
    /// A serial port (`/dev/ttyUSB0`, `/dev/ttyS0`, `/dev/ttyAMA0`), raw
    /// 8N1 at `baud`.
    Serial { baud: u32, flow: FlowControl },
}

/// Serial flow control. A slip is 30–90 kB, more than many printers
/// buffer: without flow control a printer that cannot keep up drops bytes
/// and prints garbled stripes. Not the default because a cable without the
/// handshake wires then blocks every job (which shows as a timeout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    #[default]
    None,
    /// Hardware handshake on RTS/CTS.
    RtsCts,
    /// The printer sends XOFF/XON to pause and resume us.
    XonXoff,
}

/// A printer reached through a device file.
#[derive(Debug, Clone)]
pub struct DevicePrinter {
    path: PathBuf,
    kind: DeviceKind,
    timeouts: Timeouts,
}

impl DevicePrinter {
    pub fn usb(path: impl Into<PathBuf>, timeouts: Timeouts) -> Self {
        Self {
            path: path.into(),
            kind: DeviceKind::UsbLp,
            timeouts,
        }
    }

    pub fn serial(path: impl Into<PathBuf>, baud: u32, timeouts: Timeouts) -> Self {
        Self::serial_with_flow(path, baud, FlowControl::None, timeouts)
    }

    pub fn serial_with_flow(
        path: impl Into<PathBuf>,
        baud: u32,
        flow: FlowControl,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            path: path.into(),
            kind: DeviceKind::Serial { baud, flow },
            timeouts,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn target(&self) -> String {
        match self.kind {
            DeviceKind::UsbLp => format!("USB printer {}", self.path.display()),
            DeviceKind::Serial { baud, .. } => {
                format!("serial printer {} ({baud} baud)", self.path.display())
            }
        }
    }

    fn open(&self) -> Result<File, PrinterError> {
        let target = self.target();
        // Non-blocking so every read and write can wait in poll() with a
        // deadline; NOCTTY so a serial port never becomes our terminal.
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(flags.bits() as i32)
            .open(&self.path)
            .map_err(|e| PrinterError::from_io(&target, "opening", self.timeouts.connect, e))?;
        if let DeviceKind::Serial { baud, flow } = self.kind {
            configure_serial(&file, baud, flow).map_err(|source| PrinterError::SerialSetup {
                target,
                baud,
                source,
            })?;
        }
        Ok(file)
    }
}

/// Raw 8N1 at `baud` (bytes pass unchanged, no echo), with `flow`.
fn configure_serial(file: &File, baud: u32, flow: FlowControl) -> io::Result<()> {
    use rustix::termios::{ControlModes, InputModes, OptionalActions, tcgetattr, tcsetattr};
    let mut termios = tcgetattr(file)?;
    termios.make_raw();
    termios.set_speed(baud)?;
    // Ignore modem-control lines (CLOCAL) so a printer without DCD wired
    // still takes data; enable the receiver for status replies.
    termios.control_modes |= ControlModes::CLOCAL | ControlModes::CREAD;
    termios
        .control_modes
        .set(ControlModes::CRTSCTS, flow == FlowControl::RtsCts);
    // IXON: XOFF/XON *from the printer* pause our output. Outgoing raster
    // bytes are not interpreted, so binary data is safe.
    termios
        .input_modes
        .set(InputModes::IXON, flow == FlowControl::XonXoff);
    termios.input_modes.remove(InputModes::IXOFF);
    tcsetattr(file, OptionalActions::Now, &termios)?;
    Ok(())
}

/// Waits until `file` is ready for `flags` or `timeout` passes.
fn wait_ready(file: &File, flags: rustix::event::PollFlags, timeout: Duration) -> io::Result<bool> {
    use rustix::event::{PollFd, Timespec, poll};
    let ts = Timespec::try_from(timeout).unwrap_or(Timespec {
        tv_sec: 60,
        tv_nsec: 0,
    });
    let mut fds = [PollFd::new(file, flags)];
    loop {
        match poll(&mut fds, Some(&ts)) {
            Ok(n) => return Ok(n > 0),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn write_all_deadline(file: &mut File, mut data: &[u8], timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !data.is_empty() {
        match file.write(data) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "device took no bytes",
                ));
            }
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let remaining = deadline
                    .checked_duration_since(Instant::now())
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))?;
                if !wait_ready(file, rustix::event::PollFlags::OUT, remaining)? {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Printer for DevicePrinter {
    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        let mut file = self.open()?;
        write_all_deadline(&mut file, job, self.timeouts.write).map_err(|e| {
            PrinterError::from_io(&self.target(), "sending the slip", self.timeouts.write, e)
        })?;
        if let DeviceKind::Serial { .. } = self.kind {
            // Closing a tty may discard what is still in its output queue.
            let _ = rustix::termios::tcdrain(&file);
        }
        Ok(())
    }

    fn status(&mut self) -> Result<PaperStatus, PrinterError> {
        let target = self.target();
        let t = self.timeouts;
        let mut file = self.open()?;
        write_all_deadline(&mut file, &PAPER_STATUS_QUERY, t.status)
            .map_err(|e| PrinterError::from_io(&target, "asking for paper status", t.status, e))?;
        let reply = read_reply(t.status, |buf, remaining| {
            if !wait_ready(&file, rustix::event::PollFlags::IN, remaining)? {
                return Err(io::Error::from(io::ErrorKind::TimedOut));
            }
            file.read(buf)
        });
        let reply = match reply {
            Ok(reply) => reply,
            // usblp refuses reads (EINVAL) on printers with no back channel:
            // such a printer cannot tell us about paper.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Vec::new(),
            Err(e) => {
                return Err(PrinterError::from_io(
                    &target,
                    "reading paper status",
                    t.status,
                    e,
                ));
            }
        };
        escpos::parse_paper_status(&reply)
            .map_err(|source| PrinterError::BadStatus { target, source })
    }

    fn describe(&self) -> String {
        self.target()
    }
}

// ---------------------------------------------------------------------------
// Simulated printer

/// What a [`SimulatedPrinter`] pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimMode {
    #[default]
    Ready,
    PaperLow,
    PaperOut,
    /// Unplugged / switched off: every call fails.
    Offline,
    /// Answers status queries with bytes that are not ESC/POS.
    Garbage,
    /// Takes jobs but never answers status queries.
    Silent,
}

#[derive(Debug, Default)]
struct SimInner {
    mode: SimMode,
    jobs: Vec<Vec<u8>>,
    status_queries: usize,
    print_delay: Duration,
}

/// An in-memory printer recording every job. Clones share state, so a test
/// keeps one clone and gives the other to a [`PrinterService`].
#[derive(Debug, Clone, Default)]
pub struct SimulatedPrinter {
    inner: Arc<Mutex<SimInner>>,
}

impl SimulatedPrinter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_mode(&self, mode: SimMode) {
        lock(&self.inner).mode = mode;
    }

    /// Makes each print take this long, like a slow serial printer.
    pub fn set_print_delay(&self, delay: Duration) {
        lock(&self.inner).print_delay = delay;
    }

    /// Every job received so far, oldest first.
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        lock(&self.inner).jobs.clone()
    }

    pub fn status_queries(&self) -> usize {
        lock(&self.inner).status_queries
    }

    fn target() -> String {
        "simulated printer".to_string()
    }
}

impl Printer for SimulatedPrinter {
    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        let (mode, delay) = {
            let inner = lock(&self.inner);
            (inner.mode, inner.print_delay)
        };
        // Sleep outside the lock so tests can inspect state meanwhile.
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        match mode {
            SimMode::Offline => Err(PrinterError::Offline {
                target: Self::target(),
                detail: "simulated: unplugged".into(),
            }),
            SimMode::PaperOut => Err(PrinterError::OutOfPaper {
                target: Self::target(),
            }),
            _ => {
                lock(&self.inner).jobs.push(job.to_vec());
                Ok(())
            }
        }
    }

    fn status(&mut self) -> Result<PaperStatus, PrinterError> {
        let mut inner = lock(&self.inner);
        inner.status_queries += 1;
        match inner.mode {
            SimMode::Ready => Ok(PaperStatus::Ok),
            SimMode::PaperLow => Ok(PaperStatus::NearEnd),
            SimMode::PaperOut => Ok(PaperStatus::Out),
            SimMode::Silent => Ok(PaperStatus::Unknown),
            SimMode::Offline => Err(PrinterError::Offline {
                target: Self::target(),
                detail: "simulated: unplugged".into(),
            }),
            SimMode::Garbage => Err(PrinterError::BadStatus {
                target: Self::target(),
                source: StatusError::Garbage(b"\xFF\xFEgarbage".to_vec()),
            }),
        }
    }

    fn describe(&self) -> String {
        Self::target()
    }
}

/// Locks, ignoring poisoning: a panicked test thread must not take the
/// printer down with it, and the data inside stays consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// State shown to people

/// The printer as the kiosk and the staff panel show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterState {
    /// Not checked yet (the first check runs right after start).
    Unknown,
    Ready,
    /// Paper near end: still prints.
    PaperLow,
    /// 缺纸: jobs are refused until paper is loaded.
    PaperOut,
    /// 打印机离线: unplugged, switched off or unreachable. Carries the
    /// English detail for the staff panel and log.
    Offline(String),
    /// Something else is wrong (permissions, garbage answers, bad serial
    /// setup). Carries the English detail.
    Error(String),
}

impl PrinterState {
    /// Short Chinese text for the resident's screen.
    pub fn label_zh(&self) -> &'static str {
        match self {
            PrinterState::Unknown => "正在检查打印机",
            PrinterState::Ready => "打印机就绪",
            PrinterState::PaperLow => "打印纸即将用完",
            PrinterState::PaperOut => "缺纸",
            PrinterState::Offline(_) => "打印机离线",
            PrinterState::Error(_) => "打印机故障",
        }
    }

    /// Chinese advice for hall staff, with the technical detail (English,
    /// names the device) appended where there is one.
    pub fn staff_detail_zh(&self) -> String {
        match self {
            PrinterState::Unknown => "正在检查打印机状态".into(),
            PrinterState::Ready => "打印机就绪".into(),
            PrinterState::PaperLow => "打印纸即将用完，请准备新纸卷".into(),
            PrinterState::PaperOut => "缺纸：请装入新纸卷并合上盖子".into(),
            PrinterState::Offline(detail) => {
                format!("打印机离线：请检查打印机电源和连接线。详情：{detail}")
            }
            PrinterState::Error(detail) => format!("打印机故障：{detail}"),
        }
    }

    /// One English line for the log.
    pub fn log_line(&self) -> String {
        match self {
            PrinterState::Unknown => "printer state not checked yet".into(),
            PrinterState::Ready => "printer ready".into(),
            PrinterState::PaperLow => "printer paper near end".into(),
            PrinterState::PaperOut => "printer out of paper".into(),
            PrinterState::Offline(detail) => format!("printer offline: {detail}"),
            PrinterState::Error(detail) => format!("printer error: {detail}"),
        }
    }

    /// Whether a print button should be enabled. Unknown counts as yes:
    /// trying is how we find out, and the job reports its own failure.
    pub fn can_print(&self) -> bool {
        matches!(
            self,
            PrinterState::Unknown | PrinterState::Ready | PrinterState::PaperLow
        )
    }

    fn from_paper(status: PaperStatus) -> Self {
        match status {
            PaperStatus::Ok | PaperStatus::Unknown => PrinterState::Ready,
            PaperStatus::NearEnd => PrinterState::PaperLow,
            PaperStatus::Out => PrinterState::PaperOut,
        }
    }
}

impl std::fmt::Display for PrinterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_zh())
    }
}

// ---------------------------------------------------------------------------
// Service: the printer on its own thread

/// Identifies a submitted job in [`PrinterEvent::JobFinished`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Sent to the printer. `missing_chars` were printed as □.
    Printed { missing_chars: Vec<char> },
    /// Not printed. `message_zh` is for the resident's screen, `detail`
    /// (English) for the log and staff panel.
    Failed { message_zh: String, detail: String },
}

/// What the service tells the app. Delivered on the worker thread: a Slint
/// app forwards it with `slint::invoke_from_event_loop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterEvent {
    StateChanged(PrinterState),
    JobFinished { id: JobId, outcome: JobOutcome },
}

/// Why a job was not accepted. Returned at once; submitting never waits.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SubmitError {
    #[error("the printer is busy with {0} queued slips; try again in a moment")]
    Busy(usize),
    #[error("the printer service has stopped")]
    Stopped,
}

impl SubmitError {
    pub fn message_zh(&self) -> &'static str {
        match self {
            SubmitError::Busy(_) => "打印机正忙，请稍后再试",
            SubmitError::Stopped => "打印服务未运行",
        }
    }
}

/// Settings of a [`PrinterService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceOptions {
    pub paper: PaperWidth,
    /// How often paper status is checked while idle, so the staff panel
    /// shows 缺纸 before a resident finds out.
    pub status_interval: Duration,
    /// Jobs waiting beyond the one printing. More are refused with
    /// [`SubmitError::Busy`] rather than piling up paper nobody collects.
    pub queue_len: usize,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            paper: PaperWidth::Mm80,
            status_interval: Duration::from_secs(30),
            queue_len: 3,
        }
    }
}

enum Request {
    Slip {
        id: JobId,
        content: Box<SlipContent>,
    },
    Raw {
        id: JobId,
        bytes: Vec<u8>,
    },
    CheckStatus,
    Stop,
}

/// Owns a [`Printer`] on a worker thread. Every method returns at once:
/// rendering, status queries and printing happen on the worker, and results
/// come back through the event callback and [`PrinterService::state`].
pub struct PrinterService {
    tx: SyncSender<Request>,
    state: Arc<Mutex<PrinterState>>,
    finished: Arc<Mutex<VecDeque<(JobId, JobOutcome)>>>,
    stop: Arc<AtomicBool>,
    next_id: AtomicU64,
    queue_len: usize,
    describe: String,
    worker: Option<JoinHandle<()>>,
}

impl PrinterService {
    /// Starts the worker, which checks paper status right away.
    ///
    /// `on_event` runs on the worker thread; keep it short (hand the event
    /// to the UI thread and return).
    pub fn start(
        printer: Box<dyn Printer>,
        options: ServiceOptions,
        on_event: impl Fn(PrinterEvent) + Send + 'static,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(options.queue_len.max(1));
        let state = Arc::new(Mutex::new(PrinterState::Unknown));
        let finished = Arc::new(Mutex::new(VecDeque::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let describe = printer.describe();
        let mut worker = Worker {
            printer,
            options,
            state: Arc::clone(&state),
            finished: Arc::clone(&finished),
            stop: Arc::clone(&stop),
            on_event: Box::new(on_event),
        };
        let handle = std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || worker.run(rx))?;
        Ok(Self {
            tx,
            state,
            finished,
            stop,
            next_id: AtomicU64::new(1),
            queue_len: options.queue_len.max(1),
            describe,
            worker: Some(handle),
        })
    }

    /// Queues a slip. Rendering happens on the worker too.
    pub fn print_slip(&self, content: SlipContent) -> Result<JobId, SubmitError> {
        let id = self.new_id();
        self.submit(Request::Slip {
            id,
            content: Box::new(content),
        })?;
        Ok(id)
    }

    /// Queues ready-made ESC/POS bytes (a staff test page, for example).
    pub fn print_raw(&self, bytes: Vec<u8>) -> Result<JobId, SubmitError> {
        let id = self.new_id();
        self.submit(Request::Raw { id, bytes })?;
        Ok(id)
    }

    /// Queues the staff panel's test page ([`SlipContent::test_page`]).
    pub fn print_test_page(
        &self,
        county: &str,
        hall: &str,
        printed_at: chrono::NaiveDateTime,
    ) -> Result<JobId, SubmitError> {
        self.print_slip(SlipContent::test_page(county, hall, printed_at))
    }

    /// Jobs finished since the last call, oldest first: for apps that poll
    /// from a UI timer instead of using the event callback. Only the last
    /// [`FINISHED_KEPT`] are kept, so an app that never polls leaks nothing.
    pub fn take_finished(&self) -> Vec<(JobId, JobOutcome)> {
        lock(&self.finished).drain(..).collect()
    }

    /// Asks for a status check now (staff panel "check printer").
    pub fn refresh_status(&self) -> Result<(), SubmitError> {
        self.submit(Request::CheckStatus)
    }

    /// The latest known state.
    pub fn state(&self) -> PrinterState {
        lock(&self.state).clone()
    }

    /// Which printer the service drives.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Stops the worker after its current operation (bounded by the
    /// printer's timeouts) and waits for it.
    pub fn shutdown(mut self) {
        self.signal_stop();
        if let Some(handle) = self.worker.take() {
            let _ = handle.join();
        }
    }

    fn signal_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes a worker waiting for requests; if the queue is full the
        // worker sees the flag after its current job.
        let _ = self.tx.try_send(Request::Stop);
    }

    fn new_id(&self) -> JobId {
        JobId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn submit(&self, request: Request) -> Result<(), SubmitError> {
        self.tx.try_send(request).map_err(|e| match e {
            TrySendError::Full(_) => SubmitError::Busy(self.queue_len),
            TrySendError::Disconnected(_) => SubmitError::Stopped,
        })
    }
}

impl Drop for PrinterService {
    fn drop(&mut self) {
        // Never join here: drop may run on the UI thread, and a job in
        // progress may take seconds. The worker ends on its own.
        self.signal_stop();
    }
}

/// Finished jobs kept for [`PrinterService::take_finished`].
pub const FINISHED_KEPT: usize = 32;

struct Worker {
    printer: Box<dyn Printer>,
    options: ServiceOptions,
    state: Arc<Mutex<PrinterState>>,
    finished: Arc<Mutex<VecDeque<(JobId, JobOutcome)>>>,
    stop: Arc<AtomicBool>,
    on_event: Box<dyn Fn(PrinterEvent) + Send>,
}

impl Worker {
    fn run(&mut self, rx: mpsc::Receiver<Request>) {
        tracing::info!(printer = %self.printer.describe(), "printer service started");
        // The outcome is in the state; nothing waits on this check.
        let _ = self.check_status();
        // Each turn waits at most `status_interval`; the loop ends when the
        // service is stopped or dropped.
        while !self.stop.load(Ordering::SeqCst) {
            match rx.recv_timeout(self.options.status_interval) {
                Ok(Request::Slip { id, content }) => self.print_slip(id, &content),
                Ok(Request::Raw { id, bytes }) => self.print_job(id, &bytes, Vec::new()),
                Ok(Request::CheckStatus) | Err(RecvTimeoutError::Timeout) => {
                    let _ = self.check_status();
                }
                Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::info!(printer = %self.printer.describe(), "printer service stopped");
    }

    fn set_state(&mut self, new: PrinterState) {
        let changed = {
            let mut state = lock(&self.state);
            if *state == new {
                false
            } else {
                *state = new.clone();
                true
            }
        };
        // Logged on change only, so a printer that stays unplugged for a
        // week writes one line, not 20,000.
        if changed {
            if new.can_print() {
                tracing::info!(state = %new.label_zh(), "{}", new.log_line());
            } else {
                tracing::warn!(state = %new.label_zh(), "{}", new.log_line());
            }
            (self.on_event)(PrinterEvent::StateChanged(new));
        }
    }

    /// Queries paper and updates the state; `Err` when printing now would fail.
    fn check_status(&mut self) -> Result<(), PrinterError> {
        match self.printer.status() {
            Ok(status) => {
                self.set_state(PrinterState::from_paper(status));
                if status == PaperStatus::Out {
                    Err(PrinterError::OutOfPaper {
                        target: self.printer.describe(),
                    })
                } else {
                    Ok(())
                }
            }
            Err(e) => {
                self.set_state(e.state());
                Err(e)
            }
        }
    }

    fn print_slip(&mut self, id: JobId, content: &SlipContent) {
        match render_slip(content, self.options.paper) {
            Ok(slip) => {
                if !slip.missing_chars.is_empty() {
                    let chars: String = slip.missing_chars.iter().collect();
                    tracing::warn!(
                        title = %content.title,
                        missing = %chars,
                        "slip has characters outside GB2312, printed as □; rephrase the content or accept the boxes"
                    );
                }
                let job = escpos::encode_job(&slip.raster);
                self.print_job(id, &job, slip.missing_chars);
            }
            Err(e) => {
                tracing::error!(title = %content.title, "slip not rendered: {e}");
                self.finish(
                    id,
                    JobOutcome::Failed {
                        message_zh: "凭条生成失败，请联系工作人员".into(),
                        detail: e.to_string(),
                    },
                );
            }
        }
    }

    fn print_job(&mut self, id: JobId, job: &[u8], missing_chars: Vec<char>) {
        // Ask first: an out-of-paper printer would swallow the job and the
        // resident would wait for nothing.
        let result = self.check_status().and_then(|_| self.printer.print(job));
        let outcome = match result {
            Ok(()) => {
                tracing::info!(job = id.0, bytes = job.len(), "slip sent to printer");
                JobOutcome::Printed { missing_chars }
            }
            Err(e) => {
                let state = e.state();
                tracing::warn!(job = id.0, "slip not printed: {e}");
                let message_zh = match &state {
                    PrinterState::PaperOut => "缺纸，请联系工作人员".to_string(),
                    PrinterState::Offline(_) => "打印机离线，请联系工作人员".to_string(),
                    _ => "打印机故障，请联系工作人员".to_string(),
                };
                self.set_state(state);
                JobOutcome::Failed {
                    message_zh,
                    detail: e.to_string(),
                }
            }
        };
        self.finish(id, outcome);
    }

    fn finish(&mut self, id: JobId, outcome: JobOutcome) {
        {
            let mut finished = lock(&self.finished);
            if finished.len() >= FINISHED_KEPT {
                finished.pop_front();
            }
            finished.push_back((id, outcome.clone()));
        }
        (self.on_event)(PrinterEvent::JobFinished { id, outcome });
    }
}

/// Waits until `pred` holds for the service state or `timeout` passes.
/// For tests and tools; never call it on the UI thread (it sleeps).
pub fn wait_for_state(
    service: &PrinterService,
    timeout: Duration,
    pred: impl Fn(&PrinterState) -> bool,
) -> Option<PrinterState> {
    let deadline = Instant::now() + timeout;
    loop {
        let state = service.state();
        if pred(&state) {
            return Some(state);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
