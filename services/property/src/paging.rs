//! Page tokens and sizes, the AIP-158 way: keyset paging (the token holds the last key
//! returned, so rows inserted or changed between pages never shift the others), opaque to
//! callers, and bound to the filters they were issued for.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use estelam_runtime::error::ServiceError;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Token {
    /// The last key of the previous page.
    k: String,
    /// Fingerprint of the filters the token belongs to.
    f: String,
}

/// FNV-1a, enough to tell one filter from another (not a security boundary: a forged token
/// only pages through what the caller may already read).
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
    let json = serde_json::to_vec(&Token {
        k: last_key.to_owned(),
        f: fingerprint(filter),
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The last key a token carries; empty for the first page. Refuses tokens from other filters.
pub fn decode(token: &str, filter: &str) -> Result<String, ServiceError> {
    if token.is_empty() {
        return Ok(String::new());
    }
    let bad = || {
        ServiceError::invalid_field(
            "page_token",
            "PAGE_TOKEN_INVALID",
            "نشانهٔ صفحه نامعتبر است یا به جست‌وجوی دیگری تعلق دارد؛ از صفحهٔ اول آغاز کنید.",
            "The page token is invalid or belongs to another search; start again from the first page.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let t: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if t.f != fingerprint(filter) {
        return Err(bad());
    }
    Ok(t.k)
}

/// A page size: 0 means `default`; larger than `max` is capped; negative is refused.
pub fn size(requested: i32, default: u32, max: u32, field: &str) -> Result<usize, ServiceError> {
    if requested < 0 {
        return Err(ServiceError::invalid_field(
            field,
            "PAGE_SIZE_NEGATIVE",
            "اندازهٔ صفحه نمی‌تواند منفی باشد.",
            "The page size cannot be negative.",
        ));
    }
    let n = if requested == 0 {
        default
    } else {
        (requested as u32).min(max)
    };
    Ok(n.max(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_stay_with_their_filter() {
        let t = encode("1-2-3-4-0-0", "bbox:1,2,3,4");
        assert_eq!(decode(&t, "bbox:1,2,3,4").unwrap(), "1-2-3-4-0-0");
        assert!(decode(&t, "bbox:1,2,3,5").is_err());
        assert!(decode("not a token", "x").is_err());
        assert_eq!(decode("", "x").unwrap(), "");
    }

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(size(0, 50, 500, "page_size").unwrap(), 50);
        assert_eq!(size(10_000, 50, 500, "page_size").unwrap(), 500);
        assert!(size(-1, 50, 500, "page_size").is_err());
    }
}
