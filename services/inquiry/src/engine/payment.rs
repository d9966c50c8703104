//! The bill and its payment. Fees owns both; the engine checks that the caller may see
//! (or pay for) the inquiry and asks fees.

use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::Caller;
use estelam_runtime::error::ServiceError;

use super::Engine;
use crate::access::may_act;
use crate::errors;
use crate::workflow::State;

impl Engine {
    /// The bill assessed at Submit, as fees has it now (paid or not).
    pub async fn get_bill(&self, caller: &Caller, id: &str) -> Result<fpb::Bill, ServiceError> {
        let inq = self.load_visible(caller, id).await?;
        if inq.bill_id.is_empty() {
            return Err(errors::bill_missing());
        }
        self.ports.fees.get_bill(&inq.bill_id).await
    }

    /// Starts paying the bill of an inquiry waiting for payment. The payment's key is
    /// derived from the inquiry (and the caller's `client_request_id`), so a retry resumes
    /// the same payment at fees instead of charging twice.
    pub async fn start_payment(
        &self,
        caller: &Caller,
        req: pb::StartPaymentRequest,
    ) -> Result<fpb::Payment, ServiceError> {
        let inq = self.load_visible(caller, &req.inquiry_id).await?;
        if !may_act(caller, &inq) {
            return Err(ServiceError::permission_denied());
        }
        if req.expected_version != 0 && req.expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        if inq.state != State::AwaitingPayment {
            return Err(errors::inquiry_not_awaiting_payment());
        }
        let key = if req.client_request_id.is_empty() {
            format!("inquiry:{}:pay", inq.id)
        } else {
            format!("inquiry:{}:{}", inq.id, req.client_request_id)
        };
        self.ports
            .fees
            .start_payment(fpb::StartPaymentRequest {
                bill_id: inq.bill_id.clone(),
                idempotency_key: key,
                return_url: return_url_or_page(req.return_url, &inq.id),
                amount_rials: inq.amount_due_rials,
            })
            .await
    }

    /// Files an objection to lines of the bill of an inquiry waiting for payment, for the
    /// caller who may act on it (the applicant, a representative, staff at the counter);
    /// fees checks the lines and the reason, and that the bill is this inquiry's.
    pub async fn dispute_bill(
        &self,
        caller: &Caller,
        req: pb::DisputeBillRequest,
    ) -> Result<fpb::Dispute, ServiceError> {
        let inq = self.load_visible(caller, &req.inquiry_id).await?;
        if !may_act(caller, &inq) {
            return Err(ServiceError::permission_denied());
        }
        if inq.state != State::AwaitingPayment || inq.bill_id.is_empty() {
            return Err(errors::inquiry_not_awaiting_payment());
        }
        self.ports
            .fees
            .file_dispute(fpb::FileDisputeRequest {
                bill_id: inq.bill_id.clone(),
                inquiry_id: inq.id.clone(),
                line_indexes: req.line_indexes,
                reason: req.reason,
                filed_for_account_id: caller.subject.clone(),
            })
            .await
    }
}

/// The caller's return URL, or the inquiry's own page on the portal when there is none:
/// fees resolves the path against the portal's public address and refuses anything that
/// leads off it.
fn return_url_or_page(return_url: String, inquiry_id: &str) -> String {
    if return_url.is_empty() {
        format!("/inquiries/{inquiry_id}")
    } else {
        return_url
    }
}
