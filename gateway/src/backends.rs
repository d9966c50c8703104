//! The gateway's connections to the services, and a typed client for each.

use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_proto::fees::v1::fee_service_client::FeeServiceClient;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient;
use estelam_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use estelam_proto::property::v1::property_service_client::PropertyServiceClient;
use estelam_runtime::config::Settings;
use tonic::transport::Channel;

/// Connections the gateway holds to each service (lazy: they connect on first use and
/// reconnect by themselves). Cloning is cheap; so is making a client from a channel.
#[derive(Clone, Debug)]
pub struct Backends {
    identity: Channel,
    property: Channel,
    documents: Channel,
    fees: Channel,
    inquiry: Channel,
    notifications: Channel,
}

impl Backends {
    /// Lazy channels to every service's configured endpoint.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let channel = |endpoint: &str| estelam_runtime::grpc::channel(endpoint, &settings.grpc);
        let e = &settings.endpoints;
        Ok(Self {
            identity: channel(&e.identity)?,
            property: channel(&e.property)?,
            documents: channel(&e.documents)?,
            fees: channel(&e.fees)?,
            inquiry: channel(&e.inquiry)?,
            notifications: channel(&e.notifications)?,
        })
    }

    /// Accounts, login and tokens.
    pub fn identity(&self) -> IdentityServiceClient<Channel> {
        IdentityServiceClient::new(self.identity.clone())
    }

    /// Parcels, the map and request numbers.
    pub fn property(&self) -> PropertyServiceClient<Channel> {
        PropertyServiceClient::new(self.property.clone())
    }

    /// Uploaded documents.
    pub fn documents(&self) -> DocumentServiceClient<Channel> {
        DocumentServiceClient::new(self.documents.clone())
    }

    /// Levies, bills and payments.
    pub fn fees(&self) -> FeeServiceClient<Channel> {
        FeeServiceClient::new(self.fees.clone())
    }

    /// Inquiries and answers.
    pub fn inquiry(&self) -> InquiryServiceClient<Channel> {
        InquiryServiceClient::new(self.inquiry.clone())
    }

    /// People's notification preferences.
    pub fn notifications(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.notifications.clone())
    }

    /// Every service and its channel, in start order (for health probes).
    pub fn all(&self) -> impl Iterator<Item = (&'static str, Channel)> + '_ {
        [
            ("identity", &self.identity),
            ("property", &self.property),
            ("documents", &self.documents),
            ("fees", &self.fees),
            ("inquiry", &self.inquiry),
            ("notifications", &self.notifications),
        ]
        .into_iter()
        .map(|(n, c)| (n, c.clone()))
    }
}
