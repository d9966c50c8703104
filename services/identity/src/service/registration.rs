//! Citizens registering themselves, and confirming their mobile number with a one-time
//! code. Registration answers whether a national code is taken, so it is throttled per
//! source like a failed login.

use std::time::Duration;

use estelam_domain::{CheckCode, CodeKind, name_key};
use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::{is_unique_violation, now_micros};
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Identity, Origin, PersonInput, Violations, micros, validated_without_value};
use crate::errors;
use crate::password;
use crate::store::{self, ACTIVE, AccountRow, CodeSendRow};
use crate::tokens;
use crate::validate;

impl Identity {
    /// Registers a citizen; returns the account and when the mobile code expires (µs).
    pub async fn register(
        &self,
        origin: &Origin,
        person: &PersonInput,
        password: &str,
    ) -> Result<(AccountRow, i64), ServiceError> {
        let source_key = Self::source_key(origin);
        self.check_throttle(&[&source_key]).await?;
        let mut v = Violations::default();
        let national = v.take(validate::national_code(
            "national_code",
            &person.national_code,
        ));
        let first = v.take(validate::person_name("first_name", &person.first_name));
        let last = v.take(validate::person_name("last_name", &person.last_name));
        let mobile = v.take(validate::mobile("mobile", &person.mobile));
        let personal = [
            national
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            mobile.clone().unwrap_or_default(),
        ];
        v.take(password::check_policy(
            "password",
            password,
            &[&personal[0], &personal[1]],
        ));
        v.finish()?;
        let (Some(national), Some(first), Some(last), Some(mobile)) =
            (national, first, last, mobile)
        else {
            return Err(validated_without_value());
        };
        let hash = self.hasher.hash(password.to_owned()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        if store::account_by_national_code(&mut tx, national.as_str())
            .await?
            .is_some()
        {
            tx.rollback().await?;
            // Registration tells whether a national code is registered, so repeated tries
            // from one source are throttled like failed logins.
            let mut conn = self.conn().await?;
            self.record_failure(&mut conn, &source_key, "", "", origin)
                .await?;
            return Err(errors::already_registered());
        }
        let account = self
            .new_person(
                &mut tx,
                national.as_str(),
                first,
                last,
                mobile,
                vec![Role::Citizen],
                None,
                hash,
                false,
                now,
                "",
                "",
            )
            .await?;
        let (expires_at, queued) = self
            .new_mobile_code(&mut tx, &account.account_id, &account.mobile, now)
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::Registered,
            &account.account_id,
            national.as_str(),
            "",
            origin,
            "",
        )
        .await?;
        match tx.commit().await {
            Err(e) if is_unique_violation(&e) => return Err(errors::already_registered()),
            other => other?,
        }
        self.send_code_now(&queued).await;
        Ok((account, expires_at))
    }

    /// Inserts a person's account with a fresh membership code; the staff path and the
    /// first admin share it with registration. One argument per column the caller chooses.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn new_person(
        &self,
        conn: &mut AnyConnection,
        national_code: &str,
        first: String,
        last: String,
        mobile: String,
        roles: Vec<Role>,
        organization_id: Option<String>,
        hash: String,
        change_required: bool,
        now: i64,
        by: &str,
        by_name: &str,
    ) -> Result<AccountRow, ServiceError> {
        let national = (!national_code.is_empty()).then(|| national_code.to_owned());
        let membership = self.unused_membership_code(conn).await?;
        let display_name = format!("{first} {last}");
        let account = AccountRow {
            account_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            roles,
            status: ACTIVE,
            search_key: format!(
                "{}|{}|{}",
                name_key(&display_name),
                national_code,
                membership
            ),
            national_code: national,
            membership_code: Some(membership),
            first_name: first,
            last_name: last,
            display_name,
            mobile,
            mobile_verified: false,
            organization_id,
            client_id: None,
            description: String::new(),
            secret_hash: hash,
            password_change_required: change_required,
            created_at: now,
            changed_at: now,
            changed_by: by.to_owned(),
            changed_by_name: by_name.to_owned(),
        };
        match store::insert_account(conn, &account).await {
            Err(e) if is_unique_violation(&e) => Err(errors::already_registered()),
            other => Ok(other.map(|()| account)?),
        }
    }

    async fn unused_membership_code(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<String, ServiceError> {
        for _ in 0..8 {
            let code =
                CheckCode::generate_random(CodeKind::Membership, &mut rand::rng()).to_string();
            if store::account_by_membership_code(conn, &code)
                .await?
                .is_none()
            {
                return Ok(code);
            }
        }
        Err(ServiceError::internal(anyhow::anyhow!(
            "no unused membership code after 8 tries"
        )))
    }

    fn mobile_code_hash(account_id: &str, code: &str) -> String {
        tokens::secret_hash(&format!("{account_id}:{code}"))
    }

    /// Makes a new code for the account, stores its hash and queues the code itself for
    /// the SMS outbox, all in the caller's transaction; returns when it expires and the
    /// queued row, for [`Identity::send_code_now`] after the commit.
    async fn new_mobile_code(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        mobile: &str,
        now: i64,
    ) -> Result<(i64, CodeSendRow), ServiceError> {
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let expires_at = now
            + micros(Duration::from_secs(
                self.settings.identity.mobile_code_ttl_secs,
            ));
        store::put_mobile_code(
            conn,
            account_id,
            &Self::mobile_code_hash(account_id, &code),
            now,
            expires_at,
        )
        .await?;
        let queued = self
            .queue_code(conn, account_id, mobile, &code, expires_at, now)
            .await?;
        Ok((expires_at, queued))
    }

    /// Sends a new one-time code to the caller's mobile; returns (expires, resend after), µs.
    pub async fn send_mobile_code(&self, caller: &Caller) -> Result<(i64, i64), ServiceError> {
        let account = self.caller_account(caller).await?;
        if account.mobile.is_empty() {
            return Err(errors::mobile_missing());
        }
        if account.mobile_verified {
            return Err(errors::mobile_already_verified());
        }
        let now = now_micros();
        let resend = micros(Duration::from_secs(
            self.settings.identity.mobile_code_resend_secs,
        ));
        let mut tx = self.db.begin().await?;
        if let Some(pending) = store::mobile_code(&mut tx, &account.account_id).await?
            && pending.sent_at + resend > now
        {
            tx.rollback().await?;
            let wait =
                Duration::from_micros(u64::try_from(pending.sent_at + resend - now).unwrap_or(0));
            return Err(errors::mobile_code_resend_too_soon(wait));
        }
        let (expires_at, queued) = self
            .new_mobile_code(&mut tx, &account.account_id, &account.mobile, now)
            .await?;
        tx.commit().await?;
        self.send_code_now(&queued).await;
        Ok((expires_at, now + resend))
    }

    /// Confirms the caller's mobile with the code sent to it.
    pub async fn verify_mobile(
        &self,
        caller: &Caller,
        origin: &Origin,
        code: &str,
    ) -> Result<AccountRow, ServiceError> {
        let account = self.caller_account(caller).await?;
        let code = estelam_domain::normalize_digits(code.trim());
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(errors::code_format());
        }
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let pending = store::mobile_code(&mut tx, &account.account_id).await?;
        let max =
            i32::try_from(self.settings.identity.mobile_code_max_attempts).unwrap_or(i32::MAX);
        let Some(pending) = pending.filter(|p| p.expires_at > now && p.attempts < max) else {
            tx.rollback().await?;
            return Err(errors::mobile_code_expired());
        };
        if !tokens::hashes_equal(
            &pending.code_hash,
            &Self::mobile_code_hash(&account.account_id, &code),
        ) {
            store::bump_mobile_code_attempts(&mut tx, &account.account_id).await?;
            self.audit(
                &mut tx,
                AuditEventKind::MobileVerificationFailed,
                &account.account_id,
                "",
                "",
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Err(errors::code_wrong());
        }
        store::set_mobile_verified(&mut tx, &account.account_id).await?;
        store::delete_mobile_code(&mut tx, &account.account_id).await?;
        self.audit(
            &mut tx,
            AuditEventKind::MobileVerified,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(AccountRow {
            mobile_verified: true,
            ..account
        })
    }
}
