//! The staff panel, behind five taps on the header and a PIN: content
//! generation and date, last sync and its error, disk, printer, network;
//! sync now, import USB, revert and test print through the sync daemon's
//! control socket. Requests run on a worker thread; when the daemon is not
//! running the panel says so plainly.

use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, Utc};
use kiosk_content::StoreError;
use kiosk_content::control::{self, ControlError, ControlRequest, ControlResponse, SyncStatus};
use slint::ComponentHandle;

use super::{facts, show_page};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::pin::PinResult;
use crate::strings as zh;
use crate::text::date_zh;
use crate::{MainWindow, PageId, StaffAdapter};

const MAX_PIN: usize = 12;
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Daemon {
    #[default]
    Checking,
    Running(Box<SyncStatus>),
    NotRunning,
    Failing(String),
}

#[derive(Debug, Default)]
pub struct StaffState {
    pub pin: String,
    pub pin_message: String,
    pub daemon: Daemon,
    pub message: String,
    pub busy: bool,
    /// The last failed content refresh (the reader kept the old content).
    pub refresh_error: Option<String>,
    pub ticks: u32,
}

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let a = win.global::<StaffAdapter>();
    let h = Handle::new(win, ctx);
    let on = |f: fn(&MainWindow, &Rc<AppContext>)| {
        let h = h.clone();
        move || h.run(f)
    };
    {
        let h = h.clone();
        a.on_pin_digit(move |d| {
            h.run(|win, ctx| {
                let mut st = ctx.staff.borrow_mut();
                if st.pin.len() < MAX_PIN {
                    st.pin.extend(d.chars().filter(char::is_ascii_digit));
                }
                drop(st);
                render_pin(win, ctx);
            })
        });
    }
    a.on_pin_backspace(on(|win, ctx| {
        ctx.staff.borrow_mut().pin.pop();
        render_pin(win, ctx);
    }));
    a.on_pin_clear(on(|win, ctx| {
        ctx.staff.borrow_mut().pin.clear();
        render_pin(win, ctx);
    }));
    a.on_pin_submit(on(submit_pin));
    a.on_sync_now(on(|win, ctx| send(win, ctx, ControlRequest::SyncNow)));
    a.on_import_usb(on(|win, ctx| {
        let dir = ctx.config.usb_import_dir.clone();
        if !dir.is_dir() {
            ctx.staff.borrow_mut().message = zh::usb_missing(&dir.display().to_string());
            render(win, ctx);
            return;
        }
        send(
            win,
            ctx,
            ControlRequest::Import {
                path: dir.display().to_string(),
            },
        )
    }));
    a.on_revert(on(|win, ctx| send(win, ctx, ControlRequest::Revert)));
    a.on_test_print(on(|win, ctx| {
        let (county, hall) = {
            let content = ctx.content.borrow();
            (
                content.bundle().county.clone(),
                ctx.hall().map(|h| h.name).unwrap_or_default(),
            )
        };
        let msg = match ctx.printer.test_page(&county, &hall, ctx.now()) {
            Ok(_) => zh::printer_test_sent().to_string(),
            Err(m) => m,
        };
        ctx.staff.borrow_mut().message = msg;
        render(win, ctx);
    }));
    a.on_refresh(on(|win, ctx| send(win, ctx, ControlRequest::Status)));
    a.on_leave(on(|win, ctx| {
        clear(win, ctx);
        app::go(win, ctx, Route::Home)
    }));
}

fn render_pin(win: &MainWindow, ctx: &AppContext) {
    let a = win.global::<StaffAdapter>();
    let st = ctx.staff.borrow();
    let locked = ctx.pin.borrow().locked_for(Instant::now());
    a.set_pin_length(st.pin.len() as i32);
    a.set_locked(locked.is_some());
    let msg = match locked {
        Some(d) => zh::pin_locked(d.as_secs().div_ceil(60)),
        None if !ctx.pin.borrow().is_configured() => zh::PIN_NOT_SET.to_string(),
        None if st.pin_message.is_empty() => String::new(),
        None => st.pin_message.clone(),
    };
    a.set_pin_message(msg.into());
}

fn submit_pin(win: &MainWindow, ctx: &Rc<AppContext>) {
    let pin = std::mem::take(&mut ctx.staff.borrow_mut().pin);
    let result = ctx.pin.borrow_mut().check(&pin, Instant::now());
    match result {
        PinResult::Accepted => {
            ctx.staff.borrow_mut().pin_message.clear();
            ctx.nav.borrow_mut().replace(Route::Staff);
            app::show_current(win, ctx);
        }
        PinResult::Wrong { tries_left } => {
            ctx.staff.borrow_mut().pin_message = zh::pin_wrong(tries_left)
        }
        PinResult::LockedOut { remaining } => {
            ctx.staff.borrow_mut().pin_message = zh::pin_locked(remaining.as_secs().div_ceil(60))
        }
        PinResult::NotConfigured => ctx.staff.borrow_mut().pin_message = zh::PIN_NOT_SET.into(),
    }
    render_pin(win, ctx);
}

pub fn show_pin(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render_pin(win, ctx);
    show_page(win, PageId::StaffPin, zh::TITLE_STAFF);
    Ok(())
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    render(win, ctx);
    show_page(win, PageId::Staff, zh::TITLE_STAFF);
    send(win, ctx, ControlRequest::Status);
    Ok(())
}

/// Called by the content timer while the panel is open: keeps it current.
pub fn tick(win: &MainWindow, ctx: &Rc<AppContext>) {
    let due = {
        let mut st = ctx.staff.borrow_mut();
        st.ticks += 1;
        st.ticks.is_multiple_of(3) && !st.busy
    };
    if due {
        send(win, ctx, ControlRequest::Status);
    } else {
        render(win, ctx);
    }
}

/// Sends a request to the daemon on a worker thread.
fn send(win: &MainWindow, ctx: &Rc<AppContext>, req: ControlRequest) {
    let is_status = req == ControlRequest::Status;
    if !is_status {
        let mut st = ctx.staff.borrow_mut();
        if st.busy {
            return;
        }
        st.busy = true;
        tracing::info!(?req, "staff action");
    }
    render(win, ctx);
    let socket = ctx.config.control_socket.clone();
    let h = Handle::new(win, ctx);
    ctx.spawner.spawn(
        "control",
        move || {
            let answer = control::request(&socket, &req, CONTROL_TIMEOUT);
            // After an action, fetch the status it left behind.
            let status = match &answer {
                Ok(r) if r.status.is_none() && req != ControlRequest::Status => {
                    control::request(&socket, &ControlRequest::Status, CONTROL_TIMEOUT).ok()
                }
                _ => None,
            };
            (answer, status)
        },
        move |(answer, status): (
            Result<ControlResponse, ControlError>,
            Option<ControlResponse>,
        )| {
            h.run(|win, ctx| {
                {
                    let mut st = ctx.staff.borrow_mut();
                    if !is_status {
                        st.busy = false;
                    }
                    match answer {
                        Ok(resp) => {
                            if !is_status {
                                st.message = resp.message.clone();
                            }
                            let status = resp.status.or(status.and_then(|s| s.status));
                            match status {
                                Some(s) => st.daemon = Daemon::Running(Box::new(s)),
                                None if !matches!(st.daemon, Daemon::Running(_)) => {
                                    st.daemon = Daemon::Running(Box::default())
                                }
                                None => {}
                            }
                        }
                        Err(ControlError::NotRunning(_)) => {
                            st.daemon = Daemon::NotRunning;
                            if !is_status {
                                st.message = zh::DAEMON_NOT_RUNNING.into();
                            }
                        }
                        Err(e) => {
                            tracing::warn!("control socket: {e}");
                            st.daemon = Daemon::Failing(e.to_string());
                            if !is_status {
                                st.message = zh::daemon_error(&e.to_string());
                            }
                        }
                    }
                }
                render(win, ctx);
            })
        },
    );
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn bytes(n: u64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MB: f64 = 1024.0 * 1024.0;
    if n as f64 >= GB {
        format!("{:.1} GB", n as f64 / GB)
    } else {
        format!("{:.1} MB", n as f64 / MB)
    }
}

/// Free space where the content lives.
pub fn disk_free(dir: &Path) -> Option<u64> {
    rustix::fs::statvfs(dir)
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
}

/// Network interfaces and whether each has a link (from /sys/class/net).
pub fn network_summary() -> String {
    let Ok(entries) = std::fs::read_dir("/sys/class/net") else {
        return zh::staff::UNKNOWN.into();
    };
    let mut parts: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "lo" {
                return None;
            }
            let state = std::fs::read_to_string(e.path().join("operstate")).unwrap_or_default();
            Some(format!(
                "{name} {}",
                if state.trim() == "up" {
                    zh::staff::LINK_UP
                } else {
                    zh::staff::LINK_DOWN
                }
            ))
        })
        .collect();
    parts.sort();
    if parts.is_empty() {
        zh::staff::NO_INTERFACES.into()
    } else {
        parts.join("；")
    }
}

fn render(win: &MainWindow, ctx: &AppContext) {
    let a = win.global::<StaffAdapter>();
    let st = ctx.staff.borrow();
    let content = ctx.content.borrow();
    let g = content.generation();
    let bundle = content.bundle();
    a.set_content_facts(facts(vec![
        (zh::staff::BUNDLE_VERSION, g.bundle_version.to_string()),
        (zh::staff::GENERATION, g.generation.to_string()),
        (zh::staff::PUBLISHED_AT, when(g.published_at)),
        (zh::staff::APPLIED_AT, when(Some(g.applied_at))),
        (zh::staff::ITEMS, g.item_count.to_string()),
        (zh::staff::CHANNEL, g.channel.clone()),
        (
            zh::staff::PROGRESS_AS_OF,
            bundle
                .progress_as_of
                .map(|d| zh::staff::as_of(&date_zh(d)))
                .unwrap_or_default(),
        ),
        (zh::staff::STORE_FILE, bytes(content.file_size())),
        (
            zh::staff::REFRESH_ERROR,
            st.refresh_error.clone().unwrap_or_default(),
        ),
    ]));
    let (running, state, sync) = match &st.daemon {
        Daemon::Checking => (true, zh::DAEMON_CHECKING.to_string(), Vec::new()),
        Daemon::NotRunning => (
            false,
            zh::daemon_not_running(&ctx.config.control_socket.display().to_string()),
            vec![(zh::SYNC_STATE, zh::DAEMON_NOT_RUNNING.to_string())],
        ),
        Daemon::Failing(e) => (
            false,
            zh::daemon_error(e),
            vec![(zh::SYNC_STATE, zh::daemon_error(e))],
        ),
        Daemon::Running(s) => (
            true,
            if s.busy {
                format!("{}（{}）", zh::DAEMON_RUNNING, zh::staff::SYNCING)
            } else {
                zh::DAEMON_RUNNING.to_string()
            },
            vec![
                (zh::staff::LAST_ATTEMPT, when(s.last_attempt)),
                (zh::staff::LAST_SUCCESS, when(s.last_success)),
                (
                    zh::staff::LAST_ERROR,
                    s.last_error
                        .clone()
                        .unwrap_or_else(|| zh::staff::NONE.into()),
                ),
                (zh::staff::NEXT_ATTEMPT, when(s.next_attempt)),
                (
                    zh::staff::REPOSITORY,
                    s.repository_url.clone().unwrap_or_default(),
                ),
                (
                    zh::staff::LAST_IMPORT,
                    s.last_import
                        .as_ref()
                        .map(|r| {
                            zh::import_summary(
                                &when(Some(r.finished_at)),
                                r.ok,
                                r.generation,
                                &r.message,
                            )
                        })
                        .unwrap_or_else(|| zh::staff::NONE.into()),
                ),
                (
                    zh::staff::REVERT_TO,
                    s.previous_generation
                        .map(zh::staff::generation_no)
                        .unwrap_or_else(|| zh::staff::NONE.into()),
                ),
            ],
        ),
    };
    a.set_daemon_running(running);
    a.set_daemon_state(state.into());
    a.set_sync_facts(facts(sync));
    let disk = match &st.daemon {
        Daemon::Running(s) if s.disk_free_bytes.is_some() => s.disk_free_bytes,
        _ => disk_free(&ctx.data_dir),
    };
    let printer = ctx.printer.view();
    a.set_device_facts(facts(vec![
        (
            zh::staff::DISK_FREE,
            disk.map(bytes).unwrap_or_else(|| zh::staff::UNKNOWN.into()),
        ),
        (
            zh::staff::PRINTER,
            format!("{}（{}）", printer.staff_detail, ctx.printer.describe()),
        ),
        (zh::staff::NETWORK, network_summary()),
        (
            zh::staff::APP_VERSION,
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ]));
    a.set_action_message(st.message.as_str().into());
    a.set_busy(st.busy);
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    let mut st = ctx.staff.borrow_mut();
    st.pin.clear();
    st.pin_message.clear();
    st.message.clear();
    let a = win.global::<StaffAdapter>();
    a.set_pin_length(0);
    a.set_confirm_revert(false);
    a.set_action_message("".into());
}
