//! The request deadline, answered by the service itself.
//!
//! tonic's own server timeout (and the caller's channel timeout) end a call that runs too
//! long with a bare `Cancelled: Timeout expired`: no reason, no Persian, nothing a person or
//! a program can act on, and from the caller's side indistinguishable from a dropped
//! connection. A handler waits that long when a dependency stops answering without closing
//! the connection (a blackholed database mid-query, a hung peer). [`DeadlineLayer`] gives
//! up a little before both of those timers — at the smaller of the configured request
//! timeout and the caller's `grpc-timeout`, less a margin for the answer's way back — and
//! answers `DEADLINE_EXCEEDED` with the usual reason and messages in both languages.
//! tonic's timeout stays behind it as the backstop.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{BoxError, Layer, Service, ServiceExt};

use crate::error::ServiceError;

/// The part of the deadline left for the answer to reach the caller: a tenth, at least
/// 10 ms and at most 1 s.
fn margin(budget: Duration) -> Duration {
    (budget / 10).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// How long a call may run here: the smaller of `configured` and the caller's
/// `grpc-timeout` header, less [`margin`].
pub fn budget(configured: Duration, headers: &http::HeaderMap) -> Duration {
    let deadline = headers
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
        .map_or(configured, |asked| asked.min(configured));
    deadline.saturating_sub(margin(deadline))
}

/// Parses a `grpc-timeout` value: at most eight digits and a unit (`H`, `M`, `S`, `m`,
/// `u`, `n`), as the gRPC over HTTP/2 protocol defines it.
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Answers `DEADLINE_EXCEEDED` (with reasons in Persian and English) once a call has used
/// its [`budget`].
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    configured: Duration,
}

impl DeadlineLayer {
    /// Calls run at most `request_timeout` (less the margin), or less when the caller asks.
    pub fn new(request_timeout: Duration) -> Self {
        Self {
            configured: request_timeout,
        }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            configured: self.configured,
        }
    }
}

/// The service [`DeadlineLayer`] produces.
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    configured: Duration,
}

impl<S, B, R> Service<http::Request<B>> for Deadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let budget = budget(self.configured, request.headers());
        // The clone that was made ready above takes the call; a fresh clone stays here.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path().to_owned();
        Box::pin(async move {
            match tokio::time::timeout(budget, inner.oneshot(request)).await {
                Ok(answer) => answer.map_err(Into::into),
                Err(_) => {
                    tracing::warn!(method = %path, ?budget, "call ran out of its deadline");
                    let status: tonic::Status = ServiceError::deadline_exceeded().into();
                    Ok(status.into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(timeout: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(t) = timeout {
            h.insert("grpc-timeout", t.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_budget_is_the_shorter_deadline_less_a_margin() {
        let configured = Duration::from_secs(3);
        assert_eq!(
            budget(configured, &headers(None)),
            Duration::from_millis(2700)
        );
        assert_eq!(
            budget(configured, &headers(Some("20S"))),
            Duration::from_millis(2700)
        );
        assert_eq!(
            budget(configured, &headers(Some("500m"))),
            Duration::from_millis(450)
        );
        assert_eq!(
            budget(Duration::from_secs(60), &headers(None)),
            Duration::from_secs(59)
        );
        // A header that is not a gRPC timeout is ignored.
        assert_eq!(
            budget(configured, &headers(Some("soon"))),
            Duration::from_millis(2700)
        );
        assert_eq!(
            budget(configured, &headers(Some("123456789S"))),
            Duration::from_millis(2700)
        );
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_answered_deadline_exceeded_in_both_languages() {
        let hung = tower::service_fn(|_r: http::Request<()>| async {
            std::future::pending::<()>().await;
            Ok::<_, BoxError>(http::Response::new(String::new()))
        });
        let svc = DeadlineLayer::new(Duration::from_millis(50)).layer(hung);
        let request = http::Request::builder()
            .uri("/estelam.inquiry.v1.InquiryService/CreateInquiry")
            .body(())
            .unwrap();
        let response = svc.oneshot(request).await.expect("an answer, not an error");
        let status = tonic::Status::from_header_map(response.headers()).expect("a gRPC status");
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
        let e = ServiceError::from_status(&status);
        assert_eq!(e.reason, "DEADLINE_EXCEEDED");
        assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());
    }

    #[tokio::test]
    async fn a_call_within_its_deadline_is_untouched() {
        let quick = tower::service_fn(|_r: http::Request<()>| async {
            Ok::<_, BoxError>(http::Response::new("answer".to_owned()))
        });
        let svc = DeadlineLayer::new(Duration::from_secs(5)).layer(quick);
        let response = svc
            .oneshot(http::Request::new(()))
            .await
            .expect("an answer");
        assert_eq!(response.body(), "answer");
        assert!(response.headers().get("grpc-status").is_none());
    }
}
