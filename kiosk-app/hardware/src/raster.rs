//! A 1-bit image whose memory is already the ESC/POS `GS v 0` layout.
//!
//! Rows are `stride = ceil(width / 8)` bytes, the most significant bit of a
//! byte is the leftmost dot, and a set bit is a black (burned) dot. Keeping
//! the slip in this layout from the first pixel means encoding it for the
//! printer is a copy, and decoding printer bytes back (tests, simulator)
//! gives the very same bytes to compare.

use embedded_graphics::{
    Pixel,
    pixelcolor::BinaryColor,
    prelude::{Dimensions, DrawTarget, OriginDimensions, Point, Size},
    primitives::{PointsIter, Rectangle},
};
use thiserror::Error;

/// Tallest slip we agree to draw, in dots (at 8 dots/mm that is 2.5 m of
/// paper). It stops a runaway layout from eating memory and paper.
pub const MAX_HEIGHT: u32 = 20_000;

/// A 1-bit raster in `GS v 0` layout; see the module docs.
#[derive(Clone, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bitmap itself is useless in a log line and can be 100 kB.
        f.debug_struct("Raster")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("black_dots", &self.black_dots())
            .finish()
    }
}

/// Why bytes or an image could not be turned into a [`Raster`].
#[derive(Debug, Error)]
pub enum RasterError {
    #[error("raster data has {actual} bytes but {width}x{height} dots need {expected}")]
    WrongLength {
        width: u32,
        height: u32,
        expected: usize,
        actual: usize,
    },
    #[error(
        "raster of {width}x{height} dots is out of range (width 1..=65535, height ..={MAX_HEIGHT})"
    )]
    OutOfRange { width: u32, height: u32 },
    #[error("could not encode the raster as PNG: {0}")]
    PngEncode(String),
    #[error("could not read PNG: {0}")]
    PngDecode(String),
}

impl Raster {
    /// A white raster of the given size.
    pub fn new(width: u32, height: u32) -> Result<Self, RasterError> {
        check_size(width, height)?;
        let len = stride_of(width) * height as usize;
        Ok(Self {
            width,
            height,
            data: vec![0; len],
        })
    }

    /// Wraps bytes already in `GS v 0` layout.
    pub fn from_bytes(width: u32, height: u32, data: Vec<u8>) -> Result<Self, RasterError> {
        check_size(width, height)?;
        let expected = stride_of(width) * height as usize;
        if data.len() != expected {
            return Err(RasterError::WrongLength {
                width,
                height,
                expected,
                actual: data.len(),
            });
        }
        let mut raster = Self {
            width,
            height,
            data,
        };
        raster.clear_padding_bits();
        Ok(raster)
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        stride_of(self.width)
    }

    /// The bitmap, row after row, in `GS v 0` layout.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the dot at (x, y) is black; dots outside are white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.data[y as usize * self.stride() + (x / 8) as usize];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// Sets one dot; dots outside the raster are ignored (clipping).
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let index = y as usize * self.stride() + (x / 8) as usize;
        let mask = 0x80 >> (x % 8);
        if black {
            self.data[index] |= mask;
        } else {
            self.data[index] &= !mask;
        }
    }

    /// Paints a rectangle black, clipped to the raster. Used for rules,
    /// boxes and QR modules, where going pixel by pixel would be wasteful.
    pub fn fill_rect(&mut self, x: i64, y: i64, w: i64, h: i64) {
        let x0 = x.max(0);
        let y0 = y.max(0);
        let x1 = (x + w).min(i64::from(self.width));
        let y1 = (y + h).min(i64::from(self.height));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let stride = self.stride();
        for row in y0..y1 {
            let base = row as usize * stride;
            for col in x0..x1 {
                self.data[base + (col / 8) as usize] |= 0x80 >> (col % 8);
            }
        }
    }

    /// Number of black dots: a cheap fingerprint for tests and logs.
    pub fn black_dots(&self) -> u64 {
        self.data.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// The bytes of rows `from..to` (one `GS v 0` band).
    pub fn rows(&self, from: u32, to: u32) -> &[u8] {
        let to = to.min(self.height);
        let from = from.min(to);
        let stride = self.stride();
        &self.data[from as usize * stride..to as usize * stride]
    }

    /// Grows or shrinks the raster to `height` rows; new rows are white.
    pub fn set_height(&mut self, height: u32) -> Result<(), RasterError> {
        check_size(self.width, height)?;
        self.height = height;
        self.data.resize(self.stride() * height as usize, 0);
        Ok(())
    }

    /// Appends rows in `GS v 0` layout; `width` must match this raster's.
    pub fn append_rows(&mut self, width: u32, rows: &[u8]) -> Result<(), RasterError> {
        let stride = stride_of(width);
        if width != self.width || stride == 0 || !rows.len().is_multiple_of(stride) {
            return Err(RasterError::WrongLength {
                width,
                height: 0,
                expected: stride,
                actual: rows.len(),
            });
        }
        let new_height = self.height + (rows.len() / stride) as u32;
        check_size(width, new_height)?;
        self.data.extend_from_slice(rows);
        self.height = new_height;
        self.clear_padding_bits();
        Ok(())
    }

    /// Grey PNG (black dots black, paper white) for snapshots and for the
    /// staff panel's print preview.
    pub fn to_png(&self) -> Result<Vec<u8>, RasterError> {
        use image::{ImageEncoder, codecs::png::PngEncoder};
        let mut pixels = Vec::with_capacity(self.width as usize * self.height as usize);
        for y in 0..self.height {
            for x in 0..self.width {
                pixels.push(if self.get(x, y) { 0u8 } else { 255u8 });
            }
        }
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(
                &pixels,
                self.width,
                self.height,
                image::ExtendedColorType::L8,
            )
            .map_err(|e| RasterError::PngEncode(e.to_string()))?;
        Ok(out)
    }

    /// Reads a PNG written by [`Raster::to_png`] (any PNG works: a dot is
    /// black when its luminance is below half).
    pub fn from_png(bytes: &[u8]) -> Result<Self, RasterError> {
        let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
            .map_err(|e| RasterError::PngDecode(e.to_string()))?
            .into_luma8();
        let mut raster = Self::new(img.width(), img.height())?;
        for (x, y, pixel) in img.enumerate_pixels() {
            if pixel.0[0] < 128 {
                raster.set(x, y, true);
            }
        }
        Ok(raster)
    }

    /// The bits right of the last dot in each row are not dots; keep them 0
    /// so two rasters of the same picture compare equal byte for byte.
    fn clear_padding_bits(&mut self) {
        let used = self.width % 8;
        if used == 0 {
            return;
        }
        let mask = !(0xFFu8 >> used);
        let stride = self.stride();
        for row in self.data.chunks_mut(stride) {
            if let Some(last) = row.last_mut() {
                *last &= mask;
            }
        }
    }
}

pub(crate) fn stride_of(width: u32) -> usize {
    width.div_ceil(8) as usize
}

fn check_size(width: u32, height: u32) -> Result<(), RasterError> {
    if width == 0 || width > 65_535 || height > MAX_HEIGHT {
        return Err(RasterError::OutOfRange { width, height });
    }
    Ok(())
}

/// Lets embedded-graphics (and u8g2-fonts) draw straight into the raster.
/// `BinaryColor::On` is a black dot.
impl OriginDimensions for Raster {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Raster {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(point.x), u32::try_from(point.y)) {
                self.set(x, y, color.is_on());
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        if color.is_on() {
            self.fill_rect(
                i64::from(area.top_left.x),
                i64::from(area.top_left.y),
                i64::from(area.size.width),
                i64::from(area.size.height),
            );
        } else {
            let area = area.intersection(&self.bounding_box());
            for p in area.points() {
                self.set(p.x as u32, p.y as u32, false);
            }
        }
        Ok(())
    }
}

/// Draws into a [`Raster`] with every pixel blown up to a `factor` x `factor`
/// block. u8g2's CJK fonts stop at 16 px, so titles are drawn through this.
pub struct ScaledTarget<'a> {
    inner: &'a mut Raster,
    factor: u32,
    origin: Point,
}

impl<'a> ScaledTarget<'a> {
    /// `origin` is where the scaled drawing's (0, 0) lands on `inner`.
    pub fn new(inner: &'a mut Raster, factor: u32, origin: Point) -> Self {
        Self {
            inner,
            factor: factor.max(1),
            origin,
        }
    }
}

impl OriginDimensions for ScaledTarget<'_> {
    fn size(&self) -> Size {
        Size::new(
            self.inner.width() / self.factor,
            self.inner.height() / self.factor,
        )
    }
}

impl DrawTarget for ScaledTarget<'_> {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let f = i64::from(self.factor);
        for Pixel(point, color) in pixels {
            if color.is_on() {
                self.inner.fill_rect(
                    i64::from(self.origin.x) + i64::from(point.x) * f,
                    i64::from(self.origin.y) + i64::from(point.y) * f,
                    f,
                    f,
                );
            }
        }
        Ok(())
    }
}
