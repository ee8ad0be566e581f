//! QR codes for phones: one pixel per module plus a 4-module quiet zone,
//! shown scaled up without smoothing, so edges stay sharp at any size.

use qrcode::{Color, EcLevel, QrCode};
use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

#[derive(Debug, thiserror::Error)]
#[error("cannot make a QR code of {len} characters: {message}")]
pub struct QrError {
    len: usize,
    message: String,
}

/// Quiet zone around the code, in modules (the standard asks for 4).
pub const QUIET_ZONE: u32 = 4;

/// The QR modules (true = dark), including the quiet zone, row by row.
pub fn modules(text: &str) -> Result<(u32, Vec<bool>), QrError> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| QrError {
            len: text.len(),
            message: e.to_string(),
        })?;
    let w = code.width() as u32;
    let size = w + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut out = vec![false; (size * size) as usize];
    for y in 0..w {
        for x in 0..w {
            if colors[(y * w + x) as usize] == Color::Dark {
                out[((y + QUIET_ZONE) * size + x + QUIET_ZONE) as usize] = true;
            }
        }
    }
    Ok((size, out))
}

/// The QR code as a Slint image, one pixel per module.
pub fn image(text: &str) -> Result<Image, QrError> {
    let (size, mods) = modules(text)?;
    let mut buf = SharedPixelBuffer::<Rgba8Pixel>::new(size, size);
    for (px, dark) in buf.make_mut_slice().iter_mut().zip(mods) {
        let v = if dark { 0 } else { 255 };
        *px = Rgba8Pixel {
            r: v,
            g: v,
            b: v,
            a: 255,
        };
    }
    Ok(Image::from_rgba8(buf))
}

/// A QR image, or an empty image (and a log line) if the text cannot be
/// encoded; a page never fails because of its QR code.
pub fn image_or_empty(text: &str) -> Image {
    match image(text) {
        Ok(img) => img,
        Err(e) => {
            tracing::warn!("{e}");
            Image::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_makes_a_square_code_with_a_quiet_zone() {
        let (size, mods) =
            modules("https://zwgk.shifanxian.example/item/dibao-shenqing").expect("qr");
        assert!(size >= 21 + 8);
        assert_eq!(mods.len(), (size * size) as usize);
        // The quiet zone is light.
        assert!(mods[..(size * QUIET_ZONE) as usize].iter().all(|d| !d));
        // The top-left finder pattern starts right after it.
        assert!(mods[(QUIET_ZONE * size + QUIET_ZONE) as usize]);
    }
}
