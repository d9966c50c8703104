//! Machine callers: other Estelam services and institutions' systems. They authenticate
//! with OAuth 2.0 client credentials (no refresh tokens, no password hashing: the secret
//! is 256 random bits), and authorities check a citizen's consent code here.

use std::time::Duration;

use estelam_domain::name_key;
use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::{is_unique_violation, now_micros};
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Identity, Origin, Violations, now_secs, validated_without_value};
use crate::errors;
use crate::store::{self, ACTIVE, AccountRow};
use crate::tokens;
use crate::validate;

impl Identity {
    /// Client credentials → a short access token with the service role; (token, expiry s).
    pub async fn client_credentials(
        &self,
        origin: &Origin,
        client_id: &str,
        secret: &str,
    ) -> Result<(String, u64), ServiceError> {
        let client_id = client_id.trim();
        if client_id.is_empty() || secret.is_empty() {
            return Err(errors::client_credentials_required());
        }
        let subject_key = format!("client:{}", client_id.chars().take(64).collect::<String>());
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        let account = store::account_by_client_id(&mut *self.conn().await?, client_id).await?;
        let presented = format!("sha256:{}", tokens::secret_hash(secret));
        let stored = account
            .as_ref()
            .map_or("sha256:-", |a| a.secret_hash.as_str());
        let mut ok = tokens::hashes_equal(&presented, stored);
        if !ok && let Some(account) = &account {
            // An organisation client's rotated-out secret, still inside its overlap.
            ok = self.previous_secret_matches(account, &presented).await?;
        }
        let account_id = account
            .as_ref()
            .map(|a| a.account_id.clone())
            .unwrap_or_default();
        let Some(account) = account.filter(|_| ok) else {
            return Err(self
                .refuse_client(origin, &subject_key, &account_id, client_id, "")
                .await?);
        };
        self.issue_client_token(origin, &account, client_id, "")
            .await
    }

    /// A refused client authentication: audited (with `why`, for the audit trail only) and
    /// counted per client and source; the refusal to send, throttled after too many.
    pub(super) async fn refuse_client(
        &self,
        origin: &Origin,
        subject_key: &str,
        account_id: &str,
        client_id: &str,
        why: &str,
    ) -> Result<ServiceError, ServiceError> {
        let mut conn = self.conn().await?;
        self.audit(
            &mut conn,
            AuditEventKind::ClientTokenFailed,
            account_id,
            client_id,
            "",
            origin,
            why,
        )
        .await?;
        Ok(
            match self
                .record_failure(&mut conn, subject_key, account_id, client_id, origin)
                .await?
            {
                Some(wait) => errors::throttled(wait),
                None => errors::client_credentials_wrong(),
            },
        )
    }

    /// The access token of an authenticated client; (token, expiry s). A revoked
    /// (disabled) client, or an organisation client whose organisation was disabled, gets
    /// none: the same rule as a person's login. `how` goes to the audit trail.
    pub(super) async fn issue_client_token(
        &self,
        origin: &Origin,
        account: &AccountRow,
        client_id: &str,
        how: &str,
    ) -> Result<(String, u64), ServiceError> {
        self.ensure_may_log_in(account).await?;
        let ttl = Duration::from_secs(self.settings.identity.service_token_ttl_secs);
        let (token, jti, exp) =
            self.keys
                .issue(&Self::subject_of(account, None), ttl, now_secs())?;
        self.audit(
            &mut *self.conn().await?,
            AuditEventKind::ClientTokenIssued,
            &account.account_id,
            client_id,
            "",
            origin,
            &format!("jti {jti}{how}"),
        )
        .await?;
        Ok((token, exp))
    }

    /// Whether a national code and membership code belong to one active citizen: the
    /// consent check of an authority's inquiry. Throttled per caller and source.
    pub async fn verify_membership(
        &self,
        caller: &Caller,
        origin: &Origin,
        national: &str,
        membership: &str,
        organization_id: &str,
    ) -> Result<Option<AccountRow>, ServiceError> {
        caller.require_any(&[Role::Service, Role::Authority])?;
        let mut v = Violations::default();
        let national = v.take(validate::national_code("national_code", national));
        let membership = v.take(validate::membership_code("membership_code", membership));
        v.finish()?;
        let (Some(national), Some(membership)) = (national, membership) else {
            return Err(validated_without_value());
        };
        // Wrong codes count per (organisation, citizen): the inquiry service asks for every
        // office from one account and one address, so counting by caller or by source would
        // let one office's mistakes block every office's filings.
        let asking = if caller.has(Role::Authority) {
            caller.organization.clone().unwrap_or_default()
        } else {
            organization_id.trim().to_owned()
        };
        let subject_key = if asking.is_empty() {
            format!("consent:caller:{}:{}", caller.subject, national.as_str())
        } else {
            format!("consent:org:{asking}:{}", national.as_str())
        };
        self.check_throttle(&[&subject_key]).await?;
        let mut conn = self.conn().await?;
        let account = store::account_by_national_code(&mut conn, national.as_str()).await?;
        let matched = account.filter(|a| {
            a.is_active()
                && a.has(Role::Citizen)
                && a.membership_code.as_deref() == Some(membership.as_str())
        });
        let detail = if matched.is_some() {
            "match"
        } else {
            "no match"
        };
        let account_id = matched
            .as_ref()
            .map(|a| a.account_id.as_str())
            .unwrap_or("");
        self.audit(
            &mut conn,
            AuditEventKind::MembershipChecked,
            account_id,
            national.as_str(),
            &caller.subject,
            origin,
            detail,
        )
        .await?;
        if matched.is_none()
            && let Some(wait) = self
                .record_failure_of(&mut conn, &subject_key, "", national.as_str(), origin)
                .await?
        {
            return Err(errors::throttled(wait));
        }
        Ok(matched)
    }

    /// Creates a service account; returns it and its client secret (shown once).
    pub async fn create_service_account(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        name: &str,
        description: &str,
    ) -> Result<(AccountRow, String), ServiceError> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty()
            || name.len() > 40
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        {
            return Err(errors::service_name_invalid());
        }
        let description = validate::optional_text("description", description, 500)?;
        let client_id = format!(
            "{name}-{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let secret = tokens::new_opaque_secret();
        let mut tx = self.db.begin().await?;
        let account = self
            .insert_service_account(
                &mut tx,
                &client_id,
                &name,
                &description,
                &secret,
                &actor.account_id,
                &actor.display_name,
            )
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &client_id,
            &actor.account_id,
            origin,
            "roles service",
        )
        .await?;
        tx.commit().await?;
        Ok((account, secret))
    }

    /// Inserts a service account whose secret is stored as its SHA-256 (`sha256:` prefix, so
    /// a password login can never match it). One argument per column the caller chooses.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_service_account(
        &self,
        conn: &mut AnyConnection,
        client_id: &str,
        name: &str,
        description: &str,
        secret: &str,
        by: &str,
        by_name: &str,
    ) -> Result<AccountRow, ServiceError> {
        let now = now_micros();
        let account = AccountRow {
            account_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            roles: vec![Role::Service],
            status: ACTIVE,
            national_code: None,
            membership_code: None,
            first_name: String::new(),
            last_name: String::new(),
            display_name: name.to_owned(),
            search_key: format!("{}|{client_id}", name_key(name)),
            mobile: String::new(),
            mobile_verified: false,
            organization_id: None,
            client_id: Some(client_id.to_owned()),
            description: description.to_owned(),
            secret_hash: format!("sha256:{}", tokens::secret_hash(secret)),
            password_change_required: false,
            created_at: now,
            changed_at: now,
            changed_by: by.to_owned(),
            changed_by_name: by_name.to_owned(),
        };
        match store::insert_account(conn, &account).await {
            Err(e) if is_unique_violation(&e) => Err(errors::client_id_taken()),
            other => Ok(other.map(|()| account)?),
        }
    }
}
