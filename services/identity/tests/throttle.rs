//! Over real gRPC, on every backend: repeated failures are throttled per account and per
//! source address, with a retry time, and the trail records the lockout.

mod common;

use common::*;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::testing::with_token;
use tonic::Code;

fn from(source: &str, request: pb::LoginRequest) -> tonic::Request<pb::LoginRequest> {
    let mut r = tonic::Request::new(request);
    r.metadata_mut()
        .insert("x-forwarded-for", source.parse().unwrap());
    r
}

#[tokio::test]
async fn wrong_passwords_are_throttled_with_a_retry_time_then_locked_out() {
    let mut s = settings();
    s.identity.throttle.account_free_failures = 3;
    s.identity.throttle.account_lockout_failures = 5;
    for h in start_all("identity_throttle", s).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        let account = register(&mut client, &national).await.account.unwrap();

        for attempt in 1..=3 {
            let err = client
                .login(login_request(&national, "wrong password"))
                .await
                .unwrap_err();
            assert_eq!(
                err.code(),
                Code::Unauthenticated,
                "{label}: attempt {attempt}"
            );
            assert_eq!(error_of(&err).reason, "CREDENTIALS_WRONG");
        }
        // The fourth wrong password starts the delays: refused with when to retry.
        let err = client
            .login(login_request(&national, "wrong password"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{label}");
        let e = error_of(&err);
        assert_eq!(e.reason, "ATTEMPTS_THROTTLED");
        let retry = e.retry_after.expect("RetryInfo");
        assert!(retry.as_secs() >= 1, "{retry:?}");
        // While blocked even the right password is refused, by membership code too.
        let err = client
            .login(login_request(&national, CITIZEN_PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{label}: blocked");
        let by_membership = pb::LoginRequest {
            identifier: Some(pb::login_request::Identifier::MembershipCode(
                account.membership_code.clone(),
            )),
            password: CITIZEN_PASSWORD.into(),
        };
        assert_eq!(
            client.login(by_membership).await.unwrap_err().code(),
            Code::ResourceExhausted
        );

        // Unknown accounts are throttled the same way, so throttling tells nothing.
        let stranger = fresh_national_code();
        for _ in 1..=3 {
            assert_eq!(
                client
                    .login(login_request(&stranger, "whatever it is"))
                    .await
                    .unwrap_err()
                    .code(),
                Code::Unauthenticated
            );
        }
        assert_eq!(
            client
                .login(login_request(&stranger, "whatever it is"))
                .await
                .unwrap_err()
                .code(),
            Code::ResourceExhausted
        );

        let admin = admin_token(&mut client).await;
        let failed = client
            .list_audit_events(with_token(
                pb::ListAuditEventsRequest {
                    kinds: vec![pb::AuditEventKind::LoginFailed as i32],
                    page_size: 100,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .events;
        assert!(
            failed
                .iter()
                .filter(|e| e.account_id == account.account_id)
                .count()
                >= 4,
            "{label}"
        );
        assert!(
            failed
                .iter()
                .any(|e| e.account_id.is_empty() && e.presented_identifier == stranger),
            "{label}: unknown identifier kept"
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn failures_from_one_source_throttle_that_source_only_and_forwarded_for_is_trusted_from_the_gateway()
 {
    let mut s = settings();
    s.identity.throttle.source_free_failures = 4;
    s.identity.throttle.source_lockout_failures = 6;
    for h in start_all("identity_source", s).await {
        let label = h.label;
        let mut client = h.client();
        // A password-spraying client: one try on each of many accounts, from one address.
        for _ in 0..4 {
            let err = client
                .login(from(
                    "203.0.113.7",
                    login_request(&fresh_national_code(), "spring2026!"),
                ))
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::Unauthenticated, "{label}");
        }
        let err = client
            .login(from(
                "203.0.113.7",
                login_request(&fresh_national_code(), "spring2026!"),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::ResourceExhausted,
            "{label}: the source is throttled"
        );
        assert!(error_of(&err).retry_after.is_some());
        // Another address (as forwarded by the trusted gateway on loopback) is not.
        let national = fresh_national_code();
        register(&mut client, &national).await;
        client
            .login(from(
                "203.0.113.8",
                login_request(&national, CITIZEN_PASSWORD),
            ))
            .await
            .expect("another source logs in");

        // The trail has the forwarded address.
        let admin = client
            .login(from(
                "198.51.100.1",
                login_request(ADMIN_NATIONAL_CODE, ADMIN_PASSWORD),
            ))
            .await
            .unwrap()
            .into_inner()
            .tokens
            .unwrap()
            .access_token;
        let events = client
            .list_audit_events(with_token(
                pb::ListAuditEventsRequest {
                    page_size: 200,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .events;
        assert!(
            events.iter().any(|e| e.source_address == "203.0.113.7"
                && e.kind == pb::AuditEventKind::LoginFailed as i32),
            "{label}"
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn a_lockout_is_audited_and_says_when_to_come_back() {
    let mut s = settings();
    s.identity.throttle.account_free_failures = 0;
    s.identity.throttle.account_lockout_failures = 1;
    for h in start_all("identity_lockout", s).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        let account = register(&mut client, &national).await.account.unwrap();
        let err = client
            .login(login_request(&national, "wrong password"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{label}");
        let retry = error_of(&err).retry_after.expect("RetryInfo");
        assert!(
            retry.as_secs() > 60,
            "{label}: a lockout lasts (900 s by default): {retry:?}"
        );
        let admin = admin_token(&mut client).await;
        let locked = client
            .list_audit_events(with_token(
                pb::ListAuditEventsRequest {
                    account_id: account.account_id.clone(),
                    kinds: vec![pb::AuditEventKind::LockedOut as i32],
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .events;
        assert_eq!(locked.len(), 1, "{label}");
        h.stop().await;
    }
}

/// The consent check of on-behalf filing counts wrong membership codes per (organisation,
/// citizen): the inquiry service asks for every office from one account and one address,
/// so one office's wrong codes must block neither another office's check for the same
/// citizen nor the same office's check for another citizen.
#[tokio::test]
async fn wrong_membership_codes_are_counted_per_organisation_and_citizen() {
    for h in start_all("identity_consent_throttle", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let service = client
            .client_credentials_token(pb::ClientCredentialsTokenRequest {
                client_id: FEES_CLIENT_ID.into(),
                client_secret: FEES_SECRET.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .access_token;
        let first = fresh_national_code();
        let first_code = register(&mut client, &first).await.membership_code;
        let second = fresh_national_code();
        let second_code = register(&mut client, &second).await.membership_code;
        let check = |org: &str, national: &str, membership: &str| {
            with_token(
                pb::VerifyMembershipCodeRequest {
                    national_code: national.into(),
                    membership_code: membership.into(),
                    organization_id: org.into(),
                },
                &service,
            )
        };
        let wrong = (1..)
            .map(|n| {
                estelam_domain::CheckCode::from_sequence(estelam_domain::CodeKind::Membership, n)
                    .unwrap()
                    .as_str()
                    .to_owned()
            })
            .find(|c| *c != first_code)
            .unwrap();
        let wrong = wrong.as_str();
        let mut blocked = false;
        for _ in 0..6 {
            match client
                .verify_membership_code(check("office-a", &first, wrong))
                .await
            {
                Ok(r) => assert!(!r.into_inner().matches, "{label}"),
                Err(e) => {
                    assert_eq!(e.code(), Code::ResourceExhausted, "{label}: {e}");
                    blocked = true;
                }
            }
        }
        assert!(blocked, "{label}: office A's guessing is throttled");
        // Office B, same citizen, right code: not blocked by office A's guesses.
        let b = client
            .verify_membership_code(check("office-b", &first, &first_code))
            .await
            .unwrap_or_else(|e| panic!("{label}: office B is not blocked: {e}"))
            .into_inner();
        assert!(b.matches, "{label}");
        // Office A, another citizen, right code: not blocked either.
        let a = client
            .verify_membership_code(check("office-a", &second, &second_code))
            .await
            .unwrap_or_else(|e| panic!("{label}: office A's other citizen: {e}"))
            .into_inner();
        assert!(a.matches, "{label}");
        // And office A, the guessed citizen, stays blocked even with the right code.
        let still = client
            .verify_membership_code(check("office-a", &first, &first_code))
            .await
            .unwrap_err();
        assert_eq!(still.code(), Code::ResourceExhausted, "{label}");
        h.stop().await;
    }
}
