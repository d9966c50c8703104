//! Reasons the gateway sends of its own: HTTP-level checks made before any service is
//! called (the body, the path, the query, the method), the limits that protect the system
//! (size, time, load, rate), and the few checks its routes make on input that has no proto
//! field to carry it to a service. Whatever a service refuses keeps that service's reason.

catalogue! {
    /// The body is sent without a JSON `Content-Type` (answered with 415).
    BODY_NOT_JSON_CONTENT_TYPE,
    /// The body is not well-formed JSON, or has characters after the JSON value.
    BODY_NOT_JSON,
    /// A body field is missing, unknown or of the wrong type (the field is named).
    FIELD_INVALID,
    /// The body was cut off before its end; sending it again may work.
    BODY_UNREADABLE,
    /// The body is larger than the route accepts (413); JSON routes take far less than the
    /// upload route.
    BODY_TOO_LARGE,
    /// A path parameter does not parse (the parameter is named).
    PATH_PARAMETER_INVALID,
    /// A query parameter is missing or does not parse (the parameter is named).
    QUERY_PARAMETER_INVALID,
    /// An enum value in a body or query is not one of the documented lower-case names.
    ENUM_VALUE_UNKNOWN,
    /// The path is under `/api/` but names no route (404); `/api/docs` lists them.
    ROUTE_NOT_FOUND,
    /// The route exists but not with this method (405, with `Allow`).
    METHOD_NOT_ALLOWED,
    /// A bare client error from the HTTP layer (400, 408, 414, 431…) with no more specific
    /// reason; it stands in for an empty body so that every API error is problem+json.
    REQUEST_REFUSED,
    /// The request took longer than the gateway waits for this route (504); retrying later
    /// is safe for the idempotent calls.
    GATEWAY_TIMEOUT,
    /// Too many requests are in progress at once (503, `Retry-After`).
    GATEWAY_OVERLOADED,
    /// The caller's address or account has sent more requests than its quota (429,
    /// `Retry-After`).
    RATE_LIMITED,
    /// Login names neither a national code nor a membership code.
    LOGIN_IDENTIFIER_REQUIRED,
    /// An upload is not `multipart/form-data` the route can read.
    MULTIPART_INVALID,
    /// An upload has no `file` part.
    UPLOAD_FILE_MISSING,
    /// An upload's `file` part comes before a `kind` part, or there is none.
    UPLOAD_KIND_MISSING,
    /// A `limit` query parameter out of its range.
    LIMIT_INVALID,
    /// The property step names neither a renovation code nor a map point, or both.
    PROPERTY_LOCATION_REQUIRED,
    /// The sandbox bank's page was posted without its token or choice.
    PSP_FORM_INVALID,
    /// The sandbox bank's page was posted with a choice other than pay or cancel.
    PSP_CHOICE_INVALID,
    /// The sandbox bank's pages need the gateway's own client credentials, and none are
    /// configured (503).
    SANDBOX_PSP_NOT_CONFIGURED,
    /// An OGC API – Features collection id other than `parcels` (404).
    COLLECTION_NOT_FOUND,
}
