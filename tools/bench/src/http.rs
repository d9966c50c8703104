//! The generator's HTTP client of the public JSON API: every call is timed into the phase's
//! [`Stats`] under its label, and every non-success becomes a [`Failure`] naming the status
//! and the problem's `reason` (never its text), so a server error is counted, not a panic.

use std::time::Instant;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use super::statements::StatementCounter;
use super::stats::{Failure, Stats};

/// A client of one gateway.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// When counting SQL statements per step: told after every call.
    statements: Option<std::sync::Arc<StatementCounter>>,
}

impl Api {
    /// A client of the gateway at `base` (`http://host:port`); redirects are not followed,
    /// so the sandbox bank's `303` can be checked.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            statements: None,
        })
    }

    /// The same client, telling `counter` after each call so it counts the SQL statements
    /// each step caused (`--statements-per-step`).
    pub fn counting_statements(&self, counter: std::sync::Arc<StatementCounter>) -> Self {
        Self {
            statements: Some(counter),
            ..self.clone()
        }
    }

    /// The absolute URL of `path` on this gateway.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` with the caller's token, if any.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self.http.request(method, self.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends `req`, expecting `expect`; times it into `stats` under `step` and returns the
    /// JSON body (`Null` when there is none or it is not JSON).
    pub async fn call(
        &self,
        stats: &Stats,
        step: &'static str,
        req: RequestBuilder,
        expect: StatusCode,
    ) -> Result<Value, Failure> {
        let started = Instant::now();
        let response = req.send().await.map_err(|e| transport(step, &e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| transport(step, &e))?;
        let took = started.elapsed();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status != expect {
            return Err(Failure::new(step, problem_reason(status, &body)));
        }
        stats.record(step, took);
        if let Some(counter) = &self.statements {
            counter
                .step_done(step)
                .await
                .map_err(|e| Failure::new(step, format!("pg_stat_statements: {e:#}")))?;
        }
        Ok(body)
    }

    /// `GET path` expecting 200.
    pub async fn get(
        &self,
        stats: &Stats,
        step: &'static str,
        path: &str,
        token: Option<&str>,
    ) -> Result<Value, Failure> {
        self.call(
            stats,
            step,
            self.request(Method::GET, path, token),
            StatusCode::OK,
        )
        .await
    }

    /// `method path` with a JSON body, expecting `expect`.
    // Every argument is one part of the call; a struct for them would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_json(
        &self,
        stats: &Stats,
        step: &'static str,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
        expect: StatusCode,
    ) -> Result<Value, Failure> {
        let req = self.request(method, path, Some(token)).json(body);
        self.call(stats, step, req, expect).await
    }
}

fn transport(step: &'static str, err: &reqwest::Error) -> Failure {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "body cut off"
    } else {
        "request failed"
    };
    Failure::new(step, format!("transport: {what}"))
}

/// `HTTP <status> <reason>` from a problem+json body (its machine-readable `reason`, or
/// `code`), or the bare status.
pub fn problem_reason(status: StatusCode, body: &Value) -> String {
    let reason = body["reason"]
        .as_str()
        .filter(|r| !r.is_empty())
        .or_else(|| body["code"].as_str().filter(|c| !c.is_empty()));
    match reason {
        Some(r) => format!("HTTP {} {r}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// A field of a JSON body as text, or a failure saying which is missing.
pub fn text(step: &'static str, body: &Value, field: &str) -> Result<String, Failure> {
    let mut v = body;
    for part in field.split('.') {
        v = &v[part];
    }
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| Failure::new(step, format!("response without {field}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_summarised_by_status_and_reason() {
        let body = serde_json::json!({"reason": "RATE_LIMITED", "code": "RESOURCE_EXHAUSTED",
                                      "detail": "secret internals"});
        assert_eq!(
            problem_reason(StatusCode::TOO_MANY_REQUESTS, &body),
            "HTTP 429 RATE_LIMITED"
        );
        assert_eq!(
            problem_reason(StatusCode::BAD_GATEWAY, &Value::Null),
            "HTTP 502"
        );
    }

    #[test]
    fn nested_fields_are_read_or_named_when_missing() {
        let body = serde_json::json!({"inquiry": {"state": "issued"}});
        assert_eq!(
            text("s", &body, "inquiry.state").expect("present"),
            "issued"
        );
        let missing = text("s", &body, "inquiry.version").expect_err("absent");
        assert_eq!(missing.reason, "response without inquiry.version");
    }
}
