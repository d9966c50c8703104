//! The statutory clock through the gateway on the whole running system: the public figures
//! need no login (`GET /api/v1/statistics/answer-times`, the year in any digits), the desk's
//! list of what is due is for staff (`GET /api/v1/desk/deadlines`), and the portal serves the
//! public page (`/statistics`).

use reqwest::StatusCode;

mod support;

use support::system::{System, system};

async fn log_in(s: &System, national_code: &str, password: &str) -> String {
    let reply = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"national_code": national_code, "password": password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::OK);
    let body: serde_json::Value = reply.json().await.expect("JSON");
    body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn get(s: &System, path: &str, token: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut request = s.http.get(s.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.expect("sent");
    let status = reply.status();
    (status, reply.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_are_public_and_the_deadlines_are_the_desks() {
    let s = system().await;
    let (status, figures) = get(&s, "/api/v1/statistics/answer-times", None).await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["legal_limit_days"], 10);
    assert!(
        figures["jalali_year"].as_i64().is_some_and(|y| y >= 1405),
        "{figures}"
    );
    assert!(figures["months"].is_array(), "{figures}");
    let (status, persian) = get(&s, "/api/v1/statistics/answer-times?jalali_year=۱۴۰۴", None).await;
    assert_eq!(status, StatusCode::OK, "{persian}");
    assert_eq!(persian["jalali_year"], 1404);
    let (status, bad) = get(&s, "/api/v1/statistics/answer-times?jalali_year=soon", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let (status, _) = get(&s, "/api/v1/desk/deadlines", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let citizen = &s.demo.citizens[0];
    let token = log_in(&s, &citizen.national_code, &citizen.password).await;
    let (status, _) = get(&s, "/api/v1/desk/deadlines", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let clerk = log_in(&s, &s.demo.clerk.national_code, &s.demo.clerk.password).await;
    let (status, due) = get(
        &s,
        "/api/v1/desk/deadlines?include_on_time=true",
        Some(&clerk),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{due}");
    assert!(due["inquiries"].is_array(), "{due}");

    let page = s.http.get(s.url("/statistics")).send().await.expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
}
