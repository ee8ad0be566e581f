//! Images from the content bundle (map, floor plans, 图解), decoded once per
//! content generation.

use std::collections::HashMap;

use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("image {name} is not in the content bundle; republish the bundle with it")]
    Missing { name: String },
    #[error("image {name} cannot be decoded ({message}); republish it as PNG or JPEG")]
    Decode { name: String, message: String },
    #[error("image {name}: {message}")]
    Store { name: String, message: String },
}

/// Largest side accepted, so a huge photo cannot exhaust a Pi's memory.
const MAX_SIDE: u32 = 8192;

pub fn decode(name: &str, bytes: &[u8]) -> Result<Image, ImageError> {
    let decoded = image::load_from_memory(bytes).map_err(|e| ImageError::Decode {
        name: name.to_string(),
        message: e.to_string(),
    })?;
    if decoded.width() > MAX_SIDE || decoded.height() > MAX_SIDE {
        return Err(ImageError::Decode {
            name: name.to_string(),
            message: format!(
                "{}x{} is larger than {MAX_SIDE} pixels a side",
                decoded.width(),
                decoded.height()
            ),
        });
    }
    let rgba = decoded.to_rgba8();
    let buf = SharedPixelBuffer::<Rgba8Pixel>::clone_from_slice(
        rgba.as_raw(),
        rgba.width(),
        rgba.height(),
    );
    Ok(Image::from_rgba8(buf))
}

/// Decoded bundle images by asset name; cleared when the content changes.
#[derive(Default)]
pub struct ImageCache {
    images: HashMap<String, Image>,
}

impl ImageCache {
    pub fn clear(&mut self) {
        self.images.clear();
    }

    pub fn get(
        &mut self,
        reader: &kiosk_content::ContentReader,
        name: &str,
    ) -> Result<Image, ImageError> {
        if let Some(img) = self.images.get(name) {
            return Ok(img.clone());
        }
        let bytes = reader
            .asset(name)
            .map_err(|e| ImageError::Store {
                name: name.to_string(),
                message: e.to_string(),
            })?
            .ok_or_else(|| ImageError::Missing {
                name: name.to_string(),
            })?;
        let img = decode(name, &bytes)?;
        self.images.insert(name.to_string(), img.clone());
        Ok(img)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_decode_error_naming_the_image() {
        let err = decode("images/map.png", b"not an image").expect_err("garbage");
        assert!(err.to_string().contains("images/map.png"));
    }
}
