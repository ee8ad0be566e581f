//! USB imports on screen. A timer asks kiosk-sync for its status on a worker
//! thread every `status_poll_secs`; when the last import's `finished_at`
//! changes after the app's first look, its result is shown in a banner over
//! whatever page is on screen (the attract screen too) for
//! [`BANNER_FOR`], or until tapped. A daemon that is not running keeps the
//! kiosk quiet: no banner, one log line per change of state.

use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kiosk_content::control::{self, ControlError, ControlRequest, ControlResponse, ImportRecord};
use slint::{ComponentHandle, TimerMode};

use crate::context::{AppContext, Handle};
use crate::strings as zh;
use crate::{MainWindow, Nav};

/// How long an import's result stays on screen.
pub const BANNER_FOR: Duration = Duration::from_secs(20);
/// A status answer is quick; a daemon that takes longer is reported as failing.
const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

/// How the control socket answered the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Answering,
    NotRunning,
    Failing(String),
}

/// What the app has seen of the daemon's imports.
#[derive(Debug, Default)]
pub struct ImportWatch {
    /// `None` until the daemon first answered; then the `finished_at` of the
    /// last import it reported (`Some(None)`: none yet).
    seen: Option<Option<DateTime<Utc>>>,
    link: Option<Link>,
    /// A poll is on its way (polls never pile up behind a slow daemon).
    pub in_flight: bool,
}

impl ImportWatch {
    /// Takes the daemon's last import; returns it when it is one to show:
    /// new since the app first looked (an import already there at start-up
    /// was shown, if at all, by the app that was running then).
    pub fn observe(&mut self, last: Option<&ImportRecord>) -> Option<ImportRecord> {
        let finished = last.map(|r| r.finished_at);
        let before = self.seen.replace(finished);
        match before {
            Some(prev) if prev != finished => last.cloned(),
            _ => None,
        }
    }

    /// Records how the socket answered; true when that changed (the one
    /// time to log it).
    pub fn link(&mut self, link: Link) -> bool {
        if self.link.as_ref() == Some(&link) {
            return false;
        }
        self.link = Some(link);
        true
    }
}

/// Starts polling (called once by `app::setup`).
pub fn start(win: &MainWindow, ctx: &Rc<AppContext>) {
    let h = Handle::new(win, ctx);
    ctx.timers.status.start(
        TimerMode::Repeated,
        Duration::from_secs(ctx.config.status_poll_secs),
        move || h.run(poll),
    );
    let h = Handle::new(win, ctx);
    win.global::<Nav>()
        .on_dismiss_banner(move || h.run(|win, ctx| hide_banner(win, ctx)));
}

/// Asks the daemon for its status on a worker thread.
pub fn poll(win: &MainWindow, ctx: &Rc<AppContext>) {
    if std::mem::replace(&mut ctx.imports.borrow_mut().in_flight, true) {
        return;
    }
    let socket = ctx.config.control_socket.clone();
    let h = Handle::new(win, ctx);
    ctx.spawner.spawn(
        "status",
        move || control::request(&socket, &ControlRequest::Status, STATUS_TIMEOUT),
        move |answer: Result<ControlResponse, ControlError>| {
            h.run(|win, ctx| answered(win, ctx, answer))
        },
    );
}

fn answered(win: &MainWindow, ctx: &Rc<AppContext>, answer: Result<ControlResponse, ControlError>) {
    let socket = ctx.config.control_socket.display().to_string();
    let mut watch = ctx.imports.borrow_mut();
    watch.in_flight = false;
    let status = match answer {
        Ok(resp) => {
            if watch.link(Link::Answering) {
                tracing::info!(
                    socket,
                    "sync service answering; USB import results will be shown"
                );
            }
            resp.status
        }
        Err(ControlError::NotRunning(_)) => {
            if watch.link(Link::NotRunning) {
                tracing::info!(
                    socket,
                    "sync service not running; USB import results will be shown once it runs"
                );
            }
            return;
        }
        Err(e) => {
            if watch.link(Link::Failing(e.to_string())) {
                tracing::warn!("sync service status: {e}");
            }
            return;
        }
    };
    let Some(status) = status else { return };
    let Some(record) = watch.observe(status.last_import.as_ref()) else {
        return;
    };
    drop(watch);
    tracing::info!(
        source = %record.source,
        ok = record.ok,
        generation = ?record.generation,
        "USB import finished; showing its result"
    );
    announce(win, ctx, &record);
}

/// The banner's tone: 1 ok, 2 nothing changed, 3 failed.
fn tone(r: &ImportRecord) -> i32 {
    match (r.ok, r.generation) {
        (true, Some(_)) => 1,
        (true, None) => 2,
        (false, _) => 3,
    }
}

/// Shows an import's result over the screen for [`BANNER_FOR`].
pub fn announce(win: &MainWindow, ctx: &Rc<AppContext>, r: &ImportRecord) {
    let nav = win.global::<Nav>();
    nav.set_banner_text(zh::import_result(r.ok, r.generation).into());
    nav.set_banner_tone(tone(r));
    let h = Handle::new(win, ctx);
    ctx.timers
        .banner
        .start(TimerMode::SingleShot, BANNER_FOR, move || {
            h.run(|win, ctx| hide_banner(win, ctx))
        });
}

/// Hides the banner (a tap, its time, or a scene starting afresh).
pub fn hide_banner(win: &MainWindow, ctx: &AppContext) {
    ctx.timers.banner.stop();
    win.global::<Nav>().set_banner_text("".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(minute: u32, ok: bool, generation: Option<u64>) -> ImportRecord {
        use chrono::TimeZone;
        ImportRecord {
            source: "/run/kiosk-usb/current".into(),
            finished_at: Utc
                .with_ymd_and_hms(2026, 3, 16, 9, minute, 0)
                .single()
                .expect("valid time"),
            ok,
            generation,
            message: String::new(),
        }
    }

    #[test]
    fn an_import_is_shown_only_when_it_changes_after_the_first_look() {
        let mut w = ImportWatch::default();
        let first = record(1, true, Some(3));
        assert_eq!(w.observe(Some(&first)), None, "already there at start");
        assert_eq!(w.observe(Some(&first)), None, "the same one again");
        let second = record(2, false, None);
        assert_eq!(w.observe(Some(&second)), Some(second.clone()));
        assert_eq!(w.observe(Some(&second)), None, "shown once");
    }

    #[test]
    fn the_first_import_after_none_is_shown() {
        let mut w = ImportWatch::default();
        assert_eq!(w.observe(None), None);
        let r = record(5, true, None);
        assert_eq!(w.observe(Some(&r)), Some(r));
    }

    #[test]
    fn each_change_of_link_is_reported_once() {
        let mut w = ImportWatch::default();
        assert!(w.link(Link::NotRunning));
        assert!(!w.link(Link::NotRunning));
        assert!(!w.link(Link::NotRunning));
        assert!(w.link(Link::Answering));
        assert!(w.link(Link::Failing("timed out".into())));
        assert!(!w.link(Link::Failing("timed out".into())));
        assert!(w.link(Link::NotRunning));
    }

    #[test]
    fn tones_follow_the_result() {
        assert_eq!(tone(&record(1, true, Some(2))), 1);
        assert_eq!(tone(&record(1, true, None)), 2);
        assert_eq!(tone(&record(1, false, None)), 3);
    }
}
