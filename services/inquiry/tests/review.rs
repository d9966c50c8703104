//! The clerks' review queue over real gRPC, against the fake services, on every database
//! backend: a name or ownership-type mismatch at the applicant step waits for a clerk
//! instead of being refused; the clerk reads the registry's data (the applicant does not),
//! approves (the inquiry goes on to its answer) or refuses with a reason the applicant
//! reads; a decision is taken once. A representative's filing with such a mismatch waits
//! there too, and the clerk's one decision settles the representation with it.

mod support;

use estelam_inquiry::migrations;
use estelam_proto::common::v1 as cpb;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::testing::{self, with_token};
use support::*;
use tonic::Code;

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Step 6 redone by the citizen with `name` and `ownership`.
async fn redo_applicant(
    h: &Harness,
    inq: &pb::Inquiry,
    name: &str,
    ownership: ppb::OwnershipType,
) -> pb::Inquiry {
    h.client
        .clone()
        .set_applicant(with_token(
            pb::SetApplicantRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: key(),
                full_name: name.into(),
                national_code: OWNER_NC.into(),
                ownership_type: ownership as i32,
                representation: None,
            },
            &h.citizen,
        ))
        .await
        .unwrap()
        .into_inner()
        .inquiry
        .unwrap()
}

async fn decide(
    h: &Harness,
    token: &str,
    inq: &pb::Inquiry,
    key: &str,
    approve: bool,
    fa: &str,
) -> Result<pb::Inquiry, tonic::Status> {
    h.client
        .clone()
        .decide_review(with_token(
            pb::DecideReviewRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: key.into(),
                approve,
                reason: Some(cpb::LocalizedText {
                    fa: fa.into(),
                    en: String::new(),
                }),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().inquiry.unwrap())
}

async fn queue(h: &Harness, token: &str) -> Result<Vec<pb::ReviewItem>, tonic::Status> {
    h.client
        .clone()
        .list_reviews(with_token(pb::ListReviewsRequest::default(), token))
        .await
        .map(|r| r.into_inner().reviews)
}

#[tokio::test]
async fn a_mismatch_waits_for_a_clerk_who_approves_or_refuses_it() {
    for t in testing::databases("inq_review", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let label = t.label;

        // A name otherwise than on the deed: the inquiry waits, nothing refused.
        let ready = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        let waiting = redo_applicant(&h, &ready, "حسن رضایی", ppb::OwnershipType::Full).await;
        assert_eq!(
            waiting.state,
            pb::InquiryState::AwaitingReview as i32,
            "{label}"
        );
        let review = waiting.review.clone().expect("the review");
        assert_eq!(
            review.kind,
            pb::ReviewKind::ApplicantNameMismatch as i32,
            "{label}"
        );
        assert_eq!(review.status, pb::ReviewStatus::Pending as i32);
        // The applicant never sees the registry's data (the recorded owner's name).
        let seen = h.get(&h.citizen, &waiting.inquiry_id).await.unwrap();
        assert!(
            !format!("{seen:?}").contains(OWNER_NAME),
            "{label}: {seen:?}"
        );
        let err = h.submit(&waiting, &key()).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{label}");
        assert_eq!(messages(&err).0, "REVIEW_PENDING", "{label}");

        // Only staff list and decide.
        let err = queue(&h, &h.citizen).await.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{label}");
        let err = decide(&h, &h.citizen, &waiting, &key(), true, "")
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{label}");

        // The clerk's queue: what the applicant gave beside what the record says.
        let items = queue(&h, &h.clerk).await.unwrap();
        let item = items
            .iter()
            .find(|i| i.inquiry.as_ref().unwrap().inquiry_id == waiting.inquiry_id)
            .expect("queued");
        assert_eq!(item.given_full_name, "حسن رضایی", "{label}");
        let recorded = item.recorded.clone().expect("the record");
        assert_eq!(recorded.owner_full_name, OWNER_NAME, "{label}");
        assert_eq!(recorded.ownership_type, ppb::OwnershipType::Full as i32);
        assert_eq!(item.documents.len(), 2, "{label}");

        // Approved: on as if step 6 had passed, the approval on the timeline; once.
        let k = key();
        let approved = decide(&h, &h.clerk, &waiting, &k, true, "").await.unwrap();
        assert_eq!(
            approved.state,
            pb::InquiryState::ApplicantVerified as i32,
            "{label}"
        );
        let last = approved.history.last().unwrap();
        assert_eq!(last.changed.as_ref().unwrap().actor_account_id, "clerk-1");
        assert!(last.reason.as_ref().unwrap().en.contains("clerk"));
        let again = decide(&h, &h.clerk, &waiting, &k, true, "").await.unwrap();
        assert_eq!(
            again.version, approved.version,
            "{label}: a retry is answered"
        );
        let err = decide(&h, &h.clerk, &approved, &key(), false, "دوباره")
            .await
            .unwrap_err();
        assert_eq!(messages(&err).0, "REVIEW_NOT_PENDING", "{label}");
        let issued = h.submit(&approved, &key()).await.unwrap().inquiry.unwrap();
        assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{label}");
        assert!(queue(&h, &h.clerk).await.unwrap().is_empty(), "{label}");

        // The wrong ownership type, refused with a reason the applicant reads.
        let ready = h
            .ready_to_submit("property-transfer", PARCEL_DEBT, &request_number(101))
            .await;
        let waiting = redo_applicant(&h, &ready, OWNER_NAME, ppb::OwnershipType::Shared).await;
        assert_eq!(
            waiting.review.as_ref().unwrap().kind,
            pb::ReviewKind::OwnershipTypeMismatch as i32,
            "{label}"
        );
        let err = decide(&h, &h.clerk, &waiting, &key(), false, "  ")
            .await
            .unwrap_err();
        assert_eq!(messages(&err).0, "REASON_REQUIRED", "{label}");
        let because = "سند ملک شش‌دانگ است، نه مشاع";
        let refused = decide(&h, &h.clerk, &waiting, &key(), false, because)
            .await
            .unwrap();
        assert_eq!(refused.state, pb::InquiryState::Rejected as i32, "{label}");
        let seen = h.get(&h.citizen, &refused.inquiry_id).await.unwrap();
        assert!(seen.state_reason.unwrap().fa.contains(because), "{label}");
        let review = seen.review.unwrap();
        assert_eq!(review.status, pb::ReviewStatus::Refused as i32);
        assert_eq!(review.reason.unwrap().fa, because);

        h.stop().await;
        t.cleanup().await;
    }
}

/// A representative (a citizen who is not the owner) with their own uploads, the power of
/// attorney among them; returns their token and account id.
fn representative(h: &Harness) -> (String, String) {
    let id = uuid::Uuid::now_v7().to_string();
    let mut claims = h.mint.claims(&id, &[estelam_runtime::auth::Role::Citizen]);
    claims.nc = Some(OTHER_NC.into());
    h.world.with(|w| {
        for n in [200, 201] {
            w.request_numbers
                .insert(request_number(n), (PARCEL_CLEAN.into(), None));
        }
        for (doc, kind) in [
            ("rep-card", dpb::DocumentKind::NationalIdCard),
            ("rep-deed", dpb::DocumentKind::OwnershipDeed),
            ("rep-poa", dpb::DocumentKind::PowerOfAttorney),
        ] {
            w.documents.insert(
                format!("{doc}-{id}"),
                dpb::Document {
                    document_id: format!("{doc}-{id}"),
                    owner_account_id: id.clone(),
                    kind: kind as i32,
                    original_filename: format!("{doc}.pdf"),
                    content_type: "application/pdf".into(),
                    ..Default::default()
                },
            );
        }
    });
    (h.mint.sign(&claims), id)
}

/// Files, as the representative `rep`, an inquiry in the owner's name with `name` and
/// `ownership`, through the applicant step.
async fn file_as_representative(
    h: &Harness,
    (rep, subject): (&str, &str),
    number: u64,
    name: &str,
    ownership: ppb::OwnershipType,
) -> pb::Inquiry {
    let docs = [format!("rep-card-{subject}"), format!("rep-deed-{subject}")];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let inq = h
        .ready_for_applicant(
            rep,
            "property-transfer",
            PARCEL_CLEAN,
            &request_number(number),
            &docs,
        )
        .await;
    h.client
        .clone()
        .set_applicant(with_token(
            pb::SetApplicantRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: key(),
                full_name: name.into(),
                national_code: OWNER_NC.into(),
                ownership_type: ownership as i32,
                representation: Some(pb::RepresentationClaim {
                    representative_full_name: "مریم احمدی".into(),
                    power_of_attorney_document_id: format!("rep-poa-{subject}"),
                }),
            },
            rep,
        ))
        .await
        .unwrap()
        .into_inner()
        .inquiry
        .unwrap()
}

#[tokio::test]
async fn a_representatives_mismatch_waits_for_a_clerk_who_decides_both() {
    for t in testing::databases("inq_review_rep", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let label = t.label;
        let (rep, rep_id) = representative(&h);
        let as_rep = (rep.as_str(), rep_id.as_str());

        // Filed in the owner's name under a name otherwise than on the deed: it waits for a
        // clerk instead of being refused, the representation pending with it.
        let waiting =
            file_as_representative(&h, as_rep, 200, "حسن رضایی", ppb::OwnershipType::Full).await;
        assert_eq!(
            waiting.state,
            pb::InquiryState::AwaitingReview as i32,
            "{label}"
        );
        assert_eq!(
            waiting.review.as_ref().expect("the review").kind,
            pb::ReviewKind::ApplicantNameMismatch as i32,
            "{label}"
        );
        let representation = waiting
            .applicant
            .as_ref()
            .and_then(|a| a.representation.clone())
            .expect("the representation");
        assert_eq!(
            representation.status,
            pb::RepresentationStatus::Pending as i32,
            "{label}"
        );

        // The clerk sees both: the mismatch beside the record, and the representation with
        // its power of attorney to read.
        let items = queue(&h, &h.clerk).await.unwrap();
        let item = items
            .iter()
            .find(|i| i.inquiry.as_ref().unwrap().inquiry_id == waiting.inquiry_id)
            .expect("queued");
        assert_eq!(
            item.kind,
            pb::ReviewKind::ApplicantNameMismatch as i32,
            "{label}"
        );
        assert_eq!(
            item.recorded.as_ref().expect("the record").owner_full_name,
            OWNER_NAME,
            "{label}"
        );
        let queued_rep = item
            .inquiry
            .as_ref()
            .and_then(|i| i.applicant.as_ref())
            .and_then(|a| a.representation.as_ref())
            .expect("the representation, queued");
        assert_eq!(queued_rep.representative_full_name, "مریم احمدی", "{label}");
        assert!(
            item.documents
                .iter()
                .any(|d| d.document_id == representation.power_of_attorney_document_id),
            "{label}: the power of attorney is among the documents to read"
        );

        // Approved: it goes on, and the representation is approved with it.
        let approved = decide(&h, &h.clerk, &waiting, &key(), true, "")
            .await
            .unwrap();
        assert_eq!(
            approved.state,
            pb::InquiryState::ApplicantVerified as i32,
            "{label}"
        );
        let decided = approved
            .applicant
            .and_then(|a| a.representation)
            .expect("the representation");
        assert_eq!(
            decided.status,
            pb::RepresentationStatus::Approved as i32,
            "{label}"
        );

        // Another, with the wrong ownership type, refused: it ends with the reason, which
        // the representative reads, and the representation is refused with it.
        let waiting =
            file_as_representative(&h, as_rep, 201, OWNER_NAME, ppb::OwnershipType::Shared).await;
        assert_eq!(
            waiting.state,
            pb::InquiryState::AwaitingReview as i32,
            "{label}"
        );
        let because = "وکالت‌نامه برای مالکیت مشاع نیست";
        let refused = decide(&h, &h.clerk, &waiting, &key(), false, because)
            .await
            .unwrap();
        assert_eq!(refused.state, pb::InquiryState::Rejected as i32, "{label}");
        let seen = h.get(&rep, &refused.inquiry_id).await.unwrap();
        assert!(seen.state_reason.unwrap().fa.contains(because), "{label}");
        let rep_seen = seen
            .applicant
            .and_then(|a| a.representation)
            .expect("the representation");
        assert_eq!(
            rep_seen.status,
            pb::RepresentationStatus::Refused as i32,
            "{label}"
        );
        assert_eq!(rep_seen.reason, because, "{label}");
        assert!(queue(&h, &h.clerk).await.unwrap().is_empty(), "{label}");

        h.stop().await;
        t.cleanup().await;
    }
}
