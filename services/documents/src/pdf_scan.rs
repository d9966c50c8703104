//! A streaming scan of a PDF for what makes it unsafe to hand to a clerk's reader:
//! encryption, JavaScript, and launch actions. No I/O; fed the bytes in whatever pieces they
//! arrive, it keeps a few bytes of state, so a name split across two chunks is still seen.
//!
//! # What it catches
//! * The names `/Encrypt`, `/JS`, `/JavaScript` and `/Launch` anywhere in the file body
//!   (outside streams), matched as PDF names (ISO 32000 §7.3.5): `#xx` escapes are decoded,
//!   so `/J#61vaScript` is `/JavaScript`; a name ends at whitespace or a delimiter, so
//!   `/JSFoo` is not `/JS`. A solidus followed by whitespace and then a word (`/ JavaScript`)
//!   is also taken as that name, in case a lenient reader does so. Every JavaScript action
//!   (`/OpenAction`, `/AA`, form fields, name trees) carries `/S /JavaScript` and `/JS`, so
//!   actions run on open are caught through these names.
//! * The same names inside compressed object streams (`/Type /ObjStm`, PDF 1.5+), where
//!   modern writers put most dictionaries: those streams are inflated (FlateDecode, bounded
//!   by a budget against decompression bombs) and tokenised the same way. An object stream
//!   with any other filter or with decode parameters cannot be inspected and is refused.
//! * Strings and comments are skipped, so `(/JS)` in a text string is not a finding.
//!
//! # What it cannot catch
//! * Script text in ordinary streams: a `/JS` entry may point to a stream holding the code,
//!   but the `/JS` key itself is in a dictionary, which is caught. Content, image and font
//!   streams are skipped without inspection (scanning binary image data for names would
//!   refuse honest scans at random).
//! * XFA forms (XML in a stream) that carry scripts in XML, and malicious fonts or images
//!   exploiting a reader's decoder: those need a real PDF parser or a sandboxed renderer.
//! * A deliberately malformed file whose stream `/Length` disagrees with where `endstream`
//!   stands, read by a lenient reader that trusts `/Length` and recovers afterwards:
//!   the scan ends streams at the `endstream` keyword.

use flate2::{Decompress, FlushDecompress, Status};

/// Why a PDF is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfProblem {
    /// It is encrypted (`/Encrypt`): it cannot be inspected, and clerks could not open it.
    Encrypted,
    /// It carries JavaScript (`/JS`, `/JavaScript`).
    Script,
    /// It carries a launch action (`/Launch`), which runs a program.
    Launch,
    /// An object stream uses a filter this scan cannot undo, so its contents are unknown.
    Uninspectable,
    /// Inflating its object streams would pass the budget.
    TooComplex,
    /// It is broken: a stream never ends, or an object stream does not inflate.
    Malformed,
}

/// Longest name kept for comparison; PDF names are limited to 127 bytes.
const MAX_NAME: usize = 127;

/// Characters that end a token (§7.2.2, §7.2.3).
fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A token the scanner cares about.
enum Token<'a> {
    Name(&'a [u8]),
    Keyword(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LexState {
    Normal,
    Comment,
    /// Inside a name; `hex` counts the digits of a `#xx` escape seen so far (0 = none).
    Name {
        hex: u8,
        hex_value: u8,
    },
    Keyword,
    LiteralString {
        depth: u32,
        escape: bool,
    },
    /// Just after `<`: a dictionary (`<<`) or a hex string.
    LessThan,
    HexString,
}

/// The PDF lexer: bytes in, names and keywords out, across chunk boundaries.
struct Lexer {
    state: LexState,
    buf: Vec<u8>,
    /// A solidus followed by whitespace was seen: the next word is taken as a name.
    dangling_solidus: bool,
}

impl Lexer {
    fn new() -> Self {
        Self {
            state: LexState::Normal,
            buf: Vec::with_capacity(MAX_NAME),
            dangling_solidus: false,
        }
    }

    fn push_buf(&mut self, b: u8) {
        if self.buf.len() < MAX_NAME + 1 {
            self.buf.push(b);
        }
    }

    /// Feeds one byte; calls `emit` for a finished token. Returns true when the byte ended a
    /// token and must be looked at again in the normal state.
    fn step(&mut self, b: u8, emit: &mut dyn FnMut(Token<'_>)) {
        match self.state {
            LexState::Normal => self.start(b),
            LexState::Comment => {
                if b == b'\r' || b == b'\n' {
                    self.state = LexState::Normal;
                }
            }
            LexState::Name { hex, hex_value } => {
                if hex > 0 {
                    match (b as char).to_digit(16) {
                        Some(d) if hex == 1 => {
                            self.state = LexState::Name {
                                hex: 2,
                                hex_value: d as u8,
                            }
                        }
                        Some(d) => {
                            self.push_buf(hex_value * 16 + d as u8);
                            self.state = LexState::Name {
                                hex: 0,
                                hex_value: 0,
                            };
                        }
                        None => {
                            // Not a valid escape: keep the '#' literally, then look again.
                            self.push_buf(b'#');
                            if hex == 2 {
                                self.push_buf(b"0123456789ABCDEF"[hex_value as usize]);
                            }
                            self.state = LexState::Name {
                                hex: 0,
                                hex_value: 0,
                            };
                            self.step(b, emit);
                        }
                    }
                } else if is_whitespace(b) || is_delimiter(b) {
                    if self.buf.is_empty() && is_whitespace(b) {
                        self.dangling_solidus = true;
                    } else {
                        emit(Token::Name(&self.buf));
                    }
                    self.buf.clear();
                    self.state = LexState::Normal;
                    self.start(b);
                } else if b == b'#' {
                    self.state = LexState::Name {
                        hex: 1,
                        hex_value: 0,
                    };
                } else {
                    self.push_buf(b);
                }
            }
            LexState::Keyword => {
                if is_whitespace(b) || is_delimiter(b) {
                    if std::mem::take(&mut self.dangling_solidus) {
                        emit(Token::Name(&self.buf));
                    } else {
                        emit(Token::Keyword(&self.buf));
                    }
                    self.buf.clear();
                    self.state = LexState::Normal;
                    self.start(b);
                } else {
                    self.push_buf(b);
                }
            }
            LexState::LiteralString { depth, escape } => {
                self.state = match (escape, b) {
                    (true, _) => LexState::LiteralString {
                        depth,
                        escape: false,
                    },
                    (false, b'\\') => LexState::LiteralString {
                        depth,
                        escape: true,
                    },
                    (false, b'(') => LexState::LiteralString {
                        depth: depth + 1,
                        escape: false,
                    },
                    (false, b')') if depth == 0 => LexState::Normal,
                    (false, b')') => LexState::LiteralString {
                        depth: depth - 1,
                        escape: false,
                    },
                    _ => LexState::LiteralString {
                        depth,
                        escape: false,
                    },
                };
            }
            LexState::LessThan => {
                if b == b'<' {
                    self.state = LexState::Normal;
                } else {
                    self.state = LexState::HexString;
                    self.step(b, emit);
                }
            }
            LexState::HexString => {
                if b == b'>' {
                    self.state = LexState::Normal;
                }
            }
        }
    }

    /// The normal state: what does `b` begin?
    fn start(&mut self, b: u8) {
        if is_whitespace(b) {
            return;
        }
        if b != b'/' && is_delimiter(b) {
            self.dangling_solidus = false;
        }
        self.state = match b {
            b'%' => LexState::Comment,
            b'/' => {
                self.dangling_solidus = false;
                LexState::Name {
                    hex: 0,
                    hex_value: 0,
                }
            }
            b'(' => LexState::LiteralString {
                depth: 0,
                escape: false,
            },
            b'<' => LexState::LessThan,
            b'>' | b'[' | b']' | b'{' | b'}' | b')' => LexState::Normal,
            _ => {
                self.buf.clear();
                self.push_buf(b);
                LexState::Keyword
            }
        };
    }

    /// Ends the input: a token still open is emitted.
    fn finish(&mut self, emit: &mut dyn FnMut(Token<'_>)) {
        self.step(b' ', emit);
    }
}

/// What is known about the object being read, from its dictionary so far.
#[derive(Debug, Default, Clone, Copy)]
struct ObjectFlags {
    object_stream: bool,
    filter: bool,
    flate: bool,
    other_filter: bool,
    decode_parms: bool,
}

/// Matches a fixed pattern in a byte stream, across chunk boundaries (KMP).
struct Matcher {
    pattern: &'static [u8],
    failure: Vec<usize>,
    matched: usize,
}

impl Matcher {
    fn new(pattern: &'static [u8]) -> Self {
        let mut failure = vec![0; pattern.len()];
        let mut k = 0;
        for i in 1..pattern.len() {
            while k > 0 && pattern[i] != pattern[k] {
                k = failure[k - 1];
            }
            if pattern[i] == pattern[k] {
                k += 1;
            }
            failure[i] = k;
        }
        Self {
            pattern,
            failure,
            matched: 0,
        }
    }

    /// Feeds `data`; the index just past the match, if the pattern completes in it.
    fn find(&mut self, data: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < data.len() {
            if self.matched == 0 {
                // Outside a partial match, jump straight to the next possible start: binary
                // streams are most of a scanned PDF, and this skips them at memchr speed.
                i += memchr::memchr(self.pattern[0], &data[i..])?;
            }
            let b = data[i];
            while self.matched > 0 && b != self.pattern[self.matched] {
                self.matched = self.failure[self.matched - 1];
            }
            if b == self.pattern[self.matched] {
                self.matched += 1;
            }
            i += 1;
            if self.matched == self.pattern.len() {
                self.matched = 0;
                return Some(i);
            }
        }
        None
    }
}

/// The state of the outer scan.
enum Mode {
    /// The file body: objects, dictionaries, the trailer.
    Body,
    /// Between the `stream` keyword and its end of line.
    StreamStart { next: StreamKind },
    /// Inside a stream's data, until `endstream`.
    Stream { kind: StreamKind, end: Matcher },
}

enum StreamKind {
    /// Not inspected (content, images, fonts, xref streams).
    Skip,
    /// An uncompressed object stream: tokenised as it is.
    Raw(Box<Lexer>),
    /// A FlateDecode object stream: inflated, then tokenised.
    Inflate(Box<(Decompress, Lexer)>, bool),
    /// Any other FlateDecode stream (content, image): inflated into a scratch buffer and
    /// thrown away, only to refuse a decompression bomb aimed at the clerk's reader. Holds
    /// the bytes it may still inflate to, and whether it is done (ended, or not inflatable:
    /// readers cope with damaged content streams, so that alone is no reason to refuse).
    Measure(Box<Decompress>, u64, bool),
}

/// Scans a PDF as it streams past.
pub struct PdfScanner {
    body: Lexer,
    mode: Mode,
    flags: ObjectFlags,
    problem: Option<PdfProblem>,
    inflate_budget: u64,
    /// Most bytes any one other FlateDecode stream may inflate to.
    stream_cap: u64,
    pages: Pages,
}

#[derive(Default)]
struct Pages {
    after_type: bool,
    count: u32,
}

/// Size of the buffer inflated object streams are decompressed into, a piece at a time.
const INFLATE_BUF: usize = 16 * 1024;

impl PdfScanner {
    /// A scanner that inflates at most `inflate_budget` bytes of object streams.
    pub fn new(inflate_budget: u64) -> Self {
        Self {
            body: Lexer::new(),
            mode: Mode::Body,
            flags: ObjectFlags::default(),
            problem: None,
            inflate_budget,
            stream_cap: inflate_budget,
            pages: Pages::default(),
        }
    }

    /// The first problem found so far.
    pub fn problem(&self) -> Option<&PdfProblem> {
        self.problem.as_ref()
    }

    /// Page objects seen (`/Type /Page`), as the page count.
    pub fn page_count(&self) -> u32 {
        self.pages.count
    }

    fn flag(&mut self, problem: PdfProblem) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }

    /// Feeds the next bytes; returns the first problem once one is found.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), PdfProblem> {
        while !data.is_empty() && self.problem.is_none() {
            match &mut self.mode {
                Mode::Body => {
                    let mut consumed = data.len();
                    let mut stream_at = None;
                    for (i, &b) in data.iter().enumerate() {
                        let mut tokens = Vec::new();
                        self.body.step(b, &mut |t| tokens.push(owned(t)));
                        for t in tokens {
                            if self.on_body_token(&t) {
                                stream_at = Some(i);
                            }
                        }
                        if stream_at.is_some() {
                            // The byte that ended `stream` is the start of its end of line.
                            consumed = i;
                            break;
                        }
                    }
                    data = &data[consumed..];
                }
                Mode::StreamStart { .. } => {
                    let b = data[0];
                    if b == b'\r' || b == b' ' {
                        data = &data[1..];
                        continue;
                    }
                    if b == b'\n' {
                        data = &data[1..];
                    }
                    let Mode::StreamStart { next } = std::mem::replace(&mut self.mode, Mode::Body)
                    else {
                        unreachable!("matched above")
                    };
                    self.mode = Mode::Stream {
                        kind: next,
                        end: Matcher::new(b"endstream"),
                    };
                }
                Mode::Stream { kind, end } => {
                    let found = end.find(data);
                    let upto = found.unwrap_or(data.len());
                    let payload = &data[..found.map_or(upto, |e| e - b"endstream".len().min(e))];
                    let outcome =
                        feed_stream(kind, payload, &mut self.inflate_budget, &mut self.pages);
                    if let Err(p) = outcome {
                        self.flag(p);
                        break;
                    }
                    if found.is_some() {
                        if let StreamKind::Inflate(_, finished) = kind
                            && !*finished
                        {
                            self.flag(PdfProblem::Malformed);
                            break;
                        }
                        if let StreamKind::Raw(lexer) = kind {
                            let mut tokens = Vec::new();
                            lexer.finish(&mut |t| tokens.push(owned(t)));
                            for t in &tokens {
                                if let Some(p) = forbidden(t) {
                                    self.flag(p);
                                }
                            }
                        }
                        self.mode = Mode::Body;
                        self.flags = ObjectFlags::default();
                        // The body lexer resumes after `endstream`, in the normal state.
                        self.body = Lexer::new();
                    }
                    data = &data[upto..];
                }
            }
        }
        match &self.problem {
            Some(p) => Err(p.clone()),
            None => Ok(()),
        }
    }

    /// Ends the input; a file that ends inside a stream is malformed.
    pub fn finish(mut self) -> Result<u32, PdfProblem> {
        if let Some(p) = self.problem.take() {
            return Err(p);
        }
        match self.mode {
            Mode::Body => {
                let mut tokens = Vec::new();
                self.body.finish(&mut |t| tokens.push(owned(t)));
                for t in &tokens {
                    if let Some(p) = forbidden(t) {
                        return Err(p);
                    }
                }
                Ok(self.pages.count)
            }
            _ => Err(PdfProblem::Malformed),
        }
    }

    /// Handles a body token; true when it was the `stream` keyword.
    fn on_body_token(&mut self, token: &OwnedToken) -> bool {
        if let Some(p) = forbidden(token) {
            self.flag(p);
        }
        self.pages.observe(token);
        match token {
            OwnedToken::Name(name) => match name.as_slice() {
                b"ObjStm" => self.flags.object_stream = true,
                b"Filter" => self.flags.filter = true,
                b"FlateDecode" => self.flags.flate = true,
                b"DecodeParms" => self.flags.decode_parms = true,
                n if n.ends_with(b"Decode")
                    || matches!(
                        n,
                        b"AHx" | b"A85" | b"LZW" | b"RL" | b"Fl" | b"CCF" | b"DCT" | b"Crypt"
                    ) =>
                {
                    self.flags.other_filter = true
                }
                _ => {}
            },
            OwnedToken::Keyword(word) => match word.as_slice() {
                b"obj" | b"endobj" | b"trailer" | b"xref" => self.flags = ObjectFlags::default(),
                b"stream" => {
                    let f = self.flags;
                    let kind = if !f.object_stream && f.flate && !f.other_filter {
                        StreamKind::Measure(Box::new(Decompress::new(true)), self.stream_cap, false)
                    } else if !f.object_stream {
                        StreamKind::Skip
                    } else if f.other_filter || f.decode_parms || (f.filter && !f.flate) {
                        self.flag(PdfProblem::Uninspectable);
                        StreamKind::Skip
                    } else if f.flate {
                        StreamKind::Inflate(Box::new((Decompress::new(true), Lexer::new())), false)
                    } else {
                        StreamKind::Raw(Box::new(Lexer::new()))
                    };
                    self.mode = Mode::StreamStart { next: kind };
                    return true;
                }
                _ => {}
            },
        }
        false
    }
}

impl Pages {
    fn observe(&mut self, token: &OwnedToken) {
        match token {
            OwnedToken::Name(n) if self.after_type && n.as_slice() == b"Page" => {
                self.count = self.count.saturating_add(1);
                self.after_type = false;
            }
            OwnedToken::Name(n) => self.after_type = n.as_slice() == b"Type",
            OwnedToken::Keyword(_) => self.after_type = false,
        }
    }
}

/// Tokenises (and inflates, if need be) one piece of an object stream's data.
fn feed_stream(
    kind: &mut StreamKind,
    data: &[u8],
    budget: &mut u64,
    pages: &mut Pages,
) -> Result<(), PdfProblem> {
    let mut problem = None;
    let mut on_token = |t: Token<'_>| {
        let t = owned(t);
        if problem.is_none() {
            problem = forbidden(&t);
        }
        pages.observe(&t);
    };
    match kind {
        StreamKind::Skip | StreamKind::Measure(_, _, true) => {}
        StreamKind::Measure(inflater, left, done) => {
            let mut input = data;
            let mut out = [0u8; INFLATE_BUF];
            while !*done && !input.is_empty() {
                let (before_in, before_out) = (inflater.total_in(), inflater.total_out());
                let Ok(status) = inflater.decompress(input, &mut out, FlushDecompress::None) else {
                    *done = true;
                    break;
                };
                let read = usize::try_from(inflater.total_in() - before_in).unwrap_or(input.len());
                let written = inflater.total_out() - before_out;
                input = &input[read.min(input.len())..];
                *left = left.checked_sub(written).ok_or(PdfProblem::TooComplex)?;
                if status == Status::StreamEnd || (read == 0 && written == 0) {
                    *done = true;
                }
            }
        }
        StreamKind::Raw(lexer) => {
            for &b in data {
                lexer.step(b, &mut on_token);
            }
        }
        StreamKind::Inflate(state, finished) => {
            let (inflater, lexer) = &mut **state;
            let mut input = data;
            let mut out = [0u8; INFLATE_BUF];
            while !*finished && !input.is_empty() {
                let before_in = inflater.total_in();
                let before_out = inflater.total_out();
                let status = inflater
                    .decompress(input, &mut out, FlushDecompress::None)
                    .map_err(|_| PdfProblem::Malformed)?;
                let read = usize::try_from(inflater.total_in() - before_in).unwrap_or(input.len());
                let written = usize::try_from(inflater.total_out() - before_out).unwrap_or(0);
                input = &input[read.min(input.len())..];
                *budget = budget
                    .checked_sub(written as u64)
                    .ok_or(PdfProblem::TooComplex)?;
                for &b in &out[..written] {
                    lexer.step(b, &mut on_token);
                }
                match status {
                    Status::StreamEnd => {
                        *finished = true;
                        lexer.finish(&mut on_token);
                    }
                    Status::Ok => {}
                    Status::BufError if read == 0 && written == 0 => {
                        return Err(PdfProblem::Malformed);
                    }
                    Status::BufError => {}
                }
            }
        }
    }
    problem.map_or(Ok(()), Err)
}

enum OwnedToken {
    Name(Vec<u8>),
    Keyword(Vec<u8>),
}

fn owned(t: Token<'_>) -> OwnedToken {
    match t {
        Token::Name(n) => OwnedToken::Name(n.to_vec()),
        Token::Keyword(k) => OwnedToken::Keyword(k.to_vec()),
    }
}

/// The problem a token stands for, if any.
fn forbidden(token: &OwnedToken) -> Option<PdfProblem> {
    match token {
        OwnedToken::Name(n) => match n.as_slice() {
            b"Encrypt" => Some(PdfProblem::Encrypted),
            b"JS" | b"JavaScript" => Some(PdfProblem::Script),
            b"Launch" => Some(PdfProblem::Launch),
            _ => None,
        },
        OwnedToken::Keyword(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn scan(pdf: &[u8], chunk: usize) -> Result<u32, PdfProblem> {
        let mut s = PdfScanner::new(1 << 20);
        for piece in pdf.chunks(chunk.max(1)) {
            s.feed(piece)?;
        }
        s.finish()
    }

    fn every_split(pdf: &[u8]) -> Result<u32, PdfProblem> {
        let whole = scan(pdf, pdf.len());
        for chunk in 1..=17 {
            assert_eq!(scan(pdf, chunk), whole, "chunk size {chunk} disagrees");
        }
        whole
    }

    fn plain(extra: &str) -> Vec<u8> {
        format!(
            "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R {extra} >>\nendobj\n\
             2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
             3 0 obj\n<< /Type/Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n\
             trailer\n<< /Root 1 0 R >>\n%%EOF\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_plain_pdf_passes_and_its_pages_are_counted() {
        assert_eq!(every_split(&plain("")), Ok(1));
    }

    #[test]
    fn scripts_launches_and_encryption_are_found_however_split() {
        assert_eq!(
            every_split(&plain(
                "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
            )),
            Err(PdfProblem::Script)
        );
        assert_eq!(
            every_split(&plain("/AA << /O << /S /Launch /F (cmd.exe) >> >>")),
            Err(PdfProblem::Launch)
        );
        assert_eq!(
            every_split(&plain("/Encrypt 9 0 R")),
            Err(PdfProblem::Encrypted)
        );
    }

    #[test]
    fn escaped_and_spaced_names_are_still_names() {
        assert_eq!(
            every_split(&plain("/OpenAction << /S /J#61va#53cript >>")),
            Err(PdfProblem::Script)
        );
        assert_eq!(
            every_split(&plain("/OpenAction << /S / JavaScript >>")),
            Err(PdfProblem::Script)
        );
        assert_eq!(every_split(&plain("/X /J#53")), Err(PdfProblem::Script));
    }

    #[test]
    fn look_alikes_in_strings_comments_and_longer_names_pass() {
        assert_eq!(
            every_split(&plain(
                "/Title (about /JavaScript and /Launch) /JSX 1 /Launcher 2 % /JS\n"
            )),
            Ok(1)
        );
        assert_eq!(
            every_split(&plain("/Title <4A53> /Nested (a (b /JS) c)")),
            Ok(1)
        );
    }

    #[test]
    fn binary_streams_are_skipped() {
        let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Length 12 >>\nstream\n".to_vec();
        pdf.extend_from_slice(b"/JS /Launch\n");
        pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
        assert_eq!(every_split(&pdf), Ok(0));
    }

    fn object_stream(content: &str, compressed: bool) -> Vec<u8> {
        let data = if compressed {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(content.as_bytes()).expect("in memory");
            z.finish().expect("in memory")
        } else {
            content.as_bytes().to_vec()
        };
        let filter = if compressed {
            "/Filter /FlateDecode"
        } else {
            ""
        };
        let mut pdf = format!(
            "%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 {filter} /Length {} >>\nstream\r\n",
            data.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\r\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
        pdf
    }

    #[test]
    fn compressed_object_streams_are_inflated_and_scanned() {
        let js = "6 0 << /Type /Action /S /JavaScript /JS (x) >>";
        assert_eq!(
            every_split(&object_stream(js, true)),
            Err(PdfProblem::Script)
        );
        assert_eq!(
            every_split(&object_stream(js, false)),
            Err(PdfProblem::Script)
        );
        let ok = "6 0 << /Type /Page /Parent 2 0 R >>";
        assert_eq!(every_split(&object_stream(ok, true)), Ok(1));
    }

    #[test]
    fn an_object_stream_that_cannot_be_inspected_is_refused() {
        let pdf = b"%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /Filter /LZWDecode /Length 3 >>\nstream\nabc\nendstream\nendobj\n";
        assert_eq!(every_split(pdf), Err(PdfProblem::Uninspectable));
        let broken = b"%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length 3 >>\nstream\nabc\nendstream\nendobj\n";
        assert_eq!(every_split(broken), Err(PdfProblem::Malformed));
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_budget() {
        let pdf = object_stream(&" ".repeat(4 << 20), true);
        let mut s = PdfScanner::new(1 << 20);
        assert_eq!(s.feed(&pdf), Err(PdfProblem::TooComplex));
    }

    #[test]
    fn a_file_ending_inside_a_stream_is_malformed() {
        let pdf = b"%PDF-1.4\n4 0 obj\n<< /Length 100 >>\nstream\nabc";
        assert_eq!(scan(pdf, 5), Err(PdfProblem::Malformed));
    }

    #[test]
    fn a_content_stream_that_inflates_past_the_budget_is_refused() {
        use std::io::Write as _;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 4 << 20]).expect("in memory");
        let bomb = z.finish().expect("in memory");
        let pdf = |data: &[u8]| {
            let mut out = format!(
                "%PDF-1.7\n4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
                data.len()
            )
            .into_bytes();
            out.extend_from_slice(data);
            out.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
            out
        };
        let mut scanner = PdfScanner::new(1 << 20);
        let refused = pdf(&bomb).chunks(4096).try_for_each(|c| scanner.feed(c));
        assert_eq!(refused, Err(PdfProblem::TooComplex));
        // The same stream within the budget passes, and so does a damaged one.
        let mut scanner = PdfScanner::new(8 << 20);
        assert!(scanner.feed(&pdf(&bomb)).is_ok());
        let mut scanner = PdfScanner::new(1 << 20);
        assert!(scanner.feed(&pdf(b"not deflate at all")).is_ok());
    }
}
