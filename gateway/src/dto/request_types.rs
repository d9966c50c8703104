//! The request types' JSON: what a citizen may file and what staff publish, as the inquiry
//! service describes them. Kept apart from the inquiry flow's shapes, which it outgrew.

use estelam_proto::fees::v1::BillItemKind;
use estelam_proto::identity::v1::Role;
use estelam_proto::inquiry::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::{AuditStamp, LocalizedText, enum_name, instant, stamp, text};

/// The list of request types.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestTypes {
    /// The request types open now (every one, for staff asking `include_inactive`).
    pub request_types: Vec<RequestType>,
}

/// A kind of request a citizen can file.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestType {
    /// What `POST /api/v1/inquiries` takes as `request_type_code`.
    pub code: String,
    /// What a person chooses it by.
    pub name: LocalizedText,
    /// What it is for, shown under the name.
    pub description: LocalizedText,
    /// Roles that may file it.
    pub allowed_roles: Vec<String>,
    /// Undertakings to accept.
    pub undertakings: Vec<Undertaking>,
    /// Document kinds to attach (`national_id_card`, `ownership_deed`, …).
    pub required_documents: Vec<String>,
    /// Whether the authority's letter step applies.
    pub letter_required: bool,
    /// Whether a clerk-issued request number is needed.
    pub check_request_number: bool,
    /// Whether the applicant must own the parcel.
    pub check_ownership: bool,
    /// Whether debts must be settled first.
    pub check_debt: bool,
    /// Fee items billed.
    pub fee_items: Vec<String>,
    /// Days an answer stays valid.
    pub answer_validity_days: i32,
    /// Whether it can be filed now.
    pub active: bool,
    /// The definition's version; an inquiry keeps the version it was filed under.
    pub version: i64,
    /// Who pays the inquiry fee: `on_bill` or `on_account` (the inquiring authority's).
    pub inquiry_fee_settlement: String,
    /// The answer's layout: `standard` or `clearance`.
    pub answer_template: String,
    /// The title printed on the answer; empty for the layout's own.
    pub answer_title: LocalizedText,
    /// Plain-language sentences printed on the answer, in order.
    pub answer_statements: Vec<LocalizedText>,
    /// Whether a repeat within an earlier answer's validity is free of the inquiry fee.
    pub repeat_free_within_validity: bool,
    /// RFC 3339: filing opens then; absent for no start.
    pub active_from: Option<String>,
    /// RFC 3339: filing closes then; absent for no end.
    pub active_until: Option<String>,
    /// Who published this version and when.
    pub changed: Option<AuditStamp>,
}

impl From<pb::RequestType> for RequestType {
    fn from(t: pb::RequestType) -> Self {
        Self {
            allowed_roles: t
                .allowed_roles()
                .map(|r: Role| enum_name(r.as_str_name(), "ROLE_"))
                .collect(),
            required_documents: if t.required_document_codes.is_empty() {
                t.required_documents
                    .iter()
                    .map(|k| crate::dto::wire_kind(*k, ""))
                    .collect()
            } else {
                t.required_document_codes
                    .iter()
                    .map(|c| crate::dto::kind_out(c))
                    .collect()
            },
            fee_items: t
                .fee_items()
                .map(|k: BillItemKind| enum_name(k.as_str_name(), "BILL_ITEM_KIND_"))
                .collect(),
            code: t.code,
            name: text(t.name),
            description: text(t.description),
            undertakings: t
                .undertakings
                .into_iter()
                .map(|u| Undertaking {
                    undertaking_version_id: u.undertaking_version_id,
                    code: u.code,
                    version: u.version,
                    title: text(u.title),
                    text: text(u.text),
                })
                .collect(),
            letter_required: t.letter_required,
            check_request_number: t.check_request_number,
            check_ownership: t.check_ownership,
            check_debt: t.check_debt,
            answer_validity_days: t.answer_validity_days,
            active: t.active,
            version: t.version,
            inquiry_fee_settlement: match pb::InquiryFeeSettlement::try_from(
                t.inquiry_fee_settlement,
            ) {
                Ok(pb::InquiryFeeSettlement::OnAccount) => "on_account".into(),
                _ => "on_bill".into(),
            },
            answer_template: t.answer_template,
            answer_title: text(t.answer_title),
            answer_statements: t.answer_statements.into_iter().map(Into::into).collect(),
            repeat_free_within_validity: t.repeat_free_within_validity,
            active_from: instant(t.active_from),
            active_until: instant(t.active_until),
            changed: stamp(t.changed),
        }
    }
}

/// An undertaking the applicant accepts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Undertaking {
    /// The version accepted (send these ids to `PUT …/undertakings`).
    pub undertaking_version_id: String,
    /// Names the undertaking across its versions.
    pub code: String,
    /// Which wording this is; a new wording is a new version, never an edit.
    pub version: i32,
    /// A heading to show above the text.
    pub title: LocalizedText,
    /// The whole text the applicant agrees to.
    pub text: LocalizedText,
}
