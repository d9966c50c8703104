//! RFC 9457 problem details (`application/problem+json`): the one shape every HTTP error of
//! the gateway takes, in Persian and English.
//!
//! [`ApiError`] is the error type of every handler. It wraps a [`ServiceError`] (built here,
//! or rebuilt from a service's `tonic::Status` with [`ServiceError::from_status`]) and renders
//! it as a [`Problem`]:
//!
//! * `type` is `urn:estelam:problem:<reason-in-kebab-case>` (e.g.
//!   `urn:estelam:problem:request-number-expired`): stable for programs, and a URN because
//!   nothing is served at it — the human explanation travels in the body itself;
//! * `title`/`title_fa` name the kind of failure (one per [`ErrorCode`]), `detail`/`detail_fa`
//!   say what happened and what to do, `reason` is the catalogued reason (the service's, or
//!   the gateway's own from [`crate::errors`]), `errors` lists per-field problems, `instance`
//!   is `urn:estelam:request:<x-request-id>`;
//! * `Retry-After` is set on 429/503 (and 504) when the service said when to retry.
//!
//! An internal failure never shows its cause: whatever a status carried, a 500 says only the
//! generic message, and the cause goes to the log.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::Reason;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::request_id;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "urn:estelam:problem:";

/// An RFC 9457 problem details object with Estelam's extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:estelam:problem:national-code-check-digit",
    "title": "Invalid input",
    "title_fa": "ورودی نادرست",
    "status": 400,
    "detail": "The national code is not valid.",
    "detail_fa": "کد ملی نادرست است.",
    "code": "invalid-argument",
    "reason": "NATIONAL_CODE_CHECK_DIGIT",
    "instance": "urn:estelam:request:01930f7e-1c2b-7d4e-9a6b-3c1f2e4d5a6b",
    "errors": [{
        "field": "national_code",
        "reason": "NATIONAL_CODE_CHECK_DIGIT",
        "message_fa": "کد ملی نادرست است.",
        "message_en": "The national code is not valid."
    }]
}))]
pub struct Problem {
    /// Identifies the problem type: `urn:estelam:problem:<reason-kebab>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short English summary of the kind of problem.
    pub title: String,
    /// Short Persian summary of the kind of problem.
    pub title_fa: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened and what to do, in English.
    pub detail: String,
    /// What happened and what to do, in Persian.
    pub detail_fa: String,
    /// The kind of failure, one of a fixed set (`invalid-argument`, `not-found`, …).
    pub code: String,
    /// What programs branch on: stable, subject first and then the condition
    /// (`NATIONAL_CODE_INVALID`, `ROUTE_NOT_FOUND`), each declared with its meaning in the
    /// catalogue (`services/runtime/src/reasons/`).
    pub reason: String,
    /// `urn:estelam:request:<request id>`: quote it when asking for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Seconds after which retrying makes sense (also in the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Per-field problems of a validation failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field as the request named it (`national_code`, `body`, `query.bbox`).
    pub field: String,
    /// What programs branch on for this field, from the same catalogue as the problem's.
    pub reason: String,
    /// What is wrong and what to do, in Persian.
    pub message_fa: String,
    /// What is wrong and what to do, in English.
    pub message_en: String,
}

/// `(English, Persian)` title of each kind of failure.
fn titles(code: ErrorCode) -> (&'static str, &'static str) {
    match code {
        ErrorCode::InvalidArgument => ("Invalid input", "ورودی نادرست"),
        ErrorCode::NotFound => ("Not found", "پیدا نشد"),
        ErrorCode::AlreadyExists => ("Already exists", "از قبل وجود دارد"),
        ErrorCode::Unauthenticated => ("Login required", "نیاز به ورود"),
        ErrorCode::PermissionDenied => ("Not allowed", "مجاز نیست"),
        ErrorCode::FailedPrecondition => ("Not possible now", "اکنون ممکن نیست"),
        ErrorCode::Conflict => ("Changed meanwhile", "تغییر هم‌زمان"),
        ErrorCode::ResourceExhausted => ("Too many requests", "درخواست‌های بیش از حد"),
        ErrorCode::Unavailable => ("Temporarily unavailable", "موقتاً در دسترس نیست"),
        ErrorCode::DeadlineExceeded => ("Timed out", "پایان مهلت"),
        ErrorCode::Internal => ("Server error", "خطای سامانه"),
    }
}

/// `SOME_REASON` → `some-reason`, keeping only characters safe in a URN.
fn kebab(reason: &str) -> String {
    let slug: String = reason
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' => c,
            _ => '-',
        })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "unknown".into()
    } else {
        slug.into()
    }
}

/// The error every gateway handler returns; renders as problem+json.
#[derive(Debug)]
pub struct ApiError {
    error: ServiceError,
    /// An HTTP status with no gRPC counterpart (405, 413, 415), overriding the kind's.
    status: Option<StatusCode>,
}

impl ApiError {
    /// An error of `code` with a reason from the catalogue and both messages; the gateway's
    /// own refusals are built in [`crate::errors`].
    pub fn new(
        code: ErrorCode,
        reason: Reason,
        message_fa: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self::from(ServiceError::new(code, reason, message_fa, message_en))
    }

    /// Sends the error with an HTTP-only `status` (405, 413, 415…) instead of its kind's.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// The error as the services' vocabulary has it.
    pub fn error(&self) -> &ServiceError {
        &self.error
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.error.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        })
    }

    /// The body this error is sent with (the request id is filled in when known).
    pub fn problem(&self) -> Problem {
        let err = &self.error;
        let (title, title_fa) = titles(err.code);
        // Defence in depth: whatever a service put in an internal error, people see only
        // the generic text (the cause is logged in `into_response`).
        let (detail, detail_fa, reason, errors) = if err.code == ErrorCode::Internal {
            let generic = ServiceError::internal(anyhow::anyhow!("generic"));
            (
                generic.message_en,
                generic.message_fa,
                generic.reason,
                Vec::new(),
            )
        } else {
            (
                err.message_en.clone(),
                err.message_fa.clone(),
                err.reason.clone(),
                err.fields
                    .iter()
                    .map(|f| FieldProblem {
                        field: f.field.clone(),
                        reason: f.reason.clone(),
                        message_fa: f.message_fa.clone(),
                        message_en: f.message_en.clone(),
                    })
                    .collect(),
            )
        };
        Problem {
            problem_type: format!("{TYPE_PREFIX}{}", kebab(&reason)),
            title: title.into(),
            title_fa: title_fa.into(),
            status: self.status().as_u16(),
            detail,
            detail_fa,
            code: err.code.slug().into(),
            reason,
            instance: request_id::current().map(|id| format!("urn:estelam:request:{id}")),
            retry_after: self.retry_after_secs(),
            errors,
        }
    }

    /// Whole seconds to wait, rounded up, when the error says when to retry.
    fn retry_after_secs(&self) -> Option<u64> {
        let retry = matches!(
            self.error.code,
            ErrorCode::ResourceExhausted | ErrorCode::Unavailable | ErrorCode::DeadlineExceeded
        );
        self.error
            .retry_after
            .filter(|_| retry)
            .map(|d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0))
            .map(|s| s.max(1))
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self {
            error,
            status: None,
        }
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self::from(ServiceError::from_status(&status))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.error.log();
        let problem = self.problem();
        let mut response = (self.status(), Json(problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_runtime::error::FieldViolation;

    #[test]
    fn a_reason_becomes_a_stable_urn() {
        assert_eq!(kebab("REQUEST_NUMBER_EXPIRED"), "request-number-expired");
        assert_eq!(kebab("__"), "unknown");
        assert_eq!(kebab("a b/c"), "a-b-c");
    }

    #[test]
    fn a_validation_error_lists_its_fields_in_both_languages() {
        let err = ApiError::from(
            ServiceError::invalid_field(
                "mobile",
                "MOBILE_FORMAT",
                "شماره همراه نادرست است.",
                "The mobile number is not valid.",
            )
            .with_field(FieldViolation {
                field: "password".into(),
                reason: "PASSWORD_TOO_SHORT".into(),
                message_fa: "گذرواژه کوتاه است.".into(),
                message_en: "The password is too short.".into(),
            }),
        );
        let p = err.problem();
        assert_eq!(p.status, 400);
        assert_eq!(p.problem_type, "urn:estelam:problem:mobile-format");
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.errors[1].message_fa, "گذرواژه کوتاه است.");
        assert_eq!(
            (p.title.as_str(), p.title_fa.as_str()),
            ("Invalid input", "ورودی نادرست")
        );
    }

    #[test]
    fn retry_after_rounds_up_and_only_for_retryable_kinds() {
        let err = ApiError::from(
            ServiceError::new(ErrorCode::ResourceExhausted, "TOO_MANY", "زیاد", "Too many")
                .with_retry_after(Duration::from_millis(1500)),
        );
        assert_eq!(err.problem().retry_after, Some(2));
        let err = ApiError::from(
            ServiceError::new(ErrorCode::InvalidArgument, "X", "x", "x")
                .with_retry_after(Duration::from_secs(3)),
        );
        assert_eq!(err.problem().retry_after, None);
    }
}
