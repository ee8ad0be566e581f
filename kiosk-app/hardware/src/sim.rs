//! A network receipt printer on raw TCP, for tests and demos.
//!
//! It listens like a printer's port 9100, records every byte it receives,
//! and answers `DLE EOT` status queries with a configurable reply. Like a
//! real printer it serves one connection at a time, and it reads commands
//! the way a printer does: the bytes inside a `GS v 0` image are image data,
//! not status queries, even where they happen to spell `10 04 04`.
//!
//! Every loop is bounded: the accept loop checks a stop flag every few
//! milliseconds, a connection ends after an idle limit or a byte limit, and
//! [`TcpPrinterSim::shutdown`] (or drop) stops and joins the thread.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::escpos::{self, Command, DecodeError, Decoded, DecodedSlip, Frame, PaperStatus};

/// How the simulator answers a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimReply {
    /// One status byte (0x12 ok, 0x1E near end, 0x72 out).
    Status(u8),
    /// Says nothing, like many cheap network printers.
    Silent,
    /// These bytes, verbatim: for testing garbage answers.
    Raw(Vec<u8>),
}

/// A connection idle this long is closed, so a client that forgets to
/// close cannot wedge the simulator.
const IDLE_LIMIT: Duration = Duration::from_secs(10);
/// A connection sending more than this is cut off.
const MAX_BYTES_PER_CONNECTION: usize = 64 << 20;
/// How often blocked loops look at the stop flag.
const TICK: Duration = Duration::from_millis(10);

#[derive(Debug)]
struct State {
    reply: SimReply,
    /// Bytes of each connection, in order of arrival.
    connections: Vec<Vec<u8>>,
    status_queries: usize,
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct TcpPrinterSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl TcpPrinterSim {
    /// Listens on `addr` (use `127.0.0.1:0` for a free port) and answers
    /// status queries with "paper ok" until told otherwise.
    pub fn start(addr: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        // Non-blocking accept so the loop can notice the stop flag.
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            state: Mutex::new(State {
                reply: SimReply::Status(0x12),
                connections: Vec::new(),
                status_queries: 0,
            }),
            changed: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("printer-sim {addr}"))
            .spawn(move || accept_loop(listener, &thread_shared))?;
        tracing::debug!(%addr, "printer simulator listening");
        Ok(Self {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn set_reply(&self, reply: SimReply) {
        self.shared.lock().reply = reply;
    }

    /// Answers status queries as a printer with this paper would.
    pub fn set_paper(&self, status: PaperStatus) {
        let reply = match escpos::paper_status_byte(status) {
            Some(byte) => SimReply::Status(byte),
            None => SimReply::Silent,
        };
        self.set_reply(reply);
    }

    /// Every byte received, all connections in order.
    pub fn received(&self) -> Vec<u8> {
        self.shared.lock().connections.concat()
    }

    /// Bytes per connection.
    pub fn connections(&self) -> Vec<Vec<u8>> {
        self.shared.lock().connections.clone()
    }

    pub fn status_queries(&self) -> usize {
        self.shared.lock().status_queries
    }

    /// Decodes everything received as a printer would print it.
    pub fn decoded(&self) -> Result<Decoded, DecodeError> {
        escpos::decode(&self.received())
    }

    /// Waits until at least `count` cut slips have arrived, or `timeout`.
    /// Returns the slips received so far either way (None on a decode
    /// error, which would mean the sender spoke bad ESC/POS).
    pub fn wait_for_slips(&self, count: usize, timeout: Duration) -> Option<Vec<DecodedSlip>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            let slips = cut_slips(&state.connections);
            let enough = slips.as_ref().is_some_and(|s| s.len() >= count);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if enough || remaining.is_zero() {
                return slips;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, remaining.min(Duration::from_millis(100)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stops accepting, ends the current connection and joins the thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TcpPrinterSim {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Slips that are complete (cut) in what was received; None if it does
/// not decode yet (a job still arriving is decoded per connection, and a
/// connection in progress may end mid-command).
fn cut_slips(connections: &[Vec<u8>]) -> Option<Vec<DecodedSlip>> {
    let mut slips = Vec::new();
    for bytes in connections {
        match escpos::decode(bytes) {
            Ok(decoded) => slips.extend(decoded.slips.into_iter().filter(|s| s.cut.is_some())),
            Err(DecodeError::Truncated { .. }) => {}
            Err(_) => return None,
        }
    }
    Some(slips)
}

fn accept_loop(listener: TcpListener, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if let Err(e) = serve(stream, shared) {
                    tracing::debug!(%peer, "printer simulator connection ended: {e}");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
            Err(e) => {
                tracing::warn!("printer simulator accept failed: {e}");
                std::thread::sleep(TICK);
            }
        }
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TICK))?;
    let index = {
        let mut state = shared.lock();
        state.connections.push(Vec::new());
        state.connections.len() - 1
    };
    let mut bytes: Vec<u8> = Vec::new();
    let mut parsed = 0;
    let mut last_activity = Instant::now();
    let mut buf = [0u8; 16 * 1024];
    while !shared.stop.load(Ordering::SeqCst)
        && last_activity.elapsed() < IDLE_LIMIT
        && bytes.len() < MAX_BYTES_PER_CONNECTION
    {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        last_activity = Instant::now();
        bytes.extend_from_slice(&buf[..n]);
        {
            let mut state = shared.lock();
            state.connections[index].extend_from_slice(&buf[..n]);
        }
        shared.changed.notify_all();
        // Walk the complete commands, answering status queries in order.
        loop {
            match escpos::next_frame(&bytes[parsed..]) {
                Frame::Command { command, len } => {
                    parsed += len;
                    if let Command::StatusQuery(_) = command {
                        let reply = {
                            let mut state = shared.lock();
                            state.status_queries += 1;
                            state.reply.clone()
                        };
                        match reply {
                            SimReply::Status(b) => stream.write_all(&[b])?,
                            SimReply::Raw(raw) => stream.write_all(&raw)?,
                            SimReply::Silent => {}
                        }
                    }
                }
                Frame::Incomplete => break,
                // A real printer skips what it does not understand.
                Frame::Unknown(_) => parsed += 1,
            }
        }
    }
    shared.changed.notify_all();
    Ok(())
}
