//! Minimal, valid files of each type, built in code for tests and benchmarks (and the load
//! generator's uploads), so no binary test files are kept.

use std::io::Write as _;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Appends one PNG chunk (length, type, data, CRC) to `out`.
pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG whose header claims `width` × `height` grey pixels; the image data is a valid
/// zlib stream of one all-zero row per line for small sizes (and truncated for huge ones,
/// which is the point of a pixel flood: the header alone must be refused).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    let rows = if u64::from(width) * u64::from(height) <= 1 << 20 {
        height
    } else {
        1
    };
    let raw = vec![0u8; (width as usize + 1) * rows as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A baseline JPEG header of `width` × `height` with an EXIF-sized APP1 segment before
/// the frame header (so the frame is found past the first chunk), then a scan and EOI.
pub fn jpeg(width: u16, height: u16, app1_len: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let app1 = app1_len.max(2);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&app1.to_be_bytes());
    out.extend(std::iter::repeat_n(0xA5u8, usize::from(app1 - 2)));
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    out.extend_from_slice(&[0x00, 0x00, 0x00]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A lossless WebP header of `width` × `height`.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let bits = (width - 1) | ((height - 1) << 14);
    let mut body = vec![0x2f];
    body.extend_from_slice(&bits.to_le_bytes());
    body.extend_from_slice(&[0u8; 8]);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&((4 + 8 + body.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBPVP8L");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A one-page PDF; `extra` is spliced into the catalog (e.g. an `/OpenAction`), and
/// `padding` bytes of an uncompressed binary image stream make it as large as needed.
pub fn pdf(extra: &str, padding: usize) -> Vec<u8> {
    let mut out = format!(
        "%PDF-1.7\n%\u{e2}\u{e3}\u{cf}\u{d3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R {extra} >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
         3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    )
    .into_bytes();
    if padding > 0 {
        out.extend_from_slice(
            format!("4 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length {padding} >>\nstream\n")
                .as_bytes(),
        );
        // Deterministic noise: a scanned page's bytes, with no `endstream` in them.
        let mut x = 0x9E37_79B9u32;
        out.extend((0..padding).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        }));
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }
    out.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

/// [`jpeg`] as a phone writes it: EXIF (with `exif`, e.g. a GPS position) and XMP in APP1,
/// IPTC in APP13 and a comment, all before the frame header.
pub fn jpeg_with_metadata(width: u16, height: u16, exif: &[u8]) -> Vec<u8> {
    let plain = jpeg(width, height, 2);
    // SOI and APP0 (20 bytes), then the empty APP1 (4 bytes) of the plain file.
    let mut out = plain[..20].to_vec();
    let mut segment = |marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    segment(0xE1, exif);
    segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>Owner</dc:creator></x:xmpmeta>",
    );
    segment(
        0xED,
        b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x08\x1c\x02\x50\0\x03Owner",
    );
    segment(0xFE, b"taken on a phone");
    out.extend_from_slice(&plain[24..]);
    out
}

/// [`png`] with an `eXIf` chunk holding `exif` and text chunks (`tEXt`, `zTXt`, and XMP in
/// `iTXt`) after the header.
pub fn png_with_metadata(width: u32, height: u32, exif: &[u8]) -> Vec<u8> {
    let plain = png(width, height);
    // The signature (8 bytes) and IHDR (25 bytes).
    let mut out = plain[..33].to_vec();
    png_chunk(&mut out, b"eXIf", exif);
    png_chunk(&mut out, b"tEXt", b"Author\0Owner");
    png_chunk(&mut out, b"zTXt", b"Comment\0\0x\x9c\x03\0\0\0\0\x01");
    png_chunk(
        &mut out,
        b"iTXt",
        b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>GPS</x:xmpmeta>",
    );
    out.extend_from_slice(&plain[33..]);
    out
}

/// An extended WebP (`VP8X`, its EXIF and XMP flags set) with `EXIF` (holding `exif`) and
/// `XMP ` chunks before the [`webp`] image chunk.
pub fn webp_with_metadata(width: u32, height: u32, exif: &[u8]) -> Vec<u8> {
    let image = &webp(width, height)[12..];
    let mut chunks = Vec::new();
    let mut chunk = |kind: &[u8; 4], body: &[u8]| {
        chunks.extend_from_slice(kind);
        chunks.extend_from_slice(&(body.len() as u32).to_le_bytes());
        chunks.extend_from_slice(body);
        if body.len() % 2 == 1 {
            chunks.push(0);
        }
    };
    let mut vp8x = vec![0x08 | 0x04, 0, 0, 0];
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    chunk(b"VP8X", &vp8x);
    chunk(b"EXIF", exif);
    chunk(b"XMP ", b"<x:xmpmeta>Owner</x:xmpmeta>");
    chunks.extend_from_slice(image);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&((chunks.len() + 4) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    out
}
