//! The printed slip a resident takes home from a guide page: county and
//! hall, the matter's title, a checklist of materials with boxes to tick,
//! the window and hours, the online form's QR code and the print time.
//!
//! It is drawn by us into a 1-bit [`Raster`] (GB2312 bitmap fonts from
//! u8g2-fonts, QR from `qrcode`) and sent as a picture, so a printer with
//! no Chinese font, or the wrong code page, still prints it right.
//!
//! Layout is two passes: [`SlipLayout`] wraps text and places every element
//! (which fixes the height), then the elements are drawn into a raster of
//! exactly that height. No pass reads the clock or the printer: the same
//! content always gives the same dots, which is what snapshot tests need.

use embedded_graphics::{pixelcolor::BinaryColor, prelude::Point};
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use u8g2_fonts::{
    FontRenderer, fonts,
    types::{FontColor, VerticalPosition},
};

use crate::raster::{Raster, RasterError, ScaledTarget};

/// Paper roll width. Thermal heads are 8 dots/mm; the printable width is
/// 48 mm on 58 mm paper and 72 mm on 80 mm paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum PaperWidth {
    /// 58 mm roll, 384 dots a line.
    #[serde(rename = "58mm")]
    Mm58,
    /// 80 mm roll, 576 dots a line.
    #[default]
    #[serde(rename = "80mm")]
    Mm80,
}

impl PaperWidth {
    /// Dots in one printed line.
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }
}

/// What goes on a slip. Every field is plain text as it should appear;
/// an empty `qr_url` or `footer` leaves that part out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlipContent {
    /// 县/区, e.g. "某某县".
    pub county: String,
    /// The service hall or village station, e.g. "政务服务中心".
    pub hall: String,
    /// The matter's name (事项名称).
    pub title: String,
    /// Materials to bring (申请材料), one entry a box.
    pub checklist: Vec<String>,
    /// Where to go (办理窗口), e.g. "3号综合窗口".
    pub window: String,
    /// When (办理时间), e.g. "工作日 9:00-12:00 13:30-17:00".
    pub hours: String,
    /// The online form, printed as a QR code.
    pub qr_url: String,
    /// Print time, given by the caller so rendering stays pure.
    pub printed_at: chrono::NaiveDateTime,
    /// Small print at the bottom (e.g. "以窗口受理为准").
    pub footer: String,
}

impl SlipContent {
    /// The staff panel's test page: exercises every part of the layout
    /// (wrapping, boxes, QR) so one look tells whether the printer works.
    pub fn test_page(county: &str, hall: &str, printed_at: chrono::NaiveDateTime) -> Self {
        Self {
            county: county.into(),
            hall: hall.into(),
            title: "打印测试页".into(),
            checklist: vec![
                "方框、文字和二维码都清晰，说明打印机工作正常".into(),
                "字迹发淡：请检查打印纸是否装反，或更换纸卷".into(),
            ],
            window: String::new(),
            hours: String::new(),
            qr_url: "https://example.invalid/kiosk-test-print".into(),
            printed_at,
            footer: "本页由工作人员在管理面板打印".into(),
        }
    }
}

/// A rendered slip and what had to be changed to render it.
#[derive(Debug, Clone)]
pub struct RenderedSlip {
    pub raster: Raster,
    /// Characters the GB2312 fonts do not have (for example 喆 堃 in a
    /// name). Each was printed as [`PLACEHOLDER`]; the app should log them
    /// so content officers can rephrase. Sorted, no duplicates.
    pub missing_chars: Vec<char>,
}

/// Printed in place of a character the font does not have. A visible box
/// tells the reader something is missing instead of silently closing up
/// the text (GB2312 has U+25A1).
pub const PLACEHOLDER: char = '□';

#[derive(Debug, Error)]
pub enum SlipError {
    #[error(
        "the form URL ({len} bytes) is too long for a QR code readable at 4 dots a module on {paper_dots}-dot paper; shorten the URL in the guide"
    )]
    QrTooLarge { len: usize, paper_dots: u32 },
    #[error("could not make a QR code of the form URL ({len} bytes): {reason}")]
    QrData { len: usize, reason: String },
    #[error("the slip is too long to print: {0}")]
    Raster(#[from] RasterError),
    #[error("font could not draw {0:?}; this is a bug in the slip layout")]
    Glyph(char),
}

/// Renders a slip for the given paper. Pure and deterministic.
pub fn render_slip(content: &SlipContent, paper: PaperWidth) -> Result<RenderedSlip, SlipError> {
    let layout = SlipLayout::new(content, paper)?;
    let raster = layout.draw()?;
    Ok(RenderedSlip {
        raster,
        missing_chars: layout.missing_chars,
    })
}

// ---------------------------------------------------------------------------
// Fonts

/// A u8g2 font at an integer scale.
#[derive(Clone)]
struct TextFont {
    renderer: FontRenderer,
    scale: u32,
}

impl TextFont {
    fn new(renderer: FontRenderer, scale: u32) -> Self {
        Self { renderer, scale }
    }

    /// Advance of one glyph in dots, or None when the font lacks it.
    fn advance(&self, ch: char) -> Option<i64> {
        self.renderer
            .get_rendered_dimensions(ch, Point::zero(), VerticalPosition::Top)
            .ok()
            .map(|d| i64::from(d.advance.x) * i64::from(self.scale))
    }

    /// Distance from one line's top to the next, in dots.
    fn line_height(&self) -> i64 {
        i64::from(self.renderer.get_default_line_height()) * i64::from(self.scale)
    }

    fn draw(&self, raster: &mut Raster, text: &str, x: i64, y: i64) -> Result<(), SlipError> {
        let color = FontColor::Transparent(BinaryColor::On);
        let result = if self.scale == 1 {
            self.renderer.render(
                text,
                Point::new(x as i32, y as i32),
                VerticalPosition::Top,
                color,
                raster,
            )
        } else {
            let mut scaled = ScaledTarget::new(raster, self.scale, Point::new(x as i32, y as i32));
            self.renderer.render(
                text,
                Point::zero(),
                VerticalPosition::Top,
                color,
                &mut scaled,
            )
        };
        match result {
            Ok(_) => Ok(()),
            Err(u8g2_fonts::Error::GlyphNotFound(c)) => Err(SlipError::Glyph(c)),
            // Background colours are not used and the raster never fails.
            Err(_) => Err(SlipError::Glyph('\0')),
        }
    }
}

/// Sizes for one paper width.
struct Style {
    margin: i64,
    title: TextFont,
    body: TextFont,
    small: TextFont,
    /// Extra dots between wrapped lines.
    leading: i64,
    /// Space between sections.
    gap: i64,
}

impl Style {
    fn for_paper(paper: PaperWidth) -> Self {
        // 16 px glyphs are 2 mm tall at 8 dots/mm: fine print. The title is
        // scaled up; on 80 mm paper the checklist is doubled too, because elderly
        // residents read it at the counter. 58 mm keeps body text at 1x so
        // a line still holds about 22 characters.
        let wqy16 = FontRenderer::new::<fonts::u8g2_font_wqy16_t_gb2312>();
        let wqy12 = FontRenderer::new::<fonts::u8g2_font_wqy12_t_gb2312>();
        match paper {
            PaperWidth::Mm58 => Style {
                margin: 8,
                title: TextFont::new(wqy16.clone(), 2),
                body: TextFont::new(wqy16, 1),
                small: TextFont::new(wqy12, 1),
                leading: 4,
                gap: 12,
            },
            PaperWidth::Mm80 => Style {
                margin: 16,
                // Tripled so the title still stands out over 2x body text.
                title: TextFont::new(wqy16.clone(), 3),
                body: TextFont::new(wqy16.clone(), 2),
                small: TextFont::new(wqy16, 1),
                leading: 6,
                gap: 16,
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Layout

/// One thing to draw, already placed.
enum Element {
    Text {
        font: FontChoice,
        x: i64,
        y: i64,
        text: String,
    },
    Rect {
        x: i64,
        y: i64,
        w: i64,
        h: i64,
    },
    Qr {
        x: i64,
        y: i64,
        module: i64,
        width: usize,
        dark: Vec<bool>,
    },
}

#[derive(Clone, Copy)]
enum FontChoice {
    Title,
    Body,
    Small,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
}

/// A slip with every element placed; [`SlipLayout::draw`] paints it.
pub struct SlipLayout {
    paper: PaperWidth,
    style: Style,
    elements: Vec<Element>,
    y: i64,
    missing_chars: Vec<char>,
}

impl SlipLayout {
    pub fn new(content: &SlipContent, paper: PaperWidth) -> Result<Self, SlipError> {
        let mut layout = SlipLayout {
            paper,
            style: Style::for_paper(paper),
            elements: Vec::new(),
            y: 0,
            missing_chars: Vec::new(),
        };
        layout.build(content)?;
        layout.missing_chars.sort_unstable();
        layout.missing_chars.dedup();
        Ok(layout)
    }

    /// Height of the slip in dots.
    pub fn height(&self) -> u32 {
        self.y.max(1) as u32
    }

    fn width(&self) -> i64 {
        i64::from(self.paper.dots())
    }

    fn inner_width(&self) -> i64 {
        self.width() - 2 * self.style.margin
    }

    fn font(&self, choice: FontChoice) -> &TextFont {
        match choice {
            FontChoice::Title => &self.style.title,
            FontChoice::Body => &self.style.body,
            FontChoice::Small => &self.style.small,
        }
    }

    fn build(&mut self, c: &SlipContent) -> Result<(), SlipError> {
        let margin = self.style.margin;
        let gap = self.style.gap;
        let inner = self.inner_width();
        self.y = gap;

        // Header: where this slip is from.
        let header = join_nonempty(&[c.county.as_str(), c.hall.as_str()], "  ");
        self.paragraph(FontChoice::Body, &header, margin, inner, Align::Center);
        self.y += gap / 2;
        self.rule(3);
        self.y += gap;

        // The matter, big.
        self.paragraph(FontChoice::Title, &c.title, margin, inner, Align::Center);
        self.y += gap;

        // Materials checklist with a box per entry.
        if !c.checklist.is_empty() {
            self.paragraph(
                FontChoice::Body,
                "申请材料（请逐项核对）",
                margin,
                inner,
                Align::Left,
            );
            self.y += gap / 2;
            for item in &c.checklist {
                self.checklist_item(item);
            }
            self.y += gap / 2;
        }
        self.rule(1);
        self.y += gap;

        // Where and when.
        if !c.window.trim().is_empty() {
            let text = format!("办理窗口：{}", c.window.trim());
            self.paragraph(FontChoice::Body, &text, margin, inner, Align::Left);
        }
        if !c.hours.trim().is_empty() {
            let text = format!("办理时间：{}", c.hours.trim());
            self.paragraph(FontChoice::Body, &text, margin, inner, Align::Left);
        }

        // The online form.
        if !c.qr_url.trim().is_empty() {
            self.y += gap;
            self.qr(c.qr_url.trim())?;
            self.paragraph(
                FontChoice::Small,
                "手机扫码，在线办理",
                margin,
                inner,
                Align::Center,
            );
        }

        self.y += gap;
        self.rule(1);
        self.y += gap / 2;
        let printed = format!("打印时间：{}", c.printed_at.format("%Y-%m-%d %H:%M"));
        self.paragraph(FontChoice::Small, &printed, margin, inner, Align::Left);
        if !c.footer.trim().is_empty() {
            self.paragraph(
                FontChoice::Small,
                c.footer.trim(),
                margin,
                inner,
                Align::Left,
            );
        }
        self.y += gap;
        Ok(())
    }

    fn rule(&mut self, thickness: i64) {
        self.elements.push(Element::Rect {
            x: self.style.margin,
            y: self.y,
            w: self.inner_width(),
            h: thickness,
        });
        self.y += thickness;
    }

    fn checklist_item(&mut self, item: &str) {
        let font = self.font(FontChoice::Body).clone();
        let line = font.line_height();
        // A box a little smaller than the text, sitting on its first line.
        let side = line * 3 / 4;
        let stroke = if font.scale > 1 { 3 } else { 2 };
        let x = self.style.margin;
        let top = self.y + (line - side) / 2;
        for (bx, by, bw, bh) in [
            (x, top, side, stroke),
            (x, top + side - stroke, side, stroke),
            (x, top, stroke, side),
            (x + side - stroke, top, stroke, side),
        ] {
            self.elements.push(Element::Rect {
                x: bx,
                y: by,
                w: bw,
                h: bh,
            });
        }
        let indent = side + line / 3;
        self.paragraph(
            FontChoice::Body,
            item.trim(),
            x + indent,
            self.inner_width() - indent,
            Align::Left,
        );
        self.y += self.style.leading;
    }

    /// Wraps `text` into `width` dots starting at `x`, one element a line.
    fn paragraph(&mut self, choice: FontChoice, text: &str, x: i64, width: i64, align: Align) {
        let font = self.font(choice).clone();
        let chars = prepare_text(text, &font, &mut self.missing_chars);
        let lines = wrap(&chars, width);
        for line in lines {
            let text: String = line.iter().map(|(c, _)| *c).collect();
            let line_width: i64 = line.iter().map(|(_, w)| *w).sum();
            let lx = match align {
                Align::Left => x,
                Align::Center => x + ((width - line_width) / 2).max(0),
            };
            if !text.is_empty() {
                self.elements.push(Element::Text {
                    font: choice,
                    x: lx,
                    y: self.y,
                    text,
                });
            }
            self.y += font.line_height() + self.style.leading;
        }
    }

    fn qr(&mut self, url: &str) -> Result<(), SlipError> {
        let code =
            QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
                SlipError::QrData {
                    len: url.len(),
                    reason: e.to_string(),
                }
            })?;
        let width = code.width();
        // 4 modules of quiet zone on each side, as readers expect.
        let with_quiet = width as i64 + 8;
        // Bigger modules scan better from a crumpled slip; 6 is plenty, 4 is
        // the least a phone camera reliably reads on thermal paper.
        let module = (4..=6)
            .rev()
            .find(|m| with_quiet * m <= self.width())
            .ok_or(SlipError::QrTooLarge {
                len: url.len(),
                paper_dots: self.paper.dots(),
            })?;
        let size = with_quiet * module;
        let x = (self.width() - size) / 2 + 4 * module;
        let y = self.y + 4 * module;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        self.elements.push(Element::Qr {
            x,
            y,
            module,
            width,
            dark,
        });
        self.y += size;
        Ok(())
    }

    /// Paints the placed elements into a fresh raster.
    pub fn draw(&self) -> Result<Raster, SlipError> {
        let mut raster = Raster::new(self.paper.dots(), self.height())?;
        for element in &self.elements {
            match element {
                Element::Text { font, x, y, text } => {
                    self.font(*font).draw(&mut raster, text, *x, *y)?;
                }
                Element::Rect { x, y, w, h } => raster.fill_rect(*x, *y, *w, *h),
                Element::Qr {
                    x,
                    y,
                    module,
                    width,
                    dark,
                } => {
                    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
                        let (row, col) = ((i / width) as i64, (i % width) as i64);
                        raster.fill_rect(x + col * module, y + row * module, *module, *module);
                    }
                }
            }
        }
        Ok(raster)
    }
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

// ---------------------------------------------------------------------------
// Text preparation and wrapping

/// Look-alikes tried before giving up on a character: content typed on
/// different systems uses different code points for the same dash or dot,
/// and GB2312 fonts carry only one of each.
const LOOKALIKES: &[(char, char)] = &[
    // The WenQuanYi GB2312 fonts have no U+2014/U+2015 dash and no U+00B7
    // middle dot (GB2312 maps them differently in different tables); their
    // full-width neighbours look the same on paper.
    ('—', '－'),
    ('―', '－'),
    ('–', '-'),
    ('‐', '-'),
    ('·', '・'),
    ('•', '・'),
    ('\u{a0}', ' '),
    ('\u{3000}', ' '),
    ('﹝', '〔'),
    ('﹞', '〕'),
];

/// Turns text into the glyphs the font will draw, each with its advance.
/// Missing characters become [`PLACEHOLDER`] and are recorded; `\n` is kept
/// as a forced break (advance 0), other control characters are dropped.
fn prepare_text(text: &str, font: &TextFont, missing: &mut Vec<char>) -> Vec<(char, i64)> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        if ch == '\n' {
            out.push(('\n', 0));
            continue;
        }
        let ch = if ch == '\t' { ' ' } else { ch };
        if ch.is_control() {
            continue;
        }
        if let Some(w) = font.advance(ch) {
            out.push((ch, w));
            continue;
        }
        let alike = LOOKALIKES
            .iter()
            .filter(|(from, _)| *from == ch)
            .find_map(|(_, to)| font.advance(*to).map(|w| (*to, w)));
        if let Some(found) = alike {
            out.push(found);
            continue;
        }
        missing.push(ch);
        let placeholder = font
            .advance(PLACEHOLDER)
            .map(|w| (PLACEHOLDER, w))
            .or_else(|| font.advance('?').map(|w| ('?', w)));
        if let Some(found) = placeholder {
            out.push(found);
        }
    }
    out
}

/// Must not start a line (Chinese line-breaking rules, 避头).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’％…—,.;:?!)]}%".contains(c)
}

/// Must not end a line (避尾).
fn no_line_end(c: char) -> bool {
    "（《「『【〔〈“‘([{".contains(c)
}

/// Breakable units: a run of Latin letters/digits (URLs, "9:00-17:00",
/// phone numbers) stays together when it fits; every CJK character and
/// every space is its own unit.
fn tokens(chars: &[(char, i64)], max: i64) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].0;
        if c.is_ascii_graphic() {
            let start = i;
            while i < chars.len() && chars[i].0.is_ascii_graphic() {
                i += 1;
            }
            let width: i64 = chars[start..i].iter().map(|(_, w)| w).sum();
            if width > max {
                // Too long for any line: let it break anywhere.
                out.extend((start..i).map(|j| j..j + 1));
            } else {
                out.push(start..i);
            }
        } else {
            out.push(i..i + 1);
            i += 1;
        }
    }
    out
}

/// Greedy line filling with the 避头尾 rules above.
fn wrap(chars: &[(char, i64)], max: i64) -> Vec<Vec<(char, i64)>> {
    let mut lines: Vec<Vec<(char, i64)>> = Vec::new();
    let mut line: Vec<std::ops::Range<usize>> = Vec::new();
    let mut line_width = 0i64;
    let width_of =
        |r: &std::ops::Range<usize>| -> i64 { chars[r.clone()].iter().map(|(_, w)| w).sum() };
    let flush = |line: &mut Vec<std::ops::Range<usize>>, lines: &mut Vec<Vec<(char, i64)>>| {
        let mut out: Vec<(char, i64)> = line
            .iter()
            .flat_map(|r| chars[r.clone()].iter().copied())
            .collect();
        while out.last().is_some_and(|(c, _)| *c == ' ') {
            out.pop();
        }
        lines.push(out);
        line.clear();
    };
    for token in tokens(chars, max) {
        let first = chars[token.start].0;
        if first == '\n' {
            flush(&mut line, &mut lines);
            line_width = 0;
            continue;
        }
        let w = width_of(&token);
        if first == ' ' && line.is_empty() && !lines.is_empty() {
            // No leading space on a wrapped line.
            continue;
        }
        if line_width + w <= max || line.is_empty() {
            line_width += w;
            line.push(token);
            continue;
        }
        if first == ' ' {
            flush(&mut line, &mut lines);
            line_width = 0;
            continue;
        }
        // Break before `token`, carrying characters down so the new line
        // does not start with a closing mark and the old one does not end
        // with an opening mark.
        let mut carry: Vec<std::ops::Range<usize>> = Vec::new();
        if no_line_start(first)
            && line.len() >= 2
            && let Some(prev) = line.pop()
        {
            carry.push(prev);
        }
        while line.len() >= 2
            && line
                .last()
                .is_some_and(|r| r.len() == 1 && no_line_end(chars[r.start].0))
        {
            if let Some(prev) = line.pop() {
                carry.insert(0, prev);
            }
        }
        flush(&mut line, &mut lines);
        carry.push(token);
        line_width = carry.iter().map(&width_of).sum();
        line = carry;
    }
    if !line.is_empty() || lines.is_empty() {
        flush(&mut line, &mut lines);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> TextFont {
        TextFont::new(FontRenderer::new::<fonts::u8g2_font_wqy16_t_gb2312>(), 1)
    }

    fn wrapped(text: &str, max: i64) -> Vec<String> {
        let font = body();
        let mut missing = Vec::new();
        let chars = prepare_text(text, &font, &mut missing);
        wrap(&chars, max)
            .into_iter()
            .map(|l| l.into_iter().map(|(c, _)| c).collect())
            .collect()
    }

    #[test]
    fn cjk_wraps_by_character_and_keeps_closing_marks_off_line_starts() {
        let font = body();
        let w = font.advance('中').expect("font has 中");
        // Room for exactly four characters.
        let lines = wrapped("居民身份，证件", 4 * w);
        assert_eq!(lines[0], "居民身");
        assert_eq!(lines[1], "份，证件");
        assert!(lines.iter().all(|l| !l.starts_with('，')));
    }

    #[test]
    fn latin_runs_stay_together_when_they_fit() {
        let lines = wrapped("时间 9:00-17:00", 100);
        assert!(lines.iter().any(|l| l.contains("9:00-17:00")), "{lines:?}");
    }

    #[test]
    fn missing_glyphs_become_placeholders_and_are_reported() {
        let font = body();
        let mut missing = Vec::new();
        let chars = prepare_text("张喆", &font, &mut missing);
        assert_eq!(missing, vec!['喆']);
        assert_eq!(chars[1].0, PLACEHOLDER);
    }

    #[test]
    fn lookalike_dashes_are_substituted_silently() {
        let font = body();
        let mut missing = Vec::new();
        let chars = prepare_text("a—b―c·d", &font, &mut missing);
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(chars.len(), 7);
    }
}
