//! The offline verification page (`GET /verify/offline`): one self-contained HTML file —
//! its style and program inline, the trust list and the root key's fingerprint embedded as
//! they are at download time — that checks an answer's QR text in the browser with WebCrypto
//! and keeps working when saved to disk and opened with no network. See
//! `docs/certificate.md`.
//!
//! The portal's policy forbids inline script, so this page carries its own
//! Content-Security-Policy: the inline script and style are allowed by their SHA-256 hashes
//! only, the single connection allowed is to this origin (the status list), and the camera
//! is allowed to this origin for `BarcodeDetector`.

use std::sync::OnceLock;

use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::portal::escape;
use crate::problem::ApiError;
use crate::state::AppState;

const TEMPLATE: &str = include_str!("offline_page/page.html");
const SCRIPT: &str = include_str!("offline_page/page.js");
const STYLE: &str = include_str!("offline_page/page.css");

/// How a downloaded copy is saved.
const ATTACHMENT: &str = "attachment; filename=\"estelam-offline-verification.html\"";

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(offline_verification_page))
}

/// `sha256-…` source expression for an inline element's exact text.
fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_slice())
    )
}

/// The page's own policy: nothing but its hashed inline script and style, `data:` images,
/// and connections to this origin (the status list).
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; script-src {}; style-src {}; img-src data:; \
             connect-src 'self'; media-src 'self' blob:; object-src 'none'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            hash_source(SCRIPT),
            hash_source(STYLE)
        )
    })
}

/// JSON safe inside a `<script type="application/json">` element: no `<` at all, so no
/// `</script>` can end it early.
fn embedded_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The page with `trust_list` and `root_fingerprint` embedded.
pub fn render(
    trust_list: &str,
    root_fingerprint: &str,
    municipality_fa: &str,
    municipality_en: &str,
) -> String {
    let data = serde_json::json!({
        "trust_list": trust_list,
        "root_fingerprint": root_fingerprint,
    });
    // The fixed parts first: the values filled in after can never be read as placeholders
    // inside the script or style.
    let mut html = TEMPLATE
        .replace("{{style}}", STYLE)
        .replace("{{script}}", SCRIPT);
    for (key, value) in [
        ("{{trust_data}}", embedded_json(&data)),
        ("{{root_fingerprint}}", escape(root_fingerprint)),
        ("{{municipality_fa}}", escape(municipality_fa)),
        ("{{municipality_en}}", escape(municipality_en)),
    ] {
        html = html.replace(key, &value);
    }
    html
}

/// Query of the offline page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OfflinePageQuery {
    /// Any value: send the page as a file to save (`Content-Disposition: attachment`).
    pub download: Option<String>,
}

/// The offline verification page (public): a self-contained HTML file that verifies an
/// answer's QR text in the browser against the trust list embedded at download time, and
/// checks the status list when the network is there.
#[utoipa::path(
    get,
    path = "/verify/offline",
    tag = "inquiries",
    params(OfflinePageQuery),
    responses((status = 200, description = "The page.", body = String, content_type = "text/html")),
    security(())
)]
pub async fn offline_verification_page(
    State(state): State<AppState>,
    Query(q): Query<OfflinePageQuery>,
) -> Result<Response, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_answer_trust_list(outgoing(pb::GetAnswerTrustListRequest {}, None))
        .await?
        .into_inner();
    let html = render(
        &r.trust_list,
        &r.root_fingerprint,
        &state.settings.municipality_fa,
        &state.settings.municipality_en,
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(content_security_policy()),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(self), microphone=(), payment=(), usb=(), geolocation=()",
        ),
    );
    // It embeds the trust list of the moment: never a stale copy from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if q.download.is_some() {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static(ATTACHMENT),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_cannot_close_its_element() {
        let html = render("a</script><script>x", "ab12", "ش", "S");
        assert!(!html.contains("a</script>"));
        assert!(html.contains("a\\u003c/script>"));
    }

    #[test]
    fn the_policy_hashes_exactly_the_inline_script() {
        let html = render("t", "f", "ش", "S");
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(content_security_policy().contains(&hash_source(SCRIPT)));
        assert!(!content_security_policy().contains("unsafe-inline"));
    }
}
