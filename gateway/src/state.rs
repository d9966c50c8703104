//! What every handler can reach: the service connections, the settings, the token verifier.

use std::sync::Arc;

use estelam_runtime::auth::{ServiceTokenSource, TokenVerifier};
use estelam_runtime::config::GatewaySettings;

use crate::backends::Backends;
use crate::portal::Shell;

/// The router's state, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// gRPC channels to the services.
    pub backends: Backends,
    /// The `[gateway]` settings.
    pub settings: Arc<GatewaySettings>,
    /// Verifies access tokens (rate limits per account; handlers forward tokens as they are,
    /// since every service verifies them itself).
    pub verifier: TokenVerifier,
    /// The portal's rendered shell page.
    pub shell: Shell,
    /// The gateway's own service account (for the sandbox PSP's calls, which only service
    /// accounts may make); `None` when no credentials are configured.
    pub service_token: Option<ServiceTokenSource>,
}
