//! WebP: the size from the first chunk; the RIFF size (checked at the end) says where the
//! file ends.

/// Width and height from a WebP's first chunk: lossy (`VP8 `), lossless (`VP8L`) or
/// extended (`VP8X`, the canvas size).
pub fn webp_dimensions(head: &[u8]) -> Option<(u32, u32)> {
    if head.len() < 30 || &head[..4] != b"RIFF" || &head[8..12] != b"WEBP" {
        return None;
    }
    let le16 = |i: usize| u32::from(u16::from_le_bytes([head[i], head[i + 1]]));
    let le24 = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], 0]);
    match &head[12..16] {
        b"VP8 " => {
            // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
            if head[23..26] != [0x9d, 0x01, 0x2a] {
                return None;
            }
            Some((le16(26) & 0x3fff, le16(28) & 0x3fff))
        }
        b"VP8L" => {
            if head[20] != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes([head[21], head[22], head[23], head[24]]);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(24) + 1, le24(27) + 1)),
        _ => None,
    }
}
