//! The staff panel, behind five taps on the header and a PIN: content
//! generation and date, last sync and its error, disk, printer, network;
//! sync now, import USB, revert and test print through the sync daemon's
//! control socket. Requests run on a worker thread; when the daemon is not
//! running the panel says so plainly.
//!
//! Every row's first line says what it means for the hall in plain Chinese
//! (a full disk and how much space is needed, a hall notice set aside, a
//! wrong clock, a slow network); socket paths, commands, interface names,
//! URLs and the daemon's English messages are behind the 详细信息 toggle.

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
    a.on_toggle_details(on(|win, ctx| {
        let a = win.global::<StaffAdapter>();
        a.set_show_details(!a.get_show_details());
        render(win, ctx);
    }));
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

/// Plain words for staff. (Kept here rather than in `strings`, which other
/// pages share: these only make sense on this panel.)
pub mod words {
    pub const STATE_NOT_RUNNING: &str =
        "同步服务未运行：内容照常显示，但不会自动更新。请联系运维人员（详细信息里有处理办法）。";
    pub const STATE_FAILING: &str = "同步服务没有应答：内容照常显示，但暂时不能更新。请稍后点“刷新状态”，仍不行请联系运维人员。";
    pub const LAST_RESULT: &str = "上次更新";
    pub const RESULT_OK: &str = "成功";
    pub const DISK: &str = "存储空间";
    pub const CLOCK: &str = "本机时钟";
    pub const SET_ASIDE: &str = "本馆公告";
    pub const DETAILS: &str = "详细信息";
    pub const SOCKET: &str = "控制接口";
    pub const START_COMMAND: &str = "启动命令";
    pub const START_HINT: &str = "systemctl start kiosk-sync（运维人员在本机执行）";
    pub const RAW_ERROR: &str = "上次错误原文";
    pub const RAW_IMPORT: &str = "上次导入原文";
    pub const RAW_CLOCK: &str = "时钟说明原文";
    pub const RAW_SET_ASIDE: &str = "暂不显示的条目";
    pub const INTERFACES: &str = "网络接口";
    pub const PRINTER_PORT: &str = "打印机接口";
    pub const HANDWRITING: &str = "手写输入";
    pub const HANDWRITING_RAW: &str = "手写识别说明";
    pub const CHANNEL_RAW: &str = "来源原文";
    pub const FROM_SERVER: &str = "县级内容服务器";
    pub const FROM_USB: &str = "U盘导入";
    pub const FROM_DEMO: &str = "演示内容（未接入县级内容）";
    pub const NET_UP: &str = "已连接";
    pub const NET_DOWN: &str = "未连接：内容照常显示，但不能从网络更新，可用U盘导入";
    pub const CLOCK_WRONG: &str = "时间不准：内容照常显示，请运维人员校准时间（详细信息里有说明）";
    pub const VISITS_TODAY: &str = "今日使用";
    pub const VISITS_WEEK: &str = "本周使用";
    pub const TOP_ITEMS: &str = "本周常看";
    pub const NO_RESULT: &str = "搜不到的词";
    pub const NONE_YET: &str = "暂无";
    pub const NO_RESULT_NONE: &str =
        "暂无（同一个词在3天以上都没搜到才列出，不记录电话、证件号等数字）";
    pub const USAGE_OFF: &str = "统计不可用：本机不能写入统计文件（详细信息里有原因）";
    pub const USAGE_RAW: &str = "统计文件";

    pub fn visits(n: u64) -> String {
        format!("{n} 人次")
    }
    pub fn item_views(title: &str, n: u64) -> String {
        format!("{title}（{n}次）")
    }
    pub fn no_result(query: &str, days: u32, times: u64) -> String {
        format!("“{query}”（{days}天，{times}次）")
    }

    pub fn disk_full(needed: &str) -> String {
        format!("已满：本次更新还需约 {needed}，当前内容不受影响。请清理空间或换用更大的存储卡")
    }

    pub fn set_aside(n: usize) -> String {
        format!(
            "有 {n} 条与县级内容编号相同，暂不显示，县级内容照常显示。请本馆发布人员改用其他编号后重新发布"
        )
    }

    pub const ERR_NETWORK: &str =
        "网络太慢或中断，本次更新已停止，当前内容不受影响；下次会自动接着下载";
    pub const ERR_DISK: &str = "存储空间不足，本次更新未进行，当前内容不受影响（见“存储空间”）";
    pub const ERR_EXPIRED: &str =
        "收到的内容签名已过期，未更新；当前内容照常显示。请县级发布单位重新签名发布";
    pub const ERR_OLDER: &str = "U盘或服务器上的内容比本机旧，未更新";
    pub const ERR_ADDRESS: &str =
        "内容源地址有误（找不到内容或被转到别处），未更新。请运维人员检查内容源地址";
    pub const ERR_SIGNATURE: &str =
        "收到的内容未通过签名校验，已拒绝，当前内容不受影响。请联系县级发布单位";
    pub const ERR_STICK: &str =
        "U盘里的内容不完整或有异常文件，已拒绝，当前内容不受影响。请用县里发布的内容重新拷贝U盘";
    pub const ERR_OTHER: &str = "更新失败，当前内容不受影响。原因见“详细信息”";
}

/// What a failed update means for the hall, from the daemon's message.
pub fn plain_error(e: &str, disk_needed: Option<u64>) -> &'static str {
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    if disk_needed.is_some() || has(&["disk is full", "No space left"]) {
        words::ERR_DISK
    } else if has(&[
        "not a regular file",
        "symbolic link",
        "leads out of the stick",
        "not a kiosk repository",
    ]) {
        words::ERR_STICK
    } else if has(&["expired"]) {
        words::ERR_EXPIRED
    } else if has(&["rollback", "never goes backwards", "older than"]) {
        words::ERR_OLDER
    } else if has(&["redirects", "not found (HTTP"]) {
        words::ERR_ADDRESS
    } else if has(&["signature", "hash", "does not match"]) {
        words::ERR_SIGNATURE
    } else if has(&[
        "too slow",
        "ran out of its time",
        "connection",
        "check the network",
        "error sending request",
        "server answered HTTP",
        "timed out",
    ]) {
        words::ERR_NETWORK
    } else {
        words::ERR_OTHER
    }
}

/// Where the content came from, in words.
fn channel_words(channel: &str) -> &'static str {
    if channel.starts_with("usb:") {
        words::FROM_USB
    } else if channel.starts_with("http") {
        words::FROM_SERVER
    } else {
        words::FROM_DEMO
    }
}

/// "48.2 MB" for space to free (decimal, as the daemon's message says it).
fn size_words(n: u64) -> String {
    if n < 1_000_000 {
        format!("{} KB", n.div_ceil(1000))
    } else {
        format!("{:.1} MB", n as f64 / 1e6)
    }
}

/// Whether any network interface (not loopback) has a link.
fn network_up() -> Option<bool> {
    let entries = std::fs::read_dir("/sys/class/net").ok()?;
    let mut any = None;
    for e in entries.flatten() {
        if e.file_name() == "lo" {
            continue;
        }
        let state = std::fs::read_to_string(e.path().join("operstate")).unwrap_or_default();
        any = Some(any.unwrap_or(false) || state.trim() == "up");
    }
    any
}

fn render(win: &MainWindow, ctx: &AppContext) {
    let a = win.global::<StaffAdapter>();
    let st = ctx.staff.borrow();
    let content = ctx.content.borrow();
    let g = content.generation();
    let bundle = content.bundle();
    a.set_content_facts(facts(vec![
        (zh::staff::BUNDLE_VERSION, g.bundle_version.to_string()),
        (zh::staff::PUBLISHED_AT, when(g.published_at)),
        (zh::staff::APPLIED_AT, when(Some(g.applied_at))),
        (zh::staff::ITEMS, g.item_count.to_string()),
        (zh::staff::CHANNEL, channel_words(&g.channel).to_string()),
        (
            zh::staff::PROGRESS_AS_OF,
            bundle
                .progress_as_of
                .map(|d| zh::staff::as_of(&date_zh(d)))
                .unwrap_or_default(),
        ),
        (
            zh::staff::REFRESH_ERROR,
            st.refresh_error
                .as_ref()
                .map(|_| zh::CONTENT_ERROR.to_string())
                .unwrap_or_default(),
        ),
    ]));
    let socket = ctx.config.control_socket.display().to_string();
    let mut details: Vec<(&str, String)> = vec![
        (zh::staff::GENERATION, g.generation.to_string()),
        (words::CHANNEL_RAW, g.channel.clone()),
        (zh::staff::STORE_FILE, bytes(content.file_size())),
        (
            zh::staff::REFRESH_ERROR,
            st.refresh_error.clone().unwrap_or_default(),
        ),
        (words::SOCKET, socket.clone()),
    ];
    let (running, state, sync) = match &st.daemon {
        Daemon::Checking => (true, zh::DAEMON_CHECKING.to_string(), Vec::new()),
        Daemon::NotRunning => {
            details.push((words::START_COMMAND, words::START_HINT.to_string()));
            details.push((words::RAW_ERROR, zh::daemon_not_running(&socket)));
            (
                false,
                words::STATE_NOT_RUNNING.to_string(),
                vec![(zh::SYNC_STATE, zh::DAEMON_NOT_RUNNING.to_string())],
            )
        }
        Daemon::Failing(e) => {
            details.push((words::RAW_ERROR, zh::daemon_error(e)));
            (
                false,
                words::STATE_FAILING.to_string(),
                vec![(zh::SYNC_STATE, words::STATE_FAILING.to_string())],
            )
        }
        Daemon::Running(s) => {
            details.push((
                zh::staff::REPOSITORY,
                s.repository_url.clone().unwrap_or_default(),
            ));
            details.push((words::RAW_ERROR, s.last_error.clone().unwrap_or_default()));
            details.push((
                words::RAW_IMPORT,
                s.last_import
                    .as_ref()
                    .map(|r| r.message.clone())
                    .unwrap_or_default(),
            ));
            details.push((
                words::RAW_CLOCK,
                s.clock_problem.clone().unwrap_or_default(),
            ));
            details.push((words::RAW_SET_ASIDE, s.set_aside.join("\n")));
            let import = s.last_import.as_ref().map(|r| {
                let plain = if r.ok {
                    r.message.clone()
                } else {
                    plain_error(&r.message, None).to_string()
                };
                zh::import_summary(&when(Some(r.finished_at)), r.ok, r.generation, &plain)
            });
            (
                true,
                if s.busy {
                    format!("{}（{}）", zh::DAEMON_RUNNING, zh::staff::SYNCING)
                } else {
                    zh::DAEMON_RUNNING.to_string()
                },
                vec![
                    (
                        words::LAST_RESULT,
                        s.last_error.as_deref().map_or_else(
                            || words::RESULT_OK.to_string(),
                            |e| plain_error(e, s.disk_needed_bytes).to_string(),
                        ),
                    ),
                    (
                        words::DISK,
                        s.disk_needed_bytes
                            .map(|n| words::disk_full(&size_words(n)))
                            .unwrap_or_default(),
                    ),
                    (
                        words::CLOCK,
                        s.clock_problem
                            .as_ref()
                            .map(|_| words::CLOCK_WRONG.to_string())
                            .unwrap_or_default(),
                    ),
                    (
                        words::SET_ASIDE,
                        if s.set_aside.is_empty() {
                            String::new()
                        } else {
                            words::set_aside(s.set_aside.len())
                        },
                    ),
                    (zh::staff::LAST_SUCCESS, when(s.last_success)),
                    (zh::staff::LAST_ATTEMPT, when(s.last_attempt)),
                    (zh::staff::NEXT_ATTEMPT, when(s.next_attempt)),
                    (
                        zh::staff::LAST_IMPORT,
                        import.unwrap_or_else(|| zh::staff::NONE.into()),
                    ),
                    (
                        zh::staff::REVERT_TO,
                        s.previous_generation
                            .map(zh::staff::generation_no)
                            .unwrap_or_else(|| zh::staff::NONE.into()),
                    ),
                ],
            )
        }
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
        (zh::staff::PRINTER, printer.staff_detail.clone()),
        (
            zh::staff::NETWORK,
            match network_up() {
                Some(true) => words::NET_UP.to_string(),
                Some(false) => words::NET_DOWN.to_string(),
                None => zh::staff::UNKNOWN.to_string(),
            },
        ),
        (words::HANDWRITING, {
            // "可用", or "不可用：…, 群众只能用拼音和数字键盘".
            let plain = &ctx.handwriting.availability().plain;
            plain
                .strip_prefix(words::HANDWRITING)
                .unwrap_or(plain)
                .to_string()
        }),
    ]));
    details.push((words::PRINTER_PORT, ctx.printer.describe()));
    details.push((words::INTERFACES, network_summary()));
    details.push((
        words::HANDWRITING_RAW,
        ctx.handwriting.availability().technical.clone(),
    ));
    details.push((
        zh::staff::APP_VERSION,
        env!("CARGO_PKG_VERSION").to_string(),
    ));
    let (usage, usage_detail) = usage_facts(ctx);
    a.set_usage_facts(facts(usage));
    details.push((words::USAGE_RAW, usage_detail));
    a.set_detail_facts(facts(details));
    a.set_action_message(st.message.as_str().into());
    a.set_busy(st.busy);
}

/// The hall's own figures (anonymous counts): visits today and this
/// week (from Monday), the most viewed items of the last 7 days, and the
/// searches with no result the kiosk reports (seen on 3 or more days).
/// Also the counts file's path or why counting is off, for the details.
fn usage_facts(ctx: &AppContext) -> (Vec<(&'static str, String)>, String) {
    use kiosk_content::usage::counter;
    crate::usage::flush(ctx);
    let path = ctx.usage.dir().join(crate::usage::DB_FILE);
    if !ctx.usage.is_on() {
        return (
            vec![(words::VISITS_TODAY, words::USAGE_OFF.into())],
            format!("{}: not open (see the app's log)", path.display()),
        );
    }
    let f = match ctx.usage.figures() {
        Ok(f) => f,
        Err(e) => {
            return (
                vec![(words::VISITS_TODAY, words::USAGE_OFF.into())],
                e.to_string(),
            );
        }
    };
    let today = ctx.usage.today();
    let monday = today
        - chrono::Duration::days(i64::from(
            chrono::Datelike::weekday(&today).num_days_from_monday(),
        ));
    let content = ctx.content.borrow();
    let top: Vec<String> = f
        .top_items_7d
        .iter()
        .take(5)
        .map(|i| {
            let title = content
                .item(&i.id)
                .ok()
                .flatten()
                .map(|item| item.meta().title.clone())
                .unwrap_or_else(|| i.id.clone());
            words::item_views(&title, i.views)
        })
        .collect();
    let queries: Vec<String> = f
        .no_result_queries
        .iter()
        .take(5)
        .map(|q| words::no_result(&q.query, q.days, q.times))
        .collect();
    (
        vec![
            (
                words::VISITS_TODAY,
                words::visits(f.sum(counter::VISIT, today, today)),
            ),
            (
                words::VISITS_WEEK,
                words::visits(f.sum(counter::VISIT, monday, today)),
            ),
            (
                words::TOP_ITEMS,
                if top.is_empty() {
                    words::NONE_YET.into()
                } else {
                    top.join("\n")
                },
            ),
            (
                words::NO_RESULT,
                if queries.is_empty() {
                    words::NO_RESULT_NONE.into()
                } else {
                    queries.join("\n")
                },
            ),
        ],
        path.display().to_string(),
    )
}

/// A status with every problem the panel explains (a full disk, a hall
/// notice set aside, a clock behind, a slow network): the `staff-problems`
/// screenshot scene.
pub fn demo_problem_status() -> SyncStatus {
    let now = Utc::now();
    SyncStatus {
        generation: Some(3),
        bundle_version: Some(12),
        last_attempt: Some(now),
        last_success: Some(now - chrono::Duration::days(2)),
        last_error: Some(
            "/var/lib/kiosk: the disk is full — this update needs about 48213504 bytes more than the 1048576 bytes free (48.2 MB); nothing was changed, the current content stays — free space on the kiosk (or use a larger card)".into(),
        ),
        next_attempt: Some(now + chrono::Duration::minutes(15)),
        repository_url: Some("https://zwgk.shifanxian.example/kiosk-repo/".into()),
        previous_generation: Some(2),
        disk_free_bytes: Some(1024 * 1024),
        disk_needed_bytes: Some(48_213_504),
        set_aside: vec![
            "hall chengguan's item \"tingdian-tongzhi\" (halls/chengguan/notices/tingdian-tongzhi.json) was set aside: items/notice/tingdian-tongzhi.json already has that id and is shown instead; ask hall chengguan to give its item another id and publish again".into(),
        ],
        clock_problem: Some(
            "the kiosk's clock says 1970-01-01, but it has already seen content signed on 2026-11-30: the clock is behind; set it (or check its time sync). Content stays on screen; updates judge expiry by the later date".into(),
        ),
        ..SyncStatus::default()
    }
}

/// The panel showing `status` as if the daemon had answered it, details
/// open or not (screenshot scenes).
pub fn show_status(win: &MainWindow, ctx: &Rc<AppContext>, status: SyncStatus, details: bool) {
    ctx.staff.borrow_mut().daemon = Daemon::Running(Box::new(status));
    win.global::<StaffAdapter>().set_show_details(details);
    render(win, ctx);
    show_page(win, PageId::Staff, zh::TITLE_STAFF);
}

pub fn clear(win: &MainWindow, ctx: &AppContext) {
    let mut st = ctx.staff.borrow_mut();
    st.pin.clear();
    st.pin_message.clear();
    st.message.clear();
    let a = win.global::<StaffAdapter>();
    a.set_pin_length(0);
    a.set_confirm_revert(false);
    a.set_show_details(false);
    a.set_action_message("".into());
}
