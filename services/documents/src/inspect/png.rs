//! PNG: the size from the IHDR chunk, and a bounded inflate of the image data that refuses
//! a zlib bomb.

use super::Refusal;

/// Width and height from a PNG's IHDR chunk, which must come first.
pub fn png_dimensions(head: &[u8]) -> Option<(u32, u32)> {
    if head.len() < 24 || &head[..8] != b"\x89PNG\r\n\x1a\n" || &head[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    Some((be(16), be(20)))
}

/// Walks a PNG's chunks as they stream past and inflates the image data (`IDAT`) into a
/// small scratch buffer that is thrown away, counting what comes out: more than the
/// header's pixels can fill (at 16-bit RGBA, plus a filter byte per row and interlacing's
/// extra rows) is refused. Memory stays bounded whatever the file claims.
pub(super) struct PngParser {
    /// Signature bytes still to skip.
    signature_left: usize,
    /// The chunk header (length, type) being collected.
    header: Vec<u8>,
    /// Data bytes left in the current chunk.
    data_left: u64,
    /// CRC bytes left after the current chunk's data.
    crc_left: u64,
    in_idat: bool,
    inflate: flate2::Decompress,
    budget: u64,
}

impl PngParser {
    pub(super) fn new(width: u32, height: u32) -> Self {
        let (w, h) = (u64::from(width), u64::from(height));
        Self {
            signature_left: 8,
            header: Vec::with_capacity(8),
            data_left: 0,
            crc_left: 0,
            in_idat: false,
            inflate: flate2::Decompress::new(true),
            budget: (w * 8 + 1) * h + 8 * (w + h) + 1024,
        }
    }

    pub(super) fn feed(&mut self, mut data: &[u8]) -> Result<(), Refusal> {
        while !data.is_empty() {
            if self.signature_left > 0 {
                let n = self.signature_left.min(data.len());
                self.signature_left -= n;
                data = &data[n..];
            } else if self.data_left > 0 {
                let n = usize::try_from(self.data_left)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                if self.in_idat {
                    self.inflate_some(&data[..n])?;
                }
                self.data_left -= n as u64;
                data = &data[n..];
            } else if self.crc_left > 0 {
                let n = usize::try_from(self.crc_left)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                self.crc_left -= n as u64;
                data = &data[n..];
            } else {
                let n = (8 - self.header.len()).min(data.len());
                self.header.extend_from_slice(&data[..n]);
                data = &data[n..];
                if self.header.len() == 8 {
                    let h = std::mem::take(&mut self.header);
                    self.data_left = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
                    self.crc_left = 4;
                    self.in_idat = &h[4..8] == b"IDAT";
                }
            }
        }
        Ok(())
    }

    fn inflate_some(&mut self, mut input: &[u8]) -> Result<(), Refusal> {
        let mut scratch = [0u8; 8192];
        while !input.is_empty() {
            let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(input, &mut scratch, flate2::FlushDecompress::None)
                .map_err(|_| Refusal::MalformedImage)?;
            if self.inflate.total_out() > self.budget {
                return Err(Refusal::ImageDataTooLarge);
            }
            let used = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(input.len());
            input = &input[used.min(input.len())..];
            let stuck = used == 0 && self.inflate.total_out() == before_out;
            if status == flate2::Status::StreamEnd || stuck {
                break;
            }
        }
        Ok(())
    }
}
