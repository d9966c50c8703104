//! The token verifier every service runs refuses anything identity did not issue for it.

use base64::Engine as _;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::TokenMint;

fn b64(json: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

#[test]
fn a_valid_token_yields_the_caller_with_roles_and_organization() {
    let mint = TokenMint::new();
    let mut claims = mint.claims("user-1", &[Role::Authority]);
    claims.org = Some("notary-12".into());
    let caller = mint
        .verifier()
        .verify(&mint.sign(&claims))
        .expect("valid token");
    assert_eq!(caller.subject, "user-1");
    assert_eq!(caller.roles, vec![Role::Authority]);
    assert_eq!(caller.organization.as_deref(), Some("notary-12"));
}

#[test]
fn alg_none_is_refused() {
    let mint = TokenMint::new();
    let claims = serde_json::to_string(&mint.claims("user-1", &[Role::Admin])).unwrap();
    let token = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims));
    assert!(mint.verifier().verify(&token).is_err());
}

#[test]
fn an_hmac_token_signed_with_the_public_key_is_refused() {
    let mint = TokenMint::new();
    let claims = mint.claims("user-1", &[Role::Admin]);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(mint.public_key().kid);
    let key = jsonwebtoken::EncodingKey::from_secret(&mint.public_key().key).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert!(mint.verifier().verify(&token).is_err());
}

#[test]
fn the_wrong_audience_or_issuer_is_refused() {
    let mint = TokenMint::new();
    let mut claims = mint.claims("user-1", &[Role::Citizen]);
    claims.aud = "another-system".into();
    assert!(mint.verifier().verify(&mint.sign(&claims)).is_err());
    let mut claims = mint.claims("user-1", &[Role::Citizen]);
    claims.iss = "someone-else".into();
    assert!(mint.verifier().verify(&mint.sign(&claims)).is_err());
}

#[test]
fn an_expired_or_not_yet_valid_token_is_refused() {
    let mint = TokenMint::new();
    let mut claims = mint.claims("user-1", &[Role::Citizen]);
    claims.exp = claims.iat - 120;
    assert!(mint.verifier().verify(&mint.sign(&claims)).is_err());
    let mut claims = mint.claims("user-1", &[Role::Citizen]);
    claims.nbf = claims.iat + 600;
    assert!(mint.verifier().verify(&mint.sign(&claims)).is_err());
}

#[test]
fn a_signature_by_an_unknown_key_is_refused_and_rotation_keeps_the_previous_key() {
    let trusted = TokenMint::new();
    let stranger = TokenMint::new();
    let verifier = trusted.verifier();
    assert!(
        verifier
            .verify(&stranger.token("user-1", &[Role::Admin]))
            .is_err()
    );
    // After a rotation identity publishes the new key and the previous one.
    verifier.set_keys(&[stranger.public_key(), trusted.public_key()]);
    assert!(
        verifier
            .verify(&stranger.token("user-1", &[Role::Admin]))
            .is_ok()
    );
    assert!(
        verifier
            .verify(&trusted.token("user-1", &[Role::Admin]))
            .is_ok()
    );
}

#[test]
fn a_tampered_payload_is_refused() {
    let mint = TokenMint::new();
    let token = mint.token("user-1", &[Role::Citizen]);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let forged = serde_json::to_string(&mint.claims("user-1", &[Role::Admin])).unwrap();
    parts[1] = b64(&forged);
    assert!(mint.verifier().verify(&parts.join(".")).is_err());
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_revoked_subjects_earlier_tokens_are_refused_and_later_ones_accepted() {
    use estelam_runtime::auth::{RevokedSubject, TokenError};
    let mint = TokenMint::new();
    let verifier = mint.verifier();
    let now = now();
    let mut before = mint.claims("disabled-1", &[Role::Citizen]);
    before.iat = now - 60;
    let before = mint.sign(&before);
    let other = mint.token("someone-else", &[Role::Citizen]);
    assert!(verifier.verify(&before).is_ok(), "accepted until revoked");
    verifier.set_revoked(&[RevokedSubject {
        subject: "disabled-1".into(),
        revoked_at: now - 10,
        hold_until: now + 900,
    }]);
    assert_eq!(verifier.revoked_count(), 1);
    assert!(matches!(verifier.verify(&before), Err(TokenError::Revoked)));
    assert!(verifier.verify(&other).is_ok(), "other subjects unaffected");
    // Re-enabled and logged in again: a token issued after the revocation works.
    let after = mint.token("disabled-1", &[Role::Citizen]);
    assert_eq!(
        verifier
            .verify(&after)
            .expect("a new token is accepted")
            .subject,
        "disabled-1"
    );
}

#[test]
fn revocations_past_their_hold_are_dropped() {
    use estelam_runtime::auth::RevokedSubject;
    let mint = TokenMint::new();
    let verifier = mint.verifier();
    let now = now();
    let mut claims = mint.claims("old-1", &[Role::Citizen]);
    claims.iat = now - 120;
    let token = mint.sign(&claims);
    verifier.set_revoked(&[
        RevokedSubject {
            subject: "old-1".into(),
            revoked_at: now - 60,
            hold_until: now - 1,
        },
        RevokedSubject {
            subject: "held-1".into(),
            revoked_at: now - 60,
            hold_until: now + 600,
        },
    ]);
    assert_eq!(verifier.revoked_count(), 1, "only the entry still held");
    assert!(verifier.verify(&token).is_ok());
    // A single revocation added at once replaces nothing else and is honoured immediately.
    verifier.revoke(RevokedSubject {
        subject: "old-1".into(),
        revoked_at: now,
        hold_until: now + 600,
    });
    assert_eq!(verifier.revoked_count(), 2);
    assert!(verifier.verify(&token).is_err());
}

#[test]
fn a_token_already_verified_stops_verifying_once_its_key_is_withdrawn() {
    let old = TokenMint::new();
    let new = TokenMint::new();
    let verifier = old.verifier();
    let token = old.token("user-1", &[Role::Citizen]);
    assert!(verifier.verify(&token).is_ok());
    assert!(
        verifier.verify(&token).is_ok(),
        "and again, from what was verified"
    );
    // Identity rotated twice: the old key is no longer published.
    verifier.set_keys(&[new.public_key()]);
    assert!(verifier.verify(&token).is_err());
    assert!(
        verifier
            .verify(&new.token("user-1", &[Role::Citizen]))
            .is_ok()
    );
}
