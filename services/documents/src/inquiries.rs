//! The one thing the documents service asks another service: which inquiry an office's
//! upload is for. An office filing on behalf of an applicant uploads the deed and ID card
//! it holds; the document must belong to the applicant (their documents, their quota) and
//! the office may name only an inquiry its own organisation filed. Only the inquiry service
//! knows who filed an inquiry and for whom, so the upload asks it (`GetInquiry`, with this
//! service's own token) rather than trusting the office's word.

use std::sync::Arc;

use estelam_proto::inquiry::v1 as ipb;
use estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient;
use estelam_runtime::auth::BearerSource;
use estelam_runtime::config::Settings;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::grpc::{channel, outgoing, retry_idempotent};
use tonic::transport::Channel;

/// Who an inquiry is for and who filed it, as far as an upload needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    /// The inquiry's id, canonical.
    pub inquiry_id: String,
    /// The applicant's account: the owner of what is uploaded for the inquiry.
    pub applicant_account_id: String,
    /// The organisation that filed it; empty for a citizen's own inquiry.
    pub filed_by_organization_id: String,
}

/// The inquiry service, as the documents service reaches it.
#[derive(Clone)]
pub struct Inquiries {
    client: Option<InquiryServiceClient<Channel>>,
    bearer: Option<Arc<dyn BearerSource>>,
}

impl std::fmt::Debug for Inquiries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inquiries").finish_non_exhaustive()
    }
}

impl Inquiries {
    /// The inquiry service at `settings.endpoints.inquiry`, called with this service's own
    /// credentials (`auth.client_id` / `auth.client_secret`).
    pub fn grpc(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self {
            client: Some(InquiryServiceClient::new(channel(
                &settings.endpoints.inquiry,
                &settings.grpc,
            )?)),
            bearer: Some(estelam_runtime::auth::service_bearer(settings)?),
        })
    }

    /// No inquiry service: every upload naming an inquiry is answered "inquiry not found"
    /// (for unit tests of the rest of the service).
    pub fn none() -> Self {
        Self {
            client: None,
            bearer: None,
        }
    }

    /// The inquiry `id`, or `None` when it does not exist.
    pub async fn filing(&self, id: &str) -> Result<Option<Filing>, ServiceError> {
        let (Some(client), Some(bearer)) = (&self.client, &self.bearer) else {
            return Ok(None);
        };
        let token = bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = client.clone();
            let req = outgoing(
                ipb::GetInquiryRequest {
                    key: Some(ipb::get_inquiry_request::Key::InquiryId(id.to_owned())),
                },
                Some(&token),
            );
            async move { c.get_inquiry(req).await }
        })
        .await;
        match result {
            Ok(r) => Ok(r.into_inner().inquiry.map(|i| Filing {
                inquiry_id: i.inquiry_id,
                applicant_account_id: i.applicant_account_id,
                filed_by_organization_id: i.filed_by_organization_id,
            })),
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => {
                let err = ServiceError::from_status(&s);
                Err(match err.code {
                    // The inquiry service refusing *us* is our problem, never the caller's;
                    // a malformed id is the caller's (answered as not found).
                    ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => {
                        ServiceError::internal(anyhow::anyhow!(
                            "inquiry refused the documents service's call: {s}"
                        ))
                    }
                    ErrorCode::InvalidArgument => return Ok(None),
                    _ => err,
                })
            }
        }
    }
}
