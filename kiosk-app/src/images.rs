//! Images from the content bundle (map, floor plans, 图解), decoded when a
//! page first shows them and kept in a cache of bounded size
//! ([`CACHE_BUDGET`]) until the content changes.

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
    decode_sized(name, bytes).map(|(img, _)| img)
}

/// [`decode`], with the bytes its pixels take.
fn decode_sized(name: &str, bytes: &[u8]) -> Result<(Image, usize), ImageError> {
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
    let pixels = width as usize * height as usize;
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
            Ok((Image::from_rgb8(buf), pixels * 3))
        }
        image::ColorType::Rgba8 => {
            let mut buf = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
            decoder
                .read_image(buf.make_mut_bytes())
                .map_err(|e| err(e.to_string()))?;
            Ok((Image::from_rgba8(buf), pixels * 4))
        }
        // Grey, 16-bit and the rest: converted (rare in bundles).
        _ => {
            let rgba = image::DynamicImage::from_decoder(decoder)
                .map_err(|e| err(e.to_string()))?
                .into_rgba8();
            Ok((
                Image::from_rgba8(SharedPixelBuffer::clone_from_slice(
                    rgba.as_raw(),
                    width,
                    height,
                )),
                pixels * 4,
            ))
        }
    }
}

/// Decoded bytes the cache keeps: the map (1200x1600, 5.8 MB), a hall's
/// floor plan (2.9 MB) and a few 图解 (about 4 MB each). Each 图解 is a
/// different image, so a cache that kept everything it decoded grew by
/// 4 MB with every interpretation a resident opened, up to the whole
/// county's pictures, until the content changed. An image on screen is
/// held by its page as well, so evicting it frees nothing until the page
/// shows something else.
pub const CACHE_BUDGET: usize = 16 << 20;

struct Entry {
    image: Image,
    bytes: usize,
    used: u64,
}

/// Decoded bundle images by asset name, least recently used dropped past
/// [`CACHE_BUDGET`]; cleared when the content changes.
pub struct ImageCache {
    images: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
    budget: usize,
}

impl Default for ImageCache {
    fn default() -> Self {
        ImageCache::with_budget(CACHE_BUDGET)
    }
}

impl ImageCache {
    fn with_budget(budget: usize) -> ImageCache {
        ImageCache {
            images: HashMap::new(),
            bytes: 0,
            clock: 0,
            budget,
        }
    }

    pub fn clear(&mut self) {
        self.images.clear();
        self.bytes = 0;
    }

    /// Decoded bytes held now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn get(
        &mut self,
        reader: &kiosk_content::ContentReader,
        name: &str,
    ) -> Result<Image, ImageError> {
        self.get_with(name, || {
            reader
                .asset(name)
                .map_err(|e| ImageError::Store {
                    name: name.to_string(),
                    message: e.to_string(),
                })?
                .ok_or_else(|| ImageError::Missing {
                    name: name.to_string(),
                })
        })
    }

    /// The image called `name`, decoded from `load()`'s bytes unless it is
    /// cached.
    fn get_with(
        &mut self,
        name: &str,
        load: impl FnOnce() -> Result<Vec<u8>, ImageError>,
    ) -> Result<Image, ImageError> {
        self.clock += 1;
        if let Some(e) = self.images.get_mut(name) {
            e.used = self.clock;
            return Ok(e.image.clone());
        }
        let (img, bytes) = decode_sized(name, &load()?)?;
        // Room for it: the least recently used go first. One image larger
        // than the budget is kept alone.
        while self.bytes + bytes > self.budget {
            let Some(oldest) = self
                .images
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.images.remove(&oldest) {
                self.bytes -= e.bytes;
            }
        }
        self.bytes += bytes;
        self.images.insert(
            name.to_string(),
            Entry {
                image: img.clone(),
                bytes,
                used: self.clock,
            },
        );
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
    fn the_cache_keeps_its_budget_dropping_the_least_recently_used() {
        use std::cell::Cell;
        // 10x10 RGB: 300 bytes each; room for two.
        let bytes = png(image::ExtendedColorType::Rgb8, 10, 10, &[7; 300]);
        let decoded = Cell::new(0);
        let load = || {
            decoded.set(decoded.get() + 1);
            Ok(bytes.clone())
        };
        let mut cache = ImageCache::with_budget(600);
        cache.get_with("a", load).expect("a");
        cache.get_with("b", load).expect("b");
        assert_eq!((decoded.get(), cache.bytes()), (2, 600));
        // a was used last, so c pushes b out.
        cache.get_with("a", load).expect("a again");
        assert_eq!(decoded.get(), 2, "a came from the cache");
        cache.get_with("c", load).expect("c");
        assert_eq!((decoded.get(), cache.bytes()), (3, 600));
        cache.get_with("a", load).expect("a kept");
        assert_eq!(decoded.get(), 3, "a was kept");
        cache.get_with("b", load).expect("b decoded again");
        assert_eq!((decoded.get(), cache.bytes()), (4, 600), "b was dropped");
        // One image over the budget is kept alone.
        let big = png(image::ExtendedColorType::Rgb8, 20, 20, &[7; 1200]);
        cache.get_with("big", || Ok(big.clone())).expect("big");
        assert_eq!(cache.bytes(), 1200);
        // A failed load caches nothing and keeps what is there.
        let err = cache
            .get_with("bad", || Ok(b"not an image".to_vec()))
            .expect_err("garbage");
        assert!(err.to_string().contains("bad"));
        assert_eq!(cache.bytes(), 1200);
        cache.clear();
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn garbage_is_a_decode_error_naming_the_image() {
        let err = decode("images/map.png", b"not an image").expect_err("garbage");
        assert!(err.to_string().contains("images/map.png"));
    }
}
