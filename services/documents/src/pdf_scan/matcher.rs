//! Finds `endstream` in a stream's data as it arrives: a stream's bytes are never tokenised,
//! only searched, so binary image data passes at memchr speed.

/// Matches a fixed pattern in a byte stream, across chunk boundaries (KMP).
pub(super) struct Matcher {
    pattern: &'static [u8],
    failure: Vec<usize>,
    matched: usize,
}

impl Matcher {
    pub(super) fn new(pattern: &'static [u8]) -> Self {
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
    pub(super) fn find(&mut self, data: &[u8]) -> Option<usize> {
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
