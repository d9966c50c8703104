//! The citizen portal's shell: one HTML page (Persian, right to left) whose ES modules draw
//! every view in the browser. The server renders only what must be there before any script
//! runs — the municipality's name and the map settings, as `<meta>` tags, since the policy
//! forbids inline scripts — and answers every page address (deep links such as
//! `/verify/123…` or `/inquiries/…`) with the same shell.
//!
//! Page addresses the client knows are in [`PAGES`]; any other address still gets the shell
//! (so the visitor sees a friendly "page not found" in their language), with status 404.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use estelam_runtime::config::GatewaySettings;

use crate::assets;

/// The client-side pages, `*` standing for one path segment. Keep in step with the routes
/// table in `assets/portal/js/router.js`.
pub const PAGES: &[&str] = &[
    "/",
    "/login",
    "/register",
    "/services",
    "/inquiries",
    "/inquiries/new",
    "/inquiries/*",
    "/map",
    "/verify",
    "/verify/*",
    "/clerk",
    "/clerk/fees",
    "/clerk/services",
    "/clerk/reviews",
    "/clerk/disputes",
    "/clerk/people",
    "/statistics",
    "/me/mobile",
    "/me/password",
];

/// Whether `path` is one of the client's pages.
pub fn is_page(path: &str) -> bool {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    PAGES.iter().any(|pattern| {
        let (mut p, mut q) = (pattern.split('/'), path.split('/'));
        loop {
            match (p.next(), q.next()) {
                (None, None) => return true,
                (Some("*"), Some(seg)) if !seg.is_empty() => {}
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    })
}

/// The rendered shell, built once at start.
#[derive(Debug, Clone)]
pub struct Shell {
    html: Arc<str>,
}

/// Escapes text for an HTML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Shell {
    /// Renders `assets/portal/index.html` with the settings filled in.
    pub fn new(settings: &GatewaySettings) -> Self {
        let base = assets::url("");
        let values = [
            ("{{assets}}", base),
            ("{{municipality_fa}}", escape(&settings.municipality_fa)),
            ("{{municipality_en}}", escape(&settings.municipality_en)),
            (
                "{{tile_url}}",
                escape(settings.tile_url.as_deref().unwrap_or_default()),
            ),
            ("{{tile_attribution}}", escape(&settings.tile_attribution)),
            (
                "{{map_center}}",
                format!(
                    "{},{},{}",
                    settings.map_center_lat, settings.map_center_lon, settings.map_zoom
                ),
            ),
        ];
        let mut html = assets::text("portal/index.html").to_owned();
        for (key, value) in values {
            html = html.replace(key, &value);
        }
        Self { html: html.into() }
    }

    /// The shell for `path`: 200 for a known page, 404 (same page) otherwise.
    pub fn page(&self, path: &str) -> Response {
        let status = if is_page(path) {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        let mut response = (status, Html(self.html.to_string())).into_response();
        // The shell names the current build's assets: never serve a stale one from cache.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_are_pages() {
        for path in [
            "/",
            "/verify/12345",
            "/inquiries/abc",
            "/inquiries/",
            "/login",
        ] {
            assert!(is_page(path), "{path}");
        }
        for path in ["/verify/1/2", "/nope", "/inquiries/a/b"] {
            assert!(!is_page(path), "{path}");
        }
    }

    #[test]
    fn the_shell_escapes_settings() {
        let settings = GatewaySettings {
            municipality_en: "<script>x</script>".into(),
            ..GatewaySettings::default()
        };
        let shell = Shell::new(&settings);
        assert!(!shell.html.contains("<script>x"));
        assert!(shell.html.contains("&lt;script&gt;x"));
        assert!(!shell.html.contains("{{"), "every placeholder is filled");
    }
}
