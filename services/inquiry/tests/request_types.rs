//! Publishing request types (e-services) over real gRPC, on every backend: what an admin
//! gets wrong is refused with the reason and the item named, in Persian and English,
//! before any applicant meets it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use estelam_inquiry::migrations;
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::fees::v1::BillItemKind;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::testing::{self, with_token};
use support::*;
use tonic::{Code, Status};

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn text(fa: &str, en: &str) -> Option<LocalizedText> {
    Some(LocalizedText {
        fa: fa.into(),
        en: en.into(),
    })
}

/// A new e-service modelled on the seeded court type, under `code`.
async fn draft(h: &Harness, code: &str) -> pb::RequestType {
    let mut rt = h
        .client
        .clone()
        .get_request_type(with_token(
            pb::GetRequestTypeRequest {
                code: "court".into(),
            },
            &h.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .request_type
        .unwrap();
    rt.code = code.into();
    rt.name = text("استعلام آزمایشی", "Trial inquiry");
    rt
}

async fn put(h: &Harness, rt: &pb::RequestType, expected: i64) -> Result<pb::RequestType, Status> {
    h.client
        .clone()
        .put_request_type(with_token(
            pb::PutRequestTypeRequest {
                request_type: Some(rt.clone()),
                expected_version: expected,
                reason: "خدمت الکترونیکی تازه".into(),
                client_request_id: key(),
            },
            &h.admin,
        ))
        .await
        .map(|r| r.into_inner().request_type.unwrap())
}

#[tokio::test]
async fn publishing_is_refused_without_a_tariff_or_with_an_unknown_document_kind() {
    for t in testing::databases("inq_publish", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut rt = draft(&h, "parcel-extract").await;

        // The inquiry fee of a code no tariff of this year prices.
        let err = put(&h, &rt, 0).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{}", t.label);
        let (reason, fa, en) = messages(&err);
        assert_eq!(reason, "REQUEST_TYPE_TARIFF_MISSING");
        assert!(
            fa.contains("هزینهٔ استعلام") && fa.contains("parcel-extract"),
            "{fa}"
        );
        assert!(
            en.contains("inquiry fee") && en.contains("parcel-extract"),
            "{en}"
        );
        assert!(
            en.contains(&this_jalali_year().to_string()),
            "names the year: {en}"
        );

        // A draft may wait, inactive, for its tariff.
        rt.active = false;
        let stored = put(&h, &rt, 0).await.unwrap();
        assert_eq!(stored.version, 1);

        // Once fees has this year's line for it, it may go live.
        h.world
            .with(|w| w.tariffs.push(this_years_tariff(&["parcel-extract"])));
        rt.active = true;
        assert_eq!(put(&h, &rt, 1).await.unwrap().version, 2);

        // A levy is priced by any tariff of the year that has it.
        h.world.with(|w| w.tariffs.clear());
        let mut levy = draft(&h, "renewal-levy-payment").await;
        levy.fee_items = vec![BillItemKind::RenewalLevy as i32];
        let (reason, fa, _) = messages(&put(&h, &levy, 0).await.unwrap_err());
        assert_eq!(reason, "REQUEST_TYPE_TARIFF_MISSING");
        assert!(fa.contains("عوارض نوسازی"), "{fa}");
        h.world.with(|w| w.tariffs.push(this_years_tariff(&[])));
        put(&h, &levy, 0).await.unwrap();

        // An unknown document kind, named.
        let mut odd = draft(&h, "odd-documents").await;
        odd.required_documents = vec![9_999];
        let err = put(&h, &odd, 0).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let (reason, fa, en) = messages(&err);
        assert_eq!(reason, "REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN");
        assert!(
            fa.contains("مدرک شمارهٔ ۱") && en.contains("document 1"),
            "{fa} / {en}"
        );
        odd.required_documents = vec![1, 0];
        assert_eq!(
            messages(&put(&h, &odd, 0).await.unwrap_err()).0,
            "REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN"
        );
        // A kind named by code must be one the documents service has, active.
        odd.required_documents = vec![];
        odd.required_document_codes = vec!["national-id-card".into(), "site-plan".into()];
        let (reason, fa, en) = messages(&put(&h, &odd, 0).await.unwrap_err());
        assert_eq!(reason, "REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN");
        assert!(
            fa.contains("مدرک شمارهٔ ۲") && en.contains("document 2"),
            "{fa} / {en}"
        );

        // What was already validated still is: no validity, on-account fee with no letter.
        let mut bad = draft(&h, "bad-validity").await;
        bad.answer_validity_days = 0;
        assert_eq!(
            messages(&put(&h, &bad, 0).await.unwrap_err()).0,
            "ANSWER_VALIDITY_INVALID"
        );
        let mut no_letter = draft(&h, "no-letter").await;
        no_letter.letter_required = false;
        no_letter.inquiry_fee_settlement = pb::InquiryFeeSettlement::OnAccount as i32;
        assert_eq!(
            messages(&put(&h, &no_letter, 0).await.unwrap_err()).0,
            "ON_ACCOUNT_NEEDS_LETTER"
        );
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_answer_states_the_words_of_the_version_its_inquiry_started_on() {
    for t in testing::databases("inq_eservice_words", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut rt = draft(&h, "parcel-extract").await;
        rt.allowed_roles = vec![estelam_proto::identity::v1::Role::Citizen as i32];
        rt.letter_required = false;
        rt.check_debt = false;
        rt.fee_items = Vec::new();
        rt.inquiry_fee_settlement = pb::InquiryFeeSettlement::OnBill as i32;
        // Arabic letters and a doubled space, as an admin might paste them: stored clean.
        rt.answer_title = text("رونوشت  پرونده ملك", "Extract of the parcel record");
        rt.answer_statements = vec![
            LocalizedText {
                fa: "این رونوشت گواهی مالکیت نیست.".into(),
                en: "This extract is not a title deed.".into(),
            },
            LocalizedText::default(),
        ];
        let v1 = put(&h, &rt, 0).await.unwrap();
        assert_eq!(v1.answer_title.as_ref().unwrap().fa, "رونوشت پرونده ملک");
        assert_eq!(v1.answer_statements.len(), 1, "the empty one is dropped");

        // Started on v1 …
        let inq = h
            .ready_to_submit("parcel-extract", PARCEL_CLEAN, &request_number(100))
            .await;
        assert_eq!(inq.request_type_version, 1);
        // … while v2 changes the words.
        let mut v2 = v1.clone();
        v2.answer_title = text("رونوشت تازه", "New extract");
        v2.answer_statements = Vec::new();
        assert_eq!(put(&h, &v2, 1).await.unwrap().version, 2);

        let issued = h.submit(&inq, &key()).await.unwrap().inquiry.unwrap();
        assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{}", t.label);
        let facts = h
            .client
            .clone()
            .get_answer(with_token(
                pb::GetAnswerRequest {
                    inquiry_id: issued.inquiry_id.clone(),
                },
                &h.citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .answer
            .unwrap()
            .facts
            .unwrap();
        assert_eq!(facts.answer_title.unwrap().fa, "رونوشت پرونده ملک");
        assert_eq!(
            facts.answer_statements[0].en,
            "This extract is not a title deed."
        );

        // An active window: a type that opens tomorrow takes no inquiry today, and is not
        // listed to citizens, though staff see it.
        let tomorrow = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            + 86_400;
        let mut later = v2.clone();
        later.active_from = Some(prost_types::Timestamp {
            seconds: tomorrow,
            nanos: 0,
        });
        put(&h, &later, 2).await.unwrap();
        let err = h
            .client
            .clone()
            .create_inquiry(with_token(
                pb::CreateInquiryRequest {
                    request_type_code: "parcel-extract".into(),
                    client_request_id: key(),
                },
                &h.citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        let (reason, fa, en) = messages(&err);
        assert_eq!(reason, "REQUEST_TYPE_OUTSIDE_ACTIVE_WINDOW");
        assert!(!fa.is_empty() && !en.is_empty());
        let listed = |token: String, include_inactive: bool| {
            let mut c = h.client.clone();
            async move {
                c.list_request_types(with_token(
                    pb::ListRequestTypesRequest { include_inactive },
                    &token,
                ))
                .await
                .map(|r| {
                    r.into_inner()
                        .request_types
                        .into_iter()
                        .any(|t| t.code == "parcel-extract")
                })
            }
        };
        assert!(!listed(h.citizen.clone(), false).await.unwrap());
        assert!(listed(h.clerk.clone(), true).await.unwrap());
        assert_eq!(
            listed(h.citizen.clone(), true).await.unwrap_err().code(),
            Code::PermissionDenied
        );
        // A window that ends before it starts is refused.
        later.active_until = Some(prost_types::Timestamp {
            seconds: tomorrow - 10,
            nanos: 0,
        });
        assert_eq!(
            messages(&put(&h, &later, 3).await.unwrap_err()).0,
            "REQUEST_TYPE_ACTIVE_WINDOW_INVALID"
        );
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn staff_preview_the_wizard_with_this_years_prices() {
    for t in testing::databases("inq_preview", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let preview = |token: String| {
            let mut c = h.client.clone();
            async move {
                c.preview_request_type(with_token(
                    pb::PreviewRequestTypeRequest {
                        code: "court".into(),
                    },
                    &token,
                ))
                .await
                .map(|r| r.into_inner())
            }
        };
        let p = preview(h.clerk.clone()).await.unwrap();
        let steps: Vec<&str> = p.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(steps.first(), Some(&"undertakings"), "{steps:?}");
        assert_eq!(steps.last(), Some(&"answer"), "{steps:?}");
        assert!(steps.contains(&"letter"));
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.documents[0].name.as_ref().unwrap().fa, "کارت ملی");
        assert_eq!(p.jalali_year, this_jalali_year());
        let fee = &p.fee_lines[0];
        assert_eq!(fee.kind, BillItemKind::InquiryFee as i32);
        assert!(fee.priced, "{fee:?}");
        assert_eq!(fee.amount_rials, FEE_RIALS);
        assert_eq!(
            p.answer_title.unwrap().en,
            "Answer: Court inquiry",
            "the template's title when the type has none"
        );
        assert!(p.open_now);
        assert_eq!(
            preview(h.citizen.clone()).await.unwrap_err().code(),
            Code::PermissionDenied
        );
        h.stop().await;
        t.cleanup().await;
    }
}
