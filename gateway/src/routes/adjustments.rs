//! Levy adjustments on the staff desk, over the fees service: a parcel's ledger, a clerk's
//! correction, discount or write-off with its reason, and the queue of adjustments above
//! the second-approval limit that wait for another staff member
//! (`/api/v1/parcels/{renovation_code}/ledger|adjustments`, `/api/v1/adjustments…`).
//!
//! The fees service decides who may (clerks adjust; staff read and decide, never their own
//! proposal) and checks every value; an unknown kind is passed on for it to refuse.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{AuditStamp, LocalizedText, enum_name, stamp, text};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger))
        .routes(routes!(add_adjustment))
        .routes(routes!(list_proposals))
        .routes(routes!(decide))
}

/// One entry of a parcel's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// The entry's id.
    pub ledger_entry_id: String,
    /// `charge`, `payment`, `adjustment`, `discount`, `deposit` (held for an objection, or
    /// released), `refund` (of an upheld objection's deposit).
    pub kind: String,
    /// The Jalali year it is for; 0 when none.
    pub jalali_year: i32,
    /// Signed: positive raises the debt, negative lowers it.
    pub amount_rials: i64,
    /// The parcel's balance after it.
    pub balance_after_rials: i64,
    /// What it is.
    pub description: LocalizedText,
    /// Tracking code, for payments.
    pub tracking_code: String,
    /// The staff member's reason, for adjustments.
    pub reason: String,
    /// The entry it corrects, if any.
    pub corrects_ledger_entry_id: String,
    /// Who recorded it and when.
    pub recorded: Option<AuditStamp>,
}

impl From<pb::LedgerEntry> for LedgerEntry {
    fn from(e: pb::LedgerEntry) -> Self {
        Self {
            kind: enum_name(e.kind().as_str_name(), "LEDGER_ENTRY_KIND_"),
            ledger_entry_id: e.ledger_entry_id,
            jalali_year: e.jalali_year,
            amount_rials: e.amount_rials,
            balance_after_rials: e.balance_after_rials,
            description: text(e.description),
            tracking_code: e.tracking_code,
            reason: e.reason,
            corrects_ledger_entry_id: e.corrects_ledger_entry_id,
            recorded: stamp(e.recorded),
        }
    }
}

/// An adjustment above the second-approval limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentProposal {
    /// The proposal's id.
    pub proposal_id: String,
    /// The parcel.
    pub renovation_code: String,
    /// `correction`, `discount`, `write_off`.
    pub kind: String,
    /// Signed: positive charges, negative credits.
    pub amount_rials: i64,
    /// The Jalali year it concerns; 0 when none.
    pub jalali_year: i32,
    /// The proposer's reason.
    pub reason: String,
    /// The entry it corrects, if any.
    pub corrects_ledger_entry_id: String,
    /// `pending`, `approved`, `refused`.
    pub status: String,
    /// Who proposed it and when.
    pub proposed: Option<AuditStamp>,
    /// Who decided it and when; absent while pending.
    pub decided: Option<AuditStamp>,
    /// The decider's reason.
    pub decision_reason: String,
    /// The ledger entry its approval wrote.
    pub ledger_entry_id: String,
}

impl From<pb::AdjustmentProposal> for AdjustmentProposal {
    fn from(p: pb::AdjustmentProposal) -> Self {
        Self {
            kind: enum_name(p.kind().as_str_name(), "ADJUSTMENT_KIND_"),
            status: enum_name(p.status().as_str_name(), "ADJUSTMENT_PROPOSAL_STATUS_"),
            proposal_id: p.proposal_id,
            renovation_code: p.renovation_code,
            amount_rials: p.amount_rials,
            jalali_year: p.jalali_year,
            reason: p.reason,
            corrects_ledger_entry_id: p.corrects_ledger_entry_id,
            proposed: stamp(p.proposed),
            decided: stamp(p.decided),
            decision_reason: p.decision_reason,
            ledger_entry_id: p.ledger_entry_id,
        }
    }
}

/// `?page_size=&page_token=` of a ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Page size (the service's default when absent).
    pub page_size: Option<i32>,
    /// From a previous page's `next_page_token`.
    pub page_token: Option<String>,
}

/// A page of a parcel's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    /// Newest first.
    pub entries: Vec<LedgerEntry>,
    /// What the parcel owes now (sum of every entry); negative is a credit.
    pub balance_rials: i64,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// A parcel's ledger (staff), newest entry first, and its balance.
#[utoipa::path(
    get,
    path = "/api/v1/parcels/{renovation_code}/ledger",
    tag = "fees",
    params(("renovation_code" = crate::openapi::formats::RenovationCode, Path, description = "`-` or `/` separated, any digits."), LedgerQuery),
    responses((status = 200, description = "A page of the ledger.", body = Ledger)),
    security(("bearer" = []))
)]
pub async fn ledger(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(renovation_code): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<axum::Json<Ledger>, ApiError> {
    let r = state
        .backends
        .fees()
        .get_ledger(outgoing(
            pb::GetLedgerRequest {
                renovation_code,
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Ledger {
        entries: r.entries.into_iter().map(Into::into).collect(),
        balance_rials: r.balance_rials,
        next_page_token: r.next_page_token,
    }))
}

/// The body of `POST /api/v1/parcels/{renovation_code}/adjustments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentBody {
    /// `correction` (the default, either sign), `discount` or `write_off` (credits: a
    /// negative amount).
    #[serde(default)]
    pub kind: String,
    /// Signed rials: positive charges, negative credits.
    pub amount_rials: i64,
    /// The Jalali year it concerns; 0 (the default) when none.
    #[serde(default)]
    pub jalali_year: i32,
    /// Why; required, shown on the parcel's account.
    pub reason: String,
    /// The ledger entry it corrects, if any.
    #[serde(default)]
    pub corrects_ledger_entry_id: String,
    /// Idempotency key: a retry with the same key has the first one's outcome.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
}

/// What came of an adjustment: an entry (applied) or a proposal (waiting for a second
/// staff member).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentOutcome {
    /// The ledger entry, when applied at once.
    pub entry: Option<LedgerEntry>,
    /// The proposal, when above the second-approval limit.
    pub proposal: Option<AdjustmentProposal>,
    /// The parcel's balance now (unchanged by a proposal).
    pub balance_rials: i64,
}

/// Adds a correction, discount or write-off to a parcel's ledger (clerks). Within the
/// limit it applies at once (201); above it, it is proposed and has no effect until another
/// staff member approves it (202).
#[utoipa::path(
    post,
    path = "/api/v1/parcels/{renovation_code}/adjustments",
    tag = "fees",
    params(("renovation_code" = crate::openapi::formats::RenovationCode, Path, description = "`-` or `/` separated, any digits.")),
    request_body = AdjustmentBody,
    responses(
        (status = 201, description = "Applied: the entry and the balance after it.", body = AdjustmentOutcome),
        (status = 202, description = "Proposed: waiting for a second staff member.", body = AdjustmentOutcome),
    ),
    security(("bearer" = []))
)]
pub async fn add_adjustment(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(renovation_code): Path<String>,
    Json(b): Json<AdjustmentBody>,
) -> Result<(StatusCode, axum::Json<AdjustmentOutcome>), ApiError> {
    let kind = match b.kind.trim() {
        "" => 0,
        k => pb::AdjustmentKind::from_str_name(&format!(
            "ADJUSTMENT_KIND_{}",
            k.to_ascii_uppercase()
        ))
        .map_or(-1, |v| v as i32),
    };
    let r = state
        .backends
        .fees()
        .add_adjustment(outgoing(
            pb::AddAdjustmentRequest {
                renovation_code,
                amount_rials: b.amount_rials,
                jalali_year: b.jalali_year,
                reason: b.reason,
                corrects_ledger_entry_id: b.corrects_ledger_entry_id,
                client_request_id: b.client_request_id,
                kind,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let status = if r.proposal.is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        axum::Json(AdjustmentOutcome {
            entry: r.entry.map(Into::into),
            proposal: r.proposal.map(Into::into),
            balance_rials: r.balance_rials,
        }),
    ))
}

/// `?status=&renovation_code=&page_size=&page_token=` of the proposals.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalsQuery {
    /// `pending`, `approved` or `refused`; absent for all.
    pub status: Option<String>,
    /// Only this parcel's.
    #[param(value_type = Option<crate::openapi::formats::RenovationCode>)]
    pub renovation_code: Option<String>,
    /// Page size (the service's default when absent).
    pub page_size: Option<i32>,
    /// From a previous page's `next_page_token`.
    pub page_token: Option<String>,
}

/// A page of proposed adjustments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentProposals {
    /// Oldest first.
    pub proposals: Vec<AdjustmentProposal>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Adjustments proposed above the limit (staff), oldest first: the queue a second approver
/// works through with `status=pending`.
#[utoipa::path(
    get,
    path = "/api/v1/adjustments",
    tag = "fees",
    params(ProposalsQuery),
    responses((status = 200, description = "A page of proposals.", body = AdjustmentProposals)),
    security(("bearer" = []))
)]
pub async fn list_proposals(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<ProposalsQuery>,
) -> Result<axum::Json<AdjustmentProposals>, ApiError> {
    let status = match q.status.as_deref().map(str::trim).unwrap_or_default() {
        "" | "all" => 0,
        s => pb::AdjustmentProposalStatus::from_str_name(&format!(
            "ADJUSTMENT_PROPOSAL_STATUS_{}",
            s.to_ascii_uppercase()
        ))
        .map_or(-1, |v| v as i32),
    };
    let r = state
        .backends
        .fees()
        .list_adjustment_proposals(outgoing(
            pb::ListAdjustmentProposalsRequest {
                status,
                renovation_code: q.renovation_code.unwrap_or_default(),
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(AdjustmentProposals {
        proposals: r.proposals.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// The body of `POST /api/v1/adjustments/{proposal_id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// True to approve (the adjustment is written to the ledger), false to refuse.
    pub approve: bool,
    /// Why; required to refuse, and the proposer reads it.
    #[serde(default)]
    pub reason: String,
}

/// A decided proposal and what it did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentDecision {
    /// The proposal, approved or refused.
    pub proposal: AdjustmentProposal,
    /// The ledger entry its approval wrote; absent when refused.
    pub entry: Option<LedgerEntry>,
    /// The parcel's balance after the decision.
    pub balance_rials: i64,
}

/// Approves or refuses a proposed adjustment (staff other than its proposer; the proposer's
/// own decision is refused with the reason).
#[utoipa::path(
    post,
    path = "/api/v1/adjustments/{proposal_id}/decision",
    tag = "fees",
    params(("proposal_id" = String, Path, description = "The proposal's id.")),
    request_body = DecisionBody,
    responses((status = 200, description = "The decided proposal.", body = AdjustmentDecision)),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(proposal_id): Path<String>,
    Json(b): Json<DecisionBody>,
) -> Result<axum::Json<AdjustmentDecision>, ApiError> {
    let r = state
        .backends
        .fees()
        .decide_adjustment(outgoing(
            pb::DecideAdjustmentRequest {
                proposal_id,
                approve: b.approve,
                reason: b.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(AdjustmentDecision {
        proposal: r
            .proposal
            .ok_or_else(|| crate::dto::missing("proposal"))?
            .into(),
        entry: r.entry.map(Into::into),
        balance_rials: r.balance_rials,
    }))
}
