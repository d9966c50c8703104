//! Service accounts under `estelam run`: every service and the gateway call the others
//! with a token of their own, as separate Deployments would, so `estelam run` exercises the
//! same authorisation as production.

use std::collections::BTreeMap;

use anyhow::Context as _;
use estelam_runtime::config::{SERVICES, Settings};

/// The gateway's service account (client id) under `estelam run`.
pub(crate) const GATEWAY_CLIENT: &str = "gateway";

/// Gives every service (and the gateway) its own client credentials, generated once and
/// kept in the data directory (mode 0600), unless configured already, and gives identity
/// the whole map to accept. Returns each one's settings, with its own credentials as
/// `auth.client_id` / `auth.client_secret`.
pub(crate) fn with_service_credentials(
    settings: &mut Settings,
) -> anyhow::Result<BTreeMap<String, Settings>> {
    let names: Vec<&str> = SERVICES.iter().copied().chain([GATEWAY_CLIENT]).collect();
    let generated = estelam_identity::service_credentials(&settings.data_dir, &names)
        .context("the generated service credentials in the data directory")?;
    for (name, secret) in generated {
        settings
            .identity
            .service_clients
            .entry(name)
            .or_insert(secret);
    }
    let mut per_service = BTreeMap::new();
    for service in names {
        let mut own = settings.clone();
        own.auth.client_id = Some(service.to_owned());
        own.auth.client_secret = settings.identity.service_clients.get(service).cloned();
        per_service.insert(service.to_owned(), own);
    }
    Ok(per_service)
}
