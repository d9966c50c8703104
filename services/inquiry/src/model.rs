//! The inquiry as stored: one JSON document per inquiry (its steps, bill, payment and
//! history), beside the few columns the store filters on.

use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::answer::{FeeFact, ParcelFact, Share};
use crate::request_types::Text;
use crate::workflow::State;
use estelam_runtime::time::{optional_timestamp, timestamp};

/// Who did something and when: every step's data and every state change carries one, so an
/// inquiry's history answers "who changed this" without an audit table of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stamp {
    /// Account id; empty when the system acted (recovery, a payment's event).
    pub actor: String,
    /// Display name, when the actor's service knew it; shown to clerks beside the id.
    pub name: String,
    /// When, in µs since the epoch.
    pub at_us: i64,
}

impl Stamp {
    /// The stamp as the contracts carry it (`common.v1.AuditStamp`).
    pub fn to_proto(&self) -> cpb::AuditStamp {
        cpb::AuditStamp {
            actor_account_id: self.actor.clone(),
            actor_display_name: self.name.clone(),
            at: Some(timestamp(self.at_us)),
        }
    }
}

/// What the applicant accepted at step 3: the exact text versions, so the acceptance still
/// names the words shown after an admin edits the request type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndertakingsStep {
    /// `code@version` of every undertaking accepted.
    pub version_ids: Vec<String>,
    /// Who accepted, and when.
    pub recorded: Stamp,
}

/// The property named at step 4, as checked with property: Submit reads the parcel again
/// by this code and marks this request number used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyStep {
    /// Canonical renovation code (also when the parcel was picked on the map).
    pub renovation_code: String,
    /// Canonical request number; empty when the request type does not check it.
    pub request_number: String,
    /// The map point (lat, lon) the applicant clicked, when they named the parcel that way.
    pub picked: Option<(f64, f64)>,
    /// The parcel's address at the time, shown back to the applicant on later steps.
    pub address: String,
    /// Who named the property, and when.
    pub recorded: Stamp,
}

/// The inquiring authority's letter (step 5a): the answer is addressed to the authority and
/// names the letter it answers. The authority's account pays an on-account inquiry fee only
/// when the authority itself filed the inquiry (`access::fee_payer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterStep {
    /// The letter's number as the authority wrote it (digits normalised).
    pub letter_number: String,
    /// The letter's Jalali date, canonical `YYYY/MM/DD`.
    pub letter_date_jalali: String,
    /// The inquiring authority's organisation id in identity.
    pub organization_id: String,
    /// Its name when the letter was recorded, so the answer does not change with a rename.
    pub organization_name: Text,
    /// Who recorded the letter, and when.
    pub recorded: Stamp,
}

/// One document attached at step 5b, with what documents said of it then (its kind decides
/// which required documents are present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attached {
    /// The document's id in the documents service.
    pub document_id: String,
    /// Its kind, as the `documents.v1.DocumentKind` number (0 for kinds added as data).
    pub kind: i32,
    /// Its kind's code; inquiries recorded before kinds were data read it from `kind`.
    #[serde(default)]
    pub kind_code: String,
    /// The name it was uploaded under, shown back to the applicant.
    pub filename: String,
}

impl Attached {
    /// The kind's code, for an inquiry recorded before kinds were data as well.
    pub fn code(&self) -> &str {
        if self.kind_code.is_empty() {
            estelam_proto::documents::v1::DocumentKind::code_of(self.kind).unwrap_or_default()
        } else {
            &self.kind_code
        }
    }
}

/// The documents attached at step 5b, all of them the applicant's own uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentsStep {
    /// Each document once, in the order given.
    pub documents: Vec<Attached>,
    /// Who attached them, and when.
    pub recorded: Stamp,
}

/// The applicant named at step 6, as checked against the parcel's owners; the answer
/// states this name and national code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicantStep {
    /// The name as given, whitespace collapsed.
    pub full_name: String,
    /// Canonical national code.
    pub national_code: String,
    /// Declared ownership type, as the `property.v1.OwnershipType` number.
    pub ownership_type: i32,
    /// The applicant's share as property reported it (0/1 when ownership is not checked).
    pub share: Share,
    /// Who named the applicant, and when.
    pub recorded: Stamp,
    /// Set when a representative (وکیل) named the owner as applicant; the clerk's decision
    /// on their power of attorney is kept here.
    #[serde(default)]
    pub representation: Option<crate::representation::Representation>,
}

/// One state change, kept so the inquiry's history shows every move, including moves back
/// when a step was redone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The state left.
    pub from: State,
    /// The state reached.
    pub to: State,
    /// Who moved it (empty actor for the system), and when.
    pub changed: Stamp,
    /// Why, for the moves a person must understand (rejection, expiry, a redone step).
    pub reason: Option<Text>,
}

/// An inquiry: stored as one JSON document (see the module docs), read whole, changed in
/// memory by a step and written back only if no one else changed it meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inquiry {
    /// UUIDv7, so ids sort by creation.
    pub id: String,
    /// The short, check-digited number people quote.
    pub number: String,
    /// The request type filed.
    pub request_type_code: String,
    /// The request type version the inquiry follows to the end, whatever admins edit later.
    pub request_type_version: i64,
    /// Where it stands in the workflow.
    pub state: State,
    /// Optimistic-concurrency version: +1 per change; a change names the version it read.
    pub version: i64,
    /// The citizen it is for.
    pub applicant_account_id: String,
    /// Who created it.
    pub filed_by_account_id: String,
    /// The organization that filed it, or empty.
    pub filed_by_organization_id: String,
    /// The consenting citizen's national code, when filed on their behalf.
    pub consented_national_code: String,
    /// Step 3's data, until the step is redone from an earlier one.
    pub undertakings: Option<UndertakingsStep>,
    /// Step 4's data, likewise.
    pub property: Option<PropertyStep>,
    /// Step 5a's data, for request types with a letter.
    pub letter: Option<LetterStep>,
    /// Step 5b's data.
    pub documents: Option<DocumentsStep>,
    /// Step 6's data.
    pub applicant: Option<ApplicantStep>,
    /// The bill fees assessed at Submit; empty when nothing was assessed. The debt-cleared
    /// event names it, which is how a payment finds its inquiry.
    pub bill_id: String,
    /// The bill's total, what StartPayment asks fees to collect.
    pub amount_due_rials: i64,
    /// Its lines, as the answer will state them.
    pub bill_lines: Vec<FeeFact>,
    /// The inquiry fee charged to the inquiring authority's account (request types whose
    /// fee is settled on account), with that account's id; `None` when none was charged.
    #[serde(default)]
    pub authority_fee: Option<(String, FeeFact)>,
    /// The parcel as it stood at Submit, for the answer.
    pub parcel_snapshot: Option<ParcelFact>,
    /// The payment that cleared the bill, once the debt-cleared event (or the recovery sweep)
    /// reported it.
    pub payment_id: String,
    /// The payment's tracking code (کد رهگیری), stated on the answer.
    pub tracking_code: String,
    /// What that payment paid.
    pub amount_paid_rials: i64,
    /// The issued answer's verification code, so a tracker need not fetch the answer.
    pub verification_code: String,
    /// Why the inquiry was rejected, cancelled or expired, for the person who sees it stop.
    pub state_reason: Option<Text>,
    /// The clerk's review of a name or ownership-type mismatch at step 6, when there was
    /// one; the registry's data in it is for clerks only. Boxed: most inquiries have none,
    /// and every step's future holds an inquiry or two.
    #[serde(default)]
    pub review: Option<Box<crate::review::Review>>,
    /// Every state change, oldest first. Kept as append-only rows (`inquiry_events`), not in
    /// the stored document: the store fills it when it loads the inquiry and appends the
    /// changes past [`Inquiry::history_stored`] in the transaction that writes the inquiry.
    /// (Documents written before those rows existed still carry it; it is read, then
    /// replaced by the rows the migration made of it.)
    #[serde(default, skip_serializing)]
    pub history: Vec<Change>,
    /// How many of `history`'s changes are already rows: the ones after are written with
    /// the next save.
    #[serde(skip)]
    pub history_stored: usize,
    /// When it was created, µs; lists page by (created, id).
    pub created_at_us: i64,
    /// When it last changed, µs.
    pub updated_at_us: i64,
    /// When it was submitted, µs; the answer says its facts were read then.
    pub submitted_at_us: Option<i64>,
    /// When its answer was issued, µs.
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
            self.review = None;
        }
    }

    /// The number of the letter recorded at step 5a, or "" before it.
    pub fn letter_number(&self) -> &str {
        self.letter
            .as_ref()
            .map(|l| l.letter_number.as_str())
            .unwrap_or("")
    }

    /// The organisation the letter (step 5a) names, or empty: the office the answer is
    /// addressed to, which may follow the inquiry even when a citizen filed it.
    pub fn letter_organization_id(&self) -> &str {
        self.letter
            .as_ref()
            .map(|l| l.organization_id.as_str())
            .unwrap_or("")
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

    /// The statutory deadline ([`crate::clock`]): ten calendar days after Submit; `None`
    /// before.
    pub fn answer_due_at_us(&self) -> Option<i64> {
        self.submitted_at_us.map(crate::clock::answer_due)
    }

    /// Where the inquiry stands against its deadline at `now_us`; `None` before Submit and
    /// for one closed without an answer.
    pub fn deadline_standing(&self, now_us: i64) -> Option<crate::clock::Standing> {
        let due = self.answer_due_at_us()?;
        if self.issued_at_us.is_none()
            && matches!(
                self.state,
                State::Rejected | State::Cancelled | State::Expired
            )
        {
            return None;
        }
        Some(crate::clock::Standing::of(due, self.issued_at_us, now_us))
    }

    /// The inquiry as the contract shows it now; its bytes are also what a retried write is
    /// answered with.
    pub fn to_proto(&self) -> pb::Inquiry {
        self.to_proto_at(estelam_runtime::db::now_micros())
    }

    /// The inquiry as the contract shows it, its deadline standing as at `now_us`.
    pub fn to_proto_at(&self, now_us: i64) -> pb::Inquiry {
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
                        kind_code: a.code().to_owned(),
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
                representation: a.representation.as_ref().map(|r| r.to_proto()),
            }),
            bill_id: self.bill_id.clone(),
            amount_due_rials: self.amount_due_rials,
            payment_id: self.payment_id.clone(),
            tracking_code: self.tracking_code.clone(),
            verification_code: self.verification_code.clone(),
            state_reason: self.state_reason.as_ref().map(Text::to_proto),
            review: self.review.as_deref().map(crate::review::Review::to_proto),
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
            created_at: Some(timestamp(self.created_at_us)),
            updated_at: Some(timestamp(self.updated_at_us)),
            submitted_at: optional_timestamp(self.submitted_at_us),
            issued_at: optional_timestamp(self.issued_at_us),
            expires_at: optional_timestamp(self.expires_at_us),
            answer_due_at: optional_timestamp(self.answer_due_at_us()),
            deadline_standing: self
                .deadline_standing(now_us)
                .map_or(pb::DeadlineStanding::Unspecified, standing_to_proto)
                as i32,
        }
    }
}

fn standing_to_proto(s: crate::clock::Standing) -> pb::DeadlineStanding {
    use crate::clock::Standing;
    match s {
        Standing::OnTime => pb::DeadlineStanding::OnTime,
        Standing::Near => pb::DeadlineStanding::Near,
        Standing::Overdue => pb::DeadlineStanding::Overdue,
        Standing::AnsweredInTime => pb::DeadlineStanding::AnsweredInTime,
        Standing::AnsweredLate => pb::DeadlineStanding::AnsweredLate,
    }
}
