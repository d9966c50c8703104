//! Every refusal the identity service gives a person or a program, in one place, so the
//! Persian and English wording stays consistent and each reason code is sent for one
//! meaning only. Each message says what to do next; the reason codes are declared in
//! `estelam_runtime::reasons::identity` (and `common` for the shared ones).
//!
//! Login refusals are deliberately vague: a wrong national code and a wrong password read
//! the same, so the answer does not tell who has an account.

use std::time::Duration;

use estelam_domain::DomainError;
use estelam_domain::text::TextError;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::{self, identity as r};

// ---------------------------------------------------------------------------------------
// Input that does not parse

/// A national or membership code the domain crate refused, keeping the domain's own
/// bilingual message (it names the field and what is wrong with it).
pub fn domain_error(field: &str, err: &DomainError) -> ServiceError {
    let reason = match err {
        DomainError::Empty { .. } => reasons::common::FIELD_REQUIRED,
        DomainError::BadCheckDigit { .. } => r::CHECK_DIGIT_WRONG,
        DomainError::WrongLength { .. } => r::DIGIT_COUNT_WRONG,
        DomainError::NonDigit { .. } => r::VALUE_NOT_DIGITS,
        _ => r::VALUE_INVALID,
    };
    ServiceError::invalid_field(field, reason, err.message_fa(), err.to_string())
}

fn required(field: &str, fa: &str, en: &str) -> ServiceError {
    ServiceError::invalid_field(field, reasons::common::FIELD_REQUIRED, fa, en)
}

/// An empty mobile number where one is needed.
pub fn mobile_required(field: &str) -> ServiceError {
    required(
        field,
        "شمارهٔ تلفن همراه را وارد کنید.",
        "Enter the mobile number.",
    )
}

/// A mobile number that is not an Iranian one.
pub fn mobile_invalid(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::MOBILE_INVALID,
        "شمارهٔ تلفن همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود، مانند ۰۹۱۲۱۲۳۴۵۶۷.",
        "The mobile number must have 11 digits and start with 09, like 09121234567.",
    )
}

/// An empty given or family name.
pub fn name_required(field: &str) -> ServiceError {
    required(field, "نام را وارد کنید.", "Enter the name.")
}

/// A name with digits or symbols, or longer than 50 characters.
pub fn name_invalid(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::NAME_INVALID,
        "نام باید حداکثر ۵۰ حرف باشد و فقط حروف، فاصله و خط تیره داشته باشد.",
        "A name has at most 50 characters: letters, spaces and hyphens only.",
    )
}

/// Free text holding a character no text may hold (a control, NUL or a bidi override),
/// refused naming the field the caller sent (`field`, which may be a longer path than the
/// domain's label).
pub fn text_refused(field: &str, e: &TextError) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::common::TEXT_CHARACTERS_REFUSED,
        e.message_fa(),
        e.to_string(),
    )
}

/// Empty free text that must be given (an audit reason, an organisation's name).
pub fn text_required(field: &str) -> ServiceError {
    required(field, "این بخش را پر کنید.", "This field is required.")
}

/// Free text over `max` characters or with control characters.
pub fn text_invalid(field: &str, max: usize) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::TEXT_INVALID,
        format!("این بخش حداکثر {max} نویسه و بدون نویسه‌های کنترلی است."),
        format!("This field takes at most {max} characters and no control characters."),
    )
}

/// An empty id.
pub fn id_required(field: &str) -> ServiceError {
    required(field, "شناسه را وارد کنید.", "The id is required.")
}

/// A login that names neither a national code nor a membership code.
pub fn login_name_required() -> ServiceError {
    required(
        "national_code",
        "کد ملی یا کد عضویت را وارد کنید.",
        "Enter your national code or membership code.",
    )
}

/// A login with an empty password.
pub fn password_required() -> ServiceError {
    required("password", "گذرواژه را وارد کنید.", "Enter the password.")
}

/// A refresh with no refresh token.
pub fn refresh_token_required() -> ServiceError {
    required(
        "refresh_token",
        "نشانهٔ نوسازی را بفرستید.",
        "The refresh token is required.",
    )
}

/// A logout that names neither a session nor all sessions.
pub fn logout_target_required() -> ServiceError {
    required(
        "refresh_token",
        "نشانهٔ نوسازی نشستی را که باید بسته شود بفرستید، یا همهٔ نشست‌ها را ببندید.",
        "Send the refresh token of the session to end, or set all_sessions.",
    )
}

/// A client-credentials call without its id or secret.
pub fn client_credentials_required() -> ServiceError {
    required(
        "client_id",
        "شناسه و رمز کارخواه را بفرستید.",
        "Send the client id and secret.",
    )
}

/// A verification code that is not six digits.
pub fn code_format() -> ServiceError {
    ServiceError::invalid_field(
        "code",
        r::CODE_FORMAT,
        "کد تأیید شش رقم است.",
        "The verification code has six digits.",
    )
}

/// A page token whose resume key cannot be one this service issued (a forged token).
pub fn page_token_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "page_token",
        reasons::common::PAGE_TOKEN_INVALID,
        "نشانهٔ صفحه نامعتبر است یا به جست‌وجوی دیگری تعلق دارد؛ از صفحهٔ اول آغاز کنید.",
        "The page token is invalid or belongs to another search; start again from the first page.",
    )
}

// ---------------------------------------------------------------------------------------
// Passwords

/// A new password shorter than `min` or longer than `max` characters.
pub fn password_length(field: &str, min: usize, max: usize) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::PASSWORD_LENGTH,
        format!("گذرواژه باید دست‌کم {min} و حداکثر {max} نویسه باشد."),
        format!("The password must have at least {min} and at most {max} characters."),
    )
}

/// A new password with a control character.
pub fn password_control_character(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::PASSWORD_CONTROL_CHARACTER,
        "گذرواژه نویسهٔ کنترلی (مانند سطر جدید) نمی‌پذیرد.",
        "The password may not contain control characters such as a line break.",
    )
}

/// A new password from the common-password list.
pub fn password_too_common(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::PASSWORD_TOO_COMMON,
        "این گذرواژه بسیار رایج است و به‌آسانی حدس زده می‌شود؛ گذرواژهٔ دیگری برگزینید، مثلاً چند واژهٔ نامرتبط.",
        "This password is too common and easily guessed; choose another, for example a few unrelated words.",
    )
}

/// A new password that is the person's national code or mobile number.
pub fn password_personal(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::PASSWORD_PERSONAL,
        "گذرواژه نباید کد ملی یا شمارهٔ همراه شما باشد.",
        "The password may not be your national code or mobile number.",
    )
}

/// The current password given to change it is wrong.
pub fn current_password_wrong() -> ServiceError {
    ServiceError::invalid_field(
        "current_password",
        r::PASSWORD_WRONG,
        "گذرواژهٔ کنونی نادرست است.",
        "The current password is wrong.",
    )
}

/// The new password is the current one.
pub fn password_unchanged() -> ServiceError {
    ServiceError::invalid_field(
        "new_password",
        r::PASSWORD_UNCHANGED,
        "گذرواژهٔ تازه باید با گذرواژهٔ کنونی فرق داشته باشد.",
        "The new password must differ from the current one.",
    )
}

// ---------------------------------------------------------------------------------------
// Logging in and sessions

/// A failed password login, the same whether the account exists or not.
pub fn credentials_wrong() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        r::CREDENTIALS_WRONG,
        "کد ملی یا کد عضویت یا گذرواژه نادرست است.",
        "The national code, membership code or password is wrong.",
    )
}

/// A machine client's wrong id or secret.
pub fn client_credentials_wrong() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        r::CLIENT_CREDENTIALS_WRONG,
        "شناسه یا رمز کارخواه نادرست است.",
        "The client id or secret is wrong.",
    )
}

/// An account an admin disabled.
pub fn account_disabled() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::ACCOUNT_DISABLED,
        "این حساب غیرفعال شده است؛ برای پیگیری با شهرداری تماس بگیرید.",
        "This account has been disabled; please contact the municipality.",
    )
}

/// A user of a disabled organisation logging in.
pub fn own_organization_disabled() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        r::ORGANIZATION_DISABLED,
        "سازمان شما در سامانه غیرفعال است.",
        "Your organization is disabled in the system.",
    )
}

/// A refresh token that no longer opens a session.
pub fn session_invalid() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        r::SESSION_INVALID,
        "نشست شما پایان یافته است؛ دوباره وارد شوید.",
        "Your session has ended; please log in again.",
    )
}

/// `n` in Persian digits, for a number inside a Persian sentence.
fn persian_number(n: u64) -> String {
    estelam_domain::to_persian_digits(&n.to_string())
}

/// Brute-force protection: the caller must wait `wait` (at least a second) before trying
/// again; RetryInfo carries the same delay for programs.
pub fn throttled(wait: Duration) -> ServiceError {
    let secs = wait.as_secs().max(1);
    ServiceError::new(
        ErrorCode::ResourceExhausted,
        r::ATTEMPTS_THROTTLED,
        format!(
            "تلاش‌های ناموفق زیاد بود؛ {} ثانیهٔ دیگر دوباره تلاش کنید.",
            persian_number(secs)
        ),
        format!("Too many failed attempts; try again in {secs} seconds."),
    )
    .with_retry_after(Duration::from_secs(secs))
}

// ---------------------------------------------------------------------------------------
// Registration and the mobile number

/// A national code that already has an account.
pub fn already_registered() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        r::NATIONAL_CODE_REGISTERED,
        "با این کد ملی پیش‌تر حسابی ساخته شده است؛ وارد شوید یا گذرواژه را بازیابی کنید.",
        "An account with this national code already exists; log in instead.",
    )
}

/// A code asked for an account with no mobile number.
pub fn mobile_missing() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::MOBILE_MISSING,
        "برای این حساب شمارهٔ همراهی ثبت نشده است.",
        "This account has no mobile number.",
    )
}

/// A code asked for a mobile number already verified.
pub fn mobile_already_verified() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::MOBILE_ALREADY_VERIFIED,
        "شمارهٔ همراه شما پیش‌تر تأیید شده است.",
        "Your mobile number is already verified.",
    )
}

/// Another code asked for within the resend interval; `wait` is what is left of it.
pub fn mobile_code_resend_too_soon(wait: Duration) -> ServiceError {
    let secs = wait.as_secs().max(1);
    ServiceError::new(
        ErrorCode::ResourceExhausted,
        r::MOBILE_CODE_RESEND_TOO_SOON,
        format!(
            "کد تازه‌ای فرستاده شده است؛ {} ثانیهٔ دیگر می‌توانید دوباره درخواست کنید.",
            persian_number(secs)
        ),
        format!("A code was just sent; you can ask for another in {secs} seconds."),
    )
    .with_retry_after(Duration::from_secs(secs))
}

/// No usable code: it expired or was mistyped too often.
pub fn mobile_code_expired() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::MOBILE_CODE_EXPIRED,
        "کد تأیید منقضی شده یا بیش از حد اشتباه وارد شده است؛ کد تازه‌ای درخواست کنید.",
        "The verification code has expired or was entered wrongly too often; ask for a new one.",
    )
}

/// A verification code that does not match.
pub fn code_wrong() -> ServiceError {
    ServiceError::invalid_field(
        "code",
        r::CODE_WRONG,
        "کد تأیید نادرست است.",
        "The verification code is wrong.",
    )
}

// ---------------------------------------------------------------------------------------
// Administration

/// An id that names no account (or is not an id at all).
pub fn account_not_found() -> ServiceError {
    ServiceError::not_found("حساب", "The account")
}

/// An id that names no organisation.
pub fn organization_not_found() -> ServiceError {
    ServiceError::not_found("سازمان", "The organization")
}

/// A staff account given a role other than clerk or admin.
pub fn role_not_staff() -> ServiceError {
    ServiceError::invalid_field(
        "roles",
        r::ROLE_NOT_STAFF,
        "برای کارکنان فقط نقش کارمند یا مدیر پذیرفته است.",
        "Staff accounts take only the clerk and admin roles.",
    )
}

/// A staff account given no role.
pub fn role_required() -> ServiceError {
    ServiceError::invalid_field(
        "roles",
        reasons::common::ROLE_REQUIRED,
        "دست‌کم یک نقش برگزینید.",
        "Choose at least one role.",
    )
}

/// An authority user created for a disabled organisation.
pub fn organization_disabled() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::ORGANIZATION_DISABLED,
        "این سازمان غیرفعال است.",
        "This organization is disabled.",
    )
}

/// A machine client's name outside the allowed characters or length.
pub fn service_name_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "name",
        r::SERVICE_NAME_INVALID,
        "نام سامانه ۱ تا ۴۰ نویسه از حروف لاتین کوچک، رقم و - _ . است.",
        "A system name is 1-40 characters: a-z, 0-9, - _ .",
    )
}

/// A secret rotation whose overlap exceeds `max_days`.
pub fn rotation_overlap_too_long(max_days: u32) -> ServiceError {
    ServiceError::invalid_field(
        "overlap_seconds",
        r::ROTATION_OVERLAP_TOO_LONG,
        format!("رمز پیشین حداکثر {max_days} روز معتبر می‌ماند؛ مدت کوتاه‌تری بدهید."),
        format!(
            "The previous secret stays valid for at most {max_days} days; give a shorter overlap."
        ),
    )
}

/// A rotation naming an account that is not an organisation's client (or none at all).
pub fn organization_client_not_found() -> ServiceError {
    ServiceError::not_found("کارخواه سازمان", "The organization client")
}

/// A token request with a client assertion of another type than RFC 7523's JWT bearer.
pub fn client_assertion_type_unsupported() -> ServiceError {
    ServiceError::invalid_field(
        "client_assertion_type",
        r::CLIENT_ASSERTION_TYPE_UNSUPPORTED,
        "نوع ادعای کارخواه باید urn:ietf:params:oauth:client-assertion-type:jwt-bearer باشد.",
        "Set client_assertion_type to urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
    )
}

/// A client key that is not a public EC P-256 or Ed25519 JWK; `why` says what is wrong.
pub fn client_key_invalid(why: &str) -> ServiceError {
    ServiceError::invalid_field(
        "jwk",
        r::CLIENT_KEY_INVALID,
        format!(
            "کلید باید کلید عمومی JWK از نوع EC با منحنی P-256 یا OKP با منحنی Ed25519 باشد ({why})."
        ),
        format!(
            "Send a public JWK: EC with crv P-256 (ES256) or OKP with crv Ed25519 (EdDSA) ({why})."
        ),
    )
}

/// A client key whose kid the client already has.
pub fn client_key_taken() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        r::CLIENT_KEY_TAKEN,
        "این کارخواه کلیدی با همین شناسه (kid) دارد؛ شناسهٔ دیگری بدهید.",
        "This client already has a key with this kid; give the new key another kid.",
    )
}

/// A client id that exists already.
pub fn client_id_taken() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        r::CLIENT_ID_TAKEN,
        "این شناسهٔ کارخواه پیش‌تر ثبت شده است.",
        "This client id is already registered.",
    )
}

/// An admin disabling their own account.
pub fn self_disable_forbidden() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::SELF_DISABLE_FORBIDDEN,
        "نمی‌توانید حساب خودتان را غیرفعال کنید.",
        "You cannot disable your own account.",
    )
}

/// A re-sealing given a key-encryption key that is not base64 of 32 bytes.
pub fn key_encryption_key_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "new_key_encryption_key",
        reasons::common::KEY_ENCRYPTION_KEY_INVALID,
        "کلید رمزگذاری کلیدها باید base64 از ۳۲ بایت تصادفی باشد (مثلاً خروجی openssl rand -base64 32).",
        "The key-encryption key must be base64 of 32 random bytes (e.g. from openssl rand -base64 32).",
    )
}

/// An organisation without its type.
pub fn type_required() -> ServiceError {
    ServiceError::invalid_field(
        "type",
        r::TYPE_REQUIRED,
        "نوع سازمان را برگزینید.",
        "Choose the organization type.",
    )
}

/// An organisation registered twice.
pub fn organization_exists() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        r::ORGANIZATION_EXISTS,
        "سازمانی از همین نوع با همین شماره در این شهر پیش‌تر ثبت شده است.",
        "An organization of this type with this number is already registered in this city.",
    )
}

/// A password reset of a citizen or a machine client.
pub fn password_reset_not_allowed() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::PASSWORD_RESET_NOT_ALLOWED,
        "گذرواژهٔ کارکنان و کاربران سازمان‌ها را می‌توان بازنشانی کرد؛ شهروند گذرواژه‌اش را با تلفن همراه خود بازیابی می‌کند و برای کارخواه رمز تازه بسازید.",
        "Only staff and authority users' passwords can be reset; a citizen recovers theirs with their mobile, and a client gets a new secret (rotate it).",
    )
}

/// A client key id the client has no key under.
pub fn client_key_not_found() -> ServiceError {
    ServiceError::not_found("کلید کارخواه", "The client key")
}

/// A client key revoked a second time.
pub fn client_key_revoked() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::CLIENT_KEY_REVOKED,
        "این کلید پیش‌تر باطل شده است؛ برای کارخواه کلید تازه‌ای ثبت کنید.",
        "This key is already revoked; register a new key for the client if it needs one.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_says_what_to_do_in_both_languages() {
        let all = [
            mobile_required("mobile"),
            mobile_invalid("mobile"),
            name_required("first_name"),
            name_invalid("first_name"),
            text_required("reason"),
            text_invalid("reason", 10),
            id_required("account_id"),
            login_name_required(),
            password_required(),
            refresh_token_required(),
            logout_target_required(),
            client_credentials_required(),
            code_format(),
            page_token_invalid(),
            password_length("password", 8, 64),
            password_control_character("password"),
            password_too_common("password"),
            password_personal("password"),
            current_password_wrong(),
            password_unchanged(),
            credentials_wrong(),
            client_credentials_wrong(),
            client_assertion_type_unsupported(),
            client_key_invalid("d"),
            client_key_taken(),
            account_disabled(),
            own_organization_disabled(),
            session_invalid(),
            throttled(Duration::from_millis(10)),
            already_registered(),
            mobile_missing(),
            mobile_already_verified(),
            mobile_code_resend_too_soon(Duration::from_secs(30)),
            mobile_code_expired(),
            code_wrong(),
            role_not_staff(),
            role_required(),
            organization_disabled(),
            service_name_invalid(),
            client_id_taken(),
            rotation_overlap_too_long(30),
            organization_client_not_found(),
            self_disable_forbidden(),
            type_required(),
            organization_exists(),
            password_reset_not_allowed(),
            client_key_not_found(),
            client_key_revoked(),
        ];
        for e in all {
            assert!(
                reasons::is_declared(&e.reason),
                "{} is not in the catalogue",
                e.reason
            );
            assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());
        }
    }

    #[test]
    fn a_throttle_refusal_never_asks_to_wait_zero_seconds() {
        let e = throttled(Duration::from_millis(10));
        assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
        assert!(e.message_en.contains("1 seconds"));
    }
}
