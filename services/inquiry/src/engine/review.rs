//! The clerks' review queue: a mismatch at the applicant step opened as a review
//! ([`Engine::open_review`], from step 6), the one queue of mismatches and representations
//! ([`Engine::list_reviews`]) and the clerk's decision ([`Engine::decide_review`]). The
//! rules are in [`crate::review`].

use estelam_domain::{NationalCode, clean_text};
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};
use estelam_runtime::time::timestamp;

use super::idempotency::Idempotency;
use super::save::Then;
use super::{Engine, stamp_of};
use crate::errors;
use crate::events;
use crate::metrics;
use crate::model::{Inquiry, Stamp};
use crate::review::{self, Kind, Recorded, Review};
use crate::store;
use crate::workflow::{self, State};

const PAGE_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 200,
};

impl Engine {
    /// Opens the review of a `kind` mismatch of the applicant `national` on `inq`'s parcel:
    /// what the parcel's record says of that owner, read now, for the clerk.
    pub(crate) async fn open_review(
        &self,
        inq: &Inquiry,
        national: &NationalCode,
        kind: Kind,
    ) -> Result<Review, ServiceError> {
        let parcel = self
            .ports
            .property
            .get_parcel(inq.renovation_code())
            .await?
            .ok_or_else(errors::parcel_not_found)?;
        let recorded = Recorded::of_parcel(&parcel, national.as_str());
        Ok(Review::open(kind, recorded, now_micros()))
    }

    /// The queue, the longest waiting first: mismatches and representations alike, each
    /// with what the applicant gave, what the records say and the documents to read.
    pub async fn list_reviews(
        &self,
        caller: &Caller,
        req: &pb::ListReviewsRequest,
    ) -> Result<pb::ListReviewsResponse, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let paging = Paging::parse(
            req.page_size,
            &req.page_token,
            "reviews".to_owned(),
            PAGE_SIZES,
        )?;
        let cursor = paging
            .after()
            .and_then(|k| k.split_once(':'))
            .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
            .unwrap_or((i64::MIN, String::new()));
        let mut conn = self.conn().await?;
        let rows = store::review_queue(&mut conn, cursor, paging.fetch_limit()).await?;
        let (rows, next_page_token) =
            paging.finish(rows, |inq| format!("{}:{}", inq.updated_at_us, inq.id));
        let now = now_micros();
        Ok(pb::ListReviewsResponse {
            reviews: rows.iter().map(|inq| review_item(inq, now)).collect(),
            next_page_token,
        })
    }

    /// A clerk's decision on an inquiry in the queue. A mismatch approved goes on exactly
    /// as if step 6 had passed (APPLICANT_VERIFIED, the approval on the timeline with the
    /// clerk); refused, it is rejected with the clerk's reason, which the applicant reads.
    /// A representation alone is decided by [`Engine::decide_representation`] (its retry
    /// key is that method's); a representative's filing with a mismatch is decided here,
    /// the representation with it (approved, or refused with the same reason), and the
    /// owner is told either way. Replay → load → check → save, as every write.
    pub async fn decide_review(
        &self,
        caller: &Caller,
        req: pb::DecideReviewRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let inq = self.load_visible(caller, &req.inquiry_id).await?;
        // Decided by what the inquiry is, not by its state, so that a retry after the
        // decision takes the same path and is answered from its record.
        let is_representation = inq.review.is_none()
            && inq
                .applicant
                .as_ref()
                .is_some_and(|a| a.representation.is_some());
        if is_representation {
            let reason = req.reason.unwrap_or_default();
            let reason = if reason.fa.trim().is_empty() {
                reason.en
            } else {
                reason.fa
            };
            return self
                .decide_representation(
                    caller,
                    pb::DecideRepresentationRequest {
                        inquiry_id: req.inquiry_id,
                        expected_version: req.expected_version,
                        client_request_id: req.client_request_id,
                        approve: req.approve,
                        reason,
                    },
                )
                .await;
        }
        let idem = Idempotency::new(caller, "DecideReview", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let given = req.reason.unwrap_or_default();
                let fa = clean_text(errors::REVIEW_REASON_FA, &given.fa)
                    .map_err(errors::text_refused)?;
                let en = clean_text(errors::REVIEW_REASON_EN, &given.en)
                    .map_err(errors::text_refused)?;
                let reason = review::reason_of(&fa, &en);
                if !req.approve && reason.is_none() {
                    return Err(errors::review_reason_required());
                }
                let mut inq = self.load_visible(caller, &req.inquiry_id).await?;
                if req.expected_version != inq.version {
                    return Err(ServiceError::conflict());
                }
                if !workflow::may_decide_review(inq.state) {
                    return Err(errors::review_not_pending());
                }
                let by = self.clerk_stamp(caller).await?;
                let rev = inq.review.as_mut().ok_or_else(errors::review_not_pending)?;
                let reason = reason.unwrap_or_default();
                let waited = rev.decide(req.approve, &reason, &by);
                let kind = rev.kind;
                let notice = match inq
                    .applicant
                    .as_mut()
                    .and_then(|a| a.representation.as_mut())
                {
                    Some(rep) => {
                        rep.decide(req.approve, &reason.fa, &by);
                        Some(rep.clone())
                    }
                    None => None,
                };
                if req.approve {
                    inq.transition(
                        State::ApplicantVerified,
                        &by,
                        Some(workflow::review_approved(kind)),
                    );
                } else {
                    inq.transition(
                        State::Rejected,
                        &by,
                        Some(workflow::review_refused(&reason)),
                    );
                }
                let then = match notice {
                    Some(rep) => {
                        Then::Events(vec![events::representation_changed(&inq, &rep, by.at_us)])
                    }
                    None => Then::Nothing,
                };
                let out = self.save(&first, inq, then, |i| Ok(i.to_proto())).await?;
                metrics::observe_review_wait(kind.to_proto().as_str_name(), waited);
                Ok((out, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// The clerk's stamp, now, with the name identity knows them by, so that the timeline
    /// says who decided.
    /// Identity not answering costs only the name (the account id is still there): the
    /// decision does not wait on it.
    pub(crate) async fn clerk_stamp(&self, caller: &Caller) -> Result<Stamp, ServiceError> {
        let mut by = stamp_of(caller);
        match self.ports.identity.display_name(&caller.subject).await {
            Ok(name) => by.name = name.unwrap_or_default(),
            Err(e) => tracing::warn!(error = %e, "the clerk's name could not be read"),
        }
        Ok(by)
    }
}

/// One entry of the queue, as a clerk reads it: the registry's data is theirs to see.
fn review_item(inq: &Inquiry, now_us: i64) -> pb::ReviewItem {
    let applicant = inq.applicant.as_ref();
    let representation = applicant.and_then(|a| a.representation.as_ref());
    let (kind, entered_at_us) = match (&inq.review, inq.state) {
        (Some(r), State::AwaitingReview) => (r.kind.to_proto(), r.entered_at_us),
        _ => (
            pb::ReviewKind::Representation,
            applicant.map_or(inq.updated_at_us, |a| a.recorded.at_us),
        ),
    };
    let mut documents: Vec<pb::AttachedDocument> = inq
        .documents
        .iter()
        .flat_map(|d| d.documents.iter())
        .map(|a| pb::AttachedDocument {
            document_id: a.document_id.clone(),
            kind: a.kind,
            original_filename: a.filename.clone(),
            kind_code: a.code().to_owned(),
        })
        .collect();
    if let Some(r) = representation
        && !documents
            .iter()
            .any(|d| d.document_id == r.power_of_attorney_document_id)
    {
        documents.push(pb::AttachedDocument {
            document_id: r.power_of_attorney_document_id.clone(),
            kind: DocumentKind::PowerOfAttorney as i32,
            original_filename: String::new(),
            kind_code: DocumentKind::PowerOfAttorney
                .code()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let waited = (now_us - entered_at_us).max(0);
    pb::ReviewItem {
        inquiry: Some(inq.to_proto_at(now_us)),
        kind: kind as i32,
        entered_at: Some(timestamp(entered_at_us)),
        waiting: Some(prost_types::Duration {
            seconds: waited.div_euclid(1_000_000),
            nanos: i32::try_from(waited.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
        }),
        given_full_name: applicant.map(|a| a.full_name.clone()).unwrap_or_default(),
        given_national_code: applicant
            .map(|a| a.national_code.clone())
            .unwrap_or_default(),
        given_ownership_type: applicant.map_or(0, |a| a.ownership_type),
        recorded: inq
            .review
            .as_ref()
            .filter(|_| kind != pb::ReviewKind::Representation)
            .map(|r| r.recorded.to_proto()),
        documents,
    }
}
