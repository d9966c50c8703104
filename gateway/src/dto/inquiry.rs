//! The inquiry flow's JSON: the shapes answered (an [`Inquiry`] with its steps, request
//! types, answers and their verification) and the bodies and queries the routes take.
//!
//! Every state change's body carries `expected_version` (the inquiry's `version` as last
//! read, so that two tabs cannot overwrite each other's step) and `client_request_id` (an
//! idempotency key, so that a retried request changes nothing twice), as the proto requests
//! do.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use estelam_proto::common::v1 as common;
use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::openapi::formats::{
    ClientRequestId, FullName, Id, JalaliDate, Language, LetterNumber, NationalCode, OwnershipType,
    RenovationCode, RequestNumber, RequestTypeCode,
};

pub use super::request_types::{RequestType, RequestTypes, Undertaking};
use super::{AuditStamp, Bill, GeoPoint, LocalizedText, Owner, enum_name, instant, stamp, text};

// ---------------------------------------------------------------------------------------
// What the routes answer

/// A page of inquiries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inquiries {
    /// The inquiries, newest first.
    pub inquiries: Vec<Inquiry>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// An inquiry and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inquiry {
    /// Names the inquiry in every route; never changes.
    pub inquiry_id: String,
    /// The number to quote.
    pub inquiry_number: String,
    /// Its request type.
    pub request_type_code: String,
    /// Version of the request type.
    pub request_type_version: i64,
    /// `draft`, `undertakings_accepted`, `property_verified`, `letter_recorded`,
    /// `documents_attached`, `applicant_verified`, `assessed`, `awaiting_payment`, `issued`,
    /// `rejected`, `cancelled`, `expired`, `awaiting_representation_approval`,
    /// `awaiting_review` (a municipal clerk checks a name or ownership-type mismatch).
    pub state: String,
    /// Send as `expected_version` with the next change.
    pub version: i64,
    /// The applicant.
    pub applicant_account_id: String,
    /// Who filed it.
    pub filed_by_account_id: String,
    /// Organization that filed it.
    pub filed_by_organization_id: String,
    /// Undertakings step.
    pub undertakings: Option<UndertakingsStep>,
    /// Property step.
    pub property: Option<PropertyStep>,
    /// Letter step.
    pub letter: Option<LetterStep>,
    /// Documents step.
    pub documents: Option<DocumentsStep>,
    /// Applicant step.
    pub applicant: Option<ApplicantStep>,
    /// The bill, once assessed.
    pub bill_id: String,
    /// What is left to pay.
    pub amount_due_rials: i64,
    /// The payment.
    pub payment_id: String,
    /// Tracking code of the payment.
    pub tracking_code: String,
    /// The answer's verification code, once issued.
    pub verification_code: String,
    /// Why it is in its state (rejections).
    pub state_reason: Option<LocalizedText>,
    /// A municipal clerk's review of a name or ownership-type mismatch, when there was one.
    pub review: Option<super::review::Review>,
    /// Every change of state.
    pub history: Vec<StateChange>,
    /// Created (RFC 3339).
    pub created_at: Option<String>,
    /// Last changed (RFC 3339).
    pub updated_at: Option<String>,
    /// Submitted (RFC 3339).
    pub submitted_at: Option<String>,
    /// Answer issued (RFC 3339).
    pub issued_at: Option<String>,
    /// Answer valid until (RFC 3339).
    pub expires_at: Option<String>,
    /// The statutory deadline (RFC 3339): ten calendar days after `submitted_at`; absent
    /// before Submit.
    pub answer_due_at: Option<String>,
    /// Where it stands against that deadline now: `on_time`, `near` (two days or less
    /// left), `overdue`, `answered_in_time`, `answered_late`; `unspecified` before Submit
    /// and when closed without an answer.
    pub deadline_standing: String,
}

fn state_name(n: i32) -> String {
    enum_name(
        pb::InquiryState::try_from(n)
            .unwrap_or_default()
            .as_str_name(),
        "INQUIRY_STATE_",
    )
}

fn point(p: Option<common::GeoPoint>) -> Option<GeoPoint> {
    p.map(|p| GeoPoint {
        lat: p.lat,
        lon: p.lon,
    })
}

impl From<pb::Inquiry> for Inquiry {
    fn from(i: pb::Inquiry) -> Self {
        Self {
            state: state_name(i.state),
            inquiry_id: i.inquiry_id,
            inquiry_number: i.inquiry_number,
            request_type_code: i.request_type_code,
            request_type_version: i.request_type_version,
            version: i.version,
            applicant_account_id: i.applicant_account_id,
            filed_by_account_id: i.filed_by_account_id,
            filed_by_organization_id: i.filed_by_organization_id,
            undertakings: i.undertakings.map(|s| UndertakingsStep {
                undertaking_version_ids: s.undertaking_version_ids,
                recorded: stamp(s.recorded),
            }),
            property: i.property.map(|s| PropertyStep {
                renovation_code: s.renovation_code,
                request_number: s.request_number,
                picked_point: point(s.picked_point),
                address: s.address,
                recorded: stamp(s.recorded),
            }),
            letter: i.letter.map(|s| LetterStep {
                letter_number: s.letter_number,
                letter_date_jalali: s.letter_date_jalali,
                authority_organization_id: s.authority_organization_id,
                authority_name: text(s.authority_name),
                recorded: stamp(s.recorded),
            }),
            documents: i.documents.map(|s| DocumentsStep {
                documents: s
                    .documents
                    .into_iter()
                    .map(|d| AttachedDocument {
                        kind: crate::dto::wire_kind(d.kind, &d.kind_code),
                        document_id: d.document_id,
                        original_filename: d.original_filename,
                    })
                    .collect(),
                recorded: stamp(s.recorded),
            }),
            applicant: i.applicant.map(|s| ApplicantStep {
                ownership_type: enum_name(s.ownership_type().as_str_name(), "OWNERSHIP_TYPE_"),
                full_name: s.full_name,
                national_code: s.national_code,
                recorded: stamp(s.recorded),
                representation: s.representation.map(Into::into),
            }),
            bill_id: i.bill_id,
            amount_due_rials: i.amount_due_rials,
            payment_id: i.payment_id,
            tracking_code: i.tracking_code,
            verification_code: i.verification_code,
            state_reason: i.state_reason.map(Into::into),
            review: i.review.map(Into::into),
            history: i
                .history
                .into_iter()
                .map(|h| StateChange {
                    from_state: state_name(h.from_state),
                    to_state: state_name(h.to_state),
                    changed: stamp(h.changed),
                    reason: h.reason.map(Into::into),
                })
                .collect(),
            created_at: instant(i.created_at),
            updated_at: instant(i.updated_at),
            deadline_standing: enum_name(
                pb::DeadlineStanding::try_from(i.deadline_standing)
                    .unwrap_or_default()
                    .as_str_name(),
                "DEADLINE_STANDING_",
            ),
            answer_due_at: instant(i.answer_due_at),
            submitted_at: instant(i.submitted_at),
            issued_at: instant(i.issued_at),
            expires_at: instant(i.expires_at),
        }
    }
}

/// Step: undertakings accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndertakingsStep {
    /// The versions accepted.
    pub undertaking_version_ids: Vec<String>,
    /// Who recorded the step, and when.
    pub recorded: Option<AuditStamp>,
}

/// Step: the property.
#[derive(Debug, Serialize, ToSchema)]
pub struct PropertyStep {
    /// The parcel.
    pub renovation_code: String,
    /// The request number used, if any.
    pub request_number: String,
    /// Where it was picked on the map.
    pub picked_point: Option<GeoPoint>,
    /// Its address.
    pub address: String,
    /// Who recorded the step, and when.
    pub recorded: Option<AuditStamp>,
}

/// Step: the authority's letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterStep {
    /// Letter number.
    pub letter_number: String,
    /// Letter date, `YYYY/MM/DD` (Jalali).
    pub letter_date_jalali: String,
    /// The authority.
    pub authority_organization_id: String,
    /// The authority's name.
    pub authority_name: LocalizedText,
    /// Who recorded the step, and when.
    pub recorded: Option<AuditStamp>,
}

/// Step: documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentsStep {
    /// The documents.
    pub documents: Vec<AttachedDocument>,
    /// Who recorded the step, and when.
    pub recorded: Option<AuditStamp>,
}

/// A document attached to an inquiry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachedDocument {
    /// The document.
    pub document_id: String,
    /// What the document is: its kind's code, written with `_` (`national_id_card`, …).
    #[schema(value_type = crate::openapi::formats::DocumentKind)]
    pub kind: String,
    /// Its file name as uploaded.
    pub original_filename: String,
}

/// Step: the applicant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantStep {
    /// Full name.
    pub full_name: String,
    /// National code.
    pub national_code: String,
    /// `full`, `shared`, `endowment`, `state`, `leasehold`.
    pub ownership_type: String,
    /// Who recorded the step, and when.
    pub recorded: Option<AuditStamp>,
    /// Set when a representative filed for the owner named above.
    pub representation: Option<super::representation::Representation>,
}

/// One change of state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateChange {
    /// The state it left.
    pub from_state: String,
    /// The state it entered.
    pub to_state: String,
    /// Who changed it, and when (the inquiry's history is its audit trail).
    pub changed: Option<AuditStamp>,
    /// The explanation given (a rejection's or cancellation's), to show the applicant.
    pub reason: Option<LocalizedText>,
}

/// A submitted inquiry and its bill.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// The inquiry (assessed, awaiting payment, or issued when nothing is due).
    pub inquiry: Inquiry,
    /// The bill.
    pub bill: Option<Bill>,
}

/// A signed answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answer {
    /// The inquiry answered.
    pub inquiry_id: String,
    /// Its number.
    pub inquiry_number: String,
    /// Code to verify the answer with.
    pub verification_code: String,
    /// Public page verifying it.
    pub verification_url: String,
    /// What it certifies.
    pub facts: Option<AnswerFacts>,
    /// The exact bytes that were signed (canonical JSON of the facts, rules in
    /// services/inquiry/README.md), standard base64: with [`Answer::signature`] and the key
    /// of `signing_key_id`, a client verifies the answer offline.
    pub signed_payload: String,
    /// The Ed25519 signature over `signed_payload`'s bytes, standard base64 (64 bytes).
    pub signature: String,
    /// Which key signed it: look it up in `GET /api/v1/answer-signing-keys` to verify offline,
    /// also after the key has been rotated.
    pub signing_key_id: String,
    /// `Ed25519`: how to check `signature`.
    pub signature_algorithm: String,
    /// `valid`, `revoked`, `expired`.
    pub status: String,
    /// Why it was revoked.
    pub revocation_reason: String,
}

impl From<pb::Answer> for Answer {
    fn from(a: pb::Answer) -> Self {
        Self {
            status: enum_name(a.status().as_str_name(), "ANSWER_STATUS_"),
            inquiry_id: a.inquiry_id,
            inquiry_number: a.inquiry_number,
            verification_code: a.verification_code,
            verification_url: a.verification_url,
            signed_payload: BASE64.encode(&a.signed_payload),
            signature: BASE64.encode(&a.signature),
            facts: a.facts.map(|f| AnswerFacts {
                ownership_type: f
                    .parcel
                    .as_ref()
                    .map(|p| enum_name(p.ownership_type().as_str_name(), "OWNERSHIP_TYPE_"))
                    .unwrap_or_default(),
                deed_number: f
                    .parcel
                    .as_ref()
                    .map(|p| p.deed_number.clone())
                    .unwrap_or_default(),
                owners: f
                    .parcel
                    .as_ref()
                    .map(|p| p.owners.iter().cloned().map(Into::into).collect())
                    .unwrap_or_default(),
                debt_status: enum_name(f.debt_status().as_str_name(), "DEBT_STATUS_"),
                inquired_by: enum_name(f.inquired_by().as_str_name(), "INQUIRED_BY_"),
                inquiry_number: f.inquiry_number,
                request_type_code: f.request_type_code,
                request_type_name: text(f.request_type_name),
                renovation_code: f
                    .parcel
                    .as_ref()
                    .map(|p| p.renovation_code.clone())
                    .unwrap_or_default(),
                address: f.parcel.map(|p| p.address).unwrap_or_default(),
                applicant_full_name: f.applicant_full_name,
                applicant_national_code: f.applicant_national_code,
                tracking_code: f.tracking_code,
                amount_paid_rials: f.amount_paid_rials,
                letter_number: f.letter_number,
                letter_date_jalali: f.letter_date_jalali,
                authority_organization_id: f.authority_organization_id,
                authority_name: text(f.authority_name),
                issued_at: instant(f.issued_at),
                issued_at_jalali: f.issued_at_jalali,
                valid_until: instant(f.valid_until),
                valid_until_jalali: f.valid_until_jalali,
                representative_full_name: f.representative_full_name,
                representative_national_code: f.representative_national_code,
                answer_title: text(f.answer_title),
                answer_statements: f.answer_statements.into_iter().map(Into::into).collect(),
                disputes: f
                    .disputes
                    .into_iter()
                    .map(|d| AnswerDispute {
                        dispute_id: d.dispute_id,
                        items: d.items.into_iter().map(Into::into).collect(),
                        deposit_rials: d.deposit_rials,
                        receipt_code: d.receipt_code,
                    })
                    .collect(),
            }),
            signing_key_id: a.signing_key_id,
            signature_algorithm: a.signature_algorithm,
            revocation_reason: a.revocation.map(|r| r.reason).unwrap_or_default(),
        }
    }
}

/// The facts an answer certifies.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerFacts {
    /// The inquiry's number.
    pub inquiry_number: String,
    /// Request type.
    pub request_type_code: String,
    /// Its name.
    pub request_type_name: LocalizedText,
    /// The parcel.
    pub renovation_code: String,
    /// Its address.
    pub address: String,
    /// Applicant's name.
    pub applicant_full_name: String,
    /// Applicant's national code.
    pub applicant_national_code: String,
    /// `none`, `cleared`, `not_checked`.
    pub debt_status: String,
    /// Payment tracking code.
    pub tracking_code: String,
    /// Amount paid.
    pub amount_paid_rials: i64,
    /// Letter number.
    pub letter_number: String,
    /// Letter date (Jalali).
    pub letter_date_jalali: String,
    /// Who really inquired: `authority` (the organisation filed it and is the inquiring
    /// authority), `applicant` (the applicant filed it; the answer is addressed to the office
    /// the letter names, which was charged nothing), or `unspecified` (answers signed
    /// before format v3).
    pub inquired_by: String,
    /// The inquiring authority's id, or with `inquired_by` `applicant` the office the answer
    /// is addressed to.
    pub authority_organization_id: String,
    /// That organisation's name.
    pub authority_name: LocalizedText,
    /// Issued (RFC 3339).
    pub issued_at: Option<String>,
    /// Issued (Jalali).
    pub issued_at_jalali: String,
    /// Valid until (RFC 3339).
    pub valid_until: Option<String>,
    /// Valid until (Jalali).
    pub valid_until_jalali: String,
    /// `full`, `shared`, `endowment`, `state`, `leasehold`: the parcel's ownership as stated.
    pub ownership_type: String,
    /// The deed number as stated.
    pub deed_number: String,
    /// The owners and their shares as stated.
    pub owners: Vec<Owner>,
    /// When a representative filed for the applicant (به وکالت): their name; else empty.
    pub representative_full_name: String,
    /// Their national code; else empty.
    pub representative_national_code: String,
    /// The title the e-service's version gave its answers; empty for the layout's own.
    pub answer_title: LocalizedText,
    /// The plain-language statements the e-service's version prints on its answers.
    pub answer_statements: Vec<LocalizedText>,
    /// Objections to levies whose disputed amount was deposited (note to article 74 of the
    /// Municipalities Law): the debt is cleared with these pending.
    pub disputes: Vec<AnswerDispute>,
}

/// An objection to levies an answer records.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerDispute {
    /// The dispute's id.
    pub dispute_id: String,
    /// The items under objection, as the bill described them.
    pub items: Vec<LocalizedText>,
    /// The deposit held, rials.
    pub deposit_rials: i64,
    /// The deposit's receipt code.
    pub receipt_code: String,
}

/// The outcome of checking an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// `valid`, `unknown`, `revoked`, `expired`, `copy_mismatch`.
    pub result: String,
    /// The answer, when known.
    pub answer: Option<Answer>,
    /// Whether its signature checks out.
    pub signature_valid: bool,
    /// What the result means.
    pub message: LocalizedText,
    /// When it was checked (RFC 3339).
    pub checked_at: Option<String>,
}

// ---------------------------------------------------------------------------------------
// What the routes take

/// The body of `POST /api/v1/inquiries`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInquiryBody {
    /// The request type's code (`GET /api/v1/request-types`).
    #[schema(value_type = RequestTypeCode)]
    pub request_type_code: String,
    /// Idempotency key: a retry with the same key creates nothing new.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
}

/// Filters of `GET /api/v1/inquiries`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListInquiriesQuery {
    /// Only this state (e.g. `awaiting_payment`).
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::inquiry_state_filter)]
    pub state: Option<String>,
    /// Only this request type.
    #[serde(default)]
    #[param(value_type = Option<RequestTypeCode>)]
    pub request_type_code: Option<String>,
    /// Only this parcel.
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::renovation_code_filter)]
    pub renovation_code: Option<String>,
    /// Only inquiries whose letter names this organisation: an office's user passes their
    /// own organisation's id to list what citizens addressed to it (readable, not charged
    /// to its account).
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::id_filter)]
    pub letter_organization_id: Option<String>,
    /// Only inquiries whose letter has this number, as written on the letter.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::TextFilter>)]
    pub letter_number: Option<String>,
    /// Only inquiries created at or after this instant (RFC 3339).
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::instant_filter)]
    pub created_after: Option<String>,
    /// Only inquiries created before this instant (RFC 3339).
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::instant_filter)]
    pub created_before: Option<String>,
    /// Page size (0 or absent: the service's default; not negative).
    #[serde(default)]
    #[param(minimum = 0)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// The body of `PUT …/undertakings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndertakingsBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// Every undertaking version of the request type.
    #[schema(value_type = Vec<Id>, min_items = 1, max_items = 50)]
    pub undertaking_version_ids: Vec<String>,
}

/// The body of `PUT …/property`: the parcel by code or by a point on the map.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// The parcel's renovation code (or give `picked_point`, not both).
    #[serde(default)]
    #[schema(value_type = RenovationCode)]
    pub renovation_code: Option<String>,
    /// A point inside the parcel (or give `renovation_code`, not both).
    #[serde(default)]
    #[schema(value_type = GeoPoint)]
    pub picked_point: Option<GeoPoint>,
    /// The request number from the municipality, when the request type needs one.
    #[serde(default)]
    #[schema(value_type = RequestNumber)]
    pub request_number: String,
}

/// The body of `PUT …/letter`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// The authority's letter number.
    #[schema(value_type = LetterNumber)]
    pub letter_number: String,
    /// Its date, `YYYY/MM/DD` (Jalali), not after today.
    #[schema(value_type = JalaliDate)]
    pub letter_date_jalali: String,
    /// The authority that wrote it (`GET /api/v1/organizations`).
    #[serde(default)]
    #[schema(value_type = Id)]
    pub authority_organization_id: String,
}

/// The body of `PUT …/documents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// Documents uploaded with `POST /api/v1/documents`.
    #[schema(value_type = Vec<Id>, max_items = 20)]
    pub document_ids: Vec<String>,
}

/// The body of `PUT …/applicant`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// Applicant's full name, as on the deed.
    #[schema(value_type = FullName)]
    pub full_name: String,
    /// Applicant's national code. Optional: a citizen's own inquiry is always in the name of
    /// the person logged in (the code comes from their login), and one on behalf is in the
    /// name of the consenting citizen; a code sent that is not that person's is refused
    /// (`APPLICANT_NOT_CALLER`, `CONSENTING_APPLICANT_MISMATCH`).
    #[serde(default)]
    #[schema(value_type = NationalCode)]
    pub national_code: String,
    /// `full`, `shared`, `endowment`, `state`, `leasehold`.
    #[schema(value_type = OwnershipType)]
    pub ownership_type: String,
    /// Set when the caller acts as the owner's representative (وکیل): `national_code` and
    /// `full_name` are then the owner's, and the inquiry waits for a clerk to approve the
    /// power of attorney (`awaiting_representation_approval`).
    #[serde(default)]
    pub representation: Option<super::representation::RepresentationClaimBody>,
}

/// The body of `POST …/submit`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
}

/// The body of `POST …/payments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// The inquiry's `version` as last read: a change made meanwhile (another tab, a clerk)
    /// is refused with 409 instead of being overwritten.
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key (after a lost answer) changes nothing
    /// twice and gets the first answer.
    #[schema(value_type = ClientRequestId)]
    pub client_request_id: String,
    /// Where the browser comes back after paying: a path on the portal starting with a
    /// single `/` (`/inquiries/{id}`; not `//`, no scheme or host, no backslashes, spaces or
    /// control characters), or an absolute URL on the portal's own origin or an origin in
    /// the `fees.return_origins` setting. Anything else is refused with 400
    /// `RETURN_URL_NOT_ALLOWED` (`RETURN_URL_INVALID` for the forbidden characters). Left
    /// out, the payer returns to this inquiry's page on the portal.
    #[serde(default)]
    #[schema(
        example = "/inquiries/0190c5e2-5a1b-7c3d-9e4f-0a1b2c3d4e5f",
        max_length = 2000
    )]
    pub return_url: String,
}

/// `?lang=` of the rendered answer.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RenderQuery {
    /// `fa` (default) or `en`.
    #[serde(default)]
    #[param(value_type = Option<Language>)]
    pub lang: Option<String>,
}
