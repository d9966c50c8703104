//! The files the gateway serves from inside its own binary: the portal's HTML, CSS and ES
//! modules, the swagger-ui page, and the vendored third-party files (`assets/vendor/`, put
//! there by `vendor-assets.sh` from npm). Nothing is fetched from a CDN or the disk at run
//! time.
//!
//! URLs: `/assets/<path>` serves a file with `no-cache` and an ETag; the same file under
//! `/assets/v/<build>/<path>` is cached for a year as immutable, `<build>` being a hash of
//! every embedded file, so a new release changes every URL at once. Pages link to the
//! versioned form ([`url`]); ES modules import each other by relative path, which keeps them
//! under the same version.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, DirEntry, File, include_dir};

/// Everything under `gateway/assets`, embedded at compile time.
static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");

/// URL prefix of every asset.
pub const PREFIX: &str = "/assets/";

/// A short hash of every embedded file: the version segment of long-cached URLs.
pub fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        // SipHash with fixed keys: the same files give the same id in every process.
        let mut hasher = DefaultHasher::new();
        for file in files() {
            file.path().hash(&mut hasher);
            file.contents().hash(&mut hasher);
        }
        format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
    })
}

/// The long-cached URL of the asset at `path` (e.g. `portal/app.js`).
pub fn url(path: &str) -> String {
    format!("{PREFIX}v/{}/{path}", build_id())
}

/// Every embedded file, in a stable order.
pub fn files() -> Vec<&'static File<'static>> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<&'static File<'static>>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(d, out),
                DirEntry::File(f) => out.push(f),
            }
        }
    }
    let mut out = Vec::new();
    walk(&ASSETS, &mut out);
    out.sort_by_key(|f| f.path());
    out
}

/// The embedded file at `path`, relative to `assets/`.
pub fn get(path: &str) -> Option<&'static File<'static>> {
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return None;
    }
    ASSETS.get_file(path)
}

/// The text of an embedded file (templates), or an empty string if it is missing.
pub fn text(path: &str) -> &'static str {
    get(path)
        .and_then(|f| f.contents_utf8())
        .unwrap_or_default()
}

/// The media type of a file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ if !path.rsplit('/').next().unwrap_or("").contains('.') => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves `/assets/…` (the path after the prefix), or `None` if no such file exists.
pub fn serve(rest: &str, request_headers: &HeaderMap) -> Option<Response> {
    let (path, immutable) = match rest.strip_prefix("v/") {
        Some(versioned) => {
            let (version, path) = versioned.split_once('/')?;
            // An old version's URL still gets the file, but must not be cached for a year.
            (path, version == build_id())
        }
        None => (rest, false),
    };
    let file = get(path)?;
    let etag = format!("\"{}\"", build_id());
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return Some((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Some((headers, Body::from(file.contents())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_asset_folder() {
        assert!(get("../Cargo.toml").is_none());
        assert!(get("portal//index.html").is_none());
        assert!(get("vendor/leaflet/leaflet.js").is_some());
    }

    #[test]
    fn every_embedded_file_has_a_known_type() {
        for file in files() {
            let path = file.path().to_string_lossy();
            assert_ne!(content_type(&path), "application/octet-stream", "{path}");
        }
    }
}
