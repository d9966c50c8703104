//! The answer (پاسخ استعلام): its facts, their canonical encoding, and the Ed25519 signature
//! over it.
//!
//! # Canonical encoding (what is signed)
//!
//! `Answer.signed_payload` is the answer's facts as **canonical JSON**, and the signature is
//! plain Ed25519 (RFC 8032, no pre-hash, no context) over exactly those bytes:
//!
//! * UTF-8, no byte-order mark, no insignificant whitespace anywhere (no spaces after `:`
//!   or `,`, no trailing newline);
//! * object members sorted by key, comparing keys as sequences of Unicode code points
//!   (the same as comparing their UTF-8 bytes); keys are unique;
//! * every field is present, also when empty (`""`, `0`, `[]`), so the shape is fixed;
//! * strings escaped as JSON requires and no more: `"` → `\"`, `\` → `\\`, the control
//!   characters U+0000–U+001F as `\b \f \n \r \t` or `\u00XX` (lower-case hex); every other
//!   character, Persian letters included, as its raw UTF-8 bytes (never `\uXXXX`); `/` is
//!   not escaped;
//! * integers in plain decimal (`-` for negatives, no leading zeros, no exponent, no
//!   fraction); there are no floating-point numbers (areas are integer dm², money integer
//!   rials);
//! * enums as their protobuf value names (`"DEBT_STATUS_NONE"`), instants as RFC 3339 UTC
//!   with whole seconds (`"2024-03-20T08:30:00Z"`), Jalali dates as `YYYY/MM/DD` (with
//!   ` HH:MM` Iran time for `issued_at_jalali`), texts as `{"en":…,"fa":…}`;
//! * the member `"format":"estelam.inquiry.answer.v3"` names this scheme, so a future
//!   encoding can never be confused with it. Version 2 added `fees_charged_to_authority`,
//!   `facts_checked_at` and `facts_checked_at_jalali`; version 3 added `inquired_by` (the
//!   organisation filed, or the applicant filed and addressed the answer to the office
//!   their letter names). Answers signed before lack the newer members and still verify,
//!   since the signature is over the stored bytes. Members that are left out when empty
//!   (`representative_…`, `answer_title`, `answer_statements`: the words an e-service's
//!   version prints; `disputes`, the objections to levies whose amount was deposited)
//!   need no new format: an answer without them signs as before.
//!
//! Anyone can check an answer with the public key from `ListAnswerSigningKeys` whose `kid`
//! is the answer's `signing_key_id`: `Ed25519.verify(public_key, signed_payload,
//! signature)`. The field names are those of `estelam.inquiry.v1.AnswerFacts`.

use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_proto::{common::v1 as cpb, fees::v1 as fpb};
use serde::{Deserialize, Serialize};

use crate::dates;
use crate::request_types::Text;

mod canonical;
mod keys;
mod verdict;

pub use canonical::canonical_json;
pub use keys::{KeyPair, kid_of, public_pem, verify};
pub use verdict::{Check, mask_code, status, unknown_code_message, verdict};

/// The value of the `format` member.
pub const FORMAT: &str = "estelam.inquiry.answer.v3";
/// The signature algorithm's name on the wire.
pub const ALGORITHM: &str = "Ed25519";

/// A share of a property in dang (دانگ; six make the whole), kept as a fraction so shares
/// like 2½ dang are exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Share {
    /// Dang, times `denominator`.
    pub numerator: i64,
    /// What `numerator` is counted in (1 for whole dang).
    pub denominator: i64,
}

/// The parcel's registry plate (پلاک ثبتی), by which a notary finds the deed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Plate {
    /// The main plate number.
    pub main: String,
    /// The sub plate number.
    pub sub: String,
    /// The registry section (بخش ثبتی) the plate numbers belong to.
    pub section: String,
}

/// One owner as the answer states them, from property's record at Submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OwnerFact {
    /// `OWNER_KIND_…`: a person or an organisation.
    pub kind: String,
    /// National code (a person) or national id (an organisation); masked in public views.
    pub national_code: String,
    /// The owner's name on record.
    pub full_name: String,
    /// The owner's share.
    pub share: Share,
    /// The owner's own deed, when the shares are on separate deeds.
    pub deed_number: String,
}

/// The parcel as the answer states it, from property's record at Submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ParcelFact {
    /// The municipal parcel id, canonical.
    pub renovation_code: String,
    /// Its registry plate.
    pub registry_plate: Plate,
    /// Its address on record.
    pub address: String,
    /// `LAND_USE_…`, which the levies depend on.
    pub land_use: String,
    /// Land area in dm², an integer so the payload has no floating point.
    pub land_area_dm2: i64,
    /// Built area in dm², likewise.
    pub built_area_dm2: i64,
    /// Number of floors.
    pub floors: i32,
    /// `OWNERSHIP_TYPE_…`.
    pub ownership_type: String,
    /// The parcel's deed number.
    pub deed_number: String,
    /// Every owner on record.
    pub owners: Vec<OwnerFact>,
    /// The version of property's record these facts were read from.
    pub parcel_version: i64,
}

impl ParcelFact {
    /// The parcel as property reports it, in the answer's terms: enums by their protobuf
    /// names, so the signed payload stays readable and stable if enum numbers are reused.
    pub fn from_parcel(p: &ppb::Parcel) -> Self {
        let plate = p.registry_plate.clone().unwrap_or_default();
        let own = p.ownership.clone().unwrap_or_default();
        Self {
            renovation_code: p.renovation_code.clone(),
            registry_plate: Plate {
                main: plate.main,
                sub: plate.sub,
                section: plate.section,
            },
            address: p.address.clone(),
            land_use: ppb::LandUse::try_from(p.land_use)
                .unwrap_or_default()
                .as_str_name()
                .to_owned(),
            land_area_dm2: p.land_area_dm2,
            built_area_dm2: p.built_area_dm2,
            floors: p.floors,
            ownership_type: ppb::OwnershipType::try_from(own.ownership_type)
                .unwrap_or_default()
                .as_str_name()
                .to_owned(),
            deed_number: own.deed_number.clone(),
            owners: own
                .owners
                .iter()
                .map(|o| OwnerFact {
                    kind: ppb::OwnerKind::try_from(o.kind)
                        .unwrap_or_default()
                        .as_str_name()
                        .to_owned(),
                    national_code: o.national_code.clone(),
                    full_name: o.full_name.clone(),
                    share: o
                        .share
                        .map(|s| Share {
                            numerator: s.numerator,
                            denominator: s.denominator,
                        })
                        .unwrap_or_default(),
                    deed_number: o.deed_number.clone(),
                })
                .collect(),
            parcel_version: p.version,
        }
    }
}

/// One fee as the answer states it: a line of the bill paid, or the inquiry fee charged to
/// the authority's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FeeFact {
    /// `BILL_ITEM_KIND_…`.
    pub kind: String,
    /// The Jalali year a levy is for; 0 for fees of no year.
    pub jalali_year: i32,
    /// The line as fees worded it.
    pub description: Text,
    /// The amount in rials.
    pub amount_rials: i64,
}

/// Everything an answer states; the signed payload is this, canonically encoded. Field
/// names are those of `estelam.inquiry.v1.AnswerFacts`, so a verifier reads the payload
/// with the contract's documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Facts {
    /// Always [`FORMAT`]: names the encoding, so no other can be mistaken for it.
    pub format: String,
    /// The inquiry answered, as people quote it.
    pub inquiry_number: String,
    /// The request type answered (what was asked).
    pub request_type_code: String,
    /// Its name at issue, so the paper reads the same after a rename.
    pub request_type_name: Text,
    /// The parcel, owners included, as read at Submit.
    pub parcel: ParcelFact,
    /// The applicant named at step 6.
    pub applicant_full_name: String,
    /// The applicant's national code; masked in public views, in the clear when signed.
    pub applicant_national_code: String,
    /// `DEBT_STATUS_…`: none owed, cleared by a payment, or not checked for this type.
    pub debt_status: String,
    /// The payment's tracking code, when a payment cleared the debt.
    pub tracking_code: String,
    /// What that payment paid, in rials.
    pub amount_paid_rials: i64,
    /// The bill's lines that payment paid.
    pub fees_paid: Vec<FeeFact>,
    /// The filing organisation when it inquired itself; when the applicant filed, the
    /// office their letter addresses the answer to (see `inquired_by`).
    pub authority_organization_id: String,
    /// Its name when the letter was recorded.
    pub authority_name: Text,
    /// The letter this answers.
    pub letter_number: String,
    /// The letter's Jalali date.
    pub letter_date_jalali: String,
    /// When it was issued: RFC 3339 UTC, whole seconds.
    pub issued_at: String,
    /// The same instant as people in Iran read it: Jalali date and time.
    pub issued_at_jalali: String,
    /// When it stops being valid: RFC 3339 UTC, whole seconds.
    pub valid_until: String,
    /// The same, as a Jalali date.
    pub valid_until_jalali: String,
    /// Fees charged to the authority's account (`authority_organization_id`), not paid by
    /// the applicant.
    #[serde(default)]
    pub fees_charged_to_authority: Vec<FeeFact>,
    /// RFC 3339, whole seconds: when the parcel facts, owners and debt were read (Submit).
    #[serde(default)]
    pub facts_checked_at: String,
    /// The same, Jalali date and time in Iran.
    #[serde(default)]
    pub facts_checked_at_jalali: String,
    /// `INQUIRED_BY_…`: who really inquired — the organisation itself, or the applicant
    /// addressing the answer to the office their letter names. Empty in answers signed
    /// before format v3.
    #[serde(default)]
    pub inquired_by: String,
    /// When a representative filed for the applicant (به وکالت), approved by a clerk: their
    /// full name. Left out of the payload when empty, so answers without one sign as before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub representative_full_name: String,
    /// Their national code; masked in public views like the applicant's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub representative_national_code: String,
    /// The title the request type version gives its answers. Left out of the payload when
    /// empty, so answers of types without one sign as before.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub answer_title: Text,
    /// The plain-language sentences the request type version prints on its answers, in
    /// order. Left out of the payload when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_statements: Vec<Text>,
    /// Objections to levies whose disputed amount was deposited: the debt is cleared with
    /// these pending (note to article 74 of the Municipalities Law). Left out of the
    /// payload when there are none, so answers without one sign as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes: Vec<DisputeFact>,
}

/// An objection to levies as the answer records it: which items are under objection and
/// the deposit held for them, with its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DisputeFact {
    /// The dispute id at the fees service.
    pub dispute_id: String,
    /// The disputed items as the bill described them.
    pub items: Vec<Text>,
    /// The deposit held, rials.
    pub deposit_rials: i64,
    /// The deposit's receipt code.
    pub receipt_code: String,
}

impl Facts {
    /// The canonical bytes that are signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self)
            .unwrap_or_else(|_| unreachable!("facts are plain strings and integers"));
        canonical_json(&value).into_bytes()
    }

    /// Decodes signed bytes back into facts.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The facts on the wire; with `mask`, national codes are masked (public view).
    pub fn to_proto(&self, mask: bool) -> pb::AnswerFacts {
        let nc = |s: &str| if mask { mask_code(s) } else { s.to_owned() };
        let t = |s: &str| {
            dates::parse_rfc3339_seconds(s)
                .map(|seconds| prost_types::Timestamp { seconds, nanos: 0 })
        };
        let p = &self.parcel;
        pb::AnswerFacts {
            inquiry_number: self.inquiry_number.clone(),
            request_type_code: self.request_type_code.clone(),
            request_type_name: Some(self.request_type_name.to_proto()),
            parcel: Some(pb::AnswerParcel {
                renovation_code: p.renovation_code.clone(),
                registry_plate: Some(ppb::RegistryPlate {
                    main: p.registry_plate.main.clone(),
                    sub: p.registry_plate.sub.clone(),
                    section: p.registry_plate.section.clone(),
                }),
                address: p.address.clone(),
                land_use: ppb::LandUse::from_str_name(&p.land_use).unwrap_or_default() as i32,
                land_area_dm2: p.land_area_dm2,
                built_area_dm2: p.built_area_dm2,
                floors: p.floors,
                ownership_type: ppb::OwnershipType::from_str_name(&p.ownership_type)
                    .unwrap_or_default() as i32,
                deed_number: p.deed_number.clone(),
                owners: p
                    .owners
                    .iter()
                    .map(|o| ppb::Owner {
                        kind: ppb::OwnerKind::from_str_name(&o.kind).unwrap_or_default() as i32,
                        national_code: nc(&o.national_code),
                        full_name: o.full_name.clone(),
                        share: Some(cpb::DangShare {
                            numerator: o.share.numerator,
                            denominator: o.share.denominator,
                        }),
                        deed_number: o.deed_number.clone(),
                    })
                    .collect(),
                parcel_version: p.parcel_version,
            }),
            applicant_full_name: self.applicant_full_name.clone(),
            applicant_national_code: nc(&self.applicant_national_code),
            debt_status: pb::DebtStatus::from_str_name(&self.debt_status).unwrap_or_default()
                as i32,
            tracking_code: self.tracking_code.clone(),
            amount_paid_rials: self.amount_paid_rials,
            fees_paid: self.fees_paid.iter().map(fee_to_proto).collect(),
            authority_organization_id: self.authority_organization_id.clone(),
            authority_name: Some(self.authority_name.to_proto()),
            letter_number: self.letter_number.clone(),
            letter_date_jalali: self.letter_date_jalali.clone(),
            issued_at: t(&self.issued_at),
            issued_at_jalali: self.issued_at_jalali.clone(),
            valid_until: t(&self.valid_until),
            valid_until_jalali: self.valid_until_jalali.clone(),
            fees_charged_to_authority: self
                .fees_charged_to_authority
                .iter()
                .map(fee_to_proto)
                .collect(),
            facts_checked_at: t(&self.facts_checked_at),
            facts_checked_at_jalali: self.facts_checked_at_jalali.clone(),
            inquired_by: pb::InquiredBy::from_str_name(&self.inquired_by).unwrap_or_default()
                as i32,
            representative_full_name: self.representative_full_name.clone(),
            representative_national_code: if self.representative_national_code.is_empty() {
                String::new()
            } else {
                nc(&self.representative_national_code)
            },
            answer_title: (!self.answer_title.is_empty()).then(|| self.answer_title.to_proto()),
            answer_statements: self.answer_statements.iter().map(Text::to_proto).collect(),
            disputes: self
                .disputes
                .iter()
                .map(|d| pb::AnswerDispute {
                    dispute_id: d.dispute_id.clone(),
                    items: d.items.iter().map(Text::to_proto).collect(),
                    deposit_rials: d.deposit_rials,
                    receipt_code: d.receipt_code.clone(),
                })
                .collect(),
        }
    }
}

fn fee_to_proto(f: &FeeFact) -> pb::AnswerFee {
    pb::AnswerFee {
        kind: fpb::BillItemKind::from_str_name(&f.kind).unwrap_or_default() as i32,
        jalali_year: f.jalali_year,
        description: Some(f.description.to_proto()),
        amount_rials: f.amount_rials,
    }
}

#[cfg(test)]
mod tests;
