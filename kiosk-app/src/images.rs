//! Images from the content bundle (map, floor plans, 图解), decoded once per
//! content generation.

use std::collections::HashMap;

use slint::{Image, Rgb8Pixel, Rgba8Pixel, SharedPixelBuffer};

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

/// Decodes a PNG or JPEG. 8-bit RGB and RGBA images (a palette PNG comes
/// out as one of those) are decoded straight into the buffer the screen
/// draws from, with no intermediate copy: the 1200x1600 demo map took 21 MB
/// at its peak the other way (decoded, converted to RGBA, copied), now
/// 5.8 MB. An opaque image stays 3 bytes a pixel.
pub fn decode(name: &str, bytes: &[u8]) -> Result<Image, ImageError> {
    use image::ImageDecoder;
    let err = |message: String| ImageError::Decode {
        name: name.to_string(),
        message,
    };
    let decoder = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| err(e.to_string()))?
        .into_decoder()
        .map_err(|e| err(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(err(format!(
            "{width}x{height} is larger than {MAX_SIDE} pixels a side"
        )));
    }
    match decoder.color_type() {
        image::ColorType::Rgb8 => {
            let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(width, height);
            decoder
                .read_image(buf.make_mut_bytes())
                .map_err(|e| err(e.to_string()))?;
            Ok(Image::from_rgb8(buf))
        }
        image::ColorType::Rgba8 => {
            let mut buf = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
            decoder
                .read_image(buf.make_mut_bytes())
                .map_err(|e| err(e.to_string()))?;
            Ok(Image::from_rgba8(buf))
        }
        // Grey, 16-bit and the rest: converted (rare in bundles).
        _ => {
            let rgba = image::DynamicImage::from_decoder(decoder)
                .map_err(|e| err(e.to_string()))?
                .into_rgba8();
            Ok(Image::from_rgba8(SharedPixelBuffer::clone_from_slice(
                rgba.as_raw(),
                width,
                height,
            )))
        }
    }
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

    fn png(color: image::ExtendedColorType, w: u32, h: u32, raw: &[u8]) -> Vec<u8> {
        use image::ImageEncoder;
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(raw, w, h, color)
            .expect("encode");
        out
    }

    #[test]
    fn rgb_rgba_and_grey_pngs_decode_to_the_same_pixels() {
        use image::ExtendedColorType as C;
        // 2x1: red, then half-transparent blue / grey 200.
        let cases = [
            (
                C::Rgb8,
                vec![255u8, 0, 0, 0, 0, 255],
                [[255, 0, 0, 255], [0, 0, 255, 255]],
            ),
            (
                C::Rgba8,
                vec![255, 0, 0, 255, 0, 0, 255, 128],
                [[255, 0, 0, 255], [0, 0, 255, 128]],
            ),
            (
                C::L8,
                vec![10, 200],
                [[10, 10, 10, 255], [200, 200, 200, 255]],
            ),
        ];
        for (color, raw, want) in cases {
            let img = decode("images/t.png", &png(color, 2, 1, &raw)).expect("decode");
            let size = img.size();
            assert_eq!((size.width, size.height), (2, 1), "{color:?}");
            let px = img.to_rgba8().expect("pixels");
            let got: Vec<[u8; 4]> = px.as_slice().iter().map(|p| [p.r, p.g, p.b, p.a]).collect();
            assert_eq!(got, want, "{color:?}");
        }
    }

    #[test]
    fn an_image_over_the_size_limit_is_refused_before_it_is_decoded() {
        let bytes = png(
            image::ExtendedColorType::L8,
            MAX_SIDE + 1,
            1,
            &vec![0; MAX_SIDE as usize + 1],
        );
        let err = decode("images/huge.png", &bytes).expect_err("too large");
        let text = err.to_string();
        assert!(
            text.contains("images/huge.png") && text.contains("8193x1"),
            "{text}"
        );
    }

    #[test]
    fn garbage_is_a_decode_error_naming_the_image() {
        let err = decode("images/map.png", b"not an image").expect_err("garbage");
        assert!(err.to_string().contains("images/map.png"));
    }
}
