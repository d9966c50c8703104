//! Refusals around issued answers: reading, verifying, re-sealing their keys, revoking.

use super::*;

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
