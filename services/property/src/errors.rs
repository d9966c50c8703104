//! The property service's refusals, each in Persian and English and saying what to do.
//!
//! One place for them, so that the same refusal reads the same from every method and a
//! translator finds every sentence here. The parcel and ownership rules in
//! `estelam-parcel-geo` return their own field problems ([`invalid`] turns them into one
//! error); the request-number verdicts carry their texts in [`crate::request_number`].

use estelam_domain::text::{TextError, TextField};
use estelam_domain::{DomainError, RenovationCode};
use estelam_parcel_geo::ownership::FieldProblem;
use estelam_runtime::error::{ErrorCode, FieldViolation, ServiceError};
use estelam_runtime::reasons;

use crate::request_number::Verdict;

/// The applicant's name as typed, checked against the owners.
pub const APPLICANT_NAME: TextField = TextField::new(
    "full_name",
    "نام و نام خانوادگی متقاضی",
    "applicant's full name",
);
/// The clerk's note on an issued request number.
pub const REQUEST_NUMBER_NOTE: TextField =
    TextField::new("note", "یادداشت شمارهٔ درخواست", "request number's note");
/// The reason a clerk gives for changing a parcel, shown in its history.
pub const CHANGE_REASON: TextField = TextField::new("reason", "علت تغییر", "reason for the change");

/// Free text holding a character no text may hold (a control, NUL or a bidi override):
/// refused with the field named, before anything is stored or compared.
pub fn text_refused(e: TextError) -> ServiceError {
    ServiceError::invalid_field(
        e.field().path,
        reasons::common::TEXT_CHARACTERS_REFUSED,
        e.message_fa(),
        e.to_string(),
    )
}

/// A renovation code in `field` that does not parse.
pub fn renovation_code_invalid(field: &str, e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::common::RENOVATION_CODE_INVALID,
        e.message_fa(),
        e.to_string(),
    )
}

/// Text that is not a request number.
pub fn request_number_malformed(e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(
        "number",
        reasons::property::REQUEST_NUMBER_MALFORMED,
        e.message_fa(),
        e.to_string(),
    )
}

/// A national code (or legal id) in `national_code` that fails its check.
pub fn national_code_invalid(e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(
        "national_code",
        reasons::common::NATIONAL_CODE_INVALID,
        e.message_fa(),
        e.to_string(),
    )
}

/// The same answer for a parcel that does not exist, wherever one is named.
pub fn parcel_not_found() -> ServiceError {
    ServiceError::not_found("ملک با این کد نوسازی", "A parcel with this renovation code")
}

/// A request number that was never issued, when it must be marked used.
pub fn request_number_not_found() -> ServiceError {
    ServiceError::not_found("این شمارهٔ درخواست", "This request number")
}

/// A request number that cannot be used, for the reason its verdict gives.
pub fn request_number_refused(verdict: Verdict) -> ServiceError {
    let (fa, en) = verdict.message();
    ServiceError::new(ErrorCode::FailedPrecondition, verdict.reason(), fa, en)
}

/// A change whose reason is missing or too long: the history keeps it, so it must be said.
pub fn reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت تغییر را (حداکثر ۱۰۰۰ نویسه) بنویسید؛ در تاریخچه می‌ماند.",
        "Say why the change is made (at most 1000 characters); it is kept in the history.",
    )
}

/// An idempotency key longer than the store keeps.
pub fn client_request_id_too_long() -> ServiceError {
    ServiceError::invalid_field(
        "client_request_id",
        reasons::common::CLIENT_REQUEST_ID_TOO_LONG,
        "شناسهٔ درخواست حداکثر ۱۲۸ نویسه است.",
        "The client request id is at most 128 characters.",
    )
}

/// A negative expected version.
pub fn expected_version_negative() -> ServiceError {
    ServiceError::invalid_field(
        "expected_version",
        reasons::property::EXPECTED_VERSION_NEGATIVE,
        "نسخهٔ مورد انتظار نمی‌تواند منفی باشد.",
        "The expected version cannot be negative.",
    )
}

/// A new parcel whose code is taken.
pub fn parcel_exists() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        reasons::property::PARCEL_EXISTS,
        "ملکی با این کد نوسازی ثبت شده است؛ برای تغییر آن نسخهٔ فعلی را بفرستید.",
        "A parcel with this renovation code exists; send its current version to change it.",
    )
}

/// An outline that overlaps registered parcels, naming the first few.
pub fn parcel_overlaps(codes: &[RenovationCode]) -> ServiceError {
    let list = first_codes(codes);
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        reasons::property::PARCEL_OVERLAPS,
        format!("مرز این قطعه با قطعه‌های ثبت‌شده هم‌پوشانی دارد: {list}. مرز را اصلاح کنید."),
        format!("The outline overlaps registered parcels: {list}. Correct the outline."),
    )
}

/// The first five codes, comma-separated: enough to find the neighbours on a map.
pub fn first_codes(codes: &[RenovationCode]) -> String {
    codes
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns the parcel rules' problems into one `InvalidArgument` naming every field.
pub fn invalid(problems: Vec<FieldProblem>) -> ServiceError {
    let mut err = match problems.first() {
        Some(first) => ServiceError::new(
            ErrorCode::InvalidArgument,
            first.reason,
            first.fa.clone(),
            first.en.clone(),
        ),
        None => ServiceError::new(
            ErrorCode::InvalidArgument,
            reasons::property::PARCEL_INVALID,
            "ورودی نادرست است.",
            "The input is not valid.",
        ),
    };
    for p in problems {
        // The rules live in a crate without the catalogue; a reason they add must be
        // declared before it is sent.
        debug_assert!(
            reasons::is_declared(p.reason),
            "{} is not in the reason catalogue",
            p.reason
        );
        err = err.with_field(FieldViolation {
            field: p.field,
            reason: p.reason.to_owned(),
            message_fa: p.fa,
            message_en: p.en,
        });
    }
    err
}

/// A registry plate without its main part, or with non-digits.
pub fn registry_plate_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "registry_plate",
        reasons::property::REGISTRY_PLATE_INVALID,
        "پلاک ثبتی: پلاک اصلی (الزامی)، فرعی و بخش فقط رقم.",
        "Registry plate: main (required), sub and section are digits only.",
    )
}

/// A parcel search that names nothing to look for.
pub fn search_query_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "query",
        reasons::property::SEARCH_QUERY_INVALID,
        "کد نوسازی، پلاک ثبتی (مانند ۱۲۳/۴۵) یا نام خیابان و شمارهٔ پلاک را بنویسید.",
        "Type a renovation code, a registry plate (such as 123/45), or a street name and plate number.",
    )
}

/// A map point outside WGS84.
pub fn point_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "point",
        reasons::property::POINT_INVALID,
        "نقطه باید عرض جغرافیایی بین -۹۰ و ۹۰ و طول بین -۱۸۰ و ۱۸۰ داشته باشد.",
        "The point needs a latitude in -90..90 and a longitude in -180..180.",
    )
}

/// A click that falls inside no parcel.
pub fn point_outside_parcels() -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        reasons::common::POINT_OUTSIDE_PARCELS,
        "در این نقطه ملکی ثبت نشده است؛ روی خود قطعه کلیک کنید.",
        "No parcel is registered at this point; click inside a parcel.",
    )
}

/// A bounding box outside WGS84 or upside down.
pub fn bbox_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "bbox",
        reasons::common::BBOX_INVALID,
        "محدوده باید به ترتیب کمینهٔ طول، کمینهٔ عرض، بیشینهٔ طول و بیشینهٔ عرض در WGS84 باشد.",
        "The bounding box must be min lon, min lat, max lon, max lat in WGS84, with min ≤ max.",
    )
}

/// A page size below zero in a request that names it `limit` (the map's box query, after
/// OGC API – Features).
pub fn limit_negative() -> ServiceError {
    ServiceError::invalid_field(
        "limit",
        reasons::common::PAGE_SIZE_NEGATIVE,
        "اندازهٔ صفحه نمی‌تواند منفی باشد.",
        "The page size cannot be negative.",
    )
}

/// A request number's validity outside what the settings allow.
pub fn validity_days_out_of_range(max_days: u32) -> ServiceError {
    ServiceError::invalid_field(
        "validity_days",
        reasons::property::VALIDITY_DAYS_OUT_OF_RANGE,
        format!("مدت اعتبار باید بین ۱ و {max_days} روز باشد."),
        format!("The validity must be 1 to {max_days} days."),
    )
}

/// A clerk's note longer than the store keeps.
pub fn note_too_long() -> ServiceError {
    ServiceError::invalid_field(
        "note",
        reasons::property::NOTE_TOO_LONG,
        "یادداشت حداکثر ۵۰۰ نویسه است.",
        "The note is at most 500 characters.",
    )
}

/// Marking a number used without saying which inquiry used it.
pub fn inquiry_id_required() -> ServiceError {
    ServiceError::invalid_field(
        "inquiry_id",
        reasons::property::INQUIRY_ID_REQUIRED,
        "شناسهٔ استعلام لازم است.",
        "The inquiry id is required (at most 64 characters).",
    )
}

/// An applicant check without the declared ownership type.
pub fn ownership_type_required() -> ServiceError {
    ServiceError::invalid_field(
        "ownership_type",
        reasons::common::OWNERSHIP_TYPE_REQUIRED,
        "نوع مالکیت را مشخص کنید.",
        "Give the ownership type.",
    )
}

/// An applicant check without the applicant's name.
pub fn full_name_required() -> ServiceError {
    ServiceError::invalid_field(
        "full_name",
        reasons::property::FULL_NAME_REQUIRED,
        "نام متقاضی را وارد کنید.",
        "Give the applicant's name.",
    )
}

/// A failed write: a unique-key violation means another process wrote the same version (or
/// used the same idempotency key) first, a conflict the caller resolves by reloading.
pub fn write_failed(err: sqlx::Error) -> ServiceError {
    if estelam_runtime::db::is_unique_violation(&err) {
        ServiceError::conflict().with_cause(err)
    } else {
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_problems_become_one_error_naming_every_field() {
        let problem = |field: &str, reason| FieldProblem {
            field: field.into(),
            reason,
            fa: "fa".into(),
            en: "en".into(),
        };
        let err = invalid(vec![
            problem("address", "ADDRESS_INVALID"),
            problem("floors", "FLOORS_INVALID"),
        ]);
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert_eq!(err.reason, "ADDRESS_INVALID");
        assert_eq!(err.fields.len(), 2);
        assert_eq!(invalid(Vec::new()).reason, "PARCEL_INVALID");
    }

    #[test]
    fn refused_request_numbers_carry_their_verdicts_reason() {
        for verdict in [
            Verdict::Unknown,
            Verdict::OtherParcel,
            Verdict::Used,
            Verdict::Expired,
        ] {
            let err = request_number_refused(verdict);
            assert_eq!(err.code, ErrorCode::FailedPrecondition);
            assert!(reasons::is_declared(&err.reason), "{}", err.reason);
        }
    }
}
