//! Issuing the answer, always inside the transaction that decides it: Submit's (nothing
//! owed, or the payment already recorded), the `fees.debt.cleared` handler's, or the
//! recovery sweep's. Everything the answer states was read at Submit, so issuing needs no
//! other service and a payment issues in milliseconds.

use estelam_domain::{CheckCode, CodeKind};
use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::bus::Event;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Engine, system_stamp};
use crate::answer::{self, Facts};
use crate::dates;
use crate::events;
use crate::metrics;
use crate::model::{Inquiry, Stamp};
use crate::request_types::RequestTypeDef;
use crate::store::{self, AnswerRow, DebtClearedRecord};
use crate::workflow::{self, State};

impl Engine {
    /// Submit's decision, inside its saving transaction (which holds the row lock): with
    /// nothing owed the answer is issued now; otherwise the inquiry waits for the payment,
    /// unless its clearance is already recorded (the event overtook Submit), in which case
    /// it is issued now too. Returns the events to enqueue.
    pub(super) async fn settle(
        &self,
        conn: &mut AnyConnection,
        inq: &mut Inquiry,
        def: &RequestTypeDef,
        by: &Stamp,
    ) -> Result<Vec<Event>, ServiceError> {
        if workflow::after_assessment(inq.amount_due_rials) == State::Issued {
            return Ok(vec![self.issue(conn, inq, def, None, by).await?]);
        }
        inq.transition(State::AwaitingPayment, by, None);
        inq.expires_at_us = Some(by.at_us + self.unfinished_validity_us());
        match store::debt_cleared(conn, &inq.bill_id).await? {
            Some(paid) => Ok(vec![
                self.issue(conn, inq, def, Some(&paid), &system_stamp())
                    .await?,
            ]),
            None => Ok(vec![events::awaiting_payment(inq, by.at_us)]),
        }
    }

    /// Applies a debt clearance inside the caller's transaction (the inbox consumer's, or
    /// the recovery sweep's): records it once per bill, and issues the answer when the
    /// inquiry is waiting for exactly this bill. Returns the issued inquiry, if any.
    pub async fn apply_debt_cleared(
        &self,
        conn: &mut AnyConnection,
        record: &DebtClearedRecord,
    ) -> Result<Option<Inquiry>, ServiceError> {
        store::record_debt_cleared(conn, record).await?;
        if record.inquiry_id.is_empty() {
            return Ok(None);
        }
        // Lock first, then read: Submit holds the same lock while it decides.
        store::lock_inquiry(conn, &record.inquiry_id).await?;
        let Some(mut inq) = store::inquiry(conn, &record.inquiry_id).await? else {
            return Ok(None);
        };
        if !workflow::may_issue_on_payment(inq.state) || inq.bill_id != record.bill_id {
            return Ok(None);
        }
        let paid = store::debt_cleared(conn, &record.bill_id)
            .await?
            .unwrap_or_else(|| record.clone());
        let def = self.type_version(conn, &inq).await?;
        let expected = inq.version;
        let event = self
            .issue(conn, &mut inq, &def, Some(&paid), &system_stamp())
            .await?;
        inq.version += 1;
        if !store::update_inquiry_recorded(conn, &inq, expected, None).await? {
            return Err(ServiceError::conflict());
        }
        self.publish(conn, &event).await?;
        // A batch item that waited for this bill is issued with it.
        if let Some(settled) = self.follow_batch_item(conn, &inq).await? {
            self.publish(conn, &settled).await?;
        }
        Ok(Some(inq))
    }

    /// What follows the commit of a transaction that issued an answer: the relay sends the
    /// event now rather than at its next poll, and the submit → issue time is measured.
    pub fn after_issue(&self, inq: &Inquiry) {
        self.wake_relay();
        metrics::observe_issue(inq);
    }

    /// Signs and stores the answer of `inq`, moves it to Issued, and returns the
    /// `inquiry.answer.issued` event to enqueue in the same transaction.
    async fn issue(
        &self,
        conn: &mut AnyConnection,
        inq: &mut Inquiry,
        def: &RequestTypeDef,
        paid: Option<&DebtClearedRecord>,
        by: &Stamp,
    ) -> Result<Event, ServiceError> {
        let keys = store::signing_keys(conn, &self.seal).await?;
        let key = keys
            .into_iter()
            .find(|k| k.retired_at_us.is_none())
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no answer-signing key")))?;
        let code = CheckCode::generate_random(CodeKind::Verification, &mut rand::rng());
        let issued_s = by.at_us.div_euclid(1_000_000);
        let valid_s = issued_s + i64::from(def.answer_validity_days) * 86_400;
        if let Some(p) = paid {
            inq.payment_id = p.payment_id.clone();
            inq.tracking_code = p.tracking_code.clone();
            inq.amount_paid_rials = p.amount_rials;
        }
        let mut stated = facts(inq, def, paid.is_some(), issued_s, valid_s);
        stated.disputes = paid.map(|p| p.disputes.clone()).unwrap_or_default();
        let payload = stated.canonical_bytes();
        let signature = key.sign(&payload);
        let row = AnswerRow {
            inquiry_id: inq.id.clone(),
            inquiry_number: inq.number.clone(),
            verification_code: code.as_str().to_owned(),
            request_type_code: def.code.clone(),
            renovation_code: inq.renovation_code().to_owned(),
            applicant_account_id: inq.applicant_account_id.clone(),
            organization_id: inq.filed_by_organization_id.clone(),
            signed_payload: payload,
            signature: signature.to_vec(),
            signing_key_id: key.kid.clone(),
            issued_at_us: issued_s * 1_000_000,
            valid_until_us: valid_s * 1_000_000,
            revoked_reason: None,
            revoked_by: None,
            revoked_at_us: None,
        };
        if !store::insert_answer(conn, &row).await? {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "inquiry {} already has an answer",
                inq.id
            )));
        }
        inq.verification_code = row.verification_code.clone();
        inq.issued_at_us = Some(by.at_us);
        inq.expires_at_us = Some(row.valid_until_us);
        inq.transition(State::Issued, by, None);
        Ok(events::answer_issued(inq, &def.code, &row))
    }
}

/// What the answer of `inq` states. The parcel facts, owners and debt were read at Submit
/// (`facts_checked_at`); an answer issued later, after a payment, says so.
fn facts(inq: &Inquiry, def: &RequestTypeDef, paid: bool, issued_s: i64, valid_s: i64) -> Facts {
    let checked_s = inq.submitted_at_us.map(|us| us.div_euclid(1_000_000));
    // A bill of the inquiry fee alone (an applicant who filed themselves, on a parcel that
    // owed nothing) clears no debt: the parcel's status is still "none owed".
    let paid_debt = paid
        && inq
            .bill_lines
            .iter()
            .any(|l| l.kind != fpb::BillItemKind::InquiryFee.as_str_name() && l.amount_rials != 0);
    let debt_status = if !def.check_debt {
        pb::DebtStatus::NotChecked
    } else if paid_debt {
        pb::DebtStatus::Cleared
    } else {
        pb::DebtStatus::None
    };
    let letter = inq.letter.as_ref();
    let applicant = inq.applicant.as_ref();
    Facts {
        format: answer::FORMAT.into(),
        inquiry_number: inq.number.clone(),
        request_type_code: def.code.clone(),
        request_type_name: def.name.clone(),
        parcel: inq.parcel_snapshot.clone().unwrap_or_default(),
        applicant_full_name: applicant.map(|a| a.full_name.clone()).unwrap_or_default(),
        applicant_national_code: applicant
            .map(|a| a.national_code.clone())
            .unwrap_or_default(),
        debt_status: debt_status.as_str_name().to_owned(),
        tracking_code: inq.tracking_code.clone(),
        amount_paid_rials: inq.amount_paid_rials,
        fees_paid: if paid {
            inq.bill_lines.clone()
        } else {
            Vec::new()
        },
        // An organisation that filed is the inquiring authority (its users can name only
        // it in the letter); when the applicant filed, the letter's office is whom the
        // answer is addressed to, and `inquired_by` says the applicant asked.
        authority_organization_id: if inq.filed_by_organization_id.is_empty() {
            letter
                .map(|l| l.organization_id.clone())
                .unwrap_or_default()
        } else {
            inq.filed_by_organization_id.clone()
        },
        authority_name: letter
            .map(|l| l.organization_name.clone())
            .unwrap_or_default(),
        letter_number: letter.map(|l| l.letter_number.clone()).unwrap_or_default(),
        letter_date_jalali: letter
            .map(|l| l.letter_date_jalali.clone())
            .unwrap_or_default(),
        issued_at: dates::rfc3339_seconds(issued_s),
        issued_at_jalali: dates::jalali_date_time(issued_s),
        valid_until: dates::rfc3339_seconds(valid_s),
        valid_until_jalali: dates::jalali_date(valid_s),
        fees_charged_to_authority: inq
            .authority_fee
            .iter()
            .map(|(_, fee)| fee.clone())
            .collect(),
        facts_checked_at: checked_s.map(dates::rfc3339_seconds).unwrap_or_default(),
        facts_checked_at_jalali: checked_s.map(dates::jalali_date_time).unwrap_or_default(),
        inquired_by: if inq.filed_by_organization_id.is_empty() {
            pb::InquiredBy::Applicant
        } else {
            pb::InquiredBy::Authority
        }
        .as_str_name()
        .to_owned(),
        representative_full_name: approved_representative(applicant)
            .map(|r| r.representative_full_name.clone())
            .unwrap_or_default(),
        representative_national_code: approved_representative(applicant)
            .map(|r| r.representative_national_code.clone())
            .unwrap_or_default(),
        // The words of the version the inquiry was filed under, cleaned when published.
        answer_title: def.answer_title.clone(),
        answer_statements: def.answer_statements.clone(),
        disputes: Vec::new(),
    }
}

/// The representative who filed for the applicant, once a clerk approved them.
fn approved_representative(
    applicant: Option<&crate::model::ApplicantStep>,
) -> Option<&crate::representation::Representation> {
    applicant
        .and_then(|a| a.representation.as_ref())
        .filter(|r| r.is_approved())
}
