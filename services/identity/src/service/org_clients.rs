//! Organisations' API clients: an office's, bank's or court's software acting as that
//! organisation with OAuth 2.0 client credentials (RFC 6749 §4.4). A client is an account
//! with the authority role, its organisation and a client id, so the tokens it gets carry
//! the organisation and every per-organisation check (filing on behalf with a membership
//! code, charging the organisation) applies to it as to the organisation's people; it is
//! revoked as any account is, by disabling it, which also ends its unexpired tokens.
//!
//! Secrets are 256 random bits, stored as SHA-256 (`sha256:` prefix) like service
//! accounts': a slow password hash buys nothing against a secret nobody can guess, and a
//! fast one keeps the token call cheap. A rotation keeps the replaced secret valid for an
//! overlap (`client_previous_secrets`), so the software can switch without downtime.

use std::time::Duration;

use estelam_domain::name_key;
use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::Role;
use estelam_runtime::db::{is_unique_violation, now_micros};
use estelam_runtime::error::ServiceError;

use super::{Identity, Origin, micros};
use crate::errors;
use crate::store::{self, ACTIVE, AccountRow};
use crate::tokens;
use crate::validate;

/// The longest overlap a rotation may give the previous secret.
pub const MAX_OVERLAP_DAYS: u32 = 30;

/// Whether `name` may start a client id: 1–40 of a-z, 0-9, `-`, `_`, `.`.
fn client_name_is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// The stored form of a client secret.
pub(super) fn stored_secret_hash(secret: &str) -> String {
    format!("sha256:{}", tokens::secret_hash(secret))
}

impl Identity {
    /// Registers an API client for an active organisation; returns it and its secret,
    /// which is shown only here.
    pub async fn create_organization_client(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        organization_id: &str,
        name: &str,
        description: &str,
    ) -> Result<(AccountRow, String), ServiceError> {
        let name = name.trim().to_ascii_lowercase();
        if !client_name_is_valid(&name) {
            return Err(errors::service_name_invalid());
        }
        let description = validate::optional_text("description", description, 500)?;
        let organization_id = validate::id(
            "organization_id",
            organization_id,
            errors::organization_not_found,
        )?;
        match store::organization_by_id(&mut *self.conn().await?, &organization_id).await? {
            None => return Err(errors::organization_not_found()),
            Some(o) if !o.active => return Err(errors::organization_disabled()),
            Some(_) => {}
        }
        let client_id = format!(
            "{name}-{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let secret = tokens::new_opaque_secret();
        let now = now_micros();
        let account = AccountRow {
            account_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            roles: vec![Role::Authority],
            status: ACTIVE,
            national_code: None,
            membership_code: None,
            first_name: String::new(),
            last_name: String::new(),
            display_name: name.clone(),
            search_key: format!("{}|{client_id}", name_key(&name)),
            mobile: String::new(),
            mobile_verified: false,
            organization_id: Some(organization_id),
            client_id: Some(client_id.clone()),
            description,
            secret_hash: stored_secret_hash(&secret),
            password_change_required: false,
            created_at: now,
            changed_at: now,
            changed_by: actor.account_id.clone(),
            changed_by_name: actor.display_name.clone(),
        };
        let mut tx = self.db.begin().await?;
        match store::insert_account(&mut tx, &account).await {
            Err(e) if is_unique_violation(&e) => return Err(errors::client_id_taken()),
            other => other?,
        }
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &client_id,
            &actor.account_id,
            origin,
            "roles authority (organization client)",
        )
        .await?;
        tx.commit().await?;
        Ok((account, secret))
    }

    /// Gives an organisation client a new secret; the previous one stays valid for
    /// `overlap` (none when zero), and any older ones end now. Returns the account, the new secret and until when (µs)
    /// the previous one is accepted.
    pub async fn rotate_client_secret(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        account_id: &str,
        overlap: Duration,
    ) -> Result<(AccountRow, String, i64), ServiceError> {
        if overlap > Duration::from_secs(u64::from(MAX_OVERLAP_DAYS) * 86_400) {
            return Err(errors::rotation_overlap_too_long(MAX_OVERLAP_DAYS));
        }
        let account_id = validate::id(
            "account_id",
            account_id,
            errors::organization_client_not_found,
        )?;
        let mut tx = self.db.begin().await?;
        let account = store::account_by_id(&mut tx, &account_id)
            .await?
            .filter(|a| a.client_id.is_some() && a.organization_id.is_some())
            .ok_or_else(errors::organization_client_not_found)?;
        let now = now_micros();
        let valid_until = now.saturating_add(micros(overlap));
        // Only the secret this rotation replaces may overlap: a rotation with no overlap
        // (a leaked secret) ends every earlier one at once.
        store::end_previous_secrets(&mut tx, &account.account_id).await?;
        if !overlap.is_zero() {
            store::keep_previous_secret(
                &mut tx,
                &account.account_id,
                &account.secret_hash,
                valid_until,
                now,
            )
            .await?;
        }
        let secret = tokens::new_opaque_secret();
        store::set_secret(
            &mut tx,
            &account.account_id,
            &stored_secret_hash(&secret),
            false,
            now,
            &actor.account_id,
            &actor.display_name,
        )
        .await?;
        self.audit(
            &mut tx,
            AuditEventKind::ClientSecretRotated,
            &account.account_id,
            account.client_id.as_deref().unwrap_or_default(),
            &actor.account_id,
            origin,
            &format!("previous secret valid {} s", overlap.as_secs()),
        )
        .await?;
        tx.commit().await?;
        Ok((account, secret, valid_until))
    }

    /// Whether `presented` (a `sha256:` hash) is one of an organisation client's previous
    /// secrets still inside its overlap.
    pub(super) async fn previous_secret_matches(
        &self,
        account: &AccountRow,
        presented: &str,
    ) -> Result<bool, ServiceError> {
        if account.organization_id.is_none() {
            return Ok(false);
        }
        let previous = store::valid_previous_secrets(
            &mut *self.conn().await?,
            &account.account_id,
            now_micros(),
        )
        .await?;
        Ok(previous.iter().any(|h| tokens::hashes_equal(presented, h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_name_is_lowercase_ascii_digits_and_three_marks() {
        assert!(client_name_is_valid("notary-desk_2.0"));
        assert!(!client_name_is_valid(""));
        assert!(!client_name_is_valid("Notary"));
        assert!(!client_name_is_valid("دفترخانه"));
        assert!(!client_name_is_valid(&"a".repeat(41)));
    }
}
