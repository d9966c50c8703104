//! The gRPC handlers: check the caller, translate protobuf to the use cases in
//! `service.rs`, and translate the answers back.

use std::net::IpAddr;

use estelam_proto::identity::v1 as pb;
use estelam_proto::identity::v1::identity_service_server::IdentityService;
use estelam_runtime::auth::{Caller, Role, caller, optional_caller};
use estelam_runtime::config::Cidr;
use estelam_runtime::time::{timestamp, timestamp_from_secs};
use tonic::{Request, Response, Status};

use crate::errors;
use crate::service::{Identity, LoginName, OrganizationInput, Origin, PersonInput};
use crate::store::{self, AccountRow};
use crate::tokens::public_key_pem;
use crate::validate;
use crate::wire::{
    account_pb, audit_pb, client_key_pb, optional_micros, organization_pb, tokens_pb,
};
pub use crate::wire::{role_from_pb, role_to_pb};

/// The tonic service: an [`Identity`] plus what reading a request needs beyond its
/// message (which proxies to believe about the source address).
#[derive(Clone, Debug)]
pub struct Api {
    identity: Identity,
    trusted_proxies: Vec<Cidr>,
    key_max_age_secs: i32,
}

type Reply<T> = Result<Response<T>, Status>;

impl Api {
    /// Handlers over `identity`; `x-forwarded-for` is believed only from `trusted_proxies`.
    pub fn new(identity: Identity, trusted_proxies: Vec<Cidr>, key_max_age_secs: i32) -> Self {
        Self {
            identity,
            trusted_proxies,
            key_max_age_secs,
        }
    }

    /// Where a request came from. The peer address, unless the peer is a trusted proxy
    /// (the gateway): then the right-most `x-forwarded-for` entry that is not itself a
    /// trusted proxy. A client talking to identity directly cannot choose its source this
    /// way, so it cannot dodge the per-source throttle.
    pub fn origin<T>(&self, request: &Request<T>) -> Origin {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|c| c.contains(*ip));
        let peer = request.remote_addr().map(|a| a.ip());
        let forwarded: Vec<IpAddr> = request
            .metadata()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect();
        let source = match peer {
            Some(p) if trusted(&p) && !forwarded.is_empty() => forwarded
                .iter()
                .rev()
                .find(|ip| !trusted(ip))
                .or(forwarded.first())
                .copied()
                .unwrap_or(p),
            Some(p) => p,
            None => IpAddr::from([0, 0, 0, 0]),
        };
        let user_agent = request
            .metadata()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Origin {
            source: source.to_string(),
            user_agent,
        }
    }

    async fn admin<T>(&self, request: &Request<T>) -> Result<(AccountRow, Origin), Status> {
        let caller = caller(request)?;
        let actor = self.identity.require_admin(caller).await?;
        Ok((actor, self.origin(request)))
    }
}

fn require_caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    Ok(caller(request)?.clone())
}

#[tonic::async_trait]
impl IdentityService for Api {
    async fn register_citizen(
        &self,
        request: Request<pb::RegisterCitizenRequest>,
    ) -> Reply<pb::RegisterCitizenResponse> {
        let origin = self.origin(&request);
        let r = request.into_inner();
        let person = PersonInput {
            national_code: r.national_code,
            first_name: r.first_name,
            last_name: r.last_name,
            mobile: r.mobile,
        };
        let (account, expires) = self
            .identity
            .register(&origin, &person, &r.password)
            .await?;
        Ok(Response::new(pb::RegisterCitizenResponse {
            membership_code: account.membership_code.clone().unwrap_or_default(),
            account: Some(account_pb(&account)),
            mobile_code_expires_at: Some(timestamp(expires)),
        }))
    }

    async fn send_mobile_code(
        &self,
        request: Request<pb::SendMobileCodeRequest>,
    ) -> Reply<pb::SendMobileCodeResponse> {
        let caller = require_caller(&request)?;
        let (expires, resend) = self.identity.send_mobile_code(&caller).await?;
        Ok(Response::new(pb::SendMobileCodeResponse {
            expires_at: Some(timestamp(expires)),
            resend_after: Some(timestamp(resend)),
        }))
    }

    async fn verify_mobile(
        &self,
        request: Request<pb::VerifyMobileRequest>,
    ) -> Reply<pb::VerifyMobileResponse> {
        let caller = require_caller(&request)?;
        let origin = self.origin(&request);
        let account = self
            .identity
            .verify_mobile(&caller, &origin, &request.get_ref().code)
            .await?;
        Ok(Response::new(pb::VerifyMobileResponse {
            account: Some(account_pb(&account)),
        }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        let origin = self.origin(&request);
        let r = request.into_inner();
        let name = match r.identifier {
            Some(pb::login_request::Identifier::NationalCode(c)) => LoginName::NationalCode(c),
            Some(pb::login_request::Identifier::MembershipCode(c)) => LoginName::MembershipCode(c),
            None => {
                return Err(errors::login_name_required().into());
            }
        };
        let (tokens, account) = self.identity.login(&origin, &name, &r.password).await?;
        Ok(Response::new(pb::LoginResponse {
            tokens: Some(tokens_pb(&tokens)),
            account: Some(account_pb(&account)),
        }))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Reply<pb::RefreshResponse> {
        let origin = self.origin(&request);
        let tokens = self
            .identity
            .refresh(&origin, &request.get_ref().refresh_token)
            .await?;
        Ok(Response::new(pb::RefreshResponse {
            tokens: Some(tokens_pb(&tokens)),
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let origin = self.origin(&request);
        let caller = optional_caller(&request).cloned();
        let r = request.get_ref();
        self.identity
            .logout(&origin, caller.as_ref(), &r.refresh_token, r.all_sessions)
            .await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Reply<pb::ChangePasswordResponse> {
        let caller = require_caller(&request)?;
        let origin = self.origin(&request);
        let r = request.get_ref();
        let tokens = self
            .identity
            .change_password(&caller, &origin, &r.current_password, &r.new_password)
            .await?;
        Ok(Response::new(pb::ChangePasswordResponse {
            tokens: Some(tokens_pb(&tokens)),
        }))
    }

    async fn get_me(&self, request: Request<pb::GetMeRequest>) -> Reply<pb::GetMeResponse> {
        let caller = require_caller(&request)?;
        let (account, org) = self.identity.me(&caller).await?;
        Ok(Response::new(pb::GetMeResponse {
            account: Some(account_pb(&account)),
            organization: org.as_ref().map(organization_pb),
        }))
    }

    async fn get_signing_keys(
        &self,
        _request: Request<pb::GetSigningKeysRequest>,
    ) -> Reply<pb::GetSigningKeysResponse> {
        let revoked_subjects = self
            .identity
            .revoked_subjects()
            .await?
            .into_iter()
            .map(|r| pb::RevokedSubject {
                subject: r.subject,
                revoked_at: Some(timestamp_from_secs(r.revoked_at)),
                hold_until: Some(timestamp_from_secs(r.hold_until)),
            })
            .collect();
        let revoked_sessions = self
            .identity
            .revoked_sessions()
            .await?
            .into_iter()
            .map(|r| pb::RevokedSession {
                session_id: r.session_id,
                revoked_at: Some(timestamp_from_secs(r.revoked_at)),
                hold_until: Some(timestamp_from_secs(r.hold_until)),
            })
            .collect();
        let ring = self.identity.keys();
        let keys = ring
            .published()
            .iter()
            .map(|k| pb::SigningKey {
                kid: k.kid.clone(),
                algorithm: "EdDSA".into(),
                public_key: k.public.to_vec(),
                public_key_pem: public_key_pem(&k.public),
                not_before: Some(timestamp(k.created_at)),
                not_after: k.not_after.map(timestamp),
            })
            .collect();
        Ok(Response::new(pb::GetSigningKeysResponse {
            keys,
            current_kid: ring.current_kid().unwrap_or_default(),
            issuer: ring.issuer().to_owned(),
            audience: ring.audience().to_owned(),
            max_age_seconds: self.key_max_age_secs,
            revoked_subjects,
            revoked_sessions,
        }))
    }

    async fn client_credentials_token(
        &self,
        request: Request<pb::ClientCredentialsTokenRequest>,
    ) -> Reply<pb::ClientCredentialsTokenResponse> {
        let origin = self.origin(&request);
        let r = request.get_ref();
        // A client assertion (private_key_jwt) when one is sent; else the secret.
        let (token, exp) = if r.client_assertion.is_empty() && r.client_assertion_type.is_empty() {
            self.identity
                .client_credentials(&origin, &r.client_id, &r.client_secret)
                .await?
        } else {
            self.identity
                .client_assertion_token(
                    &origin,
                    &r.client_id,
                    &r.client_assertion_type,
                    &r.client_assertion,
                )
                .await?
        };
        Ok(Response::new(pb::ClientCredentialsTokenResponse {
            access_token: token,
            expires_at: Some(timestamp_from_secs(exp)),
            token_type: "Bearer".into(),
        }))
    }

    async fn verify_membership_code(
        &self,
        request: Request<pb::VerifyMembershipCodeRequest>,
    ) -> Reply<pb::VerifyMembershipCodeResponse> {
        let caller = require_caller(&request)?;
        let origin = self.origin(&request);
        let r = request.get_ref();
        let matched = self
            .identity
            .verify_membership(
                &caller,
                &origin,
                &r.national_code,
                &r.membership_code,
                &r.organization_id,
            )
            .await?;
        Ok(Response::new(match matched {
            Some(a) => pb::VerifyMembershipCodeResponse {
                matches: true,
                account_id: a.account_id,
                display_name: a.display_name,
            },
            None => pb::VerifyMembershipCodeResponse::default(),
        }))
    }

    async fn create_staff_account(
        &self,
        request: Request<pb::CreateStaffAccountRequest>,
    ) -> Reply<pb::CreateStaffAccountResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.into_inner();
        let roles: Vec<Option<Role>> = r.roles.iter().map(|r| role_from_pb(*r)).collect();
        let roles = validate::staff_roles(&roles)?;
        let person = PersonInput {
            national_code: r.national_code,
            first_name: r.first_name,
            last_name: r.last_name,
            mobile: r.mobile,
        };
        let (account, password) = self
            .identity
            .create_person(&actor, &origin, &person, roles, None)
            .await?;
        Ok(Response::new(pb::CreateStaffAccountResponse {
            account: Some(account_pb(&account)),
            initial_password: password,
        }))
    }

    async fn create_authority_user(
        &self,
        request: Request<pb::CreateAuthorityUserRequest>,
    ) -> Reply<pb::CreateAuthorityUserResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.into_inner();
        let org = validate::id(
            "organization_id",
            &r.organization_id,
            errors::organization_not_found,
        )?;
        let person = PersonInput {
            national_code: r.national_code,
            first_name: r.first_name,
            last_name: r.last_name,
            mobile: r.mobile,
        };
        let (account, password) = self
            .identity
            .create_person(&actor, &origin, &person, vec![Role::Authority], Some(org))
            .await?;
        Ok(Response::new(pb::CreateAuthorityUserResponse {
            account: Some(account_pb(&account)),
            initial_password: password,
        }))
    }

    async fn create_service_account(
        &self,
        request: Request<pb::CreateServiceAccountRequest>,
    ) -> Reply<pb::CreateServiceAccountResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let (account, secret) = self
            .identity
            .create_service_account(&actor, &origin, &r.name, &r.description)
            .await?;
        Ok(Response::new(pb::CreateServiceAccountResponse {
            client_id: account.client_id.clone().unwrap_or_default(),
            account: Some(account_pb(&account)),
            client_secret: secret,
        }))
    }

    async fn create_organization_client(
        &self,
        request: Request<pb::CreateOrganizationClientRequest>,
    ) -> Reply<pb::CreateOrganizationClientResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let (account, secret) = self
            .identity
            .create_organization_client(
                &actor,
                &origin,
                &r.organization_id,
                &r.name,
                &r.description,
            )
            .await?;
        Ok(Response::new(pb::CreateOrganizationClientResponse {
            client_id: account.client_id.clone().unwrap_or_default(),
            account: Some(account_pb(&account)),
            client_secret: secret,
        }))
    }

    async fn rotate_client_secret(
        &self,
        request: Request<pb::RotateClientSecretRequest>,
    ) -> Reply<pb::RotateClientSecretResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let overlap = std::time::Duration::from_secs(u64::from(r.overlap_seconds));
        let (account, secret, valid_until) = self
            .identity
            .rotate_client_secret(&actor, &origin, &r.account_id, overlap)
            .await?;
        Ok(Response::new(pb::RotateClientSecretResponse {
            account: Some(account_pb(&account)),
            client_secret: secret,
            previous_valid_until: Some(timestamp(valid_until)),
        }))
    }

    async fn register_client_key(
        &self,
        request: Request<pb::RegisterClientKeyRequest>,
    ) -> Reply<pb::RegisterClientKeyResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let key = self
            .identity
            .register_client_key(&actor, &origin, &r.account_id, &r.jwk)
            .await?;
        Ok(Response::new(pb::RegisterClientKeyResponse {
            kid: key.kid,
            alg: key.alg.to_owned(),
            thumbprint: key.thumbprint,
        }))
    }

    async fn list_client_keys(
        &self,
        request: Request<pb::ListClientKeysRequest>,
    ) -> Reply<pb::ListClientKeysResponse> {
        self.admin(&request).await?;
        let keys = self
            .identity
            .list_client_keys(&request.get_ref().account_id)
            .await?;
        Ok(Response::new(pb::ListClientKeysResponse {
            keys: keys.iter().map(client_key_pb).collect(),
        }))
    }

    async fn revoke_client_key(
        &self,
        request: Request<pb::RevokeClientKeyRequest>,
    ) -> Reply<pb::RevokeClientKeyResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let key = self
            .identity
            .revoke_client_key(&actor, &origin, &r.account_id, &r.kid, &r.reason)
            .await?;
        Ok(Response::new(pb::RevokeClientKeyResponse {
            key: Some(client_key_pb(&key)),
        }))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Reply<pb::ResetPasswordResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let (account, temporary_password) = self
            .identity
            .reset_password(&actor, &origin, &r.account_id, &r.reason)
            .await?;
        Ok(Response::new(pb::ResetPasswordResponse {
            account: Some(account_pb(&account)),
            temporary_password,
        }))
    }

    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Reply<pb::GetAccountResponse> {
        self.admin(&request).await?;
        let account = self.identity.account(&request.get_ref().account_id).await?;
        Ok(Response::new(pb::GetAccountResponse {
            account: Some(account_pb(&account)),
        }))
    }

    async fn get_contact(
        &self,
        request: Request<pb::GetContactRequest>,
    ) -> Reply<pb::GetContactResponse> {
        // Machines only: a mobile number is personal data a person or clerk reads through
        // GetMe or GetAccount, not through this lookup.
        caller(&request)?.require_any(&[Role::Service])?;
        let r = request.get_ref();
        let account = self
            .identity
            .contact(&r.account_id, &r.national_code)
            .await?;
        let active = account.status == store::ACTIVE;
        Ok(Response::new(pb::GetContactResponse {
            verified_mobile: if account.mobile_verified {
                account.mobile.clone()
            } else {
                String::new()
            },
            account_id: account.account_id,
            display_name: account.display_name,
            active,
        }))
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Reply<pb::ListAccountsResponse> {
        self.admin(&request).await?;
        let r = request.get_ref();
        let filter = store::AccountFilter {
            role: role_from_pb(r.role)
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            organization_id: r.organization_id.trim().to_owned(),
            status: match pb::AccountStatus::try_from(r.status) {
                Ok(pb::AccountStatus::Active) => store::ACTIVE,
                Ok(pb::AccountStatus::Disabled) => store::DISABLED,
                _ => 0,
            },
            query: validate::optional_text(
                "query",
                &estelam_domain::normalize_digits(&r.query),
                100,
            )?,
        };
        let (rows, next) = self
            .identity
            .list_accounts(filter, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListAccountsResponse {
            accounts: rows.iter().map(account_pb).collect(),
            next_page_token: next,
        }))
    }

    async fn disable_account(
        &self,
        request: Request<pb::DisableAccountRequest>,
    ) -> Reply<pb::DisableAccountResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let account = self
            .identity
            .set_enabled(&actor, &origin, &r.account_id, &r.reason, false)
            .await?;
        Ok(Response::new(pb::DisableAccountResponse {
            account: Some(account_pb(&account)),
        }))
    }

    async fn enable_account(
        &self,
        request: Request<pb::EnableAccountRequest>,
    ) -> Reply<pb::EnableAccountResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let account = self
            .identity
            .set_enabled(&actor, &origin, &r.account_id, &r.reason, true)
            .await?;
        Ok(Response::new(pb::EnableAccountResponse {
            account: Some(account_pb(&account)),
        }))
    }

    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Reply<pb::CreateOrganizationResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.into_inner();
        let name = r.name.unwrap_or_default();
        let input = OrganizationInput {
            kind: r.r#type,
            name_fa: name.fa,
            name_en: name.en,
            registry_number: r.registry_number,
            city: r.city,
            address: r.address,
            phone: r.phone,
        };
        let org = self
            .identity
            .create_organization(&actor, &origin, &input)
            .await?;
        Ok(Response::new(pb::CreateOrganizationResponse {
            organization: Some(organization_pb(&org)),
        }))
    }

    async fn disable_organization(
        &self,
        request: Request<pb::DisableOrganizationRequest>,
    ) -> Reply<pb::DisableOrganizationResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let org = self
            .identity
            .set_organization_active(&actor, &origin, &r.organization_id, &r.reason, false)
            .await?;
        Ok(Response::new(pb::DisableOrganizationResponse {
            organization: Some(organization_pb(&org)),
        }))
    }

    async fn enable_organization(
        &self,
        request: Request<pb::EnableOrganizationRequest>,
    ) -> Reply<pb::EnableOrganizationResponse> {
        let (actor, origin) = self.admin(&request).await?;
        let r = request.get_ref();
        let org = self
            .identity
            .set_organization_active(&actor, &origin, &r.organization_id, &r.reason, true)
            .await?;
        Ok(Response::new(pb::EnableOrganizationResponse {
            organization: Some(organization_pb(&org)),
        }))
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Reply<pb::GetOrganizationResponse> {
        caller(&request)?;
        let org = self
            .identity
            .organization(&request.get_ref().organization_id)
            .await?;
        Ok(Response::new(pb::GetOrganizationResponse {
            organization: Some(organization_pb(&org)),
        }))
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Reply<pb::ListOrganizationsResponse> {
        let who = caller(&request)?;
        let r = request.get_ref();
        if r.include_inactive {
            self.identity.require_admin(who).await?;
        }
        let filter = store::OrganizationFilter {
            kind: r.r#type,
            query: validate::optional_text(
                "query",
                &estelam_domain::normalize_digits(&r.query),
                100,
            )?,
            include_inactive: r.include_inactive,
        };
        let (rows, next) = self
            .identity
            .list_organizations(filter, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: rows.iter().map(organization_pb).collect(),
            next_page_token: next,
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Reply<pb::ListAuditEventsResponse> {
        self.admin(&request).await?;
        let r = request.get_ref();
        let filter = store::AuditFilter {
            account_id: r.account_id.trim().to_owned(),
            kinds: r.kinds.clone(),
            since: optional_micros(r.since.as_ref(), "since")?,
            until: optional_micros(r.until.as_ref(), "until")?,
        };
        let (rows, next) = self
            .identity
            .list_audit(filter, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: rows.iter().map(audit_pb).collect(),
            next_page_token: next,
        }))
    }

    async fn reseal_token_signing_keys(
        &self,
        request: Request<pb::ResealTokenSigningKeysRequest>,
    ) -> Reply<pb::ResealTokenSigningKeysResponse> {
        let (actor, _) = self.admin(&request).await?;
        let resealed = self
            .identity
            .reseal_signing_keys(&request.get_ref().new_key_encryption_key)
            .await?;
        tracing::info!(
            keys = resealed,
            by = %actor.account_id,
            "token-signing keys re-sealed under a new key-encryption key"
        );
        Ok(Response::new(pb::ResealTokenSigningKeysResponse {
            resealed,
        }))
    }
}
