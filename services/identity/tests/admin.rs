//! Over real gRPC, on every backend: who may administer, what administration does, and how
//! registration refuses bad and duplicate input.

mod common;

use std::sync::Arc;

use common::*;
use estelam_identity::service::Identity;
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::with_token;
use tonic::Code;

#[tokio::test]
async fn a_citizen_calling_admin_rpcs_gets_permission_denied_and_get_me_is_only_the_caller() {
    for h in start_all("identity_perm", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        let citizen = register(&mut client, &national).await.account.unwrap();
        let token = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;

        let denied = |r: Result<(), tonic::Status>, what: &str| {
            let err = r.expect_err(what);
            assert_eq!(
                err.code(),
                Code::PermissionDenied,
                "{label}: {what}: {err:?}"
            );
        };
        denied(
            client
                .create_staff_account(with_token(pb::CreateStaffAccountRequest::default(), &token))
                .await
                .map(drop),
            "CreateStaffAccount",
        );
        denied(
            client
                .create_authority_user(with_token(
                    pb::CreateAuthorityUserRequest::default(),
                    &token,
                ))
                .await
                .map(drop),
            "CreateAuthorityUser",
        );
        denied(
            client
                .create_service_account(with_token(
                    pb::CreateServiceAccountRequest::default(),
                    &token,
                ))
                .await
                .map(drop),
            "CreateServiceAccount",
        );
        denied(
            client
                .get_account(with_token(
                    pb::GetAccountRequest {
                        account_id: citizen.account_id.clone(),
                    },
                    &token,
                ))
                .await
                .map(drop),
            "GetAccount",
        );
        denied(
            client
                .list_accounts(with_token(pb::ListAccountsRequest::default(), &token))
                .await
                .map(drop),
            "ListAccounts",
        );
        denied(
            client
                .disable_account(with_token(
                    pb::DisableAccountRequest {
                        account_id: citizen.account_id.clone(),
                        reason: "x".into(),
                    },
                    &token,
                ))
                .await
                .map(drop),
            "DisableAccount",
        );
        denied(
            client
                .enable_account(with_token(pb::EnableAccountRequest::default(), &token))
                .await
                .map(drop),
            "EnableAccount",
        );
        denied(
            client
                .create_organization(with_token(pb::CreateOrganizationRequest::default(), &token))
                .await
                .map(drop),
            "CreateOrganization",
        );
        denied(
            client
                .list_audit_events(with_token(pb::ListAuditEventsRequest::default(), &token))
                .await
                .map(drop),
            "ListAuditEvents",
        );
        denied(
            client
                .list_organizations(with_token(
                    pb::ListOrganizationsRequest {
                        include_inactive: true,
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .map(drop),
            "ListOrganizations(include_inactive)",
        );
        denied(
            client
                .verify_membership_code(with_token(
                    pb::VerifyMembershipCodeRequest::default(),
                    &token,
                ))
                .await
                .map(drop),
            "VerifyMembershipCode",
        );
        // Anonymous calls to admin RPCs are unauthenticated, not denied.
        let err = client
            .list_accounts(pb::ListAccountsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);

        let me = client
            .get_me(with_token(pb::GetMeRequest {}, &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            me.account.unwrap().account_id,
            citizen.account_id,
            "{label}: GetMe is the caller"
        );
        assert!(me.organization.is_none());
        h.stop().await;
    }
}

#[tokio::test]
async fn admins_manage_organizations_staff_authorities_service_accounts_and_status() {
    for h in start_all("identity_admin", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let admin = admin_token(&mut client).await;

        // An organization and one of its users, whose token names it.
        let org = client
            .create_organization(with_token(
                pb::CreateOrganizationRequest {
                    r#type: pb::OrganizationType::NotaryOffice as i32,
                    name: Some(LocalizedText {
                        fa: "دفتر اسناد رسمی شماره ۱۲ شاهین‌شهر".into(),
                        en: "Notary office No. 12, Shahin Shahr".into(),
                    }),
                    registry_number: "۱۲".into(),
                    city: "شاهین‌شهر".into(),
                    address: "خیابان عطار".into(),
                    phone: "031-45221234".into(),
                },
                &admin,
            ))
            .await
            .expect("organization created")
            .into_inner()
            .organization
            .unwrap();
        assert_eq!(org.registry_number, "12");
        let dup = client
            .create_organization(with_token(
                pb::CreateOrganizationRequest {
                    r#type: pb::OrganizationType::NotaryOffice as i32,
                    name: Some(LocalizedText {
                        fa: "دفتر ۱۲".into(),
                        en: String::new(),
                    }),
                    registry_number: "12".into(),
                    city: "شاهین شهر".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            dup.code(),
            Code::AlreadyExists,
            "{label}: same type, number and city"
        );
        let bad = client
            .create_organization(with_token(pb::CreateOrganizationRequest::default(), &admin))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let fields: Vec<String> = error_of(&bad).fields.into_iter().map(|f| f.field).collect();
        assert!(
            fields.contains(&"type".to_owned())
                && fields.contains(&"name.fa".to_owned())
                && fields.contains(&"city".to_owned()),
            "{fields:?}"
        );

        let authority_code = fresh_national_code();
        let created = client
            .create_authority_user(with_token(
                pb::CreateAuthorityUserRequest {
                    organization_id: org.organization_id.clone(),
                    national_code: authority_code.clone(),
                    first_name: "رضا".into(),
                    last_name: "کریمی".into(),
                    mobile: "09121112233".into(),
                },
                &admin,
            ))
            .await
            .expect("authority user created")
            .into_inner();
        let authority = created.account.unwrap();
        assert_eq!(authority.roles, vec![pb::Role::Authority as i32]);
        assert!(authority.password_change_required);
        let authority_tokens = login(&mut client, &authority_code, &created.initial_password).await;
        let caller = h
            .identity_verifier()
            .verify(&authority_tokens.access_token)
            .expect("valid token");
        assert_eq!(
            caller.organization.as_deref(),
            Some(org.organization_id.as_str()),
            "{label}: org claim"
        );
        let me = client
            .get_me(with_token(
                pb::GetMeRequest {},
                &authority_tokens.access_token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            me.organization.unwrap().organization_id,
            org.organization_id
        );
        assert!(me.account.unwrap().password_change_required);
        // The one-time password is changed before anything else: until then the token is
        // held to ChangePassword, GetMe and Logout.
        let held = client
            .list_organizations(with_token(
                pb::ListOrganizationsRequest::default(),
                &authority_tokens.access_token,
            ))
            .await
            .unwrap_err();
        assert_eq!(held.code(), Code::PermissionDenied, "{label}");
        assert_eq!(
            estelam_runtime::error::ServiceError::from_status(&held).reason,
            "PASSWORD_CHANGE_REQUIRED",
            "{label}"
        );
        let authority_tokens = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: created.initial_password.clone(),
                    new_password: "دفترخانهٔ شمارهٔ دوازده".into(),
                },
                &authority_tokens.access_token,
            ))
            .await
            .expect("the one-time password is changed")
            .into_inner()
            .tokens
            .unwrap();
        let caller = h
            .identity_verifier()
            .verify(&authority_tokens.access_token)
            .expect("valid token");
        assert!(!caller.password_change_required, "{label}: claim gone");
        let listed = client
            .list_organizations(with_token(
                pb::ListOrganizationsRequest {
                    query: "دفتر اسناد".into(),
                    ..Default::default()
                },
                &authority_tokens.access_token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            listed.organizations.len(),
            1,
            "{label}: any caller lists organizations"
        );

        // The consent check: for authorities and services only.
        let national = fresh_national_code();
        let citizen = register(&mut client, &national).await;
        let check = |membership: String| pb::VerifyMembershipCodeRequest {
            national_code: national.clone(),
            membership_code: membership,
            organization_id: String::new(),
        };
        let yes = client
            .verify_membership_code(with_token(
                check(citizen.membership_code.clone()),
                &authority_tokens.access_token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(yes.matches, "{label}");
        assert_eq!(yes.display_name, "زهرا حسینی");
        let other = register(&mut client, &fresh_national_code())
            .await
            .membership_code;
        let no = client
            .verify_membership_code(with_token(check(other), &authority_tokens.access_token))
            .await
            .unwrap()
            .into_inner();
        assert!(!no.matches && no.account_id.is_empty());

        // Staff: roles limited to clerk/admin; duplicates refused.
        let staff_code = fresh_national_code();
        let staff_request = |roles: Vec<i32>| pb::CreateStaffAccountRequest {
            national_code: staff_code.clone(),
            first_name: "مریم".into(),
            last_name: "احمدی".into(),
            mobile: "09123334455".into(),
            roles,
        };
        let err = client
            .create_staff_account(with_token(
                staff_request(vec![pb::Role::Citizen as i32]),
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let clerk = client
            .create_staff_account(with_token(
                staff_request(vec![pb::Role::Clerk as i32]),
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            clerk.account.as_ref().unwrap().roles,
            vec![pb::Role::Clerk as i32]
        );
        let err = client
            .create_staff_account(with_token(
                staff_request(vec![pb::Role::Clerk as i32]),
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{label}");
        let clerk_token = login(&mut client, &staff_code, &clerk.initial_password)
            .await
            .access_token;
        let clerk_token = client
            .change_password(with_token(
                pb::ChangePasswordRequest {
                    current_password: clerk.initial_password.clone(),
                    new_password: "میز کار کارمند شهرداری".into(),
                },
                &clerk_token,
            ))
            .await
            .expect("the one-time password is changed")
            .into_inner()
            .tokens
            .unwrap()
            .access_token;
        let err = client
            .list_accounts(with_token(pb::ListAccountsRequest::default(), &clerk_token))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::PermissionDenied,
            "{label}: a clerk is not an admin"
        );

        // A service account gets machine tokens with its client credentials.
        let svc = client
            .create_service_account(with_token(
                pb::CreateServiceAccountRequest {
                    name: "registry-office".into(),
                    description: "ثبت اسناد".into(),
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(svc.client_id.starts_with("registry-office-"));
        let machine = client
            .client_credentials_token(pb::ClientCredentialsTokenRequest {
                client_id: svc.client_id.clone(),
                client_secret: svc.client_secret.clone(),
                ..Default::default()
            })
            .await
            .expect("client credentials")
            .into_inner();
        let caller = h.identity_verifier().verify(&machine.access_token).unwrap();
        assert_eq!(caller.roles, vec![Role::Service]);
        let err = client
            .client_credentials_token(pb::ClientCredentialsTokenRequest {
                client_id: svc.client_id.clone(),
                client_secret: "wrong".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);

        // Listing and paging.
        let page1 = client
            .list_accounts(with_token(
                pb::ListAccountsRequest {
                    role: pb::Role::Citizen as i32,
                    page_size: 1,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page1.accounts.len(), 1);
        assert!(!page1.next_page_token.is_empty());
        let page2 = client
            .list_accounts(with_token(
                pb::ListAccountsRequest {
                    role: pb::Role::Citizen as i32,
                    page_size: 1,
                    page_token: page1.next_page_token.clone(),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_ne!(page2.accounts[0].account_id, page1.accounts[0].account_id);
        // A token resumes only the search it came from: with other filters it would resume
        // in the wrong place, so it is refused rather than followed.
        let err = client
            .list_accounts(with_token(
                pb::ListAccountsRequest {
                    role: pb::Role::Clerk as i32,
                    page_size: 1,
                    page_token: page1.next_page_token,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{label}");
        assert_eq!(error_of(&err).reason, "PAGE_TOKEN_INVALID", "{label}");
        let found = client
            .list_accounts(with_token(
                pb::ListAccountsRequest {
                    query: estelam_domain::to_persian_digits(&staff_code),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            found.accounts.len(),
            1,
            "{label}: search by national code in Persian digits"
        );

        // Disable: sessions end, login refused, identity refuses the live access token at
        // once; enable: login works again. An admin cannot disable themself.
        let citizen_tokens = login(&mut client, &national, CITIZEN_PASSWORD).await;
        let citizen_id = citizen.account.unwrap().account_id;
        let err = client
            .disable_account(with_token(
                pb::DisableAccountRequest {
                    account_id: citizen_id.clone(),
                    reason: " ".into(),
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::InvalidArgument,
            "{label}: a reason is required"
        );
        let disabled = client
            .disable_account(with_token(
                pb::DisableAccountRequest {
                    account_id: citizen_id.clone(),
                    reason: "درخواست خود شهروند".into(),
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            disabled.account.unwrap().status,
            pb::AccountStatus::Disabled as i32
        );
        let err = client
            .refresh(pb::RefreshRequest {
                refresh_token: citizen_tokens.refresh_token,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{label}: sessions ended");
        let err = client
            .get_me(with_token(
                pb::GetMeRequest {},
                &citizen_tokens.access_token,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{label}: identity refuses a disabled account's token as revoked at once"
        );
        let err = client
            .login(login_request(&national, CITIZEN_PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::PermissionDenied,
            "{label}: a disabled account cannot log in"
        );
        let err = client
            .login(login_request(&national, "not the password at all"))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{label}: without the password, disabled is not revealed"
        );
        client
            .enable_account(with_token(
                pb::EnableAccountRequest {
                    account_id: citizen_id.clone(),
                    reason: "بررسی شد".into(),
                },
                &admin,
            ))
            .await
            .unwrap();
        login(&mut client, &national, CITIZEN_PASSWORD).await;
        let admin_id = client
            .get_me(with_token(pb::GetMeRequest {}, &admin))
            .await
            .unwrap()
            .into_inner()
            .account
            .unwrap()
            .account_id;
        let err = client
            .disable_account(with_token(
                pb::DisableAccountRequest {
                    account_id: admin_id,
                    reason: "x".into(),
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = client
            .get_account(with_token(
                pb::GetAccountRequest {
                    account_id: "not-an-id".into(),
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);

        let trail = client
            .list_audit_events(with_token(
                pb::ListAuditEventsRequest {
                    kinds: vec![
                        pb::AuditEventKind::AccountDisabled as i32,
                        pb::AuditEventKind::AccountEnabled as i32,
                    ],
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .events;
        assert_eq!(trail.len(), 2, "{label}");
        assert_eq!(trail[1].detail, "درخواست خود شهروند");
        assert!(!trail[0].actor_account_id.is_empty());
        h.stop().await;
    }
}

#[tokio::test]
async fn registration_refuses_duplicates_and_names_every_bad_field() {
    for h in start_all("identity_register", settings()).await {
        let label = h.label;
        let mut client = h.client();
        let national = fresh_national_code();
        register(&mut client, &national).await;
        let err = client
            .register_citizen(register_request(&national, "یک گذرواژهٔ دیگر"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{label}");
        let e = error_of(&err);
        assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());

        let err = client
            .register_citizen(pb::RegisterCitizenRequest {
                national_code: "0076229646".into(),
                first_name: "Ali3".into(),
                last_name: String::new(),
                mobile: "0812".into(),
                password: "password".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{label}");
        let e = error_of(&err);
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "national_code",
                "first_name",
                "last_name",
                "mobile",
                "password"
            ],
            "{label}"
        );
        assert!(
            e.fields
                .iter()
                .all(|f| !f.message_fa.is_empty() && !f.message_en.is_empty())
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn embedded_bootstrap_prints_a_one_time_admin_once_and_stores_only_a_hash() {
    for db in estelam_runtime::testing::databases("identity_boot", &estelam_identity::migrations())
        .await
        .unwrap()
    {
        let settings = Arc::new(estelam_runtime::config::Settings {
            data_dir: common::settings().data_dir,
            ..estelam_runtime::config::Settings::default()
        });
        let verifier = estelam_runtime::auth::TokenVerifier::new(
            &settings.auth.issuer,
            &settings.auth.audience,
        );
        let hasher =
            estelam_identity::password::Hasher::new(estelam_identity::password::owasp_params(), 1)
                .await
                .unwrap();
        let identity = Identity::new(
            db.db.clone(),
            settings,
            verifier,
            Arc::new(estelam_identity::LogSms::new()),
            hasher,
        )
        .await
        .unwrap();
        assert!(
            identity.bootstrap_admin(false).await.unwrap().is_none(),
            "not embedded and not configured: nothing"
        );
        let (membership, password) = identity
            .bootstrap_admin(true)
            .await
            .unwrap()
            .expect("an admin is created");
        assert!(
            identity.bootstrap_admin(true).await.unwrap().is_none(),
            "only once"
        );
        let mut conn = db.db.pool().acquire().await.unwrap();
        let admin = estelam_identity::store::account_by_membership_code(&mut conn, &membership)
            .await
            .unwrap()
            .unwrap();
        assert!(admin.has(Role::Admin) && admin.password_change_required);
        assert!(
            admin.secret_hash.starts_with("$argon2id$") && !admin.secret_hash.contains(&password)
        );
        drop(conn);
        let origin = estelam_identity::service::Origin::default();
        let (tokens, _) = identity
            .login(
                &origin,
                &estelam_identity::service::LoginName::MembershipCode(membership),
                &password,
            )
            .await
            .expect("the printed password logs in");
        assert!(!tokens.access_token.is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_audit_trail_cannot_be_changed() {
    for h in start_all("identity_append", settings()).await {
        let mut conn = h.identity.db().pool().acquire().await.unwrap();
        let n = sqlx::query("SELECT COUNT(*) AS n FROM audit_events")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(
            sqlx::Row::try_get::<i64, _>(&n, "n").unwrap() > 0,
            "bootstrap is audited"
        );
        assert!(
            sqlx::query("UPDATE audit_events SET detail = 'x'")
                .execute(&mut *conn)
                .await
                .is_err(),
            "{}",
            h.label
        );
        assert!(
            sqlx::query("DELETE FROM audit_events")
                .execute(&mut *conn)
                .await
                .is_err(),
            "{}",
            h.label
        );
        drop(conn);
        h.stop().await;
    }
}
