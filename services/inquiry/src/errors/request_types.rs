//! Refusals of an admin's request-type definitions (`PutRequestType`) and of filing a
//! type the caller may not file.

use estelam_runtime::error::FieldViolation;

use super::*;
use crate::request_types::Text;

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

/// A required document kind that does not exist (or is left unspecified), named by its
/// place in the list (1 for the first): a name the client could not map arrives as no
/// kind at all, so the place is what both the client and the admin can find.
pub fn document_kind_unknown(position: usize) -> ServiceError {
    let fa_position = estelam_domain::to_persian_digits(&position.to_string());
    invalid(
        "request_type.required_documents",
        r::REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN,
        format!(
            "مدرک شمارهٔ {fa_position} فهرست مدارک لازم نوع شناخته‌شده و فعالی نیست؛ یکی از انواع فهرست انواع مدرک را برگزینید یا آن نوع را نخست تعریف کنید."
        ),
        format!(
            "Required document {position} is not a known, active document kind; choose one from the list of document kinds, or define that kind first."
        ),
    )
}

/// An active request type charging a fee item that no tariff of the current Jalali year
/// prices: every applicant's Submit would fail, so it is refused when published.
pub fn request_type_tariff_missing(item: &Text, code: &str, jalali_year: i32) -> ServiceError {
    let year_fa = estelam_domain::to_persian_digits(&jalali_year.to_string());
    let fa = format!(
        "برای «{}» نوع درخواست «{code}» در تعرفه‌های سال {year_fa} مبلغی تعیین نشده است؛ نخست تعرفهٔ سال را با این ردیف منتشر کنید، یا نوع درخواست را غیرفعال ذخیره کنید.",
        item.fa
    );
    let en = format!(
        "No tariff of Jalali year {jalali_year} prices the {} of request type {code:?}; publish this year's tariff with that item first, or save the request type inactive.",
        item.en
    );
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::REQUEST_TYPE_TARIFF_MISSING,
        fa.clone(),
        en.clone(),
    )
    .with_field(FieldViolation {
        field: "request_type.fee_items".into(),
        reason: r::REQUEST_TYPE_TARIFF_MISSING.to_string(),
        message_fa: fa,
        message_en: en,
    })
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

/// The title printed on a request type's answers, signed with them.
pub const ANSWER_TITLE: TextField =
    TextField::new("request_type.answer_title", "عنوان پاسخ", "answer title");
/// A sentence printed on a request type's answers, signed with them.
pub const ANSWER_STATEMENT: TextField = TextField::new(
    "request_type.answer_statements",
    "جملهٔ پاسخ",
    "answer statement",
);

/// Answer statements beyond what one page holds, or one without its Persian text.
pub fn answer_statements_invalid() -> ServiceError {
    invalid(
        "request_type.answer_statements",
        r::REQUEST_TYPE_ANSWER_STATEMENTS_INVALID,
        "هر جملهٔ پاسخ باید متن فارسی داشته باشد و بیش از ۶۰۰ نویسه نباشد؛ حداکثر ۱۲ جمله بنویسید.",
        "Every answer statement needs its Persian text and at most 600 characters; write at most 12 statements.",
    )
}

/// An answer title given in English only.
pub fn answer_title_persian_required() -> ServiceError {
    invalid(
        "request_type.answer_title.fa",
        r::REQUEST_TYPE_ANSWER_TITLE_PERSIAN_MISSING,
        "عنوان فارسی پاسخ را هم وارد کنید؛ پاسخ نخست به فارسی خوانده می‌شود.",
        "Give the answer title in Persian too; the answer is read in Persian first.",
    )
}

/// An active window that ends before (or when) it starts.
pub fn active_window_invalid() -> ServiceError {
    invalid(
        "request_type.active_until",
        r::REQUEST_TYPE_ACTIVE_WINDOW_INVALID,
        "پایان دورهٔ فعال بودن باید پس از آغاز آن باشد.",
        "The end of the active window must come after its start.",
    )
}

/// A new inquiry of a type outside its active window.
pub fn request_type_outside_window() -> ServiceError {
    precondition(
        r::REQUEST_TYPE_OUTSIDE_ACTIVE_WINDOW,
        "این خدمت اکنون پذیرای درخواست تازه نیست؛ در دورهٔ اعلام‌شده دوباره تلاش کنید.",
        "This e-service is not taking new requests now; try again within its announced period.",
    )
}
