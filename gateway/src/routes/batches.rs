//! Bulk filing for inquiring authorities (`/api/v1/batches`), over the inquiry service's
//! CreateBatch, GetBatch and ListBatchItems: one request with up to 1,000 parcels is stored
//! and acknowledged (202), then filed in the background; the batch and its items show each
//! parcel's outcome. Only the organisation that filed a batch sees it.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1::OwnershipType;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, LocalizedText};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_batch))
        .routes(routes!(get_batch))
        .routes(routes!(list_batch_items))
}

/// One parcel of a batch: what its inquiry needs beyond what the batch gives for all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItemBody {
    /// The parcel's renovation code (کد نوسازی), six parts with `-` or `/`.
    #[schema(value_type = crate::openapi::formats::RenovationCode)]
    pub renovation_code: String,
    /// The request number the municipality issued for the parcel.
    #[schema(value_type = crate::openapi::formats::RequestNumber)]
    pub request_number: String,
    /// The applicant's national code (10 digits): an owner of the parcel.
    #[schema(value_type = crate::openapi::formats::NationalCode)]
    pub applicant_national_code: String,
    /// The applicant's membership code, as their consent to the filing.
    #[schema(value_type = crate::openapi::formats::MembershipCode)]
    pub applicant_membership_code: String,
    /// The applicant's full name, as on the deed.
    #[schema(value_type = crate::openapi::formats::FullName)]
    pub applicant_full_name: String,
    /// `full`, `shared`, `endowment`, `state`, `leasehold`.
    #[schema(value_type = crate::openapi::formats::OwnershipType)]
    pub ownership_type: String,
    /// The applicant's uploaded documents the request type requires (at most 20).
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::formats::Id>, max_items = 20)]
    pub document_ids: Vec<String>,
    /// This item's own letter number, when it differs from the batch's.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::LetterNumber)]
    pub letter_number: String,
}

/// The body of `POST /api/v1/batches`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatchBody {
    /// Your system's id for this batch (1–100 characters): sending the same batch again
    /// with the same id files nothing twice and answers with the batch first stored.
    #[schema(value_type = crate::openapi::formats::ClientBatchId)]
    pub client_batch_id: String,
    /// The request type every item files (one open to authorities, e.g. `mortgage`).
    #[schema(value_type = crate::openapi::formats::RequestTypeCode)]
    pub request_type_code: String,
    /// The authority's letter number, for every item that gives none of its own.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::LetterNumber)]
    pub letter_number: String,
    /// The letter's Jalali date, `YYYY/MM/DD`, not after today.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::JalaliDate)]
    pub letter_date_jalali: String,
    /// The undertaking texts accepted for every item: the request type's current ones
    /// (`GET /api/v1/request-types`).
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::formats::Id>, max_items = 50)]
    pub undertaking_version_ids: Vec<String>,
    /// The parcels, 1 to 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<BatchItemBody>,
}

/// A batch and its counts per outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct Batch {
    /// The batch's id.
    pub batch_id: String,
    /// Your id for it.
    pub client_batch_id: String,
    /// The organisation that filed it.
    pub organization_id: String,
    /// The request type of every item.
    pub request_type_code: String,
    /// `processing` or `finished`.
    pub state: String,
    /// Items in the batch.
    pub total: i32,
    /// Items not filed yet.
    pub pending: i32,
    /// Items answered.
    pub issued: i32,
    /// Items waiting for their bill to be paid.
    pub awaiting_payment: i32,
    /// Items refused.
    pub refused: i32,
    /// When it was accepted (RFC 3339).
    pub created_at: Option<String>,
    /// When its last item got its outcome (RFC 3339).
    pub finished_at: Option<String>,
}

impl From<pb::Batch> for Batch {
    fn from(b: pb::Batch) -> Self {
        Self {
            state: dto::enum_name(b.state().as_str_name(), "BATCH_STATE_"),
            batch_id: b.batch_id,
            client_batch_id: b.client_batch_id,
            organization_id: b.organization_id,
            request_type_code: b.request_type_code,
            total: b.total,
            pending: b.pending,
            issued: b.issued,
            awaiting_payment: b.awaiting_payment,
            refused: b.refused,
            created_at: dto::instant(b.created_at),
            finished_at: dto::instant(b.finished_at),
        }
    }
}

/// One item of a batch and its outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// Its position in the request, from 0.
    pub index: i32,
    /// The parcel.
    pub renovation_code: String,
    /// `pending`, `issued`, `awaiting_payment` or `refused`.
    pub outcome: String,
    /// The inquiry filed for it, once filed.
    pub inquiry_id: String,
    /// Its inquiry number.
    pub inquiry_number: String,
    /// The answer's verification code, when issued.
    pub verification_code: String,
    /// The bill to pay, when awaiting payment.
    pub bill_id: String,
    /// The amount due on it.
    pub amount_due_rials: i64,
    /// Why it was refused: the catalogued reason.
    pub reason: String,
    /// Why it was refused and what to do, in Persian and English.
    pub message: Option<LocalizedText>,
}

impl From<pb::BatchItem> for BatchItem {
    fn from(i: pb::BatchItem) -> Self {
        Self {
            outcome: dto::enum_name(i.outcome().as_str_name(), "BATCH_ITEM_OUTCOME_"),
            index: i.index,
            renovation_code: i.renovation_code,
            inquiry_id: i.inquiry_id,
            inquiry_number: i.inquiry_number,
            verification_code: i.verification_code,
            bill_id: i.bill_id,
            amount_due_rials: i.amount_due_rials,
            reason: i.reason,
            message: i.message.map(|m| dto::text(Some(m))),
        }
    }
}

/// A page of a batch's items.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemPage {
    /// The items, by index.
    pub items: Vec<BatchItem>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// `?outcome=&page_size=&page_token=` of the items list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Only items with this outcome: `pending`, `issued`, `awaiting_payment`, `refused`.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::BatchOutcome>)]
    pub outcome: Option<String>,
    /// Items per page (default 100, at most 1,000).
    #[serde(default)]
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<i32>,
    /// From the previous page's `next_page_token`.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// Files up to 1,000 inquiries in one request, for the caller's organisation (an
/// inquiring authority's user or API client). The batch is stored before this answers
/// (202) and filed in the background; follow it with `GET /api/v1/batches/{id}`.
#[utoipa::path(
    post,
    path = "/api/v1/batches",
    tag = "inquiries",
    request_body = NewBatchBody,
    responses((status = 202, description = "The batch, stored and being filed (or as it is now, on a retry).", body = Batch)),
    security(("bearer" = []))
)]
pub async fn create_batch(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(b): Json<NewBatchBody>,
) -> Result<(StatusCode, axum::Json<Batch>), ApiError> {
    let mut items = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.into_iter().enumerate() {
        let ownership_type = dto::parse_enum(
            &format!("items[{i}].ownership_type"),
            &item.ownership_type,
            "OWNERSHIP_TYPE_",
            |n| OwnershipType::from_str_name(n).map(|v| v as i32),
        )?;
        items.push(pb::BatchItemInput {
            renovation_code: item.renovation_code,
            request_number: item.request_number,
            applicant_national_code: item.applicant_national_code,
            applicant_membership_code: item.applicant_membership_code,
            applicant_full_name: item.applicant_full_name,
            ownership_type,
            document_ids: item.document_ids,
            letter_number: item.letter_number,
        });
    }
    let r = state
        .backends
        .inquiry()
        .create_batch(outgoing(
            pb::CreateBatchRequest {
                client_batch_id: b.client_batch_id,
                request_type_code: b.request_type_code,
                letter_number: b.letter_number,
                letter_date_jalali: b.letter_date_jalali,
                undertaking_version_ids: b.undertaking_version_ids,
                items,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let batch = r.batch.ok_or_else(|| dto::missing("batch"))?;
    Ok((StatusCode::ACCEPTED, axum::Json(batch.into())))
}

/// A batch of the caller's organisation: its state and counts per outcome.
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The batch id.")),
    responses((status = 200, description = "The batch.", body = Batch)),
    security(("bearer" = []))
)]
pub async fn get_batch(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Batch>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_batch(outgoing(
            pb::GetBatchRequest { batch_id: id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let batch = r.batch.ok_or_else(|| dto::missing("batch"))?;
    Ok(axum::Json(batch.into()))
}

/// The items of a batch of the caller's organisation, by index, with each one's outcome.
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}/items",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The batch id."), ItemsQuery),
    responses((status = 200, description = "A page of the batch's items.", body = BatchItemPage)),
    security(("bearer" = []))
)]
pub async fn list_batch_items(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<axum::Json<BatchItemPage>, ApiError> {
    let outcome = match q.outcome.as_deref() {
        None | Some("") => 0,
        Some(o) => dto::parse_enum("outcome", o, "BATCH_ITEM_OUTCOME_", |n| {
            pb::BatchItemOutcome::from_str_name(n).map(|v| v as i32)
        })?,
    };
    let r = state
        .backends
        .inquiry()
        .list_batch_items(outgoing(
            pb::ListBatchItemsRequest {
                batch_id: id,
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
                outcome,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(BatchItemPage {
        items: r.items.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}
