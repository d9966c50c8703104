//! Reasons the identity service sends.

catalogue! {
    /// A code's check digit does not match its other digits: almost always a mistyped digit.
    CHECK_DIGIT_WRONG,
    /// A code has more or fewer digits than its kind has.
    DIGIT_COUNT_WRONG,
    /// A code holds something other than digits.
    VALUE_NOT_DIGITS,
    /// A code is well formed but can never have been issued (a national code of one digit
    /// repeated, for instance).
    VALUE_INVALID,
    /// Not an Iranian mobile number (11 digits starting 09, in any accepted form).
    MOBILE_INVALID,
    /// A person's name with characters other than letters, spaces and joiners, or too long.
    NAME_INVALID,
    /// Free text that is too long or holds control characters.
    TEXT_INVALID,
    /// A staff account was given a role other than clerk or admin.
    ROLE_NOT_STAFF,
    /// An organisation needs its type.
    TYPE_REQUIRED,
    /// The login name or password is wrong (deliberately the same whether the account
    /// exists or not).
    CREDENTIALS_WRONG,
    /// A machine client's id or secret is wrong.
    CLIENT_CREDENTIALS_WRONG,
    /// The account was disabled by an admin; only the municipality can enable it again.
    ACCOUNT_DISABLED,
    /// The caller's organisation is disabled, so its users may not log in or be created.
    ORGANIZATION_DISABLED,
    /// The refresh token is unknown, expired, reused or its session ended: log in again.
    SESSION_INVALID,
    /// Too many recent failures from this account, client or address; RetryInfo says when
    /// to try again.
    ATTEMPTS_THROTTLED,
    /// The account has no mobile number to send a code to.
    MOBILE_MISSING,
    /// The mobile number is verified already; no code is needed.
    MOBILE_ALREADY_VERIFIED,
    /// A code was sent moments ago; RetryInfo says when another may be asked for.
    MOBILE_CODE_RESEND_TOO_SOON,
    /// A verification code is not six digits.
    CODE_FORMAT,
    /// The verification code does not match the one sent.
    CODE_WRONG,
    /// No usable verification code: expired, or entered wrongly too often; ask for a new one.
    MOBILE_CODE_EXPIRED,
    /// The current password given to change it is wrong.
    PASSWORD_WRONG,
    /// The new password is the current one.
    PASSWORD_UNCHANGED,
    /// A new password shorter or longer than the policy allows.
    PASSWORD_LENGTH,
    /// A new password with a control character (a line break, for instance).
    PASSWORD_CONTROL_CHARACTER,
    /// A new password from the shipped list of common passwords.
    PASSWORD_TOO_COMMON,
    /// A new password equal to the person's own national code or mobile number.
    PASSWORD_PERSONAL,
    /// A national code that already has an account.
    NATIONAL_CODE_REGISTERED,
    /// A machine client's name outside a-z, 0-9, `-`, `_`, `.` or longer than 40.
    SERVICE_NAME_INVALID,
    /// A configured or generated client id that already exists.
    CLIENT_ID_TAKEN,
    /// An admin tried to disable their own account, which would lock them out.
    SELF_DISABLE_FORBIDDEN,
    /// An organisation of the same type, registry number and city exists already.
    ORGANIZATION_EXISTS,
    /// A client secret rotation asked for an overlap longer than 30 days.
    ROTATION_OVERLAP_TOO_LONG,
    /// A token request whose client_assertion_type is not the JWT bearer type.
    CLIENT_ASSERTION_TYPE_UNSUPPORTED,
    /// A client public key that is not an EC P-256 or Ed25519 public JWK.
    CLIENT_KEY_INVALID,
    /// A client public key whose kid the client already has.
    CLIENT_KEY_TAKEN,
    /// An admin tried to reset the password of a citizen or a machine client: citizens
    /// reset theirs by their mobile, clients get a new secret instead.
    PASSWORD_RESET_NOT_ALLOWED,
    /// The client key is revoked already.
    CLIENT_KEY_REVOKED,
}
