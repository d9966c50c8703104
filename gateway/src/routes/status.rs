//! Readiness of the whole system as the gateway sees it: every service's `grpc.health.v1`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::Backends;

/// How long the status page waits for one service's health answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

async fn probe(backends: &Backends) -> Vec<(&'static str, bool)> {
    let mut out = Vec::new();
    for (name, channel) in backends.all() {
        let mut client = HealthClient::new(channel);
        let call = client.check(HealthCheckRequest {
            service: String::new(),
        });
        let serving = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, call).await,
            Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32
        );
        out.push((name, serving));
    }
    out
}

/// `/readyz`: 200 when every service serves, else 503 naming those that do not.
pub async fn readyz(State(backends): State<Backends>) -> (StatusCode, String) {
    let down: Vec<&str> = probe(&backends)
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

/// `/`: a plain status page, Persian first, that says which services answer.
pub async fn page(State(backends): State<Backends>) -> Html<String> {
    let rows: String = probe(&backends)
        .await
        .into_iter()
        .map(|(name, up)| {
            let (fa, en) = if up {
                ("در دسترس", "serving")
            } else {
                ("در دسترس نیست", "not serving")
            };
            format!("<tr><td>{name}</td><td>{fa}</td><td>{en}</td></tr>")
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>استعلام — وضعیت سامانه</title></head><body>\
         <h1>سامانهٔ استعلام ملک — وضعیت خدمات</h1><p lang=\"en\" dir=\"ltr\">Estelam — service status</p>\
         <table><tr><th>service</th><th>وضعیت</th><th>status</th></tr>{rows}</table></body></html>"
    ))
}
