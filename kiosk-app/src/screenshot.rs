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

/// Renders the headless window as it is now into an RGB image.
pub fn render() -> Option<image::RgbImage> {
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
        let mut buf = vec![Rgb8Pixel::default(); (width * height) as usize];
        window.draw_if_needed(|renderer| {
            renderer.render(&mut buf, width as usize);
        });
        let mut img = image::RgbImage::new(width, height);
        for (px, out) in buf.iter().zip(img.pixels_mut()) {
            *out = image::Rgb([px.r, px.g, px.b]);
        }
        Some(img)
    })
}

/// Writes an image as PNG.
pub fn save(img: &image::RgbImage, path: &Path) -> Result<(), ShotError> {
    img.save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| ShotError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}
