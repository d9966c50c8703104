//! What an upload really is, judged from its bytes as they stream past: the type (sniffed
//! with `infer`, then confirmed by our own header parse), the pixel size of images (read
//! from the headers, never by decoding), and for PDFs the scan in [`crate::pdf_scan`].
//! No I/O, bounded memory: the first KiB is kept for sniffing, everything after is looked at
//! once and forgotten.
//!
//! One file per format: [`png`], [`jpeg`] and [`webp`] read their headers (and a PNG's image
//! data, against zlib bombs); PDFs go to [`crate::pdf_scan`]. This module sniffs the type,
//! checks the uploader's claims against it, and checks that the file ends where its format
//! says it ends.

mod file_type;
pub mod fixtures;
mod jpeg;
mod png;
mod strip;
mod webp;

use crate::pdf_scan::{PdfProblem, PdfScanner};

pub use file_type::FileType;
pub use png::png_dimensions;
pub use strip::strip_metadata;
pub use webp::webp_dimensions;

use jpeg::JpegParser;
use png::PngParser;

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

#[cfg(test)]
mod tests;
