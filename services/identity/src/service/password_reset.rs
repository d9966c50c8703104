//! An admin resets a staff member's or an authority user's password: the person forgot it,
//! or it may have leaked. A new one-time password is generated (CSPRNG, like an initial
//! password), hashed with argon2id like every password and handed to the admin once; the
//! old password stops working, every session of the account ends (its access tokens are
//! refused at once here and at every service from its next key refresh), and the account
//! must change the password at its next login. Citizens reset their own by their mobile,
//! and machines rotate secrets, so both are refused here.

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::Role;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::{Identity, Origin};
use crate::errors;
use crate::password;
use crate::store::{self, AccountRow};
use crate::validate;

/// Whether an admin may reset this account's password: a person working for the
/// municipality or for an inquiring authority, not a citizen nor a machine client.
fn resettable(account: &AccountRow) -> bool {
    account.client_id.is_none()
        && !account.has(Role::Service)
        && !account.has(Role::Citizen)
        && [Role::Clerk, Role::Admin, Role::Authority]
            .iter()
            .any(|r| account.has(*r))
}

impl Identity {
    /// Gives the account a generated one-time password; returns the account and the
    /// password, which is shown only here.
    pub async fn reset_password(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        id: &str,
        reason: &str,
    ) -> Result<(AccountRow, String), ServiceError> {
        let id = validate::id("account_id", id, errors::account_not_found)?;
        let reason = validate::required_text("reason", reason, 500)?;
        let account = store::account_by_id(&mut *self.conn().await?, &id)
            .await?
            .ok_or_else(errors::account_not_found)?;
        if !resettable(&account) {
            return Err(errors::password_reset_not_allowed());
        }
        let temporary = password::generate();
        let hash = self.hasher.hash(temporary.clone()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        store::set_secret(
            &mut tx,
            &id,
            &hash,
            true,
            now,
            &actor.account_id,
            &actor.display_name,
        )
        .await?;
        let ended =
            store::revoke_account_sessions(&mut tx, &id, None, now, "password reset").await?;
        // A person locked out by wrong guesses may log in with the new password at once.
        store::clear_throttle(&mut tx, &format!("account:{id}")).await?;
        self.audit(
            &mut tx,
            AuditEventKind::PasswordReset,
            &id,
            "",
            &actor.account_id,
            origin,
            &reason,
        )
        .await?;
        let account = store::account_by_id(&mut tx, &id)
            .await?
            .ok_or_else(errors::account_not_found)?;
        tx.commit().await?;
        tracing::info!(account = %id, sessions = ended, "password reset by an admin; sessions ended");
        self.refuse_ended_sessions().await?;
        Ok((account, temporary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(roles: Vec<Role>, client_id: Option<&str>) -> AccountRow {
        AccountRow {
            account_id: "a".into(),
            roles,
            status: store::ACTIVE,
            national_code: None,
            membership_code: None,
            first_name: String::new(),
            last_name: String::new(),
            display_name: String::new(),
            search_key: String::new(),
            mobile: String::new(),
            mobile_verified: false,
            organization_id: None,
            client_id: client_id.map(str::to_owned),
            description: String::new(),
            secret_hash: String::new(),
            password_change_required: false,
            created_at: 0,
            changed_at: 0,
            changed_by: String::new(),
            changed_by_name: String::new(),
        }
    }

    #[test]
    fn only_staff_and_authority_people_have_their_password_reset() {
        assert!(resettable(&account(vec![Role::Clerk], None)));
        assert!(resettable(&account(vec![Role::Clerk, Role::Admin], None)));
        assert!(resettable(&account(vec![Role::Authority], None)));
        assert!(!resettable(&account(vec![Role::Citizen], None)));
        assert!(!resettable(&account(vec![Role::Service], Some("fees"))));
        assert!(!resettable(&account(vec![Role::Authority], Some("desk-1"))));
    }
}
