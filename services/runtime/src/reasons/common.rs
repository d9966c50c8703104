//! Reasons any service may send: the generic outcomes and the checks the runtime makes for
//! every service (paging, timestamps, versions).

catalogue! {
    /// Nothing the caller may see exists under that name (deliberately the same whether it
    /// does not exist or is private).
    NOT_FOUND,
    /// No valid credentials were presented.
    UNAUTHENTICATED,
    /// The caller is known but may not do this.
    PERMISSION_DENIED,
    /// A dependency is down; retrying later is safe.
    TEMPORARILY_UNAVAILABLE,
    /// The call ran out of its deadline.
    DEADLINE_EXCEEDED,
    /// A defect or unexpected failure on the service's side (the cause is in its log).
    INTERNAL,
    /// Someone else changed the record first; reload and retry.
    VERSION_CONFLICT,
    /// A timestamp with nanos outside 0..1e9 or out of the representable range.
    TIMESTAMP_INVALID,
    /// A page token that is malformed or was issued for other filters.
    PAGE_TOKEN_INVALID,
    /// A negative page size.
    PAGE_SIZE_NEGATIVE,
    /// A renovation code (کد نوسازی) that cannot be read as six numeric parts.
    RENOVATION_CODE_INVALID,
    /// A change that must say why (an adjustment, a tariff, a correction) came without a reason.
    REASON_REQUIRED,
    /// A re-sealing of the stored signing keys was given a key-encryption key that is not
    /// base64 of 32 bytes.
    KEY_ENCRYPTION_KEY_INVALID,
    /// A field the caller must fill was left empty (or only spaces); the field violation
    /// names it.
    FIELD_REQUIRED,
    /// A list of roles was empty where at least one is needed.
    ROLE_REQUIRED,
    /// A client request id (idempotency key) longer than the service keeps.
    CLIENT_REQUEST_ID_TOO_LONG,
    /// A national code (کد ملی) or legal id with the wrong length or check digit.
    NATIONAL_CODE_INVALID,
    /// The applicant's ownership type (نوع مالکیت) was not given.
    OWNERSHIP_TYPE_REQUIRED,
    /// No such request number was ever issued.
    REQUEST_NUMBER_UNKNOWN,
    /// The request number was issued for another parcel.
    REQUEST_NUMBER_OTHER_PARCEL,
    /// The request number was already used by an inquiry.
    REQUEST_NUMBER_USED,
    /// The request number is past its validity.
    REQUEST_NUMBER_EXPIRED,
    /// A map click that falls inside no registered parcel (was `NO_PARCEL_AT_POINT`).
    POINT_OUTSIDE_PARCELS,
    /// A document kind the contract does not define (documents on upload, inquiry in a
    /// request type's required documents).
    DOCUMENT_KIND_INVALID,
    /// A bounding box outside WGS84 or with min above max.
    BBOX_INVALID,
    /// A latitude outside -90..90 or a longitude outside -180..180 (the gateway's parcel
    /// lookup and the inquiry service's map pick both check it).
    POINT_OUT_OF_RANGE,
    /// Free text (a name, letter number, note or reason) holding a character no text may
    /// hold: a control character, NUL, or a bidi embedding, override or isolate (U+202A–U+202E,
    /// U+2066–U+2069), which could make signed text display as something else; the field
    /// violation names the field (`estelam_domain::clean_text`).
    TEXT_CHARACTERS_REFUSED,
    /// The account must change its password (one set for it: generated or one-time) before
    /// any call but changing it, "who am I" and logging out; refused by every service and
    /// the gateway.
    PASSWORD_CHANGE_REQUIRED,
}

/// The reasons that name only an outcome, with no subject; the naming rule exempts them.
pub const GENERIC: &[crate::reasons::Reason] = &[
    NOT_FOUND,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    TEMPORARILY_UNAVAILABLE,
    DEADLINE_EXCEEDED,
    INTERNAL,
];
