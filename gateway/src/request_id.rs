//! Request ids: every request gets one (the caller's `x-request-id` when it is sane, else a
//! fresh UUIDv7), it is echoed on the response, put on the trace span, and named as the
//! `instance` of any problem+json body, so a person quoting it lets an operator find the
//! request in the logs.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied id accepted; longer ones are replaced.
const MAX_LEN: usize = 64;

/// A request's id, in the request extensions for handlers that want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// A caller's id is kept only if it is short and plain (no log or header injection).
fn acceptable(value: &HeaderValue) -> Option<&str> {
    let s = value.to_str().ok()?;
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    (!s.is_empty() && s.len() <= MAX_LEN && plain).then_some(s)
}

/// Middleware: assigns the id, runs the rest of the stack with it in scope, echoes it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(acceptable)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    // The id is plain ASCII by construction, so it is always a valid header value.
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    request
        .headers_mut()
        .insert(X_REQUEST_ID.clone(), value.clone());
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = CURRENT.scope(id, next.run(request)).await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_kept() {
        assert_eq!(
            acceptable(&HeaderValue::from_static("abc-123_x.y:z")),
            Some("abc-123_x.y:z")
        );
        assert_eq!(acceptable(&HeaderValue::from_static("a b")), None);
        assert_eq!(acceptable(&HeaderValue::from_static("")), None);
        let long = "a".repeat(65);
        assert_eq!(acceptable(&HeaderValue::from_str(&long).unwrap()), None);
    }
}
