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
    /// A latitude outside -90..90 or a longitude outside -180..180 (the gateway's parcel
    /// lookup and the inquiry service's map pick both check it).
    POINT_OUT_OF_RANGE,
    /// A bounding box that is not four finite numbers with min below max (the gateway parses
    /// `?bbox=`; the property service checks the box it is given).
    BBOX_INVALID,
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
