//! Objections to a levy (اعتراض به عوارض): the applicant objects to lines of their
//! inquiry's bill with a reason (`POST /api/v1/inquiries/{id}/bill/disputes`, over the
//! inquiry service, which checks who may act on the inquiry); paying the bill then holds
//! the disputed amount as a deposit (note to article 74 of the Municipalities Law) and the
//! answer is issued with the objection recorded on it. The staff desk lists the objections
//! (`GET /api/v1/disputes`) and a clerk upholds or dismisses one
//! (`POST /api/v1/disputes/{dispute_id}/decision`), over the fees service, which decides
//! who may and checks every value.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as ipb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, Dispute, enum_name};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_dispute))
        .routes(routes!(list_disputes))
        .routes(routes!(decide_dispute))
}

/// The body of `POST /api/v1/inquiries/{id}/bill/disputes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// Positions (from 0) of the disputed lines in the bill's `lines`, each a line with a
    /// positive amount that is not a discount, and none already under another objection
    /// (`DISPUTE_LINES_INVALID`, `DISPUTE_ITEM_ALREADY_DISPUTED`). The same lines again
    /// return the same objection.
    #[schema(min_items = 1, max_items = 100, value_type = Vec<u32>)]
    pub line_indexes: Vec<i32>,
    /// Why the applicant objects; the clerk who decides reads it.
    #[schema(value_type = crate::openapi::formats::Reason)]
    pub reason: String,
}

/// Objects to lines of the bill of an inquiry waiting for payment (whoever may act on the
/// inquiry; another's is 404). Then pay the bill as usual: the disputed part of the payment
/// is held as the objection's deposit, with its own receipt code, and the answer is issued
/// with the objection recorded on it.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/bill/disputes",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = DisputeBody,
    responses((status = 201, description = "The objection, awaiting its deposit.", body = Dispute)),
    security(("bearer" = []))
)]
pub async fn file_dispute(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<DisputeBody>,
) -> Result<(StatusCode, axum::Json<Dispute>), ApiError> {
    let r = state
        .backends
        .inquiry()
        .dispute_bill(outgoing(
            ipb::DisputeBillRequest {
                inquiry_id: id,
                line_indexes: b.line_indexes,
                reason: b.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(r.dispute.ok_or_else(|| dto::missing("dispute"))?.into()),
    ))
}

/// `?status=&renovation_code=&page_size=&page_token=` of the objections.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisputesQuery {
    /// Only objections in this state; absent or empty for all.
    #[serde(default)]
    #[param(schema_with = status_filter_schema)]
    pub status: Option<String>,
    /// Only this parcel's.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::RenovationCode>)]
    pub renovation_code: Option<String>,
    /// Page size (the service's default when absent or 0; at most 500).
    #[serde(default)]
    #[param(minimum = 0)]
    pub page_size: Option<i32>,
    /// From a previous page's `next_page_token`.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// The states an objection filter takes, read off the proto enum (empty: no filter).
fn status_filter_schema() -> utoipa::openapi::Object {
    let mut values: Vec<String> = (1..16)
        .filter_map(|n| fpb::DisputeStatus::try_from(n).ok())
        .map(|s| enum_name(s.as_str_name(), "DISPUTE_STATUS_"))
        .collect();
    values.push(String::new());
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(values))
        .description(Some(
            "Only objections in this state: `awaiting_deposit`, `deposited` (waiting for a \
             decision), `upheld`, `dismissed`.",
        ))
        .build()
}

/// A page of objections.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disputes {
    /// Oldest first.
    pub disputes: Vec<Dispute>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Objections to levies (staff), oldest first: the queue a clerk works through with
/// `status=deposited`.
#[utoipa::path(
    get,
    path = "/api/v1/disputes",
    tag = "fees",
    params(DisputesQuery),
    responses((status = 200, description = "A page of objections.", body = Disputes)),
    security(("bearer" = []))
)]
pub async fn list_disputes(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<DisputesQuery>,
) -> Result<axum::Json<Disputes>, ApiError> {
    let status = match q.status.as_deref().map(str::trim).unwrap_or_default() {
        "" => 0,
        s => {
            fpb::DisputeStatus::from_str_name(&format!("DISPUTE_STATUS_{}", s.to_ascii_uppercase()))
                .map_or(-1, |v| v as i32)
        }
    };
    let r = state
        .backends
        .fees()
        .list_disputes(outgoing(
            fpb::ListDisputesRequest {
                status,
                renovation_code: q.renovation_code.unwrap_or_default(),
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Disputes {
        disputes: r.disputes.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// A clerk's decision on an objection.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeDecision {
    /// The objection is right: the lines are written off and the deposit refunded.
    Uphold,
    /// The objection is wrong: the deposit pays the lines.
    Dismiss,
}

/// The body of `POST /api/v1/disputes/{dispute_id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeDecisionBody {
    /// `uphold` or `dismiss`.
    pub decision: DisputeDecision,
    /// Why; the applicant reads it.
    #[schema(value_type = crate::openapi::formats::Reason)]
    pub reason: String,
}

/// A decided objection and the parcel's balance after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeOutcome {
    /// The objection, upheld or dismissed.
    pub dispute: Dispute,
    /// The parcel's balance after the decision.
    pub balance_rials: i64,
}

/// Upholds or dismisses an objection whose deposit is held (staff), once: upheld writes
/// the lines off and records the deposit's refund (paying it back to the payer's bank is
/// done outside this system); dismissed applies the deposit to the lines.
#[utoipa::path(
    post,
    path = "/api/v1/disputes/{dispute_id}/decision",
    tag = "fees",
    params(("dispute_id" = crate::openapi::formats::Id, Path, description = "The objection's id.")),
    request_body = DisputeDecisionBody,
    responses((status = 200, description = "The decided objection.", body = DisputeOutcome)),
    security(("bearer" = []))
)]
pub async fn decide_dispute(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(dispute_id): Path<String>,
    Json(b): Json<DisputeDecisionBody>,
) -> Result<axum::Json<DisputeOutcome>, ApiError> {
    let decision = match b.decision {
        DisputeDecision::Uphold => fpb::DisputeDecision::Uphold,
        DisputeDecision::Dismiss => fpb::DisputeDecision::Dismiss,
    };
    let r = state
        .backends
        .fees()
        .decide_dispute(outgoing(
            fpb::DecideDisputeRequest {
                dispute_id,
                decision: decision.into(),
                reason: b.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DisputeOutcome {
        dispute: r.dispute.ok_or_else(|| dto::missing("dispute"))?.into(),
        balance_rials: r.balance_rials,
    }))
}
