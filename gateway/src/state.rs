//! What every handler can reach: the service connections, the settings, the token verifier.

use std::sync::Arc;

use estelam_runtime::auth::TokenVerifier;
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
}
