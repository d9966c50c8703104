//! Finding the person a notice is for, the right way: events carry ids, not contact data,
//! so the sender asks the services that own the data, over gRPC with this service's own
//! machine token — the inquiry service for an inquiry's applicant and number, identity for
//! the person's name and verified mobile. The e-mail address and language are the person's
//! own choice, kept in this service's preferences.
//!
//! Asking at send time (rather than keeping a copy fed by "contact changed" events) means a
//! message goes to the mobile the person holds now, and nothing identity owns is copied
//! into another store; the cost is that a message waits while identity is down, which the
//! sender's retries absorb.

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_proto::inquiry::v1 as qpb;
use estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient;
use estelam_runtime::auth::BearerSource;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::{channel, outgoing};
use tonic::transport::Channel as GrpcChannel;

/// What a lookup could not do.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Nobody to tell: the inquiry or account does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Try again later (a service down, a timeout).
    #[error("lookup failed: {0}")]
    Unavailable(String),
}

impl From<tonic::Status> for LookupError {
    fn from(status: tonic::Status) -> Self {
        match status.code() {
            tonic::Code::NotFound | tonic::Code::InvalidArgument => {
                LookupError::NotFound(status.message().to_owned())
            }
            _ => LookupError::Unavailable(format!("{} {}", status.code(), status.message())),
        }
    }
}

impl From<estelam_runtime::error::ServiceError> for LookupError {
    fn from(e: estelam_runtime::error::ServiceError) -> Self {
        LookupError::Unavailable(e.to_string())
    }
}

/// The inquiry a notice is about, as far as telling its person goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryFacts {
    /// Who it is for (the applicant, or whoever filed it when it has none).
    pub account_id: String,
    /// The inquiry number.
    pub inquiry_number: String,
}

/// How to reach a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The account.
    pub account_id: String,
    /// Name to greet them with.
    pub display_name: String,
    /// Verified mobile, or empty.
    pub mobile: String,
    /// False for a disabled account.
    pub active: bool,
}

/// The lookups the sender needs.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The person and number of inquiry `inquiry_id`.
    async fn inquiry(&self, inquiry_id: &str) -> Result<InquiryFacts, LookupError>;
    /// A person by account id, or by national code when `account_id` is empty.
    async fn contact(&self, account_id: &str, national_code: &str) -> Result<Contact, LookupError>;
}

/// The real directory: gRPC to inquiry and identity with this service's token.
pub struct GrpcDirectory {
    inquiry: InquiryServiceClient<GrpcChannel>,
    identity: IdentityServiceClient<GrpcChannel>,
    bearer: Arc<dyn BearerSource>,
}

impl GrpcDirectory {
    /// A directory calling the endpoints in `settings`.
    pub fn new(settings: &Settings, bearer: Arc<dyn BearerSource>) -> anyhow::Result<Self> {
        Ok(Self {
            inquiry: InquiryServiceClient::new(channel(
                &settings.endpoints.inquiry,
                &settings.grpc,
            )?),
            identity: IdentityServiceClient::new(channel(
                &settings.endpoints.identity,
                &settings.grpc,
            )?),
            bearer,
        })
    }
}

#[async_trait]
impl Directory for GrpcDirectory {
    async fn inquiry(&self, inquiry_id: &str) -> Result<InquiryFacts, LookupError> {
        let token = self.bearer.bearer().await?;
        let request = qpb::GetInquiryRequest {
            key: Some(qpb::get_inquiry_request::Key::InquiryId(
                inquiry_id.to_owned(),
            )),
        };
        let inquiry = self
            .inquiry
            .clone()
            .get_inquiry(outgoing(request, Some(&token)))
            .await?
            .into_inner()
            .inquiry
            .ok_or_else(|| LookupError::NotFound(inquiry_id.to_owned()))?;
        let account_id = if inquiry.applicant_account_id.is_empty() {
            inquiry.filed_by_account_id
        } else {
            inquiry.applicant_account_id
        };
        Ok(InquiryFacts {
            account_id,
            inquiry_number: inquiry.inquiry_number,
        })
    }

    async fn contact(&self, account_id: &str, national_code: &str) -> Result<Contact, LookupError> {
        let token = self.bearer.bearer().await?;
        let request = ipb::GetContactRequest {
            account_id: account_id.to_owned(),
            national_code: national_code.to_owned(),
        };
        let c = self
            .identity
            .clone()
            .get_contact(outgoing(request, Some(&token)))
            .await?
            .into_inner();
        Ok(Contact {
            account_id: c.account_id,
            display_name: c.display_name,
            mobile: c.verified_mobile,
            active: c.active,
        })
    }
}
