//! Refusals while filing: opening on behalf, the steps from the undertakings to the
//! applicant, Submit and payment.

use super::*;

// ---- filing ------------------------------------------------------------------------------

/// A malformed national code in `field`.
pub fn national_code_invalid(field: &str, e: &DomainError) -> ServiceError {
    invalid_value(field, reasons::common::NATIONAL_CODE_INVALID, e)
}

/// A malformed membership code.
pub fn membership_code_invalid(e: &DomainError) -> ServiceError {
    invalid_value("applicant_membership_code", r::MEMBERSHIP_CODE_INVALID, e)
}

/// The citizen's consent could not be confirmed.
pub fn consent_not_verified() -> ServiceError {
    invalid(
        "applicant_membership_code",
        r::CONSENT_NOT_VERIFIED,
        "کد ملی و کد عضویت با هم مطابقت ندارند؛ کد عضویت را از متقاضی دوباره بپرسید.",
        "The national code and membership code do not belong to the same citizen; ask the applicant for their membership code again.",
    )
}

// ---- step 3: undertakings ----------------------------------------------------------------

/// An accepted text that is not current (the page was older than the request type).
pub fn undertaking_version_unknown(unknown: &str) -> ServiceError {
    invalid(
        "undertaking_version_ids",
        r::UNDERTAKING_VERSION_UNKNOWN,
        format!("تعهد «{unknown}» متن جاری این نوع درخواست نیست؛ صفحه را تازه کنید."),
        format!(
            "{unknown:?} is not a current undertaking text of this request type; reload and accept the texts shown."
        ),
    )
}

/// An undertaking left unaccepted.
pub fn undertaking_not_accepted(missing: &str) -> ServiceError {
    invalid(
        "undertaking_version_ids",
        r::UNDERTAKING_NOT_ACCEPTED,
        format!("همهٔ تعهدات را بپذیرید (تعهد «{missing}» پذیرفته نشده است)."),
        format!("Accept every undertaking ({missing:?} was not accepted)."),
    )
}

// ---- step 4: the property ----------------------------------------------------------------

/// A malformed renovation code.
pub fn renovation_code_invalid(e: &DomainError) -> ServiceError {
    invalid_value(
        "renovation_code",
        reasons::common::RENOVATION_CODE_INVALID,
        e,
    )
}

/// No parcel with that renovation code.
pub fn parcel_not_found() -> ServiceError {
    invalid(
        "renovation_code",
        r::PARCEL_NOT_FOUND,
        "ملکی با این کد نوسازی ثبت نشده است؛ کد را با قبض عوارض یا سند مقایسه کنید یا ملک را روی نقشه انتخاب کنید.",
        "No property has this renovation code; compare it with your levy bill or deed, or pick the property on the map.",
    )
}

/// A map point that is not a place on Earth.
pub fn point_out_of_range() -> ServiceError {
    invalid(
        "picked_point",
        reasons::common::POINT_OUT_OF_RANGE,
        "نقطهٔ انتخاب‌شده روی نقشه معتبر نیست.",
        "The point picked on the map is not a valid location.",
    )
}

/// A map point outside every parcel.
pub fn point_outside_parcels() -> ServiceError {
    invalid(
        "picked_point",
        reasons::common::POINT_OUTSIDE_PARCELS,
        "در نقطهٔ انتخاب‌شده ملکی ثبت نشده است؛ روی خود ملک کلیک کنید.",
        "No property is registered at the point picked; click inside the property itself.",
    )
}

/// Neither a renovation code nor a map point.
pub fn property_required() -> ServiceError {
    invalid(
        "renovation_code",
        r::PROPERTY_REQUIRED,
        "کد نوسازی را وارد کنید یا ملک را روی نقشه انتخاب کنید.",
        "Enter the renovation code or pick the property on the map.",
    )
}

/// A malformed request number.
pub fn request_number_invalid(e: &DomainError) -> ServiceError {
    invalid_value("request_number", r::REQUEST_NUMBER_INVALID, e)
}

/// Property's verdict on a request number that is not valid for the parcel, with
/// property's own detail (when it gave one) after ours.
pub fn request_number_refused(
    status: ppb::RequestNumberStatus,
    detail_fa: &str,
    detail_en: &str,
) -> ServiceError {
    let (reason, fa, en) = match status {
        ppb::RequestNumberStatus::OtherParcel => (
            reasons::common::REQUEST_NUMBER_OTHER_PARCEL,
            "این شماره درخواست برای ملک دیگری صادر شده است.",
            "This request number was issued for another property.",
        ),
        ppb::RequestNumberStatus::Expired => (
            reasons::common::REQUEST_NUMBER_EXPIRED,
            "مهلت این شماره درخواست گذشته است؛ از شهرداری شماره درخواست تازه بگیرید.",
            "This request number has expired; ask the municipality for a new one.",
        ),
        ppb::RequestNumberStatus::Used => (
            reasons::common::REQUEST_NUMBER_USED,
            "این شماره درخواست پیش‌تر در استعلام دیگری به کار رفته است.",
            "This request number was already used by another inquiry.",
        ),
        _ => (
            reasons::common::REQUEST_NUMBER_UNKNOWN,
            "این شماره درخواست در سوابق شهرداری نیست؛ آن را با برگهٔ شهرداری مقایسه کنید.",
            "This request number is not in the municipality's records; compare it with the municipality's slip.",
        ),
    };
    let join = |ours: &str, theirs: &str| {
        if theirs.is_empty() {
            ours.to_owned()
        } else {
            format!("{ours} {theirs}")
        }
    };
    invalid(
        "request_number",
        reason,
        join(fa, detail_fa),
        join(en, detail_en),
    )
}

// ---- step 5a: the letter -----------------------------------------------------------------

/// A letter number missing or too long.
pub fn letter_number_required() -> ServiceError {
    invalid(
        "letter_number",
        r::LETTER_NUMBER_REQUIRED,
        "شمارهٔ نامه را (حداکثر ۶۴ نویسه) وارد کنید.",
        "Enter the letter number (at most 64 characters).",
    )
}

/// Answer-time statistics for a year the calendar does not cover.
pub fn jalali_year_invalid() -> ServiceError {
    invalid(
        "jalali_year",
        r::STATISTICS_YEAR_INVALID,
        "سال خورشیدی نادرست است؛ سالی مانند ۱۴۰۵ بفرستید، یا ۰ برای امسال.",
        "The Jalali year is not valid; send a year such as 1405, or 0 for this year.",
    )
}

/// A letter date that is not a Jalali date.
pub fn letter_date_invalid(e: &DomainError) -> ServiceError {
    invalid_value("letter_date_jalali", r::LETTER_DATE_INVALID, e)
}

/// A letter dated after today.
pub fn letter_date_in_future(date: &str, today: &str) -> ServiceError {
    invalid(
        "letter_date_jalali",
        r::LETTER_DATE_IN_FUTURE,
        format!("تاریخ نامه ({date}) نمی‌تواند بعد از امروز ({today}) باشد."),
        format!("The letter's date ({date}) cannot be later than today ({today})."),
    )
}

/// No authority named and none filed the inquiry.
pub fn authority_required() -> ServiceError {
    invalid(
        "authority_organization_id",
        r::AUTHORITY_REQUIRED,
        "مرجع استعلام‌کننده را انتخاب کنید.",
        "Choose the inquiring authority.",
    )
}

/// An authority that is not registered (or no longer active).
pub fn authority_not_found() -> ServiceError {
    invalid(
        "authority_organization_id",
        r::AUTHORITY_NOT_FOUND,
        "این مرجع استعلام‌کننده در فهرست مراجع ثبت‌شده نیست.",
        "This inquiring authority is not among the registered authorities.",
    )
}

/// An authority user named another organisation as the inquiring authority.
pub fn authority_not_own_organization() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::AUTHORITY_NOT_OWN_ORGANIZATION,
        "کاربر مرجع فقط می‌تواند سازمان خودش را به‌عنوان مرجع استعلام‌کننده نام ببرد.",
        "An authority's user can name only their own organisation as the inquiring authority.",
    )
}

// ---- step 5b: documents ------------------------------------------------------------------

/// More than `max` documents.
pub fn documents_too_many(max: usize) -> ServiceError {
    invalid(
        "document_ids",
        r::DOCUMENTS_TOO_MANY,
        format!("حداکثر {max} مدرک پیوست کنید."),
        format!("Attach at most {max} documents."),
    )
}

/// A document that is not the applicant's (or does not exist: the two are alike).
pub fn document_not_found(id: &str) -> ServiceError {
    invalid(
        "document_ids",
        r::DOCUMENT_NOT_FOUND,
        format!("مدرک {id} در میان مدارک بارگذاری‌شدهٔ متقاضی نیست."),
        format!("Document {id} is not among the applicant's uploads."),
    )
}

/// Required documents that were not attached, named in both languages.
pub fn required_documents_missing(kinds: &[crate::request_types::Text]) -> ServiceError {
    let fa: Vec<&str> = kinds.iter().map(|k| k.fa.as_str()).collect();
    let en: Vec<&str> = kinds.iter().map(|k| k.en.as_str()).collect();
    invalid(
        "document_ids",
        r::REQUIRED_DOCUMENT_MISSING,
        format!(
            "این مدارک لازم پیوست نشده است: {}. آن‌ها را بارگذاری و پیوست کنید.",
            fa.join("، ")
        ),
        format!(
            "These required documents are missing: {}. Upload and attach them.",
            en.join(", ")
        ),
    )
}

// ---- step 6: the applicant ---------------------------------------------------------------

/// No applicant name, or one longer than 200 characters.
pub fn applicant_name_required() -> ServiceError {
    invalid(
        "full_name",
        r::NAME_REQUIRED,
        "نام و نام خانوادگی متقاضی را وارد کنید.",
        "Enter the applicant's full name.",
    )
}

/// Someone other than the consenting citizen named as applicant of an on-behalf filing.
pub fn consenting_applicant_mismatch() -> ServiceError {
    invalid(
        "national_code",
        r::CONSENTING_APPLICANT_MISMATCH,
        "کد ملی با کد ملی متقاضی‌ای که رضایت داده است یکی نیست.",
        "This national code is not that of the applicant who consented.",
    )
}

/// A citizen named someone other than themselves as the applicant of their own inquiry.
pub fn applicant_not_caller() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::APPLICANT_NOT_CALLER,
        "شما فقط می‌توانید برای خودتان استعلام ثبت کنید؛ کد ملی متقاضی باید کد ملی خودتان باشد. برای اقدام از طرف مالک، از مسیر وکالت استفاده کنید.",
        "You can file only for yourself: the applicant's national code must be your own. To act for an owner, use representation (power of attorney).",
    )
}

/// A citizen whose token does not say who they are (no national code claim).
pub fn caller_national_code_absent() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::CALLER_NATIONAL_CODE_ABSENT,
        "کد ملی شما در نشست ورود شما نیست؛ از سامانه خارج شوید و دوباره وارد شوید.",
        "Your login does not carry your national code; log out and log in again.",
    )
}

/// No ownership type chosen.
pub fn ownership_type_required() -> ServiceError {
    invalid(
        "ownership_type",
        reasons::common::OWNERSHIP_TYPE_REQUIRED,
        "نوع مالکیت را انتخاب کنید.",
        "Choose the ownership type.",
    )
}

/// Property's verdict on an applicant who is not (as declared) an owner; `None` when the
/// verdict is that they are.
pub fn applicant_refused(result: ppb::ApplicantCheckResult) -> Option<ServiceError> {
    let (field, reason, fa, en) = match result {
        ppb::ApplicantCheckResult::Owner => return None,
        ppb::ApplicantCheckResult::TypeMismatch => (
            "ownership_type",
            r::OWNERSHIP_TYPE_MISMATCH,
            "نوع مالکیت اعلام‌شده با سوابق ملک یکی نیست؛ نوع مالکیت را مطابق سند انتخاب کنید.",
            "The declared ownership type differs from the property's record; choose the type on the deed.",
        ),
        ppb::ApplicantCheckResult::NameMismatch => (
            "full_name",
            r::APPLICANT_NAME_MISMATCH,
            "نام متقاضی با نام مالک در سوابق ملک یکی نیست؛ نام را مطابق سند وارد کنید.",
            "The applicant's name differs from the owner's name on record; enter it as on the deed.",
        ),
        _ => (
            "national_code",
            r::APPLICANT_NOT_OWNER,
            "متقاضی با این کد ملی در میان مالکان این ملک نیست.",
            "No owner of this property has this national code.",
        ),
    };
    Some(invalid(field, reason, fa, en))
}

// ---- submit and payment ------------------------------------------------------------------

/// The parcel of step 4 vanished from property's records before Submit.
pub fn parcel_gone() -> ServiceError {
    precondition(
        r::PARCEL_GONE,
        "این ملک دیگر در سوابق نیست؛ مرحلهٔ تعیین ملک را دوباره انجام دهید.",
        "The property is no longer on record; redo the property step.",
    )
}

/// GetBill before anything was charged.
pub fn bill_missing() -> ServiceError {
    precondition(
        r::BILL_MISSING,
        "برای این استعلام صورت‌حسابی صادر نشده است.",
        "This inquiry has no bill (it is not submitted, or nothing was charged).",
    )
}

/// StartPayment when nothing is waiting to be paid.
pub fn inquiry_not_awaiting_payment() -> ServiceError {
    precondition(
        r::INQUIRY_NOT_AWAITING_PAYMENT,
        "این استعلام منتظر پرداخت نیست.",
        "This inquiry is not waiting for payment.",
    )
}
