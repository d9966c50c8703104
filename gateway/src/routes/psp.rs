//! The sandbox payment provider's pages (`/psp/pay`): the stand-in for a bank's payment page
//! during development and demos. The page shows the amount with "pay" and "cancel" buttons
//! (a plain form, no script, so the CSP holds); the choice goes to the fee service's
//! `DecideSandboxPayment`, whose signed callback is forwarded unchanged to
//! `HandlePspCallback`, and the browser is sent (303) to the URL it answers with: the
//! portal's inquiry page.
//!
//! The fee service lets only service accounts make these calls, so the gateway uses its own
//! service token ([`crate::state::AppState::service_token`]).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::errors;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(pay_page, decide))
}

/// `?token=` of the payment page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayQuery {
    /// The sandbox payment's token (from the payment's `redirect_url`).
    pub token: String,
}

/// The form the payment page posts.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideForm {
    /// The sandbox payment's token.
    pub token: String,
    /// `pay` or `cancel`.
    #[schema(value_type = crate::openapi::formats::PspChoice)]
    pub choice: String,
}

async fn service_token(state: &AppState) -> Result<String, ApiError> {
    match &state.service_token {
        Some(source) => Ok(source.bearer().await?),
        None => Err(errors::sandbox_psp_not_configured()),
    }
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `1234567` → `۱٬۲۳۴٬۵۶۷`.
fn rials_fa(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('٬');
        }
        out.push(char::from_u32(0x06F0 + c.to_digit(10).unwrap_or(0)).unwrap_or(c));
    }
    if amount < 0 { format!("-{out}") } else { out }
}

/// The sandbox bank's payment page: the amount, and "pay" / "cancel" buttons.
#[utoipa::path(
    get,
    path = "/psp/pay",
    tag = "payments",
    params(PayQuery),
    responses((status = 200, description = "The payment page.", content_type = "text/html")),
    security(())
)]
pub async fn pay_page(
    State(state): State<AppState>,
    Query(q): Query<PayQuery>,
) -> Result<Response, ApiError> {
    let token = service_token(&state).await?;
    let p = state
        .backends
        .fees()
        .get_sandbox_payment(outgoing(
            pb::GetSandboxPaymentRequest {
                psp_token: q.token.clone(),
            },
            Some(&token),
        ))
        .await?
        .into_inner()
        .payment
        .unwrap_or_default();
    // The fee service names an undecided sandbox payment "awaiting" (fees.proto).
    let pending = p.state == "awaiting";
    let buttons = if pending {
        format!(
            r#"<form method="post" action="/psp/pay" class="psp-form">
<input type="hidden" name="token" value="{token}">
<button type="submit" name="choice" value="pay" class="button">پرداخت <span lang="en">/ Pay</span></button>
<button type="submit" name="choice" value="cancel" class="button secondary">انصراف <span lang="en">/ Cancel</span></button>
</form>"#,
            token = esc(&q.token)
        )
    } else {
        format!(
            r#"<p>این پرداخت پیش‌تر انجام شده است ({state}). <span lang="en">This payment has already been decided.</span></p>"#,
            state = esc(&p.state)
        )
    };
    let css = crate::assets::url("portal/css/portal.css");
    let fonts = crate::assets::url("portal/css/fonts.css");
    let page = format!(
        r#"<!doctype html>
<html lang="fa" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>درگاه پرداخت آزمایشی — Sandbox payment</title>
<link rel="stylesheet" href="{fonts}">
<link rel="stylesheet" href="{css}">
</head>
<body>
<main class="psp">
<h1>درگاه پرداخت آزمایشی</h1>
<p lang="en" dir="ltr">Sandbox payment page — no real money moves.</p>
<dl>
<dt>مبلغ</dt><dd data-amount-rials="{amount}">{amount_fa} ریال</dd>
<dt>شناسهٔ پرداخت</dt><dd dir="ltr">{payment_id}</dd>
</dl>
{buttons}
</main>
</body>
</html>
"#,
        amount = p.amount_rials,
        amount_fa = rials_fa(p.amount_rials),
        payment_id = esc(&p.payment_id),
    );
    let mut response = Html(page).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Records the payer's choice and sends the browser back to the portal (303).
#[utoipa::path(
    post,
    path = "/psp/pay",
    tag = "payments",
    request_body(content = DecideForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the portal's inquiry page.")),
    security(())
)]
pub async fn decide(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let form: DecideForm =
        serde_urlencoded::from_bytes(&body).map_err(|_| errors::psp_form_invalid())?;
    let choice = match form.choice.as_str() {
        "pay" => pb::SandboxChoice::Pay,
        "cancel" => pb::SandboxChoice::Cancel,
        _ => {
            return Err(errors::psp_choice_invalid());
        }
    };
    let token = service_token(&state).await?;
    let decided = state
        .backends
        .fees()
        .decide_sandbox_payment(outgoing(
            pb::DecideSandboxPaymentRequest {
                psp_token: form.token,
                choice: choice as i32,
            },
            Some(&token),
        ))
        .await?
        .into_inner();
    let callback = decided
        .callback
        .ok_or_else(|| crate::dto::missing("callback"))?;
    let handled = state
        .backends
        .fees()
        .handle_psp_callback(outgoing(callback, Some(&token)))
        .await?
        .into_inner();
    let location = HeaderValue::from_str(&handled.redirect_url)
        .map_err(|_| crate::dto::missing("valid redirect_url"))?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}
