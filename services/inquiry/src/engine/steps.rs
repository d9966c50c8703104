//! The steps of an inquiry (3 to 6, and Submit) and [`Engine::step`], the one way to write
//! a step: replay → load → validate → save, in that order, whatever the step.
//!
//! A step is a plain function from the loaded inquiry (and its request type) to an
//! [`Outcome`]; everything around it (idempotency, visibility, permission, version, state
//! machine, the state change, the save) is the combinator's, so a new step cannot forget
//! any of it.

use std::future::Future;
use std::time::SystemTime;

use estelam_domain::{CheckCode, CodeKind, JalaliDate, NationalCode, RenovationCode, clean_text};
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::error::ServiceError;

use super::idempotency::{Answered, Idempotency};
use super::save::Then;
use super::{Engine, stamp_of, system_stamp, visible};
use crate::access::may_act;
use crate::answer::Share;
use crate::errors;
use crate::events;
use crate::model::{
    ApplicantStep, Attached, DocumentsStep, Inquiry, LetterStep, PropertyStep, UndertakingsStep,
};
use crate::request_types::{RequestTypeDef, Text};
use crate::review::Kind;
use crate::workflow::{self, State, Step};

/// Most documents one inquiry may hold.
const MAX_DOCUMENTS: usize = 20;

/// The call a step was asked for: who, which inquiry at which version, under which retry
/// key. The method name keeps the retry keys of different steps apart.
pub(crate) struct StepCall<'a> {
    caller: &'a Caller,
    method: &'static str,
    inquiry_id: &'a str,
    expected_version: i64,
    client_request_id: &'a str,
}

impl<'a> StepCall<'a> {
    pub(crate) fn new(
        caller: &'a Caller,
        method: &'static str,
        inquiry_id: &'a str,
        expected_version: i64,
        client_request_id: &'a str,
    ) -> Self {
        Self {
            caller,
            method,
            inquiry_id,
            expected_version,
            client_request_id,
        }
    }
}

/// What a step decided about the inquiry it was given.
pub(crate) enum Outcome {
    /// A data-entry step filled in its data: the inquiry moves to the step's state (back to
    /// it, when the step was redone, forgetting the later steps).
    Recorded(Inquiry),
    /// Submit assessed the bill (its data set on the inquiry): the saving transaction
    /// issues the answer or waits for the payment.
    Assessed(Inquiry),
    /// Submit found that the inquiry cannot go on; it is rejected, saying why.
    Rejected(Inquiry, Text),
    /// A representative named the owner at the applicant step: the step's data is kept,
    /// and the inquiry waits for a clerk to approve the power of attorney; the owner is
    /// told through the outbox in the same transaction.
    AwaitsRepresentation(Inquiry),
    /// The applicant's name or ownership type differs from the parcel's record: the step's
    /// data and the review ([`crate::review`]) are kept, and the inquiry waits in the
    /// clerks' queue.
    AwaitsReview(Inquiry),
}

impl Engine {
    /// Runs `step` for `call`: a retry gets the first response; otherwise the inquiry is
    /// loaded for the caller in the same round trip as the replay
    /// ([`Engine::once_on`], [`Engine::load_for_step`]), `validate` decides the
    /// [`Outcome`] (calling other services as it needs, outside any transaction), and the
    /// result is saved. `validate` may hand back something beside the outcome (Submit's
    /// bill), which the caller gets in [`Answered::fresh`] when the step ran now.
    pub(crate) async fn step<X, V, Fut>(
        &self,
        call: StepCall<'_>,
        step: Step,
        validate: V,
    ) -> Result<Answered<pb::Inquiry, X>, ServiceError>
    where
        V: FnOnce(Inquiry, RequestTypeDef) -> Fut,
        Fut: Future<Output = Result<(Outcome, X), ServiceError>>,
    {
        let idem = Idempotency::new(call.caller, call.method, call.client_request_id);
        self.once_on(&idem, call.inquiry_id.trim(), |first, read| async move {
            let (inq, def) = self
                .load_for_step(call.caller, read, call.expected_version, step)
                .await?;
            let (outcome, extra) = validate(inq, def.clone()).await?;
            let by = stamp_of(call.caller);
            let (inq, then) = match outcome {
                Outcome::Recorded(mut inq) => {
                    let target = step.reaches();
                    let why = workflow::is_correction(inq.state, step)
                        .then(|| workflow::step_redone(step));
                    inq.clear_after(target);
                    inq.transition(target, &by, why);
                    (inq, Then::Nothing)
                }
                Outcome::Assessed(mut inq) => {
                    inq.submitted_at_us = Some(by.at_us);
                    inq.transition(step.reaches(), &by, None);
                    (inq, Then::Settle { def: &def, by: &by })
                }
                Outcome::Rejected(mut inq, why) => {
                    inq.transition(State::Rejected, &system_stamp(), Some(why));
                    (inq, Then::Nothing)
                }
                Outcome::AwaitsRepresentation(mut inq) => {
                    let why = workflow::is_correction(inq.state, step)
                        .then(|| workflow::step_redone(step));
                    inq.clear_after(step.reaches());
                    inq.transition(State::AwaitingRepresentation, &by, why);
                    let notice = inq
                        .applicant
                        .as_ref()
                        .and_then(|a| a.representation.as_ref())
                        .map(|r| events::representation_changed(&inq, r, by.at_us));
                    (inq, Then::Events(notice.into_iter().collect()))
                }
                Outcome::AwaitsReview(mut inq) => {
                    let why = workflow::is_correction(inq.state, step)
                        .then(|| workflow::step_redone(step));
                    inq.clear_after(step.reaches());
                    inq.transition(State::AwaitingReview, &by, why);
                    // A representative's filing: the owner is told it was filed in their
                    // name, whichever queue it waits in.
                    let notice = inq
                        .applicant
                        .as_ref()
                        .and_then(|a| a.representation.as_ref())
                        .map(|r| events::representation_changed(&inq, r, by.at_us));
                    (inq, Then::Events(notice.into_iter().collect()))
                }
            };
            let response = self.save(&first, inq, then, |i| Ok(i.to_proto())).await?;
            Ok((response, extra))
        })
        .await
    }

    /// Checks the inquiry as read for `step`: visible to the caller (else NotFound), theirs
    /// to act on, still at `expected_version`, and at a state where the step may be taken.
    async fn load_for_step(
        &self,
        caller: &Caller,
        read: Option<Inquiry>,
        expected_version: i64,
        step: Step,
    ) -> Result<(Inquiry, RequestTypeDef), ServiceError> {
        let inq = visible(caller, read)?;
        if !may_act(caller, &inq) {
            return Err(ServiceError::permission_denied());
        }
        if expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        let def = self.type_version_of(&inq).await?;
        workflow::take(inq.state, step, def.letter_required).map_err(|r| errors::refused(&r))?;
        Ok((inq, def))
    }

    /// Step 3: the applicant accepts every current undertaking of the request type.
    pub async fn accept_undertakings(
        &self,
        caller: &Caller,
        req: pb::AcceptUndertakingsRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let call = StepCall::new(
            caller,
            "AcceptUndertakings",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let ids = &req.undertaking_version_ids;
        let done = self
            .step(call, Step::AcceptUndertakings, |inq, def| async move {
                Ok((undertakings(caller, inq, &def, ids)?, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// Step 4: the property, by renovation code or a point on the map, and the request
    /// number the municipality issued for it, both checked with property.
    pub async fn set_property(
        &self,
        caller: &Caller,
        req: pb::SetPropertyRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let call = StepCall::new(
            caller,
            "SetProperty",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let r = &req;
        let done = self
            .step(call, Step::SetProperty, |inq, def| async move {
                Ok((self.property(caller, inq, &def, r).await?, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// Step 5a: the inquiring authority's letter.
    pub async fn set_letter(
        &self,
        caller: &Caller,
        req: pb::SetLetterRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let call = StepCall::new(
            caller,
            "SetLetter",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let r = &req;
        let done = self
            .step(call, Step::SetLetter, |inq, _def| async move {
                Ok((self.letter(caller, inq, r).await?, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// Step 5b: the applicant's uploaded documents, covering what the type requires.
    pub async fn attach_documents(
        &self,
        caller: &Caller,
        req: pb::AttachDocumentsRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let call = StepCall::new(
            caller,
            "AttachDocuments",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let ids = &req.document_ids;
        let done = self
            .step(call, Step::AttachDocuments, |inq, def| async move {
                Ok((self.documents(caller, inq, &def, ids).await?, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// Step 6: the applicant and the ownership type, checked against the parcel's owners.
    pub async fn set_applicant(
        &self,
        caller: &Caller,
        req: pb::SetApplicantRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        let call = StepCall::new(
            caller,
            "SetApplicant",
            &req.inquiry_id,
            req.expected_version,
            &req.client_request_id,
        );
        let r = &req;
        let done = self
            .step(call, Step::SetApplicant, |inq, def| async move {
                Ok((self.applicant(caller, inq, &def, r).await?, ()))
            })
            .await?;
        Ok(done.response)
    }

    async fn property(
        &self,
        caller: &Caller,
        mut inq: Inquiry,
        def: &RequestTypeDef,
        req: &pb::SetPropertyRequest,
    ) -> Result<Outcome, ServiceError> {
        use pb::set_property_request::Location;
        let (parcel, picked) = match &req.location {
            Some(Location::RenovationCode(code)) => {
                let code =
                    RenovationCode::parse(code).map_err(|e| errors::renovation_code_invalid(&e))?;
                let parcel = self
                    .ports
                    .property
                    .get_parcel(&code.to_string())
                    .await?
                    .ok_or_else(errors::parcel_not_found)?;
                (parcel, None)
            }
            Some(Location::PickedPoint(p)) => {
                if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
                    return Err(errors::point_out_of_range());
                }
                let parcel = self
                    .ports
                    .property
                    .pick_at(*p)
                    .await?
                    .ok_or_else(errors::point_outside_parcels)?;
                (parcel, Some((p.lat, p.lon)))
            }
            None => return Err(errors::property_required()),
        };
        let mut request_number = String::new();
        if def.check_request_number {
            let number = CheckCode::parse(CodeKind::Request, &req.request_number)
                .map_err(|e| errors::request_number_invalid(&e))?;
            let verdict = self
                .ports
                .property
                .verify_request_number(&parcel.renovation_code, number.as_str())
                .await?;
            let status = ppb::RequestNumberStatus::try_from(verdict.status)
                .unwrap_or(ppb::RequestNumberStatus::Unspecified);
            if status != ppb::RequestNumberStatus::Valid {
                let detail = verdict.reason.unwrap_or_default();
                return Err(errors::request_number_refused(
                    status, &detail.fa, &detail.en,
                ));
            }
            request_number = number.as_str().to_owned();
        }
        inq.property = Some(PropertyStep {
            renovation_code: parcel.renovation_code.clone(),
            request_number,
            picked,
            address: parcel.address.clone(),
            recorded: stamp_of(caller),
        });
        Ok(Outcome::Recorded(inq))
    }

    async fn letter(
        &self,
        caller: &Caller,
        mut inq: Inquiry,
        req: &pb::SetLetterRequest,
    ) -> Result<Outcome, ServiceError> {
        let number =
            clean_text(errors::LETTER_NUMBER, &req.letter_number).map_err(errors::text_refused)?;
        let number = estelam_domain::normalize_digits(&number);
        if number.is_empty() || number.chars().count() > 64 {
            return Err(errors::letter_number_required());
        }
        let date = JalaliDate::parse(&req.letter_date_jalali)
            .map_err(|e| errors::letter_date_invalid(&e))?;
        let today = JalaliDate::today_in_iran(SystemTime::now()).map_err(ServiceError::internal)?;
        if date > today {
            return Err(errors::letter_date_in_future(
                &date.to_string(),
                &today.to_string(),
            ));
        }
        let mut org_id = req.authority_organization_id.trim().to_owned();
        if org_id.is_empty() {
            org_id = inq.filed_by_organization_id.clone();
        }
        if org_id.is_empty() {
            return Err(errors::authority_required());
        }
        // The named organisation's account pays the inquiry fee and the answer names it as
        // the inquirer: an authority's user speaks for their own organisation only.
        if caller.has(Role::Authority) && caller.organization.as_deref() != Some(org_id.as_str()) {
            return Err(errors::authority_not_own_organization());
        }
        let org = self
            .ports
            .identity
            .get_organization(&org_id)
            .await?
            .filter(|o| o.active)
            .ok_or_else(errors::authority_not_found)?;
        inq.letter = Some(LetterStep {
            letter_number: number,
            letter_date_jalali: date.to_string(),
            organization_id: org.organization_id.clone(),
            organization_name: Text::from_proto(org.name.as_ref()),
            recorded: stamp_of(caller),
        });
        Ok(Outcome::Recorded(inq))
    }

    async fn documents(
        &self,
        caller: &Caller,
        mut inq: Inquiry,
        def: &RequestTypeDef,
        document_ids: &[String],
    ) -> Result<Outcome, ServiceError> {
        let mut ids: Vec<String> = Vec::new();
        for id in document_ids {
            let id = id.trim().to_owned();
            if !id.is_empty() && !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() > MAX_DOCUMENTS {
            return Err(errors::documents_too_many(MAX_DOCUMENTS));
        }
        let mut attached = Vec::new();
        for id in &ids {
            let doc = self.ports.documents.get_document_info(id).await?;
            // Only the applicant's own uploads: a document id alone grants nothing. One an
            // office uploaded for the applicant names the inquiry it is for, and only that
            // inquiry takes it.
            let doc = doc
                .filter(|d| {
                    d.owner_account_id == inq.applicant_account_id
                        && (d.inquiry_id.is_empty() || d.inquiry_id == inq.id)
                })
                .ok_or_else(|| errors::document_not_found(id))?;
            attached.push(Attached {
                document_id: doc.document_id.clone(),
                kind: doc.kind,
                filename: doc.original_filename.clone(),
                kind_code: if doc.kind_code.is_empty() {
                    DocumentKind::code_of(doc.kind)
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    doc.kind_code.clone()
                },
            });
        }
        let missing: Vec<&String> = def
            .required_documents
            .iter()
            .filter(|k| !attached.iter().any(|a| a.code() == k.as_str()))
            .collect();
        if !missing.is_empty() {
            // Named as the documents service names them (a kind added as data included).
            let names = self.kind_names().await?;
            let missing: Vec<Text> = missing
                .into_iter()
                .map(|code| crate::wizard::kind_name(&names, code))
                .collect();
            return Err(errors::required_documents_missing(&missing));
        }
        inq.documents = Some(DocumentsStep {
            documents: attached,
            recorded: stamp_of(caller),
        });
        Ok(Outcome::Recorded(inq))
    }

    async fn applicant(
        &self,
        caller: &Caller,
        mut inq: Inquiry,
        def: &RequestTypeDef,
        req: &pb::SetApplicantRequest,
    ) -> Result<Outcome, ServiceError> {
        let name =
            clean_text(errors::APPLICANT_NAME, &req.full_name).map_err(errors::text_refused)?;
        if name.is_empty() || name.chars().count() > 200 {
            return Err(errors::applicant_name_required());
        }
        let (national, representation) = match &req.representation {
            None => (
                applicant_national_code(caller, &inq, &req.national_code)?,
                None,
            ),
            Some(claim) => {
                let (owner, rep) = self
                    .representation_claim(caller, &inq, claim, &req.national_code)
                    .await?;
                (owner, Some(rep))
            }
        };
        let ownership = ppb::OwnershipType::try_from(req.ownership_type)
            .ok()
            .filter(|t| *t != ppb::OwnershipType::Unspecified)
            .ok_or_else(errors::ownership_type_required)?;
        let mut share = Share {
            numerator: 0,
            denominator: 1,
        };
        let mut review = None;
        if def.check_ownership {
            let check = self
                .ports
                .property
                .check_applicant(ppb::CheckApplicantRequest {
                    renovation_code: inq.renovation_code().to_owned(),
                    national_code: national.as_str().to_owned(),
                    full_name: name.clone(),
                    ownership_type: ownership as i32,
                })
                .await?;
            let result = ppb::ApplicantCheckResult::try_from(check.result)
                .unwrap_or(ppb::ApplicantCheckResult::Unspecified);
            // A name or ownership type otherwise than on record goes to a clerk, who has
            // the deed — a representative's filing too: the clerk then has the power of
            // attorney and the mismatch before them, and one decision settles both.
            match Kind::of_verdict(result) {
                Some(kind) => {
                    review = Some(Box::new(self.open_review(&inq, &national, kind).await?));
                }
                _ => {
                    if let Some(refusal) = errors::applicant_refused(result) {
                        return Err(refusal);
                    }
                }
            }
            if let Some(s) = check.share {
                share = Share {
                    numerator: s.numerator,
                    denominator: s.denominator.max(1),
                };
            }
        }
        inq.applicant = Some(ApplicantStep {
            full_name: name,
            national_code: national.as_str().to_owned(),
            ownership_type: ownership as i32,
            share,
            recorded: stamp_of(caller),
            representation: representation.clone(),
        });
        let awaits_review = review.is_some();
        inq.review = review;
        if awaits_review {
            return Ok(Outcome::AwaitsReview(inq));
        }
        if representation.is_some() {
            return Ok(Outcome::AwaitsRepresentation(inq));
        }
        Ok(Outcome::Recorded(inq))
    }
}

/// Who the applicant of `inq` is, whatever the form says: for an authority's on-behalf
/// filing the citizen who consented, for a citizen's own inquiry the person logged in (their
/// national code from identity's token, never from the form). A form national code may still
/// be sent (older clients, the portal's locked field) but must be that same person's; a
/// citizen's token without a national code is refused rather than trusting the form.
fn applicant_national_code(
    caller: &Caller,
    inq: &Inquiry,
    typed: &str,
) -> Result<NationalCode, ServiceError> {
    let typed = typed.trim();
    let typed = if typed.is_empty() {
        None
    } else {
        Some(
            NationalCode::parse(typed)
                .map_err(|e| errors::national_code_invalid("national_code", &e))?,
        )
    };
    if !inq.consented_national_code.is_empty() {
        let consented = NationalCode::parse(&inq.consented_national_code)
            .map_err(|e| errors::national_code_invalid("national_code", &e))?;
        if typed.is_some_and(|t| t != consented) {
            return Err(errors::consenting_applicant_mismatch());
        }
        return Ok(consented);
    }
    // A citizen's own inquiry (may_act lets only its citizen take the step).
    let own = caller
        .national_code
        .as_deref()
        .filter(|nc| !nc.trim().is_empty())
        .ok_or_else(errors::caller_national_code_absent)?;
    let own = NationalCode::parse(own).map_err(|_| errors::caller_national_code_absent())?;
    if typed.is_some_and(|t| t != own) {
        return Err(errors::applicant_not_caller());
    }
    Ok(own)
}

/// Step 3's rule: exactly the request type's current texts, each accepted.
fn undertakings(
    caller: &Caller,
    mut inq: Inquiry,
    def: &RequestTypeDef,
    version_ids: &[String],
) -> Result<Outcome, ServiceError> {
    let given: Vec<String> = version_ids.iter().map(|s| s.trim().to_owned()).collect();
    let current: Vec<String> = def.undertakings.iter().map(|u| u.version_id()).collect();
    if let Some(unknown) = given.iter().find(|g| !current.contains(g)) {
        return Err(errors::undertaking_version_unknown(unknown));
    }
    if let Some(missing) = current.iter().find(|c| !given.contains(c)) {
        return Err(errors::undertaking_not_accepted(missing));
    }
    inq.undertakings = Some(UndertakingsStep {
        version_ids: current,
        recorded: stamp_of(caller),
    });
    Ok(Outcome::Recorded(inq))
}
