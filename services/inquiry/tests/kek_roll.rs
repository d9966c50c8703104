//! Rolling the key-encryption key (KEK) that seals the answer-signing keys, on every
//! database backend: an admin's ResealAnswerSigningKeys re-seals every stored private key
//! under a new KEK while the service keeps serving; a restart with only the new KEK loads
//! the keys and an answer issued before still verifies; a restart with only the old KEK
//! refuses to start and says why.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use estelam_inquiry::key_seal::KeySeal;
use estelam_inquiry::migrations;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::testing::{self, with_token};
use secrecy::SecretString;
use support::*;
use tonic::Code;

/// Every stored private key: (kid, secret as stored), answer-signing keys and the root.
async fn sealed_rows(h: &Harness) -> Vec<(String, String)> {
    use sqlx::Row as _;
    let mut out = Vec::new();
    for table in ["signing_keys", "trust_root_keys"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT kid, secret FROM {table}"
        )))
        .fetch_all(h.db.pool())
        .await
        .unwrap();
        out.extend(
            rows.iter()
                .map(|r| (r.try_get("kid").unwrap(), r.try_get("secret").unwrap())),
        );
    }
    out
}

/// The verdict of the online check on an answer's verification code.
async fn verdict(h: &Harness, code: &str) -> (pb::VerificationResult, bool) {
    let r = h
        .client
        .clone()
        .verify_answer(pb::VerifyAnswerRequest {
            verification_code: code.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    (r.result(), r.signature_valid)
}

/// The settings with only `kek` configured (no previous one).
fn with_kek(h: &mut Harness, kek: &str) {
    let mut settings = (*h.settings).clone();
    settings.inquiry.signing_key_encryption_key = Some(SecretString::from(kek.to_owned()));
    settings.inquiry.signing_key_encryption_key_previous = None;
    h.settings = std::sync::Arc::new(settings);
}

#[tokio::test]
async fn an_admin_reseals_the_keys_under_a_new_kek_and_a_restart_needs_it() {
    for t in testing::databases("inq_kekroll", &migrations())
        .await
        .unwrap()
    {
        let mut h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let old_kek = h
            .settings
            .inquiry
            .signing_key_encryption_key
            .as_ref()
            .map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned())
            .unwrap();
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        let issued = h
            .submit(&inq, &uuid::Uuid::now_v7().to_string())
            .await
            .unwrap()
            .inquiry
            .unwrap();
        let answer = h
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
            .unwrap();
        let code = answer.verification_code.clone();
        assert_eq!(
            verdict(&h, &code).await,
            (pb::VerificationResult::Valid, true)
        );

        let new_kek = B64.encode(rand::random::<[u8; 32]>());
        let reseal = |token: String, kek: String| {
            let mut c = h.client.clone();
            async move {
                c.reseal_answer_signing_keys(with_token(
                    pb::ResealAnswerSigningKeysRequest {
                        new_key_encryption_key: kek,
                    },
                    &token,
                ))
                .await
            }
        };
        // Only an admin may, and only with a real KEK.
        let refused = reseal(h.clerk.clone(), new_kek.clone()).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{}", t.label);
        let refused = reseal(h.admin.clone(), "c2hvcnQ=".into())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{}", t.label);
        let before = sealed_rows(&h).await;
        let old_seal = KeySeal::new(&estelam_runtime::key_seal::parse_kek(&old_kek).unwrap());
        assert!(before.iter().all(|(k, s)| old_seal.open(k, s).is_ok()));

        let resealed = reseal(h.admin.clone(), new_kek.clone())
            .await
            .unwrap()
            .into_inner()
            .resealed;
        let after = sealed_rows(&h).await;
        assert_eq!(resealed as usize, after.len(), "{}: every key", t.label);
        assert!(
            after.len() >= 2,
            "{}: the signing key and the root",
            t.label
        );
        let new_seal = KeySeal::new(&estelam_runtime::key_seal::parse_kek(&new_kek).unwrap());
        for (kid, stored) in &after {
            assert!(new_seal.open(kid, stored).is_ok(), "{}: {kid}", t.label);
            assert!(old_seal.open(kid, stored).is_err(), "{}: {kid}", t.label);
        }
        // The running service never stopped: the answer still verifies, a new one is
        // signed.
        assert_eq!(
            verdict(&h, &code).await,
            (pb::VerificationResult::Valid, true),
            "{}",
            t.label
        );

        // Restarted with only the new KEK: the keys open, the old answer verifies.
        h.stop_inquiry().await;
        with_kek(&mut h, &new_kek);
        h.start_inquiry().await;
        assert_eq!(
            verdict(&h, &code).await,
            (pb::VerificationResult::Valid, true),
            "{}: the old answer after the restart",
            t.label
        );

        // Restarted with only the old KEK: it refuses to start, and says why.
        h.stop_inquiry().await;
        with_kek(&mut h, &old_kek);
        let why = h.try_start_inquiry().await.unwrap_err();
        assert!(
            why.contains("key-encryption key"),
            "{}: a clear message: {why}",
            t.label
        );
        // With the new one back, it starts again.
        with_kek(&mut h, &new_kek);
        h.start_inquiry().await;
        h.stop().await;
    }
}
