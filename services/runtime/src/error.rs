//! One error vocabulary for every service and the gateway.
//!
//! A [`ServiceError`] carries a stable [`ErrorCode`] (mapped one way to both a gRPC code and
//! an HTTP status), a machine-readable `reason`, a message in Persian and in English that a
//! person can act on, optional per-field violations and a retry delay. The underlying cause,
//! if any, goes to the log only: callers never see internal text.
//!
//! On the wire it travels as a `tonic::Status` with rich details (`google.rpc.ErrorInfo`,
//! two `LocalizedMessage`s, `BadRequest`, `RetryInfo`), so the gateway (or any gRPC client)
//! can rebuild it with [`ServiceError::from_status`] and render RFC 9457 problem+json.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};

use crate::reasons;
use tonic_types::{
    BadRequest, ErrorDetail, ErrorInfo, FieldViolation as PbFieldViolation, LocalizedMessage,
    RetryInfo, StatusExt,
};

/// The `domain` of every `google.rpc.ErrorInfo` Estelam emits.
pub const ERROR_DOMAIN: &str = "estelam";
/// Locale tag of the Persian message.
pub const LOCALE_FA: &str = "fa-IR";
/// Locale tag of the English message.
pub const LOCALE_EN: &str = "en-US";

/// The kinds of failure a caller must tell apart; each maps to one gRPC code and one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input is malformed or fails validation; fix the named fields.
    InvalidArgument,
    /// Nothing the caller may see exists under that name.
    NotFound,
    /// The thing being created exists already.
    AlreadyExists,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// The request is valid but the system is not in a state that allows it (e.g. a step
    /// taken out of order).
    FailedPrecondition,
    /// Someone else changed the record first; reload and retry.
    Conflict,
    /// Too many attempts or a quota is used up; retry after the given delay.
    ResourceExhausted,
    /// A dependency is down; retrying later is safe.
    Unavailable,
    /// The call ran out of time.
    DeadlineExceeded,
    /// A defect or an unexpected failure on our side.
    Internal,
}

impl ErrorCode {
    /// The gRPC status code for this kind.
    pub fn grpc(self) -> Code {
        match self {
            Self::InvalidArgument => Code::InvalidArgument,
            Self::NotFound => Code::NotFound,
            Self::AlreadyExists => Code::AlreadyExists,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::PermissionDenied => Code::PermissionDenied,
            Self::FailedPrecondition => Code::FailedPrecondition,
            Self::Conflict => Code::Aborted,
            Self::ResourceExhausted => Code::ResourceExhausted,
            Self::Unavailable => Code::Unavailable,
            Self::DeadlineExceeded => Code::DeadlineExceeded,
            Self::Internal => Code::Internal,
        }
    }

    /// The HTTP status for this kind.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidArgument => 400,
            Self::Unauthenticated => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Conflict => 409,
            Self::FailedPrecondition => 422,
            Self::ResourceExhausted => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::DeadlineExceeded => 504,
        }
    }

    /// The kind a gRPC code stands for (codes Estelam never sends map to the nearest kind).
    pub fn from_grpc(code: Code) -> Self {
        match code {
            Code::InvalidArgument | Code::OutOfRange => Self::InvalidArgument,
            Code::NotFound => Self::NotFound,
            Code::AlreadyExists => Self::AlreadyExists,
            Code::Unauthenticated => Self::Unauthenticated,
            Code::PermissionDenied => Self::PermissionDenied,
            Code::FailedPrecondition => Self::FailedPrecondition,
            Code::Aborted => Self::Conflict,
            Code::ResourceExhausted => Self::ResourceExhausted,
            Code::Unavailable | Code::Cancelled => Self::Unavailable,
            Code::DeadlineExceeded => Self::DeadlineExceeded,
            _ => Self::Internal,
        }
    }

    /// A stable lower-case slug, used in problem+json `type` URIs.
    pub fn slug(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid-argument",
            Self::NotFound => "not-found",
            Self::AlreadyExists => "already-exists",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission-denied",
            Self::FailedPrecondition => "failed-precondition",
            Self::Conflict => "conflict",
            Self::ResourceExhausted => "resource-exhausted",
            Self::Unavailable => "unavailable",
            Self::DeadlineExceeded => "deadline-exceeded",
            Self::Internal => "internal",
        }
    }
}

/// One invalid input field, explained in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's name as the caller sent it (e.g. `national_code`).
    pub field: String,
    /// SCREAMING_SNAKE_CASE reason, stable for programs.
    pub reason: String,
    /// What is wrong and what to do, in Persian.
    pub message_fa: String,
    /// What is wrong and what to do, in English.
    pub message_en: String,
}

/// A failure as callers see it: safe to show, in Persian and English.
pub struct ServiceError {
    /// The kind of failure.
    pub code: ErrorCode,
    /// SCREAMING_SNAKE_CASE reason, stable for programs (e.g. `REQUEST_NUMBER_EXPIRED`).
    pub reason: String,
    /// What happened and what to do, in Persian.
    pub message_fa: String,
    /// What happened and what to do, in English.
    pub message_en: String,
    /// Per-field details for validation failures.
    pub fields: Vec<FieldViolation>,
    /// When the caller may try again.
    pub retry_after: Option<Duration>,
    /// The underlying cause, for the log only; never sent to the caller.
    pub cause: Option<anyhow::Error>,
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("code", &self.code)
            .field("reason", &self.reason)
            .field("message_en", &self.message_en)
            .field("fields", &self.fields)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.slug(),
            self.reason,
            self.message_en
        )
    }
}

impl std::error::Error for ServiceError {}

impl ServiceError {
    /// An error of `code` with a reason and both messages.
    pub fn new(
        code: ErrorCode,
        reason: impl Into<String>,
        message_fa: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            code,
            reason: reason.into(),
            message_fa: message_fa.into(),
            message_en: message_en.into(),
            fields: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }

    /// A validation failure of one field.
    pub fn invalid_field(
        field: impl Into<String>,
        reason: impl Into<String>,
        message_fa: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        let (reason, fa, en) = (reason.into(), message_fa.into(), message_en.into());
        let mut err = Self::new(
            ErrorCode::InvalidArgument,
            reason.clone(),
            fa.clone(),
            en.clone(),
        );
        err.fields.push(FieldViolation {
            field: field.into(),
            reason,
            message_fa: fa,
            message_en: en,
        });
        err
    }

    /// Something nobody may see, or that does not exist (the two are deliberately alike).
    pub fn not_found(what_fa: &str, what_en: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            reasons::common::NOT_FOUND,
            format!("{what_fa} پیدا نشد."),
            format!("{what_en} was not found."),
        )
    }

    /// The caller must log in first.
    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            reasons::common::UNAUTHENTICATED,
            "برای این کار ابتدا وارد سامانه شوید.",
            "Please log in to do this.",
        )
    }

    /// The caller may not do this.
    pub fn permission_denied() -> Self {
        Self::new(
            ErrorCode::PermissionDenied,
            reasons::common::PERMISSION_DENIED,
            "شما اجازهٔ انجام این کار را ندارید.",
            "You are not allowed to do this.",
        )
    }

    /// The account's password was set for it (generated, one-time) and must be changed
    /// before anything else; only changing it, "who am I" and logging out are allowed.
    pub fn password_change_required() -> Self {
        Self::new(
            ErrorCode::PermissionDenied,
            reasons::common::PASSWORD_CHANGE_REQUIRED,
            "گذرواژهٔ این حساب برای شما تعیین شده است؛ پیش از هر کار دیگری آن را تغییر دهید.",
            "This account's password was set for you; change your password first, before doing anything else.",
        )
    }

    /// Someone else changed the record first.
    pub fn conflict() -> Self {
        Self::new(
            ErrorCode::Conflict,
            reasons::common::VERSION_CONFLICT,
            "این پرونده هم‌زمان تغییر کرده است؛ صفحه را تازه کنید و دوباره تلاش کنید.",
            "This record was changed meanwhile; reload it and try again.",
        )
    }

    /// A dependency is down; the caller should retry shortly.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorCode::Unavailable,
            reasons::common::TEMPORARILY_UNAVAILABLE,
            "سامانه موقتاً در دسترس نیست؛ چند لحظه بعد دوباره تلاش کنید.",
            "The service is temporarily unavailable; please try again in a moment.",
        )
        .with_cause(cause)
    }

    /// The call ran out of its deadline before the service could answer (e.g. a database
    /// that stopped answering mid-query): retrying later is safe.
    pub fn deadline_exceeded() -> Self {
        Self::new(
            ErrorCode::DeadlineExceeded,
            reasons::common::DEADLINE_EXCEEDED,
            "پاسخ این درخواست در زمان مقرر آماده نشد؛ چند لحظه بعد دوباره تلاش کنید.",
            "The request could not be completed in time; please try again in a moment.",
        )
    }

    /// An unexpected failure: a generic message for the caller, the cause for the log.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorCode::Internal,
            reasons::common::INTERNAL,
            "خطایی در سامانه رخ داد؛ لطفاً کمی بعد دوباره تلاش کنید.",
            "Something went wrong on our side; please try again shortly.",
        )
        .with_cause(cause)
    }

    /// Attaches the underlying cause (logged, never sent).
    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Says when the caller may retry.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Adds one field violation.
    pub fn with_field(mut self, field: FieldViolation) -> Self {
        self.fields.push(field);
        self
    }

    /// Rebuilds the error a service sent, from the status and its details. A status with no
    /// Estelam details (e.g. from a transport failure) becomes a generic error of its code,
    /// so foreign text is never shown to people.
    pub fn from_status(status: &Status) -> Self {
        let code = if status.code() == Code::Unknown && status.details().is_empty() {
            // tonic reports a connection that broke mid-call (the peer crashed or was
            // restarted) as a bare `Unknown`; Estelam services never send one. For the
            // caller the peer was unavailable: worth a retry, not a fault on our side.
            ErrorCode::Unavailable
        } else {
            ErrorCode::from_grpc(status.code())
        };
        let mut err = match code {
            ErrorCode::Unavailable | ErrorCode::DeadlineExceeded => {
                let mut e = Self::unavailable(anyhow::anyhow!("{status}"));
                e.code = code;
                e
            }
            _ => Self::internal(anyhow::anyhow!("{status}")),
        };
        err.code = code;
        let mut saw_reason = false;
        for detail in status.get_error_details_vec() {
            match detail {
                ErrorDetail::ErrorInfo(info) if info.domain == ERROR_DOMAIN => {
                    err.reason = info.reason;
                    saw_reason = true;
                }
                ErrorDetail::LocalizedMessage(m) if m.locale == LOCALE_FA => {
                    err.message_fa = m.message
                }
                ErrorDetail::LocalizedMessage(m) if m.locale == LOCALE_EN => {
                    err.message_en = m.message
                }
                ErrorDetail::BadRequest(br) => {
                    err.fields = br
                        .field_violations
                        .into_iter()
                        .map(|v| FieldViolation {
                            field: v.field,
                            reason: v.reason,
                            message_fa: v
                                .localized_message
                                .map(|m| m.message)
                                .unwrap_or_else(|| v.description.clone()),
                            message_en: v.description,
                        })
                        .collect();
                }
                ErrorDetail::RetryInfo(r) => err.retry_after = r.retry_delay,
                _ => {}
            }
        }
        if saw_reason {
            err.cause = None;
        }
        err
    }

    /// Writes the cause to the log at a level that fits the kind; called once, where the
    /// error leaves a service.
    pub fn log(&self) {
        match (&self.code, &self.cause) {
            (ErrorCode::Internal, Some(cause)) => {
                tracing::error!(reason = %self.reason, error = ?cause, "request failed")
            }
            (ErrorCode::Internal, None) => tracing::error!(reason = %self.reason, "request failed"),
            (ErrorCode::Unavailable | ErrorCode::DeadlineExceeded, cause) => {
                tracing::warn!(reason = %self.reason, error = ?cause, "dependency unavailable")
            }
            (_, cause) => {
                tracing::debug!(code = self.code.slug(), reason = %self.reason, error = ?cause, "request refused")
            }
        }
    }
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Self {
        err.log();
        let mut details: Vec<ErrorDetail> = vec![
            ErrorInfo::new(err.reason.clone(), ERROR_DOMAIN, HashMap::new()).into(),
            LocalizedMessage::new(LOCALE_FA, err.message_fa.clone()).into(),
            LocalizedMessage::new(LOCALE_EN, err.message_en.clone()).into(),
        ];
        if !err.fields.is_empty() {
            let violations: Vec<PbFieldViolation> = err
                .fields
                .iter()
                .map(|f| PbFieldViolation {
                    field: f.field.clone(),
                    description: f.message_en.clone(),
                    reason: f.reason.clone(),
                    localized_message: Some(LocalizedMessage::new(LOCALE_FA, f.message_fa.clone())),
                })
                .collect();
            details.push(BadRequest::new(violations).into());
        }
        if let Some(delay) = err.retry_after {
            details.push(RetryInfo::new(Some(delay)).into());
        }
        Status::with_error_details_vec(err.code.grpc(), err.message_en.clone(), details)
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::unavailable(err)
            }
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_carries_both_languages_fields_and_retry_and_comes_back_whole() {
        let err = ServiceError::invalid_field(
            "national_code",
            "NATIONAL_CODE_CHECK_DIGIT",
            "کد ملی نادرست است.",
            "The national code is not valid.",
        )
        .with_retry_after(Duration::from_secs(30));
        let status: Status = err.into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let back = ServiceError::from_status(&status);
        assert_eq!(back.code, ErrorCode::InvalidArgument);
        assert_eq!(back.reason, "NATIONAL_CODE_CHECK_DIGIT");
        assert_eq!(back.message_fa, "کد ملی نادرست است.");
        assert_eq!(back.message_en, "The national code is not valid.");
        assert_eq!(back.fields.len(), 1);
        assert_eq!(back.fields[0].field, "national_code");
        assert_eq!(back.fields[0].message_fa, "کد ملی نادرست است.");
        assert_eq!(back.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn internal_causes_never_reach_the_caller() {
        let status: Status =
            ServiceError::internal(anyhow::anyhow!("relation \"parcels\" does not exist")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("parcels"));
        let back = ServiceError::from_status(&status);
        assert!(!back.message_en.contains("parcels"));
        assert!(!back.message_fa.is_empty());
    }

    #[test]
    fn a_foreign_status_becomes_a_generic_error_of_its_code() {
        let status = Status::unavailable("tcp connect error: Connection refused (os error 111)");
        let back = ServiceError::from_status(&status);
        assert_eq!(back.code, ErrorCode::Unavailable);
        assert!(!back.message_en.contains("111"));
        assert_eq!(back.code.http_status(), 503);
    }

    #[test]
    fn a_connection_broken_mid_call_is_unavailable_not_internal() {
        let back = ServiceError::from_status(&Status::unknown("transport error"));
        assert_eq!(back.code, ErrorCode::Unavailable);
        assert_eq!(back.code.http_status(), 503);
        assert!(!back.message_en.contains("transport"));
        // A service's own error keeps its code.
        let own: Status = ServiceError::internal(anyhow::anyhow!("boom")).into();
        assert_eq!(ServiceError::from_status(&own).code, ErrorCode::Internal);
    }

    #[test]
    fn every_code_round_trips_through_grpc() {
        use ErrorCode::*;
        for code in [
            InvalidArgument,
            NotFound,
            AlreadyExists,
            Unauthenticated,
            PermissionDenied,
            FailedPrecondition,
            Conflict,
            ResourceExhausted,
            Unavailable,
            DeadlineExceeded,
            Internal,
        ] {
            assert_eq!(ErrorCode::from_grpc(code.grpc()), code);
        }
    }
}
