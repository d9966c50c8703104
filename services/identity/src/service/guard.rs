//! What every use case goes through: who is calling (checked against the store, not only
//! the token), the brute-force throttle, and the append-only audit trail.

use std::time::Duration;

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Identity, Origin, micros};
use crate::errors;
use crate::store::{self, AccountRow};
use crate::throttle::{Penalty, Policy};

impl Identity {
    /// An audit event as a row, stamped now; identifiers and user agents are truncated so
    /// a hostile caller cannot fill the trail with megabytes.
    pub(super) fn audit_row(
        &self,
        kind: AuditEventKind,
        account: &str,
        identifier: &str,
        actor: &str,
        origin: &Origin,
        detail: &str,
    ) -> store::AuditRow {
        store::AuditRow {
            audit_event_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            kind: kind as i32,
            account_id: account.to_owned(),
            presented_identifier: identifier.chars().take(100).collect(),
            actor_account_id: actor.to_owned(),
            source_address: origin.source.clone(),
            user_agent: origin.user_agent.chars().take(200).collect(),
            detail: detail.to_owned(),
            occurred_at: now_micros(),
        }
    }

    /// Appends an audit event on `conn`, so it commits or rolls back with the change it
    /// records. One argument per column of the row.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn audit(
        &self,
        conn: &mut AnyConnection,
        kind: AuditEventKind,
        account: &str,
        identifier: &str,
        actor: &str,
        origin: &Origin,
        detail: &str,
    ) -> Result<(), ServiceError> {
        store::insert_audit(
            conn,
            &self.audit_row(kind, account, identifier, actor, origin, detail),
        )
        .await?;
        Ok(())
    }

    /// The throttle key of a source address; failures are counted per source as well as
    /// per account, so one address cannot try many accounts.
    pub(super) fn source_key(origin: &Origin) -> String {
        format!("source:{}", origin.source)
    }

    /// Refuses with RESOURCE_EXHAUSTED while any of `keys` is blocked; checked before the
    /// (costly) password hash, so a blocked attacker costs the service almost nothing.
    pub(super) async fn check_throttle(&self, keys: &[&str]) -> Result<(), ServiceError> {
        let until = store::blocked_until(&mut *self.conn().await?, keys).await?;
        let now = now_micros();
        if until > now {
            return Err(errors::throttled(Duration::from_micros(
                u64::try_from(until - now).unwrap_or(0),
            )));
        }
        Ok(())
    }

    /// Counts one failure against the key of the account (or identifier) and the source;
    /// returns the wait now imposed, if any. A lockout is audited. Runs on the caller's
    /// connection so the count and the failed attempt's audit event land together.
    pub(super) async fn record_failure(
        &self,
        conn: &mut AnyConnection,
        subject_key: &str,
        account: &str,
        identifier: &str,
        origin: &Origin,
    ) -> Result<Option<Duration>, ServiceError> {
        let source_key = Self::source_key(origin);
        // A refusal with no account to blame (registration's "already registered") names
        // the source as its subject: it counts once against the source, not twice.
        let keys: &[(&str, &Policy)] = if subject_key == source_key {
            &[(source_key.as_str(), &self.sources_policy)]
        } else {
            &[
                (subject_key, &self.accounts_policy),
                (source_key.as_str(), &self.sources_policy),
            ]
        };
        self.record_failures(conn, keys, account, identifier, origin)
            .await
    }

    /// Counts one failure against `subject_key` alone, not the source: for a check that a
    /// service makes for many people from one address (the consent check of on-behalf
    /// filing), where the source is the service, not the person guessing.
    pub(super) async fn record_failure_of(
        &self,
        conn: &mut AnyConnection,
        subject_key: &str,
        account: &str,
        identifier: &str,
        origin: &Origin,
    ) -> Result<Option<Duration>, ServiceError> {
        self.record_failures(
            conn,
            &[(subject_key, &self.accounts_policy)],
            account,
            identifier,
            origin,
        )
        .await
    }

    async fn record_failures(
        &self,
        conn: &mut AnyConnection,
        keys: &[(&str, &Policy)],
        account: &str,
        identifier: &str,
        origin: &Origin,
    ) -> Result<Option<Duration>, ServiceError> {
        let now = now_micros();
        let window_start = now
            - micros(Duration::from_secs(
                self.settings.identity.throttle.window_secs,
            ));
        let mut wait: Option<Duration> = None;
        for &(key, policy) in keys {
            let failures = store::record_failure(conn, key, now, window_start).await?;
            let (delay, locked) = match policy.penalty(failures) {
                Penalty::None => continue,
                Penalty::Delay(d) => (d, false),
                Penalty::Lockout(d) => (d, true),
            };
            store::block(conn, key, now + micros(delay)).await?;
            if locked && failures == policy.lockout {
                let detail = format!(
                    "{key} locked for {} s after {failures} failures",
                    delay.as_secs()
                );
                self.audit(
                    conn,
                    AuditEventKind::LockedOut,
                    account,
                    identifier,
                    "",
                    origin,
                    &detail,
                )
                .await?;
            }
            wait = Some(wait.map_or(delay, |w| w.max(delay)));
        }
        Ok(wait)
    }

    /// The caller's account, read from the store on every call: a disabled account's
    /// unexpired token is refused here at once, not only when the token lapses.
    pub(super) async fn caller_account(&self, caller: &Caller) -> Result<AccountRow, ServiceError> {
        let account = store::account_by_id(&mut *self.conn().await?, &caller.subject).await?;
        match account {
            Some(a) if a.is_active() => Ok(a),
            Some(_) => Err(errors::account_disabled()),
            None => Err(ServiceError::unauthenticated()),
        }
    }

    /// The caller's account if it is an active admin; PERMISSION_DENIED otherwise (checked
    /// against the store, so a disabled admin's unexpired token no longer works here).
    pub async fn require_admin(&self, caller: &Caller) -> Result<AccountRow, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let account = store::account_by_id(&mut *self.conn().await?, &caller.subject).await?;
        account
            .filter(|a| a.is_active() && a.has(Role::Admin))
            .ok_or_else(ServiceError::permission_denied)
    }
}
