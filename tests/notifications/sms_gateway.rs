//! A real HTTP server standing in for an Iranian SMS gateway, modelled on Kavenegar's API:
//! the API key in the path; `sms/send.json` (receptor, sender, message, localid) and
//! `verify/lookup.json` (receptor, token, template, localid) answer a JSON `return` status
//! and `entries` with the message id; `sms/status.json` tells a message's delivery status by
//! message id, and `sms/statuslocalmessageid.json` by our `localid` (status 100 when it has
//! none). It records every call, can be told to answer the next calls with 503 (before
//! taking the message) or to take a message and then answer 503 (an answer lost on the
//! way back), and to report a delivery status for a receptor's messages. It keeps every
//! message it accepted, a repeated `localid` included, so a test sees any message sent twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

/// One message the gateway accepted.
#[derive(Debug, Clone)]
pub struct Sms {
    pub api_key: String,
    pub receptor: String,
    pub sender: String,
    /// The text (`send`), empty for a template call.
    pub message: String,
    /// The one-time code (`verify/lookup`'s token), empty for a plain message.
    pub token: String,
    pub template: String,
    pub local_id: String,
    /// The gateway's id for it.
    pub message_id: i64,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Sms>,
    fail_next: usize,
    fail_matching: String,
    failed: usize,
    fail_codes: usize,
    fail_codes_to: String,
    failed_codes: usize,
    lose_answers: usize,
    lose_matching: String,
    lost: usize,
    /// Delivery status reported for the messages whose receptor or text contains the
    /// key (the last match wins; default 1, queued).
    status_of: Vec<(String, i64)>,
    status_calls: usize,
    local_id_calls: usize,
}

/// The running gateway.
#[derive(Clone)]
pub struct SmsGateway {
    /// Its base URL, `http://127.0.0.1:port/v1`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

type Reply = (StatusCode, Json<Value>);

fn unavailable() -> Reply {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(
            json!({"return": {"status": 503, "message": "سرویس موقتا در دسترس نیست"}, "entries": null}),
        ),
    )
}

fn ok(entries: Value) -> Reply {
    (
        StatusCode::OK,
        Json(json!({"return": {"status": 200, "message": "تایید شد"}, "entries": entries})),
    )
}

fn take(s: &mut Inner, api_key: String, form: &HashMap<String, String>) -> Reply {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let message_id = 880_000 + i64::try_from(s.accepted.len()).expect("few") + 1;
    let sms = Sms {
        api_key,
        receptor: field("receptor"),
        sender: field("sender"),
        message: field("message"),
        token: field("token"),
        template: field("template"),
        local_id: field("localid"),
        message_id,
    };
    let text = format!("{} {} {}", sms.receptor, sms.message, sms.token);
    s.accepted.push(sms);
    if s.lose_answers > 0 && text.contains(s.lose_matching.as_str()) {
        s.lose_answers -= 1;
        s.lost += 1;
        return unavailable();
    }
    ok(json!([{"messageid": message_id, "status": 1, "receptor": field("receptor")}]))
}

async fn send(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(api_key): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Reply {
    let mut s = inner.lock().expect("lock");
    let text = form.get("message").cloned().unwrap_or_default();
    if s.fail_next > 0 && text.contains(s.fail_matching.as_str()) {
        s.fail_next -= 1;
        s.failed += 1;
        return unavailable();
    }
    take(&mut s, api_key, &form)
}

async fn lookup(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(api_key): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Reply {
    let mut s = inner.lock().expect("lock");
    let receptor = form.get("receptor").cloned().unwrap_or_default();
    if s.fail_codes > 0 && receptor == s.fail_codes_to {
        s.fail_codes -= 1;
        s.failed_codes += 1;
        return unavailable();
    }
    take(&mut s, api_key, &form)
}

fn entry(s: &Inner, m: &Sms) -> Value {
    let text = format!("{} {}", m.receptor, m.message);
    let status = s
        .status_of
        .iter()
        .rev()
        .find(|(key, _)| text.contains(key.as_str()))
        .map_or(1, |(_, code)| *code);
    json!({"messageid": m.message_id, "localid": m.local_id, "status": status, "receptor": m.receptor})
}

async fn status(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Reply {
    let mut s = inner.lock().expect("lock");
    s.status_calls += 1;
    let ids = form.get("messageid").cloned().unwrap_or_default();
    let entries: Vec<Value> = ids
        .split(',')
        .map(|id| {
            s.accepted
                .iter()
                .find(|m| m.message_id.to_string() == id.trim())
                .map_or_else(|| json!({"messageid": id, "status": 100}), |m| entry(&s, m))
        })
        .collect();
    ok(Value::Array(entries))
}

async fn by_local_id(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Reply {
    let mut s = inner.lock().expect("lock");
    s.local_id_calls += 1;
    let local = form.get("localid").cloned().unwrap_or_default();
    let found = s
        .accepted
        .iter()
        .find(|m| !local.is_empty() && m.local_id == local)
        .map(|m| entry(&s, m));
    ok(json!([found.unwrap_or_else(
        || json!({"messageid": 0, "localid": local, "status": 100})
    )]))
}

impl SmsGateway {
    /// Binds a free port and serves until the test ends.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/{api_key}/sms/send.json", post(send))
            .route("/v1/{api_key}/verify/lookup.json", post(lookup))
            .route("/v1/{api_key}/sms/status.json", post(status))
            .route(
                "/v1/{api_key}/sms/statuslocalmessageid.json",
                post(by_local_id),
            )
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

    /// Answers the next `n` plain messages whose text contains `matching` with 503 (other
    /// messages the system sends meanwhile go through).
    pub fn fail_next(&self, n: usize, matching: &str) {
        let mut s = self.inner.lock().expect("lock");
        s.fail_next = n;
        s.fail_matching = matching.to_owned();
    }

    /// Answers the next `n` one-time code calls to `receptor` with 503.
    pub fn fail_codes(&self, n: usize, receptor: &str) {
        let mut s = self.inner.lock().expect("lock");
        s.fail_codes = n;
        s.fail_codes_to = receptor.to_owned();
    }

    /// Takes the next `n` messages whose receptor, text or code contains `matching`, then answers
    /// 503 as if the answer were lost on the way back.
    pub fn lose_answers(&self, n: usize, matching: &str) {
        let mut s = self.inner.lock().expect("lock");
        s.lose_answers = n;
        s.lose_matching = matching.to_owned();
    }

    /// Reports `status` (Kavenegar's code: 10 delivered, 11 expired, 6 failed…) for every
    /// message whose receptor or text contains `matching`.
    pub fn report_status(&self, matching: &str, status: i64) {
        self.inner
            .lock()
            .expect("lock")
            .status_of
            .push((matching.to_owned(), status));
    }

    /// Plain-message calls answered with 503 so far.
    pub fn failed(&self) -> usize {
        self.inner.lock().expect("lock").failed
    }

    /// Code calls answered with 503 so far.
    pub fn failed_codes(&self) -> usize {
        self.inner.lock().expect("lock").failed_codes
    }

    /// Messages taken whose answer was "lost".
    pub fn lost(&self) -> usize {
        self.inner.lock().expect("lock").lost
    }

    /// Calls asking about a local id so far.
    pub fn local_id_calls(&self) -> usize {
        self.inner.lock().expect("lock").local_id_calls
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Sms> {
        self.inner.lock().expect("lock").accepted.clone()
    }

    /// The one-time codes accepted for `receptor`, oldest first.
    pub fn codes_to(&self, receptor: &str) -> Vec<Sms> {
        self.accepted()
            .into_iter()
            .filter(|m| m.receptor == receptor && !m.token.is_empty())
            .collect()
    }
}
