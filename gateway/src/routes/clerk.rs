//! What municipal staff do from the portal's clerk desk, over the property and inquiry
//! services: issue a request number for a parcel (step 4 checks it), and revoke an answer
//! issued in error. The services decide who may (clerks); the gateway only translates.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::inquiry::v1 as ipb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::inquiry::Answer;
use crate::dto::{self, instant};
use crate::extract::{Json, Path};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_request_number))
        .routes(routes!(revoke_answer))
}

/// The body of `POST /api/v1/parcels/{renovation_code}/request-numbers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequestNumberBody {
    /// Days it stays valid, 1–365 (absent or 0: the service's default).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub validity_days: i32,
    /// What it is for.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub note: String,
    /// Idempotency key: a retry with the same key returns the same number.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
}

/// A request number the municipality issued for a parcel.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestNumber {
    /// The number the applicant gives in step 4.
    pub number: String,
    /// The parcel.
    pub renovation_code: String,
    /// Issued (RFC 3339).
    pub issued_at: Option<String>,
    /// Valid until (RFC 3339).
    pub expires_at: Option<String>,
    /// The clerk's note.
    pub note: String,
}

impl From<ppb::RequestNumber> for RequestNumber {
    fn from(n: ppb::RequestNumber) -> Self {
        Self {
            number: n.number,
            renovation_code: n.renovation_code,
            issued_at: instant(n.issued_at),
            expires_at: instant(n.expires_at),
            note: n.note,
        }
    }
}

/// Issues a request number for a parcel (clerks).
#[utoipa::path(
    post,
    path = "/api/v1/parcels/{renovation_code}/request-numbers",
    tag = "parcels",
    params(("renovation_code" = crate::openapi::formats::RenovationCode, Path, description = "The parcel's renovation code.")),
    request_body = IssueRequestNumberBody,
    responses((status = 201, description = "The new request number.", body = RequestNumber)),
    security(("bearer" = []))
)]
pub async fn issue_request_number(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(renovation_code): Path<String>,
    Json(b): Json<IssueRequestNumberBody>,
) -> Result<(StatusCode, axum::Json<RequestNumber>), ApiError> {
    let r = state
        .backends
        .property()
        .issue_request_number(outgoing(
            ppb::IssueRequestNumberRequest {
                renovation_code,
                validity_days: b.validity_days,
                note: b.note,
                client_request_id: b.client_request_id,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let number = r
        .request_number
        .ok_or_else(|| dto::missing("request_number"))?;
    Ok((StatusCode::CREATED, axum::Json(number.into())))
}

/// The body of `POST /api/v1/inquiries/{id}/answer/revoke`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// The inquiry's `version` as last read.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
    /// Why; shown to everyone who verifies the answer afterwards.
    #[schema(value_type = crate::openapi::formats::Reason)]
    pub reason: String,
}

/// Revokes an issued answer (clerks): verifying it says so from then on.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/answer/revoke",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = RevokeBody,
    responses((status = 200, description = "The answer, now revoked.", body = Answer)),
    security(("bearer" = []))
)]
pub async fn revoke_answer(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<RevokeBody>,
) -> Result<axum::Json<Answer>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .revoke_answer(outgoing(
            ipb::RevokeAnswerRequest {
                inquiry_id: id,
                expected_version: b.expected_version,
                client_request_id: b.client_request_id,
                reason: b.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.answer.ok_or_else(|| dto::missing("answer"))?.into(),
    ))
}
