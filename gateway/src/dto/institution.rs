//! What an institution's software reads by machine (issue 17): the status of many inquiries
//! at once, each answer's own status beside the inquiry's state, and the office's own fee
//! account. Built from the inquiry and fees services' messages by the README's conventions.

use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{LocalizedText, enum_name, instant, text};

/// The body of `POST /api/v1/inquiries/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// Inquiry numbers (Persian or Arabic-Indic digits are accepted), at most 1,000; one
    /// that names no inquiry the caller may see (or is no number at all) is answered
    /// `found: false`.
    #[schema(max_items = 1000)]
    pub inquiry_numbers: Vec<String>,
}

/// Where one inquiry stands, and its answer's own status.
#[derive(Debug, Serialize, ToSchema)]
pub struct InquiryStatus {
    /// The number as asked (canonical digits).
    pub inquiry_number: String,
    /// Whether the caller may see an inquiry with this number; the rest is empty when not.
    pub found: bool,
    /// Its id.
    pub inquiry_id: String,
    /// `draft`, …, `awaiting_payment`, `issued`, `rejected`, `cancelled`, `expired`, ….
    pub state: String,
    /// Why it was rejected, cancelled or expired.
    pub state_reason: LocalizedText,
    /// When it last changed (RFC 3339).
    pub updated_at: Option<String>,
    /// Its answer's verification code, when issued.
    pub verification_code: String,
    /// Its answer's own status, when issued: `valid`, `revoked` or `expired` (an inquiry
    /// stays `issued` when its answer is revoked or expires); empty before.
    pub answer_status: String,
    /// Why its answer was revoked, when it was.
    pub answer_revocation_reason: String,
    /// When its answer was revoked (RFC 3339), when it was.
    pub answer_revoked_at: Option<String>,
    /// Until when its answer is valid (RFC 3339), when issued.
    pub answer_valid_until: Option<String>,
}

impl From<pb::InquiryStatusEntry> for InquiryStatus {
    fn from(e: pb::InquiryStatusEntry) -> Self {
        let answer_status = if e.answer_status == pb::AnswerStatus::Unspecified as i32 {
            String::new()
        } else {
            enum_name(e.answer_status().as_str_name(), "ANSWER_STATUS_")
        };
        let state = if e.found {
            enum_name(e.state().as_str_name(), "INQUIRY_STATE_")
        } else {
            String::new()
        };
        let (reason, revoked_at) = match e.answer_revocation {
            Some(r) => (r.reason, r.revoked.and_then(|s| instant(s.at))),
            None => (String::new(), None),
        };
        Self {
            inquiry_number: e.inquiry_number,
            found: e.found,
            inquiry_id: e.inquiry_id,
            state,
            state_reason: text(e.state_reason),
            updated_at: instant(e.updated_at),
            verification_code: e.verification_code,
            answer_status,
            answer_revocation_reason: reason,
            answer_revoked_at: revoked_at,
            answer_valid_until: instant(e.answer_valid_until),
        }
    }
}

/// The status of each inquiry asked about, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Statuses {
    /// One entry per number asked.
    pub entries: Vec<InquiryStatus>,
}

/// One inquiry fee charged to an organisation's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCharge {
    /// Names the charge.
    pub charge_id: String,
    /// The inquiry it is for (one charge per inquiry).
    pub inquiry_id: String,
    /// The request type whose fee it is.
    pub request_type_code: String,
    /// The parcel asked about.
    pub renovation_code: String,
    /// The fee.
    pub amount_rials: i64,
    /// What it is, to show to people.
    pub description: LocalizedText,
    /// When it was charged (RFC 3339).
    pub charged_at: Option<String>,
    /// When it was reversed (its inquiry cancelled before the answer); `null` while it
    /// stands. A reversed charge is not in the balance.
    pub reversed_at: Option<String>,
}

impl From<fpb::AccountCharge> for AccountCharge {
    fn from(c: fpb::AccountCharge) -> Self {
        Self {
            charge_id: c.charge_id,
            inquiry_id: c.inquiry_id,
            request_type_code: c.request_type_code,
            renovation_code: c.renovation_code,
            amount_rials: c.amount_rials,
            description: text(c.description),
            charged_at: instant(c.charged_at),
            reversed_at: instant(c.reversed_at),
        }
    }
}

/// A page of an organisation's fee account, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountStatement {
    /// The charges of this page.
    pub charges: Vec<AccountCharge>,
    /// What the organisation owes: the sum of its standing charges.
    pub balance_rials: i64,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}
