//! Accounts and tokens, from the identity service's messages.

use estelam_proto::identity::v1 as identity;
use serde::Serialize;
use utoipa::ToSchema;

use super::{enum_name, instant};

/// An account (the caller's own, or one a clerk looks at).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    /// Names the account in other records (an inquiry's applicant, an audit stamp); never
    /// changes, unlike the codes a person logs in with.
    pub account_id: String,
    /// `citizen`, `clerk`, `admin`, `authority`, `service`.
    pub roles: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// National code (10 digits).
    pub national_code: String,
    /// Membership code, an alternative login identifier.
    pub membership_code: String,
    /// As registered; an applicant's name is checked against the parcel's owners.
    pub first_name: String,
    /// As registered (see `first_name`).
    pub last_name: String,
    /// What the portal greets the person with; for staff and machines, not their legal name.
    pub display_name: String,
    /// `09…`; a code sent to it at registration verifies it (`mobile_verified`).
    pub mobile: String,
    /// Whether the mobile number has been verified.
    pub mobile_verified: bool,
    /// The organization of an authority user.
    pub organization_id: String,
    /// Whether the password must be changed before anything else.
    pub password_change_required: bool,
    /// When the account was created (RFC 3339).
    pub created_at: Option<String>,
}

impl From<identity::Account> for Account {
    fn from(a: identity::Account) -> Self {
        Self {
            roles: a
                .roles()
                .map(|r| enum_name(r.as_str_name(), "ROLE_"))
                .collect(),
            status: enum_name(a.status().as_str_name(), "ACCOUNT_STATUS_"),
            account_id: a.account_id,
            national_code: a.national_code,
            membership_code: a.membership_code,
            first_name: a.first_name,
            last_name: a.last_name,
            display_name: a.display_name,
            mobile: a.mobile,
            mobile_verified: a.mobile_verified,
            organization_id: a.organization_id,
            password_change_required: a.password_change_required,
            created_at: instant(a.created_at),
        }
    }
}

/// Access and refresh tokens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tokens {
    /// Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// When the access token expires (RFC 3339).
    pub access_token_expires_at: Option<String>,
    /// Trade for new tokens at `POST /api/v1/auth/refresh`.
    pub refresh_token: String,
    /// When the refresh token expires (RFC 3339).
    pub refresh_token_expires_at: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
}

impl From<identity::Tokens> for Tokens {
    fn from(t: identity::Tokens) -> Self {
        Self {
            access_token: t.access_token,
            access_token_expires_at: instant(t.access_token_expires_at),
            refresh_token: t.refresh_token,
            refresh_token_expires_at: instant(t.refresh_token_expires_at),
            token_type: t.token_type,
        }
    }
}
