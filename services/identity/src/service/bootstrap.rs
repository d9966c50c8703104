//! What a start creates so the system can be used at all: the service accounts named in
//! configuration, and a first admin when there is none.

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::Role;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use secrecy::ExposeSecret as _;

use super::{Identity, IssuedTokens, Origin, PersonInput};
use crate::password;
use crate::store;
use crate::tokens;
use crate::validate;

impl Identity {
    /// Creates or updates the configured service accounts (`[identity] service_clients`):
    /// a new client id becomes a service account, a known one gets the configured secret.
    pub async fn upsert_service_clients(&self) -> Result<(), ServiceError> {
        for (client_id, secret) in &self.settings.identity.service_clients {
            let secret = secret.expose_secret();
            let mut tx = self.db.begin().await?;
            match store::account_by_client_id(&mut tx, client_id).await? {
                Some(existing) => {
                    let hash = format!("sha256:{}", tokens::secret_hash(secret));
                    if existing.secret_hash != hash {
                        store::set_secret(
                            &mut tx,
                            &existing.account_id,
                            &hash,
                            false,
                            now_micros(),
                            "",
                            "",
                        )
                        .await?;
                        tracing::info!(client_id = %client_id, "service client secret updated from configuration");
                    }
                }
                None => {
                    let account = self
                        .insert_service_account(
                            &mut tx,
                            client_id,
                            client_id,
                            "from configuration",
                            secret,
                            "",
                            "",
                        )
                        .await?;
                    self.audit(
                        &mut tx,
                        AuditEventKind::AccountCreated,
                        &account.account_id,
                        client_id,
                        "",
                        &Origin::default(),
                        "service client from configuration",
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Creates the first admin when no active admin exists: from `[identity.bootstrap_admin]`
    /// if configured, else (only when `embedded`) a generated one. A generated password is
    /// printed once on standard output and stored only as its hash, and the account must
    /// change it before doing anything else; a configured password is the operator's own
    /// choice (kept in the deployment's secret store), so it is not flagged. Returns the
    /// (membership code, one-time password) printed, if any.
    pub async fn bootstrap_admin(
        &self,
        embedded: bool,
    ) -> Result<Option<(String, String)>, ServiceError> {
        if store::active_admin_exists(&mut *self.conn().await?).await? {
            return Ok(None);
        }
        let configured = self.settings.identity.bootstrap_admin.clone();
        let (person, given_password) = match configured {
            Some(c) => (
                PersonInput {
                    national_code: c.national_code,
                    first_name: c.first_name,
                    last_name: c.last_name,
                    mobile: c.mobile,
                },
                c.password.map(|p| p.expose_secret().to_owned()),
            ),
            None if embedded => (
                PersonInput {
                    first_name: "مدیر".into(),
                    last_name: "سامانه".into(),
                    ..PersonInput::default()
                },
                None,
            ),
            None => {
                tracing::warn!(
                    "no active admin exists; set [identity.bootstrap_admin] to create one"
                );
                return Ok(None);
            }
        };
        let national = if person.national_code.trim().is_empty() {
            String::new()
        } else {
            validate::national_code(
                "identity.bootstrap_admin.national_code",
                &person.national_code,
            )?
            .as_str()
            .to_owned()
        };
        let first =
            validate::person_name("identity.bootstrap_admin.first_name", &person.first_name)?;
        let last = validate::person_name("identity.bootstrap_admin.last_name", &person.last_name)?;
        let mobile = if person.mobile.trim().is_empty() {
            String::new()
        } else {
            validate::mobile("identity.bootstrap_admin.mobile", &person.mobile)?
        };
        let password = match &given_password {
            Some(p) => {
                password::check_policy(
                    "identity.bootstrap_admin.password",
                    p,
                    &[&national, &mobile],
                )?;
                p.clone()
            }
            None => password::generate(),
        };
        let hash = self.hasher.hash(password.clone()).await?;
        let mut tx = self.db.begin().await?;
        if !national.is_empty()
            && store::account_by_national_code(&mut tx, &national)
                .await?
                .is_some()
        {
            tx.rollback().await?;
            tracing::warn!(
                "identity.bootstrap_admin.national_code already belongs to an account; no admin created"
            );
            return Ok(None);
        }
        let account = self
            .new_person(
                &mut tx,
                &national,
                first,
                last,
                mobile,
                vec![Role::Admin],
                None,
                hash,
                given_password.is_none(),
                now_micros(),
                "",
                "",
            )
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &national,
            "",
            &Origin::default(),
            "bootstrap admin",
        )
        .await?;
        tx.commit().await?;
        let membership = account.membership_code.clone().unwrap_or_default();
        if given_password.is_some() {
            tracing::info!(account = %account.account_id, "bootstrap admin created from configuration");
            return Ok(None);
        }
        // Printed, not logged: logs are collected and kept; this must be seen once only.
        println!();
        println!("  First admin account created (اولین حساب مدیر ساخته شد).");
        println!("  Log in with membership code {membership} and the one-time password {password}");
        println!(
            "  and change the password at once. It is shown only this once and stored only as a hash."
        );
        println!();
        Ok(Some((membership, password)))
    }

    /// The set-up session of the first admin this start generated: the embedded launcher
    /// (`estelam run`) creates the demo people with it, in-process, before anyone has seen
    /// the one-time password. Its access token carries no `pwc` claim, since the set-up is
    /// the system's own act rather than a login with that password; the launcher logs the
    /// session out when the demo people exist, and a refresh of it gets the claim back.
    /// The account itself stays flagged: the person who logs in with the printed password
    /// must change it first.
    pub async fn first_admin_setup_session(
        &self,
        membership_code: &str,
    ) -> Result<IssuedTokens, ServiceError> {
        let mut tx = self.db.begin().await?;
        let Some(account) = store::account_by_membership_code(&mut tx, membership_code).await?
        else {
            tx.rollback().await?;
            return Err(ServiceError::internal(anyhow::anyhow!(
                "the generated first admin is missing"
            )));
        };
        let set_up = store::AccountRow {
            password_change_required: false,
            ..account
        };
        self.audit(
            &mut tx,
            AuditEventKind::LoginSucceeded,
            &set_up.account_id,
            membership_code,
            "",
            &Origin::default(),
            "set-up session of the generated first admin (demo people)",
        )
        .await?;
        let tokens = self.start_session(&mut tx, &set_up).await?;
        tx.commit().await?;
        Ok(tokens)
    }
}
