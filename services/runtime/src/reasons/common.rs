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
    /// A change that must say why (a revocation, a correction, an adjustment) came without
    /// a reason.
    REASON_REQUIRED,
    /// No ownership type was chosen.
    OWNERSHIP_TYPE_REQUIRED,
    /// A role list that names no role.
    ROLE_REQUIRED,
    /// A map point outside -90..90 latitude or -180..180 longitude.
    POINT_OUT_OF_RANGE,
    /// No parcel contains the map point picked.
    PARCEL_AT_POINT_MISSING,
    /// A request number the municipality never issued.
    REQUEST_NUMBER_UNKNOWN,
    /// A request number issued for another parcel.
    REQUEST_NUMBER_OTHER_PARCEL,
    /// A request number past its validity.
    REQUEST_NUMBER_EXPIRED,
    /// A request number another inquiry already used.
    REQUEST_NUMBER_USED,
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
