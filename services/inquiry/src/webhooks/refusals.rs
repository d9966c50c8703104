//! The webhook refusals, kept beside the webhooks (the service's `errors.rs` is full): each
//! with its catalogued reason and what to do, in Persian and English.

use estelam_domain::text::TextField;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::{Reason, inquiry as r};

fn invalid(
    field: &str,
    reason: Reason,
    fa: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::invalid_field(field, reason, fa, en)
}

fn precondition(reason: Reason, fa: &str, en: &str) -> ServiceError {
    ServiceError::new(ErrorCode::FailedPrecondition, reason, fa, en)
}

/// What a webhook endpoint is for, as its organisation describes it.
pub const WEBHOOK_DESCRIPTION: TextField =
    TextField::new("description", "توضیح نشانی وب‌هوک", "webhook description");

/// A webhook endpoint that does not exist or belongs to another organisation.
pub fn webhook_endpoint_not_found() -> ServiceError {
    ServiceError::not_found("نشانی وب‌هوک", "The webhook endpoint")
}

/// A refused endpoint URL, saying what would be accepted.
pub fn webhook_url_refused(refusal: crate::webhooks::address::UrlRefusal) -> ServiceError {
    use crate::webhooks::address::UrlRefusal;
    match refusal {
        UrlRefusal::Invalid => invalid(
            "url",
            r::WEBHOOK_URL_INVALID,
            "نشانی کامل https سامانهٔ خود را بدون نام کاربری و گذرواژه بفرستید؛ مثلاً https://hooks.example.ir/estelam",
            "Send the full https URL of your receiver, without a user name or password, e.g. https://hooks.example.ir/estelam.",
        ),
        UrlRefusal::NotHttps => invalid(
            "url",
            r::WEBHOOK_URL_NOT_HTTPS,
            "نشانی وب‌هوک باید با https آغاز شود.",
            "The webhook URL must start with https.",
        ),
        UrlRefusal::AddressRefused => invalid(
            "url",
            r::WEBHOOK_URL_ADDRESS_REFUSED,
            "این نشانی به شبکهٔ داخلی یا همین رایانه اشاره دارد؛ نشانی عمومی سامانهٔ خود را بفرستید.",
            "This URL points into an internal network or this machine; send your receiver's public address.",
        ),
    }
}

/// An event type that does not exist.
pub fn webhook_event_type_unknown(given: &str) -> ServiceError {
    let known = crate::webhooks::EventType::ALL
        .map(|t| t.as_str())
        .join(", ");
    let given: String = given.chars().take(60).collect();
    invalid(
        "event_types",
        r::WEBHOOK_EVENT_TYPE_UNKNOWN,
        format!("رویداد «{given}» وجود ندارد؛ یکی از این‌ها را بفرستید: {known}"),
        format!("There is no event type \"{given}\"; send some of: {known}."),
    )
}

/// A subscription to nothing.
pub fn webhook_event_types_required() -> ServiceError {
    let known = crate::webhooks::EventType::ALL
        .map(|t| t.as_str())
        .join(", ");
    invalid(
        "event_types",
        r::WEBHOOK_EVENT_TYPES_REQUIRED,
        format!("دست‌کم یک رویداد را نام ببرید: {known}"),
        format!("Name at least one event type: {known}."),
    )
}

/// An organisation with all the endpoints it may have.
pub fn webhook_endpoints_too_many(max: u32) -> ServiceError {
    precondition(
        r::WEBHOOK_ENDPOINTS_TOO_MANY,
        &format!("هر سازمان حداکثر {max} نشانی وب‌هوک دارد؛ یکی از نشانی‌های قبلی را حذف کنید."),
        &format!("An organisation may have at most {max} webhook endpoints; delete one first."),
    )
}

/// A rotation overlap longer than allowed.
pub fn webhook_overlap_too_long(max_seconds: u32) -> ServiceError {
    invalid(
        "overlap_seconds",
        r::WEBHOOK_OVERLAP_TOO_LONG,
        format!("همپوشانی رمز قبلی حداکثر {max_seconds} ثانیه است."),
        format!("The previous secret may overlap for at most {max_seconds} seconds."),
    )
}

/// An admin's call without the organisation.
pub fn webhook_organization_required() -> ServiceError {
    invalid(
        "organization_id",
        r::WEBHOOK_ORGANIZATION_REQUIRED,
        "شناسهٔ سازمان را بفرستید.",
        "Send the organisation's id.",
    )
}

/// A delivery list filtered by an unknown state.
pub fn webhook_delivery_state_unknown() -> ServiceError {
    invalid(
        "state",
        r::WEBHOOK_DELIVERY_STATE_UNKNOWN,
        "وضعیت را خالی بگذارید یا یکی از pending، delivered یا dead را بفرستید.",
        "Leave the state empty or send one of pending, delivered, dead.",
    )
}

/// A replay that names both or neither of its targets.
pub fn webhook_replay_target_required() -> ServiceError {
    invalid(
        "delivery_id",
        r::WEBHOOK_REPLAY_TARGET_REQUIRED,
        "یا شناسهٔ یک ارسال را بفرستید یا all_dead را روشن کنید، نه هر دو.",
        "Send either one delivery's id or all_dead, not both.",
    )
}

/// A replay of a pending (or unknown) delivery.
pub fn webhook_delivery_not_replayable() -> ServiceError {
    precondition(
        r::WEBHOOK_DELIVERY_NOT_REPLAYABLE,
        "این ارسال هنوز در صف است یا پیدا نشد؛ فقط ارسال‌های انجام‌شده یا ناموفق دوباره فرستاده می‌شوند.",
        "This delivery is still queued or was not found; only delivered or dead deliveries can be replayed.",
    )
}
