//! Writes a sample slip as PNG, to look at a layout change without a
//! printer: `cargo run -p kiosk-hardware --example slip_preview -- out.png [58|80]`
//! (`TEST_PAGE=1` for the staff test page).

use kiosk_hardware::{PaperWidth, SlipContent, render_slip};

#[path = "../tests/fixtures/sample_slip.rs"]
mod sample_slip;
use sample_slip::guide_slip;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "slip.png".into());
    let paper = match args.next().as_deref() {
        Some("58") => PaperWidth::Mm58,
        _ => PaperWidth::Mm80,
    };
    let test_page = std::env::var_os("TEST_PAGE").is_some();
    let content = guide_slip();
    let content = if test_page {
        SlipContent::test_page(&content.county, &content.hall, content.printed_at)
    } else {
        content
    };
    let slip = render_slip(&content, paper)?;
    std::fs::write(&out, slip.raster.to_png()?)?;
    println!(
        "{out}: {}x{} dots, missing {:?}",
        slip.raster.width(),
        slip.raster.height(),
        slip.missing_chars
    );
    Ok(())
}
