//! Submit (steps 7–9): the checks and assessment that run before the saving transaction,
//! through [`Engine::step`] like every other step. What the transaction decides (issue now
//! or wait for the payment) is in [`super::issue`].

use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::Caller;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::Engine;
use super::steps::{Outcome, StepCall};
use crate::access;
use crate::answer::{FeeFact, ParcelFact};
use crate::errors;
use crate::model::Inquiry;
use crate::request_types::{RequestTypeDef, Text};
use crate::store;
use crate::workflow::{self, Step};

impl Engine {
    /// Submits an inquiry: reads the parcel again, marks the request number used, charges
    /// the inquiry fee where the type says so and assesses the bill; with nothing owed the
    /// answer is issued in this call. A retry gets the first response with the bill as fees
    /// has it now.
    pub async fn submit(
        &self,
        caller: &Caller,
        req: pb::SubmitRequest,
    ) -> Result<pb::SubmitResponse, ServiceError> {
        let call = StepCall::new(
            caller,
            "Submit",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let done = self
            .step(call, Step::Submit, |inq, def| self.assess(inq, def))
            .await?;
        let bill = match done.fresh {
            Some(bill) => bill,
            // Answered from the record: the bill is fees', so ask fees for it, and say so
            // when fees cannot answer rather than leave the bill out.
            None if done.response.bill_id.is_empty() => None,
            None => Some(self.ports.fees.get_bill(&done.response.bill_id).await?),
        };
        Ok(pb::SubmitResponse {
            inquiry: Some(done.response),
            bill,
        })
    }

    /// Submit's checks and assessment, all before the saving transaction (they call other
    /// services): the inquiry comes back assessed, or rejected when the applicant no longer
    /// owns the parcel.
    async fn assess(
        &self,
        inq: Inquiry,
        def: RequestTypeDef,
    ) -> Result<(Outcome, Option<fpb::Bill>), ServiceError> {
        let renovation = inq.renovation_code().to_owned();
        let parcel = self
            .ports
            .property
            .get_parcel(&renovation)
            .await?
            .ok_or_else(errors::parcel_gone)?;
        // The parcel changed hands since step 6: refuse after submission, with the reason.
        if def.check_ownership
            && let Some(applicant) = &inq.applicant
            && !parcel.ownership.as_ref().is_some_and(|o| {
                o.owners
                    .iter()
                    .any(|w| w.national_code == applicant.national_code)
            })
        {
            return Ok((Outcome::Rejected(inq, workflow::ownership_changed()), None));
        }
        if def.check_request_number
            && let Some(p) = &inq.property
            && !p.request_number.is_empty()
        {
            self.ports
                .property
                .mark_request_number_used(&renovation, &p.request_number, &inq.id)
                .await?;
        }
        let fee_kind = fpb::BillItemKind::InquiryFee as i32;
        let mut kinds: Vec<i32> = def.fee_items.clone();
        if !def.check_debt {
            kinds.retain(|k| *k == fee_kind);
        }
        if def.repeat_free_within_validity {
            let mut conn = self.conn().await?;
            if store::has_valid_answer(&mut conn, &renovation, &def.code, now_micros()).await? {
                kinds.retain(|k| *k != fee_kind);
            }
        }
        // An inquiry fee settled on account goes to the account of the organisation that
        // itself filed the inquiry, never to one merely named in the letter: a citizen who
        // names an office did not act for it, so their own bill carries the fee instead.
        let authority_fee = match access::fee_payer(&inq, &def) {
            Some(account) if kinds.contains(&fee_kind) => {
                kinds.retain(|k| *k != fee_kind);
                self.charge_authority(&inq, &def, account).await?
            }
            _ => None,
        };
        let bill = if kinds.is_empty() {
            None
        } else {
            Some(self.assess_bill(&inq, &def, kinds).await?)
        };

        let mut next = inq;
        next.parcel_snapshot = Some(ParcelFact::from_parcel(&parcel));
        next.authority_fee = authority_fee;
        if let Some(b) = &bill {
            next.bill_id = b.bill_id.clone();
            next.amount_due_rials = b.total_rials.max(0);
            next.bill_lines = b
                .lines
                .iter()
                .map(|l| FeeFact {
                    kind: fpb::BillItemKind::try_from(l.kind)
                        .unwrap_or_default()
                        .as_str_name()
                        .to_owned(),
                    jalali_year: l.jalali_year,
                    description: Text::from_proto(l.description.as_ref()),
                    amount_rials: l.total_rials,
                })
                .collect();
        }
        Ok((Outcome::Assessed(next), bill))
    }

    /// Charges the inquiry fee to the authority's account (fees charges once per inquiry);
    /// returns the account and the fee as the answer will state it, or `None` for a fee of
    /// nothing, which a tariff may set and which is not worth a line on the answer.
    async fn charge_authority(
        &self,
        inq: &Inquiry,
        def: &RequestTypeDef,
        authority: &str,
    ) -> Result<Option<(String, FeeFact)>, ServiceError> {
        let charge = self
            .ports
            .fees
            .charge_account(fpb::ChargeAccountRequest {
                account_id: authority.to_owned(),
                inquiry_id: inq.id.clone(),
                request_type_code: def.code.clone(),
                renovation_code: inq.renovation_code().to_owned(),
            })
            .await?;
        Ok((charge.amount_rials != 0).then(|| {
            (
                charge.account_id.clone(),
                FeeFact {
                    kind: fpb::BillItemKind::InquiryFee.as_str_name().to_owned(),
                    jalali_year: 0,
                    description: Text::from_proto(charge.description.as_ref()),
                    amount_rials: charge.amount_rials,
                },
            )
        }))
    }

    /// Asks fees for the bill of `kinds` on the parcel. The key names the inquiry and the
    /// version submitted, so a retried (or concurrent) Submit gets the same bill rather than
    /// a second one.
    async fn assess_bill(
        &self,
        inq: &Inquiry,
        def: &RequestTypeDef,
        kinds: Vec<i32>,
    ) -> Result<fpb::Bill, ServiceError> {
        let includes_fee = kinds.contains(&(fpb::BillItemKind::InquiryFee as i32));
        let assessed = self
            .ports
            .fees
            .assess(fpb::AssessRequest {
                renovation_code: inq.renovation_code().to_owned(),
                as_of: None,
                request_type_code: if includes_fee {
                    def.code.clone()
                } else {
                    String::new()
                },
                inquiry_id: inq.id.clone(),
                preview: false,
                client_request_id: format!("inquiry:{}:v{}", inq.id, inq.version),
                item_kinds: kinds,
            })
            .await?;
        assessed
            .bill
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("fees returned no bill")))
    }
}
