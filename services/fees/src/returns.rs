//! Where a payer may be sent back after the bank: only home. A payment's `return_url` is a
//! path on the portal (resolved against `fees.public_base_url`) or an absolute URL on the
//! portal's own origin or on an origin in `fees.return_origins`; anything else would make
//! the sandbox bank (or a real one) an open redirect that hands the payment id, status and
//! tracking code to whatever site the caller named.

/// Why a return URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnUrlError {
    /// Control characters, spaces, backslashes, bidi controls, or over 2,000 characters:
    /// text a browser might read differently from this check.
    Malformed,
    /// Well formed, but not on the portal nor on an allowed origin (`https://evil.example`,
    /// the protocol-relative `//evil.example`, `javascript:`).
    NotAllowed,
}

/// Longest return URL accepted, in bytes.
pub const MAX_LEN: usize = 2000;

/// Resolves `return_url` to the absolute URL the payer is sent back to. Empty means the
/// portal's home page; a path (`/inquiries/…`) is put on `public_base`; an absolute http(s)
/// URL is kept only when its origin is the portal's or one of `allowed_origins`.
pub fn resolve(
    return_url: &str,
    public_base: &str,
    allowed_origins: &[String],
) -> Result<String, ReturnUrlError> {
    let base = public_base.trim_end_matches('/');
    if return_url.is_empty() {
        return Ok(format!("{base}/"));
    }
    if return_url.len() > MAX_LEN
        || return_url.chars().any(|c| {
            c.is_control()
                || c.is_whitespace()
                || c == '\\'
                || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
    {
        return Err(ReturnUrlError::Malformed);
    }
    if return_url.starts_with("//") {
        return Err(ReturnUrlError::NotAllowed);
    }
    if return_url.starts_with('/') {
        return Ok(format!("{base}{return_url}"));
    }
    let origin = origin_of(return_url).ok_or(ReturnUrlError::NotAllowed)?;
    let home = origin_of(base);
    let allowed = home.as_deref() == Some(origin.as_str())
        || allowed_origins
            .iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin));
    if allowed {
        Ok(return_url.to_owned())
    } else {
        Err(ReturnUrlError::NotAllowed)
    }
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased; `None` for any other scheme, an
/// empty host, or a user part (`https://portal@evil.example` goes to evil.example).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// `url` with `query` (already encoded, `a=b&c=d`) added to its query, before any fragment.
pub fn with_query(url: &str, query: &str) -> String {
    let (head, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let sep = if head.contains('?') { '&' } else { '?' };
    match fragment {
        Some(f) => format!("{head}{sep}{query}#{f}"),
        None => format!("{head}{sep}{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://estelam.example.org";

    fn allowed() -> Vec<String> {
        vec!["https://notary.example".to_owned()]
    }

    #[test]
    fn a_portal_path_is_put_on_the_public_base() {
        assert_eq!(
            resolve("/inquiries/42", BASE, &[]),
            Ok(format!("{BASE}/inquiries/42"))
        );
        assert_eq!(resolve("", BASE, &[]), Ok(format!("{BASE}/")));
        assert_eq!(
            resolve("/x", "http://127.0.0.1:18080/", &[]),
            Ok("http://127.0.0.1:18080/x".to_owned())
        );
    }

    #[test]
    fn only_the_portal_and_allowed_origins_are_absolute_targets() {
        let own = format!("{BASE}/inquiries/1");
        assert_eq!(resolve(&own, BASE, &[]), Ok(own.clone()));
        assert_eq!(
            resolve("HTTPS://Estelam.Example.org/x", BASE, &[]),
            Ok("HTTPS://Estelam.Example.org/x".to_owned())
        );
        assert_eq!(
            resolve("https://notary.example/back", BASE, &allowed()),
            Ok("https://notary.example/back".to_owned())
        );
        for evil in [
            "https://evil.example/phish",
            "http://evil.example",
            "//evil.example",
            "//evil.example/inquiries/1",
            "https://estelam.example.org@evil.example/",
            "https://estelam.example.org.evil.example/",
            "http://estelam.example.org/",
            "javascript:alert(1)",
            "evil.example/x",
            "https://notary.example.evil/",
        ] {
            assert_eq!(
                resolve(evil, BASE, &allowed()),
                Err(ReturnUrlError::NotAllowed),
                "{evil}"
            );
        }
    }

    #[test]
    fn text_a_browser_may_read_otherwise_is_malformed() {
        for bad in [
            "/\\evil.example",
            "/x\ny",
            "/x y",
            "/\u{202E}lmth.x",
            " /x",
            "/x\0",
        ] {
            assert_eq!(
                resolve(bad, BASE, &[]),
                Err(ReturnUrlError::Malformed),
                "{bad:?}"
            );
        }
        let long = format!("/{}", "a".repeat(MAX_LEN));
        assert_eq!(resolve(&long, BASE, &[]), Err(ReturnUrlError::Malformed));
    }

    #[test]
    fn the_outcome_goes_into_the_query_before_any_fragment() {
        assert_eq!(with_query("https://a/x", "p=1"), "https://a/x?p=1");
        assert_eq!(with_query("https://a/x?q=2", "p=1"), "https://a/x?q=2&p=1");
        assert_eq!(with_query("https://a/x#top", "p=1"), "https://a/x?p=1#top");
    }
}
