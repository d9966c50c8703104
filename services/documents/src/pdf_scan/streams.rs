//! A stream's data: skipped, tokenised (an uncompressed object stream), inflated and
//! tokenised (a FlateDecode object stream), or inflated only to be measured (any other
//! FlateDecode stream, against decompression bombs). Inflation is bounded by budgets.

use flate2::{Decompress, FlushDecompress, Status};

use super::lexer::{Lexer, Token, owned};
use super::{Pages, PdfProblem, forbidden};

/// Size of the buffer inflated object streams are decompressed into, a piece at a time.
const INFLATE_BUF: usize = 16 * 1024;

/// What to do with one stream's data, decided from its dictionary.
pub(super) enum StreamKind {
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

/// Tokenises (and inflates, if need be) one piece of an object stream's data.
pub(super) fn feed_stream(
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
