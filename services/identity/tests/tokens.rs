//! Tokens identity issues are accepted by the runtime's verifier fed through
//! `IdentityKeySource`, and every variant that must not be is refused: `alg: none`, the wrong
//! audience, expired, and signed by a key identity does not publish. Key rotation keeps the
//! previous key valid. Service tokens come through `ServiceTokenSource`.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use estelam_identity::tokens::Subject;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::auth::{IdentityKeySource, Role, ServiceTokenSource, TokenVerifier};
use estelam_runtime::error::ErrorCode;
use secrecy::SecretString;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn identity_issued_tokens_pass_the_runtime_verifier_and_tampered_variants_do_not() {
    for h in start_all("identity_tokens", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let source = IdentityKeySource::new(h.server.channel());
        let keys = source.keys().await.expect("GetSigningKeys answers");
        assert_eq!(keys.len(), 1, "{label}");
        let verifier = TokenVerifier::new(&h.settings.auth.issuer, &h.settings.auth.audience);
        verifier.set_keys(&keys);

        let national = fresh_national_code();
        register(&mut client, &national).await;
        let token = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;
        let caller = verifier.verify(&token).expect("identity's token verifies");
        assert_eq!(caller.roles, vec![Role::Citizen]);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(keys[0].kid.as_str()));

        // alg none: identity's own header and claims, unsigned.
        let parts: Vec<&str> = token.split('.').collect();
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        assert!(verifier.verify(&none).is_err(), "{label}: alg none");
        // A payload edited to claim admin, keeping identity's signature.
        let mut claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        claims["roles"] = serde_json::json!(["admin"]);
        let forged = format!("{}.{}.{}", parts[0], b64(&claims.to_string()), parts[2]);
        assert!(verifier.verify(&forged).is_err(), "{label}: edited payload");
        // The wrong audience: a verifier of another system does not accept identity's token.
        let elsewhere = TokenVerifier::new(&h.settings.auth.issuer, "another-system");
        elsewhere.set_keys(&keys);
        assert!(elsewhere.verify(&token).is_err(), "{label}: wrong aud");
        // Expired: signed by identity's real key an hour ago with the 15-minute lifetime.
        let subject = Subject {
            account_id: caller.subject.clone(),
            roles: vec![Role::Citizen],
            organization_id: None,
            national_code: None,
            session_id: None,
            password_change_required: false,
        };
        let (old, _, _) = h
            .identity
            .keys()
            .issue(&subject, Duration::from_secs(900), now() - 3600)
            .unwrap();
        assert!(verifier.verify(&old).is_err(), "{label}: expired");
        let (fresh, _, _) = h
            .identity
            .keys()
            .issue(&subject, Duration::from_secs(900), now())
            .unwrap();
        assert!(verifier.verify(&fresh).is_ok());
        // Unknown key: another identity instance (its own store, its own key).
        for other in start_all("identity_tokens_other", settings()).await {
            let stranger = login(&mut other.client(), ADMIN_NATIONAL_CODE, ADMIN_PASSWORD)
                .await
                .access_token;
            assert!(
                verifier.verify(&stranger).is_err(),
                "{label}: a key {} identity publishes is not ours",
                other.label
            );
            other.stop().await;
        }

        // Rotation: the new key signs, the previous one still verifies until its not_after.
        let new_kid = h.identity.rotate_signing_key().await.unwrap();
        let published = client
            .get_signing_keys(pb::GetSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(published.current_kid, new_kid);
        assert_eq!(published.keys.len(), 2, "{label}: current and previous");
        assert_eq!(published.keys[0].kid, new_kid, "current first");
        assert!(published.keys[0].not_after.is_none() && published.keys[1].not_after.is_some());
        assert!(
            published.keys[1]
                .public_key_pem
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        assert_eq!(published.issuer, h.settings.auth.issuer);
        assert_eq!(published.audience, h.settings.auth.audience);
        verifier.set_keys(&source.keys().await.unwrap());
        assert!(
            verifier.verify(&token).is_ok(),
            "{label}: a token of the previous key still verifies"
        );
        let after = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;
        assert_eq!(
            jsonwebtoken::decode_header(&after).unwrap().kid.as_deref(),
            Some(new_kid.as_str())
        );
        assert!(verifier.verify(&after).is_ok());
        let jwks = estelam_identity::jwks(&h.identity);
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        h.stop().await;
    }
}

#[tokio::test]
async fn a_service_gets_and_caches_its_token_with_client_credentials() {
    for h in start_all("identity_client", settings()).await {
        let label = h.label;
        let tokens = ServiceTokenSource::new(
            h.server.channel(),
            FEES_CLIENT_ID,
            SecretString::from(FEES_SECRET.to_owned()),
        );
        let first = tokens.bearer().await.expect("client credentials accepted");
        let second = tokens.bearer().await.unwrap();
        assert_eq!(first, second, "{label}: cached");
        let caller = h.identity_verifier().verify(&first).expect("verifies");
        assert_eq!(caller.roles, vec![Role::Service]);
        tokens.invalidate().await;
        let third = tokens.bearer().await.unwrap();
        assert_ne!(third, first, "{label}: a new token after invalidation");

        let wrong = ServiceTokenSource::new(
            h.server.channel(),
            FEES_CLIENT_ID,
            SecretString::from("x".repeat(40)),
        );
        let err = wrong.bearer().await.unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::Internal,
            "{label}: a deployment defect, not the user's"
        );

        // The service token may check a citizen's consent.
        let mut client = h.client();
        let national = fresh_national_code();
        let citizen = register(&mut client, &national).await;
        let answer = client
            .verify_membership_code(estelam_runtime::testing::with_token(
                pb::VerifyMembershipCodeRequest {
                    national_code: national,
                    membership_code: citizen.membership_code,
                    organization_id: String::new(),
                },
                &first,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(answer.matches, "{label}");
        h.stop().await;
    }
}

/// A token-signing key stored in the clear by a version before encryption at rest is sealed
/// at the next start (`ensure_signing_key`), and it still signs: tokens identity issues
/// verify against what it publishes.
#[tokio::test]
async fn a_key_stored_in_the_clear_is_sealed_at_start_and_still_signs() {
    for h in start_all("identity_key_seal", settings()).await {
        let label = h.label;
        let pool = h.identity.db().pool().clone();
        let (kid, sealed): (String, Vec<u8>) =
            sqlx::query_as("SELECT kid, secret_key FROM signing_keys WHERE retired_at IS NULL")
                .fetch_one(&pool)
                .await
                .expect("the current key");
        assert!(sealed.starts_with(b"v1:"), "{label}: stored sealed");
        // What an older version stored: the 32 raw bytes of the key.
        let seal = estelam_runtime::key_seal::KeySeal::load(
            None,
            estelam_identity::service::KEK_SETTING,
            &h.settings.data_dir,
            estelam_identity::service::KEK_FILE,
        )
        .expect("the data directory's KEK");
        let plain = seal
            .open(&kid, std::str::from_utf8(&sealed).expect("text"))
            .expect("opens");
        sqlx::query("UPDATE signing_keys SET secret_key = $1 WHERE kid = $2")
            .bind(plain.to_vec())
            .bind(&kid)
            .execute(&pool)
            .await
            .expect("stored in the clear");

        h.identity.ensure_signing_key().await.expect("a start");
        let (again,): (Vec<u8>,) =
            sqlx::query_as("SELECT secret_key FROM signing_keys WHERE kid = $1")
                .bind(&kid)
                .fetch_one(&pool)
                .await
                .expect("the key");
        assert!(again.starts_with(b"v1:"), "{label}: sealed at start");
        assert!(
            !again.windows(32).any(|w| w == plain),
            "{label}: the key's bytes are gone from the store"
        );
        assert_eq!(
            seal.open(&kid, std::str::from_utf8(&again).expect("text"))
                .expect("opens"),
            plain,
            "{label}: the same key"
        );

        let mut client = h.client();
        let national = fresh_national_code();
        register(&mut client, &national).await;
        let token = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;
        let keys = IdentityKeySource::new(h.server.channel())
            .keys()
            .await
            .expect("keys");
        let verifier = TokenVerifier::new(&h.settings.auth.issuer, &h.settings.auth.audience);
        verifier.set_keys(&keys);
        verifier.verify(&token).expect("the sealed key still signs");
        h.stop().await;
    }
}
