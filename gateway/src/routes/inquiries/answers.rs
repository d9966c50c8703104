//! The signed answer (step 9 of the nine): as JSON with the signed bytes for offline
//! checks, rendered as HTML or PDF, and verified by its code by anyone, without logging in.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;

use crate::bearer::Bearer;
use crate::dto::inquiry::{Answer, RenderQuery, Verification};
use crate::dto::{self, enum_name, instant, text};
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// The signed answer of an issued inquiry.
#[utoipa::path(
    get,
    path = "/api/v1/inquiries/{id}/answer",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    responses((status = 200, description = "The answer.", body = Answer)),
    security(("bearer" = []))
)]
pub async fn get_answer(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Answer>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_answer(outgoing(
            pb::GetAnswerRequest { inquiry_id: id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.answer.ok_or_else(|| dto::missing("answer"))?.into(),
    ))
}

async fn render(
    state: AppState,
    bearer: Bearer,
    id: String,
    lang: Option<String>,
    format: pb::AnswerFormat,
) -> Result<Response, ApiError> {
    let r = state
        .backends
        .inquiry()
        .render_answer(outgoing(
            pb::RenderAnswerRequest {
                inquiry_id: id,
                format: format as i32,
                language: lang.unwrap_or_else(|| "fa".into()),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let content_type = HeaderValue::from_str(&r.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let filename: String = r
        .filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let mut response = Response::new(Body::from(r.content));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if format == pb::AnswerFormat::Pdf
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The answer as an HTML page (printable, with its QR code).
#[utoipa::path(
    get,
    path = "/api/v1/inquiries/{id}/answer.html",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id."), RenderQuery),
    responses((status = 200, description = "The answer page.", content_type = "text/html")),
    security(("bearer" = []))
)]
pub async fn get_answer_html(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Query(q): Query<RenderQuery>,
) -> Result<Response, ApiError> {
    render(state, bearer, id, q.lang, pb::AnswerFormat::Html).await
}

/// The answer as a PDF document.
#[utoipa::path(
    get,
    path = "/api/v1/inquiries/{id}/answer.pdf",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id."), RenderQuery),
    responses((status = 200, description = "The answer as PDF.", content_type = "application/pdf")),
    security(("bearer" = []))
)]
pub async fn get_answer_pdf(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Query(q): Query<RenderQuery>,
) -> Result<Response, ApiError> {
    render(state, bearer, id, q.lang, pb::AnswerFormat::Pdf).await
}

/// Checks an answer by its verification code (public: anyone holding the paper may ask).
#[utoipa::path(
    get,
    path = "/api/v1/answers/{verification_code}",
    tag = "inquiries",
    params(("verification_code" = crate::openapi::formats::VerificationCode, Path, description = "The code printed on the answer.")),
    responses((status = 200, description = "The outcome.", body = Verification)),
    security(())
)]
pub async fn verify_answer(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<axum::Json<Verification>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .verify_answer(outgoing(
            pb::VerifyAnswerRequest {
                verification_code: code,
                ..Default::default()
            },
            None,
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Verification {
        result: enum_name(r.result().as_str_name(), "VERIFICATION_RESULT_"),
        answer: r.answer.map(Into::into),
        signature_valid: r.signature_valid,
        message: text(r.message),
        checked_at: instant(r.checked_at),
    }))
}
