//! `kiosk-app`: runs the kiosk UI, renders pages headless, makes PIN hashes.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use kiosk_app::background::Spawner;
use kiosk_app::config::AppConfig;
use kiosk_app::hardware;
use kiosk_app::printing::{Printer, RecordingPrinter};
use kiosk_app::screenshot::Shot;
use kiosk_app::{AppContext, app, scenes, screenshot};
use kiosk_content::ContentReader;
use slint::ComponentHandle;

/// Touch UI of the government-disclosure kiosk (政务公开体验区一体机).
///
/// Without a subcommand it opens the kiosk window: on a desktop through
/// winit (X11), on a Pi through Linux KMS (set SLINT_BACKEND=linuxkms).
/// Content is read from a store written by kiosk-sync (--data-dir), or from
/// the built-in demo county (--demo).
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    #[command(flatten)]
    source: Source,
    /// Desktop window size, e.g. 1080x1920 or 1920x1080 (default 576x1024,
    /// which fits a 1080p monitor). On the kiosk the window fills the screen.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    window: Option<(u32, u32)>,
    /// Start in big-text mode (as `big_text = true` in the config).
    #[arg(long)]
    big_text: bool,
    /// Start in high-contrast mode (as `high_contrast = true` in the config).
    #[arg(long)]
    high_contrast: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct Source {
    /// Show the built-in demo county (示范县), built into a temporary store.
    #[arg(long, global = true, conflicts_with = "data_dir")]
    demo: bool,
    /// The kiosk's data directory (the one kiosk-sync writes, holding content/).
    #[arg(long, global = true, value_name = "DIR", env = "KIOSK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file (TOML): hall, village, idle timeout, control socket,
    /// staff PIN hash, printer... With --demo and no --config, the demo
    /// configuration is used (staff PIN 246810).
    #[arg(long, global = true, value_name = "FILE", env = "KIOSK_APP_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Render pages to PNG without a display (software renderer).
    Screenshot(ShotArgs),
    /// Read a staff PIN from stdin and print its argon2 hash for the config
    /// (`staff_pin_hash`).
    HashPin,
    /// Recognize one handwritten character from a strokes file (JSON) and
    /// print up to 10 candidates, best first, one per line.
    Handwriting(kiosk_app::handwriting::HandwritingArgs),
    /// Print what the kiosk's search page shows for QUERY, in display order:
    /// one line per result (kind, item id, title), or a JSON array with
    /// --json. For content officers checking synonyms.csv. With no exact
    /// match, a note with the enquiry phone goes to stderr.
    Search(SearchArgs),
}

#[derive(Args)]
struct SearchArgs {
    /// Print a JSON array of {"kind", "id", "title"} objects.
    #[arg(long)]
    json: bool,
    /// What a resident would type or write, e.g. 高龄补贴怎么领.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
}

#[derive(Args)]
struct ShotArgs {
    /// Page to render (see --list), e.g. home, search, guide, progress-result.
    #[arg(long, required_unless_present_any = ["all", "list"])]
    page: Option<String>,
    /// Item id for detail pages (policy, guide, interpretation, ...).
    #[arg(long)]
    id: Option<String>,
    /// Output PNG file.
    #[arg(long, required_unless_present_any = ["all", "list"])]
    out: Option<PathBuf>,
    /// Window size in pixels.
    #[arg(long, default_value = "1080x1920", value_parser = parse_size)]
    size: (u32, u32),
    /// Big-text mode.
    #[arg(long)]
    big_text: bool,
    /// High-contrast mode.
    #[arg(long)]
    high_contrast: bool,
    /// Render every page at 1080x1920, plus home and a guide at 1920x1080,
    /// 1280x800, in big-text and in high-contrast mode, into --out-dir.
    #[arg(long, requires = "out_dir")]
    all: bool,
    /// Folder for --all.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// List the page names.
    #[arg(long)]
    list: bool,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("`{s}`: write the size as WIDTHxHEIGHT, e.g. 1080x1920"))?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: width is not a number"))?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: height is not a number"))?;
    if !(200..=8000).contains(&w) || !(200..=8000).contains(&h) {
        return Err(format!(
            "`{s}`: each side must be between 200 and 8000 pixels"
        ));
    }
    Ok((w, h))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match &cli.command {
        None => run(&cli.source, cli.window, cli.big_text, cli.high_contrast),
        Some(Command::Screenshot(args)) => shoot(&cli.source, args),
        Some(Command::HashPin) => hash_pin(),
        Some(Command::Handwriting(args)) => load_config(&cli.source).and_then(|config| {
            kiosk_app::handwriting::cli(args, &config, &mut std::io::stdout().lock())
        }),
        Some(Command::Search(args)) => search(&cli.source, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-app: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn search(source: &Source, args: &SearchArgs) -> Result<()> {
    let config = load_config(source)?;
    let (reader, _, _demo_dir) = open_content(source)?;
    let hall = Some(config.hall.as_str()).filter(|h| !h.is_empty());
    kiosk_app::search_cli::run(
        &reader,
        hall,
        &args.query.join(" "),
        args.json,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

fn load_config(source: &Source) -> Result<AppConfig> {
    Ok(match &source.config {
        Some(path) => AppConfig::load(path)?,
        None if source.demo => AppConfig::demo(),
        None => AppConfig::default(),
    })
}

/// The content to show: the demo in a temporary store, or a data directory.
fn open_content(source: &Source) -> Result<(ContentReader, PathBuf, Option<tempfile::TempDir>)> {
    if source.demo {
        let dir = tempfile::Builder::new()
            .prefix("kiosk-demo-")
            .tempdir()
            .context("creating a temporary folder for the demo store")?;
        let reader =
            kiosk_content::demo::open_demo(dir.path()).context("building the demo content")?;
        return Ok((reader, dir.path().to_path_buf(), Some(dir)));
    }
    let Some(dir) = &source.data_dir else {
        bail!(
            "say where the content is: --data-dir DIR (the folder kiosk-sync writes), or --demo for the demo county"
        );
    };
    if !dir.is_dir() {
        bail!(
            "data directory {} does not exist; give the folder kiosk-sync writes (it holds content/), or use --demo",
            dir.display()
        );
    }
    let reader = ContentReader::open(dir)
        .with_context(|| format!("opening the content store in {}", dir.display()))?;
    Ok((reader, dir.clone(), None))
}

fn run(
    source: &Source,
    window: Option<(u32, u32)>,
    big_text: bool,
    high_contrast: bool,
) -> Result<()> {
    let mut config = load_config(source)?;
    config.big_text |= big_text;
    config.high_contrast |= high_contrast;
    // Without content the kiosk still starts: it says so on screen and
    // waits for kiosk-sync to apply some (a village station's first boot).
    let opened = open_content(source);
    let (reader, data_dir, _demo_dir) = match opened {
        Ok(x) => x,
        Err(e) if source.data_dir.as_deref().is_some_and(Path::is_dir) => {
            let dir = source.data_dir.clone().unwrap_or_default();
            tracing::error!("{e:#}");
            return wait_for_content(&dir, config, &format!("{e:#}"));
        }
        Err(e) => return Err(e),
    };
    start(reader, data_dir, config, window)
}

fn start(
    reader: ContentReader,
    data_dir: PathBuf,
    config: AppConfig,
    window: Option<(u32, u32)>,
) -> Result<()> {
    let ctx = kiosk_context(reader, data_dir, config);
    let win = app::build(&ctx)
        .context("creating the window (is there a display? on a Pi set SLINT_BACKEND=linuxkms)")?;
    if let Some((w, h)) = window {
        win.window()
            .set_size(slint::LogicalSize::new(w as f32, h as f32));
    }
    app::notify_ready_after_first_frame(&win, &ctx);
    win.run().context("running the UI")?;
    kiosk_app::usage::flush(&ctx);
    drop(win);
    Ok(())
}

/// Shows "no content yet" and polls the store until content appears.
/// The kiosk's context with its real devices: the configured printer,
/// backlight, motion sensor and systemd watchdog.
fn kiosk_context(reader: ContentReader, data_dir: PathBuf, config: AppConfig) -> Rc<AppContext> {
    let printer = hardware::open_printer(&config);
    let devices = hardware::Devices::open(&config);
    AppContext::with_devices(
        reader,
        data_dir,
        config,
        Spawner::threads(),
        printer,
        devices,
    )
}

fn wait_for_content(dir: &Path, config: AppConfig, reason: &str) -> Result<()> {
    use kiosk_app::{AttractAdapter, Nav};
    let win = kiosk_app::MainWindow::new().context("creating the window")?;
    let nav = win.global::<Nav>();
    nav.set_site_title(kiosk_app::strings::NO_CONTENT.into());
    nav.set_hall_name(kiosk_app::strings::NO_CONTENT_HINT.into());
    // The reason in a notice band with no notice behind it (no id): shown,
    // not tappable.
    win.global::<AttractAdapter>()
        .set_notices(slint::ModelRc::new(slint::VecModel::from(vec![
            kiosk_app::Row {
                title: reason.into(),
                ..Default::default()
            },
        ])));
    // systemd: up (showing the message) and alive while it waits.
    let watchdog = Rc::new(std::cell::RefCell::new(
        kiosk_hardware::WatchdogPinger::from_env(),
    ));
    let ping_timer = Rc::new(slint::Timer::default());
    if let Some(every) = watchdog.borrow().timer_interval() {
        let wd = watchdog.clone();
        ping_timer.start(slint::TimerMode::Repeated, every, move || {
            wd.borrow_mut().ping_if_due(std::time::Instant::now());
        });
    }
    {
        let wd = watchdog.clone();
        slint::Timer::single_shot(std::time::Duration::from_millis(100), move || {
            wd.borrow_mut().ready()
        });
    }
    let timer = slint::Timer::default();
    let weak = win.as_weak();
    let dir = dir.to_path_buf();
    let config = Rc::new(std::cell::RefCell::new(Some(config)));
    let ctx_slot: Rc<std::cell::RefCell<Option<Rc<AppContext>>>> = Rc::default();
    timer.start(
        slint::TimerMode::Repeated,
        std::time::Duration::from_secs(5),
        {
            let ctx_slot = ctx_slot.clone();
            let ping_timer = ping_timer.clone();
            move || {
                if ctx_slot.borrow().is_some() {
                    return;
                }
                if let (Ok(reader), Some(win)) = (ContentReader::open(&dir), weak.upgrade()) {
                    let Some(config) = config.borrow_mut().take() else {
                        return;
                    };
                    tracing::info!("content appeared in {}; starting", dir.display());
                    let ctx = kiosk_context(reader, dir.clone(), config);
                    app::setup(&win, &ctx);
                    // The app pings the watchdog from here on.
                    ping_timer.stop();
                    *ctx_slot.borrow_mut() = Some(ctx);
                }
            }
        },
    );
    win.run().context("running the UI")?;
    Ok(())
}

fn shoot(source: &Source, args: &ShotArgs) -> Result<()> {
    if args.list {
        println!("{}", scenes::ALL.join("\n"));
        return Ok(());
    }
    let config = load_config(source)?;
    let (reader, data_dir, _demo_dir) = open_content(source)?;
    screenshot::install()?;
    let printer: Rc<dyn Printer> = Rc::new(RecordingPrinter::default());
    let ctx = AppContext::new(reader, data_dir, config, Spawner::inline(), printer);
    // Screenshots of a kiosk's own data are not residents' use (the demo
    // counts into its temporary folder).
    if !source.demo {
        ctx.usage.disable();
    }
    let win = app::build(&ctx).context("creating the headless window")?;
    win.show().context("showing the headless window")?;
    let shots: Vec<Shot> = if args.all {
        screenshot::review_set()
    } else {
        vec![Shot {
            file: args.out.clone().unwrap_or_default().display().to_string(),
            scene: args.page.clone().unwrap_or_default(),
            size: args.size,
            big_text: args.big_text,
            high_contrast: args.high_contrast,
        }]
    };
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    for shot in shots {
        let Shot {
            file,
            scene,
            size: (w, h),
            big_text: big,
            high_contrast: contrast,
        } = shot;
        let path = match &args.out_dir {
            Some(dir) if args.all => dir.join(&file),
            _ => PathBuf::from(&file),
        };
        screenshot::set_size(w, h);
        kiosk_app::pages::clear_all(&win, &ctx);
        let theme = win.global::<kiosk_app::Theme>();
        theme.set_big_text(big);
        theme.set_high_contrast(contrast);
        scenes::enter(&win, &ctx, &scene, args.id.as_deref())?;
        theme.set_big_text(big);
        theme.set_high_contrast(contrast);
        let _ = screenshot::render();
        let img = screenshot::render().context("rendering (the window has no size)")?;
        screenshot::save(&img, &path)?;
        println!("{}", path.display());
    }
    Ok(())
}

fn hash_pin() -> Result<()> {
    eprintln!("Type the staff PIN (digits) and press Enter:");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the PIN from stdin")?;
    let pin = line.trim();
    if pin.len() < 4 || !pin.chars().all(|c| c.is_ascii_digit()) {
        bail!("a staff PIN is 4 to 12 digits (it is typed on the kiosk's digit pad)");
    }
    let hash =
        kiosk_app::pin::hash_pin(pin).map_err(|e| anyhow::anyhow!("hashing the PIN: {e}"))?;
    println!("staff_pin_hash = \"{hash}\"");
    Ok(())
}
