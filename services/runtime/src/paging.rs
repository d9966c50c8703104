//! List paging for every service, the AIP-158 way that `common.proto` promises.
//!
//! Keyset paging: a page token carries the last key returned, so rows inserted or changed
//! between pages never shift the ones a caller has not read yet. Tokens are opaque (base64url
//! of a small JSON document) and bound to the filters they were issued for: a token from one
//! search is refused by another, instead of silently resuming it in the wrong place.
//!
//! ```
//! # use estelam_runtime::paging::{PageSizes, Paging};
//! let sizes = PageSizes { default: 50, max: 500 };
//! let paging = Paging::parse(2, "", "state=issued", sizes).unwrap();
//! // Ask the store for `paging.fetch_limit()` rows after `paging.after()` ...
//! let rows = vec!["a", "b", "c"];
//! let (page, next) = paging.finish(rows, |r| r.to_string());
//! assert_eq!(page, ["a", "b"]);
//! let again = Paging::parse(2, &next, "state=issued", sizes).unwrap();
//! assert_eq!(again.after(), Some("b"));
//! assert!(Paging::parse(2, &next, "state=draft", sizes).is_err());
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;
use crate::reasons;

/// How many rows a list returns when the caller names no size, and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSizes {
    /// Rows per page when `page_size` is 0.
    pub default: u32,
    /// The cap on any requested size.
    pub max: u32,
}

/// The paging half of a list request, checked: how many rows, after which key, for which
/// filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    size: usize,
    after: Option<String>,
    filter: String,
}

#[derive(Serialize, Deserialize)]
struct Token {
    /// The last key of the previous page.
    k: String,
    /// Fingerprint of the filters the token belongs to.
    f: String,
}

impl Paging {
    /// Checks `page_size` and `page_token` of a request whose filters are described by
    /// `filter` (any string that differs when the filters differ). A negative size, or a
    /// token that is malformed or belongs to other filters, is refused as a field error.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        filter: impl Into<String>,
        sizes: PageSizes,
    ) -> Result<Self, ServiceError> {
        let filter = filter.into();
        let size = size(page_size, sizes)?;
        let after = decode(page_token, &filter)?;
        Ok(Self {
            size,
            after,
            filter,
        })
    }

    /// Rows per page.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many rows to ask the store for: one more than a page, to learn whether another
    /// page follows without a count query.
    pub fn fetch_limit(&self) -> i64 {
        i64::try_from(self.size)
            .unwrap_or(i64::MAX)
            .saturating_add(1)
    }

    /// The key to resume after; `None` on the first page.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// Cuts what the store returned (up to [`Self::fetch_limit`] rows, in key order) to one
    /// page and makes the token of the next; the token is empty on the last page.
    pub fn finish<T>(&self, mut rows: Vec<T>, key_of: impl Fn(&T) -> String) -> (Vec<T>, String) {
        if rows.len() <= self.size {
            return (rows, String::new());
        }
        rows.truncate(self.size);
        let next = rows
            .last()
            .map(|last| encode(&key_of(last), &self.filter))
            .unwrap_or_default();
        (rows, next)
    }
}

/// FNV-1a, enough to tell one filter from another. Not a security boundary: a forged token
/// only pages through what the caller may read anyway.
fn fingerprint(filter: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in filter.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A token that resumes after `last_key` for the same `filter`.
pub fn encode(last_key: &str, filter: &str) -> String {
    let token = Token {
        k: last_key.to_owned(),
        f: fingerprint(filter),
    };
    // Serialising two strings cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// The last key a token carries (`None` for the first page). Refuses malformed tokens and
/// tokens of other filters.
pub fn decode(token: &str, filter: &str) -> Result<Option<String>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ServiceError::invalid_field(
            "page_token",
            reasons::common::PAGE_TOKEN_INVALID,
            "نشانهٔ صفحه نامعتبر است یا به جست‌وجوی دیگری تعلق دارد؛ از صفحهٔ اول آغاز کنید.",
            "The page token is invalid or belongs to another search; start again from the first page.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let t: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if t.f != fingerprint(filter) {
        return Err(bad());
    }
    Ok(Some(t.k))
}

/// A page size: 0 means the default, more than the maximum is capped, negative is refused.
pub fn size(requested: i32, sizes: PageSizes) -> Result<usize, ServiceError> {
    let requested = u32::try_from(requested).map_err(|_| {
        ServiceError::invalid_field(
            "page_size",
            reasons::common::PAGE_SIZE_NEGATIVE,
            "اندازهٔ صفحه نمی‌تواند منفی باشد.",
            "The page size cannot be negative.",
        )
    })?;
    let n = if requested == 0 {
        sizes.default
    } else {
        requested.min(sizes.max)
    };
    Ok(usize::try_from(n.max(1)).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: PageSizes = PageSizes {
        default: 50,
        max: 500,
    };

    #[test]
    fn tokens_round_trip_and_stay_with_their_filter() {
        let t = encode("1-2-3-4-0-0", "bbox:1,2,3,4");
        assert_eq!(
            decode(&t, "bbox:1,2,3,4").unwrap().as_deref(),
            Some("1-2-3-4-0-0")
        );
        assert_eq!(
            decode(&t, "bbox:1,2,3,5").unwrap_err().reason,
            "PAGE_TOKEN_INVALID"
        );
        assert!(decode("not a token", "x").is_err());
        assert_eq!(decode("", "x").unwrap(), None);
    }

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(size(0, SIZES).unwrap(), 50);
        assert_eq!(size(10_000, SIZES).unwrap(), 500);
        assert_eq!(size(-1, SIZES).unwrap_err().reason, "PAGE_SIZE_NEGATIVE");
    }

    #[test]
    fn the_last_page_has_no_token() {
        let p = Paging::parse(3, "", "f", SIZES).unwrap();
        assert_eq!(p.fetch_limit(), 4);
        let (rows, next) = p.finish(vec![1, 2, 3], |r| r.to_string());
        assert_eq!((rows.len(), next.as_str()), (3, ""));
        let (rows, next) = p.finish(vec![1, 2, 3, 4], |r| r.to_string());
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(decode(&next, "f").unwrap().as_deref(), Some("3"));
    }
}
