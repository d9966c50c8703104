//! The gateway's connections to the services.

use std::sync::Arc;

use estelam_runtime::config::{GrpcSettings, SERVICES, Settings};
use tonic::transport::Channel;

/// Connections the gateway holds to each service (lazy: they connect on first use and
/// reconnect by themselves).
#[derive(Clone, Debug)]
pub struct Backends {
    channels: Arc<Vec<(&'static str, Channel)>>,
}

impl Backends {
    /// Lazy channels to every service's configured endpoint.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let grpc: &GrpcSettings = &settings.grpc;
        let mut channels = Vec::new();
        for service in SERVICES {
            let endpoint = settings.endpoints.of(service).unwrap_or_default();
            channels.push((service, estelam_runtime::grpc::channel(endpoint, grpc)?));
        }
        Ok(Self {
            channels: Arc::new(channels),
        })
    }

    /// The channel to `service`.
    pub fn channel(&self, service: &str) -> Option<Channel> {
        self.channels
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, c)| c.clone())
    }

    /// Every service and its channel, in start order.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, Channel)> + '_ {
        self.channels.iter().map(|(n, c)| (*n, c.clone()))
    }
}
