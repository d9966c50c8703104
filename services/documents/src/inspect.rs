//! What an upload really is, judged from its bytes as they stream past: the type (sniffed
//! with `infer`, then confirmed by our own header parse), the pixel size of images (read
//! from the headers, never by decoding), and for PDFs the scan in [`crate::pdf_scan`].
//! No I/O, bounded memory: the first KiB is kept for sniffing, everything after is looked at
//! once and forgotten.

use crate::pdf_scan::{PdfProblem, PdfScanner};

/// The four kinds of file the store accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// `application/pdf`.
    Pdf,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `image/webp`.
    Webp,
}

impl FileType {
    /// The canonical media type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// The type a media type names (aliases browsers send included), if it is one of ours.
    pub fn from_mime(mime: &str) -> Option<Self> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/pdf" | "application/x-pdf" => Some(Self::Pdf),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" | "image/x-png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// The type a filename extension names, if it is one of ours.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(Self::Pdf),
            "jpg" | "jpeg" | "jpe" | "jfif" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    fn from_infer(kind: infer::Type) -> Option<Self> {
        Self::from_mime(kind.mime_type())
    }
}

/// Why content is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing was sent.
    Empty,
    /// Not a PDF, JPEG, PNG or WebP (`detected` is what it looks like, if anything).
    TypeNotAllowed {
        /// The media type sniffed, when `infer` knew it.
        detected: Option<String>,
    },
    /// The content is `detected` but the uploader declared `declared`.
    DeclaredTypeMismatch {
        /// From the bytes.
        detected: FileType,
        /// From the uploader.
        declared: FileType,
    },
    /// The content is `detected` but the filename's extension says `extension`.
    ExtensionMismatch {
        /// From the bytes.
        detected: FileType,
        /// From the name.
        extension: FileType,
    },
    /// The image header is broken or the dimensions cannot be found.
    MalformedImage,
    /// The image claims more pixels than allowed (a pixel flood).
    ImageTooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// An image that is also a PDF (a polyglot), which a PDF reader would open as such.
    Polyglot,
    /// Bytes after the format's own end (past a JPEG's EOI, a PNG's IEND, a PDF's last
    /// `%%EOF`, a WebP's RIFF size), or a ZIP archive's directory at the end: another file
    /// riding along, which a different reader would open (a PDF+ZIP or JPEG+script polyglot).
    TrailingData,
    /// A PNG whose compressed image data inflates to more than its declared pixels can
    /// fill: a zlib bomb aimed at whoever decodes it.
    ImageDataTooLarge,
    /// A PDF that is refused for what it carries, or because it cannot be inspected.
    Pdf(PdfProblem),
}

/// The limits content is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most pixels an image may have.
    pub max_pixels: u64,
    /// Longest side of an image.
    pub max_side: u32,
    /// Inflation budget of the PDF scan.
    pub max_pdf_inflated: u64,
}

/// What the uploader claims.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claims {
    /// From the declared content type; `None` when none (or `application/octet-stream`).
    pub declared: Option<FileType>,
    /// From the filename's extension.
    pub extension: Option<FileType>,
}

/// What inspection found in content that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    /// The real type.
    pub file_type: FileType,
    /// Pixels across, for images.
    pub width: u32,
    /// Pixels down, for images.
    pub height: u32,
    /// Pages, for PDFs.
    pub pages: u32,
}

/// Bytes kept from the start for sniffing: enough for every header we read, and for the
/// 1 KiB window in which PDF readers look for `%PDF` (to catch image/PDF polyglots).
const HEAD: usize = 1024;

/// Bytes kept from the end: a ZIP reader looks for its end-of-central-directory record
/// (22 bytes plus a comment of up to 65,535) within this distance of the end, and every
/// format's own end marker is in it.
const TAIL: usize = 22 + 65_535;

/// The ZIP end-of-central-directory signature.
const ZIP_END: &[u8] = b"PK\x05\x06";

enum Parser {
    Sniffing,
    Pdf(Box<PdfScanner>),
    Jpeg(JpegParser),
    Png(Box<PngParser>),
    /// WebP: the dimensions are in the head.
    Done,
}

/// Inspects content fed in pieces.
pub struct Inspector {
    limits: Limits,
    claims: Claims,
    head: Vec<u8>,
    parser: Parser,
    file_type: Option<FileType>,
    dims: Option<(u32, u32)>,
    total: u64,
    /// The last bytes seen (at most 2 × [`TAIL`], trimmed to [`TAIL`] when full).
    tail: Vec<u8>,
    /// A WebP's RIFF size, from the head.
    riff_size: Option<u32>,
}

impl Inspector {
    /// An inspector for content claimed to be `claims`.
    pub fn new(limits: Limits, claims: Claims) -> Self {
        Self {
            limits,
            claims,
            head: Vec::with_capacity(HEAD),
            parser: Parser::Sniffing,
            file_type: None,
            dims: None,
            total: 0,
            tail: Vec::new(),
            riff_size: None,
        }
    }

    /// The type, once sniffed.
    pub fn file_type(&self) -> Option<FileType> {
        self.file_type
    }

    /// Looks at the next piece; refuses as soon as something is wrong.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Refusal> {
        self.total += data.len() as u64;
        self.keep_tail(data);
        if let Parser::Sniffing = self.parser {
            let take = (HEAD - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..take]);
            if self.head.len() < HEAD {
                return Ok(());
            }
            self.sniff()?;
            return self.parse(&data[take..]);
        }
        self.parse(data)
    }

    /// Ends the content; says what it is, or why it is refused.
    pub fn finish(mut self) -> Result<Inspection, Refusal> {
        if self.total == 0 {
            return Err(Refusal::Empty);
        }
        if let Parser::Sniffing = self.parser {
            self.sniff()?;
        }
        let file_type = self
            .file_type
            .ok_or(Refusal::TypeNotAllowed { detected: None })?;
        let mut pages = 0;
        match std::mem::replace(&mut self.parser, Parser::Done) {
            Parser::Pdf(scanner) => pages = scanner.finish().map_err(Refusal::Pdf)?,
            Parser::Jpeg(_) if self.dims.is_none() => return Err(Refusal::MalformedImage),
            _ => {}
        }
        let (width, height) = match file_type {
            FileType::Pdf => (0, 0),
            _ => self.dims.ok_or(Refusal::MalformedImage)?,
        };
        self.check_end(file_type)?;
        Ok(Inspection {
            file_type,
            width,
            height,
            pages,
        })
    }

    /// Decides the type from the head, checks the claims, and starts the type's parser on
    /// the head.
    fn sniff(&mut self) -> Result<(), Refusal> {
        let head = std::mem::take(&mut self.head);
        let detected = infer::get(&head);
        let file_type =
            detected
                .and_then(FileType::from_infer)
                .ok_or_else(|| Refusal::TypeNotAllowed {
                    detected: detected.map(|t| t.mime_type().to_owned()),
                })?;
        if let Some(declared) = self.claims.declared
            && declared != file_type
        {
            return Err(Refusal::DeclaredTypeMismatch {
                detected: file_type,
                declared,
            });
        }
        if let Some(extension) = self.claims.extension
            && extension != file_type
        {
            return Err(Refusal::ExtensionMismatch {
                detected: file_type,
                extension,
            });
        }
        self.file_type = Some(file_type);
        match file_type {
            FileType::Pdf => {
                // Stricter than infer (which looks anywhere in the first KiB): the header must
                // open the file, so the scan below sees every byte a reader parses.
                if !head.starts_with(b"%PDF-") {
                    return Err(Refusal::Pdf(PdfProblem::Malformed));
                }
                self.parser = Parser::Pdf(Box::new(PdfScanner::new(self.limits.max_pdf_inflated)));
            }
            FileType::Jpeg => self.parser = Parser::Jpeg(JpegParser::default()),
            FileType::Png => {
                let (width, height) = png_dimensions(&head).ok_or(Refusal::MalformedImage)?;
                self.dims = Some((width, height));
                self.parser = Parser::Png(Box::new(PngParser::new(width, height)));
            }
            FileType::Webp => {
                self.dims = Some(webp_dimensions(&head).ok_or(Refusal::MalformedImage)?);
                self.riff_size = Some(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
                self.parser = Parser::Done;
            }
        }
        if file_type != FileType::Pdf && head.windows(4).any(|w| w == b"%PDF") {
            return Err(Refusal::Polyglot);
        }
        self.check_dims()?;
        self.parse(&head)
    }

    fn parse(&mut self, data: &[u8]) -> Result<(), Refusal> {
        match &mut self.parser {
            Parser::Pdf(scanner) => scanner.feed(data).map_err(Refusal::Pdf),
            Parser::Jpeg(jpeg) => {
                if self.dims.is_none() {
                    self.dims = jpeg.feed(data)?;
                    self.check_dims()?;
                }
                Ok(())
            }
            Parser::Png(png) => png.feed(data),
            Parser::Sniffing | Parser::Done => Ok(()),
        }
    }

    fn keep_tail(&mut self, data: &[u8]) {
        if data.len() >= TAIL {
            self.tail.clear();
            self.tail.extend_from_slice(&data[data.len() - TAIL..]);
            return;
        }
        if self.tail.len() + data.len() > 2 * TAIL {
            let drop = self.tail.len() - TAIL;
            self.tail.drain(..drop);
        }
        self.tail.extend_from_slice(data);
    }

    /// The content ends where its format says it ends, with no archive directory near the
    /// end: nothing rides along for another reader to find.
    fn check_end(&self, file_type: FileType) -> Result<(), Refusal> {
        let tail = &self.tail[self.tail.len().saturating_sub(TAIL)..];
        if tail.windows(ZIP_END.len()).any(|w| w == ZIP_END) {
            return Err(Refusal::TrailingData);
        }
        let ends_well = match file_type {
            FileType::Jpeg => tail.ends_with(&[0xFF, 0xD9]),
            FileType::Png => tail.ends_with(b"\0\0\0\0IEND\xAE\x42\x60\x82"),
            FileType::Pdf => {
                let at = tail.windows(5).rposition(|w| w == b"%%EOF");
                at.is_some_and(|i| tail[i + 5..].iter().all(|b| b" \t\r\n\x0c\0".contains(b)))
            }
            FileType::Webp => self.riff_size.is_some_and(|n| {
                // The RIFF size counts everything after its own 8-byte header; an odd size
                // may be followed by one pad byte.
                let n = u64::from(n);
                self.total == n + 8 || (n % 2 == 1 && self.total == n + 9)
            }),
        };
        if ends_well {
            Ok(())
        } else {
            Err(Refusal::TrailingData)
        }
    }

    fn check_dims(&self) -> Result<(), Refusal> {
        if let Some((width, height)) = self.dims {
            if width == 0 || height == 0 {
                return Err(Refusal::MalformedImage);
            }
            let too_large = width > self.limits.max_side
                || height > self.limits.max_side
                || u64::from(width) * u64::from(height) > self.limits.max_pixels;
            if too_large {
                return Err(Refusal::ImageTooLarge { width, height });
            }
        }
        Ok(())
    }
}

/// Width and height from a PNG's IHDR chunk, which must come first.
pub fn png_dimensions(head: &[u8]) -> Option<(u32, u32)> {
    if head.len() < 24 || &head[..8] != b"\x89PNG\r\n\x1a\n" || &head[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    Some((be(16), be(20)))
}

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

/// Walks a PNG's chunks as they stream past and inflates the image data (`IDAT`) into a
/// small scratch buffer that is thrown away, counting what comes out: more than the
/// header's pixels can fill (at 16-bit RGBA, plus a filter byte per row and interlacing's
/// extra rows) is refused. Memory stays bounded whatever the file claims.
struct PngParser {
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
    fn new(width: u32, height: u32) -> Self {
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

    fn feed(&mut self, mut data: &[u8]) -> Result<(), Refusal> {
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

/// Walks JPEG markers to the first start-of-frame, across chunk boundaries, keeping only a
/// few bytes of state: segment bodies (EXIF, ICC profiles, thumbnails) are skipped unread.
#[derive(Debug, Default)]
struct JpegParser {
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
    fn feed(&mut self, data: &[u8]) -> Result<Option<(u32, u32)>, Refusal> {
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

/// Minimal, valid files of each type, built in code for tests and benchmarks.
pub mod fixtures {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_pixels: 50_000_000,
        max_side: 20_000,
        max_pdf_inflated: 1 << 20,
    };

    fn inspect(data: &[u8], claims: Claims, chunk: usize) -> Result<Inspection, Refusal> {
        let mut i = Inspector::new(LIMITS, claims);
        for piece in data.chunks(chunk) {
            i.feed(piece)?;
        }
        i.finish()
    }

    fn all_splits(data: &[u8], claims: Claims) -> Result<Inspection, Refusal> {
        let whole = inspect(data, claims, data.len().max(1));
        for chunk in [1, 2, 3, 7, 64, 1000, 1024, 1025, 4096] {
            assert_eq!(inspect(data, claims, chunk), whole, "chunk {chunk}");
        }
        whole
    }

    #[test]
    fn each_accepted_type_is_recognised_with_its_size() {
        let png = all_splits(&fixtures::png(3, 2), Claims::default()).expect("png");
        assert_eq!(
            (png.file_type, png.width, png.height),
            (FileType::Png, 3, 2)
        );
        let jpeg = all_splits(&fixtures::jpeg(640, 480, 3000), Claims::default()).expect("jpeg");
        assert_eq!(
            (jpeg.file_type, jpeg.width, jpeg.height),
            (FileType::Jpeg, 640, 480)
        );
        let webp = all_splits(&fixtures::webp(300, 200), Claims::default()).expect("webp");
        assert_eq!(
            (webp.file_type, webp.width, webp.height),
            (FileType::Webp, 300, 200)
        );
        let pdf = all_splits(&fixtures::pdf("", 5000), Claims::default()).expect("pdf");
        assert_eq!((pdf.file_type, pdf.pages), (FileType::Pdf, 1));
    }

    #[test]
    fn a_pdf_named_jpg_or_declared_as_png_is_refused() {
        let ext = Claims {
            declared: None,
            extension: Some(FileType::Jpeg),
        };
        assert_eq!(
            all_splits(&fixtures::pdf("", 0), ext),
            Err(Refusal::ExtensionMismatch {
                detected: FileType::Pdf,
                extension: FileType::Jpeg
            })
        );
        let declared = Claims {
            declared: Some(FileType::Png),
            extension: Some(FileType::Pdf),
        };
        assert!(matches!(
            all_splits(&fixtures::pdf("", 0), declared),
            Err(Refusal::DeclaredTypeMismatch { .. })
        ));
    }

    #[test]
    fn pixel_floods_are_refused_from_the_header() {
        assert_eq!(
            all_splits(&fixtures::png(100_000, 100_000), Claims::default()),
            Err(Refusal::ImageTooLarge {
                width: 100_000,
                height: 100_000
            })
        );
        assert!(matches!(
            all_splits(&fixtures::png(20_001, 1), Claims::default()),
            Err(Refusal::ImageTooLarge { .. })
        ));
        assert!(matches!(
            all_splits(&fixtures::png(10_000, 10_000), Claims::default()),
            Err(Refusal::ImageTooLarge { .. })
        ));
        assert!(matches!(
            all_splits(&fixtures::jpeg(65_000, 65_000, 100), Claims::default()),
            Err(Refusal::ImageTooLarge { .. })
        ));
        assert!(matches!(
            all_splits(&fixtures::webp(16_000, 16_000), Claims::default()),
            Err(Refusal::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn other_types_and_broken_headers_are_refused() {
        assert!(matches!(
            all_splits(b"GIF89a\x01\x00\x01\x00", Claims::default()),
            Err(Refusal::TypeNotAllowed { .. })
        ));
        assert!(matches!(
            all_splits(b"MZ\x90\x00 an executable", Claims::default()),
            Err(Refusal::TypeNotAllowed { .. })
        ));
        assert_eq!(inspect(b"", Claims::default(), 1), Err(Refusal::Empty));
        let mut jpeg = fixtures::jpeg(10, 10, 10);
        jpeg.truncate(30);
        assert_eq!(
            all_splits(&jpeg, Claims::default()),
            Err(Refusal::MalformedImage)
        );
        let mut png = fixtures::png(10, 10);
        png[13] = b'X';
        assert_eq!(
            all_splits(&png, Claims::default()),
            Err(Refusal::MalformedImage)
        );
    }

    #[test]
    fn an_image_that_is_also_a_pdf_is_refused() {
        let mut jpeg = fixtures::jpeg(10, 10, 200);
        jpeg.splice(30..30, b"%PDF-1.4".iter().copied());
        assert_eq!(all_splits(&jpeg, Claims::default()), Err(Refusal::Polyglot));
    }

    #[test]
    fn a_pdf_with_javascript_is_refused() {
        let pdf = fixtures::pdf(
            "/OpenAction << /S /JavaScript /JS (app.launchURL('x')) >>",
            3000,
        );
        assert_eq!(
            all_splits(&pdf, Claims::default()),
            Err(Refusal::Pdf(PdfProblem::Script))
        );
    }

    #[test]
    fn media_types_and_extensions_map_to_types() {
        assert_eq!(FileType::from_mime("image/JPG; q=1"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_mime("text/html"), None);
        assert_eq!(FileType::from_extension("JPEG"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_extension("exe"), None);
    }
    /// A minimal ZIP archive holding `name` (stored, not compressed) with its central
    /// directory and end record: what a PDF+ZIP or image+ZIP polyglot appends.
    fn zip(name: &str, body: &[u8]) -> Vec<u8> {
        let mut out = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        let size = (body.len() as u32).to_le_bytes();
        out.extend_from_slice(&size);
        out.extend_from_slice(&size);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);
        let directory = out.len() as u32;
        out.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&size);
        out.extend_from_slice(&size);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        let directory_len = out.len() as u32 - directory;
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
        out.extend_from_slice(&directory_len.to_le_bytes());
        out.extend_from_slice(&directory.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn files_carrying_another_file_after_their_end_are_refused() {
        let script = b"<script>alert(document.cookie)</script>\n";
        let archive = zip("payload.html", script);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("PDF+ZIP", [fixtures::pdf("", 0), archive.clone()].concat()),
            (
                "PDF+script",
                [fixtures::pdf("", 0), script.to_vec()].concat(),
            ),
            (
                "JPEG+script",
                [fixtures::jpeg(64, 48, 0), script.to_vec()].concat(),
            ),
            (
                "JPEG+ZIP",
                [fixtures::jpeg(64, 48, 0), archive.clone()].concat(),
            ),
            ("PNG+ZIP", [fixtures::png(8, 8), archive.clone()].concat()),
            (
                "WebP+script",
                [fixtures::webp(8, 8), script.to_vec()].concat(),
            ),
        ];
        for (what, data) in cases {
            assert_eq!(
                all_splits(&data, Claims::default()),
                Err(Refusal::TrailingData),
                "{what}"
            );
        }
        // A ZIP end record hidden inside a PDF (before its %%EOF), as a ZIP reader would
        // find it, is refused too; a large clean PDF is not.
        let note = zip("note.txt", b"hello");
        let inside = fixtures::pdf(&String::from_utf8_lossy(&note).replace('\0', " "), 0);
        assert!(all_splits(&inside, Claims::default()).is_err());
        let big = fixtures::pdf("", 200_000);
        assert!(all_splits(&big, Claims::default()).is_ok());
        // A PDF may end with blank lines after %%EOF.
        let padded = [fixtures::pdf("", 0), b"\r\n\n".to_vec()].concat();
        assert!(all_splits(&padded, Claims::default()).is_ok());
    }

    #[test]
    fn a_png_whose_data_inflates_beyond_its_pixels_is_refused() {
        use std::io::Write as _;
        // 64×64 grey pixels need about 4 KiB; this IDAT inflates to 64 MiB of zeros.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            z.write_all(&[0u8; 1 << 20]).expect("in memory");
        }
        let bomb = z.finish().expect("in memory");
        let mut png = fixtures::png(64, 64);
        let iend = png.split_off(png.len() - 12);
        let idat_at = png.len() - 12 - fixtures_idat_len(&png);
        png.truncate(idat_at);
        fixtures::png_chunk(&mut png, b"IDAT", &bomb);
        png.extend_from_slice(&iend);
        assert_eq!(
            inspect(&png, Claims::default(), 64 * 1024),
            Err(Refusal::ImageDataTooLarge)
        );
        assert!(all_splits(&fixtures::png(64, 64), Claims::default()).is_ok());
    }

    /// The data length of the last chunk before IEND (the fixture's single IDAT).
    fn fixtures_idat_len(png_without_iend: &[u8]) -> usize {
        let mut at = 8;
        let mut last = 0;
        while at + 8 <= png_without_iend.len() {
            let len =
                u32::from_be_bytes(png_without_iend[at..at + 4].try_into().expect("4")) as usize;
            last = len;
            at += 12 + len;
        }
        last
    }
}
