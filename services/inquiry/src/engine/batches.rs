//! Bulk filing: one authority request with up to [`MAX_ITEMS`] parcels (a bank's
//! portfolio, a court's case list) becomes a batch of inquiries filed in the background.
//!
//! * **Nothing accepted is lost**: CreateBatch stores the batch and every item in one
//!   transaction before it answers; the worker ([`super::batches_worker`]) files them later.
//! * **Nothing is filed twice**: a retried CreateBatch (same organisation, same
//!   `client_batch_id`) finds the stored batch and stores nothing; each item's inquiry and
//!   each of its steps carry an idempotency key made of the batch id, the item's index and
//!   the step, so an item worked twice (a worker died mid-item, a lease ran out) replays the
//!   steps already done instead of filing again.
//! * **An organisation's own batches only**: a batch is visible only to the organisation
//!   that filed it; any other caller is told it does not exist.

use estelam_domain::{RenovationCode, TextField, clean_text};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};
use estelam_runtime::time::timestamp;
use serde::{Deserialize, Serialize};

use super::Engine;
use super::batches_errors as berr;
use crate::errors;
use crate::request_types::Filer;
use crate::store::{self, BatchRow, Counts, ItemRow};

/// Most parcels one batch may hold.
pub const MAX_ITEMS: usize = 1_000;
/// Longest identifier-like field of an item (codes, ids).
const MAX_FIELD: usize = 200;
/// Most documents one item may name (as one inquiry may hold).
const MAX_DOCUMENTS: usize = 20;
/// Items per page of ListBatchItems.
const PAGE_SIZES: PageSizes = PageSizes {
    default: 100,
    max: 1_000,
};

/// The caller's id for a batch, stored and compared as cleaned text.
const CLIENT_BATCH_ID: TextField =
    TextField::new("client_batch_id", "شناسهٔ دسته", "client batch id");

/// What every item of a batch shares, stored with the batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BatchSpec {
    pub letter_number: String,
    pub letter_date_jalali: String,
    pub undertaking_version_ids: Vec<String>,
}

/// One item as stored: what its inquiry needs beyond the batch's [`BatchSpec`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ItemSpec {
    pub renovation_code: String,
    pub request_number: String,
    pub applicant_national_code: String,
    pub applicant_membership_code: String,
    pub applicant_full_name: String,
    pub ownership_type: i32,
    pub document_ids: Vec<String>,
    /// Empty: the batch's letter number.
    pub letter_number: String,
}

impl Engine {
    /// Stores a batch of inquiries for the caller's organisation, to be filed in the
    /// background; a retry with the same `client_batch_id` returns the batch stored first.
    pub async fn create_batch(
        &self,
        caller: &Caller,
        req: pb::CreateBatchRequest,
    ) -> Result<pb::Batch, ServiceError> {
        let organization = authority_organization(caller)?;
        let client_batch_id =
            clean_text(CLIENT_BATCH_ID, &req.client_batch_id).map_err(errors::text_refused)?;
        if client_batch_id.is_empty() || client_batch_id.chars().count() > 100 {
            return Err(berr::client_batch_id_required());
        }
        if let Some(first) = self.stored_batch(&organization, &client_batch_id).await? {
            return Ok(first);
        }
        if req.items.is_empty() {
            return Err(berr::items_required());
        }
        if req.items.len() > MAX_ITEMS {
            return Err(berr::items_too_many(MAX_ITEMS));
        }
        let spec = BatchSpec {
            letter_number: clean_text(errors::LETTER_NUMBER, &req.letter_number)
                .map_err(errors::text_refused)?,
            letter_date_jalali: bounded("letter_date_jalali", &req.letter_date_jalali)?,
            undertaking_version_ids: req
                .undertaking_version_ids
                .iter()
                .map(|id| bounded("undertaking_version_ids", id))
                .collect::<Result<_, _>>()?,
        };
        let items = req
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| item_spec(i, item))
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = self.conn().await?;
        let rt = store::request_type(&mut conn, req.request_type_code.trim())
            .await?
            .filter(|t| t.def.active)
            .ok_or_else(errors::request_type_not_found)?;
        drop(conn);
        if !rt.def.allowed.contains(&Filer::Authority) {
            return Err(errors::request_type_not_allowed());
        }
        let now = now_micros();
        let row = BatchRow {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: organization.clone(),
            client_batch_id: client_batch_id.clone(),
            submitted_by: caller.subject.clone(),
            request_type_code: rt.def.code.clone(),
            spec: serde_json::to_string(&spec).map_err(ServiceError::internal)?,
            total: i64::try_from(items.len()).unwrap_or(i64::MAX),
            state: "processing".into(),
            created_at_us: now,
            finished_at_us: 0,
        };
        let mut tx = self.db.begin().await?;
        if !store::insert_batch(&mut tx, &row).await? {
            // A concurrent retry of the same request stored it first.
            tx.rollback().await?;
            return self
                .stored_batch(&organization, &client_batch_id)
                .await?
                .ok_or_else(ServiceError::conflict);
        }
        for (i, item) in items.iter().enumerate() {
            let input = serde_json::to_string(item).map_err(ServiceError::internal)?;
            let index = i64::try_from(i).unwrap_or(i64::MAX);
            store::insert_item(&mut tx, &row.id, index, &input, &item.renovation_code, now).await?;
        }
        tx.commit().await?;
        self.batch_wake.notify_one();
        let counts = Counts {
            pending: row.total,
            ..Counts::default()
        };
        Ok(batch_proto(&row, counts))
    }

    /// A batch of the caller's organisation, with its counts per outcome.
    pub async fn get_batch(&self, caller: &Caller, id: &str) -> Result<pb::Batch, ServiceError> {
        let row = self.visible_batch(caller, id).await?;
        let counts = store::counts(&mut *self.conn().await?, &row.id).await?;
        Ok(batch_proto(&row, counts))
    }

    /// The items of a batch of the caller's organisation, by index, a page at a time.
    pub async fn list_batch_items(
        &self,
        caller: &Caller,
        req: pb::ListBatchItemsRequest,
    ) -> Result<pb::ListBatchItemsResponse, ServiceError> {
        let row = self.visible_batch(caller, &req.batch_id).await?;
        let outcome = match pb::BatchItemOutcome::try_from(req.outcome) {
            Ok(pb::BatchItemOutcome::Unspecified) | Err(_) => None,
            Ok(o) => Some(outcome_name(o)),
        };
        let filter = format!("{}|{}", row.id, outcome.unwrap_or(""));
        let paging = Paging::parse(req.page_size, &req.page_token, filter, PAGE_SIZES)?;
        let after = paging
            .after()
            .map(|k| k.parse::<i64>().map_err(ServiceError::internal))
            .transpose()?;
        let rows = store::items(
            &mut *self.conn().await?,
            &row.id,
            after,
            outcome,
            paging.fetch_limit(),
        )
        .await?;
        let (page, next_page_token) = paging.finish(rows, |r| r.index.to_string());
        Ok(pb::ListBatchItemsResponse {
            items: page.iter().map(item_proto).collect(),
            next_page_token,
        })
    }

    async fn stored_batch(
        &self,
        organization: &str,
        client_batch_id: &str,
    ) -> Result<Option<pb::Batch>, ServiceError> {
        let mut conn = self.conn().await?;
        let Some(row) = store::batch_by_client_id(&mut conn, organization, client_batch_id).await?
        else {
            return Ok(None);
        };
        let counts = store::counts(&mut conn, &row.id).await?;
        Ok(Some(batch_proto(&row, counts)))
    }

    /// The batch `id` when it is the caller's organisation's; NotFound otherwise, whether
    /// it exists or not.
    async fn visible_batch(&self, caller: &Caller, id: &str) -> Result<BatchRow, ServiceError> {
        let organization = authority_organization(caller)?;
        let mut conn = self.conn().await?;
        store::batch(&mut conn, id.trim())
            .await?
            .filter(|b| b.organization_id == organization)
            .ok_or_else(batch_not_found)
    }
}

/// The caller's organisation, when the caller acts for an inquiring authority.
fn authority_organization(caller: &Caller) -> Result<String, ServiceError> {
    caller.require_any(&[Role::Authority])?;
    match caller.organization.as_deref() {
        Some(org) if !org.is_empty() => Ok(org.to_owned()),
        _ => Err(ServiceError::permission_denied()),
    }
}

fn batch_not_found() -> ServiceError {
    ServiceError::not_found("دستهٔ استعلام", "The batch")
}

/// A code-like field, trimmed and bounded (the steps check its form when the item is filed).
fn bounded(field: &str, value: &str) -> Result<String, ServiceError> {
    let v = value.trim();
    if v.chars().count() > MAX_FIELD {
        return Err(berr::item_invalid(field.to_owned(), MAX_FIELD));
    }
    Ok(v.to_owned())
}

/// Item `i` as stored: free text cleaned (a refusal names the item), codes bounded; the
/// renovation code canonical when it parses (the property step refuses it when it does not).
fn item_spec(i: usize, item: &pb::BatchItemInput) -> Result<ItemSpec, ServiceError> {
    let at = |field: &str| format!("items[{i}].{field}");
    let renamed = |mut e: ServiceError, field: &str| {
        for f in &mut e.fields {
            f.field = at(field);
        }
        e
    };
    let code = |field: &str, v: &str| bounded(&at(field), v);
    let raw_code = code("renovation_code", &item.renovation_code)?;
    if item.document_ids.len() > MAX_DOCUMENTS {
        return Err(berr::item_invalid(at("document_ids"), MAX_DOCUMENTS));
    }
    Ok(ItemSpec {
        renovation_code: RenovationCode::parse(&raw_code)
            .map(|c| c.to_string())
            .unwrap_or(raw_code),
        request_number: code("request_number", &item.request_number)?,
        applicant_national_code: code("applicant_national_code", &item.applicant_national_code)?,
        applicant_membership_code: code(
            "applicant_membership_code",
            &item.applicant_membership_code,
        )?,
        applicant_full_name: clean_text(errors::APPLICANT_NAME, &item.applicant_full_name)
            .map_err(|e| renamed(errors::text_refused(e), "applicant_full_name"))?,
        ownership_type: item.ownership_type,
        document_ids: item
            .document_ids
            .iter()
            .map(|d| code("document_ids", d))
            .collect::<Result<_, _>>()?,
        letter_number: clean_text(errors::LETTER_NUMBER, &item.letter_number)
            .map_err(|e| renamed(errors::text_refused(e), "letter_number"))?,
    })
}

/// The stored name of an outcome.
pub(crate) fn outcome_name(o: pb::BatchItemOutcome) -> &'static str {
    match o {
        pb::BatchItemOutcome::Unspecified | pb::BatchItemOutcome::Pending => "pending",
        pb::BatchItemOutcome::Issued => "issued",
        pb::BatchItemOutcome::AwaitingPayment => "awaiting_payment",
        pb::BatchItemOutcome::Refused => "refused",
    }
}

fn outcome_of(name: &str) -> pb::BatchItemOutcome {
    match name {
        "pending" => pb::BatchItemOutcome::Pending,
        "issued" => pb::BatchItemOutcome::Issued,
        "awaiting_payment" => pb::BatchItemOutcome::AwaitingPayment,
        _ => pb::BatchItemOutcome::Refused,
    }
}

fn count32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A batch on the wire.
pub(crate) fn batch_proto(row: &BatchRow, c: Counts) -> pb::Batch {
    pb::Batch {
        batch_id: row.id.clone(),
        client_batch_id: row.client_batch_id.clone(),
        organization_id: row.organization_id.clone(),
        request_type_code: row.request_type_code.clone(),
        state: if row.state == "finished" {
            pb::BatchState::Finished
        } else {
            pb::BatchState::Processing
        } as i32,
        total: count32(row.total),
        pending: count32(c.pending),
        issued: count32(c.issued),
        awaiting_payment: count32(c.awaiting_payment),
        refused: count32(c.refused),
        created_at: Some(timestamp(row.created_at_us)),
        finished_at: (row.finished_at_us > 0).then(|| timestamp(row.finished_at_us)),
    }
}

fn item_proto(r: &ItemRow) -> pb::BatchItem {
    pb::BatchItem {
        index: count32(r.index),
        renovation_code: r.renovation_code.clone(),
        outcome: outcome_of(&r.outcome) as i32,
        inquiry_id: r.inquiry_id.clone(),
        inquiry_number: r.inquiry_number.clone(),
        verification_code: r.verification_code.clone(),
        bill_id: r.bill_id.clone(),
        amount_due_rials: r.amount_due_rials,
        reason: r.reason.clone(),
        message: (!r.reason.is_empty()).then(|| estelam_proto::common::v1::LocalizedText {
            fa: r.message_fa.clone(),
            en: r.message_en.clone(),
        }),
    }
}
