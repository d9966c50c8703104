//! Extractors whose failures are problem+json in both languages, naming the bad field.
//!
//! Handlers use these instead of axum's own `Json`, `Path` and `Query`, whose rejections are
//! English plain text. (The portal's API client shows `errors[].field` next to the field.)

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use estelam_runtime::error::ServiceError;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::errors;
use crate::problem::ApiError;

/// A JSON request body; a bad body is a 400 (or 413/415) problem naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Path parameters; a bad one is a 400 problem naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

/// Query parameters; a bad one is a 400 problem naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// `missing field `x`` → `Some("x")`, so that the field is named even at the top level.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// The field a serde error points at: its path, else the missing field, else `fallback`.
fn field_of(path: &serde_path_to_error::Path, message: &str, fallback: &str) -> String {
    let path = path.to_string();
    if path != "." && !path.is_empty() {
        path
    } else if let Some(name) = missing_field(message) {
        name.to_owned()
    } else {
        fallback.to_owned()
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(errors::content_type_not_json());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| body_unreadable(rejection.status()))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let mut json = serde_json::Value::deserialize(&mut de)
            .map_err(|err| errors::body_not_json(&err.to_string()))?;
        de.end().map_err(|_| errors::body_trailing_characters())?;
        whole_numbers_as_integers(&mut json);
        let value = serde_path_to_error::deserialize(json).map_err(|err| {
            let message = err.inner().to_string();
            errors::field_invalid(&field_of(err.path(), &message, "body"), &message)
        })?;
        Ok(Self(value))
    }
}

/// Writes every number with no fractional part (`3.0`, `1e3`) as an integer, so that a field
/// the document types `integer` takes it: JSON Schema (and so the OpenAPI document, and the
/// clients generated from it) counts `3.0` as the integer 3, where serde would refuse it.
/// A number with a fraction, or beyond what an integer field holds, is left for the field's
/// own refusal.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    /// 2^63: the first whole `f64` beyond `i64`.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64()
                && x.fract() == 0.0
                && (-LIMIT..LIMIT).contains(&x)
            {
                // In range and whole, so the conversion is exact.
                *n = serde_json::Number::from(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// A body that could not be read: too large (413) or cut off.
fn body_unreadable(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        errors::body_too_large()
    } else {
        errors::body_unreadable()
    }
}

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => {
                use axum::extract::path::ErrorKind;
                let field = match err.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => key.clone(),
                    _ => "path".into(),
                };
                Err(errors::path_parameter_invalid(&field, &err.body_text()))
            }
            Err(other) => Err(ApiError::from(ServiceError::internal(anyhow::anyhow!(
                "path extraction: {}",
                other.body_text()
            )))),
        }
    }
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Self)
            .map_err(|err| {
                let message = err.inner().to_string();
                errors::query_parameter_invalid(&field_of(err.path(), &message, "query"), &message)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }

    #[test]
    fn whole_numbers_become_integers_and_fractions_stay() {
        let mut v = serde_json::json!({"a": 3.0, "b": [1e3, -0.0], "c": 2.5, "d": 7, "e": 1e300});
        whole_numbers_as_integers(&mut v);
        assert_eq!(v["a"], serde_json::json!(3));
        assert_eq!(v["b"], serde_json::json!([1000, 0]));
        assert_eq!(v["c"], serde_json::json!(2.5));
        assert_eq!(v["d"], serde_json::json!(7));
        assert!(v["e"].is_f64());
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(missing_field("missing field `password`"), Some("password"));
        assert_eq!(missing_field("invalid type"), None);
    }
}
