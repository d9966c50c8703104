//! The clerks' review queue at the desk: the inquiries waiting for a municipal clerk — an
//! applicant whose name or ownership type differs from the parcel's record, or a
//! representative's power of attorney — the longest waiting first
//! (`GET /api/v1/desk/reviews`), and the clerk's decision on one
//! (`POST /api/v1/inquiries/{id}/review/decision`). The inquiry service decides who may
//! (clerks and admins); the gateway only translates.

use axum::extract::State;
use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::inquiry_call;
use crate::bearer::Bearer;
use crate::dto::inquiry::Inquiry;
use crate::dto::review::{ReviewItem, Reviews};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// Paging of `GET /api/v1/desk/reviews`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// Page size (default 50, at most 200).
    #[serde(default)]
    #[param(minimum = 0)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// The clerks' review queue, the longest waiting first (clerks and admins): each entry
/// with what the applicant gave, what the parcel's record says, the documents to read and
/// how long it has waited.
#[utoipa::path(
    get,
    path = "/api/v1/desk/reviews",
    tag = "inquiries",
    params(ReviewsQuery),
    responses((status = 200, description = "The queue, the longest waiting first.", body = Reviews)),
    security(("bearer" = []))
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<ReviewsQuery>,
) -> Result<axum::Json<Reviews>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_reviews(outgoing(
            pb::ListReviewsRequest {
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Reviews {
        reviews: r.reviews.into_iter().map(ReviewItem::from).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// The body of `POST /api/v1/inquiries/{id}/review/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionBody {
    /// The inquiry's `version` as last read.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
    /// `true` approves (the inquiry goes on), `false` refuses (it is rejected).
    pub approve: bool,
    /// Why, in Persian; a refusal needs it here or in `reason_en`. The applicant reads it.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub reason_fa: String,
    /// Why, in English (one language alone stands for both).
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub reason_en: String,
}

/// Approves or refuses an inquiry in the review queue (clerks and admins): approved, it
/// goes on as if the applicant step had passed (`applicant_verified`); refused, it is
/// `rejected` with the reason, which the applicant reads on their inquiry. A
/// representation is decided as `/representation/decision` decides it.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/review/decision",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = ReviewDecisionBody,
    responses(
        (status = 200, description = "The inquiry, applicant_verified or rejected.", body = Inquiry),
        (status = 422, description = "The inquiry is not in the review queue (REVIEW_NOT_PENDING)."),
    ),
    security(("bearer" = []))
)]
pub async fn decide_review(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<ReviewDecisionBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::DecideReviewRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            approve: b.approve,
            reason: Some(cpb::LocalizedText {
                fa: b.reason_fa,
                en: b.reason_en,
            }),
        },
        |mut client, request| async move { client.decide_review(request).await },
    )
    .await
}
