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
//!
//! The pieces: [`lexer`] (tokens), [`matcher`] (the end of a stream), [`streams`] (what is
//! done with a stream's data); this module runs the outer scan and decides what each
//! token means.

mod lexer;
mod matcher;
mod streams;

use flate2::Decompress;

use lexer::{Lexer, OwnedToken, owned};
use matcher::Matcher;
use streams::{StreamKind, feed_stream};

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

/// What is known about the object being read, from its dictionary so far.
#[derive(Debug, Default, Clone, Copy)]
struct ObjectFlags {
    object_stream: bool,
    filter: bool,
    flate: bool,
    other_filter: bool,
    decode_parms: bool,
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

/// Page objects seen so far (`/Type /Page`), in the body and in object streams.
#[derive(Default)]
struct Pages {
    after_type: bool,
    count: u32,
}

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
mod tests;
