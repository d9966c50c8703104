//! Cancelling an inquiry before it is finished: the applicant or filer, or a clerk. A fee
//! charged to the filing organisation's account is reversed.

use estelam_domain::clean_text;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::Caller;
use estelam_runtime::error::ServiceError;

use super::idempotency::Idempotency;
use super::save::Then;
use super::{Engine, stamp_of};
use crate::access::may_act;
use crate::errors;
use crate::workflow::{self, Refusal, State};

impl Engine {
    /// Cancels an unfinished inquiry, keeping the caller's reason (or "on request") for
    /// whoever sees it stop. Replay → load → check → save, as every write.
    pub async fn cancel(
        &self,
        caller: &Caller,
        req: pb::CancelInquiryRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let idem = Idempotency::new(caller, "CancelInquiry", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let reason = clean_text(errors::CANCELLATION_REASON, &req.reason)
                    .map_err(errors::text_refused)?;
                let mut inq = self.load_visible(caller, &req.inquiry_id).await?;
                if !(may_act(caller, &inq) || caller.is_staff()) {
                    return Err(ServiceError::permission_denied());
                }
                if req.expected_version != inq.version {
                    return Err(ServiceError::conflict());
                }
                if !workflow::may_cancel(inq.state) {
                    return Err(errors::refused(&Refusal::NotEditable(inq.state)));
                }
                // The fee went on the filing organisation's account at submission; a
                // cancelled inquiry gets no answer, so the office does not pay for it. The
                // reversal comes first and is idempotent: if fees cannot be reached the
                // cancellation fails and is retried whole, rather than leaving a
                // cancelled inquiry charged.
                if inq.authority_fee.is_some() {
                    self.ports.fees.reverse_account_charge(&inq.id).await?;
                }
                inq.transition(
                    State::Cancelled,
                    &stamp_of(caller),
                    Some(workflow::cancelled_because(&reason)),
                );
                let out = self
                    .save(&first, inq, Then::Nothing, |i| Ok(i.to_proto()))
                    .await?;
                Ok((out, ()))
            })
            .await?;
        Ok(done.response)
    }
}
