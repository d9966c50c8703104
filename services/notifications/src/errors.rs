//! The notifications service's refusals, each in Persian and English and saying what to
//! do, with its reason from the catalogue.

use estelam_domain::text::{TextError, TextField, clean_text};
use estelam_runtime::error::ServiceError;
use estelam_runtime::reasons;

/// An e-mail address no message can be sent to.
pub fn email_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "preferences.email",
        reasons::notifications::EMAIL_ADDRESS_INVALID,
        "نشانی ایمیل درست نیست. نشانی کامل را مانند name@example.ir بنویسید یا خالی بگذارید.",
        "The e-mail address is not valid. Write the whole address, like name@example.ir, or leave it empty.",
    )
}

/// A language other than Persian or English.
pub fn language_unsupported() -> ServiceError {
    ServiceError::invalid_field(
        "preferences.language",
        reasons::notifications::LANGUAGE_UNSUPPORTED,
        "زبان پیام‌ها باید fa (فارسی) یا en (انگلیسی) باشد.",
        "The language of messages must be fa (Persian) or en (English).",
    )
}

/// A kind of event or a channel this service does not know.
pub fn preference_invalid(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::notifications::PREFERENCE_INVALID,
        "نوع رویداد یا راه ارسال شناخته نیست. از فهرست نوع‌ها و راه‌های ارسال (پیامک، ایمیل) انتخاب کنید.",
        "The kind of event or the channel is not known. Choose from the listed kinds and channels (SMS, e-mail).",
    )
}

/// The e-mail channel chosen with no address to send to.
pub fn email_missing() -> ServiceError {
    ServiceError::invalid_field(
        "preferences.email",
        reasons::notifications::EMAIL_ADDRESS_INVALID,
        "برای دریافت ایمیل، نشانی ایمیل را بنویسید.",
        "To receive e-mails, give your e-mail address.",
    )
}

/// The e-mail address a person gives in their preferences.
pub const EMAIL: TextField = TextField::new("preferences.email", "نشانی ایمیل", "e-mail address");

/// `input` cleaned by the domain crate's one cleaner, or refused for a control or bidi
/// character with TEXT_CHARACTERS_REFUSED naming the field.
pub fn clean(field: TextField, input: &str) -> Result<String, ServiceError> {
    clean_text(field, input).map_err(|e: TextError| {
        ServiceError::invalid_field(
            field.path,
            reasons::common::TEXT_CHARACTERS_REFUSED,
            e.message_fa(),
            e.to_string(),
        )
    })
}
