//! Acting for an owner, at the clerk desk: a clerk approves or refuses the power of
//! attorney of an inquiry a representative (وکیل) filed in the owner's name. The waiting
//! inquiries are `GET /api/v1/inquiries?state=awaiting_representation_approval`. The
//! inquiry service decides who may (clerks); the gateway only translates.

use axum::extract::State;
use estelam_proto::inquiry::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;

use super::inquiry_call;
use crate::bearer::Bearer;
use crate::dto::inquiry::Inquiry;
use crate::extract::{Json, Path};
use crate::problem::ApiError;
use crate::state::AppState;

/// The body of `POST /api/v1/inquiries/{id}/representation/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentationDecisionBody {
    /// The inquiry's `version` as last read.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
    /// `true` approves the power of attorney, `false` refuses it.
    pub approve: bool,
    /// Why; required when refusing. The representative sees it on the inquiry and the
    /// owner is sent it.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub reason: String,
}

/// Approves or refuses a representation (clerks): approved, the inquiry goes on in the
/// owner's name (`applicant_verified`); refused, it is `rejected` with the reason. The
/// owner is told by SMS either way.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/representation/decision",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = RepresentationDecisionBody,
    responses(
        (status = 200, description = "The inquiry, applicant_verified or rejected.", body = Inquiry),
        (status = 422, description = "The inquiry is not waiting for this decision (REPRESENTATION_NOT_PENDING)."),
    ),
    security(("bearer" = []))
)]
pub async fn decide_representation(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<RepresentationDecisionBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::DecideRepresentationRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            approve: b.approve,
            reason: b.reason,
        },
        |mut client, request| async move { client.decide_representation(request).await },
    )
    .await
}
