//! Acting for an owner: the representation a representative claims at the applicant step
//! (checked here, recorded by [`Engine::step`]) and the clerk's decision on it
//! ([`Engine::decide_representation`]). The rules are in [`crate::representation`]; the
//! owner's notice leaves through the outbox in the transaction that files or decides.

use estelam_domain::{NationalCode, clean_text};
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::error::ServiceError;

use super::Engine;
use super::idempotency::Idempotency;
use super::save::Then;
use crate::errors;
use crate::events;
use crate::metrics;
use crate::model::Inquiry;
use crate::representation::{self, Representation, Status};
use crate::workflow::{self, State};

impl Engine {
    /// Checks what a representative claims at the applicant step and returns the owner's
    /// national code (the applicant's, checked against the parcel's owners next) with the
    /// pending representation. Only a citizen's own inquiry: an office files for a citizen
    /// with their consent instead. The representative is the person logged in (national
    /// code from the token); the power of attorney is their own upload of that kind.
    pub(crate) async fn representation_claim(
        &self,
        caller: &Caller,
        inq: &Inquiry,
        claim: &pb::RepresentationClaim,
        owner_typed: &str,
    ) -> Result<(NationalCode, Representation), ServiceError> {
        if !caller.has(Role::Citizen)
            || !inq.filed_by_organization_id.is_empty()
            || !inq.consented_national_code.is_empty()
        {
            return Err(errors::representative_role_not_allowed());
        }
        let own = caller
            .national_code
            .as_deref()
            .and_then(|nc| NationalCode::parse(nc).ok())
            .ok_or_else(errors::caller_national_code_absent)?;
        let owner = NationalCode::parse(owner_typed.trim())
            .map_err(|e| errors::national_code_invalid("national_code", &e))?;
        if owner == own {
            return Err(errors::representative_is_owner());
        }
        let name = clean_text(errors::REPRESENTATIVE_NAME, &claim.representative_full_name)
            .map_err(errors::text_refused)?;
        if name.is_empty() || name.chars().count() > 200 {
            return Err(errors::representative_name_required());
        }
        let poa_id = claim.power_of_attorney_document_id.trim();
        if poa_id.is_empty() {
            return Err(errors::power_of_attorney_required());
        }
        // Only the representative's own upload: a document id alone grants nothing.
        let doc = self
            .ports
            .documents
            .get_document_info(poa_id)
            .await?
            .filter(|d| d.owner_account_id == inq.applicant_account_id)
            .ok_or_else(|| errors::document_not_found(poa_id))?;
        if doc.kind != DocumentKind::PowerOfAttorney as i32 {
            return Err(errors::power_of_attorney_kind_wrong());
        }
        let representation = Representation {
            representative_account_id: caller.subject.clone(),
            representative_national_code: own.as_str().to_owned(),
            representative_full_name: name,
            power_of_attorney_document_id: doc.document_id.clone(),
            status: Status::Pending,
            reason: String::new(),
            decided: None,
        };
        Ok((owner, representation))
    }

    /// A clerk approves or refuses the representation of an inquiry waiting for it.
    /// Approved, the inquiry is the owner's and goes on (APPLICANT_VERIFIED, the
    /// representative submits); refused, it is rejected with the clerk's reason, which the
    /// representative sees on the inquiry. The owner is told either way (outbox → identity's
    /// SMS). Replay → load → check → save, as every write.
    pub async fn decide_representation(
        &self,
        caller: &Caller,
        req: pb::DecideRepresentationRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let idem = Idempotency::new(caller, "DecideRepresentation", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let reason = clean_text(errors::REPRESENTATION_REASON, &req.reason)
                    .map_err(errors::text_refused)?;
                if representation::refusal_needs_reason(req.approve, &reason) {
                    return Err(errors::representation_reason_required());
                }
                let mut inq = self.load_visible(caller, &req.inquiry_id).await?;
                if req.expected_version != inq.version {
                    return Err(ServiceError::conflict());
                }
                if !workflow::may_decide_representation(inq.state) {
                    return Err(errors::representation_not_pending());
                }
                let by = self.clerk_stamp(caller).await?;
                let entered_at_us = inq
                    .applicant
                    .as_ref()
                    .map_or(inq.updated_at_us, |a| a.recorded.at_us);
                let rep = inq
                    .applicant
                    .as_mut()
                    .and_then(|a| a.representation.as_mut())
                    .ok_or_else(errors::representation_not_pending)?;
                rep.decide(req.approve, &reason, &by);
                let rep = rep.clone();
                if req.approve {
                    inq.transition(State::ApplicantVerified, &by, None);
                } else {
                    inq.transition(
                        State::Rejected,
                        &by,
                        Some(workflow::representation_refused(&reason)),
                    );
                }
                let notice = events::representation_changed(&inq, &rep, by.at_us);
                let out = self
                    .save(
                        &first,
                        inq,
                        Then::Events(vec![notice]),
                        |i| Ok(i.to_proto()),
                    )
                    .await?;
                metrics::observe_review_wait(
                    pb::ReviewKind::Representation.as_str_name(),
                    by.at_us - entered_at_us,
                );
                Ok((out, ()))
            })
            .await?;
        Ok(done.response)
    }
}
