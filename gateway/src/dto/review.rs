//! The JSON of the clerks' review queue: a review as its applicant sees it on their
//! inquiry, and an entry of the queue as a clerk reads it (with what the parcel's record
//! says, which only staff see).

use estelam_proto::inquiry::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::inquiry::{AttachedDocument, Inquiry};
use super::{AuditStamp, LocalizedText, enum_name, instant, stamp};

/// A clerk's review of the applicant's name or ownership type, which differed from the
/// parcel's record at the applicant step.
#[derive(Debug, Serialize, ToSchema)]
pub struct Review {
    /// `applicant_name_mismatch` or `ownership_type_mismatch`.
    pub kind: String,
    /// `pending` (waiting for a municipal clerk), `approved` or `refused`.
    pub status: String,
    /// When the inquiry entered the clerks' queue (RFC 3339).
    pub entered_at: Option<String>,
    /// The clerk's reason, when refused.
    pub reason: Option<LocalizedText>,
    /// The clerk who decided, and when.
    pub decided: Option<AuditStamp>,
}

impl From<pb::Review> for Review {
    fn from(r: pb::Review) -> Self {
        Self {
            kind: enum_name(r.kind().as_str_name(), "REVIEW_KIND_"),
            status: enum_name(r.status().as_str_name(), "REVIEW_STATUS_"),
            entered_at: instant(r.entered_at),
            reason: r.reason.map(Into::into),
            decided: stamp(r.decided),
        }
    }
}

/// What the parcel's record says of the applicant's ownership (staff only).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedOwnership {
    /// `full`, `shared`, `endowment`, `state`, `leasehold`.
    pub ownership_type: String,
    /// The deed number (the owner's own, else the parcel's).
    pub deed_number: String,
    /// The name recorded for the applicant's national code.
    pub owner_full_name: String,
    /// That owner's share in dang, e.g. `3` or `2.5`.
    pub share_dang: f64,
}

/// One inquiry waiting for a clerk.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItem {
    /// The inquiry.
    pub inquiry: Inquiry,
    /// `applicant_name_mismatch`, `ownership_type_mismatch` or `representation`.
    pub kind: String,
    /// When it entered the queue (RFC 3339).
    pub entered_at: Option<String>,
    /// How long it has waited, in seconds.
    pub waiting_seconds: i64,
    /// The applicant's name as they gave it.
    pub given_full_name: String,
    /// The applicant's national code.
    pub given_national_code: String,
    /// The ownership type they declared.
    pub given_ownership_type: String,
    /// What the parcel's record says; absent for a representation.
    pub recorded: Option<RecordedOwnership>,
    /// The documents to read beside it (download them from `/api/v1/documents/{id}`).
    pub documents: Vec<AttachedDocument>,
}

/// The clerks' review queue, the longest waiting first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reviews {
    /// The entries.
    pub reviews: Vec<ReviewItem>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

fn ownership_name(n: i32) -> String {
    enum_name(
        estelam_proto::property::v1::OwnershipType::try_from(n)
            .unwrap_or_default()
            .as_str_name(),
        "OWNERSHIP_TYPE_",
    )
}

impl From<pb::ReviewItem> for ReviewItem {
    fn from(r: pb::ReviewItem) -> Self {
        Self {
            kind: enum_name(r.kind().as_str_name(), "REVIEW_KIND_"),
            entered_at: instant(r.entered_at),
            waiting_seconds: r.waiting.map_or(0, |d| d.seconds),
            given_ownership_type: ownership_name(r.given_ownership_type),
            given_full_name: r.given_full_name,
            given_national_code: r.given_national_code,
            recorded: r.recorded.map(|o| RecordedOwnership {
                ownership_type: ownership_name(o.ownership_type),
                share_dang: o
                    .share
                    .map_or(0.0, |s| s.numerator as f64 / (s.denominator.max(1) as f64)),
                deed_number: o.deed_number,
                owner_full_name: o.owner_full_name,
            }),
            documents: r
                .documents
                .into_iter()
                .map(|d| AttachedDocument {
                    kind: crate::dto::wire_kind(d.kind, &d.kind_code),
                    document_id: d.document_id,
                    original_filename: d.original_filename,
                })
                .collect(),
            inquiry: r.inquiry.unwrap_or_default().into(),
        }
    }
}
