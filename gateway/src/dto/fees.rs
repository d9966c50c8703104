//! Bills and payments, from the fees service's messages (the inquiry routes answer with
//! them too).

use estelam_proto::fees::v1 as fees;
use serde::Serialize;
use utoipa::ToSchema;

use super::{AuditStamp, LocalizedText, enum_name, instant, stamp, text};

/// One line of a bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillLine {
    /// The Jalali year the line is for (0 when not yearly).
    pub jalali_year: i32,
    /// `renewal_levy`, `waste_fee`, `penalty`, `inquiry_fee`, `discount`, `adjustment`.
    pub kind: String,
    /// What the line charges for, to show the person who pays.
    pub description: LocalizedText,
    /// The levy or fee itself, before any late-payment penalty.
    pub base_rials: i64,
    /// Late-payment penalty.
    pub penalty_rials: i64,
    /// Base plus penalty.
    pub total_rials: i64,
    /// How many months late the penalty is counted for.
    pub months_late: i32,
}

/// An itemised bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bill {
    /// Names the bill in payments and the inquiry.
    pub bill_id: String,
    /// The parcel billed.
    pub renovation_code: String,
    /// The inquiry it belongs to.
    pub inquiry_id: String,
    /// `open`, `paid`, `superseded`, `expired`.
    pub status: String,
    /// Itemised, as the design asks: every levy, penalty and fee on its own line.
    pub lines: Vec<BillLine>,
    /// Sum of the bases.
    pub total_base_rials: i64,
    /// Sum of the penalties.
    pub total_penalty_rials: i64,
    /// What is to be paid.
    pub total_rials: i64,
    /// The date the bill was computed for (Jalali).
    pub as_of_jalali: String,
    /// Until when the bill can be paid (RFC 3339).
    pub valid_until: Option<String>,
    /// Tracking code of the payment, once paid.
    pub tracking_code: String,
    /// When it was paid (RFC 3339).
    pub paid_at: Option<String>,
    /// Objections filed to its lines, oldest first, with their outcome.
    pub disputes: Vec<Dispute>,
}

impl From<fees::BillLine> for BillLine {
    fn from(l: fees::BillLine) -> Self {
        Self {
            kind: enum_name(l.kind().as_str_name(), "BILL_ITEM_KIND_"),
            jalali_year: l.jalali_year,
            description: text(l.description),
            base_rials: l.base_rials,
            penalty_rials: l.penalty_rials,
            total_rials: l.total_rials,
            months_late: l.months_late,
        }
    }
}

/// A disputed line of a bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisputedItem {
    /// The line's position in the bill's `lines`, from 0.
    pub line_index: i32,
    /// The line as the bill states it.
    pub line: Option<BillLine>,
}

/// An objection (اعتراض) to lines of a bill. Paying the bill holds the disputed amount as a
/// deposit (note to article 74 of the Municipalities Law), whose receipt counts as
/// clearance; a clerk then upholds it (the lines are written off and the deposit refunded)
/// or dismisses it (the deposit pays the lines).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dispute {
    /// The dispute's id.
    pub dispute_id: String,
    /// The bill whose lines it disputes.
    pub bill_id: String,
    /// The parcel.
    pub renovation_code: String,
    /// The inquiry the bill belongs to.
    pub inquiry_id: String,
    /// The disputed lines.
    pub items: Vec<DisputedItem>,
    /// Sum of the disputed lines: the deposit to hold.
    pub disputed_rials: i64,
    /// The applicant's reason.
    pub reason: String,
    /// `awaiting_deposit`, `deposited`, `upheld`, `dismissed`.
    pub status: String,
    /// Who filed it and when.
    pub filed: Option<AuditStamp>,
    /// The deposit held; 0 until the bill is paid.
    pub deposit_rials: i64,
    /// The deposit's receipt code; empty until deposited.
    pub deposit_receipt_code: String,
    /// When the deposit was confirmed (RFC 3339).
    pub deposited_at: Option<String>,
    /// Who decided it and when; absent until decided.
    pub decided: Option<AuditStamp>,
    /// The clerk's reason, shown to the applicant.
    pub decision_reason: String,
}

impl From<fees::Dispute> for Dispute {
    fn from(d: fees::Dispute) -> Self {
        Self {
            status: enum_name(d.status().as_str_name(), "DISPUTE_STATUS_"),
            dispute_id: d.dispute_id,
            bill_id: d.bill_id,
            renovation_code: d.renovation_code,
            inquiry_id: d.inquiry_id,
            items: d
                .items
                .into_iter()
                .map(|i| DisputedItem {
                    line_index: i.line_index,
                    line: i.line.map(Into::into),
                })
                .collect(),
            disputed_rials: d.disputed_rials,
            reason: d.reason,
            filed: stamp(d.filed),
            deposit_rials: d.deposit_rials,
            deposit_receipt_code: d.deposit_receipt_code,
            deposited_at: instant(d.deposited_at),
            decided: stamp(d.decided),
            decision_reason: d.decision_reason,
        }
    }
}

impl From<fees::Bill> for Bill {
    fn from(b: fees::Bill) -> Self {
        Self {
            status: enum_name(b.status().as_str_name(), "BILL_STATUS_"),
            lines: b.lines.into_iter().map(Into::into).collect(),
            disputes: b.disputes.into_iter().map(Into::into).collect(),
            bill_id: b.bill_id,
            renovation_code: b.renovation_code,
            inquiry_id: b.inquiry_id,
            total_base_rials: b.total_base_rials,
            total_penalty_rials: b.total_penalty_rials,
            total_rials: b.total_rials,
            as_of_jalali: b.as_of_jalali,
            valid_until: instant(b.valid_until),
            tracking_code: b.tracking_code,
            paid_at: instant(b.paid_at),
        }
    }
}

/// A payment of a bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    /// Names the payment; the sandbox bank's pages carry it.
    pub payment_id: String,
    /// The bill paid.
    pub bill_id: String,
    /// What is paid, the bill's total when it started.
    pub amount_rials: i64,
    /// `pending`, `confirmed`, `failed`, `expired`, `reversed`.
    pub status: String,
    /// Which payment provider (`sandbox` in development and demos).
    pub provider: String,
    /// Where to send the browser to pay.
    pub redirect_url: String,
    /// Where the browser comes back afterwards.
    pub return_url: String,
    /// Tracking code, once confirmed.
    pub tracking_code: String,
    /// Why it failed.
    pub failure_reason: Option<LocalizedText>,
    /// When it started (RFC 3339).
    pub created_at: Option<String>,
    /// When it was confirmed (RFC 3339).
    pub confirmed_at: Option<String>,
}

impl From<fees::Payment> for Payment {
    fn from(p: fees::Payment) -> Self {
        Self {
            status: enum_name(p.status().as_str_name(), "PAYMENT_STATUS_"),
            payment_id: p.payment_id,
            bill_id: p.bill_id,
            amount_rials: p.amount_rials,
            provider: p.provider,
            redirect_url: p.redirect_url,
            return_url: p.return_url,
            tracking_code: p.tracking_code,
            failure_reason: p.failure_reason.map(Into::into),
            created_at: instant(p.created_at),
            confirmed_at: instant(p.confirmed_at),
        }
    }
}
