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
