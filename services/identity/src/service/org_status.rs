//! An admin disables an inquiring authority (an office closed, a contract ended, a
//! breach) and enables it again. While it is disabled none of its users or API clients
//! can log in or get a token; disabling also ends every session of theirs and revokes
//! their unexpired access tokens (here at once, at every other service from its next key
//! refresh, through `GetSigningKeys`), since their tokens carry the organisation and other
//! services do not look it up. The accounts keep their own status, so enabling the
//! organisation restores exactly the users and clients that were active.

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::RevokedSubject;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::{Identity, MICROS, Origin, micros, now_secs};
use crate::errors;
use crate::store::{self, AccountRow, OrganizationRow};
use crate::validate;

impl Identity {
    /// Disables (`active == false`) or enables an organisation; the same state again
    /// changes nothing and records nothing. Returns the organisation as it now is.
    pub async fn set_organization_active(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        id: &str,
        reason: &str,
        active: bool,
    ) -> Result<OrganizationRow, ServiceError> {
        let id = validate::id("organization_id", id, errors::organization_not_found)?;
        let reason = validate::required_text("reason", reason, 500)?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let org = store::organization_by_id(&mut tx, &id)
            .await?
            .ok_or_else(errors::organization_not_found)?;
        if org.active == active {
            tx.rollback().await?;
            return Ok(org);
        }
        store::set_organization_active(&mut tx, &id, active).await?;
        let members = if active {
            Vec::new()
        } else {
            store::organization_account_ids(&mut tx, &id).await?
        };
        for member in &members {
            store::revoke_account_sessions(&mut tx, member, None, now, "organization disabled")
                .await?;
            store::revoke_tokens(&mut tx, member, now, now + micros(self.revocation_hold()))
                .await?;
        }
        let kind = if active {
            AuditEventKind::OrganizationEnabled
        } else {
            AuditEventKind::OrganizationDisabled
        };
        self.audit(
            &mut tx,
            kind,
            "",
            &org.registry_number,
            &actor.account_id,
            origin,
            &format!("organization {id}: {reason}"),
        )
        .await?;
        tx.commit().await?;
        if !active {
            tracing::info!(organization = %id, accounts = members.len(), "organization disabled; its accounts' sessions and tokens revoked");
            for member in members {
                self.verifier.revoke(RevokedSubject {
                    subject: member,
                    revoked_at: u64::try_from(now / MICROS).unwrap_or_default(),
                    hold_until: now_secs() + self.revocation_hold().as_secs(),
                });
            }
            self.refuse_ended_sessions().await?;
        }
        Ok(OrganizationRow { active, ..org })
    }
}
