//! The inquiry service's refusals, each with a reason from the catalogue
//! (`estelam_runtime::reasons`) and a message in Persian and English that tells the person
//! what to do next.
//!
//! They live here, not at the places that refuse, so that the words a citizen or a notary
//! reads can be reviewed (and translated) in one file, and so that one reason always comes
//! with the same message.

use estelam_domain::DomainError;
use estelam_domain::text::{TextError, TextField};
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

mod answers;
mod filing;
mod request_types;
mod review;

pub use answers::*;
pub use filing::*;
pub use request_types::*;
pub use review::*;

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
            document_kind_unknown(2),
            request_type_tariff_missing(
                &crate::request_types::Text::new("هزینهٔ استعلام", "inquiry fee"),
                "c",
                1405,
            ),
            answer_statements_invalid(),
            answer_title_persian_required(),
            active_window_invalid(),
            request_type_outside_window(),
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
            required_documents_missing(&[crate::request_types::Text::new(
                "سند مالکیت",
                "ownership deed",
            )]),
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
            refused(&Refusal::ReviewPending),
            review_not_pending(),
            review_reason_required(),
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
