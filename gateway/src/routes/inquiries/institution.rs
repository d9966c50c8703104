//! An office's software walking an inquiry on behalf of an applicant (issue 17): opening it
//! with the applicant's consent (their membership code) and cancelling a draft; and what it
//! reads by machine: many inquiries' status at once (each answer's own status beside the
//! inquiry's state) and its own organisation's fee account. Every other
//! step is the citizen's route, which an office's user or API client takes the same way;
//! the deed and ID card it holds are uploaded with `POST /api/v1/documents` naming the
//! inquiry. The inquiry service decides who may; the gateway only translates.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::inquiry_call;
use crate::bearer::Bearer;
use crate::dto::inquiry::Inquiry;
use crate::dto::institution::{AccountStatement, StatusBody, Statuses};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// The body of `POST /api/v1/inquiries/on-behalf`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnBehalfBody {
    /// The request type's code.
    #[schema(value_type = crate::openapi::formats::RequestTypeCode)]
    pub request_type_code: String,
    /// The applicant's national code (کد ملی), ten digits; Persian or Arabic-Indic digits
    /// are accepted.
    #[schema(value_type = crate::openapi::formats::NationalCode)]
    pub applicant_national_code: String,
    /// The applicant's membership code (کد عضویت), which they gave the office as their
    /// consent to this filing.
    #[schema(value_type = crate::openapi::formats::MembershipCode)]
    pub applicant_membership_code: String,
    /// Idempotency key: a retry with the same key files nothing new.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
}

/// Opens an inquiry (a draft) on behalf of an applicant, for the caller's organisation (an
/// office's user or API client): the applicant's membership code is their consent. The
/// office then takes every step as a citizen would, and an inquiry fee settled on account
/// is charged to its organisation at submission.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/on-behalf",
    tag = "inquiries",
    request_body = OnBehalfBody,
    responses(
        (status = 201, description = "The new inquiry, filed by the caller's organisation.", body = Inquiry),
        (status = 403, description = "The caller does not act for an organisation."),
    ),
    security(("bearer" = []))
)]
pub async fn file_on_behalf(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(b): Json<OnBehalfBody>,
) -> Result<(StatusCode, axum::Json<Inquiry>), ApiError> {
    let filed = inquiry_call(
        &state,
        &bearer,
        pb::FileInquiryOnBehalfRequest {
            request_type_code: b.request_type_code,
            applicant_national_code: b.applicant_national_code,
            applicant_membership_code: b.applicant_membership_code,
            client_request_id: b.client_request_id,
        },
        |mut client, request| async move { client.file_inquiry_on_behalf(request).await },
    )
    .await?;
    Ok((StatusCode::CREATED, filed))
}

/// The body of `POST /api/v1/inquiries/{id}/cancel`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The inquiry's `version` as last read.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
    /// Why, shown on the inquiry; may be empty ("on request").
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub reason: String,
}

/// Cancels an unfinished inquiry (its applicant, its filer, or a clerk). A fee charged to
/// the filing organisation's account is reversed: the statement keeps the charge, marked
/// reversed, and the balance drops.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/cancel",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = CancelBody,
    responses(
        (status = 200, description = "The inquiry, cancelled.", body = Inquiry),
        (status = 412, description = "The inquiry is finished already."),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<CancelBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::CancelInquiryRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            reason: b.reason,
        },
        |mut client, request| async move { client.cancel_inquiry(request).await },
    )
    .await
}

/// The status of up to 1,000 inquiries by number, in the order asked (`BulkStatus`): each
/// inquiry's state and, when issued, its answer's own status (`valid`, `revoked` with the
/// reason, `expired`). A number the caller may not see is `found: false`, exactly as one
/// that does not exist.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/status",
    tag = "inquiries",
    request_body = StatusBody,
    responses((status = 200, description = "One entry per number asked.", body = Statuses)),
    security(("bearer" = []))
)]
pub async fn bulk_status(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(b): Json<StatusBody>,
) -> Result<axum::Json<Statuses>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .bulk_status(outgoing(
            pb::BulkStatusRequest {
                inquiry_numbers: b.inquiry_numbers,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Statuses {
        entries: r.entries.into_iter().map(Into::into).collect(),
    }))
}

/// Paging of `GET /api/v1/organizations/{id}/account`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Page size (default chosen by the service).
    #[serde(default)]
    #[param(minimum = 0)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// An organisation's fee account: the inquiry fees charged to it, newest first, reversed
/// ones marked, and its balance. An office's users and API clients read their own
/// organisation's account only (another is 404); clerks and admins any.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/account",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The organisation id."), StatementQuery),
    responses((status = 200, description = "A page of the account.", body = AccountStatement)),
    security(("bearer" = []))
)]
pub async fn account_statement(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<axum::Json<AccountStatement>, ApiError> {
    let r = state
        .backends
        .fees()
        .get_account_statement(outgoing(
            fpb::GetAccountStatementRequest {
                account_id: id,
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(AccountStatement {
        charges: r.charges.into_iter().map(Into::into).collect(),
        balance_rials: r.balance_rials,
        next_page_token: r.next_page_token,
    }))
}
