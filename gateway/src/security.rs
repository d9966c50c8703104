//! Security headers on every response, the Content-Security-Policy first among them.
//!
//! The portal has no inline script and no inline style (every script is an ES module file,
//! every style a stylesheet), so the policy allows only this origin's files:
//!
//! ```text
//! default-src 'self'; img-src 'self' data: blob: [tile origin]; object-src 'none';
//! frame-ancestors 'none'; base-uri 'none'; form-action 'self'
//! ```
//!
//! `data:` and `blob:` images are Leaflet's and the upload previews'; the tile origin is
//! added only when a base map is configured (`gateway.tile_url`). HSTS is sent only when the
//! gateway is reached over HTTPS (`gateway.https`), since over plain HTTP it would lock
//! people out.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use estelam_runtime::config::GatewaySettings;

/// The headers, computed once from the settings.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: HeaderMap,
}

/// The Content-Security-Policy for these settings.
pub fn content_security_policy(settings: &GatewaySettings) -> String {
    let tiles = settings
        .tile_origin()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; img-src 'self' data: blob:{tiles}; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

impl SecurityHeaders {
    /// The headers the settings call for.
    pub fn new(settings: &GatewaySettings) -> Self {
        let mut headers = HeaderMap::new();
        let csp = content_security_policy(settings);
        // The policy is built from validated settings: plain ASCII, a valid header value.
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        let fixed: [(HeaderName, &'static str); 6] = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // Other sites learn at most our origin, never a path with a code in it
            // (`/verify/…`); tile servers that require a referrer still get the origin.
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                HeaderName::from_static("permissions-policy"),
                "camera=(), microphone=(), payment=(), usb=(), geolocation=(self)",
            ),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
            (
                HeaderName::from_static("cross-origin-resource-policy"),
                "same-origin",
            ),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if settings.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        Self { headers }
    }
}

/// Middleware: adds the headers a response does not already set, and keeps API answers
/// (personal data) out of shared caches unless the handler said otherwise.
pub async fn apply(
    State(security): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in &security.headers {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_tile_host_only_when_configured() {
        let mut s = GatewaySettings::default();
        let csp = content_security_policy(&s);
        assert!(
            csp.starts_with("default-src 'self'; img-src 'self' data: blob:;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        s.tile_url = Some("https://tiles.example.org/{z}/{x}/{y}.png".into());
        assert!(content_security_policy(&s).contains("blob: https://tiles.example.org;"));
    }

    #[test]
    fn hsts_only_over_https() {
        let mut s = GatewaySettings::default();
        assert!(
            !SecurityHeaders::new(&s)
                .headers
                .contains_key(header::STRICT_TRANSPORT_SECURITY)
        );
        s.https = true;
        assert!(
            SecurityHeaders::new(&s)
                .headers
                .contains_key(header::STRICT_TRANSPORT_SECURITY)
        );
    }
}
