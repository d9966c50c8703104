//! The PDF lexer (ISO 32000 §7.2, §7.3.5): bytes in, names and keywords out, across chunk
//! boundaries. Strings, hex strings and comments are consumed without tokens, so text that
//! merely mentions `/JS` is never a finding.

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
pub(super) enum Token<'a> {
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
pub(super) struct Lexer {
    state: LexState,
    buf: Vec<u8>,
    /// A solidus followed by whitespace was seen: the next word is taken as a name.
    dangling_solidus: bool,
}

impl Lexer {
    pub(super) fn new() -> Self {
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
    pub(super) fn step(&mut self, b: u8, emit: &mut dyn FnMut(Token<'_>)) {
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
    pub(super) fn finish(&mut self, emit: &mut dyn FnMut(Token<'_>)) {
        self.step(b' ', emit);
    }
}

/// A token copied out of the lexer's buffer, to be looked at after the lexer moves on.
pub(super) enum OwnedToken {
    Name(Vec<u8>),
    Keyword(Vec<u8>),
}

/// Copies a token out of the lexer's buffer.
pub(super) fn owned(t: Token<'_>) -> OwnedToken {
    match t {
        Token::Name(n) => OwnedToken::Name(n.to_vec()),
        Token::Keyword(k) => OwnedToken::Keyword(k.to_vec()),
    }
}
