//! Per-address and per-account rate limits on the dynamic routes (`/api/…`, `/psp/…`).
//!
//! Two GCRA limiters (governor): one keyed by client address (see [`crate::client_ip`]),
//! one keyed by the account a verified access token names, so that one person cannot
//! exhaust the system by rotating addresses, and one busy office behind a NAT is not
//! mistaken for one person. A refused request gets `429` problem+json with `Retry-After`.
//! Static assets and the portal's pages are not counted: a page load fetches a dozen.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::auth::{TokenVerifier, bearer_token};
use estelam_runtime::config::GatewaySettings;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::client_ip::{self, ClientIp};
use crate::errors;

/// The gateway's rate limiters and what they need to key requests.
pub struct RateLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_user: DefaultKeyedRateLimiter<String>,
    verifier: TokenVerifier,
    proxy_hops: usize,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("addresses", &self.per_ip.len())
            .field("accounts", &self.per_user.len())
            .finish()
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl RateLimits {
    /// Limiters with the settings' quotas; tokens are checked with `verifier`.
    pub fn new(settings: &GatewaySettings, verifier: TokenVerifier) -> Self {
        Self {
            per_ip: DefaultKeyedRateLimiter::keyed(quota(
                settings.per_ip_per_minute,
                settings.per_ip_burst,
            )),
            per_user: DefaultKeyedRateLimiter::keyed(quota(
                settings.per_user_per_minute,
                settings.per_user_burst,
            )),
            verifier,
            proxy_hops: settings.trusted_proxy_hops,
            clock: DefaultClock::default(),
        }
    }

    /// Forgets keys whose limits have fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_user.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_user.shrink_to_fit();
    }

    /// `Err(wait)` when `ip` or `subject` is over its limit.
    fn check(&self, ip: IpAddr, subject: Option<&String>) -> Result<(), Duration> {
        let now = self.clock.now();
        self.per_ip
            .check_key(&client_ip::rate_key(ip))
            .map_err(|not_until| not_until.wait_time_from(now))?;
        if let Some(subject) = subject {
            self.per_user
                .check_key(subject)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        Ok(())
    }
}

/// Whether a path is counted: the API and the payment pages, not assets or page shells.
fn is_limited(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/psp/")
}

/// Middleware: records the client address and refuses requests over either limit.
pub async fn enforce(
    State(limits): State<Arc<RateLimits>>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip::of(&request, limits.proxy_hops);
    request.extensions_mut().insert(ClientIp(ip));
    if is_limited(request.uri().path()) {
        // An unverifiable token counts only per address; the service will refuse it anyway.
        let subject = bearer_token(request.headers())
            .and_then(|token| limits.verifier.verify(token).ok())
            .map(|caller| caller.subject);
        if let Err(wait) = limits.check(ip, subject.as_ref()) {
            tracing::info!(%ip, subject = subject.as_deref().unwrap_or(""), "rate limited");
            return errors::rate_limited(wait).into_response();
        }
    }
    next.run(request).await
}
