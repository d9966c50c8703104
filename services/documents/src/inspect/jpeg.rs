//! JPEG: the size from the first start-of-frame marker.

use super::Refusal;

/// Walks JPEG markers to the first start-of-frame, across chunk boundaries, keeping only a
/// few bytes of state: segment bodies (EXIF, ICC profiles, thumbnails) are skipped unread.
#[derive(Debug, Default)]
pub(super) struct JpegParser {
    state: JpegState,
}

#[derive(Debug, Default, Clone, Copy)]
enum JpegState {
    /// Expecting the SOI marker's two bytes.
    #[default]
    Soi0,
    Soi1,
    /// Expecting 0xFF.
    MarkerStart,
    /// After 0xFF: the marker code (or fill bytes).
    MarkerCode,
    /// Reading a segment's 2-byte length.
    Length {
        marker: u8,
        first: Option<u8>,
    },
    /// Skipping `left` bytes of a segment body.
    Skip {
        left: u32,
    },
    /// Reading a frame header: precision, height, width.
    Frame {
        got: u8,
        bytes: [u8; 5],
    },
}

impl JpegParser {
    /// Feeds bytes; the dimensions once the frame header has been read.
    pub(super) fn feed(&mut self, data: &[u8]) -> Result<Option<(u32, u32)>, Refusal> {
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            i += 1;
            self.state = match self.state {
                JpegState::Soi0 if b == 0xFF => JpegState::Soi1,
                JpegState::Soi1 if b == 0xD8 => JpegState::MarkerStart,
                JpegState::Soi0 | JpegState::Soi1 => return Err(Refusal::MalformedImage),
                JpegState::MarkerStart if b == 0xFF => JpegState::MarkerCode,
                JpegState::MarkerStart => return Err(Refusal::MalformedImage),
                JpegState::MarkerCode => match b {
                    0xFF => JpegState::MarkerCode,
                    0x01 | 0xD0..=0xD7 => JpegState::MarkerStart,
                    // End of image or start of scan before any frame header: no dimensions.
                    0x00 | 0xD8 | 0xD9 | 0xDA => return Err(Refusal::MalformedImage),
                    marker => JpegState::Length {
                        marker,
                        first: None,
                    },
                },
                JpegState::Length {
                    marker,
                    first: None,
                } => JpegState::Length {
                    marker,
                    first: Some(b),
                },
                JpegState::Length {
                    marker,
                    first: Some(hi),
                } => {
                    let len = u32::from(u16::from_be_bytes([hi, b]));
                    if len < 2 {
                        return Err(Refusal::MalformedImage);
                    }
                    let is_frame =
                        matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                    if is_frame {
                        if len < 7 {
                            return Err(Refusal::MalformedImage);
                        }
                        JpegState::Frame {
                            got: 0,
                            bytes: [0; 5],
                        }
                    } else if len == 2 {
                        JpegState::MarkerStart
                    } else {
                        JpegState::Skip { left: len - 2 }
                    }
                }
                JpegState::Skip { left } => {
                    // Skip as much of the body as this piece holds at once.
                    let step = (left as usize).min(data.len() - i + 1);
                    i += step - 1;
                    let left = left - step as u32;
                    if left == 0 {
                        JpegState::MarkerStart
                    } else {
                        JpegState::Skip { left }
                    }
                }
                JpegState::Frame { got, mut bytes } => {
                    bytes[got as usize] = b;
                    if got == 4 {
                        let height = u32::from(u16::from_be_bytes([bytes[1], bytes[2]]));
                        let width = u32::from(u16::from_be_bytes([bytes[3], bytes[4]]));
                        self.state = JpegState::Skip { left: 0 };
                        return Ok(Some((width, height)));
                    }
                    JpegState::Frame {
                        got: got + 1,
                        bytes,
                    }
                }
            };
        }
        Ok(None)
    }
}
