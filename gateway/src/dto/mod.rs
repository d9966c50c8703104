//! The JSON shapes of the API's bodies, built from the services' proto messages by the
//! conventions in the README: proto field names, enums as their lower-case value names
//! without the prefix, instants as RFC 3339 strings, money in `*_rials`.

use estelam_proto::common::v1 as common;
use estelam_proto::fees::v1 as fees;
use estelam_proto::identity::v1 as identity;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::field_error;
use crate::problem::ApiError;

/// `INQUIRY_STATE_AWAITING_PAYMENT` with prefix `INQUIRY_STATE_` → `awaiting_payment`.
pub fn enum_name(proto_name: &str, prefix: &str) -> String {
    proto_name
        .strip_prefix(prefix)
        .unwrap_or(proto_name)
        .to_ascii_lowercase()
}

/// Parses the API's lower-case name of an enum value back to its number, or a 400 naming
/// `field`.
pub fn parse_enum(
    field: &str,
    value: &str,
    prefix: &str,
    from_str_name: impl Fn(&str) -> Option<i32>,
) -> Result<i32, ApiError> {
    let upper = format!("{prefix}{}", value.trim().to_ascii_uppercase());
    match from_str_name(&upper) {
        Some(n) if n != 0 => Ok(n),
        _ => Err(field_error(
            field,
            "ENUM_VALUE_UNKNOWN",
            "این مقدار یکی از مقدارهای مجاز نیست.",
            "This value is not one of the allowed values.",
        )),
    }
}

/// A proto instant as RFC 3339, or `None` when unset.
pub fn instant(ts: Option<prost_types::Timestamp>) -> Option<String> {
    ts.map(|t| t.to_string())
}

/// Persian and English text.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LocalizedText {
    /// Persian.
    pub fa: String,
    /// English.
    pub en: String,
}

impl From<common::LocalizedText> for LocalizedText {
    fn from(t: common::LocalizedText) -> Self {
        Self { fa: t.fa, en: t.en }
    }
}

/// Optional localized text → the DTO (empty when unset).
pub fn text(t: Option<common::LocalizedText>) -> LocalizedText {
    t.map(Into::into).unwrap_or_default()
}

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// Who changed something, and when.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AuditStamp {
    /// The account that acted.
    pub actor_account_id: String,
    /// Its display name.
    pub actor_display_name: String,
    /// When (RFC 3339).
    pub at: Option<String>,
}

/// Optional stamp → the DTO.
pub fn stamp(s: Option<common::AuditStamp>) -> Option<AuditStamp> {
    s.map(|s| AuditStamp {
        actor_account_id: s.actor_account_id,
        actor_display_name: s.actor_display_name,
        at: instant(s.at),
    })
}

/// An account (the caller's own, or one a clerk looks at).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    /// Stable id.
    pub account_id: String,
    /// `citizen`, `clerk`, `admin`, `authority`, `service`.
    pub roles: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// National code (10 digits).
    pub national_code: String,
    /// Membership code, an alternative login identifier.
    pub membership_code: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Name to show.
    pub display_name: String,
    /// Mobile number.
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

/// One line of a bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillLine {
    /// The Jalali year the line is for (0 when not yearly).
    pub jalali_year: i32,
    /// `renewal_levy`, `waste_fee`, `penalty`, `inquiry_fee`, `discount`, `adjustment`.
    pub kind: String,
    /// What the line is.
    pub description: LocalizedText,
    /// Amount before penalties.
    pub base_rials: i64,
    /// Late-payment penalty.
    pub penalty_rials: i64,
    /// Base plus penalty.
    pub total_rials: i64,
    /// Months late.
    pub months_late: i32,
}

/// An itemised bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bill {
    /// Stable id.
    pub bill_id: String,
    /// The parcel billed.
    pub renovation_code: String,
    /// The inquiry it belongs to.
    pub inquiry_id: String,
    /// `open`, `paid`, `superseded`, `expired`.
    pub status: String,
    /// The lines.
    pub lines: Vec<BillLine>,
    /// Sum of the bases.
    pub total_base_rials: i64,
    /// Sum of the penalties.
    pub total_penalty_rials: i64,
    /// What is to be paid.
    pub total_rials: i64,
    /// The date the bill was computed for (Jalali).
    pub as_of_jalali: String,
    /// Until when the bill can be paid (RFC 3339).
    pub valid_until: Option<String>,
    /// Tracking code of the payment, once paid.
    pub tracking_code: String,
    /// When it was paid (RFC 3339).
    pub paid_at: Option<String>,
}

impl From<fees::Bill> for Bill {
    fn from(b: fees::Bill) -> Self {
        Self {
            status: enum_name(b.status().as_str_name(), "BILL_STATUS_"),
            lines: b
                .lines
                .into_iter()
                .map(|l| BillLine {
                    kind: enum_name(l.kind().as_str_name(), "BILL_ITEM_KIND_"),
                    jalali_year: l.jalali_year,
                    description: text(l.description),
                    base_rials: l.base_rials,
                    penalty_rials: l.penalty_rials,
                    total_rials: l.total_rials,
                    months_late: l.months_late,
                })
                .collect(),
            bill_id: b.bill_id,
            renovation_code: b.renovation_code,
            inquiry_id: b.inquiry_id,
            total_base_rials: b.total_base_rials,
            total_penalty_rials: b.total_penalty_rials,
            total_rials: b.total_rials,
            as_of_jalali: b.as_of_jalali,
            valid_until: instant(b.valid_until),
            tracking_code: b.tracking_code,
            paid_at: instant(b.paid_at),
        }
    }
}

/// A payment of a bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    /// Stable id.
    pub payment_id: String,
    /// The bill paid.
    pub bill_id: String,
    /// Amount.
    pub amount_rials: i64,
    /// `pending`, `confirmed`, `failed`, `expired`, `reversed`.
    pub status: String,
    /// The payment provider.
    pub provider: String,
    /// Where to send the browser to pay.
    pub redirect_url: String,
    /// Where the browser comes back afterwards.
    pub return_url: String,
    /// Tracking code, once confirmed.
    pub tracking_code: String,
    /// Why it failed.
    pub failure_reason: Option<LocalizedText>,
    /// When it started (RFC 3339).
    pub created_at: Option<String>,
    /// When it was confirmed (RFC 3339).
    pub confirmed_at: Option<String>,
}

impl From<fees::Payment> for Payment {
    fn from(p: fees::Payment) -> Self {
        Self {
            status: enum_name(p.status().as_str_name(), "PAYMENT_STATUS_"),
            payment_id: p.payment_id,
            bill_id: p.bill_id,
            amount_rials: p.amount_rials,
            provider: p.provider,
            redirect_url: p.redirect_url,
            return_url: p.return_url,
            tracking_code: p.tracking_code,
            failure_reason: p.failure_reason.map(Into::into),
            created_at: instant(p.created_at),
            confirmed_at: instant(p.confirmed_at),
        }
    }
}

/// A missing message in a service's answer: an internal error (never shown in detail).
pub fn missing(what: &str) -> ApiError {
    ApiError::from(estelam_runtime::error::ServiceError::internal(
        anyhow::anyhow!("the service's answer has no {what}"),
    ))
}
