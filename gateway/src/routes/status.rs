//! Readiness of the whole system as the gateway sees it: every service's `grpc.health.v1`.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Html;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::backends::Backends;
use crate::portal::escape;

/// How long the status page waits for one service's health answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks every service at once, so the page waits at most one [`PROBE_TIMEOUT`].
async fn probe(backends: &Backends) -> Vec<(&'static str, bool)> {
    let checks = backends.all().map(|(name, channel)| async move {
        let mut client = HealthClient::new(channel);
        let call = client.check(HealthCheckRequest {
            service: String::new(),
        });
        let serving = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, call).await,
            Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32
        );
        (name, serving)
    });
    futures::future::join_all(checks).await
}

/// 200 when every service serves, else 503 naming those that do not.
pub async fn readyz(backends: &Backends) -> (StatusCode, String) {
    let down: Vec<&str> = probe(backends)
        .await
        .into_iter()
        .filter(|(_, up)| !up)
        .map(|(n, _)| n)
        .collect();
    if down.is_empty() {
        (StatusCode::OK, "ready".into())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", down.join(", ")),
        )
    }
}

/// A plain status page, Persian first, that says which services answer. It links the
/// stylesheet only: the policy allows no inline style.
pub async fn page(backends: &Backends) -> Html<String> {
    let rows: String = probe(backends)
        .await
        .into_iter()
        .map(|(name, up)| {
            let (fa, en) = if up {
                ("در دسترس", "serving")
            } else {
                ("در دسترس نیست", "not serving")
            };
            let class = if up { "up" } else { "down" };
            format!(
                "<tr class=\"{class}\"><td>{}</td><td>{fa}</td><td lang=\"en\" dir=\"ltr\">{en}</td></tr>",
                escape(name)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>استعلام — وضعیت سامانه</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body class=\"status-page\">\
         <h1>سامانهٔ استعلام ملک — وضعیت خدمات</h1><p lang=\"en\" dir=\"ltr\">Estelam — service status</p>\
         <table><tr><th>خدمت / service</th><th>وضعیت</th><th>status</th></tr>{rows}</table>\
         <p><a href=\"/\">بازگشت به درگاه</a> · <a href=\"/\" lang=\"en\">Back to the portal</a></p></body></html>",
        css = crate::assets::url("portal/css/portal.css")
    ))
}
