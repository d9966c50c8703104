//! The inquiry as stored: one JSON document per inquiry (its steps, bill, payment and
//! history), beside the few columns the store filters on.

use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::answer::{FeeFact, ParcelFact, Share};
use crate::convert::{opt_ts, stamp, ts};
use crate::request_types::Text;
use crate::workflow::State;

/// Who did something and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stamp {
    /// Account id; empty for the system.
    pub actor: String,
    /// Display name, when known.
    pub name: String,
    /// µs since the epoch.
    pub at_us: i64,
}

impl Stamp {
    /// On the wire.
    pub fn to_proto(&self) -> cpb::AuditStamp {
        stamp(&self.actor, &self.name, self.at_us)
    }
}

/// Step 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndertakingsStep {
    /// `code@version` accepted.
    pub version_ids: Vec<String>,
    /// Who and when.
    pub recorded: Stamp,
}

/// Step 4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyStep {
    /// Canonical renovation code.
    pub renovation_code: String,
    /// Canonical request number (empty when the type does not check it).
    pub request_number: String,
    /// The map point, when picked.
    pub picked: Option<(f64, f64)>,
    /// Address.
    pub address: String,
    /// Who and when.
    pub recorded: Stamp,
}

/// Step 5a.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterStep {
    /// Letter number.
    pub letter_number: String,
    /// Jalali date, canonical.
    pub letter_date_jalali: String,
    /// Authority id.
    pub organization_id: String,
    /// Authority name.
    pub organization_name: Text,
    /// Who and when.
    pub recorded: Stamp,
}

/// An attached document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attached {
    /// Document id.
    pub document_id: String,
    /// Kind (proto enum number).
    pub kind: i32,
    /// Filename.
    pub filename: String,
}

/// Step 5b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentsStep {
    /// Documents.
    pub documents: Vec<Attached>,
    /// Who and when.
    pub recorded: Stamp,
}

/// Step 6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicantStep {
    /// Name as given.
    pub full_name: String,
    /// Canonical national code.
    pub national_code: String,
    /// Ownership type (proto enum number).
    pub ownership_type: i32,
    /// Share reported by property.
    pub share: Share,
    /// Who and when.
    pub recorded: Stamp,
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Before.
    pub from: State,
    /// After.
    pub to: State,
    /// Who and when.
    pub changed: Stamp,
    /// Why, when it matters.
    pub reason: Option<Text>,
}

/// An inquiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inquiry {
    /// UUIDv7.
    pub id: String,
    /// Inquiry number.
    pub number: String,
    /// Request type code.
    pub request_type_code: String,
    /// Request type version followed.
    pub request_type_version: i64,
    /// Where it stands.
    pub state: State,
    /// +1 per change.
    pub version: i64,
    /// The citizen it is for.
    pub applicant_account_id: String,
    /// Who created it.
    pub filed_by_account_id: String,
    /// The organization that filed it, or empty.
    pub filed_by_organization_id: String,
    /// The consenting citizen's national code, when filed on their behalf.
    pub consented_national_code: String,
    /// Step 3.
    pub undertakings: Option<UndertakingsStep>,
    /// Step 4.
    pub property: Option<PropertyStep>,
    /// Step 5a.
    pub letter: Option<LetterStep>,
    /// Step 5b.
    pub documents: Option<DocumentsStep>,
    /// Step 6.
    pub applicant: Option<ApplicantStep>,
    /// The bill assessed at Submit.
    pub bill_id: String,
    /// Its total.
    pub amount_due_rials: i64,
    /// Its lines, as the answer will state them.
    pub bill_lines: Vec<FeeFact>,
    /// The inquiry fee charged to the inquiring authority's account (request types whose
    /// fee is settled on account), with that account's id; `None` when none was charged.
    #[serde(default)]
    pub authority_fee: Option<(String, FeeFact)>,
    /// The parcel as it stood at Submit, for the answer.
    pub parcel_snapshot: Option<ParcelFact>,
    /// Payment that cleared the bill.
    pub payment_id: String,
    /// Its tracking code.
    pub tracking_code: String,
    /// Amount paid.
    pub amount_paid_rials: i64,
    /// Answer's verification code.
    pub verification_code: String,
    /// Why rejected, cancelled or expired.
    pub state_reason: Option<Text>,
    /// Every state change.
    pub history: Vec<Change>,
    /// µs.
    pub created_at_us: i64,
    /// µs.
    pub updated_at_us: i64,
    /// µs.
    pub submitted_at_us: Option<i64>,
    /// µs.
    pub issued_at_us: Option<i64>,
    /// µs: an unfinished inquiry's expiry, or an answer's end of validity.
    pub expires_at_us: Option<i64>,
}

impl Inquiry {
    /// Moves to `to`, recording who, when and why.
    pub fn transition(&mut self, to: State, by: &Stamp, reason: Option<Text>) {
        if self.state != to {
            self.history.push(Change {
                from: self.state,
                to,
                changed: by.clone(),
                reason: reason.clone(),
            });
        }
        if matches!(to, State::Rejected | State::Cancelled | State::Expired) {
            self.state_reason = reason;
        }
        self.state = to;
        self.updated_at_us = by.at_us;
    }

    /// Forgets the data of every step after `state` (a step was redone).
    pub fn clear_after(&mut self, state: State) {
        if state < State::UndertakingsAccepted {
            self.undertakings = None;
        }
        if state < State::PropertyVerified {
            self.property = None;
        }
        if state < State::LetterRecorded {
            self.letter = None;
        }
        if state < State::DocumentsAttached {
            self.documents = None;
        }
        if state < State::ApplicantVerified {
            self.applicant = None;
        }
    }

    /// The parcel named at step 4, if any.
    pub fn renovation_code(&self) -> &str {
        self.property
            .as_ref()
            .map(|p| p.renovation_code.as_str())
            .unwrap_or("")
    }

    /// The applicant's national code, once known.
    pub fn applicant_national_code(&self) -> &str {
        match &self.applicant {
            Some(a) => &a.national_code,
            None => &self.consented_national_code,
        }
    }

    /// On the wire.
    pub fn to_proto(&self) -> pb::Inquiry {
        pb::Inquiry {
            inquiry_id: self.id.clone(),
            inquiry_number: self.number.clone(),
            request_type_code: self.request_type_code.clone(),
            request_type_version: self.request_type_version,
            state: self.state.to_proto() as i32,
            version: self.version,
            applicant_account_id: self.applicant_account_id.clone(),
            filed_by_account_id: self.filed_by_account_id.clone(),
            filed_by_organization_id: self.filed_by_organization_id.clone(),
            undertakings: self.undertakings.as_ref().map(|u| pb::UndertakingsStep {
                undertaking_version_ids: u.version_ids.clone(),
                recorded: Some(u.recorded.to_proto()),
            }),
            property: self.property.as_ref().map(|p| pb::PropertyStep {
                renovation_code: p.renovation_code.clone(),
                request_number: p.request_number.clone(),
                picked_point: p.picked.map(|(lat, lon)| cpb::GeoPoint { lat, lon }),
                address: p.address.clone(),
                recorded: Some(p.recorded.to_proto()),
            }),
            letter: self.letter.as_ref().map(|l| pb::LetterStep {
                letter_number: l.letter_number.clone(),
                letter_date_jalali: l.letter_date_jalali.clone(),
                authority_organization_id: l.organization_id.clone(),
                authority_name: Some(l.organization_name.to_proto()),
                recorded: Some(l.recorded.to_proto()),
            }),
            documents: self.documents.as_ref().map(|d| pb::DocumentsStep {
                documents: d
                    .documents
                    .iter()
                    .map(|a| pb::AttachedDocument {
                        document_id: a.document_id.clone(),
                        kind: a.kind,
                        original_filename: a.filename.clone(),
                    })
                    .collect(),
                recorded: Some(d.recorded.to_proto()),
            }),
            applicant: self.applicant.as_ref().map(|a| pb::ApplicantStep {
                full_name: a.full_name.clone(),
                national_code: a.national_code.clone(),
                ownership_type: a.ownership_type,
                share: Some(cpb::DangShare {
                    numerator: a.share.numerator,
                    denominator: a.share.denominator,
                }),
                recorded: Some(a.recorded.to_proto()),
            }),
            bill_id: self.bill_id.clone(),
            amount_due_rials: self.amount_due_rials,
            payment_id: self.payment_id.clone(),
            tracking_code: self.tracking_code.clone(),
            verification_code: self.verification_code.clone(),
            state_reason: self.state_reason.as_ref().map(Text::to_proto),
            history: self
                .history
                .iter()
                .map(|c| pb::StateChange {
                    from_state: c.from.to_proto() as i32,
                    to_state: c.to.to_proto() as i32,
                    changed: Some(c.changed.to_proto()),
                    reason: c.reason.as_ref().map(Text::to_proto),
                })
                .collect(),
            created_at: Some(ts(self.created_at_us)),
            updated_at: Some(ts(self.updated_at_us)),
            submitted_at: opt_ts(self.submitted_at_us),
            issued_at: opt_ts(self.issued_at_us),
            expires_at: opt_ts(self.expires_at_us),
        }
    }
}
