//! Headless rendering: a Slint platform with a software-rendered window and
//! no display, for `kiosk-app screenshot` (reviews, docs, CI).

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, PlatformError, Rgb8Pixel};

/// A platform whose every window is one [`MinimalSoftwareWindow`].
pub struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: std::time::Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

thread_local! {
    static WINDOW: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

#[derive(Debug, thiserror::Error)]
pub enum ShotError {
    #[error("cannot start headless rendering: {0}")]
    Platform(String),
    #[error(
        "{path}: cannot write the PNG ({message}); check that the folder exists and is writable"
    )]
    Write { path: String, message: String },
}

/// Installs the headless platform for this process (once).
pub fn install() -> Result<(), ShotError> {
    if WINDOW.with(|w| w.borrow().is_some()) {
        return Ok(());
    }
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(HeadlessPlatform {
        window: window.clone(),
        start: std::time::Instant::now(),
    }))
    .map_err(|e| ShotError::Platform(e.to_string()))?;
    WINDOW.with(|w| *w.borrow_mut() = Some(window));
    Ok(())
}

/// Sets the size of the headless window (before rendering).
pub fn set_size(width: u32, height: u32) {
    WINDOW.with(|w| {
        if let Some(w) = w.borrow().as_ref() {
            w.set_size(PhysicalSize::new(width, height));
        }
    });
}

/// A rendered frame: 24-bit RGB pixels, row by row.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<Rgb8Pixel>,
}

impl Frame {
    /// The pixels as bytes (R, G, B, R, ...), without a copy.
    pub fn as_bytes(&self) -> &[u8] {
        use rgb::ComponentBytes;
        self.pixels.as_bytes()
    }
}

/// Renders the headless window as it is now. The renderer draws straight
/// into the frame that is then encoded (a second 6 MB copy of a 1080x1920
/// frame was a tenth of a screenshot's memory).
pub fn render() -> Option<Frame> {
    WINDOW.with(|w| {
        let w = w.borrow();
        let window = w.as_ref()?;
        let size = slint::platform::WindowAdapter::size(&**window);
        let (width, height) = (size.width, size.height);
        if width == 0 || height == 0 {
            return None;
        }
        // Layout and change handlers settle before drawing.
        slint::platform::update_timers_and_animations();
        window.request_redraw();
        let mut pixels = vec![Rgb8Pixel::default(); (width * height) as usize];
        window.draw_if_needed(|renderer| {
            renderer.render(&mut pixels, width as usize);
        });
        Some(Frame {
            width,
            height,
            pixels,
        })
    })
}

/// Writes a frame as PNG, with the encoder's fast compression: a
/// 1080x1920 page took ~50 ms at the default level, a third of a
/// screenshot's whole run, for files about a third larger (the committed
/// docs/screenshots are re-compressed by kiosk-app/screenshots.sh anyway).
pub fn save(frame: &Frame, path: &Path) -> Result<(), ShotError> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let err = |message: String| ShotError::Write {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    let mut out = std::io::BufWriter::new(file);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            frame.as_bytes(),
            frame.width,
            frame.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| err(e.to_string()))?;
    std::io::Write::flush(&mut out).map_err(|e| err(e.to_string()))
}

/// One screenshot of `--all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shot {
    pub file: String,
    pub scene: String,
    pub size: (u32, u32),
    pub big_text: bool,
    pub high_contrast: bool,
}

/// What `kiosk-app screenshot --all` renders: every page in portrait, and
/// the pages that change most with the screen in landscape, on the small
/// test screen, in big text and in high contrast.
pub fn review_set() -> Vec<Shot> {
    let shot = |file: String, scene: &str, size, big_text, high_contrast| Shot {
        file,
        scene: scene.to_string(),
        size,
        big_text,
        high_contrast,
    };
    let mut v: Vec<Shot> = crate::scenes::ALL
        .iter()
        .map(|s| shot(format!("{s}.png"), s, (1080, 1920), false, false))
        .collect();
    for s in [
        "home",
        "guide",
        "search",
        "progress",
        "progress-result",
        "map-place",
    ] {
        v.push(shot(
            format!("{s}-1920x1080.png"),
            s,
            (1920, 1080),
            false,
            false,
        ));
    }
    for s in ["home", "guide"] {
        v.push(shot(
            format!("{s}-1280x800.png"),
            s,
            (1280, 800),
            false,
            false,
        ));
        v.push(shot(
            format!("{s}-big-text.png"),
            s,
            (1080, 1920),
            true,
            false,
        ));
        v.push(shot(
            format!("{s}-big-text-1920x1080.png"),
            s,
            (1920, 1080),
            true,
            false,
        ));
    }
    v.push(shot(
        "home-high-contrast.png".into(),
        "home",
        (1080, 1920),
        false,
        true,
    ));
    v.push(shot(
        "guide-high-contrast.png".into(),
        "guide",
        (1080, 1920),
        false,
        true,
    ));
    v
}
