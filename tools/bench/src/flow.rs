//! One simulated applicant's inquiry, steps 3 to 9 over the public HTTP API, exactly as the
//! portal drives them: request types, create, undertakings, property with its request
//! number, the letter (when the type asks for one; the clearance filed does not), two uploads
//! and attaching them, applicant, submit; then, when the parcel
//! owes levies, the bill, the payment, the sandbox bank's page (whose callback reaches
//! fees) and waiting until the answer is issued; finally the answer itself.
//!
//! Besides each call, two spans are recorded: `submit → answer (no debt)` (the Submit call
//! of a debt-free parcel, which issues the answer before it returns) and `paid → issued`
//! (from the moment the bank's "pay" is sent until the inquiry's own `issued_at`, the event
//! path fees → bus → inquiry included). The second is read from the server's issue time, not
//! from when a poll happened to see it: the applicant polls as a portal would (every
//! [`POLL_INTERVAL`]), and a tighter poll would only load the machine being measured. Both
//! clocks are this machine's when the system runs in-process.

use std::str::FromStr as _;
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::http::{Api, text};
use super::setup::{Applicant, OwnedParcel};
use super::stats::{Failure, Stats};

/// Label of the no-debt submit span.
pub const SUBMIT_TO_ANSWER: &str = "submit → answer (no debt)";
/// Label of the debt span.
pub const PAID_TO_ISSUED: &str = "paid → issued (debt)";
/// How often an applicant who has paid looks at the inquiry again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Label of a whole flow.
pub const WHOLE_FLOW: &str = "whole flow";

/// What every flow needs besides its applicant.
pub struct FlowContext {
    /// The gateway.
    pub api: Api,
    /// The notary office named in the letter.
    pub organization_id: String,
    /// The request type filed.
    pub request_type_code: String,
    /// The national ID card scan (PNG).
    pub id_card: Vec<u8>,
    /// The ownership deed (PDF).
    pub deed: Vec<u8>,
    /// How long to wait for an issued answer after paying before counting a failure.
    pub issue_deadline: Duration,
}

/// A finished flow: what later scenarios reuse.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The inquiry number (for the authority's bulk status).
    pub inquiry_number: String,
    /// The answer's verification code (for public verification).
    pub verification_code: String,
}

fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn version(step: &'static str, body: &Value) -> Result<i64, Failure> {
    body["version"]
        .as_i64()
        .or_else(|| body["inquiry"]["version"].as_i64())
        .ok_or_else(|| Failure::new(step, "response without version"))
}

/// Runs one whole flow for `applicant` on `parcel`.
pub async fn run(
    ctx: &FlowContext,
    stats: &Stats,
    applicant: &Applicant,
    parcel: &OwnedParcel,
) -> Result<Issued, Failure> {
    let started = Instant::now();
    let api = &ctx.api;
    let token = applicant.token.as_str();
    let put = move |step: &'static str, path: String, body: Value| async move {
        api.send_json(
            stats,
            step,
            Method::PUT,
            &path,
            token,
            &body,
            StatusCode::OK,
        )
        .await
    };

    let types = api
        .get(stats, "request types", "/api/v1/request-types", Some(token))
        .await?;
    let rt = types["request_types"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["code"].as_str() == Some(ctx.request_type_code.as_str()))
        })
        .ok_or_else(|| Failure::new("request types", "the run's request type is not offered"))?
        .clone();
    let created = api
        .send_json(
            stats,
            "create",
            Method::POST,
            "/api/v1/inquiries",
            token,
            &json!({"request_type_code": rt["code"], "client_request_id": rid()}),
            StatusCode::CREATED,
        )
        .await?;
    let id = text("create", &created, "inquiry_id")?;
    let base = format!("/api/v1/inquiries/{id}");
    let undertakings: Vec<Value> = rt["undertakings"]
        .as_array()
        .map(|u| {
            u.iter()
                .map(|u| u["undertaking_version_id"].clone())
                .collect()
        })
        .unwrap_or_default();
    let mut inquiry = put(
        "undertakings",
        format!("{base}/undertakings"),
        json!({"expected_version": version("create", &created)?, "client_request_id": rid(),
               "undertaking_version_ids": undertakings}),
    )
    .await?;
    inquiry = put(
        "property",
        format!("{base}/property"),
        json!({"expected_version": version("undertakings", &inquiry)?, "client_request_id": rid(),
               "renovation_code": parcel.renovation_code, "request_number": parcel.request_number}),
    )
    .await?;
    if rt["letter_required"].as_bool().unwrap_or(false) {
        inquiry = put(
            "letter",
            format!("{base}/letter"),
            json!({"expected_version": version("property", &inquiry)?, "client_request_id": rid(),
                   "letter_number": "۱۲۳/ن/۴۵", "letter_date_jalali": "1403/05/12",
                   "authority_organization_id": ctx.organization_id}),
        )
        .await?;
    }
    let card = upload(
        ctx,
        stats,
        token,
        "national_id_card",
        "card.png",
        "image/png",
        &ctx.id_card,
    )
    .await?;
    let deed = upload(
        ctx,
        stats,
        token,
        "ownership_deed",
        "deed.pdf",
        "application/pdf",
        &ctx.deed,
    )
    .await?;
    inquiry = put(
        "attach documents",
        format!("{base}/documents"),
        json!({"expected_version": version("letter", &inquiry)?, "client_request_id": rid(),
               "document_ids": [card, deed]}),
    )
    .await?;
    inquiry = put(
        "applicant",
        format!("{base}/applicant"),
        json!({"expected_version": version("attach documents", &inquiry)?,
               "client_request_id": rid(), "full_name": applicant.full_name,
               "national_code": applicant.national_code, "ownership_type": "full"}),
    )
    .await?;
    let submit_started = Instant::now();
    let submitted = api
        .send_json(
            stats,
            "submit",
            Method::POST,
            &format!("{base}/submit"),
            token,
            &json!({"expected_version": version("applicant", &inquiry)?,
                    "client_request_id": rid()}),
            StatusCode::OK,
        )
        .await?;
    let state = text("submit", &submitted, "inquiry.state")?;
    match (parcel.has_debt, state.as_str()) {
        (false, "issued") => stats.record(SUBMIT_TO_ANSWER, submit_started.elapsed()),
        (true, "awaiting_payment") => {
            pay(ctx, stats, token, &base, version("submit", &submitted)?).await?;
        }
        (_, other) => {
            let mut billed: Vec<&str> = submitted["bill"]["lines"]
                .as_array()
                .map(|l| l.iter().filter_map(|l| l["kind"].as_str()).collect())
                .unwrap_or_default();
            billed.dedup();
            return Err(Failure::new(
                "submit",
                format!(
                    "state {other} after submit (debt: {}, billed: {})",
                    parcel.has_debt,
                    billed.join(" ")
                ),
            ));
        }
    }
    let answer = api
        .get(stats, "answer", &format!("{base}/answer"), Some(token))
        .await?;
    stats.record(WHOLE_FLOW, started.elapsed());
    Ok(Issued {
        inquiry_number: text("answer", &answer, "inquiry_number")?,
        verification_code: text("answer", &answer, "verification_code")?,
    })
}

/// Step 8–9 of a parcel with debt: bill, payment, the sandbox bank, then waiting for issue.
async fn pay(
    ctx: &FlowContext,
    stats: &Stats,
    token: &str,
    base: &str,
    version: i64,
) -> Result<(), Failure> {
    let api = &ctx.api;
    let bill = api
        .get(stats, "bill", &format!("{base}/bill"), Some(token))
        .await?;
    if bill["total_rials"].as_i64().unwrap_or(0) <= 0 {
        return Err(Failure::new("bill", "a parcel with debt got an empty bill"));
    }
    let payment = api
        .send_json(
            stats,
            "start payment",
            Method::POST,
            &format!("{base}/payments"),
            token,
            &json!({"expected_version": version, "client_request_id": rid(),
                    "return_url": api.url("/")}),
            StatusCode::CREATED,
        )
        .await?;
    let redirect = text("start payment", &payment, "redirect_url")?;
    let psp_token = reqwest::Url::parse("http://localhost/")
        .ok()
        .and_then(|base| base.join(&redirect).ok())
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| Failure::new("start payment", "redirect_url without a token"))?;
    let paid_at = Instant::now();
    let paid_wall = SystemTime::now();
    api.call(
        stats,
        "bank: pay (PSP callback)",
        api.request(Method::POST, "/psp/pay", None)
            .form(&[("token", psp_token.as_str()), ("choice", "pay")]),
        StatusCode::SEE_OTHER,
    )
    .await?;
    let deadline = paid_at + ctx.issue_deadline;
    let issued_at = loop {
        let now = api.get(stats, "poll inquiry", base, Some(token)).await?;
        match now["state"].as_str() {
            Some("issued") => break text("poll inquiry", &now, "issued_at")?,
            Some("awaiting_payment") | Some("assessed") => {}
            other => {
                return Err(Failure::new(
                    "poll inquiry",
                    format!("state {} after paying", other.unwrap_or("missing")),
                ));
            }
        }
        if Instant::now() > deadline {
            return Err(Failure::new(
                "poll inquiry",
                "not issued within the deadline after paying",
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    let issued_wall = prost_types::Timestamp::from_str(&issued_at)
        .ok()
        .and_then(|t| SystemTime::try_from(t).ok())
        .ok_or_else(|| Failure::new("poll inquiry", "issued_at is not an RFC 3339 instant"))?;
    let took = issued_wall.duration_since(paid_wall).map_err(|_| {
        Failure::new(
            "poll inquiry",
            "issued before the payment was sent: the clocks of this machine and the system differ",
        )
    })?;
    stats.record(PAID_TO_ISSUED, took);
    Ok(())
}

/// `POST /api/v1/documents`: one multipart upload; returns the document id.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    ctx: &FlowContext,
    stats: &Stats,
    token: &str,
    kind: &'static str,
    name: &'static str,
    mime: &'static str,
    data: &[u8],
) -> Result<String, Failure> {
    let part = reqwest::multipart::Part::bytes(data.to_vec())
        .file_name(name)
        .mime_str(mime)
        .map_err(|_| Failure::new("upload", "bad content type"))?;
    let form = reqwest::multipart::Form::new()
        .text("kind", kind)
        .part("file", part);
    let doc = ctx
        .api
        .call(
            stats,
            "upload",
            ctx.api
                .request(Method::POST, "/api/v1/documents", Some(token))
                .multipart(form),
            StatusCode::CREATED,
        )
        .await?;
    text("upload", &doc, "document_id")
}
