//! What admins do: create staff and authority accounts, disable and enable accounts,
//! register organisations, and read accounts, organisations and the audit trail. Every
//! change names its actor and lands in the audit trail with the change.

use estelam_domain::name_key;
use estelam_proto::identity::v1::{AuditEventKind, OrganizationType};
use estelam_runtime::auth::{RevokedSubject, Role};
use estelam_runtime::db::{is_unique_violation, now_micros};
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};

use super::{
    Identity, MICROS, OrganizationInput, Origin, PersonInput, Violations, micros, now_secs,
    validated_without_value,
};
use crate::errors;
use crate::password;
use crate::store::{self, ACTIVE, AccountRow, DISABLED, OrganizationRow};
use crate::validate;

/// Rows of an admin list when the caller names no page size, and at most.
const PAGE_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 500,
};

/// Separates the two parts of an organisation list's resume key (ASCII unit separator).
const KEY_SEPARATOR: char = '\u{1f}';

impl Identity {
    fn validate_person(
        person: &PersonInput,
    ) -> Result<(String, String, String, String), ServiceError> {
        let mut v = Violations::default();
        let national = v.take(validate::national_code(
            "national_code",
            &person.national_code,
        ));
        let first = v.take(validate::person_name("first_name", &person.first_name));
        let last = v.take(validate::person_name("last_name", &person.last_name));
        let mobile = v.take(validate::mobile("mobile", &person.mobile));
        v.finish()?;
        match (national, first, last, mobile) {
            (Some(n), Some(f), Some(l), Some(m)) => Ok((n.as_str().to_owned(), f, l, m)),
            _ => Err(validated_without_value()),
        }
    }

    /// Creates a staff (clerk/admin) or authority account with a generated one-time password.
    pub async fn create_person(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        person: &PersonInput,
        roles: Vec<Role>,
        organization_id: Option<String>,
    ) -> Result<(AccountRow, String), ServiceError> {
        let (national, first, last, mobile) = Self::validate_person(person)?;
        if let Some(org) = &organization_id {
            let found = store::organization_by_id(&mut *self.conn().await?, org).await?;
            match found {
                None => return Err(errors::organization_not_found()),
                Some(o) if !o.active => {
                    return Err(errors::organization_disabled());
                }
                Some(_) => {}
            }
        }
        let initial = password::generate();
        let hash = self.hasher.hash(initial.clone()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        if store::account_by_national_code(&mut tx, &national)
            .await?
            .is_some()
        {
            tx.rollback().await?;
            return Err(errors::already_registered());
        }
        let account = self
            .new_person(
                &mut tx,
                &national,
                first,
                last,
                mobile,
                roles,
                organization_id,
                hash,
                true,
                now,
                &actor.account_id,
                &actor.display_name,
            )
            .await?;
        let detail = format!(
            "roles {}",
            store::roles_column(&account.roles).trim_matches(',')
        );
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &national,
            &actor.account_id,
            origin,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok((account, initial))
    }

    /// One account by id, for an admin; a malformed id is simply not found.
    pub async fn account(&self, id: &str) -> Result<AccountRow, ServiceError> {
        let id = validate::id("account_id", id, errors::account_not_found)?;
        store::account_by_id(&mut *self.conn().await?, &id)
            .await?
            .ok_or_else(errors::account_not_found)
    }

    /// The account a notification is for, by id or by national code (exactly one given):
    /// what the notifications service needs to reach a person, and nothing more.
    pub async fn contact(&self, id: &str, national_code: &str) -> Result<AccountRow, ServiceError> {
        if national_code.trim().is_empty() {
            return self.account(id).await;
        }
        let code = crate::validate::national_code("national_code", national_code)?;
        store::account_by_national_code(&mut *self.conn().await?, code.as_str())
            .await?
            .ok_or_else(errors::account_not_found)
    }

    /// One page of the accounts matching `filter`, oldest first, and the token of the next
    /// page (empty on the last). A token only resumes the search it came from.
    pub async fn list_accounts(
        &self,
        mut filter: store::AccountFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<AccountRow>, String), ServiceError> {
        filter.query = name_key(&filter.query);
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("accounts {filter:?}"),
            PAGE_SIZES,
        )?;
        let rows = store::list_accounts(
            &mut *self.conn().await?,
            &filter,
            paging.after().unwrap_or_default(),
            paging.fetch_limit(),
        )
        .await?;
        Ok(paging.finish(rows, |r| r.account_id.clone()))
    }

    /// Disables (`enable == false`) or enables an account. Disabling ends all its sessions
    /// (refresh tokens); its access tokens lapse within their 15 minutes, and identity's own
    /// calls refuse them at once.
    pub async fn set_enabled(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        id: &str,
        reason: &str,
        enable: bool,
    ) -> Result<AccountRow, ServiceError> {
        let id = validate::id("account_id", id, errors::account_not_found)?;
        let reason = validate::required_text("reason", reason, 500)?;
        if !enable && id == actor.account_id {
            return Err(errors::self_disable_forbidden());
        }
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let status = if enable { ACTIVE } else { DISABLED };
        if !store::set_status(
            &mut tx,
            &id,
            status,
            now,
            &actor.account_id,
            &actor.display_name,
        )
        .await?
        {
            tx.rollback().await?;
            return Err(errors::account_not_found());
        }
        let kind = if enable {
            AuditEventKind::AccountEnabled
        } else {
            let ended =
                store::revoke_account_sessions(&mut tx, &id, None, now, "account disabled").await?;
            store::revoke_tokens(&mut tx, &id, now, now + micros(self.revocation_hold())).await?;
            tracing::info!(account = %id, sessions = ended, "account disabled; its sessions ended");
            AuditEventKind::AccountDisabled
        };
        self.audit(&mut tx, kind, &id, "", &actor.account_id, origin, &reason)
            .await?;
        let account = store::account_by_id(&mut tx, &id)
            .await?
            .ok_or_else(errors::account_not_found)?;
        tx.commit().await?;
        if !enable {
            // This replica's own verifier refuses the tokens at once; other services learn
            // of it at their next key refresh (`GetSigningKeys`).
            self.verifier.revoke(RevokedSubject {
                subject: id.clone(),
                revoked_at: u64::try_from(now / MICROS).unwrap_or_default(),
                hold_until: now_secs() + self.revocation_hold().as_secs(),
            });
        }
        Ok(account)
    }

    /// Registers an inquiring authority, refusing every bad field at once; type, registry
    /// number and city together must be new.
    pub async fn create_organization(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        input: &OrganizationInput,
    ) -> Result<OrganizationRow, ServiceError> {
        let mut v = Violations::default();
        let kind = v.take(match OrganizationType::try_from(input.kind) {
            Ok(OrganizationType::Unspecified) | Err(_) => Err(errors::type_required()),
            Ok(t) => Ok(t as i32),
        });
        let name_fa = v.take(validate::required_text("name.fa", &input.name_fa, 200));
        let name_en = v.take(validate::optional_text("name.en", &input.name_en, 200));
        let number = v.take(validate::required_text(
            "registry_number",
            &estelam_domain::normalize_digits(&input.registry_number),
            50,
        ));
        let city = v.take(validate::required_text("city", &input.city, 100));
        let address = v.take(validate::optional_text("address", &input.address, 500));
        let phone = v.take(validate::optional_text(
            "phone",
            &estelam_domain::normalize_digits(&input.phone),
            30,
        ));
        v.finish()?;
        let (
            Some(kind),
            Some(name_fa),
            Some(name_en),
            Some(number),
            Some(city),
            Some(address),
            Some(phone),
        ) = (kind, name_fa, name_en, number, city, address, phone)
        else {
            return Err(validated_without_value());
        };
        let org = OrganizationRow {
            organization_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            kind,
            name_key: name_key(&name_fa),
            city_key: name_key(&city),
            name_fa,
            name_en,
            registry_number: number,
            city,
            address,
            phone,
            active: true,
            created_at: now_micros(),
        };
        let mut tx = self.db.begin().await?;
        if let Err(e) = store::insert_organization(&mut tx, &org).await {
            return Err(if is_unique_violation(&e) {
                errors::organization_exists()
            } else {
                e.into()
            });
        }
        self.audit(
            &mut tx,
            AuditEventKind::OrganizationCreated,
            "",
            &org.registry_number,
            &actor.account_id,
            origin,
            &format!("organization {}", org.organization_id),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// One organisation by id, disabled ones included: a user's profile still names it.
    pub async fn organization(&self, id: &str) -> Result<OrganizationRow, ServiceError> {
        let id = validate::id("organization_id", id, errors::organization_not_found)?;
        store::organization_by_id(&mut *self.conn().await?, &id)
            .await?
            .ok_or_else(errors::organization_not_found)
    }

    /// One page of the organisations matching `filter`, by name, and the token of the next
    /// page (empty on the last). A token only resumes the search it came from.
    pub async fn list_organizations(
        &self,
        mut filter: store::OrganizationFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<OrganizationRow>, String), ServiceError> {
        filter.query = name_key(&filter.query);
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("organizations {filter:?}"),
            PAGE_SIZES,
        )?;
        // The key is the (name key, id) pair the list is sorted by; a name key never holds
        // the unit separator, so it splits the two unambiguously.
        let after = match paging.after() {
            None => None,
            Some(key) => Some(
                key.split_once(KEY_SEPARATOR)
                    .ok_or_else(errors::page_token_invalid)?,
            ),
        };
        let rows = store::list_organizations(
            &mut *self.conn().await?,
            &filter,
            after,
            paging.fetch_limit(),
        )
        .await?;
        Ok(paging.finish(rows, |r| {
            format!("{}{KEY_SEPARATOR}{}", r.name_key, r.organization_id)
        }))
    }

    /// One page of the audit trail matching `filter`, newest first, and the token of the
    /// next page (empty on the last). A token only resumes the search it came from.
    pub async fn list_audit(
        &self,
        filter: store::AuditFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<store::AuditRow>, String), ServiceError> {
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("audit {filter:?}"),
            PAGE_SIZES,
        )?;
        let rows = store::list_audit(
            &mut *self.conn().await?,
            &filter,
            paging.after().unwrap_or_default(),
            paging.fetch_limit(),
        )
        .await?;
        Ok(paging.finish(rows, |r| r.audit_event_id.clone()))
    }
}
