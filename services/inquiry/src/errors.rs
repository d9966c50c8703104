//! The inquiry service's refusals, each with a reason from the catalogue
//! (`estelam_runtime::reasons`) and a message in Persian and English that tells the person
//! what to do next.
//!
//! They live here, not at the places that refuse, so that the words a citizen or a notary
//! reads can be reviewed (and translated) in one file, and so that one reason always comes
//! with the same message.

use estelam_domain::DomainError;
use estelam_domain::text::{TextError, TextField};
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::{self, Reason};

use crate::workflow::Refusal;

use reasons::inquiry as r;

fn invalid(
    field: &str,
    reason: Reason,
    fa: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::invalid_field(field, reason, fa, en)
}

/// A value the domain crate refused; its own message says what is wrong with it.
fn invalid_value(field: &str, reason: Reason, e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(field, reason, e.message_fa(), e.to_string())
}

fn precondition(reason: Reason, fa: &str, en: &str) -> ServiceError {
    ServiceError::new(ErrorCode::FailedPrecondition, reason, fa, en)
}

// ---- free text --------------------------------------------------------------------------

/// The applicant's name (step 6), as stored, compared with the owners and signed.
pub const APPLICANT_NAME: TextField = TextField::new(
    "full_name",
    "نام و نام خانوادگی متقاضی",
    "applicant's full name",
);
/// The inquiring authority's letter number (step 4), printed in the signed answer.
pub const LETTER_NUMBER: TextField = TextField::new("letter_number", "شمارهٔ نامه", "letter number");
/// The reason a clerk revokes an answer with, shown to every later verifier.
pub const REVOCATION_REASON: TextField =
    TextField::new("reason", "علت ابطال", "reason for revoking");
/// The reason given when an inquiry is cancelled, kept in its history.
pub const CANCELLATION_REASON: TextField =
    TextField::new("reason", "علت لغو", "reason for cancelling");
/// The note on a request type's new version, kept in its history.
pub const REQUEST_TYPE_CHANGE_REASON: TextField =
    TextField::new("reason", "علت تغییر", "reason for the change");

/// Free text holding a character no text may hold (a control, NUL or a bidi override):
/// refused with the field named, before anything is stored, compared or signed.
pub fn text_refused(e: TextError) -> ServiceError {
    ServiceError::invalid_field(
        e.field().path,
        reasons::common::TEXT_CHARACTERS_REFUSED,
        e.message_fa(),
        e.to_string(),
    )
}

// ---- the workflow ------------------------------------------------------------------------

/// A step the state machine does not allow now.
pub fn refused(refusal: &Refusal) -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        refusal.reason(),
        refusal.message_fa(),
        refusal.message_en(),
    )
}

/// An inquiry that does not exist or that the caller may not see: the two are alike, so
/// that nobody learns which inquiry numbers exist.
pub fn inquiry_not_found() -> ServiceError {
    ServiceError::not_found("استعلام", "The inquiry")
}

/// GetInquiry without an id or a number.
pub fn inquiry_key_required() -> ServiceError {
    invalid(
        "inquiry_id",
        r::INQUIRY_KEY_REQUIRED,
        "شناسه یا شمارهٔ استعلام را بفرستید.",
        "Send the inquiry id or inquiry number.",
    )
}

/// A malformed inquiry number.
pub fn inquiry_number_invalid(e: &DomainError) -> ServiceError {
    invalid_value("inquiry_number", r::INQUIRY_NUMBER_INVALID, e)
}

/// BulkStatus asked about more than `limit` numbers.
pub fn inquiry_numbers_too_many(sent: usize, limit: usize) -> ServiceError {
    invalid(
        "inquiry_numbers",
        r::INQUIRY_NUMBERS_TOO_MANY,
        format!("در هر درخواست حداکثر {limit} شمارهٔ استعلام بفرستید ({sent} فرستاده شد)."),
        format!(
            "Send at most {limit} inquiry numbers per call ({sent} were sent); split the list."
        ),
    )
}

/// A page token whose resume key is not one this list issues.
pub fn page_token_invalid() -> ServiceError {
    invalid(
        "page_token",
        reasons::common::PAGE_TOKEN_INVALID,
        "نشانهٔ صفحه نامعتبر است یا به جست‌وجوی دیگری تعلق دارد؛ از صفحهٔ اول آغاز کنید.",
        "The page token is invalid or belongs to another search; start again from the first page.",
    )
}

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
pub fn required_documents_missing(kinds: &[i32]) -> ServiceError {
    let fa: Vec<&str> = kinds.iter().map(|k| document_kind_names(*k).0).collect();
    let en: Vec<&str> = kinds.iter().map(|k| document_kind_names(*k).1).collect();
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

fn document_kind_names(kind: i32) -> (&'static str, &'static str) {
    match DocumentKind::try_from(kind) {
        Ok(DocumentKind::NationalIdCard) => ("کارت ملی", "national ID card"),
        Ok(DocumentKind::OwnershipDeed) => ("سند مالکیت", "ownership deed"),
        Ok(DocumentKind::AuthorityLetter) => ("نامهٔ مرجع", "authority letter"),
        Ok(DocumentKind::PowerOfAttorney) => ("وکالت‌نامه", "power of attorney"),
        _ => ("سایر مدارک", "other document"),
    }
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

// ---- answers -----------------------------------------------------------------------------

/// The answer of an inquiry that has none yet.
pub fn answer_not_issued() -> ServiceError {
    precondition(
        r::ANSWER_NOT_ISSUED,
        "پاسخ این استعلام هنوز صادر نشده است.",
        "This inquiry's answer has not been issued yet.",
    )
}

/// A malformed verification code.
pub fn verification_code_invalid(e: &DomainError) -> ServiceError {
    invalid_value("verification_code", r::VERIFICATION_CODE_INVALID, e)
}

/// ResealAnswerSigningKeys was given a key-encryption key that is not base64 of 32 bytes.
pub fn key_encryption_key_invalid() -> ServiceError {
    invalid(
        "new_key_encryption_key",
        reasons::common::KEY_ENCRYPTION_KEY_INVALID,
        "کلید رمزگذاری کلیدها باید base64 از ۳۲ بایت تصادفی باشد (مثلاً خروجی openssl rand -base64 32).",
        "The key-encryption key must be base64 of 32 random bytes (e.g. from openssl rand -base64 32).",
    )
}

/// Text given to CheckAnswerCode that is not an answer's QR code: the person is told to
/// paste or scan the whole code again.
pub fn answer_code_unreadable() -> ServiceError {
    let (fa, en) = crate::certificate::check::Verdict::Unreadable.words();
    invalid("qr_text", r::ANSWER_CODE_UNREADABLE, fa, en)
}

/// A revocation without the reason every later verifier will be shown.
pub fn revocation_reason_required() -> ServiceError {
    invalid(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت ابطال را بنویسید؛ به تصدیق‌کنندگان نشان داده می‌شود.",
        "Give the reason for revoking; verifiers are shown it.",
    )
}

// ---- acting for an owner (representation) -------------------------------------------------

/// The representative's own name, stated on the answer beside «به وکالت».
pub const REPRESENTATIVE_NAME: TextField = TextField::new(
    "representation.representative_full_name",
    "نام و نام خانوادگی وکیل",
    "representative's full name",
);
/// A clerk's reason for refusing a representation, shown to the representative and the owner.
pub const REPRESENTATION_REASON: TextField = TextField::new(
    "reason",
    "علت رد وکالت",
    "reason for refusing the representation",
);

/// A representative named no power of attorney.
pub fn power_of_attorney_required() -> ServiceError {
    invalid(
        "representation.power_of_attorney_document_id",
        r::POWER_OF_ATTORNEY_REQUIRED,
        "برای اقدام از طرف مالک، تصویر وکالت‌نامه را بارگذاری و پیوست کنید.",
        "To act for the owner, upload and attach the power of attorney.",
    )
}

/// The document named as the power of attorney is of another kind.
pub fn power_of_attorney_kind_wrong() -> ServiceError {
    invalid(
        "representation.power_of_attorney_document_id",
        r::POWER_OF_ATTORNEY_KIND_WRONG,
        "این سند وکالت‌نامه نیست؛ وکالت‌نامه را با نوع «وکالت‌نامه» بارگذاری کنید.",
        "That document is not a power of attorney; upload the power of attorney as such.",
    )
}

/// A representative without their own name.
pub fn representative_name_required() -> ServiceError {
    invalid(
        "representation.representative_full_name",
        r::NAME_REQUIRED,
        "نام و نام خانوادگی خودتان (وکیل) را بنویسید (حداکثر ۲۰۰ نویسه).",
        "Write your own full name as the representative (at most 200 characters).",
    )
}

/// A representative named themselves as the owner.
pub fn representative_is_owner() -> ServiceError {
    invalid(
        "national_code",
        r::REPRESENTATIVE_IS_OWNER,
        "کد ملی مالک با کد ملی خودتان یکی است؛ برای خودتان بدون وکالت استعلام ثبت کنید.",
        "The owner's national code is your own; file for yourself, without representation.",
    )
}

/// Someone other than a citizen claimed to act as a representative.
pub fn representative_role_not_allowed() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::REPRESENTATIVE_ROLE_NOT_ALLOWED,
        "فقط شهروندان می‌توانند به وکالت از مالک استعلام ثبت کنند؛ دفاتر با کد عضویت شهروند از طرف او ثبت می‌کنند.",
        "Only citizens act as an owner's representative; offices file for a citizen with the citizen's membership code.",
    )
}

/// DecideRepresentation on an inquiry not waiting for it.
pub fn representation_not_pending() -> ServiceError {
    precondition(
        r::REPRESENTATION_NOT_PENDING,
        "این استعلام در انتظار تأیید وکالت نیست.",
        "This inquiry is not waiting for a representation to be approved.",
    )
}

/// A refusal without the reason the representative and the owner will read.
pub fn representation_reason_required() -> ServiceError {
    invalid(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت رد وکالت را بنویسید؛ به وکیل و مالک نشان داده می‌شود.",
        "Give the reason for refusing; the representative and the owner are shown it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_speaks_both_languages_with_a_declared_reason() {
        let e = DomainError::Empty {
            field: estelam_domain::Field::NationalCode,
        };
        let all = [
            refused(&Refusal::NoLetterForType),
            inquiry_key_required(),
            inquiry_number_invalid(&e),
            inquiry_numbers_too_many(1001, 1000),
            page_token_invalid(),
            request_type_not_allowed(),
            request_type_definition_required(),
            request_type_exists(),
            request_type_code_invalid(),
            request_type_name_required(),
            request_type_role_invalid(),
            request_type_role_required(),
            undertaking_invalid(),
            undertaking_text_required(),
            undertaking_changed_without_version("c"),
            document_kind_invalid(),
            fee_item_invalid(),
            answer_validity_invalid(),
            fee_settlement_invalid(),
            on_account_needs_letter(),
            national_code_invalid("national_code", &e),
            membership_code_invalid(&e),
            consent_not_verified(),
            undertaking_version_unknown("c@1"),
            undertaking_not_accepted("c@1"),
            renovation_code_invalid(&e),
            parcel_not_found(),
            point_out_of_range(),
            point_outside_parcels(),
            property_required(),
            request_number_invalid(&e),
            request_number_refused(ppb::RequestNumberStatus::Used, "", ""),
            letter_number_required(),
            letter_date_invalid(&e),
            letter_date_in_future("1499/01/01", "1403/01/01"),
            authority_required(),
            authority_not_found(),
            authority_not_own_organization(),
            documents_too_many(20),
            document_not_found("d"),
            required_documents_missing(&[DocumentKind::OwnershipDeed as i32]),
            applicant_name_required(),
            consenting_applicant_mismatch(),
            applicant_not_caller(),
            caller_national_code_absent(),
            ownership_type_required(),
            parcel_gone(),
            bill_missing(),
            inquiry_not_awaiting_payment(),
            answer_not_issued(),
            verification_code_invalid(&e),
            revocation_reason_required(),
            power_of_attorney_required(),
            power_of_attorney_kind_wrong(),
            representative_name_required(),
            representative_is_owner(),
            representative_role_not_allowed(),
            representation_not_pending(),
            representation_reason_required(),
            refused(&Refusal::RepresentationPending),
        ];
        for err in all {
            assert!(reasons::is_declared(&err.reason), "{}", err.reason);
            assert!(
                !err.message_fa.is_empty() && !err.message_en.is_empty(),
                "{}",
                err.reason
            );
        }
        for verdict in [
            ppb::ApplicantCheckResult::TypeMismatch,
            ppb::ApplicantCheckResult::NameMismatch,
            ppb::ApplicantCheckResult::NotOwner,
        ] {
            let err = applicant_refused(verdict).expect("a refusal");
            assert!(reasons::is_declared(&err.reason), "{}", err.reason);
        }
        assert!(applicant_refused(ppb::ApplicantCheckResult::Owner).is_none());
        let detailed = request_number_refused(
            ppb::RequestNumberStatus::Expired,
            "تا ۱۴۰۳/۰۱/۰۱",
            "until 1403/01/01",
        );
        assert!(detailed.message_en.ends_with("until 1403/01/01"));
    }
}
