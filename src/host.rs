//! The one hosting helper `estelam run`, `estelam serve` and a test's restarted service
//! share: connect the event bus, open a service's store, hand the service its context and
//! build its server, with the readiness checks that report each of them.
//!
//! Readiness checks are declared before what they check exists ([`LateChecks`]), because the
//! admin port that serves them is bound with the other listeners, before any outbound
//! connection (see [`crate::listen`]); until a store or the bus is open `/readyz` names it.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use estelam_runtime::admin::Readiness;
use estelam_runtime::auth::{IdentityKeySource, TokenVerifier};
use estelam_runtime::bus::EventBus;
use estelam_runtime::config::Settings;
use estelam_runtime::db::Database;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::{ServiceContext, connect_bus, open_store};
use tokio_util::sync::CancellationToken;

use crate::services;

/// Readiness checks for the bus and the stores of one process, answering "not ready"
/// until [`Host`] fills them in.
#[derive(Clone, Default)]
pub(crate) struct LateChecks {
    bus: Arc<OnceLock<Arc<dyn EventBus>>>,
    verifier: Arc<OnceLock<TokenVerifier>>,
    stores: BTreeMap<String, Arc<OnceLock<Database>>>,
}

impl LateChecks {
    /// Adds to `readiness` the check "event bus", then one check per `(service, label)`:
    /// the label is what `/readyz` names while that service's store is not open or answers
    /// no more.
    pub(crate) fn declare<'a>(
        readiness: &mut Readiness,
        stores: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Self {
        let bus: Arc<OnceLock<Arc<dyn EventBus>>> = Arc::default();
        let probe = bus.clone();
        readiness.add("event bus", move || {
            let connected = probe.get().is_some_and(|bus| bus.is_connected());
            async move { connected }
        });
        // A service that cannot yet check tokens (identity's keys not fetched) would refuse
        // every caller: it is not ready until it has at least one signing key.
        let verifier: Arc<OnceLock<TokenVerifier>> = Arc::default();
        let keys = verifier.clone();
        readiness.add("token-signing keys", move || {
            let loaded = keys.get().is_some_and(|v| v.key_count() > 0);
            async move { loaded }
        });
        let mut slots = BTreeMap::new();
        for (service, label) in stores {
            let slot: Arc<OnceLock<Database>> = Arc::default();
            let probe = slot.clone();
            readiness.add(label, move || {
                let db = probe.get().cloned();
                async move {
                    match db {
                        Some(db) => db.is_reachable().await,
                        None => false,
                    }
                }
            });
            slots.insert(service.to_owned(), slot);
        }
        Self {
            bus,
            verifier,
            stores: slots,
        }
    }
}

/// What the services one process hosts share: the event bus, the token verifier and the
/// shutdown signal.
#[derive(Clone)]
pub(crate) struct Host {
    pub(crate) bus: Arc<dyn EventBus>,
    pub(crate) verifier: TokenVerifier,
    pub(crate) shutdown: CancellationToken,
    checks: LateChecks,
}

impl Host {
    /// Connects the event bus (RabbitMQ, or in-process without `bus.amqp_url`) under
    /// `connection_name`, the name the broker's management page shows. Call it after every
    /// listener of the process is bound: it is the first outbound connection.
    pub(crate) async fn connect(
        settings: &Settings,
        connection_name: &str,
        shutdown: CancellationToken,
        checks: LateChecks,
    ) -> anyhow::Result<Self> {
        let bus = connect_bus(settings, connection_name)
            .await
            .context("connecting to the event bus (bus.amqp_url)")?;
        let _ = checks.bus.set(bus.clone());
        let verifier = verifier(settings);
        let _ = checks.verifier.set(verifier.clone());
        Ok(Self {
            bus,
            verifier,
            shutdown,
            checks,
        })
    }

    /// Opens `service`'s store as `own` configures it, bringing its schema up to date, and
    /// returns the context the service is built from; the service stops when `stop` is
    /// cancelled.
    pub(crate) async fn context(
        &self,
        service: &str,
        own: Arc<Settings>,
        stop: CancellationToken,
    ) -> anyhow::Result<ServiceContext> {
        let db = open_store(&own, service, &services::migrations_of(service)?)
            .await
            .with_context(|| format!("opening the {service} store"))?;
        if let Some(slot) = self.checks.stores.get(service) {
            let _ = slot.set(db.clone());
        }
        Ok(ServiceContext {
            settings: own,
            db,
            verifier: self.verifier.clone(),
            bus: self.bus.clone(),
            shutdown: stop,
        })
    }

    /// [`Host::context`] and the service's server built from it.
    pub(crate) async fn build(
        &self,
        service: &str,
        own: Arc<Settings>,
        stop: CancellationToken,
    ) -> anyhow::Result<(ServiceContext, GrpcServer)> {
        let ctx = self.context(service, own, stop).await?;
        let server = services::build_server(service, &ctx).await?;
        Ok((ctx, server))
    }

    /// Keeps the verifier in step with identity's published keys, so tokens identity issues
    /// are accepted here and key rotations need no restart.
    pub(crate) fn refresh_keys_from_identity(&self, settings: &Settings) -> anyhow::Result<()> {
        refresh_keys_from_identity(&self.verifier, settings, &self.shutdown)
    }
}

/// A verifier for the issuer and audience `settings` name, with no keys yet.
pub(crate) fn verifier(settings: &Settings) -> TokenVerifier {
    TokenVerifier::new(&settings.auth.issuer, &settings.auth.audience)
}

/// Keeps `verifier` in step with identity's published keys (`GetSigningKeys` at
/// `endpoints.identity`), until `shutdown`.
pub(crate) fn refresh_keys_from_identity(
    verifier: &TokenVerifier,
    settings: &Settings,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let source = IdentityKeySource::from_settings(settings).context("endpoints.identity")?;
    let every = std::time::Duration::from_secs(settings.auth.key_refresh_secs);
    verifier.spawn_refresh(Arc::new(source), every, shutdown.clone());
    Ok(())
}
