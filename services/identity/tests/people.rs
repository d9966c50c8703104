//! Over real gRPC, on every backend: what an admin does to people and organisations beyond
//! creating them — reset a staff member's password (a one-time password shown once, the
//! old one and every session ended, a change forced at the next login), disable an
//! organisation (its users can no longer log in and their tokens are refused) and enable
//! it again, list and revoke an organisation client's keys — each audited, none of it open
//! to anyone but an admin.

mod common;

use common::*;
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::testing::with_token;
use tonic::Code;

/// The kinds of the audit events about `account_id` (or all, when empty), newest first.
async fn audit_kinds(client: &mut Client, admin: &str, account_id: &str) -> Vec<i32> {
    client
        .list_audit_events(with_token(
            pb::ListAuditEventsRequest {
                account_id: account_id.into(),
                page_size: 100,
                ..Default::default()
            },
            admin,
        ))
        .await
        .expect("audit listed")
        .into_inner()
        .events
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// A clerk created by the admin: (account, national code, initial password).
async fn new_clerk(client: &mut Client, admin: &str) -> (pb::Account, String, String) {
    let national = fresh_national_code();
    let r = client
        .create_staff_account(with_token(
            pb::CreateStaffAccountRequest {
                national_code: national.clone(),
                first_name: "مریم".into(),
                last_name: "احمدی".into(),
                mobile: "09131112233".into(),
                roles: vec![pb::Role::Clerk as i32],
            },
            admin,
        ))
        .await
        .expect("clerk created")
        .into_inner();
    (r.account.expect("account"), national, r.initial_password)
}

#[tokio::test]
async fn an_admin_resets_a_staff_password_and_the_old_one_and_its_sessions_end() {
    for h in start_all("identity_reset", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let admin = admin_token(&mut client).await;
        let (clerk, national, initial) = new_clerk(&mut client, &admin).await;
        // The clerk sets a password of their own.
        let first = login(&mut client, &national, &initial).await;
        let own = "دفتر شهرداری ۱۴۰۵ من";
        let tokens = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: initial.clone(),
                    new_password: own.into(),
                },
                &first.access_token,
            ))
            .await
            .expect("password changed")
            .into_inner()
            .tokens
            .expect("tokens");

        // The admin resets it: a one-time password, and a change forced at the next login.
        let missing_reason = client
            .reset_password(with_token(
                pb::ResetPasswordRequest {
                    account_id: clerk.account_id.clone(),
                    reason: String::new(),
                },
                &admin,
            ))
            .await
            .expect_err("a reset needs a reason");
        assert_eq!(missing_reason.code(), Code::InvalidArgument, "{label}");
        let reset = client
            .reset_password(with_token(
                pb::ResetPasswordRequest {
                    account_id: clerk.account_id.clone(),
                    reason: "فراموشی گذرواژه".into(),
                },
                &admin,
            ))
            .await
            .expect("password reset")
            .into_inner();
        let temporary = reset.temporary_password;
        assert!(temporary.len() >= 16, "{label}: a long generated password");
        assert!(reset.account.expect("account").password_change_required);

        // The old password, the old refresh token and the old access token stop working.
        let old = client
            .login(login_request(&national, own))
            .await
            .expect_err("the old password");
        assert_eq!(old.code(), Code::Unauthenticated, "{label}: {old:?}");
        let refreshed = client
            .refresh(pb::RefreshRequest {
                refresh_token: tokens.refresh_token.clone(),
            })
            .await
            .expect_err("the old session");
        assert_eq!(refreshed.code(), Code::Unauthenticated, "{label}");
        let me = client
            .get_me(with_token(pb::GetMeRequest {}, &tokens.access_token))
            .await
            .expect_err("the old access token");
        assert_eq!(me.code(), Code::Unauthenticated, "{label}: {me:?}");

        // The temporary one logs in, with the change required, and the change ends it.
        let reply = client
            .login(login_request(&national, &temporary))
            .await
            .expect("the temporary password logs in")
            .into_inner();
        assert!(reply.account.expect("account").password_change_required);
        let temp_tokens = reply.tokens.expect("tokens");
        let caller = h
            .identity_verifier()
            .verify(&temp_tokens.access_token)
            .expect("valid token");
        assert!(caller.password_change_required, "{label}: the pwc claim");
        client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: temporary.clone(),
                    new_password: "گذرواژهٔ تازهٔ کارمند ۲".into(),
                },
                &temp_tokens.access_token,
            ))
            .await
            .expect("changed");
        let again = client
            .login(login_request(&national, &temporary))
            .await
            .expect_err("the temporary password after the change");
        assert_eq!(again.code(), Code::Unauthenticated, "{label}");

        // Citizens and machines are not reset by an admin; nobody but an admin resets.
        let citizen_code = fresh_national_code();
        let citizen = register(&mut client, &citizen_code).await.account.unwrap();
        let refused = client
            .reset_password(with_token(
                pb::ResetPasswordRequest {
                    account_id: citizen.account_id.clone(),
                    reason: "x".into(),
                },
                &admin,
            ))
            .await
            .expect_err("a citizen's reset");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{label}");
        assert_eq!(error_of(&refused).reason, "PASSWORD_RESET_NOT_ALLOWED");
        let citizen_token = login(&mut client, &citizen_code, CITIZEN_PASSWORD)
            .await
            .access_token;
        let denied = client
            .reset_password(with_token(
                pb::ResetPasswordRequest {
                    account_id: clerk.account_id.clone(),
                    reason: "x".into(),
                },
                &citizen_token,
            ))
            .await
            .expect_err("a citizen resetting");
        assert_eq!(denied.code(), Code::PermissionDenied, "{label}");

        assert!(
            audit_kinds(&mut client, &admin, &clerk.account_id)
                .await
                .contains(&(pb::AuditEventKind::PasswordReset as i32)),
            "{label}: the reset is audited"
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn a_disabled_organisation_s_users_cannot_log_in_until_it_is_enabled() {
    for h in start_all("identity_org_status", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let admin = admin_token(&mut client).await;
        let org = client
            .create_organization(with_token(
                pb::CreateOrganizationRequest {
                    r#type: pb::OrganizationType::Bank as i32,
                    name: Some(LocalizedText {
                        fa: "بانک ملی شعبهٔ مرکزی".into(),
                        en: "Bank Melli, central branch".into(),
                    }),
                    registry_number: "4101".into(),
                    city: "شاهین‌شهر".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .expect("organization created")
            .into_inner()
            .organization
            .unwrap();
        let national = fresh_national_code();
        let created = client
            .create_authority_user(with_token(
                pb::CreateAuthorityUserRequest {
                    organization_id: org.organization_id.clone(),
                    national_code: national.clone(),
                    first_name: "علی".into(),
                    last_name: "رضایی".into(),
                    mobile: "09121234567".into(),
                },
                &admin,
            ))
            .await
            .expect("authority user")
            .into_inner();
        let tokens = login(&mut client, &national, &created.initial_password).await;

        let disable = |reason: &str| pb::DisableOrganizationRequest {
            organization_id: org.organization_id.clone(),
            reason: reason.into(),
        };
        let no_reason = client
            .disable_organization(with_token(disable(""), &admin))
            .await
            .expect_err("a reason is required");
        assert_eq!(no_reason.code(), Code::InvalidArgument, "{label}");
        let user_denied = client
            .disable_organization(with_token(disable("x"), &tokens.access_token))
            .await
            .expect_err("not an admin");
        assert_eq!(user_denied.code(), Code::PermissionDenied, "{label}");
        let disabled = client
            .disable_organization(with_token(disable("قرارداد پایان یافت"), &admin))
            .await
            .expect("disabled")
            .into_inner()
            .organization
            .unwrap();
        assert!(!disabled.active, "{label}");

        let login_refused = client
            .login(login_request(&national, &created.initial_password))
            .await
            .expect_err("a disabled organisation's user");
        assert_eq!(login_refused.code(), Code::PermissionDenied, "{label}");
        assert_eq!(error_of(&login_refused).reason, "ORGANIZATION_DISABLED");
        let refreshed = client
            .refresh(pb::RefreshRequest {
                refresh_token: tokens.refresh_token.clone(),
            })
            .await
            .expect_err("the user's session ended");
        assert_eq!(refreshed.code(), Code::Unauthenticated, "{label}");
        let me = client
            .get_me(with_token(pb::GetMeRequest {}, &tokens.access_token))
            .await
            .expect_err("the user's token is revoked");
        assert_eq!(me.code(), Code::Unauthenticated, "{label}: {me:?}");
        let listed = client
            .list_organizations(with_token(
                pb::ListOrganizationsRequest {
                    include_inactive: true,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .organizations;
        assert!(
            listed
                .iter()
                .any(|o| o.organization_id == org.organization_id && !o.active),
            "{label}: the admin still sees it, disabled"
        );

        let enabled = client
            .enable_organization(with_token(
                pb::EnableOrganizationRequest {
                    organization_id: org.organization_id.clone(),
                    reason: "قرارداد تمدید شد".into(),
                },
                &admin,
            ))
            .await
            .expect("enabled")
            .into_inner()
            .organization
            .unwrap();
        assert!(enabled.active, "{label}");
        client
            .login(login_request(&national, &created.initial_password))
            .await
            .expect("the user logs in again");

        let kinds = audit_kinds(&mut client, &admin, "").await;
        for kind in [
            pb::AuditEventKind::OrganizationDisabled,
            pb::AuditEventKind::OrganizationEnabled,
        ] {
            assert!(kinds.contains(&(kind as i32)), "{label}: {kind:?} audited");
        }
        h.stop().await;
    }
}

#[tokio::test]
async fn an_admin_lists_and_revokes_a_client_s_keys() {
    for h in start_all("identity_client_keys", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let admin = admin_token(&mut client).await;
        let org = client
            .create_organization(with_token(
                pb::CreateOrganizationRequest {
                    r#type: pb::OrganizationType::Court as i32,
                    name: Some(LocalizedText {
                        fa: "دادگاه عمومی شاهین‌شهر".into(),
                        en: String::new(),
                    }),
                    registry_number: "7".into(),
                    city: "شاهین‌شهر".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .expect("organization")
            .into_inner()
            .organization
            .unwrap();
        let account_id = client
            .create_organization_client(with_token(
                pb::CreateOrganizationClientRequest {
                    organization_id: org.organization_id.clone(),
                    name: "court-desk".into(),
                    description: String::new(),
                },
                &admin,
            ))
            .await
            .expect("client")
            .into_inner()
            .account
            .unwrap()
            .account_id;
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"k-1","x":"{x}"}}"#);
        client
            .register_client_key(with_token(
                pb::RegisterClientKeyRequest {
                    account_id: account_id.clone(),
                    jwk,
                },
                &admin,
            ))
            .await
            .expect("key registered");

        let keys = |account_id: String| pb::ListClientKeysRequest { account_id };
        let listed = client
            .list_client_keys(with_token(keys(account_id.clone()), &admin))
            .await
            .expect("keys listed")
            .into_inner()
            .keys;
        assert_eq!(listed.len(), 1, "{label}");
        assert_eq!(listed[0].kid, "k-1");
        assert!(listed[0].revoked.is_none(), "{label}: in use");

        let revoke = |kid: &str| pb::RevokeClientKeyRequest {
            account_id: account_id.clone(),
            kid: kid.into(),
            reason: "کلید لو رفت".into(),
        };
        let unknown = client
            .revoke_client_key(with_token(revoke("k-9"), &admin))
            .await
            .expect_err("an unknown kid");
        assert_eq!(unknown.code(), Code::NotFound, "{label}");
        let revoked = client
            .revoke_client_key(with_token(revoke("k-1"), &admin))
            .await
            .expect("revoked")
            .into_inner()
            .key
            .unwrap();
        assert!(revoked.revoked.is_some(), "{label}");
        assert_eq!(revoked.revoke_reason, "کلید لو رفت");
        let twice = client
            .revoke_client_key(with_token(revoke("k-1"), &admin))
            .await
            .expect_err("revoked twice");
        assert_eq!(twice.code(), Code::FailedPrecondition, "{label}");
        assert_eq!(error_of(&twice).reason, "CLIENT_KEY_REVOKED");
        let listed = client
            .list_client_keys(with_token(keys(account_id.clone()), &admin))
            .await
            .expect("keys listed")
            .into_inner()
            .keys;
        assert!(listed[0].revoked.is_some(), "{label}: listed as revoked");

        // A person is no client; nobody but an admin reads or revokes keys.
        let (clerk, national, initial) = new_clerk(&mut client, &admin).await;
        let not_client = client
            .list_client_keys(with_token(keys(clerk.account_id.clone()), &admin))
            .await
            .expect_err("a person has no client keys");
        assert_eq!(not_client.code(), Code::NotFound, "{label}");
        let clerk_token = login(&mut client, &national, &initial).await.access_token;
        let clerk_token = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: initial,
                    new_password: "گذرواژهٔ کارمند شهرداری".into(),
                },
                &clerk_token,
            ))
            .await
            .expect("changed")
            .into_inner()
            .tokens
            .unwrap()
            .access_token;
        for denied in [
            client
                .list_client_keys(with_token(keys(account_id.clone()), &clerk_token))
                .await
                .map(drop),
            client
                .revoke_client_key(with_token(revoke("k-1"), &clerk_token))
                .await
                .map(drop),
        ] {
            let err = denied.expect_err("a clerk");
            assert_eq!(err.code(), Code::PermissionDenied, "{label}: {err:?}");
        }
        assert!(
            audit_kinds(&mut client, &admin, &account_id)
                .await
                .contains(&(pb::AuditEventKind::ClientKeyRevoked as i32)),
            "{label}: the revocation is audited"
        );
        h.stop().await;
    }
}
