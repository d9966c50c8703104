//! The portal's shell and embedded assets: the right types and cache headers, deep links,
//! and pages written so the strict Content-Security-Policy holds.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use estelam_gateway::assets;

#[tokio::test]
async fn the_portal_is_persian_and_right_to_left_at_the_root_and_at_deep_links() {
    let app = app();
    for path in [
        "/",
        "/verify/1234567890",
        "/inquiries/0193a1b2",
        "/login",
        "/map",
    ] {
        let response = fetch(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/html; charset=utf-8")
        );
        let html = String::from_utf8(bytes(response).await).expect("utf-8");
        assert!(html.contains("<html lang=\"fa\" dir=\"rtl\">"), "{path}");
        assert!(html.contains("شهرداری شاهین‌شهر"));
        assert!(html.contains(&assets::url("portal/js/app.js")));
    }
    let response = fetch(&app, "/no/such/page").await;
    assert_eq!(
        response.status(),
        404,
        "an unknown page still gets the shell, as a 404"
    );
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
}

#[tokio::test]
async fn assets_have_their_types_and_long_cache_when_versioned() {
    let app = app();
    let cases = [
        (
            "vendor/leaflet/leaflet.js",
            "text/javascript; charset=utf-8",
        ),
        ("vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
        ("vendor/leaflet/images/marker-icon.png", "image/png"),
        ("vendor/vazirmatn/Vazirmatn-Bold.woff2", "font/woff2"),
        (
            "vendor/swagger-ui/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
        ),
        ("portal/js/app.js", "text/javascript; charset=utf-8"),
        ("portal/css/portal.css", "text/css; charset=utf-8"),
        ("portal/icon.svg", "image/svg+xml"),
    ];
    for (path, content_type) in cases {
        let response = fetch(&app, &assets::url(path)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        let expected = assets::get(path).expect("embedded").contents().len();
        assert_eq!(bytes(response).await.len(), expected, "{path}");
    }
    let response = fetch(&app, "/assets/portal/js/app.js").await;
    assert_eq!(header(&response, "cache-control"), Some("no-cache"));
    let etag = header(&response, "etag").expect("etag").to_owned();
    let again = send(
        &app,
        Request::get("/assets/portal/js/app.js")
            .header("if-none-match", etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status(), 304);
    for bad in [
        "/assets/../Cargo.toml",
        "/assets/portal/nothing.js",
        "/assets/v/old/portal/none.css",
    ] {
        assert_eq!(fetch(&app, bad).await.status(), 404, "{bad}");
    }
}

/// Every file the pages load, walked from the assets folder.
fn portal_sources() -> Vec<(String, String)> {
    assets::files()
        .into_iter()
        .filter(|f| {
            let p = f.path().to_string_lossy();
            (p.starts_with("portal/") || p.starts_with("docs/"))
                && (p.ends_with(".js") || p.ends_with(".html"))
        })
        .map(|f| {
            (
                f.path().to_string_lossy().into_owned(),
                f.contents_utf8().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn pages_have_no_inline_script_style_or_handler_and_no_cdn() {
    for (path, text) in portal_sources() {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("<script>") && !lower.contains("<style"),
            "{path}: inline script or style"
        );
        assert!(!lower.contains(" style=\""), "{path}: style attribute");
        assert!(
            !lower.contains(" onclick=") && !lower.contains(" onload="),
            "{path}: inline handler"
        );
        assert!(
            !text.contains(".innerHTML") && !text.contains("insertAdjacentHTML"),
            "{path}: HTML from strings"
        );
        assert!(
            !text.contains("eval(") && !text.contains("new Function"),
            "{path}: eval"
        );
        assert!(
            !lower.contains("https://") && !lower.contains("http://"),
            "{path}: no remote resource"
        );
    }
}

#[test]
fn every_string_exists_in_persian_and_english() {
    let text = assets::text("portal/js/i18n.js");
    let block = |start: &str, end: &str| -> Vec<String> {
        let from = text.find(start).expect("block start") + start.len();
        let to = from + text[from..].find(end).expect("block end");
        text[from..to]
            .lines()
            .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .collect()
    };
    let fa = block("  fa: {", "\n  },");
    let en = block("  en: {", "\n  },");
    assert!(fa.len() > 100, "{}", fa.len());
    let missing_en: Vec<_> = fa.iter().filter(|k| !en.contains(k)).collect();
    let missing_fa: Vec<_> = en.iter().filter(|k| !fa.contains(k)).collect();
    assert!(
        missing_en.is_empty() && missing_fa.is_empty(),
        "en lacks {missing_en:?}; fa lacks {missing_fa:?}"
    );
}

#[test]
fn the_client_router_knows_every_page_the_server_serves() {
    let router = assets::text("portal/js/router.js");
    for page in estelam_gateway::portal::PAGES {
        let client = page.replace("/*", "/:");
        let pattern = client.split(':').next().unwrap_or_default();
        assert!(
            router.contains(&format!("['{pattern}")),
            "router.js lacks {page}"
        );
    }
}
