//! The inquiry workflow over real gRPC, against fake property, documents, fees and identity
//! services, on every database backend (and RabbitMQ when configured).

mod support;

use estelam_inquiry::migrations;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::{self, with_token};
use support::*;
use tonic::Code;

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn verify_signature(answer: &pb::Answer, keys: &[estelam_proto::identity::v1::SigningKey]) -> bool {
    let key = keys
        .iter()
        .find(|k| k.kid == answer.signing_key_id)
        .expect("signing key is published");
    let public: [u8; 32] = key.public_key.clone().try_into().unwrap();
    estelam_inquiry::answer::verify(&public, &answer.signed_payload, &answer.signature)
}

/// Every stored signing key row: (kid, secret as stored).
async fn stored_keys(h: &Harness) -> Vec<(String, String)> {
    use sqlx::Row as _;
    sqlx::query("SELECT kid, secret FROM signing_keys")
        .fetch_all(h.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("kid").unwrap(), r.try_get("secret").unwrap()))
        .collect()
}

fn fresh_secret(k: &estelam_inquiry::answer::KeyPair) -> [u8; 32] {
    k.signing.to_bytes()
}

#[tokio::test]
async fn a_signing_key_stored_in_the_clear_is_sealed_at_start_and_keeps_signing() {
    use sqlx::Row as _;
    for t in testing::databases("inq_keyseal", &migrations())
        .await
        .unwrap()
    {
        let mut h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let (kid, stored) = stored_keys(&h).await.remove(0);
        // As a version before encryption at rest stored it: base64 of the private key.
        let secret = h.seal().open(&kid, &stored).unwrap();
        let clear = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
        sqlx::query("UPDATE signing_keys SET secret = $1 WHERE kid = $2")
            .bind(&clear)
            .bind(&kid)
            .execute(h.db.pool())
            .await
            .unwrap();
        h.stop_inquiry().await;
        h.start_inquiry().await;
        let row = sqlx::query("SELECT secret FROM signing_keys WHERE kid = $1")
            .bind(&kid)
            .fetch_one(h.db.pool())
            .await
            .unwrap();
        let now: String = row.try_get("secret").unwrap();
        assert!(estelam_inquiry::key_seal::is_sealed(&now), "{}", t.label);
        assert_eq!(h.seal().open(&kid, &now).unwrap(), secret, "{}", t.label);
        // Still the current key: the next answer is signed with it and verifies.
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        let issued = h.submit(&inq, &key()).await.unwrap().inquiry.unwrap();
        let mut c = h.client.clone();
        let answer = c
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
            .unwrap();
        assert_eq!(answer.signing_key_id, kid, "{}", t.label);
        let keys = c
            .list_answer_signing_keys(pb::ListAnswerSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .keys;
        assert!(verify_signature(&answer, &keys), "{}", t.label);
        // A different key-encryption key cannot open it (a stolen dump is useless).
        let other = estelam_inquiry::key_seal::KeySeal::new(&[0x5a; 32]);
        assert!(other.open(&kid, &now).is_err());
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_no_debt_inquiry_is_issued_within_submit_and_its_answer_verifies() {
    for t in testing::databases("inq_nodebt", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        assert_eq!(
            inq.state,
            pb::InquiryState::ApplicantVerified as i32,
            "{}",
            t.label
        );
        // Every step recorded who and when.
        assert_eq!(inq.history.len(), 5);
        assert!(
            inq.applicant
                .as_ref()
                .unwrap()
                .recorded
                .as_ref()
                .unwrap()
                .at
                .is_some()
        );

        let submit_key = key();
        let submitted = h.submit(&inq, &submit_key).await.unwrap();
        let issued = submitted.inquiry.unwrap();
        assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{}", t.label);
        assert!(!issued.verification_code.is_empty());
        assert!(issued.submitted_at.is_some() && issued.issued_at.is_some());

        // A retried Submit returns the first result and acts once.
        let again = h.submit(&inq, &submit_key).await.unwrap().inquiry.unwrap();
        assert_eq!(again.verification_code, issued.verification_code);
        assert_eq!(h.world.calls("Fees.Assess"), 1);
        assert_eq!(h.world.calls("Property.MarkRequestNumberUsed"), 1);
        // A stale version is refused.
        let stale = h.submit(&inq, &key()).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);
        assert_eq!(h.answers_stored(&issued.inquiry_id).await, 1);
        assert_eq!(h.answer_events(&issued.inquiry_id).await, 1);
        assert!(
            estelam_runtime::metrics::render().contains("estelam_inquiry_issue_seconds_count"),
            "submit → issue time is measured"
        );

        // The answer: facts, signature over the canonical payload.
        let answer = c
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
            .unwrap();
        let facts = answer.facts.clone().unwrap();
        assert_eq!(facts.debt_status, pb::DebtStatus::None as i32);
        assert_eq!(facts.inquiry_number, issued.inquiry_number);
        assert_eq!(facts.parcel.as_ref().unwrap().renovation_code, PARCEL_CLEAN);
        assert_eq!(
            facts.parcel.as_ref().unwrap().owners[0].national_code,
            OWNER_NC
        );
        // The citizen filed it and named the office in the letter: the answer is addressed
        // to the office, says the applicant asked, and nothing went on the office's account
        // (the fee was the applicant's bill's, which fees here waives on a clean parcel).
        assert_eq!(facts.authority_organization_id, ORG_ID);
        assert_eq!(facts.inquired_by, pb::InquiredBy::Applicant as i32);
        assert_eq!(facts.letter_date_jalali, "1403/05/12");
        assert!(facts.fees_paid.is_empty());
        assert!(facts.fees_charged_to_authority.is_empty());
        assert_eq!(h.world.calls("Fees.ChargeAccount"), 0);
        assert!(
            h.world
                .with(|w| w.account_charges.get(&issued.inquiry_id).cloned())
                .is_none(),
            "the office the citizen named is not charged"
        );
        assert!(facts.issued_at_jalali.starts_with("14"));
        assert_eq!(
            answer.verification_url,
            format!(
                "https://estelam.example/verify/{}",
                answer.verification_code
            )
        );
        let keys = c
            .list_answer_signing_keys(pb::ListAnswerSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .keys;
        assert!(verify_signature(&answer, &keys), "the signature verifies");
        // Rotation: a new key signs from now on; the previous one stays published and
        // the answer it signed still verifies.
        let fresh;
        {
            let mut conn = h.db.pool().acquire().await.unwrap();
            fresh = estelam_inquiry::answer::KeyPair::generate(estelam_runtime::db::now_micros());
            estelam_inquiry::store::install_signing_key(&mut conn, &fresh, &h.seal())
                .await
                .unwrap();
        }
        // At rest, no private key is in the clear: each row is sealed.
        for (kid, stored) in stored_keys(&h).await {
            assert!(
                estelam_inquiry::key_seal::is_sealed(&stored),
                "{kid} is encrypted"
            );
            assert_ne!(
                stored,
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    fresh_secret(&fresh)
                )
            );
        }
        let keys = c
            .list_answer_signing_keys(pb::ListAnswerSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[1].kid, answer.signing_key_id,
            "current first, then previous"
        );
        assert!(verify_signature(&answer, &keys));
        let mut tampered = answer.clone();
        let text = String::from_utf8(tampered.signed_payload.clone()).unwrap();
        tampered.signed_payload = text
            .replace("DEBT_STATUS_NONE", "DEBT_STATUS_CLEARED")
            .into_bytes();
        assert!(
            !verify_signature(&tampered, &keys),
            "a tampered copy does not verify"
        );

        // Anyone may verify by code, without a token; national codes are masked.
        let anonymous = c
            .verify_answer(pb::VerifyAnswerRequest {
                verification_code: estelam_domain::to_persian_digits(&answer.verification_code),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(anonymous.result, pb::VerificationResult::Valid as i32);
        assert!(anonymous.signature_valid);
        let public = anonymous.answer.unwrap();
        assert!(public.signed_payload.is_empty());
        assert_eq!(public.facts.unwrap().applicant_national_code, "007****645");
        // A tampered copy presented for comparison is caught.
        let mismatch = c
            .verify_answer(pb::VerifyAnswerRequest {
                verification_code: answer.verification_code.clone(),
                signed_payload: tampered.signed_payload.clone(),
                signature: tampered.signature.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(mismatch.result, pb::VerificationResult::CopyMismatch as i32);
        // An unknown code is a result, not an error.
        let unknown_code = estelam_domain::CheckCode::generate_random(
            estelam_domain::CodeKind::Verification,
            &mut rand::rng(),
        );
        let unknown = c
            .verify_answer(pb::VerifyAnswerRequest {
                verification_code: unknown_code.to_string(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(unknown.result, pb::VerificationResult::Unknown as i32);
        let mut conn = h.db.pool().acquire().await.unwrap();
        assert_eq!(
            estelam_inquiry::store::verification_count(&mut conn, &answer.verification_code)
                .await
                .unwrap(),
            2,
            "every check is audited"
        );
        drop(conn);

        // Rendered for people: HTML and PDF.
        let pdf = c
            .render_answer(with_token(
                pb::RenderAnswerRequest {
                    inquiry_id: issued.inquiry_id.clone(),
                    format: pb::AnswerFormat::Pdf as i32,
                    language: "fa".into(),
                },
                &h.citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(pdf.content.starts_with(b"%PDF-"));
        assert_eq!(pdf.content_type, "application/pdf");
        let html = c
            .render_answer(with_token(
                pb::RenderAnswerRequest {
                    inquiry_id: issued.inquiry_id.clone(),
                    format: pb::AnswerFormat::Html as i32,
                    language: String::new(),
                },
                &h.citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(
            String::from_utf8(html.content)
                .unwrap()
                .contains(&answer.verification_code)
        );

        // A clerk revokes it; verification says so.
        let revoked = c
            .revoke_answer(with_token(
                pb::RevokeAnswerRequest {
                    inquiry_id: issued.inquiry_id.clone(),
                    expected_version: issued.version,
                    client_request_id: key(),
                    reason: "سند جعلی / forged deed".into(),
                },
                &h.clerk,
            ))
            .await
            .unwrap()
            .into_inner()
            .answer
            .unwrap();
        assert_eq!(revoked.status, pb::AnswerStatus::Revoked as i32);
        let check = c
            .verify_answer(pb::VerifyAnswerRequest {
                verification_code: answer.verification_code.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(check.result, pb::VerificationResult::Revoked as i32);
        assert!(check.message.unwrap().en.contains("forged deed"));
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_inquiry_with_debt_waits_and_is_issued_by_the_debt_cleared_event() {
    for t in testing::databases("inq_debt", &migrations()).await.unwrap() {
        for (round, bus) in buses().into_iter().enumerate() {
            // A property transfer the citizen files themselves has its inquiry fee on the
            // citizen's bill, never on the account of the office the letter names; a repeat
            // inquiry for the same parcel within the validity of the answer the first round
            // issued is free of it.
            let fee = if round == 0 { FEE_RIALS } else { 0 };
            let h = Harness::start(t.db.clone(), bus).await;
            let mut c = h.client.clone();
            let inq = h
                .ready_to_submit("property-transfer", PARCEL_DEBT, &request_number(101))
                .await;
            let submitted = h.submit(&inq, &key()).await.unwrap();
            let waiting = submitted.inquiry.unwrap();
            let bill = submitted.bill.unwrap();
            assert_eq!(
                waiting.state,
                pb::InquiryState::AwaitingPayment as i32,
                "{} {bus:?}",
                t.label
            );
            assert_eq!(waiting.amount_due_rials, DEBT_RIALS + fee);
            assert_eq!(bill.total_rials, DEBT_RIALS + fee);
            let charged = h
                .world
                .with(|w| w.account_charges.get(&waiting.inquiry_id).cloned());
            assert!(
                charged.is_none(),
                "{} {bus:?}: the named office's account is not charged",
                t.label
            );
            let states: Vec<i32> = waiting.history.iter().map(|s| s.to_state).collect();
            assert!(states.contains(&(pb::InquiryState::Assessed as i32)));
            let fetched = c
                .get_bill(with_token(
                    pb::GetBillRequest {
                        inquiry_id: waiting.inquiry_id.clone(),
                    },
                    &h.citizen,
                ))
                .await
                .unwrap()
                .into_inner()
                .bill
                .unwrap();
            assert_eq!(fetched.bill_id, bill.bill_id);
            let payment = c
                .start_payment(with_token(
                    pb::StartPaymentRequest {
                        inquiry_id: waiting.inquiry_id.clone(),
                        expected_version: waiting.version,
                        client_request_id: key(),
                        return_url: "https://estelam.example/back".into(),
                    },
                    &h.citizen,
                ))
                .await
                .unwrap()
                .into_inner()
                .payment
                .unwrap();
            assert!(!payment.redirect_url.is_empty());

            // Fees confirms the payment and publishes the event — twice, as a relay may.
            FakeFees::settle(&h.world, &bill.bill_id, "123456789012");
            let event_id = h
                .publish_debt_cleared(
                    &waiting.inquiry_id,
                    &bill.bill_id,
                    PARCEL_DEBT,
                    "123456789012",
                    bill.total_rials,
                )
                .await;
            let issued = h
                .wait_for_state(&waiting.inquiry_id, pb::InquiryState::Issued)
                .await;
            assert_eq!(issued.tracking_code, "123456789012");
            // The same event again, and a second event for the same bill: no second effect.
            h.publish_debt_cleared(
                &waiting.inquiry_id,
                &bill.bill_id,
                PARCEL_DEBT,
                "123456789012",
                bill.total_rials,
            )
            .await;
            let mut dup = estelam_runtime::bus::Event::new(
                estelam_proto::routing_keys::DEBT_CLEARED,
                "estelam.events.v1.DebtCleared",
                Vec::new(),
            );
            dup.id = event_id;
            h.republish(&dup).await;
            let answer = c
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
                .unwrap();
            let facts = answer.facts.unwrap();
            assert_eq!(facts.debt_status, pb::DebtStatus::Cleared as i32);
            assert_eq!(facts.tracking_code, "123456789012");
            // Paid: the parcel's debt and (round 0) the inquiry fee; nothing charged to the
            // office.
            assert_eq!(facts.amount_paid_rials, DEBT_RIALS + fee);
            assert_eq!(facts.fees_paid.len(), if fee > 0 { 2 } else { 1 });
            assert!(facts.fees_charged_to_authority.is_empty());
            assert_eq!(facts.inquired_by, pb::InquiredBy::Applicant as i32);
            // Issued after the payment, it states when the facts were read: at Submit.
            assert_eq!(
                facts.facts_checked_at.map(|t| t.seconds),
                waiting.submitted_at.map(|t| t.seconds)
            );
            if let Ok(dir) = std::env::var("ESTELAM_RENDER_SAMPLE_DIR") {
                let pdf = c
                    .render_answer(with_token(
                        pb::RenderAnswerRequest {
                            inquiry_id: issued.inquiry_id.clone(),
                            format: pb::AnswerFormat::Pdf as i32,
                            language: "fa".into(),
                        },
                        &h.citizen,
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                std::fs::write(format!("{dir}/{}", pdf.filename), pdf.content).unwrap();
            }
            assert_eq!(h.answers_stored(&issued.inquiry_id).await, 1);
            assert_eq!(h.answer_events(&issued.inquiry_id).await, 1);
            h.stop().await;
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_debt_cleared_event_that_arrives_before_the_inquiry_waits_is_applied_on_submit() {
    for t in testing::databases("inq_early", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_DEBT, &request_number(101))
            .await;
        let bill_id = format!("bill-early-{}", testing::unique_suffix());
        h.world.with(|w| w.next_bill_id = Some(bill_id.clone()));
        h.publish_debt_cleared(
            &inq.inquiry_id,
            &bill_id,
            PARCEL_DEBT,
            "998877665544",
            DEBT_RIALS,
        )
        .await;
        // Wait until the service has recorded it (poll, never sleep a fixed time).
        testing::eventually(
            "the early event to be recorded",
            std::time::Duration::from_secs(20),
            async || {
                let mut conn = h.db.pool().acquire().await.unwrap();
                estelam_inquiry::store::debt_cleared(&mut conn, &bill_id)
                    .await
                    .unwrap()
                    .is_some()
            },
        )
        .await;
        let issued = h.submit(&inq, &key()).await.unwrap().inquiry.unwrap();
        assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{}", t.label);
        assert_eq!(issued.tracking_code, "998877665544");
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_service_stopped_between_payment_and_issue_issues_exactly_one_answer_after_restart() {
    for t in testing::databases("inq_restart", &migrations())
        .await
        .unwrap()
    {
        for bus in buses() {
            let mut h = Harness::start(t.db.clone(), bus).await;
            // (a) the event arrives while the service is down and waits in its queue.
            let inq = h
                .ready_to_submit("property-transfer", PARCEL_DEBT, &request_number(101))
                .await;
            let waiting = h.submit(&inq, &key()).await.unwrap().inquiry.unwrap();
            assert_eq!(waiting.state, pb::InquiryState::AwaitingPayment as i32);
            h.stop_inquiry().await;
            FakeFees::settle(&h.world, &waiting.bill_id, "111122223333");
            h.publish_debt_cleared(
                &waiting.inquiry_id,
                &waiting.bill_id,
                PARCEL_DEBT,
                "111122223333",
                waiting.amount_due_rials,
            )
            .await;
            h.start_inquiry().await;
            let issued = h
                .wait_for_state(&waiting.inquiry_id, pb::InquiryState::Issued)
                .await;
            assert_eq!(issued.tracking_code, "111122223333", "{} {bus:?}", t.label);
            assert_eq!(h.answers_stored(&waiting.inquiry_id).await, 1);
            assert_eq!(h.answer_events(&waiting.inquiry_id).await, 1);

            // (b) the event was lost altogether: the recovery sweep at start asks fees.
            h.world.with(|w| {
                w.request_numbers
                    .insert(request_number(102), (PARCEL_DEBT.into(), None));
            });
            let inq = h
                .ready_to_submit("property-transfer", PARCEL_DEBT, &request_number(102))
                .await;
            let waiting = h.submit(&inq, &key()).await.unwrap().inquiry.unwrap();
            h.stop_inquiry().await;
            FakeFees::settle(&h.world, &waiting.bill_id, "444455556666");
            h.start_inquiry().await;
            let issued = h
                .wait_for_state(&waiting.inquiry_id, pb::InquiryState::Issued)
                .await;
            assert_eq!(issued.tracking_code, "444455556666");
            assert_eq!(h.answers_stored(&waiting.inquiry_id).await, 1);
            assert_eq!(h.answer_events(&waiting.inquiry_id).await, 1);
            h.stop().await;
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn wrong_inputs_are_refused_at_their_own_step_in_both_languages() {
    for t in testing::databases("inq_refuse", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let tok = &h.citizen;
        let inq = c
            .create_inquiry(with_token(
                pb::CreateInquiryRequest {
                    request_type_code: "property-transfer".into(),
                    client_request_id: key(),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        // Out of order.
        let early = c
            .set_property(with_token(
                pb::SetPropertyRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    location: Some(pb::set_property_request::Location::RenovationCode(
                        PARCEL_CLEAN.into(),
                    )),
                    request_number: request_number(100),
                },
                tok,
            ))
            .await
            .unwrap_err();
        assert_eq!(early.code(), Code::FailedPrecondition);
        let rt = c
            .get_request_type(with_token(
                pb::GetRequestTypeRequest {
                    code: "property-transfer".into(),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .request_type
            .unwrap();
        let inq = c
            .accept_undertakings(with_token(
                pb::AcceptUndertakingsRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    undertaking_version_ids: rt
                        .undertakings
                        .iter()
                        .map(|u| u.undertaking_version_id.clone())
                        .collect(),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        let set_property = |number: String| {
            let mut c = c.clone();
            let inq = inq.clone();
            async move {
                c.set_property(with_token(
                    pb::SetPropertyRequest {
                        inquiry_id: inq.inquiry_id.clone(),
                        expected_version: inq.version,
                        client_request_id: key(),
                        location: Some(pb::set_property_request::Location::RenovationCode(
                            PARCEL_CLEAN.into(),
                        )),
                        request_number: number,
                    },
                    tok,
                ))
                .await
            }
        };
        // A wrong request number: unknown, and another parcel's.
        for (number, reason) in [
            (request_number(555), "REQUEST_NUMBER_UNKNOWN"),
            (request_number(101), "REQUEST_NUMBER_OTHER_PARCEL"),
        ] {
            let err = set_property(number).await.unwrap_err();
            assert_eq!(err.code(), Code::InvalidArgument);
            let (r, fa, en) = messages(&err);
            assert_eq!(r, reason, "{}", t.label);
            assert!(!fa.is_empty() && !en.is_empty() && fa != en);
        }
        // A typo in the number is caught by its check digit before any lookup.
        let mut typo = request_number(100);
        let last = typo.pop().unwrap();
        typo.push(if last == '9' {
            '0'
        } else {
            char::from(last as u8 + 1)
        });
        let err = set_property(typo).await.unwrap_err();
        assert_eq!(messages(&err).0, "REQUEST_NUMBER_INVALID");
        // Still where it was.
        assert_eq!(
            h.get(tok, &inq.inquiry_id).await.unwrap().version,
            inq.version
        );

        // By a map click instead, with the right number.
        let inq = c
            .set_property(with_token(
                pb::SetPropertyRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    location: Some(pb::set_property_request::Location::PickedPoint(
                        estelam_proto::common::v1::GeoPoint {
                            lat: 32.86,
                            lon: 51.55,
                        },
                    )),
                    request_number: request_number(100),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        assert_eq!(inq.property.as_ref().unwrap().renovation_code, PARCEL_CLEAN);

        // A letter dated in the future.
        let tomorrow = estelam_domain::JalaliDate::from_unix_seconds_in_iran(
            i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap()
                + 2 * 86_400,
        )
        .unwrap();
        let err = c
            .set_letter(with_token(
                pb::SetLetterRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    letter_number: "45/12".into(),
                    letter_date_jalali: tomorrow.to_string(),
                    authority_organization_id: ORG_ID.into(),
                },
                tok,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let (r, fa, en) = messages(&err);
        assert_eq!(r, "LETTER_DATE_IN_FUTURE");
        assert!(fa.contains("تاریخ نامه") && en.contains("cannot be later than today"));
        let inq = c
            .set_letter(with_token(
                pb::SetLetterRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    letter_number: "45/12".into(),
                    letter_date_jalali: "۱۴۰۳/۰۵/۱۲".into(),
                    authority_organization_id: ORG_ID.into(),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        assert_eq!(
            inq.letter
                .as_ref()
                .unwrap()
                .authority_name
                .as_ref()
                .unwrap()
                .en,
            "Notary office No. 12, Shahin Shahr"
        );

        // A missing deed, and someone else's deed.
        for docs in [
            vec!["doc-id-card"],
            vec!["doc-id-card", "doc-someone-elses-deed"],
        ] {
            let err = c
                .attach_documents(with_token(
                    pb::AttachDocumentsRequest {
                        inquiry_id: inq.inquiry_id.clone(),
                        expected_version: inq.version,
                        client_request_id: key(),
                        document_ids: docs.iter().map(|d| (*d).to_owned()).collect(),
                    },
                    tok,
                ))
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::InvalidArgument);
            let (r, fa, en) = messages(&err);
            assert!(
                r == "REQUIRED_DOCUMENT_MISSING" || r == "DOCUMENT_NOT_FOUND",
                "{r}"
            );
            if r == "REQUIRED_DOCUMENT_MISSING" {
                assert!(fa.contains("سند مالکیت") && en.contains("ownership deed"));
            }
        }
        let inq = c
            .attach_documents(with_token(
                pb::AttachDocumentsRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    document_ids: vec!["doc-id-card".into(), "doc-deed".into()],
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();

        // Someone else named: a citizen files only as themselves. (The wrong ownership
        // type goes to a clerk instead: tests/review.rs.)
        for (nc, ownership, reason, code) in [(
            OTHER_NC,
            ppb::OwnershipType::Full,
            "APPLICANT_NOT_CALLER",
            Code::PermissionDenied,
        )] {
            let err = c
                .set_applicant(with_token(
                    pb::SetApplicantRequest {
                        inquiry_id: inq.inquiry_id.clone(),
                        expected_version: inq.version,
                        client_request_id: key(),
                        full_name: OWNER_NAME.into(),
                        national_code: nc.into(),
                        ownership_type: ownership as i32,
                        representation: None,
                    },
                    tok,
                ))
                .await
                .unwrap_err();
            assert_eq!(err.code(), code);
            let (r, fa, en) = messages(&err);
            assert_eq!(r, reason);
            assert!(!fa.is_empty() && !en.is_empty());
        }
        let after = h.get(tok, &inq.inquiry_id).await.unwrap();
        assert_eq!(after.state, pb::InquiryState::DocumentsAttached as i32);
        assert_eq!(after.version, inq.version);

        // The parcel changes hands after step 6: Submit refuses it as REJECTED, with why.
        let verified = c
            .set_applicant(with_token(
                pb::SetApplicantRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    full_name: OWNER_NAME.into(),
                    national_code: OWNER_NC.into(),
                    ownership_type: ppb::OwnershipType::Full as i32,
                    representation: None,
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        h.world.with(|w| {
            let p = w.parcels.get_mut(PARCEL_CLEAN).unwrap();
            p.ownership.as_mut().unwrap().owners[0].national_code = OTHER_NC.into();
        });
        let rejected = h.submit(&verified, &key()).await.unwrap().inquiry.unwrap();
        assert_eq!(rejected.state, pb::InquiryState::Rejected as i32);
        assert!(
            rejected
                .state_reason
                .unwrap()
                .en
                .contains("ownership changed")
        );
        assert_eq!(h.world.calls("Property.MarkRequestNumberUsed"), 0);
        h.world.with(|w| {
            let p = w.parcels.get_mut(PARCEL_CLEAN).unwrap();
            p.ownership.as_mut().unwrap().owners[0].national_code = OWNER_NC.into();
        });
        return_to_refusal_checks(&h, &inq).await;
        h.stop().await;
        t.cleanup().await;
    }
}

/// A rejected inquiry is final: no step may be redone on it.
async fn return_to_refusal_checks(h: &Harness, inq: &pb::Inquiry) {
    let now = h.get(&h.citizen, &inq.inquiry_id).await.unwrap();
    let err = h
        .client
        .clone()
        .set_property(with_token(
            pb::SetPropertyRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: now.version,
                client_request_id: key(),
                location: Some(pb::set_property_request::Location::RenovationCode(
                    PARCEL_CLEAN.into(),
                )),
                request_number: request_number(100),
            },
            &h.citizen,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(messages(&err).0, "INQUIRY_NOT_EDITABLE");
}

/// Two attempts of one call (same caller, method and key) sent at once, both past the
/// replay before either saves: the fakes hold each attempt until the other arrives. The
/// loser of the race must answer with the winner's response, for a step and for Submit
/// alike, and the call must act once.
#[tokio::test]
async fn a_concurrent_retry_gets_the_first_response_for_a_step_and_for_submit() {
    for t in testing::databases("inq_concurrent", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        let both_at = |call: &str| {
            h.world.with(|w| {
                w.rendezvous.clear();
                w.rendezvous.insert(
                    call.into(),
                    std::sync::Arc::new(tokio::sync::Barrier::new(2)),
                );
            })
        };

        // A step (the applicant, redone): both attempts check the applicant at once.
        both_at("Property.CheckApplicant");
        let checks = h.world.calls("Property.CheckApplicant");
        let step_key = key();
        let set_applicant = || {
            let mut c = h.client.clone();
            let req = pb::SetApplicantRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: step_key.clone(),
                full_name: OWNER_NAME.into(),
                national_code: OWNER_NC.into(),
                ownership_type: ppb::OwnershipType::Full as i32,
                representation: None,
            };
            let token = h.citizen.clone();
            async move {
                c.set_applicant(with_token(req, &token))
                    .await
                    .map(|r| r.into_inner().inquiry.unwrap())
            }
        };
        let (a, b) = tokio::join!(set_applicant(), set_applicant());
        let (a, b) = (
            a.unwrap_or_else(|e| panic!("{}: {e:?}", t.label)),
            b.unwrap_or_else(|e| panic!("{}: {e:?}", t.label)),
        );
        assert_eq!(a, b, "{}: both attempts get the first response", t.label);
        assert_eq!(a.version, inq.version + 1, "{}: saved once", t.label);
        assert_eq!(h.world.calls("Property.CheckApplicant"), checks + 2);

        // Submit: both attempts assess at once (fees answers both with one bill).
        both_at("Fees.Assess");
        let submit_key = key();
        let (x, y) = tokio::join!(h.submit(&a, &submit_key), h.submit(&a, &submit_key));
        let (x, y) = (
            x.unwrap_or_else(|e| panic!("{}: {e:?}", t.label)),
            y.unwrap_or_else(|e| panic!("{}: {e:?}", t.label)),
        );
        assert_eq!(h.world.calls("Fees.Assess"), 2, "{}: both ran", t.label);
        let (first, second) = (x.inquiry.unwrap(), y.inquiry.unwrap());
        assert_eq!(
            first, second,
            "{}: both attempts get the first response",
            t.label
        );
        assert_eq!(first.state, pb::InquiryState::Issued as i32);
        assert_eq!(first.version, a.version + 1, "{}: saved once", t.label);
        // Each response carries the bill: the winner's as assessed, the loser's from fees.
        let (bill_x, bill_y) = (x.bill.unwrap(), y.bill.unwrap());
        assert_eq!(bill_x.bill_id, first.bill_id);
        assert_eq!(bill_y.bill_id, first.bill_id);
        assert_eq!(h.answers_stored(&first.inquiry_id).await, 1, "{}", t.label);
        assert_eq!(h.answer_events(&first.inquiry_id).await, 1, "{}", t.label);

        // A retry after the fact is answered from the record, and fees is asked for the
        // bill as it is now.
        h.world.with(|w| w.rendezvous.clear());
        let bills_read = h.world.calls("Fees.GetBill");
        let again = h.submit(&a, &submit_key).await.unwrap();
        assert_eq!(again.inquiry.unwrap(), first);
        assert_eq!(again.bill.unwrap().bill_id, first.bill_id);
        assert_eq!(h.world.calls("Fees.GetBill"), bills_read + 1);
        assert_eq!(
            h.world.calls("Fees.Assess"),
            2,
            "{}: no third assessment",
            t.label
        );
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_step_may_be_corrected_before_submit() {
    for t in testing::databases("inq_correct", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let tok = &h.citizen;
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;

        // A step may be corrected before submit: redoing step 4 moves back.
        let back = c
            .set_property(with_token(
                pb::SetPropertyRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key(),
                    location: Some(pb::set_property_request::Location::RenovationCode(
                        PARCEL_CLEAN.into(),
                    )),
                    request_number: request_number(100),
                },
                tok,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        assert_eq!(back.state, pb::InquiryState::PropertyVerified as i32);
        assert!(back.letter.is_none() && back.documents.is_none());
        assert!(back.history.last().unwrap().reason.is_some());
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn callers_see_only_what_is_theirs() {
    for t in testing::databases("inq_authz", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let mine = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        // Another citizen: NotFound, by id and by number, and not in their list.
        let err = h.get(&h.other_citizen, &mine.inquiry_id).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{}", t.label);
        let err = c
            .get_inquiry(with_token(
                pb::GetInquiryRequest {
                    key: Some(pb::get_inquiry_request::Key::InquiryNumber(
                        mine.inquiry_number.clone(),
                    )),
                },
                &h.other_citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .submit(with_token(
                pb::SubmitRequest {
                    inquiry_id: mine.inquiry_id.clone(),
                    expected_version: mine.version,
                    client_request_id: key(),
                },
                &h.other_citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let list = c
            .list_inquiries(with_token(
                pb::ListInquiriesRequest::default(),
                &h.other_citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(list.inquiries.is_empty());
        // The owner sees it; a clerk sees it; no token is Unauthenticated.
        let list = c
            .list_inquiries(with_token(pb::ListInquiriesRequest::default(), &h.citizen))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.inquiries.len(), 1);
        assert!(h.get(&h.clerk, &mine.inquiry_id).await.is_ok());
        let err = c
            .get_inquiry(pb::GetInquiryRequest {
                key: Some(pb::get_inquiry_request::Key::InquiryId(
                    mine.inquiry_id.clone(),
                )),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        // The office the citizen's letter names reads it and lists it among those
        // addressed to it, but does not fill it in; another office sees nothing.
        assert!(h.get(&h.authority, &mine.inquiry_id).await.is_ok());
        let addressed = c
            .list_inquiries(with_token(
                pb::ListInquiriesRequest {
                    letter_organization_id: ORG_ID.into(),
                    ..Default::default()
                },
                &h.authority,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(addressed.inquiries.len(), 1, "{}", t.label);
        let err = h.submit_as(&h.authority, &mine, &key()).await.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{}", t.label);
        let mut other_office = h.mint.claims("other-office-user", &[Role::Authority]);
        other_office.org = Some("org-other".into());
        let other_office = h.mint.sign(&other_office);
        assert_eq!(
            h.get(&other_office, &mine.inquiry_id)
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        let list = c
            .list_inquiries(with_token(
                pb::ListInquiriesRequest {
                    letter_organization_id: ORG_ID.into(),
                    ..Default::default()
                },
                &other_office,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(list.inquiries.is_empty(), "{}", t.label);
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn authorities_file_on_behalf_track_in_pages_and_ask_in_bulk() {
    for t in testing::databases("inq_authority", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let membership = membership_code(4242);
        h.world.with(|w| {
            w.memberships
                .insert((OWNER_NC.into(), membership.clone()), h.citizen_id.clone());
        });
        let file = |mc: String, key: String| {
            let mut c = c.clone();
            let tok = h.authority.clone();
            async move {
                c.file_inquiry_on_behalf(with_token(
                    pb::FileInquiryOnBehalfRequest {
                        request_type_code: "property-transfer".into(),
                        applicant_national_code: "۰۰۷۶۲۲۹۶۴۵".into(),
                        applicant_membership_code: mc,
                        client_request_id: key,
                    },
                    &tok,
                ))
                .await
            }
        };
        let err = file(membership_code(1), key()).await.unwrap_err();
        assert_eq!(messages(&err).0, "CONSENT_NOT_VERIFIED", "{}", t.label);
        let mut filed = Vec::new();
        for _ in 0..3 {
            let k = key();
            let inq = file(membership.clone(), k.clone())
                .await
                .unwrap()
                .into_inner()
                .inquiry
                .unwrap();
            // A retry with the same key returns the same inquiry.
            let again = file(membership.clone(), k)
                .await
                .unwrap()
                .into_inner()
                .inquiry
                .unwrap();
            assert_eq!(again.inquiry_id, inq.inquiry_id);
            assert_eq!(inq.filed_by_organization_id, ORG_ID);
            assert_eq!(inq.applicant_account_id, h.citizen_id);
            filed.push(inq);
        }
        // The citizen sees what was filed for them; the authority pages through its own.
        assert!(h.get(&h.citizen, &filed[0].inquiry_id).await.is_ok());
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = c
                .list_inquiries(with_token(
                    pb::ListInquiriesRequest {
                        page_size: 2,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                    &h.authority,
                ))
                .await
                .unwrap()
                .into_inner();
            seen.extend(page.inquiries.into_iter().map(|i| i.inquiry_id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let mut expected: Vec<String> = filed.iter().rev().map(|i| i.inquiry_id.clone()).collect();
        assert_eq!(seen, expected, "newest first, each once");
        // Bulk status: found ones, unknown ones, in the order asked.
        let mut numbers: Vec<String> = filed.iter().map(|i| i.inquiry_number.clone()).collect();
        numbers.push("12345".into());
        let entries = c
            .bulk_status(with_token(
                pb::BulkStatusRequest {
                    inquiry_numbers: numbers.clone(),
                },
                &h.authority,
            ))
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 4);
        assert!(
            entries[..3]
                .iter()
                .all(|e| e.found && e.state == pb::InquiryState::Draft as i32)
        );
        assert!(!entries[3].found);
        let too_many = vec![filed[0].inquiry_number.clone(); 1001];
        let err = c
            .bulk_status(with_token(
                pb::BulkStatusRequest {
                    inquiry_numbers: too_many,
                },
                &h.authority,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(messages(&err).0, "INQUIRY_NUMBERS_TOO_MANY");
        // Another citizen's view of the same numbers: not found.
        let entries = c
            .bulk_status(with_token(
                pb::BulkStatusRequest {
                    inquiry_numbers: numbers,
                },
                &h.other_citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert!(entries.iter().all(|e| !e.found));
        expected.clear();
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn request_types_are_data_that_admins_edit() {
    for t in testing::databases("inq_types", &migrations())
        .await
        .unwrap()
    {
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let all = c
            .list_request_types(with_token(pb::ListRequestTypesRequest::default(), &h.admin))
            .await
            .unwrap()
            .into_inner()
            .request_types;
        let codes: Vec<&str> = all.iter().map(|t| t.code.as_str()).collect();
        for code in ["property-transfer", "mortgage", "court", "clearance"] {
            assert!(codes.contains(&code), "{code} seeded ({})", t.label);
        }
        let mut new_type = all.iter().find(|t| t.code == "court").unwrap().clone();
        new_type.code = "building-permit-check".into();
        new_type.name = Some(estelam_proto::common::v1::LocalizedText {
            fa: "استعلام پروانه".into(),
            en: "Permit check".into(),
        });
        let put = |tok: String, rt: pb::RequestType, expected: i64| {
            let mut c = c.clone();
            async move {
                c.put_request_type(with_token(
                    pb::PutRequestTypeRequest {
                        request_type: Some(rt),
                        expected_version: expected,
                        reason: "new e-service".into(),
                        client_request_id: key(),
                    },
                    &tok,
                ))
                .await
            }
        };
        assert_eq!(
            put(h.citizen.clone(), new_type.clone(), 0)
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        let stored = put(h.admin.clone(), new_type.clone(), 0)
            .await
            .unwrap()
            .into_inner()
            .request_type
            .unwrap();
        assert_eq!(stored.version, 1);
        // Changing an undertaking's text needs a new text version.
        let mut changed = stored.clone();
        changed.undertakings[0]
            .text
            .as_mut()
            .unwrap()
            .fa
            .push_str(" (ویرایش)");
        assert_eq!(
            put(h.admin.clone(), changed.clone(), 1)
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );
        changed.undertakings[0].version = 2;
        let v2 = put(h.admin.clone(), changed.clone(), 1)
            .await
            .unwrap()
            .into_inner()
            .request_type
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            v2.undertakings[0].undertaking_version_id,
            format!("{}@2", changed.undertakings[0].code)
        );
        assert_eq!(
            put(h.admin.clone(), changed, 1).await.unwrap_err().code(),
            Code::Aborted
        );
        // A citizen may file it at once: no code was needed.
        let inq = c
            .create_inquiry(with_token(
                pb::CreateInquiryRequest {
                    request_type_code: "building-permit-check".into(),
                    client_request_id: key(),
                },
                &h.citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        assert_eq!(inq.request_type_version, 2);
        h.stop().await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn inquiries_are_cancelled_with_a_reason_and_expire_when_left_unfinished() {
    for t in testing::databases("inq_expire", &migrations())
        .await
        .unwrap()
    {
        let mut h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let mut c = h.client.clone();
        let create = || {
            let mut c = c.clone();
            let tok = h.citizen.clone();
            async move {
                c.create_inquiry(with_token(
                    pb::CreateInquiryRequest {
                        request_type_code: "clearance".into(),
                        client_request_id: key(),
                    },
                    &tok,
                ))
                .await
            }
        };
        let a = create().await.unwrap().into_inner().inquiry.unwrap();
        let b = create().await.unwrap().into_inner().inquiry.unwrap();
        // Another citizen cannot cancel it (nor learn it exists).
        let err = c
            .cancel_inquiry(with_token(
                pb::CancelInquiryRequest {
                    inquiry_id: a.inquiry_id.clone(),
                    expected_version: a.version,
                    client_request_id: key(),
                    reason: String::new(),
                },
                &h.other_citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let cancelled = c
            .cancel_inquiry(with_token(
                pb::CancelInquiryRequest {
                    inquiry_id: a.inquiry_id.clone(),
                    expected_version: a.version,
                    client_request_id: key(),
                    reason: "منصرف شدم".into(),
                },
                &h.citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        assert_eq!(
            cancelled.state,
            pb::InquiryState::Cancelled as i32,
            "{}",
            t.label
        );
        assert_eq!(cancelled.state_reason.unwrap().fa, "منصرف شدم");
        // Time passes while the service is down: b's time to be finished runs out.
        h.stop_inquiry().await;
        {
            let mut conn = h.db.pool().acquire().await.unwrap();
            let mut stale = estelam_inquiry::store::inquiry(&mut conn, &b.inquiry_id)
                .await
                .unwrap()
                .unwrap();
            stale.expires_at_us = Some(1);
            let v = stale.version;
            assert!(
                estelam_inquiry::store::update_inquiry(&mut conn, &stale, v)
                    .await
                    .unwrap()
            );
        }
        // The sweep at start expires it.
        h.start_inquiry().await;
        let expired = h
            .wait_for_state(&b.inquiry_id, pb::InquiryState::Expired)
            .await;
        assert!(!expired.state_reason.unwrap().en.is_empty());
        // The cancelled one stays cancelled.
        assert_eq!(
            h.get(&h.citizen, &a.inquiry_id).await.unwrap().state,
            pb::InquiryState::Cancelled as i32
        );
        h.stop().await;
        t.cleanup().await;
    }
}
