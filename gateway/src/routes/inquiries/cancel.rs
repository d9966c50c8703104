//! Cancelling an unfinished inquiry (`POST /api/v1/inquiries/{id}/cancel`): the portal's
//! "cancel this request" on every data-entry step, so a draft started by mistake does not
//! linger. The inquiry service decides who may (the applicant or filer, or a clerk) and when
//! (not once the answer is issued).

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

/// The body of `POST …/cancel`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The inquiry's `version` as last read: a change made meanwhile is refused with 409.
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key cancels once and gets the first answer.
    pub client_request_id: String,
    /// Why, in the person's words (optional; "on request" when empty).
    #[serde(default)]
    pub reason: String,
}

/// Cancels an unfinished inquiry.
///
/// The applicant (or whoever filed it) or a clerk may cancel an inquiry that is not finished;
/// it then stays in the list as cancelled, with the reason.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/cancel",
    tag = "inquiries",
    params(("id" = String, Path, description = "The inquiry id.")),
    request_body = CancelBody,
    responses((status = 200, description = "The inquiry, now cancelled.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn cancel_inquiry(
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
