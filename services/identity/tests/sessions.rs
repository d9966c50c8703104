//! Over real gRPC, on every backend: a citizen registers, logs in, calls a protected RPC of
//! another server whose verifier learned identity's keys through `IdentityKeySource`,
//! refreshes, has the session revoked when an old refresh token is replayed, and logs out.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use estelam_proto::identity::v1 as pb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_proto::identity::v1::identity_service_server::IdentityServiceServer;
use estelam_runtime::auth::{IdentityKeySource, TokenVerifier};
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::testing::{eventually, spawn_grpc, with_token};
use tonic::Code;

/// A second server, standing in for another service: its own verifier, fed only by
/// identity's `GetSigningKeys` over gRPC, guards a protected RPC (GetMe).
async fn another_service(h: &Harness) -> (estelam_runtime::testing::SpawnedServer, TokenVerifier) {
    let verifier = TokenVerifier::new(&h.settings.auth.issuer, &h.settings.auth.audience);
    verifier.spawn_refresh(
        Arc::new(IdentityKeySource::new(h.server.channel())),
        Duration::from_secs(300),
        h.shutdown.clone(),
    );
    let api = estelam_identity::api::Api::new(h.identity.clone(), Vec::new(), 300);
    let routes = tonic::service::Routes::new(IdentityServiceServer::new(api));
    let server = GrpcServer::new("another", routes, h.settings.grpc.clone(), verifier.clone());
    let v = verifier.clone();
    eventually(
        "the other service has identity's keys",
        Duration::from_secs(20),
        async || v.key_count() > 0,
    )
    .await;
    (spawn_grpc(server).await, verifier)
}

#[tokio::test]
async fn register_login_call_another_service_refresh_detect_reuse_and_logout() {
    for h in start_all("identity_sessions", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        let persian_national = estelam_domain::to_persian_digits(&national);

        // Register with Persian digits; the membership code comes back and a code is texted.
        let registered = register(&mut client, &persian_national).await;
        let account = registered.account.expect("account");
        assert_eq!(
            account.national_code, national,
            "{label}: stored with Latin digits"
        );
        assert_eq!(account.mobile, "09131234567", "{label}: mobile canonical");
        assert_eq!(registered.membership_code, account.membership_code);
        assert_eq!(account.roles, vec![pb::Role::Citizen as i32]);
        let sms = h.sms.last_to("09131234567").expect("an SMS was sent");
        let mobile_code =
            estelam_identity::sms::code_in(&sms.text).expect("the SMS carries a code");

        // Log in with the Latin national code (registered with Persian digits), and with the
        // membership code typed in Persian digits: the same account.
        let tokens = login(&mut client, &national, CITIZEN_PASSWORD).await;
        let by_membership = client
            .login(pb::LoginRequest {
                identifier: Some(pb::login_request::Identifier::MembershipCode(
                    estelam_domain::to_persian_digits(&account.membership_code),
                )),
                password: CITIZEN_PASSWORD.into(),
            })
            .await
            .expect("login by membership code")
            .into_inner();
        assert_eq!(
            by_membership.account.unwrap().account_id,
            account.account_id,
            "{label}"
        );

        // Another service accepts the access token.
        let (other, _verifier) = another_service(&h).await;
        let mut other_client = IdentityServiceClient::new(other.channel());
        let me = other_client
            .get_me(with_token(pb::GetMeRequest {}, &tokens.access_token))
            .await
            .unwrap_or_else(|e| panic!("{label}: the other service refused identity's token: {e}"))
            .into_inner();
        assert_eq!(me.account.unwrap().account_id, account.account_id);
        // And refuses a request without one, or with a forged one.
        let err = other_client.get_me(pb::GetMeRequest {}).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        let forged = estelam_runtime::testing::TokenMint::new()
            .token(&account.account_id, &[estelam_runtime::auth::Role::Admin]);
        let err = other_client
            .get_me(with_token(pb::GetMeRequest {}, &forged))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{label}: a token signed by an unknown key"
        );

        // Verify the mobile number with the texted code.
        let verified = client
            .verify_mobile(with_token(
                pb::VerifyMobileRequest {
                    code: estelam_domain::to_persian_digits(&mobile_code),
                },
                &tokens.access_token,
            ))
            .await
            .expect("mobile verified")
            .into_inner();
        assert!(verified.account.unwrap().mobile_verified);

        // Refresh: a new pair; the new access token works.
        let refreshed = client
            .refresh(pb::RefreshRequest {
                refresh_token: tokens.refresh_token.clone(),
            })
            .await
            .expect("refresh")
            .into_inner()
            .tokens
            .unwrap();
        assert_ne!(refreshed.refresh_token, tokens.refresh_token);
        assert!(refreshed.refresh_token.len() >= 22, "at least 128 bits");
        other_client
            .get_me(with_token(pb::GetMeRequest {}, &refreshed.access_token))
            .await
            .expect("new access token works");

        // Replaying the old refresh token revokes the whole family: the new one dies too.
        let err = client
            .refresh(pb::RefreshRequest {
                refresh_token: tokens.refresh_token.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{label}: reuse refused");
        let err = client
            .refresh(pb::RefreshRequest {
                refresh_token: refreshed.refresh_token.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{label}: the family is revoked"
        );

        // A fresh login, then logout: its refresh token stops working.
        let again = login(&mut client, &national, CITIZEN_PASSWORD).await;
        client
            .logout(pb::LogoutRequest {
                refresh_token: again.refresh_token.clone(),
                all_sessions: false,
            })
            .await
            .expect("logout");
        let err = client
            .refresh(pb::RefreshRequest {
                refresh_token: again.refresh_token,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{label}: logged out");

        // The trail shows all of it, newest first.
        let admin = admin_token(&mut client).await;
        let events = client
            .list_audit_events(with_token(
                pb::ListAuditEventsRequest {
                    account_id: account.account_id.clone(),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .expect("admin lists the audit trail")
            .into_inner()
            .events;
        let kinds: Vec<i32> = events.iter().map(|e| e.kind).collect();
        use pb::AuditEventKind as K;
        for kind in [
            K::Registered,
            K::LoginSucceeded,
            K::MobileVerified,
            K::TokenRefreshed,
            K::RefreshReuseDetected,
            K::LoggedOut,
        ] {
            assert!(
                kinds.contains(&(kind as i32)),
                "{label}: {kind:?} audited in {kinds:?}"
            );
        }
        assert_eq!(
            kinds.first(),
            Some(&(K::LoggedOut as i32)),
            "{label}: newest first"
        );
        assert!(
            events.iter().all(|e| e.source_address == "127.0.0.1"),
            "{label}: source recorded"
        );

        other.stop().await;
        h.stop().await;
    }
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_the_old_password() {
    for h in start_all("identity_password", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        register(&mut client, &national).await;
        let first = login(&mut client, &national, CITIZEN_PASSWORD).await;
        let second = login(&mut client, &national, CITIZEN_PASSWORD).await;

        let weak = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: CITIZEN_PASSWORD.into(),
                    new_password: "password1".into(),
                },
                &first.access_token,
            ))
            .await
            .unwrap_err();
        assert_eq!(weak.code(), Code::InvalidArgument);
        assert_eq!(error_of(&weak).fields[0].field, "new_password");

        let new_password = "کوه صفه در بهار 1404";
        let fresh = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: CITIZEN_PASSWORD.into(),
                    new_password: new_password.into(),
                },
                &first.access_token,
            ))
            .await
            .expect("password changed")
            .into_inner()
            .tokens
            .unwrap();
        for old in [first.refresh_token, second.refresh_token] {
            let err = client
                .refresh(pb::RefreshRequest { refresh_token: old })
                .await
                .unwrap_err();
            assert_eq!(
                err.code(),
                Code::Unauthenticated,
                "{label}: other sessions ended"
            );
        }
        client
            .refresh(pb::RefreshRequest {
                refresh_token: fresh.refresh_token,
            })
            .await
            .expect("the new session lives");
        let err = client
            .login(login_request(&national, CITIZEN_PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{label}: the old password is gone"
        );
        login(&mut client, &national, new_password).await;
        h.stop().await;
    }
}

#[tokio::test]
async fn mobile_codes_are_rate_limited_checked_and_single_purpose() {
    for h in start_all("identity_mobile", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        register(&mut client, &national).await;
        let token = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;

        let err = client
            .send_mobile_code(with_token(pb::SendMobileCodeRequest {}, &token))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::ResourceExhausted,
            "{label}: a code was just sent"
        );
        assert!(error_of(&err).retry_after.is_some());

        let sent =
            estelam_identity::sms::code_in(&h.sms.last_to("09131234567").unwrap().text).unwrap();
        let wrong = if sent == "000000" { "111111" } else { "000000" };
        let err = client
            .verify_mobile(with_token(
                pb::VerifyMobileRequest { code: wrong.into() },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{label}");
        assert_eq!(error_of(&err).reason, "CODE_WRONG");
        let err = client
            .verify_mobile(with_token(
                pb::VerifyMobileRequest {
                    code: "12ab".into(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        client
            .verify_mobile(with_token(pb::VerifyMobileRequest { code: sent }, &token))
            .await
            .expect("right code");
        let err = client
            .send_mobile_code(with_token(pb::SendMobileCodeRequest {}, &token))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::FailedPrecondition,
            "{label}: already verified"
        );
        let err = client
            .send_mobile_code(pb::SendMobileCodeRequest {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{label}: needs a token");
        h.stop().await;
    }
}
