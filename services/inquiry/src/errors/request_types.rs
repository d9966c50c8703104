//! Refusals of an admin's request-type definitions (`PutRequestType`) and of filing a
//! type the caller may not file.

use super::*;

// ---- request types -----------------------------------------------------------------------

/// A request type that does not exist (or, for filing, is not active).
pub fn request_type_not_found() -> ServiceError {
    ServiceError::not_found("نوع درخواست", "The request type")
}

/// A request type the caller's role may not file.
pub fn request_type_not_allowed() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::REQUEST_TYPE_NOT_ALLOWED,
        "این نوع درخواست را با نقش شما نمی‌توان ثبت کرد.",
        "This request type cannot be filed in your role.",
    )
}

/// PutRequestType without a request type.
pub fn request_type_definition_required() -> ServiceError {
    invalid(
        "request_type",
        r::REQUEST_TYPE_DEFINITION_REQUIRED,
        "نوع درخواست را بفرستید.",
        "Send the request type.",
    )
}

/// PutRequestType creating a code that exists.
pub fn request_type_exists() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        r::REQUEST_TYPE_EXISTS,
        "نوع درخواستی با این کد وجود دارد.",
        "A request type with this code exists.",
    )
}

/// A request type code outside `[a-z0-9-]{1,64}`.
pub fn request_type_code_invalid() -> ServiceError {
    invalid(
        "request_type.code",
        r::REQUEST_TYPE_CODE_INVALID,
        "کد نوع درخواست باید با حروف کوچک لاتین، رقم و خط تیره باشد.",
        "The request type code must be lower-case letters, digits and dashes.",
    )
}

/// A request type without a Persian name.
pub fn request_type_name_required() -> ServiceError {
    invalid(
        "request_type.name.fa",
        r::NAME_REQUIRED,
        "نام فارسی نوع درخواست را وارد کنید.",
        "Give the request type a Persian name.",
    )
}

/// A request type open to a role that cannot file inquiries.
pub fn request_type_role_invalid() -> ServiceError {
    invalid(
        "request_type.allowed_roles",
        r::REQUEST_TYPE_ROLE_INVALID,
        "فقط شهروند و مرجع استعلام می‌توانند درخواست ثبت کنند.",
        "Only citizens and authorities may file inquiries.",
    )
}

/// A request type nobody may file.
pub fn request_type_role_required() -> ServiceError {
    invalid(
        "request_type.allowed_roles",
        reasons::common::ROLE_REQUIRED,
        "دست‌کم یک نقش مجاز را تعیین کنید.",
        "Name at least one role that may file it.",
    )
}

/// An undertaking without a usable code or version.
pub fn undertaking_invalid() -> ServiceError {
    invalid(
        "request_type.undertakings",
        r::UNDERTAKING_INVALID,
        "هر تعهد باید کد و نسخه (از ۱) داشته باشد.",
        "Every undertaking needs a code and a version from 1.",
    )
}

/// An undertaking without its Persian text.
pub fn undertaking_text_required() -> ServiceError {
    invalid(
        "request_type.undertakings",
        r::UNDERTAKING_TEXT_REQUIRED,
        "متن فارسی تعهد را وارد کنید.",
        "Every undertaking needs its Persian text.",
    )
}

/// An undertaking's text edited under its old version, which would make earlier
/// acceptances name words nobody saw.
pub fn undertaking_changed_without_version(code: &str) -> ServiceError {
    invalid(
        "request_type.undertakings",
        r::UNDERTAKING_CHANGED_WITHOUT_VERSION,
        format!("متن تعهد «{code}» تغییر کرده است؛ نسخهٔ آن را افزایش دهید."),
        format!("The text of undertaking {code:?} changed; give it a new version."),
    )
}

/// A required document kind the contract does not know.
pub fn document_kind_invalid() -> ServiceError {
    invalid(
        "request_type.required_documents",
        reasons::common::DOCUMENT_KIND_INVALID,
        "نوع مدرک نامعتبر است.",
        "Unknown document kind.",
    )
}

/// A fee item kind the contract does not know.
pub fn fee_item_invalid() -> ServiceError {
    invalid(
        "request_type.fee_items",
        r::FEE_ITEM_INVALID,
        "نوع ردیف عوارض نامعتبر است.",
        "Unknown fee item kind.",
    )
}

/// An answer validity outside 1–3650 days.
pub fn answer_validity_invalid() -> ServiceError {
    invalid(
        "request_type.answer_validity_days",
        r::ANSWER_VALIDITY_INVALID,
        "مدت اعتبار پاسخ باید بین ۱ تا ۳۶۵۰ روز باشد.",
        "The answer's validity must be 1 to 3650 days.",
    )
}

/// An inquiry fee settlement the contract does not know.
pub fn fee_settlement_invalid() -> ServiceError {
    invalid(
        "request_type.inquiry_fee_settlement",
        r::FEE_SETTLEMENT_INVALID,
        "شیوهٔ پرداخت هزینهٔ استعلام نامعتبر است.",
        "Unknown inquiry fee settlement.",
    )
}

/// An on-account fee with no letter to name whose account it is.
pub fn on_account_needs_letter() -> ServiceError {
    invalid(
        "request_type.inquiry_fee_settlement",
        r::ON_ACCOUNT_NEEDS_LETTER,
        "هزینهٔ استعلام فقط وقتی به حساب مرجع استعلام منظور می‌شود که نامهٔ مرجع الزامی باشد.",
        "The inquiry fee can go to the inquiring authority's account only when the authority's letter is required.",
    )
}
