//! Everything the page controllers share: the content reader, the config,
//! the printer, navigation, idle state and each page's own state.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::{Rc, Weak};

use chrono::NaiveDateTime;
use kiosk_content::{ContentReader, Hall};
use slint::ComponentHandle;

use crate::MainWindow;
use crate::background::Spawner;
use crate::config::AppConfig;
use crate::idle::IdleMachine;
use crate::images::ImageCache;
use crate::nav::Navigator;
use crate::pages;
use crate::pin::{PinGate, SecretTaps};
use crate::printing::Printer;

pub struct AppContext {
    /// The current content generation. Read-only; `kiosk-sync` writes it.
    pub content: RefCell<ContentReader>,
    pub data_dir: PathBuf,
    pub config: AppConfig,
    pub spawner: Spawner,
    pub printer: Rc<dyn Printer>,
    pub images: RefCell<ImageCache>,
    pub nav: RefCell<Navigator>,
    pub idle: RefCell<IdleMachine>,
    pub pin: RefCell<PinGate>,
    pub taps: RefCell<SecretTaps>,
    /// Bumped on every navigation: scroll panes go back to the top.
    pub visit: Cell<i32>,
    /// The time printed on slips (tests fix it).
    pub clock: Cell<Clock>,
    pub timers: Timers,
    /// Backlight, motion sensor, watchdog (none in tests and screenshots).
    pub devices: crate::hardware::Devices,
    /// The search pad's recognizer (on its own thread, or inline when the
    /// spawner is: tests and screenshots).
    pub handwriting: crate::handwriting::HandwritingWorker,
    pub search: RefCell<pages::search::SearchState>,
    pub list: RefCell<pages::list::ListState>,
    pub guide: RefCell<pages::guide::GuideState>,
    pub progress: RefCell<pages::progress::ProgressState>,
    pub map: RefCell<pages::map::MapState>,
    pub hall: RefCell<pages::hall::HallState>,
    pub catalog: RefCell<pages::catalog::CatalogState>,
    pub village: RefCell<pages::village::VillageState>,
    pub staff: RefCell<pages::staff::StaffState>,
    /// USB imports kiosk-sync reported, for the banner.
    pub imports: RefCell<crate::imports::ImportWatch>,
    /// Anonymous usage counts (`DATA_DIR/usage/`).
    pub usage: crate::usage::Usage,
}

#[derive(Default)]
pub struct Timers {
    pub idle: slint::Timer,
    pub dim: slint::Timer,
    pub refresh: slint::Timer,
    pub printer: slint::Timer,
    pub screen: slint::Timer,
    pub watchdog: slint::Timer,
    /// Polls kiosk-sync's status (USB import results).
    pub status: slint::Timer,
    /// Hides the import banner.
    pub banner: slint::Timer,
}

impl AppContext {
    pub fn new(
        content: ContentReader,
        data_dir: PathBuf,
        config: AppConfig,
        spawner: Spawner,
        printer: Rc<dyn Printer>,
    ) -> Rc<AppContext> {
        Self::with_devices(
            content,
            data_dir,
            config,
            spawner,
            printer,
            crate::hardware::Devices::default(),
        )
    }

    pub fn with_devices(
        content: ContentReader,
        data_dir: PathBuf,
        config: AppConfig,
        spawner: Spawner,
        printer: Rc<dyn Printer>,
        devices: crate::hardware::Devices,
    ) -> Rc<AppContext> {
        let lockout = std::time::Duration::from_secs(config.pin_lockout_secs);
        // systemd's StateDirectory=kiosk-app: the PIN lockout survives a
        // restart there. Without it (tests, screenshots, a developer's
        // run) the lockout is kept in memory only.
        let pin = match std::env::var_os("STATE_DIRECTORY") {
            Some(dir) => PinGate::with_state_file(
                &config.staff_pin_hash,
                config.pin_max_failures,
                lockout,
                &PathBuf::from(dir).join(crate::pin::STATE_FILE),
                std::time::Instant::now(),
            ),
            _ => PinGate::new(&config.staff_pin_hash, config.pin_max_failures, lockout),
        };
        let files = crate::handwriting::Files::new(
            &config.handwriting_model,
            &config.handwriting_templates,
        );
        let handwriting = if spawner.is_inline() {
            crate::handwriting::HandwritingWorker::inline(&files)
        } else {
            crate::handwriting::HandwritingWorker::start(&files)
        };
        Rc::new(AppContext {
            handwriting,
            content: RefCell::new(content),
            usage: crate::usage::Usage::open(&data_dir),
            data_dir,
            spawner,
            printer,
            images: RefCell::default(),
            nav: RefCell::default(),
            idle: RefCell::default(),
            pin: RefCell::new(pin),
            taps: RefCell::default(),
            visit: Cell::new(0),
            clock: Cell::new(Clock::Local),
            timers: Timers::default(),
            devices,
            search: RefCell::default(),
            list: RefCell::default(),
            guide: RefCell::default(),
            progress: RefCell::default(),
            map: RefCell::default(),
            hall: RefCell::default(),
            catalog: RefCell::default(),
            village: RefCell::default(),
            staff: RefCell::default(),
            imports: RefCell::default(),
            config,
        })
    }

    /// Local time now, as the clock says (printed on slips).
    pub fn now(&self) -> NaiveDateTime {
        self.clock.get().now()
    }

    /// The hall this kiosk stands in: the configured one, else the first.
    pub fn hall(&self) -> Option<Hall> {
        let content = self.content.borrow();
        let bundle = content.bundle();
        bundle
            .hall(&self.config.hall)
            .or_else(|| bundle.halls.first())
            .cloned()
    }
}

/// Where the app takes the time it prints from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The machine's local time.
    #[default]
    Local,
    /// Always this time (tests: a slip prints the same on every run).
    Fixed(NaiveDateTime),
}

impl Clock {
    pub fn now(self) -> NaiveDateTime {
        match self {
            Clock::Local => chrono::Local::now().naive_local(),
            Clock::Fixed(t) => t,
        }
    }
}

/// A weak handle on the window and the context, for UI callbacks and
/// timers (strong ones would keep both alive forever).
#[derive(Clone)]
pub struct Handle {
    win: slint::Weak<MainWindow>,
    ctx: Weak<AppContext>,
}

impl Handle {
    pub fn new(win: &MainWindow, ctx: &Rc<AppContext>) -> Handle {
        Handle {
            win: win.as_weak(),
            ctx: Rc::downgrade(ctx),
        }
    }

    pub fn run(&self, f: impl FnOnce(&MainWindow, &Rc<AppContext>)) {
        if let (Some(win), Some(ctx)) = (self.win.upgrade(), self.ctx.upgrade()) {
            f(&win, &ctx);
        }
    }
}
