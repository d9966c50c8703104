//! Reasons the notifications service sends.

catalogue! {
    /// An e-mail address in the preferences is not one a message can be sent to.
    EMAIL_ADDRESS_INVALID,
    /// The preferences name a language other than Persian (`fa`) or English (`en`).
    LANGUAGE_UNSUPPORTED,
    /// The preferences name a kind of event or a channel this service does not know.
    PREFERENCE_INVALID,
}
