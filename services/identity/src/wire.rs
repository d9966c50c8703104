//! The wire forms of identity's rows: accounts, organisations, tokens, audit events and
//! client keys as protobuf, and the protobuf roles as the runtime's. Beside the handlers
//! in `api.rs`, which only check the caller, translate and delegate.

use estelam_proto::common::v1::{AuditStamp, LocalizedText};
use estelam_proto::identity::v1 as pb;
use estelam_runtime::auth::Role;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::{micros_of_field, timestamp, timestamp_from_secs};

use crate::service::IssuedTokens;
use crate::store::{AccountRow, AuditRow, ClientKeyRow, OrganizationRow};

/// A protobuf role as the runtime's role; `None` for unspecified or unknown numbers, which
/// every caller must refuse rather than guess.
pub fn role_from_pb(role: i32) -> Option<Role> {
    match pb::Role::try_from(role).ok()? {
        pb::Role::Citizen => Some(Role::Citizen),
        pb::Role::Clerk => Some(Role::Clerk),
        pb::Role::Admin => Some(Role::Admin),
        pb::Role::Authority => Some(Role::Authority),
        pb::Role::Service => Some(Role::Service),
        pb::Role::Unspecified => None,
    }
}

/// The runtime's role (what tokens carry) as a protobuf role.
pub fn role_to_pb(role: Role) -> pb::Role {
    match role {
        Role::Citizen => pb::Role::Citizen,
        Role::Clerk => pb::Role::Clerk,
        Role::Admin => pb::Role::Admin,
        Role::Authority => pb::Role::Authority,
        Role::Service => pb::Role::Service,
    }
}

/// An account as the wire shows it to its owner and to admins.
pub(crate) fn account_pb(a: &AccountRow) -> pb::Account {
    pb::Account {
        account_id: a.account_id.clone(),
        roles: a.roles.iter().map(|r| role_to_pb(*r) as i32).collect(),
        status: if a.is_active() {
            pb::AccountStatus::Active
        } else {
            pb::AccountStatus::Disabled
        } as i32,
        national_code: a.national_code.clone().unwrap_or_default(),
        membership_code: a.membership_code.clone().unwrap_or_default(),
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        display_name: a.display_name.clone(),
        mobile: a.mobile.clone(),
        mobile_verified: a.mobile_verified,
        organization_id: a.organization_id.clone().unwrap_or_default(),
        client_id: a.client_id.clone().unwrap_or_default(),
        password_change_required: a.password_change_required,
        created_at: Some(timestamp(a.created_at)),
        last_changed: Some(AuditStamp {
            actor_account_id: a.changed_by.clone(),
            actor_display_name: a.changed_by_name.clone(),
            at: Some(timestamp(a.changed_at)),
        }),
    }
}

/// An organisation as the wire shows it.
pub(crate) fn organization_pb(o: &OrganizationRow) -> pb::Organization {
    pb::Organization {
        organization_id: o.organization_id.clone(),
        r#type: o.kind,
        name: Some(LocalizedText {
            fa: o.name_fa.clone(),
            en: o.name_en.clone(),
        }),
        registry_number: o.registry_number.clone(),
        city: o.city.clone(),
        address: o.address.clone(),
        phone: o.phone.clone(),
        active: o.active,
        created_at: Some(timestamp(o.created_at)),
    }
}

/// The tokens of a login, refresh or password change.
pub(crate) fn tokens_pb(t: &IssuedTokens) -> pb::Tokens {
    pb::Tokens {
        access_token: t.access_token.clone(),
        access_token_expires_at: Some(timestamp_from_secs(t.access_expires_at)),
        refresh_token: t.refresh_token.clone(),
        refresh_token_expires_at: Some(timestamp(t.refresh_expires_at)),
        token_type: "Bearer".into(),
    }
}

/// An entry of the audit trail.
pub(crate) fn audit_pb(e: &AuditRow) -> pb::AuditEvent {
    pb::AuditEvent {
        audit_event_id: e.audit_event_id.clone(),
        kind: e.kind,
        account_id: e.account_id.clone(),
        presented_identifier: e.presented_identifier.clone(),
        actor_account_id: e.actor_account_id.clone(),
        source_address: e.source_address.clone(),
        user_agent: e.user_agent.clone(),
        detail: e.detail.clone(),
        occurred_at: Some(timestamp(e.occurred_at)),
    }
}

/// A bound of a time range, in µs; unset is 0, which the store reads as "no bound".
pub(crate) fn optional_micros(
    t: Option<&prost_types::Timestamp>,
    field: &str,
) -> Result<i64, ServiceError> {
    t.map_or(Ok(0), |t| micros_of_field(t, field))
}

/// A client key as the desk shows it: what it is, who registered it and, once revoked, who
/// revoked it, when and why.
pub(crate) fn client_key_pb(k: &ClientKeyRow) -> pb::ClientKey {
    pb::ClientKey {
        kid: k.kid.clone(),
        alg: k.alg.clone(),
        thumbprint: k.thumbprint.clone(),
        jwk: k.jwk.clone(),
        registered: Some(AuditStamp {
            actor_account_id: k.created_by.clone(),
            actor_display_name: String::new(),
            at: Some(timestamp(k.created_at)),
        }),
        revoked: k.revoked_at.map(|at| AuditStamp {
            actor_account_id: k.revoked_by.clone(),
            actor_display_name: k.revoked_by_name.clone(),
            at: Some(timestamp(at)),
        }),
        revoke_reason: k.revoke_reason.clone(),
    }
}
