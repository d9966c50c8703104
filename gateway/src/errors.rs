//! The gateway's own refusals, each a small function with its reason from the catalogue
//! (`estelam_runtime::reasons::gateway`, or `common` for the two the services send too) and
//! its Persian and English messages, which say what to do. The layers and routes call these
//! rather than spell out messages, so that one reason always reads the same and a reviewer
//! finds every message a person may get from the gateway in one file.
//!
//! What a service refuses is not here: its status converts to a problem with its own reason
//! and messages ([`crate::problem`]).

use std::time::Duration;

use axum::http::StatusCode;
use estelam_runtime::error::{ErrorCode, FieldViolation, ServiceError};
use estelam_runtime::reasons::{Reason, common, gateway as reasons};

use crate::problem::ApiError;

/// A 400 naming the `field` that is wrong, for checks a route makes after extraction
/// (the portal shows `errors[].field` next to the field).
pub fn field_error(field: &str, reason: Reason, message_fa: &str, message_en: &str) -> ApiError {
    ApiError::from(
        ServiceError::new(ErrorCode::InvalidArgument, reason, message_fa, message_en).with_field(
            FieldViolation {
                field: field.into(),
                reason: reason.into(),
                message_fa: message_fa.into(),
                message_en: message_en.into(),
            },
        ),
    )
}

/// An invalid input whose English message carries the parser's own words (which field,
/// which type), for the extractors.
fn invalid(field: &str, reason: Reason, message_fa: &str, message_en: String) -> ApiError {
    ApiError::from(ServiceError::invalid_field(
        field, reason, message_fa, message_en,
    ))
}

// ---------------------------------------------------------------------------------------
// The request as HTTP: body, path, query, method

/// `415`: a JSON route was sent something declared as another media type.
pub fn content_type_not_json() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::BODY_NOT_JSON_CONTENT_TYPE,
        "بدنهٔ درخواست باید JSON باشد، با سرآیند Content-Type: application/json.",
        "Send the request body as JSON, with Content-Type: application/json.",
    )
    .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
}

/// The body does not parse as JSON; `message` is the parser's.
pub fn body_not_json(message: &str) -> ApiError {
    invalid(
        "body",
        reasons::BODY_NOT_JSON,
        "بدنهٔ درخواست JSON درستی نیست.",
        format!("The request body is not valid JSON: {message}."),
    )
}

/// The body's JSON value is followed by more characters.
pub fn body_trailing_characters() -> ApiError {
    invalid(
        "body",
        reasons::BODY_NOT_JSON,
        "پس از JSON در بدنهٔ درخواست نویسهٔ اضافه آمده است.",
        "The request body has extra characters after the JSON value.".into(),
    )
}

/// A body `field` is missing or of the wrong type; `message` is the parser's.
pub fn field_invalid(field: &str, message: &str) -> ApiError {
    invalid(
        field,
        reasons::FIELD_INVALID,
        "این فیلد جاافتاده یا مقدارش از نوع درستی نیست.",
        format!("This field is missing or has the wrong type: {message}."),
    )
}

/// The body broke off before its end.
pub fn body_unreadable() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::BODY_UNREADABLE,
        "بدنهٔ درخواست کامل دریافت نشد؛ دوباره بفرستید.",
        "The request body could not be read completely; please send it again.",
    )
}

/// `413`: the body is larger than this route accepts.
pub fn body_too_large() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::BODY_TOO_LARGE,
        "حجم دادهٔ فرستاده‌شده بیش از حد مجاز است؛ فایل کوچک‌تری بفرستید.",
        "The request body is larger than allowed; send a smaller file or less data.",
    )
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// `413` for an upload over the gateway's limit, naming it (in MiB, as people size files).
pub fn upload_too_large(limit_bytes: u64) -> ApiError {
    let mib = limit_bytes as f64 / (1024.0 * 1024.0);
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::BODY_TOO_LARGE,
        format!("حجم فایل بیش از حد مجاز ({mib:.1} مگابایت) است؛ فایل کوچک‌تری بفرستید."),
        format!("The file is larger than the limit of {mib:.1} MiB; please send a smaller file."),
    )
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// A path parameter `field` does not parse; `detail` is the router's.
pub fn path_parameter_invalid(field: &str, detail: &str) -> ApiError {
    invalid(
        field,
        reasons::PATH_PARAMETER_INVALID,
        "بخشی از نشانی (مسیر) نادرست است.",
        format!("A part of the address is not valid: {detail}."),
    )
}

/// A query parameter `field` is missing or does not parse; `message` is the parser's.
pub fn query_parameter_invalid(field: &str, message: &str) -> ApiError {
    invalid(
        field,
        reasons::QUERY_PARAMETER_INVALID,
        "این پارامتر نشانی جاافتاده یا مقدارش نادرست است.",
        format!("This query parameter is missing or not valid: {message}."),
    )
}

/// An enum value `field` that is not one of its documented lower-case names.
pub fn enum_value_unknown(field: &str) -> ApiError {
    field_error(
        field,
        reasons::ENUM_VALUE_UNKNOWN,
        "این مقدار یکی از مقدارهای مجاز نیست.",
        "This value is not one of the allowed values.",
    )
}

/// An instant that is not RFC 3339 (`2026-03-21T00:00:00Z`).
pub fn instant_invalid(field: &str) -> ApiError {
    field_error(
        field,
        common::TIMESTAMP_INVALID,
        "زمان واردشده نادرست است؛ آن را به شکل 2026-03-21T00:00:00Z بنویسید.",
        "The instant is not valid; write it as 2026-03-21T00:00:00Z.",
    )
}

/// `404` for a path under `/api` that names no route.
pub fn route_not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        reasons::ROUTE_NOT_FOUND,
        "چنین نشانی‌ای در رابط برنامه‌نویسی وجود ندارد؛ فهرست نشانی‌ها در \u{2066}/api/docs\u{2069} است.",
        "There is no such API route; see /api/docs for the list.",
    )
}

/// `404` for an OGC API – Features collection that does not exist (only `parcels` does).
pub fn collection_not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        reasons::COLLECTION_NOT_FOUND,
        "چنین مجموعه‌ای نیست؛ مجموعه‌های این رابط \u{2066}parcels\u{2069} و \u{2066}labels\u{2069} هستند.",
        "There is no such collection; the collections are parcels and labels.",
    )
}

/// `405`: the route exists, not with this method (the `Allow` header says which).
pub fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::METHOD_NOT_ALLOWED,
        "این نشانی این روش درخواست را نمی‌پذیرد؛ روش‌های پذیرفته در سرآیند Allow آمده‌اند.",
        "This address does not accept this request method; see the Allow header.",
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// A bare client error `status` of the HTTP layer with nothing more specific to say.
pub fn request_refused(status: StatusCode) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        reasons::REQUEST_REFUSED,
        "درخواست پذیرفته نشد؛ آن را بررسی و دوباره بفرستید.",
        "The request was not accepted; check it and send it again.",
    )
    .with_status(status)
}

// ---------------------------------------------------------------------------------------
// What protects the system: time, load, rate

/// `504`: the request took longer than the gateway waits.
pub fn gateway_timeout() -> ApiError {
    ApiError::new(
        ErrorCode::DeadlineExceeded,
        reasons::GATEWAY_TIMEOUT,
        "پاسخ به‌موقع آماده نشد؛ چند لحظه بعد دوباره تلاش کنید.",
        "The answer took too long; please try again in a moment.",
    )
}

/// `503`: too many requests are in progress right now.
pub fn gateway_overloaded() -> ApiError {
    ApiError::from(
        ServiceError::new(
            ErrorCode::Unavailable,
            reasons::GATEWAY_OVERLOADED,
            "سامانه اکنون سرش شلوغ است؛ چند لحظه بعد دوباره تلاش کنید.",
            "The system is busy right now; please try again in a moment.",
        )
        .with_retry_after(Duration::from_secs(1)),
    )
}

/// `429` with the time to `wait` (at least a second, as `Retry-After` counts whole seconds).
pub fn rate_limited(wait: Duration) -> ApiError {
    ApiError::from(
        ServiceError::new(
            ErrorCode::ResourceExhausted,
            reasons::RATE_LIMITED,
            "درخواست‌های شما بیش از حد مجاز است؛ کمی صبر کنید و دوباره تلاش کنید.",
            "You have sent too many requests; please wait a little and try again.",
        )
        .with_retry_after(wait.max(Duration::from_secs(1))),
    )
}

// ---------------------------------------------------------------------------------------
// The routes' own checks

/// Login names neither identifier, or both.
pub fn login_identifier_required() -> ApiError {
    field_error(
        "national_code",
        reasons::LOGIN_IDENTIFIER_REQUIRED,
        "کد ملی یا کد عضویت را (فقط یکی) وارد کنید.",
        "Enter either the national code or the membership code (just one).",
    )
}

/// The multipart body of an upload could not be read.
pub fn multipart_invalid() -> ApiError {
    field_error(
        "file",
        reasons::MULTIPART_INVALID,
        "فایل کامل دریافت نشد؛ دوباره بفرستید.",
        "The upload could not be read; please send it again.",
    )
}

/// An upload without a `file` part.
pub fn upload_file_missing() -> ApiError {
    field_error(
        "file",
        reasons::UPLOAD_FILE_MISSING,
        "فایلی فرستاده نشد.",
        "No file was sent.",
    )
}

/// An upload whose `kind` did not come before its file.
pub fn upload_kind_missing() -> ApiError {
    field_error(
        "kind",
        reasons::UPLOAD_KIND_MISSING,
        "نوع مدرک را پیش از فایل بفرستید.",
        "Send the document's kind before the file.",
    )
}

/// The property step names neither a renovation code nor a point, or both.
pub fn property_location_required() -> ApiError {
    field_error(
        "renovation_code",
        reasons::PROPERTY_LOCATION_REQUIRED,
        "کد نوسازی یا نقطه‌ای روی نقشه را (فقط یکی) بدهید.",
        "Give either the renovation code or a point on the map (just one).",
    )
}

/// A point off the globe.
pub fn point_out_of_range() -> ApiError {
    field_error(
        "lat",
        common::POINT_OUT_OF_RANGE,
        "عرض جغرافیایی باید بین ۹۰- و ۹۰ و طول بین ۱۸۰- و ۱۸۰ باشد.",
        "Latitude must be within -90..90 and longitude within -180..180.",
    )
}

/// A `bbox` that is not `minLon,minLat,maxLon,maxLat`.
pub fn bbox_invalid() -> ApiError {
    field_error(
        "bbox",
        common::BBOX_INVALID,
        "محدوده باید چهار عدد باشد: کمینهٔ طول، کمینهٔ عرض، بیشینهٔ طول، بیشینهٔ عرض.",
        "bbox must be four numbers: minLon,minLat,maxLon,maxLat, with min below max.",
    )
}

/// A map page's `limit` below one.
pub fn parcel_limit_invalid() -> ApiError {
    field_error(
        "limit",
        reasons::LIMIT_INVALID,
        "حداکثر تعداد باید عددی مثبت باشد.",
        "limit must be a positive number.",
    )
}

/// An organization list's `limit` outside 1..=100.
pub fn organization_limit_invalid() -> ApiError {
    field_error(
        "limit",
        reasons::LIMIT_INVALID,
        "حداکثر تعداد باید عددی بین ۱ و ۱۰۰ باشد.",
        "limit must be a number from 1 to 100.",
    )
}

/// The sandbox bank's page was posted incomplete.
pub fn psp_form_invalid() -> ApiError {
    field_error(
        "token",
        reasons::PSP_FORM_INVALID,
        "فرم پرداخت کامل نیست.",
        "The payment form is incomplete.",
    )
}

/// The sandbox bank's page was posted with a choice it does not offer.
pub fn psp_choice_invalid() -> ApiError {
    field_error(
        "choice",
        reasons::PSP_CHOICE_INVALID,
        "یکی از دکمه‌های «پرداخت» یا «انصراف» را بزنید.",
        "Press either “Pay” or “Cancel”.",
    )
}

/// `503`: the sandbox bank's pages need client credentials this installation lacks.
pub fn sandbox_psp_not_configured() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        reasons::SANDBOX_PSP_NOT_CONFIGURED,
        "درگاه پرداخت آزمایشی در این نصب فعال نیست.",
        "The sandbox payment page is not set up in this installation.",
    )
}
