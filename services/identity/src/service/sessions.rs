//! Logging in with a password, refresh-token rotation, logout and password change. A
//! session is a family of refresh tokens: each use replaces the token, and a reused one
//! ends the whole family, because either the owner or a thief holds a stolen copy.

use std::time::Duration;

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Identity, IssuedTokens, LoginName, Origin, micros, now_secs};
use crate::errors;
use crate::password;
use crate::store::{self, AccountRow, OrganizationRow};
use crate::tokens::{self, Subject};
use crate::validate;

impl Identity {
    /// Logs a person in with a password and starts a session. Unknown names, machine
    /// accounts and wrong passwords fail alike and cost the same hash, so the answer does
    /// not tell who has an account; only a right password learns that an account is
    /// disabled.
    pub async fn login(
        &self,
        origin: &Origin,
        name: &LoginName,
        password: &str,
    ) -> Result<(IssuedTokens, AccountRow), ServiceError> {
        let (identifier, account) = {
            let mut conn = self.conn().await?;
            match name {
                LoginName::NationalCode(raw) => {
                    let code = validate::national_code("national_code", raw)?;
                    (
                        code.as_str().to_owned(),
                        store::account_by_national_code(&mut conn, code.as_str()).await?,
                    )
                }
                LoginName::MembershipCode(raw) => {
                    let code = validate::membership_code("membership_code", raw)?;
                    (
                        code.as_str().to_owned(),
                        store::account_by_membership_code(&mut conn, code.as_str()).await?,
                    )
                }
            }
        };
        if password.is_empty() {
            return Err(errors::password_required());
        }
        let subject_key = match &account {
            Some(a) => format!("account:{}", a.account_id),
            None => format!("identifier:{identifier}"),
        };
        let source_key = Self::source_key(origin);
        self.check_throttle(&[&subject_key, &source_key]).await?;

        let person = account.filter(|a| !a.has(Role::Service));
        let ok = self
            .hasher
            .verify(
                password.to_owned(),
                person.as_ref().map(|a| a.secret_hash.clone()),
            )
            .await?;
        let account_id = person
            .as_ref()
            .map(|a| a.account_id.clone())
            .unwrap_or_default();
        let Some(account) = person.filter(|_| ok) else {
            let mut conn = self.conn().await?;
            self.audit(
                &mut conn,
                AuditEventKind::LoginFailed,
                &account_id,
                &identifier,
                "",
                origin,
                "",
            )
            .await?;
            return Err(
                match self
                    .record_failure(&mut conn, &subject_key, &account_id, &identifier, origin)
                    .await?
                {
                    Some(wait) => errors::throttled(wait),
                    None => errors::credentials_wrong(),
                },
            );
        };
        // The password was right: only now may the caller learn that the account is disabled.
        self.ensure_may_log_in(&account).await?;
        let mut tx = self.db.begin().await?;
        store::clear_throttle(&mut tx, &subject_key).await?;
        self.audit(
            &mut tx,
            AuditEventKind::LoginSucceeded,
            &account.account_id,
            &identifier,
            "",
            origin,
            "",
        )
        .await?;
        let tokens = self.start_session(&mut tx, &account).await?;
        // In the same transaction as the session: the owner is told of every login that
        // happened, and of none that did not (the notifications service consumes it).
        let event =
            crate::events::session_started(&account.account_id, &origin.source, now_micros());
        estelam_runtime::outbox::enqueue(&mut tx, &event).await?;
        tx.commit().await?;
        Ok((tokens, account))
    }

    pub(super) async fn ensure_may_log_in(&self, account: &AccountRow) -> Result<(), ServiceError> {
        if !account.is_active() {
            return Err(errors::account_disabled());
        }
        if let Some(org) = &account.organization_id {
            let org = store::organization_by_id(&mut *self.conn().await?, org).await?;
            if !org.is_some_and(|o| o.active) {
                return Err(errors::own_organization_disabled());
            }
        }
        Ok(())
    }

    /// What a token says about an account: its id, roles and organisation, the claims
    /// every service authorises by, and for a citizen the national code, which services
    /// take as the person's identity. `session` is the login session a person's token
    /// belongs to (none for machine tokens). An account whose password was set for it
    /// gets the `pwc` claim, which holds it to changing the password first.
    pub(super) fn subject_of(account: &AccountRow, session: Option<&str>) -> Subject {
        let citizen = account.roles.contains(&Role::Citizen);
        Subject {
            account_id: account.account_id.clone(),
            roles: account.roles.clone(),
            organization_id: account.organization_id.clone(),
            national_code: account.national_code.clone().filter(|_| citizen),
            session_id: session.map(str::to_owned),
            password_change_required: account.password_change_required,
        }
    }

    pub(super) async fn start_session(
        &self,
        conn: &mut AnyConnection,
        account: &AccountRow,
    ) -> Result<IssuedTokens, ServiceError> {
        let family = uuid::Uuid::now_v7().hyphenated().to_string();
        let now = now_micros();
        store::insert_session(conn, &family, &account.account_id, now).await?;
        self.continue_session(conn, account, &family, now).await
    }

    async fn continue_session(
        &self,
        conn: &mut AnyConnection,
        account: &AccountRow,
        family: &str,
        now: i64,
    ) -> Result<IssuedTokens, ServiceError> {
        let refresh = tokens::new_opaque_secret();
        let refresh_expires_at = now
            + micros(Duration::from_secs(
                self.settings.identity.refresh_token_ttl_secs,
            ));
        store::insert_refresh_token(
            conn,
            &tokens::secret_hash(&refresh),
            family,
            &account.account_id,
            now,
            refresh_expires_at,
        )
        .await?;
        let (access, _jti, exp) = self.keys.issue(
            &Self::subject_of(account, Some(family)),
            self.access_ttl(),
            now_secs(),
        )?;
        Ok(IssuedTokens {
            access_token: access,
            access_expires_at: exp,
            refresh_token: refresh,
            refresh_expires_at,
        })
    }

    /// Exchanges a refresh token for new tokens; a reused token revokes its whole session.
    pub async fn refresh(
        &self,
        origin: &Origin,
        refresh_token: &str,
    ) -> Result<IssuedTokens, ServiceError> {
        let token = refresh_token.trim();
        if token.is_empty() {
            return Err(errors::refresh_token_required());
        }
        let hash = tokens::secret_hash(token);
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let Some(row) = store::refresh_token(&mut tx, &hash).await? else {
            tx.rollback().await?;
            return Err(errors::session_invalid());
        };
        if row.session_revoked_at.is_some() {
            tx.rollback().await?;
            return Err(errors::session_invalid());
        }
        let first_use =
            row.used_at.is_none() && store::mark_refresh_used(&mut tx, &hash, now).await?;
        if !first_use {
            // Someone holds a copy of a token already exchanged: the thief or the owner, we
            // cannot tell which, so the whole session ends for both.
            store::revoke_session(&mut tx, &row.family_id, now, "refresh token reuse").await?;
            self.audit(
                &mut tx,
                AuditEventKind::RefreshReuseDetected,
                &row.account_id,
                "",
                "",
                origin,
                &format!("session {}", row.family_id),
            )
            .await?;
            tx.commit().await?;
            return Err(errors::session_invalid());
        }
        if row.expires_at <= now {
            tx.rollback().await?;
            return Err(errors::session_invalid());
        }
        let account = store::account_by_id(&mut tx, &row.account_id).await?;
        let Some(account) = account.filter(AccountRow::is_active) else {
            store::revoke_session(&mut tx, &row.family_id, now, "account disabled").await?;
            tx.commit().await?;
            return Err(errors::session_invalid());
        };
        self.audit(
            &mut tx,
            AuditEventKind::TokenRefreshed,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        let tokens = self
            .continue_session(&mut tx, &account, &row.family_id, now)
            .await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// Ends the session of `refresh_token`, or every session of its account (or of the
    /// caller) when `all_sessions`.
    pub async fn logout(
        &self,
        origin: &Origin,
        caller: Option<&Caller>,
        refresh_token: &str,
        all_sessions: bool,
    ) -> Result<(), ServiceError> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let token = refresh_token.trim();
        if !token.is_empty() {
            if let Some(row) = store::refresh_token(&mut tx, &tokens::secret_hash(token)).await? {
                if all_sessions {
                    store::revoke_account_sessions(
                        &mut tx,
                        &row.account_id,
                        None,
                        now,
                        "logout (all sessions)",
                    )
                    .await?;
                } else {
                    store::revoke_session(&mut tx, &row.family_id, now, "logout").await?;
                }
                self.audit(
                    &mut tx,
                    AuditEventKind::LoggedOut,
                    &row.account_id,
                    "",
                    "",
                    origin,
                    if all_sessions { "all sessions" } else { "" },
                )
                .await?;
            }
            // An unknown or already revoked token: the session is over either way.
        } else if all_sessions {
            let Some(caller) = caller else {
                tx.rollback().await?;
                return Err(ServiceError::unauthenticated());
            };
            store::revoke_account_sessions(
                &mut tx,
                &caller.subject,
                None,
                now,
                "logout (all sessions)",
            )
            .await?;
            self.audit(
                &mut tx,
                AuditEventKind::LoggedOut,
                &caller.subject,
                "",
                "",
                origin,
                "all sessions",
            )
            .await?;
        } else {
            tx.rollback().await?;
            return Err(errors::logout_target_required());
        }
        tx.commit().await?;
        // The ended sessions' access tokens stop here at once, and at every other service
        // at its next key refresh (`GetSigningKeys` publishes them).
        self.refuse_ended_sessions().await?;
        Ok(())
    }

    /// Changes the caller's password; every session ends and a new one starts.
    pub async fn change_password(
        &self,
        caller: &Caller,
        origin: &Origin,
        current: &str,
        new: &str,
    ) -> Result<IssuedTokens, ServiceError> {
        let account = self.caller_account(caller).await?;
        if account.has(Role::Service) {
            return Err(ServiceError::permission_denied());
        }
        let subject_key = format!("account:{}", account.account_id);
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        if !self
            .hasher
            .verify(current.to_owned(), Some(account.secret_hash.clone()))
            .await?
        {
            let mut conn = self.conn().await?;
            self.audit(
                &mut conn,
                AuditEventKind::LoginFailed,
                &account.account_id,
                "",
                "",
                origin,
                "wrong current password",
            )
            .await?;
            return Err(
                match self
                    .record_failure(&mut conn, &subject_key, &account.account_id, "", origin)
                    .await?
                {
                    Some(wait) => errors::throttled(wait),
                    None => errors::current_password_wrong(),
                },
            );
        }
        let personal = [
            account.national_code.clone().unwrap_or_default(),
            account.mobile.clone(),
        ];
        password::check_policy("new_password", new, &[&personal[0], &personal[1]])?;
        if self
            .hasher
            .verify(new.to_owned(), Some(account.secret_hash.clone()))
            .await?
        {
            return Err(errors::password_unchanged());
        }
        let hash = self.hasher.hash(new.to_owned()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        store::set_secret(
            &mut tx,
            &account.account_id,
            &hash,
            false,
            now,
            &account.account_id,
            &account.display_name,
        )
        .await?;
        store::revoke_account_sessions(&mut tx, &account.account_id, None, now, "password changed")
            .await?;
        store::clear_throttle(&mut tx, &subject_key).await?;
        self.audit(
            &mut tx,
            AuditEventKind::PasswordChanged,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        // The new session's tokens speak for the account as it now is: a password of the
        // person's own, so no `pwc` claim.
        let changed = AccountRow {
            password_change_required: false,
            ..account
        };
        let tokens = self.start_session(&mut tx, &changed).await?;
        tx.commit().await?;
        self.refuse_ended_sessions().await?;
        Ok(tokens)
    }

    /// The caller's own account (and organization); a caller whose account is gone or
    /// disabled gets PERMISSION_DENIED even while their access token lasts.
    pub async fn me(
        &self,
        caller: &Caller,
    ) -> Result<(AccountRow, Option<OrganizationRow>), ServiceError> {
        let account = self.caller_account(caller).await?;
        let org = match &account.organization_id {
            Some(id) => store::organization_by_id(&mut *self.conn().await?, id).await?,
            None => None,
        };
        Ok((account, org))
    }
}
