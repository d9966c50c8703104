//! Metadata out, pixels untouched. A phone's photo of an ID card carries where and when it
//! was taken (EXIF GPS), the device, often the owner's name (XMP, IPTC); none of it is the
//! document, and the store hands it back to everyone who may read the document. So JPEG,
//! PNG and WebP lose their metadata segments or chunks before they are stored, losslessly:
//! the segments that carry pixels (and colour: ICC profiles, Adobe's transform flag) are
//! copied byte for byte and nothing is decoded or re-encoded. Bytes after the end of the
//! image are dropped too, since they can hide anything.

use super::{FileType, Refusal};

/// The file with its metadata removed; `Pdf` is returned as it is. A file whose structure
/// cannot be walked is refused as a malformed image rather than stored with its metadata.
pub fn strip_metadata(file_type: FileType, data: &[u8]) -> Result<Vec<u8>, Refusal> {
    let stripped = match file_type {
        FileType::Pdf => return Ok(data.to_vec()),
        FileType::Jpeg => jpeg(data),
        FileType::Png => png(data),
        FileType::Webp => webp(data),
    };
    stripped.ok_or(Refusal::MalformedImage)
}

/// JPEG segments to keep before and between scans: JFIF (APP0), ICC profile (APP2), Adobe
/// (APP14, which says how to convert colours); every other APPn (EXIF and XMP in APP1,
/// IPTC in APP13, makers' own) and comments go.
fn keep_jpeg_segment(marker: u8) -> bool {
    !(matches!(marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE))
}

fn jpeg(data: &[u8]) -> Option<Vec<u8>> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut i = 2;
    loop {
        if *data.get(i)? != 0xFF {
            return None;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = data[i];
        i += 1;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            }
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            0x00 | 0xD8 => return None,
            _ => {
                let len = usize::from(u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]));
                if len < 2 {
                    return None;
                }
                let body = data.get(i..i + len)?;
                i += len;
                if keep_jpeg_segment(marker) {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(body);
                }
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is neither a stuffed
                    // zero nor a restart marker; it is copied as it is.
                    let start = i;
                    loop {
                        let b = *data.get(i)?;
                        if b == 0xFF {
                            let next = *data.get(i + 1)?;
                            if next != 0x00 && !(0xD0..=0xD7).contains(&next) && next != 0xFF {
                                break;
                            }
                            i += if next == 0xFF { 1 } else { 2 };
                        } else {
                            i += 1;
                        }
                    }
                    out.extend_from_slice(&data[start..i]);
                }
            }
        }
    }
}

/// PNG chunks that are metadata: EXIF, text of every kind (XMP lives in `iTXt`), the
/// modification time.
fn drop_png_chunk(kind: &[u8]) -> bool {
    matches!(kind, b"eXIf" | b"iTXt" | b"tEXt" | b"zTXt" | b"tIME")
}

fn png(data: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if data.get(..8)? != SIGNATURE {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(SIGNATURE);
    let mut i = 8;
    loop {
        let len = u32::from_be_bytes(data.get(i..i + 4)?.try_into().ok()?) as usize;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = data.get(i..end)?;
        let kind = &chunk[4..8];
        if !drop_png_chunk(kind) {
            out.extend_from_slice(chunk);
        }
        i = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

/// VP8X flags of the metadata chunks, cleared when the chunks go.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

fn webp(data: &[u8]) -> Option<Vec<u8>> {
    if data.get(..4)? != b"RIFF" || data.get(8..12)? != b"WEBP" {
        return None;
    }
    let riff_len = u32::from_le_bytes(data.get(4..8)?.try_into().ok()?) as usize;
    let end = riff_len.checked_add(8)?;
    let body = data.get(12..end)?;
    let mut chunks = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let kind = body.get(i..i + 4)?;
        let len = u32::from_le_bytes(body.get(i + 4..i + 8)?.try_into().ok()?) as usize;
        let padded = len.checked_add(len & 1)?;
        let next = i.checked_add(8)?.checked_add(padded)?;
        // The last chunk's padding byte may be missing in files written by some tools.
        let chunk = body.get(i..next.min(body.len()))?;
        if chunk.len() < 8 + len {
            return None;
        }
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let mut vp8x = chunk.to_vec();
                if let Some(flags) = vp8x.get_mut(8) {
                    *flags &= !(VP8X_EXIF | VP8X_XMP);
                }
                chunks.extend_from_slice(&vp8x);
            }
            _ => chunks.extend_from_slice(chunk),
        }
        i = next;
    }
    let mut out = Vec::with_capacity(chunks.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::try_from(chunks.len() + 4).ok()?.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::fixtures;

    /// A GPS position as EXIF writes it, to look for after stripping.
    const GPS: &[u8] = b"Exif\0\0MM\0*GPSLatitude 32.8612N GPSLongitude 51.5521E";

    fn scan_of_jpeg(data: &[u8]) -> &[u8] {
        let sos = data
            .windows(2)
            .position(|w| w == [0xFF, 0xDA])
            .expect("a scan");
        &data[sos..]
    }

    #[test]
    fn a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_its_scan() {
        let plain = fixtures::jpeg(64, 48, 2);
        let with = fixtures::jpeg_with_metadata(64, 48, GPS);
        assert!(with.windows(GPS.len()).any(|w| w == GPS));
        let stripped = strip_metadata(FileType::Jpeg, &with).expect("strips");
        assert!(!stripped.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert!(!stripped.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(
            !stripped.windows(8).any(|w| w == b"Photosho"),
            "no IPTC left"
        );
        assert!(
            !stripped.windows(9).any(|w| w == b"x:xmpmeta"),
            "no XMP left"
        );
        assert_eq!(
            scan_of_jpeg(&stripped),
            scan_of_jpeg(&with),
            "pixels untouched"
        );
        assert!(stripped.starts_with(&plain[..20]), "JFIF kept");
        // Already clean: only the empty APP1 of the fixture goes.
        let again = strip_metadata(FileType::Jpeg, &stripped).expect("strips");
        assert_eq!(again, stripped, "stripping is idempotent");
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks_and_keeps_its_image_data() {
        let with = fixtures::png_with_metadata(32, 16, GPS);
        let stripped = strip_metadata(FileType::Png, &with).expect("strips");
        for kind in [b"eXIf", b"tEXt", b"iTXt", b"zTXt"] {
            assert!(!stripped.windows(4).any(|w| w == kind), "{kind:?} gone");
        }
        assert_eq!(
            stripped,
            fixtures::png(32, 16),
            "exactly the image without metadata"
        );
    }

    #[test]
    fn a_webp_loses_exif_and_xmp_and_its_flags_say_so() {
        let with = fixtures::webp_with_metadata(40, 30, GPS);
        let stripped = strip_metadata(FileType::Webp, &with).expect("strips");
        assert!(!stripped.windows(4).any(|w| w == b"EXIF" || w == b"XMP "));
        assert!(!stripped.windows(GPS.len()).any(|w| w == GPS));
        let flags = stripped[20];
        assert_eq!(flags & (VP8X_EXIF | VP8X_XMP), 0, "VP8X flags cleared");
        let riff = u32::from_le_bytes(stripped[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8, stripped.len(), "the RIFF size is the new one");
        let image = fixtures::webp(40, 30);
        assert!(
            stripped.ends_with(&image[12..]),
            "the VP8L chunk is untouched"
        );
    }

    #[test]
    fn what_cannot_be_walked_is_refused_not_kept() {
        let mut cut = fixtures::jpeg_with_metadata(64, 48, GPS);
        cut.truncate(30);
        assert_eq!(
            strip_metadata(FileType::Jpeg, &cut),
            Err(Refusal::MalformedImage)
        );
        assert_eq!(
            strip_metadata(FileType::Png, b"\x89PNG\r\n\x1a\n\0\0"),
            Err(Refusal::MalformedImage)
        );
        assert_eq!(
            strip_metadata(FileType::Webp, b"RIFF\xff\xff\xff\xffWEBP"),
            Err(Refusal::MalformedImage)
        );
    }
}
