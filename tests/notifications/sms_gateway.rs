//! A real HTTP server standing in for an Iranian SMS gateway (Kavenegar-style API: the API
//! key in the path, `sms/send.json` with receptor, sender, message and localid, a JSON
//! `return` status and `entries`). It records every call, can be told to answer the next
//! calls with 503. It keeps every message it accepted, a repeated `localid` included, so a
//! test sees any message sent twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

/// One text message the gateway accepted.
#[derive(Debug, Clone)]
pub struct Sms {
    pub api_key: String,
    pub receptor: String,
    pub sender: String,
    pub message: String,
    pub local_id: String,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Sms>,
    fail_next: usize,
    fail_matching: String,
    failed: usize,
}

/// The running gateway.
#[derive(Clone)]
pub struct SmsGateway {
    /// Its base URL, `http://127.0.0.1:port/v1`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn send(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(api_key): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let mut s = inner.lock().expect("lock");
    let text = form.get("message").cloned().unwrap_or_default();
    if s.fail_next > 0 && text.contains(s.fail_matching.as_str()) {
        s.fail_next -= 1;
        s.failed += 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"return": {"status": 503, "message": "سرویس موقتا در دسترس نیست"}, "entries": null}),
            ),
        );
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    s.accepted.push(Sms {
        api_key,
        receptor: field("receptor"),
        sender: field("sender"),
        message: field("message"),
        local_id: field("localid"),
    });
    let id = s.accepted.len();
    (
        StatusCode::OK,
        Json(json!({
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [{"messageid": 880_000 + id, "status": 1, "receptor": field("receptor")}]
        })),
    )
}

impl SmsGateway {
    /// Binds a free port and serves until the test ends.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/{api_key}/sms/send.json", post(send))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMS");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, inner }
    }

    /// Answers the next `n` calls whose text contains `matching` with 503 (other messages
    /// the system sends meanwhile go through).
    pub fn fail_next(&self, n: usize, matching: &str) {
        let mut s = self.inner.lock().expect("lock");
        s.fail_next = n;
        s.fail_matching = matching.to_owned();
    }

    /// Calls answered with 503 so far.
    pub fn failed(&self) -> usize {
        self.inner.lock().expect("lock").failed
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Sms> {
        self.inner.lock().expect("lock").accepted.clone()
    }
}
