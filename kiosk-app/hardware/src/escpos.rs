//! The few ESC/POS commands a slip needs, their decoder, and the paper
//! status query.
//!
//! We encode by hand instead of using the `escpos` crate: in testing it
//! shrank images past 512 dots and its "partial cut" sent a full cut. Five
//! commands are easy to get exactly right:
//!
//! | bytes                      | meaning                                  |
//! |----------------------------|------------------------------------------|
//! | `1B 40`                    | `ESC @` initialise                       |
//! | `1D 76 30 m xL xH yL yH d` | `GS v 0` raster band                     |
//! | `1B 64 n`                  | `ESC d n` feed n lines                   |
//! | `1D 56 42 n`               | `GS V 66 n` feed n and partial cut       |
//! | `10 04 04`                 | `DLE EOT 4` paper roll sensor status     |
//!
//! The decoder understands the same set (plus the other cut forms and
//! `DLE EOT n`) and is what tests and [`crate::sim`] use to see what a
//! printer would print.

use thiserror::Error;

use crate::raster::{Raster, RasterError, stride_of};

/// `GS v 0` bands are at most this many rows: many printers have small
/// receive buffers and some firmware mishandles taller images.
pub const MAX_BAND_ROWS: u32 = 255;

/// Lines fed after the slip so its end clears the cutter.
pub const FEED_BEFORE_CUT: u8 = 3;

/// `DLE EOT 4`: transmit paper roll sensor status.
pub const PAPER_STATUS_QUERY: [u8; 3] = [0x10, 0x04, 0x04];

/// A complete print job: initialise, the raster in bands, feed, partial cut.
pub fn encode_job(raster: &Raster) -> Vec<u8> {
    let stride = raster.stride();
    let mut out = Vec::with_capacity(raster.data().len() + 16 + 8 * raster.height() as usize / 255);
    out.extend_from_slice(&[0x1B, 0x40]);
    let mut row = 0;
    while row < raster.height() {
        let rows = (raster.height() - row).min(MAX_BAND_ROWS);
        encode_band(&mut out, stride, rows, raster.rows(row, row + rows));
        row += rows;
    }
    out.extend_from_slice(&[0x1B, 0x64, FEED_BEFORE_CUT]);
    out.extend_from_slice(&[0x1D, 0x56, 66, 0]);
    out
}

fn encode_band(out: &mut Vec<u8>, stride: usize, rows: u32, data: &[u8]) {
    // Width is in bytes; a 576-dot line is 72 bytes, so xH is always 0
    // here, but encode it properly anyway.
    let x = stride as u16;
    let y = rows as u16;
    out.extend_from_slice(&[0x1D, 0x76, 0x30, 0]);
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&y.to_le_bytes());
    out.extend_from_slice(data);
}

// ---------------------------------------------------------------------------
// Command framing, shared by the decoder and the simulator.

/// One ESC/POS command as seen in a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    Initialize,
    /// `GS v 0`: `width_bytes` x `rows` of raster data, `mode` 0..=3
    /// (1–3 ask the printer to double width/height).
    Raster {
        mode: u8,
        width_bytes: u16,
        rows: u16,
        data: &'a [u8],
    },
    Feed(u8),
    /// `GS V`: `partial` when the function asked for a partial cut.
    Cut {
        partial: bool,
    },
    /// `DLE EOT n`: a real-time status request.
    StatusQuery(u8),
}

/// Result of looking at the start of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole command, `len` bytes long.
    Command { command: Command<'a>, len: usize },
    /// The start of a known command whose bytes have not all arrived.
    Incomplete,
    /// A byte that does not begin a command we know.
    Unknown(u8),
}

/// Recognises the command at the start of `bytes`.
pub fn next_frame(bytes: &[u8]) -> Frame<'_> {
    let Some(&first) = bytes.first() else {
        return Frame::Incomplete;
    };
    let need = |n: usize| bytes.len() < n;
    match first {
        0x1B => {
            if need(2) {
                return Frame::Incomplete;
            }
            match bytes[1] {
                0x40 => Frame::Command {
                    command: Command::Initialize,
                    len: 2,
                },
                0x64 => {
                    if need(3) {
                        Frame::Incomplete
                    } else {
                        Frame::Command {
                            command: Command::Feed(bytes[2]),
                            len: 3,
                        }
                    }
                }
                _ => Frame::Unknown(first),
            }
        }
        0x1D => {
            if need(2) {
                return Frame::Incomplete;
            }
            match bytes[1] {
                0x76 => {
                    if need(8) {
                        return Frame::Incomplete;
                    }
                    if bytes[2] != 0x30 {
                        return Frame::Unknown(first);
                    }
                    let mode = bytes[3];
                    let width_bytes = u16::from_le_bytes([bytes[4], bytes[5]]);
                    let rows = u16::from_le_bytes([bytes[6], bytes[7]]);
                    let len = 8 + usize::from(width_bytes) * usize::from(rows);
                    if need(len) {
                        return Frame::Incomplete;
                    }
                    Frame::Command {
                        command: Command::Raster {
                            mode,
                            width_bytes,
                            rows,
                            data: &bytes[8..len],
                        },
                        len,
                    }
                }
                0x56 => {
                    if need(3) {
                        return Frame::Incomplete;
                    }
                    // Function A (0/1/48/49) has no n; function B (65/66)
                    // and C/D (97/98, 103/104) have one more byte.
                    match bytes[2] {
                        0 | 48 => cut(false, 3),
                        1 | 49 => cut(true, 3),
                        65 | 97 | 103 => {
                            if need(4) {
                                Frame::Incomplete
                            } else {
                                cut(false, 4)
                            }
                        }
                        66 | 98 | 104 => {
                            if need(4) {
                                Frame::Incomplete
                            } else {
                                cut(true, 4)
                            }
                        }
                        _ => Frame::Unknown(first),
                    }
                }
                _ => Frame::Unknown(first),
            }
        }
        0x10 => {
            if need(2) {
                return Frame::Incomplete;
            }
            if bytes[1] != 0x04 {
                return Frame::Unknown(first);
            }
            if need(3) {
                return Frame::Incomplete;
            }
            Frame::Command {
                command: Command::StatusQuery(bytes[2]),
                len: 3,
            }
        }
        other => Frame::Unknown(other),
    }
}

fn cut(partial: bool, len: usize) -> Frame<'static> {
    Frame::Command {
        command: Command::Cut { partial },
        len,
    }
}

// ---------------------------------------------------------------------------
// Decoder

/// One slip as a printer would produce it: the picture, then what ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSlip {
    pub raster: Raster,
    /// Sum of `ESC d n` lines fed after the picture.
    pub feed_lines: u32,
    /// `Some(true)` partial cut, `Some(false)` full cut, `None` no cut yet.
    pub cut: Option<bool>,
}

/// Everything a byte stream asked a printer to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub slips: Vec<DecodedSlip>,
    pub status_queries: usize,
    pub initializations: usize,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error(
        "byte 0x{byte:02X} at offset {offset} does not start an ESC/POS command this decoder knows"
    )]
    UnknownCommand { offset: usize, byte: u8 },
    #[error("the stream ends inside a command that started at offset {offset}")]
    Truncated { offset: usize },
    #[error(
        "raster band at offset {offset} is {width_bytes} bytes wide but the slip so far is {expected}"
    )]
    WidthChanged {
        offset: usize,
        width_bytes: u16,
        expected: usize,
    },
    #[error("raster band at offset {offset} uses scaling mode {mode}; only mode 0 is decoded")]
    ScaledRaster { offset: usize, mode: u8 },
    #[error("raster band at offset {offset}: {reason}")]
    BadRaster { offset: usize, reason: String },
}

/// Turns ESC/POS bytes back into slips. A slip ends at a cut; rasters after
/// the last cut form a final slip with `cut: None`.
///
/// The raster's width is `8 * width_bytes`: the printer cannot know the
/// picture was narrower, so neither can we.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let mut decoded = Decoded::default();
    let mut current: Option<DecodedSlip> = None;
    let mut offset = 0;
    while offset < bytes.len() {
        let (command, len) = match next_frame(&bytes[offset..]) {
            Frame::Command { command, len } => (command, len),
            Frame::Incomplete => return Err(DecodeError::Truncated { offset }),
            Frame::Unknown(byte) => return Err(DecodeError::UnknownCommand { offset, byte }),
        };
        match command {
            Command::Initialize => decoded.initializations += 1,
            Command::StatusQuery(_) => decoded.status_queries += 1,
            Command::Feed(n) => {
                if let Some(slip) = current.as_mut() {
                    slip.feed_lines += u32::from(n);
                }
            }
            Command::Cut { partial } => {
                if let Some(mut slip) = current.take() {
                    slip.cut = Some(partial);
                    decoded.slips.push(slip);
                }
            }
            Command::Raster {
                mode,
                width_bytes,
                rows,
                data,
            } => {
                if mode != 0 {
                    return Err(DecodeError::ScaledRaster { offset, mode });
                }
                let width = u32::from(width_bytes) * 8;
                let bad = |e: RasterError| DecodeError::BadRaster {
                    offset,
                    reason: e.to_string(),
                };
                match current.as_mut() {
                    // Printers feed a slip's bands one after another; a
                    // feed between bands ends nothing, so neither do we.
                    Some(slip) => {
                        if slip.raster.stride() != usize::from(width_bytes) {
                            return Err(DecodeError::WidthChanged {
                                offset,
                                width_bytes,
                                expected: slip.raster.stride(),
                            });
                        }
                        slip.raster.append_rows(width, data).map_err(bad)?;
                    }
                    None => {
                        let raster = Raster::from_bytes(width, u32::from(rows), data.to_vec())
                            .map_err(bad)?;
                        current = Some(DecodedSlip {
                            raster,
                            feed_lines: 0,
                            cut: None,
                        });
                    }
                }
                debug_assert_eq!(stride_of(width), usize::from(width_bytes));
            }
        }
        offset += len;
    }
    if let Some(slip) = current {
        decoded.slips.push(slip);
    }
    Ok(decoded)
}

// ---------------------------------------------------------------------------
// Paper status

/// What the paper roll sensor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperStatus {
    Ok,
    /// Near-end sensor: a few metres left.
    NearEnd,
    /// End sensor: no paper (or the cover is open on some models).
    Out,
    /// The printer took the query but said nothing (many USB and network
    /// printers never answer). Printing is attempted anyway.
    Unknown,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StatusError {
    #[error(
        "the printer answered {} to a paper status query, which is not an ESC/POS status byte; check that the device is an ESC/POS printer and, for a serial printer, the baud rate",
        hex_bytes(.0)
    )]
    Garbage(Vec<u8>),
}

fn hex_bytes(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02X}")).collect();
    let more = if bytes.len() > 16 { " ..." } else { "" };
    format!("[{}{}] ({} bytes)", shown.join(" "), more, bytes.len())
}

/// A byte that can be a `DLE EOT` answer: bits 0 and 7 clear, 1 and 4 set.
fn is_status_byte(b: u8) -> bool {
    b & 0x93 == 0x12
}

/// First byte of an Automatic Status Back block (4 bytes, sent unasked by
/// printers with ASB enabled): bits 0, 1, 7 clear, 4 set.
fn is_asb_first(b: u8) -> bool {
    b & 0x93 == 0x10
}

/// Later ASB bytes: bits 4 and 7 clear.
fn is_asb_rest(b: u8) -> bool {
    b & 0x90 == 0x00
}

/// Longest reply we try to make sense of; past this it is not a printer
/// talking ESC/POS.
const MAX_REPLY: usize = 64;

/// Reads the answer to `DLE EOT 4` out of whatever the printer sent.
///
/// Printers may send bytes nobody asked for (Automatic Status Back blocks,
/// XON/XOFF on serial lines, answers to an earlier query), so those are
/// skipped and the last status byte counts. A reply with anything else in
/// it is garbage: a wrong baud rate or a device that is not a printer, and
/// guessing would report paper that is not there.
///
/// An empty reply is [`PaperStatus::Unknown`].
pub fn parse_paper_status(reply: &[u8]) -> Result<PaperStatus, StatusError> {
    if reply.is_empty() {
        return Ok(PaperStatus::Unknown);
    }
    if reply.len() > MAX_REPLY {
        return Err(StatusError::Garbage(reply.to_vec()));
    }
    let mut last = None;
    let mut i = 0;
    while i < reply.len() {
        let b = reply[i];
        if is_status_byte(b) {
            last = Some(b);
            i += 1;
        } else if b == 0x11 || b == 0x13 {
            // XON / XOFF flow control.
            i += 1;
        } else if is_asb_first(b)
            && i + 4 <= reply.len()
            && reply[i + 1..i + 4].iter().all(|&r| is_asb_rest(r))
        {
            i += 4;
        } else {
            return Err(StatusError::Garbage(reply.to_vec()));
        }
    }
    match last {
        Some(b) if b & 0x60 != 0 => Ok(PaperStatus::Out),
        Some(b) if b & 0x0C != 0 => Ok(PaperStatus::NearEnd),
        Some(_) => Ok(PaperStatus::Ok),
        // Only ASB blocks or flow control: the printer is alive but did not
        // answer our question.
        None => Ok(PaperStatus::Unknown),
    }
}

/// The status byte a printer sends for `status`, for simulators.
pub fn paper_status_byte(status: PaperStatus) -> Option<u8> {
    match status {
        PaperStatus::Ok => Some(0x12),
        PaperStatus::NearEnd => Some(0x1E),
        PaperStatus::Out => Some(0x72),
        PaperStatus::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bytes_from_the_manual() {
        assert_eq!(parse_paper_status(&[0x12]), Ok(PaperStatus::Ok));
        assert_eq!(parse_paper_status(&[0x1E]), Ok(PaperStatus::NearEnd));
        assert_eq!(parse_paper_status(&[0x72]), Ok(PaperStatus::Out));
        assert_eq!(parse_paper_status(&[0x7E]), Ok(PaperStatus::Out));
        assert_eq!(parse_paper_status(&[]), Ok(PaperStatus::Unknown));
    }

    #[test]
    fn unsolicited_bytes_are_skipped_and_the_last_answer_counts() {
        // An ASB block, XOFF, a stale answer, then the fresh one.
        let reply = [0x10, 0x00, 0x00, 0x00, 0x13, 0x12, 0x72];
        assert_eq!(parse_paper_status(&reply), Ok(PaperStatus::Out));
    }

    #[test]
    fn garbage_is_an_error_not_a_guess() {
        // 'r' is 0x72, the out-of-paper byte: text must not be read as status.
        let reply = b"HTTP/1.1 400 Bad Request\r\n";
        assert!(matches!(
            parse_paper_status(reply),
            Err(StatusError::Garbage(_))
        ));
        assert!(matches!(
            parse_paper_status(&[0xFF]),
            Err(StatusError::Garbage(_))
        ));
        let long = vec![0x12; 100];
        assert!(parse_paper_status(&long).is_err());
    }

    #[test]
    fn bands_are_at_most_255_rows_and_decode_back() {
        let mut raster = Raster::new(384, 600).expect("size");
        raster.fill_rect(10, 10, 100, 580);
        raster.set(383, 599, true);
        let job = encode_job(&raster);
        let decoded = decode(&job).expect("decodes");
        assert_eq!(decoded.slips.len(), 1);
        assert_eq!(decoded.slips[0].raster, raster);
        assert_eq!(decoded.slips[0].cut, Some(true));
        assert_eq!(decoded.slips[0].feed_lines, u32::from(FEED_BEFORE_CUT));
        let bands = job.windows(3).filter(|w| *w == [0x1D, 0x76, 0x30]).count();
        assert_eq!(bands, 3);
        assert!(job.ends_with(&[0x1D, 0x56, 66, 0]));
    }

    #[test]
    fn decoder_names_the_offset_of_trouble() {
        assert_eq!(
            decode(&[0x1B, 0x40, 0x41]),
            Err(DecodeError::UnknownCommand {
                offset: 2,
                byte: 0x41
            })
        );
        assert_eq!(
            decode(&[0x1D, 0x76, 0x30, 0, 1, 0, 2, 0, 0xFF]),
            Err(DecodeError::Truncated { offset: 0 })
        );
    }
}
